"""What a scenario step can wait for: named checks over the trainee's real state.

Each check is ``check(seat, **args) -> bool``: it looks at the trainee's office (its outbox, inbox,
certificate), the partners' offices in the sandbox, the folders, and which tab the app shows — the
same state the real screens change, so a trainee does the real thing and the check sees it. Checks
only read; they run in a worker thread (``Office`` is safe on threads) and never raise: a check
that cannot tell (no office yet, the relay away) answers False.

A scenario refers to checks by name (``until = "sent"``) with keyword ``args``; the loader checks the
names and the arguments against these signatures, so a typo is a finding with its line, not a crash
in the classroom.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional

from tui_client.core.spec.filenames import parse_filename


@dataclass
class Seat:
    """What the checks look at: one trainee's sandbox as it is now."""

    office: Optional[object] = None                 # the trainee's Office (None before set-up)
    partners: Dict[str, object] = field(default_factory=dict)   # demo id → Office in the background
    export_folder: Optional[Path] = None
    import_folder: Optional[Path] = None
    tab: str = ""                                   # the tab the app shows ("batch" …)
    marks: Dict[str, bool] = field(default_factory=dict)        # what the sandbox did ("fixed" …)


CHECKS: Dict[str, Callable[..., bool]] = {}


def check(fn: Callable[..., bool]) -> Callable[..., bool]:
    CHECKS[fn.__name__] = fn
    return fn


def _query(**kw):
    from tui_client.office.models import ListQuery

    return ListQuery(limit=1000, **kw)


def _kind_matches(name: str, kind: str) -> bool:
    return not kind or name.upper().startswith(kind.upper() + "_")


@check
def tab(seat: Seat, tab: str) -> bool:
    """The app shows this tab (home, inbox, outbox, batch, compose, drafts, archive)."""
    return seat.tab == tab


@check
def office_open(seat: Seat) -> bool:
    """The trainee's office is set up on this PC and its keystore is open."""
    return seat.office is not None


@check
def relay_reachable(seat: Seat) -> bool:
    return seat.office is not None and bool(seat.office.relay_status().reachable)


@check
def sent(seat: Seat, at_least: int = 1, kind: str = "") -> bool:
    """At least ``at_least`` items (of ``kind``, a filename prefix such as UPPLAN) have left the PC:
    the relay holds them or the partner has received them."""
    if seat.office is None:
        return False
    items = seat.office.outbox(_query()).items
    done = [i for i in items if i.state.value in ("sent", "received") and _kind_matches(i.name, kind)]
    return len(done) >= at_least


@check
def receipted(seat: Seat, at_least: int = 1) -> bool:
    """At least ``at_least`` sent items show 受信済み (the partner's signed receipt came back)."""
    if seat.office is None:
        return False
    return seat.office.outbox(_query(state="received")).total >= at_least


@check
def error_shelf(seat: Seat, at_least: int = 1) -> bool:
    """At least ``at_least`` items wait on the error shelf (refused, with the fix)."""
    return seat.office is not None and seat.office.error_shelf(_query()).total >= at_least


@check
def received(seat: Seat, at_least: int = 1, kind: str = "") -> bool:
    """At least ``at_least`` items (of ``kind``) are in the inbox."""
    if seat.office is None:
        return False
    items = seat.office.inbox(_query()).items
    return len([i for i in items if _kind_matches(i.name, kind)]) >= at_least


@check
def seen(seat: Seat, at_least: int = 1) -> bool:
    """At least ``at_least`` received items were opened (確認済み or saved after that)."""
    if seat.office is None:
        return False
    items = seat.office.inbox(_query()).items
    return len([i for i in items if i.state.value in ("seen", "saved")]) >= at_least


@check
def saved(seat: Seat, at_least: int = 1) -> bool:
    """At least ``at_least`` received items were saved to the import folder, and they are there."""
    if seat.office is None:
        return False
    items = [i for i in seat.office.inbox(_query(state="saved")).items]
    on_disk = [i for i in items if i.saved_to and (Path(i.saved_to) / i.name).exists()]
    return len(on_disk) >= at_least


@check
def export_clean(seat: Seat) -> bool:
    """Every care-plan file in the export folder passes the check without errors."""
    from tui_client.core.validate import validate_file

    folder = seat.export_folder
    if folder is None or not folder.is_dir():
        return False
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.upper() == ".CSV":
            if any(f.blocks_sending for f in validate_file(path.read_bytes(), path.name).findings):
                return False
    return True


@check
def export_sent(seat: Seat) -> bool:
    """Every care-plan file in the export folder has left the PC (the relay holds it or the partner
    has it), and there is at least one."""
    folder = seat.export_folder
    if seat.office is None or folder is None or not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir() if p.is_file() and p.suffix.upper() == ".CSV"}
    gone = {i.name for i in seat.office.outbox(_query()).items if i.state.value in ("sent", "received")}
    return bool(names) and names <= gone


@check
def marked(seat: Seat, mark: str) -> bool:
    """The sandbox did something the trainee asked for (``fixed``: the care software's fixed export)."""
    return bool(seat.marks.get(mark))


@check
def note_received(seat: Seat, partner: str, template: str) -> bool:
    """The partner (a demo id: cm, homecare …) received a note made from ``template``."""
    from tui_client.core import wire

    other = seat.partners.get(partner)
    if other is None:
        return False
    for rec in other.archive(_query(direction="received", kind="MSG")).items:
        msg = wire.decode_message(other.db.archive_content("received", rec.name) or b"")
        if msg is not None and msg.template == template:
            return True
    return False


@check
def certificate_days_left(seat: Seat, at_least: int) -> bool:
    """The office's certificate has at least ``at_least`` days left (after a renewal)."""
    if seat.office is None:
        return False
    return seat.office.certificate_status().days_left >= at_least


@check
def partner_has(seat: Seat, partner: str, at_least: int = 1, kind: str = "") -> bool:
    """The partner (a demo id) has received at least ``at_least`` files (of ``kind``) from the trainee."""
    other = seat.partners.get(partner)
    if other is None or seat.office is None:
        return False
    items = other.inbox(_query(partner=seat.office.number)).items
    mine = [i for i in items if _kind_matches(i.name, kind) and _sender(i.name) == seat.office.number]
    return len(mine) >= at_least


def _sender(name: str) -> str:
    parsed, _ = parse_filename(name)
    return getattr(parsed, "sender", "") if parsed is not None else ""


def safe(name: str, seat: Seat, args) -> bool:
    """Run a check; anything that goes wrong (relay away, office closing) reads as "not yet"."""
    try:
        return bool(CHECKS[name](seat, **dict(args)))
    except Exception:  # noqa: BLE001 - a check never breaks the classroom; it is asked again
        return False
