"""One office's client store: a SQLite database, ``<office root>/office.sqlite3``.

What it keeps (every list ordered by an explicit ``seq``, never by a clock or a file time):

- ``outbox``: sealed items waiting to be uploaded (``state='waiting'``) and the error shelf
  (``state='error'``): items the relay refused for a reason retrying cannot fix.
- ``inbox``: downloaded items not yet acknowledged; ``state='stored'`` once the item is in the archive
  (then the row keeps the signed receipt until the relay accepted it).
- ``archive``: what was exchanged, both directions (``direction`` = sent / received), with the plain
  content, the signed receipt and the facts a search needs (month, kind, partner, users), plus an
  FTS5 index (``archive_fts``, trigram tokenizer: Japanese free text has no spaces) over names,
  subjects, partners' names and users.
- ``blobs``: payloads (sealed envelopes, plain contents), keyed by their SHA-256.

Why payloads are BLOBs in the database, referenced by digest, and not files: a record and its payload
then commit in ONE transaction, so a crash at any point leaves each item old or new, whole, with no
two-phase dance between a file and a row; sending creates no file at all (creating files was the cost
the old pack format fought: 40–800 µs each on the reference box, more under a virus scanner); and an
item's plaintext moves from the outbox to the sent archive by reference, not by copy. Items are at
most 32 MiB (wire.DEFAULT_MAX_ITEM_BYTES), well inside what SQLite BLOBs handle. A blob is deleted
only in the transaction that drops its last reference.

Durability: WAL, ``synchronous=FULL`` (a confirmed send or a stored receipt must survive a power cut),
``foreign_keys=ON``. Nothing is deleted before the step after it is safe: an outbox row goes in the
same transaction that records the relay's id in the archive; an inbox row goes only after the relay
accepted the receipt, which is itself committed with the archive record first.

Threads and processes: one connection behind a re-entrant lock (``check_same_thread=False`` on
purpose: the lock, not the thread, guards it), so a worker thread and the UI thread may both call in.
Two ``tsunagi`` runs on one office share the file through SQLite's locking; writes take the lock up
front (``BEGIN IMMEDIATE``) and wait up to ``busy_timeout`` for each other.

Never: network, Textual, or anything a user sees; this module only stores and finds.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blobs (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'error')),
    sealed TEXT NOT NULL REFERENCES blobs(sha256),
    plain TEXT REFERENCES blobs(sha256),
    content_sha256 TEXT NOT NULL DEFAULT '',
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox(state, seq);
CREATE INDEX IF NOT EXISTS outbox_content ON outbox(name, content_sha256);
CREATE TABLE IF NOT EXISTS inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL DEFAULT 'downloaded' CHECK (state IN ('downloaded', 'stored')),
    sealed TEXT REFERENCES blobs(sha256),
    receipt BLOB,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS archive (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '',
    file_kind TEXT NOT NULL DEFAULT '',
    month TEXT NOT NULL DEFAULT '',
    partner TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    time TEXT NOT NULL DEFAULT '',
    content_sha256 TEXT NOT NULL DEFAULT '',
    content TEXT REFERENCES blobs(sha256),
    receipt BLOB,
    users TEXT NOT NULL DEFAULT '',
    record TEXT NOT NULL,
    UNIQUE (direction, name)
);
CREATE INDEX IF NOT EXISTS archive_month ON archive(direction, month, seq);
CREATE INDEX IF NOT EXISTS archive_partner ON archive(partner, seq);
CREATE INDEX IF NOT EXISTS archive_name_content ON archive(name, content_sha256);
CREATE VIRTUAL TABLE IF NOT EXISTS archive_fts USING fts5(
    name, subject, partner_name, users, tokenize = 'trigram');
""" + """
-- drafts (新規作成 saved as you type): one row per draft; its attachments and care-plan files are
-- blobs like every other payload, referenced from draft_blobs in the draft's order.
CREATE TABLE IF NOT EXISTS drafts (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    recipient TEXT NOT NULL DEFAULT '',
    recipient_service TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    template TEXT NOT NULL DEFAULT '',
    updated_seq INTEGER NOT NULL,
    updated_at TEXT NOT NULL DEFAULT ''      -- shown to people only; order is updated_seq
);
CREATE TABLE IF NOT EXISTS draft_blobs (
    draft TEXT NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('attachment', 'file')),
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size INTEGER NOT NULL,
    PRIMARY KEY (draft, position)
);
CREATE INDEX IF NOT EXISTS draft_blobs_sha ON draft_blobs(sha256);
"""

# -- evidence kept with the archive (schema block of the 保管庫 work; other blocks add their own tables)
#: Columns added to ``archive`` for the evidence of an exchange, each a blob key (SHA-256) or NULL:
#: ``envelope`` the sealed envelope as uploaded / downloaded, ``receipt_key`` the signed receipt
#: (received from the recipient, or the one we sent). Databases made before them get the columns on
#: open (``ALTER TABLE … ADD COLUMN``, NULL for the rows already there). The older inline
#: ``archive.receipt`` column is still read for rows written before.
_EVIDENCE_COLUMNS = (("envelope", "TEXT REFERENCES blobs(sha256)"),
                     ("receipt_key", "TEXT REFERENCES blobs(sha256)"))
_EVIDENCE_INDEXES = """
CREATE INDEX IF NOT EXISTS archive_envelope ON archive(envelope);
CREATE INDEX IF NOT EXISTS archive_receipt_key ON archive(receipt_key);
CREATE INDEX IF NOT EXISTS archive_time ON archive(time);
-- Every column that refers to a blob is indexed: deleting a blob no one uses any more asks each of
-- them (``_release``, and the foreign-key check of the DELETE itself), which without an index reads
-- the whole table, so a receive or send slowed as the archive grew (a year's archive, every item).
CREATE INDEX IF NOT EXISTS archive_content ON archive(content);
CREATE INDEX IF NOT EXISTS outbox_sealed ON outbox(sealed);
CREATE INDEX IF NOT EXISTS outbox_plain ON outbox(plain);
CREATE INDEX IF NOT EXISTS inbox_sealed ON inbox(sealed);
"""
#: has a receipt, in SQL (either column)
_HAS_RECEIPT = "(a.receipt IS NOT NULL OR a.receipt_key IS NOT NULL)"


def _add_evidence_columns(c: sqlite3.Connection) -> None:
    have = {row[1] for row in c.execute("PRAGMA table_info(archive)")}
    for column, decl in _EVIDENCE_COLUMNS:
        if column in have:
            continue
        try:
            c.execute(f"ALTER TABLE archive ADD COLUMN {column} {decl}")
        except sqlite3.OperationalError as exc:   # another process added it a moment ago
            if "duplicate column" not in str(exc):
                raise
    c.executescript(_EVIDENCE_INDEXES)


Record = dict


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _load(text: Optional[str]) -> Record:
    try:
        rec = json.loads(text or "{}")
    except ValueError:        # a damaged record: report it as an entry with no facts, never crash
        return {"damaged": True}
    return rec if isinstance(rec, dict) else {"damaged": True}


def _dump(rec: Record) -> str:
    return json.dumps(rec, ensure_ascii=False, sort_keys=True)


def name_facts(name: str) -> Tuple[str, str]:
    """(file kind prefix or "MSG", plan month or "") from an item's name; ("", "") when unreadable."""
    if name.upper().startswith("MSG_"):
        return "MSG", ""
    from tui_client.core.spec.filenames import parse_filename

    parsed, _ = parse_filename(name)
    if parsed is None:
        return name.split("_", 1)[0].upper() if "_" in name else "", ""
    return parsed.kind.prefix, parsed.month or ""


class ClientDB:
    """The store of one office. Methods are small transactions; ``transaction()`` groups several."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn: Optional[sqlite3.Connection] = None
        with self._lock:
            c = self._connect()
            with self.transaction():
                c.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),))

    def _connect(self) -> sqlite3.Connection:
        """The connection, opened again after ``close`` (an office closed and used again reopens)."""
        if self._conn is not None:
            return self._conn
        c = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                            check_same_thread=False)
        try:
            c.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            c.execute("PRAGMA journal_mode = WAL")
            c.execute("PRAGMA synchronous = FULL")
            c.execute("PRAGMA foreign_keys = ON")
            # One script (executescript commits as it goes; every statement is IF NOT EXISTS, so two
            # processes opening a new office at once both end with the same schema).
            c.executescript(_SCHEMA)
            _add_evidence_columns(c)
        except BaseException:
            c.close()
            raise
        self._conn = c
        return c

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # -- transactions
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write (nested calls join the outer one). ``BEGIN IMMEDIATE`` takes the write
        lock at once, so two processes wait for each other instead of failing half-way."""
        with self._lock:
            conn = self._connect()
            if self._depth:
                self._depth += 1
                try:
                    yield conn
                finally:
                    self._depth -= 1
                return
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield conn
            except BaseException:
                self._depth = 0
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                conn.execute("COMMIT")
            except BaseException:     # e.g. SQLITE_FULL at commit: nothing of it counts
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that see one state of the store (no write of this process or another
        between them): a deferred read transaction, under the lock."""
        with self._lock:
            conn = self._connect()
            if self._depth:
                yield
                return
            conn.execute("BEGIN")
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def _read(self, sql: str, args: Sequence = ()) -> List[tuple]:
        with self._lock:
            return self._connect().execute(sql, tuple(args)).fetchall()

    # -- blobs
    def _put_blob(self, c, data: Optional[bytes], key: Optional[str] = None) -> Optional[str]:
        """Store a payload under its SHA-256 (``key`` when the caller computed it from these bytes)."""
        if data is None:
            return None
        key = key or sha256(data)
        c.execute("INSERT OR IGNORE INTO blobs(sha256, data) VALUES (?, ?)", (key, sqlite3.Binary(data)))
        return key

    def _release(self, c, keys) -> None:
        """Delete blobs nothing refers to any more (in the caller's transaction)."""
        for key in {k for k in keys if k}:
            c.execute(
                "DELETE FROM blobs WHERE sha256 = ?1"
                " AND NOT EXISTS (SELECT 1 FROM outbox WHERE sealed = ?1 OR plain = ?1)"
                " AND NOT EXISTS (SELECT 1 FROM inbox WHERE sealed = ?1)"
                " AND NOT EXISTS (SELECT 1 FROM archive WHERE content = ?1)"
                " AND NOT EXISTS (SELECT 1 FROM draft_blobs WHERE sha256 = ?1)"
                " AND NOT EXISTS (SELECT 1 FROM archive WHERE envelope = ?1)"
                " AND NOT EXISTS (SELECT 1 FROM archive WHERE receipt_key = ?1)", (key,))

    def blob(self, key: Optional[str]) -> Optional[bytes]:
        if not key:
            return None
        rows = self._read("SELECT data FROM blobs WHERE sha256 = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    # -- outbox and error shelf
    def outbox_put(self, name: str, record: Record, sealed: bytes, plain: Optional[bytes] = None,
                   state: str = "waiting", *, sealed_sha256: Optional[str] = None,
                   plain_sha256: Optional[str] = None) -> bool:
        """Queue an item; False (and nothing changed) when the name is already in the outbox.
        ``sealed_sha256`` / ``plain_sha256``: the digests of these very bytes, when the caller has
        them (a send hashes each payload once)."""
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM outbox WHERE name = ?", (name,)).fetchone():
                return False
            s, p = self._put_blob(c, sealed, sealed_sha256), self._put_blob(c, plain, plain_sha256)
            c.execute("INSERT INTO outbox(name, state, sealed, plain, content_sha256, record)"
                      " VALUES (?, ?, ?, ?, ?, ?)",
                      (name, state, s, p, str(record.get("content_sha256") or ""), _dump(record)))
            return True

    def outbox_record(self, name: str) -> Optional[Record]:
        rows = self._read("SELECT seq, state, record FROM outbox WHERE name = ?", (name,))
        if not rows:
            return None
        return dict(_load(rows[0][2]), seq=rows[0][0], shelf=rows[0][1])

    def outbox_entry(self, name: str) -> Optional[Tuple[Record, bytes, Optional[bytes]]]:
        """(record, sealed, plain) of an outbox item."""
        rows = self._read("SELECT o.seq, o.state, o.record, s.data, p.data FROM outbox o"
                          " JOIN blobs s ON s.sha256 = o.sealed LEFT JOIN blobs p ON p.sha256 = o.plain"
                          " WHERE o.name = ?", (name,))
        if not rows:
            return None
        seq, state, rec, sealed, plain = rows[0]
        return dict(_load(rec), seq=seq, shelf=state), bytes(sealed), None if plain is None else bytes(plain)

    def outbox_update(self, name: str, record: Record, state: Optional[str] = None) -> None:
        rec = {k: v for k, v in record.items() if k not in ("seq", "shelf")}
        with self.transaction() as c:
            if state is None:
                c.execute("UPDATE outbox SET record = ? WHERE name = ?", (_dump(rec), name))
            else:
                c.execute("UPDATE outbox SET record = ?, state = ? WHERE name = ?", (_dump(rec), state, name))

    def outbox_list(self, state: Optional[str] = "waiting", *, offset: int = 0,
                    limit: int = -1) -> List[Tuple[str, Record]]:
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        rows = self._read(f"SELECT name, seq, state, record FROM outbox {where} ORDER BY seq LIMIT ? OFFSET ?",
                          args + [limit, offset])
        return [(n, dict(_load(r), seq=s, shelf=st)) for n, s, st, r in rows]

    def outbox_count(self, state: Optional[str] = "waiting") -> int:
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        return self._read(f"SELECT count(*) FROM outbox {where}", args)[0][0]

    def outbox_names(self, state: Optional[str] = None) -> List[str]:
        """The names in the outbox, oldest first (no records read)."""
        where, args = ("WHERE state = ?", [state]) if state else ("", [])
        return [r[0] for r in self._read(f"SELECT name FROM outbox {where} ORDER BY seq", args)]

    def outbox_present(self, names: Sequence[str], state: Optional[str] = None) -> set:
        """Which of these names are in the outbox (in ``state``, if given): looked up by name (the
        UNIQUE index), not by listing the outbox."""
        found: set = set()
        names = list(dict.fromkeys(names))
        for i in range(0, len(names), 500):          # within SQLite's host-parameter limit
            part = names[i:i + 500]
            where = " AND state = ?" if state else ""
            found.update(r[0] for r in self._read(
                f"SELECT name FROM outbox WHERE name IN ({','.join('?' * len(part))}){where}",
                part + ([state] if state else [])))
        return found

    def outbox_remove(self, names: Sequence[str]) -> int:
        with self.transaction() as c:
            gone = 0
            for name in names:
                row = c.execute("SELECT sealed, plain FROM outbox WHERE name = ?", (name,)).fetchone()
                if row:
                    c.execute("DELETE FROM outbox WHERE name = ?", (name,))
                    self._release(c, row)
                    gone += 1
            return gone

    def confirm_sent(self, confirmed: Sequence[Tuple[str, Record]]) -> None:
        """Record relay-confirmed items in the sent archive and take them out of the outbox, in one
        transaction: never in neither place, never in both."""
        with self.transaction() as c:
            for name, rec in confirmed:
                row = c.execute("SELECT sealed, plain FROM outbox WHERE name = ?", (name,)).fetchone()
                if row is None:
                    continue
                self._archive_upsert(c, "sent", name, rec, content_key=row[1], envelope_key=row[0])
                c.execute("DELETE FROM outbox WHERE name = ?", (name,))
                self._release(c, [row[0]])

    # -- inbox
    def inbox_put(self, key: str, record: Record, sealed: bytes) -> bool:
        with self.transaction() as c:
            if c.execute("SELECT 1 FROM inbox WHERE id = ?", (key,)).fetchone():
                return False
            c.execute("INSERT INTO inbox(id, state, sealed, record) VALUES (?, 'downloaded', ?, ?)",
                      (key, self._put_blob(c, sealed), _dump(record)))
            return True

    def inbox_list(self) -> List[Tuple[str, Record, Optional[bytes]]]:
        """(id, record with ``state``, receipt or None), in order of download."""
        rows = self._read("SELECT id, seq, state, record, receipt FROM inbox ORDER BY seq")
        return [(k, dict(_load(r), seq=s, state=st), None if rc is None else bytes(rc))
                for k, s, st, r, rc in rows]

    def inbox_keys(self) -> List[str]:
        return [r[0] for r in self._read("SELECT id FROM inbox ORDER BY seq")]

    def inbox_payload(self, key: str) -> Optional[bytes]:
        rows = self._read("SELECT b.data FROM inbox i JOIN blobs b ON b.sha256 = i.sealed WHERE i.id = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def inbox_record(self, key: str) -> Optional[Record]:
        rows = self._read("SELECT record FROM inbox WHERE id = ?", (key,))
        return _load(rows[0][0]) if rows else None

    def inbox_update(self, key: str, record: Record) -> None:
        rec = {k: v for k, v in record.items() if k not in ("seq", "state")}
        with self.transaction() as c:
            c.execute("UPDATE inbox SET record = ? WHERE id = ?", (_dump(rec), key))

    def store_received(self, items: Sequence[Tuple[str, str, Record, bytes, bytes, str]]) -> None:
        """Archive received items and note their receipts in the inbox, in one transaction:
        (inbox id, name, archive record, content, receipt, users). The sealed envelope moves from the
        inbox to the archive record (evidence), and the receipt we sign is kept there too."""
        with self.transaction() as c:
            for key, name, rec, content, receipt, users in items:
                ckey = self._put_blob(c, content)
                old = c.execute("SELECT sealed FROM inbox WHERE id = ?", (key,)).fetchone()
                self._archive_upsert(c, "received", name, rec, content_key=ckey, users=users,
                                     state="new", keep_state=True, receipt=receipt,
                                     envelope_key=old[0] if old else None)
                c.execute("UPDATE inbox SET state = 'stored', receipt = ?, sealed = NULL WHERE id = ?",
                          (sqlite3.Binary(receipt), key))
                if old:
                    self._release(c, [old[0]])

    def inbox_remove(self, keys: Sequence[str]) -> None:
        with self.transaction() as c:
            for key in keys:
                row = c.execute("SELECT sealed FROM inbox WHERE id = ?", (key,)).fetchone()
                if row:
                    c.execute("DELETE FROM inbox WHERE id = ?", (key,))
                    self._release(c, [row[0]])

    # -- archive
    def _archive_upsert(self, c, direction: str, name: str, rec: Record, *, content_key: Optional[str],
                        receipt: Optional[bytes] = None, users: str = "", state: Optional[str] = None,
                        keep_state: bool = False, partner_name: str = "",
                        envelope_key: Optional[str] = None) -> int:
        rec = {k: v for k, v in rec.items() if k not in ("seq", "shelf", "receipt")}
        users = users or str(rec.get("users") or "")
        receipt_key = self._put_blob(c, None if receipt is None else bytes(receipt))
        file_kind, month = name_facts(name)
        partner = str(rec.get("recipient" if direction == "sent" else "sender") or "")
        st = state if state is not None else str(rec.get("state") or "")
        when = str(rec.get("sent_at" if direction == "sent" else "received_at") or rec.get("queued_at") or "")
        old = c.execute("SELECT seq, content, state, receipt_key, envelope FROM archive"
                        " WHERE direction = ? AND name = ?", (direction, name)).fetchone()
        args = (str(rec.get("kind") or ""), file_kind, month, partner, when,
                str(rec.get("content_sha256") or ""), content_key, users, _dump(rec))
        if old is None:
            cur = c.execute("INSERT INTO archive(kind, file_kind, month, partner, time, content_sha256, content,"
                            " users, record, direction, name, state, receipt_key, envelope)"
                            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            args + (direction, name, st, receipt_key, envelope_key))
            seq = cur.lastrowid
        else:
            seq = old[0]
            # A received item stored again (an earlier run's ack was lost) keeps its 確認済み/保存済み.
            new_state = old[2] if keep_state and old[2] else st
            c.execute("UPDATE archive SET kind=?, file_kind=?, month=?, partner=?, time=?, content_sha256=?,"
                      " content=?, users=?, record=?, state=?, receipt_key=?, envelope=? WHERE seq=?",
                      args + (new_state, receipt_key or old[3], envelope_key or old[4], seq))
            # the content is replaced; a receipt or an envelope only when a new one comes
            gone = [old[1]] if old[1] != content_key else []
            gone += [k for k, new in ((old[3], receipt_key), (old[4], envelope_key)) if new and k != new]
            self._release(c, gone)
        c.execute("DELETE FROM archive_fts WHERE rowid = ?", (seq,))
        c.execute("INSERT INTO archive_fts(rowid, name, subject, partner_name, users) VALUES (?,?,?,?,?)",
                  (seq, name, str(rec.get("subject") or ""), partner_name or str(rec.get("partner_name") or ""),
                   users))
        return seq

    def archive_put(self, direction: str, name: str, record: Record, content: Optional[bytes], *,
                    receipt: Optional[bytes] = None, users: str = "", state: Optional[str] = None) -> int:
        with self.transaction() as c:
            return self._archive_upsert(c, direction, name, record, content_key=self._put_blob(c, content),
                                        receipt=receipt, users=users, state=state)

    def archive_update(self, direction: str, name: str, record: Optional[Record] = None, *,
                       state: Optional[str] = None, receipt: Optional[bytes] = None) -> None:
        """Change an archive record's facts, state or receipt, keeping its content and place."""
        with self.transaction() as c:
            sets, args = [], []
            if record is not None:
                rec = {k: v for k, v in record.items() if k not in ("seq", "shelf", "receipt")}
                sets.append("record = ?")
                args.append(_dump(rec))
                if state is None and direction == "sent" and "state" in rec:
                    state = str(rec["state"] or "")
            if state is not None:
                sets.append("state = ?")
                args.append(state)
            replaced = []
            if receipt is not None:
                sets.append("receipt_key = ?")
                args.append(self._put_blob(c, bytes(receipt)))
                replaced = [r[0] for r in c.execute("SELECT receipt_key FROM archive WHERE direction = ?"
                                                    " AND name = ?", (direction, name))]
            if sets:
                c.execute(f"UPDATE archive SET {', '.join(sets)} WHERE direction = ? AND name = ?",
                          args + [direction, name])
                self._release(c, replaced)     # an earlier receipt nothing refers to any more

    def archive_record(self, direction: str, name: str) -> Optional[Record]:
        rows = self._read("SELECT seq, state, record FROM archive WHERE direction = ? AND name = ?",
                          (direction, name))
        if not rows:
            return None
        return dict(_load(rows[0][2]), seq=rows[0][0], archive_state=rows[0][1])

    def archive_records(self, direction: str, names: Sequence[str]) -> Dict[str, Record]:
        """``archive_record`` of several names at once (those not archived are left out)."""
        found: Dict[str, Record] = {}
        names = list(dict.fromkeys(names))
        for i in range(0, len(names), 500):       # well under SQLite's limit of bound parameters
            part = names[i:i + 500]
            for n, seq, st, rec in self._read(
                    f"SELECT name, seq, state, record FROM archive WHERE direction = ?"
                    f" AND name IN ({','.join('?' * len(part))})", [direction, *part]):
                found[n] = dict(_load(rec), seq=seq, archive_state=st)
        return found

    def archive_content(self, direction: str, name: str) -> Optional[bytes]:
        rows = self._read("SELECT b.data FROM archive a JOIN blobs b ON b.sha256 = a.content"
                          " WHERE a.direction = ? AND a.name = ?", (direction, name))
        return bytes(rows[0][0]) if rows else None

    def archive_receipt(self, direction: str, name: str) -> Optional[bytes]:
        rows = self._read("SELECT coalesce(b.data, a.receipt) FROM archive a LEFT JOIN blobs b"
                          " ON b.sha256 = a.receipt_key WHERE a.direction = ? AND a.name = ?", (direction, name))
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None

    def archive_list(self, direction: str) -> List[Tuple[str, Record]]:
        rows = self._read(f"SELECT a.name, a.seq, a.state, a.record, {_HAS_RECEIPT} FROM archive a"
                          " WHERE a.direction = ? ORDER BY a.seq", (direction,))
        return [(n, dict(_load(r), seq=s, archive_state=st, has_receipt=bool(hr))) for n, s, st, r, hr in rows]

    def archive_names(self, direction: str, partner: str, month: str, kind: str) -> List[Tuple[str, int]]:
        """(name, seq) of every archived file of one partner, month and kind, by ``seq``: the
        versions of a file, without reading records (a busy partner's month is hundreds of rows)."""
        return [(n, s) for n, s in self._read(
            "SELECT name, seq FROM archive WHERE direction = ? AND partner = ? AND month = ? AND file_kind = ?"
            " ORDER BY seq", (direction, partner, month, kind))]

    def archive_count(self, direction: Optional[str] = None) -> int:
        if direction is None:
            return self._read("SELECT count(*) FROM archive")[0][0]
        return self._read("SELECT count(*) FROM archive WHERE direction = ?", (direction,))[0][0]

    def sent_with_content(self, name: str, content_sha256: str) -> Optional[Record]:
        """The sent record of this exact file (same name, same plain content), if any."""
        rows = self._read("SELECT seq, state, record FROM archive WHERE direction = 'sent' AND name = ?"
                          " AND content_sha256 = ?", (name, content_sha256))
        return dict(_load(rows[0][2]), seq=rows[0][0], archive_state=rows[0][1]) if rows else None

    def archive_search(self, *, direction: str = "", partner: str = "", month: str = "", kind: str = "",
                       state: str = "", text: str = "", user: str = "", offset: int = 0,
                       limit: int = 50, relay_id: str = "", partner_name: str = "",
                       states: Sequence[str] = (), exclude_states: Sequence[str] = (),
                       before: str = "", partner_in: Sequence[str] = ()) -> Tuple[List[Tuple[str, str, Record, bool]], int]:
        """One page of the archive, newest last by ``seq``: ([(direction, name, record, has_receipt)],
        total matching); each record also says ``has_envelope``. ``text``, ``user`` and
        ``partner_name`` search the FTS index (three characters or more use the trigram index;
        shorter ones, e.g. a two-character surname, fall back to a substring scan of the index's own
        columns). ``states`` / ``exclude_states``: the state is / is not one of these; ``before``: the
        exchange time (``YYYY-MM-DDTHH:MM:SSZ``) is earlier than this (rows with no time never match).
        ``partner_in``: with ``partner_name``, partners whose name the directory gives also match."""
        where, args = [], []
        for col, val in (("a.direction", direction), ("a.partner", partner), ("a.month", month),
                         ("a.file_kind", kind), ("a.state", state)):
            if val:
                where.append(f"{col} = ?")
                args.append(val)
        for values, op in ((states, "IN"), (exclude_states, "NOT IN")):
            if values:
                where.append(f"a.state {op} ({','.join('?' * len(values))})")
                args += list(values)
        if before:
            where.append("a.time != '' AND a.time < ?")
            args.append(before)
        if relay_id:
            where.append("json_extract(a.record, '$.id') = ?")
            args.append(relay_id)
        for value, cols, also in ((text, ("name", "subject", "partner_name", "users"), ()),
                                  (user, ("users",), ()), (partner_name, ("partner_name",), partner_in)):
            value = value.strip()
            if not value:
                continue
            if len(value) >= 3:
                col = "archive_fts" if len(cols) > 1 else cols[0]
                cond = f"a.seq IN (SELECT rowid FROM archive_fts WHERE {col} MATCH ?)"
                args.append('"' + value.replace('"', '""') + '"')
            else:
                like = "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                ors = " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols)
                cond = f"a.seq IN (SELECT rowid FROM archive_fts WHERE {ors})"
                args += [like] * len(cols)
            if also:
                cond = f"({cond} OR a.partner IN ({','.join('?' * len(also))}))"
                args += list(also)
            where.append(cond)
        cond = ("WHERE " + " AND ".join(where)) if where else ""
        total = self._read(f"SELECT count(*) FROM archive a {cond}", args)[0][0]
        rows = self._read(f"SELECT a.direction, a.name, a.seq, a.state, a.record, {_HAS_RECEIPT},"
                          f" a.users, a.envelope IS NOT NULL FROM archive a {cond}"
                          f" ORDER BY a.seq LIMIT ? OFFSET ?",
                          args + [limit if limit >= 0 else -1, max(0, offset)])
        return [(d, n, dict(_load(r), seq=s, archive_state=st, users=u, has_envelope=bool(he)), bool(hr))
                for d, n, s, st, r, hr, u, he in rows], total

    # -- evidence, retention, import (the 保管庫)
    def archive_evidence(self, seq: int) -> Optional[Dict[str, object]]:
        """One archived exchange with its evidence: direction, name, state, record, and the bytes of
        its plain content, sealed envelope and signed receipt (None where not kept)."""
        rows = self._read("SELECT a.direction, a.name, a.state, a.record, c.data, e.data,"
                          " coalesce(r.data, a.receipt) FROM archive a"
                          " LEFT JOIN blobs c ON c.sha256 = a.content LEFT JOIN blobs e ON e.sha256 = a.envelope"
                          " LEFT JOIN blobs r ON r.sha256 = a.receipt_key WHERE a.seq = ?", (int(seq),))
        if not rows:
            return None
        d, n, st, rec, content, envelope, receipt = rows[0]
        as_bytes = (lambda v: None if v is None else bytes(v))
        return {"direction": d, "name": n, "state": st, "record": dict(_load(rec), seq=int(seq)),
                "content": as_bytes(content), "envelope": as_bytes(envelope), "receipt": as_bytes(receipt)}

    def archive_groups(self, seqs: Sequence[int]) -> List[Tuple[str, str, int]]:
        """(month, partner, count) of these archive rows, by month then partner."""
        if not seqs:
            return []
        marks = ",".join("?" * len(seqs))
        return [tuple(r) for r in self._read(
            f"SELECT month, partner, count(*) FROM archive WHERE seq IN ({marks})"
            " GROUP BY month, partner ORDER BY month, partner", [int(s) for s in seqs])]

    def archive_delete(self, seqs: Sequence[int]) -> int:
        """Delete archive rows and their index entries, then the blobs nothing refers to any more,
        in one transaction."""
        with self.transaction() as c:
            gone = 0
            for seq in seqs:
                row = c.execute("SELECT content, envelope, receipt_key FROM archive WHERE seq = ?",
                                (int(seq),)).fetchone()
                if row is None:
                    continue
                c.execute("DELETE FROM archive WHERE seq = ?", (int(seq),))
                c.execute("DELETE FROM archive_fts WHERE rowid = ?", (int(seq),))
                self._release(c, row)
                gone += 1
            return gone

    def received_with_content(self, content_sha256: str) -> Optional[str]:
        """The name of a received record with this plain content, if any (an import done before)."""
        rows = self._read("SELECT name FROM archive WHERE direction = 'received' AND content_sha256 = ?"
                          " ORDER BY seq LIMIT 1", (content_sha256,))
        return rows[0][0] if rows else None

    def partners(self) -> List[str]:
        """Every office this office exchanged something with, in order of first exchange."""
        return [r[0] for r in self._read("SELECT partner FROM archive WHERE partner != ''"
                                         " GROUP BY partner ORDER BY min(seq)")]

    # -- drafts
    _DRAFT_COLS = "id, seq, recipient, recipient_service, subject, text, template, updated_seq, updated_at"

    def draft_put(self, draft_id: str, fields: Record,
                  parts: Sequence[Tuple[str, str, Optional[bytes], str]]) -> Tuple[str, int, int]:
        """Create or replace a draft: ``fields`` (recipient, recipient_service, subject, text,
        template, updated_at) and its ``parts`` in order, (role, name, data, sha256): data None keeps a blob the
        draft already holds by its digest. Returns (id, seq, updated_seq); ``updated_seq`` comes from
        one counter of this store (``meta.draft_seq``), so "newer" never depends on a clock."""
        cols = ("recipient", "recipient_service", "subject", "text", "template", "updated_at")
        with self.transaction() as c:
            row = c.execute("SELECT value FROM meta WHERE key = 'draft_seq'").fetchone()
            updated = int(row[0]) + 1 if row else 1
            c.execute("INSERT INTO meta(key, value) VALUES ('draft_seq', ?)"
                      " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(updated),))
            old = c.execute("SELECT seq FROM drafts WHERE id = ?", (draft_id,)).fetchone()
            values = [str(fields.get(k) or "") for k in cols]
            if old is None:
                seq = updated
                c.execute(f"INSERT INTO drafts({', '.join(cols)}, id, seq, updated_seq) VALUES (?,?,?,?,?,?,?,?,?)",
                          values + [draft_id, seq, updated])
            else:
                seq = old[0]
                c.execute(f"UPDATE drafts SET {', '.join(k + ' = ?' for k in cols)}, updated_seq = ? WHERE id = ?",
                          values + [updated, draft_id])
            before = [r[0] for r in c.execute("SELECT sha256 FROM draft_blobs WHERE draft = ?", (draft_id,))]
            c.execute("DELETE FROM draft_blobs WHERE draft = ?", (draft_id,))
            for position, (role, name, data, digest) in enumerate(parts):
                key = self._put_blob(c, data) if data is not None else digest
                size = len(data) if data is not None else c.execute(
                    "SELECT length(data) FROM blobs WHERE sha256 = ?", (key,)).fetchone()[0]
                c.execute("INSERT INTO draft_blobs(draft, position, role, name, sha256, size) VALUES (?,?,?,?,?,?)",
                          (draft_id, position, role, name, key, size))
            self._release(c, before)
            return draft_id, seq, updated

    def draft_get(self, draft_id: str, *, contents: bool = True) -> Optional[Tuple[Record, List[tuple]]]:
        """(fields, [(role, name, sha256, size, data or None)]) of one draft, or None."""
        rows = self._read(f"SELECT {self._DRAFT_COLS} FROM drafts WHERE id = ?", (draft_id,))
        if not rows:
            return None
        return self._draft_fields(rows[0]), self._draft_parts(draft_id, contents)

    def _draft_fields(self, row) -> Record:
        return dict(zip(self._DRAFT_COLS.split(", "), row))

    def _draft_parts(self, draft_id: str, contents: bool) -> List[tuple]:
        data = "b.data" if contents else "NULL"
        rows = self._read(f"SELECT d.role, d.name, d.sha256, d.size, {data} FROM draft_blobs d"
                          " JOIN blobs b ON b.sha256 = d.sha256 WHERE d.draft = ? ORDER BY d.position", (draft_id,))
        return [(r, n, k, z, None if v is None else bytes(v)) for r, n, k, z, v in rows]

    def draft_list(self, *, offset: int = 0, limit: int = 50) -> Tuple[List[Tuple[Record, List[tuple]]], int]:
        """One page of drafts, the most recently changed first (by ``updated_seq``), without contents."""
        total = self._read("SELECT count(*) FROM drafts")[0][0]
        rows = self._read(f"SELECT {self._DRAFT_COLS} FROM drafts ORDER BY updated_seq DESC LIMIT ? OFFSET ?",
                          (limit if limit >= 0 else -1, max(0, offset)))
        return [(self._draft_fields(r), self._draft_parts(r[0], False)) for r in rows], total

    def draft_delete(self, draft_id: str) -> bool:
        with self.transaction() as c:
            keys = [r[0] for r in c.execute("SELECT sha256 FROM draft_blobs WHERE draft = ?", (draft_id,))]
            gone = c.execute("DELETE FROM drafts WHERE id = ?", (draft_id,)).rowcount
            c.execute("DELETE FROM draft_blobs WHERE draft = ?", (draft_id,))
            self._release(c, keys)
            return bool(gone)

    # -- settings-like facts
    def meta(self, key: str) -> Optional[str]:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                      (key, value, value))


class Batch:
    """Writes made durable together, in one transaction when ``commit`` runs (a chunk of a send:
    one flush instead of one per item). Nothing is written before ``commit``."""

    def __init__(self, db: ClientDB):
        self.db = db
        self._ops: List[Callable[[], None]] = []

    def add(self, op: Callable[[], None]) -> None:
        self._ops.append(op)

    def commit(self) -> None:
        ops, self._ops = self._ops, []
        if not ops:
            return
        with self.db.transaction():
            for op in ops:
                op()

    def abandon(self) -> None:
        self._ops.clear()


def open_db(path: Path, legacy_root: Optional[Path] = None) -> ClientDB:
    """Open (creating) an office's database; the first time, import an old spool found under
    ``legacy_root`` (see transport.legacy)."""
    db = ClientDB(path)
    if legacy_root is not None:
        from tui_client.transport import legacy

        legacy.migrate(db, legacy_root)
    return db


def counts(db: ClientDB) -> Dict[str, int]:
    return {"waiting": db.outbox_count("waiting"), "error": db.outbox_count("error"),
            "inbox": len(db.inbox_keys()), "sent": db.archive_count("sent"),
            "received": db.archive_count("received")}
