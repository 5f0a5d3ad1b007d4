"""JSON Merge Patch (RFC 7396) and inline entries patched over the catalogue."""

from typing import Any

import pytest

from fleetsim.config.errors import ConfigProblem
from fleetsim.config.patches import merge_patch, patched_entries
from fleetsim.models import EntryPatch, SiteSpec

# RFC 7396, Appendix A: target, patch, result.
RFC_7396_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC_7396_EXAMPLES)
def test_merge_patch_gives_the_rfc_7396_examples(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


DEPOT = SiteSpec(id="depot", location=(11.5, 48.1), site_power_limit_kw=400, tariff="tou")


def _patched(*patches: dict[str, Any]) -> tuple[dict[str, SiteSpec], list[str]]:
    problems: list[ConfigProblem] = []
    entries = patched_entries(
        {"depot": DEPOT},
        [EntryPatch.model_validate(p) for p in patches],
        SiteSpec,
        section="sites",
        kind="site",
        problems=problems,
    )
    return entries, [str(p) for p in problems]


def test_a_partial_entry_is_merged_over_the_catalogue_entry_of_its_id() -> None:
    entries, problems = _patched({"id": "depot", "site_power_limit_kw": 300})

    assert problems == []
    assert entries["depot"] == DEPOT.model_copy(update={"site_power_limit_kw": 300})


def test_null_removes_an_optional_field() -> None:
    entries, _ = _patched({"id": "depot", "site_power_limit_kw": None, "tariff": None})

    assert entries["depot"].site_power_limit_kw is None
    assert entries["depot"].tariff is None
    assert entries["depot"].location == DEPOT.location


def test_an_unchanged_patch_keeps_the_catalogue_object() -> None:
    entries, _ = _patched({"id": "depot", "site_power_limit_kw": 400})

    assert entries["depot"] is DEPOT


def test_a_new_id_must_be_complete_and_the_problem_says_so() -> None:
    entries, problems = _patched({"id": "hub", "site_power_limit_kw": 50})

    assert "hub" not in entries
    assert problems == [
        "request: site 'hub' field 'sites[0].location': Field required (no catalogue site "
        "'hub' to patch: a new entry is complete)"
    ]


def test_remove_drops_the_entry_and_refuses_other_fields_or_unknown_ids() -> None:
    entries, problems = _patched({"id": "depot", "remove": True})
    assert entries == {}
    assert problems == []

    _, problems = _patched({"id": "depot", "remove": True, "tariff": None})
    assert problems == [
        "request: site 'depot' field 'sites[0]': remove takes no other fields, not tariff"
    ]
    _, problems = _patched({"id": "hub", "remove": True})
    assert problems == ["request: site 'hub' field 'sites[0].id': no site 'hub' to remove"]


def test_the_merged_entry_is_validated_as_a_whole() -> None:
    _, problems = _patched({"id": "depot", "site_power_limit_kw": -5, "colour": "red"})

    assert problems == [
        "request: site 'depot' field 'sites[0].site_power_limit_kw': Input should be greater "
        "than 0",
        "request: site 'depot' field 'sites[0].colour': Extra inputs are not permitted",
    ]
