"""What the UI tests do on the page more than once: open a camera, see its canvas move."""

from __future__ import annotations

import time

from playwright.async_api import Locator, Page, expect

MOVING_PIXELS = """(canvas) => {
  const ctx = canvas.getContext("2d");
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 997) sum = (sum * 31 + data[i]) >>> 0;
  const previous = canvas.__snapshot;
  canvas.__snapshot = sum;
  return previous !== undefined && previous !== 0 && sum !== 0 && previous !== sum;
}"""


async def canvas_moves(card: Locator, timeout_s: float) -> None:
    """Two snapshots of the card's canvas differ (frames are being drawn)."""
    canvas = card.locator("canvas")
    deadline = time.monotonic() + timeout_s
    while not await canvas.evaluate(MOVING_PIXELS):
        assert time.monotonic() < deadline, "the preview canvas did not change"
        await canvas.page.wait_for_timeout(200)


async def open_camera(page: Page, url: str | None = None) -> Locator:
    cards = page.locator("article.session")
    before = await cards.count()
    if url is not None:
        await page.get_by_label("Camera URL").fill(url)
    await page.get_by_role("button", name="Open", exact=True).click()
    await expect(cards).to_have_count(before + 1, timeout=20_000)
    return cards.nth(before)
