"""Benchmark the readers of a result envelope: peak RSS and time of `summarise` and of
`CanonicalResult.from_json` on a synthetic fleet's result (bench/fleet.py's).

Each figure is the resident set's high-water mark above what the process held before the
call, and the call's wall time; the summary's sha256 lets two versions' bytes be compared.
`--battery-share 0.2` strands trips. Prints figures; asserts nothing. Run:
`python bench/readers.py --days 60 [--vehicles 1000] [--battery-share 0.2]`.
"""

import argparse
import gc
import hashlib
import time
from collections.abc import Callable
from typing import Any

import fleet

from fleetsim.models import CanonicalResult, canonical_json_bytes
from fleetsim.simulation import simulate_fleet, summarise
from fleetsim.simulation.envelope import build_result


def measured(name: str, call: Callable[[], Any]) -> Any:
    """`call()`, printing its wall time and peak RSS above the resident set before it."""
    gc.collect()
    fleet.reset_peak_rss()
    held_mib = fleet.peak_rss_mib("VmRSS")
    start = time.perf_counter()
    value = call()
    seconds = time.perf_counter() - start
    print(f"{name}: {seconds:.2f} s, peak +{fleet.peak_rss_mib() - held_mib:.0f} MiB", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=1000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument(
        "--battery-share",
        type=float,
        default=1.0,
        help="of each type's battery: below 1 strands trips",
    )
    args = parser.parse_args()
    types = fleet.vehicle_types()
    fleet.vehicle_types = lambda: [  # bench/fleet.py's types, their batteries scaled
        spec.model_copy(update={"battery_usable_kwh": spec.battery_usable_kwh * args.battery_share})
        for spec in types
    ]
    resolved = fleet.request(args.vehicles, args.days)
    result = build_result(resolved, simulate_fleet(resolved))
    envelope = result.json_bytes()
    print(f"{args.vehicles} vehicles, {args.days} days: envelope {len(envelope) / 2**20:.0f} MiB")
    read = measured("from_json", lambda: CanonicalResult.from_json(envelope))
    same = read.json_bytes() == envelope and read.spans == result.spans
    print(f"from_json: same bytes and spans {same}, row counts {read.row_counts}")
    del read
    summary = measured("summarise", lambda: summarise(result))
    digest = hashlib.sha256(canonical_json_bytes(summary)).hexdigest()
    print(f"summary sha256 {digest[:16]}, {summary.stranded_trips_not_listed} not listed")


if __name__ == "__main__":
    main()
