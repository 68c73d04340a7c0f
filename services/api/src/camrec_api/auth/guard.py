"""An ASGI middleware in front of the whole api: with the login on, every ``/api/*`` route
(HTTP and WebSocket) but the login's own needs a logged-in session cookie, and requests that
change something must come from the page's own origin. It puts the session it found (or None)
in ``scope["state"]["login"]`` for the routes (``/health`` says less without one)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from camrec_contracts.errors import ErrorCode, ErrorReply

from .login import Login, LoginUnavailable

COOKIE = "camrec_session"
OPEN_PATHS = frozenset({"/api/auth", "/api/auth/login"})
"""Under /api/ yet open: the page asks whether it must log in, and logs in."""
CHECK_PATH = "/api/auth/check"
"""nginx asks it before a preview socket: a socket's handshake, so its Origin is checked too."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def protected(path: str) -> bool:
    return (path == "/api" or path.startswith("/api/")) and path not in OPEN_PATHS


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def cookie_token(scope: Scope) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    try:
        found = SimpleCookie(raw).get(COOKIE)
    except CookieError:
        return None
    return found.value if found is not None and found.value else None


def cross_site(scope: Scope) -> bool:
    """The browser says the request comes from another origin than the one it is sent to.
    (No Origin header: not a browser's cross-site request, e.g. curl with the cookie.)"""
    origin = header(scope, b"origin")
    if origin is None:
        return False
    host = header(scope, b"host")
    return origin == "null" or urlsplit(origin).netloc != host


class AuthGuard:
    def __init__(self, app: App, login: Login) -> None:
        self.app = app
        self.login = login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.login.required:
            await self.app(scope, receive, send)
            return
        unsafe = scope["type"] == "http" and scope.get("method") not in SAFE_METHODS
        socket = scope["type"] == "websocket" or scope["path"] == CHECK_PATH
        if (unsafe or socket) and cross_site(scope):
            message = "refused: a request from another site (its Origin is not this page's)"
            await deny(scope, send, ErrorCode.FORBIDDEN, message)
            return
        token = cookie_token(scope)
        try:
            session = await self.login.session(token) if token else None
        except LoginUnavailable as error:
            if protected(scope["path"]):  # as the api's reads answer while NATS is away
                message = f"cannot check the login: {error}"
                await deny(scope, send, ErrorCode.UNAVAILABLE, message)
                return
            session = None  # /health says NATS is away, as without a login
        if session is None and protected(scope["path"]):
            message = "log in first: this camrec needs a login (POST /api/auth/login)"
            await deny(scope, send, ErrorCode.UNAUTHORIZED, message)
            return
        scope.setdefault("state", {})["login"] = session
        await self.app(scope, receive, send)


async def deny(scope: Scope, send: Send, code: ErrorCode, message: str) -> None:
    body = json.dumps(ErrorReply(code=code, message=message).model_dump(mode="json")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": code.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif "websocket.http.response" in scope.get("extensions", {}):
        # The handshake answered with this status and body (uvicorn's denial response).
        start = {"type": "websocket.http.response.start", "status": code.status}
        await send({**start, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 4000 + code.status, "reason": message})
