"""Relay storage: one interface, two backends (SQLite in WAL mode by default; PostgreSQL).

What is stored is what routing needs and nothing more: item names, office numbers, service-type
codes, sizes, digests and times, the sealed content until the recipient's signed receipt arrives
(or, for clients that name their PC, ``keep_received_days`` longer, so the office's other PCs get it
too), then the receipt (for the sender) and which PCs of the recipient have the item. Directory:
offices on the system, their sites (service codes), their certificates (several per office during a
rollover).

Every operation is one statement (or one short transaction), so several relay processes can share
one database: idempotency rests on the unique item name, not on anything held in memory.
A SIGKILL at any point leaves either the whole statement or none of it (SQLite WAL and PostgreSQL
both commit atomically). What a method has returned is on disk: SQLite runs with
``synchronous=FULL`` (every commit syncs the WAL, sealed contents included, before it returns), so
a power cut loses nothing the relay has acknowledged. PostgreSQL's
own commit is durable (unless its server runs with ``fsync=off``, as the tests' throwaway one does).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, List, Optional, Sequence, Tuple, Union

from tui_client.core import wire

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("tsunagi.relay")


class StorageError(Exception):
    """The database could not be reached or stayed busy: the client should retry later."""


class NotFound(Exception):
    pass


class Gone(Exception):
    pass


class Conflict(Exception):
    pass


_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"


def now() -> str:
    return datetime.now(timezone.utc).strftime(_TIME)


def _stamp(when: Optional[datetime]) -> str:
    """``when`` (aware; None = now) as the storage writes times: text that sorts as the time does."""
    return (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime(_TIME)


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class NewItem:
    kind: str
    name: str
    digest: str
    size: int
    sender: str
    sender_service: Optional[str]
    recipient: str
    recipient_service: Optional[str]


_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS offices (
        office TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        registered_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS office_services (
        office TEXT NOT NULL,
        service TEXT NOT NULL,
        PRIMARY KEY (office, service))""",
    """CREATE TABLE IF NOT EXISTS certificates (
        fingerprint TEXT PRIMARY KEY,
        office TEXT NOT NULL,
        der {blob} NOT NULL,
        added_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS certificates_office ON certificates (office)",
    """CREATE TABLE IF NOT EXISTS items (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL UNIQUE,
        digest TEXT NOT NULL,
        size INTEGER NOT NULL,
        sender TEXT NOT NULL,
        sender_service TEXT NOT NULL,
        recipient TEXT NOT NULL,
        recipient_service TEXT NOT NULL,
        created_at TEXT NOT NULL,
        downloaded_at TEXT,
        received_at TEXT,
        withdrawn_at TEXT,
        content {blob},
        receipt {blob},
        content_file TEXT,
        content_offset BIGINT,
        content_length BIGINT)""",
    "CREATE INDEX IF NOT EXISTS items_recipient ON items (recipient, received_at, withdrawn_at)",
    "CREATE INDEX IF NOT EXISTS items_sender ON items (sender, created_at)",
    # Which PC (device id) of the recipient office has acknowledged which item: every PC of an
    # office gets each item, not only the first one to list it.
    """CREATE TABLE IF NOT EXISTS deliveries (
        item_id TEXT NOT NULL,
        device TEXT NOT NULL,
        delivered_at TEXT NOT NULL,
        PRIMARY KEY (item_id, device))""",
    # Items still holding content (waiting, or received and kept for the office's other PCs): a
    # device's mailbox reads only these, in the mailbox's order, whatever the office's history.
    "CREATE INDEX IF NOT EXISTS items_held ON items (recipient, created_at, name) WHERE content IS NOT NULL",
    # Received items still holding content, by time: the purge visits only what it empties.
    "CREATE INDEX IF NOT EXISTS items_kept ON items (received_at) "
    "WHERE content IS NOT NULL AND received_at IS NOT NULL",
]

#: Days a received item's content stays on the relay for the office's other PCs (relay setting
#: ``--keep-received-days``); 0 deletes it at the first acknowledgement.
DEFAULT_KEEP_RECEIVED_DAYS = 31

#: Columns added after the first release: (name, type), added to older databases at start-up. The
#: content_* columns told where a content file held an item's content (relays of late 2026-11); a
#: start-up moves such contents back into their rows (``SQLiteStorage._absorb_content_files``).
_ADDED_COLUMNS = (("content_file", "TEXT"), ("content_offset", "BIGINT"), ("content_length", "BIGINT"))
_AFTER_COLUMNS = [
    "CREATE INDEX IF NOT EXISTS items_content_file ON items (content_file) WHERE content_file IS NOT NULL",
]
#: What deleting an item's content sets.
_NO_CONTENT = "content = NULL, content_file = NULL, content_offset = NULL, content_length = NULL"

_ADD_CERTIFICATE = ("INSERT INTO certificates (fingerprint, office, der, added_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (fingerprint) DO NOTHING")

_INFO_COLUMNS = ("id, kind, name, digest, size, sender, sender_service, recipient, recipient_service, "
                 "created_at, downloaded_at, received_at, withdrawn_at")


#: Empties the contents kept longer than the relay keeps received items (parameter: the cutoff time).
_PURGE = (f"UPDATE items SET {_NO_CONTENT} WHERE content IS NOT NULL AND received_at IS NOT NULL "
          "AND received_at < ?")


def _cutoff(keep_days: int, when: Optional[datetime]) -> str:
    """The time before which a received item's content is no longer kept."""
    return _stamp((when or datetime.now(timezone.utc)) - timedelta(days=max(0, keep_days)))


def _info(row: Sequence) -> wire.ItemInfo:
    (id_, kind, name, digest, size, s, ss, r, rs, created, downloaded, received, withdrawn) = row
    if received:
        state = wire.RECEIVED
    elif withdrawn:
        state = wire.WITHDRAWN
    elif downloaded:
        state = wire.DOWNLOADED
    else:
        state = wire.WAITING
    return wire.ItemInfo(id_, kind, name, digest, int(size), s, ss or None, r, rs or None, state,
                         created, downloaded, received)


class Storage:
    """The interface both backends implement (SQL differs only in placeholders and blob type)."""

    placeholder = "?"
    blob = "BLOB"

    # -- plumbing: subclasses provide _execute(sql, params) -> (rows, rowcount)
    def _execute(self, sql: str, params: Sequence = (), *, fetch: bool = True) -> Tuple[list, int]:
        raise NotImplementedError

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _run(self, sql: str, *params) -> Tuple[list, int]:
        return self._execute(self._sql(sql), params)

    def create_schema(self) -> None:
        for stmt in _SCHEMA:
            self._execute(stmt.format(blob=self.blob), (), fetch=False)
        for column, kind in _ADDED_COLUMNS:
            self._add_column("items", column, kind)
        for stmt in _AFTER_COLUMNS:
            self._execute(stmt, (), fetch=False)

    def _add_column(self, table: str, column: str, kind: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    # -- directory
    def register_office(self, office: str, services: Sequence[str], name: str = "",
                        certificate_der: Optional[bytes] = None) -> None:
        """Put an office on the system (or update it): its sites and, if given, a certificate. One
        transaction: nobody sees the office without its sites, and a failure changes nothing."""
        t = now()

        def work(run) -> list:
            run("INSERT INTO offices (office, name, registered_at) VALUES (?, ?, ?) "
                "ON CONFLICT (office) DO UPDATE SET name = excluded.name", (office, name, t))
            run("DELETE FROM office_services WHERE office = ?", (office,))
            for svc in sorted(set(services)):
                run("INSERT INTO office_services (office, service) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING", (office, svc))
            if certificate_der:
                run(_ADD_CERTIFICATE, (fingerprint(certificate_der), office, certificate_der, t))
            return []

        self._transaction(work)

    def add_certificate(self, office: str, der: bytes) -> None:
        self._run(_ADD_CERTIFICATE, fingerprint(der), office, der, now())

    def is_registered(self, office: str) -> bool:
        rows, _ = self._run("SELECT 1 FROM offices WHERE office = ?", office)
        return bool(rows)

    def services(self, office: str) -> List[str]:
        rows, _ = self._run("SELECT service FROM office_services WHERE office = ? ORDER BY service", office)
        return [r[0] for r in rows]

    def certificates(self, office: str) -> List[bytes]:
        rows, _ = self._run("SELECT der FROM certificates WHERE office = ? ORDER BY added_at DESC", office)
        return [bytes(r[0]) for r in rows]

    def office_entry(self, office: str) -> Tuple[bool, str, List[str], List[bytes]]:
        rows, _ = self._run("SELECT name FROM offices WHERE office = ?", office)
        if not rows:
            return False, "", [], []
        return True, rows[0][0], self.services(office), self.certificates(office)

    # -- items
    def put_item(self, item: NewItem, content: bytes) -> Tuple[str, bool]:
        """Store an item; (id, duplicate). The same name with the same digest returns the earlier id
        and stores nothing; the same name with another digest raises Conflict."""
        result = self.put_items([(item, content)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def put_items(self, batch: Sequence[Tuple[NewItem, bytes]]) -> List[Union[Tuple[str, bool], Conflict]]:
        """Store several items in one transaction (one commit, one log sync for all of them): for
        each, (id, duplicate) as ``put_item`` answers, or the Conflict it would raise. Either every
        item of the batch is stored or, on StorageError, none is."""

        def store(run) -> list:
            out: list = []
            for new_id, (item, content) in zip(_new_ids(len(batch)), batch):
                _, count = run(
                    "INSERT INTO items (id, kind, name, digest, size, sender, sender_service, recipient, "
                    "recipient_service, created_at, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (new_id, item.kind, item.name, item.digest, item.size, item.sender,
                     item.sender_service or "", item.recipient, item.recipient_service or "", now(), content))
                if count == 1:
                    out.append((new_id, False))
                    continue
                rows, _ = run("SELECT id, digest FROM items WHERE name = ?", (item.name,))
                out.append(_name_taken(rows[0] if rows else None, item.digest))
            return out

        return self._transaction(store)

    def _transaction(self, work: Callable[[Callable], list]) -> list:
        """Run ``work(run)`` in one transaction; ``run(sql, params)`` → (rows, rowcount)."""
        raise NotImplementedError

    def info(self, item_id: str) -> Optional[wire.ItemInfo]:
        rows, _ = self._run(f"SELECT {_INFO_COLUMNS} FROM items WHERE id = ?", item_id)
        return _info(rows[0]) if rows else None

    def mailbox(self, office: str, service: Optional[str] = None,
                device: Optional[str] = None) -> List[wire.ItemInfo]:
        """Items waiting for an office. With ``service``, one site's mailbox: items for that site
        plus items for the office as a whole.

        With ``device`` (one PC of the office): every item that still has its content and that this
        PC has not acknowledged, whether another PC received it or not (its state then says
        ``received``). Without it (older clients): items nobody has acknowledged yet. Withdrawn
        items never."""
        if device:
            sql = (f"SELECT {_INFO_COLUMNS} FROM items WHERE recipient = ? AND content IS NOT NULL "
                   "AND withdrawn_at IS NULL AND NOT EXISTS (SELECT 1 FROM deliveries "
                   "WHERE deliveries.item_id = items.id AND deliveries.device = ?)")
            params: list = [office, device]
        else:
            sql = (f"SELECT {_INFO_COLUMNS} FROM items WHERE recipient = ? AND received_at IS NULL "
                   "AND withdrawn_at IS NULL")
            params = [office]
        if service:
            sql += " AND (recipient_service = ? OR recipient_service = '')"
            params.append(service)
        rows, _ = self._run(sql + " ORDER BY created_at, name", *params)
        return [_info(r) for r in rows]

    def download(self, item_id: str, office: str) -> Tuple[wire.ItemInfo, bytes]:
        rows, _ = self._run(f"SELECT {_INFO_COLUMNS}, content, content_file, content_offset, content_length "
                            "FROM items WHERE id = ? AND recipient = ?", item_id, office)
        if not rows:
            raise NotFound(item_id)
        row = rows[0]
        content, held = row[-4], row[-3]
        if content is None and held is None:
            raise Gone(item_id)
        info = _info(row[:-4])
        if content is None:  # still in a content file that could not be moved into its row
            raise StorageError(f"item {info.id}: content left in content file {held}")
        data = bytes(content)
        if row[10] is None:
            self._run("UPDATE items SET downloaded_at = ? WHERE id = ? AND downloaded_at IS NULL",
                      now(), item_id)
        return info, data

    def incoming_info(self, item_id: str, office: str) -> wire.ItemInfo:
        rows, _ = self._run(f"SELECT {_INFO_COLUMNS} FROM items WHERE id = ? AND recipient = ?",
                            item_id, office)
        if not rows:
            raise NotFound(item_id)
        return _info(rows[0])

    def acknowledge(self, item_id: str, office: str, receipt: bytes, device: Optional[str] = None,
                    keep_days: int = DEFAULT_KEEP_RECEIVED_DAYS,
                    when: Optional[datetime] = None) -> wire.ItemInfo:
        """Store the (already verified) receipt. Idempotent: acknowledging an item already received
        answers as the first time did; the stored receipt and ``received_at`` stay the first ones.

        Without ``device`` the content is deleted. With ``device`` (one PC of the office) the PC's
        delivery is recorded, whoever acknowledged first, and the content stays ``keep_days`` after
        the first acknowledgement for the office's other PCs (0: deleted now); contents kept longer
        than that are emptied here too (``purge_received``). ``when``: the time (tests)."""
        result = self.acknowledge_many(office, [(item_id, receipt)], device, keep_days, when)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def acknowledge_many(self, office: str, entries: Sequence[Tuple[str, bytes]], device: Optional[str] = None,
                         keep_days: int = DEFAULT_KEEP_RECEIVED_DAYS,
                         when: Optional[datetime] = None) -> List[Union[wire.ItemInfo, NotFound, Gone]]:
        """``acknowledge`` for several (item id, verified receipt) pairs in one transaction (one
        commit, one sync): for each, the ItemInfo ``acknowledge`` returns or the NotFound / Gone it
        would raise. Either all of them are stored or, on StorageError, none is."""
        t = _stamp(when)
        drop = not device or keep_days <= 0

        def work(run) -> list:
            out: list = []
            for item_id, receipt in entries:
                _, count = run(
                    f"UPDATE items SET {_NO_CONTENT + ', ' if drop else ''}receipt = ?, received_at = ? "
                    "WHERE id = ? AND recipient = ? AND received_at IS NULL AND withdrawn_at IS NULL",
                    (receipt, t, item_id, office))
                rows, _ = run(f"SELECT {_INFO_COLUMNS} FROM items WHERE id = ? AND recipient = ?",
                              (item_id, office))
                if not rows:
                    out.append(NotFound(item_id))
                    continue
                info = _info(rows[0])
                if count == 0 and info.state == wire.WITHDRAWN:
                    out.append(Gone(item_id))
                    continue
                if device:
                    run("INSERT INTO deliveries (item_id, device, delivered_at) VALUES (?, ?, ?) "
                        "ON CONFLICT (item_id, device) DO NOTHING", (item_id, device, t))
                out.append(info)
            if device and not drop and any(not isinstance(r, Exception) for r in out):
                run(_PURGE, (_cutoff(keep_days, when),))  # in the same commit: nothing to sync when nothing is due
            return out

        return self._transaction(work)

    def purge_received(self, keep_days: int = DEFAULT_KEEP_RECEIVED_DAYS,
                       when: Optional[datetime] = None) -> int:
        """Empty the content of items received more than ``keep_days`` before ``when`` (default:
        now); how many. One indexed statement (``items_kept``): it visits only the rows it empties,
        so it is cheap to run at start-up and with every acknowledgement that keeps content."""
        _, count = self._run(_PURGE, _cutoff(keep_days, when))
        return max(0, count)

    def sent(self, office: str, since: Optional[str] = None) -> List[wire.ItemInfo]:
        sql = f"SELECT {_INFO_COLUMNS} FROM items WHERE sender = ?"
        params: list = [office]
        if since:
            sql += " AND created_at >= ?"
            params.append(since)
        rows, _ = self._run(sql + " ORDER BY created_at, name", *params)
        return [_info(r) for r in rows]

    def receipt(self, item_id: str, office: str) -> Tuple[wire.ItemInfo, Optional[bytes]]:
        rows, _ = self._run(f"SELECT {_INFO_COLUMNS}, receipt FROM items WHERE id = ? AND sender = ?",
                            item_id, office)
        if not rows:
            raise NotFound(item_id)
        r = rows[0][-1]
        return _info(rows[0][:-1]), (bytes(r) if r is not None else None)

    def withdraw(self, item_id: str, office: str) -> wire.ItemInfo:
        self._run(f"UPDATE items SET {_NO_CONTENT}, withdrawn_at = ? WHERE id = ? AND sender = ? "
                  "AND received_at IS NULL AND withdrawn_at IS NULL", now(), item_id, office)
        rows, _ = self._run(f"SELECT {_INFO_COLUMNS} FROM items WHERE id = ? AND sender = ?", item_id, office)
        if not rows:
            raise NotFound(item_id)
        return _info(rows[0])

    def stored_content_count(self) -> int:
        rows, _ = self._run("SELECT COUNT(*) FROM items WHERE content IS NOT NULL OR content_file IS NOT NULL")
        return int(rows[0][0])


class SQLiteStorage(Storage):
    """One file, WAL mode, one connection per thread (the relay's threads and processes share the
    file; SQLite serialises writers, ``busy_timeout`` makes them wait instead of failing).
    ``synchronous=FULL``: every commit syncs the WAL before it returns, so what the relay has
    acknowledged survives a power cut (``durable=False`` is for throwaway relays only)."""

    def __init__(self, path: str, *, durable: bool = True, busy_timeout_ms: int = 10_000):
        self.path = path
        self.durable = durable
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._in_memory = path == ":memory:" or path.startswith("file:") or not path
        self.create_schema()
        if not self._in_memory:
            self._absorb_content_files()

    def _add_column(self, table, column, kind):
        rows, _ = self._execute(f"PRAGMA table_info({table})")
        if column not in {r[1] for r in rows}:
            self._execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}", fetch=False)

    def _absorb_content_files(self) -> None:
        """Relays of late 2026-11 kept waiting items' contents in ``<database>.content/`` files:
        move each into its row (checked against its digest; one transaction), then remove the
        folder. A content that is missing or damaged stays where it is, is logged, and its download
        is a storage error (never wrong bytes); the folder then stays too."""
        folder = self.path + ".content"
        if not os.path.isdir(folder):
            return

        def work(run) -> list:
            rows, _ = run("SELECT id, digest, content_file, content_offset, content_length FROM items "
                          "WHERE content_file IS NOT NULL AND content IS NULL", ())
            left = []
            for item_id, digest, name, offset, length in rows:
                data = _read_part(os.path.join(folder, os.path.basename(name)), int(offset), int(length))
                if data is None or wire.digest(data) != digest:
                    left.append(item_id)
                    continue
                run("UPDATE items SET content = ?, content_file = NULL, content_offset = NULL, "
                    "content_length = NULL WHERE id = ?", (data, item_id))
            return left

        left = self._transaction(work)
        if left:
            log.warning("content files: %d item(s) could not be moved into the database: %s",
                        len(left), ",".join(left))
        else:
            shutil.rmtree(folder, ignore_errors=True)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=self.busy_timeout_ms / 1000)
            conn.execute("PRAGMA page_size=16384")  # a new file: a 20 KB sealed item spans 2 pages, not 6
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
            conn.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
            conn.execute("PRAGMA cache_size=-32768")  # 32 MiB instead of 2: the indexes of a busy month
            self._local.conn = conn
        return conn

    def _execute(self, sql, params=(), *, fetch=True):
        try:
            cur = self._conn().execute(sql, params)
            rows = cur.fetchall() if fetch else []
            return rows, cur.rowcount
        except sqlite3.OperationalError as exc:  # locked / disk full / unreadable
            raise StorageError(str(exc)) from exc

    def _transaction(self, work):
        # One connection per thread: the statements of ``work`` run inside this transaction.
        # Writers of all threads and processes (``--workers N``) first queue on a lock file: SQLite
        # alone makes a writer that finds the database busy sleep and poll (1, 2, 5, 10 … 100 ms),
        # however soon the other commits; a blocked flock wakes the moment its holder lets go.
        lock = self._write_lock()
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            self._execute("BEGIN IMMEDIATE", fetch=False)
            try:
                result = work(self._execute)
                self._execute("COMMIT", fetch=False)
            except BaseException:
                conn = self._conn()
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
        return result

    def _write_lock(self) -> Optional[int]:
        """This thread's descriptor of ``<database>.lock`` (flock excludes descriptors, so threads
        need their own), or None: no fcntl (Windows), or an in-memory database."""
        if fcntl is None or self._in_memory:
            return None
        fd = getattr(self._local, "lockfd", None)
        if fd is None:
            try:
                fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            except OSError as exc:
                raise StorageError(f"lock file: {exc}") from exc
            self._local.lockfd = fd
        return fd

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        lockfd = getattr(self._local, "lockfd", None)
        if lockfd is not None:
            os.close(lockfd)
            self._local.lockfd = None


def _read_part(path: str, offset: int, length: int) -> Optional[bytes]:
    """``length`` bytes at ``offset`` of a file, or None when the file or the bytes are missing."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except OSError:
        return None
    return data if len(data) == length else None


def _name_taken(stored: Optional[Sequence], digest: str) -> Union[Tuple[str, bool], Conflict]:
    """The answer for an item whose name another row holds, ``stored`` = that row's (id, digest):
    a duplicate with the same digest, a Conflict with another."""
    if stored is None:  # rows are never deleted, so this cannot happen; never guess
        raise StorageError("item vanished")
    return (stored[0], True) if stored[1] == digest else Conflict(stored[0])


def _new_ids(n: int) -> List[str]:
    """``n`` new item ids: 32 hex digits, the time in microseconds (13) then 76 random bits (19).
    Ids that grow with time go into the primary-key index at its end, as rows go into the table,
    instead of at random places all over it; the random part keeps them unguessable."""
    stamp = f"{time.time_ns() // 1000:013x}"[-13:]
    pool = os.urandom(10 * n).hex()
    return [stamp + pool[i:i + 19] for i in range(0, 20 * n, 20)]


class PostgresStorage(Storage):
    """PostgreSQL via psycopg 3, autocommit, one connection per thread; reconnects after a failure."""

    placeholder = "%s"
    blob = "BYTEA"

    def __init__(self, dsn: str):
        import psycopg  # only the PostgreSQL deployment pays for it

        self._psycopg = psycopg
        self.dsn = dsn
        self._local = threading.local()
        # Several relay processes may start at once: serialise schema creation.
        self._execute("SELECT pg_advisory_lock(727001)", ())
        try:
            self.create_schema()
        finally:
            self._execute("SELECT pg_advisory_unlock(727001)", ())

    def _add_column(self, table, column, kind):
        self._execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}", (), fetch=False)

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
            self._local.conn = conn
        return conn

    def _execute(self, sql, params=(), *, fetch=True):
        psycopg = self._psycopg
        for attempt in (1, 2):
            try:
                cur = self._conn().execute(sql, params, prepare=True)
                rows = cur.fetchall() if (fetch and cur.description is not None) else []
                return rows, cur.rowcount
            except psycopg.OperationalError as exc:
                # A dropped connection (server restart, failover): one reconnect, then give up.
                self.close()
                if attempt == 2:
                    raise StorageError(str(exc)) from exc
        raise AssertionError("unreachable")

    def _transaction(self, work):
        psycopg = self._psycopg
        for attempt in (1, 2):
            conn = self._conn()

            def run(sql, params, conn=conn):
                cur = conn.execute(self._sql(sql), params, prepare=True)
                return (cur.fetchall() if cur.description is not None else []), cur.rowcount

            try:
                with conn.transaction():
                    return work(run)
            except psycopg.OperationalError as exc:
                self.close()
                if attempt == 2:
                    raise StorageError(str(exc)) from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass
            self._local.conn = None


def open_storage(url: str, *, durable: bool = True) -> Storage:
    """``postgresql://…`` → PostgreSQL; anything else is a SQLite file path (``sqlite:///path``
    or a bare path), durable unless ``durable=False`` (tests)."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(url)
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///"):]
        if not url.startswith("/"):
            url = "/" + url
    return SQLiteStorage(url, durable=durable)
