"""The page's login: what the api keeps in KV ``camrec-auth`` (:data:`AUTH_BUCKET`). Only the
password's argon2 hash and digests of session tokens are kept, never a password or a token."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from .model import ContractModel

ADMIN_KEY = "admin"
"""KV ``camrec-auth`` key of the admin's :class:`AdminCredential`."""
SESSION_KEY_PREFIX = "session."
"""KV ``camrec-auth`` keys ``session.<sha256 of the token, hex>``: a :class:`LoginSession`."""

PasswordSource = Literal["generated", "env", "page"]


class AdminCredential(ContractModel):
    """The admin password, hashed (argon2id, its parameters in the hash string)."""

    password_hash: str
    source: PasswordSource
    """Who set it: generated at first start, ``CAMREC_ADMIN_PASSWORD``, or changed in the page."""
    set_at: datetime


class LoginSession(ContractModel):
    """A logged-in browser. Its key holds the digest of the cookie's token, not the token."""

    created_at: datetime
    expires_at: datetime
    address: str
    """The client address that logged in (shown to nobody; for the log of who logged in)."""
