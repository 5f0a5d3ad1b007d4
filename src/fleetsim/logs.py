"""Log lines: JSON in Cloud Logging's shape for services, readable text in a terminal.

Every line carries the request id of the request (or job message) it belongs to, and the
trace Cloud Logging groups it under: `X-Cloud-Trace-Context`'s trace, else the request id.
"""

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

request_id_var: ContextVar[str | None] = ContextVar("fleetsim_request_id", default=None)
trace_var: ContextVar[str | None] = ContextVar("fleetsim_trace", default=None)

TRACE_FIELD = "logging.googleapis.com/trace"
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_HANDLER_NAME = "fleetsim"


def trace_from_header(value: str | None, project: str | None) -> str | None:
    """`TRACE_ID/SPAN_ID;o=1` → `projects/PROJECT/traces/TRACE_ID` (None if unusable)."""
    if not value or not project:
        return None
    trace_id = value.split("/", 1)[0].strip()
    if not trace_id or not all(c in "0123456789abcdefABCDEF" for c in trace_id):
        return None
    return f"projects/{project}/traces/{trace_id}"


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS}


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line: severity, message, time, trace, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        trace = trace_var.get() or request_id
        if trace is not None:
            entry[TRACE_FIELD] = trace
        entry.update(_extras(record))
        if record.exc_info:
            entry["message"] += "\n" + self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TerminalFormatter(logging.Formatter):
    """`12:00:01 INFO fleetsim.api: message key=value …` for people at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        clock = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = _extras(record)
        request_id = request_id_var.get()
        if request_id is not None:
            fields = {"request_id": request_id, **fields}
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{clock} {record.levelname:<7} {record.name}: {record.getMessage()}"
        line = f"{line} {tail}" if tail else line
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(
    level: int = logging.INFO, stream: TextIO | None = None, json_lines: bool | None = None
) -> None:
    """Route fleetsim's and uvicorn's logs to `stream` (stderr): JSON unless it is a terminal.

    `FLEETSIM_LOG_FORMAT=json|text` overrides the choice.
    """
    stream = stream or sys.stderr
    if json_lines is None:
        chosen = os.environ.get("FLEETSIM_LOG_FORMAT", "").lower()
        json_lines = chosen == "json" or (chosen != "text" and not stream.isatty())
    handler = logging.StreamHandler(stream)
    handler.setFormatter(CloudLoggingFormatter() if json_lines else TerminalFormatter())
    handler.set_name(_HANDLER_NAME)
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if h.get_name() != _HANDLER_NAME] + [handler]
    logging.getLogger("fleetsim").setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = True
    # The request-id middleware writes the access lines, with the id in them.
    logging.getLogger("uvicorn.access").disabled = True
