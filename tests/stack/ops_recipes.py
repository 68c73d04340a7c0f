"""docs/ops.md's ``console`` blocks as runnable recipes.

Each ``$ nats …`` line runs with the real CLI against a stack. Ids in the documented output
(``"id":"…"``) are mapped to the ids the real run produced, so a later documented command
that names a documented id runs with the real one; the democam's documented port is mapped
to the stack's. The real output must show the same ``camrec…`` names, the same relays
(``"relay":"…"``) and, for each JSON object documented, a JSON object with the same keys.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from camrec_devstack.paths import REPO, binary

OPS_DOC = REPO / "docs" / "ops.md"
DOC_DEMOCAM_PORT = 8564
IDS = re.compile(r'"id":\s*"([0-9a-f]{12})"')
RELAYS = re.compile(r'"relay":\s*"(\w+)"')


@dataclass
class Recipe:
    command: str
    documented: str


def recipes(doc: Path = OPS_DOC) -> list[Recipe]:
    """Every ``$ nats …`` line of the doc's console blocks, with its documented output."""
    found: list[Recipe] = []
    command: str | None = None
    output: list[str] = []
    in_block = False
    for line in doc.read_text().splitlines():
        if line.startswith("```"):
            if in_block and command is not None:
                found.append(Recipe(command, "\n".join(output)))
            in_block, command, output = line == "```console", None, []
        elif in_block and line.startswith("$ nats "):
            if command is not None:
                found.append(Recipe(command, "\n".join(output)))
            command, output = line[2:], []
        elif in_block:
            output.append(line)
    return found


def json_objects(text: str) -> list[dict[str, Any]]:
    objects = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                objects.append(value)
    return objects


@dataclass
class Runner:
    nats_url: str
    democam_port: int
    login: dict[str, str]
    """``NATS_USER``/``NATS_PASSWORD``: the ops user, as docs/ops.md says to set them."""
    ids: dict[str, str] = field(default_factory=dict)

    def command_line(self, recipe: Recipe) -> list[str]:
        command = recipe.command.replace(f":{DOC_DEMOCAM_PORT}/", f":{self.democam_port}/")
        for documented, real in self.ids.items():
            command = command.replace(documented, real)
        argv = shlex.split(command)
        return [binary("nats"), "--server", self.nats_url, *argv[1:]]

    def run(self, recipe: Recipe, timeout_s: float = 60) -> str:
        result = subprocess.run(
            self.command_line(recipe),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=os.environ | self.login,
        )
        assert result.returncode == 0, f"{recipe.command}: {result.stderr}"
        real = result.stdout + result.stderr
        documented_ids = IDS.findall(recipe.documented)
        real_ids = IDS.findall(real)
        for doc_id, real_id in zip(documented_ids, real_ids, strict=False):
            self.ids.setdefault(doc_id, real_id)
        return real


def shape_problems(recipe: Recipe, real: str, ids: dict[str, str]) -> list[str]:
    """What the documented output shows that the real output lacks (documented ids read as
    the real ones)."""
    problems = []
    documented = recipe.documented
    for doc_id, real_id in ids.items():
        documented = documented.replace(doc_id, real_id)
    for name in set(re.findall(r"camrec[\w.-]*[\w]|CAMREC_EVENTS", documented)):
        if name not in real:
            problems.append(f"{name!r} documented but not in the output")
    for relay in set(RELAYS.findall(documented)) - set(RELAYS.findall(real)):
        problems.append(f"relay {relay!r} documented but not in the output")
    real_shapes = [set(obj) for obj in json_objects(real)]
    for obj in json_objects(recipe.documented):
        if set(obj) not in real_shapes:
            problems.append(f"no JSON object with keys {sorted(obj)} in the output")
    return problems
