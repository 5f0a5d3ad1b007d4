"""Turn a fleet run's arrays into the result envelope: KPIs, trips, events, series."""

from typing import BinaryIO

import numpy as np
from numpy.typing import NDArray

from fleetsim.models import (
    CanonicalResult,
    Kpis,
    Metadata,
    ResolvedRequest,
    VehicleSummary,
)
from fleetsim.models.result import (
    Counts,
    EnvelopeWriter,
    HorizonSummary,
    SavingsVsGreedy,
    SessionResult,
    SiteKpis,
    canonical_data,
    canonical_json_text,
)
from fleetsim.models.versions import MODEL_VERSION, SCHEMA_VERSION
from fleetsim.simulation.fleet import FULL_TOLERANCE_KWH, STATE_CODES, FleetRun
from fleetsim.simulation.json_rows import (
    block_time_texts,
    booleans,
    labels,
    number_texts,
    numbers,
    optional_numbers,
    times,
    write_rows_json,
)
from fleetsim.simulation.local_time import LocalClock
from fleetsim.simulation.tariffs import demand_charges

SERVED_TOLERANCE_KWH = 10 * FULL_TOLERANCE_KWH
"""A stay that stored this close to what it asked for was fully served."""
OVERSHOOT_TOLERANCE_KW = 1e-6
"""Site load above its limit by more than this is a violation (not rounding)."""


def _safe_ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def build_result(
    resolved: ResolvedRequest, run: FleetRun, greedy: FleetRun | None = None
) -> CanonicalResult:
    """The envelope of DESIGN §5 for one run; no wall-clock time, ids or hostnames inside.
    With `greedy` (greedy's run of the same input), the KPIs say what `run` saved on it."""
    clock = LocalClock.of(resolved.scenario.horizon)
    # The metadata first, in its own phase, so that its per-event temporaries are freed
    # before the rows are written.
    metadata = _metadata(resolved, run, greedy, clock)
    # The rows go straight from arrays to canonical JSON text, no object per row, into the
    # envelope's one buffer, in its parts' (sorted) order.
    writer = EnvelopeWriter()
    _events(writer.start("charging_events"), run, clock)
    writer.start("metadata").write(canonical_json_text(canonical_data(metadata)).encode("utf-8"))
    _site_load(writer.start("site_load"), run, clock)
    _series(writer.start("time_series_data"), run, clock)
    _trips(writer.start("trips"), run, clock)
    envelope, spans = writer.finished()
    return CanonicalResult.of_envelope(
        envelope,
        spans,
        {
            "trips": len(run.trip_vehicle),
            "time_series_data": run.series_soc.size,
            "site_load": run.site_load_kw.size,
            "charging_events": len(run.events["vehicle"]),
        },
    )


def _metadata(
    resolved: ResolvedRequest, run: FleetRun, greedy: FleetRun | None, clock: LocalClock
) -> Metadata:
    """Identity, lineage, KPIs and per-vehicle totals of one run."""
    scenario = resolved.scenario
    start = clock.start
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
    return Metadata(
        schema_version=SCHEMA_VERSION,
        model_version=MODEL_VERSION,
        input_digest=resolved.input_digest,
        scenario=scenario.id,
        strategy=scenario.strategy,
        horizon=HorizonSummary(
            start=start,
            end=clock.moments([float(scenario.horizon.days * 86_400)])[0],
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
        LocalClock.of(resolved.scenario.horizon),
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
    clock, index = LocalClock.of(resolved.scenario.horizon), run.index
    capacity = run.capacity_kwh[run.session_vehicle]
    arrival, departure, plugged_in = (
        clock.moments(np.nan_to_num(seconds).tolist())
        for seconds in (run.session_arrival_s, run.session_departure_s, run.session_plugged_in_s)
    )
    requested = (run.session_target_kwh - run.session_arrival_kwh).tolist()
    delivered = (run.session_departure_kwh - run.session_arrival_kwh).tolist()
    soc_arrival = (run.session_arrival_kwh / capacity).tolist()
    soc_departure = (run.session_departure_kwh / capacity).tolist()
    plugged_s = run.session_plugged_in_s.tolist()
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
            arrival=arrival[i],
            departure=departure[i],
            plugged_in=None if np.isnan(plugged_s[i]) else plugged_in[i],
            energy_requested_kwh=requested[i],
            energy_delivered_kwh=delivered[i],
            energy_unmet_kwh=max(requested[i] - delivered[i], 0.0),
            soc_arrival=soc_arrival[i],
            soc_departure=soc_departure[i],
        )
        for i, vehicle in enumerate(run.session_vehicle.tolist())
    ]


MOTOR_LIMIT_PAIRS_LISTED = 5
"""The motor-limit note names this many vehicle type/route pairs, most trips first."""


def _trip_warnings(run: FleetRun) -> list[str]:
    """A note on trips whose trace asked more than the motor's power: which vehicle type
    and route pairs, how many trips and how many seconds each (information, not a fault)."""
    clipped = np.flatnonzero(run.trip_missed_s > 0)
    if not len(clipped):
        return []
    seconds_by_pair: dict[tuple[str, str], list[float]] = {}
    for trip in clipped.tolist():
        vehicle_type = run.index.vehicle_types[int(run.trip_vehicle[trip])]
        route = run.index.route_ids[int(run.trip_route[trip])]
        seconds_by_pair.setdefault((vehicle_type, route), []).append(float(run.trip_missed_s[trip]))
    pairs = sorted(seconds_by_pair.items(), key=lambda item: (-len(item[1]), item[0]))
    described = [
        f"{vehicle_type} on {route}: {len(seconds)} trips, {_seconds_range(seconds)} each"
        for (vehicle_type, route), seconds in pairs[:MOTOR_LIMIT_PAIRS_LISTED]
    ]
    if len(pairs) > MOTOR_LIMIT_PAIRS_LISTED:
        described.append(f"{len(pairs) - MOTOR_LIMIT_PAIRS_LISTED} more pairs")
    return [
        f"motor power limit: {len(clipped)} of {len(run.trip_missed_s)} trips spend a few"
        " seconds at full motor power, short of their speed trace (those seconds count as"
        f" driven; not a fault): {'; '.join(described)}"
    ]


def _seconds_range(seconds: list[float]) -> str:
    """`35 s`, or `11-14 s` when the trips differ."""
    low, high = round(min(seconds)), round(max(seconds))
    return f"{low} s" if low == high else f"{low}-{high} s"


def _trips(out: BinaryIO, run: FleetRun, clock: LocalClock) -> None:
    """Every trip, by departure then vehicle."""
    used_kwh, km = run.trip_energy_used_kwh, run.trip_distance_km
    write_rows_json(
        out,
        len(km),
        {
            "vehicle_id": labels(run.index.vehicle_ids, run.trip_vehicle),
            "route_id": labels(run.index.route_ids, run.trip_route),
            "departure": times(clock, run.trip_departure_s),
            "arrival": lambda rows: block_time_texts(
                clock, run.trip_departure_s[rows] + run.trip_duration_s[rows]
            ),
            "distance_km": numbers(km),
            "energy_used_kwh": numbers(used_kwh),
            "kwh_per_km": lambda rows: number_texts(_per_km(used_kwh[rows], km[rows])),
            "soc_start": numbers(run.trip_soc_start),
            "soc_end": numbers(run.trip_soc_end),
            "missed_s": numbers(run.trip_missed_s),
            "stranded": booleans(run.trip_stranded),
            "stranded_at_km": optional_numbers(run.trip_stranded_at_km),
            "shortfall_kwh": optional_numbers(run.trip_shortfall_kwh),
        },
        order=np.lexsort((run.trip_vehicle, run.trip_departure_s)),
    )


def _per_km(used_kwh: NDArray[np.float64], km: NDArray[np.float64]) -> NDArray[np.float64]:
    """Energy per km of each trip; 0 for a trip of no distance."""
    return np.divide(used_kwh, km, out=np.zeros(len(km)), where=km > 0)


def _series(out: BinaryIO, run: FleetRun, clock: LocalClock) -> None:
    """Per sample, per vehicle (fleet order): SoC, odometer, state and battery power."""
    n_samples, n_vehicles = run.series_soc.shape
    sample_s = np.arange(n_samples) * float(run.sample_every * run.step_s)
    write_rows_json(
        out,
        n_samples * n_vehicles,
        {
            "t": times(clock, np.repeat(sample_s, n_vehicles)),
            "vehicle_id": labels(run.index.vehicle_ids, np.tile(np.arange(n_vehicles), n_samples)),
            "soc": numbers(run.series_soc.ravel()),
            "odometer_km": numbers(run.series_odometer_km.ravel()),
            "state": labels(list(STATE_CODES), run.series_state.ravel()),
            "power_kw": numbers(run.series_power_kw.ravel()),
        },
    )


def _site_load(out: BinaryIO, run: FleetRun, clock: LocalClock) -> None:
    """Per step, per site: grid kW."""
    n_sites = len(run.index.site_ids)
    step_s = np.arange(run.n_steps) * float(run.step_s)
    write_rows_json(
        out,
        run.n_steps * n_sites,
        {
            "t": times(clock, np.repeat(step_s, n_sites)),
            "site": labels(run.index.site_ids, np.tile(np.arange(n_sites), run.n_steps)),
            "kw": numbers(run.site_load_kw.ravel()),
        },
    )


def _events(out: BinaryIO, run: FleetRun, clock: LocalClock) -> None:
    """Every stay on a charger port, by vehicle then plug-in time."""
    e = run.events
    write_rows_json(
        out,
        len(e["vehicle"]),
        {
            "vehicle_id": labels(run.index.vehicle_ids, e["vehicle"].astype(np.intp)),
            "charger_id": labels(run.index.charger_ids, e["charger"].astype(np.intp)),
            "arrived": times(clock, e["arrived_s"]),
            "plugged_in": times(clock, e["plugged_in_s"]),
            "end": times(clock, e["end_s"]),
            "energy_requested_kwh": numbers(e["energy_requested_kwh"]),
            "energy_from_grid_kwh": numbers(e["energy_from_grid_kwh"]),
            "energy_to_battery_kwh": numbers(e["energy_to_battery_kwh"]),
            "soc_start": numbers(e["soc_start"]),
            "soc_end": numbers(e["soc_end"]),
            "cost": numbers(e["cost"]),
            "wait_s": lambda rows: number_texts(e["plugged_in_s"][rows] - e["arrived_s"][rows]),
        },
        order=np.lexsort((e["plugged_in_s"], e["vehicle"])),
    )
