"""What-if requests: patches, parameter paths and fleet additions, resolved as one input."""

from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import ConfigErrors, load_catalogue, resolve_request
from fleetsim.models import ResolvedRequest, SimulationRequest
from fleetsim.simulation import simulate


def _resolve(config_dir: Path, **request: Any) -> ResolvedRequest:
    catalogue = load_catalogue(config_dir)
    return resolve_request(SimulationRequest.model_validate(request), catalogue, config_dir)


def _problems(config_dir: Path, **request: Any) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        _resolve(config_dir, **request)
    return [str(p) for p in caught.value.problems]


def test_a_patch_a_path_and_a_full_copy_are_one_input_with_one_result(
    config_dir: Path, config_data: dict[str, Any]
) -> None:
    full_copy = {**config_data["chargers.yaml"]["sites"][0], "site_power_limit_kw": 40}

    patched = _resolve(config_dir, sites=[{"id": "depot_a", "site_power_limit_kw": 40}])
    by_path = _resolve(config_dir, set={"sites.depot_a.site_power_limit_kw": 40})
    copied = _resolve(config_dir, sites=[full_copy])
    unchanged = _resolve(config_dir)

    assert patched.sites["depot_a"].site_power_limit_kw == 40
    same_hash = {"request_hash": ""}
    assert (
        patched.model_copy(update=same_hash)
        == by_path.model_copy(update=same_hash)
        == copied.model_copy(update=same_hash)
    )
    assert patched.input_digest == by_path.input_digest == copied.input_digest
    assert patched.input_digest != unchanged.input_digest
    assert simulate(patched).json_bytes() == simulate(by_path).json_bytes()
    assert max(simulate(patched).metadata.kpis.peak_site_kw.values()) <= 40 + 1e-9


def test_paths_reach_nested_fields_scenario_fields_and_fleet_vehicles(config_dir: Path) -> None:
    resolved = _resolve(
        config_dir,
        set={
            "vehicles.van.hvac.max_kw": 6,
            "chargers.depot_a_dc.ports": 1,
            "tariffs.tou.default_price_per_kwh": 0.5,
            "routes.loop.speed_kph": 20,
            "weather.ambient_c": -10,
            "horizon.days": 1,
            "strategy": "balanced",
            "fleet.van2.initial_soc": 0.5,
        },
    )

    assert resolved.vehicles["van"].hvac.max_kw == 6
    assert resolved.vehicles["van"].hvac.heating_kw_per_c == 0.2, "siblings are kept"
    assert resolved.chargers["depot_a_dc"].ports == 1
    assert resolved.tariffs["tou"].default_price_per_kwh == 0.5
    assert resolved.scenario.weather.ambient_c == -10
    assert resolved.scenario.horizon.days == 1
    assert resolved.scenario.strategy == "balanced"
    van2 = next(v for v in resolved.scenario.fleet if v.id == "van2")
    assert van2.initial_soc == 0.5, "a vehicle the schedule CSV added is addressable"
    slower = _resolve(config_dir)
    assert resolved.routes["loop"].path is not None and slower.routes["loop"].path is not None
    assert max(resolved.routes["loop"].path.speed_mps) < max(slower.routes["loop"].path.speed_mps)


def test_bad_paths_and_values_are_all_reported_with_the_path_named(config_dir: Path) -> None:
    problems = _problems(
        config_dir,
        set={
            "sites.depot_a.site_power_limit_kw": 0,
            "vehicles.truck.mass_kg": 1,
            "fleet.nobody.initial_soc": 0.5,
            "fleet.van1.initial_soc": 2,
            "chargers.hub_ac.colour": "red",
        },
    )

    assert problems == [
        "request: field 'set[vehicles.truck.mass_kg]': no vehicle 'truck': vehicles paths are "
        "vehicles.<id>.<field> (known: bus_12m, sedan, van)",
        "request: field 'set[sites.depot_a.site_power_limit_kw]': Input should be greater than 0",
        "request: field 'set[chargers.hub_ac.colour]': Extra inputs are not permitted",
        "request: field 'set[fleet.nobody.initial_soc]': no fleet vehicle 'nobody': fleet paths "
        "are fleet.<id>.<field> (known: sedan1, van1, van2)",
        "request: field 'set[fleet.van1.initial_soc]': Input should be less than or equal to 1",
    ]


def test_an_invalid_scenario_path_stops_resolution_with_its_problem(config_dir: Path) -> None:
    assert _problems(config_dir, set={"strategy": "fastest", "step_s": 5}) == [
        "request: field 'set[strategy]': Input should be 'greedy', 'balanced', 'time_of_use', "
        "'edf', 'llf', 'uncontrolled' "
        "or 'optimal'",
        "request: field 'set[step_s]': Input should be greater than or equal to 10",
    ]


def test_a_removed_charger_is_gone_and_a_removed_vehicle_type_breaks_its_references(
    config_dir: Path,
) -> None:
    resolved = _resolve(config_dir, chargers=[{"id": "hub_ac", "remove": True}])
    assert list(resolved.chargers) == ["depot_a_dc"]

    problems = _problems(config_dir, vehicles=[{"id": "sedan", "remove": True}])
    assert problems == [
        "schedules/default.csv:4: scenario 'default' field 'vehicle_type': unknown vehicle "
        "'sedan' (known: bus_12m, van)"
    ]


def test_fleet_and_schedule_additions_extend_the_scenario(config_dir: Path) -> None:
    resolved = _resolve(
        config_dir,
        fleet_add=[{"id": "van9", "type": "van", "depot": "hub"}],
        schedule_add=[
            {"vehicle_id": "van9", "route_id": "line", "departure": "10:00", "weekdays": "mon|wed"}
        ],
    )

    fleet = resolved.scenario.fleet
    assert [v.id for v in fleet] == ["van1", "van2", "sedan1", "van9"]
    assert resolved.scenario.schedule[-1].vehicle_id == "van9"
    assert resolved.scenario.schedule[-1].weekdays == ["mon", "wed"]
    assert len(resolved.scenario.schedule) == 5


def test_additions_are_checked_and_located_in_the_request(config_dir: Path) -> None:
    problems = _problems(
        config_dir,
        fleet_add=[{"id": "van2", "type": "lorry", "depot": "depot_a"}],
        schedule_add=[{"vehicle_id": "ghost", "route_id": "line", "departure": "10:00"}],
    )

    assert problems == [
        "request: scenario 'default' field 'fleet_add[0].id': vehicle 'van2' is listed twice",
        "request: scenario 'default' field 'fleet_add[0].type': unknown vehicle 'lorry' "
        "(known: bus_12m, sedan, van)",
        "request: scenario 'default' field 'schedule_add[0].vehicle_id': vehicle 'ghost' is "
        "not in the fleet (known: sedan1, van1, van2)",
    ]


def test_a_request_default_depot_places_the_vehicles_the_schedule_csv_adds(
    config_dir: Path,
) -> None:
    resolved = _resolve(config_dir, default_depot="hub")

    depots = {v.id: v.depot for v in resolved.scenario.fleet}
    assert depots == {"van1": "depot_a", "van2": "hub", "sedan1": "hub"}
    assert _problems(config_dir, default_depot="moon") == [
        "scenarios.yaml: scenario 'default' field 'default_depot': unknown site 'moon' "
        "(known: depot_a, hub)"
    ]


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        ("all", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        ("Sat|mon", ["mon", "sat"]),
        (["tue"], ["tue"]),
    ],
)
def test_json_weekdays_accept_the_csv_forms(weekdays: Any, expected: list[str]) -> None:
    trip = {"vehicle_id": "v", "route_id": "r", "departure": "08:00", "weekdays": weekdays}
    request = SimulationRequest.model_validate({"schedule": [trip]})

    assert request.schedule is not None
    assert request.schedule[0].weekdays == expected


def test_unknown_json_weekday_is_named() -> None:
    trip = {"vehicle_id": "v", "route_id": "r", "departure": "08:00", "weekdays": "mon|funday"}
    with pytest.raises(ValueError, match="unknown weekday 'funday'"):
        SimulationRequest.model_validate({"schedule": [trip]})
