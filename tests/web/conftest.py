"""Web page fixtures: a demo supply chain seeded once, copied into a fresh home per test, served by real uvicorn.

``web`` yields a :class:`WebServer` (base URL, home, demo tokens by ``org/role``). ``page`` is a Playwright page of
Debian's chromium in a fresh browser context (no shared cookies or storage between tests); tests that use it are
skipped with one reason when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.core.services import Services
from api.core.settings import Settings
from api.demo.seed import CREDENTIALS_FILE, seed
from ledger.embedded.ledger import EmbeddedLedger

CHROMIUM = Path("/usr/bin/chromium")
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
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DEMO_VEHICLES = 2


@dataclass
class WebServer:
    """A running app over a seeded demo home."""

    base_url: str
    home: Path
    tokens: dict[str, str]

    def token(self, key: str) -> str:
        """The demo bearer token of ``Org/role`` (e.g. ``OemMSP/compliance``)."""
        return self.tokens[key]

    def client(self, key: str | None = None) -> httpx.Client:
        """An HTTP client, authenticated as a demo ``Org/role`` when given (bearer header)."""
        headers = {"Authorization": f"Bearer {self.token(key)}"} if key else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60, follow_redirects=False)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo supply chain (two vehicles), seeded once; tests never touch it, they get copies."""
    home = tmp_path_factory.mktemp("web-demo") / "home"
    seed(home, vehicles=DEMO_VEHICLES)
    services = Services.start(Settings(home=home))
    try:
        height = EmbeddedLedger.open(home).store.height()
        assert services.wait_for_readmodel(height, timeout=60), "the read model did not catch up with the demo"
    finally:
        services.stop()
        EmbeddedLedger.close_all()
    return home


@pytest.fixture
def web(_demo_template: Path, tmp_path: Path) -> Iterator[WebServer]:
    """A fresh copy of the demo home served by uvicorn on 127.0.0.1 (stopped after the test)."""
    home = tmp_path / "home"
    shutil.copytree(_demo_template, home)
    port = _free_port()
    settings = Settings(home=home, host="127.0.0.1", port=port, readmodel_poll_seconds=0.05)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-web-test", daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not thread.is_alive():
            server.should_exit = True
            raise RuntimeError(f"{base}/healthz did not answer 200")
        time.sleep(0.05)
    creds = json.loads((home / CREDENTIALS_FILE).read_text())
    try:
        yield WebServer(base, home, {k: v["token"] for k, v in creds.items()})
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        EmbeddedLedger.close_all()


@pytest.fixture(scope="module")
def _browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright, launched per test module; each test gets its own context.

    Not per session: Playwright's sync API keeps an event loop running on the main thread while it is open, and
    the non-browser tests that follow (``asyncio.run``) must not inherit it.
    """
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(_browser: Any) -> Iterator[Callable[..., Any]]:
    """Open browser contexts (own cookies and storage) of any screen size; all closed after the test."""
    opened: list[Any] = []

    def make(width: int = 1280, height: int = 800, *, touch: bool = False) -> Any:
        context = _browser.new_context(viewport={"width": width, "height": height}, has_touch=touch)
        context.set_default_timeout(20_000)
        opened.append(context)
        return context

    try:
        yield make
    finally:
        for context in opened:
            context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a fresh 1280x800 browser context."""
    return new_context().new_page()


def sign_in(page: Any, web: WebServer, key: str) -> None:
    """Sign in through the form with a demo credential."""
    page.goto(web.base_url + "/sign-in")
    page.get_by_label("Credential").fill(web.token(key))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (looked at when the pages change)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
