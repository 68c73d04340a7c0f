"""The page on a tight disk: the camera's measured frame rate and bitrate on its card, a timed
start that cannot fit refused with the numbers (507), an until-stop start that fits only a
while warned about, and the finished recording's health verdict and report in the list.

The stack of its own records onto a 40 MB tmpfs with a 10 MB reserve, so the 30 MB above
the reserve hold well under 2 h and well under 24 h of a 1280x720 simulator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Locator, Page, expect

from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from tests.fixtures.disk import small_disk
from tests.fixtures.stack import start_own_stack
from tests.ui.conftest import UiStack, Watched

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]

DISK_MB = 40
RESERVE_MB = 10


@pytest.fixture(scope="module")
def tight_disk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 40 MB tmpfs for the recordings."""
    with small_disk(tmp_path_factory.mktemp("tight-disk") / "recordings", f"{DISK_MB}m") as mount:
        yield mount


@pytest.fixture(scope="module")
def tight_stack(
    tmp_path_factory: pytest.TempPathFactory, rtsp_cameras: RtspCameras, tight_disk: Path
) -> Iterator[UiStack]:
    # The stack's env sets CAMREC_RECORDINGS_DIR to its own folder; extra_env goes on top,
    # so every service (the recorder writing, the api serving files) uses the small disk.
    stack = start_own_stack(
        tmp_path_factory.mktemp("tight-stack"),
        {"CAMREC_RECORDINGS_DIR": str(tight_disk), "CAMREC_MIN_FREE_MB": str(RESERVE_MB)},
    )
    try:
        yield UiStack(stack, rtsp_cameras)
    finally:
        stack.stop()


async def open_camera(page: Page, url: str) -> Locator:
    cards = page.locator("article.session")
    before = await cards.count()
    await page.get_by_label("Camera URL").fill(url)
    await page.get_by_role("button", name="Open", exact=True).click()
    await expect(cards).to_have_count(before + 1, timeout=20_000)
    return cards.nth(before)


async def test_measured_stream_space_estimate_and_health_report(
    tight_stack: UiStack, watched: Watched
) -> None:
    page = watched.page
    await watched.open(tight_stack.url)
    card = await open_camera(page, tight_stack.rtsp.url(H264_AAC))

    # The relay is measured a few seconds after Open; a "measured" event updates the card.
    measured = card.locator(".measured")
    await expect(measured).to_be_visible()
    await expect(measured).to_have_text(
        re.compile(r"^\d+\.\d fps measured \(header says [\d.]+\) · [\d.]+ [kM]bit/s$"),
        timeout=30_000,
    )
    text = await measured.inner_text()
    print(f"measured on the card: {text!r}")
    fps = float(text.split(" fps")[0])
    assert 23.0 <= fps <= 27.0, text

    # 2 h cannot fit in the 30 MB above the reserve: refused (507) with the numbers.
    two_hours = card.get_by_role("button", name="2 h", exact=True)
    await two_hours.click()
    await expect(two_hours).to_have_attribute("aria-pressed", "true")
    watched.expect_error_response(507)
    await card.get_by_role("button", name="Start recording").click()
    alert = card.get_by_role("alert")
    await expect(alert).to_contain_text("needs about", timeout=15_000)
    refusal = await alert.inner_text()
    print(f"refusal on the card: {refusal!r}")
    assert re.search(r"needs about [\d.]+ [KMGT]?B", refusal), refusal
    assert re.search(r"[\d.]+ [KMGT]?B free", refusal), refusal
    await expect(card.get_by_label("recording", exact=True)).to_have_count(0)  # no REC
    await watched.screenshot("fit-refused")

    # Until stopped: it starts, and the card says how little fits.
    until_stopped = card.get_by_role("button", name="Until stopped", exact=True)
    await until_stopped.click()
    await card.get_by_role("button", name="Start recording").click()
    warning = card.locator(".fit-warning")
    await expect(warning).to_be_visible(timeout=15_000)
    await expect(warning).to_have_attribute("role", "status")
    await expect(alert).to_have_count(0)  # the refusal is gone
    print(f"space warning on the card: {await warning.inner_text()!r}")
    await expect(warning).to_contain_text(re.compile(r"\d+(\.\d+)? [KMGT]?B"))
    elapsed = card.get_by_test_id("recording-progress").locator(".elapsed")
    await expect(elapsed).to_have_text(re.compile(r"^0:0[3-9]$"), timeout=20_000)
    await expect(warning).to_be_visible()  # for as long as the recording runs
    await watched.screenshot("fit-warning")
    await card.get_by_role("button", name="Stop recording").click()
    await expect(warning).to_have_count(0, timeout=15_000)

    # The finished file's health: a clean simulator gives a clean verdict.
    item = page.locator("li.recording").first
    await expect(item.get_by_test_id("recording-state")).to_have_text("stopped", timeout=15_000)
    badge = item.locator(".health-badge")
    await expect(badge).to_have_text("clean", timeout=20_000)
    await expect(badge).to_have_class(re.compile(r"\bhealth-clean\b"))
    summary = await badge.get_attribute("title")
    print(f"health summary: {summary!r}")
    assert summary

    details = item.locator("details.health-details")
    frames = details.get_by_test_id("health-frames")
    await expect(frames).to_be_hidden()  # folded until asked for
    await details.locator("summary").click()
    await expect(frames).to_be_visible()
    count = int(await frames.inner_text())
    assert count >= 3 * 20, count  # at least 3 s at about 25 fps
    await expect(details).to_contain_text(summary)
    await watched.screenshot("health-details")
    assert watched.problems == []
