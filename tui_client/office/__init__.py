"""One office's view of the world: check, send, receive, list, archive, settings.

The façade both faces stand on (the command line now, the Textual UI later): a screen or a command
never builds HTTP requests, seals, or parses CSV itself. Everything a user can get wrong comes back as
findings (codes with Japanese messages in the catalogue); nothing here prints.

Order of events, chosen so that a crash or a dropped line never loses or duplicates anything:

* send: validate → route → recipient certificates from the relay's directory → seal → outbox (disk,
  the sealed item with its plaintext) → upload with name + digest (idempotent) → the relay's id is
  recorded with the plaintext in the sent archive → the outbox entry goes.
* receive: list → download into the inbox (disk) → open and verify → validate → store in the
  archive (a group of items, one flush) → signed receipt → acknowledge → the inbox entry goes. An
  item that cannot be opened stays in the inbox and on the relay; no receipt is sent for it.
* sent status: the relay's list of outgoing items → receipts fetched and verified against the
  content we sent → 受信済み with the time, in the sent archive.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from tui_client import config
from tui_client.core import wire
from tui_client.core.findings import Finding, has_errors, make

NamedFile = Tuple[str, bytes]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(text: Optional[str]) -> Optional[datetime]:
    """A time this module wrote, or None (then a receipt's age is not checked against it).
    Receipts are checked against ``queued_at``, not ``sent_at``: a re-upload after a crash renews
    ``sent_at`` and could then make a genuine earlier receipt look like a replay."""
    try:
        return datetime.strptime(text or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


# --- settings ---------------------------------------------------------------------------------

@dataclass
class OfficeSettings:
    """What an office's PC needs to take part. The keystore password is never stored, except for a
    DEMO keystore, whose password is public (``demo_id`` names it in sample_certs)."""

    office: str
    relay_url: str
    keystore_file: str
    ca_file: str
    crl_files: List[str] = field(default_factory=list)
    services: List[str] = field(default_factory=list)
    name: str = ""
    demo_id: str = ""
    #: Keystores of this office's earlier certificates (newest first), re-encrypted with the current
    #: password at renewal: items sealed to an old certificate before the renewal still open.
    previous_keystores: List[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, d: dict) -> "OfficeSettings":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def save_settings(settings: OfficeSettings, home: Optional[str] = None) -> Path:
    from tui_client.transport.store import write_atomic

    p = config.paths(home).office(settings.office).settings_file
    write_atomic(p, json.dumps(settings.to_json(), ensure_ascii=False, indent=1).encode("utf-8"))
    return p


def configured_offices(home: Optional[str] = None) -> List[str]:
    root = config.paths(home).data / "offices"
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "office.json").exists())


def load_settings(office: Optional[str] = None,
                  home: Optional[str] = None) -> Tuple[Optional[OfficeSettings], List[Finding]]:
    offices = configured_offices(home)
    if office is None:
        if len(offices) != 1:
            return None, [make("E-CFG-001", value=",".join(offices))]
        office = offices[0]
    p = config.paths(home).office(office).settings_file
    try:
        return OfficeSettings.from_json(json.loads(p.read_text(encoding="utf-8"))), []
    except FileNotFoundError:
        return None, [make("E-CFG-001", str(p), value=office)]
    except (OSError, ValueError, TypeError) as exc:
        return None, [make("E-CFG-002", str(p), reason=type(exc).__name__)]


# --- results ----------------------------------------------------------------------------------

@dataclass
class Prepared:
    """A batch checked and routed, before anything leaves the PC."""

    files: List[NamedFile]
    check: object                       # filecheck.CheckResult
    plan: object                        # core.route.RoutingPlan
    unreachable: List[Tuple[object, str]] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)   # routing/sender problems

    def all_findings(self) -> List[Finding]:
        return self.check.all_findings() + self.findings

    @property
    def blocked(self) -> bool:
        return has_errors(self.all_findings())


@dataclass
class SendReport:
    queued: List[str] = field(default_factory=list)
    sent: List[str] = field(default_factory=list)
    duplicates: List[str] = field(default_factory=list)
    waiting: List[str] = field(default_factory=list)
    shelved: List[str] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)


@dataclass
class ReceiveReport:
    received: List[dict] = field(default_factory=list)      # archive records
    kept: List[str] = field(default_factory=list)           # stayed in the inbox
    findings: List[Finding] = field(default_factory=list)


def transport_finding(exc, name: str = "", url: str = "") -> Finding:
    """A transport failure as a finding: the relay's code, or E-NET-…"""
    params = {"url": url, "status": exc.status or ""}
    if exc.findings:
        params["findings"] = ",".join(exc.findings)
    return make(exc.code, name, **params)


# --- the façade -------------------------------------------------------------------------------

class Office:
    def __init__(self, settings: OfficeSettings, keystore, trust, home: Optional[str] = None,
                 password: Optional[str] = None):
        from tui_client.transport.queue import Inbox, Outbox
        from tui_client.transport.store import Shelf

        self.settings = settings
        self.keystore = keystore
        self._password = password          # for the earlier keystores, opened only when receiving
        self._previous: Optional[list] = None
        self.trust = trust
        self.home = home
        self.paths = config.paths(home).office(settings.office)
        p = self.paths
        self.sent_archive = Shelf(p.archive / "sent")
        self.received_archive = Shelf(p.archive / "received")
        self.outbox = Outbox(Shelf(p.outbox), Shelf(p.errors), self.sent_archive)
        self.inbox = Inbox(Shelf(p.inbox), self.received_archive)
        self._client = None
        self._cert_cache: Dict[str, list] = {}

    # -- opening
    @classmethod
    def open(cls, office: Optional[str] = None, password: Optional[str] = None,
             home: Optional[str] = None) -> Tuple[Optional["Office"], List[Finding]]:
        from tui_client.core import certs

        settings, findings = load_settings(office, home)
        if settings is None:
            return None, findings
        if settings.demo_id:
            from tui_client import sample_certs

            password = sample_certs.office(settings.demo_id)["password"]
        try:
            raw = Path(settings.keystore_file).read_bytes()
            roots = Path(settings.ca_file).read_bytes()
            crls = [Path(c).read_bytes() for c in settings.crl_files]
        except OSError as exc:
            return None, [make("E-CFG-002", settings.keystore_file, reason=exc.strerror or type(exc).__name__)]
        ks, f = certs.load_keystore(raw, password, Path(settings.keystore_file).name)
        if ks is None:
            return None, f
        trust, f2 = certs.load_trust_store(roots, crls, Path(settings.ca_file).name)
        if trust is None:
            return None, f2
        # An expired, revoked or foreign certificate is said plainly here, before any connection:
        # over TLS 1.3 the relay can only hang up on it, which looks like a network failure.
        f3 = certs.check_certificate(ks.certificate, trust, intermediates=ks.chain,
                                     name=Path(settings.keystore_file).name)
        if has_errors(f3):
            return None, f + f2 + f3
        return cls(settings, ks, trust, home, password), f + f2 + f3

    @property
    def number(self) -> str:
        return self.settings.office

    @property
    def client(self):
        if self._client is None:
            from cryptography.hazmat.primitives import serialization

            from tui_client.transport.client import RelayClient, tls_context

            pem = self.keystore.certificate.public_bytes(serialization.Encoding.PEM)
            chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.keystore.chain)
            ctx = tls_context(self.settings.ca_file, pem, self.keystore.key, chain)
            self._client = RelayClient(self.settings.relay_url, ctx, self.settings.ca_file)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _net(self, exc, name: str = "") -> Finding:
        return transport_finding(exc, name, self.settings.relay_url)

    # -- directory
    def register(self) -> List[Finding]:
        """Put this office (its sites and current certificate) on the relay's directory. Done once per
        session before the first send or receive, so a renewed certificate reaches senders by itself."""
        from tui_client.transport.client import TransportError

        try:
            self.client.register_self(self.settings.services, self.settings.name)
        except TransportError as exc:
            return [self._net(exc)]
        self._registered = True
        return []

    def _ensure_registered(self) -> None:
        if not getattr(self, "_registered", False):
            self._registered = True   # once per session, even if it fails: never wait twice
            self.register()           # a failure shows up again, with its message, in the call that follows

    def directory(self, offices: Sequence[str]) -> Tuple[Dict[str, wire.DirectoryEntry], List[Finding]]:
        from tui_client.transport.client import TransportError

        try:
            entries = self.client.directory(sorted(set(offices)))
        except TransportError as exc:
            return {}, [self._net(exc)]
        return {e.office: e for e in entries}, []

    def _remember(self, entries: Dict[str, wire.DirectoryEntry]) -> None:
        """Keep recipients' certificates in memory and on disk, so a file can still be sealed and
        queued while the relay is unreachable (it leaves when the relay is back)."""
        from tui_client.transport.store import write_atomic

        cache_file = self.paths.root / "directory.json"
        try:
            cached = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            cached = {}
        changed = False
        for office, entry in entries.items():
            if entry.on_system and entry.certificates:
                self._cert_cache[office] = self._verified(self._load_pems(entry.certificates))
                if cached.get(office) != entry.certificates:
                    cached[office] = entry.certificates
                    changed = True
        if changed:
            try:
                write_atomic(cache_file, json.dumps(cached).encode("utf-8"))
            except OSError:
                pass  # only a cache

    def _verified(self, certificates: list) -> list:
        """Only recipient certificates our trust store accepts (chain, dates, revocation). Checked
        once per directory answer, not once per file: seal() then needs no trust store."""
        from tui_client.core import certs

        return [c for c in certificates if not has_errors(certs.check_certificate(c, self.trust))]

    @staticmethod
    def _load_pems(pems: Sequence[str]) -> list:
        from cryptography import x509

        out = []
        for pem in pems:
            try:
                out.append(x509.load_pem_x509_certificate(pem.encode("ascii")))
            except ValueError:
                continue
        return out

    def _recipient_certs(self, office: str) -> list:
        if office not in self._cert_cache:
            entries, findings = self.directory([office])
            if not findings:
                self._remember(entries)
            else:
                try:
                    cached = json.loads((self.paths.root / "directory.json").read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    cached = {}
                if office in cached:
                    self._cert_cache[office] = self._verified(self._load_pems(cached[office]))
        return self._cert_cache.get(office, [])

    # -- check and plan
    def prepare(self, files: Sequence[NamedFile], *, use_directory: bool = True) -> Prepared:
        from tui_client import filecheck
        from tui_client.core import route

        plan = route.plan([n for n, _ in files], own_office=self.number)
        # Ask the directory first: the recipients' registered service types let the check say which
        # code a wrongly addressed file should carry (E-NAME-015), the field case of the issue.
        known = None
        dir_findings: List[Finding] = []
        if use_directory and plan.entries:
            entries, dir_findings = self.directory([b.office for b in plan.mailboxes()])
            if not dir_findings:
                self._remember(entries)
                known = {o: e.services for o, e in entries.items() if e.on_system}
        check = filecheck.check_bytes(list(files), registered_services=known)
        prepared = Prepared(list(files), check, plan)
        for name in plan.foreign:
            prepared.findings.append(make("E-SEND-001", name, expected=self.number))
        prepared.findings += dir_findings
        if known is not None:
            named = {f.file for f in check.all_findings() if f.code == "E-NAME-015"}
            prepared.unreachable = route.unreachable(plan, known)
            for box, reason in prepared.unreachable:
                code = "E-RELAY-004" if reason == "office" else "E-RELAY-005"
                for entry in plan.entries:
                    if entry.mailbox == box:
                        prepared.findings += [make(code, n, value=str(box)) for n in entry.files
                                              if not (reason == "service" and n in named)]
        return prepared

    # -- send
    def queue(self, name: str, content: bytes, *, kind: str = wire.KIND_FILE, batch=None,
              waiting: Optional[set] = None) -> List[Finding]:
        """Seal one item to its recipient's current certificates and put it in the outbox (disk),
        with its plaintext for the sent archive. Nothing goes over the network except the directory.
        With ``batch`` (a ``transport.store.Batch``) the writes become durable when it commits.
        ``waiting``: the names already in the outbox, when the caller listed them once for many."""
        from tui_client.core import route, seal

        if name in waiting if waiting is not None else self.outbox.shelf.has(name):
            return []
        r, findings = route.route(name)
        if r is None:
            return findings
        if r.sender != self.number:
            return [make("E-SEND-001", name, expected=self.number)]
        certs_ = self._recipient_certs(r.recipient)
        if not certs_:
            return [make("E-SEND-002", name, value=r.recipient)]
        # The sender's certificate was checked against the trust store when the office was opened,
        # the recipient's when the directory answered (_verified): no per-file chain walk here.
        sealed, f = seal.seal(content, name, self.keystore, certs_, trust=None,
                              sender_office=r.sender, recipient_office=r.recipient)
        if sealed is None:
            return f
        import hashlib

        facts = {"kind": r.kind, "recipient": r.recipient, "recipient_service": r.recipient_service,
                 "content_sha256": hashlib.sha256(content).hexdigest(), "state": "queued"}
        try:
            self.outbox.enqueue(name, sealed, plaintext=content, batch=batch, check=False, **facts)
        except OSError as exc:
            return [make("E-SEND-004", name, reason=exc.strerror or type(exc).__name__)]
        return [x for x in f if not x.blocks_sending]

    def send(self, files: Sequence[NamedFile], *, prepared: Optional[Prepared] = None,
             progress: Optional[Callable[[str, str, int, int], None]] = None) -> SendReport:
        """Check, seal, queue and upload. Errors in any file block the whole batch (a bundle must
        travel whole); warnings do not."""
        report = SendReport()
        self._ensure_registered()
        prepared = prepared or self.prepare(files)
        if prepared.blocked:
            report.findings = [f for f in prepared.all_findings() if f.blocks_sending]
            report.findings.append(make("E-SEND-003"))
            return report
        import threading

        from tui_client.transport.store import Batch

        # Seal and queue in chunks; each chunk is on disk (one pack, one flush) before an uploader
        # thread sends it, while this thread seals the next: the relay's work overlaps ours.
        total = len(prepared.files)
        chunks: List[List[str]] = []
        ready = threading.Condition()
        finished = [False]
        uploaded: List[object] = []
        done = [0]

        def step(outcome):
            done[0] += 1
            if progress:
                progress("sent" if outcome.ok else "failed", outcome.name, done[0], total)

        def uploader():
            while True:
                with ready:
                    while not chunks and not finished[0]:
                        ready.wait()
                    if not chunks:
                        return
                    names = chunks.pop(0)
                result = self.outbox.flush(self.client, progress=step, names=names)
                uploaded.append(result)
                if result.waiting:        # the line is down: leave the rest in the outbox
                    with ready:
                        chunks.clear()
                        finished[0] = True
                    return

        worker = threading.Thread(target=uploader, name="tsunagi-upload", daemon=True)
        worker.start()
        waiting = set(self.outbox.shelf.keys())
        try:
            for start, end in _chunks(total):
                batch = Batch()
                names = []
                try:
                    for i, (name, content) in enumerate(prepared.files[start:end], start + 1):
                        f = self.queue(name, content, batch=batch, waiting=waiting)
                        report.findings += f
                        if has_errors(f):
                            continue
                        names.append(name)
                        if progress:
                            progress("sealed", name, i, total)
                    batch.commit()      # these files are in the outbox, on disk, before any upload
                except OSError as exc:
                    batch.abandon()
                    report.findings.append(make("E-SEND-004", reason=exc.strerror or type(exc).__name__))
                    break
                report.queued += names
                with ready:
                    if finished[0]:
                        continue        # uploads stopped; the rest waits in the outbox
                    chunks.append(names)
                    ready.notify()
        finally:
            with ready:
                finished[0] = True
                ready.notify()
            worker.join()
        stopped = any(r.waiting for r in uploaded)
        if not stopped and self.outbox.pending():      # older items still waiting from earlier runs
            uploaded.append(self.outbox.flush(self.client, progress=step))
        self._collect(report, uploaded)
        return report

    def send_message(self, recipient: str, subject: str, text: str, *,
                     recipient_service: Optional[str] = None,
                     attachments: Sequence[Tuple[str, bytes]] = (), template: str = "") -> SendReport:
        from tui_client.core import route

        report = SendReport()
        atts = tuple(wire.Attachment(n, d) for n, d in attachments)
        bad = [a.name for a in atts if a.media_type is None]
        if bad:
            report.findings = [make("E-SEND-005", n, value=n) for n in bad]
            return report
        own_service = self.settings.services[0] if (recipient_service and self.settings.services) else None
        name = route.message_name(self.number, recipient, sender_service=own_service,
                                  recipient_service=recipient_service if own_service else None)
        f = self.queue(name, wire.encode_message(wire.Message(subject, text, atts, template)),
                       kind=wire.KIND_MESSAGE)
        report.findings += f
        if not has_errors(f):
            report.queued.append(name)
            self._flush(report)
        return report

    def flush(self, progress=None) -> SendReport:
        """Upload whatever waits in the outbox (after a crash, an outage, or a requeue)."""
        report = SendReport()
        self._flush(report, progress)
        return report

    def _flush(self, report: SendReport, progress=None) -> None:
        pending = len(self.outbox.pending())
        done = [0]

        def step(outcome):
            done[0] += 1
            if progress:
                progress("sent" if outcome.ok else "failed", outcome.name, done[0], pending)

        self._collect(report, [self.outbox.flush(self.client, progress=step)])

    def _collect(self, report: SendReport, results) -> None:
        for result in results:
            for o in result.sent:
                (report.duplicates if o.duplicate else report.sent).append(o.name)
            for o in result.waiting:
                report.waiting.append(o.name)
                report.findings.append(self._net(o.error, o.name))
            for o in result.shelved:
                report.shelved.append(o.name)
                report.findings.append(self._net(o.error, o.name))
        # Items that stopped the loop early (network down) are still waiting.
        left = {n for n, _ in self.outbox.pending()} - set(report.waiting)
        report.waiting += sorted(left)

    # -- receive
    def receive(self, service: Optional[str] = None) -> ReceiveReport:
        from tui_client.transport.client import TransportError

        report = ReceiveReport()
        self._ensure_registered()
        try:
            self.inbox.fetch(self.client, service)
        except TransportError as exc:
            report.findings.append(self._net(exc))
            # items already on disk are still processed below
        except OSError as exc:       # the inbox cannot be written: the items stay on the relay
            report.findings.append(make("E-RECV-002", reason=exc.strerror or type(exc).__name__))
            return report
        try:
            result = self.inbox.process(self.client, lambda info, data: self._open_and_check(info, data, report))
        except TransportError as exc:
            report.findings.append(self._net(exc))
            return report
        except OSError as exc:
            report.findings.append(make("E-RECV-002", reason=exc.strerror or type(exc).__name__))
            return report
        report.received += result.stored
        for name, exc in result.unstored:
            report.findings.append(make("E-RECV-002", name, reason=exc.strerror or type(exc).__name__))
        for name, exc in result.errors:
            report.findings.append(self._net(exc, name))
        report.kept = [i.name for i in result.kept]
        return report

    def wait_for_arrivals(self, seconds: float, service: Optional[str] = None) -> Tuple[int, List[Finding]]:
        """Wait up to ``seconds`` for something to arrive for this office: (items waiting on the
        relay, findings). Returns at once when something is already there."""
        from tui_client.transport.client import TransportError

        self._ensure_registered()
        try:
            return len(self.client.mailbox(service, wait=seconds)), []
        except TransportError as exc:
            return 0, [self._net(exc)]

    def _open_and_check(self, info: wire.ItemInfo, sealed: bytes, report: ReceiveReport):
        """Open, verify and validate one inbox item: what to archive and the receipt to acknowledge
        it with (``transport.queue.Accepted``), or None to keep it in the inbox."""
        from tui_client.core import receipts, seal
        from tui_client.transport.queue import Accepted

        if self._previous is None:
            # Earlier certificates' keys (after a renewal) cost a key derivation each to open: only
            # here, once, and only when this office has any.
            self._previous, problems = _open_previous(self.settings, self._password)
            report.findings += problems
        opened, findings = seal.open_sealed(sealed, info.name, [self.keystore, *self._previous], self.trust,
                                            expected_sender_office=info.sender)
        if opened is None:
            codes = ",".join(sorted({f.code for f in findings}))
            report.findings.append(make("E-RECV-001", info.name, reason=codes))
            report.findings += findings
            rec = self.inbox.shelf.record(info.id) or {}
            rec["problem"] = codes
            self.inbox.shelf.update(info.id, rec)
            return None
        content = bytes(opened.content)
        record = {"id": info.id, "name": info.name, "kind": info.kind, "sender": info.sender,
                  "sender_service": info.sender_service, "recipient": info.recipient,
                  "recipient_service": info.recipient_service, "received_at": _now(),
                  "signer_office": opened.signer_office, "content_sha256": opened.content_digest,
                  "findings": []}
        if info.kind == wire.KIND_FILE:
            from tui_client.core.validate import validate_file

            vr = validate_file(content, info.name)
            record["findings"] = sorted({f.code for f in vr.findings})
            errors = sum(1 for f in vr.findings if f.blocks_sending)
            if vr.findings:
                report.findings.append(make("W-RECV-003", info.name, errors=errors,
                                            warnings=len(vr.findings) - errors))
        else:
            msg = wire.decode_message(content)
            record["subject"] = msg.subject if msg else ""
            record["attachments"] = [a.name for a in msg.attachments] if msg else []
        return Accepted(info.name, record, content,
                        receipts.make_receipt(info.name, opened.content_digest, self.keystore))

    def export_received(self, record: dict, folder) -> Tuple[List[Path], List[Finding]]:
        """Put a received item where people and the care software can use it: a care-plan file
        under its own name; a message as ``<name>.txt`` (subject, sender, text; UTF-8 with BOM and
        CRLF, which Notepad on every Windows reads) and each attachment of an accepted type under
        its own name, made safe. An identical file already there is left as it is; a different one
        is never overwritten (the new one gets `` (2)``, …)."""
        content = self.received_archive.payload(record["name"])
        if content is None:
            return [], [make("E-RECV-002", record["name"], reason="archive")]
        folder = Path(folder)
        outputs: List[Tuple[str, bytes]] = []
        findings: List[Finding] = []
        if record.get("kind") != wire.KIND_MESSAGE:
            outputs.append((record["name"], content))
        else:
            msg = wire.decode_message(content)
            stem = record["name"].rsplit(".", 1)[0]
            if msg is not None:
                from tui_client.catalog import t

                text = t("receive.message_file", subject=msg.subject, sender=record.get("sender", ""),
                         text=msg.text)
                outputs.append((stem + ".txt", "\ufeff".encode("utf-8") +
                                text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")))
                for att in msg.attachments:
                    if att.media_type is None:
                        findings.append(make("W-RECV-004", record["name"], value=att.name))
                        continue
                    outputs.append((f"{stem}_{wire.safe_file_name(att.name)}", att.data))
        from tui_client.transport.store import write_atomic

        written = []
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in outputs:
            target = _free_name(folder, name, data)
            if target is not None:
                write_atomic(target, data, mode=0o644)
            written.append(target or folder / name)
        self.received_archive.update(record["name"], dict(record, exported=str(folder)))
        return written, findings

    # -- lists
    def sent_status(self) -> Tuple[List[dict], List[Finding]]:
        """Sent items with the relay's state; receipts are fetched, verified and kept."""
        from tui_client.core import receipts
        from tui_client.transport.client import TransportError

        findings: List[Finding] = []
        try:
            remote = {i.id: i for i in self.client.sent()}
        except TransportError as exc:
            remote = {}
            findings.append(self._net(exc))
        from tui_client.transport.store import Batch

        out = []
        changed = Batch()    # one pack for all the changed records, not a file each
        for key, rec in self.sent_archive.items():
            rid = rec.get("relay_id")
            info = remote.get(rid) if rid else None
            if info is not None and rec.get("state") != wire.RECEIVED:
                before = dict(rec)
                rec["state"] = info.state
                if info.state == wire.RECEIVED:
                    try:
                        raw = self.client.receipt(rid)
                    except TransportError as exc:
                        findings.append(self._net(exc, key))
                        raw = None
                    if raw is not None:
                        ok, f = receipts.verify_receipt(raw, key, rec["content_sha256"], self.trust,
                                                        expected_office=rec.get("recipient"),
                                                        sent_at=_parse_time(rec.get("queued_at")))
                        findings += f
                        if ok is not None:
                            rec["receipt"] = base64.b64encode(raw).decode("ascii")
                            rec["receipt_received_at"] = ok.received_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                        else:
                            rec["state"] = wire.DOWNLOADED  # not proven: keep asking
                if rec != before:
                    changed.update(self.sent_archive, key, rec)
            out.append(rec)
        try:
            changed.commit()
        except OSError as exc:
            changed.abandon()
            findings.append(make("W-SEND-006", reason=exc.strerror or type(exc).__name__))
        return out, findings

    def sent_archive_records(self) -> List[dict]:
        """Sent items as last recorded on this PC (no network)."""
        return [rec for _, rec in self.sent_archive.items()]

    def received(self) -> List[dict]:
        return [rec for _, rec in self.received_archive.items()]

    def waiting(self) -> List[dict]:
        return [rec for _, rec in self.outbox.pending()]

    def error_shelf(self) -> List[dict]:
        return [rec for _, rec in self.outbox.shelved()]

    def requeue(self, name: str) -> bool:
        return self.outbox.requeue(name)


def _chunks(total: int, first: int = 8, most: int = 50) -> List[Tuple[int, int]]:
    """(start, end) of the chunks a send seals and uploads: a small first one so that uploading
    starts soon, then doubling up to ``most`` (each chunk costs one file and one flush)."""
    out, start, size = [], 0, first
    while start < total:
        out.append((start, min(total, start + size)))
        start += size
        size = min(most, size * 2)
    return out


def _free_name(folder: Path, name: str, data: bytes) -> Optional[Path]:
    """Where to write ``data`` as ``name`` in ``folder``: None when the same bytes are already there."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    for n in range(1, 1000):
        candidate = folder / (name if n == 1 else f"{stem} ({n}){dot}{ext}")
        try:
            if candidate.read_bytes() == data:
                return None
        except FileNotFoundError:
            return candidate
    raise OSError("too many files with the same name")


def setup_office(keystore_file: str, password: Optional[str], relay_url: str, ca_file: str, *,
                 crl_files: Sequence[str] = (), services: Sequence[str] = (), name: str = "",
                 home: Optional[str] = None,
                 previous_password: Optional[str] = None) -> Tuple[Optional[OfficeSettings], List[Finding]]:
    """Set up this PC for a real office: the keystore must open with the password, name an office
    and pass the trust store's checks; then the settings (never the password) are saved. The
    keystore stays where the user keeps it.

    Renewal: when this office is already set up with another certificate, its keystore (opened with
    ``previous_password``, or the new password when that is not given) is copied into the office's
    folder re-encrypted with the new password, with the earlier ones, so items sealed to the old
    certificate still open and only the current password is ever asked for. If the old keystore
    cannot be opened the renewal still goes ahead, with W-CFG-004."""
    from tui_client.core import certs

    try:
        raw = Path(keystore_file).read_bytes()
        roots = Path(ca_file).read_bytes()
        crls = [Path(c).read_bytes() for c in crl_files]
    except OSError as exc:
        return None, [make("E-CFG-002", keystore_file, reason=exc.strerror or type(exc).__name__)]
    ks, findings = certs.load_keystore(raw, password, Path(keystore_file).name)
    if ks is None:
        return None, findings
    trust, f2 = certs.load_trust_store(roots, crls, Path(ca_file).name)
    if trust is None:
        return None, findings + f2
    findings += certs.check_certificate(ks.certificate, trust, intermediates=ks.chain,
                                        name=Path(keystore_file).name)
    if has_errors(findings) or ks.office_number is None:
        return None, findings
    earlier, f3 = _carry_over_previous(ks, password, previous_password, home)
    settings = OfficeSettings(office=ks.office_number, relay_url=relay_url,
                              keystore_file=str(Path(keystore_file).resolve()),
                              ca_file=str(Path(ca_file).resolve()),
                              crl_files=[str(Path(c).resolve()) for c in crl_files],
                              services=list(services), name=name, previous_keystores=earlier)
    save_settings(settings, home)
    return settings, findings + f3


#: How many earlier certificates an office keeps keys for (a certificate lasts years; items wait days).
MAX_PREVIOUS_KEYSTORES = 3


def _carry_over_previous(new, password: Optional[str], previous_password: Optional[str],
                         home: Optional[str]) -> Tuple[List[str], List[Finding]]:
    """The previous-keystore files for the settings being saved for ``new``'s office."""
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, NoEncryption, pkcs12

    from tui_client.core import certs
    from tui_client.transport.store import write_atomic

    old_settings, _ = load_settings(new.office_number, home)
    if old_settings is None:       # a first set-up: nothing to carry over
        return [], []
    old_password = previous_password if previous_password is not None else password
    if old_settings.demo_id and previous_password is None:
        from tui_client import sample_certs

        old_password = sample_certs.office(old_settings.demo_id)["password"]
    wanted = [old_settings.keystore_file, *old_settings.previous_keystores]
    folder = config.paths(home).office(new.office_number).keystore
    kept: List[str] = []
    findings: List[Finding] = []
    for path in wanted:
        if len(kept) >= MAX_PREVIOUS_KEYSTORES:
            break
        try:
            raw = Path(path).read_bytes()
        except OSError:
            continue
        ks, _ = certs.load_keystore(raw, old_password, Path(path).name)
        if ks is None:  # earlier copies were re-encrypted with the previous current password
            ks, _ = certs.load_keystore(raw, password, Path(path).name)
        if ks is None:
            findings.append(make("W-CFG-004", Path(path).name, value=Path(path).name))
            continue
        if ks.certificate == new.certificate or ks.office_number != new.office_number:
            continue
        fp = certs.fingerprint(ks.certificate).replace(":", "").lower()[:16]
        target = folder / f"previous-{fp}.p12"
        if str(target) not in kept:
            enc = BestAvailableEncryption(password.encode("utf-8")) if password else NoEncryption()
            write_atomic(target, pkcs12.serialize_key_and_certificates(
                f"previous-{fp}".encode("ascii"), ks.key, ks.certificate, list(ks.chain), enc))
            kept.append(str(target))
    return kept, findings


def _open_previous(settings: OfficeSettings, password: Optional[str]) -> Tuple[list, List[Finding]]:
    """Earlier keystores, opened with the current password; one that does not open is reported
    (W-CFG-005) and left out: only items sealed to that certificate are affected."""
    from tui_client.core import certs

    out, findings = [], []
    for path in settings.previous_keystores:
        try:
            ks, _ = certs.load_keystore(Path(path).read_bytes(), password, Path(path).name)
        except OSError:
            ks = None
        if ks is None:
            findings.append(make("W-CFG-005", Path(path).name, value=Path(path).name))
        else:
            out.append(ks)
    return out, findings


def setup_demo_office(demo_id: str, relay_url: str, home: Optional[str] = None) -> OfficeSettings:
    """Settings for a DEMO office from sample_certs (its public password is looked up, never saved)."""
    from tui_client import sample_certs

    entry = sample_certs.office(demo_id)
    m = sample_certs.manifest()
    settings = OfficeSettings(office=entry["office_number"], relay_url=relay_url,
                              keystore_file=str(sample_certs.path(entry["keystore"])),
                              ca_file=str(sample_certs.path(m["ca"]["certificate"])),
                              crl_files=[str(sample_certs.path(m["ca"]["crl"]))],
                              services=list(entry.get("services") or []), name=entry.get("name") or "",
                              demo_id=demo_id)
    save_settings(settings, home)
    return settings
