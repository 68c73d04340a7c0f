"""Reading the relays' RTSP with their read user.

A session's ``relay_url`` (in KV, events and the page) never carries credentials: a reader
(the proxy's probes, the recorder's FFmpeg, the previewer) adds the read user from its own
settings when it opens the URL (:meth:`RelayReader.url`), and what it logs is redacted
(:func:`camrec_contracts.redact.redact_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

RELAY_READ_USER = "camrec-reader"
"""The read user compose and the local stack give MediaMTX and go2rtc."""


@dataclass(frozen=True)
class RelayReader:
    user: str = ""
    password: str = field(default="", repr=False)

    def url(self, relay_url: str) -> str:
        """``relay_url`` with this user in it (unchanged when there is none, or for a URL
        that has credentials already)."""
        parts = urlsplit(relay_url)
        if not self.user or "@" in parts.netloc:
            return relay_url
        login = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return urlunsplit(parts._replace(netloc=f"{login}@{parts.netloc}"))
