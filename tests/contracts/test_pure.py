"""The contracts package is contracts only: every module of ``camrec_contracts`` imports with
nats-py unavailable, needs no third-party package but pydantic (and its settings package),
and none of it opens a connection or runs a tool (no asyncio, no subprocess, no nats in
its own imports). What runs is ``camrec_runtime``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import camrec_contracts

SOURCE = Path(camrec_contracts.__file__).parent
PYDANTIC = {"pydantic", "pydantic_core", "pydantic_settings", "annotated_types",
            "typing_extensions", "typing_inspection", "dotenv"}  # fmt: skip
"""pydantic and what it (and pydantic-settings, for the settings base) import."""
NOT_IN_CONTRACTS = {"nats", "asyncio", "subprocess", "camrec_runtime"}

IMPORT_EVERY_MODULE = """
import importlib, importlib.abc, json, pkgutil, sys

class NoNats(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] == "nats":
            raise ImportError(f"nats-py imported: {name}")
        return None

sys.meta_path.insert(0, NoNats())
import camrec_contracts
for info in pkgutil.walk_packages(camrec_contracts.__path__, "camrec_contracts."):
    importlib.import_module(info.name)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_every_module_imports_without_nats_and_with_pydantic_alone() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    third_party = {
        m
        for m in loaded - set(sys.stdlib_module_names) - {"camrec_contracts"}
        if not m.startswith("_")  # the interpreter's own (__main__, _sysconfigdata_...)
    }
    assert third_party <= PYDANTIC, f"camrec_contracts imports {sorted(third_party - PYDANTIC)}"


def test_no_contracts_module_imports_what_runs() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in NOT_IN_CONTRACTS]
    assert not found, found
