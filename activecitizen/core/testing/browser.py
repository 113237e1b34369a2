"""The browser harness: Playwright driving Debian's Chromium against pytest-django's live server.

The fixtures `browser` and `page` live in the root conftest.py; a journey is a test marked
`@pytest.mark.browser` that takes `page` and uses the helpers here, e.g.

    @pytest.mark.browser
    def test_resident_votes(page):
        sign_in(page, "+7 999 100-00-01")
        page.goto("/polls/")
        ...

Chromium is never downloaded: it is the system's (`apt-get install chromium`), or $CHROMIUM_PATH.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from activecitizen.core.testing.sms import SmsInbox

DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Long enough for a slow CI machine, short enough that a broken page fails in seconds.
ACTION_TIMEOUT_MS = 10_000


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM
    if not Path(path).is_file():
        raise RuntimeError(
            f"Chromium is not at {path}. Install Debian's package (`apt-get install chromium`; "
            ".ci/run does it) or set CHROMIUM_PATH to a Chromium binary."
        )
    return path


@contextmanager
def launch() -> Iterator[Browser]:
    """Start headless Chromium; Playwright's own browser downloads are never used."""
    # The sync API runs an event loop in this thread; the test code's ORM calls are still
    # synchronous, so Django's guard against ORM use inside a loop must stand aside.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def artifacts_dir() -> Path:
    return Path(settings.VAR_DIR) / "e2e-artifacts"


def save_failure_artifacts(page: Page, name: str) -> list[Path]:
    """A full-page screenshot and the HTML of `page`, named after the failed test."""
    directory = artifacts_dir()
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "_", name).strip("_") or "journey"
    saved = []
    screenshot = directory / f"{stem}.png"
    page.screenshot(path=str(screenshot), full_page=True)
    saved.append(screenshot)
    html = directory / f"{stem}.html"
    html.write_text(f"<!-- {page.url} -->\n{page.content()}", encoding="utf-8")
    saved.append(html)
    return saved


# --- Helpers for journeys -----------------------------------------------------------------------
# They find things by field names, URLs and roles, so that they work in Russian and English.


def form_with(page: Page, field_name: str) -> Locator:
    """The form in the main content that has a visible field named `field_name`."""
    return page.locator("main form").filter(
        has=page.locator(f'[name="{field_name}"]:not([type="hidden"])')
    )


def submit(form: Locator) -> None:
    form.locator('button[type="submit"], input[type="submit"]').first.click()


def loaded_width(image: Locator) -> int:
    """The image's natural width once the browser has finished loading it (0 when it is
    broken). Visible is not loaded: the picture is a request of its own."""
    image.page.wait_for_function("image => image.complete", arg=image.element_handle())
    return int(image.evaluate("image => image.naturalWidth"))


def path_is(page: Page, path: str) -> None:
    """Wait until the page is at `path` (ignoring the query string)."""
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{re.escape(path)}(\?.*)?$"))


def sign_in(page: Page, phone: str) -> None:
    """Sign in (or sign up) with `phone`, typing the code that the SMS file received.

    Starts from the sign-in page, or goes there; ends wherever the site sends the person next
    (the profile for a newcomer, the page they came from or home otherwise).
    """
    if "/accounts/sign-in/" not in page.url:
        page.goto("/accounts/sign-in/")
    inbox = SmsInbox.current()
    already_sent = inbox.count(phone)
    phone_form = form_with(page, "phone")
    phone_form.locator('[name="phone"]').fill(phone)
    submit(phone_form)
    path_is(page, "/accounts/sign-in/code/")
    code = inbox.last_code(phone, newer_than=already_sent)
    code_form = form_with(page, "code")
    code_form.locator('[name="code"]').fill(code)
    submit(code_form)
    expect(page).not_to_have_url(re.compile(r"/accounts/sign-in/"))


def sign_out(page: Page) -> None:
    page.locator('header form[action$="/sign-out/"] button[type="submit"]').click()
    expect(page.locator('header a[href^="/accounts/sign-in/"]')).to_be_visible()


def switch_language(page: Page, code: str) -> None:
    """Press the header's language button for `code` ("en" or "ru")."""
    page.locator(f'header button[name="language"][value="{code}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", code)
