"""Benchmark: one trace_energy call over 10,000 parameter variants of a vehicle on UDDS.

Run as ``python bench/physics.py`` (optionally with OPENBLAS_NUM_THREADS=1). Prints wall time
(best of 3), peak memory and throughput for a constant drivetrain efficiency, a motor map,
and a motor map read with FASTSim's conventions; asserts nothing about time.
"""

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from fleetsim.models import VehicleSpec
from fleetsim.physics import trace_energy

UDDS_CSV = Path(__file__).resolve().parents[1] / "config" / "cycles" / "udds.csv"

BASE = VehicleSpec(
    id="van",
    mass_kg=2600.0,
    payload_kg=400.0,
    drag_coefficient=0.35,
    frontal_area_m2=4.5,
    rolling_resistance=0.009,
    rotational_inertia_factor=0.05,
    drivetrain_efficiency=0.9,
    battery_efficiency=0.96,
    regen_efficiency=0.65,
    max_motor_power_kw=150.0,
    max_regen_power_kw=80.0,
    battery_usable_kwh=90.0,
    aux_power_kw=1.0,
    max_ac_charge_kw=11.0,
    max_dc_charge_kw=100.0,
)
MOTOR_MAP = [(0.0, 0.70), (0.1, 0.88), (0.3, 0.94), (0.6, 0.95), (1.0, 0.92)]
MAPPED: dict[str, object] = {
    "drivetrain_efficiency": None,
    "motor_efficiency_map": MOTOR_MAP,
    "transmission_efficiency": 0.97,
}
CASES: dict[str, dict[str, object]] = {
    "constant drivetrain efficiency": {},
    "motor map": MAPPED,
    "motor map, FASTSim conventions": MAPPED
    | {"motor_map_interpolation": "step", "regen_motor_efficiency": 0.70},
}


def variants(count: int, seed: int, efficiency: dict[str, object]) -> list[VehicleSpec]:
    """``count`` copies of BASE with mass, Cd and Crr drawn from a seeded RNG."""
    rng = np.random.default_rng(seed)
    mass = rng.uniform(2200.0, 3500.0, count)
    drag = rng.uniform(0.28, 0.45, count)
    rolling = rng.uniform(0.006, 0.012, count)
    return [
        BASE.model_validate(
            BASE.model_dump()
            | efficiency
            | {"mass_kg": float(m), "drag_coefficient": float(cd), "rolling_resistance": float(crr)}
        )
        for m, cd, crr in zip(mass, drag, rolling, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    cycle = np.loadtxt(UDDS_CSV, delimiter=",", skiprows=1)
    speed, grade = cycle[:, 1], cycle[:, 2]
    ambient = np.random.default_rng(1).uniform(-10.0, 35.0, args.variants)
    print(f"trace: {UDDS_CSV.name}, {speed.size} steps, {speed.sum() / 1000:.3f} km")
    for label, efficiency in CASES.items():
        fleet = variants(args.variants, seed=0, efficiency=efficiency)
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            result = trace_energy(fleet, speed, grade, dt_s=1.0, ambient_c=ambient)
            times.append(time.perf_counter() - started)
        tracemalloc.start()
        trace_energy(fleet, speed, grade, dt_s=1.0, ambient_c=ambient)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        best = min(times)
        print(
            f"{label}: {args.variants} variants x {speed.size} steps: "
            f"best {best:.3f} s of {args.repeat} (all {', '.join(f'{t:.3f}' for t in times)}), "
            f"{args.variants / best:,.0f} variants/s, tracemalloc peak {peak / 2**20:.0f} MiB, "
            f"battery_power_kw {result.battery_power_kw.nbytes / 2**20:.0f} MiB, "
            f"kWh/km {result.kwh_per_km.min():.3f}-{result.kwh_per_km.max():.3f}, "
            f"missed_s max {result.missed_s.max():.0f}"
        )
    maxrss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS {maxrss_kib / 1024:.0f} MiB (python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
