"""fleetsim on the ACN-style case (bench/acn_case.py), every strategy at both site limits.

Prints per strategy and limit: energy delivered (% of requested), sessions fully served, peak
site load, limit violations, wall time, and where stored ACN-Sim figures exist
(validation/acnsim/figures.json) the sessions ACN-Sim's EDF/LLF meet that fleetsim misses.
Asserts nothing. Run: `python bench/acn_sessions.py [--repeat N]`.
"""

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from acn_case import (
    CHARGER,
    HORIZON_DAYS,
    LIMITS_KW,
    PORT_KW,
    PORTS,
    SITE,
    START,
    VEHICLE_TYPE,
    AcnSession,
    acn_sessions,
)

from fleetsim.models import (
    ChargerSpec,
    Horizon,
    ResolvedRequest,
    Scenario,
    SiteSpec,
    VehicleSpec,
)
from fleetsim.models.scenario import ChargingSession, Strategy
from fleetsim.simulation import FleetRun, simulate_fleet

FIGURES = Path(__file__).resolve().parents[1] / "validation" / "acnsim" / "figures.json"
STRATEGIES: tuple[Strategy, ...] = (
    "greedy",
    "balanced",
    "time_of_use",
    "edf",
    "llf",
    "uncontrolled",
)
MET_TOLERANCE_KWH = 1e-3
"""A session that got this close to its request was met (ACN-Sim works in amps and periods)."""


def acn_vehicle() -> VehicleSpec:
    """An ideal battery as ACN-Sim's: lossless, no taper, takes a whole port's 19.2 kW."""
    return VehicleSpec(
        id=VEHICLE_TYPE,
        mass_kg=1800,
        drag_coefficient=0.25,
        frontal_area_m2=2.2,
        rolling_resistance=0.008,
        drivetrain_efficiency=0.9,
        battery_efficiency=1.0,
        max_motor_power_kw=150,
        max_regen_power_kw=50,
        battery_usable_kwh=100,
        max_ac_charge_kw=PORT_KW,
        max_dc_charge_kw=0,
    )


def acn_request(
    limit_kw: float, strategy: Strategy, sessions: list[AcnSession] | None = None
) -> ResolvedRequest:
    """The case as a resolved request: one garage of PORTS lossless AC ports behind `limit_kw`."""
    drawn = acn_sessions() if sessions is None else sessions
    location = (-118.1253, 34.1377)
    scenario = Scenario(
        id="acn_case",
        horizon=Horizon(start=START, days=HORIZON_DAYS),
        sessions=[
            ChargingSession(
                vehicle_type=VEHICLE_TYPE,
                site=SITE,
                arrival=START + timedelta(minutes=s.arrival_min),
                departure=START + timedelta(minutes=s.departure_min),
                energy_kwh=s.energy_kwh,
            )
            for s in drawn
        ],
        strategy=strategy,
        time_series_resolution_s=86_400,
    )
    return ResolvedRequest(
        scenario=scenario,
        vehicles={VEHICLE_TYPE: acn_vehicle()},
        chargers={
            CHARGER: ChargerSpec(
                id=CHARGER,
                location=location,
                power_kw=PORT_KW,
                current="AC",
                ports=PORTS,
                site=SITE,
                efficiency=1.0,
                price_per_kwh=0.2,
            )
        },
        sites={SITE: SiteSpec(id=SITE, location=location, site_power_limit_kw=limit_kw)},
        tariffs={},
        routes={},
        request_hash="acn-case",
        input_digest="acn-case",
        lineage={},
    )


def delivered_kwh(run: FleetRun) -> np.ndarray:
    """Energy each session got, in the case's session order."""
    return run.session_departure_kwh - run.session_arrival_kwh


def requested_kwh(run: FleetRun) -> np.ndarray:
    return run.session_target_kwh - run.session_arrival_kwh


def acn_figures() -> dict[str, list[float]] | None:
    """Stored ACN-Sim per-session delivered kWh by `<algorithm>@<limit>`, if present."""
    if not FIGURES.exists():
        return None
    stored: dict[str, list[float]] = json.loads(FIGURES.read_text())["delivered_kwh"]
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    reference = acn_figures()
    print(
        f"{'strategy':>12} {'limit':>6} {'delivered':>9} {'met':>9} {'peak kW':>8} "
        f"{'steps over':>10} {'max over kW':>11} {'kWh over':>9} {'wall s':>7} vs ACN-Sim"
    )
    for limit in LIMITS_KW:
        for strategy in STRATEGIES:
            resolved = acn_request(limit, strategy)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                run = simulate_fleet(resolved)
                times.append(time.perf_counter() - start)
            got, asked = delivered_kwh(run), requested_kwh(run)
            met = got >= asked - MET_TOLERANCE_KWH
            load = run.site_load_kw[:, 0]
            over = np.maximum(load - limit, 0.0)
            versus = []
            for algorithm in ("edf", "llf"):
                acn = (reference or {}).get(f"{algorithm}@{limit:g}")
                if acn is not None:
                    acn_met = np.array(acn) >= asked - MET_TOLERANCE_KWH
                    missed = (acn_met & ~met).sum()
                    versus.append(f"{algorithm} met {acn_met.sum()}, we miss {missed}")
            acn_same = (reference or {}).get(f"{strategy}@{limit:g}")
            if acn_same is not None:
                gap = np.abs(got - np.array(acn_same)).max()
                versus.append(f"max |kWh - ACN {strategy}| {gap:.3f}")
            print(
                f"{strategy:>12} {limit:>6g} {100 * got.sum() / asked.sum():>8.2f}% "
                f"{met.sum():>4}/{len(met):<4} {load.max():>8.1f} {(over > 1e-6).sum():>10} "
                f"{over.max():>11.1f} {over.sum() * run.step_s / 3600:>9.1f} "
                f"{min(times):>7.2f} {'; '.join(versus)}"
            )


if __name__ == "__main__":
    main()
