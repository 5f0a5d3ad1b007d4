"""The ACN-style case: 1,000 charging sessions at one 50-port garage over 30 days.

Each port is a 19.2 kW EVSE (80 A at 240 V); vehicles arrive between 18:00 and 20:00, stay
8 to 14 hours and ask for 20 to 60 kWh; all times lie on the 5-minute grid ACN-Sim steps on.
Sessions are spread evenly over the days (33 or 34 a night), so at most 34 are present at
once and every session has a port of its own: the site limit is the only thing that binds.

Standard library only: `validation/acnsim/reference.py` imports this module in ACN-Sim's
own virtualenv, and fleetsim's bench and tests import it too, so both simulate the very same
sessions. Run `python bench/acn_case.py FILE.csv` to write the case as a fleetsim sessions CSV.
"""

import csv
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

SEED = 2019
SESSIONS = 1_000
DAYS = 30
PORTS = 50
VOLTAGE_V = 240.0
PORT_AMPS = 80.0
PORT_KW = VOLTAGE_V * PORT_AMPS / 1000.0
"""19.2 kW per port."""
LIMITS_KW = (576.0, 144.0)
"""The site limits compared: 30 ports' worth and 7.5 ports' worth."""
PERIOD_MIN = 5
START = datetime.fromisoformat("2026-03-02T00:00:00+01:00")
HORIZON_DAYS = DAYS + 1
"""The last night's sessions leave on the morning after day 30."""
SITE = "acn_garage"
CHARGER = "acn_evse"
VEHICLE_TYPE = "acn_ev"


@dataclass(frozen=True)
class AcnSession:
    """One session; times in minutes from START, on the 5-minute grid."""

    session_id: str
    station: int
    arrival_min: int
    departure_min: int
    energy_kwh: float


def acn_sessions(seed: int = SEED) -> list[AcnSession]:
    """The case's sessions in arrival order, each on the lowest-numbered free port."""
    rng = random.Random(seed)
    drawn = []
    for n in range(SESSIONS):
        day = n * DAYS // SESSIONS
        arrival = day * 1440 + 18 * 60 + PERIOD_MIN * rng.randint(0, 24)  # 18:00-20:00
        dwell = PERIOD_MIN * rng.randint(96, 168)  # 8-14 h
        energy = round(rng.uniform(20.0, 60.0), 2)
        drawn.append((arrival, arrival + dwell, energy))
    drawn.sort()
    free_from = [0] * PORTS
    sessions = []
    for n, (arrival, departure, energy) in enumerate(drawn):
        station = next(p for p in range(PORTS) if free_from[p] <= arrival)
        free_from[station] = departure
        sessions.append(AcnSession(f"s{n:04d}", station, arrival, departure, energy))
    return sessions


def write_sessions_csv(path: str, sessions: list[AcnSession]) -> None:
    """The sessions as a fleetsim sessions CSV at SITE, for vehicle type VEHICLE_TYPE."""
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["vehicle_type", "site", "arrival", "departure", "energy_kwh"])
        for s in sessions:
            writer.writerow(
                [
                    VEHICLE_TYPE,
                    SITE,
                    (START + timedelta(minutes=s.arrival_min)).isoformat(),
                    (START + timedelta(minutes=s.departure_min)).isoformat(),
                    s.energy_kwh,
                ]
            )


if __name__ == "__main__":
    write_sessions_csv(sys.argv[1], acn_sessions())
