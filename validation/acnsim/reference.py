"""ACN-Sim reference figures for the ACN-style case (bench/acn_case.py).

Runs acnportal's sorted scheduling algorithms, earliest deadline first and least laxity first
(`SortedSchedulingAlgo` with `earliest_deadline_first` / `least_laxity_first`), and
`UncontrolledCharging` on the seeded 1,000-session case at each of the case's site limits,
and writes what every session got, the peak and the wall time, with provenance, to
figures.json beside this script. fleetsim's tests read that file; they never run ACN-Sim.

ACN-Sim lives in its own virtualenv, never in the project's:

    python3 -m venv /tmp/acn-venv && /tmp/acn-venv/bin/pip install acnportal==0.3.3
    /tmp/acn-venv/bin/python validation/acnsim/reference.py

The network: one EVSE per port (continuous pilot 0-80 A at 240 V, phase 0) under a single
aggregate-current constraint of limit_kw / 240 V; sessions plug into the port the case gives
them; batteries are ACN-Sim's ideal `Battery` of 100 kWh that arrive with just room for their
request (as fleetsim's sessions without initial_soc do). Periods of 5 minutes.
"""

import datetime
import importlib.metadata
import json
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from acnportal import acnsim, algorithms

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from acn_case import (  # the case is shared with fleetsim's bench and tests
    DAYS,
    LIMITS_KW,
    PERIOD_MIN,
    PORT_AMPS,
    PORTS,
    SEED,
    SESSIONS,
    START,
    VOLTAGE_V,
    AcnSession,
    acn_sessions,
)

OUT = Path(__file__).resolve().parent / "figures.json"
BATTERY_KWH = 100.0


def network(limit_kw: float) -> acnsim.ChargingNetwork:
    """PORTS continuous EVSEs behind one aggregate current limit."""
    net = acnsim.ChargingNetwork()
    ids = [f"evse_{p:02d}" for p in range(PORTS)]
    for station in ids:
        net.register_evse(acnsim.EVSE(station, max_rate=PORT_AMPS), VOLTAGE_V, 0)
    net.add_constraint(acnsim.Current(ids), limit_kw * 1000 / VOLTAGE_V, name="site")
    return net


def events(sessions: list[AcnSession]) -> acnsim.EventQueue:
    queue = acnsim.EventQueue()
    for s in sessions:
        arrival, departure = s.arrival_min // PERIOD_MIN, s.departure_min // PERIOD_MIN
        max_kw = PORT_AMPS * VOLTAGE_V / 1000
        battery = acnsim.Battery(BATTERY_KWH, BATTERY_KWH - s.energy_kwh, max_kw)
        station = f"evse_{s.station:02d}"
        ev = acnsim.EV(arrival, departure, s.energy_kwh, station, s.session_id, battery)
        queue.add_event(acnsim.PluginEvent(arrival, ev))
    return queue


def run(name: str, limit_kw: float, sessions: list[AcnSession]) -> tuple[list[float], float, float]:
    """Per-session delivered kWh, peak kW and wall seconds of one ACN-Sim run."""
    schedulers = {
        "edf": lambda: algorithms.SortedSchedulingAlgo(algorithms.earliest_deadline_first),
        "llf": lambda: algorithms.SortedSchedulingAlgo(algorithms.least_laxity_first),
        "uncontrolled": algorithms.UncontrolledCharging,
    }
    sim = acnsim.Simulator(
        network(limit_kw),
        schedulers[name](),
        events(sessions),
        START,
        period=PERIOD_MIN,
        verbose=False,
    )
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Uncontrolled charging ignores the limit by design; ACN-Sim warns every period.
        warnings.simplefilter("ignore" if name == "uncontrolled" else "default", UserWarning)
        sim.run()
    wall_s = time.perf_counter() - started
    delivered = [round(float(sim.ev_history[s.session_id].energy_delivered), 6) for s in sessions]
    peak_kw = round(float(np.max(acnsim.aggregate_power(sim))), 4)
    return delivered, peak_kw, round(wall_s, 3)


def main() -> None:
    sessions = acn_sessions()
    delivered_kwh: dict[str, list[float]] = {}
    peak_kw: dict[str, float] = {}
    wall_s: dict[str, float] = {}
    for limit in LIMITS_KW:
        for name in ("edf", "llf", "uncontrolled"):
            key = f"{name}@{limit:g}"
            delivered_kwh[key], peak_kw[key], wall_s[key] = run(name, limit, sessions)
            met = sum(
                got >= s.energy_kwh - 1e-3
                for got, s in zip(delivered_kwh[key], sessions, strict=True)
            )
            print(f"{key}: met {met}/{len(sessions)}, peak {peak_kw[key]} kW, {wall_s[key]} s")
    document = {
        "provenance": {
            "tool": "acnportal (ACN-Sim)",
            "acnportal_version": importlib.metadata.version("acnportal"),
            "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "date": datetime.date.today().isoformat(),
            "script": "validation/acnsim/reference.py",
            "case": {
                "generator": "bench/acn_case.py",
                "seed": SEED,
                "sessions": SESSIONS,
                "days": DAYS,
                "ports": PORTS,
                "port_amps": PORT_AMPS,
                "voltage_v": VOLTAGE_V,
                "period_min": PERIOD_MIN,
                "battery_kwh": BATTERY_KWH,
                "limits_kw": list(LIMITS_KW),
            },
            "algorithms": {
                "edf": "SortedSchedulingAlgo(earliest_deadline_first)",
                "llf": "SortedSchedulingAlgo(least_laxity_first)",
                "uncontrolled": "UncontrolledCharging()",
            },
        },
        "requested_kwh": [s.energy_kwh for s in sessions],
        "session_ids": [s.session_id for s in sessions],
        "delivered_kwh": delivered_kwh,
        "peak_kw": peak_kw,
        "wall_s": wall_s,
    }
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
