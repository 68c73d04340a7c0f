"""The page, end to end in headless Chromium against the local stack and simulators."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import expect

from camrec_devstack.cameras.rtsp import H264_NOAUDIO
from camrec_devstack.paths import binary
from tests.fixtures.long_file import loop_own_part
from tests.ui.conftest import UiStack, Watched
from tests.ui.page_helpers import canvas_moves, open_camera

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]


def seconds(text: str) -> int:
    m, s = text.split(":")[-2:]
    return int(m) * 60 + int(s)


async def test_open_watch_record_play_download_delete_close(
    ui_stack: UiStack, watched: Watched
) -> None:
    page = watched.page
    await watched.open(ui_stack.url)
    await expect(page.get_by_text("No recordings yet")).to_be_visible()
    demo = ui_stack.stack.s.democam_rtsp_port
    await expect(page.get_by_label("Camera URL")).to_have_value(f"rtsp://127.0.0.1:{demo}/demo")
    await watched.screenshot("empty")

    started = time.monotonic()
    card = await open_camera(page)
    await canvas_moves(card, 5)
    print(f"preview moving {time.monotonic() - started:.1f} s after Open was clicked")
    await expect(card.get_by_test_id("preview-state")).to_contain_text("live")

    one_minute = card.get_by_role("button", name="1 min")
    await one_minute.click()
    await expect(one_minute).to_have_attribute("aria-pressed", "true")
    await card.get_by_role("button", name="Start recording").click()
    progress = card.get_by_test_id("recording-progress")
    elapsed = progress.locator(".elapsed")
    await expect(elapsed).to_have_text(re.compile(r"^0:0[1-9] / 1:00$"), timeout=15_000)
    first = seconds((await elapsed.inner_text()).split(" / ")[0])
    await expect(card.get_by_label("recording", exact=True)).to_be_visible()  # REC
    await watched.screenshot("recording")
    await expect(elapsed).to_have_text(re.compile(r"^0:0[5-9] / 1:00$"), timeout=10_000)
    assert seconds((await elapsed.inner_text()).split(" / ")[0]) > first  # the bar advances
    await card.get_by_role("button", name="Stop recording").click()

    item = page.locator("li.recording").first
    await expect(item.get_by_test_id("recording-state")).to_have_text("stopped", timeout=15_000)
    duration = seconds(await item.get_by_test_id("recording-duration").inner_text())
    # ~5 s: the elapsed time counts from FFmpeg's first packet, the file from the first video
    # keyframe, up to a GOP (2 s on the demo camera) later
    assert 5 - 2 - 0.5 <= duration <= 7, duration
    thumb = item.locator("img")
    await expect(thumb).to_be_visible()
    loaded = (
        "(img) => img.complete ? img.naturalWidth > 0 : new Promise((done) => {"
        " img.addEventListener('load', () => done(img.naturalWidth > 0));"
        " img.addEventListener('error', () => done(false)); })"
    )
    assert await thumb.evaluate(loaded)  # the thumbnail loads (visible before it has)

    await item.get_by_role("button", name="Play", exact=True).click()
    video = page.locator("dialog.player video")
    await video.wait_for()
    await page.wait_for_function(
        "() => document.querySelector('dialog.player video').readyState >= 4", timeout=15_000
    )
    middle = await video.evaluate(
        """(v) => new Promise((resolve) => {
            v.addEventListener("seeked", () => resolve(v.currentTime), { once: true });
            v.currentTime = v.duration / 2;
        })"""
    )
    total = await video.evaluate("(v) => v.duration")
    assert abs(middle - total / 2) < 1.0, (middle, total)
    await watched.screenshot("player")
    await page.get_by_role("button", name="Close player").click()
    await expect(page.locator("dialog.player")).to_have_count(0)

    async with page.expect_download() as info:
        await item.get_by_role("link", name="Download").click()
    download = await info.value
    assert download.suggested_filename.endswith(".mp4")
    head = Path(await download.path()).read_bytes()[:12]
    assert head[4:8] == b"ftyp", head

    await item.get_by_role("button", name="Delete").click()  # the confirm is accepted
    await expect(page.locator("li.recording")).to_have_count(0)
    await card.get_by_role("button", name="Close session").click()
    await expect(page.locator("article.session")).to_have_count(0)
    await expect(page.get_by_text("No camera open")).to_be_visible()
    assert watched.problems == []


async def test_three_cameras_then_the_limit_and_server_errors_on_screen(
    ui_stack: UiStack, watched: Watched
) -> None:
    page = watched.page
    await watched.open(ui_stack.url)
    await page.get_by_label("Camera URL").fill("rtsp://127.0.0.1:9/nothing")
    watched.expect_error_response(502)
    await page.get_by_role("button", name="Open", exact=True).click()
    alert = page.locator("form.new-session [role=alert]")
    await expect(alert).to_be_visible(timeout=20_000)
    message = await alert.inner_text()
    print(f"server message on screen: {message!r}")
    assert "refused" in message and not re.fullmatch(r"\d{3}.*", message)

    rtsp = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    await page.get_by_role("button", name="Use the demo MJPEG camera").click()
    mjpeg = await open_camera(page)
    await expect(mjpeg).to_contain_text("MJPEG via go2rtc")
    third = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    for card in (rtsp, mjpeg, third):
        await canvas_moves(card, 10)
        await expect(card.get_by_test_id("preview-state")).to_contain_text("live")
    open_button = page.get_by_role("button", name="Open", exact=True)
    await expect(open_button).to_be_disabled()
    await expect(page.get_by_text("3 of 3 sessions open")).to_be_visible()
    await watched.screenshot("three-sessions")
    cards = page.locator("article.session")
    for left in (2, 1, 0):
        # By keyboard, as a keyboard user closes them. A click waits for the button to keep
        # its place for two animation frames, and with three 720p previews on a loaded CI
        # machine Chromium ran no animation frame for 30 s: the click timed out with the
        # button enabled and unmoved (stop 19). The keyboard needs no frame.
        close = cards.first.get_by_role("button", name="Close session")
        await expect(close).to_be_enabled()
        await close.press("Enter")
        await expect(cards).to_have_count(left)
    await expect(open_button).to_be_enabled()
    assert watched.problems == []


async def test_the_page_recovers_by_itself_when_the_api_comes_back(
    ui_stack: UiStack, watched: Watched
) -> None:
    page = watched.page
    await watched.open(ui_stack.url)
    await expect(page.get_by_text("No camera open")).to_be_visible()
    api = ui_stack.member("api")
    api.proc.proc.kill()  # type: ignore[attr-defined]
    await expect(page.get_by_test_id("reconnecting")).to_be_visible(timeout=5_000)
    await page.wait_for_timeout(3_000)  # the outage: three seconds without an api
    api.proc = api.start()  # type: ignore[attr-defined]
    await expect(page.get_by_test_id("reconnecting")).to_be_hidden(timeout=15_000)
    # Events flow again: a camera opened elsewhere shows up without a reload.
    async with ui_stack.async_api() as client:
        response = await client.post(
            "/api/sessions", json={"url": ui_stack.rtsp.url(H264_NOAUDIO), "name": "elsewhere"}
        )
        assert response.status_code == 201, response.text
        await expect(page.locator("article.session")).to_have_count(1, timeout=10_000)
        await client.delete(f"/api/sessions/{response.json()['id']}")
    await expect(page.locator("article.session")).to_have_count(0)


async def test_a_long_recording_shows_finalizing_then_its_end(
    ui_stack: UiStack, watched: Watched
) -> None:
    """The stop of a long recording is answered before its file is final: the card says
    "finalizing…" (and offers no second stop), then the list shows the end."""
    page = watched.page
    await watched.open(ui_stack.url)
    card = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    session_id = await card.get_attribute("data-session-id")
    await card.get_by_role("button", name="Until stopped", exact=True).click()
    await card.get_by_role("button", name="Start recording").click()
    progress = card.get_by_test_id("recording-progress")
    # past 2 + CLIP_S + 1 s of file: what loop_own_part reads
    await expect(progress.locator(".elapsed")).to_have_text(
        re.compile(r"^0:(0[7-9]|[1-5]\d)$"), timeout=30_000
    )
    async with ui_stack.async_api(10) as api:
        listed = (await api.get("/api/recordings")).json()["recordings"]
    rid = next(r["id"] for r in listed if r["session_id"] == session_id)
    partial_dir = ui_stack.stack.s.recordings_dir / ".partial"
    # Ten minutes of this 720p camera (~0.5 GB) take the finish well over the 0.5 s a stop
    # waits for it (the 2 h test: 6.7 s for 0.66 GB), so the page sees `finalizing`.
    long_part = partial_dir / "long.mp4"
    await asyncio.to_thread(
        loop_own_part, binary("ffmpeg"), partial_dir / f"{rid}.mp4", long_part, 600
    )
    long_part.replace(partial_dir / f"{rid}.part1.mp4")

    await card.get_by_role("button", name="Stop recording").click()
    await expect(progress.locator(".state")).to_have_text("finalizing…", timeout=10_000)
    await expect(card.get_by_role("button", name="Stop recording")).to_be_disabled()
    item = page.locator("li.recording").first
    await expect(item.get_by_test_id("recording-state")).to_have_text("stopped", timeout=60_000)
    duration = seconds(await item.get_by_test_id("recording-duration").inner_text())
    assert duration >= 600, duration  # the ten minutes and the recorded part, joined
    await item.get_by_role("button", name="Delete").click()  # the confirm is accepted
    await card.get_by_role("button", name="Close session").click()
    await expect(page.locator("article.session")).to_have_count(0)
    assert watched.problems == []
