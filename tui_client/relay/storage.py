"""Relay storage: one interface, two backends (SQLite in WAL mode by default; PostgreSQL).

What is stored is what routing needs and nothing more: item names, office numbers, service-type
codes, sizes, digests and times, the sealed content until the recipient's signed receipt arrives,
then the receipt (for the sender). Directory: offices on the system, their sites (service codes),
their certificates (several per office during a rollover).

Every operation is one statement (or one short transaction), so several relay processes can share
one database: idempotency rests on the unique item name, not on anything held in memory.
A SIGKILL at any point leaves either the whole statement or none of it (SQLite WAL and PostgreSQL
both commit atomically); SQLite's ``synchronous=NORMAL`` survives a process crash, and
``synchronous=FULL`` (``durable=True``) also survives a power cut.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, List, Optional, Sequence, Tuple, Union

from tui_client.core import wire
from tui_client.relay.contentfiles import ContentError, ContentFiles

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's own locking alone
    fcntl = None  # type: ignore[assignment]


class StorageError(Exception):
    """The database could not be reached or stayed busy: the client should retry later."""


class NotFound(Exception):
    pass


class Gone(Exception):
    pass


class Conflict(Exception):
    pass


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
]

#: Columns added after the first release: (name, type), added to older databases at start-up.
_ADDED_COLUMNS = (("content_file", "TEXT"), ("content_offset", "BIGINT"), ("content_length", "BIGINT"))
_AFTER_COLUMNS = [
    "CREATE INDEX IF NOT EXISTS items_content_file ON items (content_file) WHERE content_file IS NOT NULL",
]
#: What deleting an item's content sets.
_NO_CONTENT = "content = NULL, content_file = NULL, content_offset = NULL, content_length = NULL"

_INFO_COLUMNS = ("id, kind, name, digest, size, sender, sender_service, recipient, recipient_service, "
                 "created_at, downloaded_at, received_at, withdrawn_at")


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
    #: Where contents live when not in the rows (SQLite beside its file); None: in the rows.
    files: Optional[ContentFiles] = None
    #: True where storing a group waits for neither fsync nor the network (it is then stored in
    #: the event loop's thread, ``writer.LoopWriter``); False: a writer thread waits instead.
    quick_writes: bool = False

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
        """Put an office on the system (or update it): its sites and, if given, a certificate."""
        t = now()
        self._run("INSERT INTO offices (office, name, registered_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (office) DO UPDATE SET name = excluded.name", office, name, t)
        self._run("DELETE FROM office_services WHERE office = ?", office)
        for svc in sorted(set(services)):
            self._run("INSERT INTO office_services (office, service) VALUES (?, ?) "
                      "ON CONFLICT DO NOTHING", office, svc)
        if certificate_der:
            self.add_certificate(office, certificate_der)

    def add_certificate(self, office: str, der: bytes) -> None:
        self._run("INSERT INTO certificates (fingerprint, office, der, added_at) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (fingerprint) DO NOTHING", fingerprint(der), office, der, now())

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

    def mailbox(self, office: str, service: Optional[str] = None) -> List[wire.ItemInfo]:
        """Items waiting for an office (every PC of it sees the same list). With ``service``, one
        site's mailbox: items for that site plus items for the office as a whole."""
        sql = (f"SELECT {_INFO_COLUMNS} FROM items WHERE recipient = ? AND received_at IS NULL "
               "AND withdrawn_at IS NULL")
        params: list = [office]
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
        content, held = row[-4], row[-3:]
        if content is None and held[0] is None:
            raise Gone(item_id)
        info = _info(row[:-4])
        data = bytes(content) if content is not None else self._read_held(info, *held)
        if row[10] is None:
            self._run("UPDATE items SET downloaded_at = ? WHERE id = ? AND downloaded_at IS NULL",
                      now(), item_id)
        return info, data

    def _read_held(self, info: wire.ItemInfo, name: str, offset: int, length: int) -> bytes:
        """An item's content from its content file, checked against the digest it was stored with."""
        if self.files is None:
            raise StorageError(f"item {info.id}: its content file is not available here")
        try:
            data = self.files.read(name, int(offset), int(length))
        except ContentError as exc:
            raise StorageError(f"item {info.id}: content file {name}: {exc}") from exc
        if wire.digest(data) != info.digest:
            raise StorageError(f"item {info.id}: content in {name} does not match its digest")
        return data

    def _held(self, item_id: str, party: str, office: str) -> Optional[Tuple[str, int, int]]:
        """(content file, offset, length) of an item whose content is still stored in a file."""
        if self.files is None:
            return None
        rows, _ = self._run(f"SELECT content_file, content_offset, content_length FROM items WHERE id = ? "
                            f"AND {party} = ? AND received_at IS NULL AND withdrawn_at IS NULL "
                            "AND content_file IS NOT NULL", item_id, office)
        return (rows[0][0], int(rows[0][1]), int(rows[0][2])) if rows else None

    def _forget(self, held: Optional[Tuple[str, int, int]]) -> None:
        """After the row no longer points at it: zero the content, and remove its file if now unused."""
        if held is not None and self.files is not None:
            self.files.erase(*held)
            self.files.collect(held[0], self._file_used)

    def _file_used(self, name: str) -> bool:
        rows, _ = self._run("SELECT 1 FROM items WHERE content_file = ? LIMIT 1", name)
        return bool(rows)

    def incoming_info(self, item_id: str, office: str) -> wire.ItemInfo:
        rows, _ = self._run(f"SELECT {_INFO_COLUMNS} FROM items WHERE id = ? AND recipient = ?",
                            item_id, office)
        if not rows:
            raise NotFound(item_id)
        return _info(rows[0])

    def acknowledge(self, item_id: str, office: str, receipt: bytes) -> wire.ItemInfo:
        """Store the (already verified) receipt and delete the content. Idempotent: acknowledging
        an item already received answers as the first time did."""
        held = self._held(item_id, "recipient", office)
        _, count = self._run(
            f"UPDATE items SET {_NO_CONTENT}, receipt = ?, received_at = ? WHERE id = ? AND recipient = ? "
            "AND received_at IS NULL AND withdrawn_at IS NULL", receipt, now(), item_id, office)
        if count == 1:
            self._forget(held)
        info = self.incoming_info(item_id, office)
        if count == 0 and info.state == wire.WITHDRAWN:
            raise Gone(item_id)
        return info

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
        held = self._held(item_id, "sender", office)
        _, count = self._run(f"UPDATE items SET {_NO_CONTENT}, withdrawn_at = ? WHERE id = ? AND sender = ? "
                             "AND received_at IS NULL AND withdrawn_at IS NULL", now(), item_id, office)
        if count == 1:
            self._forget(held)
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

    Sealed contents go to content files in ``<database>.content/`` (``contentfiles.py``); the rows
    hold where. ``content_files=False``, an in-memory database or a system without ``fcntl`` keep
    contents in the rows."""

    def __init__(self, path: str, *, durable: bool = False, busy_timeout_ms: int = 10_000,
                 content_files: bool = True):
        self.path = path
        self.durable = durable
        self.quick_writes = not durable  # commits reach the WAL in the page cache, no fsync
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._in_memory = in_memory = path == ":memory:" or path.startswith("file:") or not path
        use_files = content_files and not in_memory and ContentFiles.available()
        # Page size of a new file (an existing one keeps its own). Rows of routing facts: SQLite's
        # 4 KiB; contents in rows: 16 KiB, a 20 KB sealed item then spans 2 pages instead of 6.
        self._page_size = 4096 if use_files else 16384
        self.create_schema()
        if use_files:
            self.files = ContentFiles(path + ".content", durable=durable)
            self.files.sweep(self._file_used)

    def _add_column(self, table, column, kind):
        rows, _ = self._execute(f"PRAGMA table_info({table})")
        if column not in {r[1] for r in rows}:
            self._execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}", fetch=False)

    def put_items(self, batch):
        """As ``Storage.put_items``; with content files, the group's contents are one append, and
        its rows one ``executemany``."""
        if self.files is None or not batch:
            return super().put_items(batch)
        try:
            held, offsets = self.files.append([c for _, c in batch], self._file_used)
        except ContentError as exc:
            raise StorageError(f"content file: {exc}") from exc
        created = now()
        ids = _new_ids(len(batch))
        rows = [[new_id, item.kind, item.name, item.digest, item.size, item.sender, item.sender_service or "",
                 item.recipient, item.recipient_service or "", created, held, offset, len(content)]
                for new_id, (item, content), offset in zip(ids, batch, offsets)]

        def store(run) -> list:
            if self._insert_rows(rows) == len(rows):
                return [(new_id, False) for new_id in ids]
            found, _ = run(f"SELECT name, id, digest FROM items WHERE name IN ({', '.join('?' * len(rows))})",
                           [r[2] for r in rows])
            stored = {name: (id_, digest) for name, id_, digest in found}
            out: list = []
            for row in rows:
                hit = stored.get(row[2])
                out.append((row[0], False) if hit is not None and hit[0] == row[0] else _name_taken(hit, row[3]))
            return out

        try:
            results = self._transaction(store)
        except BaseException:
            for row in rows:
                self.files.erase(held, row[11], row[12])
            raise
        for row, result in zip(rows, results):  # a duplicate or conflict: its bytes are not kept
            if isinstance(result, Exception) or result[0] != row[0]:
                self.files.erase(held, row[11], row[12])
        return results

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=self.busy_timeout_ms / 1000)
            conn.execute(f"PRAGMA page_size={self._page_size}")
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

    def _insert_rows(self, rows: Sequence[Sequence]) -> int:
        """INSERT content-file rows (names already held are skipped); how many went in."""
        try:
            return self._conn().executemany(_INSERT_ROWS, rows).rowcount
        except sqlite3.OperationalError as exc:
            raise StorageError(str(exc)) from exc

    def _transaction(self, work):
        # One connection per thread: the statements of ``work`` run inside this transaction.
        # Writers of all threads and processes first queue on a lock file: SQLite alone makes a
        # writer that finds the database busy sleep and poll (1, 2, 5, 10 ms...), which with
        # several relay workers cost more time than the writes; a blocked flock wakes the moment
        # the holder lets go.
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
        need their own), or None: no fcntl, or an in-memory database."""
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
        if self.files is not None:
            self.files.close(self._file_used)
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        lockfd = getattr(self._local, "lockfd", None)
        if lockfd is not None:
            os.close(lockfd)
            self._local.lockfd = None


_INSERT_ROWS = (
    "INSERT INTO items (id, kind, name, digest, size, sender, sender_service, recipient, recipient_service, "
    "created_at, content_file, content_offset, content_length) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (name) DO NOTHING")


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


def open_storage(url: str) -> Storage:
    """``postgresql://…`` → PostgreSQL; anything else is a SQLite file path (``sqlite:///path``
    or a bare path)."""
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStorage(url)
    if url.startswith("sqlite:///"):
        url = url[len("sqlite:///"):]
        if not url.startswith("/"):
            url = "/" + url
    return SQLiteStorage(url)
