"""A typical year of hourly temperatures from config/weather/: parsed with located problems,
read by each horizon hour's local calendar hour."""

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from fleetsim.config import ConfigErrors, load_catalogue, resolve_request
from fleetsim.config.weather_csv import horizon_profile, parse_year_csv
from fleetsim.models import Horizon, SimulationRequest

CONFIG = Path(__file__).resolve().parents[3] / "config"
HEADER = "month,day,hour,ambient_c"


def year_text() -> str:
    """A whole year whose every value encodes its own hour (`code`)."""
    rows = [HEADER]
    day = datetime(2025, 1, 1)
    for _ in range(365):
        for hour in range(24):
            rows.append(f"{day.month},{day.day},{hour},{code(day.month, day.day, hour)}")
        day += timedelta(days=1)
    return "\n".join(rows) + "\n"


def code(month: int, day: int, hour: int) -> float:
    """A temperature within [-60, 60] °C unique to the hour."""
    return round((month * 100 + day) / 30 + hour / 1000, 4)


def test_every_hour_of_a_horizon_reads_its_local_calendar_hour() -> None:
    year = parse_year_csv(year_text(), "weather/y.csv")
    start = datetime(2028, 2, 28, tzinfo=timezone(timedelta(hours=1)))  # a leap year
    profile = horizon_profile(year, Horizon(start=start, days=3))
    assert profile[0] == code(2, 28, 0) and profile[23] == code(2, 28, 23)
    assert profile[24:48] == profile[0:24], "29 February reads 28 February"
    assert profile[48] == code(3, 1, 0)


def test_a_dst_zone_reads_local_hours_across_the_change() -> None:
    year = parse_year_csv(year_text(), "weather/y.csv")
    start = datetime(2026, 3, 29, tzinfo=timezone(timedelta(hours=1)))  # Berlin's spring day
    profile = horizon_profile(year, Horizon(start=start, days=1, timezone="Europe/Berlin"))
    # 02:00 local does not exist that day: after 01:00 CET comes 03:00 CEST.
    assert profile[:4] == [code(3, 29, 0), code(3, 29, 1), code(3, 29, 3), code(3, 29, 4)]
    assert profile[-1] == code(3, 30, 0)  # 24 elapsed hours end at 01:00 local next day


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hour,month,day,ambient_c\n", "header must be month,day,hour,ambient_c"),
        (f"{HEADER}\n1,1,0,5.0\n", "1 hours: a year of 8760 is needed"),
        (f"{HEADER}\n2,29,0,5.0\n", "weather/y.csv:2: not month,day,hour,ambient_c"),
        (f"{HEADER}\n1,1,24,5.0\n", "weather/y.csv:2: hour must be 0-23"),
        (f"{HEADER}\n1,1,0,75\n", "ambient_c within [-60, 60]"),
        (f"{HEADER}\n1,1,0,5\n1,1,0,6\n", "weather/y.csv:3: hour 1-1 0:00 again"),
    ],
)
def test_bad_files_name_the_line_and_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ConfigErrors) as caught:
        parse_year_csv(text, "weather/y.csv")
    assert reason in str(caught.value)


def test_a_request_names_the_bundled_year_and_the_run_sees_its_temperatures() -> None:
    catalogue = load_catalogue(CONFIG)
    body = {
        "scenario": "smoke",
        "horizon": {"start": "2026-07-01T00:00:00+02:00", "days": 2},
        "weather": {"year_csv": "weather/synthetic_munich_year.csv"},
    }
    resolved = resolve_request(SimulationRequest.model_validate(body), catalogue, CONFIG)
    profile = resolved.scenario.weather.ambient_c
    assert isinstance(profile, list) and len(profile) == 48
    assert resolved.scenario.weather.year_csv is None
    assert 13.0 <= min(profile) < max(profile) <= 24.0  # a July in Munich, roughly
    winter = {**body, "horizon": {"start": "2026-01-10T00:00:00+01:00", "days": 2}}
    cold = resolve_request(SimulationRequest.model_validate(winter), catalogue, CONFIG)
    assert max(cold.scenario.weather.ambient_c) < min(profile)  # type: ignore[arg-type]
    assert cold.input_digest != resolved.input_digest


def test_a_missing_year_file_is_a_located_problem() -> None:
    catalogue = load_catalogue(CONFIG)
    body = {"scenario": "smoke", "weather": {"year_csv": "weather/none.csv"}}
    with pytest.raises(ConfigErrors) as caught:
        resolve_request(SimulationRequest.model_validate(body), catalogue, CONFIG)
    problem = caught.value.problems[0]
    assert problem.field == "weather.year_csv" and "not found" in problem.reason


def test_a_file_name_too_long_for_the_file_system_is_a_located_problem() -> None:
    catalogue = load_catalogue(CONFIG)
    body = {"scenario": "smoke", "weather": {"year_csv": "0" * 256}}
    with pytest.raises(ConfigErrors) as caught:
        resolve_request(SimulationRequest.model_validate(body), catalogue, CONFIG)
    problem = caught.value.problems[0]
    assert problem.field == "weather.year_csv" and "cannot be opened" in problem.reason
