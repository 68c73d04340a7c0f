"""Packet times as arrays: the figures the health report takes from them are the ones the
plain-list code gave (statistics.median, sorted tuples)."""

from __future__ import annotations

import random
import statistics

import pytest

from camrec_recorder.packet_arrays import Spans, intervals, median, sorted_times


@pytest.mark.parametrize("n", [1, 2, 3, 4, 25, 250, 251])
def test_the_median_is_statistics_median_to_the_microsecond(n: int) -> None:
    rng = random.Random(n)
    # a camera's intervals: a few values, and an irregular (MJPEG) one's: any value
    for values in (
        [rng.choice([0.04, 0.0399, 0.0401, 0.12]) for _ in range(n)],
        [rng.uniform(0.02, 0.3) for _ in range(n)],
    ):
        assert median(values) == pytest.approx(statistics.median(values), abs=0.5e-6)
    assert median([]) is None


def test_times_are_sorted_and_differenced_as_arrays() -> None:
    assert list(sorted_times([0.08, 0.0, 0.04])) == [0.0, 0.04, 0.08]
    assert list(intervals(sorted_times([0.0, 0.04, 0.1]))) == pytest.approx([0.04, 0.06])
    assert list(intervals(sorted_times([1.0]))) == []


def test_spans_read_as_start_end_tuples_and_sort_and_shift_in_place() -> None:
    spans = Spans([(0.2, 0.3), (0.0, 0.1), (0.1, 0.2)])
    spans.sort()
    assert list(spans) == [(0.0, 0.1), (0.1, 0.2), (0.2, 0.3)]
    assert spans[0] == (0.0, 0.1) and spans[-2:] == [(0.1, 0.2), (0.2, 0.3)]
    spans.shift(1.0)
    assert list(spans.starts) == pytest.approx([1.0, 1.1, 1.2])
    assert len(spans) == 3
    with pytest.raises(ValueError, match="as many ends"):
        spans.add([5.0], [])
    assert len(spans) == 3  # nothing added
