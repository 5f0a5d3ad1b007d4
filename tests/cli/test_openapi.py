"""The committed openapi.json is what `python main.py openapi` prints today."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_json_is_current() -> None:
    done = subprocess.run(
        [sys.executable, "main.py", "openapi"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    committed = (ROOT / "openapi.json").read_text(encoding="utf-8")
    assert done.stdout == committed, (
        "openapi.json is stale: run `python main.py openapi > openapi.json` and "
        "`npm --prefix clients/typescript run generate`"
    )
    paths = json.loads(committed)["paths"]
    assert {"/v1/simulations", "/v1/simulations:run", "/healthz"} <= set(paths)
