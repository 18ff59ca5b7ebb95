"""Headless Debian Chromium through Playwright, as the brief prescribes: never a downloaded
browser. Without /usr/bin/chromium the browser tests skip, or fail when services are required
(CI: ``make test`` installs it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def require_file(path: Path, how: str) -> Path:
    """``path``, or skip the test (fail when services are required, as in CI) saying ``how`` to get it."""
    if not path.exists():
        message = f"{path} missing ({how})"
        if os.environ.get("DAOBAN_REQUIRE_SERVICES"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def require_chromium() -> None:
    require_file(CHROMIUM, "apt-get install -y chromium fonts-noto-cjk")


def sign_in(page, username: str, password: str, landing: str) -> None:  # type: ignore[no-untyped-def]
    """Fill the console's login form on ``page`` and wait until it lands on ``landing``."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**" + landing)


def chromium_browser() -> Iterator:
    """A Playwright browser on Debian's chromium, closed afterwards."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()
