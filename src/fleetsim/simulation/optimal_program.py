"""The linear program of one planning window of the `optimal` strategy, built as sparse
blocks of rows over numpy arrays.

Columns: grid power `x` (kW) per stay and step it holds a port in, the battery energy `e`
(kWh) at the start of each of those steps and after the last (between them it stands), per
stay a shortfall below the energy the next trips need (`strand`) and below the charge
target (`short`), and per site its peak kW.
Rows, each block from its own function: energy balance, the chain from one stay to the
vehicle's next, departures, the site limit, the charge curve's cuts, and the peak. Ports are
not in the program: each stay holds the port it was given, for the steps it holds it.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.simulation.linear_program import LinearProgram

QUARTER_HOUR_S = 900
"""Demand charges bill the highest average load of a clock quarter hour."""


@dataclass(frozen=True)
class WindowStays:
    """The stays within one window [first_step, end_step); arrays over them."""

    first_step: int
    end_step: int
    step_s: int
    count: NDArray[np.intp]
    """Steps it holds its port in within the window (0: none)."""
    x_step: NDArray[np.intp]
    """Those steps, ascending, stay after stay."""
    site: NDArray[np.intp]
    grid_max_kw: NDArray[np.float64]
    """Inlet limit over the charger's efficiency: the most it draws from the grid."""
    charger_efficiency: NDArray[np.float64]
    stored_per_grid_kwh: NDArray[np.float64]
    """Battery kWh per grid kWh: charger times battery efficiency."""
    capacity_kwh: NDArray[np.float64]
    start_kwh: NDArray[np.float64]
    """Battery energy on arrival (or at the window's start), NaN where it follows from
    `previous`."""
    previous: NDArray[np.intp]
    """The same vehicle's stay before it in this window, or -1."""
    trips_before_kwh: NDArray[np.float64]
    """Net energy of the trips from `previous` to this stay."""
    target_kwh: NDArray[np.float64]
    departs: NDArray[np.bool_]
    """It leaves (or the run ends) within the window."""
    target_due: NDArray[np.bool_]
    """Its target is asked for when it leaves."""
    leave_floor_kwh: NDArray[np.float64]
    """Leaving with less strands a later trip: the reserve plus the trips' deepest draw
    (-inf: no trip follows)."""
    price: NDArray[np.float64]
    """[stay, window step]: energy price per grid kWh."""
    cut_intercept_kw: NDArray[np.float64]
    """[stay, cut]: inlet kW <= intercept + slope * SoC (inf: no cut)."""
    cut_slope_kw: NDArray[np.float64]


@dataclass(frozen=True)
class Objective:
    """What the window minimises, per site; the shortfall penalties lie far above any price."""

    by_peak: bool
    """Minimise each site's step peak (kW), the bill only breaking ties; else the bill."""
    demand_charge_per_kw: NDArray[np.float64]
    """Per site, the demand charge of a kW on the window's 15-minute peak (cost objective)."""
    peak_floor_kw: NDArray[np.float64]
    """Per site, the peak the run already reached (15-minute for cost, step for peak)."""
    site_limit_kw: NDArray[np.float64]
    start_of_day_s: int
    """Seconds from local midnight to the horizon start (quarter hours are clock ones)."""


@dataclass(frozen=True)
class Layout:
    """Where each kind of column begins, and which stay and step each `x` belongs to."""

    x_stay: NDArray[np.intp]
    x_step: NDArray[np.intp]
    x_first: NDArray[np.intp]
    """Per stay, its first x column."""
    e_first: NDArray[np.intp]
    """Per stay, its first e column; its last is e_first + count."""
    strand: int
    short: int
    peak: int
    n_columns: int

    def e_at(self, x: NDArray[np.intp]) -> NDArray[np.intp]:
        """The e column at the start of each x column's step."""
        stay = self.x_stay[x]
        at: NDArray[np.intp] = self.e_first[stay] + (x - self.x_first[stay])
        return at


Block = tuple[
    NDArray[np.intp],
    NDArray[np.intp],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]
"""Rows of one kind: (row within the block, column, value) triplets, and each row's bounds."""


def layout(stays: WindowStays, n_sites: int) -> Layout:
    n_x = int(stays.count.sum())
    x_first = np.cumsum(stays.count) - stays.count
    x_stay = np.repeat(np.arange(len(stays.count)), stays.count)
    x_step = stays.x_step
    e_first = n_x + np.cumsum(stays.count + 1) - (stays.count + 1)
    n_e = n_x + len(stays.count)
    strand = n_x + n_e
    short = strand + len(stays.count)
    peak = short + len(stays.count)
    return Layout(x_stay, x_step, x_first, e_first, strand, short, peak, peak + n_sites)


def window_program(stays: WindowStays, objective: Objective) -> tuple[LinearProgram, Layout]:
    """The window's linear program and where its columns lie."""
    n_sites = len(objective.site_limit_kw)
    at = layout(stays, n_sites)
    blocks = [
        energy_balance(stays, at),
        stay_chain(stays, at),
        departures(stays, at),
        site_limits(stays, at, objective),
        charge_curve_cuts(stays, at),
        peaks(stays, at, objective),
    ]
    rows, columns, values, row_lower, row_upper = _stacked(blocks)
    lower, upper = column_bounds(stays, at, objective)
    program = LinearProgram(
        cost=column_costs(stays, at, objective),
        lower=lower,
        upper=upper,
        row_lower=row_lower,
        row_upper=row_upper,
        rows=rows,
        columns=columns,
        values=values,
    )
    return program, at


def energy_balance(stays: WindowStays, at: Layout) -> Block:
    """e[next] - e - (stored per grid kWh) * x * step_h = 0, per step on a port."""
    x = np.arange(len(at.x_stay))
    e = at.e_at(x)
    gain = stays.stored_per_grid_kwh[at.x_stay] * stays.step_s / 3600.0
    zero = np.zeros(len(x))
    return _block(
        np.tile(x, 3),
        np.concatenate([e + 1, e, x]),
        [np.ones(len(x)), -np.ones(len(x)), -gain],
        zero,
        zero,
    )


def stay_chain(stays: WindowStays, at: Layout) -> Block:
    """A stay whose arrival follows from the vehicle's previous one: it arrives with at most
    what the previous left with, less the trips between (plus any shortfall the trips were
    granted; the rest is lost to a full battery's regeneration or a stranding)."""
    chained = np.flatnonzero((stays.previous >= 0) & np.isnan(stays.start_kwh))
    before = stays.previous[chained]
    n = len(chained)
    rows = np.tile(np.arange(n), 3)
    columns = np.concatenate(
        [at.e_first[chained], at.e_first[before] + stays.count[before], at.strand + before]
    )
    values = [np.ones(n), -np.ones(n), -np.ones(n)]
    return _block(rows, columns, values, np.full(n, -np.inf), -stays.trips_before_kwh[chained])


def departures(stays: WindowStays, at: Layout) -> Block:
    """Leaving within the window: energy + strand shortfall >= what the next trips need, and
    where the target is due, energy + target shortfall >= the charge target."""
    needs = np.flatnonzero(stays.departs & np.isfinite(stays.leave_floor_kwh))
    leaving = np.flatnonzero(stays.departs & stays.target_due)
    last_e = at.e_first + stays.count
    n_needs, n_leaving = len(needs), len(leaving)
    rows = np.concatenate(
        [np.tile(np.arange(n_needs), 2), n_needs + np.tile(np.arange(n_leaving), 2)]
    )
    columns = np.concatenate(
        [last_e[needs], at.strand + needs, last_e[leaving], at.short + leaving]
    )
    lower = np.concatenate([stays.leave_floor_kwh[needs], stays.target_kwh[leaving]])
    return _block(rows, columns, [np.ones(len(rows))], lower, np.full(len(lower), np.inf))


def site_limits(stays: WindowStays, at: Layout, objective: Objective) -> Block:
    """Per site and step: the sum of x stays within the site's limit."""
    site = stays.site[at.x_stay]
    x = np.flatnonzero(np.isfinite(objective.site_limit_kw[site]))
    key = site[x] * (stays.end_step - stays.first_step) + at.x_step[x] - stays.first_step
    keys, row = np.unique(key, return_inverse=True)
    limit = objective.site_limit_kw[keys // max(stays.end_step - stays.first_step, 1)]
    return _block(row, x, [np.ones(len(x))], np.full(len(keys), -np.inf), limit)


def charge_curve_cuts(stays: WindowStays, at: Layout) -> Block:
    """Inlet power (x times the charger's efficiency) below each of the curve's lines in the
    SoC at the step's start: a concave curve is the least of its segments' lines."""
    parts: list[Block] = []
    offset = 0
    for cut in range(stays.cut_intercept_kw.shape[1]):
        x = np.flatnonzero(np.isfinite(stays.cut_intercept_kw[at.x_stay, cut]))
        stay = at.x_stay[x]
        slope = stays.cut_slope_kw[stay, cut] / stays.capacity_kwh[stay]
        n = len(x)
        rows = offset + np.tile(np.arange(n), 2)
        columns = np.concatenate([x, at.e_at(x)])
        values = np.concatenate([stays.charger_efficiency[stay], -slope])
        parts.append(
            (rows, columns, values, np.full(n, -np.inf), stays.cut_intercept_kw[stay, cut])
        )
        offset += n
    return _concatenated(parts)


def peaks(stays: WindowStays, at: Layout, objective: Objective) -> Block:
    """The peak column of each site at or above its load: every step's (peak objective) or
    every clock quarter hour's average (cost objective, where a demand charge applies)."""
    site = stays.site[at.x_stay]
    if objective.by_peak:
        x, period, weight = np.arange(len(site)), at.x_step, np.ones(len(site))
    else:
        charged = np.flatnonzero(objective.demand_charge_per_kw[site] > 0)
        x, period, weight = _quarter_hours(
            at.x_step[charged], stays.step_s, objective.start_of_day_s
        )
        x = charged[x]
    key_site = site[x]
    keys, row = np.unique(np.stack([key_site, period]), axis=1, return_inverse=True)
    row = row.reshape(-1)
    n_rows = keys.shape[1]
    rows = np.concatenate([row, np.arange(n_rows)])
    columns = np.concatenate([x, at.peak + keys[0]])
    values = np.concatenate([weight, -np.ones(n_rows)])
    return rows, columns, values, np.full(n_rows, -np.inf), np.zeros(n_rows)


def column_bounds(
    stays: WindowStays, at: Layout, objective: Objective
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """x within 0 and the grid maximum; e within 0 and the target (or a higher known start,
    which it keeps), a known start fixed; shortfalls non-negative; peaks at least the run's."""
    lower = np.zeros(at.n_columns)
    upper = np.full(at.n_columns, np.inf)
    n_x = len(at.x_stay)
    upper[:n_x] = stays.grid_max_kw[at.x_stay]
    known = ~np.isnan(stays.start_kwh)
    start_kwh = np.clip(np.nan_to_num(stays.start_kwh), 0.0, stays.capacity_kwh)
    ceiling = np.where(known, np.maximum(stays.target_kwh, start_kwh), stays.target_kwh)
    e_stay = np.repeat(np.arange(len(stays.count)), stays.count + 1)
    upper[n_x : at.strand] = ceiling[e_stay]
    lower[at.e_first[known]] = upper[at.e_first[known]] = start_kwh[known]
    lower[at.peak :] = objective.peak_floor_kw
    return lower, upper


def column_costs(stays: WindowStays, at: Layout, objective: Objective) -> NDArray[np.float64]:
    """Energy at its price (scaled far down under the peak objective), a tie-break a ten
    thousandth of the dearest price rising over the window (earlier is preferred), the peak,
    and shortfall penalties a hundredfold above what a kWh could save."""
    step_h = stays.step_s / 3600.0
    window = max(stays.end_step - stays.first_step, 1)
    price = stays.price[at.x_stay, at.x_step - stays.first_step]
    dearest = float(price.max(initial=0.0))
    energy_weight = 1e-6 / max(dearest, 1e-9) if objective.by_peak else 1.0
    tie = 1e-4 * max(energy_weight * dearest, 1e-6) * (at.x_step - stays.first_step) / window
    cost = np.zeros(at.n_columns)
    cost[: len(price)] = (energy_weight * price + tie) * step_h
    if objective.by_peak:
        cost[at.peak :] = 1.0
        most_per_kwh = energy_weight * dearest + 1.0 / step_h
    else:
        cost[at.peak :] = objective.demand_charge_per_kw
        most_per_kwh = dearest + 4.0 * float(objective.demand_charge_per_kw.max(initial=0.0))
    least_stored = float(stays.stored_per_grid_kwh.min(initial=1.0))
    short_penalty = 100.0 * (most_per_kwh + 1e-3) / least_stored
    cost[at.short : at.peak] = short_penalty
    cost[at.strand : at.short] = 100.0 * short_penalty
    return cost


def _quarter_hours(
    steps: NDArray[np.intp], step_s: int, start_of_day_s: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """For each step, the clock quarter hours it overlaps: (index into `steps`, quarter,
    share of the quarter the step covers)."""
    t0 = steps * step_s + start_of_day_s
    t1 = t0 + step_s
    first_quarter = t0 // QUARTER_HOUR_S
    index, quarter, weight = [], [], []
    for shift in range(-(-step_s // QUARTER_HOUR_S) + 1):
        q = first_quarter + shift
        overlap = np.minimum(t1, (q + 1) * QUARTER_HOUR_S) - np.maximum(t0, q * QUARTER_HOUR_S)
        on = np.flatnonzero(overlap > 0)
        index.append(on)
        quarter.append(q[on])
        weight.append(overlap[on] / QUARTER_HOUR_S)
    return np.concatenate(index), np.concatenate(quarter), np.concatenate(weight).astype(np.float64)


def _block(
    rows: NDArray[np.intp],
    columns: NDArray[np.intp],
    values: list[NDArray[np.float64]],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> Block:
    return rows, columns.astype(np.intp), np.concatenate(values), lower, upper


def _concatenated(parts: list[Block]) -> Block:
    """Blocks whose row numbers already run on from each other, as one."""
    if not parts:
        empty = np.zeros(0)
        return np.zeros(0, np.intp), np.zeros(0, np.intp), empty, empty, empty
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
        np.concatenate([p[4] for p in parts]),
    )


def _stacked(blocks: list[Block]) -> Block:
    """Blocks one below the other: each one's rows numbered after the previous one's."""
    offset = 0
    shifted: list[Block] = []
    for rows, columns, values, lower, upper in blocks:
        shifted.append((rows + offset, columns, values, lower, upper))
        offset += len(lower)
    return _concatenated(shifted)
