"""Untrusted JSON: duplicate keys and deep nesting are refused with a reason."""

import pytest

from fleetsim.json_input import MAX_DEPTH, InvalidJsonError, loads_strict


def test_plain_json_parses_as_json_does() -> None:
    assert loads_strict(b'{"a": [1, 2.5, true, null], "b": {"c": "d"}}') == {
        "a": [1, 2.5, True, None],
        "b": {"c": "d"},
    }


def test_a_key_given_twice_is_refused_not_last_wins() -> None:
    with pytest.raises(InvalidJsonError, match="key 'step_s' is given twice in one object"):
        loads_strict('{"scenario": "default", "step_s": 60, "step_s": 10}')


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_nesting_deeper_than_the_limit_is_refused(depth: int) -> None:
    with pytest.raises(InvalidJsonError, match=f"nested deeper than {MAX_DEPTH} levels"):
        loads_strict("[" * depth + "]" * depth)


def test_nesting_at_the_limit_is_fine() -> None:
    assert loads_strict("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None


def test_syntax_errors_say_where() -> None:
    with pytest.raises(InvalidJsonError, match="at line 2, column 1"):
        loads_strict('{"a": 1,\n}')


@pytest.mark.parametrize(
    "text",
    [
        '{"label": "\\ud800"}',  # a high half alone
        '{"\\udc00": 1}',  # in a key
        '{"grid": [{"path": "strategy", "values": ["greedy", "\\udfff"]}]}',  # deep in a list
    ],
)
def test_a_lone_surrogate_is_refused_wherever_it_is(text: str) -> None:
    with pytest.raises(InvalidJsonError, match="lone surrogate"):
        loads_strict(text)


def test_a_surrogate_pair_is_the_character_it_escapes() -> None:
    assert loads_strict('["\\ud83d\\ude00"]') == ["\N{GRINNING FACE}"]
