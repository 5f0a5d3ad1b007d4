"""PNG charts of a study: the sizing answer per grid point, or a KPI over one or two axes,
and the Pareto front of cost against peak power.

Imported only when plots are asked for: matplotlib is slow to import.
"""

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from fleetsim.models.study import StudyResult

KPI = "charging_cost"
"""The KPI drawn over the axes of a study without a sizing axis."""


def write_study_plots(result: StudyResult, out_dir: Path) -> list[Path]:
    """Write sizing.png (sizing studies) or kpi.png, and pareto.png, into `out_dir`."""
    paths = [_sizing(result, out_dir) if result.sizing is not None else _kpi(result, out_dir)]
    paths.append(_pareto(result, out_dir))
    return paths


def _label(values: Mapping[str, object]) -> str:
    return "\n".join(f"{path.rsplit('.', 1)[-1]}={value}" for path, value in values.items())


def _sizing(result: StudyResult, out_dir: Path) -> Path:
    assert result.sizing is not None
    path_name = result.axes[-1]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(result.sizing)), 4.5))
    labels = [_label(a.values) or "base" for a in result.sizing]
    heights = [a.least if a.least is not None else 0 for a in result.sizing]
    bars = ax.bar(range(len(labels)), heights, color="tab:blue")
    for bar, answer in zip(bars, result.sizing, strict=True):
        text = "none" if answer.least is None else f"{answer.least:g}"
        if not answer.monotone:
            text += "\nnot monotone"
            bar.set_color("tab:orange")
        ax.annotate(
            text,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(labels)), labels, fontsize=7)
    ax.set_ylabel(f"least {path_name}")
    ax.set_title(f"sizing: least {path_name} meeting the requirement")
    fig.tight_layout()
    target = out_dir / "sizing.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


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
    fig.tight_layout()
    target = out_dir / "kpi.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


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
            label="Pareto front" if on_front else "other points",
            **style,  # type: ignore[arg-type]
        )
    for p in done:
        if p.pareto and p.kpis:
            ax.annotate(
                _label(p.values).replace("\n", ", "),
                (p.kpis.charging_cost, p.kpis.peak_kw),
                fontsize=6,
                xytext=(3, 3),
                textcoords="offset points",
            )
    ax.set_xlabel("charging cost")
    ax.set_ylabel("highest site peak, kW")
    ax.set_title("cost against peak power (front also minimises installed kW)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    target = out_dir / "pareto.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target
