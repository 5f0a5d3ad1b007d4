"""The study table: the Pareto front against a brute-force definition, failed points kept
with their error, CSV with one column per site and charger."""

import csv
import io
import uuid

from hypothesis import given
from hypothesis import strategies as st

from fleetsim.models.study import PointKpis, SitePeak, StudyRequest
from fleetsim.studies.points import Point, PointKey
from fleetsim.studies.table import Outcome, pareto_front, study_csv, study_result


def kpis(cost: float, peak: float, installed: float, *, feasible: bool = True) -> PointKpis:
    return PointKpis(
        feasible=feasible,
        stranded_trips=0 if feasible else 1,
        energy_served_pct=100.0,
        charging_cost=cost,
        energy_cost=cost,
        demand_charge=0.0,
        peak_kw=peak,
        sites={"depot": SitePeak(peak_kw=peak, limit_kw=400.0)},
        mean_wait_min=1.0,
        max_wait_min=2.0,
        charger_utilisation={"dc": 0.5},
        installed_kw=installed,
    )


def dominated(a: PointKpis, b: PointKpis) -> bool:
    """b dominates a."""
    pairs = [
        (b.charging_cost, a.charging_cost),
        (b.peak_kw, a.peak_kw),
        (b.installed_kw, a.installed_kw),
    ]
    return all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


values = st.integers(0, 4).map(float)


@given(st.lists(st.tuples(values, values, values, st.booleans()), min_size=1, max_size=12))
def test_the_front_is_the_set_of_undominated_feasible_points(
    rows: list[tuple[float, float, float, bool]],
) -> None:
    points = [kpis(c, p, i, feasible=f) for c, p, i, f in rows]
    pool = [k for k in points if k.feasible] or points
    expected = [k in pool and not any(dominated(k, other) for other in pool) for k in points]
    assert pareto_front(points) == expected


def test_failed_points_are_rows_with_their_error_and_never_on_the_front() -> None:
    study = StudyRequest.model_validate({"grid": [{"path": "strategy", "values": ["a", "b"]}]})
    outcomes = [
        Outcome(Point(PointKey(1), {"strategy": "b"}), uuid.uuid4(), None, "JobLimitError: slow"),
        Outcome(Point(PointKey(0), {"strategy": "a"}), uuid.uuid4(), kpis(1, 1, 1)),
    ]
    result = study_result(study, uuid.uuid4(), outcomes)
    assert [p.grid_index for p in result.points] == [0, 1]
    assert result.points[1].status == "failed"
    assert result.points[1].error == "JobLimitError: slow"
    assert [p.pareto for p in result.points] == [True, False]
    assert result.points_failed == 1
    rows = list(csv.DictReader(io.StringIO(study_csv(result))))
    assert rows[0]["strategy"] == "a" and rows[0]["peak_kw[depot]"] == "1.0"
    assert rows[0]["utilisation[dc]"] == "0.5" and rows[0]["pareto"] == "true"
    assert rows[1]["error"] == "JobLimitError: slow" and rows[1]["charging_cost"] == ""
