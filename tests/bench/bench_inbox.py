"""Benchmark: the inbox tab with 1,000 received items, as a terminal sees it.

The app runs in a real pseudo-terminal (80x24, TERM=xterm-256color) on a real Office whose client
store holds 1,000 received 実績 files. We count the bytes the app writes for each cursor move (↓)
and the peak memory of the app process (VmHWM, read by the app itself at exit).
Targets (issue 15): ≤ 1 KB per cursor move; ≤ 80 MB peak RSS with a 1,000-item inbox open.

    python tests/bench/bench_inbox.py [--items 1000] [--moves 15]

Not a test: pytest does not collect it. Moves that scroll the list repaint every row and are
reported apart. Waiting for the terminal to go quiet uses wall-clock pauses: figures, not assertions.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CHILD = r"""
import atexit, json, os, sys
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "ui"))
from inboxhelp import InboxApp, received_office
from tui_client.core import samples
from tui_client.core.spec.filenames import build_filename
home, items, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
data = samples.actuals_file("202505", samples.HOME_HELP, samples.users(1))[1]
files = [(build_filename("UPJSK", samples.HOME_HELP.number, samples.CARE_MANAGER.number,
                         f"2025{6 + i // 28800:02d}{1 + (i // 1440) % 28:02d}{(i // 60) % 24:02d}{i % 60:02d}00",
                         month="202505", sender_service="11", recipient_service="43"), data)
         for i in range(items)]
office = received_office(home, files)
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
atexit.register(lambda: open(out, "w").write(json.dumps({"hwm_kb": hwm()})))
InboxApp(office).run()
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--moves", type=int, default=15)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-inbox-")
    out = os.path.join(tmp, "hwm.json")
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", PYTHONPATH=ROOT)
        os.execv(sys.executable, [sys.executable, "-c", CHILD, ROOT, os.path.join(tmp, "pc"),
                                  str(args.items), out])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

    def drain(quiet: float, limit: float = 120.0) -> bytes:
        buf, start, last = b"", time.monotonic(), time.monotonic()
        while time.monotonic() - start < limit:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                buf += chunk
                last = time.monotonic()
            elif buf and time.monotonic() - last > quiet:
                break
        return buf

    first = drain(quiet=3.0)
    moves, scrolls = [], []
    for _ in range(args.moves):
        os.write(fd, b"\x1b[B")
        got = drain(quiet=0.5, limit=10)
        # a move that scrolls the list repaints every row: those are counted apart
        (scrolls if got.count(b"\x1b[") > 400 else moves).append(len(got))
    os.write(fd, b"\x11")                       # ctrl+q
    drain(quiet=1.0, limit=10)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    hwm = json.load(open(out))["hwm_kb"] if os.path.exists(out) else None
    print(json.dumps({
        "items": args.items, "first_frame_bytes": len(first),
        "bytes_per_cursor_move_median": statistics.median(moves) if moves else None,
        "bytes_per_cursor_move_max": max(moves) if moves else None,
        "scrolling_moves": scrolls,
        "peak_rss_mb": round(hwm / 1024, 1) if hwm else None,
    }, indent=1))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    main()
