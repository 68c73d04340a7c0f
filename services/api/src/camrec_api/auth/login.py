"""The login as the api's routes and guard see it: whether it is required, the store (opened
and given an admin password on first use), the failed-login limit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

import nats.errors

from camrec_contracts.auth import LoginSession
from camrec_contracts.jetstream import AUTH_BUCKET
from camrec_runtime.bus import Bus
from camrec_runtime.kvstore import open_bucket

from ..settings import ApiSettings
from .login_limit import LoginLimit
from .login_store import LoginStore

log = logging.getLogger(__name__)


class LoginUnavailable(Exception):
    """The login can't be checked: NATS (where the logins are kept) is away or not answering."""


class Login:
    def __init__(self, settings: ApiSettings, bus: Callable[[], Bus]) -> None:
        self.settings = settings
        self.required = settings.auth_required
        self.lasts = timedelta(days=settings.session_days)
        self.limit = LoginLimit(settings.login_failures_per_minute)
        self._bus = bus
        self._store: LoginStore | None = None
        self._opening = asyncio.Lock()

    async def store(self) -> LoginStore:
        async with self._opening:
            if self._store is None:
                store = LoginStore(await open_bucket(self._bus().js, AUTH_BUCKET))
                secret = self.settings.admin_password
                generated = await store.ensure_admin(secret.get_secret_value() if secret else None)
                if generated is not None:
                    log.warning(
                        "first start: the admin password is %s (shown this once; change it "
                        "in the page: Change password, top right; or set CAMREC_ADMIN_PASSWORD)",
                        generated,
                    )
                self._store = store
        return self._store

    async def start(self) -> None:
        """At start-up, when the login is on: the admin password exists (printed if new)."""
        if self.required:
            await self.store()

    async def session(self, token: str) -> LoginSession | None:
        if not self._bus().connected:  # fail at once, not after a KV request's time-out
            raise LoginUnavailable("NATS is unreachable (the api reconnects by itself)")
        try:
            return await (await self.store()).session(token)
        except (nats.errors.Error, OSError) as error:  # nats' TimeoutError is an OSError
            raise LoginUnavailable(f"NATS did not answer ({type(error).__name__})") from error
