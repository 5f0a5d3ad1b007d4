"""A study's points: the grid's product, each point's simulation request, and which points
to run next given the outcomes so far."""

import itertools
from collections.abc import Mapping, Set
from dataclasses import dataclass
from uuid import UUID, uuid5

from pydantic import JsonValue

from fleetsim.config.digests import digest
from fleetsim.models import ResolvedRequest
from fleetsim.models.request import SimulationRequest
from fleetsim.models.study import StudyRequest
from fleetsim.studies import sizing

STUDY_NAMESPACE = UUID("3b9d3f0e-8a51-5c0c-a7f4-6e2d1c9b5a47")


@dataclass(frozen=True, order=True)
class PointKey:
    """A point's place: its grid point and, in sizing studies, its sizing value's index."""

    grid_index: int
    size_index: int = -1


@dataclass(frozen=True)
class Point:
    key: PointKey
    values: dict[str, JsonValue]
    """path -> value: the grid axes' in order, then the sizing axis's."""


def study_id(study: StudyRequest, base_input_digest: str) -> UUID:
    """The study of a request against a configuration: the same for the same request while
    the base's resolved input is unchanged, as a simulation job's id is."""
    data = study.model_dump(mode="json", by_alias=True)
    return uuid5(STUDY_NAMESPACE, digest({"study": data, "base_input": base_input_digest}))


def installed_kw(resolved: ResolvedRequest) -> float:
    """A point's charging infrastructure: ports x rated kW over the chargers the run uses."""
    return sum(c.ports * c.power_kw for c in resolved.chargers.values())


def grid(study: StudyRequest) -> list[dict[str, JsonValue]]:
    """The grid points in order (the last axis varies fastest): path -> value."""
    paths = [axis.path for axis in study.grid]
    return [
        dict(zip(paths, combo, strict=True)) for combo in itertools.product(*study.grid_values())
    ]


def point_request(base: SimulationRequest, values: Mapping[str, JsonValue]) -> SimulationRequest:
    """The base request with the point's values added to its `set` (the point's win), as a
    user would submit it: the same request makes the same job from any door."""
    data = base.model_dump(mode="json", exclude_unset=True)
    data["set"] = {**base.set, **values}
    return SimulationRequest.model_validate(data)


def next_points(
    study: StudyRequest, planned: Set[PointKey], met: Mapping[PointKey, bool]
) -> list[Point]:
    """Points to run now that are not planned yet. Without a sizing axis, every grid point.
    With one, per grid point whose planned probes have all finished (`met` holds their
    outcomes), the next round of the search."""
    points = grid(study)
    if study.size is None:
        keys = [PointKey(i) for i in range(len(points))]
        return [Point(k, points[k.grid_index]) for k in keys if k not in planned]
    size = study.size
    candidates = size.points()
    chosen = []
    for index, values in enumerate(points):
        mine = {k.size_index: met.get(k) for k in planned if k.grid_index == index}
        if any(outcome is None for outcome in mine.values()):
            continue  # a probe of this round still runs
        outcomes = {i: bool(ok) for i, ok in mine.items()}
        for probe in sizing.next_probes(len(candidates), outcomes, size.probes_per_round):
            chosen.append(Point(PointKey(index, probe), {**values, size.path: candidates[probe]}))
    return chosen
