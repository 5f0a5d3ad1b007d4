"""A typical year of hourly temperatures from a CSV file (config/weather/), read by the
local calendar hour of each hour of a horizon.

The file has a header `month,day,hour,ambient_c` (after any `#` comment lines, which must
come first) and one row per hour of a non-leap year
(8,760 rows; hour 0-23 local, as typical-meteorological-year files give them). A horizon
reads each of its hours at the local month, day and hour it falls on (29 February as
28 February), so a run from March reads March, and a year across a leap day or a DST change
still reads one value per hour of the clock.
"""

import csv
import io
from datetime import UTC, date, timedelta
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where
from fleetsim.config.files import read_text, safe_path
from fleetsim.models import Horizon

COLUMNS = ("month", "day", "hour", "ambient_c")
HOURS_PER_YEAR = 8_760
MAX_CHARACTERS = 1 * 2**20
"""A year of hourly rows is ~110 kB; anything far larger is not this file."""


def read_year_csv(
    relative: str, config_dir: Path, where: Where
) -> dict[tuple[int, int, int], float]:
    """Temperature °C by (month, day, hour) from the CSV at `relative` under `config_dir`.
    Raises ConfigErrors naming `file:line` for every bad row and every missing hour."""
    path = safe_path(config_dir, relative, where, "weather.year_csv")
    file = PurePosixPath(relative).as_posix()
    text = read_text(path, where, "weather.year_csv", file=file)
    if len(text) > MAX_CHARACTERS:
        reason = f"{file} is longer than {MAX_CHARACTERS} characters: not a year of hours"
        raise where.error("weather.year_csv", reason)
    return parse_year_csv(text, file)


def parse_year_csv(text: str, file: str) -> dict[tuple[int, int, int], float]:
    """See `read_year_csv`."""
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [cell.strip() for cell in next(reader, [])]
    if tuple(header) != COLUMNS:
        raise ConfigErrors(
            [ConfigProblem(file, None, None, f"header must be {','.join(COLUMNS)}, not {header}")]
        )
    problems: list[ConfigProblem] = []
    values: dict[tuple[int, int, int], float] = {}
    first_row = text.splitlines().index(lines[0]) + 2 if lines else 2
    for line, row in enumerate(reader, start=first_row):
        at = f"{file}:{line}"
        try:
            month, day, hour, ambient = (
                int(row[0]),
                int(row[1]),
                int(row[2]),
                float(row[3]),
            )
            date(2025, month, day)  # a non-leap year: 29 February is not a row
        except (ValueError, IndexError):
            problems.append(ConfigProblem(at, None, None, "not month,day,hour,ambient_c"))
            continue
        if not (0 <= hour <= 23 and -60.0 <= ambient <= 60.0) or len(row) != 4:
            reason = "hour must be 0-23 and ambient_c within [-60, 60] °C"
            problems.append(ConfigProblem(at, None, None, reason))
        elif (month, day, hour) in values:
            problems.append(ConfigProblem(at, None, None, f"hour {month}-{day} {hour}:00 again"))
        else:
            values[(month, day, hour)] = ambient
    if not problems and len(values) != HOURS_PER_YEAR:
        reason = f"{len(values)} hours: a year of {HOURS_PER_YEAR} is needed"
        problems.append(ConfigProblem(file, None, None, reason))
    if problems:
        raise ConfigErrors(problems)
    return values


def horizon_profile(year: dict[tuple[int, int, int], float], horizon: Horizon) -> list[float]:
    """One temperature per hour of the horizon (`ambient_c`'s hourly list), each read at the
    local month, day and hour that hour starts at."""
    zone = ZoneInfo(horizon.timezone) if horizon.timezone else horizon.start.tzinfo
    start_utc = horizon.start.astimezone(UTC)
    profile = []
    for h in range(horizon.days * 24):
        moment = (start_utc + timedelta(hours=h)).astimezone(zone)
        day = moment.date() - timedelta(days=1) if (moment.month, moment.day) == (2, 29) else moment
        profile.append(year[(day.month, day.day, moment.hour)])
    return profile
