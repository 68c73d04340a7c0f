"""Camera URL validation, shared by the api and the proxy: only plain rtsp, rtsps, http and
https URLs with a host reach a relay; anything a relay could treat as a command is refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
SCHEMES: dict[str, Literal["rtsp", "mjpeg"]] = {
    "rtsp": "rtsp",
    "rtsps": "rtsp",
    "http": "mjpeg",
    "https": "mjpeg",
}
# Characters a URL never needs that relays give meaning to: go2rtc splits sources on '#'
# (``#video=…``, ``#backchannel``), whitespace separates arguments in ``exec:``/``ffmpeg:``.
_FORBIDDEN = re.compile(r"[\s#\x00-\x1f\x7f\\`\"'<>{}|^]")
_HOST = re.compile(
    r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*)$"
)


class InvalidCameraUrl(ValueError):
    """The URL can't be used as a camera source; the message says why (no credentials in it)."""


@dataclass(frozen=True)
class CameraUrl:
    url: str
    scheme: str
    host: str
    port: int
    source_kind: Literal["rtsp", "mjpeg"]


_DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}


def parse_camera_url(raw: str) -> CameraUrl:
    """Validate ``raw``; return its parts or raise InvalidCameraUrl with a reason."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidCameraUrl("the camera URL is empty")
    if len(raw) > MAX_URL_LENGTH:
        raise InvalidCameraUrl(
            f"the camera URL is too long ({len(raw)} characters, max {MAX_URL_LENGTH})"
        )
    url = raw.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in SCHEMES:
        shown = f"'{scheme}:'" if scheme and scheme.isalnum() else "none"
        raise InvalidCameraUrl(
            f"unsupported scheme {shown}: use rtsp://, rtsps://, http:// or https://"
        )
    if not url.lower().startswith(f"{scheme}://"):
        raise InvalidCameraUrl(f"a {scheme} URL must start with {scheme}://")
    bad = _FORBIDDEN.search(url)
    if bad:
        what = "whitespace" if bad.group().isspace() else repr(bad.group())
        raise InvalidCameraUrl(
            f"the camera URL contains {what}, which a camera URL never needs "
            f"(percent-encode it inside a password, e.g. %23 for #)"
        )
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidCameraUrl(f"the camera URL does not parse: {error}") from None
    host = parts.hostname or ""
    if not host:
        raise InvalidCameraUrl("the camera URL has no host")
    if not _HOST.match(host if ":" not in host else f"[{host}]"):
        raise InvalidCameraUrl("the camera URL's host is not a valid name or address")
    return CameraUrl(
        url=scheme + url[len(scheme) :],  # relays want the scheme in lower case
        scheme=scheme,
        host=host,
        port=port or _DEFAULT_PORTS[scheme],
        source_kind=SCHEMES[scheme],
    )
