"""Camera credentials never leave the KV record: ``redact_url`` and ``redact_text``."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"

# Query keys cameras use for credentials (e.g. ``?user=admin&password=x``).
_SECRET_KEYS = re.compile(r"^(user(name)?|pass(word|wd)?|pwd|token|key|secret|auth|sig)$", re.I)
# ``scheme://userinfo@`` anywhere in free text; userinfo may not contain '/', '@' or spaces.
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")
# The same, percent-encoded inside another URL's query (e.g. a relay API call's ``src=``).
_ENCODED_USERINFO = re.compile(r"(?P<scheme>%3A%2F%2F)(?:(?!%2F)[^\s&/@])+?%40", re.I)
_SECRET_QUERY_IN_TEXT = re.compile(
    r"(?P<key>[?&](?:user(?:name)?|pass(?:word|wd)?|pwd|token|key|secret|auth|sig)=)[^&\s#]*",
    re.I,
)


def redact_url(url: str) -> str:
    """Return ``url`` with any ``user:password@`` and credential query values replaced by ***.

    Never raises: text that does not parse as a URL is redacted as free text.
    """
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(_SECRET_KEYS.match(k) for k, _ in pairs):
                query = urlencode(
                    [(k, MASK if _SECRET_KEYS.match(k) else v) for k, v in pairs], safe="*"
                )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return redact_text(url)


def redact_text(text: str) -> str:
    """Redact every URL credential found in free text (log lines, FFmpeg stderr)."""
    text = _USERINFO_IN_TEXT.sub(lambda m: m.group("scheme") + MASK + "@", text)
    text = _ENCODED_USERINFO.sub(lambda m: m.group("scheme") + MASK + "%40", text)
    return _SECRET_QUERY_IN_TEXT.sub(lambda m: m.group("key") + MASK, text)
