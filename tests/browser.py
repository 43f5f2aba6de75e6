"""Headless Chromium for the browser tests: Debian's ``chromium`` driven by playwright.

No browser is downloaded: playwright starts the system's Chromium through ``executable_path``.
Where Chromium (or playwright) is missing, the tests that use :func:`browser_page` are skipped
with a message that says how to get it (``.ci/run`` installs it with apt-get when it runs as root).

Use::

    from tests.browser import browser_page  # noqa: F401  (a fixture)

    def test_page(browser_page):
        page, console_errors = browser_page
        page.goto("http://127.0.0.1:8866/")
        ...
        assert console_errors == []

Screenshots for people to look at go under ``output/screenshots/`` of the checkout
(:func:`screenshot_path`).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = ROOT / "output" / "screenshots"

#: the flags a closed network and a root user need (no sandbox as root, no background traffic)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

HOW_TO_GET_IT = (
    "install Debian's chromium package (`apt-get install chromium`; `.ci/run` does this when it "
    "runs as root) and the test extra (`python3 tasks.py setup`)"
)


def chromium_path() -> str | None:
    """The system Chromium: ``$WORKBENCH_CHROMIUM``, else ``chromium`` or ``chromium-browser``."""
    explicit = os.environ.get("WORKBENCH_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot_path(name: str) -> Path:
    """Where a test writes a screenshot named ``name`` (the folder is created)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR / name


@pytest.fixture
def browser_page(tmp_path):
    """A fresh page in headless Chromium and the list its console errors are collected into.

    Yields ``(page, console_errors)``; ``console_errors`` holds the text of every console message
    of type ``error`` and of every uncaught page error.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip(f"Chromium not found: {HOW_TO_GET_IT}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"playwright is not installed: {HOW_TO_GET_IT}")
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900}, accept_downloads=True
            )
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
            context.close()
        finally:
            browser.close()
