"""Energy prices per simulation step, and the price ranks the time-of-use strategy plans with."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from functools import partial

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ChargerSpec, SiteSpec, Tariff
from fleetsim.models.charger import ALL_WEEKDAYS


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
    tariff: Tariff, start: datetime, step_s: int, n_steps: int
) -> NDArray[np.float64]:
    """Price of `tariff` at each step's start, in local time; first matching window wins."""
    t_s = np.arange(n_steps) * step_s + (start.hour * 3600 + start.minute * 60 + start.second)
    minute = (t_s // 60) % 1440
    weekday = (start.weekday() + t_s // 86_400) % 7
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
    start: datetime,
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
            prices = partial(tariff_prices, tariffs[tariff_id], start, step_s, n_steps)
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
