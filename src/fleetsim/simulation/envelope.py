"""Turn a fleet run's arrays into the result envelope: KPIs, trips, events, series."""

from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import (
    ChargingEvent,
    Kpis,
    Metadata,
    ResolvedRequest,
    SimulationResult,
    SiteLoadPoint,
    TimeSeriesPoint,
    TripResult,
    VehicleSummary,
)
from fleetsim.models.result import Counts, HorizonSummary
from fleetsim.simulation.fleet import STATE_CODES, FleetRun


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _safe_ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def _times(start: datetime, seconds: NDArray[Any]) -> list[datetime]:
    return [start + timedelta(seconds=float(s)) for s in seconds]


def build_result(resolved: ResolvedRequest, run: FleetRun, version: str) -> SimulationResult:
    """The envelope of DESIGN §5 for one run; no wall-clock time, ids or hostnames inside."""
    scenario = resolved.scenario
    start = scenario.horizon.start
    index = run.index
    events = run.events
    ev_vehicle = events["vehicle"].astype(np.intp)
    ev_charger = events["charger"].astype(np.intp)
    n_vehicles = len(index.vehicle_ids)

    driven = np.bincount(run.trip_vehicle, weights=run.trip_energy_kwh, minlength=n_vehicles)
    charged = np.bincount(ev_vehicle, weights=events["stored_kwh"], minlength=n_vehicles)
    distance = np.bincount(run.trip_vehicle, weights=run.trip_distance_km, minlength=n_vehicles)
    trip_count = np.bincount(run.trip_vehicle, minlength=n_vehicles)
    stranded_count = np.bincount(
        run.trip_vehicle, weights=run.trip_stranded.astype(float), minlength=n_vehicles
    )
    vehicles = [
        VehicleSummary(
            vehicle_id=vid,
            type=index.vehicle_types[i],
            depot=index.vehicle_depots[i],
            soc_start=float(run.soc_start[i]),
            soc_end=float(run.soc_end[i]),
            min_soc=float(run.min_soc[i]),
            energy_charged_kwh=float(charged[i]),
            energy_driven_kwh=float(driven[i]),
            distance_km=float(distance[i]),
            trips=int(trip_count[i]),
            stranded_trips=int(stranded_count[i]),
        )
        for i, vid in enumerate(index.vehicle_ids)
    ]

    cost_by_row = np.bincount(
        run.charger_price_row[ev_charger], weights=events["cost"], minlength=len(run.prices.names)
    )
    busy_s = np.bincount(
        ev_charger, weights=events["end_s"] - events["start_s"], minlength=len(index.charger_ids)
    )
    span_s = run.n_steps * run.step_s
    waits = np.concatenate([events["start_s"] - events["plug_in_s"], run.missed_wait_s])
    total_driven = float(run.trip_energy_kwh.sum())
    total_km = float(run.trip_distance_km.sum())
    kpis = Kpis(
        feasible=not bool(run.trip_stranded.any()),
        stranded_trips=int(run.trip_stranded.sum()),
        min_soc=float(run.min_soc.min()) if n_vehicles else 0.0,
        energy_kwh=float(events["grid_kwh"].sum()),
        energy_charged_kwh=float(events["stored_kwh"].sum()),
        energy_driven_kwh=total_driven,
        energy_at_wheels_kwh=float(run.trip_wheel_kwh.sum()),
        distance_km=total_km,
        kwh_per_km=_safe_ratio(total_driven, total_km),
        charging_cost=float(events["cost"].sum()),
        charging_cost_by_tariff={
            name: float(cost_by_row[i]) for i, name in enumerate(run.prices.names)
        },
        currency=run.prices.currency,
        peak_site_kw={
            site: float(run.site_load_kw[:, i].max()) if run.n_steps else 0.0
            for i, site in enumerate(index.site_ids)
        },
        charger_utilisation={
            cid: _safe_ratio(float(busy_s[i]), float(run.charger_ports[i] * span_s))
            for i, cid in enumerate(index.charger_ids)
        },
        mean_wait_s=float(waits.mean()) if len(waits) else 0.0,
        max_wait_s=float(waits.max()) if len(waits) else 0.0,
        missed_charging_sessions=len(run.missed_wait_s),
    )
    metadata = Metadata(
        request_hash=resolved.request_hash,
        fleetsim_version=version,
        config_digest=resolved.config_digest,
        scenario=scenario.id,
        strategy=scenario.strategy,
        horizon=HorizonSummary(
            start=start,
            end=start + timedelta(days=scenario.horizon.days),
            days=scenario.horizon.days,
        ),
        counts=Counts(
            routes=len(index.route_ids),
            vehicles=n_vehicles,
            chargers=len(index.charger_ids),
            trips=len(run.trip_vehicle),
        ),
        kpis=kpis,
        vehicles=vehicles,
        warnings=run.warnings + _trip_warnings(run),
        lineage={"inputs": dict(sorted(resolved.lineage.items()))},
        time_series_resolution_s=run.sample_every * run.step_s,
    )
    return SimulationResult.model_construct(
        metadata=metadata,
        trips=_trips(run, start),
        time_series_data=_series(run, start),
        site_load=_site_load(run, start),
        charging_events=_events(run, start),
    )


def _trip_warnings(run: FleetRun) -> list[str]:
    missed = int((run.trip_missed_s > 0).sum())
    if not missed:
        return []
    return [f"{missed} trips ask more than the motor's power: their traces were not followed"]


def _trips(run: FleetRun, start: datetime) -> list[TripResult]:
    index = run.index
    departures = _times(start, run.trip_departure_s)
    arrivals = _times(start, run.trip_departure_s + run.trip_duration_s)
    return [
        TripResult.model_construct(
            vehicle_id=index.vehicle_ids[run.trip_vehicle[i]],
            route_id=index.route_ids[run.trip_route[i]],
            departure=departures[i],
            arrival=arrivals[i],
            distance_km=float(run.trip_distance_km[i]),
            energy_kwh=float(run.trip_energy_kwh[i]),
            kwh_per_km=_safe_ratio(float(run.trip_energy_kwh[i]), float(run.trip_distance_km[i])),
            soc_start=float(run.trip_soc_start[i]),
            soc_end=float(run.trip_soc_end[i]),
            missed_s=float(run.trip_missed_s[i]),
            stranded=bool(run.trip_stranded[i]),
            stranded_at_km=_optional(float(run.trip_stranded_at_km[i])),
            shortfall_kwh=_optional(float(run.trip_shortfall_kwh[i])),
        )
        for i in np.lexsort((run.trip_vehicle, run.trip_departure_s))
    ]


def _series(run: FleetRun, start: datetime) -> list[TimeSeriesPoint]:
    n_samples, n_vehicles = run.series_soc.shape
    times = _times(start, np.arange(n_samples) * float(run.sample_every * run.step_s))
    soc, odo, power = (
        run.series_soc.tolist(),
        run.series_odometer_km.tolist(),
        run.series_power_kw.tolist(),
    )
    state = run.series_state.tolist()
    return [
        TimeSeriesPoint.model_construct(
            t=times[s],
            vehicle_id=run.index.vehicle_ids[v],
            soc=soc[s][v],
            odometer_km=odo[s][v],
            state=STATE_CODES[state[s][v]],
            power_kw=power[s][v],
        )
        for s in range(n_samples)
        for v in range(n_vehicles)
    ]


def _site_load(run: FleetRun, start: datetime) -> list[SiteLoadPoint]:
    times = _times(start, np.arange(run.n_steps) * float(run.step_s))
    load = run.site_load_kw.tolist()
    return [
        SiteLoadPoint.model_construct(t=times[k], site=site, kw=load[k][i])
        for k in range(run.n_steps)
        for i, site in enumerate(run.index.site_ids)
    ]


def _events(run: FleetRun, start: datetime) -> list[ChargingEvent]:
    e = run.events
    order = np.lexsort((e["start_s"], e["vehicle"]))
    columns = {name: values[order].tolist() for name, values in e.items()}
    return [
        ChargingEvent.model_construct(
            vehicle_id=run.index.vehicle_ids[int(columns["vehicle"][i])],
            charger_id=run.index.charger_ids[int(columns["charger"][i])],
            plug_in=start + timedelta(seconds=columns["plug_in_s"][i]),
            start=start + timedelta(seconds=columns["start_s"][i]),
            end=start + timedelta(seconds=columns["end_s"][i]),
            energy_kwh=columns["grid_kwh"][i],
            energy_stored_kwh=columns["stored_kwh"][i],
            soc_start=columns["soc_start"][i],
            soc_end=columns["soc_end"][i],
            cost=columns["cost"][i],
            wait_s=columns["start_s"][i] - columns["plug_in_s"][i],
        )
        for i in range(len(order))
    ]
