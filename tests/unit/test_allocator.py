"""Large arrays on their own mappings: freed, their memory leaves the process (glibc)."""

import subprocess
import sys

PATTERN = """
import sys
import numpy as np
from fleetsim.allocator import map_large_blocks
if sys.argv[1] == "mapped":
    assert map_large_blocks()
def rss_mib():
    with open("/proc/self/status") as status:
        line = next(row for row in status if row.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024
np.ones(4_000_000).sum()  # a 32 MB array mapped and freed: glibc's threshold rises to it
before = rss_mib()
blocks, kept = [], []
for _ in range(100):
    blocks.append(np.ones(500_000))  # 4 MB each, written
    kept.append(np.ones(100))  # small arrays outliving them, above them in the heap
blocks.clear()
print(rss_mib() - before)
"""


def retained_mib(mode: str) -> float:
    """MiB a fresh process still holds after freeing 400 MB of 4 MB arrays."""
    out = subprocess.run(
        [sys.executable, "-c", PATTERN, mode], capture_output=True, text=True, check=True
    )
    return float(out.stdout)


def test_freed_large_arrays_leave_the_process_once_mapped_on_their_own() -> None:
    assert retained_mib("default") > 200  # what the run's freed arrays cost before
    assert retained_mib("mapped") < 20
