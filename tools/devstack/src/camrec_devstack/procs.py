"""Child processes that never outlive their parent.

Each child runs in its own process group (so its own children go with it) and gets
SIGKILL from the kernel if the Python process that started it dies (PR_SET_PDEATHSIG).
Stopping is graceful: a signal to the group, a wait, then SIGKILL.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from threading import Thread

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()


class ProcessFailed(RuntimeError):
    """A child exited, or did not become ready, when it should have."""


class ManagedProcess:
    """One child process with its output kept (last lines) and optionally logged to a file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_file: Path | None = None,
        keep_lines: int = 200,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.log_file = log_file
        self.lines: deque[str] = deque(maxlen=keep_lines)
        self.proc: subprocess.Popen[bytes] | None = None
        self._reader: Thread | None = None

    def start(self) -> ManagedProcess:
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # PDEATHSIG + own process group
        )
        self._reader = Thread(target=self._read, name=f"{self.name}-output", daemon=True)
        self._reader.start()
        log.info("started %s (pid %d)", self.name, self.proc.pid)
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        sink = self.log_file.open("ab") if self.log_file is not None else None
        try:
            for raw in self.proc.stdout:
                self.lines.append(raw.decode(errors="replace").rstrip())
                if sink is not None:
                    sink.write(raw)
                    sink.flush()
        finally:
            if sink is not None:
                sink.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None, f"{self.name} not started"
        return self.proc.pid

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n: int = 30) -> str:
        return "\n".join(list(self.lines)[-n:])

    def wait_until(self, ready: Callable[[], bool], timeout_s: float, what: str) -> None:
        """Poll ``ready`` until true; fail early with the output if the process exits."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running():
                raise ProcessFailed(f"{self.name} exited before {what}:\n{self.tail()}")
            if ready():
                return
            time.sleep(0.05)
        raise ProcessFailed(f"{self.name}: no {what} after {timeout_s} s:\n{self.tail()}")

    def wait_port(self, port: int, host: str = "127.0.0.1", timeout_s: float = 20.0) -> None:
        self.wait_until(lambda: port_open(host, port), timeout_s, f"listener on {host}:{port}")

    def stop(self, sig: int = signal.SIGTERM, grace_s: float = 10.0) -> int | None:
        """Signal the process group, wait up to ``grace_s``, then SIGKILL it. Returns the code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing", self.name, grace_s)
        # Whatever is left in the group (a child that ignored the signal) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        code = self.proc.wait()
        deadline = time.monotonic() + 5
        while live_group_members(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)  # SIGKILL is delivered; wait until the kernel has acted on it
        if self._reader is not None:
            self._reader.join(timeout=2)
        return code


def live_group_members(pgid: int) -> list[int]:
    """Pids in process group ``pgid`` that are not zombies (a zombie is dead, only unreaped)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            members.append(int(entry.name))
    return members


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1 (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
