"""The catalog's write rules on a real KV bucket: states only move forward, an ended
recording keeps its state, another worker's recording changes only under a precondition,
and a write made on a stale read is re-applied to the current value, not lost."""

from __future__ import annotations

import asyncio

import pytest

from camrec_contracts.errors import CamrecError
from camrec_contracts.events import utcnow
from camrec_contracts.jetstream import RECORDINGS_BUCKET
from camrec_contracts.recordings import Recording
from camrec_recorder.catalog import Catalog, StaleRecording
from camrec_runtime.bus import Bus
from camrec_runtime.kvstore import open_bucket


def recording(rid: str = "0123456789ab") -> Recording:
    return Recording(
        id=rid,
        session_id="00000000000a",
        session_name="door",
        source="rtsp://cam/live",
        state="starting",
        requested_duration_s=None,
        started_at=utcnow(),
        file_name=f"{rid}.mp4",
        transcoded=False,
    )


async def test_states_only_move_forward(bus: Bus) -> None:
    kv = await open_bucket(bus.js, RECORDINGS_BUCKET)
    mine = Catalog(kv, "w1")
    rec = await mine.create(recording())
    with pytest.raises(CamrecError, match="exists already"):  # a create never overwrites
        await mine.create(rec)
    await mine.update(rec.id, state="recording", owner="w1")
    await mine.update(rec.id, state="reconnecting")
    await mine.update(rec.id, state="recording", reconnects=1)
    await mine.update(rec.id, state="finalizing")
    for back in ("recording", "reconnecting", "starting"):
        with pytest.raises(StaleRecording, match="can't go back"):
            await mine.update(rec.id, state=back)
    await mine.update(rec.id, state="interrupted", end_reason="the source was gone")
    # an ended recording keeps its state, whoever writes late
    for late in ("recording", "reconnecting", "finalizing", "stopped"):
        with pytest.raises(StaleRecording, match="has ended"):
            await mine.update(rec.id, state=late)
    # its owner may still add facts, and reopen it to finish a file left to it
    await mine.update(rec.id, size_bytes=10)
    reopened = await mine.update(rec.id, state="finalizing", reopen=True)
    assert reopened.state == "finalizing" and reopened.size_bytes == 10


async def test_another_workers_recording_changes_only_under_a_precondition(bus: Bus) -> None:
    kv = await open_bucket(bus.js, RECORDINGS_BUCKET)
    owner, other = Catalog(kv, "w1"), Catalog(kv, "w2")
    rec = await owner.create(recording())
    taken = await other.try_update(
        rec.id, when=lambda r: r.owner is None, state="recording", owner="w1"
    )
    assert taken is not None
    with pytest.raises(StaleRecording, match="belongs to worker w1"):
        await other.update(rec.id, state="finalizing")
    # a claim judged on a value that has changed since does not happen
    judged = await other.require(rec.id)
    await owner.update(rec.id, state="reconnecting")
    assert await other.try_update(rec.id, when=lambda r: r == judged, owner="w2") is None
    assert (await owner.require(rec.id)).owner == "w1"


async def test_a_write_on_a_stale_read_is_reapplied(bus: Bus) -> None:
    kv = await open_bucket(bus.js, RECORDINGS_BUCKET)
    one, two = Catalog(kv, "w1"), Catalog(kv, "w1")
    rec = await one.create(recording())
    await one.update(rec.id, state="recording", owner="w1")
    # two writers, each changing a different field from the same revision: both land
    await asyncio.gather(one.update(rec.id, size_bytes=5), two.update(rec.id, reconnects=2))
    final = await one.require(rec.id)
    assert (final.size_bytes, final.reconnects) == (5, 2), final
