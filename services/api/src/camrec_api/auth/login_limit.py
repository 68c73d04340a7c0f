"""Failed logins per client address over a sliding minute: past the limit an address waits
until its oldest failure is a minute old. Kept in the api's memory (each api instance counts
its own), which is what a login form needs: slowing down guessing, not accounting."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0
MAX_ADDRESSES = 10_000
"""Addresses tracked at most; past it the ones whose failures are all old are forgotten first."""


class LoginLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait_s(self, address: str) -> float:
        """0 when ``address`` may try now, else how long it must wait."""
        failures = self._recent(address)
        if len(failures) < self.per_minute:
            return 0.0
        return max(failures[0] + WINDOW_S - self.clock(), 0.0)

    def failed(self, address: str) -> None:
        if address not in self._failures and len(self._failures) >= MAX_ADDRESSES:
            self._forget_old()
        self._failures.setdefault(address, deque()).append(self.clock())

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    def _recent(self, address: str) -> deque[float]:
        failures = self._failures.get(address, deque())
        while failures and failures[0] <= self.clock() - WINDOW_S:
            failures.popleft()
        if not failures:
            self._failures.pop(address, None)
        return failures

    def _forget_old(self) -> None:
        for address in list(self._failures):
            self._recent(address)
        while len(self._failures) >= MAX_ADDRESSES:  # all recent: the oldest address goes
            self._failures.pop(next(iter(self._failures)))
