"""Regenerate the FASTSim reference figures that tests/validation/test_fastsim.py checks.

Runs with an interpreter that has NREL FASTSim installed, outside fleetsim's dependencies:

    python3 -m venv /tmp/fastsim-venv && /tmp/fastsim-venv/bin/pip install fastsim==3.1.0
    /tmp/fastsim-venv/bin/python validation/fastsim/generate.py

For every battery-electric vehicle resource FASTSim ships (the files in vehicles/, each
checked to be the very vehicle `Vehicle.from_resource` loads) on every cycle in CYCLES, it
writes the battery terminal energy and distance to reference.json, with FASTSim's version,
the date and the air density its drag used. It also writes each vehicle as FASTSim's
`Vehicle.to_file` JSON (vehicles/*.json), the cycles (cycles/*.csv: UDDS and HWFET from
FASTSim's resources, US06 as stored, and cycles of our own with grades and higher speeds),
and, where a vehicle cannot follow a cycle, the trace FASTSim drove instead (traces/*.csv).
"""

import csv
import datetime
import json
import math
import platform
import sys
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import fastsim
import numpy as np

HERE = Path(__file__).resolve().parent
VEHICLES = HERE / "vehicles"
CYCLES_DIR = HERE / "cycles"
TRACES = HERE / "traces"
FASTSIM_VERSION = "3.1.0"
BEV_KEYS = ("BEV", "BatteryElectricVehicle")


def resource_cycle(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Speed and grade of a cycle FASTSim ships."""
    data = fastsim.Cycle.from_resource(name).to_dict()
    return np.array(data["speed_meters_per_second"]), np.array(data["grade"])


def stored_cycle(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Speed and grade of a cycle kept in cycles/ (US06: from FASTSim 2.1.5's resources)."""
    table = np.loadtxt(CYCLES_DIR / name, delimiter=",", skiprows=1, ndmin=2)
    return table[:, 1], table[:, 2]


def rolling_hills(
    cycle: Callable[[], tuple[np.ndarray, np.ndarray]], amplitude: float, wavelength_m: float
) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """A cycle's speeds over hills: grade = amplitude·sin(2π·distance / wavelength)."""

    def hills() -> tuple[np.ndarray, np.ndarray]:
        speed, _ = cycle()
        distance_m = np.concatenate(([0.0], np.cumsum(speed[:-1])))
        return speed, amplitude * np.sin(2.0 * math.pi * distance_m / wavelength_m)

    return hills


def motorway() -> tuple[np.ndarray, np.ndarray]:
    """Motorway driving up to 140 km/h with a 5 % climb and descent at 100 km/h."""
    # (target speed m/s, acceleration m/s², then hold this many seconds, grade while holding)
    legs = [
        (27.78, 1.0, 120, 0.0),
        (36.11, 0.5, 300, 0.0),
        (27.78, -0.5, 100, 0.05),
        (27.78, 0.0, 100, -0.05),
        (38.89, 0.4, 120, 0.0),
        (22.22, -1.0, 60, 0.02),
        (0.0, -1.5, 10, 0.0),
    ]
    speed, grade = [0.0] * 10, [0.0] * 10
    for target, accel, hold_s, slope in legs:
        while accel and (speed[-1] - target) * math.copysign(1.0, accel) < 0.0:
            step = speed[-1] + accel
            speed.append(min(step, target) if accel > 0 else max(step, target))
            grade.append(0.0)
        speed += [target] * hold_s
        grade += [slope] * hold_s
    return np.array(speed), np.array(grade)


CYCLES: dict[str, Callable[[], tuple[np.ndarray, np.ndarray]]] = {
    "udds": lambda: resource_cycle("udds.csv"),
    "hwfet": lambda: resource_cycle("hwfet.csv"),
    "us06": lambda: stored_cycle("us06.csv"),
    "udds_hills": rolling_hills(lambda: resource_cycle("udds.csv"), 0.04, 800.0),
    "us06_hills": rolling_hills(lambda: stored_cycle("us06.csv"), 0.03, 1200.0),
    "motorway": motorway,
}
CYCLE_SOURCES = {
    "udds": "FASTSim 3.1.0 resource udds.csv (EPA UDDS)",
    "hwfet": "FASTSim 3.1.0 resource hwfet.csv (EPA HWFET)",
    "us06": "FASTSim 2.1.5 package resource resources/cycles/us06.csv (EPA US06)",
    "udds_hills": "UDDS speeds, grade 0.04·sin(2π·x/800 m)",
    "us06_hills": "US06 speeds, grade 0.03·sin(2π·x/1200 m)",
    "motorway": "generate.py motorway(): to 140 km/h, ±5 % at 100 km/h",
}


def write_trace(path: Path, speed: np.ndarray, grade: np.ndarray) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["time_s", "speed_mps", "grade"])
        for i, (v, g) in enumerate(zip(speed, grade, strict=True)):
            writer.writerow([float(i), repr(float(v)), repr(float(g))])


def fastsim_cycle(name: str, speed: np.ndarray, grade: np.ndarray) -> Any:
    data = fastsim.Cycle.from_resource("udds.csv").to_dict()
    data |= {
        "name": name,
        "time_seconds": [float(i) for i in range(speed.size)],
        "speed_meters_per_second": speed.tolist(),
        "grade": grade.tolist(),
    }
    # Emptied, FASTSim fills them in from the speeds and its defaults (22 °C, no sun).
    for derived in ("dist_meters", "elev_meters", "pwr_max_chrg_watts", "temp_amb_air_kelvin"):
        data[derived] = []
    data["pwr_solar_load_watts"] = []
    return fastsim.Cycle.from_dict(data)


def bev_resources() -> list[str]:
    names = []
    for resource in fastsim.Vehicle.list_resources():
        vehicle = fastsim.Vehicle.from_resource(str(resource)).to_dict()
        if next(iter(vehicle["pt_type"])) in BEV_KEYS:
            names.append(str(resource))
    return names


def check_stored_file(resource: str) -> Path:
    """The stored copy of a resource, refused unless FASTSim reads it as the resource."""
    path = VEHICLES / resource
    shipped = fastsim.Vehicle.from_resource(resource).to_yaml()
    if not path.is_file() or fastsim.Vehicle.from_file(str(path)).to_yaml() != shipped:
        sys.exit(f"{path} is missing or differs from FASTSim's resource {resource!r}")
    return path


def simulate(vehicle_path: Path, cycle: Any, allow_miss: bool) -> dict[str, Any]:
    params = fastsim.SimParams.default().to_dict()
    params["trace_miss_opts"] = "Allow" if allow_miss else "Error"
    sim = fastsim.SimDrive(
        fastsim.Vehicle.from_file(str(vehicle_path)), cycle, fastsim.SimParams.from_dict(params)
    )
    sim.run()
    data: dict[str, Any] = sim.to_dict()
    return data


def drag_air_density(run: dict[str, Any], vehicle_path: Path) -> float:
    """The air density FASTSim's drag used: P_drag / (½·Cd·A·v̄³) on a moving step."""
    chassis = fastsim.Vehicle.from_file(str(vehicle_path)).to_dict()["chassis"]
    history = run["veh"]["history"]
    speed = np.array(history["speed_ach_meters_per_second"])
    mean = 0.5 * (speed[1:] + speed[:-1])
    drag = np.array(history["pwr_drag_watts"])[1:]
    moving = int(np.argmax(mean > 10.0))
    area = chassis["drag_coef"] * chassis["frontal_area_square_meters"]
    return float(drag[moving] / (0.5 * area * mean[moving] ** 3))


def main() -> None:
    if version("fastsim") != FASTSIM_VERSION:
        sys.exit(f"needs FASTSim {FASTSIM_VERSION}, found {version('fastsim')}")
    TRACES.mkdir(exist_ok=True)
    cycles = {}
    for name, make in CYCLES.items():
        speed, grade = make()
        write_trace(CYCLES_DIR / f"{name}.csv", speed, grade)
        cycles[name] = (speed, grade)
    vehicles, cases = [], []
    density: float | None = None
    for resource in bev_resources():
        path = check_stored_file(resource)
        json_path = path.with_suffix(".json")
        fastsim.Vehicle.from_file(str(path)).to_file(str(json_path))
        vehicles.append({"resource": resource, "yaml": path.name, "json": json_path.name})
        for name, (speed, grade) in cycles.items():
            cycle = fastsim_cycle(name, speed, grade)
            try:
                run, trace = simulate(path, cycle, allow_miss=False), f"cycles/{name}.csv"
            except RuntimeError as exc:
                if "failed to meet speed trace" not in str(exc):
                    raise
                # The vehicle cannot follow the cycle (wheel slip): keep the trace it drove.
                run = simulate(path, cycle, allow_miss=True)
                history = run["veh"]["history"]
                trace = f"traces/{path.stem}__{name}.csv"
                write_trace(
                    HERE / trace,
                    np.array(history["speed_ach_meters_per_second"]),
                    np.array(history["grade_curr"]),
                )
            history = run["veh"]["history"]
            battery = run["veh"]["pt_type"][next(iter(run["veh"]["pt_type"]))]["res"]["history"]
            density = density or drag_air_density(run, path)
            cases.append(
                {
                    "vehicle": path.name,
                    "cycle": name,
                    "trace": trace,
                    "terminal_kwh": battery["energy_out_electrical_joules"][-1] / 3.6e6,
                    "distance_km": history["dist_meters"][-1] / 1000.0,
                    "friction_brake_kwh": history["energy_brake_joules"][-1] / 3.6e6,
                }
            )
            print(f"{path.stem:40s} {name:11s} {cases[-1]['terminal_kwh']:.4f} kWh")
    reference = {
        "fastsim_version": version("fastsim"),
        "generated_on": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "air_density_kg_m3": density,
        "vehicles": vehicles,
        "cycles": [
            {"name": name, "file": f"cycles/{name}.csv", "source": CYCLE_SOURCES[name]}
            for name in cycles
        ],
        "cases": cases,
    }
    text = json.dumps(reference, indent=2, ensure_ascii=False) + "\n"
    (HERE / "reference.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
