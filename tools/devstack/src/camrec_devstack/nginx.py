"""nginx for the local stack, from the same template compose uses."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from .paths import REPO, binary
from .procs import ManagedProcess

TEMPLATE = REPO / "deploy" / "nginx" / "camrec.conf.template"
TEMPLATE_VARS = (
    "LISTEN",
    "API_UPSTREAM",
    "PREVIEWER_UPSTREAM",
    "WEB_ROOT",
    "NGINX_LOCAL_RESOLVERS",
)
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
FALLBACK_RESOLVER = "127.0.0.1"


def local_resolvers(resolv_conf: Path = Path("/etc/resolv.conf")) -> str:
    """The ``nameserver`` addresses of ``resolv_conf``, as the nginx image's entrypoint
    (``15-local-resolvers.envsh``) gives them to the template: space-separated, IPv6 in
    brackets. Upstreams named by IP address never use them, but nginx needs one to start."""
    try:
        lines = resolv_conf.read_text().splitlines()
    except OSError:
        lines = []
    found = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "nameserver":
            found.append(f"[{words[1]}]" if ":" in words[1] else words[1])
    return " ".join(found) or FALLBACK_RESOLVER


def render_template(text: str, values: Mapping[str, str]) -> str:
    """envsubst as the nginx image runs it: replace ``${NAME}`` for the given names only."""
    missing = [name for name in TEMPLATE_VARS if name not in values]
    if missing:
        raise ValueError(f"nginx template needs {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def main_config(server_conf: Path, state: Path) -> str:
    """The nginx.conf around the rendered server block (the image has its own)."""
    temp = {k: state / f"{k}_temp" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o777)  # noqa: S103 - workers run as nobody when nginx starts as root
    temp_lines = "\n".join(f"    {k}_temp_path {p};" for k, p in temp.items())
    return f"""daemon off;
worker_processes 1;
pid {state / "nginx.pid"};
error_log stderr warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
{temp_lines}
    include {server_conf};
}}
"""


def start_nginx(
    values: Mapping[str, str], state: Path, port: int, log_file: Path | None = None
) -> ManagedProcess:
    """Render the template into ``state``, check it with ``nginx -t``, start nginx."""
    state.mkdir(parents=True, exist_ok=True)
    server_conf = state / "camrec.conf"
    server_conf.write_text(render_template(TEMPLATE.read_text(), values))
    main = state / "nginx.conf"
    main.write_text(main_config(server_conf, state))
    argv = [binary("nginx"), "-p", str(state), "-c", str(main), "-e", "stderr"]
    proc = ManagedProcess("nginx", argv, log_file=log_file).start()
    proc.wait_port(port)
    return proc
