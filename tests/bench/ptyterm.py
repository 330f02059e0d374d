"""The app in a real pseudo-terminal, as a user's terminal sees it: shared by the UI benches.

* ``spawn`` runs Python code in a child on a fresh pty of the given size (TERM=xterm-256color),
  with compiled bytecode as an installed package has it (``PYTHONPYCACHEPREFIX``: a shared
  cache, filled by a warm-up run; ``PYTHONDONTWRITEBYTECODE`` is dropped for the child, else every
  start of ours would recompile our modules while Textual's came precompiled from pip).
* ``drain`` reads what the child wrote until it has been quiet for a while.
* ``cursor_move_bytes`` is THE measure of bytes written per cursor move: the only function that
  presses a key and counts what the real terminal driver wrote for it.
* ``paired`` interleaves two sides and reports the median of the paired ratios with min–max.

Waiting for quiet uses wall-clock pauses: figures, not assertions (pytest does not collect this).
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import statistics
import struct
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
PYCACHE = os.path.join(tempfile.gettempdir(), "tsunagi-bench-pycache")
DOWN = b"\x1b[B"
CTRL_Q = b"\x11"
UP = b"\x1b[A"
#: A cursor move, the row in group 1: ``ESC[r;cH``, or the short forms ``ESC[rH`` and ``ESC[H``
#: (row 1) that the app's lean driver sends.
_MOVE_TO = re.compile(rb"\x1b\[(\d*)(?:;(\d+))?H")
#: The move to the top-left cell that starts a full frame, long or short.
_HOME = re.compile(rb"\x1b\[(?:1;1)?H")


def child_env() -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TERM="xterm-256color", PYTHONPYCACHEPREFIX=PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("COLORTERM", None)          # 256 colours, as over SSH; truecolor would cost more bytes
    return env


def spawn(code: str, *args: str, size: Tuple[int, int] = (80, 24)):
    """``(pid, master fd, spawn time)`` of ``python -c code args…`` on a fresh pty."""
    cols, rows = size
    env = child_env()
    start = time.time()
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(sys.executable, [sys.executable, "-c", code, *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd, start


def _reads(fd: int, quiet: float, limit: float):
    """What the child writes, read by read, until ``quiet`` seconds pass without output (at most
    ``limit``) or it has closed the terminal."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            return
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        yield chunk


def drain(fd: int, quiet: float = 1.0, limit: float = 60.0) -> bytes:
    """Everything the child writes until ``quiet`` seconds pass without output (at most ``limit``)."""
    return b"".join(_reads(fd, quiet, limit))


def first_paint(fd: int, quiet: float = 3.0, limit: float = 60.0) -> Tuple[float, bytes]:
    """``(time.time() when the terminal got the first screen paint, everything written)``: the first
    read holding a cursor move to the top-left cell, which Textual writes to start a full frame."""
    out, painted = b"", 0.0
    for chunk in _reads(fd, quiet, limit):
        if not painted and _HOME.search(out[-8:] + chunk):
            painted = time.time()
        out += chunk
    return painted, out


def finish(pid: int, fd: int) -> float:
    """Quit the app (ctrl+q), reap it; its peak RSS in MB (``wait4``)."""
    try:
        os.write(fd, CTRL_Q)
        drain(fd, quiet=1.0, limit=10)
    except OSError:
        pass
    _, _, usage = os.wait4(pid, 0)
    os.close(fd)
    return usage.ru_maxrss / 1024


@dataclass
class Moves:
    """Bytes the terminal got for each cursor move, split by whether the list scrolled."""

    per_move: List[int]
    scrolled: List[bool]

    @property
    def in_view(self) -> List[int]:
        return [b for b, s in zip(self.per_move, self.scrolled) if not s]

    @property
    def scrolling(self) -> List[int]:
        return [b for b, s in zip(self.per_move, self.scrolled) if s]


def cursor_move_bytes(fd: int, moves: int, key: bytes = DOWN, quiet: float = 0.5) -> Moves:
    """Press ``key`` ``moves`` times on a settled screen; count the bytes written after each press.
    A move whose output addresses more than 6 screen lines scrolled the list (every visible row is
    drawn again); those are kept apart, not hidden."""
    per_move, scrolled = [], []
    for _ in range(moves):
        os.write(fd, key)
        got = drain(fd, quiet=quiet, limit=10)
        per_move.append(len(got))
        scrolled.append(len({m.group(1) or b"1" for m in _MOVE_TO.finditer(got)}) > 6)
    return Moves(per_move, scrolled)


@dataclass
class Paired:
    base: List[float]
    ours: List[float]

    @property
    def ratios(self) -> List[float]:
        return [o / b for b, o in zip(self.base, self.ours)]

    def line(self, what: str, unit: str, scale: float, target: str) -> str:
        r = self.ratios
        return (f"{what}: baseline median {statistics.median(self.base) * scale:.1f} {unit}, "
                f"tsunagi median {statistics.median(self.ours) * scale:.1f} {unit}; ratio median "
                f"{statistics.median(r):.2f}x (min {min(r):.2f}x, max {max(r):.2f}x, {len(r)} pairs; "
                f"target {target})")


def paired(base: Callable[[], Sequence[float]], ours: Callable[[], Sequence[float]], runs: int,
           ) -> List[Paired]:
    """Run ``base`` and ``ours`` alternately ``runs`` times (the order flips every pair, so neither
    side always runs on a warmer machine); each returns a tuple of measures; one ``Paired`` per
    measure."""
    b_all, o_all = [], []
    for i in range(runs):
        if i % 2:
            o, b = ours(), base()
        else:
            b, o = base(), ours()
        b_all.append(b)
        o_all.append(o)
    return [Paired([b[k] for b in b_all], [o[k] for o in o_all]) for k in range(len(b_all[0]))]
