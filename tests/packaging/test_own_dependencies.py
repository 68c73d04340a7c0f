"""Every workspace package runs on the dependencies it declares, nothing borrowed.

The workspace venv holds every member's dependencies at once, so a service importing a
package only another member declares passes every other test and crashes in its own image
(seen: the previewer imported httpx and its container crash-looped on ModuleNotFoundError).
Here each package is installed alone, exactly as deploy/python/Dockerfile installs a service
(`uv sync --locked --no-dev --no-editable --package <name>` into a fresh environment chosen by
UV_PROJECT_ENVIRONMENT), and that environment's python imports every module of it.

Covered: each service (what the images run), camrec-contracts on its own (the library every
service installs: it must not lean on a service's dependencies), and camrec-devstack (the
local stack and camera simulators; `./scripts/dev` runs it from the workspace venv, but what
it imports should still be what it declares).

Cost, measured on the 2-core test machine at load 7: `uv sync` of all six takes 3.4 s with
uv's cache warm (files are hard-linked from the cache; the previewer, OpenCV and numpy, 0.7 s)
and 10.6 s with an empty cache (downloads); importing every module takes ~9 s (the previewer's
cv2 and the api's FastAPI most). The whole file: 19-23 s warm, 25 s with an empty cache.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from camrec_devstack.paths import REPO, binary

IMPORT_ALL = Path(__file__).with_name("import_all.py")
MEMBER_DIRS = ("libs", "services", "tools")


@dataclass(frozen=True)
class Member:
    name: str  # distribution name, as `uv sync --package` takes it
    sources: tuple[Path, ...]  # src/<top> of each import package its wheel ships

    @property
    def tops(self) -> list[str]:
        return [source.name for source in self.sources]

    def modules(self) -> set[str]:
        """Every module in the source trees, as dotted names."""
        found = set()
        for source in self.sources:
            for path in source.rglob("*.py"):
                parts = path.relative_to(source.parent).with_suffix("").parts
                found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        return found


def workspace_members() -> list[Member]:
    members = []
    for pyproject in sorted(p for d in MEMBER_DIRS for p in (REPO / d).glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject.read_text())
        packages = data["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
        sources = tuple(pyproject.parent / package for package in packages)
        members.append(Member(data["project"]["name"], sources))
    return members


MEMBERS = workspace_members()


def test_every_workspace_member_is_checked() -> None:
    names = {m.name for m in MEMBERS}
    assert {"camrec-contracts", "camrec-devstack"} <= names
    assert {f"camrec-{s}" for s in ("api", "proxy", "recorder", "previewer")} <= names


def install_alone(member: Member, environment: Path) -> float:
    """Install ``member`` as its image does; return the seconds uv took."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    env |= {"UV_PROJECT_ENVIRONMENT": str(environment), "UV_PYTHON_DOWNLOADS": "never"}
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    start = time.monotonic()
    sync = ["sync", "--locked", "--no-dev", "--no-editable", "--package", member.name]
    # Our own packages built afresh: uv keys a cached build of a local package on its
    # pyproject.toml, not its sources, so a module added or changed since was missing from
    # the wheel ("cannot import name 'kv_keys'", seen once the contracts changed).
    for own in MEMBERS:
        sync += ["--reinstall-package", own.name]
    result = subprocess.run(
        [binary("uv"), *sync, "--python", python],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    took = time.monotonic() - start
    assert result.returncode == 0, f"uv sync --package {member.name} failed:\n{result.stderr}"
    return took


@pytest.mark.parametrize("member", MEMBERS, ids=lambda m: m.name)
def test_imports_with_only_its_own_dependencies(member: Member) -> None:
    with tempfile.TemporaryDirectory(prefix=f"camrec-{member.tops[0]}-env-") as tmp:
        environment = Path(tmp) / "venv"
        took = install_alone(member, environment)
        # -I: nothing from PYTHONPATH, the user's site or the current folder.
        result = subprocess.run(
            [str(environment / "bin" / "python"), "-I", str(IMPORT_ALL), *member.tops],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    problems = [
        f"{f['module']}: imports {f['missing']!r} ({f['at']}), which {member.name} does not "
        "declare (nor anything it depends on)"
        if f["missing"]
        else f"{f['module']}: {f['error']} ({f['at']})"
        for f in report["failed"]
    ]
    assert not problems, f"{member.name} installed alone (uv sync {took:.1f} s):\n" + "\n".join(
        problems
    )
    # The wheel ships every module of the source tree (none left out of the package).
    assert set(report["imported"]) == member.modules()
