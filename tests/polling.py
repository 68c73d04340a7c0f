"""Waiting on a condition, with a deadline (never a sleep standing in for the condition)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable

import httpx


async def poll(
    check: Callable[[], Awaitable[bool]],
    timeout_s: float,
    what: str,
    step_s: float = 0.05,
    try_s: float = 3.0,
) -> float:
    """Poll ``check`` until true; return how long it took. Each try gets at most ``try_s``;
    a try that fails to connect or times out counts as "not yet"."""
    start = time.monotonic()
    deadline = start + timeout_s
    while True:
        with contextlib.suppress(TimeoutError, httpx.HTTPError, OSError):
            if await asyncio.wait_for(check(), try_s):
                return time.monotonic() - start
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        await asyncio.sleep(step_s)
