"""Pure parts of the previewer: multipart splitting, JPEG sizes, the one-frame slot."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from camrec_previewer.jpeg import encode, fit_width, is_jpeg, jpeg_size, shrink_jpeg
from camrec_previewer.multipart import MultipartError, MultipartSplitter, boundary_of
from camrec_previewer.viewers import Frame, JpegViewer


def jpeg(width: int, height: int) -> bytes:
    image = np.zeros((height, width, 3), np.uint8)
    ok, buf = cv2.imencode(".jpg", image)
    assert ok
    return buf.tobytes()


def test_boundary_from_content_type() -> None:
    assert boundary_of("multipart/x-mixed-replace; boundary=frame") == "frame"
    assert boundary_of('multipart/x-mixed-replace;boundary="--myboundary"') == "myboundary"
    with pytest.raises(MultipartError):
        boundary_of("image/jpeg")
    with pytest.raises(MultipartError):
        boundary_of("multipart/x-mixed-replace")


def test_parts_split_at_any_chunk_size_with_or_without_content_length() -> None:
    a, b, c = jpeg(64, 48), jpeg(32, 32), jpeg(16, 16)
    stream = (
        b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(a) + a + b"\r\n"
        b"--frame\r\nContent-Type: image/jpeg\r\n\r\n" + b + b"\r\n"
        b"--frame\r\nContent-Length: %d\r\n\r\n" % len(c) + c + b"\r\n--frame"
    )
    for size in (1, 7, 1000, len(stream)):
        splitter = MultipartSplitter("frame")
        parts = []
        for i in range(0, len(stream), size):
            parts += splitter.feed(stream[i : i + size])
        assert parts == [a, b, c], size


def test_absurd_parts_are_refused() -> None:
    with pytest.raises(MultipartError):
        MultipartSplitter("frame").feed(b"--frame\r\nContent-Length: 999999999999\r\n\r\n")
    with pytest.raises(MultipartError):
        MultipartSplitter("frame").feed(b"x" * 10000)  # no boundary at all


def test_jpeg_size_reads_the_header_only() -> None:
    data = jpeg(640, 360)
    assert is_jpeg(data) and jpeg_size(data) == (640, 360)
    assert jpeg_size(data[:20]) is None and jpeg_size(b"not a jpeg") is None


def test_fit_width_keeps_aspect_and_even_sizes() -> None:
    assert fit_width(1280, 720, 960) == (960, 540)
    assert fit_width(1920, 1080, 960) == (960, 540)
    assert fit_width(640, 480, 960) == (640, 480)
    assert fit_width(1000, 333, 960) == (960, 320)


def test_encode_scales_once_and_shrink_reencodes_oversize_jpegs() -> None:
    data, w, h = encode(np.zeros((720, 1280, 3), np.uint8), 960, 75)
    assert (w, h) == (960, 540) and jpeg_size(data) == (960, 540)
    shrunk = shrink_jpeg(jpeg(1920, 1080), 960, 75)
    assert shrunk is not None and jpeg_size(shrunk[0]) == (960, 540)
    assert shrink_jpeg(b"\xff\xd8garbage\xff\xd9", 960, 75) is None


async def test_a_viewer_slot_holds_only_the_newest_frame() -> None:
    viewer = JpegViewer(1)
    for seq in range(1, 6):
        viewer.offer(Frame(bytes([seq]), 1, 1, seq))
    assert viewer.take() == b"\x05" and viewer.skipped == 4
    assert viewer.take() is None
