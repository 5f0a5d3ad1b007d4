"""A design study: one base request varied over a grid of parameter paths, optionally with
the least value of a sizing axis that meets a requirement at every grid point, and its
result table. One definition for the CLI, the API and the Pub/Sub workers."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from fleetsim.models.base import Strict
from fleetsim.models.request import ParameterPath, SimulationRequest

MAX_AXES = 6
"""Grid axes one study may have."""
MAX_AXIS_VALUES = 1_000
"""Values one axis may take (the study's point limit applies to their product too)."""
DEFAULT_PROBES_PER_ROUND = 3


def _range_values(start: float, stop: float, step: float, where: str) -> list[float]:
    """`start`, `start + step`, ... up to `stop` inclusive, computed in decimal so 0.1 steps
    land on 0.3 exactly; refuses empty, backwards and oversized ranges."""
    if step <= 0:
        raise ValueError(f"{where}: step must be positive")
    if stop < start:
        raise ValueError(f"{where}: `to` ({stop}) is below `from` ({start})")
    count = int((Decimal(str(stop)) - Decimal(str(start))) / Decimal(str(step))) + 1
    if count > MAX_AXIS_VALUES:
        raise ValueError(f"{where}: {count} values, above the limit of {MAX_AXIS_VALUES}")
    first, size = Decimal(str(start)), Decimal(str(step))
    values = [first + i * size for i in range(count)]
    return [int(v) if v == v.to_integral_value() else float(v) for v in values]


class Axis(Strict):
    """One grid axis: a parameter path and its values, listed (`values`) or as a range
    (`from`, `to`, `step`, both ends included)."""

    model_config = ConfigDict(populate_by_name=True)

    path: ParameterPath = Field(description="a `set` path, e.g. `sites.depot.site_power_limit_kw`")
    values: list[JsonValue] | None = Field(
        None, max_length=MAX_AXIS_VALUES, description="the values, in the table's order"
    )
    start: float | None = Field(None, alias="from", description="first value of a range")
    stop: float | None = Field(None, alias="to", description="last value of a range (included)")
    step: float | None = Field(None, gt=0, description="a range's step")

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        ranged = (self.start, self.stop, self.step)
        if self.values is not None:
            if any(v is not None for v in ranged):
                raise ValueError(f"axis {self.path!r}: give `values` or `from`/`to`/`step`")
            if not self.values:
                raise ValueError(f"axis {self.path!r}: `values` is empty")
            if len({_key(v) for v in self.values}) < len(self.values):
                raise ValueError(f"axis {self.path!r}: `values` repeats a value")
        elif any(v is None for v in ranged):
            raise ValueError(f"axis {self.path!r}: give `values`, or all of `from`, `to`, `step`")
        else:
            self.points()  # raises on an empty or oversized range
        return self

    def points(self) -> list[JsonValue]:
        """The axis's values in order."""
        if self.values is not None:
            return list(self.values)
        assert self.start is not None and self.stop is not None and self.step is not None
        return list(_range_values(self.start, self.stop, self.step, f"axis {self.path!r}"))


def _key(value: JsonValue) -> str:
    """A value's identity for spotting repeats (ASCII escapes: any string is accepted)."""
    return json.dumps(value, sort_keys=True)


class Requirement(Strict):
    """What a design must achieve; every given criterion must hold."""

    feasible: bool = Field(True, description="no stranded trip (true), or not required (false)")
    max_wait_min: float | None = Field(
        None, ge=0, description="longest wait for a port, minutes, at most this"
    )
    min_energy_served_pct: float | None = Field(
        None, ge=0, le=100, description="energy stored / energy requested, percent, at least this"
    )
    max_peak_kw: float | None = Field(
        None, gt=0, description="highest site peak (the largest over sites), kW, at most this"
    )


class SizeAxis(Strict):
    """The sizing axis: for each grid point, the least value of `path` in `from`..`to` (by
    `step`) that meets `require`, found by a k-ary search assuming the requirement is
    monotone in the value (more is never worse)."""

    model_config = ConfigDict(populate_by_name=True)

    path: ParameterPath = Field(description="a numeric `set` path, e.g. `chargers.dc.ports`")
    start: float = Field(alias="from", description="least value tried")
    stop: float = Field(alias="to", description="greatest value tried (included)")
    step: float = Field(gt=0, description="distance between tried values")
    require: Requirement = Field(
        default_factory=Requirement, description="what the least value must achieve"
    )
    probes_per_round: int = Field(
        DEFAULT_PROBES_PER_ROUND,
        ge=1,
        le=32,
        description="values tried at once per round (k of the k-ary search); part of the "
        "result, so it is fixed by the request, not by the number of workers",
    )

    @model_validator(mode="after")
    def _range(self) -> Self:
        self.points()
        return self

    def points(self) -> list[float]:
        """The candidate values in increasing order."""
        return _range_values(self.start, self.stop, self.step, f"size {self.path!r}")


class StudyRequest(Strict):
    """A base simulation request, a grid of axes (their product: the grid points) and
    optionally a sizing axis searched at every grid point."""

    base: SimulationRequest = Field(
        default_factory=SimulationRequest, description="the request every point edits"
    )
    grid: list[Axis] = Field(
        default_factory=list, max_length=MAX_AXES, description="axes; the points are their product"
    )
    size: SizeAxis | None = Field(None, description="searched at every grid point")
    label: str | None = Field(None, max_length=200, description="free text for people")

    @model_validator(mode="after")
    def _distinct_paths(self) -> Self:
        paths = [axis.path for axis in self.grid]
        if self.size is not None:
            paths.append(self.size.path)
        repeated = sorted({p for p in paths if paths.count(p) > 1})
        if repeated:
            raise ValueError(f"path {repeated[0]!r} is on more than one axis")
        return self

    def grid_values(self) -> list[list[JsonValue]]:
        """Each axis's values, in the request's order."""
        return [axis.points() for axis in self.grid]

    def max_points(self) -> int:
        """Simulations the study may run at most: grid points x sizing values."""
        count = 1
        for values in self.grid_values():
            count *= len(values)
        return count * (len(self.size.points()) if self.size is not None else 1)


class SitePeak(BaseModel):
    model_config = ConfigDict(extra="forbid")

    peak_kw: float = Field(description="highest step load of the site, kW")
    limit_kw: float | None = Field(description="the site's power limit, kW; None: no limit")


class PointKpis(BaseModel):
    """What a planner compares between designs, from one simulation's KPIs."""

    model_config = ConfigDict(extra="forbid")

    feasible: bool = Field(description="no trip stranded")
    stranded_trips: int = Field(description="trips that ran out of energy")
    energy_served_pct: float = Field(description="energy stored / energy requested, percent")
    charging_cost: float = Field(description="energy_cost + demand_charge")
    energy_cost: float = Field(description="energy at each step's price, in the tariff's currency")
    demand_charge: float = Field(
        description="demand charges over the horizon, in the tariff's currency"
    )
    peak_kw: float = Field(description="highest site peak, kW")
    sites: dict[str, SitePeak] = Field(description="site id -> its peak and limit")
    mean_wait_min: float = Field(description="mean wait for a port, minutes")
    max_wait_min: float = Field(description="longest wait for a port, minutes")
    charger_utilisation: dict[str, float] = Field(description="port-time in use, 0-1")
    installed_kw: float = Field(
        description="charging infrastructure: ports x rated kW summed over the chargers"
    )


class StudyPoint(BaseModel):
    """One simulation of the study: its axis values, job and outcome."""

    model_config = ConfigDict(extra="forbid")

    grid_index: int = Field(description="the grid point it belongs to, from 0")
    values: dict[str, JsonValue] = Field(description="path -> value, grid axes then sizing")
    job_id: UUID = Field(description="the simulation job: GET /v1/simulations/{job_id}")
    status: Literal["succeeded", "failed"] = Field(description="the job's outcome")
    error: str | None = Field(None, description="a failed job's error")
    kpis: PointKpis | None = Field(None, description="a succeeded job's KPIs")
    meets_requirement: bool | None = Field(
        None, description="sizing studies: whether the point meets `size.require`"
    )
    pareto: bool = Field(
        False, description="on the Pareto front over (cost, peak kW, installed kW)"
    )


class SizingAnswer(BaseModel):
    """The sizing search's answer at one grid point."""

    model_config = ConfigDict(extra="forbid")

    grid_index: int = Field(description="the grid point, from 0")
    values: dict[str, JsonValue] = Field(description="the grid point's axis values")
    least: float | None = Field(description="least value meeting the requirement; None: none")
    evaluated: list[float] = Field(description="values simulated, increasing")
    monotone: bool = Field(
        description="false when a value meeting the requirement was found below one that "
        "does not: the answer is then the least passing value above the greatest failing "
        "one below it, and the assumption behind the search is broken"
    )


class StudyResult(BaseModel):
    """A finished study: one row per simulated point, the sizing answers and the front."""

    model_config = ConfigDict(extra="forbid")

    study_id: UUID = Field(description="the study's id")
    label: str | None = Field(description="the request's label")
    axes: list[str] = Field(description="grid paths, then the sizing path")
    points: list[StudyPoint] = Field(description="one row per simulated point")
    sizing: list[SizingAnswer] | None = Field(description="per grid point; None without `size`")
    pareto_over: list[str] = Field(description="KPIs the front minimises")
    points_failed: int = Field(description="points whose job failed")


StudyStatus = Literal["running", "finished"]


class StudyAccepted(BaseModel):
    """A submitted study: poll `GET /v1/studies/{study_id}` until it has finished."""

    study_id: UUID = Field(description="the study's id")
    status: StudyStatus = Field(description="running or (a repeat of a finished study) finished")
    points: int = Field(description="simulations queued or reused so far")


class Study(BaseModel):
    """A study's progress."""

    model_config = ConfigDict(extra="forbid")

    study_id: UUID = Field(description="derived from the request and the base's resolved input")
    label: str | None = Field(description="the request's label")
    status: StudyStatus = Field(description="running until every point is terminal, then finished")
    points_total: int = Field(description="points planned so far (sizing adds rounds)")
    points_done: int = Field(description="points terminal (succeeded or failed)")
    points_failed: int = Field(description="points whose job failed")
    created_at: datetime = Field(description="when the study was first submitted")
    finished_at: datetime | None = Field(description="when its table was written")


class StudyPage(BaseModel):
    """Studies, newest first."""

    items: list[Study] = Field(description="the studies")


def point_kpis(kpis: dict[str, Any], installed_kw: float) -> PointKpis:
    """The planner's KPIs from a result's `metadata.kpis` (canonical JSON data)."""
    requested = float(kpis["energy_requested_kwh"])
    unmet = float(kpis["energy_unmet_kwh"])
    served = 100.0 if requested <= 0 else 100.0 * (requested - unmet) / requested
    sites = {
        site: SitePeak(peak_kw=float(v["peak_kw"]), limit_kw=v["site_power_limit_kw"])
        for site, v in sorted(kpis["sites"].items())
    }
    return PointKpis(
        feasible=bool(kpis["feasible"]),
        stranded_trips=int(kpis["stranded_trips"]),
        energy_served_pct=round(served, 4),
        charging_cost=float(kpis["charging_cost"]),
        energy_cost=float(kpis["energy_cost"]),
        demand_charge=float(kpis["demand_charge"]),
        peak_kw=max((s.peak_kw for s in sites.values()), default=0.0),
        sites=sites,
        mean_wait_min=round(float(kpis["mean_wait_s"]) / 60, 4),
        max_wait_min=round(float(kpis["max_wait_s"]) / 60, 4),
        charger_utilisation=dict(sorted(kpis["charger_utilisation"].items())),
        installed_kw=round(installed_kw, 4),
    )


def meets(requirement: Requirement, kpis: PointKpis) -> bool:
    """Whether one point's KPIs meet every criterion of the requirement."""
    return (
        (not requirement.feasible or kpis.feasible)
        and (requirement.max_wait_min is None or kpis.max_wait_min <= requirement.max_wait_min)
        and (
            requirement.min_energy_served_pct is None
            or kpis.energy_served_pct >= requirement.min_energy_served_pct
        )
        and (requirement.max_peak_kw is None or kpis.peak_kw <= requirement.max_peak_kw)
    )
