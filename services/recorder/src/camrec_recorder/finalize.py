"""From the parts FFmpeg wrote to the final file: cut each part to its video and join them
(one part or several, when the source dropped and came back) into a regular MP4; if that
fails, remux the first part, or keep the fragmented file. Then read what the file holds and
judge its health."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from camrec_contracts.recordings import Reconnect, RecordingHealth, RecordingState

from .files import Files
from .health import assess
from .media import Cut, FileFacts, file_facts, join_parts, make_thumbnail, remux, video_extent
from .settings import RecorderSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drop:
    """What the recorder saw of one reconnect: when the source dropped, how long it was away."""

    dropped_at: datetime | None
    away_s: float | None


@dataclass
class Final:
    state: RecordingState
    reason: str
    facts: FileFacts | None = None
    fragmented: bool = False
    parts: int = 0
    thumbnail: bool = False
    size_bytes: int = 0
    reconnects: list[Reconnect] = field(default_factory=list)
    health: RecordingHealth | None = None


async def finalize(
    s: RecorderSettings,
    files: Files,
    recording_id: str,
    file_name: str,
    state: RecordingState,
    reason: str,
    *,
    drops: list[Drop],
    audio_expected: bool | None,
    wanted_s: float | None = None,
) -> Final:
    """Make the final file; never lose what was recorded. A timed recording (``wanted_s``)
    is cut to that much video: FFmpeg records a little longer, as its ``-t`` counts from
    the first packet, and the video only starts at the first keyframe."""
    final = files.final(file_name)
    parts = [p for p in files.parts(recording_id) if p.stat().st_size > 0]
    cuts = await _cuts(s, parts, wanted_s)
    spans = [c.length for c in cuts]
    out = Final(state, reason, parts=len(parts))
    if parts and await join_parts(s.ffmpeg, cuts, final):
        for part in parts:
            _remove(part)
    elif parts:
        try:
            spans = await _fall_back(s, parts, final, spans, out)
        except OSError as error:  # the folder can't take the final file: the parts stay
            out.state = "failed"
            out.reason += (
                f"; disk error: {error.strerror} writing {final}: the parts are kept in .partial/"
            )
            return out
    if not final.exists():
        out.state, out.reason = "failed", f"no file was written: {out.reason}"
        return out
    out.size_bytes = final.stat().st_size
    out.facts = await file_facts(s.ffprobe, final)
    if out.facts.video is None:
        out.state, out.reason = "failed", f"the file holds no video: {out.reason}"
        return out
    out.thumbnail = await make_thumbnail(
        s.ffmpeg, final, files.thumbnail(recording_id), out.facts.duration_s
    )
    offset = 0.0
    for n, span in enumerate(spans[:-1], start=1):  # part n begins where the ones before end
        offset += span or 0.0
        seen = drops[n - 1] if n - 1 < len(drops) else Drop(None, None)
        out.reconnects.append(
            Reconnect(
                at_s=round(offset, 3),
                dropped_at=seen.dropped_at,
                away_s=None if seen.away_s is None else round(seen.away_s, 2),
            )
        )
    if audio_expected is None:  # after a restart: the file's own audio track tells
        audio_expected = out.facts.packets.has_audio_track
    out.health = assess(
        out.facts.packets,
        out.reconnects,
        audio_expected=audio_expected,
        state=out.state,
        end_reason=out.reason,
    )
    return out


async def _fall_back(
    s: RecorderSettings, parts: list[Path], final: Path, spans: list[float | None], out: Final
) -> list[float | None]:
    """The parts could not be joined: the first part is the file (remuxed, else as it is),
    the others kept beside it. Returns the spans now in the file."""
    if len(parts) > 1:
        for n, part in enumerate(parts[1:], start=1):
            part.replace(final.with_name(f"{final.stem}.part{n}{final.suffix}"))
        out.reason += f" ({len(parts)} parts could not be joined; later parts kept beside it)"
        spans = spans[:1]
    if await remux(s.ffmpeg, parts[0], final):
        _remove(parts[0])
    else:
        parts[0].replace(final)  # keep the fragmented file: it plays
        out.fragmented = True
    return spans


def _remove(part: Path) -> None:
    """A part now in the final file; one that can't be deleted stays (logged), harmless."""
    try:
        part.unlink()
    except OSError as error:
        log.warning("%s is in the final file but stays: %s", part, error)


async def _cuts(s: RecorderSettings, parts: list[Path], wanted_s: float | None) -> list[Cut]:
    """Each part from its first video frame, as long as its video; a timed recording's
    parts together no longer than ``wanted_s``."""
    cuts, total = [], 0.0
    for part in parts:
        extent = await video_extent(s.ffprobe, part)
        if extent is None:
            cuts.append(Cut(part, None, None))
            continue
        start, length = extent
        if wanted_s is not None:
            length = max(min(length, wanted_s - total), 0.0)
        total += length
        cuts.append(Cut(part, start, length))
    return [c for c in cuts if c.length is None or c.length > 0]
