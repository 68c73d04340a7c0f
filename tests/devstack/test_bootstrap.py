"""./scripts/bootstrap is idempotent: run again (scripts/test ran it already), it installs
nothing and every step reports ok."""

from __future__ import annotations

import subprocess

from camrec_devstack.paths import REPO


def test_second_bootstrap_installs_nothing() -> None:
    result = subprocess.run(
        [str(REPO / "scripts" / "bootstrap")], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("[bootstrap]")]
    assert lines[0] == "[bootstrap] apt: ok"
    assert lines[-1] == "[bootstrap] done"
    for installing in ("apt: installing", "go: ", "] uv ", "npm ci", "frontend build"):
        assert not any(installing in line for line in lines), lines
