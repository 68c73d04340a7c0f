"""Password hashing with argon2id (argon2-cffi: a maintained binding of the reference C code,
rather than a hash of our own). Hashing costs ~64 MiB and tens of ms by design: callers run it
in a thread."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
_hasher = PasswordHasher()  # argon2id with the library's defaults (RFC 9106's second choice)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    """16 URL-safe characters (96 random bits): printed once at the first start."""
    return secrets.token_urlsafe(12)
