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
    served and, in their order, the charger each served one got.
    """
    slots = charger_order.repeat(free_ports[charger_order])
    slot_site = charger_site[slots]
    slot_first = slot_site.searchsorted(np.arange(n_sites))
    slot_count = np.bincount(slot_site, minlength=n_sites)
    rank = np.arange(len(candidates)) - candidate_site.searchsorted(candidate_site)
    served = rank < slot_count[candidate_site]
    charger: NDArray[np.intp] = slots[slot_first[candidate_site[served]] + rank[served]]
    return served, charger
