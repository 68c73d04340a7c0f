"""Packet times held as C doubles (``array('d')``), never as one Python object per packet.

A 2 h recording has ~180 000 video and ~340 000 audio packets. As Python floats and
(start, end) tuples they took ~45 MB, in objects the allocator keeps after they are freed:
the recorder's RSS stayed 10-20 MB up after each long finish (2 h soak: +21.9 %). As
arrays they take 8 bytes a time (2 h: 7 MB), in a few large blocks that go back to the
system when freed; everything computed from them streams (one float alive at a time)."""

from __future__ import annotations

import itertools
import operator
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import overload


def times(values: Iterable[float] = ()) -> array[float]:
    return array("d", values)


def is_sorted(values: Sequence[float]) -> bool:
    return all(map(operator.le, values, itertools.islice(values, 1, None)))


def sorted_times(values: Iterable[float]) -> array[float]:
    """``values`` ascending, as an array (sorted only when they are not already)."""
    out = values if isinstance(values, array) else times(values)
    return out if is_sorted(out) else times(sorted(out))


def intervals(ordered: Sequence[float]) -> array[float]:
    """The differences between neighbours (s)."""
    return times(map(operator.sub, itertools.islice(ordered, 1, None), ordered))


def median(values: Sequence[float]) -> float | None:
    """The median of ``values`` to the microsecond (as :func:`statistics.median` would give,
    within 0.5 µs), counted rather than sorted: a camera's frame intervals take few
    distinct values."""
    counts = Counter(round(v * 1e6) for v in values)
    n = sum(counts.values())
    if not n:
        return None
    seen, low = 0, 0
    for value in sorted(counts):
        before, seen = seen, seen + counts[value]
        if before < (n + 1) // 2 <= seen:
            low = value  # the lower middle (the middle when n is odd)
        if seen >= n // 2 + 1:
            return (low + value) / 2e6 if n % 2 == 0 else low / 1e6
    raise AssertionError("unreachable: the counts add up to n")


class Spans(Sequence[tuple[float, float]]):
    """Audio packets' (start, end) spans (s) as two arrays; reads as a sequence of tuples."""

    def __init__(self, spans: Iterable[tuple[float, float]] = ()) -> None:
        self.starts: array[float] = times()
        self.ends: array[float] = times()
        self.extend(spans)

    def extend(self, spans: Iterable[tuple[float, float]]) -> None:
        for start, end in spans:
            self.starts.append(start)
            self.ends.append(end)

    def add(self, starts: Iterable[float], ends: Iterable[float]) -> None:
        more_starts, more_ends = times(starts), times(ends)
        if len(more_starts) != len(more_ends):
            raise ValueError("as many ends as starts")
        self.starts.extend(more_starts)
        self.ends.extend(more_ends)

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, i: int) -> tuple[float, float]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[float, float]]: ...
    def __getitem__(self, i: int | slice) -> tuple[float, float] | list[tuple[float, float]]:
        if isinstance(i, slice):
            return list(zip(self.starts[i], self.ends[i], strict=True))
        return self.starts[i], self.ends[i]

    def __iter__(self) -> Iterator[tuple[float, float]]:
        return zip(self.starts, self.ends, strict=True)

    def shift(self, by: float) -> None:
        """Move every span by ``by`` seconds, in place."""
        for values in (self.starts, self.ends):
            for i, t in enumerate(values):
                values[i] = t + by

    def sort(self) -> None:
        """Order by start, in place (audio is written in order: usually nothing to do)."""
        if is_sorted(self.starts):
            return
        order = sorted(range(len(self)), key=self.starts.__getitem__)
        self.starts = times(map(self.starts.__getitem__, order))
        self.ends = times(map(self.ends.__getitem__, order))
