"""Error text from httpx without URLs (they may carry camera credentials)."""

from __future__ import annotations

import httpx

from camrec_contracts.redact import redact_text


def describe_http_error(error: httpx.HTTPError) -> str:
    kind = type(error).__name__
    text = str(error) or kind
    return redact_text(f"{kind}: {text}" if text != kind else kind)
