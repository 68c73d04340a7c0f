"""The stack's own credentials: a random password per NATS user and for the relays' read user,
made once in a directory and kept (a restart, or a recorder on another host, keeps working),
and the files that hand them out.

Compose runs ``python -m camrec_runtime.credentials /run/camrec`` in a one-shot service
(``credentials``) before NATS and the relays start; the local stack calls
:func:`ensure_credentials` on its state directory. What is written (``<root>/...``):

- ``nats/<user>.password``: each NATS user's (:mod:`camrec_contracts.nats_users`); a service
  reads its own through ``CAMREC_NATS_PASSWORD_FILE``;
- ``nats/auth.conf``: nats-server's ``authorization`` block (``nats-server -c``);
- ``natscli/nats/context/camrec.json`` (selected in ``natscli/nats/context.txt``): the ``ops``
  user for the NATS CLI, with ``XDG_CONFIG_HOME=<root>/natscli``;
- ``relay/reader.password``: the relays' read user's (``CAMREC_RELAY_READ_PASSWORD_FILE``);
- ``relay/go2rtc.json``: go2rtc's ``rtsp.username``/``password`` (a second ``-config``);
- ``relay/mediamtx.yml``: the MediaMTX config given as a template, with the read user's
  password put in where the template says ``${CAMREC_RELAY_READ_PASSWORD}``.

Camera credentials are never here: they stay in the session's relay path.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from camrec_contracts.nats_users import OPS_USER, USERS, authorization_conf
from camrec_contracts.relay_access import RELAY_READ_USER, RelayReader

READ_PASSWORD_MARK = "${CAMREC_RELAY_READ_PASSWORD}"  # noqa: S105 - a mark, not a password
"""Where a MediaMTX config template takes the read user's password."""
CLI_CONTEXT = "camrec"
PASSWORD_BYTES = 24  # 32 URL-safe characters: no quoting needed in a URL or a config file


@dataclass(frozen=True)
class StackCredentials:
    root: Path

    def nats_password_file(self, user: str) -> Path:
        return self.root / "nats" / f"{user}.password"

    def nats_password(self, user: str) -> str:
        return self.nats_password_file(user).read_text().strip()

    @property
    def nats_auth_conf(self) -> Path:
        return self.root / "nats" / "auth.conf"

    @property
    def natscli_home(self) -> Path:
        """``XDG_CONFIG_HOME`` for the NATS CLI: its selected context is the ``ops`` user."""
        return self.root / "natscli"

    @property
    def relay_read_password_file(self) -> Path:
        return self.root / "relay" / "reader.password"

    @property
    def relay_reader(self) -> RelayReader:
        return RelayReader(RELAY_READ_USER, self.relay_read_password_file.read_text().strip())

    @property
    def go2rtc_config(self) -> Path:
        return self.root / "relay" / "go2rtc.json"

    @property
    def mediamtx_config(self) -> Path:
        return self.root / "relay" / "mediamtx.yml"

    def service_env(self, user: str) -> dict[str, str]:
        """A service's ``CAMREC_*`` settings for its NATS user and the relays' read user."""
        return {
            "CAMREC_NATS_USER": user,
            "CAMREC_NATS_PASSWORD_FILE": str(self.nats_password_file(user)),
            "CAMREC_RELAY_READ_USER": RELAY_READ_USER,
            "CAMREC_RELAY_READ_PASSWORD_FILE": str(self.relay_read_password_file),
        }


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write atomically (a reader never sees half a file). Mode 0644: the services read these
    under their own uid; only camrec's containers mount the directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o755)  # noqa: S103 - read by the services' uid (see above)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    tmp.replace(path)


def _password(path: Path) -> str:
    """The password kept in ``path``, made now if there is none."""
    if path.exists() and (kept := path.read_text().strip()):
        return kept
    made = secrets.token_urlsafe(PASSWORD_BYTES)
    _write(path, made + "\n")
    return made


def ensure_credentials(
    root: Path, *, cli_nats_url: str, mediamtx_template: Path | None = None
) -> StackCredentials:
    """Make what is missing under ``root`` and (re)write the files derived from it.
    ``cli_nats_url``: where the NATS CLI context points (compose: nats://nats:4222)."""
    creds = StackCredentials(root)
    nats = {user: _password(creds.nats_password_file(user)) for user in USERS}
    _write(creds.nats_auth_conf, authorization_conf(nats))
    context = {"description": "camrec's ops user", "url": cli_nats_url}
    context |= {"user": OPS_USER, "password": nats[OPS_USER]}
    cli = creds.natscli_home / "nats"
    _write(cli / "context" / f"{CLI_CONTEXT}.json", json.dumps(context, indent=2) + "\n")
    _write(cli / "context.txt", CLI_CONTEXT)
    (cli / "cli").mkdir(exist_ok=True)  # the CLI makes it; the directory may be read-only
    read = _password(creds.relay_read_password_file)
    rtsp = {"rtsp": {"username": RELAY_READ_USER, "password": read}}
    _write(creds.go2rtc_config, json.dumps(rtsp) + "\n")
    if mediamtx_template is not None:
        _write(creds.mediamtx_config, render_mediamtx_config(mediamtx_template.read_text(), read))
    return creds


def render_mediamtx_config(template: str, read_password: str) -> str:
    """The template with the read user's password in place of its one mark."""
    if template.count(READ_PASSWORD_MARK) != 1:
        raise ValueError(f"the MediaMTX template must say {READ_PASSWORD_MARK} exactly once")
    return template.replace(READ_PASSWORD_MARK, json.dumps(read_password))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m camrec_runtime.credentials",
        description="Make camrec's NATS and relay passwords (kept once made) and the files "
        "that hand them out.",
    )
    parser.add_argument("root", type=Path, help="directory (compose: the credentials volume)")
    parser.add_argument("--mediamtx-template", type=Path, help="MediaMTX config to complete")
    parser.add_argument(
        "--cli-nats-url", default="nats://nats:4222", help="NATS URL of the CLI's context"
    )
    args = parser.parse_args(argv)
    try:
        ensure_credentials(
            args.root, cli_nats_url=args.cli_nats_url, mediamtx_template=args.mediamtx_template
        )
    except (OSError, ValueError) as error:
        print(f"camrec credentials: {error}", file=sys.stderr)
        return 1
    print(f"camrec credentials: ready in {args.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
