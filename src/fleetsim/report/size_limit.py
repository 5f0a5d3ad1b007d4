"""The largest result whose charts and report the CLI draws, and the one-line refusal the CLI
and the API (whose own limit is FLEETSIM_REPORT_MAX_RESULT_MB) give above theirs."""

REPORT_MAX_RESULT_MB = 1024
"""Results above this many MiB get no charts or report from the CLI: the default job result
limit, so every result a run makes gets its report on the machine that asked for it. Drawing
reads the rows a block at a time into numpy columns; measured on bench/fleet.py's 1,000
vehicles, it takes about a third of the result's bytes on top of them (a year, 690 MiB:
charts 238 MiB and 5.8 s CPU, the report 208 MiB and 7.7 s), so a report of this size holds
about 1.4 GiB at its peak."""


def too_large_to_draw(plain_bytes: int, limit_mb: int) -> str | None:
    """Why a result of `plain_bytes` gets no charts or report, or None if it gets them."""
    if plain_bytes <= limit_mb * 2**20:
        return None
    return (
        f"the result is {plain_bytes / 2**20:.0f} MiB, above the charts' and report's limit of"
        f" {limit_mb} MiB"
    )
