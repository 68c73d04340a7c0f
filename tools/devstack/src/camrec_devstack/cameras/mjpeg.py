"""An MJPEG-over-HTTP camera with irregular frame timing (variable frame rate).

``GET /stream.mjpeg`` answers ``multipart/x-mixed-replace``, one JPEG per part, at intervals
drawn from a seeded RNG. Every frame sent is logged (client, index, times, sha256), so tests
can compare a recording's timestamps or forwarded bytes with what the camera really sent.
Also: ``/auth/stream.mjpeg`` (HTTP Basic, 401 without it) and ``/index.html`` (not a stream).
``headers_after_s`` holds stream responses' headers back (a camera that starts its encoder
on demand); when each request came and got its headers is in :meth:`requests`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import cv2
import numpy as np

BOUNDARY = "camrecframe"


@dataclass(frozen=True)
class SentFrame:
    client: int
    index: int
    wall: float
    monotonic: float
    sha256: str


def render_frames(count: int, width: int, height: int, quality: int = 80) -> list[bytes]:
    """``count`` distinct JPEGs: a moving square and the frame number on a gradient."""
    base = np.zeros((height, width, 3), np.uint8)
    base[:, :, 0] = np.linspace(40, 200, width, dtype=np.uint8)[None, :]
    base[:, :, 1] = np.linspace(200, 40, height, dtype=np.uint8)[:, None]
    frames = []
    side = max(16, height // 6)
    for i in range(count):
        img = base.copy()
        x = (i * (width - side)) // max(1, count - 1)
        cv2.rectangle(img, (x, height // 3), (x + side, height // 3 + side), (255, 255, 255), -1)
        cv2.putText(
            img,
            f"frame {i}",
            (20, height - 30),
            cv2.FONT_HERSHEY_SIMPLEX,
            max(1.0, height / 360),
            (0, 0, 0),
            3,
        )
        ok, jpeg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        frames.append(jpeg.tobytes())
    return frames


@dataclass
class StreamRequest:
    """A stream request: when it came and when its headers went out (monotonic; None: not
    yet, or never)."""

    client: int
    came: float
    answered: float | None = None


@dataclass
class MjpegCamera:
    """The simulated camera. ``start()`` it (or use ``with``), read ``url``, ``stop()`` it."""

    width: int = 1280
    height: int = 720
    frame_count: int = 50
    min_interval_s: float = 0.04
    max_interval_s: float = 0.16
    seed: int = 1
    drop_after_s: float | None = None
    headers_after_s: float = 0.0
    """A stream request gets its response headers this long after it came (0: at once;
    longer than the camera runs: never)..."""
    slow_requests: int | None = None
    """... if it is one of the first ``slow_requests`` (None: every one). 1 is a camera that
    starts its encoder for the first reader and keeps it running."""
    username: str = "admin"
    password: str = "secret"  # noqa: S105 - a test camera's password
    host: str = "127.0.0.1"
    port: int = 0
    frames: list[bytes] = field(default_factory=list)
    _log: list[SentFrame] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _offline: threading.Event = field(default_factory=threading.Event)
    _resume: threading.Event = field(default_factory=threading.Event)
    _pauses: list[tuple[float, float]] = field(default_factory=list)
    _requests: list[StreamRequest] = field(default_factory=list)
    _clients: itertools.count[int] = field(default_factory=itertools.count)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> MjpegCamera:
        if not self.frames:
            self.frames = render_frames(self.frame_count, self.width, self.height)
        server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="mjpeg-camera", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._resume.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> MjpegCamera:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    # -- what tests use --------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base_url}/stream.mjpeg"

    def set_offline(self, offline: bool) -> None:
        """Offline: open streams end, new requests get 503, until set back."""
        if offline:
            self._offline.set()
        else:
            self._offline.clear()

    def pause(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (connections stay open), as a camera that hangs;
        logged in :meth:`pauses`."""
        self._resume.clear()
        with self._lock:
            self._pauses.append((time.time(), time.time() + seconds))
        timer = threading.Timer(seconds, self._resume.set)
        timer.daemon = True
        timer.start()

    def pauses(self) -> list[tuple[float, float]]:
        """Each pause as (wall-clock start, planned end)."""
        with self._lock:
            return list(self._pauses)

    def frames_sent(self, client: int | None = None) -> list[SentFrame]:
        with self._lock:
            return [f for f in self._log if client is None or f.client == client]

    def requests(self) -> list[StreamRequest]:
        with self._lock:
            return list(self._requests)

    def clients(self) -> list[int]:
        with self._lock:
            return sorted({f.client for f in self._log})

    # -- serving -----------------------------------------------------------------------------
    def _authorized(self, header: str | None) -> bool:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return header == f"Basic {token}"

    def _stream(self, handler: BaseHTTPRequestHandler) -> None:
        client = next(self._clients)
        rng = random.Random(self.seed * 1000 + client)  # noqa: S311 - timing, not secrets
        request = StreamRequest(client, time.monotonic())
        with self._lock:
            self._requests.append(request)
        # The camera's own start-up delay (not a test waiting on something); stop() ends it.
        slow = self.slow_requests is None or client < self.slow_requests
        if slow and self.headers_after_s > 0 and self._stop.wait(self.headers_after_s):
            return
        with self._lock:
            request.answered = time.monotonic()
        handler.send_response(200)
        handler.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        started = time.monotonic()
        for index in itertools.count():
            if self._stop.is_set() or self._offline.is_set():
                return
            if self.drop_after_s is not None and time.monotonic() - started >= self.drop_after_s:
                return
            with self._lock:
                paused = bool(self._pauses) and time.time() < self._pauses[-1][1]
            if paused:  # the camera hangs: hold the next frame until the pause is over
                self._resume.wait()
            jpeg = self.frames[index % len(self.frames)]
            head = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            ).encode()
            sent = SentFrame(
                client, index, time.time(), time.monotonic(), hashlib.sha256(jpeg).hexdigest()
            )
            # Logged before the write so a reader that has the frame always finds it logged;
            # withdrawn if the write fails (the client never got it).
            with self._lock:
                self._log.append(sent)
            try:
                handler.wfile.write(head + jpeg + b"\r\n")
                handler.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                with self._lock:
                    self._log.remove(sent)
                return
            # The camera's own irregular rhythm (not a test waiting on something).
            self._stop.wait(rng.uniform(self.min_interval_s, self.max_interval_s))


def _handler_for(camera: MjpegCamera) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _plain(self, code: int, body: bytes, ctype: str, extra: dict[str, str]) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if camera._offline.is_set():
                self._plain(503, b"camera offline\n", "text/plain", {})
            elif path == "/stream.mjpeg":
                camera._stream(self)
            elif path == "/auth/stream.mjpeg":
                if camera._authorized(self.headers.get("Authorization")):
                    camera._stream(self)
                else:
                    self._plain(
                        401,
                        b"unauthorized\n",
                        "text/plain",
                        {"WWW-Authenticate": 'Basic realm="camera"'},
                    )
            elif path == "/index.html":
                page = b"<!doctype html><html><body><h1>Camera admin</h1></body></html>\n"
                self._plain(200, page, "text/html; charset=utf-8", {})
            else:
                self._plain(404, b"not found\n", "text/plain", {})

    return Handler
