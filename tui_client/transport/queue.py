"""The outbox and the inbox: what makes "sent" and "received" survive crashes and dropped lines.

Outbox: a sealed item is written to disk first (``enqueue``), then uploaded with its idempotency key
(name + SHA-256 of the sealed bytes, the same on every retry because the sealed bytes are kept),
and leaves only after the relay confirmed it with an id (the confirmation is recorded in ``sent``
before the entry is removed). A refusal that retrying cannot fix, or a failure that keeps coming
back, moves the item to the error shelf, where a person sees it; nothing vanishes.

Inbox: a downloaded item is written to disk before anything else happens; it is acknowledged only
after the caller has opened, validated and stored it (``Inbox.process``), and removed only after the
relay accepted the receipt.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, List, Optional, Tuple

from tui_client.core import wire
from tui_client.transport.client import RelayClient, TransportError
from tui_client.transport.store import Batch, Shelf

#: Retryable refusals by the relay (busy, internal error) an item may collect before it goes to the
#: error shelf. Network failures do not count: an outage of a day must not shelve the month's files.
MAX_ATTEMPTS = 12


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SendOutcome:
    name: str
    relay_id: Optional[str] = None
    duplicate: bool = False
    error: Optional[TransportError] = None
    shelved: bool = False

    @property
    def ok(self) -> bool:
        return self.relay_id is not None


@dataclass
class FlushResult:
    sent: List[SendOutcome] = field(default_factory=list)
    waiting: List[SendOutcome] = field(default_factory=list)   # will be retried
    shelved: List[SendOutcome] = field(default_factory=list)   # moved to the error shelf


#: An uploaded item to record as sent: (name, record with the relay's id, plaintext).
_Confirmed = Tuple[str, dict, bytes]


class Outbox:
    def __init__(self, outbox: Shelf, errors: Shelf, sent: Shelf):
        self.shelf = outbox
        self.errors = errors
        self.sent = sent

    def enqueue(self, name: str, sealed: bytes, *, plaintext: bytes = b"", batch: Optional[Batch] = None,
                check: bool = True, **facts) -> dict:
        """Durably queue a sealed item (at once, or when ``batch`` commits). ``plaintext`` travels with
        it and goes to the sent archive once the relay confirmed the item. Re-queuing a name already
        waiting keeps the first one (its sealed bytes are the idempotency key the relay may have seen);
        ``check=False`` when the caller has just made sure it is not waiting."""
        existing = self.shelf.record(name) if check else None
        if existing is not None:
            return existing
        record = {"name": name, "digest": wire.digest(sealed), "size": len(sealed), "queued_at": _now(),
                  "attempts": 0, "last_error": None, **facts}
        payload = bytes(sealed) + bytes(plaintext)   # the record's size says where the sealed part ends
        if batch is not None:
            batch.put(self.shelf, name, record, payload)
        else:
            self.shelf.put(name, record, payload)
        return record

    def pending(self) -> List[Tuple[str, dict]]:
        return list(self.shelf.items())

    def shelved(self) -> List[Tuple[str, dict]]:
        return list(self.errors.items())

    def requeue(self, name: str) -> bool:
        """Put an item from the error shelf back in the outbox (after the cause was fixed)."""
        rec = self.errors.record(name)
        if rec is None:
            return False
        rec.update(attempts=0, last_error=None)
        self.errors.move_to(name, self.shelf, rec)
        return True

    def _upload(self, client: RelayClient, name: str) -> Tuple[SendOutcome, Optional[_Confirmed]]:
        """Upload one waiting item. Success: (outcome, what to confirm). Failure: the outbox entry
        is updated or moved to the error shelf here and now."""
        entry = self.shelf.entry(name)
        if entry is None:
            return SendOutcome(name), None
        rec, payload = entry
        sealed = _sealed_part(rec, payload)
        try:
            result = client.upload(name, sealed, rec.get("digest") or wire.digest(sealed))
        except TransportError as exc:
            rec["last_error"] = {"code": exc.code, "findings": exc.findings, "at": _now()}
            if exc.code.startswith("E-NET-"):
                # The line's or the set-up's fault (relay down, certificate not accepted), not the
                # item's: it stays waiting, and leaves once the cause is fixed.
                self.shelf.put(name, rec, payload)
                return SendOutcome(name, error=exc), None
            rec["attempts"] = int(rec.get("attempts") or 0) + 1
            if not exc.retry or rec["attempts"] >= MAX_ATTEMPTS:
                self.shelf.move_to(name, self.errors, rec)
                return SendOutcome(name, error=exc, shelved=True), None
            self.shelf.put(name, rec, payload)
            return SendOutcome(name, error=exc), None
        rec.update(relay_id=result.id, sent_at=_now(), duplicate=result.duplicate, state=wire.WAITING)
        return SendOutcome(name, result.id, result.duplicate), (name, rec, payload[len(sealed):])

    def _confirm(self, confirmed: List[_Confirmed]) -> None:
        """Record the relay's ids durably in the sent archive, with the plaintext (one pack, one
        flush), then clear those outbox entries. A crash in between re-uploads them later, and the
        relay answers with the same ids: no duplicate."""
        if not confirmed:
            return
        batch = Batch()
        try:
            for name, rec, plaintext in confirmed:
                batch.put(self.sent, name, rec, plaintext)
            batch.commit()
        except BaseException:
            batch.abandon()
            raise
        self.shelf.remove_many([c[0] for c in confirmed])
        confirmed.clear()

    def send_one(self, client: RelayClient, name: str) -> SendOutcome:
        outcome, done = self._upload(client, name)
        if done is not None:
            self._confirm([done])
        return outcome

    def flush(self, client: RelayClient, *, progress: Optional[Callable[[SendOutcome], None]] = None,
              stop_on_network_error: bool = True, confirm_every: int = 50,
              names: Optional[List[str]] = None) -> FlushResult:
        """Upload everything waiting, oldest first, recording confirmations every ``confirm_every``
        items. When the network is down, stop early and leave the rest waiting (each would fail the
        same way). ``names``: only these (in this order), e.g. a chunk just queued."""
        out = FlushResult()
        confirmed: List[_Confirmed] = []
        todo = names if names is not None else [n for n, _ in self.pending()]
        try:
            for name in todo:
                outcome, done = self._upload(client, name)
                if done is not None:
                    confirmed.append(done)
                    if len(confirmed) >= confirm_every:
                        self._confirm(confirmed)
                if progress:
                    progress(outcome)
                if outcome.ok:
                    out.sent.append(outcome)
                elif outcome.shelved:
                    out.shelved.append(outcome)
                else:
                    out.waiting.append(outcome)
                    if stop_on_network_error and outcome.error and outcome.error.code.startswith("E-NET-"):
                        break
        finally:
            self._confirm(confirmed)
        return out


def _sealed_part(record: dict, payload: bytes) -> bytes:
    """An outbox entry's payload is the sealed item followed by its plaintext."""
    size = record.get("size")
    return payload[:size] if isinstance(size, int) and 0 <= size <= len(payload) else payload


def _safe_key(key: str) -> bool:
    """Ids and names from the relay become file names here: anything odd (a path, a dot-file) is
    never written; such an item is simply not fetched (a genuine relay never lists one)."""
    from tui_client.transport.store import check_key

    try:
        check_key(key)
        return True
    except ValueError:
        return False


@dataclass
class Accepted:
    """An item opened and checked: what goes to the archive under ``key``, and the signed receipt
    to acknowledge it with once that is on disk."""
    key: str
    record: dict
    content: bytes
    receipt: bytes


#: open_and_check(info, sealed) -> Accepted, or None to keep the item in the inbox (it could not be
#: opened; the reason is recorded by the caller).
Processor = Callable[[wire.ItemInfo, bytes], Optional[Accepted]]

#: Items stored in the archive with one flush before they are acknowledged, and the most bytes such
#: a group writes before it is flushed (contents go to the disk as they come, not into memory).
GROUP_ITEMS = 50
GROUP_BYTES = 64 * 1024 * 1024

#: An inbox entry's state once its item is in the archive; its record then keeps the receipt.
STORED = "stored"

#: An item of a group being settled: (inbox key, info, receipt, archive record or None when it was
#: stored by an earlier run).
_Settling = Tuple[str, wire.ItemInfo, bytes, Optional[dict]]


@dataclass
class ReceiveResult:
    acknowledged: List[wire.ItemInfo] = field(default_factory=list)
    kept: List[wire.ItemInfo] = field(default_factory=list)       # in the inbox, not acknowledged
    stored: List[dict] = field(default_factory=list)              # archive records now on disk
    unstored: List[Tuple[str, OSError]] = field(default_factory=list)   # the archive could not be written
    errors: List[Tuple[str, TransportError]] = field(default_factory=list)


class Inbox:
    """Downloads go to the inbox, and checked items to the archive, in groups: one pack file and one
    flush per group instead of a file and two flushes per item (a month's 300 files on an old hard
    disk took seconds of flushing). An item is acknowledged only after its group is on disk."""

    def __init__(self, inbox: Shelf, archive: Shelf):
        self.shelf = inbox
        self.archive = archive

    def fetch(self, client: RelayClient, service: Optional[str] = None) -> List[wire.ItemInfo]:
        """Download every waiting item not yet on disk; returns what the relay listed. What was
        downloaded before a failure is kept."""
        listed = [i for i in client.mailbox(service) if _safe_key(i.id) and _safe_key(i.name)]
        present = set(self.shelf.keys())
        batch, items, size = Batch(), 0, 0
        try:
            for info in listed:
                if info.id in present:
                    continue
                try:
                    data = client.download(info.id)
                except TransportError as exc:
                    if exc.code == wire.GONE:  # received meanwhile by another PC of this office
                        continue
                    raise
                batch.put(self.shelf, info.id, {"info": info.to_json(), "state": "downloaded"}, data)
                items, size = items + 1, size + len(data)
                if items >= GROUP_ITEMS or size >= GROUP_BYTES:
                    batch.commit()
                    items, size = 0, 0
        except BaseException:
            try:
                batch.commit()
            except OSError:
                batch.abandon()      # not on disk: still on the relay, fetched next time
            raise
        batch.commit()
        return listed

    def process(self, client: RelayClient, processor: Processor) -> ReceiveResult:
        """Open and check each item on disk (``processor``); store the accepted ones in the archive,
        a group at a time with one flush; then acknowledge them; then remove them from the inbox.
        An item stored by an earlier run whose acknowledgement did not get through is only
        acknowledged (with the receipt kept for it), not opened and stored again."""
        out = ReceiveResult()
        group: List[_Settling] = []
        batch, size = Batch(), 0
        try:
            for key, rec in self.shelf.items():
                if "info" not in rec:
                    continue
                info = wire.ItemInfo.from_json(rec["info"])
                if rec.get("state") == STORED and isinstance(rec.get("receipt"), str):
                    group.append((key, info, base64.b64decode(rec["receipt"]), None))
                    continue
                accepted = processor(info, self.shelf.payload(key) or b"")
                if accepted is None:
                    out.kept.append(info)
                    continue
                try:
                    batch.put(self.archive, accepted.key, accepted.record, accepted.content)
                except OSError as exc:
                    group.append((key, info, accepted.receipt, accepted.record))
                    self._unstored(batch, group, exc, out)
                    return out
                size += len(accepted.content)          # on disk now; only the receipt stays in memory
                group.append((key, info, accepted.receipt, accepted.record))
                if len(group) >= GROUP_ITEMS or size >= GROUP_BYTES:
                    if not self._settle(client, batch, group, out):
                        return out
                    batch, size = Batch(), 0
            self._settle(client, batch, group, out)
        finally:
            batch.abandon()          # only when leaving early; a settled batch has nothing left
        return out

    @staticmethod
    def _unstored(batch: Batch, group: List[_Settling], exc: OSError, out: ReceiveResult) -> None:
        batch.abandon()
        fresh = [info for _, info, _, record in group if record is not None]
        out.kept += fresh
        out.unstored += [(info.name, exc) for info in fresh]
        group.clear()

    def _settle(self, client: RelayClient, batch: Batch, group: List[_Settling], out: ReceiveResult) -> bool:
        """Flush the group's archive entries; note in the inbox that they are stored, with their
        receipts (small entries replacing the downloaded ones); acknowledge each item; remove the
        acknowledged ones from the inbox. False when processing should stop (disk or line failed)."""
        if not group:
            return True
        try:
            batch.commit()
            noted = Batch()
            for key, info, receipt, record in group:
                if record is not None:
                    noted.put(self.shelf, key, {"info": info.to_json(), "state": STORED,
                                                "receipt": base64.b64encode(receipt).decode("ascii")}, b"")
            noted.commit()
        except OSError as exc:
            self._unstored(batch, group, exc, out)
            return False
        out.stored += [record for _, _, _, record in group if record is not None]
        done: List[str] = []
        go_on = True
        for key, info, receipt, _ in group:
            try:
                client.acknowledge(info.id, receipt)
            except TransportError as exc:
                if exc.code not in (wire.GONE, wire.NOT_FOUND):
                    out.errors.append((info.name, exc))
                    if exc.code.startswith("E-NET-"):
                        go_on = False
                        break
                    continue
            done.append(key)
            out.acknowledged.append(info)
        self.shelf.remove_many(done)
        group.clear()
        return go_on
