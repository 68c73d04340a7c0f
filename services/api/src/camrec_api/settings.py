"""Api settings (``CAMREC_*``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from camrec_contracts.settings import CamrecSettings, HttpUrlSetting, RtspUrlSetting


class ApiSettings(CamrecSettings):
    api_host: str = Field(default="127.0.0.1", description="Api HTTP bind address.")
    api_port: int = Field(default=8001, ge=1, le=65535, description="Api HTTP port.")
    recordings_dir: Path = Field(
        default=Path("recordings"), description="The recorder's folder (read-only for the api)."
    )
    demo_rtsp_url: RtspUrlSetting = Field(
        default="rtsp://127.0.0.1:8564/demo",
        description="The bundled demo camera's RTSP URL (pre-filled in the page).",
    )
    demo_mjpeg_url: HttpUrlSetting = Field(
        default="http://127.0.0.1:1985/api/stream.mjpeg?src=demo_mjpeg",
        description="The bundled demo camera's MJPEG-over-HTTP URL.",
    )
    public_bind: str = Field(
        default="127.0.0.1",
        description="The address the page is published on (compose: CAMREC_BIND); decides "
        "whether a login is needed when CAMREC_AUTH is not set.",
    )
    auth: Literal["on", "off"] | None = Field(
        default=None,
        description="Login for the page and the api: on, off, or unset: on unless the page "
        "is published on a loopback address only.",
    )
    admin_password: SecretStr | None = Field(
        default=None,
        description="The admin password, set at every start (else one is generated at the "
        "first start and printed once in the api's log). At least 8 characters.",
        min_length=8,
    )
    session_days: float = Field(
        default=7.0, gt=0, le=365, description="How long a login lasts, in days."
    )
    login_failures_per_minute: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed logins a client address may make in a minute before it must wait.",
    )

    @field_validator("auth", "admin_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """compose passes ``${CAMREC_AUTH:-}``: an empty variable means not set."""
        return None if value == "" else value

    @property
    def auth_required(self) -> bool:
        if self.auth is not None:
            return self.auth == "on"
        return not is_loopback(self.public_bind)


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1 or localhost; anything else (0.0.0.0, a LAN address, a name) is not."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False
