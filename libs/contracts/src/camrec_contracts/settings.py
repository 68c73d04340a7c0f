"""Settings base: pydantic-settings with the ``CAMREC_`` prefix, validated at start-up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    nats_url: str = Field(
        default="nats://127.0.0.1:4222",
        description="NATS server URL(s), comma-separated.",
    )
    nats_connect_wait_s: float = Field(
        default=30.0,
        gt=0,
        description="How long a service keeps retrying its first NATS connection.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level."
    )

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


class SettingsError(SystemExit):
    """Start-up stops with this message when a setting is invalid."""


def describe_errors(cls: type[CamrecSettings], error: ValidationError) -> str:
    lines = [f"camrec: invalid settings for {cls.__name__}:"]
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"])
        value = item.get("input")
        shown = "" if isinstance(value, dict) else f" (got {value!r})"
        lines.append(f"  {ENV_PREFIX}{field.upper()}: {item['msg']}{shown}")
    return "\n".join(lines)


def load_settings(cls: type[S]) -> S:
    """Read ``cls`` from the environment, or stop with one clear line per bad variable."""
    try:
        return cls()
    except ValidationError as error:
        raise SettingsError(describe_errors(cls, error)) from None
