"""The login's KV records (bucket ``camrec-auth``): the admin password's hash and one record
per logged-in browser, keyed by the SHA-256 of its cookie's token (a copy of the bucket lets
nobody log in)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import timedelta

from nats.js.errors import KeyWrongLastSequenceError

from camrec_contracts.auth import (
    ADMIN_KEY,
    SESSION_KEY_PREFIX,
    AdminCredential,
    LoginSession,
    PasswordSource,
)
from camrec_contracts.events import utcnow
from camrec_runtime.kvstore import Bucket, ModelStore

from .passwords import generate_password, hash_password, verify_password

log = logging.getLogger(__name__)


def session_key(token: str) -> str:
    return SESSION_KEY_PREFIX + hashlib.sha256(token.encode()).hexdigest()


class LoginStore:
    def __init__(self, bucket: Bucket) -> None:
        self.admins = ModelStore(bucket, AdminCredential)
        self.sessions = ModelStore(bucket, LoginSession)

    async def credential(self) -> AdminCredential | None:
        return await self.admins.get(ADMIN_KEY)

    async def ensure_admin(self, from_env: str | None) -> str | None:
        """Make sure there is an admin password: ``from_env`` (set if it differs), else the
        one kept, else a generated one. Returns the password only when it was generated here
        (to be printed once)."""
        kept = await self.credential()
        if from_env is not None:
            if kept is None or kept.source != "env" or not await check(kept, from_env):
                await self.set_password(from_env, "env")
                await self.close_all()  # a new password: old logins end
            return None
        if kept is not None:
            return None
        password = generate_password()
        credential = await _credential(password, "generated")
        try:
            await self.admins.create(ADMIN_KEY, credential)
        except KeyWrongLastSequenceError:  # another api instance made one first
            return None
        return password

    async def set_password(self, password: str, source: PasswordSource) -> None:
        await self.admins.put(ADMIN_KEY, await _credential(password, source))

    async def open_session(self, address: str, lasts: timedelta) -> str:
        """A new login: returns the cookie's token (kept only as its digest)."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        record = LoginSession(created_at=now, expires_at=now + lasts, address=address)
        await self.sessions.put(session_key(token), record)
        return token

    async def session(self, token: str) -> LoginSession | None:
        key = session_key(token)
        found = await self.sessions.get(key)
        if found is not None and found.expires_at <= utcnow():
            await self.sessions.delete(key)
            return None
        return found

    async def close_session(self, token: str) -> None:
        await self.sessions.delete(session_key(token))

    async def close_all(self) -> None:
        for key in await self.sessions.keys():
            if key.startswith(SESSION_KEY_PREFIX):
                await self.sessions.delete(key)

    async def prune(self) -> None:
        """Forget expired logins (each login does this: the bucket never grows without end)."""
        now = utcnow()
        for key in await self.sessions.keys():
            if not key.startswith(SESSION_KEY_PREFIX):
                continue
            found = await self.sessions.get(key)
            if found is not None and found.expires_at <= now:
                await self.sessions.delete(key)


async def check(credential: AdminCredential, password: str) -> bool:
    return await asyncio.to_thread(verify_password, credential.password_hash, password)


async def _credential(password: str, source: PasswordSource) -> AdminCredential:
    hashed = await asyncio.to_thread(hash_password, password)
    return AdminCredential(password_hash=hashed, source=source, set_at=utcnow())
