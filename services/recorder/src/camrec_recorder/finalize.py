"""From the parts FFmpeg wrote to the final file: cut each part to its video and join them
(one part or several, when the source dropped and came back) into a regular MP4; if that
fails, remux the first part, or keep the fragmented file. Then read what the file holds and
judge its health.

No file is read through: each part's cut comes from its first and last seconds (the
fragments' index finds them), the join reports every packet it writes (:mod:`.report`),
and that report, checked against the final file's index and last seconds
(:mod:`.timeline`), is what the health report judges. The thumbnail is made while that check
runs (two cores)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from camrec_contracts.recordings import Reconnect, RecordingHealth, RecordingState

from .extent import Extent, video_extent
from .files import Files
from .health import PacketTimes, assess
from .join import Cut, join_parts
from .media import FileFacts, facts_of, file_facts, make_thumbnail, read_index, remux
from .report import Written
from .settings import RecorderSettings
from .timeline import confirm

log = logging.getLogger(__name__)

TAIL_S = 3.0
"""The final file's last seconds read to check the reported packet times at its end (at least
one GOP: the read starts on the keyframe before)."""


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
    steps_s: dict[str, float] = field(default_factory=dict)
    """How long each step of the finish took (s): cut, join, facts and thumbnail, health."""


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
    out = Final(state, reason, parts=len(parts))
    clock = time.monotonic()
    extents = await asyncio.gather(*(video_extent(s.ffprobe, p) for p in parts))
    cuts = _cuts(parts, list(extents), wanted_s)
    spans = [c.length for c in cuts]
    out.steps_s["cut"] = _lap(clock)
    clock = time.monotonic()
    joined, written = await join_parts(s.ffmpeg, cuts, final) if cuts else (False, None)
    if joined:
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
    out.steps_s["join"] = _lap(clock)
    if not final.exists():
        out.state, out.reason = "failed", f"no file was written: {out.reason}"
        return out
    out.size_bytes = final.stat().st_size
    clock = time.monotonic()
    if written is not None and written.video:
        length = max(written.video) - min(written.video)
        facts, out.thumbnail = await asyncio.gather(
            _facts(s, final, written),
            make_thumbnail(s.ffmpeg, final, files.thumbnail(recording_id), length),
        )
    else:
        facts = await _facts(s, final, None)
        out.thumbnail = await make_thumbnail(
            s.ffmpeg, final, files.thumbnail(recording_id), facts.duration_s
        )
    out.facts = facts
    out.steps_s["facts and thumbnail"] = _lap(clock)
    if facts.video is None:
        out.state, out.reason = "failed", f"the file holds no video: {out.reason}"
        return out
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
        audio_expected = facts.packets.has_audio_track
    clock = time.monotonic()
    out.health = assess(
        facts.packets,
        out.reconnects,
        audio_expected=audio_expected,
        state=out.state,
        end_reason=out.reason,
    )
    out.steps_s["health"] = _lap(clock)
    # The packet times (2 h: ~45 MB of floats) are judged; keep none of them. A reference
    # to them outlived the finish (asyncio.gather's result list), and the recorder's RSS
    # stayed 100 MB up after a 2 h finish (measured: 42 -> 146 MB).
    facts.packets = PacketTimes(video=(), has_audio_track=facts.packets.has_audio_track)
    log.info("%s finished: %s s", final.name, out.steps_s)
    return out


def _lap(since: float) -> float:
    return round(time.monotonic() - since, 3)


async def _facts(s: RecorderSettings, final: Path, written: Written | None) -> FileFacts:
    """The final file's facts: its index, and the packet times the join reported if the
    file agrees with them; else every packet read from the file."""
    if written is None or not written.video:
        return await file_facts(s.ffprobe, final)
    info = await read_index(s.ffprobe, final, max(written.video) - TAIL_S)
    if info is None:
        return await file_facts(s.ffprobe, final)
    packets = confirm(written, info)
    if packets is None:
        log.warning("%s: the file is not what the join reported; reading it", final)
        return await file_facts(s.ffprobe, final, info)
    return facts_of(info, packets)


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


def _cuts(parts: list[Path], extents: list[Extent | None], wanted_s: float | None) -> list[Cut]:
    """Each part from its first video frame, as long as its video; a timed recording's
    parts together no longer than ``wanted_s``."""
    cuts, total = [], 0.0
    for part, extent in zip(parts, extents, strict=True):
        if extent is None:
            cuts.append(Cut(part, None, None))
            continue
        length = extent.length
        if wanted_s is not None:
            length = max(min(length, wanted_s - total), 0.0)
        total += length
        cuts.append(Cut(part, extent.start, length, extent.rate))
    return [c for c in cuts if c.length is None or c.length > 0]
