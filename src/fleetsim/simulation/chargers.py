"""Chargers and sites as arrays, and which site a vehicle can charge at from where it dwells."""

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import ResolvedRequest
from fleetsim.simulation.places import site_within_reach
from fleetsim.simulation.vehicles import VehicleArrays


@dataclass(frozen=True)
class ChargerArrays:
    """Charger ratings (kW per port), sites and limits, and the dwell places of the fleet."""

    power_kw: NDArray[np.float64]
    is_dc: NDArray[np.bool_]
    ports: NDArray[np.int64]
    site: NDArray[np.intp]
    efficiency: NDArray[np.float64]
    site_limit_kw: NDArray[np.float64]
    dc_order: NDArray[np.intp]
    """DC chargers by site, most powerful first: the order a queue takes free ports in."""
    ac_order: NDArray[np.intp]
    can_charge_at: NDArray[np.bool_]
    """[site, vehicle]: the site has a charger whose current the vehicle takes."""
    route_end_site: NDArray[np.intp]
    """Per route, the site reachable from its end, or -1."""
    depot_place: NDArray[np.intp]
    """Per vehicle, the site reachable from its depot, or -1."""

    def inlet_limit_kw(
        self, charger: NDArray[np.intp], vehicles: NDArray[np.intp], fleet: VehicleArrays
    ) -> NDArray[np.float64]:
        """The least of each charger's rating and its vehicle's AC or DC limit."""
        vehicle_kw = np.where(self.is_dc[charger], fleet.dc_kw[vehicles], fleet.ac_kw[vehicles])
        limit: NDArray[np.float64] = np.minimum(self.power_kw[charger], vehicle_kw)
        return limit


def charger_arrays(
    resolved: ResolvedRequest,
    charger_ids: list[str],
    site_ids: list[str],
    route_ids: list[str],
    fleet: VehicleArrays,
) -> ChargerArrays:
    """Arrays for the chargers in `charger_ids` order."""
    chargers = [resolved.chargers[c] for c in charger_ids]
    n_sites = len(site_ids)
    power = np.array([c.power_kw for c in chargers])
    is_dc = np.array([c.current == "DC" for c in chargers], dtype=bool)
    site = np.array([site_ids.index(c.site) for c in chargers], dtype=np.intp)
    lonlat = np.array([c.location for c in chargers], dtype=np.float64).reshape(-1, 2)
    best_first = np.lexsort((np.arange(len(chargers)), -power, site))
    has_dc = np.bincount(site, weights=is_dc, minlength=n_sites) > 0
    has_ac = np.bincount(site, weights=~is_dc, minlength=n_sites) > 0
    route_end = np.array([resolved.routes[r].end for r in route_ids]).reshape(-1, 2)
    site_lonlat = np.array([resolved.sites[s].location for s in site_ids]).reshape(-1, 2)
    return ChargerArrays(
        power_kw=power,
        is_dc=is_dc,
        ports=np.array([c.ports for c in chargers], dtype=np.int64),
        site=site,
        efficiency=np.array([c.efficiency for c in chargers]),
        site_limit_kw=np.array([resolved.sites[s].site_power_limit_kw or np.inf for s in site_ids]),
        dc_order=best_first[is_dc[best_first]],
        ac_order=best_first[~is_dc[best_first]],
        can_charge_at=(has_dc[:, None] & (fleet.dc_kw > 0)[None, :])
        | (has_ac[:, None] & (fleet.ac_kw > 0)[None, :]),
        route_end_site=site_within_reach(route_end, lonlat, site),
        depot_place=site_within_reach(site_lonlat, lonlat, site)[fleet.depot_site],
    )
