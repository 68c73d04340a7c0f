"""The Docker side of the compose check: `docker compose` on one project, and the engine's
API (its unix socket) for what the CLI does not give: cumulative CPU per container."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DOCKER_SOCKET = "/var/run/docker.sock"


class DockerError(RuntimeError):
    """A docker command failed; the message carries its last output lines."""


@dataclass
class Compose:
    """`docker compose -p <project>` in ``workdir`` (a copy of the checkout)."""

    workdir: Path
    project: str
    env: Mapping[str, str] = field(default_factory=dict)

    def run(
        self,
        *args: str,
        timeout_s: float = 600,
        check: bool = True,
        quiet: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        argv = ["docker", "compose", "-p", self.project, *args]
        done = subprocess.run(
            argv,
            cwd=self.workdir,
            env={**os.environ, **self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        if not quiet:
            log_file = self.workdir / "compose-e2e.log"
            with log_file.open("a") as out:
                out.write(
                    f"$ {' '.join(argv)}  (exit {done.returncode})\n{done.stdout}{done.stderr}\n"
                )
        if check and done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            raise DockerError(f"docker compose {' '.join(args)} exited {done.returncode}:\n{tail}")
        return done

    def containers(self, all_: bool = False) -> list[dict[str, Any]]:
        """`docker compose ps` as JSON objects (Service, ID, State, Health, …)."""
        args = ["ps", "--format", "json", *(["--all"] if all_ else [])]
        out = self.run(*args, quiet=True).stdout.strip()
        if not out:
            return []
        if out.startswith("["):  # older Compose printed one array
            return list(json.loads(out))
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def ids(self, service: str) -> list[str]:
        return sorted(c["ID"] for c in self.containers() if c["Service"] == service)

    def wait_healthy(self, timeout_s: float, services: Sequence[str] = ()) -> float:
        """Wait until every running container (of ``services``, default all) is healthy or has
        no healthcheck; return how long it took."""
        start = time.monotonic()
        while True:
            state = self.containers()
            wanted = [c for c in state if not services or c["Service"] in services]
            waiting = [
                f"{c['Service']} ({c.get('Health') or c['State']})"
                for c in wanted
                if c["State"] != "running" or c.get("Health") not in ("", "healthy", None)
            ]
            if wanted and not waiting:
                return time.monotonic() - start
            if time.monotonic() - start > timeout_s:
                raise DockerError(f"not healthy within {timeout_s:g} s: {', '.join(waiting)}")
            time.sleep(1)


class Engine:
    """The Docker engine's HTTP API over its unix socket."""

    def __init__(self, socket_path: str = DOCKER_SOCKET) -> None:
        self._http = httpx.Client(
            transport=httpx.HTTPTransport(uds=socket_path), base_url="http://docker", timeout=30
        )

    def close(self) -> None:
        self._http.close()

    def inspect(self, container: str) -> dict[str, Any]:
        response = self._http.get(f"/containers/{container}/json")
        response.raise_for_status()
        return dict(response.json())

    def cpu_ns(self, container: str) -> int:
        """CPU time the container's cgroup has used so far (every process in it, the
        healthcheck's too), in nanoseconds."""
        response = self._http.get(f"/containers/{container}/stats", params={"stream": "false"})
        response.raise_for_status()
        return int(response.json()["cpu_stats"]["cpu_usage"]["total_usage"])


def process_cpu_s(pid: int) -> float:
    """utime + stime of a host process (the engine's own cost), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def pids_of(name: str) -> list[int]:
    """Host processes whose command name is ``name`` (dockerd, containerd)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
