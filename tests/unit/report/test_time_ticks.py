"""A time axis labels hours, days, weeks or months by the horizon's length, never more
than TICKS_MAX labels."""

from datetime import datetime, timedelta, timezone

import pytest

from fleetsim.report.time_ticks import TICKS_MAX, time_ticks

START = datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=1)))


@pytest.mark.parametrize(
    ("days", "every_h"), [(1, 6), (2, 6), (3, 24), (14, 24), (15, 168), (98, 168)]
)
def test_short_horizons_are_labelled_every_few_hours_days_or_weeks(days: int, every_h: int) -> None:
    hours, labels = time_ticks(START, days)

    assert hours == [float(h) for h in range(0, days * 24 + 1, every_h)]
    assert len(labels) == len(hours) <= TICKS_MAX


def test_a_day_shows_hours_and_a_week_days() -> None:
    assert time_ticks(START, 1)[1][1] == "Mon 06:00"
    assert time_ticks(START, 7)[1][:2] == ["Mon 02 Mar", "Tue 03 Mar"]


def test_a_year_is_labelled_on_the_first_of_each_month() -> None:
    hours, labels = time_ticks(START, 365)

    assert labels[0] == "Apr 2026"
    assert labels[-1] == "Mar 2027"
    assert len(labels) == 12
    first_of_april = datetime(2026, 4, 1, tzinfo=START.tzinfo)
    assert hours[0] == (first_of_april - START).total_seconds() / 3600


@pytest.mark.parametrize("days", [99, 200, 365, 730, 3650])
def test_long_horizons_never_get_more_than_the_most_labels(days: int) -> None:
    hours, labels = time_ticks(START, days)

    assert 1 < len(labels) <= TICKS_MAX
    assert all(0 <= h <= days * 24 for h in hours)
