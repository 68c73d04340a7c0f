"""./scripts/soak's pure parts: the durations it accepts and the rules that fail a run."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from camrec_devstack.soak.__main__ import main as soak_main
from camrec_devstack.soak.measure import ProcStat, Sample
from camrec_devstack.soak.plan import MJPEG, parse_duration, parse_presets, plan
from camrec_devstack.soak.report import (
    WARM_UP_S,
    ProcessResult,
    RecordingResult,
    problems,
    processes,
    recordings_table,
    windows,
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


def _run(rss_kb: list[int], every_s: float, pid_at: dict[int, int] | None = None) -> list[Sample]:
    pids = pid_at or {}
    return [
        Sample(n * every_s, {"nats-server": ProcStat(pids.get(n, 7), kb, float(n))})
        for n, kb in enumerate(rss_kb)
    ]


def test_rss_growth_is_judged_after_the_warm_up() -> None:
    """A process that settles in its first minutes (nats-server: 19 -> 24 MB) and then stays
    flat passes; one that keeps growing after the warm-up fails."""
    every = WARM_UP_S / 2
    settles = _run([19_000, 24_000, 24_500, 24_000, 25_000], every)
    (nats,) = processes(settles, {})
    assert (nats.rss_first_kb, nats.rss_start_kb, nats.rss_end_kb) == (19_000, 24_500, 25_000)
    assert problems([], [nats]) == []
    grows = _run([19_000, 24_000, 24_500, 28_000, 30_000], every)
    assert problems([], processes(grows, {})) == ["nats-server: RSS grew 22 % (limit 20 %)"]


def test_a_sawing_rss_is_not_growth_but_rising_peaks_are() -> None:
    """Go's RSS saws with its garbage collector (nats-server, 2 h soak of 2026-12-02: 29.1 MB
    at 63 min, 24.3 at 70, 29.4 at 91, same load): judged peak to peak, a run whose last
    sample happens to sit on a high tooth passes, and peaks that keep rising fail."""
    minute = 60.0
    saw = [24_000 + (5_000 * ((n + 10) % 20)) // 19 for n in range(121)]  # 24-29 MB, 20 min
    saw[-1] = 29_000  # the last sample on a high tooth, the 10-min one on a low one
    assert saw[10] < 25_000
    (nats,) = processes(_run(saw, minute), {})
    assert problems([], [nats]) == [], nats
    rising = [24_000 + 80 * n + (5_000 * (n % 20)) // 19 for n in range(121)]  # +9.6 MB in 2 h
    assert problems([], processes(_run(rising, minute), {}))
    assert windows(_run(saw, minute)) == ((600.0, 1800.0), (6000.0, 7200.0))


def test_a_short_run_is_judged_from_its_first_sample_and_a_new_pid_is_a_restart() -> None:
    (short,) = processes(_run([19_000, 24_000], 60.0), {})
    assert short.rss_start_kb == 19_000 and problems([], [short])
    (restarted,) = processes(_run([19_000, 19_000, 19_000], 60.0, {2: 8}), {})
    assert problems([], [restarted]) == ["nats-server: restarted 1 time(s)"]


def test_the_report_is_made_again_from_what_a_run_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _run([19_000, 24_000, 24_500, 24_000, 25_000], WARM_UP_S / 2)
    (tmp_path / "samples.json").write_text(json.dumps([x.as_json() for x in samples]))
    (tmp_path / "results.json").write_text(json.dumps([asdict(good())]))
    assert soak_main(["--report-from", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| p1 | h264_aac |" in out and "| nats-server | 18.6 MB | 23.9 MB |" in out
    (tmp_path / "results.json").write_text(json.dumps([asdict(good(verdict="has gaps"))]))
    assert soak_main(["--report-from", str(tmp_path)]) == 1
