"""Split a ``multipart/x-mixed-replace`` MJPEG stream into its parts, incrementally."""

from __future__ import annotations

from email.message import Message

MAX_PART_BYTES = 16 * 1024 * 1024
MAX_HEADER_BYTES = 8192


class MultipartError(ValueError):
    """The stream is not multipart as announced (or a part is absurdly large)."""


def boundary_of(content_type: str) -> str:
    msg = Message()
    msg["content-type"] = content_type
    if msg.get_content_type() != "multipart/x-mixed-replace":
        raise MultipartError(f"expected multipart/x-mixed-replace, got {content_type!r}")
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise MultipartError("multipart stream without a boundary")
    return boundary.removeprefix("--")


class MultipartSplitter:
    """Feed bytes as they arrive; get whole part bodies back. Uses Content-Length when a part
    has one, else scans for the next boundary."""

    def __init__(self, boundary: str) -> None:
        self._delimiter = b"--" + boundary.encode()
        self._buf = bytearray()
        self._length: int | None = None
        self._in_body = False

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buf += chunk
        parts: list[bytes] = []
        while True:
            part = self._next_body() if self._in_body else self._read_headers()
            if part is None:
                if not self._in_body and len(self._buf) > MAX_HEADER_BYTES:
                    raise MultipartError("no part header where one was expected")
                if len(self._buf) > MAX_PART_BYTES + MAX_HEADER_BYTES:
                    raise MultipartError("a part is larger than 16 MiB")
                return parts
            if isinstance(part, bytes):
                parts.append(part)

    def _read_headers(self) -> bool | None:
        start = self._buf.find(self._delimiter)
        if start < 0:
            return None
        end = self._buf.find(b"\r\n\r\n", start)
        if end < 0:
            return None
        self._length = None
        for line in bytes(self._buf[start:end]).split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                try:
                    self._length = int(value.strip())
                except ValueError:
                    raise MultipartError(f"bad Content-Length {value!r}") from None
                if not 0 <= self._length <= MAX_PART_BYTES:
                    raise MultipartError(f"part of {self._length} bytes refused")
        del self._buf[: end + 4]
        self._in_body = True
        return True

    def _next_body(self) -> bytes | None:
        if self._length is not None:
            if len(self._buf) < self._length:
                return None
            body = bytes(self._buf[: self._length])
            del self._buf[: self._length]
        else:
            end = self._buf.find(b"\r\n" + self._delimiter)
            if end < 0:
                return None
            body = bytes(self._buf[:end])
            del self._buf[:end]
        self._in_body = False
        return body
