"""The k-ary sizing search: on a monotone requirement it finds the least value meeting it in
few rounds; a broken monotonicity is reported."""

import math

from hypothesis import given
from hypothesis import strategies as st

from fleetsim.studies.sizing import answer, bracket, next_probes


def search(count: int, threshold: int, probes: int) -> tuple[int | None, int, list[int]]:
    """Run the search against `index >= threshold` meets; (answer, rounds, evaluated)."""
    met: dict[int, bool] = {}
    rounds = 0
    while batch := next_probes(count, met, probes):
        assert not set(batch) & set(met), "a value was tried twice"
        assert len(batch) <= probes
        met |= {i: i >= threshold for i in batch}
        rounds += 1
    return answer(count, met), rounds, sorted(met)


@given(
    count=st.integers(1, 300),
    threshold=st.integers(0, 320),
    probes=st.integers(1, 8),
)
def test_monotone_requirement_gives_the_least_index_meeting_it(
    count: int, threshold: int, probes: int
) -> None:
    found, rounds, _ = search(count, threshold, probes)
    assert found == (threshold if threshold < count else None)
    # Each round divides the open interval by about probes + 1.
    assert rounds <= math.ceil(math.log(count + 1, probes + 1)) + 1


def test_one_probe_per_round_is_a_binary_search() -> None:
    assert next_probes(7, {}, 1) == [3]
    assert next_probes(7, {3: True}, 1) == [1]
    assert next_probes(7, {3: True, 1: False}, 1) == [2]
    assert next_probes(7, {3: True, 1: False, 2: False}, 1) == []


def test_few_candidates_are_all_tried_in_one_round() -> None:
    assert next_probes(3, {}, 3) == [0, 1, 2]


def test_the_answer_needs_its_lower_neighbour_to_fail() -> None:
    assert answer(6, {3: True}) == 3  # bracket not settled yet, but the least found is 3
    assert not bracket(6, {3: True}).settled
    assert bracket(6, {2: False, 3: True}).settled


def test_a_failure_above_a_success_is_reported_as_not_monotone() -> None:
    found = bracket(6, {1: False, 2: True, 4: False})
    assert not found.monotone
    assert found.lowest_met == 2 and found.highest_unmet_below == 1


def test_nothing_meeting_the_requirement_answers_none() -> None:
    assert answer(4, {0: False, 1: False, 2: False, 3: False}) is None
    assert next_probes(4, {0: False, 1: False, 2: False, 3: False}, 2) == []
