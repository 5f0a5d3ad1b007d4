"""PNG charts of a study: the sizing answer per grid point, or a KPI over one or two axes,
and the Pareto front of cost against peak power.

Imported only when plots are asked for: matplotlib is slow to import.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from fleetsim.models.study import StudyResult

MAX_LABELS = 10
"""Pareto points labelled with their axis values, at most."""
KPI = "charging_cost"
"""The KPI drawn over the axes of a study without a sizing axis."""


def write_study_plots(result: StudyResult, out_dir: Path) -> list[Path]:
    """Write sizing.png (sizing studies) or kpi.png, and pareto.png, into `out_dir`."""
    paths = [_sizing(result, out_dir) if result.sizing is not None else _kpi(result, out_dir)]
    paths.append(_pareto(result, out_dir))
    return paths


def _saved(fig: Figure, target: Path) -> Path:
    fig.tight_layout()
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def _sizing(result: StudyResult, out_dir: Path) -> Path:
    """One bar per grid point: the least value found; hatched grey up to the greatest value
    tried where none meets the requirement; orange where the outcome was not monotone."""
    assert result.sizing is not None
    path_name = result.axes[-1]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(result.sizing)), 4.5))
    for x, answer in enumerate(result.sizing):
        top = max(answer.evaluated, default=0.0)
        if answer.least is None:
            ax.bar(x, top, color="0.85", hatch="//", edgecolor="0.5")
            text = f"none up to {top:g}"
        else:
            ax.bar(x, answer.least, color="tab:blue" if answer.monotone else "tab:orange")
            text = f"{answer.least:g}" + ("" if answer.monotone else "\nnot monotone")
        height = top if answer.least is None else answer.least
        ax.annotate(text, (x, height), ha="center", va="bottom", fontsize=8)
    labels = [" / ".join(str(v) for v in a.values.values()) or "base" for a in result.sizing]
    ax.set_xticks(range(len(labels)), labels, fontsize=8, rotation=30, ha="right")
    ax.set_xlabel(" / ".join(p.rsplit(".", 1)[-1] for p in result.axes[:-1]))
    ax.set_ylabel(f"least {path_name}")
    ax.set_title(f"sizing: least {path_name} meeting the requirement", fontsize=10)
    return _saved(fig, out_dir / "sizing.png")


def _kpi(result: StudyResult, out_dir: Path) -> Path:
    """The KPI against the first axis, one line per value of the second axis (if any)."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    first = result.axes[0] if result.axes else None
    second = result.axes[1] if len(result.axes) > 1 else None
    lines: dict[str, tuple[list[str], list[float]]] = {}
    for point in result.points:
        if point.kpis is None or first is None:
            continue
        key = str(point.values.get(second)) if second else ""
        xs, ys = lines.setdefault(key, ([], []))
        xs.append(str(point.values[first]))
        ys.append(getattr(point.kpis, KPI))
    for key, (xs, ys) in lines.items():
        ax.plot(xs, ys, marker="o", label=f"{second}={key}" if second else None)
    if second:
        ax.legend(fontsize=8)
    ax.set_xlabel(first or "")
    ax.set_ylabel(KPI.replace("_", " "))
    ax.set_title(f"{KPI.replace('_', ' ')} over the study's grid")
    return _saved(fig, out_dir / "kpi.png")


def _pareto(result: StudyResult, out_dir: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 5))
    done = [p for p in result.points if p.kpis is not None]
    for on_front, style in (
        (False, {"color": "0.6", "s": 18}),
        (True, {"color": "tab:red", "s": 40}),
    ):
        chosen = [p for p in done if p.pareto == on_front]
        ax.scatter(
            [p.kpis.charging_cost for p in chosen if p.kpis],
            [p.kpis.peak_kw for p in chosen if p.kpis],
            label="Pareto front (cost, peak, installed kW)" if on_front else "other points",
            **style,  # type: ignore[arg-type]
        )
    front = [p for p in done if p.pareto and p.kpis]
    if len(front) <= MAX_LABELS:  # beyond that the labels cover each other: see study.csv
        for p in front:
            assert p.kpis is not None
            text = " / ".join(str(v) for v in p.values.values())
            xy = (p.kpis.charging_cost, p.kpis.peak_kw)
            ax.annotate(text, xy, fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_title(
        f"cost against peak power; labels: {' / '.join(a.rsplit('.', 1)[-1] for a in result.axes)}",
        fontsize=9,
    )
    ax.set_xlabel("charging cost")
    ax.set_ylabel("highest site peak, kW")
    ax.legend(fontsize=8)
    return _saved(fig, out_dir / "pareto.png")
