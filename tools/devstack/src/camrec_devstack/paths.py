"""Where things are: the repository, the project-local tool dir and its binaries."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
TOOLS_BIN = Path(os.environ.get("CAMREC_TOOLS_BIN", REPO / ".tools" / "bin"))


def binary(name: str) -> str:
    """Path of a tool: the project-local bin dir first (Go tools from bootstrap), then PATH."""
    local = TOOLS_BIN / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found in {TOOLS_BIN} or PATH: run ./scripts/bootstrap")
    return found
