"""Run by tests/packaging in a package's own environment (not the workspace venv):
import every module of the given top-level packages and print one JSON object,
``{"imported": [...], "failed": [{"module", "missing", "at", "error"}]}`` (``missing``:
the module a ModuleNotFoundError names; ``at``: file:line of the import that failed).

Standard library only: this runs where only the package and its declared dependencies are
installed.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import traceback


def import_all(top: str) -> tuple[list[str], list[dict[str, str | None]]]:
    imported: list[str] = []
    failed: list[dict[str, str | None]] = []

    def record(name: str, error: BaseException) -> None:
        missing = error.name if isinstance(error, ModuleNotFoundError) else None
        # The import statement that failed: the last frame outside importlib's machinery.
        frames = [
            f for f in traceback.extract_tb(error.__traceback__) if "<frozen" not in f.filename
        ]
        at = f"{frames[-1].filename.rpartition('site-packages/')[2]}:{frames[-1].lineno}"
        failed.append(
            {"module": name, "missing": missing, "at": at if frames else "?", "error": repr(error)}
        )

    try:
        package = importlib.import_module(top)
    except Exception as error:
        record(top, error)
        return imported, failed
    imported.append(top)
    # walk_packages yields each module before importing it (to list a subpackage's
    # contents): the loop body imports it first and records a failure, so onerror has
    # nothing left to do (a failed subpackage just isn't walked into).
    for info in pkgutil.walk_packages(package.__path__, f"{top}.", onerror=lambda _: None):
        try:
            importlib.import_module(info.name)
        except Exception as error:
            record(info.name, error)
        else:
            imported.append(info.name)
    return imported, failed


def main() -> None:
    imported: list[str] = []
    failed: list[dict[str, str | None]] = []
    for top in sys.argv[1:]:
        ok, bad = import_all(top)
        imported += ok
        failed += bad
    print(json.dumps({"imported": imported, "failed": failed}))


if __name__ == "__main__":
    main()
