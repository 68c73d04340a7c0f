"""compose.yaml and the Dockerfiles, checked against the code they run (no Docker needed).

Nothing here starts a container: images can't be pulled on these machines. Instead every
name, port, path, setting and command the files mention is compared with what the code and
the other config files define, and compose.yaml is validated against the Compose schema.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
import yaml

from camrec_contracts.nats_users import OPS_USER, SERVICE_USERS
from camrec_contracts.relay_access import RELAY_READ_USER
from camrec_contracts.services import SERVICES
from camrec_contracts.settings import ENV_PREFIX, CamrecSettings
from camrec_devstack.nginx import TEMPLATE, TEMPLATE_VARS
from camrec_devstack.paths import REPO
from camrec_runtime.bus import Bus
from camrec_runtime.credentials import READ_PASSWORD_MARK, StackCredentials
from camrec_runtime.liveness import LivenessSettings

SHARED_CONTRACTS = Path(__file__).resolve().parents[3] / "shared" / "contracts"
COMPOSE_SCHEMA = SHARED_CONTRACTS / "compose-spec.json"
MEDIAMTX_OPENAPI = SHARED_CONTRACTS / "mediamtx-v1.20.1-openapi.yaml"

COMPOSE_FILE = REPO / "compose.yaml"
BIND = "${CAMREC_BIND:-127.0.0.1}"
PUBLISHED = {8000, 8554, 8555, 4222}

PYTHON_SERVICES = {"api", "proxy", "recorder", "previewer"}
SETTINGS_CLASSES = {
    "api": "camrec_api.settings.ApiSettings",
    "proxy": "camrec_proxy.settings.ProxySettings",
    "recorder": "camrec_recorder.settings.RecorderSettings",
    "previewer": "camrec_previewer.settings.PreviewerSettings",
}
MICRO_NAMES = {"proxy": "camrec-proxy", "recorder": "camrec-recorder"}
HTTP_PORT_FIELDS = {"api": "api_port", "previewer": "previewer_port"}
BUILD_TOOLS = {"gcc", "g++", "build-essential", "make", "clang", "cc", "python3-dev"}


# -- helpers ------------------------------------------------------------------------------
def _compose() -> dict[str, Any]:
    return cast(dict[str, Any], yaml.safe_load(COMPOSE_FILE.read_text()))


COMPOSE = _compose()
SERVICES_CFG: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"credentials"}
"""Runs once before the others (``service_completed_successfully``) and exits."""
LONG_RUNNING = [
    name for name, svc in SERVICES_CFG.items() if not svc.get("profiles") and name not in ONE_SHOT
]
CREDENTIALS = StackCredentials(Path("/run/camrec"))
"""Where the credentials service writes (its volume's mount point in every service)."""
READERS = {"proxy", "recorder", "previewer"}
"""The services that read the relays' RTSP."""


def _settings_class(service: str) -> type[CamrecSettings]:
    module, _, name = SETTINGS_CLASSES[service].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, CamrecSettings)
    return cast(type[CamrecSettings], cls)


def _env(service: str) -> dict[str, str]:
    env = SERVICES_CFG[service].get("environment", {})
    assert isinstance(env, dict), f"{service}: write environment as a mapping"
    return {str(k): str(v) for k, v in env.items()}


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Dockerfile:
    path: Path
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"{self.path}: no stage {name!r}")

    def chain(self, name: str) -> list[Stage]:
        """The stage and the stages it is built FROM, nearest first."""
        names = {s.name for s in self.stages if s.name}
        chain = [self.stage(name)]
        while chain[-1].base in names:
            chain.append(self.stage(chain[-1].base))
        return chain

    def last(self, name: str, instruction: str) -> str | None:
        for stage in self.chain(name):
            for instr, args in reversed(stage.instructions):
                if instr == instruction:
                    return args
        return None

    def external_images(self) -> list[str]:
        names = {s.name for s in self.stages if s.name}
        images = [s.base for s in self.stages if s.base not in names]
        for stage in self.stages:
            for instr, args in stage.instructions:
                source = re.search(r"--from=(\S+)", args) if instr == "COPY" else None
                if source and source.group(1) not in names:
                    images.append(source.group(1))
        return images


def parse_dockerfile(path: Path) -> Dockerfile:
    lines: list[str] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        lines.append(pending + line)
        pending = ""
    assert not pending, f"{path}: dangling line continuation"
    stages: list[Stage] = []
    for line in lines:
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        args = " ".join(args.split())
        if instr == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+ )?(\S+)(?: AS (\S+))?", args, re.I)
            assert match, f"{path}: cannot read FROM {args!r}"
            stages.append(Stage(base=match.group(1), name=match.group(2)))
        else:
            assert stages, f"{path}: {instr} before FROM"
            stages[-1].instructions.append((instr, args))
    return Dockerfile(path, stages)


def _dockerfile(service: str) -> tuple[Dockerfile, str]:
    build = SERVICES_CFG[service]["build"]
    path = REPO / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
    return parse_dockerfile(path), build["target"]


def _exec_form(args: str) -> list[str]:
    """The JSON array of an exec-form CMD / HEALTHCHECK CMD."""
    body = args[args.index("[") :]
    value = json.loads(body)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value)
    return cast(list[str], value)


def _healthcheck_test(service: str) -> list[str] | None:
    check = SERVICES_CFG[service].get("healthcheck")
    if check is None:
        return None
    test = check["test"]
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    return [str(t) for t in test]


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, f"{url}: give the port explicitly"
    return port


def _listen_port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


def _option(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


def _mounts(service: str) -> dict[str, str]:
    """target → source of the service's volumes (short syntax)."""
    mounts = {}
    for spec in SERVICES_CFG[service].get("volumes", []):
        assert isinstance(spec, str), f"{service}: use the short volume syntax"
        parts = spec.split(":")
        mounts[parts[1]] = parts[0]
    return mounts


# -- the file as a whole ------------------------------------------------------------------
def test_valid_against_the_compose_schema() -> None:
    if not COMPOSE_SCHEMA.is_file():
        pytest.skip(f"{COMPOSE_SCHEMA} not found (shared/ beside the repository)")
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(COMPOSE), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_no_compose_v2_only_top_level_keys() -> None:
    """Debian's docker-compose 1.29 rejects these (see PITFALLS); no `version` at all."""
    assert not {"version", "name", "include", "develop"} & set(COMPOSE)
    for name, svc in SERVICES_CFG.items():
        assert "develop" not in svc, name
        for dep in (svc.get("depends_on") or {}).values():
            assert "restart" not in dep, name


def test_named_volumes_are_declared_and_bind_sources_exist() -> None:
    declared = set(COMPOSE.get("volumes") or {})
    used = set()
    for name in SERVICES_CFG:
        for source in _mounts(name).values():
            if source.startswith("."):
                if source != "./recordings":  # created on first start
                    assert (REPO / source).exists(), f"{name}: {source} is not in the repo"
            else:
                used.add(source)
    assert used == declared == {"nats-data", "go2rtc-config", "credentials"}


def test_long_running_services_restart_and_have_a_healthcheck() -> None:
    for name in LONG_RUNNING:
        svc = SERVICES_CFG[name]
        assert svc.get("restart") == "unless-stopped", name
        has_check = _healthcheck_test(name) is not None
        if "build" in svc:
            dockerfile, target = _dockerfile(name)
            has_check = has_check or dockerfile.last(target, "HEALTHCHECK") is not None
        assert has_check, f"{name} has no healthcheck"


def test_start_order_without_waiting_on_health() -> None:
    """Services start after what they use, but never wait on a healthcheck: with checks every
    30 s (cheap when idle) the first one comes 30 s after start on Docker < 25. The services
    retry NATS and the relays themselves."""
    for name in PYTHON_SERVICES:
        assert SERVICES_CFG[name]["depends_on"]["nats"] == {"condition": "service_started"}
    for relay in ("mediamtx", "go2rtc"):
        assert SERVICES_CFG["proxy"]["depends_on"][relay] == {"condition": "service_started"}
    assert CamrecSettings.model_fields["nats_connect_wait_s"].default >= 10
    for name, svc in SERVICES_CFG.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in SERVICES_CFG, f"{name} depends on unknown {dep}"
            wanted = "service_completed_successfully" if dep in ONE_SHOT else "service_started"
            assert cond.get("condition") == wanted, f"{name} waits on {dep}'s {cond}"


def test_healthchecks_are_cheap_when_idle() -> None:
    """Each check is a process started in the container: ~20 ms of CPU measured, whatever it
    runs. Nine of them every 5-15 s kept an idle stack at 3.7 % of one core; every 30 s,
    with no Python started, the stack idles under 2 % (./scripts/compose-e2e measures it)."""
    for name in LONG_RUNNING:
        check = SERVICES_CFG[name]["healthcheck"]
        assert check["interval"] == "30s", name
        assert "python" not in check["test"], name


def test_only_the_documented_ports_are_published_on_camrec_bind() -> None:
    seen = set()
    for name, svc in SERVICES_CFG.items():
        for spec in svc.get("ports", []):
            assert isinstance(spec, str) and spec.startswith(BIND + ":"), f"{name}: {spec}"
            container = int(spec.rsplit(":", 1)[1])
            assert container in PUBLISHED, f"{name} publishes {container}"
            seen.add(container)
    assert seen == PUBLISHED
    assert SERVICES_CFG["frontend"]["ports"] == [f"{BIND}:${{CAMREC_HTTP_PORT:-8000}}:8000"]


def test_images_are_pinned() -> None:
    images = [svc["image"] for svc in SERVICES_CFG.values() if "image" in svc]
    for name in ("python", "frontend"):
        path = REPO / "deploy" / name / "Dockerfile"
        images += parse_dockerfile(path).external_images()
    assert images
    for image in images:
        tag = image.rsplit("/", 1)[-1].partition(":")[2]
        assert tag and tag != "latest" and re.search(r"\d", tag), f"{image} is not pinned"


# -- camrec's own services ----------------------------------------------------------------
@pytest.mark.parametrize("service", sorted([*PYTHON_SERVICES, "frontend"]))
def test_build_target_is_a_stage_of_its_dockerfile(service: str) -> None:
    build = SERVICES_CFG[service]["build"]
    assert build["context"] == "."
    assert (REPO / build["dockerfile"]).is_file()
    dockerfile, target = _dockerfile(service)
    dockerfile.stage(target)


@pytest.mark.parametrize("service", sorted([*PYTHON_SERVICES, "frontend"]))
def test_final_images_run_as_a_user_without_build_tools(service: str) -> None:
    dockerfile, target = _dockerfile(service)
    user = dockerfile.last(target, "USER")
    assert user is not None, f"{service}: no USER"
    assert user.split(":")[0] not in {"root", "0"}, f"{service} runs as {user}"
    for stage in dockerfile.chain(target):
        for instr, args in stage.instructions:
            if instr == "RUN":
                words = set(re.split(r"[\s;&|]+", args))
                assert not BUILD_TOOLS & words, f"{service}: {args}"


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_python_target_runs_its_package(service: str) -> None:
    dockerfile, target = _dockerfile(service)
    assert target == service
    cmd_args = dockerfile.last(target, "CMD")
    assert cmd_args is not None
    cmd = _exec_form(cmd_args)
    assert cmd == ["python", "-m", f"camrec_{service}"]
    assert importlib.util.find_spec(f"camrec_{service}.__main__") is not None
    assert not SERVICES_CFG[service].get("command"), "the image's CMD is the command"
    assert SERVICES_CFG[service].get("init") is True  # FFmpeg and friends get reaped


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_environment_names_real_settings(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAMREC_RELAY_READ_PASSWORD")  # the tests' own (tests.relay_reader)
    cls = _settings_class(service)
    env = _env(service)
    values = {}
    for key, value in env.items():
        assert key.startswith(ENV_PREFIX), f"{service}: {key} is not a camrec setting"
        field_name = key[len(ENV_PREFIX) :].lower()
        assert field_name in cls.model_fields, f"{service}: {key} is not in {cls.__name__}"
        # `${NAME:-default}`: what Compose gives when the user sets nothing
        values[field_name] = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)
        if key.endswith("_FILE"):  # the credentials volume's: here, a file with a password
            assert Path(value).is_relative_to(CREDENTIALS.root), f"{service}: {key}"
            values[field_name] = str(tmp_path / "password")
    (tmp_path / "password").write_text("stand-in\n")
    cls(**values)  # and the values validate
    assert env["CAMREC_NATS_URL"] == "nats://nats:4222"


def test_nats_is_reachable_as_the_services_say() -> None:
    nats = SERVICES_CFG["nats"]
    argv = [str(a) for a in nats["command"]]
    assert "-js" in argv and _option(argv, "-sd") == ["/data"]
    assert _mounts("nats")["/data"] == "nats-data"
    monitor = int(_option(argv, "-m")[0])
    assert f"http://127.0.0.1:{monitor}/healthz" in (_healthcheck_test("nats") or [])
    assert f"{BIND}:4222:4222" in nats["ports"]


WGET = ["CMD", "busybox", "wget", "-qO", "/dev/null"]
"""How the Python images are checked: busybox wget (the slim image has no wget or curl)."""


def _health_url(service: str) -> tuple[int, str]:
    """(port, path) of the URL a Python service's healthcheck fetches with busybox wget."""
    test = _healthcheck_test(service)
    assert test is not None and test[:-1] == WGET, test
    found = re.fullmatch(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", test[-1])
    assert found is not None, test[-1]
    return int(found.group(1)), found.group(2)


@pytest.mark.parametrize("service", sorted(HTTP_PORT_FIELDS))
def test_http_healthchecks_hit_a_real_health_route(service: str) -> None:
    port, path = _health_url(service)
    port_field = HTTP_PORT_FIELDS[service]
    assert port == _settings_class(service).model_fields[port_field].default
    assert path in _routes(service)  # /health (previewer), /health/live (api)
    assert f"CAMREC_{port_field.upper()}" not in _env(service)
    host_field = f"CAMREC_{service.upper()}_HOST"
    assert _env(service)[host_field] == "0.0.0.0"  # reachable from nginx and Docker


def _routes(service: str) -> set[str]:
    if service == "api":
        from camrec_api.openapi import schema

        return set(schema()["paths"])
    from camrec_previewer.http_app import create_app
    from camrec_previewer.service import Previewer

    app = create_app(cast(Bus, None), cast(Previewer, None))
    return {str(getattr(route, "path", "")) for route in app.routes}


@pytest.mark.parametrize("service", sorted(MICRO_NAMES))
def test_micro_service_healthchecks_read_their_liveness_port(service: str) -> None:
    """Proxy and recorder have no HTTP port: the image turns on the liveness endpoint
    (camrec_runtime.liveness, GET /health on loopback) and the healthcheck reads it."""
    assert MICRO_NAMES[service] in SERVICES
    assert issubclass(_settings_class(service), LivenessSettings)
    port, path = _health_url(service)
    assert path == "/health"
    dockerfile, target = _dockerfile(service)
    env = [
        args for stage in dockerfile.chain(target) for i, args in stage.instructions if i == "ENV"
    ]
    assert f"CAMREC_HEALTH_PORT={port}" in env
    assert "CAMREC_HEALTH_PORT" not in _env(service)  # the image's value is the one checked


@pytest.mark.parametrize("service", sorted(PYTHON_SERVICES))
def test_python_images_have_the_busybox_their_healthcheck_runs(service: str) -> None:
    dockerfile, target = _dockerfile(service)
    runs = [
        args for stage in dockerfile.chain(target) for i, args in stage.instructions if i == "RUN"
    ]
    assert any(re.search(r"apt-get install .*\bbusybox\b", run) for run in runs)


@pytest.mark.parametrize("service", sorted([*PYTHON_SERVICES, "frontend"]))
def test_dockerfile_healthcheck_matches_compose(service: str) -> None:
    dockerfile, target = _dockerfile(service)
    args = dockerfile.last(target, "HEALTHCHECK")
    assert args is not None, f"{service}: the image has no HEALTHCHECK"
    compose_test = _healthcheck_test(service)
    assert compose_test is not None and compose_test[0] == "CMD"
    assert _exec_form(args) == compose_test[1:]


def test_recorder_scales() -> None:
    recorder = SERVICES_CFG["recorder"]
    for key in ("container_name", "ports", "hostname"):
        assert key not in recorder, f"recorder has {key}: --scale recorder=N breaks"
    # Each replica's worker id is its container's name (<project>-recorder-<n>, asked from
    # Docker's DNS): one per replica, the same after re-creation. Not fixed here.
    assert "CAMREC_WORKER_ID" not in _env("recorder")
    assert _env("recorder")["CAMREC_WORKER_ID_FROM"] == "container-name"
    assert _settings_class("recorder").model_fields["worker_id"].default_factory is not None
    grace = str(recorder["stop_grace_period"])
    assert re.fullmatch(r"\d+s", grace) and int(grace[:-1]) >= 30


def test_recordings_are_shared_by_recorder_and_api() -> None:
    assert _env("recorder")["CAMREC_RECORDINGS_DIR"] == "/recordings"
    assert _env("api")["CAMREC_RECORDINGS_DIR"] == "/recordings"
    assert "./recordings:/recordings" in SERVICES_CFG["recorder"]["volumes"]
    assert "./recordings:/recordings:ro" in SERVICES_CFG["api"]["volumes"]


# -- relays and the demo camera -----------------------------------------------------------
def test_proxy_reaches_mediamtx_as_configured() -> None:
    conf = yaml.safe_load((REPO / "deploy" / "mediamtx" / "mediamtx.yml").read_text())
    env = _env("proxy")
    assert env["CAMREC_RTSP_RELAY"] == "mediamtx"
    api_url, rtsp_url = env["CAMREC_MEDIAMTX_API_URL"], env["CAMREC_MEDIAMTX_RTSP_URL"]
    assert urlsplit(api_url).hostname == urlsplit(rtsp_url).hostname == "mediamtx"
    assert conf["api"] is True and _port(api_url) == _listen_port(conf["apiAddress"])
    assert conf["rtsp"] is True and _port(rtsp_url) == _listen_port(conf["rtspAddress"])
    assert conf["rtspTransports"] == ["tcp"]
    assert f"{BIND}:8554:{_port(rtsp_url)}" in SERVICES_CFG["mediamtx"]["ports"]
    mediamtx = SERVICES_CFG["mediamtx"]
    # the template as the credentials service completes it (test_credentials_… below)
    assert mediamtx["command"] == [str(CREDENTIALS.mediamtx_config)]
    assert _mounts("mediamtx")[str(CREDENTIALS.root)] == "credentials"
    test = " ".join(_healthcheck_test("mediamtx") or [])
    assert f"http://127.0.0.1:{_port(api_url)}/v3/" in test


def test_mediamtx_config_uses_real_keys() -> None:
    """Every key is a MediaMTX 1.20 global setting (not deprecated), values of its types."""
    if not MEDIAMTX_OPENAPI.is_file():
        pytest.skip(f"{MEDIAMTX_OPENAPI} not found (shared/ beside the repository)")
    openapi = yaml.safe_load(MEDIAMTX_OPENAPI.read_text())
    schemas = openapi["components"]["schemas"]
    conf = yaml.safe_load((REPO / "deploy" / "mediamtx" / "mediamtx.yml").read_text())
    props = schemas["GlobalConf"]["properties"]
    for key in conf:
        assert key in props, f"mediamtx.yml: {key} is not a global setting"
        assert not props[key].get("deprecated"), f"mediamtx.yml: {key} is deprecated"
    schema = {
        "$ref": "#/components/schemas/GlobalConf",
        "components": {"schemas": schemas},
    }
    jsonschema.Draft7Validator(schema).validate(conf)
    # The proxy's API calls come from another container: the api action can't be
    # restricted to loopback (MediaMTX's default), and the API port is never published.
    api_users = [u for u in conf["authInternalUsers"] if {"action": "api"} in u["permissions"]]
    assert api_users and all(u["ips"] == [] for u in api_users)
    # RTSP: only the read user reads, and no one publishes (camrec's paths pull).
    readers = [u for u in conf["authInternalUsers"] if u not in api_users]
    assert readers == [
        {
            "user": RELAY_READ_USER,
            "pass": READ_PASSWORD_MARK,
            "ips": [],
            "permissions": [{"action": "read", "path": ""}],
        }
    ]
    assert all(p["action"] == "api" for u in api_users for p in u["permissions"])
    assert all(not spec.endswith(":9997") for spec in SERVICES_CFG["mediamtx"].get("ports", []))
    for protocol in ("rtmp", "hls", "webrtc", "srt"):
        assert conf[protocol] is False, f"{protocol} should be off"


def test_proxy_reaches_go2rtc_as_configured() -> None:
    go2rtc = SERVICES_CFG["go2rtc"]
    argv = [str(a) for a in go2rtc["command"]]
    assert argv[0] == "go2rtc"
    files = [c for c in _option(argv, "-config") if not c.startswith("{")]
    inline = [json.loads(c) for c in _option(argv, "-config") if c.startswith("{")]
    # go2rtc saves streams added over its API into the first config file: on the volume.
    assert files == ["/config/go2rtc.yaml", str(CREDENTIALS.go2rtc_config)]  # + the read user
    assert _mounts("go2rtc")["/config"] == "go2rtc-config"
    assert _mounts("go2rtc")[str(CREDENTIALS.root)] == "credentials"
    conf: dict[str, Any] = {}
    for part in inline:
        conf.update(part)
    env = _env("proxy")
    api_url, rtsp_url = env["CAMREC_GO2RTC_API_URL"], env["CAMREC_GO2RTC_RTSP_URL"]
    assert urlsplit(api_url).hostname == urlsplit(rtsp_url).hostname == "go2rtc"
    assert _listen_port(conf["api"]["listen"]) == _port(api_url)
    assert _listen_port(conf["rtsp"]["listen"]) == _port(rtsp_url)
    for off in ("webrtc", "srtp", "rtmp"):  # WebRTC's default port is 8555: ours for RTSP
        assert conf[off] == {"listen": ""}
    assert f"{BIND}:8555:{_port(rtsp_url)}" in go2rtc["ports"]
    assert f"http://127.0.0.1:{_port(api_url)}/api" in (_healthcheck_test("go2rtc") or [])


def test_demo_urls_name_the_democam_and_its_streams() -> None:
    democam = SERVICES_CFG["democam"]
    argv = [str(a) for a in democam["command"]]
    [config_path] = _option(argv, "-config")
    assert _mounts("democam")[config_path] == "./deploy/democam/go2rtc.yaml"
    assert any(v.endswith(":ro") for v in democam["volumes"])
    assert "ports" not in democam
    conf = yaml.safe_load((REPO / "deploy" / "democam" / "go2rtc.yaml").read_text())
    streams = set(conf["streams"])

    env = _env("api")
    rtsp = urlsplit(env["CAMREC_DEMO_RTSP_URL"])
    assert (rtsp.scheme, rtsp.hostname) == ("rtsp", "democam")
    assert rtsp.port == _listen_port(conf["rtsp"]["listen"])
    assert rtsp.path.lstrip("/") in streams

    mjpeg = urlsplit(env["CAMREC_DEMO_MJPEG_URL"])
    assert (mjpeg.scheme, mjpeg.hostname, mjpeg.path) == (
        "http",
        "democam",
        "/api/stream.mjpeg",
    )
    assert mjpeg.port == _listen_port(conf["api"]["listen"])
    assert parse_qs(mjpeg.query)["src"][0] in streams
    api_port = _listen_port(conf["api"]["listen"])
    assert f"http://127.0.0.1:{api_port}/api" in (_healthcheck_test("democam") or [])


# -- the browser origin -------------------------------------------------------------------
def test_frontend_serves_the_template_the_local_stack_renders() -> None:
    dockerfile, target = _dockerfile("frontend")
    copies = {}
    for stage in dockerfile.chain(target):
        for instr, args in stage.instructions:
            if instr == "COPY":
                words = [w for w in shlex.split(args) if not w.startswith("--")]
                copies[words[-1]] = (words[0], args)
    dest = "/etc/nginx/templates/camrec.conf.template"
    assert REPO / copies[dest][0] == TEMPLATE
    env = _env("frontend")
    # The build's output is where the template's root points.
    assert copies[env["WEB_ROOT"]][0].endswith("/dist") and "--from=" in copies[env["WEB_ROOT"]][1]
    # The stock server is removed, so only ours listens.
    runs = [args for stage in dockerfile.chain(target) for instr, args in stage.instructions]
    assert any("rm -f /etc/nginx/conf.d/default.conf" in r for r in runs)


def test_template_placeholders_are_set_and_nginx_variables_are_not() -> None:
    text = TEMPLATE.read_text()
    env = _env("frontend")
    placeholders = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    assert placeholders == set(TEMPLATE_VARS)
    # NGINX_LOCAL_RESOLVERS comes from the image's entrypoint (15-local-resolvers.envsh), which
    # exports it when NGINX_ENTRYPOINT_LOCAL_RESOLVERS is set; every other placeholder is set here.
    assert placeholders - {"NGINX_LOCAL_RESOLVERS"} <= set(env)
    assert env["NGINX_ENTRYPOINT_LOCAL_RESOLVERS"]
    # envsubst replaces every *set* variable, in $NAME form too: none may be an nginx one.
    nginx_vars = set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text))
    assert not nginx_vars & set(env)
    assert env["LISTEN"] == "8000"
    api_port = _settings_class("api").model_fields["api_port"].default
    previewer_port = _settings_class("previewer").model_fields["previewer_port"].default
    assert env["API_UPSTREAM"] == f"api:{api_port}"
    assert env["PREVIEWER_UPSTREAM"] == f"previewer:{previewer_port}"
    # The frontend is healthy when the api answers through nginx, not when it serves a file.
    assert _healthcheck_test("frontend") == [
        "CMD", "wget", "-qO", "/dev/null", f"http://127.0.0.1:{env['LISTEN']}/health/live"
    ]  # fmt: skip
    assert "/health/live" in _routes("api")


def test_nats_box_is_an_ops_tool() -> None:
    box = SERVICES_CFG["nats-box"]
    assert box["profiles"] == ["ops"]
    # the ops user, as the NATS CLI's selected context (test_credentials_… checks its URL)
    assert box["environment"] == {"XDG_CONFIG_HOME": str(CREDENTIALS.natscli_home)}
    assert _mounts("nats-box") == {str(CREDENTIALS.root): "credentials"}
    assert box["volumes"] == [f"credentials:{CREDENTIALS.root}:ro"]


# -- credentials ---------------------------------------------------------------------------
def test_credentials_are_made_first_and_read_where_they_are_written(tmp_path: Path) -> None:
    """The one-shot credentials service writes the volume (run here as compose runs it, into
    a folder), and each user reads what is its own from the mount point it was written at."""
    job = SERVICES_CFG["credentials"]
    argv = [str(a) for a in job["command"]]
    assert argv[:3] == ["python", "-m", "camrec_runtime.credentials"]
    assert argv[3] == str(CREDENTIALS.root)
    template = _option(argv, "--mediamtx-template")[0]
    mounts = _mounts("credentials")
    assert mounts[str(CREDENTIALS.root)] == "credentials"
    assert mounts[template] == "./deploy/mediamtx/mediamtx.yml"
    assert job["restart"] == "no" and job["user"] == "0:0"
    assert ("build" in job) and job["build"]["target"] in PYTHON_SERVICES  # has the package
    for name in ("nats", "mediamtx", "go2rtc"):  # they start on its files
        assert SERVICES_CFG[name]["depends_on"]["credentials"] == {
            "condition": "service_completed_successfully"
        }
    for name, svc in SERVICES_CFG.items():
        if name != "credentials" and str(CREDENTIALS.root) in _mounts(name):
            assert f"credentials:{CREDENTIALS.root}:ro" in svc["volumes"], name
    # NATS: no connection without a user; each service as its own.
    nats_argv = [str(a) for a in SERVICES_CFG["nats"]["command"]]
    assert _option(nats_argv, "-c") == [str(CREDENTIALS.nats_auth_conf)]
    assert _mounts("nats")[str(CREDENTIALS.root)] == "credentials"
    assert sorted(PYTHON_SERVICES) == sorted(SERVICE_USERS)
    for name in PYTHON_SERVICES:
        env = _env(name)
        assert env["CAMREC_NATS_USER"] == name
        assert env["CAMREC_NATS_PASSWORD_FILE"] == str(CREDENTIALS.nats_password_file(name))
        relay = {k: v for k, v in env.items() if k.startswith("CAMREC_RELAY_READ_")}
        assert relay == (
            {
                "CAMREC_RELAY_READ_USER": RELAY_READ_USER,
                "CAMREC_RELAY_READ_PASSWORD_FILE": str(CREDENTIALS.relay_read_password_file),
            }
            if name in READERS
            else {}
        )
    # What the job writes, at those paths (its module run on a folder, as in the container).
    from camrec_runtime.credentials import main

    root = tmp_path / "credentials"
    assert main([str(root), "--mediamtx-template", str(REPO / template.lstrip("/"))]) != 0
    source = mounts[template].removeprefix("./")
    assert main([str(root), "--mediamtx-template", str(REPO / source)]) == 0
    written = StackCredentials(root)
    for user in (*SERVICE_USERS, OPS_USER):
        assert written.nats_password(user)
    conf = yaml.safe_load(written.mediamtx_config.read_text())
    reader = conf["authInternalUsers"][0]
    assert (reader["user"], reader["pass"]) == (RELAY_READ_USER, written.relay_reader.password)
    context = written.natscli_home / "nats" / "context"
    chosen = (written.natscli_home / "nats" / "context.txt").read_text()
    ops = json.loads((context / f"{chosen}.json").read_text())
    assert (ops["url"], ops["user"]) == (_env("proxy")["CAMREC_NATS_URL"], OPS_USER)
    again = {user: written.nats_password(user) for user in SERVICE_USERS}
    assert main([str(root), "--mediamtx-template", str(REPO / source)]) == 0
    assert {user: written.nats_password(user) for user in SERVICE_USERS} == again  # kept


# -- the build context --------------------------------------------------------------------
def test_dockerignore_keeps_what_the_dockerfiles_copy() -> None:
    patterns = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for must in (".git", ".venv", "**/node_modules", "frontend/dist", "recordings", ".tools"):
        assert must in patterns
    for name in ("python", "frontend"):
        dockerfile = parse_dockerfile(REPO / "deploy" / name / "Dockerfile")
        for stage in dockerfile.stages:
            for instr, args in stage.instructions:
                if instr != "COPY" or "--from=" in args:
                    continue
                for source in shlex.split(args)[:-1]:
                    source = source.rstrip("/")
                    assert (REPO / source).exists(), f"{name}: COPY {source}: not in the repo"
                    for pattern in patterns:
                        parts = source.split("/")
                        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
                        assert not any(fnmatch(p, pattern) for p in prefixes), (
                            f"{name}: .dockerignore {pattern!r} hides COPY {source}"
                        )
