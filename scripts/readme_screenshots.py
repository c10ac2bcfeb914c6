"""Re-take the README's screenshots from the demo exactly as ``make run`` seeds it (``make screenshots``).

Seeds the default demo into a temporary home, serves it on 127.0.0.1, and with Debian's chromium signs in as the
OEM's compliance analyst (dashboard) and as its receiving station (after scanning one vehicle label), saving
1280x800 views to ``docs/img``. Run it when a page or the demo story changes.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from api.app import create_app
from api.core.settings import Settings
from api.demo.seed import CREDENTIALS_FILE, seed
from ledger.embedded.ledger import EmbeddedLedger

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
#: The demo's first vehicle, as its Data Matrix reads (GS1 element string with FNC1 as "(01)...(21)...").
VEHICLE_LABEL = "(01)07501055001101(21)BJC-000001"
#: (demo credential, page, file name)
SHOTS = (("OemMSP/compliance", "/oem", "oem-dashboard"), ("OemMSP/station", "/station", "station"))


def _serve(home: Path) -> tuple[uvicorn.Server, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(home=home, host="127.0.0.1", port=port)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{base}/healthz did not answer 200")


def main() -> int:
    """Take both screenshots; exit 2 with one line when chromium is missing."""
    if not CHROMIUM.exists():
        print(f"needs Debian's chromium at {CHROMIUM} (scripts/setup.sh installs it)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "demo"
        seed(home)
        tokens = {k: v["token"] for k, v in json.loads((home / CREDENTIALS_FILE).read_text()).items()}
        server, base = _serve(home)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
                for key, path, name in SHOTS:
                    context = browser.new_context(viewport=VIEWPORT)
                    page = context.new_page()
                    page.goto(base + "/sign-in")
                    page.get_by_label("Credential").fill(tokens[key])
                    page.get_by_role("button", name="Sign in").click()
                    page.goto(base + path)
                    if name == "station":
                        page.keyboard.type(VEHICLE_LABEL)
                        page.keyboard.press("Enter")
                        page.locator("#verdict").get_by_text("OK").first.wait_for()
                    OUT.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    print(OUT / f"{name}.png")
                    context.close()
                browser.close()
        finally:
            server.should_exit = True
            time.sleep(0.5)
            EmbeddedLedger.close_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
