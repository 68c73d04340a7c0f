""" "Will it fit?": before a recording starts, its size at the session's bitrate against the
free space above the reserve; refuse (507) what can't fit, warn when it is tight."""

from __future__ import annotations

import logging
from typing import Literal

from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.events import utcnow
from camrec_contracts.recordings import ACTIVE_STATES, FitEstimate
from camrec_contracts.sessions import Session
from camrec_runtime.measure import measure

from .catalog import Catalog
from .ffmpeg_args import needs_video_encode
from .files import Files
from .settings import RecorderSettings

log = logging.getLogger(__name__)
BitrateFrom = Literal["recordings", "session", "probe", "encoder"]

MARGIN = 1.1
"""Estimates are this much above bitrate * duration (bitrate varies with the scene)."""
WARN_SHARE = 0.8
"""A timed recording whose estimate takes more than this share of the space is tight."""
UNTIL_STOP_WARN_S = 24 * 3600
"""An until-stop recording warns when less than this fits."""
MIN_HISTORY_S = 5.0
"""Earlier recordings shorter than this say little about the bitrate."""
PROBE_S = 2.0
PROBE_UNLESS_FITS_X = 4.0
"""With no measured bitrate yet, a timed recording that fits even at this many times the
picture's typical rate starts without probing the relay first."""
ENCODED_BITS_PER_PIXEL = 0.1
"""A typical libx264 CRF 23 rate for camera pictures, per pixel per frame."""


def size_label(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def duration_label(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    return f"{h} h {m} min" if m else f"{h} h"


class FitCheck:
    def __init__(self, settings: RecorderSettings, catalog: Catalog, files: Files) -> None:
        self.settings = settings
        self.catalog = catalog
        self.files = files

    def picture_kbps(self, session: Session) -> float:
        """A typical H.264 rate for the session's picture size and frame rate, plus audio."""
        v = session.video
        fps = (session.measured.fps if session.measured else None) or v.fps or 25.0
        audio = self.settings.audio_bitrate_kbps if session.audio else 0
        return v.width * v.height * fps * ENCODED_BITS_PER_PIXEL / 1000 + audio

    async def bitrate(
        self, session: Session, room: int, duration_s: float | None
    ) -> tuple[float, BitrateFrom]:
        """kbit/s of what a recording of ``session`` writes, and where that figure is from.
        The relay is probed (2 s, added to the start) only when it matters: a timed recording
        that would not fit with room to spare at the picture's typical rate."""
        for rec in await self.catalog.all():  # newest first
            if (
                rec.session_id == session.id
                and rec.state not in ACTIVE_STATES
                and (rec.duration_s or 0) >= MIN_HISTORY_S
                and rec.size_bytes > 0
            ):
                return rec.size_bytes * 8 / 1000 / (rec.duration_s or 1), "recordings"
        typical = self.picture_kbps(session)
        if needs_video_encode(session):  # the relay's MJPEG/H.265 rate says nothing of H.264's
            return typical, "encoder"
        if session.measured is not None:
            return session.measured.bitrate_kbps, "session"
        clearly_fits = typical * 1000 / 8 * MARGIN * PROBE_UNLESS_FITS_X * (duration_s or 0) < room
        if duration_s is None or clearly_fits:  # (until stop is never refused: it stops itself)
            return typical, "encoder"
        url = self.settings.relay_reader.url(session.relay_url)
        probed = await measure(self.settings.ffprobe, url, utcnow(), PROBE_S)
        if probed is not None:
            return probed.bitrate_kbps, "probe"
        log.info("session %s: bitrate not measurable; estimating from the picture", session.id)
        return typical, "encoder"

    async def check(self, session: Session, duration_s: float | None) -> FitEstimate:
        """The estimate for a start, or CamrecError(NO_SPACE) with the numbers."""
        free = self.files.free_bytes()
        reserve = self.settings.min_free_mb * 1_000_000
        room = free - reserve
        if room <= 0:
            raise CamrecError(
                ErrorCode.NO_SPACE,
                f"disk full: {free // 1_000_000} MB free in the recordings folder "
                f"(need at least {self.settings.min_free_mb} MB)",
            )
        kbps, source = await self.bitrate(session, room, duration_s)
        rate = max(kbps, 1.0) * 1000 / 8 * MARGIN  # bytes per second, with the margin
        fits_s = room / rate
        estimate = None if duration_s is None else int(rate * duration_s)
        warning = None
        if duration_s is not None and estimate is not None:
            wanted = duration_label(duration_s)
            if estimate > room:
                raise CamrecError(
                    ErrorCode.NO_SPACE,
                    f"{wanted} needs about {size_label(estimate)}; {size_label(room)} free "
                    f"above the {size_label(reserve)} reserve (room for about "
                    f"{duration_label(fits_s)} at {kbps / 1000:.1f} Mbit/s)",
                )
            if estimate > WARN_SHARE * room:
                warning = (
                    f"tight: {wanted} needs about {size_label(estimate)} of the "
                    f"{size_label(room)} free above the reserve"
                )
        elif fits_s < UNTIL_STOP_WARN_S:
            warning = (
                f"until stop: room for about {duration_label(fits_s)} "
                f"({size_label(room)} free above the reserve at {kbps / 1000:.1f} Mbit/s); "
                "it stops by itself when the disk reaches the reserve"
            )
        return FitEstimate(
            bitrate_kbps=round(kbps, 1),
            bitrate_from=source,
            estimated_bytes=estimate,
            free_bytes=free,
            reserve_bytes=reserve,
            fits_s=round(fits_s, 1),
            warning=warning,
        )
