"""Hand-built charging cases whose answers are known in closed form."""

import math
from collections.abc import Callable
from datetime import time

import numpy as np
import pytest
from builders import START, charger, vehicle

from fleetsim.models import FleetVehicle, ResolvedRequest, Trip
from fleetsim.simulation import simulate, simulate_fleet
from fleetsim.simulation.fleet import CHARGING, DRIVING, PARKED

Make = Callable[..., ResolvedRequest]


def at_half(vehicle_id: str) -> FleetVehicle:
    return FleetVehicle(id=vehicle_id, type="van", depot="depot", initial_soc=0.5)


def test_flat_power_charge_takes_energy_over_power(make: Make) -> None:
    # 100 kWh battery from 50 % to 100 % at 50 kW, lossless: 50 kWh / 50 kW = 1 h exactly.
    run = simulate_fleet(make([at_half("a")]))
    assert run.events["plugged_in_s"].tolist() == [0.0]
    assert math.isclose(run.events["end_s"][0], 3600.0)
    assert math.isclose(run.events["energy_to_battery_kwh"][0], 50.0)
    assert math.isclose(run.soc_end[0], 1.0)


def test_charge_ends_inside_a_step_at_its_exact_time(make: Make) -> None:
    # 50 kWh at 40 kW = 4,500 s: the 300 s grid would say 4,500 too, so use 45 kW: 4,000 s.
    request = make([at_half("a")], chargers=[charger(power_kw=45)])
    run = simulate_fleet(request)
    assert math.isclose(run.events["end_s"][0], 50 / 45 * 3600)


def test_tapering_curve_matches_the_exponential_solution(make: Make) -> None:
    # 50 kW flat to SoC 0.8, then P = 50 - 200 (s - 0.8) kW on 100 kWh: u' = 0.5 - 2u (per h),
    # so SoC 0.8 -> 0.96 takes ln(0.25 / 0.09) / 2 h; 0.5 -> 0.8 takes 30 / 50 h.
    curve = [(0.0, 50.0), (0.8, 50.0), (1.0, 10.0)]
    request = make(
        [at_half("a")],
        vehicles=[vehicle(charge_curve=curve, soc_max=0.96)],
        step_s=10,
    )
    run = simulate_fleet(request)
    expected_s = (30 / 50 + math.log(0.25 / 0.09) / 2) * 3600
    assert math.isclose(run.events["end_s"][0], expected_s, rel_tol=0.01)


def test_second_vehicle_waits_exactly_as_long_as_the_first_charges(make: Make) -> None:
    run = simulate_fleet(make([at_half("a"), at_half("b")]))
    starts, ends = run.events["plugged_in_s"], run.events["end_s"]
    waits = starts - run.events["arrived_s"]
    assert starts.tolist() == [0.0, 3600.0]
    assert ends == pytest.approx([3600.0, 7200.0])
    assert waits[1] == pytest.approx(ends[0] - starts[0])


def test_queue_is_first_come_by_vehicle_id_on_ties(make: Make) -> None:
    run = simulate_fleet(make([at_half("b"), at_half("a")]))
    first = int(run.events["vehicle"][run.events["plugged_in_s"].argmin()])
    assert run.index.vehicle_ids[first] == "a"


def test_site_limit_shares_power_and_is_never_exceeded(make: Make) -> None:
    # Three 50 kW ports behind 100 kW: each vehicle gets 100/3 kW until done together.
    request = make(
        [at_half(v) for v in "abc"],
        chargers=[charger(ports=3)],
        site_limit_kw=100.0,
    )
    run = simulate_fleet(request)
    assert run.site_load_kw.max() <= 100.0 + 1e-9
    assert math.isclose(run.site_load_kw[0, 0], 100.0)
    assert all(math.isclose(e, 150 / 100 * 3600) for e in run.events["end_s"])


def test_charging_losses_make_grid_energy_exceed_energy_to_battery(make: Make) -> None:
    request = make(
        [at_half("a")],
        vehicles=[vehicle(battery_efficiency=0.95)],
        chargers=[charger(efficiency=0.9)],
    )
    run = simulate_fleet(request)
    to_battery = run.events["energy_to_battery_kwh"][0]
    grid = run.events["energy_from_grid_kwh"][0]
    assert math.isclose(to_battery, 50.0, rel_tol=1e-9)
    assert math.isclose(grid, 50.0 / (0.95 * 0.9), rel_tol=1e-9)


def test_vehicle_ac_limit_caps_an_ac_charger(make: Make) -> None:
    request = make([at_half("a")], chargers=[charger(current="AC", power_kw=22)])
    run = simulate_fleet(request)
    assert math.isclose(run.events["end_s"][0], 50 / 11 * 3600)


def test_cost_is_grid_energy_times_price(make: Make) -> None:
    result = simulate(make([at_half("a")])).model()
    event = result.charging_events[0]
    assert math.isclose(event.cost, event.energy_from_grid_kwh * 0.3)
    assert math.isclose(result.metadata.kpis.charging_cost, 15.0)
    assert event.arrived == event.plugged_in == START


def test_no_charger_in_reach_means_no_charging(make: Make) -> None:
    far = charger(location=(11.60, 48.10))  # about 7.4 km east of the depot
    result = simulate(make([at_half("a")], chargers=[far])).model()
    assert result.charging_events == []
    assert result.metadata.vehicles[0].soc_end == 0.5


def test_a_full_vehicle_stands_still_until_its_next_trip(make: Make) -> None:
    # 50 kWh at 50 kW fills it by 01:00; it then idles (the loop jumps those steps) until
    # the 08:00 trip: every sample in between is parked at SoC 1 with no power and no motion.
    trip = Trip(vehicle_id="a", route_id="loop", departure=time(8))
    run = simulate_fleet(make([at_half("a")], [trip]))
    every_s = run.sample_every * run.step_s
    idle = slice(3600 // every_s, 8 * 3600 // every_s)
    assert run.series_state[: 3600 // every_s, 0].tolist() == [CHARGING] * (3600 // every_s)
    assert run.series_state[idle, 0].tolist() == [PARKED] * (idle.stop - idle.start)
    assert np.all(run.series_soc[idle, 0] == 1.0)
    assert np.all(run.series_power_kw[idle, 0] == 0.0)
    assert np.all(run.series_odometer_km[idle, 0] == 0.0)
    assert run.series_state[idle.stop, 0] == DRIVING
    # Back from the loop it charges again: the idle stretch did not skip the arrival.
    assert len(run.events["plugged_in_s"]) == 2
    assert run.events["plugged_in_s"][1] > 8 * 3600
    assert math.isclose(run.soc_end[0], 1.0)
