"""Large arrays on their own memory mappings, so that freeing them gives the memory back.

glibc's malloc serves a block above its mmap threshold with its own mapping, returned to the
OS when freed, and a smaller one from its heap, whose freed space stays with the process.
By default it raises the threshold to the largest mapped block freed so far (up to 32 MiB):
once a run has freed one 8 MB array, the next ones of that size come from the heap and,
freed in turn, stay resident. A year of 1,000 vehicles then held 401 MiB after simulating
instead of 302 MiB, all of it carried into the envelope's peak. Processes that simulate (the
CLI, the job workers, the benchmarks) fix the threshold when they start.
"""

import ctypes

M_MMAP_THRESHOLD = -3
"""glibc's mallopt parameter; setting it also ends the threshold's dynamic adjustment."""
MAPPED_BLOCK_BYTES = 1 << 20
"""Blocks of this size and above get their own mapping: numpy arrays of a few hundred
thousand values and more, never a small object."""


def map_large_blocks() -> bool:
    """Fix this process's mmap threshold at MAPPED_BLOCK_BYTES; False where the C library has
    no glibc `mallopt` (nothing to do: other allocators keep their own policy)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MAPPED_BLOCK_BYTES))
