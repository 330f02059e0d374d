"""The one adapter between the screens and the engine (``tui_client.office.Office``).

Screens call these methods ONLY from Textual workers (``@work(thread=True)``): every one may wait on
the disk or the network. They return the typed values of ``office/models.py`` (and the few batch
values below), never a dict from the spool or a relay response, and they never raise for anything a
user can get wrong: problems come back as ``FindingSummary`` values.

While the engine's typed methods (``Office.inbox(query)``, ``outbox(query)`` …, branch ``store``)
are being built, this module makes them from the current ``Office``; when they land, only this file
changes. A screen never parses CSV, builds an HTTP request or touches ``cryptography``: that is why
this module imports the engine lazily, inside the methods (the first frame must not wait for it).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from tui_client.core.findings import FindingCounts
from tui_client.office.models import (
    CertificateStatus,
    FindingSummary,
    InboxState,
    ListQuery,
    OutboxItem,
    OutboxState,
    Page,
    Partner,
    Party,
    RelayStatus,
)

NamedFile = Tuple[str, bytes]


def summary(finding) -> FindingSummary:
    """A core ``Finding`` as the screens keep it."""
    return FindingSummary(code=finding.code, row=finding.row, column=finding.column,
                          field=finding.field or "", value=str(finding.value or ""),
                          params=tuple((str(k), str(v)) for k, v in dict(finding.params).items())
                          + ((("file", finding.file),) if getattr(finding, "file", "") else ()))


def _name_facts(name: str) -> dict:
    """file kind, month and bundle serial from an item's name (pure, no I/O)."""
    from tui_client.core import route

    r, _ = route.route(name)
    if r is None:
        return {"file_kind": "", "month": None, "bundle": ""}
    if r.parsed is None:
        return {"file_kind": "MSG", "month": None, "bundle": ""}
    return {"file_kind": r.parsed.prefix, "month": r.parsed.month, "bundle": r.serial}


# --- batch values (what the 一括送信 tab shows before anything leaves the PC) ------------------

@dataclass(frozen=True)
class BatchFile(FindingCounts):
    """One file of an export folder: its check result and where it will go."""

    name: str
    file_kind: str
    month: Optional[str]
    recipient: Optional[Party]
    bundle: str
    findings: Tuple[FindingSummary, ...] = ()
    reachable: Optional[bool] = None        # None: the directory could not be asked
    sent: bool = False                      # already in this office's outbox or sent archive
    held: bool = False                      # fine itself, but its bundle has an error: stays whole

    @property
    def sendable(self) -> bool:
        return (self.recipient is not None and self.errors == 0 and self.reachable is not False
                and not self.sent and not self.held)


def hold_bundles(files: List[BatchFile]) -> List[BatchFile]:
    """Mark the files whose bundle (same recipient and ファイル連番) has a file that cannot go: a
    bundle travels whole or not at all."""
    from dataclasses import replace

    blocked = {(f.recipient.office if f.recipient else "", f.bundle) for f in files
               if not f.sendable and not f.sent}
    return [replace(f, held=True) if f.sendable and (f.recipient.office, f.bundle) in blocked else f
            for f in files]


@dataclass
class BatchPlan:
    folder: str
    files: List[BatchFile] = field(default_factory=list)
    findings: Tuple[FindingSummary, ...] = ()   # about the folder or the batch as a whole
    prepared: object = None                     # the engine's Prepared, handed back to send()

    @property
    def sendable(self) -> List[BatchFile]:
        return [f for f in self.files if f.sendable]

    def bundles(self) -> Dict[Tuple[str, str, str], List[BatchFile]]:
        """Files grouped by (recipient office, site, bundle serial), in the order they will go."""
        out: Dict[Tuple[str, str, str], List[BatchFile]] = {}
        for f in self.files:
            key = (f.recipient.office if f.recipient else "", (f.recipient.service or "") if f.recipient
                   else "", f.bundle)
            out.setdefault(key, []).append(f)
        return dict(sorted(out.items()))


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    waiting: int = 0
    shelved: int = 0
    findings: Tuple[FindingSummary, ...] = ()


@dataclass(frozen=True)
class ReceiveResult:
    count: int = 0
    kinds: Tuple[str, ...] = ()
    findings: Tuple[FindingSummary, ...] = ()


@dataclass(frozen=True)
class HomeSummary:
    """Everything the home tab ranks by urgency."""

    new_arrivals: int = 0
    new_kinds: Tuple[str, ...] = ()
    waiting: int = 0
    errors: Tuple[OutboxItem, ...] = ()
    receipts: int = 0                       # items whose signed receipt came back
    certificate: Optional[CertificateStatus] = None
    relay: Optional[RelayStatus] = None
    partners: Tuple[Partner, ...] = ()


# --- compose (新規作成) and drafts (下書き) -------------------------------------------------------
# Screens call these from workers like the rest; files are read here, never on a screen.

@dataclass(frozen=True)
class Recipient:
    """One address a message can go to: an office and, for an office with several sites, one site
    (its service-type code and that type's name)."""

    office: str
    service: str = ""
    name: str = ""
    service_name: str = ""
    on_system: bool = True


@dataclass(frozen=True)
class PickedFile(FindingCounts):
    """A file picked in compose: an attachment (checked by content) or a care-plan CSV (checked
    against the chosen recipient's registered service types). ``name`` is what it is sent as,
    ``shown`` the name made safe to show."""

    name: str
    shown: str
    data: bytes
    role: str                               # "attachment" or "file"
    kind: str = ""                          # attachments: pdf, jpeg … (core.attachments)
    findings: Tuple[FindingSummary, ...] = ()
    sha256: str = ""                        # of ``data``, computed here (in a worker), not per keystroke


def recipients_of(partners: Sequence[Partner]) -> List[Recipient]:
    """Every address of these partners: one per site (service type) for an office with several."""
    from tui_client.core.spec.codes import SERVICE_TYPES

    out: List[Recipient] = []
    for p in partners:
        sites = p.services or ("",)
        for service in sites:
            kind = SERVICE_TYPES.get(service)
            out.append(Recipient(p.office, service, p.name,
                                 kind.name if kind else "", p.on_system))
    return out


def match_recipients(recipients: Sequence[Recipient], text: str) -> List[Recipient]:
    """Addresses whose number, name or service type contains ``text`` (all when it is empty)."""
    needle = text.strip()
    if not needle:
        return list(recipients)
    return [r for r in recipients
            if needle in r.office or needle in r.name or needle in r.service_name or needle == r.service]


class ComposeServices:
    """Mixed into ``Services``: the calls of the 新規作成 and 下書き tabs."""

    def note_attachments(self, note, pdf: bool) -> Tuple[List[Tuple[str, bytes]], Tuple[FindingSummary, ...]]:
        """A filled template note's PDF as an attachment when ``pdf`` (none otherwise), or why not."""
        if not pdf:
            return [], ()
        from tui_client.office.notes import note_pdf

        made, findings = note_pdf(note)
        return ([made] if made is not None else []), tuple(summary(f) for f in findings)

    def lookup_office(self, number: str) -> Tuple[List[Recipient], Tuple[FindingSummary, ...]]:
        """A typed 10-digit office number asked of the relay's directory: its sites, or why not."""
        number = number.strip()
        if not (len(number) == 10 and number.isdigit()):
            return [], (FindingSummary("E-DRAFT-005", value=number),)
        if self.office is None:
            return [], ()
        try:
            found, findings = self.office.partners([number])
        except Exception as exc:  # noqa: BLE001
            return [], (_unexpected(exc),)
        if findings:
            return [], tuple(summary(f) for f in findings)
        on = [p for p in found if p.on_system]
        if not on:
            return [], (FindingSummary("E-DRAFT-006", value=number),)
        return recipients_of(on), ()

    def read_attachments(self, paths: Sequence[str]) -> List[PickedFile]:
        """Read and check files to attach (by content; the name's extension decides nothing)."""
        read, unreadable = _read_all(paths, "attachment")
        return self.attach_bytes(read) + unreadable

    def attach_bytes(self, items: Sequence[Tuple[str, bytes]]) -> List[PickedFile]:
        """Check attachments given as (name, bytes): a template's PDF, a draft's files."""
        from tui_client.core.attachments import check_attachment

        out = []
        for name, data in items:
            c = check_attachment(name, data)
            out.append(PickedFile(c.name, c.shown, data, "attachment", c.kind, tuple(summary(f) for f in c.findings),
                                  hashlib.sha256(data).hexdigest()))
        return out

    def message_findings(self, attachments: Sequence[PickedFile], text: str) -> Tuple[FindingSummary, ...]:
        """Problems of the message as a whole: the attachments' total size, the relay's limit,
        two attachments with one name."""
        from tui_client.core.attachments import check_attachments

        _, whole = check_attachments([(a.name, a.data) for a in attachments], text)
        return tuple(summary(f) for f in whole)

    def check_files(self, files: Sequence[Tuple[str, bytes]], recipient: Optional[Recipient]) -> List[PickedFile]:
        """Care-plan CSV files checked on the spot: the layout, and the name against the chosen
        recipient (its number and its registered service types, from the directory)."""
        from tui_client.core.safetext import printable
        from tui_client.office.drafts import other_recipient

        if not files:
            return []
        per_file: Dict[str, List[FindingSummary]] = {}
        if self.office is not None:
            with self._lock:
                try:
                    prepared = self.office.prepare(list(files))
                except Exception as exc:  # noqa: BLE001
                    prepared = None
                    per_file[""] = [_unexpected(exc)]
            for f in prepared.all_findings() if prepared is not None else ():
                per_file.setdefault(Path(f.file).name if f.file else "", []).append(summary(f))
        out = []
        for name, data in files:
            found = list(per_file.get(name, ())) + list(per_file.get("", ()))
            other = other_recipient(name, recipient.office, recipient.service) if recipient else None
            if other is not None:
                found.append(summary(other))
            out.append(PickedFile(name, printable(name), data, "file", "csv", tuple(found),
                                  hashlib.sha256(data).hexdigest()))
        return out

    def read_files(self, paths: Sequence[str], recipient: Optional[Recipient]) -> List[PickedFile]:
        read, unreadable = _read_all(paths, "file")
        return self.check_files(read, recipient) + unreadable

    def save_draft(self, draft) -> Tuple[str, int, Tuple[FindingSummary, ...]]:
        """(id, updated_seq, findings): a draft written to the office database."""
        if self.office is None:
            return draft.id, 0, ()
        try:
            draft_id, updated = self.office.save_draft(draft)
        except Exception as exc:  # noqa: BLE001 - a full disk: the text stays on screen
            return draft.id, 0, (FindingSummary("E-DRAFT-002", params=(("reason", type(exc).__name__),)),)
        return draft_id, updated, ()

    def drafts(self, query: ListQuery = ListQuery()) -> Page:
        if self.office is None:
            return Page((), 0)
        return self.office.drafts(query)

    def draft(self, draft_id: str):
        return self.office.draft(draft_id) if self.office is not None else None

    def delete_draft(self, draft_id: str) -> bool:
        return bool(self.office is not None and self.office.delete_draft(draft_id))

    def send_draft(self, draft_id: str) -> SendResult:
        """Send a saved draft (files, then the message); the draft goes once the message is queued."""
        if self.office is None:
            return SendResult()
        with self._lock:
            try:
                report = self.office.send_draft(draft_id)
            except Exception as exc:  # noqa: BLE001
                return SendResult(findings=(_unexpected(exc),))
        return SendResult(len(report.sent) + len(report.duplicates) + len(report.already_sent),
                          len(report.waiting), len(report.shelved), tuple(summary(f) for f in report.findings))


def _read_all(paths: Sequence[str], role: str) -> Tuple[List[Tuple[str, bytes]], List[PickedFile]]:
    """The files read whole, and one entry per file that could not be read, saying why."""
    read, unreadable = [], []
    for path in paths:
        try:
            read.append((Path(path).name, Path(path).read_bytes()))
        except OSError as exc:
            name = Path(path).name
            unreadable.append(PickedFile(name, name, b"", role, "", (summary(_finding("E-FILE-001", str(path), exc)),)))
    return read, unreadable


class Services(ComposeServices):
    """One office's calls for the screens. ``office`` may be None (not configured)."""

    def __init__(self, office=None):
        self.office = office
        self._lock = threading.RLock()   # the engine's spool is one writer at a time per PC

    @property
    def available(self) -> bool:
        return self.office is not None

    # -- who we are
    def identity(self) -> Party:
        if self.office is None:
            return Party("")
        s = self.office.settings
        return Party(s.office, s.services[0] if s.services else None, s.name)

    def relay_url(self) -> str:
        return self.office.settings.relay_url if self.office is not None else ""

    # -- lists (the engine's typed lists; the store answers, no network)
    def inbox(self, query: ListQuery = ListQuery()) -> Page:
        if self.office is None:
            return Page((), 0)
        return self.office.inbox(query)

    def outbox(self, query: ListQuery = ListQuery()) -> Page:
        """Everything sent or being sent, as last recorded on this PC (no network)."""
        if self.office is None:
            return Page((), 0)
        return self.office.outbox(query)

    def error_shelf(self, query: ListQuery = ListQuery()) -> Page:
        if self.office is None:
            return Page((), 0)
        return self.office.error_shelf(query)

    # -- note templates (the note modal): the built-ins and the office's own folder
    def templates(self):
        from tui_client.core.templates import load_templates

        return self.office.templates() if self.office is not None else load_templates()

    # -- one received item (the inbox tab and the preview screen)
    def preview(self, key: str):
        return self.office.preview(key) if self.office is not None else None

    def mark_seen(self, key: str):
        if self.office is None:
            return False
        with self._lock:
            return self.office.mark_seen(key)

    def save_received(self, keys: Sequence[str], folder):
        """Write received items to the care software's import folder, in the order received."""
        if self.office is None:
            return [], []
        with self._lock:
            return self.office.save_received(keys, folder)

    # -- network
    def refresh_outbox(self) -> Tuple[FindingSummary, ...]:
        """Ask the relay what became of the sent items (receipts are fetched and verified)."""
        if self.office is None:
            return ()
        with self._lock:
            try:
                _, findings = self.office.sent_status()
            except Exception as exc:  # noqa: BLE001 - a relay answering garbage must not crash the app
                return (_unexpected(exc),)
        return tuple(summary(f) for f in findings)

    def receive(self, cancel: Optional[threading.Event] = None) -> ReceiveResult:
        if self.office is None:
            return ReceiveResult()
        with self._lock:
            try:
                report = self.office.receive(cancel=cancel)
            except Exception as exc:  # noqa: BLE001
                return ReceiveResult(findings=(_unexpected(exc),))
        kinds = tuple(sorted({i.file_kind or "MSG" for i in report.received}))
        return ReceiveResult(len(report.received), kinds, tuple(summary(f) for f in report.findings))

    def relay_status(self) -> RelayStatus:
        if self.office is None:
            return RelayStatus("", False)
        try:
            return self.office.relay_status()
        except Exception as exc:  # noqa: BLE001
            return RelayStatus(self.office.settings.relay_url, False, _unexpected(exc))

    def certificate_status(self, now: Optional[datetime] = None) -> Optional[CertificateStatus]:
        if self.office is None:
            return None
        return self.office.certificate_status(now)

    def partners(self, network: bool = False) -> Tuple[Partner, ...]:
        """The offices this one exchanges with (names from the directory; fresh with ``network``)."""
        if self.office is None:
            return ()
        try:
            known, _ = self.office.partners()
            if network and known:
                fresh, findings = self.office.partners([p.office for p in known])
                if not findings:
                    known = fresh
        except Exception:  # noqa: BLE001 - names are a nicety; the list stands without them
            return ()
        return tuple(p for p in known if p.office != self.office.number)

    def home(self, now: Optional[datetime] = None, *, network: bool = True) -> HomeSummary:
        inbox = self.inbox(ListQuery(limit=200, state=InboxState.NEW.value))
        errors = self.error_shelf(ListQuery(limit=20)).items
        waiting = self.outbox(ListQuery(limit=0, state=OutboxState.WAITING.value)).total
        receipts = self.outbox(ListQuery(limit=0, state=OutboxState.RECEIVED.value)).total
        return HomeSummary(
            new_arrivals=inbox.total, new_kinds=tuple(sorted({i.file_kind for i in inbox.items})),
            waiting=waiting, errors=tuple(errors), receipts=receipts, certificate=self.certificate_status(now),
            relay=self.relay_status() if network else None, partners=self.partners(network))

    # -- the batch
    def read_folder(self, folder: str) -> Tuple[List[NamedFile], Tuple[FindingSummary, ...]]:
        """The care-plan files of an export folder, read whole (unreadable ones become findings)."""
        from tui_client import filecheck

        paths, findings = filecheck.collect([folder])
        files: List[NamedFile] = []
        for p in paths:
            try:
                files.append((Path(p).name, Path(p).read_bytes()))
            except OSError as exc:
                findings.append(_finding("E-FILE-001", str(p), exc))
        return files, tuple(summary(f) for f in findings)

    def prepare(self, folder: str) -> BatchPlan:
        files, folder_findings = self.read_folder(folder)
        plan = BatchPlan(folder, findings=folder_findings)
        if self.office is None or not files:
            return plan
        with self._lock:
            try:
                prepared = self.office.prepare(files)
            except Exception as exc:  # noqa: BLE001 - the directory answered garbage
                plan.findings += (_unexpected(exc),)
                return plan
        plan.prepared = prepared
        contents = dict(files)
        with self._lock:
            already = {n for n in contents
                       if self.office.sent_before(n, contents[n], digest=prepared.digests.get(n))[0] == "sent"}
            already |= self.office.queued(list(contents))
        per_file: Dict[str, List[FindingSummary]] = {}
        general: List[FindingSummary] = []
        for f in prepared.all_findings():
            if f.file:
                per_file.setdefault(Path(f.file).name, []).append(summary(f))
            else:
                general.append(summary(f))
        unreachable = {str(box) for box, _ in prepared.unreachable}
        asked = not any(f.code.startswith("E-NET-") for f in prepared.findings)
        from tui_client.core import route

        for name, _ in files:
            r, _f = route.route(name)
            facts = _name_facts(name)
            recipient = Party(r.recipient, r.recipient_service) if r is not None else None
            reachable = None
            if r is not None and asked:
                reachable = str(r.mailbox) not in unreachable
            plan.files.append(BatchFile(name, facts["file_kind"], facts["month"], recipient, facts["bundle"],
                                        tuple(per_file.get(name, ())), reachable, name in already))
        plan.findings += tuple(general)
        plan.files = hold_bundles(plan.files)
        return plan

    def send(self, plan: BatchPlan, progress: Optional[Callable[[str, str, int, int], None]] = None,
             cancel: Optional[threading.Event] = None) -> SendResult:
        """Send the sendable files of a batch (a bundle with an error stays whole: none of it goes)."""
        if self.office is None:
            return SendResult()
        blocked_bundles = {(f.recipient.office if f.recipient else "", f.bundle)
                           for f in plan.files if not f.sendable and not f.sent}
        names = [f.name for f in plan.files if f.sendable and
                 (f.recipient.office, f.bundle) not in blocked_bundles]
        if not names:
            return SendResult()
        prepared = plan.prepared
        contents = dict(prepared.files) if prepared is not None else {}
        files = [(n, contents[n]) for n in names if n in contents]
        if prepared is not None and not prepared.blocked and len(files) == len(prepared.files) \
                and {n for n, _ in files} == {n for n, _ in prepared.files}:
            # Every checked file goes: the check is reused, not made twice (Office.send compares the
            # files' digests with the checked ones and checks again if they differ).
            files = list(prepared.files)
        else:
            prepared = None     # a part of the batch: its bundle rules are checked on their own
        with self._lock:
            try:
                report = self.office.send(files, prepared=prepared, progress=progress, cancel=cancel)
            except Exception as exc:  # noqa: BLE001
                return SendResult(findings=(_unexpected(exc),))
        return SendResult(len(report.sent) + len(report.duplicates) + len(report.already_sent),
                          len(report.waiting), len(report.shelved),
                          tuple(summary(f) for f in report.findings))

    def flush(self) -> SendResult:
        if self.office is None:
            return SendResult()
        with self._lock:
            try:
                report = self.office.flush()
            except Exception as exc:  # noqa: BLE001
                return SendResult(findings=(_unexpected(exc),))
        return SendResult(len(report.sent), len(report.waiting), len(report.shelved),
                          tuple(summary(f) for f in report.findings))

    # -- one item
    def requeue(self, name: str) -> SendResult:
        """Put an item from the error shelf back in the outbox and try to send it now."""
        if self.office is None:
            return SendResult()
        with self._lock:
            try:
                ok = self.office.requeue(name)
            except Exception as exc:  # noqa: BLE001
                return SendResult(findings=(_unexpected(exc),))
            if not ok:
                return SendResult(findings=(FindingSummary("E-UI-002", value=name),))
        return self.flush()

    def withdraw(self, item: OutboxItem) -> Tuple[FindingSummary, ...]:
        """Take back an item nobody has received yet: a waiting one leaves the outbox; a sent one is
        withdrawn from the relay (its content is deleted there)."""
        if self.office is None:
            return ()
        if item.state not in (OutboxState.WAITING, OutboxState.SENT):
            return (FindingSummary("E-UI-003", value=item.name),)
        with self._lock:
            try:
                return tuple(summary(f) for f in self.office.withdraw(item.name))
            except Exception as exc:  # noqa: BLE001
                return (_unexpected(exc),)

    # -- the evidence archive (保管庫 tab): search, preview, verify, export, import, retention
    def archive(self, query: ListQuery = ListQuery()) -> Page:
        if self.office is None:
            return Page((), 0)
        return self.office.archive(query)

    def archive_preview(self, seq: int):
        if self.office is None:
            return None
        with self._lock:
            return self.office.archive_preview(seq)

    def _archive_call(self, method: str, *args, empty, wrap, **kw):
        """One engine call of the archive; anything unexpected becomes ``wrap(finding)``."""
        if self.office is None:
            return empty
        with self._lock:
            try:
                return getattr(self.office, method)(*args, **kw)
            except Exception as exc:  # noqa: BLE001 - shown as a finding, never a traceback
                return wrap(_unexpected(exc))

    def verify_archived(self, seq: int):
        from tui_client.office.models import Verification

        return self._archive_call("verify_archived", seq, empty=Verification(seq, "", False),
                                  wrap=lambda f: Verification(seq, "", False, findings=(f,)))

    def export_archive(self, folder: str, *, user: str = "", month: str = ""):
        from tui_client.office.models import ExportResult

        return self._archive_call("export_archive", folder, user=user, month=month, empty=ExportResult(""),
                                  wrap=lambda f: ExportResult("", findings=(f,)))

    def import_folder(self, folder: str):
        from tui_client.office.models import ImportResult

        return self._archive_call("import_folder", folder, empty=ImportResult(),
                                  wrap=lambda f: ImportResult(findings=(f,)))

    def retention_plan(self, now: datetime):
        return self._archive_call("retention_plan", now, empty=None, wrap=lambda f: None)

    def apply_retention(self, plan) -> int:
        return self._archive_call("apply_retention", plan, empty=0, wrap=lambda f: 0)

    # -- plan vs actual (予定と実績) and what changed (変更点): ui/screens/planactual.py, changes.py
    def plan_vs_actual(self, month: str, partner: Optional[str] = None, user: Optional[str] = None):
        """The newest 予定 of ``month`` against its 実績, from the archive (no network)."""
        if self.office is None:
            return None
        return self.office.plan_vs_actual(month, partner or None, user or None)

    def changes(self, key: str):
        """What changed from the version a received file replaced; None when it replaced nothing."""
        return self.office.changes(key) if self.office is not None else None

    def export_plan_vs_actual(self, comparison, folder) -> Tuple[Optional[Path], Tuple[FindingSummary, ...]]:
        if self.office is None:
            return None, ()
        path, findings = self.office.export_plan_vs_actual(comparison, folder)
        return path, tuple(summary(f) for f in findings)


def _unexpected(exc: BaseException) -> FindingSummary:
    """Anything the engine raised that is not a finding (a relay answering garbage, a bug below):
    shown as 思いがけない返事, never as a traceback."""
    return FindingSummary("E-NET-005", params=(("status", type(exc).__name__),))


def _finding(code: str, file: str, exc: OSError):
    from tui_client.core.findings import make

    return make(code, file, reason=exc.strerror or type(exc).__name__)


# --- opening and setting up an office (the set-up check and the unlock screen) ---------------

@dataclass(frozen=True)
class Check:
    """One line of the set-up check: ``ok`` True / False / None (not checked yet), what it is, and
    what to do when it is not right (catalogue text, already filled in)."""

    key: str
    ok: Optional[bool]
    label: str
    detail: str = ""
    fix: str = ""


def configured_office(home: Optional[str] = None) -> Tuple[Optional[object], Tuple[FindingSummary, ...]]:
    """The one office set up on this PC: its ``OfficeSettings`` (no keystore opened), or findings.
    Runs before the first frame: it reads ``office.json`` only, never loads the façade."""
    from tui_client.office.settings import load_settings

    settings, findings = load_settings(None, home)
    return settings, tuple(summary(f) for f in findings)


def open_office(number: Optional[str], password: Optional[str], home: Optional[str] = None):
    """``(Office or None, findings)``; a wrong password or a damaged keystore is a finding."""
    from tui_client.office import Office

    try:
        office, findings = Office.open(number, password=password, home=home)
    except Exception as exc:  # noqa: BLE001 - a damaged file must never crash the app
        return None, (_unexpected(exc),)
    return office, tuple(summary(f) for f in findings)


def run_setup(keystore_file: str, password: str, relay_url: str, ca_file: str,
              home: Optional[str] = None) -> Tuple[Optional[object], Tuple[FindingSummary, ...]]:
    """The existing ``tsunagi setup`` with the form's values: ``(OfficeSettings or None, findings)``."""
    from tui_client.office import setup_office

    try:
        settings, findings = setup_office(keystore_file, password or None, relay_url, ca_file, home=home)
    except Exception as exc:  # noqa: BLE001
        return None, (_unexpected(exc),)
    return settings, tuple(summary(f) for f in findings)


def setup_checks(services: "Services", app_settings, home: Optional[str] = None) -> List[Check]:
    """Every step of the set-up, checked; each one not right says what to do, in plain words."""
    from tui_client.catalog import t
    from tui_client.ui.format import finding_text

    out: List[Check] = []
    office = services.office
    if office is None:
        settings, findings = configured_office(home)
        if settings is None:
            out.append(Check("keystore", False, t("setup.check.keystore"), fix=t("setup.fix.no_office")))
        else:
            present = Path(settings.keystore_file).is_file()
            out.append(Check("keystore", present, t("setup.check.keystore"), settings.keystore_file,
                             "" if present else t("setup.fix.keystore_missing")))
            out.append(Check("password", None, t("setup.check.password"), fix=t("setup.fix.password")))
        for key in ("certificate", "relay"):
            out.append(Check(key, None, t(f"setup.check.{key}"), fix=t("setup.fix.open_first")))
    else:
        out.append(Check("keystore", True, t("setup.check.keystore"), office.settings.keystore_file))
        out.append(Check("password", True, t("setup.check.password")))
        cert = services.certificate_status()
        if cert is not None:
            good = cert.warning not in ("expired", "7")
            out.append(Check("certificate", good, t("setup.check.certificate"),
                             t("setup.detail.days", days=cert.days_left),
                             "" if good and not cert.warning else t("home.cert.fix")))
        relay = services.relay_status()
        fix = finding_text(relay.problem)[1] if relay.problem else ""
        out.append(Check("relay", relay.reachable, t("setup.check.relay"), relay.url, fix))
        if relay.reachable:
            try:
                problems = office.register()
            except Exception as exc:  # noqa: BLE001
                problems = []
                reg = (_unexpected(exc),)
            else:
                reg = tuple(summary(f) for f in problems)
            out.append(Check("registered", not reg, t("setup.check.registered"), "",
                             finding_text(reg[0])[1] if reg else ""))
    for key in ("export_folder", "import_folder"):
        value = getattr(app_settings, key, "")
        ok = bool(value) and Path(value).expanduser().is_dir()
        out.append(Check(key, ok, t(f"setup.check.{key}"), value, "" if ok else t(f"setup.fix.{key}")))
    return out

