"""Summarise a result envelope: per-site, per-vehicle and per-charger answers, a few kB.

A pure function of the canonical envelope (its metadata, trips and charging events; never its
time series), so every door and sink gives the same summary bytes for the same result.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from fleetsim.models.result import CanonicalResult, Kpis, Metadata
from fleetsim.models.summary import (
    MAX_STRANDED_LISTED,
    ChargerSummary,
    HeadlineKpis,
    ResultSummary,
    SiteSummary,
    StrandedTrip,
    SummaryMetadata,
    VehicleOutcome,
)


def summarise(result: CanonicalResult) -> ResultSummary:
    """The summary of one result envelope."""
    metadata = result.metadata
    events: Sequence[Mapping[str, Any]] = result.data["charging_events"]
    stranded = stranded_trips(result.data)
    return ResultSummary(
        metadata=_metadata(metadata),
        headline=_headline(metadata),
        kpis=metadata.kpis,
        sites=_sites(metadata.kpis),
        vehicles=_vehicles(metadata, events),
        chargers=_chargers(metadata.kpis, events),
        stranded_trips=stranded[:MAX_STRANDED_LISTED],
        stranded_trips_not_listed=max(len(stranded) - MAX_STRANDED_LISTED, 0),
        warnings=metadata.warnings,
    )


def stranded_trips(data: Mapping[str, Any]) -> list[StrandedTrip]:
    """Every stranded trip of an envelope's canonical data, by departure then vehicle."""
    stranded = [trip for trip in data["trips"] if trip["stranded"]]
    stranded.sort(key=lambda trip: (trip["departure"], trip["vehicle_id"]))
    fields = StrandedTrip.model_fields
    return [
        StrandedTrip.model_validate({field: trip[field] for field in fields}) for trip in stranded
    ]


def _headline(metadata: Metadata) -> HeadlineKpis:
    """The figures of a job list row, from the envelope's metadata alone."""
    kpis = metadata.kpis
    return HeadlineKpis(
        feasible=kpis.feasible,
        stranded_trips=kpis.stranded_trips,
        stranded_vehicles=sum(1 for vehicle in metadata.vehicles if vehicle.stranded_trips),
        min_soc=kpis.min_soc,
        energy_from_grid_kwh=kpis.energy_from_grid_kwh,
        charging_cost=kpis.charging_cost,
        currency=kpis.currency,
        peak_kw=max(kpis.peak_site_kw.values(), default=0.0),
        site_limit_respected=kpis.site_limit_respected,
        missed_charging_sessions=kpis.missed_charging_sessions,
        max_wait_s=kpis.max_wait_s,
    )


def _metadata(metadata: Metadata) -> SummaryMetadata:
    return SummaryMetadata.model_validate(
        {field: getattr(metadata, field) for field in SummaryMetadata.model_fields}
    )


def _sites(kpis: Kpis) -> list[SiteSummary]:
    """Each site by id, with the headroom between its limit and its peak."""
    return [
        SiteSummary(
            site_id=site_id,
            headroom_kw=None
            if site.site_power_limit_kw is None
            else site.site_power_limit_kw - site.peak_kw,
            **site.model_dump(),
        )
        for site_id, site in sorted(kpis.sites.items())
    ]


def _vehicles(metadata: Metadata, events: Sequence[Mapping[str, Any]]) -> list[VehicleOutcome]:
    """Each vehicle's totals with the count and waits of its stays on a port."""
    waits: dict[str, list[float]] = defaultdict(list)
    for event in events:
        waits[event["vehicle_id"]].append(event["wait_s"])
    return [
        VehicleOutcome(
            **vehicle.model_dump(),
            charging_events=len(waits[vehicle.vehicle_id]),
            total_wait_s=sum(waits[vehicle.vehicle_id]),
            max_wait_s=max(waits[vehicle.vehicle_id], default=0.0),
        )
        for vehicle in metadata.vehicles
    ]


def _chargers(kpis: Kpis, events: Sequence[Mapping[str, Any]]) -> list[ChargerSummary]:
    """Every charger of the run by id (those without a stay too), with its stays' totals."""
    stays: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for event in events:
        stays[event["charger_id"]].append(event)
    rows = []
    for charger_id, utilisation in sorted(kpis.charger_utilisation.items()):
        own = stays[charger_id]
        waits = [event["wait_s"] for event in own]
        rows.append(
            ChargerSummary(
                charger_id=charger_id,
                utilisation=utilisation,
                charging_events=len(own),
                vehicles=len({event["vehicle_id"] for event in own}),
                energy_from_grid_kwh=sum(event["energy_from_grid_kwh"] for event in own),
                energy_to_battery_kwh=sum(event["energy_to_battery_kwh"] for event in own),
                mean_wait_s=sum(waits) / len(waits) if waits else 0.0,
                max_wait_s=max(waits, default=0.0),
            )
        )
    return rows
