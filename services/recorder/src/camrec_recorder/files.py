"""Where a recording's files live. Names come from the catalog, never from a client."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(session_name: str, started: datetime, recording_id: str) -> str:
    """``<session-name>_<YYYYmmdd-HHMMSS>_<short-id>.mp4``, safe characters only."""
    name = _UNSAFE.sub("-", session_name).strip("-._")[:40] or "camera"
    return f"{name}_{started:%Y%m%d-%H%M%S}_{recording_id[:8]}.mp4"


class Files:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.partial_dir = root / ".partial"
        self.thumb_dir = root / ".thumbnails"
        for d in (root, self.partial_dir, self.thumb_dir):
            d.mkdir(parents=True, exist_ok=True)

    def partial(self, recording_id: str) -> Path:
        """The fragmented MP4 FFmpeg writes while recording."""
        return self.partial_dir / f"{recording_id}.mp4"

    def part(self, recording_id: str, number: int) -> Path:
        """Part ``number`` of a recording whose source dropped and came back (0 = the first,
        which is :meth:`partial`)."""
        if number == 0:
            return self.partial(recording_id)
        return self.partial_dir / f"{recording_id}.part{number}.mp4"

    def parts(self, recording_id: str) -> list[Path]:
        """Every part on disk, in order."""
        found = {0: self.partial(recording_id)} if self.partial(recording_id).exists() else {}
        for path in self.partial_dir.glob(f"{recording_id}.part*.mp4"):
            number = path.name.removeprefix(f"{recording_id}.part").removesuffix(".mp4")
            if number.isdigit():
                found[int(number)] = path
        return [found[n] for n in sorted(found)]

    def final(self, name: str) -> Path:
        path = (self.root / name).resolve()
        if path.parent != self.root.resolve():
            raise ValueError(f"not a recording file name: {name!r}")
        return path

    def thumbnail(self, recording_id: str) -> Path:
        return self.thumb_dir / f"{recording_id}.jpg"

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.root).free
