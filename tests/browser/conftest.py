"""Fixtures of the browser tests: the running server (JEMPUT_URL, started by
.ci/browser.sh over the demo data) and the system's headless Chromium."""

import os

import pytest
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("JEMPUT_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def base_url():
    return os.environ.get("JEMPUT_URL", "http://127.0.0.1:8080").rstrip("/")


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Watched:
    """A browser context that records every request and every CSP violation."""

    def __init__(self, browser, base_url, **options):
        self.base_url = base_url
        self.context = browser.new_context(locale="id-ID", accept_downloads=True, **options)
        self.requests = []
        self.problems = []
        self.context.on("request", lambda r: self.requests.append(r.url))
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda m: self.problems.append(m.text)
            if m.type == "error" or "Content Security Policy" in m.text
            else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def check_stayed_home(self):
        """No request left the origin, and the page broke no rule of its CSP."""
        away = [u for u in self.requests if not (u.startswith(self.base_url + "/") or u.startswith("data:"))]
        assert away == [], f"requests to other origins: {away}"
        assert self.problems == [], f"console errors or CSP violations: {self.problems}"
        assert self.requests, "the test made requests"

    def close(self):
        self.context.close()


@pytest.fixture
def desktop(browser, base_url):
    w = Watched(browser, base_url, viewport={"width": 1280, "height": 900})
    yield w
    w.close()


@pytest.fixture
def phone(browser, base_url):
    w = Watched(
        browser,
        base_url,
        viewport={"width": 360, "height": 740},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    yield w
    w.close()
