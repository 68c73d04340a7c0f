"""The frontend's API types are generated from the api's schema and must be current
(regenerate with ./scripts/gen-client)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from camrec_api.frontend_constants import typescript
from camrec_api.openapi import schema
from camrec_devstack.paths import REPO

API_DIR = REPO / "frontend" / "src" / "api"
STALE = "stale: run ./scripts/gen-client and commit the result"


def test_openapi_json_matches_the_api() -> None:
    committed = json.loads((API_DIR / "openapi.json").read_text())
    assert committed == json.loads(json.dumps(schema())), (
        f"frontend/src/api/openapi.json is {STALE}"
    )


def test_schema_types_match_the_openapi_json(tmp_path: Path) -> None:
    npx = shutil.which("npx")
    assert npx, "node/npx is needed (./scripts/bootstrap installs it)"
    out = tmp_path / "schema.d.ts"
    subprocess.run(
        [npx, "--no-install", "openapi-typescript", str(API_DIR / "openapi.json"), "-o", str(out)],
        cwd=REPO / "frontend",
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert out.read_text() == (API_DIR / "schema.d.ts").read_text(), f"schema.d.ts is {STALE}"


def test_event_and_preview_models_are_in_the_schema() -> None:
    names = set(schema()["components"]["schemas"])
    assert {"Session", "Recording", "SessionEvent", "RecordingEvent", "PreviewStatus"} <= names


def test_the_pages_constants_match_the_contracts() -> None:
    committed = (API_DIR / "constants.ts").read_text()
    assert committed == typescript(), f"constants.ts is {STALE}"
