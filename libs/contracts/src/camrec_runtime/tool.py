"""Running a command-line tool (ffprobe, FFmpeg) to its end, with a deadline: the one helper
every service uses, so none leaves a tool running after a time-out or a cancellation."""

from __future__ import annotations

import asyncio


async def run_tool(
    argv: list[str], timeout_s: float, *, stderr: bool = True
) -> tuple[int, bytes, bytes]:
    """Exit code, stdout and stderr (empty when ``stderr`` is False: not even piped). On a
    time-out the tool is killed and ``TimeoutError`` raised; on cancellation it is killed
    too, and the cancellation goes on."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE if stderr else asyncio.subprocess.DEVNULL,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except (TimeoutError, asyncio.CancelledError):
        proc.kill()
        await proc.wait()
        raise
    return proc.returncode or 0, out, err or b""
