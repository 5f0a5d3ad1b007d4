"""Where a dwelling vehicle can charge: the site of the nearest charger within reach."""

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for great-circle distances."""

CHARGER_REACH_M = 200.0
"""A vehicle dwelling this close to a charger can use it (DESIGN §4)."""


def haversine_m(
    lon1: NDArray[np.float64],
    lat1: NDArray[np.float64],
    lon2: NDArray[np.float64],
    lat2: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Great-circle distance in metres between points given in degrees (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distance: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return distance


def site_within_reach(
    points_lonlat: NDArray[np.float64],
    charger_lonlat: NDArray[np.float64],
    charger_site: NDArray[np.intp],
) -> NDArray[np.intp]:
    """Per point, the site index of the nearest charger within CHARGER_REACH_M, else -1."""
    if len(charger_lonlat) == 0:
        return np.full(len(points_lonlat), -1, dtype=np.intp)
    distance = haversine_m(
        points_lonlat[:, None, 0],
        points_lonlat[:, None, 1],
        charger_lonlat[None, :, 0],
        charger_lonlat[None, :, 1],
    )
    nearest = np.argmin(distance, axis=1)
    reachable = distance[np.arange(len(points_lonlat)), nearest] <= CHARGER_REACH_M
    return np.where(reachable, charger_site[nearest], -1).astype(np.intp)
