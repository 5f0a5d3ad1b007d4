"""A finished study's table: one row per simulated point, the sizing answer per grid point,
the Pareto front, and the same rows as CSV."""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import numpy as np

from fleetsim.models.study import (
    PointKpis,
    SizingAnswer,
    StudyPoint,
    StudyRequest,
    StudyResult,
    meets,
)
from fleetsim.studies import sizing
from fleetsim.studies.points import Point, grid

PARETO_OVER = ("charging_cost", "peak_kw", "installed_kw")
"""The front minimises the bill, the highest site peak and the installed charging power."""


@dataclass(frozen=True)
class Outcome:
    """A finished point: its job and either its KPIs or its error."""

    point: Point
    job_id: UUID
    kpis: PointKpis | None
    error: str | None = None


def study_result(study: StudyRequest, study_id: UUID, outcomes: Sequence[Outcome]) -> StudyResult:
    """The table of a finished study, rows ordered by grid point then sizing value."""
    ordered = sorted(outcomes, key=lambda o: o.point.key)
    front = pareto_front([o.kpis for o in ordered])
    rows = [
        StudyPoint(
            grid_index=o.point.key.grid_index,
            values=o.point.values,
            job_id=o.job_id,
            status="failed" if o.kpis is None else "succeeded",
            error=o.error,
            kpis=o.kpis,
            meets_requirement=_meets(study, o),
            pareto=on_front,
        )
        for o, on_front in zip(ordered, front, strict=True)
    ]
    axes = [axis.path for axis in study.grid] + ([study.size.path] if study.size else [])
    return StudyResult(
        study_id=study_id,
        label=study.label,
        axes=axes,
        points=rows,
        sizing=_sizing_answers(study, ordered) if study.size else None,
        pareto_over=list(PARETO_OVER),
        points_failed=sum(o.kpis is None for o in ordered),
    )


def _meets(study: StudyRequest, outcome: Outcome) -> bool | None:
    if study.size is None:
        return None
    return outcome.kpis is not None and meets(study.size.require, outcome.kpis)


def _sizing_answers(study: StudyRequest, ordered: Sequence[Outcome]) -> list[SizingAnswer]:
    assert study.size is not None
    candidates = study.size.points()
    answers = []
    for index, values in enumerate(grid(study)):
        mine = [o for o in ordered if o.point.key.grid_index == index]
        met = {o.point.key.size_index: bool(_meets(study, o)) for o in mine}
        least = sizing.answer(len(candidates), met)
        answers.append(
            SizingAnswer(
                grid_index=index,
                values=values,
                least=None if least is None else candidates[least],
                evaluated=[candidates[o.point.key.size_index] for o in mine],
                monotone=sizing.bracket(len(candidates), met).monotone,
            )
        )
    return answers


def pareto_front(kpis: Sequence[PointKpis | None]) -> list[bool]:
    """Per point: on the front over PARETO_OVER (no other point is as good in all three and
    better in one). Candidates are the feasible points, or every succeeded point when none
    is feasible; failed points are never on it."""
    succeeded = [k is not None for k in kpis]
    feasible = [k is not None and k.feasible for k in kpis]
    candidate = np.array(feasible if any(feasible) else succeeded, dtype=bool)
    if not candidate.any():
        return [False] * len(kpis)
    costs = np.array([[getattr(k, name) for name in PARETO_OVER] if k else [0.0] * 3 for k in kpis])
    pool = costs[candidate]
    front = []
    for row, is_candidate in zip(costs, candidate, strict=True):
        dominated = np.any(np.all(pool <= row, axis=1) & np.any(pool < row, axis=1))
        front.append(bool(is_candidate and not dominated))
    return front


def study_csv(result: StudyResult) -> str:
    """One row per point: axis values, job, outcome and KPIs; per-site peaks and limits and
    per-charger utilisation as columns named `peak_kw[site]`, `utilisation[charger]`."""
    sites = sorted({s for p in result.points if p.kpis for s in p.kpis.sites})
    chargers = sorted({c for p in result.points if p.kpis for c in p.kpis.charger_utilisation})
    scalar = [
        "feasible",
        "stranded_trips",
        "energy_served_pct",
        "charging_cost",
        "energy_cost",
        "demand_charge",
        "peak_kw",
        "mean_wait_min",
        "max_wait_min",
        "installed_kw",
    ]
    header = [
        "grid_index",
        *result.axes,
        "job_id",
        "status",
        "meets_requirement",
        "pareto",
        *scalar,
        *(f"peak_kw[{s}]" for s in sites),
        *(f"limit_kw[{s}]" for s in sites),
        *(f"utilisation[{c}]" for c in chargers),
        "error",
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for p in result.points:
        k = p.kpis
        site = k.sites if k else {}
        writer.writerow(
            [
                p.grid_index,
                *(_cell(p.values.get(axis)) for axis in result.axes),
                p.job_id,
                p.status,
                _cell(p.meets_requirement),
                _cell(p.pareto),
                *(_cell(getattr(k, name)) if k else "" for name in scalar),
                *(_cell(site[s].peak_kw) if s in site else "" for s in sites),
                *(_cell(site[s].limit_kw) if s in site else "" for s in sites),
                *(_cell(k.charger_utilisation.get(c)) if k else "" for c in chargers),
                p.error or "",
            ]
        )
    return out.getvalue()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
