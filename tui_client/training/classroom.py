"""A classroom: N seats on one machine, one relay, and the trainer's view of every seat.

``prepare(folder, seats)`` makes the training CA, the relay's certificate and each seat's keystores
(``training.certs``: every seat's offices have their own numbers), and writes ``classroom.json``. The
trainer's command then runs the one relay for the room; each trainee runs ``tsunagi training start
SCENARIO --seat 席05 --dir FOLDER`` (over SSH, or in a browser through ``tsunagi serve``), which finds
``classroom.json`` and uses the room's relay instead of starting its own. ``room_rows`` reads every
seat's ``run.json`` for the trainer's view. Nothing here draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

from tui_client.training import certs
from tui_client.training.run import read_state

CLASSROOM = "classroom.json"
FORMAT = "tsunagi-classroom/1"


def seat_name(n: int) -> str:
    from tui_client.catalog import t

    return t("training.seat.name", n=n)


@dataclass(frozen=True)
class Classroom:
    folder: Path
    relay_url: str
    seats: tuple                         # seat names in order; a seat's number is its index + 1

    def seat_number(self, name: str) -> Optional[int]:
        return self.seats.index(name) + 1 if name in self.seats else None


def prepare(folder: Path, seats: int) -> Classroom:
    """CA, relay certificate and every seat's keystores (kept when they exist); no relay yet."""
    folder = Path(folder)
    certs.relay_server_files(folder / "ca")
    names = tuple(seat_name(n) for n in range(1, seats + 1))
    for n, name in enumerate(names, 1):
        certs.issue_seat(folder / "ca", folder / name / "certificates", n)
    return Classroom(folder, "", names)


def write(room: Classroom) -> None:
    doc = {"format": FORMAT, "relay_url": room.relay_url, "seats": list(room.seats)}
    (room.folder / CLASSROOM).write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def read(folder: Path) -> Optional[Classroom]:
    """The classroom prepared in ``folder``, or None (no classroom, or a file that cannot be read)."""
    try:
        doc = json.loads((Path(folder) / CLASSROOM).read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT or not doc.get("relay_url"):
            return None
        return Classroom(Path(folder), str(doc["relay_url"]), tuple(str(s) for s in doc["seats"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def end(folder: Path) -> None:
    """The room's relay is gone: seats started later run their own again."""
    try:
        (Path(folder) / CLASSROOM).unlink()
    except OSError:
        pass


@dataclass(frozen=True)
class SeatRow:
    seat: str
    title: str
    step: int                            # 1-based step on, or the number of steps when finished
    steps: int
    finished: bool
    mistakes: int
    last_mistake: str


def room_rows(folder: Path, seats=()) -> List[SeatRow]:
    """Every seat with a run, in seat order (and the named ``seats`` without one, as not started)."""
    folder = Path(folder)
    found = {p.parent.name: read_state(p) for p in sorted(folder.glob("*/run.json"))}
    names = list(seats) + sorted(n for n in found if n not in seats)
    rows = []
    for name in names:
        s = found.get(name)
        if not s:
            rows.append(SeatRow(name, "", 0, 0, False, 0, ""))
            continue
        mistakes = [m for m in s.get("mistakes") or [] if isinstance(m, dict)]
        steps = int(s.get("steps") or 0)
        rows.append(SeatRow(name, str(s.get("title") or ""), min(int(s.get("step") or 0) + 1, steps), steps,
                            bool(s.get("finished")), len(mistakes),
                            str(mistakes[-1].get("say") or "") if mistakes else ""))
    return rows
