"""The finish's pure parts: a part's video extent, the join's packet report (FFmpeg
``framecrc``) and its check against the final file's index."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from camrec_recorder import report
from camrec_recorder.extent import extent
from camrec_recorder.ffmpeg_args import concat_args
from camrec_recorder.join import join_args
from camrec_recorder.report import READER, REPORT, Written, _copy_reporting, _Report, dump, load
from camrec_recorder.timeline import confirm

FRAMECRC = b"""#extradata 0:       34, 0x7c5f07e9
#software: Lavf59.27.100
#tb 0: 1/90000
#media_type 0: video
#codec_id 0: h264
#dimensions 0: 320x240
#sar 0: 1/1
#tb 1: 1/48000
#media_type 1: audio
#codec_id 1: aac
#sample_rate 1: 48000
#channel_layout_name 1: mono
0,       1890,       1890,     3600,     4542, 0x4549daf5
1,          0,          0,     1024,       64, 0x7b291956
1,       1024,       1024,     1024,       64, 0x7b291956
0,       5490,       5490,     3600,      392, 0x3194bade, F=0x0
1,       2048,       2048,     1024,       64, 0x7b291956
"""


def test_the_joins_report_gives_seconds_per_track_in_any_chunks() -> None:
    for size in (len(FRAMECRC), 7, 50):  # whole, and split mid-line
        report = _Report()
        for at in range(0, len(FRAMECRC), size):
            report.feed(FRAMECRC[at : at + size])
        w = report.close()
        assert (w.video_index, w.audio_index) == (0, 1)
        assert w.video == pytest.approx([0.021, 0.061])
        assert [s for s, _ in w.audio] == pytest.approx([0, 1024 / 48000, 2048 / 48000])
        assert [e - s for s, e in w.audio] == pytest.approx([1024 / 48000] * 3)


def test_an_unreadable_report_says_so() -> None:
    with pytest.raises(ValueError, match="unexpected framecrc"):
        _Report().feed(b"#tb 0: 1/90000\n0, 1, 2\n")


def test_the_report_is_a_second_output_of_the_join() -> None:
    listing, out = Path("/tmp/list.txt"), Path("/rec/x.mp4")
    argv = join_args("ffmpeg", listing, out)
    assert argv[: len(concat_args("ffmpeg", listing, out))] == concat_args("ffmpeg", listing, out)
    assert argv[-len(REPORT) :] == REPORT and argv[-1] == "pipe:1"


def test_the_extent_runs_from_the_first_start_to_the_last_end() -> None:
    assert extent([]) is None
    assert extent([(1.0, 1.04), (1.04, 1.08), (1.08, 1.12)]) == pytest.approx((1.0, 0.12))
    # the last frame's duration not stored: the usual interval is added
    assert extent([(1.0, 1.04), (1.04, 1.08), (1.08, 1.08)]) == pytest.approx((1.0, 0.12))


def written(frames: int = 250, audio: int = 469) -> Written:
    step = 1024 / 48000
    return Written(
        video=[0.021 + i * 0.04 for i in range(frames)],
        audio=[(i * step, (i + 1) * step) for i in range(audio)],
        video_index=0,
        audio_index=1,
    )


def index(w: Written, shift: float = 0.0, **changes: Any) -> dict[str, Any]:
    """ffprobe's view of the file the report ``w`` describes, moved by ``shift``."""
    tail = [{"stream_index": 0, "pts_time": f"{t + shift:.6f}"} for t in w.video[-75:]]
    tail += [{"stream_index": 1, "pts_time": f"{s + shift:.6f}"} for s, _ in w.audio[-140:]]
    streams = [
        {"index": 0, "codec_type": "video", "start_time": f"{w.video[0] + shift:.6f}",
         "nb_frames": str(len(w.video))},
        {"index": 1, "codec_type": "audio", "start_time": f"{w.audio[0][0] + shift:.6f}",
         "nb_frames": str(len(w.audio))},
    ]  # fmt: skip
    info: dict[str, Any] = {"streams": streams, "packets": tail}
    for key, value in changes.items():
        info["streams"][0 if key.startswith("video") else 1][key.split("_", 1)[1]] = value
    return info


def test_a_file_that_agrees_with_the_report_gives_its_times() -> None:
    w = written()
    p = confirm(w, index(w))
    assert p is not None and list(p.video) == pytest.approx(w.video)
    assert p.has_audio_track and list(p.audio) == pytest.approx(w.audio)
    moved = confirm(w, index(w, shift=0.0213))  # an edit list moved both tracks
    assert moved is not None and moved.video[0] == pytest.approx(0.021 + 0.0213)


def test_a_file_that_differs_from_the_report_is_read_again() -> None:
    w = written()
    assert confirm(w, index(w, video_nb_frames="249")) is None  # a frame fewer
    assert confirm(w, index(w, audio_start_time="0.500000")) is None  # audio moved alone
    bad_tail = index(w)
    bad_tail["packets"][-1]["pts_time"] = "99.0"
    assert confirm(w, bad_tail) is None
    no_tail = index(w)
    no_tail["packets"] = []
    assert confirm(w, no_tail) is None
    silent = index(w)
    silent["streams"] = silent["streams"][:1]  # the file has no audio track, the report has
    assert confirm(w, silent) is None


def test_the_reader_process_hands_back_the_packet_times() -> None:
    """The report is parsed in a process of its own (READER) that answers with the times as
    doubles; an unreadable report is said, not guessed."""
    answer = subprocess.run(READER, input=FRAMECRC, capture_output=True, timeout=60, check=True)
    w = load(answer.stdout)
    assert (w.video_index, w.audio_index) == (0, 1)
    assert list(w.video) == pytest.approx([0.021, 0.061])
    assert list(w.audio) == pytest.approx([(0, 1024 / 48000), (1024 / 48000, 2048 / 48000),
                                           (2048 / 48000, 3072 / 48000)])  # fmt: skip
    bad = subprocess.run(READER, input=b"#tb 0: 1/90000\n0, 1, 2\n", capture_output=True,
                         timeout=60, check=True)  # fmt: skip
    with pytest.raises(ValueError, match="unexpected framecrc"):
        load(bad.stdout)


def test_what_the_reader_dumps_loads_back() -> None:
    w = written()
    back = load(dump(w))
    assert list(back.video) == list(w.video) and list(back.audio) == list(w.audio)
    assert (back.video_index, back.audio_index) == (0, 1)
    with pytest.raises(ValueError, match="bytes for"):
        load(dump(w)[:-8])


@pytest.mark.parametrize("reader", ["process", "none"])
def test_a_copy_is_reported_by_the_reader_or_here_when_none_starts(
    reader: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report of any command's stdout (here ``cat`` of a framecrc sample) comes back
    through the reader process, or, when it can't be started (seen: the interpreter not
    executable by the recorder's uid), parsed in the recorder as before."""
    sample = tmp_path / "report.txt"
    sample.write_bytes(FRAMECRC)
    if reader == "none":
        monkeypatch.setattr(report, "READER", [str(tmp_path / "no-such-python")])
    code, _, w = _copy_reporting(["cat", str(sample)], 30)
    assert code == 0 and w is not None
    assert list(w.video) == pytest.approx([0.021, 0.061]) and len(w.audio) == 3
