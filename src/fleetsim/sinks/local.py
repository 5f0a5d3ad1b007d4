"""Local sink: `<out>/<job_id>/result.json`, written atomically so a crash leaves no half file."""

import os
import tempfile
from pathlib import Path
from uuid import UUID


def write_result(out_dir: Path, job_id: UUID, result_bytes: bytes) -> Path:
    """Write the canonical result bytes for `job_id`; returns the file's path."""
    job_dir = out_dir / str(job_id)
    job_dir.mkdir(parents=True, exist_ok=True)
    target = job_dir / "result.json"
    fd, tmp = tempfile.mkstemp(dir=job_dir, prefix=".result.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(result_bytes)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
