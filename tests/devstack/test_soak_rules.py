"""./scripts/soak's pure parts: the durations it accepts and the rules that fail a run."""

from __future__ import annotations

import pytest

from camrec_devstack.soak.measure import ProcStat, Sample
from camrec_devstack.soak.plan import MJPEG, parse_duration, parse_presets, plan
from camrec_devstack.soak.report import (
    ProcessResult,
    RecordingResult,
    problems,
    processes,
    recordings_table,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("90", 90), ("1m", 60), ("1m30", 90), ("1h", 3600), ("1h30", 5400),
     ("2h", 7200), ("1h20m", 4800), ("1h0m5s", 3605)],
)  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "30s1m", "0s", "1 h", "-1m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_presets_map_to_cameras_in_order_and_cycle() -> None:
    planned = plan(parse_presets("1h,1h30,2h,1m"))
    assert [p.camera for p in planned] == [
        "h264_aac", "h264_noaudio", MJPEG, "h264_aac", "h264_aac",
    ]  # fmt: skip
    assert [p.preset_s for p in planned] == [3600, 5400, 7200, 60, None]


def good(**change: object) -> RecordingResult:
    r = RecordingResult("p1", "h264_aac", 60.0, "finished", True, 60.4, 1510, "h264+aac", "clean")
    for k, v in change.items():
        setattr(r, k, v)
    return r


def test_a_good_run_passes() -> None:
    stopped = good(
        preset_s=None, state="stopped", expected_state="stopped", duration_s=70.0,
        stop_reply_s=1.9, stop_status=200, to_final_s=9.9,
    )  # fmt: skip
    assert problems([good(), stopped], [ProcessResult("api", 100_000, 119_000, 1.0)]) == []


@pytest.mark.parametrize(
    "bad",
    [good(duration_s=61.1), good(duration_s=58.9), good(file_ok=False), good(verdict="has gaps"),
     good(verdict=None), good(state="interrupted"), good(stop_reply_s=2.1, stop_status=200),
     good(stop_reply_s=1.0, stop_status=504), good(stop_reply_s=1.0, to_final_s=10.5)],
)  # fmt: skip
def test_each_recording_rule_fails_a_run(bad: RecordingResult) -> None:
    assert len(problems([bad], [])) == 1


def test_rss_growth_over_20_percent_fails_but_not_for_children() -> None:
    assert problems([], [ProcessResult("api", 100_000, 121_000, 1.0)])
    assert not problems([], [ProcessResult("x children", 100_000, 300_000, 1.0, checked=False)])
    assert problems([], [ProcessResult("api", 100_000, 100_000, 1.0, restarts=1)])


def test_processes_from_samples() -> None:
    first = Sample(0.0, {"api": ProcStat(10, 1000, 5.0)}, {"recorder": [ProcStat(11, 500, 1.0)]})
    last = Sample(100.0, {"api": ProcStat(10, 1100, 15.0)}, {"recorder": [ProcStat(11, 600, 51.0)]})
    api, kids = processes([first, last], {})
    assert (api.rss_start_kb, api.rss_end_kb, api.cpu_pct) == (1000, 1100, 10.0)
    assert api.growth_pct == pytest.approx(10.0)
    assert kids.cpu_pct == 50.0 and not kids.checked and kids.growth_pct is None


def test_table_has_one_row_per_recording() -> None:
    table = recordings_table([good(), good(name="p2", stop_reply_s=10.2, stop_status=504)])
    assert table.count("\n") == 4 and "10.20 s (504)" in table and "+0.40 s" in table
