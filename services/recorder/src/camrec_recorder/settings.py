"""Recorder settings (``CAMREC_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from camrec_contracts.settings import CamrecSettings


class RecorderSettings(CamrecSettings):
    recordings_dir: Path = Field(
        default=Path("recordings"), description="Where recordings are written."
    )
