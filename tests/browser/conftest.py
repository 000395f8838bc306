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


# ---- The field app's tests run their own server: short-lived access tokens, and restarts
# with another release label (a service-worker update) on the same port and data.

import json
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIELD_ACCESS_TTL = 10  # seconds: a token expires while the phone is "offline"


class FieldServer:
    """`jemput serve` over a copy of the demo data, which a test may restart."""

    def __init__(self):
        self.bin = os.environ.get("JEMPUT_BIN", str(ROOT / "target" / "debug" / "jemput"))
        self.data = tempfile.mkdtemp(prefix="jemput-field-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        subprocess.run([self.bin, "seed", "demo"], env=self._env(), check=True, capture_output=True)

    def _env(self, release=None):
        env = dict(os.environ)
        env.update(
            JEMPUT_DATA_DIR=self.data,
            JEMPUT_BIND=f"127.0.0.1:{self.port}",
            JEMPUT_ACCESS_TOKEN_TTL=str(FIELD_ACCESS_TTL),
        )
        env.pop("DATABASE_URL", None)
        if release:
            env["JEMPUT_FIELD_RELEASE"] = release
        return env

    def start(self, release=None):
        log = open(os.path.join(self.data, "server.log"), "ab")
        self.proc = subprocess.Popen([self.bin, "serve"], env=self._env(release), stdout=log, stderr=log)
        for _ in range(120):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError("the field test server did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def restart(self, release=None):
        self.stop()
        self.start(release)

    def api(self, method, path, body=None, token=None):
        """One API call: (status, parsed JSON body or None)."""
        req = urllib.request.Request(self.url + "/api/v1" + path, method=method)
        req.add_header("Accept-Language", "id")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, data, timeout=30) as r:
                raw = r.read()
                return r.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw else None

    def token(self, username, password="jemput-demo-2024"):
        status, body = self.api("POST", "/auth/login", {"username": username, "password": password})
        assert status == 200, body
        return body["access_token"]


@pytest.fixture(scope="session")
def field_server():
    server = FieldServer()
    server.start()
    yield server
    server.stop()
    import shutil

    shutil.rmtree(server.data, ignore_errors=True)
