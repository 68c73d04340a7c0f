"""H.264 for the page's decoder, pure: the codec string from an SPS, the SPS/PPS in a
stream's extradata, and the framing of one access unit on the preview socket
(``camrec_contracts.previews``)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from camrec_contracts.previews import H264_DELTA, H264_HEADER, H264_KEY, PreviewConfig

_START = re.compile(b"\x00\x00\x01")
NAL_SPS = 7
NAL_PPS = 8
NAL_IDR = 5


def nal_units(data: bytes) -> list[bytes]:
    """The NAL units of Annex B ``data`` (start codes removed; a 4-byte start code's extra
    zero byte is trailing zeros of the unit before, stripped)."""
    starts = [m.end() for m in _START.finditer(data)]
    out = []
    for i, begin in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        unit = data[begin:end].rstrip(b"\x00") if i + 1 < len(starts) else data[begin:end]
        if unit:
            out.append(unit)
    return out


def nal_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def codec_string(sps: bytes) -> str:
    """RFC 6381 ``avc1.PPCCLL`` from an SPS NAL unit (header byte, then profile_idc,
    constraint flags, level_idc: the first three bytes never hold an emulation-prevention
    byte, which needs two zero bytes before it)."""
    if len(sps) < 4 or nal_type(sps) != NAL_SPS:
        raise ValueError("not an SPS")
    return f"avc1.{sps[1]:02X}{sps[2]:02X}{sps[3]:02X}"


@dataclass(frozen=True)
class ParameterSets:
    """The SPS and PPS a key unit needs in front of it, and what they say."""

    annexb: bytes
    """SPS and PPS, each with a 4-byte start code."""
    config: PreviewConfig


def parameter_sets(extradata: bytes, width: int | None, height: int | None) -> ParameterSets:
    """From a stream's extradata in Annex B form (what FFmpeg's RTSP demuxer makes of the
    SDP's ``sprop-parameter-sets``); ValueError when it holds no SPS."""
    units = nal_units(extradata)
    sps = next((u for u in units if nal_type(u) == NAL_SPS), None)
    if sps is None:
        raise ValueError("the stream's extradata holds no SPS")
    kept = [u for u in units if nal_type(u) in (NAL_SPS, NAL_PPS)]
    annexb = b"".join(b"\x00\x00\x00\x01" + u for u in kept)
    return ParameterSets(annexb, PreviewConfig(codec=codec_string(sps), width=width, height=height))


def has_parameter_sets(data: bytes) -> bool:
    return any(nal_type(u) == NAL_SPS for u in nal_units(data))


def frame_unit(key: bool, timestamp_us: int, data: bytes) -> bytes:
    """One access unit as a binary message of the preview socket."""
    return struct.pack(H264_HEADER, H264_KEY if key else H264_DELTA, max(0, timestamp_us)) + data
