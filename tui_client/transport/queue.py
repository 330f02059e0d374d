"""The outbox and the inbox: what makes "sent" and "received" survive crashes and dropped lines.

Both stand on the office database (``transport/clientdb.py``).

Outbox: a sealed item is committed first (``enqueue``), then uploaded with its idempotency key
(name + SHA-256 of the sealed bytes, the same on every retry because the sealed bytes are kept); the
relay's id is recorded in the sent archive and the outbox row removed in one transaction. A refusal
that retrying cannot fix, or a failure that keeps coming back, moves the item to the error shelf
(``state='error'``), where a person sees it; nothing vanishes. A 409 "same name, other content" for
an item whose plain content the sent archive already holds means it was delivered: it counts as sent.

Inbox: downloads are committed a group at a time before anything else happens; an item is
acknowledged only after the caller has opened, validated and stored it (``Inbox.process``: archive
record and receipt in one transaction), and removed only after the relay accepted the receipt.

Loops take ``cancel`` (a ``threading.Event``), checked between items.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable, List, Optional, Tuple

from tui_client.core import wire
from tui_client.transport.client import RelayClient, TransportError
from tui_client.transport.clientdb import Batch, ClientDB

_KEY = re.compile(r"[0-9A-Za-z_.\-]{1,200}\Z")

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
    already_sent: bool = False      # the relay holds this very file from an earlier send

    @property
    def ok(self) -> bool:
        return self.relay_id is not None


@dataclass
class FlushResult:
    sent: List[SendOutcome] = field(default_factory=list)
    waiting: List[SendOutcome] = field(default_factory=list)   # will be retried
    shelved: List[SendOutcome] = field(default_factory=list)   # moved to the error shelf
    already_sent: List[SendOutcome] = field(default_factory=list)
    cancelled: bool = False

    def add(self, outcome: SendOutcome) -> None:
        """File an outcome under its list."""
        if outcome.ok:
            self.sent.append(outcome)
        elif outcome.already_sent:
            self.already_sent.append(outcome)
        elif outcome.shelved:
            self.shelved.append(outcome)
        else:
            self.waiting.append(outcome)


@dataclass
class Uploaded:
    """The relay's answer to one upload, before the outbox knows of it (``Outbox.upload_entry`` on
    the uploading thread, ``Outbox.settle`` on the thread that owns the bookkeeping)."""
    name: str
    record: dict
    result: Optional[wire.UploadResult] = None
    error: Optional[TransportError] = None

    @property
    def stops(self) -> bool:
        """A failure the next items would meet too (relay down, busy): retryable, or the line's."""
        e = self.error
        return e is not None and e.code != wire.NAME_CONFLICT and (e.code.startswith("E-NET-") or bool(e.retry))


#: An uploaded item to record as sent: (name, record with the relay's id).
_Confirmed = Tuple[str, dict]


class Outbox:
    """The outbox and the error shelf of one office, on its database (``transport.clientdb``)."""

    def __init__(self, db: ClientDB):
        self.db = db

    def enqueue(self, name: str, sealed: bytes, *, plaintext: bytes = b"", batch: Optional[Batch] = None,
                check: bool = True, plain_sha256: Optional[str] = None, **facts) -> dict:
        """Durably queue a sealed item (at once, or when ``batch`` commits). ``plaintext`` travels with
        it and goes to the sent archive once the relay confirmed the item (``plain_sha256``: its
        digest, when the caller has it). Re-queuing a name already waiting keeps the first one (its
        sealed bytes are the idempotency key the relay may have seen)."""
        existing = self.db.outbox_record(name) if check else None
        if existing is not None:
            return existing
        sealed, plaintext = bytes(sealed), bytes(plaintext)
        digest = wire.digest(sealed)
        record = {"name": name, "digest": digest, "size": len(sealed), "queued_at": _now(),
                  "attempts": 0, "last_error": None, **facts}

        def put() -> None:
            self.db.outbox_put(name, record, sealed, plaintext, sealed_sha256=digest, plain_sha256=plain_sha256)
        if batch is not None:
            batch.add(put)
        else:
            put()
        return record

    def pending(self) -> List[Tuple[str, dict]]:
        return self.db.outbox_list("waiting")

    def shelved(self) -> List[Tuple[str, dict]]:
        return self.db.outbox_list("error")

    def has(self, name: str) -> bool:
        return self.db.outbox_record(name) is not None

    def requeue(self, name: str) -> bool:
        """Put an item from the error shelf back in the outbox (after the cause was fixed)."""
        rec = self.db.outbox_record(name)
        if rec is None or rec.get("shelf") != "error":
            return False
        rec.update(attempts=0, last_error=None)
        self.db.outbox_update(name, rec, state="waiting")
        return True

    def discard(self, name: str) -> bool:
        """Drop an item from the error shelf (a person decided it is not to be sent)."""
        rec = self.db.outbox_record(name)
        if rec is None or rec.get("shelf") != "error":
            return False
        return self.db.outbox_remove([name]) == 1

    def _upload(self, client: RelayClient, name: str) -> Tuple[SendOutcome, Optional[_Confirmed]]:
        """Upload one waiting item. Success: (outcome, what to confirm). Failure: the outbox entry
        is updated or moved to the error shelf here and now."""
        entry = self.db.outbox_entry(name)
        if entry is None or entry[0].get("shelf") != "waiting":
            return SendOutcome(name), None
        rec, sealed, _ = entry
        return self.settle(self.upload_entry(client, name, rec, sealed))

    @staticmethod
    def upload_entry(client: RelayClient, name: str, record: dict, sealed: bytes) -> Uploaded:
        """Upload an outbox entry handed over in memory (its record and sealed bytes, committed to
        the outbox before): the network only, no database, so another thread may run it while the
        caller seals the next items. Its answer goes to ``settle``."""
        try:
            result = client.upload(name, sealed, record.get("digest") or wire.digest(sealed))
        except TransportError as exc:
            return Uploaded(name, record, error=exc)
        return Uploaded(name, record, result)

    def settle(self, up: Uploaded) -> Tuple[SendOutcome, Optional[_Confirmed]]:
        """What an upload's answer does to the outbox. Success: (outcome, what to confirm; see
        ``confirm``). Failure: the entry is updated or moved to the error shelf here and now."""
        name, rec, exc = up.name, up.record, up.error
        if exc is not None:
            if exc.code == wire.NAME_CONFLICT and rec.get("content_sha256") and \
                    self.db.sent_with_content(name, str(rec["content_sha256"])) is not None:
                # The relay holds this very file from an earlier send (sealed again, so another
                # envelope): it was delivered; the outbox copy is simply dropped.
                self.db.outbox_remove([name])
                return SendOutcome(name, already_sent=True), None
            rec["last_error"] = {"code": exc.code, "findings": exc.findings, "at": _now()}
            if exc.code.startswith("E-NET-"):
                # The line's or the set-up's fault (relay down, certificate not accepted), not the
                # item's: it stays waiting, and leaves once the cause is fixed.
                self.db.outbox_update(name, rec)
                return SendOutcome(name, error=exc), None
            rec["attempts"] = int(rec.get("attempts") or 0) + 1
            if not exc.retry or rec["attempts"] >= MAX_ATTEMPTS:
                self.db.outbox_update(name, rec, state="error")
                return SendOutcome(name, error=exc, shelved=True), None
            self.db.outbox_update(name, rec)
            return SendOutcome(name, error=exc), None
        result = up.result
        rec.update(relay_id=result.id, sent_at=_now(), duplicate=result.duplicate, state=wire.WAITING)
        return SendOutcome(name, result.id, result.duplicate), (name, rec)

    def confirm(self, confirmed: List[_Confirmed]) -> None:
        """Record the relay's ids in the sent archive and clear those outbox entries, in one
        transaction. A crash before it re-uploads them later, and the relay answers with the same
        ids: no duplicate."""
        if not confirmed:
            return
        self.db.confirm_sent(confirmed)
        confirmed.clear()

    def send_one(self, client: RelayClient, name: str) -> SendOutcome:
        outcome, done = self._upload(client, name)
        if done is not None:
            self.confirm([done])
        return outcome

    def flush(self, client: RelayClient, *, progress: Optional[Callable[[SendOutcome], None]] = None,
              stop_on_network_error: bool = True, confirm_every: int = 50,
              cancel: Optional[threading.Event] = None) -> FlushResult:
        """Upload everything waiting, oldest first, recording confirmations every ``confirm_every``
        items. When the network is down, stop early and leave the rest waiting (each would fail the
        same way). ``cancel``: when
        set, stop before the next item (what is done stays done; the rest waits)."""
        out = FlushResult()
        confirmed: List[_Confirmed] = []
        try:
            for name, _ in self.pending():
                if cancel is not None and cancel.is_set():
                    out.cancelled = True
                    break
                outcome, done = self._upload(client, name)
                if done is not None:
                    confirmed.append(done)
                    if len(confirmed) >= confirm_every:
                        self.confirm(confirmed)
                if progress:
                    progress(outcome)
                out.add(outcome)
                if stop_on_network_error and not outcome.shelved and outcome.error and \
                        outcome.error.code.startswith("E-NET-"):
                    break
        finally:
            self.confirm(confirmed)
        return out


def _safe_key(key: str) -> bool:
    """Ids and names from the relay become file names here: anything odd (a path, a dot-file) is
    never written; such an item is simply not fetched (a genuine relay never lists one)."""
    return bool(_KEY.match(key)) and not key.startswith(".")


@dataclass
class Accepted:
    """An item opened and checked: what goes to the archive under ``key``, and the signed receipt
    to acknowledge it with once that is on disk."""
    key: str
    record: dict
    content: bytes
    receipt: bytes
    users: str = ""              # 被保険者番号 / names for the archive's search (core.people)


#: open_and_check(info, sealed) -> Accepted, or None to keep the item in the inbox (it could not be
#: opened; the reason is recorded by the caller).
Processor = Callable[[wire.ItemInfo, bytes], Optional[Accepted]]

#: Items stored in the archive with one flush before they are acknowledged, and the most bytes such
#: a group writes before it is flushed (contents go to the disk as they come, not into memory).
GROUP_ITEMS = 50
GROUP_BYTES = 64 * 1024 * 1024

#: An inbox entry's state once its item is in the archive; its record then keeps the receipt.
STORED = "stored"

#: Groups of downloads committed to the inbox and waiting to be opened (``Inbox.receive``): the
#: downloader thread is at most this far ahead of the opening.
PIPELINE_GROUPS = 2

#: The first group of downloads is committed (and handed to the opening) after this many items,
#: the later ones after ``GROUP_ITEMS``: the opening, the slower side, starts after a few downloads
#: instead of waiting for a whole group (one more flush of the inbox per receive).
FIRST_FETCH_ITEMS = 8

#: An inbox entry as ``ClientDB.inbox_list`` gives it: (key, record, receipt or None).
_Entry = Tuple[str, dict, Optional[bytes]]

_DONE = object()  # the downloader has finished (in any way)


class _Either:
    """Set when either event is (the pipeline's own stop, the caller's cancel)."""

    def __init__(self, first: threading.Event, second: Optional[threading.Event]):
        self.first, self.second = first, second

    def is_set(self) -> bool:
        return self.first.is_set() or (self.second is not None and self.second.is_set())


#: An item of a group being settled: (inbox key, info, receipt, what to archive or None when it was
#: stored by an earlier run).
_Settling = Tuple[str, wire.ItemInfo, bytes, Optional["Accepted"]]


@dataclass
class ReceiveResult:
    acknowledged: List[wire.ItemInfo] = field(default_factory=list)
    kept: List[wire.ItemInfo] = field(default_factory=list)       # in the inbox, not acknowledged
    stored: List[dict] = field(default_factory=list)              # archive records now on disk
    unstored: List[Tuple[str, OSError]] = field(default_factory=list)   # the archive could not be written
    errors: List[Tuple[str, TransportError]] = field(default_factory=list)
    fetch_error: Optional[BaseException] = None   # why downloading stopped early (Inbox.receive)


class Inbox:
    """Downloads go to the inbox, and checked items to the archive, in groups: one transaction per
    group instead of a flush per item. An item is acknowledged only after its group is committed."""

    def __init__(self, db: ClientDB):
        self.db = db

    def listed(self, client: RelayClient, service: Optional[str] = None) -> List[wire.ItemInfo]:
        """What the relay lists for this office (items whose id or name could not be a file name
        here are left out: a genuine relay never lists one)."""
        return [i for i in client.mailbox(service) if _safe_key(i.id) and _safe_key(i.name)]

    def fetch(self, client: RelayClient, service: Optional[str] = None,
              cancel: Optional[threading.Event] = None, *, listed: Optional[List[wire.ItemInfo]] = None,
              committed: Optional[Callable[[List[wire.ItemInfo]], None]] = None) -> List[wire.ItemInfo]:
        """Download every waiting item not yet on disk; returns what the relay listed (``listed``:
        that list, already asked for). Downloads are committed a group at a time (one flush per
        group, not per item), each group then handed to ``committed``; what was downloaded before
        a failure is committed before the failure is raised."""
        if listed is None:
            listed = self.listed(client, service)
        present = set(self.db.inbox_keys())
        group: List[Tuple[wire.ItemInfo, bytes]] = []
        size = 0
        limit = [FIRST_FETCH_ITEMS if committed is not None else GROUP_ITEMS]

        def commit():
            if group:
                with self.db.transaction():
                    for info, data in group:
                        self.db.inbox_put(info.id, {"info": info.to_json()}, data)
                infos = [info for info, _ in group]
                group.clear()
                limit[0] = GROUP_ITEMS
                if committed is not None:
                    committed(infos)

        try:
            for info in listed:
                if cancel is not None and cancel.is_set():
                    break
                if info.id in present:
                    continue
                try:
                    data = client.download(info.id)
                except TransportError as exc:
                    if exc.code == wire.GONE:  # received meanwhile by another PC of this office
                        continue
                    raise
                group.append((info, data))
                size += len(data)
                if len(group) >= limit[0] or size >= GROUP_BYTES:
                    commit()
                    size = 0
        except BaseException:
            try:
                commit()
            except (OSError, sqlite3.Error):
                pass                 # not on disk: still on the relay, fetched next time
            raise
        commit()
        return listed

    def process(self, client: RelayClient, processor: Processor,
                cancel: Optional[threading.Event] = None,
                entries: Optional[Iterable[_Entry]] = None) -> ReceiveResult:
        """Open and check each downloaded item (``processor``); store the accepted ones in the archive,
        a group at a time in one transaction (with their receipts noted in the inbox); then
        acknowledge them; then remove them from the inbox. An item stored by an earlier run whose
        acknowledgement did not get through is only acknowledged, not opened and stored again.
        ``entries``: the inbox entries to go through (default: the whole inbox, oldest first).

        A stored group's acknowledgement (one batch, the relay checking each receipt) runs on one
        helper thread while the next group is opened; its answer is taken before the next group's
        acknowledgement is sent, and before this returns, however it returns."""
        from concurrent.futures import ThreadPoolExecutor

        out = ReceiveResult()
        group: List[_Settling] = []
        size = 0
        acks = _Acknowledging(self, client, out)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tsunagi-ack") as acks.pool:
            try:
                for key, rec, receipt in (self.db.inbox_list() if entries is None else entries):
                    if cancel is not None and cancel.is_set():
                        break
                    if "info" not in rec:
                        continue
                    info = wire.ItemInfo.from_json(rec["info"])
                    if rec.get("state") == STORED and receipt is not None:
                        group.append((key, info, receipt, None))
                        continue
                    accepted = processor(info, self.db.inbox_payload(key) or b"")
                    if accepted is None:
                        out.kept.append(info)
                        continue
                    size += len(accepted.content)
                    group.append((key, info, accepted.receipt, accepted))
                    if len(group) >= GROUP_ITEMS or size >= GROUP_BYTES:
                        if not (self._store(group, out) and acks.answered() and acks.send(group)):
                            return out
                        size = 0
                if self._store(group, out) and acks.answered():
                    acks.send(group)
            finally:
                acks.answered()
        return out

    def receive(self, client: RelayClient, processor: Processor, listed: List[wire.ItemInfo],
                cancel: Optional[threading.Event] = None) -> ReceiveResult:
        """``fetch`` and ``process`` overlapped: one downloader thread fetches ``listed`` and commits
        it to the inbox a group at a time, while this thread opens, stores and acknowledges what is
        already on disk (what earlier runs left first, then each group as it is committed). At most
        ``PIPELINE_GROUPS`` committed groups wait for this thread. Nothing is acknowledged before it
        is in the archive, nothing is opened before it is in the inbox, and whatever stops one side
        (a failure, ``cancel``) stops the other before this returns: what was downloaded and not
        processed stays in the inbox for the next receive. The downloader's failure is in
        ``fetch_error``; what it had committed is processed."""
        import queue

        stop = threading.Event()
        either = _Either(stop, cancel)
        handed: "queue.Queue" = queue.Queue(maxsize=PIPELINE_GROUPS)
        failure: List[BaseException] = []
        finished: List[bool] = []
        earlier = self.db.inbox_list()
        there = {key for key, _, _ in earlier}
        listed = [info for info in listed if info.id not in there]  # never fetched again once processed

        def download() -> None:
            try:
                self.fetch(client, cancel=either, listed=listed, committed=handed.put)
            except BaseException as exc:  # handed to the caller's thread
                failure.append(exc)
            finally:
                handed.put(_DONE)

        def entries():
            yield from earlier
            while True:
                infos = handed.get()      # the downloader always ends with _DONE: never waits for ever
                if infos is _DONE:
                    finished.append(True)
                    return
                for info in infos:
                    yield info.id, {"info": info.to_json()}, None

        downloader = threading.Thread(target=download, name="tsunagi-download", daemon=True)
        downloader.start()
        try:
            out = self.process(client, processor, either, entries())
        finally:
            stop.set()
            if not finished:
                while handed.get() is not _DONE:   # let a put blocked on the full queue go on
                    pass
            downloader.join()
        if failure:
            out.fetch_error = failure[0]
        return out

    def _store(self, group: List[_Settling], out: ReceiveResult) -> bool:
        """Commit the group's archive records with their receipts (items stored by an earlier run
        are already). False when the disk failed: the group's items stay in the inbox, unstored."""
        if not group:
            return True
        try:
            self.db.store_received([(key, a.key, a.record, a.content, receipt, a.users)
                                    for key, _, receipt, a in group if a is not None])
        except (OSError, sqlite3.Error) as exc:
            fresh = [info for _, info, _, a in group if a is not None]
            out.kept += fresh
            err = exc if isinstance(exc, OSError) else OSError(
                0, getattr(exc, "sqlite_errorname", "") or type(exc).__name__)
            out.unstored += [(info.name, err) for info in fresh]
            group.clear()
            return False
        out.stored += [a.record for _, _, _, a in group if a is not None]
        return True

    def _acknowledged(self, group: List[Tuple[str, wire.ItemInfo]], answers, out: ReceiveResult) -> bool:
        """Remove from the inbox the items the relay took the receipts of (or no longer has); note
        the others' errors. False when the line failed (the rest is not tried)."""
        done: List[str] = []
        go_on = True
        for (key, info), answer in zip(group, answers):
            if isinstance(answer, TransportError):
                if answer.code not in (wire.GONE, wire.NOT_FOUND):
                    out.errors.append((info.name, answer))
                    if answer.code.startswith("E-NET-"):
                        go_on = False
                        break
                    continue
            done.append(key)
            out.acknowledged.append(info)
        self.db.inbox_remove(done)
        return go_on


class _Acknowledging:
    """The one stored group whose acknowledgement is in flight (``Inbox.process``)."""

    def __init__(self, inbox: Inbox, client: RelayClient, out: ReceiveResult):
        self.inbox, self.client, self.out = inbox, client, out
        self.pool = None
        self._pending = None  # (group's (key, info)s, future of the answers)
        self._go_on = True

    def send(self, group: List[_Settling]) -> bool:
        """Acknowledge a stored group on the helper thread (the group list is emptied for the next)."""
        if group:
            entries = [(info.id, receipt) for _, info, receipt, _ in group]
            self._pending = ([(key, info) for key, info, _, _ in group],
                             self.pool.submit(self.client.acknowledge_many, entries))
            group.clear()
        return True

    def answered(self) -> bool:
        """Wait for the acknowledgement in flight and settle its items; False once the line failed."""
        if self._pending is not None:
            group, future = self._pending
            self._pending = None
            try:
                answers = future.result()
            except TransportError as exc:  # the line, or the whole batch: every item stays in the inbox
                answers = [exc] * len(group)
            self._go_on = self.inbox._acknowledged(group, answers, self.out) and self._go_on
        return self._go_on
