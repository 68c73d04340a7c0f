"""The camera's own share of the H.264 path's latency, without camrec: the clock simulator
read directly (its go2rtc; no MediaMTX, previewer, nginx or socket) the way the previewer
reads the relay (OpenCV's FFmpeg backend in raw mode, with the previewer's capture options),
each packet handed to the same decoder and pairing as :class:`H264Viewer`. It runs beside
``camrec_1_h264_ws`` on the same frames: the difference between the two is camrec's share.

Arrival is when ``read()`` returned the packet in the reader thread. The simulator's go2rtc
encodes once for every reader, so this one adds a connection, not an encoder.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time

import cv2
from h264_viewer import Feed, H264Viewer

from camrec_previewer.h264 import has_parameter_sets, parameter_sets

PREVIEWER_OPTIONS = (
    "rtsp_transport;tcp|fflags;nobuffer|flags;low_delay|analyzeduration;100000|probesize;32768"
)
"""What ``camrec_previewer.sources`` puts in ``OPENCV_FFMPEG_CAPTURE_OPTIONS`` (copied, not
imported: importing it would set them for every process the bench starts after, the naive
design's preview among them)."""
_OPTIONS_LOCK = threading.Lock()


def _open(url: str) -> cv2.VideoCapture:
    """OpenCV reads its FFmpeg options from the environment when it opens: set for the open
    only, so no child the bench starts inherits them."""
    with _OPTIONS_LOCK:
        before = os.environ.get("OPENCV_FFMPEG_CAPTURE_OPTIONS")
        os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = PREVIEWER_OPTIONS
        try:
            return cv2.VideoCapture(url, cv2.CAP_FFMPEG, [cv2.CAP_PROP_FORMAT, -1])
        finally:
            if before is None:
                del os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"]
            else:
                os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = before


def _read(url: str, stopping: threading.Event, feed: Feed, loop: asyncio.AbstractEventLoop) -> None:
    capture = _open(url)
    try:
        if not capture.isOpened():
            raise RuntimeError(f"could not open {url}")
        ok, extradata = capture.retrieve(flag=int(capture.get(cv2.CAP_PROP_CODEC_EXTRADATA_INDEX)))
        if not ok or extradata is None:
            raise RuntimeError("the camera's stream has no extradata (SPS/PPS)")
        sets = parameter_sets(extradata.tobytes(), None, None).annexb
        while not stopping.is_set():
            ok, packet = capture.read()
            arrived = time.time()
            if not ok or packet is None:
                raise RuntimeError("the camera's stream ended")
            data = packet.tobytes()
            key = capture.get(cv2.CAP_PROP_LRF_HAS_KEY_FRAME) > 0
            if key and not has_parameter_sets(data):
                data = sets + data
            timestamp_us = round(capture.get(cv2.CAP_PROP_POS_MSEC) * 1000)
            with contextlib.suppress(RuntimeError):  # the loop is gone
                loop.call_soon_threadsafe(feed, data, key, timestamp_us, arrived)
    finally:
        capture.release()


class CameraFloor(H264Viewer):
    """``url`` is the camera's RTSP URL."""

    async def _units(self, feed: Feed) -> None:
        stopping = threading.Event()
        reader = asyncio.to_thread(_read, self.url, stopping, feed, asyncio.get_running_loop())
        try:
            await reader
        finally:
            stopping.set()  # the thread returns after its next packet (40 ms at 25 fps)
