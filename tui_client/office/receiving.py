"""Receiving: list, download into the inbox, open and verify, validate, store in the archive (a group
per transaction), signed receipt, acknowledge; then saving received items where the care software
reads them, and the preview a screen shows.

An item that cannot be opened stays in the inbox and on the relay; no receipt is sent for it.
States of a received item: 新着 (NEW) when stored, 確認済み (SEEN) once ``preview`` or ``mark_seen``
was called for it, 保存済み (SAVED) once ``save_received``/``export_received`` wrote it out.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from tui_client.core import wire
from tui_client.core.findings import Finding, make
from tui_client.office.models import InboxState, Preview
from tui_client.office.results import ReceiveReport


def _now() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _other_pc_time(info: wire.ItemInfo) -> Optional[str]:
    """When another PC of this office acknowledged the item (the relay listed it as received), in
    the store's time form; None when no PC had. The relay writes microseconds; the store does not."""
    from datetime import datetime, timezone

    if info.state != wire.RECEIVED or not info.received_at:
        return None
    try:
        when = datetime.fromisoformat(str(info.received_at).replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


class ReceivingPart:
    def receive(self, service: Optional[str] = None, *, progress=None,
                cancel: Optional[threading.Event] = None) -> ReceiveReport:
        from tui_client.transport.client import TransportError

        report = ReceiveReport()
        cancel = self._cancel_event(cancel)
        self._ensure_registered()
        try:
            listed = self.inbox_queue.listed(self.client, service)
        except TransportError as exc:
            report.findings.append(self._net(exc))
            listed = []              # items already on disk are still processed below
        self._learn_names([i.sender for i in listed] +
                          [info["info"].get("sender") for _, info, _ in self.db.inbox_list() if "info" in info])
        names: dict = {}   # the senders' names, read from the directory's copy once per receive

        def open_one(info: wire.ItemInfo, data: bytes):
            accepted = self._open_and_check(info, data, report)
            if accepted is not None:
                if info.sender not in names:
                    names[info.sender] = self.partner_name(info.sender)
                accepted.record["partner_name"] = names[info.sender]
            return accepted
        try:   # downloads overlap the opening of what is already on disk (transport.queue.Inbox.receive)
            result = self.inbox_queue.receive(self.client, open_one, listed, cancel=cancel)
        except TransportError as exc:
            report.findings.append(self._net(exc))
            return report
        except (OSError, self._db_error) as exc:
            report.findings.append(self._unstored(exc))
            return report
        if isinstance(result.fetch_error, TransportError):
            report.findings.append(self._net(result.fetch_error))
        elif isinstance(result.fetch_error, (OSError, self._db_error)):  # the inbox cannot be written: the
            report.findings.append(self._unstored(result.fetch_error))    # items stay on the relay
        elif result.fetch_error is not None:
            raise result.fetch_error
        names = [rec["name"] for rec in result.stored]
        report.received += [item for item in self.inbox_items(names) if item is not None]
        if progress:
            for i, item in enumerate(report.received, 1):
                progress("received", item.name, i, len(report.received))
        for name, exc in result.unstored:
            report.findings.append(make("E-RECV-002", name, reason=exc.strerror or type(exc).__name__))
        for name, exc in result.errors:
            report.findings.append(self._net(exc, name))
        report.kept = [i.name for i in result.kept]
        report.cancelled = bool(cancel.is_set())
        return report

    @staticmethod
    def _unstored(exc: BaseException) -> Finding:
        return make("E-RECV-002", reason=getattr(exc, "strerror", None) or type(exc).__name__)

    def _learn_names(self, offices) -> None:
        """Ask the directory once for the names of senders this PC does not know yet (shown with
        each received item); a failure only leaves the names empty."""
        cached = self._cached_directory()
        unknown = sorted({o for o in offices if o and o not in cached})
        if unknown:
            entries, findings = self.directory(unknown)
            if not findings:
                self._remember(entries)

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
        from tui_client.core.people import users_text
        from tui_client.office.settings import _open_previous
        from tui_client.transport.queue import Accepted

        with self._lock:
            previous = self._previous
        if previous is None:
            # Earlier certificates' keys (after a renewal) cost a key derivation each to open: only
            # here, once, and only when this office has any.
            previous, problems = _open_previous(self.settings, self._password)
            report.findings += problems
            with self._lock:
                self._previous = previous
        opened, findings = seal.open_sealed(sealed, info.name, [self.keystore, *previous], self.trust,
                                            expected_sender_office=info.sender)
        if opened is None:
            codes = ",".join(sorted({f.code for f in findings}))
            report.findings.append(make("E-RECV-001", info.name, reason=codes))
            report.findings += findings
            rec = self.db.inbox_record(info.id) or {}
            rec["problem"] = codes
            self.db.inbox_update(info.id, rec)
            return None
        content = bytes(opened.content)
        record = {"id": info.id, "name": info.name, "kind": info.kind, "sender": info.sender,
                  "sender_service": info.sender_service, "recipient": info.recipient,
                  "recipient_service": info.recipient_service, "received_at": _now(),
                  "signer_office": opened.signer_office, "content_sha256": opened.content_digest,
                  "size": len(content), "findings": [], "partner_name": "",   # set by receive
                  "other_pc_received_at": _other_pc_time(info)}
        users = ""
        if info.kind == wire.KIND_FILE:
            from tui_client.core.validate import validate_file

            vr = validate_file(content, info.name)
            record["findings"] = sorted({f.code for f in vr.findings})
            errors = sum(1 for f in vr.findings if f.blocks_sending)
            if vr.findings:
                report.findings.append(make("W-RECV-003", info.name, errors=errors,
                                            warnings=len(vr.findings) - errors))
            users = users_text(info.name, content)
        else:
            msg = wire.decode_message(content)
            record["subject"] = msg.subject if msg else ""
            record["attachments"] = [a.name for a in msg.attachments] if msg else []
        return Accepted(info.name, record, content,
                        receipts.make_receipt(info.name, opened.content_digest, self.keystore), users)

    # -- saving where the care software reads
    def export_received(self, record, folder) -> Tuple[List[Path], List[Finding]]:
        """Put a received item where people and the care software can use it: a care-plan file
        under its own name; a message as ``<name>.txt`` (subject, sender, text; UTF-8 with BOM and
        CRLF, which Notepad on every Windows reads) and each attachment of an accepted type under
        its own name, made safe. An identical file already there is left as it is; a different one
        is never overwritten (the new one gets `` (2)``, …). ``record``: an InboxItem, a name, or
        the archive record (dict) of the item."""
        name = record if isinstance(record, str) else getattr(record, "name", None) or record["name"]
        content = self.db.archive_content("received", name)
        stored = self.db.archive_record("received", name)
        if content is None or stored is None:
            return [], [make("E-RECV-002", name, reason="archive")]
        folder = Path(folder)
        outputs: List[Tuple[str, bytes]] = []
        findings: List[Finding] = []
        if stored.get("kind") != wire.KIND_MESSAGE:
            outputs.append((name, content))
        else:
            msg = wire.decode_message(content)
            stem = name.rsplit(".", 1)[0]
            if msg is not None:
                from tui_client.catalog import t

                text = t("receive.message_file", subject=msg.subject, sender=stored.get("sender", ""),
                         text=msg.text)
                outputs.append((stem + ".txt", "\ufeff".encode("utf-8") +
                                text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")))
                for att in msg.attachments:
                    if att.media_type is None:
                        findings.append(make("W-RECV-004", name, value=att.name))
                        continue
                    outputs.append((f"{stem}_{wire.safe_file_name(att.name)}", att.data))
        from tui_client.transport.store import write_atomic

        written = []
        folder.mkdir(parents=True, exist_ok=True)
        for out_name, data in outputs:
            target = _free_name(folder, out_name, data)
            if target is not None:
                write_atomic(target, data, mode=0o644)
            written.append(target or folder / out_name)
        rec = {k: v for k, v in stored.items() if k not in ("seq", "archive_state")}
        rec["exported"] = str(folder)
        self.db.archive_update("received", name, rec, state=InboxState.SAVED.value)
        return written, findings

    def save_received(self, keys: Sequence[str], folder) -> Tuple[List[Path], List[Finding]]:
        """Save several received items (names or relay ids) in ``folder``, in the order they were
        received, so the files of one bundle arrive in the care software together."""
        items = self.inbox_items(keys)
        found = sorted((i for i in items if i is not None), key=lambda i: i.seq)
        missing = [k for k, i in zip(keys, items) if i is None]
        paths: List[Path] = []
        findings: List[Finding] = [make("E-RECV-002", k, reason="archive") for k in missing]
        for item in found:
            try:
                p, f = self.export_received(item.name, folder)
            except OSError as exc:
                findings.append(make("E-RECV-005", item.name, folder=str(folder),
                                     reason=exc.strerror or type(exc).__name__))
                continue
            paths += p
            findings += f
        return paths, findings

    def unsaved(self) -> List[str]:
        """Names of received items not yet saved to a folder, oldest first."""
        return [n for n, rec in self.db.archive_list("received") if not rec.get("exported")]

    # -- reading
    def mark_seen(self, key: str) -> bool:
        """新着 → 確認済み (a saved item stays 保存済み)."""
        item = self.inbox_item(key)
        if item is None:
            return False
        if item.state == InboxState.NEW:
            self.db.archive_update("received", item.name, state=InboxState.SEEN.value)
        return True

    def preview(self, key: str) -> Optional[Preview]:
        """A received item ready to read: its findings and its rows labelled by the layout (or a
        message's text and attachments). Marks it 確認済み."""
        item = self.inbox_item(key)
        if item is None:
            return None
        content = self.db.archive_content("received", item.name) or b""
        self.mark_seen(key)
        item = self.inbox_item(key) or item
        if item.kind == wire.KIND_MESSAGE:
            msg = wire.decode_message(content)
            if msg is None:
                return Preview(item, item.findings, problem="E-RECV-001")
            return Preview(item, item.findings, text=msg.text, attachments=tuple(a.name for a in msg.attachments))
        from tui_client.office.preview import labelled_records

        records, grid = labelled_records(item.name, content)
        return Preview(item, item.findings, records=records, grid=grid)
