"""The charts' numbers read a block at a time equal those of the envelope parsed whole,
and reading them never parses it whole."""

from datetime import datetime, timedelta

import numpy as np
import pytest
from report_runs import Run

from fleetsim.models import CanonicalResult
from fleetsim.plots import chart_pngs
from fleetsim.report.columns import Clock, binned, charger_stays, count_over_time, soc_grid
from fleetsim.report.inputs import figures_of


def fresh(run: Run) -> CanonicalResult:
    """The run's envelope with nothing parsed yet."""
    return CanonicalResult.from_json(run.result.json_bytes())


def open_at(starts: list[datetime], ends: list[datetime], moment: datetime) -> int:
    return sum(1 for start, end in zip(starts, ends, strict=True) if start <= moment < end)


def test_drawing_the_charts_never_parses_the_whole_envelope(week: Run) -> None:
    result = fresh(week)

    chart_pngs(result, figures_of(week.resolved))

    assert "data" not in result.__dict__


def test_queue_and_ports_in_use_equal_those_of_the_parsed_events(week: Run) -> None:
    result = fresh(week)
    start = result.metadata.horizon.start
    stays = charger_stays(result, Clock(start))
    events = week.result.data["charging_events"]
    queued_somewhere = False
    for charger_id, own in stays.items():
        rows = [e for e in events if e["charger_id"] == charger_id]
        arrived = [datetime.fromisoformat(e["arrived"]) for e in rows]
        plugged = [datetime.fromisoformat(e["plugged_in"]) for e in rows]
        ended = [datetime.fromisoformat(e["end"]) for e in rows]
        queued = own.queued()
        queue_h, queue = count_over_time(queued.arrived, queued.plugged_in)
        in_use_h, in_use = count_over_time(own.plugged_in, own.end)
        for hours in np.arange(0, 7 * 24, 0.25):
            moment = start + timedelta(hours=float(hours))
            at_queue = np.searchsorted(queue_h, hours, side="right") - 1
            at_use = np.searchsorted(in_use_h, hours, side="right") - 1
            assert queue[at_queue] == open_at(arrived, plugged, moment), (charger_id, hours)
            assert in_use[at_use] == open_at(plugged, ended, moment), (charger_id, hours)
        queued_somewhere |= bool(queue.max(initial=0) > 0)
    assert queued_somewhere  # the week queues, so the queue's counts were compared


def test_soc_grid_equals_the_parsed_series(week: Run) -> None:
    result = fresh(week)
    start = result.metadata.horizon.start

    grid = soc_grid(result, Clock(start))

    vehicles = [v.vehicle_id for v in result.metadata.vehicles]
    for point in week.result.data["time_series_data"]:
        hours = (datetime.fromisoformat(point["t"]) - start).total_seconds() / 3600
        [column] = np.flatnonzero(grid.hours == hours)
        row = vehicles.index(point["vehicle_id"])
        assert grid.soc_pct[row, column] == pytest.approx(point["soc"] * 100)
        assert grid.stranded[row, column] == (point["state"] == "stranded")
    assert grid.soc_pct.size == len(week.result.data["time_series_data"])


def test_a_step_function_per_bin_keeps_its_mean_and_its_highest_value() -> None:
    # 2 from hour 0, 5 from hour 1.5 (for half an hour), 1 from hour 2 to the end (4 h)
    bins = binned(np.array([0.0, 1.5, 2.0]), np.array([2.0, 5.0, 1.0]), 4.0, 2)

    assert bins.edges_h.tolist() == [0.0, 2.0, 4.0]
    assert bins.mean.tolist() == pytest.approx([(2 * 1.5 + 5 * 0.5) / 2, 1.0])
    assert bins.high.tolist() == [5.0, 1.0]


def test_changes_at_one_moment_count_once_made() -> None:
    # a port handed over at hour 2: one stay ends as the next begins, never two at once
    times, counts = count_over_time(np.array([1.0, 2.0]), np.array([2.0, 3.0]))

    assert times.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert counts.tolist() == [0.0, 1.0, 1.0, 0.0]
