"""The clock camera: every frame carries its capture time and number, readable after
H.264, downscaling and JPEG."""

from __future__ import annotations

import subprocess
import time

import cv2
import numpy as np

from camrec_devstack.cameras.clock import Stamp, draw_stamp, read_jpeg_stamp, read_stamp
from camrec_devstack.cameras.rtsp import H264_CLOCK, RtspCameras
from camrec_devstack.paths import binary


def test_stamp_round_trips_through_downscale_and_jpeg() -> None:
    luma = np.full((720, 1280), 120, np.uint8)
    stamp = Stamp(wall_ms=int(time.time() * 1000), index=123456)
    draw_stamp(luma, stamp)
    assert read_stamp(luma) == stamp
    small = cv2.resize(luma, (960, 540), interpolation=cv2.INTER_LINEAR)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 60])
    assert ok and read_jpeg_stamp(jpeg.tobytes()) == stamp


def test_a_damaged_stamp_is_rejected_not_misread() -> None:
    luma = np.full((360, 640), 120, np.uint8)
    draw_stamp(luma, Stamp(wall_ms=1_790_000_000_000, index=7))
    luma[16:32, 16:48] = 255 - luma[16:32, 16:48]  # flip two cells
    assert read_stamp(luma) is None


def test_frames_from_the_relay_carry_increasing_fresh_stamps(rtsp_cameras: RtspCameras) -> None:
    out = subprocess.run(
        [binary("ffmpeg"), "-v", "error", "-rtsp_transport", "tcp", "-i",
         rtsp_cameras.url(H264_CLOCK), "-frames:v", "30", "-f", "image2pipe", "-c:v", "mjpeg",
         "-q:v", "3", "pipe:1"],
        capture_output=True, timeout=30, check=True,
    ).stdout  # fmt: skip
    received = time.time()
    jpegs = [b"\xff\xd8" + part for part in out.split(b"\xff\xd8")[1:]]
    stamps = [read_jpeg_stamp(j) for j in jpegs]
    assert len(stamps) == 30 and all(s is not None for s in stamps)
    indexes = [s.index for s in stamps if s is not None]
    assert indexes == list(range(indexes[0], indexes[0] + 30))  # consecutive: none lost
    newest = max(s.wall_s for s in stamps if s is not None)
    assert 0 <= received - newest < 5
