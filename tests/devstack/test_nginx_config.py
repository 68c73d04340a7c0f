"""The one nginx template: rendered like the nginx image's envsubst, accepted by real nginx."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from camrec_devstack.nginx import (
    TEMPLATE,
    TEMPLATE_VARS,
    local_resolvers,
    main_config,
    render_template,
)
from camrec_devstack.paths import binary

VALUES = {
    "LISTEN": "127.0.0.1:18000",
    "API_UPSTREAM": "127.0.0.1:18001",
    "PREVIEWER_UPSTREAM": "127.0.0.1:18002",
    "WEB_ROOT": "/srv/www",
    "NGINX_LOCAL_RESOLVERS": "127.0.0.11",
}


def test_template_placeholders_are_exactly_the_documented_ones() -> None:
    found = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", TEMPLATE.read_text()))
    assert found == set(TEMPLATE_VARS)


def test_render_replaces_ours_and_keeps_nginx_variables() -> None:
    text = render_template(TEMPLATE.read_text(), VALUES)
    assert "${" not in text
    assert "listen 127.0.0.1:18000;" in text
    assert "set $camrec_api http://127.0.0.1:18001;" in text
    assert "resolver 127.0.0.11 valid=5s;" in text
    assert "$http_upgrade" in text and "$http_host" in text


def test_missing_value_is_an_error() -> None:
    with pytest.raises(ValueError, match="WEB_ROOT"):
        render_template(TEMPLATE.read_text(), {k: v for k, v in VALUES.items() if k != "WEB_ROOT"})


def test_real_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    server = tmp_path / "camrec.conf"
    server.write_text(render_template(TEMPLATE.read_text(), VALUES))
    main = tmp_path / "nginx.conf"
    main.write_text(main_config(server, tmp_path))
    result = subprocess.run(
        [binary("nginx"), "-t", "-p", str(tmp_path), "-c", str(main), "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_local_resolvers_read_resolv_conf_as_the_nginx_image_does(tmp_path: Path) -> None:
    """Same output as the image's 15-local-resolvers.envsh: nameservers, IPv6 in brackets."""
    conf = tmp_path / "resolv.conf"
    conf.write_text("# generated\nsearch lan\nnameserver 10.0.0.2\nnameserver fd00::53\n")
    assert local_resolvers(conf) == "10.0.0.2 [fd00::53]"
    conf.write_text("search lan\n")
    assert local_resolvers(conf) == "127.0.0.1"  # none: nginx still needs one to start
    assert local_resolvers(tmp_path / "missing") == "127.0.0.1"
