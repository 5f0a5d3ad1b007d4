"""FLEETSIM_CONFIG_OVERRIDES merging and the environment variables the doors read."""

from pathlib import Path
from typing import Any

import pytest

from fleetsim.config import ConfigErrors, apply_overrides
from fleetsim.settings import Settings

RAW: dict[str, list[Any]] = {
    "chargers": [
        {"id": "depot_a_dc", "power_kw": 150, "ports": 2},
        {"id": "hub_ac", "power_kw": 22},
    ],
    "vehicles": [
        {"id": "van", "hvac": {"heating_kw_per_c": 0.2, "max_kw": 4}, "charge_curve": [[0, 1]]}
    ],
}


def _problems(overrides: str) -> list[str]:
    with pytest.raises(ConfigErrors) as caught:
        apply_overrides(RAW, overrides)
    return [str(p) for p in caught.value.problems]


def test_override_changes_only_the_named_fields_of_the_named_entry() -> None:
    merged = apply_overrides(RAW, '{"chargers": {"depot_a_dc": {"power_kw": 50}}}')

    assert merged["chargers"] == [
        {"id": "depot_a_dc", "power_kw": 50, "ports": 2},
        {"id": "hub_ac", "power_kw": 22},
    ]
    assert merged["vehicles"] == RAW["vehicles"]


def test_nested_mappings_merge_and_lists_replace() -> None:
    merged = apply_overrides(
        RAW, '{"vehicles": {"van": {"hvac": {"max_kw": 2}, "charge_curve": [[0, 5], [1, 1]]}}}'
    )

    assert merged["vehicles"] == [
        {
            "id": "van",
            "hvac": {"heating_kw_per_c": 0.2, "max_kw": 2},
            "charge_curve": [[0, 5], [1, 1]],
        }
    ]


def test_overrides_do_not_change_their_input() -> None:
    before = repr(RAW)

    apply_overrides(RAW, '{"vehicles": {"van": {"hvac": {"max_kw": 2}}}}')

    assert repr(RAW) == before


def test_unknown_section_id_and_shapes_are_all_reported() -> None:
    problems = _problems(
        '{"charger": {}, "chargers": {"depot_b": {"power_kw": 1}, "hub_ac": 5,'
        ' "depot_a_dc": {"id": "other"}}, "vehicles": []}'
    )

    assert problems == [
        "FLEETSIM_CONFIG_OVERRIDES: field 'charger': unknown section (known: chargers, vehicles)",
        "FLEETSIM_CONFIG_OVERRIDES: field 'chargers.depot_b': no entry 'depot_b' "
        "(known: depot_a_dc, hub_ac)",
        "FLEETSIM_CONFIG_OVERRIDES: field 'chargers.hub_ac': must be an object {field: value}",
        "FLEETSIM_CONFIG_OVERRIDES: field 'chargers.depot_a_dc.id': an override cannot change "
        "the id",
        "FLEETSIM_CONFIG_OVERRIDES: field 'vehicles': must be an object {id: {field: value}}",
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ('{"chargers": ', "invalid JSON at column 14: Expecting value"),
        ("[1, 2]", "must be a JSON object {section: {id: {field: value}}}"),
    ],
)
def test_overrides_that_are_not_a_json_object_are_refused(overrides: str, reason: str) -> None:
    assert _problems(overrides) == [f"FLEETSIM_CONFIG_OVERRIDES: {reason}"]


def test_config_dir_and_overrides_come_from_the_environment_through_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLEETSIM_CONFIG_DIR", "/srv/fleet")
    monkeypatch.setenv("FLEETSIM_CONFIG_OVERRIDES", '{"a": {}}')
    assert Settings().config_dir == Path("/srv/fleet")
    assert Settings().config_overrides == '{"a": {}}'

    monkeypatch.setenv("FLEETSIM_CONFIG_DIR", " ")
    monkeypatch.setenv("FLEETSIM_CONFIG_OVERRIDES", "  ")
    assert Settings().config_dir == Path("config")
    assert Settings().config_overrides is None

    monkeypatch.delenv("FLEETSIM_CONFIG_DIR")
    monkeypatch.delenv("FLEETSIM_CONFIG_OVERRIDES")
    assert Settings().config_dir == Path("config")
    assert Settings().config_overrides is None
