"""A small MediaMTX stand-in (MediaMTX can't be installed here) that follows its OpenAPI file:
every request is validated against ../shared/contracts/mediamtx-v1.20.1-openapi.yaml (and,
like MediaMTX, unknown PathConf fields are refused); every response it sends is validated
too, so the fake can't drift from the file. Runs as a real HTTP server on a free port."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from camrec_devstack.paths import REPO

SPEC_FILE = REPO.parent / "shared" / "contracts" / "mediamtx-v1.20.1-openapi.yaml"


def load_spec() -> OpenAPI:
    spec = yaml.safe_load(SPEC_FILE.read_text())
    spec["servers"] = [{"url": "/"}]  # the file names localhost:9997; the fake's port varies
    return OpenAPI.from_dict(spec)


@dataclass
class FakeMediaMTX:
    online_after_gets: int = 1
    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    gets: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._spec = load_spec()
        spec = yaml.safe_load(SPEC_FILE.read_text())
        self._conf_fields = set(spec["components"]["schemas"]["PathConf"]["properties"])

    def _json(self, status: int, body: dict[str, Any]) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _error(self, status: int, message: str) -> Response:
        return self._json(status, {"status": "error", "error": message})

    def handle(self, request: Request) -> Response:
        self.requests.append(f"{request.method} {request.path}")
        try:
            self._spec.validate_request(WerkzeugOpenAPIRequest(request))
        except Exception as error:
            self.invalid.append(f"{request.method} {request.path}: {error}")
            return self._error(400, f"invalid request: {error}")
        response = self._route(request)
        self._spec.validate_response(
            WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
        )
        return response

    def _route(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        name = parts[-1]
        if (
            request.method == "POST"
            and parts[:3] == ["v3", "config", "paths"]
            and parts[3] == "add"
        ):
            conf = request.get_json()
            unknown = sorted(set(conf) - self._conf_fields)
            if unknown:
                return self._error(400, f'json: unknown field "{unknown[0]}"')
            if name in self.paths:
                return self._error(400, "path already exists")
            self.paths[name] = {**conf, "name": name}
            return self._json(200, {"status": "ok"})
        if request.method == "DELETE" and parts[:4] == ["v3", "config", "paths", "delete"]:
            if self.paths.pop(name, None) is None:
                return self._error(404, "path not found")
            return self._json(200, {"status": "ok"})
        if request.method == "GET" and parts == ["v3", "config", "paths", "list"]:
            items = list(self.paths.values())
            return self._json(200, {"itemCount": len(items), "pageCount": 1, "items": items})
        if request.method == "GET" and parts[:3] == ["v3", "paths", "get"]:
            if name not in self.paths:
                return self._error(404, "path not found")
            self.gets[name] = self.gets.get(name, 0) + 1
            online = self.gets[name] > self.online_after_gets
            state: dict[str, Any] = {
                "name": name,
                "confName": name,
                "ready": online,
                "available": online,
                "online": online,
                "tracks2": [],
                "readers": [],
                "inboundBytes": 0,
                "outboundBytes": 0,
            }
            if online:  # the file's PathSource is not nullable: absent while offline
                state["source"] = {"type": "rtspSource", "id": ""}
            return self._json(200, state)
        return self._error(404, "not found")


@contextmanager
def running_fake(**kwargs: Any) -> Iterator[FakeMediaMTX]:
    fake = FakeMediaMTX(**kwargs)
    server = make_server("127.0.0.1", 0, Request.application(fake.handle), threaded=True)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        thread.join(5)
