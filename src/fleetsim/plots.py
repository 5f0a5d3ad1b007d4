"""PNG charts of a result: SoC over the fleet, site load against its limit, charger use.

Built from the envelope's canonical data (no model object per row, so 500 vehicles draw in
seconds) with matplotlib's object API, not pyplot: no global state, so the API can draw in
a thread. Imported only when charts are asked for: matplotlib is slow to import.
"""

import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import NDArray

from fleetsim.report.inputs import InputFigures

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
DPI = 110

Data = Mapping[str, Any]
"""A result envelope's canonical data (`CanonicalResult.data`)."""


class _Clock:
    """Envelope timestamps (ISO 8601 text) as hours from the horizon's start, each parsed once."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._hours: dict[str, float] = {}

    def hours(self, texts: Iterable[str]) -> NDArray[np.float64]:
        values = []
        for text in texts:
            hours = self._hours.get(text)
            if hours is None:
                hours = (datetime.fromisoformat(text) - self.start).total_seconds() / 3600
                self._hours[text] = hours
            values.append(hours)
        return np.array(values, dtype=float)


def soc_chart(data: Data, figures: InputFigures) -> Figure:
    """SoC (%) over time: one line per vehicle up to SOC_LINES_UP_TO, else the fleet's
    min/p10/median/p90/max band and its lowest vehicle; reserve lines and stranded moments."""
    meta = data["metadata"]
    clock = _Clock(datetime.fromisoformat(meta["horizon"]["start"]))
    vehicle_ids = [v["vehicle_id"] for v in meta["vehicles"]]
    hours, soc_pct, stranded = _soc_grid(data["time_series_data"], vehicle_ids, clock)
    fig = Figure(figsize=(13, 5))
    ax = fig.subplots()
    if len(vehicle_ids) <= SOC_LINES_UP_TO:
        for row, vehicle_id in enumerate(vehicle_ids):
            colour = LINE_COLOURS[row % len(LINE_COLOURS)]
            ax.plot(hours, soc_pct[row], linewidth=1.0, color=colour, label=vehicle_id)
        what = "per vehicle"
    else:
        _soc_band(ax, hours, soc_pct, vehicle_ids)
        what = f"of {len(vehicle_ids)} vehicles (band: min-max, p10-p90, median)"
    _reserve_lines(ax, meta["vehicles"], figures)
    _stranded_marks(ax, hours, soc_pct, stranded)
    ax.set_ylabel("state of charge, %")
    ax.set_ylim(0, 100)
    ax.set_title(f"SoC {what}: {_title(meta)}")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.005, 1.0))
    _time_axis(ax, clock.start, meta["horizon"]["days"])
    return fig


def _soc_grid(
    points: list[Mapping[str, Any]], vehicle_ids: list[str], clock: _Clock
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Hours of each sample, and [vehicles, samples] SoC in % and `stranded` flags."""
    row_of = {vehicle_id: row for row, vehicle_id in enumerate(vehicle_ids)}
    column_of: dict[str, int] = {}
    rows = np.fromiter((row_of[p["vehicle_id"]] for p in points), np.intp, len(points))
    columns = np.fromiter((column_of.setdefault(p["t"], len(column_of)) for p in points), np.intp)
    soc = np.full((len(vehicle_ids), len(column_of)), np.nan)
    soc[rows, columns] = np.fromiter((p["soc"] for p in points), float, len(points)) * 100
    stranded = np.zeros(soc.shape, dtype=bool)
    stranded[rows, columns] = [p["state"] == "stranded" for p in points]
    hours = clock.hours(column_of)
    order = np.argsort(hours, kind="stable")
    return hours[order], soc[:, order], stranded[:, order]


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


def _reserve_lines(ax: Axes, vehicles: list[Mapping[str, Any]], figures: InputFigures) -> None:
    """A dashed line at each reserve SoC the fleet's types keep, naming the types."""
    types_by_reserve: dict[float, set[str]] = defaultdict(set)
    for vehicle in vehicles:
        reserve = figures.reserve_soc.get(vehicle["type"])
        if reserve is not None:
            types_by_reserve[reserve].add(vehicle["type"])
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


def site_load_chart(data: Data, figures: InputFigures) -> Figure:
    """Grid power (kW) per site with a load, each beside its dashed limit."""
    meta = data["metadata"]
    clock = _Clock(datetime.fromisoformat(meta["horizon"]["start"]))
    loads: dict[str, tuple[list[str], list[float]]] = defaultdict(lambda: ([], []))
    for load in data["site_load"]:
        loads[load["site"]][0].append(load["t"])
        loads[load["site"]][1].append(load["kw"])
    fig = Figure(figsize=(12, 4))
    ax = fig.subplots()
    for site, (times, kws) in sorted(loads.items()):
        if not any(kws):
            continue
        line = ax.step(clock.hours(times), kws, where="post", linewidth=1.0, label=f"{site} load")
        limit = meta["kpis"]["sites"][site]["site_power_limit_kw"]
        if limit is not None:
            colour = line[0].get_color()
            ax.axhline(limit, color=colour, linestyle="--", label=f"{site} limit")
    ax.set_ylabel("grid power, kW")
    ax.set_title(f"Site load: {_title(meta)}")
    ax.legend(fontsize=8, loc="upper right")
    _time_axis(ax, clock.start, meta["horizon"]["days"])
    return fig


def charger_chart(data: Data, figures: InputFigures) -> Figure:
    """Every charger, idle ones too, as a row: its ports as a grey band, the share of them in
    use filled over it, red above it while vehicles queue."""
    meta = data["metadata"]
    clock = _Clock(datetime.fromisoformat(meta["horizon"]["start"]))
    horizon_h = meta["horizon"]["days"] * 24.0
    utilisation: Mapping[str, float] = meta["kpis"]["charger_utilisation"]
    shown = sorted(utilisation, key=lambda c: (-utilisation[c], c))[:CHARGER_ROWS_MAX]
    chargers = sorted(shown, reverse=True)  # drawn bottom-up: the first id on top
    events: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for event in data["charging_events"]:
        events[event["charger_id"]].append(event)
    fig = Figure(figsize=(12, max(3.0, 0.5 * len(chargers) + 1.6)))
    ax = fig.subplots()
    labels = []
    for row, charger_id in enumerate(chargers):
        stays = events.get(charger_id, [])
        plugged = clock.hours(e["plugged_in"] for e in stays)
        in_use_h, in_use = _count_over_time(plugged, clock.hours(e["end"] for e in stays))
        ports = figures.ports.get(charger_id)
        scale = ports or max(in_use.max(initial=0.0), 1.0)
        ax.broken_barh([(0.0, horizon_h)], (row - 0.4, 0.6), color="#eeeeee")
        ax.fill_between(
            in_use_h,
            row - 0.4,
            row - 0.4 + 0.6 * in_use / scale,
            step="post",
            color="#3182bd",
            linewidth=0,
        )
        queued = [e for e in stays if e["wait_s"] > 0]
        arrived = clock.hours(e["arrived"] for e in queued)
        waits = [(float(h), e["wait_s"] / 3600) for h, e in zip(arrived, queued, strict=True)]
        ax.broken_barh(waits, (row + 0.22, 0.14), color="#cb181d")
        _, queue = _count_over_time(arrived, clock.hours(e["plugged_in"] for e in queued))
        port_text = f"{ports} port{'s' if ports != 1 else ''}" if ports else "ports unknown"
        queue_text = f", up to {queue.max():.0f} queued" if len(queued) else ""
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
    _time_axis(ax, clock.start, meta["horizon"]["days"])
    return fig


def _count_over_time(
    starts_h: NDArray[np.float64], ends_h: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """How many [start, end) intervals are open from each change on, as a step function."""
    times = np.concatenate([[0.0], starts_h, ends_h])
    changes = np.concatenate([[0.0], np.ones(len(starts_h)), -np.ones(len(ends_h))])
    order = np.argsort(times, kind="stable")
    return times[order], np.cumsum(changes[order])


CHARTS: dict[str, Callable[[Data, InputFigures], Figure]] = {
    "soc.png": soc_chart,
    "site_load.png": site_load_chart,
    "charger_occupancy.png": charger_chart,
}
"""Each chart's file name and how it is drawn."""


def chart_pngs(data: Data, figures: InputFigures) -> dict[str, bytes]:
    """Every chart as PNG bytes, by file name (the same bytes for the same result)."""
    return {name: _png(draw(data, figures)) for name, draw in CHARTS.items()}


def write_plots(data: Data, figures: InputFigures, out_dir: Path) -> list[Path]:
    """Write soc.png, site_load.png and charger_occupancy.png into `out_dir`."""
    paths = []
    for name, png in chart_pngs(data, figures).items():
        path = out_dir / name
        path.write_bytes(png)
        paths.append(path)
    return paths


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _title(meta: Mapping[str, Any]) -> str:
    return f"{meta['scenario']} ({meta['strategy']})"


def _time_axis(ax: Axes, start: datetime, days: int) -> None:
    ticks = list(range(0, days * 24 + 1, 24 if days > 2 else 6))
    labels = [(start + timedelta(hours=h)).strftime("%a %H:%M") for h in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(0, days * 24)
    ax.set_xlabel(f"local time from {start.isoformat()}")
    ax.grid(alpha=0.3)
