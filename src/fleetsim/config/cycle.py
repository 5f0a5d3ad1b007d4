"""Drive-cycle CSV files (`time_s,speed_mps,grade`) turned into a CycleProfile."""

import csv
import io
import math
from pathlib import Path, PurePosixPath

import numpy as np

from fleetsim.config.errors import ConfigErrors, ConfigProblem, Where
from fleetsim.config.files import read_text, safe_path
from fleetsim.models import CycleProfile

CYCLE_COLUMNS = ("time_s", "speed_mps", "grade")
MAX_GRADE = 1.0
"""Grade is rise over run; |grade| above 1 (45°) is almost surely a percentage."""
STEP_TOLERANCE = 1e-6


def read_cycle(relative: str, config_dir: Path, where: Where) -> CycleProfile:
    """Parse and check a cycle CSV: numbers, speed ≥ 0, time rising at a fixed step."""
    path = safe_path(config_dir, relative, where, "cycle")
    file = PurePosixPath(relative).as_posix()
    reader = csv.reader(io.StringIO(read_text(path, where, "cycle", file=file)))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != CYCLE_COLUMNS:
        raise where.error(None, f"header must be {','.join(CYCLE_COLUMNS)}", file=f"{file}:1")
    problems: list[ConfigProblem] = []
    time_s: list[float] = []
    speed_mps: list[float] = []
    grade: list[float] = []
    step_s: float | None = None
    previous_s: float | None = None
    for row in reader:
        line = f"{file}:{reader.line_num}"
        if not row or not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CYCLE_COLUMNS):
            problems.append(where.problem(None, f"expected 3 values, got {len(row)}", file=line))
            continue
        values = {}
        for column, cell in zip(CYCLE_COLUMNS, row, strict=True):
            try:
                value = float(cell)
            except ValueError:
                reason = f"{cell.strip()!r} is not a number"
                problems.append(where.problem(column, reason, file=line))
                continue
            if not math.isfinite(value):
                problems.append(where.problem(column, f"{cell.strip()} is not finite", file=line))
            else:
                values[column] = value
        t = values.get("time_s")
        if t is not None and previous_s is not None:
            step = t - previous_s
            if step_s is None and step > 0.0:
                step_s = step
            if step <= 0.0:
                reason = f"{t} does not follow {previous_s}; time must increase"
                problems.append(where.problem("time_s", reason, file=line))
            elif step_s is not None and not math.isclose(
                step, step_s, rel_tol=STEP_TOLERANCE, abs_tol=STEP_TOLERANCE
            ):
                reason = f"step {step:g} s differs from the first step {step_s:g} s"
                problems.append(where.problem("time_s", reason, file=line))
        previous_s = t if t is not None else previous_s
        if values.get("speed_mps", 0.0) < 0.0:
            problems.append(
                where.problem("speed_mps", f"{values['speed_mps']} is negative", file=line)
            )
        if abs(values.get("grade", 0.0)) > MAX_GRADE:
            reason = f"{values['grade']} is outside [-1, 1]; grade is a fraction (rise / run)"
            problems.append(where.problem("grade", reason, file=line))
        if len(values) == len(CYCLE_COLUMNS):
            time_s.append(values["time_s"])
            speed_mps.append(values["speed_mps"])
            grade.append(values["grade"])
    if not problems and len(time_s) < 2:
        problems.append(where.problem("cycle", "needs at least two rows", file=file))
    if problems:
        raise ConfigErrors(problems)
    return CycleProfile(time_s=time_s, speed_mps=speed_mps, grade=grade)


def cycle_distance_m(cycle: CycleProfile) -> float:
    """Distance driven over the cycle, m (trapezoidal speed integration)."""
    return float(np.trapezoid(cycle.speed_mps, cycle.time_s))
