"""`run --mode db` against a database that is missing or not migrated: one line naming the
fix, exit code 1, no traceback."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from .support import ROOT, database_url_from_env, fresh_database


def run_db_mode(database_url: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "main.py",
            "run",
            "--mode",
            "db",
            "--scenario",
            "smoke",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DATABASE_URL": database_url},
    )


def test_a_missing_database_is_one_line_with_the_fix(tmp_path: Path) -> None:
    name = f"fleetsim_never_created_{uuid.uuid4().hex[:8]}"
    missing = make_url(database_url_from_env()).set(database=name)

    done = run_db_mode(missing.render_as_string(hide_password=False), tmp_path)

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f'DATABASE_URL: database "{name}" does not exist: create it, then run '
        "`alembic upgrade head`"
    ]


def test_an_unmigrated_database_is_one_line_with_the_fix(tmp_path: Path) -> None:
    with fresh_database(migrate=False) as url:
        done = run_db_mode(url, tmp_path)

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.endswith("does not exist: run `alembic upgrade head`")
    assert "Traceback" not in done.stdout + done.stderr
