"""Benchmark: the 受信 tab with 1,000 received items, as a terminal sees it (issue 15).

The whole app (``TsunagiApp``: status line, tabs, footer) runs in a real pseudo-terminal (80x24,
TERM=xterm-256color, see ``ptyterm``) on a real ``Office`` whose client store holds 1,000 received
実績 files (built beforehand by this process, so the app's figures are the app's alone). Measured:

* bytes the real terminal driver writes per cursor move once the screen has settled, on a walk of
  ``--walk`` rows down (↓) and as many back up (↑) — by ``ptyterm.cursor_move_bytes``, the one
  measuring function. Moves inside the visible rows and moves that scroll the list (every visible
  row drawn again; the list jumps half a page at a time) are reported apart, and the mean over the
  whole walk. Target: <= 1 KB per cursor move.
* peak RSS of the app process with the 1,000-item inbox open (``wait4``). Target: <= 80 MB.

    python tests/bench/bench_inbox.py [--items 1000] [--walk 100] [--runs 5]

Not a test: pytest does not collect it. Waiting for the terminal to go quiet uses wall-clock
pauses: figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyterm import DOWN, ROOT, UP, cursor_move_bytes, drain, finish, spawn  # noqa: E402

CHILD = r"""
import sys
from tui_client.office import Office
from tui_client.ui.app import TsunagiApp
from tui_client.ui.services import Services
office, findings = Office.open(sys.argv[1], home=sys.argv[2])
assert office is not None, findings
TsunagiApp(Services(office), home=sys.argv[2], poll=False, first_tab="inbox").run()
"""


def build_office(home: str, items: int) -> str:
    """A demo office whose inbox holds ``items`` received files; its office number."""
    sys.path.insert(0, str(ROOT / "tests" / "ui"))
    from inboxhelp import received_office

    from tui_client.core import samples
    from tui_client.core.spec.filenames import build_filename

    data = samples.actuals_file("202505", samples.HOME_HELP, samples.users(1))[1]
    files = [(build_filename("UPJSK", samples.HOME_HELP.number, samples.CARE_MANAGER.number,
                             f"2025{6 + i // 28800:02d}{1 + (i // 1440) % 28:02d}{(i // 60) % 24:02d}"
                             f"{i % 60:02d}00", month="202505", sender_service="11", recipient_service="43"),
              data) for i in range(items)]
    office = received_office(home, files)
    number = office.number
    office.close()
    return number


def one_run(number: str, home: str, walk: int):
    """``(first frame bytes, [the walk down, the walk up], peak RSS MB)``."""
    pid, fd, _ = spawn(CHILD, number, home)
    first = drain(fd, quiet=3.0)                    # first frame, the first page, the detail line
    got = [cursor_move_bytes(fd, walk, DOWN), cursor_move_bytes(fd, walk, UP)]
    rss = finish(pid, fd)
    return len(first), got, rss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--walk", type=int, default=100, help="rows down, then as many up, per run")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="bench-inbox-")
    number = build_office(home, args.items)
    one_run(number, home, 2)                        # warm-up: fills the bytecode cache
    in_view, scrolling, every, rss, first = [], [], [], [], []
    for _ in range(args.runs):
        f, walks, r = one_run(number, home, args.walk)
        first.append(f)
        for got in walks:
            in_view += got.in_view
            scrolling += got.scrolling
            every += got.per_move
        rss.append(r)
    med = statistics.median
    print(json.dumps({
        "items": args.items, "runs": args.runs, "moves_per_run": 2 * args.walk,
        "first_frame_bytes_median": med(first),
        "bytes_per_move_in_view": {"median": med(in_view), "min": min(in_view), "max": max(in_view),
                                   "moves": len(in_view)} if in_view else None,
        "bytes_per_move_scrolling": {"median": med(scrolling), "min": min(scrolling), "max": max(scrolling),
                                     "moves": len(scrolling)} if scrolling else None,
        "bytes_per_move_walk_mean": round(sum(every) / len(every)),
        "peak_rss_mb": {"median": round(med(rss), 1), "min": round(min(rss), 1), "max": round(max(rss), 1)},
    }, indent=1))


if __name__ == "__main__":
    main()
