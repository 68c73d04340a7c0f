"""``create_app(settings, bus)``: the FastAPI gateway, wired to whatever bus it is given."""

from __future__ import annotations

from fastapi import FastAPI

from camrec_contracts import __version__
from camrec_runtime.bus import Bus

from . import config, events, health, recordings, sessions
from .auth import routes as auth_routes
from .auth.guard import AuthGuard
from .auth.login import Login
from .errors import install_error_handlers
from .openapi import install_openapi
from .reads import Reads
from .settings import ApiSettings


def create_app(settings: ApiSettings, bus: Bus) -> FastAPI:
    app = FastAPI(
        title="camrec api",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.bus = bus
    app.state.reads = Reads(lambda: app.state.bus)  # loads on first use
    app.state.login = Login(settings, lambda: app.state.bus)
    app.add_middleware(AuthGuard, login=app.state.login)
    app.include_router(auth_routes.router)
    app.include_router(health.router)
    app.include_router(config.router)
    app.include_router(sessions.router)
    app.include_router(recordings.router)
    app.include_router(events.router)
    install_error_handlers(app)
    install_openapi(app)
    return app
