"""RSS and CPU time of the stack's processes, from /proc."""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..procs import live_group_members

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcStat:
    pid: int
    rss_kb: int
    cpu_s: float


def read_proc(pid: int) -> ProcStat | None:
    """VmRSS from /proc/<pid>/status, utime + stime from /proc/<pid>/stat (None: gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rss = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )
    # After the ")": state is field 3 of stat, so utime (14) and stime (15) are at 11 and 12.
    return ProcStat(pid, rss, (int(stat[11]) + int(stat[12])) * _TICK_S)


@dataclass
class Sample:
    at_s: float
    """Seconds since the recordings started."""
    procs: dict[str, ProcStat] = field(default_factory=dict)
    children: dict[str, list[ProcStat]] = field(default_factory=dict)
    """Per member: the other processes of its group (the recorder's FFmpeg, ...)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sample:
        return cls(
            data["at_s"],
            {k: ProcStat(**v) for k, v in data["procs"].items()},
            {k: [ProcStat(**c) for c in v] for k, v in data["children"].items()},
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "at_s": round(self.at_s, 1),
            "procs": {k: asdict(v) for k, v in self.procs.items()},
            "children": {k: [asdict(c) for c in v] for k, v in self.children.items()},
        }


def sample(members: dict[str, int], since: float) -> Sample:
    """One sample of every member (name → pid, each the leader of its process group)."""
    out = Sample(time.monotonic() - since)
    for name, pid in members.items():
        leader = read_proc(pid)
        if leader is not None:
            out.procs[name] = leader
        kids = [read_proc(p) for p in live_group_members(pid) if p != pid]
        found = [k for k in kids if k is not None]
        if found:
            out.children[name] = found
    return out
