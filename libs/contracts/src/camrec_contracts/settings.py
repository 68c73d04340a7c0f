"""Settings base: pydantic-settings with the ``CAMREC_`` prefix, validated at start-up."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from .relay_access import RelayReader

ENV_PREFIX = "CAMREC_"

S = TypeVar("S", bound="CamrecSettings")


def _url_with(*schemes: str) -> Callable[[str], str]:
    """A settings URL's check: one of ``schemes``; a trailing ``/`` dropped."""
    names = " or ".join(schemes)

    def check(value: str) -> str:
        if not value.startswith(schemes):
            raise ValueError(f"must be an {names} URL")
        return value.rstrip("/")

    return check


HttpUrlSetting = Annotated[str, AfterValidator(_url_with("http://", "https://"))]
"""A URL setting of an HTTP service (a relay's API, a camera's MJPEG)."""
RtspUrlSetting = Annotated[str, AfterValidator(_url_with("rtsp://", "rtsps://"))]
"""A URL setting of an RTSP server (a relay's RTSP, a camera)."""


class CamrecSettings(BaseSettings):
    """Settings every service has. Subclasses add their own fields."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid")
    _nats_secret: str | None = PrivateAttr(default=None)

    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        description="NATS server URL(s), comma-separated.",
    )
    nats_connect_wait_s: float = Field(
        default=30.0,
        gt=0,
        description="How long a service keeps retrying its first NATS connection.",
    )
    nats_user: str = Field(
        default="",
        description="NATS user (compose: the service's own, with only the subjects it needs; "
        "empty: connect without one).",
    )
    nats_password: SecretStr | None = Field(
        default=None, description="The NATS user's password (or CAMREC_NATS_PASSWORD_FILE)."
    )
    nats_password_file: Path | None = Field(
        default=None,
        description="File holding the NATS user's password (compose: /run/camrec/nats/<user>"
        ".password, made at the first start).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )

    @model_validator(mode="after")
    def _nats_login(self) -> CamrecSettings:
        self._nats_secret = secret_setting(
            "nats_password", self.nats_password, self.nats_password_file
        )
        if self.nats_user and self._nats_secret is None:
            raise ValueError("CAMREC_NATS_USER is set: give CAMREC_NATS_PASSWORD_FILE too")
        if self._nats_secret is not None and not self.nats_user:
            raise ValueError("a NATS password is set: give CAMREC_NATS_USER too")
        return self

    @property
    def nats_login(self) -> tuple[str, str] | None:
        """(user, password) to connect with, or None."""
        return (self.nats_user, self._nats_secret) if self._nats_secret else None

    @field_validator("nats_url")
    @classmethod
    def _nats_scheme(cls, value: str) -> str:
        for server in value.split(","):
            scheme = server.strip().split("://", 1)[0] if "://" in server else ""
            if scheme not in {"nats", "tls", "ws", "wss"}:
                raise ValueError(
                    f"{server.strip()!r} is not a nats://, tls://, ws:// or wss:// URL"
                )
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def nats_servers(self) -> list[str]:
        return [s.strip() for s in self.nats_url.split(",") if s.strip()]


def secret_setting(name: str, value: SecretStr | None, file: Path | None) -> str | None:
    """A password given as ``CAMREC_<NAME>`` or ``CAMREC_<NAME>_FILE`` (read now, so a
    missing file stops the start with its name); an empty value counts as not given."""
    env = f"{ENV_PREFIX}{name.upper()}"
    given = value.get_secret_value() if value is not None else ""
    if given and file is not None:
        raise ValueError(f"give {env} or {env}_FILE, not both")
    if file is None:
        return given or None
    try:
        text = file.read_text().strip()
    except OSError as error:
        raise ValueError(f"{env}_FILE: cannot read {file}: {error.strerror}") from None
    if not text:
        raise ValueError(f"{env}_FILE: {file} is empty")
    return text


class RelayReaderSettings(CamrecSettings):
    """Settings of a service that reads the relays' RTSP (proxy, recorder, previewer)."""

    _relay_reader: RelayReader = PrivateAttr(default_factory=RelayReader)

    relay_read_user: str = Field(
        default="",
        description="The relays' RTSP read user (compose: camrec-reader; empty: read without).",
    )
    relay_read_password: SecretStr | None = Field(
        default=None, description="Its password (or CAMREC_RELAY_READ_PASSWORD_FILE)."
    )
    relay_read_password_file: Path | None = Field(
        default=None,
        description="File holding the read user's password (compose: "
        "/run/camrec/relay/reader.password, made at the first start).",
    )

    @model_validator(mode="after")
    def _relay_login(self) -> RelayReaderSettings:
        secret = secret_setting(
            "relay_read_password", self.relay_read_password, self.relay_read_password_file
        )
        if bool(self.relay_read_user) != bool(secret):
            raise ValueError(
                "give both CAMREC_RELAY_READ_USER and CAMREC_RELAY_READ_PASSWORD(_FILE), or none"
            )
        self._relay_reader = RelayReader(self.relay_read_user, secret or "")
        return self

    @property
    def relay_reader(self) -> RelayReader:
        return self._relay_reader


class SettingsError(SystemExit):
    """Start-up stops with this message when a setting is invalid."""


def describe_errors(cls: type[CamrecSettings], error: ValidationError) -> str:
    lines = [f"camrec: invalid settings for {cls.__name__}:"]
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"])
        value = item.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        if not field:  # a check across settings: its message names them
            lines.append(f"  {item['msg'].removeprefix('Value error, ')}")
            continue
        lines.append(f"  {ENV_PREFIX}{field.upper()}: {item['msg']}{shown}")
    return "\n".join(lines)


def load_settings(cls: type[S]) -> S:
    """Read ``cls`` from the environment, or stop with one clear line per bad variable."""
    try:
        return cls()
    except ValidationError as error:
        raise SettingsError(describe_errors(cls, error)) from None
