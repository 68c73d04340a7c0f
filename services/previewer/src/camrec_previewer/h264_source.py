"""H.264 access units from the relay, not decoded: OpenCV's FFmpeg backend in raw mode
(``CAP_PROP_FORMAT = -1``) reads RTSP over TCP and returns each packet as the camera sent
it, so a preview costs a read, not a decode + scale + JPEG per frame.

Packets before the first key unit are dropped (a decoder can't start on them); each key unit
gets the stream's SPS and PPS in front (RTSP cameras usually send them only in the SDP)."""

from __future__ import annotations

import logging
import threading
import time

import cv2

from .capture_thread import run_in_thread
from .h264 import (
    NAL_PPS,
    NAL_SPS,
    ParameterSets,
    has_parameter_sets,
    nal_type,
    nal_units,
    parameter_sets,
)
from .items import Emit, Unit
from .sources import SourceError

log = logging.getLogger(__name__)


class H264Source:
    def __init__(self, url: str, stall_s: float) -> None:
        self.url = url
        self.stall_ms = int(stall_s * 1000)

    async def run(self, emit: Emit) -> None:
        await run_in_thread(self._read, emit, "preview-h264")

    def _read(self, stopping: threading.Event, emit: Emit) -> None:
        params = [
            cv2.CAP_PROP_FORMAT, -1,
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.stall_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.stall_ms,
        ]  # fmt: skip
        opening = time.monotonic()
        capture = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        try:
            if not capture.isOpened():
                raise SourceError("could not open the relay stream")
            log.info("relay stream opened raw in %.2f s", time.monotonic() - opening)
            sets = self._parameter_sets(capture)
            started = False
            while not stopping.is_set():
                ok, packet = capture.read()
                if not ok or packet is None:
                    raise SourceError("the relay stream ended or stalled")
                data = packet.tobytes()
                key = capture.get(cv2.CAP_PROP_LRF_HAS_KEY_FRAME) > 0
                if key and has_parameter_sets(data):
                    sets = _from_inline(data, capture) or sets
                if not key and not started:
                    continue
                if sets is None:
                    raise SourceError("the stream sent no SPS: nothing a browser can decode")
                started = True
                timestamp_us = round(capture.get(cv2.CAP_PROP_POS_MSEC) * 1000)
                if key and not has_parameter_sets(data):
                    data = sets.annexb + data
                if not stopping.is_set():
                    emit(Unit(data, key, timestamp_us, sets.config))
        finally:
            capture.release()

    @staticmethod
    def _parameter_sets(capture: cv2.VideoCapture) -> ParameterSets | None:
        index = int(capture.get(cv2.CAP_PROP_CODEC_EXTRADATA_INDEX))
        ok, extradata = capture.retrieve(flag=index)
        if not ok or extradata is None:
            return None
        try:
            return parameter_sets(extradata.tobytes(), *_size(capture))
        except ValueError as error:
            log.info("no parameter sets in the stream's extradata (%s): waiting for them", error)
            return None


def _size(capture: cv2.VideoCapture) -> tuple[int | None, int | None]:
    w, h = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    return (w or None, h or None)


def _from_inline(data: bytes, capture: cv2.VideoCapture) -> ParameterSets | None:
    """The SPS/PPS a key unit carries itself (cameras that repeat them in band)."""
    kept = b"".join(
        b"\x00\x00\x00\x01" + u for u in nal_units(data) if nal_type(u) in (NAL_SPS, NAL_PPS)
    )
    try:
        return parameter_sets(kept, *_size(capture))
    except ValueError:
        return None
