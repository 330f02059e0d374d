"""Benchmark: bytes the app sends to the terminal over a slow link (issue 17, "Reach": the client stays
usable over 64 kbit/s).

The whole app runs as ``tsunagi demo`` does (``demo_app``: a real relay child on loopback, the demo
care manager, the two demo providers working in the background: they receive and receipt, and send
this month's 実績 a few seconds after start) in a real pseudo-terminal, 80x24, TERM=xterm-256color,
256 colours (``ptyterm``, shared with bench_inbox.py: what is counted is what the real terminal driver
writes to the pty). Keys go in as a terminal sends them. Measured:

(a) the whole monthly cycle: open the app; 一括送信 (F4), the month is checked; send it (s); 送信
    (F3) shows the receipts (Ctrl+R asks the relay now); 受信 (F2) shows the providers' 実績; save
    them (s); quit (Ctrl+Q). Bytes per step and in all.
(b) one screen change: switching tab (F1..F4 in turn) on the settled app; the bytes per switch
    (``ptyterm.cursor_move_bytes``, the one key-and-count function, one press each).
(c) sitting still: the bytes per second written while the user only looks at ホーム or 送信 for
    20 s (the app polls the relay every 5 s).

Bytes are turned into seconds at 64 kbit/s = 8,000 bytes/s (no compression, as over a plain modem
or a congested mobile link; SSH compresses, so real links do better). "Usable" here: a tab change
reaches the screen in under 1 s at that speed.

    python tests/bench/bench_terminal_bytes.py [--runs 3]

Needs ``tests/bench/ptyterm.py`` (branch s2-perf, the shared pty module of the UI benches).
Not a test: pytest does not collect it. The steps wait for the terminal to go quiet (wall-clock
pauses, like the other UI benches): figures, not assertions. At the end it says whether the cycle
really happened (2 実績 files in the import folder, 受信済み drawn on the 送信 tab).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ptyterm import cursor_move_bytes, drain, finish, spawn  # noqa: E402

LINK = 8000                         # bytes per second at 64 kbit/s
USABLE_S = 1.0                      # a screen change should arrive within this at LINK
F1, F2, F3, F4 = b"\x1bOP", b"\x1bOQ", b"\x1bOR", b"\x1bOS"
CTRL_R = b"\x12"
IDLE_S = 20.0                       # sitting on a tab this long (four of the app's 5 s polls)

CHILD = r"""
import sys
from tui_client.ui.app import demo_app
demo_app("202505", home=sys.argv[1]).run()
"""

#: (step, keys, seconds of quiet that end it). The providers receipt within ~1 s of the send; Ctrl+R
#: asks the relay at once instead of waiting for the app's 5 s poll.
CYCLE = (
    ("一括送信 (F4): the month checked", F4, 3.0),
    ("send (s)", b"s", 3.0),
    ("送信 (F3), Ctrl+R: receipts", F3 + CTRL_R, 3.0),
    ("受信 (F2): the 実績", F2, 3.0),
    ("save (s)", b"s", 3.0),
)


def seconds(n: float) -> float:
    return round(n / LINK, 2)


def cycle(home: str) -> dict:
    pid, fd, _ = spawn(CHILD, home)
    steps = [("open the app (relay, offices, first screen)", len(drain(fd, quiet=4.0, limit=120)))]
    receipts_drawn = False
    for what, keys, quiet in CYCLE:
        os.write(fd, keys)
        got = drain(fd, quiet=quiet, limit=60)
        steps.append((what, len(got)))
        if keys.startswith(F3):
            receipts_drawn = "受信済み".encode() in got
    settled = drain(fd, quiet=1.0, limit=10)
    switches = []
    for key in (F1, F2, F3, F4) * 3:
        switches += cursor_move_bytes(fd, 1, key=key, quiet=0.7).per_move
    idle = {}
    for name, key in (("ホーム", F1), ("送信", F3)):
        os.write(fd, key)
        drain(fd, quiet=1.0, limit=10)
        idle[name] = len(drain(fd, quiet=IDLE_S, limit=IDLE_S))
    finish(pid, fd)
    saved = sorted(p.name for p in (Path(home) / "import").glob("UPJSK_*"))
    total = sum(n for _, n in steps) + len(settled)
    return {"steps": steps, "total": total, "switches": switches, "saved": saved,
            "receipts_drawn": receipts_drawn, "idle": idle}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-animations", action="store_true",
                    help="TEXTUAL_ANIMATIONS=none in the app (Textual's own switch; no tab underline slide)")
    args = ap.parse_args()
    if args.no_animations:
        os.environ["TEXTUAL_ANIMATIONS"] = "none"       # ptyterm's child environment is ours
    runs = [cycle(tempfile.mkdtemp(prefix="bench-termbytes-")) for _ in range(max(1, args.runs))]
    last = runs[-1]
    switches = [b for r in runs for b in r["switches"]]
    tab = statistics.median(switches)
    print(json.dumps({
        "size": "80x24", "link_bytes_per_s": LINK, "runs": len(runs),
        "cycle_steps_bytes": {what: n for what, n in last["steps"]},
        "cycle_total_bytes": [r["total"] for r in runs],
        "cycle_total_s_at_64kbit": [seconds(r["total"]) for r in runs],
        "tab_switch_bytes": {"median": tab, "min": min(switches), "max": max(switches), "n": len(switches)},
        "tab_switch_s_at_64kbit": {"median": seconds(tab), "max": seconds(max(switches))},
        "stays_usable": seconds(max(switches)) < USABLE_S,
        "idle_bytes_per_s": {tab: round(n / IDLE_S) for tab, n in last["idle"].items()},
        "animations": "none" if args.no_animations else "default",
        "cycle_happened": {"actuals_saved": [len(r["saved"]) for r in runs],
                           "receipts_drawn": [r["receipts_drawn"] for r in runs]},
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
