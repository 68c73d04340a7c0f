"""From the parts FFmpeg wrote to the final file: cut each part to its video and join them
(one part or several, when the source dropped and came back) into a regular MP4; if that
fails, remux the first part, or keep the fragmented file. Then read what the file holds and
judge its health.

Each part's packets are read once (:mod:`.packets`): that read gives the cut and, placed
where the join puts them (:mod:`.timeline`), the final file's packet times for its health
report, checked against the final file's index and its last seconds instead of reading the
whole file again. The thumbnail is made while that check runs (two cores)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from camrec_contracts.recordings import Reconnect, RecordingHealth, RecordingState

from .files import Files
from .health import assess
from .join import Cut, first_kept, join_parts
from .media import FileFacts, facts_of, file_facts, make_thumbnail, read_index, remux
from .packets import PartPackets, read_packets, video_edges
from .settings import RecorderSettings
from .timeline import Placed, Span, confirm, place

log = logging.getLogger(__name__)

TAIL_S = 3.0
"""The final file's last seconds read to check the placed packet times at its end (at least
one GOP: the read starts on the keyframe before)."""
READS_AT_ONCE = 2
"""Parts read at the same time (the recorder's machines have two cores)."""


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
    """How long each step of the finish took (s): read, join, facts (with the thumbnail)."""


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
    joined, cuts, reads, firsts = await _cut_and_join(s, parts, final, wanted_s)
    out.steps_s["read and join"] = _lap(clock)
    spans = [c.length for c in cuts]
    placing: list[Span] | None = None
    if joined:
        placing = [
            Span(reads[c.path], c.inpoint, c.length, f)  # type: ignore[arg-type]
            for c, f in zip(cuts, firsts, strict=True)
        ]
        if any(p.packets is None or p.first is None for p in placing):
            placing = None
        for part in parts:
            _remove(part)
    elif parts:
        first = reads[parts[0]]
        try:
            spans = await _fall_back(s, parts, final, spans, out)
        except OSError as error:  # the folder can't take the final file: the parts stay
            out.state = "failed"
            out.reason += (
                f"; disk error: {error.strerror} writing {final}: the parts are kept in .partial/"
            )
            return out
        placing = [Span(first)] if first is not None and not out.fragmented else None
    if not final.exists():
        out.state, out.reason = "failed", f"no file was written: {out.reason}"
        return out
    out.size_bytes = final.stat().st_size
    clock = time.monotonic()
    placed = place(placing) if placing else None
    if placed is not None and placed.video:
        length = max(placed.video) - min(placed.video)
        facts, out.thumbnail = await asyncio.gather(
            _facts(s, final, placed),
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
    return out


async def _false() -> bool:
    return False


def _lap(since: float) -> float:
    return round(time.monotonic() - since, 3)


async def _cut_and_join(
    s: RecorderSettings, parts: list[Path], final: Path, wanted_s: float | None
) -> tuple[bool, list[Cut], dict[Path, PartPackets | None], list[dict[int, float] | None]]:
    """Read every packet of every part and, meanwhile, cut and join them at the video's
    edges read from each part's ends (two cores: ffprobe and FFmpeg side by side). The full
    read has the last word: if it puts a part's video elsewhere, the parts are joined again.
    Returns whether the join worked, the cuts, each part's packets and, per cut, the first
    packets the join kept of it."""
    gate = asyncio.Semaphore(READS_AT_ONCE)

    async def read(part: Path) -> PartPackets | None:
        async with gate:
            return await read_packets(s.ffprobe, part)

    reading = asyncio.gather(*(read(p) for p in parts))
    edges = await asyncio.gather(*(video_edges(s.ffprobe, p) for p in parts))
    early = _cuts(parts, edges, wanted_s) if all(e is not None for e in edges) else None
    joining = asyncio.ensure_future(_join(s, early, final)) if early else None
    reads = dict(zip(parts, await reading, strict=True))
    cuts = _cuts(parts, [r.video_extent() if r else None for r in reads.values()], wanted_s)
    if joining is not None:
        joined, firsts = await joining
        if early is not None and _same(early, cuts):
            return joined, cuts, reads, firsts
        log.warning("%s: the parts' video is not where their ends said; joining again", final)
    joined, firsts = await _join(s, cuts, final)
    return joined, cuts, reads, firsts


async def _join(
    s: RecorderSettings, cuts: list[Cut], final: Path
) -> tuple[bool, list[dict[int, float] | None]]:
    """Join the cuts; meanwhile read the first packets the join keeps of each."""
    if not cuts:
        return False, []
    joined, *firsts = await asyncio.gather(
        join_parts(s.ffmpeg, cuts, final), *(first_kept(s.ffprobe, c) for c in cuts)
    )
    return bool(joined), list(firsts)  # type: ignore[arg-type]


def _same(a: list[Cut], b: list[Cut]) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        return x == y or (x is not None and y is not None and abs(x - y) < 1e-6)

    return len(a) == len(b) and all(
        c.path == d.path and close(c.inpoint, d.inpoint) and close(c.length, d.length)
        for c, d in zip(a, b, strict=True)
    )


async def _facts(s: RecorderSettings, final: Path, placed: Placed | None) -> FileFacts:
    """The final file's facts: its index, and the placed packet times if it agrees with
    them; else every packet read from the file."""
    if placed is None:
        return await file_facts(s.ffprobe, final)
    info = await read_index(s.ffprobe, final, placed.last_frame_s - TAIL_S)
    if info is None:
        return await file_facts(s.ffprobe, final)
    packets = confirm(placed, info)
    if packets is None:
        log.warning("%s: the packets are not where the join should put them; reading it", final)
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


def _cuts(
    parts: list[Path], extents: list[tuple[float, float] | None], wanted_s: float | None
) -> list[Cut]:
    """Each part from its first video frame, as long as its video; a timed recording's
    parts together no longer than ``wanted_s``."""
    cuts, total = [], 0.0
    for part, extent in zip(parts, extents, strict=True):
        if extent is None:
            cuts.append(Cut(part, None, None))
            continue
        start, length = extent
        if wanted_s is not None:
            length = max(min(length, wanted_s - total), 0.0)
        total += length
        cuts.append(Cut(part, start, length))
    return [c for c in cuts if c.length is None or c.length > 0]
