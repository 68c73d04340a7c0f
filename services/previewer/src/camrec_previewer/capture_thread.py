"""A blocking reader (OpenCV) run in a thread of its own, its items handed to the event
loop in order; cancelling the task stops the reader and waits for it to let go."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

from .items import Emit, Item

Reader = Callable[[threading.Event, Emit], None]
"""read(stopping, emit): returns when ``stopping`` is set, raises when the stream fails."""


async def run_in_thread(read: Reader, emit: Emit, name: str) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    stopping = threading.Event()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def to_loop(item: Item) -> None:
        loop.call_soon_threadsafe(emit, item)

    def body() -> None:
        error: BaseException | None = None
        try:
            read(stopping, to_loop)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=body, name=name, daemon=True).start()
    try:
        await asyncio.shield(done)
    except asyncio.CancelledError:
        stopping.set()  # the reader notices within one frame, or the read time-out
        await asyncio.wait([done])
        raise
