"""Measure a relayed stream: ffprobe reads a few seconds of its packets
(:mod:`camrec_contracts.measurements`: the command line, the parsing, the model)."""

from __future__ import annotations

import json
from datetime import datetime

from camrec_contracts.measurements import (
    MEASURE_SECONDS,
    StreamMeasurement,
    measure_args,
    parse_measurement,
)

from .tool import run_tool


async def measure(
    ffprobe: str, rtsp_url: str, at: datetime, seconds: float = MEASURE_SECONDS
) -> StreamMeasurement | None:
    """Read ``seconds`` of the relay; None when it can't be read or carries no video."""
    try:
        code, out, _ = await run_tool(
            measure_args(ffprobe, rtsp_url, seconds), seconds + 10, stderr=False
        )
    except TimeoutError:
        return None
    if code != 0:
        return None
    try:
        return parse_measurement(json.loads(out or b"{}"), at)
    except ValueError:
        return None
