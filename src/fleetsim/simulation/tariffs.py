"""Energy prices per simulation step, the price ranks the time-of-use strategy plans with, and
demand charges on each site's peak."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ChargerSpec, SiteSpec, Tariff
from fleetsim.models.charger import ALL_WEEKDAYS
from fleetsim.simulation.local_time import LocalClock


@dataclass(frozen=True)
class PriceTable:
    """`price[row, k]` per kWh from the grid at step k; one row per tariff or flat price."""

    names: list[str]
    currency: str
    price: NDArray[np.float64]
    level: NDArray[np.intp]
    cheaper_steps: NDArray[np.int64]
    """cheaper_steps[row, lvl, j]: steps i < j whose level is below lvl."""


def _minute(t: time) -> int:
    return t.hour * 60 + t.minute


def tariff_prices(
    tariff: Tariff, clock: LocalClock, step_s: int, n_steps: int
) -> NDArray[np.float64]:
    """Price of `tariff` at each step's start, in local time; first matching window wins."""
    t_s = clock.wall_s(np.arange(n_steps) * step_s)
    minute = (t_s // 60) % 1440
    weekday = (clock.start.weekday() + t_s // 86_400) % 7
    price = np.full(n_steps, tariff.default_price_per_kwh)
    for window in reversed(tariff.windows):
        begin, end = _minute(window.start), _minute(window.end) or 1440
        in_time = (
            (minute >= begin) & (minute < end)
            if begin < end
            else ((minute >= begin) | (minute < end))
        )
        days = [ALL_WEEKDAYS.index(d) for d in window.weekdays]
        price[in_time & np.isin(weekday, days)] = window.price_per_kwh
    return price


def charger_price_rows(
    chargers: list[ChargerSpec],
    sites: dict[str, SiteSpec],
    tariffs: dict[str, Tariff],
    clock: LocalClock,
    step_s: int,
    n_steps: int,
) -> tuple[PriceTable, NDArray[np.intp], list[str]]:
    """Price table, each charger's row in it, and warnings for chargers with no price."""
    names: list[str] = []
    rows: list[NDArray[np.float64]] = []
    charger_row = np.zeros(len(chargers), dtype=np.intp)
    warnings: list[str] = []
    currencies = sorted({t.currency for t in tariffs.values()})

    def row_of(name: str, make: Callable[[], NDArray[np.float64]]) -> int:
        """The row of `name`, made on first use: chargers mostly share a few tariffs."""
        if name not in names:
            names.append(name)
            rows.append(make())
        return names.index(name)

    for i, charger in enumerate(chargers):
        tariff_id = charger.tariff or sites[charger.site].tariff
        if charger.price_per_kwh is not None:
            flat = partial(np.full, n_steps, charger.price_per_kwh)
            charger_row[i] = row_of(f"flat:{charger.id}", flat)
        elif tariff_id is not None:
            prices = partial(tariff_prices, tariffs[tariff_id], clock, step_s, n_steps)
            charger_row[i] = row_of(tariff_id, prices)
        else:
            warnings.append(f"charger {charger.id} has no price or tariff: its energy costs 0")
            charger_row[i] = row_of("unpriced", partial(np.zeros, n_steps))
    if len(currencies) > 1:
        warnings.append(f"tariffs mix currencies {currencies}: costs are summed as given")

    price = np.vstack(rows) if rows else np.zeros((0, n_steps))
    levels, level = np.unique(price, return_inverse=True)
    level = level.reshape(price.shape).astype(np.intp)
    cheaper = np.zeros((len(rows), len(levels), n_steps + 1), dtype=np.int64)
    for lvl in range(len(levels)):
        np.cumsum(level < lvl, axis=1, out=cheaper[:, lvl, 1:])
    table = PriceTable(names, currencies[0] if currencies else "EUR", price, level, cheaper)
    return table, charger_row, warnings


DEMAND_INTERVAL_S = 900
"""Demand charges bill the highest average load over a 15-minute interval of the clock (the
metering period of German RLM and most US utility demand tariffs)."""


@dataclass(frozen=True)
class DemandCharges:
    """Per site: the highest 15-minute average load of the run (kW) and its demand charge."""

    peak_15min_kw: NDArray[np.float64]
    charge: NDArray[np.float64]


def demand_charges(
    load_kw: NDArray[np.float64],
    clock: LocalClock,
    step_s: int,
    horizon_days: int,
    charge_per_kw: NDArray[np.float64],
) -> DemandCharges:
    """Each site's (`load_kw[step, site]`, constant within a step) peak 15-minute average per
    calendar month in local time, times `charge_per_kw`, prorated by the share of the month
    the horizon covers so a week carries a week's share of its month's bill."""
    n_steps, n_sites = load_kw.shape
    if n_steps == 0 or n_sites == 0:
        return DemandCharges(np.zeros(n_sites), np.zeros(n_sites))
    start = clock.start
    end_s = n_steps * step_s
    start_tod_s = start.hour * 3600 + start.minute * 60 + start.second
    first_s = -start_tod_s % DEMAND_INTERVAL_S
    bounds = np.unique(
        np.concatenate([[0], np.arange(first_s, end_s, DEMAND_INTERVAL_S), [end_s]])
    ).astype(np.float64)
    cumulative_kwh = np.zeros((n_steps + 1, n_sites))
    np.cumsum(load_kw * (step_s / 3600.0), axis=0, out=cumulative_kwh[1:])
    step_times = np.arange(n_steps + 1) * float(step_s)
    at_bounds = np.column_stack(
        [np.interp(bounds, step_times, cumulative_kwh[:, s]) for s in range(n_sites)]
    )
    average_kw = np.diff(at_bounds, axis=0) / (DEMAND_INTERVAL_S / 3600.0)
    # Local quarter hours are quarter hours of elapsed time too: offsets change by quarters.
    day = (clock.wall_s(bounds[:-1]) // 86_400).astype(np.intp)
    first_day = start.date()
    months = [(first_day + timedelta(days=d)).replace(day=1) for d in range(int(day[-1]) + 1)]
    month_of_interval = np.array([m.toordinal() for m in months])[day]
    keys, first_interval = np.unique(month_of_interval, return_index=True)
    peak_per_month = np.maximum.reduceat(average_kw, first_interval, axis=0)
    horizon_end = clock.moments([float(horizon_days * 86_400)])[0]
    share = np.array([month_share(date.fromordinal(int(m)), start, horizon_end) for m in keys])
    return DemandCharges(
        peak_15min_kw=peak_per_month.max(axis=0),
        charge=(peak_per_month * share[:, None]).sum(axis=0) * charge_per_kw,
    )


def month_share(month: date, start: datetime, end: datetime) -> float:
    """The share of the calendar `month` (local time) that [start, end) covers."""
    month_start = datetime(month.year, month.month, 1, tzinfo=start.tzinfo)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    # In UTC: aware datetimes of one zone subtract as wall times, an hour off across DST.
    month_start, next_month = month_start.astimezone(UTC), next_month.astimezone(UTC)
    covered = min(end, next_month) - max(start.astimezone(UTC), month_start)
    return max(covered.total_seconds(), 0.0) / (next_month - month_start).total_seconds()
