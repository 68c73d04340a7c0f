"""The micro services camrec runs (finding them: :mod:`camrec_runtime.ping`)."""

from __future__ import annotations

PROXY = "camrec-proxy"
RECORDER = "camrec-recorder"
PREVIEWER = "camrec-previewer"

SERVICES: dict[str, str] = {
    PROXY: "owns sessions: admission, relay paths, probing",
    RECORDER: "recording workers: one FFmpeg per recording",
    PREVIEWER: "live preview: one capture per session, JPEG frames over WebSocket",
}

QUEUE_GROUP = "camrec"
