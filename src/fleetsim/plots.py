"""PNG charts of a result: SoC over the fleet, site load against its limit, charger use.

Built from a result's row parts read a block at a time into numpy columns
(`report.columns`), never the envelope parsed whole, so a year of 1,000 vehicles draws in
bounded memory; a long horizon's million steps are drawn per bin of the horizon. Drawn with
matplotlib's object API, not pyplot: no global state, so the API can draw in a thread.
Imported only when charts are asked for: matplotlib is slow to import.
"""

import io
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from fleetsim.models import CanonicalResult, Metadata, VehicleSummary
from fleetsim.report.columns import (
    Clock,
    Floats,
    Stays,
    binned,
    charger_stays,
    count_over_time,
    site_loads,
    soc_grid,
)
from fleetsim.report.inputs import InputFigures
from fleetsim.report.time_ticks import time_ticks

SOC_LINES_UP_TO = 12
"""Up to this many vehicles each SoC gets its own line and colour; above, a percentile band."""
LINE_COLOURS = (
    *("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"),
    *("#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000", "#e6ab02"),
)
"""Twelve distinguishable colours: matplotlib's tab10, black and a dark yellow."""
CHARGER_ROWS_MAX = 60
"""The charger chart shows at most this many chargers, most used first (the report's table
lists all): a row per charger keeps the image bounded whatever the request."""
QUEUE_BARS_UP_TO = 100
"""Up to this many queued stays a charger's row shows each wait as a red bar; above, the
queue's length over time (a bar each would be a red smear for a year)."""
STEPS_DRAWN_UP_TO = 2000
"""A step function with more changes than this is drawn per bin of the horizon (its mean
and its highest value in each), not step by step: the image has about 1,000 pixel columns."""
BINS = 500
DPI = 110


def soc_chart(result: CanonicalResult, figures: InputFigures) -> Figure:
    """SoC (%) over time: one line per vehicle up to SOC_LINES_UP_TO, else the fleet's
    min/p10/median/p90/max band and its lowest vehicle; reserve lines and stranded moments."""
    meta = result.metadata
    clock = Clock(meta.horizon.start)
    vehicle_ids = [v.vehicle_id for v in meta.vehicles]
    grid = soc_grid(result, clock)
    fig = Figure(figsize=(13, 5))
    ax = fig.subplots()
    if len(vehicle_ids) <= SOC_LINES_UP_TO:
        for row, vehicle_id in enumerate(vehicle_ids):
            colour = LINE_COLOURS[row % len(LINE_COLOURS)]
            ax.plot(grid.hours, grid.soc_pct[row], linewidth=1.0, color=colour, label=vehicle_id)
        what = "per vehicle"
    else:
        _soc_band(ax, grid.hours, grid.soc_pct, vehicle_ids)
        what = f"of {len(vehicle_ids)} vehicles (band: min-max, p10-p90, median)"
    _reserve_lines(ax, meta.vehicles, figures)
    _stranded_marks(ax, grid.hours, grid.soc_pct, grid.stranded)
    ax.set_ylabel("state of charge, %")
    ax.set_ylim(0, 100)
    ax.set_title(f"SoC {what}: {_title(meta)}")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0))
    _time_axis(ax, clock.start, meta.horizon.days)
    return fig


def _soc_band(
    ax: Axes, hours: NDArray[np.float64], soc_pct: NDArray[np.float64], vehicle_ids: list[str]
) -> None:
    low, p10, median, p90, high = np.nanpercentile(soc_pct, [0, 10, 50, 90, 100], axis=0)
    ax.fill_between(hours, low, high, color="#9ecae1", alpha=0.5, linewidth=0, label="min-max")
    ax.fill_between(hours, p10, p90, color="#3182bd", alpha=0.55, linewidth=0, label="p10-p90")
    ax.plot(hours, median, color="#08306b", linewidth=1.2, label="median")
    lowest = int(np.nanargmin(np.nanmin(soc_pct, axis=1)))
    ax.plot(
        hours,
        soc_pct[lowest],
        color="#e6550d",
        linewidth=0.8,
        label=f"lowest: {vehicle_ids[lowest]}",
    )


def _reserve_lines(ax: Axes, vehicles: list[VehicleSummary], figures: InputFigures) -> None:
    """A dashed line at each reserve SoC the fleet's types keep, naming the types."""
    types_by_reserve: dict[float, set[str]] = defaultdict(set)
    for vehicle in vehicles:
        reserve = figures.reserve_soc.get(vehicle.type)
        if reserve is not None:
            types_by_reserve[reserve].add(vehicle.type)
    for reserve, types in sorted(types_by_reserve.items()):
        names = sorted(types)
        shown = ", ".join(names[:3]) + (f" +{len(names) - 3}" if len(names) > 3 else "")
        ax.axhline(
            reserve * 100,
            color="#a50f15",
            linestyle="--",
            linewidth=0.9,
            label=f"reserve {reserve:.0%} ({shown})",
        )


def _stranded_marks(
    ax: Axes,
    hours: NDArray[np.float64],
    soc_pct: NDArray[np.float64],
    stranded: NDArray[np.bool_],
) -> None:
    """A red cross where a vehicle becomes stranded (the first sample of each stranding)."""
    began = stranded & ~np.pad(stranded, ((0, 0), (1, 0)))[:, :-1]
    rows, columns = np.nonzero(began)
    if len(rows):
        ax.scatter(
            hours[columns],
            soc_pct[rows, columns],
            marker="x",
            s=40,
            color="#cb181d",
            zorder=5,
            label=f"stranded ({len(set(rows.tolist()))} vehicles)",
        )


def site_load_chart(result: CanonicalResult, figures: InputFigures) -> Figure:
    """Grid power (kW) per site with a load, each beside its dashed limit; a long horizon
    per bin: the highest step of each (against the limit) and the bin's mean."""
    meta = result.metadata
    clock = Clock(meta.horizon.start)
    horizon_h = meta.horizon.days * 24.0
    fig = Figure(figsize=(12, 4))
    ax = fig.subplots()
    for site, (hours, kws) in sorted(site_loads(result, clock).items()):
        if not kws.any():
            continue
        if len(hours) <= STEPS_DRAWN_UP_TO:
            line = ax.step(hours, kws, where="post", linewidth=1.0, label=f"{site} load")
        else:
            bins = binned(hours, kws, horizon_h, BINS)
            every = _duration(horizon_h / BINS)
            line = ax.step(
                bins.edges_h,
                np.append(bins.high, bins.high[-1]),
                where="post",
                linewidth=0.8,
                label=f"{site} load, highest step of each {every}",
            )
            ax.plot(
                (bins.edges_h[:-1] + bins.edges_h[1:]) / 2,
                bins.mean,
                color=line[0].get_color(),
                alpha=0.5,
                linewidth=0.8,
                label=f"{site} load, mean of each {every}",
            )
        limit = meta.kpis.sites[site].site_power_limit_kw
        if limit is not None:
            ax.axhline(limit, color=line[0].get_color(), linestyle="--", label=f"{site} limit")
    ax.set_ylabel("grid power, kW")
    ax.set_title(f"Site load: {_title(meta)}")
    ax.legend(fontsize=8, loc="upper right")
    _time_axis(ax, clock.start, meta.horizon.days)
    return fig


def charger_chart(result: CanonicalResult, figures: InputFigures) -> Figure:
    """Every charger, idle ones too, as a row: its ports as a grey band, the share of them in
    use filled over it, red above it while vehicles queue (a bar per wait, or the queue's
    length when there are many)."""
    meta = result.metadata
    clock = Clock(meta.horizon.start)
    horizon_h = meta.horizon.days * 24.0
    utilisation = meta.kpis.charger_utilisation
    shown = sorted(utilisation, key=lambda c: (-utilisation[c], c))[:CHARGER_ROWS_MAX]
    chargers = sorted(shown, reverse=True)  # drawn bottom-up: the first id on top
    stays = charger_stays(result, clock)
    no_stays = Stays(np.zeros(0), np.zeros(0), np.zeros(0))
    fig = Figure(figsize=(12, max(3.0, 0.5 * len(chargers) + 1.6)))
    ax = fig.subplots()
    labels = []
    for row, charger_id in enumerate(chargers):
        own = stays.get(charger_id, no_stays)
        in_use_h, in_use = count_over_time(own.plugged_in, own.end)
        ports = figures.ports.get(charger_id)
        scale = ports or max(in_use.max(initial=0.0), 1.0)
        ax.broken_barh([(0.0, horizon_h)], (row - 0.4, 0.6), color="#eeeeee")
        _step_fill(ax, in_use_h, in_use / scale, horizon_h, row - 0.4, 0.6, "#3182bd")
        queued = own.queued()
        queue_h, queue = count_over_time(queued.arrived, queued.plugged_in)
        if len(queued.arrived) <= QUEUE_BARS_UP_TO:
            waits = list(zip(queued.arrived, queued.plugged_in - queued.arrived, strict=True))
            ax.broken_barh(waits, (row + 0.22, 0.14), color="#cb181d")
        else:
            _step_fill(ax, queue_h, queue / queue.max(), horizon_h, row + 0.2, 0.18, "#cb181d")
        port_text = f"{ports} port{'s' if ports != 1 else ''}" if ports else "ports unknown"
        queue_text = f", up to {queue.max():.0f} queued" if len(queued.arrived) else ""
        labels.append(
            f"{charger_id}\n{port_text}, {utilisation[charger_id]:.0%} in use{queue_text}"
        )
    ax.set_yticks(range(len(chargers)), labels, fontsize=8)
    ax.set_ylim(-0.7, len(chargers) - 0.3)
    hidden = len(utilisation) - len(chargers)
    more = f" ({hidden} less used chargers not shown)" if hidden else ""
    ax.set_title(
        f"Chargers: ports in use (blue share of the grey band), queueing (red): "
        f"{_title(meta)}{more}",
        fontsize=10,
    )
    _time_axis(ax, clock.start, meta.horizon.days)
    return fig


def _step_fill(
    ax: Axes,
    times_h: Floats,
    share: Floats,
    horizon_h: float,
    bottom: float,
    height: float,
    colour: str,
) -> None:
    """A step function of 0-1 filled from `bottom` up to `height`; with many steps, each
    bin's mean filled and its highest value as a thin line over it."""
    if len(times_h) <= STEPS_DRAWN_UP_TO:
        top = bottom + height * share
        ax.fill_between(times_h, bottom, top, step="post", color=colour, linewidth=0)
        return
    bins = binned(times_h, share, horizon_h, BINS)
    mean, high = np.append(bins.mean, bins.mean[-1]), np.append(bins.high, bins.high[-1])
    ax.fill_between(
        bins.edges_h, bottom, bottom + height * mean, step="post", color=colour, linewidth=0
    )
    ax.step(bins.edges_h, bottom + height * high, where="post", color=colour, linewidth=0.5)


def _duration(hours: float) -> str:
    return f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"


CHARTS: dict[str, Callable[[CanonicalResult, InputFigures], Figure]] = {
    "soc.png": soc_chart,
    "site_load.png": site_load_chart,
    "charger_occupancy.png": charger_chart,
}
"""Each chart's file name and how it is drawn."""


def chart_pngs(result: CanonicalResult, figures: InputFigures) -> dict[str, bytes]:
    """Every chart as PNG bytes, by file name (the same bytes for the same result)."""
    return {name: _png(draw(result, figures)) for name, draw in CHARTS.items()}


def write_plots(result: CanonicalResult, figures: InputFigures, out_dir: Path) -> list[Path]:
    """Write soc.png, site_load.png and charger_occupancy.png into `out_dir`."""
    paths = []
    for name, png in chart_pngs(result, figures).items():
        path = out_dir / name
        path.write_bytes(png)
        paths.append(path)
    return paths


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _title(meta: Metadata) -> str:
    return f"{meta.scenario} ({meta.strategy})"


def _time_axis(ax: Axes, start: datetime, days: int) -> None:
    ax.set_xticks(*time_ticks(start, days))
    ax.set_xlim(0, days * 24)
    ax.set_xlabel(f"local time from {start.isoformat()}")
    ax.grid(alpha=0.3)
