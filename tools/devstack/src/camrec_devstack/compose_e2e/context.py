"""What the journey's steps share: the compose project, the page's address, and the calls a
user's browser makes (through nginx, as the page does), with deadlines."""

from __future__ import annotations

import json
import struct
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from camrec_contracts.relay_access import RELAY_READ_USER, RelayReader

from ..paths import binary
from .docker import Compose, Engine

T = TypeVar("T")

TERMINAL = {"finished", "stopped", "interrupted", "failed"}


class StepFailed(AssertionError):
    """A check of the journey did not hold; the message says what was seen."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def wait_until(
    check: Callable[[], T | None], timeout_s: float, what: str, step_s: float = 0.5
) -> T:
    """Poll ``check`` until it returns something (not None); its last error or None fails the
    wait at the deadline with ``what``."""
    deadline = time.monotonic() + timeout_s
    last: str = "no answer"
    while True:
        try:
            value = check()
            if value is not None:
                return value
        except (httpx.HTTPError, OSError, ValueError, StepFailed) as error:
            last = f"{type(error).__name__}: {error}"
        if time.monotonic() > deadline:
            raise StepFailed(f"{what}: not within {timeout_s:g} s ({last})")
        time.sleep(step_s)


@dataclass
class Context:
    compose: Compose
    engine: Engine
    bind: str
    http_port: int
    downloads: Path
    http: httpx.Client = field(init=False)
    session_ids: list[str] = field(default_factory=list)
    recording_ids: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    password: str | None = None
    """The admin password (the api's first start prints it), None while the login is off."""

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.base_url, timeout=30)
        self.downloads.mkdir(parents=True, exist_ok=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.bind}:{self.http_port}"

    def cookie_header(self) -> dict[str, str]:
        """The login's cookie and the page's Origin, for a WebSocket as the browser opens it."""
        cookies = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        return {"Cookie": cookies, "Origin": self.base_url} if cookies else {}

    def stack_password(self, name: str) -> str:
        """A password the credentials service made (``nats/ops``, ``relay/reader``), read as
        docs/compose.md says: ``docker compose run --rm --no-deps -T credentials cat …``."""
        path = f"/run/camrec/{name}.password"
        done = self.compose.run("run", "--rm", "--no-deps", "-T", "credentials", "cat", path)
        password = done.stdout.strip()
        expect(bool(password), f"{path} is empty")
        return password

    def relay_reader(self) -> RelayReader:
        return RelayReader(RELAY_READ_USER, self.stack_password("relay/reader"))

    # -- the api, as the page calls it ---------------------------------------------------------
    def config(self) -> dict[str, Any]:
        response = self.http.get("/api/config")
        expect(response.status_code == 200, f"/api/config answered {response.status_code}")
        return dict(response.json())

    def open_session(self, url: str, name: str) -> dict[str, Any]:
        response = self.http.post("/api/sessions", json={"url": url, "name": name}, timeout=60)
        expect(response.status_code == 201, f"open {name}: {response.status_code} {response.text}")
        session = dict(response.json())
        self.session_ids.append(session["id"])
        return session

    def close_session(self, session_id: str) -> None:
        response = self.http.delete(f"/api/sessions/{session_id}", timeout=60)
        expect(response.status_code in (204, 404), f"close: {response.status_code}")
        if session_id in self.session_ids:
            self.session_ids.remove(session_id)

    def close_all(self) -> None:
        for session in self.http.get("/api/sessions").json()["sessions"]:
            self.close_session(session["id"])

    def start_recording(self, session_id: str, duration_s: float | None) -> dict[str, Any]:
        response = self.http.post(
            f"/api/sessions/{session_id}/recordings", json={"duration_s": duration_s}, timeout=30
        )
        expect(response.status_code == 202, f"start: {response.status_code} {response.text}")
        rec = dict(response.json())
        self.recording_ids.append(rec["id"])
        return rec

    def recording(self, recording_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/recordings/{recording_id}")
        expect(response.status_code == 200, f"get recording: {response.status_code}")
        return dict(response.json())

    def wait_recording(
        self, recording_id: str, states: set[str], timeout_s: float
    ) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            rec = self.recording(recording_id)
            return rec if rec["state"] in states else None

        return wait_until(
            reached, timeout_s, f"recording {recording_id} {'/'.join(sorted(states))}"
        )

    def download(self, recording_id: str) -> Path:
        path = self.downloads / f"{recording_id}.mp4"
        with self.http.stream("GET", f"/api/recordings/{recording_id}/file?download=1") as response:
            expect(response.status_code == 200, f"download: {response.status_code}")
            with path.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return path


# -- judging files -----------------------------------------------------------------------------
def refused_without_user(relay_url: str) -> str:
    """ffprobe a relay's RTSP as a player with no user would: it must be refused (401)."""
    argv = [binary("ffprobe"), "-v", "error", "-rtsp_transport", "tcp", "-show_streams", relay_url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    expect(done.returncode != 0, f"{relay_url} read without the read user")
    expect("401" in done.stderr, f"{relay_url} without a user: {done.stderr.strip()[-200:]}")
    return "401 without the read user"


def ffprobe(source: str, *args: str) -> dict[str, Any]:
    transport = ["-rtsp_transport", "tcp"] if source.startswith("rtsp://") else []
    argv = [binary("ffprobe"), "-v", "error", *transport, *args, "-of", "json", source]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    expect(done.returncode == 0, f"ffprobe {source}: {done.stderr.strip()[-300:]}")
    return dict(json.loads(done.stdout))


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (``moov`` before ``mdat`` = fast start)."""
    boxes = []
    with path.open("rb") as f:
        while header := f.read(8):
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            boxes.append(kind.decode(errors="replace"))
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0] - 8
            if size < 8:
                break
            f.seek(size - 8, 1)
    return boxes


def describe_file(path: Path) -> dict[str, Any]:
    """Codecs, duration, frames, H.264 profile/level and box order of a recording."""
    info = ffprobe(
        str(path),
        "-count_packets",
        "-show_entries",
        "format=duration:stream=codec_type,codec_name,profile,level,pix_fmt,nb_read_packets,r_frame_rate",
    )
    streams = {s["codec_type"]: s for s in info["streams"]}
    return {
        "duration": float(info["format"]["duration"]),
        "video": streams.get("video", {}),
        "audio": streams.get("audio", {}),
        "boxes": top_level_boxes(path),
    }
