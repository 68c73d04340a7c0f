"""The journey's table: one row per step, pass or fail, and the figure that shows it."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Row:
    step: str
    ok: bool
    figure: str
    seconds: float


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def run(self, step: str, check: Callable[[], str]) -> bool:
        """Run one step: what it returns is its figure; an exception fails it with its
        message (the traceback goes to the log, the table gets one line)."""
        print(f"-- {step}", flush=True)
        start = time.monotonic()
        try:
            figure, ok = check(), True
        except Exception as error:  # every failure is a row, the journey goes on
            traceback.print_exc()
            figure, ok = f"{type(error).__name__}: {error}", False
        row = Row(step, ok, " ".join(figure.split()), time.monotonic() - start)
        self.rows.append(row)
        print(f"   {'pass' if ok else 'FAIL'} ({row.seconds:.1f} s): {row.figure}", flush=True)
        return ok

    def skip(self, step: str, why: str) -> None:
        self.rows.append(Row(step, False, f"not run: {why}", 0.0))

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    def table(self) -> str:
        lines = ["| step | result | figure | s |", "| --- | --- | --- | --- |"]
        for row in self.rows:
            figure = row.figure.replace("|", "/")
            result = "pass" if row.ok else "**FAIL**"
            lines.append(f"| {row.step} | {result} | {figure} | {row.seconds:.1f} |")
        failed = sum(not row.ok for row in self.rows)
        lines.append("")
        lines.append(f"{len(self.rows) - failed} of {len(self.rows)} steps passed")
        return "\n".join(lines)
