"""Benchmarks of the app's start and screen updates, one run each, ratio against a named baseline.

1. Start to first frame, and peak RSS, of `tsunagi` (the app for a configured DEMO office: the
   keystore opens in a worker after the first frame) against a minimal Textual app that shows one
   label. Targets: <= 1.3x time, <= 1.2x RSS. Each runs in a fresh child process, in a real
   pseudo-terminal of 80x24; "first frame" is the first refresh after mount; the time is from
   spawning the child; RSS is the child's peak (``wait4``).
2. Bytes written to the terminal per cursor move in a 1,000-item inbox (target <= 1 KB): the app on
   the 受信 tab in a pty, 20 presses of the down key, output bytes counted after the screen is quiet.
3. Peak RSS with the 1,000-item inbox open (target <= 80 MB).

Run: ``PYTHONPATH=$PWD .venv-test/bin/python tests/bench/bench_ui_start.py``. Prints one line each.
"""

from __future__ import annotations

import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BASELINE = r'''
import sys, time
from textual.app import App
from textual.widgets import Label
class One(App):
    def compose(self):
        yield Label("tsunagi")
    def on_mount(self):
        self.call_after_refresh(self.first)
    def first(self):
        open(sys.argv[-1], "w").write("FIRST %.6f\n" % time.time())
        self.exit()
One().run()
'''

OURS = r'''
import sys, time
from tui_client.ui import app as m
class Bench(m.TsunagiApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(self.first)
    def first(self):
        open(sys.argv[-1], "w").write("FIRST %.6f\n" % time.time())
        self.exit()
m.TsunagiApp = Bench
app = m.office_app(sys.argv[1])
app._poll_enabled = False
app.run()
'''

INBOX = r'''
import sys, time
from datetime import datetime, timedelta, timezone
sys.path.insert(0, sys.argv[2])
from fixed import FixedServices, CM, HOMECARE
from tui_client.office.models import InboxItem, InboxState, Page, ListQuery
from tui_client.ui.app import TsunagiApp
T0 = datetime(2025, 5, 1, tzinfo=timezone.utc)
ITEMS = tuple(InboxItem(seq=i, key=f"k{i}", name=f"UPJSK_202505_{HOMECARE.office}_11_{CM.office}_43_2025060109{i:04d}.CSV",
                        kind="file", file_kind="UPJSK", month="202505", sender=HOMECARE, recipient=CM,
                        received_at=T0 + timedelta(minutes=i), state=InboxState.NEW, content_sha256="", size=900)
              for i in range(1000))
class Thousand(FixedServices):
    def inbox(self, query=ListQuery()):
        chosen = [i for i in ITEMS if not query.state or i.state.value == query.state]
        return Page(tuple(chosen[query.offset:query.offset + query.limit]), len(chosen), query.offset, query.limit)
app = TsunagiApp(Thousand(), home=sys.argv[1], poll=False, first_tab="inbox")
app.run()
'''


def _spawn(code: str, *args: str):
    """The child in a fresh 80x24 pty: (pid, master fd, start time)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color", COLUMNS="80", LINES="24")
    start = time.time()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-c", code, *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return pid, fd, start


def _drain(fd, quiet: float = 1.0, limit: float = 60.0) -> bytes:
    out = b""
    deadline = time.time() + limit
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], quiet)
        if not r:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    return out


def first_frame(code: str, *args: str):
    """(seconds from spawn to first frame, peak RSS in MB) of one child run (the child writes the
    time of its first frame to a file: the terminal, stdout and stderr belong to Textual)."""
    mark = tempfile.mktemp(prefix="tsunagi-bench-mark-")
    pid, fd, start = _spawn(code, *args, mark)
    screen = _drain(fd, quiet=3.0)
    _, _, usage = os.wait4(pid, 0)
    text = Path(mark).read_text() if os.path.exists(mark) else ""
    if not text.startswith("FIRST "):
        raise RuntimeError("no first frame: " + screen[-3000:].decode(errors="replace"))
    os.unlink(mark)
    return float(text.split()[1]) - start, usage.ru_maxrss / 1024


def demo_home() -> str:
    home = tempfile.mkdtemp(prefix="tsunagi-bench-ui-")
    from tui_client import office as office_mod

    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", home)
    return home


def main() -> None:
    home = demo_home()
    base_t, base_rss, ours_t, ours_rss = [], [], [], []
    for _ in range(3):          # interleaved, best of three each (one cold start is noise)
        t, r = first_frame(BASELINE)
        base_t.append(t)
        base_rss.append(r)
        t, r = first_frame(OURS, home)
        ours_t.append(t)
        ours_rss.append(r)
    bt, bt_ours = min(base_t), min(ours_t)
    br, br_ours = min(base_rss), min(ours_rss)
    print(f"first frame: one-label app {bt * 1000:.0f} ms, tsunagi {bt_ours * 1000:.0f} ms, "
          f"ratio {bt_ours / bt:.2f}x (target <= 1.3x)")
    print(f"peak RSS at first frame: one-label app {br:.1f} MB, tsunagi {br_ours:.1f} MB, "
          f"ratio {br_ours / br:.2f}x (target <= 1.2x)")

    pid, fd, _ = _spawn(INBOX, home, str(ROOT / "tests" / "ui"))
    _drain(fd, quiet=3.0)                         # first frame and the first page
    moves = 20
    total = 0
    for _ in range(moves):
        os.write(fd, b"\x1b[B")
        total += len(_drain(fd, quiet=0.3))
    os.write(fd, b"\x11")                         # ctrl+q
    _drain(fd, quiet=1.0, limit=10)
    _, _, usage = os.wait4(pid, 0)
    print(f"bytes per cursor move, 1,000-item inbox: {total / moves:.0f} B (target <= 1024 B)")
    print(f"peak RSS with the 1,000-item inbox open: {usage.ru_maxrss / 1024:.1f} MB (target <= 80 MB)")


if __name__ == "__main__":
    main()
