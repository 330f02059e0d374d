"""`tsunagi serve`: the app through textual-serve on 127.0.0.1, opened in real headless Chromium, and
the home screen's text found in the page.

textual-serve's page draws with xterm.js on a canvas, so the text is in the terminal's buffer, not in
the DOM. The test drives Chromium over the DevTools protocol: it lets the page load textual-serve's
own ``textual.js`` with one change (the page's terminal object is also kept as ``window.__textual``),
then reads the rows of the real xterm.js buffer the browser drew
(``buffer.active.getLine(y).translateToString()``) until the ホーム tab, the home screen's title and
a line of its list are there. Every wait is bounded; the server and the browser are killed by PID (process groups).

Skipped (with the reason) when the ``serve`` extra (textual-serve), ``websockets`` (test extra) or
Debian's ``chromium`` is not installed; tests/ci.sh installs them.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tui_client.catalog import t

ROOT = Path(__file__).resolve().parents[2]
#: where textual.js makes the page's one terminal; we keep a handle to it (``t`` is its ``w`` object)
HOOK_FROM = "t.fit(),s||t.connect()"
HOOK_TO = "t.fit(),window.__textual=t,s||t.connect()"
READ_SCREEN = """(() => { const x = window.__textual; if (!x) return null;
  const b = x.terminal.buffer.active, rows = [];
  for (let y = 0; y < x.terminal.rows; y++) { const l = b.getLine(y); rows.push(l ? l.translateToString(true) : ""); }
  return rows.join("\\n"); })()"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, tries: int = 150) -> None:
    for _ in range(tries):                      # bounded: a server binds within seconds
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


class DevTools:
    """The smallest DevTools-protocol client: one page target, commands answered in order."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def send(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        for _ in range(10_000):                 # bounded: events arrive between the answers
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)
        raise AssertionError(f"no answer to {method}")

    def event(self, method: str, timeout: float = 30.0):
        """The next event ``method`` (earlier ones that arrived meanwhile are kept in order)."""
        for i, msg in enumerate(self.events):
            if msg.get("method") == method:
                return self.events.pop(i)["params"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if msg.get("method") == method:
                return msg["params"]
            self.events.append(msg)
        raise AssertionError(f"no {method} within {timeout} s")


def _browser(chromium: str, profile: Path):
    """Headless Chromium with its DevTools port on loopback: (process, page websocket URL)."""
    proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                             "--no-first-run", "--disable-background-networking", "--disable-component-update",
                             "--disable-sync", f"--user-data-dir={profile}", "--remote-debugging-address=127.0.0.1",
                             "--remote-debugging-port=0", "--window-size=1280,800", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    active = profile / "DevToolsActivePort"
    for _ in range(300):                        # bounded: Chromium writes its port within seconds
        if active.exists() and active.read_text().strip():
            break
        time.sleep(0.1)
    port = int(active.read_text().split()[0])
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
        pages = [p for p in json.load(r) if p.get("type") == "page"]
    return proc, pages[0]["webSocketDebuggerUrl"]


def _stop(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_serve_shows_the_home_screen_in_headless_chromium(tmp_path):
    textual_serve = pytest.importorskip("textual_serve", reason="the serve extra (textual-serve) is not installed")
    pytest.importorskip("websockets.sync.client", reason="websockets (test extra) is not installed")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    bundle = Path(textual_serve.__file__).with_name("static") / "js" / "textual.js"
    assert HOOK_FROM in bundle.read_text(), "textual-serve's page changed: update HOOK_FROM"
    from tui_client import office as office_mod

    from tui_client.ui import settings as app_settings

    home = tmp_path / "home"
    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", str(home))
    # a PC where the first start's question (guided mode or not) was answered: the home screen opens
    assert app_settings.save(app_settings.AppSettings(guided=False), str(home)) == []
    port = _free_port()
    env = dict(os.environ, TSUNAGI_HOME=str(home))
    server = subprocess.Popen([sys.executable, "-m", "tui_client", "serve", "--port", str(port)],
                              cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    browser = None
    try:
        _wait_port(port)
        browser, page_url = _browser(chromium, tmp_path / "chromium")
        from websockets.sync.client import connect

        with connect(page_url, max_size=None, open_timeout=20) as ws:
            page = DevTools(ws)
            page.send("Fetch.enable", patterns=[{"urlPattern": "*textual.js*", "requestStage": "Response"}])
            page.send("Page.navigate", url=f"http://127.0.0.1:{port}/")
            paused = page.event("Fetch.requestPaused")
            body = page.send("Fetch.getResponseBody", requestId=paused["requestId"])
            js = base64.b64decode(body["body"]).decode() if body.get("base64Encoded") else body["body"]
            page.send("Fetch.fulfillRequest", requestId=paused["requestId"], responseCode=200,
                      responseHeaders=[{"name": "Content-Type", "value": "application/javascript"}],
                      body=base64.b64encode(js.replace(HOOK_FROM, HOOK_TO).encode()).decode())
            page.send("Fetch.disable")
            # the tab, the title, and a line of the list that the office, once open, fills
            wanted = (t("tab.home") + " F1", t("home.title"), t("home.open_setup"))
            screen = ""
            for _ in range(300):                # bounded: the app's first frame comes within seconds
                screen = page.send("Runtime.evaluate", expression=READ_SCREEN, returnByValue=True)[
                    "result"].get("value") or ""
                if all(w in screen for w in wanted):
                    break
                time.sleep(0.1)
            assert all(w in screen for w in wanted), screen
    finally:
        if browser is not None:
            _stop(browser)
        _stop(server)
