"""The login in real Chromium, on the UI stack (login on): a wrong password says so, the right
one opens the page, a logout and an ended login (the password changed elsewhere) bring the form
back; changing the password in the page."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.ui.conftest import SCREENSHOTS, UI_PASSWORD, UiStack, Watched

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ui")]


async def test_log_in_and_out(ui_stack: UiStack, watched: Watched) -> None:
    page = watched.page
    await page.goto(ui_stack.url)
    password = page.get_by_label("Password")
    await expect(password).to_be_visible(timeout=20_000)
    await expect(page.get_by_label("Camera URL")).to_have_count(0)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "login-desktop.png"))

    watched.expect_error_response(401)
    await password.fill("not the password")
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("alert")).to_have_text("wrong password")

    await password.fill(UI_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_label("Camera URL")).not_to_have_value("", timeout=20_000)
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "camrec_session")
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert await page.evaluate("() => document.cookie") == "", "the page's scripts can't read it"

    await page.get_by_role("button", name="Log out").click()
    await expect(page.get_by_label("Password")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Password")).to_be_visible(timeout=20_000)
    assert watched.problems == []


async def test_a_login_ended_elsewhere_brings_the_form_back(
    ui_stack: UiStack, watched: Watched
) -> None:
    """The api answers 401 to the page's next call once its login is gone (here: deleted
    from KV as a password change elsewhere does): the page shows the login form."""
    page = watched.page
    await watched.open(ui_stack.url)
    cookies = await page.context.cookies()
    token = next(c["value"] for c in cookies if c["name"] == "camrec_session")
    ended = {"name": "camrec_session", "value": "x" + token, "url": ui_stack.url}
    await page.context.add_cookies([ended])  # type: ignore[list-item]
    watched.expect_error_response(401)
    await page.get_by_label("Camera URL").fill("rtsp://127.0.0.1:9/nothing")
    await page.get_by_role("button", name="Open", exact=True).click()
    await expect(page.get_by_label("Password")).to_be_visible(timeout=10_000)
    assert watched.problems == []


async def test_a_page_opened_while_the_api_is_down_comes_up_with_it(
    ui_stack: UiStack, watched: Watched
) -> None:
    """As right after `docker compose up`: nginx serves the page, the api does not answer
    yet (502). The page says so and keeps asking; the login form comes once the api is up."""
    page = watched.page
    api = ui_stack.member("api")
    api.proc.proc.kill()  # type: ignore[attr-defined]
    api.proc.proc.wait(10)  # type: ignore[attr-defined]
    watched.expect_error_response(502)
    await page.goto(ui_stack.url)
    await expect(page.get_by_role("alert")).to_contain_text("(trying again)", timeout=10_000)
    api.proc = api.start()  # type: ignore[attr-defined]
    await expect(page.get_by_label("Password")).to_be_visible(timeout=20_000)
    watched.problems = [p for p in watched.problems if "status of 502" not in p]
    assert watched.problems == []
