"""Parameter paths: parsed against known ids, applied to JSON data, CLI values."""

import pytest

from fleetsim.config.paths import PathError, assign, parse_path, parse_value

IDS = {
    "vehicles": {"large_van", "large.van", "sedan"},
    "sites": {"depot"},
    "fleet": {"v1"},
    "chargers": set(),
    "tariffs": set(),
    "routes": set(),
}


def _parse(text: str) -> tuple[str, str | None, tuple[str, ...]]:
    path = parse_path(text, lambda section: IDS[section])
    return path.section, path.entry_id, path.fields


def test_entry_paths_split_into_section_id_and_nested_fields() -> None:
    assert _parse("sites.depot.site_power_limit_kw") == ("sites", "depot", ("site_power_limit_kw",))
    assert _parse("vehicles.large_van.hvac.max_kw") == ("vehicles", "large_van", ("hvac", "max_kw"))
    assert _parse("fleet.v1.initial_soc") == ("fleet", "v1", ("initial_soc",))


def test_an_id_with_dots_is_the_longest_known_id_the_path_continues_with() -> None:
    assert _parse("vehicles.large.van.mass_kg") == ("vehicles", "large.van", ("mass_kg",))


def test_scenario_fields_are_addressed_by_name() -> None:
    assert _parse("strategy") == ("scenario", None, ("strategy",))
    assert _parse("horizon.days") == ("scenario", None, ("horizon", "days"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour", "unknown path 'colour': a path starts with vehicles.<id>., chargers.<id>."),
        ("sites.hub.tariff", "no site 'hub': sites paths are sites.<id>.<field> (known: depot)"),
        ("sites.depot", "'sites.depot' names an entry, not a field: sites.depot.<field>"),
        ("horizon..days", "empty field name in 'horizon..days'"),
        ("chargers.x.ports", "no charger 'x': chargers paths are chargers.<id>.<field> (none"),
    ],
)
def test_a_path_that_addresses_nothing_says_what_can_be_addressed(text: str, message: str) -> None:
    with pytest.raises(PathError) as caught:
        parse_path(text, lambda section: IDS[section])

    assert str(caught.value).startswith(message)


def test_assign_sets_nested_values_creating_objects_and_copies() -> None:
    data = {"hvac": {"max_kw": 4}, "mass_kg": 2500}

    assert assign(data, ("hvac", "max_kw"), 6) == {"hvac": {"max_kw": 6}, "mass_kg": 2500}
    assert assign(data, ("weather", "ambient_c"), -10)["weather"] == {"ambient_c": -10}
    assert data == {"hvac": {"max_kw": 4}, "mass_kg": 2500}
    with pytest.raises(PathError, match="'mass_kg' holds 2500, not an object"):
        assign(data, ("mass_kg", "value"), 1)


def test_cli_values_are_json_when_they_parse_and_text_otherwise() -> None:
    assert parse_value("300") == 300
    assert parse_value("-10.5") == -10.5
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("null") is None
    assert parse_value("balanced") == "balanced"
    assert parse_value("2026-03-02T00:00:00+01:00") == "2026-03-02T00:00:00+01:00"
