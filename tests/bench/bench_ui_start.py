"""Benchmark of the app's start, ratio against a named baseline (issue 15; method of issue 18).

Start to first frame, and peak RSS, of `tsunagi` (the app for a configured DEMO office: the
keystore opens in a worker after the first frame) against a minimal Textual app that shows one
label. Targets: <= 1.3x time, <= 1.2x RSS. Each start is a fresh child process in a real
pseudo-terminal of 80x24 (``ptyterm``); "first frame" is the first refresh after mount; the time is
from spawning the child; RSS is the child's peak (``wait4``, the process exits right after the first
frame). The two sides alternate, one warm-up each first (it fills the bytecode cache); the median
of the paired ratios is reported with min–max. ``--modules`` lists what our first frame imports
beyond the baseline's.

The inbox figures (bytes per cursor move, peak RSS with 1,000 items) are ``bench_inbox.py``'s.

Run: ``PYTHONPATH=$PWD .venv-test/bin/python tests/bench/bench_ui_start.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyterm import first_paint, paired, spawn  # noqa: E402

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
        open(sys.argv[-1], "w").write("FIRST %.6f\n" % time.time() + "\n".join(sorted(sys.modules)))
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
        open(sys.argv[-1], "w").write("FIRST %.6f\n" % time.time() + "\n".join(sorted(sys.modules)))
        self.exit()
m.TsunagiApp = Bench
app = m.office_app(sys.argv[1])
app._poll_enabled = False
app.run()
'''


def first_frame(code: str, *args: str):
    """Of one child run: (seconds from spawn to the first frame on the terminal, seconds to the
    child's first after-refresh callback, peak RSS in MB, modules loaded at that callback). The
    child writes the last two to a file: the terminal, stdout and stderr belong to Textual."""
    fd_, mark = tempfile.mkstemp(prefix="tsunagi-bench-mark-")
    os.close(fd_)
    try:
        pid, fd, start = spawn(code, *args, mark)
        painted, screen = first_paint(fd)
        _, _, usage = os.wait4(pid, 0)
        os.close(fd)
        text = Path(mark).read_text()
    finally:
        os.unlink(mark)
    if not text.startswith("FIRST ") or not painted:
        raise RuntimeError("no first frame: " + screen[-3000:].decode(errors="replace"))
    first, *modules = text.split("\n")
    return painted - start, float(first.split()[1]) - start, usage.ru_maxrss / 1024, modules


def demo_home() -> str:
    home = tempfile.mkdtemp(prefix="tsunagi-bench-ui-")
    from tui_client import office as office_mod

    office_mod.setup_demo_office("cm", "https://127.0.0.1:9", home)
    return home


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7, help="pairs (at least 5)")
    ap.add_argument("--modules", action="store_true", help="list the modules our first frame adds")
    args = ap.parse_args()
    home = demo_home()
    base_mods = first_frame(BASELINE)[-1]            # warm-up: fills the bytecode cache
    our_mods = first_frame(OURS, home)[-1]
    if args.modules:
        print("modules at the first frame beyond the one-label app's:",
              " ".join(sorted(set(our_mods) - set(base_mods))))
    frame, callback, rss = paired(lambda: first_frame(BASELINE)[:3], lambda: first_frame(OURS, home)[:3],
                                  max(5, args.runs))
    print(frame.line("spawn to first frame on the terminal", "ms", 1000, "<= 1.3x"))
    print(callback.line("spawn to the first after-refresh callback (earlier method)", "ms", 1000, "<= 1.3x"))
    print(rss.line("peak RSS at first frame", "MB", 1, "<= 1.2x"))


if __name__ == "__main__":
    main()
