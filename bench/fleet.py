"""Benchmark the fleet model: 1,000 vehicles of 5 types on 50 routes for 30 days.

Depot charging with shared ports behind a site limit, 300 s steps, the scenario's default
time-series resolution and max_points. Prints wall time and peak RSS of the simulation and,
separately, of the envelope (building it and its canonical JSON), with what the process
held before the envelope; asserts nothing. Run:
`python bench/fleet.py [--vehicles N] [--days D] [--strategy greedy|edf|llf|...]
[--resolution-s S] [--max-points P]` (`--days 365`: a year).

The process fixes its allocator's mmap threshold first, as the CLI and the job workers do
(`fleetsim.allocator`). Peak RSS is the kernel's high-water mark (VmHWM), reset before each
part (Linux `/proc/self/clear_refs`), so each figure is the process's peak during that part
alone, whatever it held before.
"""

import argparse
import gzip
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock
from typing import get_args

import numpy as np

from fleetsim.allocator import map_large_blocks
from fleetsim.models import (
    ChargerSpec,
    FleetVehicle,
    Horizon,
    PathProfile,
    ResolvedRequest,
    RouteProfile,
    Scenario,
    SiteSpec,
    Trip,
    VehicleSpec,
)
from fleetsim.models.scenario import Strategy
from fleetsim.simulation import simulate_fleet
from fleetsim.simulation.envelope import build_result

DEPOT = (11.50, 48.10)


def vehicle_types() -> list[VehicleSpec]:
    """Five types from a small car to a heavy truck (round, plausible figures)."""
    rows = [  # id, mass kg, Cd, A m², kWh, DC kW
        ("car", 1800, 0.25, 2.2, 60, 150),
        ("van", 3000, 0.35, 4.5, 90, 100),
        ("box_truck", 7500, 0.55, 7.0, 200, 150),
        ("bus", 14000, 0.65, 7.5, 400, 150),
        ("truck", 20000, 0.60, 9.5, 600, 350),
    ]
    return [
        VehicleSpec(
            id=i,
            mass_kg=m,
            drag_coefficient=cd,
            frontal_area_m2=a,
            rolling_resistance=0.008,
            drivetrain_efficiency=0.9,
            max_motor_power_kw=m / 20,
            max_regen_power_kw=m / 40,
            battery_usable_kwh=kwh,
            max_ac_charge_kw=11,
            max_dc_charge_kw=dc,
            charge_curve=[(0.0, dc), (0.6, dc), (1.0, dc * 0.2)],
            aux_power_kw=1 + m / 5000,
        )
        for i, m, cd, a, kwh, dc in rows
    ]


def routes(count: int, rng: np.random.Generator) -> list[RouteProfile]:
    """Loop routes of 10-80 km with hills and stops, starting and ending at the depot."""
    out = []
    for r in range(count):
        length = float(rng.uniform(10_000, 80_000))
        vertices = np.linspace(0.0, length, 41)
        elevation = 500 + 40 * np.sin(vertices / float(rng.uniform(2_000, 9_000)))
        out.append(
            RouteProfile(
                id=f"r{r:02d}",
                start=DEPOT,
                end=DEPOT,
                length_km=length / 1000,
                path=PathProfile(
                    distance_m=vertices.tolist(),
                    elevation_m=elevation.tolist(),
                    speed_mps=rng.choice([8.3, 13.9, 22.2, 27.8], size=40).tolist(),
                    stop_position_m=np.sort(rng.uniform(0, length, 6)).tolist(),
                    stop_dwell_s=[20.0] * 6,
                ),
            )
        )
    return out


def request(
    n_vehicles: int,
    days: int,
    seed: int = 7,
    strategy: Strategy = "greedy",
    resolution_s: int | None = None,
    max_points: int | None = None,
) -> ResolvedRequest:
    rng = np.random.default_rng(seed)
    types = vehicle_types()
    route_list = routes(50, rng)
    fleet = [
        FleetVehicle(id=f"v{i:04d}", type=types[i % 5].id, depot="depot") for i in range(n_vehicles)
    ]
    schedule = [
        Trip(
            vehicle_id=v.id,
            route_id=route_list[int(rng.integers(50))].id,
            departure=clock(hour, int(rng.integers(0, 12)) * 5),
        )
        for v in fleet
        for hour in (6, 11, 16)
    ]
    chargers = [
        ChargerSpec(
            id="depot_dc",
            location=DEPOT,
            power_kw=150,
            current="DC",
            ports=n_vehicles // 20,
            site="depot",
            price_per_kwh=0.2,
        ),
        ChargerSpec(
            id="depot_ac",
            location=DEPOT,
            power_kw=22,
            current="AC",
            ports=n_vehicles // 5,
            site="depot",
            price_per_kwh=0.2,
        ),
    ]
    scenario = Scenario(
        id="bench",
        horizon=Horizon(start=datetime(2026, 3, 2, tzinfo=timezone(timedelta(hours=1))), days=days),
        fleet=fleet,
        schedule=schedule,
        strategy=strategy,
    )
    sizing = {"time_series_resolution_s": resolution_s, "max_points": max_points}
    scenario = scenario.model_copy(update={k: v for k, v in sizing.items() if v is not None})
    return ResolvedRequest(
        scenario=scenario,
        vehicles={t.id: t for t in types},
        chargers={c.id: c for c in chargers},
        sites={
            "depot": SiteSpec(id="depot", location=DEPOT, site_power_limit_kw=n_vehicles * 12.0)
        },
        tariffs={},
        routes={r.id: r for r in route_list},
        request_hash="bench",
        input_digest="bench",
        lineage={},
    )


def reset_peak_rss() -> None:
    """Start a new high-water mark of this process's resident set (Linux ≥ 4.0)."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def peak_rss_mib(field: str = "VmHWM") -> float:
    """This process's resident-set high-water mark since the last reset (or, with
    `field="VmRSS"`, its resident set now), MiB."""
    with open("/proc/self/status") as status:
        line = next(row for row in status if row.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--strategy", choices=get_args(Strategy), default="greedy")
    parser.add_argument("--resolution-s", type=int, help="time_series_resolution_s")
    parser.add_argument("--max-points", type=int, help="max_points")
    args = parser.parse_args()
    map_large_blocks()
    resolved = request(
        args.vehicles,
        args.days,
        strategy=args.strategy,
        resolution_s=args.resolution_s,
        max_points=args.max_points,
    )
    times, cpu, peaks = [], [], []
    for _ in range(args.repeat):
        run = None  # the previous run's arrays are freed before the next one is measured
        reset_peak_rss()
        start, start_cpu = time.perf_counter(), time.process_time()
        run = simulate_fleet(resolved)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        peaks.append(peak_rss_mib())
    held = peak_rss_mib("VmRSS")  # the process with the run's arrays, before the envelope
    reset_peak_rss()
    start, start_cpu = time.perf_counter(), time.process_time()
    result = build_result(resolved, run)
    envelope_s = time.perf_counter() - start
    start = time.perf_counter()
    data = result.json_bytes()
    json_s = time.perf_counter() - start
    envelope_cpu = time.process_time() - start_cpu
    envelope_peak = peak_rss_mib()
    start = time.perf_counter()
    gzipped = gzip.compress(data, compresslevel=6)
    gzip_s = time.perf_counter() - start
    k = result.metadata.kpis
    median = sorted(times)[len(times) // 2]
    print(
        f"fleet: {args.vehicles} vehicles, 5 types, 50 routes, {args.days} days, "
        f"{run.n_steps} steps of {run.step_s} s, {len(run.trip_vehicle)} trips, {args.strategy}"
    )
    print(
        f"simulate_fleet wall: best {min(times):.2f} s, median {median:.2f} s, "
        f"worst {max(times):.2f} s ({args.repeat} runs); CPU best {min(cpu):.2f} s "
        "(CPU time is what a busy machine distorts least)"
    )
    print(f"simulate_fleet peak RSS: {min(peaks):.0f}-{max(peaks):.0f} MiB")
    counts = result.row_counts
    print(
        f"envelope: build {envelope_s:.2f} s + canonical JSON {json_s:.2f} s = "
        f"{envelope_s + json_s:.2f} s ({(envelope_s + json_s) / median:.0%} of the median "
        f"simulation; CPU {envelope_cpu:.2f} s, {envelope_cpu / min(cpu):.0%} of the best "
        f"simulation's); peak RSS {envelope_peak:.0f} MiB (of which {held:.0f} MiB held "
        "before it: the run's arrays, the interpreter)"
    )
    print(
        f"result: {len(data) / 2**20:.1f} MiB JSON, {len(gzipped) / 2**20:.1f} MiB gzip-6 "
        f"({gzip_s:.2f} s); rows: trips {counts['trips']}, events {counts['charging_events']}, "
        f"series {counts['time_series_data']} (every {result.metadata.time_series_resolution_s}"
        f" s), site load {counts['site_load']}"
    )
    print(
        f"stranded {k.stranded_trips}, peak site {k.peak_site_kw}, "
        f"mean wait {k.mean_wait_s / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
