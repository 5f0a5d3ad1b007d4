"""The horizon's local clock: elapsed seconds from the start and the local wall time they
show, across daylight-saving changes when the horizon names a time zone.

A run counts time in seconds elapsed since `horizon.start` (its steps, trips, events). What
people read and schedule is local wall time: a 06:00 departure, a tariff's evening window, a
month's demand peak, the times in the result. With a fixed offset (a start like
`2026-03-02T00:00:00+01:00` and no `timezone`) the two differ by a constant; with an IANA
zone (`Europe/Berlin`) the local clock jumps an hour forward in spring and back in autumn.
Zone offsets are read from the tz database at quarter-hour resolution, where every offset
change of the current database falls.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import Horizon

OFFSET_GRID_S = 900
"""Offsets are sampled every quarter hour of elapsed time to find their changes."""
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class LocalClock:
    """Elapsed seconds from the horizon's start to local wall time and back."""

    start: datetime
    """The horizon's start, in the local zone."""
    zone: tzinfo
    span_s: int
    """Elapsed seconds the clock must cover (the horizon and a margin for late trips)."""

    @classmethod
    def of(cls, horizon: Horizon, extra_days: int = 2) -> "LocalClock":
        zone = ZoneInfo(horizon.timezone) if horizon.timezone else horizon.start.tzinfo
        assert zone is not None  # an AwareDatetime
        start = horizon.start.astimezone(zone) if horizon.timezone else horizon.start
        return cls(start, zone, (horizon.days + extra_days) * SECONDS_PER_DAY)

    @property
    def fixed(self) -> bool:
        """The offset never changes (no zone, or one without changes in the span)."""
        return len(self._changes[0]) == 0

    @cached_property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @cached_property
    def _changes(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """Elapsed seconds at which the offset changes, and the offset change from the start's
        (seconds) from each on."""
        if not isinstance(self.zone, ZoneInfo):
            return np.zeros(0), np.zeros(0, dtype=np.int64)
        grid = np.arange(0, self.span_s + OFFSET_GRID_S, OFFSET_GRID_S)
        offsets = np.array(
            [self._offset_s(self.start_utc + timedelta(seconds=int(t))) for t in grid],
            dtype=np.int64,
        )
        changed = np.flatnonzero(np.diff(offsets)) + 1
        return grid[changed].astype(np.float64), offsets[changed] - offsets[0]

    def _offset_s(self, moment: datetime) -> int:
        offset = moment.astimezone(self.zone).utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0

    def offset_change_s(self, t_s: NDArray[Any]) -> NDArray[np.int64]:
        """The local offset at elapsed `t_s` less the start's, seconds (0 for a fixed one)."""
        at, change = self._changes
        if not len(at):
            return np.zeros(np.shape(t_s), dtype=np.int64)
        steps = np.concatenate([[0], change])
        result: NDArray[np.int64] = steps[np.searchsorted(at, t_s, side="right")]
        return result

    def wall_s(self, t_s: NDArray[Any]) -> NDArray[Any]:
        """Local wall-clock seconds since the start day's local midnight at elapsed `t_s`."""
        start_tod_s = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        if self.fixed:
            return t_s + start_tod_s
        return t_s + start_tod_s + self.offset_change_s(t_s)

    def elapsed_s(self, day: NDArray[np.intp], tod_s: int) -> NDArray[np.float64]:
        """Elapsed seconds at wall time `tod_s` (seconds after local midnight) of each day
        after the start day. A wall time that a spring change skips is read with the offset
        before the change (an hour later in the new time), one that an autumn change repeats
        as its first occurrence, as Python's `zoneinfo` does (fold=0)."""
        start_tod_s = self.start.hour * 3600 + self.start.minute * 60 + self.start.second
        naive = (day * SECONDS_PER_DAY + tod_s - start_tod_s).astype(np.float64)
        if self.fixed:
            return naive
        # Away from an offset change the wall time is off by the offset change there; within a
        # day of one, each is converted through the tz database.
        result = naive - self.offset_change_s(naive)
        at, _ = self._changes
        near = np.abs(naive[:, None] - at[None, :]).min(axis=1) < SECONDS_PER_DAY
        first = self.start.date()
        for i in np.flatnonzero(near).tolist():
            local = datetime.combine(first + timedelta(days=int(day[i])), datetime.min.time())
            moment = (local + timedelta(seconds=tod_s)).replace(tzinfo=self.zone)
            result[i] = (moment - self.start_utc).total_seconds()
        return result

    def moments(self, t_s: list[float]) -> list[datetime]:
        """Local datetimes at elapsed seconds `t_s`."""
        if self.fixed:
            return [self.start + timedelta(seconds=s) for s in t_s]
        return [(self.start_utc + timedelta(seconds=s)).astimezone(self.zone) for s in t_s]

    def local_times(
        self, t_s: NDArray[np.float64]
    ) -> tuple[NDArray[np.datetime64], NDArray[np.int64]]:
        """`moments(t_s)` as arrays: each moment's local wall time (to the microsecond, as
        `timedelta(seconds=s)` rounds) and its UTC offset in seconds."""
        us = _timedelta_us(t_s)
        change_s = self.offset_change_s(us // 1_000_000)
        naive = np.datetime64(self.start.replace(tzinfo=None), "us")
        local = naive + (us + change_s * 1_000_000).astype("timedelta64[us]")
        start_offset = self.start.utcoffset()
        assert start_offset is not None
        return local, int(start_offset.total_seconds()) + change_s


def offset_text(offset_s: int) -> str:
    """A UTC offset as pydantic writes it: `Z`, or `+HH:MM`."""
    if offset_s == 0:
        return "Z"
    sign = "+" if offset_s > 0 else "-"
    minutes = abs(offset_s) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _timedelta_us(seconds: NDArray[np.float64]) -> NDArray[np.int64]:
    """Whole microseconds of `timedelta(seconds=s)` for each s >= 0, rounded as CPython
    rounds them: the integer seconds exactly, the fraction's microseconds truncated, and
    what is left rounded half to even on the total."""
    whole = np.trunc(seconds)
    fraction_us = (seconds - whole) * 1e6
    truncated = np.trunc(fraction_us)
    left = fraction_us - truncated
    total = whole.astype(np.int64) * 1_000_000 + truncated.astype(np.int64)
    up = (left > 0.5) | ((left == 0.5) & (total % 2 == 1))
    result: NDArray[np.int64] = total + up
    return result
