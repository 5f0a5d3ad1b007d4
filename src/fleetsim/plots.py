"""PNG charts of a result: SoC per vehicle, site load against its limit, charger occupancy.

Imported only when plots are asked for: matplotlib is slow to import.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fleetsim.models import ResolvedRequest, SimulationResult


def write_plots(result: SimulationResult, resolved: ResolvedRequest, out_dir: Path) -> list[Path]:
    """Write soc.png, site_load.png and charger_occupancy.png into `out_dir`."""
    start = result.metadata.horizon.start
    days = result.metadata.horizon.days

    def hours(t: datetime) -> float:
        return (t - start).total_seconds() / 3600

    title = f"{result.metadata.scenario} ({result.metadata.strategy})"
    paths = []

    fig, ax = plt.subplots(figsize=(12, 5))
    series: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for point in result.time_series_data:
        series[point.vehicle_id][0].append(hours(point.t))
        series[point.vehicle_id][1].append(point.soc * 100)
    for vehicle_id, (times, socs) in sorted(series.items()):
        ax.plot(times, socs, linewidth=0.9, label=vehicle_id)
    ax.set_ylabel("state of charge, %")
    ax.set_ylim(0, 100)
    ax.set_title(f"SoC per vehicle: {title}")
    if len(series) <= 24:
        ax.legend(ncol=2, fontsize=7, loc="lower left")
    paths.append(_save(fig, ax, out_dir / "soc.png", start, days))

    fig, ax = plt.subplots(figsize=(12, 4))
    loads: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for load in result.site_load:
        loads[load.site][0].append(hours(load.t))
        loads[load.site][1].append(load.kw)
    for site, (times, kws) in sorted(loads.items()):
        if not any(kws):
            continue
        line = ax.step(times, kws, where="post", linewidth=1.0, label=f"{site} load")[0]
        limit = resolved.sites[site].site_power_limit_kw
        if limit is not None:
            ax.axhline(limit, color=line.get_color(), linestyle="--", label=f"{site} limit")
    ax.set_ylabel("grid power, kW")
    ax.set_title(f"Site load: {title}")
    ax.legend(fontsize=8, loc="upper right")
    paths.append(_save(fig, ax, out_dir / "site_load.png", start, days))

    chargers = sorted({e.charger_id for e in result.charging_events})
    fig, ax = plt.subplots(figsize=(12, max(3.0, 0.6 * len(chargers) + 1.5)))
    for row, charger_id in enumerate(chargers):
        events = [e for e in result.charging_events if e.charger_id == charger_id]
        bars = [(hours(e.plugged_in), hours(e.end) - hours(e.plugged_in)) for e in events]
        ax.broken_barh(bars, (row - 0.35, 0.7), alpha=0.45, edgecolor="black", linewidth=0.3)
        waits = [(hours(e.arrived), e.wait_s / 3600) for e in events if e.wait_s > 0]
        ax.broken_barh(waits, (row - 0.1, 0.2), color="red")
    ax.set_yticks(range(len(chargers)), chargers)
    ax.set_title(f"Charger occupancy (darker where ports are shared; red: waiting): {title}")
    paths.append(_save(fig, ax, out_dir / "charger_occupancy.png", start, days))
    return paths


def _save(fig: Figure, ax: Axes, path: Path, start: datetime, days: int) -> Path:
    ticks = list(range(0, days * 24 + 1, 24 if days > 2 else 6))
    labels = [(start + timedelta(hours=h)).strftime("%a %H:%M") for h in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlabel(f"local time from {start.isoformat()}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
