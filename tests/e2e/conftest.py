"""Browser tests: the web view served by uvicorn on 127.0.0.1 (port 0) over a seeded store,
driven by Playwright with Debian's chromium (never a downloaded browser).

The chromium binary is installed here when missing and we may (root + apt-get), else the
tests are skipped with the command to run; ``make test`` installs it first
(``make test-browser-deps``). Screenshots go to ``test-output/`` (gitignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot.web.app import WebContext, create_app
from tests.unit.web.seed import NOW, Seeded, open_seeded

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the `test` extra)")

CHROMIUM = os.environ.get("SIGNALS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
OUT = Path(__file__).resolve().parents[2] / "test-output"
TOKEN = "e2e-admin-token-0123456789"


def _ensure_chromium() -> str:
    for candidate in (CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "chromium"], check=False, timeout=900,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if Path(CHROMIUM).exists():
            return CHROMIUM
    pytest.skip("chromium is not installed: run `make test-browser-deps` (apt-get install -y chromium)")


@dataclass
class Server:
    url: str
    seeded: Seeded


@contextmanager
def serve(seeded: Seeded, env: dict[str, str]) -> Iterator[Server]:
    app = create_app(WebContext(settings=seeded.settings, store=seeded.store, env=env, extra={"clock": lambda: NOW}),
                     parts=["bot.web.views"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Server(f"http://127.0.0.1:{port}", seeded)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    s = open_seeded(str(tmp_path_factory.mktemp("web") / "signals.db"))
    yield s
    s.store.close()


@pytest.fixture(scope="session")
def server(seeded: Seeded) -> Iterator[Server]:
    """SIGNALS_WEB_TOKEN unset: local-only, read-only."""
    with serve(seeded, env={}) as srv:
        yield srv


@pytest.fixture(scope="session")
def admin_server(seeded: Seeded) -> Iterator[Server]:
    with serve(seeded, env={"SIGNALS_WEB_TOKEN": TOKEN}) as srv:
        yield srv


@pytest.fixture(scope="module")  # Playwright's sync API owns an event loop: stop it before other tests run
def browser() -> Iterator[Any]:
    path = _ensure_chromium()
    OUT.mkdir(exist_ok=True)
    pw = sync_api.sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=path, args=ARGS, headless=True)
        yield b
        b.close()
    finally:
        pw.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    p = ctx.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    # a 403 for a wrong token is expected; a script or stylesheet that fails to load is not
    p.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text
         else None)
    p.on("response", lambda r: errors.append(f"{r.status} {r.url}") if "/static/" in r.url and r.status >= 400
         else None)
    yield p
    ctx.close()
    assert dialogs == [], f"a script from feed text ran: {dialogs}"
    assert errors == [], f"browser errors: {errors}"


def shot(page: Any, name: str, full: bool = True) -> None:
    page.screenshot(path=str(OUT / f"web-{name}.png"), full_page=full)
