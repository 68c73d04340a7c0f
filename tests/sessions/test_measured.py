"""A session's real frame rate and bitrate (``Session.measured``): measured from the relay
in the background once the session is ready, re-measured every CAMREC_MEASURE_INTERVAL_S,
never outliving a closed session. Real NATS, relays, ffprobe and simulated cameras."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.events import Event
from camrec_contracts.jetstream import SESSIONS_BUCKET
from camrec_contracts.sessions import SESSION_EVENTS, SessionEvent, SessionRecord
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_devstack.paths import binary
from camrec_proxy.measure import Measurer
from camrec_proxy.settings import ProxySettings
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from camrec_runtime.kvstore import open_bucket
from tests.fixtures.nats import kv_keys
from tests.fixtures.proxy import Proxies
from tests.media import ffprobe_json
from tests.polling import poll

GHOST = "0123456789ab"
MEASURED_WITHIN_S = 30  # 4 s of packets, plus connecting, on a loaded 2-core machine


class Events:
    """Session events as they arrive."""

    def __init__(self) -> None:
        self.seen: list[SessionEvent] = []

    async def on_event(self, _subject: str, event: Event) -> None:
        if isinstance(event, SessionEvent):
            self.seen.append(event)

    def measured(self, sid: str) -> list[SessionEvent]:
        return [e for e in self.seen if e.session_id == sid and e.event == "measured"]

    async def wait_measured(self, sid: str, count: int = 1) -> SessionEvent:
        async def arrived() -> bool:
            return len(self.measured(sid)) >= count

        await poll(arrived, MEASURED_WITHIN_S, f"measured event #{count} of session {sid}")
        return self.measured(sid)[count - 1]


@pytest.fixture
async def events(bus: Bus) -> AsyncIterator[Events]:
    collected = Events()
    sub = await subscribe_events(bus.nc, collected.on_event, SESSION_EVENTS.wildcard)
    try:
        yield collected
    finally:
        await sub.unsubscribe()


async def open_session(api: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await api.post("/api/sessions", json={"url": url})
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    assert session["measured"] is None  # the reply does not wait for the measurement
    return session


def relay_video_kbps(relay_url: str, packets: int = 100, fps: float = 25.0) -> float:
    """The relay's video bitrate by the test's own count: sizes of ``packets`` video packets
    of a camera known to send ``fps``."""
    args = ["-select_streams", "v:0", "-read_intervals", f"%+#{packets}"]
    data = ffprobe_json(relay_url, [*args, "-show_entries", "packet=size"])
    sizes = [int(p["size"]) for p in data["packets"]]
    assert len(sizes) == packets
    return sum(sizes) * 8 / 1000 / (packets / fps)


def ffprobes_reading(sid: str) -> list[str]:
    """Command lines of ffprobe processes reading this session's relay path."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            argv = cmdline.read_bytes().split(b"\0")
            if (
                argv
                and argv[0].endswith(b"ffprobe")
                and f"camrec-{sid}".encode() in b" ".join(argv)
            ):
                found.append(b" ".join(argv).decode(errors="replace"))
    return found


async def test_rtsp_camera_measures_25_fps_and_its_bitrate(
    api: httpx.AsyncClient, events: Events, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(api, rtsp_cameras.url(H264_AAC))
    sid = session["id"]
    event = await events.wait_measured(sid)
    measured = event.measured
    assert measured is not None and measured.fps is not None
    print(f"measured {measured}")
    assert event.url == session["url"] and event.name == session["name"]
    assert abs(measured.fps - 25) <= 0.02 * 25
    assert measured.frames >= 50 and 3 <= measured.seconds <= 6

    got = (await api.get(f"/api/sessions/{sid}")).json()
    assert got["measured"] == event.model_dump(mode="json")["measured"]
    assert {**got, "measured": None} == session  # nothing else changed

    video_kbps = await asyncio.to_thread(relay_video_kbps, session["relay_url"])
    print(f"video by the test's own count: {video_kbps:.0f} kbit/s")
    assert measured.bitrate_kbps > 0
    assert video_kbps / 2 <= measured.bitrate_kbps <= video_kbps * 2  # + 64 kbit/s AAC
    assert (await api.delete(f"/api/sessions/{sid}")).status_code == 204


async def test_mjpeg_camera_measures_its_real_rate_not_its_header(
    api: httpx.AsyncClient, events: Events
) -> None:
    with MjpegCamera(min_interval_s=0.05, max_interval_s=0.15) as camera:  # 10 fps on average
        session = await open_session(api, camera.url)
        event = await events.wait_measured(session["id"])
        measured = event.measured
        assert measured is not None and measured.fps is not None
        # what the camera itself sent the relay while it was measured (under load the
        # simulator's rhythm stretches, so compare with its log, not with its nominal 10 fps)
        start = measured.measured_at.timestamp()
        relay = max(camera.clients(), key=lambda c: len(camera.frames_sent(c)))
        sent = [f.wall for f in camera.frames_sent(relay) if start <= f.wall <= start + 5]
        camera_fps = (len(sent) - 1) / (sent[-1] - sent[0])
        print(f"header fps {session['video']['fps']}, camera sent {camera_fps:.2f} fps, "
              f"measured {measured}")  # fmt: skip
        assert abs(measured.fps - camera_fps) <= 0.1 * camera_fps
        assert 0.5 * 10 <= measured.fps <= 1.5 * 10
        got = (await api.get(f"/api/sessions/{session['id']}")).json()
        assert got["video"] == session["video"]  # the header's claim stays what it said
        assert got["measured"]["fps"] == measured.fps
        assert (await api.delete(f"/api/sessions/{session['id']}")).status_code == 204


async def test_closing_while_measuring_leaves_nothing(
    api: httpx.AsyncClient, bus: Bus, events: Events, rtsp_cameras: RtspCameras
) -> None:
    url = rtsp_cameras.url(H264_AAC)
    closed = await open_session(api, url)
    assert (await api.delete(f"/api/sessions/{closed['id']}")).status_code == 204
    assert ffprobes_reading(closed["id"]) == []  # close ended its measurement

    # a measurement that started before the one below ended would have landed by then
    other = await open_session(api, url)
    await events.wait_measured(other["id"])
    assert await kv_keys(bus, SESSIONS_BUCKET) == [other["id"]]
    assert events.measured(closed["id"]) == []
    assert (await api.delete(f"/api/sessions/{other['id']}")).status_code == 204


async def test_session_deleted_by_another_proxy_mid_measurement_is_not_recreated(
    api: httpx.AsyncClient, bus: Bus, events: Events, rtsp_cameras: RtspCameras
) -> None:
    """Another proxy closed it: this one's measurement can't be cancelled by that close, so
    the record update is a compare-and-set that a deleted key fails."""
    real = await open_session(api, rtsp_cameras.url(H264_AAC))
    kv = await bus.js.key_value(SESSIONS_BUCKET)
    record = SessionRecord.model_validate_json((await kv.get(real["id"])).value)
    ghost_session = record.session.model_copy(update={"id": GHOST})
    ghost = record.model_copy(update={"session": ghost_session})
    await kv.put(GHOST, ghost.model_dump_json().encode())

    measurer = Measurer(bus, await open_bucket(bus.js, SESSIONS_BUCKET), ffprobe=binary("ffprobe"))
    task = measurer.measure_now(ghost.session)
    assert task is not None
    await kv.delete(GHOST)  # while ffprobe reads its 4 s
    await task
    await measurer.stop()
    assert await kv_keys(bus, SESSIONS_BUCKET) == [real["id"]]
    assert events.measured(GHOST) == []
    assert (await api.delete(f"/api/sessions/{real['id']}")).status_code == 204


async def test_restarted_proxy_measures_sessions_it_finds_in_kv(
    api: httpx.AsyncClient, bus: Bus, proxies: Proxies, events: Events, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(api, rtsp_cameras.url(H264_AAC))
    sid = session["id"]
    await proxies.stop_all()  # before its first measurement could finish: cancelled
    kv = await bus.js.key_value(SESSIONS_BUCKET)
    assert SessionRecord.model_validate_json((await kv.get(sid)).value).session.measured is None
    assert events.measured(sid) == [] and ffprobes_reading(sid) == []

    await proxies.start()
    event = await events.wait_measured(sid)
    assert event.measured is not None and event.measured.fps is not None
    assert abs(event.measured.fps - 25) <= 0.5
    got = (await api.get(f"/api/sessions/{sid}")).json()
    assert got["measured"] == event.model_dump(mode="json")["measured"]
    assert (await api.delete(f"/api/sessions/{sid}")).status_code == 204


async def test_sessions_are_measured_again_every_interval(
    bus: Bus,
    nats_settings: CamrecSettings,
    proxy_settings: ProxySettings,
    events: Events,
    rtsp_cameras: RtspCameras,
) -> None:
    proxies = Proxies(proxy_settings.model_copy(update={"measure_interval_s": 5.0}), bus)
    await proxies.start()
    try:
        app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", timeout=30
        ) as api:
            session = await open_session(api, rtsp_cameras.url(H264_AAC))
            first = await events.wait_measured(session["id"])
            second = await events.wait_measured(session["id"], count=2)
            assert first.measured is not None and second.measured is not None
            assert second.measured.measured_at > first.measured.measured_at
            got = (await api.get(f"/api/sessions/{session['id']}")).json()
            assert datetime.fromisoformat(got["measured"]["measured_at"]) >= (
                second.measured.measured_at
            )
            assert (await api.delete(f"/api/sessions/{session['id']}")).status_code == 204
    finally:
        await proxies.stop_all()
