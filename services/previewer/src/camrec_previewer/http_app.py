"""The previewer's HTTP side: liveness now; the WebSocket preview joins it later."""

from __future__ import annotations

from fastapi import FastAPI

from camrec_contracts.bus import Bus


def create_app(bus: Bus) -> FastAPI:
    app = FastAPI(title="camrec previewer", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness of this process and its NATS link (for container healthchecks)."""
        return {"status": "ok" if bus.connected else "degraded"}

    return app
