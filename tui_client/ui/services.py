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

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from tui_client.office.models import (
    CertificateStatus,
    FindingSummary,
    InboxItem,
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


def _time(text) -> Optional[datetime]:
    if not text:
        return None
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _name_facts(name: str) -> dict:
    """file kind, month and bundle serial from an item's name (pure, no I/O)."""
    from tui_client.core import route

    r, _ = route.route(name)
    if r is None:
        return {"file_kind": "", "month": None, "bundle": ""}
    if r.parsed is None:
        return {"file_kind": "MSG", "month": None, "bundle": ""}
    return {"file_kind": r.parsed.prefix, "month": r.parsed.month, "bundle": r.serial}


def _matches(item, query: ListQuery) -> bool:
    if query.kind and item.file_kind != query.kind:
        return False
    if query.month and item.month != query.month:
        return False
    if query.state and item.state.value != query.state:
        return False
    if query.partner:
        other = item.sender if isinstance(item, InboxItem) else item.recipient
        if other.office != query.partner:
            return False
    if query.text and query.text not in item.name and query.text not in item.subject:
        return False
    return True


def _page(items: List, query: ListQuery) -> Page:
    wanted = [i for i in items if _matches(i, query)]
    return Page(tuple(wanted[query.offset:query.offset + query.limit]), len(wanted), query.offset,
                query.limit)


# --- batch values (what the 一括送信 tab shows before anything leaves the PC) ------------------

@dataclass(frozen=True)
class BatchFile:
    """One file of an export folder: its check result and where it will go."""

    name: str
    file_kind: str
    month: Optional[str]
    recipient: Optional[Party]
    bundle: str
    findings: Tuple[FindingSummary, ...] = ()
    reachable: Optional[bool] = None        # None: the directory could not be asked
    sent: bool = False                      # already in this office's outbox or sent archive

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.blocks_sending)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors

    @property
    def sendable(self) -> bool:
        return (self.recipient is not None and self.errors == 0 and self.reachable is not False
                and not self.sent)


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


class Services:
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

    # -- lists
    def inbox(self, query: ListQuery = ListQuery()) -> Page:
        if self.office is None:
            return Page((), 0)
        typed = getattr(self.office, "inbox", None)
        if callable(typed):
            return typed(query)
        with self._lock:
            records = self.office.received()
        items = [self._inbox_item(i, rec) for i, rec in enumerate(records)]
        return _page(items, query)

    def _inbox_item(self, seq: int, rec: dict) -> InboxItem:
        from tui_client.core import wire

        facts = _name_facts(rec.get("name", ""))
        state = InboxState.SAVED if rec.get("exported") else (
            InboxState.SEEN if rec.get("seen") else InboxState.NEW)
        kind = rec.get("kind") or wire.KIND_FILE
        return InboxItem(
            seq=seq, key=str(rec.get("id") or rec.get("name")), name=rec.get("name", ""), kind=kind,
            file_kind="MSG" if kind == wire.KIND_MESSAGE else facts["file_kind"], month=facts["month"],
            sender=Party(rec.get("sender", ""), rec.get("sender_service")),
            recipient=Party(rec.get("recipient", ""), rec.get("recipient_service")),
            received_at=_time(rec.get("received_at")) or datetime.fromtimestamp(0, timezone.utc),
            state=state, content_sha256=rec.get("content_sha256", ""), size=int(rec.get("size") or 0),
            bundle=facts["bundle"], findings=tuple(FindingSummary(c) for c in rec.get("findings") or ()),
            subject=rec.get("subject") or "", attachments=tuple(rec.get("attachments") or ()),
            saved_to=rec.get("exported") or "")

    def outbox(self, query: ListQuery = ListQuery()) -> Page:
        """Everything sent or being sent, as last recorded on this PC (no network)."""
        if self.office is None:
            return Page((), 0)
        typed = getattr(self.office, "outbox", None)
        if callable(typed) and not hasattr(typed, "pending"):
            return typed(query)
        with self._lock:
            sent = self.office.sent_archive_records()
            waiting = self.office.waiting()
            shelved = self.office.error_shelf()
        items: List[OutboxItem] = []
        for rec in sent:
            items.append(self._outbox_item(len(items), rec, None))
        for rec in waiting:
            items.append(self._outbox_item(len(items), rec, OutboxState.WAITING))
        for rec in shelved:
            items.append(self._outbox_item(len(items), rec, OutboxState.ERROR))
        items.sort(key=lambda i: (i.queued_at, i.seq), reverse=True)   # newest first
        return _page(items, query)

    def _outbox_item(self, seq: int, rec: dict, state: Optional[OutboxState]) -> OutboxItem:
        from tui_client.core import wire

        if state is None:
            state = {wire.RECEIVED: OutboxState.RECEIVED,
                     wire.WITHDRAWN: OutboxState.WITHDRAWN}.get(rec.get("state"), OutboxState.SENT)
        facts = _name_facts(rec.get("name", ""))
        err = rec.get("last_error") or None
        error = None
        if isinstance(err, dict) and err.get("code"):
            found = err.get("findings") or []
            error = FindingSummary(str(err["code"]), params=(("findings", ",".join(map(str, found))),))
        kind = rec.get("kind") or wire.KIND_FILE
        return OutboxItem(
            seq=seq, name=rec.get("name", ""), kind=kind,
            file_kind="MSG" if kind == wire.KIND_MESSAGE else facts["file_kind"], month=facts["month"],
            sender=Party(self.office.number), recipient=Party(rec.get("recipient", ""),
                                                             rec.get("recipient_service")),
            state=state, content_sha256=rec.get("content_sha256", ""), size=int(rec.get("size") or 0),
            queued_at=_time(rec.get("queued_at")) or datetime.fromtimestamp(0, timezone.utc),
            sent_at=_time(rec.get("sent_at")), received_at=_time(rec.get("receipt_received_at")),
            relay_id=rec.get("relay_id"), bundle=facts["bundle"], attempts=int(rec.get("attempts") or 0),
            error=error)

    def error_shelf(self, query: ListQuery = ListQuery()) -> Page:
        return self.outbox(ListQuery(offset=query.offset, limit=query.limit, state=OutboxState.ERROR.value))

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

    def receive(self) -> ReceiveResult:
        if self.office is None:
            return ReceiveResult()
        with self._lock:
            try:
                report = self.office.receive()
            except Exception as exc:  # noqa: BLE001
                return ReceiveResult(findings=(_unexpected(exc),))
        kinds = tuple(sorted({_name_facts(r.get("name", ""))["file_kind"] or "MSG" for r in report.received}))
        return ReceiveResult(len(report.received), kinds, tuple(summary(f) for f in report.findings))

    def relay_status(self) -> RelayStatus:
        if self.office is None:
            return RelayStatus("", False)
        url = self.office.settings.relay_url
        from tui_client.transport.client import TransportError

        try:
            self.office.client.health()
        except TransportError as exc:
            return RelayStatus(url, False, FindingSummary(exc.code))
        except Exception as exc:  # noqa: BLE001
            return RelayStatus(url, False, _unexpected(exc))
        return RelayStatus(url, True)

    def certificate_status(self, now: Optional[datetime] = None) -> Optional[CertificateStatus]:
        if self.office is None:
            return None
        from tui_client.core import certs

        cert = self.office.keystore.certificate
        left = certs.days_left(cert, now)
        warning = "expired" if left < 0 else "7" if left <= 7 else "30" if left <= 30 else "90" if left <= 90 else ""
        return CertificateStatus(self.office.number, certs._not_after(cert), left, warning)

    def partners(self, network: bool = False) -> Tuple[Partner, ...]:
        """The offices this one exchanges with: those in the directory cache and those it received
        from; with ``network`` their names and whether they are on the system come from the relay."""
        if self.office is None:
            return ()
        import json

        try:
            cached = json.loads((self.office.paths.root / "directory.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cached = {}
        offices = {o for o in cached if isinstance(o, str)}
        offices |= {rec.get("sender", "") for rec in self.office.received()}
        offices.discard("")
        offices.discard(self.office.number)
        out = {o: Partner(o, "", on_system=True) for o in offices}
        if network and offices:
            try:
                entries, findings = self.office.directory(sorted(offices))
            except Exception:  # noqa: BLE001 - names are a nicety; the list stands without them
                entries, findings = {}, []
            for o, e in entries.items():
                out[o] = Partner(o, e.name, tuple(e.services), e.on_system)
        return tuple(out[k] for k in sorted(out))

    def home(self, now: Optional[datetime] = None, *, network: bool = True) -> HomeSummary:
        inbox = self.inbox(ListQuery(limit=10_000, state=InboxState.NEW.value))
        out = self.outbox(ListQuery(limit=10_000))
        errors = tuple(i for i in out.items if i.state is OutboxState.ERROR)
        waiting = sum(1 for i in out.items if i.state is OutboxState.WAITING)
        receipts = sum(1 for i in out.items if i.state is OutboxState.RECEIVED)
        return HomeSummary(
            new_arrivals=inbox.total, new_kinds=tuple(sorted({i.file_kind for i in inbox.items})),
            waiting=waiting, errors=errors, receipts=receipts, certificate=self.certificate_status(now),
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
        with self._lock:
            already = ({r.get("name") for r in self.office.sent_archive_records()}
                       | {r.get("name") for r in self.office.waiting()})
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
        contents = dict(plan.prepared.files) if plan.prepared is not None else {}
        files = [(n, contents[n]) for n in names if n in contents]
        with self._lock:
            try:
                report = self.office.send(files, progress=progress)
            except Exception as exc:  # noqa: BLE001
                return SendResult(findings=(_unexpected(exc),))
        return SendResult(len(report.sent) + len(report.duplicates), len(report.waiting), len(report.shelved),
                          tuple(summary(f) for f in report.findings))

    def flush(self) -> SendResult:
        if self.office is None:
            return SendResult()
        with self._lock:
            report = self.office.flush()
        return SendResult(len(report.sent), len(report.waiting), len(report.shelved),
                          tuple(summary(f) for f in report.findings))

    # -- one item
    def requeue(self, name: str) -> SendResult:
        """Put an item from the error shelf back in the outbox and try to send it now."""
        if self.office is None:
            return SendResult()
        with self._lock:
            if not self.office.requeue(name):
                return SendResult(findings=(FindingSummary("E-UI-002", value=name),))
        return self.flush()

    def withdraw(self, item: OutboxItem) -> Tuple[FindingSummary, ...]:
        """Take back an item nobody has received yet: a waiting one leaves the outbox; a sent one is
        withdrawn from the relay (its content is deleted there)."""
        if self.office is None:
            return ()
        with self._lock:
            typed = getattr(self.office, "withdraw", None)
            if callable(typed):
                result = typed(item.name)
                return tuple(summary(f) for f in (result or ()) if hasattr(f, "code"))
            if item.state is OutboxState.WAITING:
                self.office.outbox.shelf.remove(item.name)
                return ()
            if item.state is not OutboxState.SENT or not item.relay_id:
                return (FindingSummary("E-UI-003", value=item.name),)
            from tui_client.transport.client import TransportError

            try:
                info = self.office.client.withdraw(item.relay_id)
            except TransportError as exc:
                return (summary(self.office._net(exc, item.name)),)
            rec = self.office.sent_archive.record(item.name) or {}
            rec["state"] = info.state
            self.office.sent_archive.update(item.name, rec)
        return ()


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
    """The one office set up on this PC: its ``OfficeSettings`` (no keystore opened), or findings."""
    from tui_client.office import load_settings

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
