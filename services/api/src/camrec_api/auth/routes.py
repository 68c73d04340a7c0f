"""``/api/auth``: whether the page must log in, log in, log out, change the password; and
``/api/auth/check`` for nginx's ``auth_request`` in front of the preview sockets."""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from camrec_contracts.auth import LoginSession, PasswordSource
from camrec_contracts.errors import CamrecError, ErrorCode

from ..errors import ERROR_RESPONSES
from .guard import COOKIE, cookie_token
from .login import Login
from .login_store import check
from .passwords import MIN_LENGTH

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=ERROR_RESPONSES)


class AuthState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool
    """A login is needed (CAMREC_AUTH, or the page is published beyond loopback)."""
    logged_in: bool
    password_source: PasswordSource | None = None
    """Who set the password (when logged in): ``env`` means the page can't change it."""


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=1024)


class PasswordChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current: str = Field(max_length=1024)
    new: str = Field(min_length=MIN_LENGTH, max_length=1024)


def login_of(request: Request) -> Login:
    login: Login = request.app.state.login
    return login


def client_address(request: Request) -> str:
    """nginx's X-Real-IP (it sets it from the connection, whatever the client sent), else the
    peer's address (the api reached directly)."""
    return request.headers.get("x-real-ip") or (request.client.host if request.client else "?")


def https(request: Request) -> bool:
    return request.headers.get("x-forwarded-proto", request.url.scheme) == "https"


async def state(login: Login, session: LoginSession | None) -> AuthState:
    if not login.required:
        return AuthState(required=False, logged_in=False)
    if session is None:
        return AuthState(required=True, logged_in=False)
    credential = await (await login.store()).credential()
    return AuthState(
        required=True,
        logged_in=True,
        password_source=credential.source if credential else None,
    )


def set_cookie(response: Response, request: Request, token: str, login: Login) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(login.lasts.total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=https(request),
    )


@router.get("", response_model=AuthState)
async def auth_state(request: Request) -> AuthState:
    return await state(login_of(request), getattr(request.state, "login", None))


@router.post("/login", response_model=AuthState)
async def log_in(body: LoginBody, request: Request, response: Response) -> AuthState:
    login = login_of(request)
    if not login.required:
        raise CamrecError(ErrorCode.CONFLICT, "this camrec needs no login (CAMREC_AUTH is off)")
    address = client_address(request)
    wait_s = login.limit.wait_s(address)
    if wait_s > 0:
        seconds = math.ceil(wait_s)
        message = f"too many failed logins from {address}: try again in {seconds} s"
        raise TooManyLogins(message, seconds)
    store = await login.store()
    credential = await store.credential()
    if credential is None or not await check(credential, body.password):
        login.limit.failed(address)
        log.info("failed login from %s", address)
        raise CamrecError(ErrorCode.UNAUTHORIZED, "wrong password")
    login.limit.succeeded(address)
    await store.prune()
    token = await store.open_session(address, login.lasts)
    set_cookie(response, request, token, login)
    log.info("login from %s", address)
    return AuthState(required=True, logged_in=True, password_source=credential.source)


@router.post("/logout", response_model=AuthState)
async def log_out(request: Request, response: Response) -> AuthState:
    login = login_of(request)
    token = cookie_token(request.scope)
    if login.required and token:
        await (await login.store()).close_session(token)
    secure = https(request)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
    return AuthState(required=login.required, logged_in=False)


@router.post("/password", response_model=AuthState)
async def change_password(
    body: PasswordChangeBody, request: Request, response: Response
) -> AuthState:
    """The admin password, changed; every other login ends, this browser stays logged in."""
    login = login_of(request)
    if not login.required:
        raise CamrecError(ErrorCode.CONFLICT, "this camrec needs no login (CAMREC_AUTH is off)")
    store = await login.store()
    credential = await store.credential()
    if credential is not None and credential.source == "env":
        message = "the password is set by CAMREC_ADMIN_PASSWORD: change it there and restart"
        raise CamrecError(ErrorCode.CONFLICT, message)
    if credential is None or not await check(credential, body.current):
        raise CamrecError(ErrorCode.FORBIDDEN, "the current password is wrong")
    await store.set_password(body.new, "page")
    await store.close_all()
    token = await store.open_session(client_address(request), login.lasts)
    set_cookie(response, request, token, login)
    log.info("admin password changed from %s; other logins ended", client_address(request))
    return AuthState(required=True, logged_in=True, password_source="page")  # noqa: S106


@router.get("/check", status_code=204, response_class=Response)
async def check_login() -> Response:
    """204 when logged in (the guard answers 401 before this otherwise): nginx asks it
    before letting a preview socket through."""
    return Response(status_code=204)


class TooManyLogins(CamrecError):
    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(ErrorCode.TOO_MANY_REQUESTS, message)
        self.retry_after_s = retry_after_s  # the error handler's Retry-After
