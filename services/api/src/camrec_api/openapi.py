"""The api's OpenAPI schema, plus the models the page receives outside plain HTTP (events on
``/api/events``, preview status on ``/ws/preview/``), so one generated client types them all.

``python -m camrec_api.openapi`` prints it; ``scripts/gen-client`` writes it to
``frontend/src/api/openapi.json`` and generates ``schema.d.ts`` from it.
"""

from __future__ import annotations

import json
import sys
from typing import Any, cast

from fastapi import FastAPI
from pydantic import BaseModel

from camrec_contracts.previews import PreviewConfig, PreviewStatus
from camrec_contracts.recordings import RecordingEvent
from camrec_contracts.sessions import SessionEvent
from camrec_runtime.bus import Bus

EXTRA_MODELS: tuple[type[BaseModel], ...] = (
    SessionEvent,
    RecordingEvent,
    PreviewStatus,
    PreviewConfig,
)


def install_openapi(app: FastAPI) -> None:
    """Serve the schema with :data:`EXTRA_MODELS` added to its components."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = plain()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in EXTRA_MODELS:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(body.pop("$defs", {}))
            components[model.__name__] = body
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def schema() -> dict[str, Any]:
    from .app import create_app
    from .settings import ApiSettings

    # The schema does not depend on the bus; no NATS is needed to print it.
    return create_app(ApiSettings(), cast(Bus, None)).openapi()


if __name__ == "__main__":
    sys.stdout.write(json.dumps(schema(), indent=2, sort_keys=True) + "\n")
