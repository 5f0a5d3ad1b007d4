"""Where a chart's time axis gets a label, chosen by the horizon's length so a day shows
hours and a year months, at most about 15 labels either way."""

from datetime import datetime, timedelta

TICKS_MAX = 15
"""Labels on a time axis, at most."""

_EVERY_H = ((2, 6, "%a %H:%M"), (14, 24, "%a %d %b"), (98, 7 * 24, "%a %d %b"))
"""(up to this many days, a label every so many hours, its format): hours for a day or
two, days up to two weeks, weeks up to 14 weeks; beyond, the first of each month."""


def time_ticks(start: datetime, days: int) -> tuple[list[float], list[str]]:
    """Hours from `start` of each label on a `days`-long axis, and the labels (local time)."""
    for up_to_days, every_h, form in _EVERY_H:
        if days <= up_to_days:
            hours = list(range(0, days * 24 + 1, every_h))
            return [float(h) for h in hours], [_label(start, h, form) for h in hours]
    return _month_ticks(start, days)


def _month_ticks(start: datetime, days: int) -> tuple[list[float], list[str]]:
    """The first of each month (every n-th month for long horizons) inside the horizon."""
    end = start + timedelta(days=days)
    firsts = []
    month = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while month <= end:
        if month >= start:
            firsts.append(month)
        month = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
    step = -(-len(firsts) // TICKS_MAX)  # ceiling division
    chosen = firsts[::step]
    hours = [(first - start).total_seconds() / 3600 for first in chosen]
    return hours, [first.strftime("%b %Y") for first in chosen]


def _label(start: datetime, hours: int, form: str) -> str:
    return (start + timedelta(hours=hours)).strftime(form)
