"""The evidence archive (保管庫): check an archived exchange again, export it for one user or one
month, delete records past the retention period, and take in the national client's downloads.

What is kept for each exchange (``transport/clientdb.py``, blobs by SHA-256): the plain file, the
sealed envelope as uploaded or downloaded, and the signed receipt (the recipient's for what we sent,
ours for what we received). ``verify_archived`` checks them again with the stored trust, so the
archive is evidence that can be checked (運営指導), not just stored.

Never: print, ask, or delete without a plan a person saw (``retention_plan`` first, then
``apply_retention`` of exactly that plan). Clocks are arguments where the result depends on them.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from tui_client.core import wire
from tui_client.core.findings import Finding, make
from tui_client.office.models import (ExportResult, FindingSummary, ImportResult, ListQuery, OutboxState,
                                      RetentionPlan, Verification)
from tui_client.office.settings import RETENTION_DEFAULT, RETENTION_MAX, RETENTION_MIN

#: Subfolder of an export holding the sealed envelopes and the signed receipts.
EVIDENCE_FOLDER = "evidence"
INDEX_NAME = "index.csv"
_ISO = "%Y-%m-%dT%H:%M:%SZ"


def _summary(f: Finding) -> FindingSummary:
    return FindingSummary(code=f.code, row=f.row, column=f.column, field=f.field or "", value=str(f.value or ""),
                          params=tuple(f.params) + ((("file", f.file),) if f.file else ()))


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime(_ISO)


def years_before(now: datetime, years: int) -> datetime:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def archive_state_filter(state: str) -> Tuple[str, Tuple[str, ...], Tuple[str, ...]]:
    """A screen's state value (OutboxState or InboxState) as (direction, states, excluded states)
    of the store: a sent record keeps the relay's word (waiting, downloaded, received, withdrawn)."""
    if state == OutboxState.SENT.value:
        return "sent", (), (wire.RECEIVED, wire.WITHDRAWN)
    if state in (OutboxState.RECEIVED.value, OutboxState.WITHDRAWN.value):
        return "sent", (state,), ()
    return "received", (state,), ()


class EvidencePart:
    # -- searching (the archive tab and `tsunagi archive`)
    def archive_rows(self, query: ListQuery):
        """The store's page for ``query``: partner by number (digits) or by name; state by the
        screens' words; everything combined and paged in SQL."""
        direction, states, excluded = query.direction, (), ()
        if query.state:
            wanted, states, excluded = archive_state_filter(query.state)
            if direction and direction != wanted:
                return [], 0
            direction = wanted
        partner = query.partner.strip()
        number = partner if partner.isdigit() else ""
        named = () if number or not partner else tuple(
            o for o, e in self._cached_directory().items() if partner in str((e or {}).get("name") or ""))
        return self.db.archive_search(direction=direction, partner=number, partner_name=partner if not number else "",
                                      partner_in=named,
                                      month=query.month, kind=query.kind, states=states,
                                      exclude_states=excluded, text=query.text, user=query.user,
                                      offset=query.offset, limit=query.limit)

    def _retention_years(self) -> int:
        years = getattr(self.settings, "retention_years", RETENTION_DEFAULT)
        if isinstance(years, bool) or not isinstance(years, int) or not RETENTION_MIN <= years <= RETENTION_MAX:
            return RETENTION_DEFAULT
        return years

    # -- checking evidence again
    def verify_archived(self, key: int, at: Optional[datetime] = None) -> Verification:
        """Check an archived exchange (``key``: its ``seq``): the plain file against the recorded
        SHA-256; the envelope (a received one is opened and verified with our keys and the trust
        store, and must hold exactly the plain file; a sent one, sealed to the partner, must be the
        very bytes the relay took: their SHA-256 was the upload's idempotency key); the receipt
        (signature by the right office, this file name, this content). ``at``: when to judge
        certificates (default: the time of the exchange, when they were in force)."""
        from tui_client.core import receipts, seal
        from tui_client.office.archive import parse_time

        ev = self.db.archive_evidence(int(key))
        if ev is None:
            return Verification(int(key), "", False, findings=(_summary(make("E-ARC-001", value=str(key))),))
        name, rec, sent = str(ev["name"]), ev["record"], ev["direction"] == "sent"
        findings: List[Finding] = []
        content = ev["content"]
        digest = str(rec.get("content_sha256") or "")
        if content is None or hashlib.sha256(content).hexdigest() != digest:
            findings.append(make("E-ARC-007", name))
        when = at or parse_time(rec.get("sent_at" if sent else "received_at"))
        envelope_checked = receipt_checked = False
        envelope = ev["envelope"]
        if envelope is None:
            findings.append(make("W-ARC-002", name, reason="imported" if rec.get("imported") else "none"))
        elif sent:
            envelope_checked = True
            if wire.digest(envelope) != rec.get("digest"):
                findings.append(make("E-ARC-003", name))
        else:
            envelope_checked = True
            from tui_client.office.settings import _open_previous

            with self._lock:
                previous = self._previous
            if previous is None:
                previous, _ = _open_previous(self.settings, self._password)
            try:
                opened, f = seal.open_sealed(envelope, name, [self.keystore, *previous], self.trust, at=when,
                                             expected_sender_office=rec.get("sender") or None)
            except ValueError:   # a damaged certificate inside the envelope the parser chokes on
                opened, f = None, [make("E-SEAL-003", name)]
            if opened is None:
                findings.append(make("E-ARC-004", name, reason=",".join(sorted({x.code for x in f}))))
            elif opened.content_digest != digest or (content is not None and bytes(opened.content) != content):
                findings.append(make("E-ARC-003", name))
        receipt = ev["receipt"]
        if receipt is None:
            if not rec.get("imported"):
                findings.append(make("W-ARC-005", name))
        else:
            receipt_checked = True
            office = rec.get("recipient") if sent else self.number
            try:
                ok, f = receipts.verify_receipt(receipt, name, digest, self.trust, expected_office=office or None,
                                                at=parse_time(rec.get("receipt_received_at")) or when)
            except ValueError:   # a damaged signer certificate the parser chokes on: not proof either
                ok, f = None, [make("E-RCPT-001", name)]
            if ok is None:
                findings.append(make("E-ARC-006", name, reason=",".join(sorted({x.code for x in f}))))
        errors = [f for f in findings if f.blocks_sending]
        return Verification(int(key), name, not errors, envelope_checked, receipt_checked,
                            tuple(_summary(f) for f in findings))

    # -- one record's plain file, for the preview screen
    def archive_preview(self, key: int):
        """What the preview screen shows for an archived record: a received item's ``Preview``
        (marks it 確認済み, as the inbox does) or, for a sent one, the core ``PreviewData``."""
        ev = self.db.archive_evidence(int(key))
        if ev is None:
            return None
        if ev["direction"] == "received":
            return self.preview(str(ev["name"]))
        from tui_client.core.preview import build_preview

        return build_preview(str(ev["name"]), ev["content"] or b"")

    # -- export
    def export_archive(self, folder, *, user: str = "", month: str = "",
                       now: Optional[datetime] = None) -> ExportResult:
        """Export the records of one user (被保険者番号 or 氏名) or one month (YYYYMM) into a new
        folder under ``folder``: the plain files, their envelopes and receipts in ``evidence/``, and
        ``index.csv`` (cp932, CRLF: Excel opens it as it is). A character cp932 cannot hold is
        replaced by "?" and said (W-ARC-010), never a crash."""
        from tui_client.catalog import t
        from tui_client.office.receiving import _free_name
        from tui_client.transport.store import write_atomic

        if not user.strip() and not month.strip():
            return ExportResult("", findings=(_summary(make("E-ARC-012")),))
        rows, _ = self.archive_rows(ListQuery(user=user.strip(), month=month.strip(), limit=-1))
        label = wire.safe_file_name(t("archive.export.folder", what=month.strip() or user.strip()), "archive")
        base = Path(folder)
        target = base / label
        for n in range(2, 1000):
            if not target.exists():
                break
            target = base / f"{label} ({n})"
        findings: List[Finding] = []
        files: List[str] = []
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([t(f"archive.csv.{c}") for c in _CSV_COLUMNS])
        try:
            (target / EVIDENCE_FOLDER).mkdir(parents=True, exist_ok=False)
            for direction, name, rec, _ in rows:
                ev = self.db.archive_evidence(int(rec["seq"])) or {}
                plain = ev.get("content")
                safe = wire.safe_file_name(name, "record")
                written = {}
                for key, where, suffix in (("content", target, ""), ("envelope", target / EVIDENCE_FOLDER, ".p7m"),
                                           ("receipt", target / EVIDENCE_FOLDER, ".receipt.p7s")):
                    data = ev.get(key)
                    if data is None:
                        continue
                    path = _free_name(where, safe + suffix, data)
                    if path is not None:
                        write_atomic(path, data, mode=0o644)
                        files.append(str(path))
                    written[key] = str((path or where / (safe + suffix)).relative_to(target))
                writer.writerow(self._index_row(direction, name, rec, plain, written))
            text = out.getvalue()
            data = text.encode("cp932", errors="replace")
            for line_no, line in enumerate(text.split("\r\n"), 1):
                bad = "".join(sorted({ch for ch in line if not _cp932(ch)}))
                if bad:
                    findings.append(make("W-ARC-010", INDEX_NAME, row=line_no, value=bad))
            index = target / INDEX_NAME
            write_atomic(index, data, mode=0o644)
        except OSError as exc:
            findings.append(make("E-ARC-011", str(target), reason=exc.strerror or type(exc).__name__))
            return ExportResult(str(target), len(rows), tuple(files), "", tuple(_summary(f) for f in findings))
        return ExportResult(str(target), len(rows), tuple(files), str(index), tuple(_summary(f) for f in findings))

    def _index_row(self, direction: str, name: str, rec: dict, plain: Optional[bytes], written: dict) -> List[str]:
        from tui_client.catalog import t
        from tui_client.core.wareki import format_month
        from tui_client.office.archive import parse_time
        from tui_client.transport.clientdb import name_facts

        sent = direction == "sent"
        partner = str(rec.get("recipient" if sent else "sender") or "")
        file_kind, month = name_facts(name)
        when = parse_time(rec.get("sent_at" if sent else "received_at"))
        receipt_at = parse_time(rec.get("receipt_received_at")) if sent else when if written.get("receipt") else None
        wareki, western = format_month(month) if month else ("", "")
        note = t("archive.csv.note.imported") if rec.get("imported") else ""
        local = (lambda d: d.astimezone().strftime("%Y-%m-%d %H:%M:%S") if d else "")
        return [local(when), t(f"archive.direction.{direction}"), partner,
                str(rec.get("partner_name") or self.partner_name(partner) if partner else ""),
                _kind_word(file_kind),
                f"{wareki}（{western}）" if wareki else "", name, str(rec.get("users") or ""), local(receipt_at),
                hashlib.sha256(plain).hexdigest() if plain is not None else str(rec.get("content_sha256") or ""),
                written.get("envelope", ""), written.get("receipt", ""), note]

    # -- retention
    def retention_plan(self, now: datetime, years: Optional[int] = None) -> RetentionPlan:
        """What deleting records exchanged more than ``years`` (default: the office's setting)
        before ``now`` would remove: the records, and how many per month and per partner."""
        years = years if years is not None else self._retention_years()
        cutoff = years_before(now, years)
        rows, _ = self.db.archive_search(before=_iso(cutoff), limit=-1)
        seqs = tuple(int(rec["seq"]) for _, _, rec, _ in rows)
        groups = self.db.archive_groups(seqs)
        months: dict = {}
        partners: dict = {}
        for month, partner, n in groups:
            months[month] = months.get(month, 0) + n
            partners[partner] = partners.get(partner, 0) + n
        return RetentionPlan(years, cutoff, seqs, tuple(sorted(months.items())),
                             tuple((p, self.partner_name(p) if p else "", n) for p, n in sorted(partners.items())))

    def apply_retention(self, plan: RetentionPlan) -> int:
        """Delete exactly the records of ``plan`` (and the blobs nothing else refers to)."""
        return self.db.archive_delete(plan.seqs)

    # -- beside the national client
    def import_folder(self, path, now: Optional[datetime] = None) -> ImportResult:
        """Take plain care-plan files from the folder where the national client saves its downloads
        into the archive, as received records marked imported (not sealed here: no envelope, no
        receipt). Each file is checked (``core.validate``); files of another office or with an
        unreadable name are refused with findings. Idempotent by content: a file imported before is
        left alone. Files are taken in name order (never by file time)."""
        from tui_client.core.people import users_text
        from tui_client.core.spec.filenames import parse_filename
        from tui_client.core.validate import validate_file

        folder = Path(path)
        findings: List[Finding] = []
        imported: List[str] = []
        already: List[str] = []
        refused: List[str] = []
        try:
            entries = sorted((p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")),
                             key=lambda p: p.name)
        except OSError as exc:
            return ImportResult(findings=(_summary(make("E-IMP-001", str(folder),
                                                        reason=exc.strerror or type(exc).__name__)),))
        when = _iso(now or datetime.now(timezone.utc))
        for p in entries:
            name = p.name
            try:
                if p.stat().st_size > wire.DEFAULT_MAX_ITEM_BYTES:
                    findings.append(make("E-IMP-006", name))
                    refused.append(name)
                    continue
                data = p.read_bytes()
            except OSError as exc:
                findings.append(make("E-IMP-001", name, reason=exc.strerror or type(exc).__name__))
                refused.append(name)
                continue
            digest = hashlib.sha256(data).hexdigest()
            if self.db.received_with_content(digest) is not None:
                already.append(name)
                continue
            parsed, name_findings = parse_filename(name)
            if parsed is None:
                findings += name_findings
                findings.append(make("E-IMP-003", name))
                refused.append(name)
                continue
            if parsed.recipient != self.number:
                findings.append(make("E-IMP-005", name, value=parsed.recipient))
                refused.append(name)
                continue
            if self.db.archive_record("received", name) is not None:
                findings.append(make("W-IMP-004", name))
                refused.append(name)
                continue
            report = validate_file(data, name)
            codes = sorted({f.code for f in report.findings})
            if report.findings:
                errors = sum(1 for f in report.findings if f.blocks_sending)
                findings.append(make("W-RECV-003", name, errors=errors, warnings=len(report.findings) - errors))
            # no relay id: a key of its own, so that the inbox and the preview find it by key as well
            record = {"id": f"imported-{digest[:24]}", "name": name, "kind": wire.KIND_FILE, "sender": parsed.sender,
                      "sender_service": parsed.sender_service, "recipient": parsed.recipient,
                      "recipient_service": parsed.recipient_service, "received_at": when,
                      "content_sha256": digest, "size": len(data), "findings": codes,
                      "partner_name": self.partner_name(parsed.sender), "imported": True,
                      "imported_from": str(folder)}
            try:
                self.db.archive_put("received", name, record, data, users=users_text(name, data), state="new")
            except (OSError, self._db_error) as exc:
                findings.append(make("E-RECV-002", name, reason=getattr(exc, "strerror", None) or type(exc).__name__))
                refused.append(name)
                continue
            imported.append(name)
        return ImportResult(tuple(imported), tuple(already), tuple(refused), tuple(_summary(f) for f in findings))


_CSV_COLUMNS = ("time", "direction", "partner", "partner_name", "kind", "month", "name", "users",
                "receipt_at", "sha256", "envelope", "receipt", "note")


def _cp932(ch: str) -> bool:
    try:
        ch.encode("cp932")
        return True
    except UnicodeEncodeError:
        return False


def _kind_word(file_kind: str) -> str:
    from tui_client.catalog import TEXT

    return TEXT.get(f"kind.{file_kind}", file_kind)
