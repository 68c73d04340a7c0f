"""The H.264 path's pure parts: the codec string and parameter sets, the framing of a unit on
the socket, an H.264 viewer's queue (joins at a key unit, skips to the next one when
behind), and how far behind the camera a decoding reader is."""

from __future__ import annotations

import struct

import pytest

from camrec_contracts.previews import H264_DELTA, H264_HEADER, H264_KEY, PreviewConfig
from camrec_previewer.h264 import codec_string, frame_unit, nal_units, parameter_sets
from camrec_previewer.items import Unit
from camrec_previewer.sources import Lag
from camrec_previewer.viewers import MAX_LIVE_UNITS, UnitViewer

# The SPS and PPS a go2rtc simulator's relay gave (OpenCV raw mode, extradata): Constrained
# Baseline, level 3.0.
SPS = bytes.fromhex("6742c01eda0280bfe5c044000003000400000300ca3c58ba80")
PPS = bytes.fromhex("68ce0fc8")
EXTRADATA = b"\x00\x00\x00\x01" + SPS + b"\x00\x00\x00\x01" + PPS
CONFIG = PreviewConfig(codec="avc1.42C01E", width=640, height=360)


def test_codec_string_and_parameter_sets_from_extradata() -> None:
    assert codec_string(SPS) == "avc1.42C01E"
    assert codec_string(bytes.fromhex("67640029ac")) == "avc1.640029"
    with pytest.raises(ValueError):
        codec_string(PPS)
    sets = parameter_sets(EXTRADATA, 640, 360)
    assert sets.config == CONFIG and sets.annexb == EXTRADATA
    assert nal_units(b"\x00\x00\x01" + SPS + b"\x00\x00\x00\x01" + PPS) == [SPS, PPS]
    with pytest.raises(ValueError, match="no SPS"):
        parameter_sets(b"\x00\x00\x00\x01" + PPS, None, None)


def test_a_unit_is_framed_kind_then_big_endian_microseconds() -> None:
    framed = frame_unit(True, 40_000, b"\x00\x00\x00\x01\x65")
    assert framed[0] == H264_KEY and framed[9:] == b"\x00\x00\x00\x01\x65"
    assert struct.unpack(H264_HEADER, framed[:9]) == (H264_KEY, 40_000)
    assert framed[1:9] == (40_000).to_bytes(8, "big")
    assert frame_unit(False, 2**40, b"x")[0] == H264_DELTA


def unit(n: int, key: bool = False) -> Unit:
    return Unit(bytes([n]), key, n * 40_000, CONFIG)


def drain(viewer: UnitViewer) -> list[bytes | str]:
    out: list[bytes | str] = []
    while (message := viewer.take()) is not None:
        out.append(message)
    return out


def test_a_viewer_starts_at_a_key_unit_with_its_configuration_first() -> None:
    viewer = UnitViewer(1)
    viewer.offer(unit(1))  # no key unit yet: nothing a decoder could start on
    viewer.offer(unit(2, key=True))
    viewer.offer(unit(3))
    sent = drain(viewer)
    assert sent[0] == CONFIG.model_dump_json(exclude_none=True)
    assert [m[9] for m in sent[1:] if isinstance(m, bytes)] == [2, 3]
    assert viewer.skipped == 1
    viewer.offer(unit(4))
    assert drain(viewer) == [frame_unit(False, 4 * 40_000, b"\x04")]  # config sent once


def test_a_joining_viewer_gets_the_current_key_unit_and_what_followed() -> None:
    viewer = UnitViewer(1)
    since_key = [unit(10, key=True), *(unit(n) for n in range(11, 11 + 3 * MAX_LIVE_UNITS))]
    viewer.prime(since_key)
    viewer.offer(unit(99))  # the primed units are not "behind"
    units = [m for m in drain(viewer) if isinstance(m, bytes)]
    assert [m[9] for m in units] == [u.data[0] for u in since_key] + [99]
    assert viewer.skipped == 0


def test_a_viewer_behind_skips_to_the_next_key_unit() -> None:
    viewer = UnitViewer(1)
    viewer.offer(unit(0, key=True))
    for n in range(1, MAX_LIVE_UNITS + 5):  # it reads nothing meanwhile
        viewer.offer(unit(n))
    viewer.offer(unit(50, key=True))
    viewer.offer(unit(51))
    units = [m for m in drain(viewer) if isinstance(m, bytes)]
    assert [m[9] for m in units] == [50, 51]  # whole from the key unit, nothing stale
    assert viewer.skipped == MAX_LIVE_UNITS + 5  # every unit before the new key unit


def test_lag_is_measured_from_the_readers_steady_delay() -> None:
    lag = Lag()
    assert lag.behind_s(100.30, 0.0) == 0.0  # steady delay 0.3 s: not "behind"
    assert lag.behind_s(100.34, 0.04) == pytest.approx(0.0)
    assert lag.behind_s(100.60, 0.08) == pytest.approx(0.22)  # decoded 0.22 s late
    assert lag.behind_s(100.61, 0.08) == 0.0  # no new source time: nothing to judge
    assert lag.behind_s(100.62, 0.40) == pytest.approx(0.0, abs=1e-9)  # caught up
