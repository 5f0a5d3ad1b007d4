"""Turn a fleet run's arrays into the result envelope: KPIs, trips, events, series."""

from datetime import datetime, timedelta
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray
from pydantic import TypeAdapter

from fleetsim.models import (
    CanonicalResult,
    Kpis,
    Metadata,
    ResolvedRequest,
    VehicleSummary,
)
from fleetsim.models.result import (
    Counts,
    HorizonSummary,
    SavingsVsGreedy,
    SessionResult,
    SiteKpis,
    canonical_data,
    rounded_floats,
)
from fleetsim.models.versions import MODEL_VERSION, SCHEMA_VERSION
from fleetsim.simulation.fleet import FULL_TOLERANCE_KWH, STATE_CODES, FleetRun
from fleetsim.simulation.tariffs import demand_charges

_DATETIMES = TypeAdapter(list[datetime])
SERVED_TOLERANCE_KWH = 10 * FULL_TOLERANCE_KWH
"""A stay that stored this close to what it asked for was fully served."""
OVERSHOOT_TOLERANCE_KW = 1e-6
"""Site load above its limit by more than this is a violation (not rounding)."""


def _json_times(start: datetime, seconds: NDArray[Any]) -> list[str]:
    """`start` + each offset, as the envelope's JSON writes a datetime."""
    times = [start + timedelta(seconds=s) for s in seconds.tolist()]
    return cast(list[str], _DATETIMES.dump_python(times, mode="json"))


def _optional(values: NDArray[np.float64]) -> list[float | None]:
    """Rounded values, None where NaN (not applicable)."""
    rounded = rounded_floats(np.nan_to_num(values).tolist())
    return [
        None if missing else r
        for r, missing in zip(rounded, np.isnan(values).tolist(), strict=True)
    ]


def _safe_ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def build_result(
    resolved: ResolvedRequest, run: FleetRun, greedy: FleetRun | None = None
) -> CanonicalResult:
    """The envelope of DESIGN §5 for one run; no wall-clock time, ids or hostnames inside.
    With `greedy` (greedy's run of the same input), the KPIs say what `run` saved on it."""
    scenario = resolved.scenario
    start = scenario.horizon.start
    index = run.index
    events = run.events
    ev_vehicle = events["vehicle"].astype(np.intp)
    ev_charger = events["charger"].astype(np.intp)
    n_vehicles = len(index.vehicle_ids)

    driven = np.bincount(run.trip_vehicle, weights=run.trip_energy_used_kwh, minlength=n_vehicles)
    to_battery = np.bincount(
        ev_vehicle, weights=events["energy_to_battery_kwh"], minlength=n_vehicles
    )
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
            energy_to_battery_kwh=float(to_battery[i]),
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
    sites = _site_kpis(resolved, run)
    requested, delivered = _stays_requested_delivered_kwh(run)
    energy_cost = float(events["cost"].sum())
    demand_charge = sum(site.demand_charge for site in sites.values())
    busy_s = np.bincount(
        ev_charger,
        weights=events["end_s"] - events["plugged_in_s"],
        minlength=len(index.charger_ids),
    )
    span_s = run.n_steps * run.step_s
    waits = np.concatenate([events["plugged_in_s"] - events["arrived_s"], run.missed_wait_s])
    total_driven = float(run.trip_energy_used_kwh.sum())
    total_km = float(run.trip_distance_km.sum())
    kpis = Kpis(
        feasible=not bool(run.trip_stranded.any()),
        stranded_trips=int(run.trip_stranded.sum()),
        min_soc=float(run.min_soc.min()) if n_vehicles else 0.0,
        energy_from_grid_kwh=float(events["energy_from_grid_kwh"].sum()),
        energy_to_battery_kwh=float(events["energy_to_battery_kwh"].sum()),
        energy_driven_kwh=total_driven,
        energy_at_wheels_kwh=float(run.trip_wheel_kwh.sum()),
        distance_km=total_km,
        kwh_per_km=_safe_ratio(total_driven, total_km),
        charging_cost=energy_cost + demand_charge,
        energy_cost=energy_cost,
        demand_charge=demand_charge,
        charging_cost_by_tariff={
            name: float(cost_by_row[i]) for i, name in enumerate(run.prices.names)
        },
        currency=run.prices.currency,
        peak_site_kw={site_id: site.peak_kw for site_id, site in sites.items()},
        sites=sites,
        site_limit_respected=not any(site.steps_above_limit for site in sites.values()),
        charger_utilisation={
            cid: _safe_ratio(float(busy_s[i]), float(run.charger_ports[i] * span_s))
            for i, cid in enumerate(index.charger_ids)
        },
        mean_wait_s=float(waits.mean()) if len(waits) else 0.0,
        max_wait_s=float(waits.max()) if len(waits) else 0.0,
        missed_charging_sessions=len(run.missed_wait_s),
        charging_sessions=len(requested),
        charging_sessions_fully_served=int((delivered >= requested - SERVED_TOLERANCE_KWH).sum()),
        energy_requested_kwh=float(requested.sum()),
        energy_unmet_kwh=float(np.maximum(requested - delivered, 0.0).sum()),
        savings_vs_greedy=None if greedy is None else _savings(resolved, greedy, sites),
    )
    metadata = Metadata(
        schema_version=SCHEMA_VERSION,
        model_version=MODEL_VERSION,
        input_digest=resolved.input_digest,
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
        sessions=_sessions(resolved, run),
        warnings=run.warnings + _trip_warnings(run),
        lineage={"inputs": dict(sorted(resolved.lineage.items()))},
        time_series_resolution_s=run.sample_every * run.step_s,
    )
    # The rows go straight from arrays to canonical JSON data: no model object per row.
    return CanonicalResult(
        {
            "metadata": canonical_data(metadata),
            "trips": _trips(run, start),
            "time_series_data": _series(run, start),
            "site_load": _site_load(run, start),
            "charging_events": _events(run, start),
        },
    )


def _stays_requested_delivered_kwh(
    run: FleetRun,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per stay at a charger (charging events, then missed sessions): energy asked, stored."""
    events = run.events
    requested = np.concatenate([events["energy_requested_kwh"], run.missed_requested_kwh])
    delivered = np.concatenate([events["energy_to_battery_kwh"], np.zeros(len(run.missed_wait_s))])
    return requested, delivered


def _savings(
    resolved: ResolvedRequest, greedy: FleetRun, sites: dict[str, SiteKpis]
) -> SavingsVsGreedy:
    """Greedy's bill, peaks, shortfall and strandings beside what this run (`sites`) saved."""
    greedy_sites = _site_kpis(resolved, greedy)
    greedy_cost = sum(site.energy_cost + site.demand_charge for site in greedy_sites.values())
    cost = sum(site.energy_cost + site.demand_charge for site in sites.values())
    requested, delivered = _stays_requested_delivered_kwh(greedy)
    return SavingsVsGreedy(
        greedy_charging_cost=greedy_cost,
        charging_cost_saved=greedy_cost - cost,
        greedy_peak_site_kw={site_id: site.peak_kw for site_id, site in greedy_sites.items()},
        peak_site_kw_saved={
            site_id: greedy_sites[site_id].peak_kw - site.peak_kw for site_id, site in sites.items()
        },
        greedy_energy_unmet_kwh=float(np.maximum(requested - delivered, 0.0).sum()),
        greedy_stranded_trips=int(greedy.trip_stranded.sum()),
    )


def _site_kpis(resolved: ResolvedRequest, run: FleetRun) -> dict[str, SiteKpis]:
    """Each site's grid energy, bill (energy and demand charge) and load against its limit."""
    index, events, step_h = run.index, run.events, run.step_s / 3600.0
    n_sites = len(index.site_ids)
    event_site = run.charger_site[events["charger"].astype(np.intp)]
    grid_kwh = np.bincount(event_site, weights=events["energy_from_grid_kwh"], minlength=n_sites)
    cost = np.bincount(event_site, weights=events["cost"], minlength=n_sites)
    tariffs = [resolved.sites[s].tariff for s in index.site_ids]
    demand = demand_charges(
        run.site_load_kw,
        resolved.scenario.horizon.start,
        run.step_s,
        resolved.scenario.horizon.days,
        np.array([resolved.tariffs[t].demand_charge_per_kw if t else 0.0 for t in tariffs]),
    )
    over_kw = np.maximum(run.site_load_kw - run.site_limit_kw, 0.0)
    above = over_kw > OVERSHOOT_TOLERANCE_KW
    return {
        site: SiteKpis(
            energy_from_grid_kwh=float(grid_kwh[i]),
            energy_cost=float(cost[i]),
            demand_charge=float(demand.charge[i]),
            peak_kw=float(run.site_load_kw[:, i].max()) if run.n_steps else 0.0,
            peak_15min_kw=float(demand.peak_15min_kw[i]),
            site_power_limit_kw=resolved.sites[site].site_power_limit_kw,
            steps_above_limit=int(above[:, i].sum()),
            max_overshoot_kw=float(over_kw[:, i].max()) if run.n_steps else 0.0,
            energy_above_limit_kwh=float(over_kw[:, i].sum() * step_h),
        )
        for i, site in enumerate(index.site_ids)
    }


def _sessions(resolved: ResolvedRequest, run: FleetRun) -> list[SessionResult]:
    """Each of the request's sessions inside the horizon: what it asked and what it got."""
    start, index = resolved.scenario.horizon.start, run.index
    capacity = run.capacity_kwh[run.session_vehicle]
    requested = (run.session_target_kwh - run.session_arrival_kwh).tolist()
    delivered = (run.session_departure_kwh - run.session_arrival_kwh).tolist()
    soc_arrival = (run.session_arrival_kwh / capacity).tolist()
    soc_departure = (run.session_departure_kwh / capacity).tolist()
    plugged_s = run.session_plugged_in_s.tolist()
    arrival_s, departure_s = run.session_arrival_s.tolist(), run.session_departure_s.tolist()
    chargers = run.session_charger.tolist()
    sites = run.session_site.tolist()
    sources = run.session_source.tolist()
    return [
        SessionResult(
            session_index=sources[i],
            vehicle_id=index.vehicle_ids[vehicle],
            vehicle_type=index.vehicle_types[vehicle],
            site=index.site_ids[sites[i]],
            charger_id=index.charger_ids[chargers[i]] if chargers[i] >= 0 else None,
            arrival=start + timedelta(seconds=arrival_s[i]),
            departure=start + timedelta(seconds=departure_s[i]),
            plugged_in=None if np.isnan(plugged_s[i]) else start + timedelta(seconds=plugged_s[i]),
            energy_requested_kwh=requested[i],
            energy_delivered_kwh=delivered[i],
            energy_unmet_kwh=max(requested[i] - delivered[i], 0.0),
            soc_arrival=soc_arrival[i],
            soc_departure=soc_departure[i],
        )
        for i, vehicle in enumerate(run.session_vehicle.tolist())
    ]


def _trip_warnings(run: FleetRun) -> list[str]:
    missed = int((run.trip_missed_s > 0).sum())
    if not missed:
        return []
    return [f"{missed} trips ask more than the motor's power: their traces were not followed"]


def _trips(run: FleetRun, start: datetime) -> list[dict[str, Any]]:
    order = np.lexsort((run.trip_vehicle, run.trip_departure_s))
    used_kwh, km = run.trip_energy_used_kwh[order], run.trip_distance_km[order]
    columns = {
        "vehicle_id": [run.index.vehicle_ids[v] for v in run.trip_vehicle[order].tolist()],
        "route_id": [run.index.route_ids[r] for r in run.trip_route[order].tolist()],
        "departure": _json_times(start, run.trip_departure_s[order]),
        "arrival": _json_times(start, run.trip_departure_s[order] + run.trip_duration_s[order]),
        "distance_km": rounded_floats(km.tolist()),
        "energy_used_kwh": rounded_floats(used_kwh.tolist()),
        "kwh_per_km": rounded_floats(
            np.divide(used_kwh, km, out=np.zeros(len(order)), where=km > 0).tolist()
        ),
        "soc_start": rounded_floats(run.trip_soc_start[order].tolist()),
        "soc_end": rounded_floats(run.trip_soc_end[order].tolist()),
        "missed_s": rounded_floats(run.trip_missed_s[order].tolist()),
        "stranded": run.trip_stranded[order].tolist(),
        "stranded_at_km": _optional(run.trip_stranded_at_km[order]),
        "shortfall_kwh": _optional(run.trip_shortfall_kwh[order]),
    }
    return _rows(columns)


def _rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Equal-length columns as row dicts."""
    names = list(columns)
    return [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _series(run: FleetRun, start: datetime) -> list[dict[str, Any]]:
    n_samples, n_vehicles = run.series_soc.shape
    times = _json_times(start, np.arange(n_samples) * float(run.sample_every * run.step_s))
    return [
        {"t": t, "vehicle_id": v, "soc": soc, "odometer_km": km, "state": state, "power_kw": kw}
        for t, v, soc, km, state, kw in zip(
            [t for t in times for _ in range(n_vehicles)],
            run.index.vehicle_ids * n_samples,
            rounded_floats(run.series_soc.ravel().tolist()),
            rounded_floats(run.series_odometer_km.ravel().tolist()),
            [STATE_CODES[code] for code in run.series_state.ravel().tolist()],
            rounded_floats(run.series_power_kw.ravel().tolist()),
            strict=True,
        )
    ]


def _site_load(run: FleetRun, start: datetime) -> list[dict[str, Any]]:
    times = _json_times(start, np.arange(run.n_steps) * float(run.step_s))
    sites = run.index.site_ids
    return [
        {"t": t, "site": site, "kw": kw}
        for t, site, kw in zip(
            [t for t in times for _ in sites],
            sites * run.n_steps,
            rounded_floats(run.site_load_kw.ravel().tolist()),
            strict=True,
        )
    ]


def _events(run: FleetRun, start: datetime) -> list[dict[str, Any]]:
    e = run.events
    order = np.lexsort((e["plugged_in_s"], e["vehicle"]))
    col = {name: values[order] for name, values in e.items()}
    columns = {
        "vehicle_id": [run.index.vehicle_ids[v] for v in col["vehicle"].astype(np.intp).tolist()],
        "charger_id": [run.index.charger_ids[c] for c in col["charger"].astype(np.intp).tolist()],
        "arrived": _json_times(start, col["arrived_s"]),
        "plugged_in": _json_times(start, col["plugged_in_s"]),
        "end": _json_times(start, col["end_s"]),
        "energy_requested_kwh": rounded_floats(col["energy_requested_kwh"].tolist()),
        "energy_from_grid_kwh": rounded_floats(col["energy_from_grid_kwh"].tolist()),
        "energy_to_battery_kwh": rounded_floats(col["energy_to_battery_kwh"].tolist()),
        "soc_start": rounded_floats(col["soc_start"].tolist()),
        "soc_end": rounded_floats(col["soc_end"].tolist()),
        "cost": rounded_floats(col["cost"].tolist()),
        "wait_s": rounded_floats((col["plugged_in_s"] - col["arrived_s"]).tolist()),
    }
    return _rows(columns)
