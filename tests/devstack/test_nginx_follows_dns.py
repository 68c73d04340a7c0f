"""nginx follows a backend that moved to another address, as a re-created container does.

`docker compose up -d --build` re-creates api and previewer with new addresses; nginx that
resolved their names once at start answered 502 until restarted (seen twice). The template
now resolves per request through the container's DNS server. Here: real nginx from the same
template, a real DNS server (dnslib) standing in for Docker's 127.0.0.11, and backends on two
loopback addresses with the same port, as a re-created container keeps its port.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from dnslib import QTYPE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSServer

from camrec_devstack.nginx import start_nginx
from camrec_devstack.procs import free_port
from tests.polling import poll

VALID_S = 5
"""The template's `resolver … valid=5s`: how long nginx keeps an answer."""
DOCKER_TTL_S = 600
"""The TTL Docker's embedded DNS gives its answers; nginx must not wait for it."""


class Names(BaseResolver):  # type: ignore[misc]
    """A records for the names we hold; no answer (but no error) for anything else."""

    def __init__(self) -> None:
        self.addresses: dict[str, str] = {}

    def resolve(self, request: DNSRecord, handler: Any) -> DNSRecord:
        reply = request.reply()
        name = str(request.q.qname).rstrip(".")
        if request.q.qtype == QTYPE.A and name in self.addresses:
            reply.add_answer(RR(name, QTYPE.A, rdata=A(self.addresses[name]), ttl=DOCKER_TTL_S))
        return reply


@dataclass
class Backend:
    """An HTTP server that says who it is, on one loopback address."""

    who: str
    server: ThreadingHTTPServer
    stopped: bool = False

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.server.shutdown()
            self.server.server_close()


def start_backend(who: str, address: str, port: int) -> Backend:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"{who} {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer((address, port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return Backend(who, server)


@pytest.fixture
def dns() -> Iterator[tuple[Names, int]]:
    names = Names()
    port = free_port()
    server = DNSServer(names, port=port, address="127.0.0.1")
    server.start_thread()
    try:
        yield names, port
    finally:
        server.stop()


async def test_nginx_follows_a_recreated_api(tmp_path: Path, dns: tuple[Names, int]) -> None:
    names, dns_port = dns
    api_port, previewer_port, http_port = free_port(), free_port(), free_port()
    names.addresses["api.camrec.test"] = "127.0.0.2"
    names.addresses["previewer.camrec.test"] = "127.0.0.2"
    old = start_backend("old", "127.0.0.2", api_port)
    new: Backend | None = None
    web_root = tmp_path / "www"
    web_root.mkdir()
    (web_root / "index.html").write_text("page")
    values = {
        "LISTEN": f"127.0.0.1:{http_port}",
        "API_UPSTREAM": f"api.camrec.test:{api_port}",
        "PREVIEWER_UPSTREAM": f"previewer.camrec.test:{previewer_port}",
        "WEB_ROOT": str(web_root),
        "NGINX_LOCAL_RESOLVERS": f"127.0.0.1:{dns_port}",
    }
    nginx = start_nginx(values, tmp_path / "nginx", http_port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=5) as http:
            for path in ("/health", "/health/live", "/api/recordings?x=1"):
                response = await http.get(path)
                assert (response.status_code, response.text) == (200, f"old {path}")

            # The api is re-created: the old one goes, the new one has another address.
            old.stop()
            names.addresses["api.camrec.test"] = "127.0.0.3"
            new = start_backend("new", "127.0.0.3", api_port)

            async def reaches_the_new_api() -> bool:
                return (await http.get("/health")).text == "new /health"

            # Within `valid` (5 s) and a few tries; a deadline far below Docker's 600 s TTL.
            await poll(reaches_the_new_api, timeout_s=3 * VALID_S, what="the new api")
            for path in ("/health", "/health/live", "/api/recordings?x=1"):
                response = await http.get(path)
                assert (response.status_code, response.text) == (200, f"new {path}")
    finally:
        nginx.stop()
        old.stop()
        if new is not None:
            new.stop()
