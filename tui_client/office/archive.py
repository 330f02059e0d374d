"""Lists a screen shows, as typed models (``office.models``): the inbox, the outbox in every state,
the error shelf, the archive (search by user, partner, month, kind, state, free text), and the sent
items' state from the relay (受信済み once a signed receipt is verified).

All lists are pages (``ListQuery.offset``/``limit``) ordered by the store's ``seq``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List, Optional, Sequence, Tuple

from tui_client.core import wire
from tui_client.core.findings import Finding, make
from tui_client.office.models import (ArchiveRecord, Direction, FindingSummary, InboxItem, InboxState,
                                      ListQuery, OutboxItem, OutboxState, Page, Party)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_time(text) -> Optional[datetime]:
    try:
        return datetime.strptime(str(text or ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def _bundle(name: str) -> str:
    from tui_client.core.spec.filenames import parse_filename

    parsed, _ = parse_filename(name)
    return parsed.serial if parsed is not None else ""


def _summaries(codes) -> Tuple[FindingSummary, ...]:
    return tuple(FindingSummary(str(c)) for c in codes or () if isinstance(c, str))


def _outbox_state(shelf: str, relay_state: str) -> OutboxState:
    if shelf == "error":
        return OutboxState.ERROR
    if shelf == "waiting":
        return OutboxState.WAITING
    return {wire.RECEIVED: OutboxState.RECEIVED, wire.WITHDRAWN: OutboxState.WITHDRAWN}.get(
        relay_state, OutboxState.SENT)


class ArchivePart:
    # -- models from records
    def _party(self, office, service=None) -> Party:
        office = str(office or "")
        return Party(office, service or None, self.partner_name(office) if office else "")

    def _inbox_model(self, name: str, rec: dict, state: str) -> InboxItem:
        from tui_client.transport.clientdb import name_facts

        file_kind, month = name_facts(name)
        try:
            st = InboxState(state)
        except ValueError:
            st = InboxState.NEW
        return InboxItem(
            seq=int(rec.get("seq") or 0), key=str(rec.get("id") or ""), name=name,
            kind=str(rec.get("kind") or wire.KIND_FILE), file_kind=file_kind, month=month or None,
            sender=self._party(rec.get("sender"), rec.get("sender_service")),
            recipient=self._party(rec.get("recipient"), rec.get("recipient_service")),
            received_at=parse_time(rec.get("received_at")) or _EPOCH, state=st,
            content_sha256=str(rec.get("content_sha256") or ""), size=int(rec.get("size") or 0),
            bundle=_bundle(name), findings=_summaries(rec.get("findings")),
            subject=str(rec.get("subject") or ""), attachments=tuple(rec.get("attachments") or ()),
            saved_to=str(rec.get("exported") or ""), problem=str(rec.get("problem") or ""),
            other_pc_received_at=parse_time(rec.get("other_pc_received_at")))

    def _outbox_model(self, name: str, rec: dict, shelf: str, relay_state: str = "") -> OutboxItem:
        from tui_client.transport.clientdb import name_facts

        file_kind, month = name_facts(name)
        err = rec.get("last_error") or None
        error = FindingSummary(str(err.get("code") or ""), params=tuple(
            ("findings", ",".join(err.get("findings") or ())) for _ in [0] if err.get("findings"))) \
            if isinstance(err, dict) and err.get("code") else None
        return OutboxItem(
            seq=int(rec.get("seq") or 0), name=name, kind=str(rec.get("kind") or wire.KIND_FILE),
            file_kind=file_kind, month=month or None,
            sender=self._party(self.number, rec.get("sender_service")),
            recipient=self._party(rec.get("recipient"), rec.get("recipient_service")),
            state=_outbox_state(shelf, relay_state), content_sha256=str(rec.get("content_sha256") or ""),
            size=int(rec.get("plain_size") or rec.get("size") or 0),
            queued_at=parse_time(rec.get("queued_at")) or _EPOCH, sent_at=parse_time(rec.get("sent_at")),
            received_at=parse_time(rec.get("receipt_received_at")), relay_id=rec.get("relay_id") or None,
            bundle=_bundle(name), attempts=int(rec.get("attempts") or 0), error=error,
            subject=str(rec.get("subject") or ""))

    # -- one item
    def inbox_item(self, key: str) -> Optional[InboxItem]:
        """A received item by name or relay id."""
        return self.inbox_items([key])[0]

    def inbox_items(self, keys: Sequence[str]) -> List[Optional[InboxItem]]:
        """Several received items by name or relay id (None for one not there), in ``keys``' order.
        Which newer version replaced each is looked up once per version key for all of them: per
        item, a receive of n files of one month read and parsed the partner's archive n times."""
        found: List[Optional[InboxItem]] = []
        by_name = self.db.archive_records("received", keys)
        for key in keys:
            rec = by_name.get(key)
            name = key
            if rec is None:
                rows, _ = self.db.archive_search(direction="received", limit=1, relay_id=key)
                if not rows:
                    found.append(None)
                    continue
                name, rec = rows[0][1], rows[0][2]
            found.append(self._inbox_model(name, rec, str(rec.get("archive_state") or "new")))
        marked = iter(self.with_supersede([i for i in found if i is not None]))
        return [None if i is None else next(marked) for i in found]

    # -- lists
    def inbox(self, query: ListQuery = ListQuery()) -> Page[InboxItem]:
        """Received items (新着 / 確認済み / 保存済み), oldest first."""
        rows, total = self.db.archive_search(direction="received", partner=query.partner, month=query.month,
                                             kind=query.kind, state=query.state, text=query.text,
                                             user=query.user, offset=query.offset, limit=query.limit)
        items = self.with_supersede([self._inbox_model(n, rec, str(rec.get("archive_state") or "new"))
                                     for _, n, rec, _ in rows])
        return Page(items, total, query.offset, query.limit)

    def outbox(self, query: ListQuery = ListQuery()) -> Page[OutboxItem]:
        """Everything this office sends or sent: 送信待ち and エラー (the outbox) first, then the sent
        archive (送信済み / 受信済み / 取り下げ); ``query.state`` filters by an OutboxState value."""
        items: List[OutboxItem] = []
        with self.db.snapshot():         # an item moving from the outbox to the archive shows once
            queued = self.db.outbox_list(None)
            sent = self.db.archive_list("sent")
        for n, rec in queued:
            items.append(self._outbox_model(n, rec, str(rec.get("shelf"))))
        for n, rec in sent:
            items.append(self._outbox_model(n, rec, "", str(rec.get("state") or "")))
        items = [i for i in items if self._matches(i, query)]
        page = items[query.offset:query.offset + query.limit] if query.limit >= 0 else items[query.offset:]
        return Page(tuple(page), len(items), query.offset, query.limit)

    def error_shelf(self, query: ListQuery = ListQuery()) -> Page[OutboxItem]:
        rows = self.db.outbox_list("error", offset=query.offset, limit=query.limit)
        items = tuple(self._outbox_model(n, rec, "error") for n, rec in rows)
        return Page(items, self.db.outbox_count("error"), query.offset, query.limit)

    @staticmethod
    def _matches(item: OutboxItem, q: ListQuery) -> bool:
        return ((not q.state or item.state.value == q.state) and (not q.partner or item.recipient.office == q.partner)
                and (not q.month or item.month == q.month) and (not q.kind or item.file_kind == q.kind)
                and (not q.text or q.text in item.name or q.text in item.subject))

    def archive(self, query: ListQuery = ListQuery()) -> Page[ArchiveRecord]:
        """The archive, both directions: filters by partner (number or name), month, kind, state,
        direction, user (被保険者番号 or 氏名) and free text, combined; paged by ``seq`` in the
        database (``EvidencePart.archive_rows``)."""
        from tui_client.transport.clientdb import name_facts

        rows, total = self.archive_rows(query)
        out = []
        for direction, name, rec, has_receipt in rows:
            file_kind, month = name_facts(name)
            sent = direction == "sent"
            partner = rec.get("recipient") if sent else rec.get("sender")
            service = rec.get("recipient_service") if sent else rec.get("sender_service")
            state = _outbox_state("", str(rec.get("state") or "")).value if sent else \
                str(rec.get("archive_state") or "new")
            out.append(ArchiveRecord(
                seq=int(rec["seq"]), direction=Direction(direction), name=name,
                kind=str(rec.get("kind") or wire.KIND_FILE), file_kind=file_kind, month=month or None,
                partner=self._party(partner, service),
                time=parse_time(rec.get("sent_at" if sent else "received_at")) or _EPOCH, state=state,
                content_sha256=str(rec.get("content_sha256") or ""), size=int(rec.get("size") or 0),
                has_envelope=bool(rec.get("has_envelope")), has_receipt=has_receipt,
                users=tuple(str(rec.get("users") or "").split()), subject=str(rec.get("subject") or ""),
                imported=bool(rec.get("imported")),
                receipt_at=parse_time(rec.get("receipt_received_at" if sent else "received_at"))
                if has_receipt else None))
        return Page(tuple(out), total, query.offset, query.limit)

    # -- plain records (the command line's older views)
    def sent_archive_records(self) -> List[dict]:
        """Sent items as last recorded on this PC (no network)."""
        return [rec for _, rec in self.db.archive_list("sent")]

    def received(self) -> List[dict]:
        return [rec for _, rec in self.db.archive_list("received")]

    def waiting(self) -> List[dict]:
        return [rec for _, rec in self.outbox_queue.pending()]

    # -- the relay's view of what we sent
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
        out = []
        changed = []
        for key, rec in self.db.archive_list("sent"):
            rid = rec.get("relay_id")
            info = remote.get(rid) if rid else None
            receipt = None
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
                                                        sent_at=parse_time(rec.get("queued_at")))
                        findings += f
                        if ok is not None:
                            receipt = raw
                            rec["has_receipt"] = True
                            rec["receipt_received_at"] = ok.received_at.strftime("%Y-%m-%dT%H:%M:%SZ")
                        else:
                            rec["state"] = wire.DOWNLOADED  # not proven: keep asking
                if rec != before:
                    changed.append((key, rec, receipt))
            out.append(rec)
        try:
            with self.db.transaction():
                for key, rec, receipt in changed:
                    clean = {k: v for k, v in rec.items() if k not in ("seq", "archive_state", "has_receipt")}
                    self.db.archive_update("sent", key, clean, receipt=receipt)
        except (OSError, self._db_error) as exc:
            findings.append(make("W-SEND-006", reason=getattr(exc, "strerror", None) or type(exc).__name__))
        return out, findings
