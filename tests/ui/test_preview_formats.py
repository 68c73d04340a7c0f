"""The live preview's two paths in real headless Chromium: H.264 units decoded by the page
(WebCodecs) when it can, JPEGs when it can't or the camera isn't H.264; and a viewer that
stalls catches up with the camera instead of playing the backlog."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field

import numpy as np
import pytest
from playwright.async_api import Locator, Page, WebSocket, expect

from camrec_devstack.cameras.clock import CELLS_PER_ROW, ROWS, Stamp, cell_size, read_stamp
from camrec_devstack.cameras.rtsp import H264_CLOCK, H264_NOAUDIO, H265_AAC
from tests.ui.conftest import UiStack, Watched
from tests.ui.page_helpers import canvas_moves, open_camera

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]

H264_LABEL = "H.264 · decoded in the browser"
JPEG_START = b"\xff\xd8"
KEY, DELTA = 0x01, 0x02
MAX_QUEUE = 8  # frontend/src/videoDecoding.ts


@dataclass
class PreviewSocket:
    """What one preview WebSocket carried: its URL, text messages, binary message heads."""

    url: str
    texts: list[str] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)

    @property
    def jpegs(self) -> int:
        return sum(h.startswith(JPEG_START) for h in self.heads)

    @property
    def units(self) -> int:
        return sum(h[:1] in (bytes([KEY]), bytes([DELTA])) for h in self.heads)


def watch_preview_sockets(page: Page) -> list[PreviewSocket]:
    """Every preview socket the page opens from now on, with the frames it received."""
    sockets: list[PreviewSocket] = []

    def on_socket(ws: WebSocket) -> None:
        if "/ws/preview/" not in ws.url:
            return
        seen = PreviewSocket(ws.url)
        sockets.append(seen)

        def on_frame(payload: str | bytes) -> None:
            if isinstance(payload, bytes):
                seen.heads.append(payload[:9])  # a unit's header; a JPEG's first bytes
            else:
                seen.texts.append(payload)

        ws.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return sockets


async def frames_on(socket: PreviewSocket, page: Page, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(socket.heads) < count:
        assert time.monotonic() < deadline, f"{len(socket.heads)} of {count} frames on {socket.url}"
        await page.wait_for_timeout(100)


async def sockets_opened(sockets: list[PreviewSocket], page: Page, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(sockets) < count:
        assert time.monotonic() < deadline, f"{len(sockets)} of {count} preview sockets opened"
        await page.wait_for_timeout(100)


async def test_an_h264_camera_is_decoded_by_the_page(ui_stack: UiStack, watched: Watched) -> None:
    page = watched.page
    sockets = watch_preview_sockets(page)
    await watched.open(ui_stack.url)
    card = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    await canvas_moves(card, 10)
    await expect(card.get_by_test_id("preview-format")).to_have_text(H264_LABEL)
    await expect(card.get_by_test_id("preview-state")).to_contain_text("live")
    await expect(card.get_by_test_id("preview-state")).to_contain_text(" fps")
    assert len(sockets) == 1, [s.url for s in sockets]
    socket = sockets[0]
    await frames_on(socket, page, 50, 10)  # two seconds of the camera's 25 fps
    assert socket.url.endswith("?format=h264"), socket.url
    assert socket.jpegs == 0, f"{socket.jpegs} JPEGs on an H.264 socket"
    assert socket.units == len(socket.heads)
    assert socket.heads[0][0] == KEY, "a viewer's first unit is a key unit"
    assert any(h[0] == DELTA for h in socket.heads)
    assert any('"type":"config"' in t.replace(" ", "") for t in socket.texts), socket.texts[:3]
    canvas = card.locator("canvas")
    # drawn at the camera's own size (the JPEG path scales down), by the page's decoder
    assert await canvas.evaluate("(c) => [c.width, c.height]") == [1280, 720]
    assert int(await canvas.get_attribute("data-frames-drawn") or 0) > 0
    overlay = (await card.get_by_test_id("preview-state").inner_text()).replace("\n", " | ")
    print(f"overlay: {overlay}; page: {await canvas.evaluate('(c) => ({...c.dataset})')}")
    assert watched.problems == []


async def test_without_webcodecs_the_page_asks_for_jpeg(
    ui_stack: UiStack, watched: Watched
) -> None:
    page = watched.page
    await page.context.add_init_script("delete window.VideoDecoder;")
    sockets = watch_preview_sockets(page)
    await watched.open(ui_stack.url)
    assert await page.evaluate("() => typeof VideoDecoder") == "undefined"
    card = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    await canvas_moves(card, 10)
    await expect(card.get_by_test_id("preview-format")).to_have_text("JPEG")
    await sockets_opened(sockets, page, 1)
    socket = sockets[0]
    await frames_on(socket, page, 10, 10)
    assert socket.url.endswith("?format=jpeg"), socket.url
    assert socket.jpegs == len(socket.heads), "every binary message is a JPEG"
    assert watched.problems == []


async def test_a_decoder_that_cannot_do_the_codec_falls_back_to_jpeg(
    ui_stack: UiStack, watched: Watched
) -> None:
    """WebCodecs is there but says no to the camera's codec (as for a profile the browser
    lacks): the page reconnects asking JPEG and stays on it."""
    page = watched.page
    await page.context.add_init_script(
        "VideoDecoder.isConfigSupported = async (config) => ({ supported: false, config });"
    )
    sockets = watch_preview_sockets(page)
    await watched.open(ui_stack.url)
    card = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    await canvas_moves(card, 10)
    await expect(card.get_by_test_id("preview-format")).to_have_text("JPEG")
    await sockets_opened(sockets, page, 2)
    first, second = sockets[0], sockets[-1]
    assert first.url.endswith("?format=h264") and second.url.endswith("?format=jpeg")
    await frames_on(second, page, 10, 10)
    assert second.jpegs == len(second.heads)
    assert len(sockets) == 2, "the fallback is for good: no third socket"
    assert watched.problems == []


async def test_h265_and_mjpeg_cameras_preview_by_jpeg_though_h264_was_asked(
    ui_stack: UiStack, watched: Watched
) -> None:
    page = watched.page
    sockets = watch_preview_sockets(page)
    await watched.open(ui_stack.url)
    h265 = await open_camera(page, ui_stack.rtsp.url(H265_AAC))
    await page.get_by_role("button", name="Use the demo MJPEG camera").click()
    mjpeg = await open_camera(page)
    await expect(mjpeg).to_contain_text("MJPEG via go2rtc")
    for name, card in (("H.265", h265), ("MJPEG", mjpeg)):
        try:
            await canvas_moves(card, 15)
        except AssertionError as error:
            overlay = await card.get_by_test_id("preview-state").inner_text()
            seen = [(s.url[-40:], len(s.heads), s.texts[-1:]) for s in sockets]
            raise AssertionError(f"{name}: {error}; overlay {overlay!r}; sockets {seen}") from None
        await expect(card.get_by_test_id("preview-format")).to_have_text("JPEG")
    await sockets_opened(sockets, page, 2)
    for socket in sockets:
        await frames_on(socket, page, 10, 10)
        assert socket.url.endswith("?format=h264"), socket.url
        assert socket.jpegs == len(socket.heads), f"{socket.units} H.264 units on {socket.url}"
        assert any('"format":"jpeg"' in t.replace(" ", "") for t in socket.texts), socket.texts[:3]
    assert watched.problems == []


STRIP_LUMA = """(canvas, [width, height]) => {
  const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
  let text = "";
  for (let i = 0; i < data.length; i += 4) {
    const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    text += String.fromCharCode(Math.round(luma));
  }
  return [canvas.width, btoa(text)];
}"""


async def shown_stamp(card: Locator) -> Stamp | None:
    """The clock camera's stamp in the picture on the card's canvas now (its capture time)."""
    canvas_width = await card.locator("canvas").evaluate("(c) => c.width")
    cell = cell_size(canvas_width)
    width, height = cell * (1 + CELLS_PER_ROW), cell * (1 + ROWS)
    shown_width, strip = await card.locator("canvas").evaluate(STRIP_LUMA, [width, height])
    if shown_width != canvas_width:
        return None  # resized between the two reads
    luma = np.zeros((height, canvas_width), np.uint8)
    luma[:, :width] = np.frombuffer(base64.b64decode(strip), np.uint8).reshape(height, width)
    return read_stamp(luma)


async def picture_age_s(card: Locator) -> float | None:
    stamp = await shown_stamp(card)
    return None if stamp is None else time.time() - stamp.wall_s


async def test_a_viewer_that_stalls_catches_up_instead_of_playing_the_backlog(
    ui_stack: UiStack, watched: Watched
) -> None:
    """The page's main thread is blocked for 5 s (a busy loop: no message, decoder output or
    drawing runs; units pile up in Chromium's socket buffers and then on the server). Within
    2 s of the end, the canvas shows a picture the clock camera stamped less than 1 s before.
    What this measures: the capture-to-canvas age of the picture on screen (camera stamp vs
    this machine's clock, the camera runs here), end to end through the server's and the
    page's catching-up; not how the page behaves when only the network is slow. The age
    alone hardly tells the page's rule: with it off (MAX_QUEUE 100000) the page played the
    ~5 s backlog and was under 1 s old at +1.3 s (with it: +0.0 to +0.4 s), but its decode
    queue held 124 units; the queue bound below is what fails then."""
    page = watched.page
    await watched.open(ui_stack.url)
    card = await open_camera(page, ui_stack.rtsp.url(H264_CLOCK))
    await canvas_moves(card, 10)
    await expect(card.get_by_test_id("preview-format")).to_have_text(H264_LABEL)
    before = [age for age in [await picture_age_s(card) for _ in range(5)] if age is not None]
    assert before, "the clock camera's stamp could not be read from the canvas"
    print(f"picture age before the stall: {', '.join(f'{a * 1000:.0f} ms' for a in before)}")
    assert min(before) < 1.0

    busy_5_s = "() => { const end = performance.now() + 5000; while (performance.now() < end); }"
    await page.evaluate(busy_5_s)
    resumed = time.monotonic()
    ages: list[tuple[float, float | None]] = []
    while (since := time.monotonic() - resumed) < 2.0:  # the whole 2 s, to see it stay fresh
        ages.append((since, await picture_age_s(card)))
        await page.wait_for_timeout(100)
    shown = ", ".join(f"+{t:.2f} s: {'?' if a is None else f'{a:.2f} s old'}" for t, a in ages)
    print(f"after the stall: {shown}")
    fresh = [t for t, age in ages if age is not None and age < 1.0]
    assert fresh, f"no picture under 1 s old within 2 s: {shown}"
    last = ages[-1][1]
    assert last is not None and last < 1.0, f"the picture fell behind again: {shown}"

    page_stats = await card.locator("canvas").evaluate("(c) => ({...c.dataset})")
    print(f"first picture under 1 s old at +{fresh[0]:.2f} s; page: {page_stats}")
    # Deltas go in only below MAX_QUEUE and a key unit replaces a full queue.
    assert int(page_stats["decodeQueueMax"]) <= MAX_QUEUE, page_stats
    assert watched.problems == []


COUNT_DRAWS = """() => {
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (...args) {
    (this.canvas.__draws ??= []).push(performance.now());
    return draw.apply(this, args);
  };
}"""
"""Every picture any canvas draws, timed on the page's clock, counted apart from the page's
own FrameRate (it wraps the drawImage the page calls)."""
SHOWN = "(s) => [s.textContent, Number(s.dataset.measuredAt)]"
WINDOW_MS = 2000  # frontend/src/frameRate.ts: the figure counts the frames of the last 2 s
READ_FOR_S = 6.0  # six of the page's one-second updates


@pytest.mark.parametrize("webcodecs", [True, False], ids=["h264", "jpeg"])
async def test_the_fps_shown_is_the_fps_drawn(
    ui_stack: UiStack, watched: Watched, webcodecs: bool
) -> None:
    """The overlay's figure against the pictures the canvas really drew in the window it
    names (data-measured-at), from the 25 fps simulator, on both paths. It once showed the
    server's rate for JPEG (29.9 fps for a 25 fps camera in a compose run)."""
    page = watched.page
    await page.context.add_init_script(f"({COUNT_DRAWS})()")
    if not webcodecs:
        await page.context.add_init_script("delete window.VideoDecoder;")
    await watched.open(ui_stack.url)
    card = await open_camera(page, ui_stack.rtsp.url(H264_NOAUDIO))
    await canvas_moves(card, 10)
    await expect(card.get_by_test_id("preview-format")).to_have_text(
        H264_LABEL if webcodecs else "JPEG"
    )
    figure = card.get_by_test_id("preview-fps")
    await expect(figure).to_be_visible(timeout=10_000)  # after a whole window of pictures
    readings: dict[float, float] = {}
    started = time.monotonic()
    while time.monotonic() - started < READ_FOR_S:  # a span of readings, not a wait
        text, measured_at = await figure.evaluate(SHOWN)
        readings[measured_at] = float(text.removesuffix(" fps"))
        await page.wait_for_timeout(250)
    draws: list[float] = await card.locator("canvas").evaluate("(c) => c.__draws ?? []")
    compared = []
    for at, shown in sorted(readings.items()):
        drawn = sum(at - WINDOW_MS < t <= at for t in draws) * 1000 / WINDOW_MS
        compared.append((round(at), shown, drawn))
    print(f"{'h264' if webcodecs else 'jpeg'}: (at ms, shown, drawn) {compared}")
    assert len(compared) >= 4, compared
    # ± 1 fps is 2 pictures in the 2 s window: the hook times a picture just before the
    # page's own count does, so one may fall on the other side of a window's edge.
    assert all(abs(shown - drawn) <= 1.0 for _, shown, drawn in compared), compared
    assert all(shown > 0 for _, shown, _ in compared), "the simulator's picture stood still"
    assert watched.problems == []
