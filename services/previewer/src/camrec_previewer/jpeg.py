"""JPEG helpers: read a JPEG's size without decoding it; decode/scale/encode with OpenCV."""

from __future__ import annotations

import cv2
import numpy as np
from cv2.typing import MatLike

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
# Start-of-frame markers (baseline, extended, progressive, lossless, …); not DHT/JPG/DAC.
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}

Image = MatLike


def is_jpeg(data: bytes) -> bool:
    return data.startswith(SOI) and data.endswith(EOI)


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the SOF header, or None if the data isn't a readable JPEG."""
    if not data.startswith(SOI):
        return None
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker in _SOF:
            if pos + 9 > len(data):
                return None
            height = int.from_bytes(data[pos + 5 : pos + 7], "big")
            width = int.from_bytes(data[pos + 7 : pos + 9], "big")
            return width, height
        if marker == 0xDA:  # start of scan before any SOF
            return None
        pos += 2 + length
    return None


def fit_width(width: int, height: int, max_width: int) -> tuple[int, int]:
    """The size to show: at most ``max_width`` wide, aspect kept, even dimensions."""
    if width <= max_width:
        return width, height
    scaled_h = max(2, round(height * max_width / width / 2) * 2)
    return max_width, scaled_h


def encode(image: Image, max_width: int, quality: int) -> tuple[bytes, int, int]:
    """Downscale (if wider than ``max_width``) and JPEG-encode a BGR image, once."""
    height, width = image.shape[:2]
    out_w, out_h = fit_width(width, height, max_width)
    if (out_w, out_h) != (width, height):
        # INTER_LINEAR: a non-integer INTER_AREA downscale costs more than the encode.
        image = cv2.resize(image, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes(), out_w, out_h


def shrink_jpeg(data: bytes, max_width: int, quality: int) -> tuple[bytes, int, int] | None:
    """Decode an oversize JPEG and re-encode it at most ``max_width`` wide (None: undecodable)."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    return encode(image, max_width, quality)
