"""Summarise a result envelope: per-site, per-vehicle and per-charger answers, a few kB.

A pure function of the canonical envelope (its metadata, trips and charging events; never its
time series), so every door and sink gives the same summary bytes for the same result.
"""

import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from fleetsim.models.result import CanonicalResult, Kpis, Metadata, RunIdentity
from fleetsim.models.row_blocks import row_blocks
from fleetsim.models.summary import (
    MAX_STRANDED_LISTED,
    ChargerSummary,
    HeadlineKpis,
    ResultSummary,
    SiteSummary,
    StrandedTrip,
    VehicleOutcome,
)

STRANDED = b'"stranded":true'
"""A stranded trip's flag in the trips' canonical JSON (a key, as only a key precedes `:`)."""


def summarise(result: CanonicalResult) -> ResultSummary:
    """The summary of one result envelope, its charging events read a block at a time and
    only its stranded trips parsed, so a year's result costs a few MB besides its bytes."""
    metadata = result.metadata
    vehicles, chargers = _stays(result.part_view("charging_events"))
    stranded_count = _stranded_count(result)
    return ResultSummary(
        metadata=_metadata(metadata),
        headline=_headline(metadata),
        kpis=metadata.kpis,
        sites=_sites(metadata.kpis),
        vehicles=_vehicles(metadata, vehicles),
        chargers=_chargers(metadata.kpis, chargers),
        stranded_trips=stranded_trips(result, MAX_STRANDED_LISTED),
        stranded_trips_not_listed=max(stranded_count - MAX_STRANDED_LISTED, 0),
        warnings=metadata.warnings,
    )


def stranded_trips(result: CanonicalResult, limit: int | None = None) -> list[StrandedTrip]:
    """The envelope's stranded trips by departure then vehicle (trip order among equals):
    all of them, or the first `limit`."""
    rows = _stranded_rows(result)
    key = _departure_then_vehicle
    chosen = sorted(rows, key=key) if limit is None else heapq.nsmallest(limit, rows, key=key)
    fields = StrandedTrip.model_fields
    return [StrandedTrip.model_validate({name: row[name] for name in fields}) for row in chosen]


def _departure_then_vehicle(trip: Mapping[str, Any]) -> tuple[str, str]:
    return trip["departure"], trip["vehicle_id"]


def _stranded_rows(result: CanonicalResult) -> Iterator[dict[str, Any]]:
    """Each stranded trip row, in trip order: found by its flag in the trips' bytes and
    parsed alone (a row is flat and holds no brace, so it runs from the `{` before the flag
    to the `}` after it)."""
    envelope = result.json_bytes()
    start, stop = result.spans["trips"]
    found = envelope.find(STRANDED, start, stop)
    while found >= 0:
        row_start = envelope.rfind(b"{", start, found)
        row_stop = envelope.find(b"}", found, stop) + 1
        yield orjson.loads(envelope[row_start:row_stop])
        found = envelope.find(STRANDED, row_stop, stop)


def _stranded_count(result: CanonicalResult) -> int:
    """Stranded trips of the envelope, counted by their flag (nothing parsed)."""
    return result.json_bytes().count(STRANDED, *result.spans["trips"])


@dataclass
class _Stays:
    """Running totals of one vehicle's or charger's stays on a port, added in event order
    (as `sum` over their list adds, so the totals are the same floats)."""

    count: int = 0
    total_wait_s: float = 0
    max_wait_s: float = 0.0
    energy_from_grid_kwh: float = 0
    energy_to_battery_kwh: float = 0
    vehicles: set[str] = field(default_factory=set)

    def add(self, event: Mapping[str, Any]) -> None:
        wait_s = event["wait_s"]
        if not self.count or wait_s > self.max_wait_s:  # max keeps the first of equals
            self.max_wait_s = wait_s
        self.count += 1
        self.total_wait_s += wait_s
        self.energy_from_grid_kwh += event["energy_from_grid_kwh"]
        self.energy_to_battery_kwh += event["energy_to_battery_kwh"]
        self.vehicles.add(event["vehicle_id"])


def _stays(events: memoryview) -> tuple[dict[str, _Stays], dict[str, _Stays]]:
    """Per vehicle and per charger: the totals of their charging events, read in blocks."""
    vehicles: dict[str, _Stays] = {}
    chargers: dict[str, _Stays] = {}
    for block in row_blocks(events):
        for event in block:
            vehicles.setdefault(event["vehicle_id"], _Stays()).add(event)
            chargers.setdefault(event["charger_id"], _Stays()).add(event)
    return vehicles, chargers


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


def _metadata(metadata: Metadata) -> RunIdentity:
    return RunIdentity.model_validate(
        {field: getattr(metadata, field) for field in RunIdentity.model_fields}
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


def _vehicles(metadata: Metadata, stays: Mapping[str, _Stays]) -> list[VehicleOutcome]:
    """Each vehicle's totals with the count and waits of its stays on a port."""
    rows = []
    for vehicle in metadata.vehicles:
        own = stays.get(vehicle.vehicle_id, _Stays())
        rows.append(
            VehicleOutcome(
                **vehicle.model_dump(),
                charging_events=own.count,
                total_wait_s=own.total_wait_s,
                max_wait_s=own.max_wait_s,
            )
        )
    return rows


def _chargers(kpis: Kpis, stays: Mapping[str, _Stays]) -> list[ChargerSummary]:
    """Every charger of the run by id (those without a stay too), with its stays' totals."""
    rows = []
    for charger_id, utilisation in sorted(kpis.charger_utilisation.items()):
        own = stays.get(charger_id, _Stays())
        rows.append(
            ChargerSummary(
                charger_id=charger_id,
                utilisation=utilisation,
                charging_events=own.count,
                vehicles=len(own.vehicles),
                energy_from_grid_kwh=own.energy_from_grid_kwh,
                energy_to_battery_kwh=own.energy_to_battery_kwh,
                mean_wait_s=own.total_wait_s / own.count if own.count else 0.0,
                max_wait_s=own.max_wait_s,
            )
        )
    return rows
