"""Sending: check and route a batch, seal each file to its recipient, queue it in the outbox, upload.

An item is identified by its name AND the SHA-256 of its plain content: a file sent before (same
name, same content) is reported as already sent and never sealed again (a new envelope would differ
and the relay would refuse it as "same name, other content"); a different file under a name the
relay still holds is a conflict (E-SEND-010), said before anything is sealed.

Threads: ``send`` is a pipeline. The calling thread checks, seals and commits a chunk to the outbox,
then hands its entries (record + sealed bytes, in memory) to one uploader thread, which only talks to
the relay (no database on that thread) while the caller seals the next chunk; at most ``AHEAD``
chunks wait for it. The answers come back over a queue and the calling thread settles them: the
relay's ids go to the sent archive ``CONFIRM_EVERY`` at a time, progress is reported from there.
The uploader stops at the first retryable answer (relay down, busy): the rest stays in the outbox.
On every way out (an exception, Ctrl-C) the uploader is joined; whatever is not confirmed is still in
the outbox as 送信待ち and goes next time under the same idempotency key (its sealed bytes are kept),
so the relay answers with the id it gave. ``cancel`` (a ``threading.Event``) stops both between
items: what was done stays done, the rest waits in the outbox.
"""

from __future__ import annotations

import hashlib
import queue as _queue
import threading
from typing import Callable, List, Optional, Sequence, Tuple

from tui_client.core import wire
from tui_client.core.findings import Finding, has_errors, make
from tui_client.office.results import NamedFile, Prepared, SendReport

ProgressFn = Callable[[str, str, int, int], None]

#: Chunks sealed and committed that may wait for the uploader (the calling thread then waits).
AHEAD = 2
#: Relay ids recorded in the sent archive in one transaction.
CONFIRM_EVERY = 50

#: An outbox entry handed to the uploader: (name, record, sealed bytes).
_Entry = Tuple[str, dict, bytes]
_DONE = object()


def _digests(files: Sequence[NamedFile]) -> List[str]:
    return [hashlib.sha256(content).hexdigest() for _, content in files]


class _Uploader:
    """The upload thread of a send. It uploads the entries handed to it, in order, and hands back
    each answer (``Outbox.upload_entry``; settling is the caller's); after a retryable failure, a
    cancel or ``abort`` it uploads nothing more. ``finish`` always ends it and joins it."""

    def __init__(self, outbox, client, cancel: threading.Event):
        self.outbox, self.client, self.cancel = outbox, client, cancel
        self.ahead: "_queue.Queue[Optional[List[_Entry]]]" = _queue.Queue(maxsize=AHEAD)
        self.answers: "_queue.Queue[object]" = _queue.Queue()
        self.stop = threading.Event()     # the line is down: the rest waits in the outbox
        self.abort = threading.Event()    # the caller is leaving on an exception
        self.failure: Optional[BaseException] = None
        self._told = self._ended = False
        self._thread = threading.Thread(target=self._run, name="tsunagi-upload", daemon=True)
        self._thread.start()

    def _halted(self) -> bool:
        return self.stop.is_set() or self.abort.is_set() or self.cancel.is_set()

    def _run(self) -> None:
        try:
            while True:
                chunk = self.ahead.get()
                if chunk is None:
                    return
                for name, record, sealed in chunk:
                    if self._halted():
                        break
                    up = self.outbox.upload_entry(self.client, name, record, sealed)
                    self.answers.put(up)
                    if up.stops:
                        self.stop.set()
        except BaseException as exc:   # a bug here must not leave the caller waiting on a full queue
            self.failure = exc
            self.stop.set()
            while self.ahead.get() is not None:   # the caller always ends with None (finish)
                pass
        finally:
            self.answers.put(_DONE)

    def hand(self, entries: List[_Entry]) -> None:
        """Give the uploader a committed chunk (waits while AHEAD chunks are still waiting)."""
        self.ahead.put(entries)

    def ready(self) -> List[object]:
        """The answers that came back so far, without waiting."""
        out = []
        while True:
            try:
                a = self.answers.get_nowait()
            except _queue.Empty:
                return out
            if a is _DONE:                 # only after finish; put back for it
                self.answers.put(a)
                return out
            out.append(a)

    def finish(self):
        """Tell the uploader that nothing more comes, yield its remaining answers as they arrive,
        and join it. Called again (an exception left the first call), it goes on from where that
        one stopped: the end is told once and waited for once."""
        if not self._told:
            self._told = True
            self.ahead.put(None)
        try:
            while not self._ended:
                a = self.answers.get()
                if a is _DONE:
                    self._ended = True
                else:
                    yield a
        finally:
            if self._ended:
                self._thread.join()


def _chunks(total: int, first: int = 8, most: int = 50) -> List[Tuple[int, int]]:
    """(start, end) of the chunks a send seals and uploads: a small first one so that uploading
    starts soon, then doubling up to ``most`` (each chunk is one transaction)."""
    out, start, size = [], 0, first
    while start < total:
        out.append((start, min(total, start + size)))
        start += size
        size = min(most, size * 2)
    return out


class SendingPart:
    # -- check and plan
    def prepare(self, files: Sequence[NamedFile], *, use_directory: bool = True,
                digests: Optional[Sequence[str]] = None) -> Prepared:
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
        prepared = Prepared(list(files), check, plan,
                            digests=dict(zip((n for n, _ in files), digests or _digests(files))))
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

    # -- one item
    def sent_before(self, name: str, content: bytes, *, digest: Optional[str] = None) -> Tuple[str, Optional[dict]]:
        """What this office already did with this file: ("sent", record) for the same name and
        content in the sent archive; ("conflict", record) for the same name with other content the
        relay still holds; ("", None) otherwise. ``digest``: the SHA-256 of ``content``, if known."""
        digest = digest or hashlib.sha256(content).hexdigest()
        same = self.db.sent_with_content(name, digest)
        if same is not None:
            return "sent", same
        other = self.db.archive_record("sent", name)
        if other is not None:        # the relay keeps every name it stored, whatever its state
            return "conflict", other
        return "", None

    def queued(self, names: Sequence[str]) -> set:
        """Which of these names wait in the outbox (送信待ち), looked up by name."""
        return self.db.outbox_present(names, "waiting")

    def queue(self, name: str, content: bytes, *, kind: str = wire.KIND_FILE, batch=None,
              waiting: Optional[set] = None, report: Optional[SendReport] = None) -> List[Finding]:
        """Seal one item to its recipient's current certificates and put it in the outbox (the
        office database), with its plaintext for the sent archive. Nothing goes over the network
        except the directory. With ``batch`` (a ``transport.clientdb.Batch``) the write commits with
        it. ``waiting``: the names already in the outbox, when the caller listed them once for many.
        An item already sent (same name and content) is added to ``report.already_sent``."""
        return self._queue_one(name, content, kind=kind, batch=batch, waiting=waiting, report=report)[0]

    def _queue_one(self, name: str, content: bytes, *, kind: str = wire.KIND_FILE, batch=None,
                   waiting: Optional[set] = None, report: Optional[SendReport] = None,
                   digest: Optional[str] = None, partner_name: Optional[Callable[[str], str]] = None,
                   ) -> Tuple[List[Finding], Optional[_Entry]]:
        """``queue``, also giving the outbox entry to upload: (findings, entry or None). A name
        already waiting in the outbox gives its entry as queued then (the same sealed bytes, so the
        same idempotency key). ``digest``: the SHA-256 of ``content`` if known; ``partner_name``:
        a lookup the caller keeps for many items."""
        from tui_client.core import route, seal

        if name in waiting if waiting is not None else self.outbox_queue.has(name):
            entry = self.db.outbox_entry(name)
            if entry is None or entry[0].get("shelf") != "waiting":
                return [], None
            return [], (name, entry[0], entry[1])
        digest = digest or hashlib.sha256(content).hexdigest()
        before, rec = self.sent_before(name, content, digest=digest)
        if before == "sent":
            if report is not None:
                report.already_sent.append(name)
            return [], None
        if before == "conflict":
            return [make("E-SEND-010", name, value=str((rec or {}).get("sent_at") or ""))], None
        r, findings = route.route(name)
        if r is None:
            return findings, None
        if r.sender != self.number:
            return [make("E-SEND-001", name, expected=self.number)], None
        certs_ = self._recipient_certs(r.recipient)
        if not certs_:
            return [make("E-SEND-002", name, value=r.recipient)], None
        # The sender's certificate was checked against the trust store when the office was opened,
        # the recipient's when the directory answered (_verified): no per-file chain walk here.
        sealed, f = seal.seal(content, name, self.keystore, certs_, trust=None,
                              sender_office=r.sender, recipient_office=r.recipient)
        if sealed is None:
            return f, None
        facts = {"kind": r.kind, "recipient": r.recipient, "recipient_service": r.recipient_service,
                 "sender_service": r.sender_service, "content_sha256": digest, "state": "queued"}
        if kind == wire.KIND_MESSAGE:
            msg = wire.decode_message(content)
            facts["subject"] = msg.subject if msg else ""
        else:   # the archive's search by user and partner name (保管庫)
            from tui_client.core.people import users_text

            facts["users"] = users_text(name, content)
        facts["partner_name"] = (partner_name or self.partner_name)(r.recipient)
        sealed = bytes(sealed)
        try:
            record = self.outbox_queue.enqueue(name, sealed, plaintext=content, batch=batch, check=False,
                                               plain_sha256=digest, **facts)
        except (OSError, self._db_error) as exc:
            return [make("E-SEND-004", name, reason=getattr(exc, "strerror", None) or type(exc).__name__)], None
        return [x for x in f if not x.blocks_sending], (name, record, sealed)

    # -- a batch
    def send(self, files: Sequence[NamedFile], *, prepared: Optional[Prepared] = None,
             progress: Optional[ProgressFn] = None, cancel: Optional[threading.Event] = None) -> SendReport:
        """Check, seal, queue and upload. Errors in any file block the whole batch (a bundle must
        travel whole); warnings do not. Files sent before (same name and content) are listed in
        ``already_sent`` and not sent again. ``prepared``: these very files checked before
        (``prepare``), reused when its names and contents' digests are the files'; otherwise the
        files are checked again."""
        report = SendReport()
        cancel = self._cancel_event(cancel)
        self._ensure_registered()
        digests = _digests(files)
        if prepared is None or not prepared.matches(files, digests):
            prepared = self.prepare(files, digests=digests)
        if prepared.blocked:
            report.findings = [f for f in prepared.all_findings() if f.blocks_sending]
            report.findings.append(make("E-SEND-003"))
            return report
        uploaded = self._pipeline(prepared.files, digests, report, progress, cancel)
        self._collect(report, uploaded)
        return report

    def _pipeline(self, files: Sequence[NamedFile], digests: Sequence[str], report: SendReport,
                  progress: Optional[ProgressFn], cancel: threading.Event) -> List[object]:
        """Seal and commit chunk by chunk here, upload on the uploader thread, settle the answers
        here (module docstring). Returns the flush results for ``_collect``."""
        from tui_client.transport.clientdb import Batch
        from tui_client.transport.queue import FlushResult

        total = len(files)
        out = FlushResult()
        confirmed: List[tuple] = []
        done = [0]
        names_of: dict = {}

        def partner_name(office: str) -> str:
            if office not in names_of:
                names_of[office] = self.partner_name(office)
            return names_of[office]

        def take(up) -> None:
            """Settle one answer of the uploader, here in the calling thread."""
            outcome, ok = self.outbox_queue.settle(up)
            if ok is not None:
                confirmed.append(ok)
                if len(confirmed) >= CONFIRM_EVERY:
                    self.outbox_queue.confirm(confirmed)
            out.add(outcome)
            done[0] += 1
            if progress:
                progress("sent" if outcome.ok or outcome.already_sent else "failed", outcome.name,
                         done[0], total)

        waiting = self.db.outbox_present([n for n, _ in files])
        uploader = _Uploader(self.outbox_queue, self.client, cancel)
        leaving = True
        try:
            for start, end in _chunks(total):
                if cancel.is_set():
                    break
                batch = Batch(self.db)
                entries: List[_Entry] = []
                try:
                    for i in range(start, end):
                        if cancel.is_set():
                            break
                        name, content = files[i]
                        f, entry = self._queue_one(name, content, batch=batch, waiting=waiting, report=report,
                                                   digest=digests[i], partner_name=partner_name)
                        report.findings += f
                        if name in report.already_sent:
                            done[0] += 1
                            if progress:
                                progress("sent", name, done[0], total)
                        elif entry is not None:
                            entries.append(entry)
                            if progress:
                                progress("sealed", name, i + 1, total)
                    batch.commit()      # these files are in the outbox, on disk, before any upload
                except (OSError, self._db_error) as exc:
                    batch.abandon()
                    report.findings.append(make("E-SEND-004", reason=getattr(exc, "strerror", None)
                                                or type(exc).__name__))
                    break
                report.queued += [e[0] for e in entries]
                for up in uploader.ready():
                    take(up)
                if entries and not uploader.stop.is_set():
                    uploader.hand(entries)
            for up in uploader.finish():
                take(up)
            self.outbox_queue.confirm(confirmed)
            leaving = False
        finally:
            if leaving:
                # An exception (a disk failure, Ctrl-C): the uploader stops after its current item
                # and is joined. What it uploaded is confirmed if the database still lets us; what
                # is not stays 送信待ち and goes next time with the same idempotency key.
                uploader.abort.set()
                rest = list(uploader.finish())
                try:
                    for up in rest:
                        outcome, ok = self.outbox_queue.settle(up)
                        if ok is not None:
                            confirmed.append(ok)
                    self.outbox_queue.confirm(confirmed)
                except Exception:   # noqa: BLE001 - the first exception is the one to raise
                    pass
        if uploader.failure is not None:
            raise uploader.failure
        out.cancelled = cancel.is_set() and done[0] < total      # stopped with something left
        results = [out]
        if not uploader.stop.is_set() and not cancel.is_set() and self.db.outbox_count("waiting"):
            # older items still waiting from earlier runs
            results.append(self.outbox_queue.flush(self.client, progress=self._stepper(progress, done),
                                                   cancel=cancel))
        return results

    def send_message(self, recipient: str, subject: str, text: str, *,
                     recipient_service: Optional[str] = None,
                     attachments: Sequence[Tuple[str, bytes]] = (), template: str = "") -> SendReport:
        from tui_client.core import route

        """Seal and send one message. Attachments are checked by content (``core.attachments``:
        PDF, JPEG, PNG, GIF, TXT; sizes per file and per message) and go under their safe names;
        any refusal sends nothing. ``template``: the id of the standard note it was filled from."""
        from tui_client.core.attachments import check_attachments

        report = SendReport()
        checked, whole = check_attachments(attachments, text)
        report.findings = [f for c in checked for f in c.findings] + whole
        if has_errors(report.findings):
            return report
        atts = tuple(wire.Attachment(c.name, d) for c, (_, d) in zip(checked, attachments))
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

    # -- the outbox alone
    def flush(self, progress: Optional[ProgressFn] = None,
              cancel: Optional[threading.Event] = None) -> SendReport:
        """Upload whatever waits in the outbox (after a crash, an outage, or a requeue)."""
        report = SendReport()
        self._flush(report, progress, self._cancel_event(cancel))
        return report

    def _stepper(self, progress: Optional[ProgressFn], done: List[int], total: Optional[int] = None):
        total = total if total is not None else done[0] + self.db.outbox_count("waiting")

        def step(outcome):
            done[0] += 1
            if progress:
                progress("sent" if outcome.ok or outcome.already_sent else "failed", outcome.name,
                         done[0], total)
        return step

    def _flush(self, report: SendReport, progress: Optional[ProgressFn] = None,
               cancel: Optional[threading.Event] = None) -> None:
        step = self._stepper(progress, [0])
        self._collect(report, [self.outbox_queue.flush(self.client, progress=step, cancel=cancel)])

    def _collect(self, report: SendReport, results) -> None:
        for result in results:
            for o in result.sent:
                (report.duplicates if o.duplicate else report.sent).append(o.name)
            report.already_sent += [o.name for o in result.already_sent]
            for o in result.waiting:
                report.waiting.append(o.name)
                report.findings.append(self._net(o.error, o.name))
            for o in result.shelved:
                report.shelved.append(o.name)
                report.findings.append(self._net(o.error, o.name))
            report.cancelled = report.cancelled or result.cancelled
        # Items that stopped the loop early (network down, cancelled) are still waiting.
        known = set(report.waiting)
        left = [n for n in self.db.outbox_names("waiting") if n not in known]
        report.waiting += left

    # -- the error shelf and the relay
    def requeue(self, name: str) -> bool:
        """Put an item from the error shelf back in the outbox (after the cause was fixed)."""
        return self.outbox_queue.requeue(name)

    def discard(self, name: str) -> bool:
        """Drop an item from the error shelf: it was refused and a person decided not to send it."""
        return self.outbox_queue.discard(name)

    def withdraw(self, name: str) -> List[Finding]:
        """Withdraw a sent item the recipient has not received yet (it stays in the sent archive as
        取り下げ); an item still in the outbox is simply taken out of it."""
        from tui_client.transport.client import TransportError

        rec = self.db.outbox_record(name)
        if rec is not None and rec.get("shelf") == "waiting":
            self.db.outbox_remove([name])
            return []
        sent = self.db.archive_record("sent", name)
        if sent is None or not sent.get("relay_id"):
            return [make("E-SEND-011", name, value=name)]
        try:
            info = self.client.withdraw(str(sent["relay_id"]))
        except TransportError as exc:
            return [self._net(exc, name)]
        rec = {k: v for k, v in sent.items() if k not in ("seq", "archive_state")}
        rec["state"] = info.state or wire.WITHDRAWN
        self.db.archive_update("sent", name, rec)
        return []
