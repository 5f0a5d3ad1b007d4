"""The optimal strategy against the heuristics: what smart charging is worth, and what it costs
to find out.

Prints, for the bundled default week: each strategy's bill (energy and demand charge), the
depot's peak, stranded trips and the energy in the batteries at the end (a plan that stored
less would look cheaper than it is), with wall time; `optimal` under both objectives and, as
the measure of what the rolling window loses to foresight, with a 168-hour window (replanned
daily, and once for the whole week). Then the ACN-style case (bench/acn_case.py) at 144 kW:
energy delivered, sessions met, peak and wall time of `optimal` beside greedy and LLF.
Asserts nothing.
Run: `python bench/optimal.py [--skip-week-window]`.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from acn_sessions import MET_TOLERANCE_KWH, acn_request, delivered_kwh, requested_kwh

from fleetsim.config import load_catalogue, resolve_request
from fleetsim.models import SimulationRequest
from fleetsim.models.scenario import Strategy
from fleetsim.simulation import simulate, simulate_fleet

CONFIG = Path(__file__).resolve().parents[1] / "config"
DEPOT = "neuperlach_depot"
WEEK: tuple[tuple[str, Strategy, dict[str, object]], ...] = (
    ("greedy", "greedy", {}),
    ("balanced", "balanced", {}),
    ("time_of_use", "time_of_use", {}),
    ("edf", "edf", {}),
    ("llf", "llf", {}),
    ("optimal", "optimal", {}),
    ("optimal peak", "optimal", {"objective": "peak"}),
)
WHOLE_WEEK = (
    ("optimal 168/24", "optimal", {"window_h": 168, "window_step_h": 24}),
    ("optimal 168/168", "optimal", {"window_h": 168, "window_step_h": 168}),
)
"""A week's foresight, replanned daily; and one plan for the whole week."""


def default_week(rows: tuple[tuple[str, Strategy, dict[str, object]], ...]) -> None:
    catalogue = load_catalogue(CONFIG)
    print("default week (20 vehicles, 7 days, 500 kW depot)")
    print(
        f"{'strategy':>16} {'bill':>9} {'energy':>9} {'demand':>8} {'peak kW':>8} "
        f"{'stranded':>8} {'kWh at end':>10} {'wall s':>7}"
    )
    for label, strategy, options in rows:
        request = SimulationRequest(
            scenario="default",
            strategy=strategy,
            optimal=options or None,  # type: ignore[arg-type]
        )
        resolved = resolve_request(request, catalogue, CONFIG)
        start = time.perf_counter()
        result = simulate(resolved)
        wall_s = time.perf_counter() - start
        kpis = result.metadata.kpis
        capacity = {v.id: v.battery_usable_kwh for v in resolved.vehicles.values()}
        at_end = sum(v.soc_end * capacity[v.type] for v in result.metadata.vehicles)
        print(
            f"{label:>16} {kpis.charging_cost:>9.2f} {kpis.energy_cost:>9.2f} "
            f"{kpis.demand_charge:>8.2f} {kpis.peak_site_kw[DEPOT]:>8.1f} "
            f"{kpis.stranded_trips:>8} {at_end:>10.1f} {wall_s:>7.2f}"
        )


def acn_case(limit_kw: float) -> None:
    print(f"\nACN-style case (1,000 sessions, 30 days, 50 ports) at {limit_kw:g} kW")
    print(f"{'strategy':>14} {'delivered':>9} {'met':>9} {'peak kW':>8} {'wall s':>7}")
    for strategy in ("greedy", "llf", "optimal"):
        resolved = acn_request(limit_kw, strategy)  # type: ignore[arg-type]
        start = time.perf_counter()
        run = simulate_fleet(resolved)
        wall_s = time.perf_counter() - start
        got, asked = delivered_kwh(run), requested_kwh(run)
        met = int((got >= asked - MET_TOLERANCE_KWH).sum())
        print(
            f"{strategy:>14} {100 * got.sum() / asked.sum():>8.2f}% {met:>4}/{len(got):<4} "
            f"{float(np.max(run.site_load_kw)):>8.1f} {wall_s:>7.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--skip-week-window", action="store_true", help="leave out the 168-hour windows"
    )
    args = parser.parse_args()
    default_week(WEEK if args.skip_week_window else (*WEEK, *WHOLE_WEEK))
    acn_case(144.0)


if __name__ == "__main__":
    main()
