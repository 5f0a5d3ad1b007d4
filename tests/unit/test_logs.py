"""Log lines in Cloud Logging's shape, with the request's trace."""

import io
import json
import logging

from fleetsim.logs import (
    TRACE_FIELD,
    configure_logging,
    request_id_var,
    trace_from_header,
    trace_var,
)


def test_trace_header_becomes_a_cloud_trace_path() -> None:
    header = "105445aa7843bc8bf206b12000100000/1;o=1"
    assert (
        trace_from_header(header, "proj") == "projects/proj/traces/105445aa7843bc8bf206b12000100000"
    )
    assert trace_from_header(header, None) is None
    assert trace_from_header("not a trace/1", "proj") is None


def emit(json_lines: bool, **extra: object) -> str:
    stream = io.StringIO()
    configure_logging(stream=stream, json_lines=json_lines)
    logging.getLogger("fleetsim.test").info("trips simulated", extra=extra)
    return stream.getvalue()


def test_json_lines_carry_severity_time_trace_and_counts() -> None:
    request = request_id_var.set("req-1")
    trace = trace_var.set("projects/p/traces/abc")
    try:
        entry = json.loads(emit(True, trips=744))
    finally:
        request_id_var.reset(request)
        trace_var.reset(trace)
    assert entry["severity"] == "INFO"
    assert entry["message"] == "trips simulated"
    assert entry["time"].endswith("+00:00")
    assert entry[TRACE_FIELD] == "projects/p/traces/abc"
    assert entry["request_id"] == "req-1"
    assert entry["trips"] == 744


def test_request_id_is_the_trace_without_a_trace_header() -> None:
    token = request_id_var.set("req-2")
    try:
        entry = json.loads(emit(True))
    finally:
        request_id_var.reset(token)
    assert entry[TRACE_FIELD] == "req-2"


def test_terminal_lines_are_readable_text() -> None:
    line = emit(False, trips=3)
    assert "INFO" in line and "trips simulated" in line and "trips=3" in line
    assert not line.lstrip().startswith("{")
