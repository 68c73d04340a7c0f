"""The one way services run a command-line tool: to its end, or killed at its deadline or
when the caller is cancelled (never left running)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from camrec_runtime.tool import run_tool
from tests.polling import poll

MARK = "camrec-test-tool-sleeper"
SLEEPER = [sys.executable, "-c", f"import time; time.sleep(60)  # {MARK}"]


def sleepers() -> list[int]:
    """This process's children running :data:`SLEEPER`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if MARK.encode() in cmdline and parent == os.getpid():
            found.append(int(entry.name))
    return found


async def test_it_gives_the_exit_code_and_both_outputs() -> None:
    code, out, err = await run_tool(["sh", "-c", "echo out; echo err >&2; exit 3"], 10)
    assert (code, out, err) == (3, b"out\n", b"err\n")
    code, out, err = await run_tool(["sh", "-c", "echo err >&2"], 10, stderr=False)
    assert (code, err) == (0, b"")


async def test_a_tool_past_its_deadline_is_killed() -> None:
    with pytest.raises(TimeoutError):
        await run_tool(SLEEPER, 0.5)
    assert sleepers() == []  # killed and reaped


async def test_a_cancelled_run_kills_the_tool() -> None:
    task = asyncio.create_task(run_tool(SLEEPER, 60))

    async def running() -> bool:
        return bool(sleepers())

    await poll(running, 10, "the tool started")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert sleepers() == []
