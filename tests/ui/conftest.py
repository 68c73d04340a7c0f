"""The whole local stack as processes (as ./scripts/dev runs it) with simulated cameras, and
real headless Chromium (Debian's, driven by Playwright) on the page nginx serves."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Request,
    async_playwright,
    expect,
)

from camrec_devstack.cameras.rtsp import RtspCameras
from camrec_devstack.paths import REPO
from camrec_devstack.stack import LocalStack
from tests.fixtures.stack import start_own_stack

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(os.environ.get("CAMREC_SCREENSHOT_DIR", REPO / "test-artifacts" / "screenshots"))
UI_PASSWORD = "ui test password"
"""The UI stack runs with the login on, as camrec published beyond loopback does."""
LOGIN_ENV = {"CAMREC_AUTH": "on", "CAMREC_ADMIN_PASSWORD": UI_PASSWORD}


@dataclass
class UiStack:
    stack: LocalStack
    rtsp: RtspCameras
    password: str | None = None
    _cookies: httpx.Cookies | None = None

    @property
    def url(self) -> str:
        return self.stack.url

    @property
    def cookies(self) -> httpx.Cookies:
        """A login of the tests' own for their api calls (none when the login is off)."""
        if self._cookies is None:
            with httpx.Client(base_url=self.url, timeout=30) as client:
                if self.password is not None:
                    login = client.post("/api/auth/login", json={"password": self.password})
                    assert login.status_code == 200, login.text
                self._cookies = client.cookies
        return self._cookies

    def api(self, timeout_s: float = 30) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout_s, cookies=self.cookies)

    def async_api(self, timeout_s: float = 30) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=timeout_s, cookies=self.cookies)

    def member(self, name: str) -> object:
        return next(m for m in self.stack.members if m.name == name)


@pytest.fixture(scope="module")
def ui_stack(
    tmp_path_factory: pytest.TempPathFactory, rtsp_cameras: RtspCameras
) -> Iterator[UiStack]:
    # The page's demo camera is the stack's democam, as in compose (deploy/democam/).
    env = {"CAMREC_MAX_SESSIONS": "3", **LOGIN_ENV}
    stack = start_own_stack(tmp_path_factory.mktemp("ui-stack"), env)
    try:
        yield UiStack(stack, rtsp_cameras, UI_PASSWORD)
    finally:
        stack.stop()
    # Every page journey ran with each service as its own NATS user: none was refused.
    assert stack.refused_subjects() == []


@pytest.fixture(autouse=True)
def _sessions_closed_after(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each UI test starts from a page with no camera open, whatever the one before left:
    a test that failed with 3 sessions open made the next two fail on "3 of 3 sessions open"
    (CI, stop 19)."""
    yield
    if "ui_stack" not in request.fixturenames:
        return
    ui: UiStack = request.getfixturevalue("ui_stack")
    with ui.api() as client:
        for session in client.get("/api/sessions").json()["sessions"]:
            client.delete(f"/api/sessions/{session['id']}")


@dataclass
class Watched:
    """A page with every console error and failed request it produced."""

    page: Page
    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect_error_response(self, status: int) -> None:
        """The next console line about an HTTP ``status`` is provoked on purpose (Chromium
        logs every error response, also those the page handles and shows)."""
        self.expected.append(f"the server responded with a status of {status}")

    async def open(self, url: str, password: str | None = UI_PASSWORD) -> None:
        """Load the page, log in if it asks (the UI stack has the login on), and wait until
        it has its config (the URL field shows the demo camera): a field filled before that
        had the demo URL put in front of the typed one when the config arrived mid-fill
        (seen: 'rtsp://…/demortsp://127.0.0.1:9/nothing')."""
        await self.page.goto(url)
        field, login = self.page.get_by_label("Camera URL"), self.page.get_by_label("Password")
        await expect(field.or_(login)).to_be_visible(timeout=20_000)
        if await login.is_visible():
            assert password is not None, "the page asks for a login"
            await login.fill(password)
            await self.page.get_by_role("button", name="Log in").click()
        await expect(field).not_to_have_value("", timeout=20_000)

    async def screenshot(self, name: str) -> None:
        """Save the page at desktop and phone sizes (test artifacts)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
            await self.page.set_viewport_size(size)
            await self.page.wait_for_timeout(300)  # one layout + a few preview frames
            await self.page.screenshot(
                path=str(SCREENSHOTS / f"{name}-{label}.png"), full_page=True
            )
        await self.page.set_viewport_size(DESKTOP)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


@pytest.fixture
async def watched(browser: Browser) -> AsyncIterator[Watched]:
    context = await browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = await context.new_page()
    w = Watched(page)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        for i, text in enumerate(w.expected):
            if text in msg.text:
                del w.expected[i]
                return
        w.problems.append(f"console: {msg.text}")

    def on_failed(request: Request) -> None:
        failure = request.failure or ""
        # A <video> the player dialog closes aborts its range request; that is not a failure.
        if "ERR_ABORTED" in failure and "/file" in request.url:
            return
        w.problems.append(f"request failed: {request.method} {request.url} {failure}")

    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        yield w
    finally:
        await context.close()
