"""Port assignment: first come, first served, each vehicle to the best free charger it can use."""

import numpy as np
from numpy.typing import NDArray


def assign_ports(
    candidates: NDArray[np.intp],
    candidate_site: NDArray[np.intp],
    free_ports: NDArray[np.int64],
    charger_order: NDArray[np.intp],
    charger_site: NDArray[np.intp],
    n_sites: int,
) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """Match queued vehicles to free ports of one pool of chargers, site by site.

    `candidates` must be in queue order within each site and grouped by site (sorted by
    site); `charger_order` lists the pool's chargers by site, best first. The k-th vehicle
    of a site's queue gets the k-th free port of that site. Returns which candidates were
    served and the charger each got (valid where served).
    """
    slots = np.repeat(charger_order, free_ports[charger_order])
    slot_site = charger_site[slots]
    slot_first = np.searchsorted(slot_site, np.arange(n_sites))
    slot_count = np.bincount(slot_site, minlength=n_sites)
    rank = np.arange(len(candidates)) - np.searchsorted(candidate_site, candidate_site)
    served = rank < slot_count[candidate_site]
    charger = np.full(len(candidates), -1, dtype=np.intp)
    charger[served] = slots[slot_first[candidate_site[served]] + rank[served]]
    return served, charger
