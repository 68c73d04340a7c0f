"""The previewer's HTTP side: liveness and ``/ws/preview/{session_id}``."""

from __future__ import annotations

from fastapi import FastAPI, WebSocket

from camrec_contracts.previews import (
    CLOSE_UNAVAILABLE,
    CLOSE_UNKNOWN_SESSION,
    FORMAT_PARAM,
    PreviewFormat,
)
from camrec_runtime.bus import Bus

from .service import LookupFailed, Previewer, UnknownSession
from .viewer_socket import serve_viewer


def create_app(bus: Bus, previewer: Previewer) -> FastAPI:
    app = FastAPI(title="camrec previewer", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness of this process and its NATS link (for container healthchecks)."""
        return {"status": "ok" if bus.connected else "degraded"}

    @app.websocket("/ws/preview/{session_id}")
    async def preview(ws: WebSocket, session_id: str) -> None:
        """Live pictures of one session (binary: JPEGs, or H.264 units with ``?format=h264``
        for an H.264 camera) and its status (JSON text)."""
        await ws.accept()
        wanted: PreviewFormat = "h264" if ws.query_params.get(FORMAT_PARAM) == "h264" else "jpeg"
        try:
            session_preview = await previewer.attach(session_id, wanted)
        except UnknownSession as error:
            await ws.close(CLOSE_UNKNOWN_SESSION, str(error)[:120])
            return
        except LookupFailed as error:
            await ws.close(CLOSE_UNAVAILABLE, str(error)[:120])
            return
        viewer = session_preview.join()
        try:
            await serve_viewer(ws, session_preview, viewer)
        finally:
            session_preview.leave(viewer)

    return app
