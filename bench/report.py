"""Benchmark the planner's artefacts on a big fleet: the three charts and the HTML report.

Builds bench/fleet.py's fleet (5 types, 50 routes, depot charging behind a site limit) for
a week at 15-minute samples, then times the charts and the report and prints their sizes
and the process's peak RSS. Asserts nothing; leaves the PNGs and report.html in --out to look
at. Run: `python bench/report.py [--vehicles 500] [--days 7] [--out /tmp/fleetsim-report]`.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

from fleetsim.plots import write_plots
from fleetsim.report.html import render_report
from fleetsim.report.inputs import figures_of
from fleetsim.simulation import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import request  # bench/fleet.py builds the fleet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=500)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("/tmp/fleetsim-report"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base = request(args.vehicles, args.days)
    resolved = base.model_copy(
        update={"scenario": base.scenario.model_copy(update={"time_series_resolution_s": 900})}
    )
    start = time.perf_counter()
    result = simulate(resolved)
    simulate_s = time.perf_counter() - start
    figures = figures_of(resolved)
    start = time.perf_counter()
    charts = write_plots(result, figures, args.out)
    charts_s = time.perf_counter() - start
    start = time.perf_counter()
    page = render_report(result, figures, job_id="bench")
    report_s = time.perf_counter() - start
    (args.out / "report.html").write_text(page, encoding="utf-8")
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    points = result.row_counts["time_series_data"]
    print(
        f"fleet: {args.vehicles} vehicles, {args.days} days, {points} series points, "
        f"{result.row_counts['charging_events']} charging events; simulate {simulate_s:.2f} s"
    )
    sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KiB" for p in charts)
    print(f"charts: {charts_s:.2f} s ({sizes})")
    print(f"report: {report_s:.2f} s, {len(page.encode()) / 1024:.0f} KiB")
    size_mib = len(result.json_bytes()) / 2**20
    print(f"result JSON: {size_mib:.1f} MiB; process max RSS {rss_mib:.0f} MiB")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
