"""A process given a fixed share of the CPU: stopped and continued by signals, as
``cpulimit`` does. The previewer's overload test and the bench's starved scenario use it
to make the CPU short for camrec alone, whatever else the machine is doing."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator


@contextlib.contextmanager
def starved(pid: int, run_ms: float, period_ms: float) -> Iterator[None]:
    """Let ``pid`` run ``run_ms`` of every ``period_ms`` until the block ends (then it runs
    freely again)."""
    done = threading.Event()

    def cycle() -> None:
        try:
            while not done.is_set():
                os.kill(pid, signal.SIGCONT)
                time.sleep(run_ms / 1000)
                os.kill(pid, signal.SIGSTOP)
                time.sleep((period_ms - run_ms) / 1000)
        except ProcessLookupError:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)

    thread = threading.Thread(target=cycle, name="starve", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
