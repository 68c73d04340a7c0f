"""The contracts' constants the page uses, written as TypeScript, so the page never copies
them by hand: recording states still running, the duration presets, the preview socket's
close codes and H.264 framing.

``python -m camrec_api.frontend_constants`` prints it; ``scripts/gen-client`` writes it to
``frontend/src/api/constants.ts`` beside the client types (a test fails when it is stale)."""

from __future__ import annotations

import json
import struct
from typing import get_args

from camrec_contracts import previews
from camrec_contracts.recordings import ACTIVE_STATES, PRESETS_S, RecordingState

HEADER = "// Generated from camrec_contracts by ./scripts/gen-client: do not edit.\n"


def _const(name: str, value: object, doc: str) -> str:
    tail = " as const" if isinstance(value, list) else ""
    return f"/** {doc} */\nexport const {name} = {json.dumps(value)}{tail};\n"


def typescript() -> str:
    active = [s for s in get_args(RecordingState) if s in ACTIVE_STATES]
    parts = [
        HEADER,
        _const("ACTIVE_STATES", active, "Recording states in which a recording still runs."),
        _const("RECORDING_PRESETS_S", list(PRESETS_S), "The duration buttons, in seconds."),
        _const("CLOSE_NORMAL", previews.CLOSE_NORMAL, "Preview socket: the session closed."),
        _const(
            "CLOSE_UNKNOWN_SESSION",
            previews.CLOSE_UNKNOWN_SESSION,
            "Preview socket: no such session (or it is closed).",
        ),
        _const(
            "CLOSE_UNAVAILABLE",
            previews.CLOSE_UNAVAILABLE,
            "Preview socket: the previewer could not ask the proxy about the session.",
        ),
        _const("H264_KEY", previews.H264_KEY, "Kind byte of a framed H.264 key unit."),
        _const("H264_DELTA", previews.H264_DELTA, "Kind byte of any other framed H.264 unit."),
        _const(
            "H264_HEADER_BYTES",
            struct.calcsize(previews.H264_HEADER),
            "A framed H.264 unit's header: kind (1 byte) and timestamp (u64 µs, big-endian).",
        ),
    ]
    return "\n".join(parts)


if __name__ == "__main__":
    print(typescript(), end="")
