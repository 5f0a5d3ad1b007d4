"""Benchmark what a dashboard reads: the summary against the envelope it summarises.

For the bundled default week and a synthetic fleet (bench/fleet.py's, `--vehicles` for a
week): the envelope's and the summary's bytes, the headline KPIs' bytes (what a job list row
adds), and the time `summarise` takes. With `--api URL --key KEY`, also the wall time and
bytes of a job list page of 100 rows and of one summary, from a running API. Prints figures;
asserts nothing. Run: `python bench/summary.py [--vehicles 500] [--api http://127.0.0.1:8000
--key dev-key]`.
"""

import argparse
import statistics
import time
from pathlib import Path

import httpx
from fleet import request as synthetic_request

from fleetsim import runner
from fleetsim.config import load_catalogue
from fleetsim.models import CanonicalResult, SimulationRequest, canonical_json_bytes
from fleetsim.simulation import simulate, summarise

CONFIG = Path(__file__).resolve().parents[1] / "config"


def report(name: str, result: CanonicalResult, repeat: int) -> None:
    envelope = result.json_bytes()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        summary = summarise(result)
        summary_bytes = canonical_json_bytes(summary)
        times.append(time.perf_counter() - start)
    headline = canonical_json_bytes(summary.headline)
    print(
        f"{name}: envelope {len(envelope) / 1e6:.2f} MB, summary {len(summary_bytes) / 1e3:.1f} kB "
        f"({len(envelope) / len(summary_bytes):.0f}x smaller), headline KPIs {len(headline)} B; "
        f"summarise + canonical JSON: median {statistics.median(times) * 1e3:.1f} ms"
    )


def api_figures(url: str, key: str, repeat: int) -> None:
    with httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60) as http:
        page_times, page = [], http.get("/v1/simulations", params={"limit": 100})
        for _ in range(repeat):
            start = time.perf_counter()
            page = http.get("/v1/simulations", params={"limit": 100})
            page_times.append(time.perf_counter() - start)
        rows = page.json()["items"]
        with_kpis = sum(1 for row in rows if row["headline_kpis"] is not None)
        print(
            f"list page: {len(rows)} rows ({with_kpis} with headline KPIs), "
            f"{len(page.content) / 1e3:.1f} kB, median {statistics.median(page_times) * 1e3:.1f} ms"
        )
        done = next((row for row in rows if row["status"] == "succeeded"), None)
        if done is None:
            print("no succeeded job to read a summary of")
            return
        summary_times = []
        for _ in range(repeat):
            start = time.perf_counter()
            summary = http.get(f"/v1/simulations/{done['job_id']}/summary")
            summary_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = http.get(f"/v1/simulations/{done['job_id']}/result")
        result_s = time.perf_counter() - start
        summary_ms = statistics.median(summary_times) * 1e3
        print(
            f"summary of job {done['job_id']} ({done['scenario']}): "
            f"{len(summary.content) / 1e3:.1f} kB, median {summary_ms:.1f} ms; "
            f"its result: {len(result.content) / 1e6:.2f} MB, {result_s * 1e3:.0f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vehicles", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--api", help="a running API's URL")
    parser.add_argument("--key", default="dev-key", help="its X-API-Key")
    args = parser.parse_args()
    catalogue = load_catalogue(CONFIG)
    default = runner.run_request(SimulationRequest(scenario="default"), catalogue, CONFIG)
    report("default week (20 vehicles)", default, args.repeat)
    fleet = simulate(synthetic_request(args.vehicles, 7))
    report(f"synthetic week ({args.vehicles} vehicles, hourly series)", fleet, args.repeat)
    if args.api:
        api_figures(args.api, args.key, args.repeat)


if __name__ == "__main__":
    main()
