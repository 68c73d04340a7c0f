"""Pictures per second as a viewer sees them: the count over the last window.

The count in the window divided by the window, once it has been counting that long: pictures
that arrive in bursts (a decoder catching up, an MJPEG camera's own timing) don't inflate it.
(Frames-minus-one over the span from the first to the last in the window did: the page showed
29.9 fps for a 25 fps camera.) Before a window has passed, the span seen is all there is."""

from __future__ import annotations

from collections import deque


class Rate:
    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self._since: float | None = None

    def add(self, now: float) -> None:
        if self._since is None:
            self._since = now
        self._times.append(now)
        self._trim(now)

    def clear(self) -> None:
        self._times.clear()
        self._since = None

    def per_s(self, now: float) -> float | None:
        self._trim(now)
        if self._since is not None and now - self._since >= self.window_s:
            return round(len(self._times) / self.window_s, 2)
        if len(self._times) < 2:
            return None
        span = self._times[-1] - self._times[0]
        return round((len(self._times) - 1) / span, 2) if span > 0 else None

    def _trim(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()
