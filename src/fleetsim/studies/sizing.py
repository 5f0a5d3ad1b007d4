"""The sizing search: the least value of an axis meeting a requirement, assuming that
meeting it is monotone in the value, by rounds of k probes (a k-ary search) so that a round
keeps k workers busy."""

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Bracket:
    """What the outcomes so far say about candidates `0..count-1`."""

    lowest_met: int
    """Least index that met the requirement; `count` when none has yet."""
    highest_unmet_below: int
    """Greatest index below `lowest_met` that did not meet it; -1 when none."""
    monotone: bool
    """False when some index above `lowest_met` did not meet the requirement."""

    @property
    def settled(self) -> bool:
        """No untried candidate lies between the two: the answer is `lowest_met`."""
        return self.lowest_met - self.highest_unmet_below <= 1


def bracket(count: int, met: Mapping[int, bool]) -> Bracket:
    """The bracket of the outcomes `met` (candidate index -> met the requirement)."""
    lowest_met = min((i for i, ok in met.items() if ok), default=count)
    unmet = [i for i, ok in met.items() if not ok]
    return Bracket(
        lowest_met=lowest_met,
        highest_unmet_below=max((i for i in unmet if i < lowest_met), default=-1),
        monotone=all(i < lowest_met for i in unmet),
    )


def next_probes(count: int, met: Mapping[int, bool], probes: int) -> list[int]:
    """Candidate indices to simulate next: up to `probes` spread evenly over the open
    interval the bracket leaves; none once it is settled."""
    found = bracket(count, met)
    low, high = found.highest_unmet_below, found.lowest_met
    if found.settled:
        return []
    if high - low - 1 <= probes:
        return list(range(low + 1, high))
    span, parts = high - low, probes + 1
    chosen = {low + (j * span + parts // 2) // parts for j in range(1, parts)}
    return sorted(i for i in chosen if low < i < high)


def answer(count: int, met: Mapping[int, bool]) -> int | None:
    """The least index meeting the requirement once settled; None if no candidate does."""
    found = bracket(count, met)
    return found.lowest_met if found.lowest_met < count else None
