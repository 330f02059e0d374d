"""Instructions to the first frame (issue 15): a load-independent companion of ``bench_ui_start.py``.

Each side (the one-label baseline and ``tsunagi`` for a DEMO office, the same child programs as
``bench_ui_start.py``) runs once in a fresh 80x24 pseudo-terminal under ``valgrind --tool=callgrind``;
the child exits at its first after-refresh callback, so the count is start to first frame (plus the
exit). Instruction counts do not depend on how busy the machine is, unlike times; a warm-up run of
each side first fills the shared bytecode cache so neither side pays for compiling.

Run: ``PYTHONPATH=$PWD .venv-test/bin/python tests/bench/count_ui_start.py [--side ours|baseline|both]``.
Slow (valgrind runs the interpreter some 50x slower): a minute or two per side.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_ui_start import BASELINE, OURS, demo_home, first_frame  # noqa: E402
import bench_ui_start  # noqa: E402
import ptyterm  # noqa: E402

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def instructions(code: str, *args: str) -> int:
    """Instructions the child ran (callgrind's ``Collected``) from start to its first frame."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed")
    fd_, log = tempfile.mkstemp(prefix="tsunagi-callgrind-log-")
    os.close(fd_)
    out = tempfile.mkdtemp(prefix="tsunagi-callgrind-")
    real_exe = sys.executable
    # ptyterm.spawn execs sys.executable: point it at valgrind with the interpreter as its program.
    wrapper = Path(out) / "python-under-callgrind"
    wrapper.write_text(f'#!/bin/sh\nexec "{valgrind}" --tool=callgrind --log-file="{log}" '
                       f'--callgrind-out-file="{out}/callgrind.out" "{real_exe}" "$@"\n')
    wrapper.chmod(0o755)
    sys.executable = str(wrapper)
    # valgrind is silent for many seconds while the interpreter starts: wait for the paint longer
    bench_ui_start.first_paint = lambda fd: ptyterm.first_paint(fd, quiet=120.0, limit=1200.0)
    try:
        first_frame(code, *args)
        text = Path(log).read_text()
    finally:
        sys.executable = real_exe
        bench_ui_start.first_paint = ptyterm.first_paint
        os.unlink(log)
        shutil.rmtree(out, ignore_errors=True)
    found = _COLLECTED.search(text)
    if found is None:
        raise RuntimeError("no instruction count in valgrind's log:\n" + text[-2000:])
    return int(found.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", choices=("ours", "baseline", "both"), default="both")
    args = ap.parse_args()
    home = demo_home()
    sides = {"baseline": (BASELINE,), "ours": (OURS, home)}
    picked = list(sides) if args.side == "both" else [args.side]
    counts = {}
    for name in picked:
        first_frame(*sides[name])                       # warm-up: fills the bytecode cache
        counts[name] = instructions(*sides[name])
        print(f"{name}: {counts[name] / 1e6:.0f}M instructions to the first frame", flush=True)
    if len(counts) == 2:
        print(f"ratio {counts['ours'] / counts['baseline']:.2f}x (target <= 1.3x of time)")


if __name__ == "__main__":
    main()
