"""The reader of the old on-disk spool, kept only to migrate it into the office database.

The old format (transport/store.py before the SQLite store): a folder per shelf (``outbox/``,
``errors/``, ``inbox/``, ``archive/sent``, ``archive/received``) holding

- ``<key>.entry``: a JSON record on the first line, the payload after the first newline;
- ``<time>-<pid>-<n>.pack``: ``TSUNAGI-PACK 1\\n``, then per entry a header line
  ``{"key", "size", "record"}`` and ``size`` bytes of payload.

An ``.entry`` beat a packed copy of the same key, a newer pack an older one. Outbox payloads are the
sealed item followed by its plaintext (the record's ``size`` says where the sealed part ends).

``migrate`` imports every entry in one transaction, then renames each old folder to
``<folder>.migrated`` (nothing is deleted). Importing twice (a crash between the commit and the
renames) changes nothing: names already in the database are kept as they are.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path
from typing import Dict, List, Tuple

_PACK_MAGIC = b"TSUNAGI-PACK 1\n"

#: (folder under the office root, what it holds), in the order they are imported.
SHELVES = (("outbox", "outbox"), ("errors", "errors"), ("inbox", "inbox"),
           ("archive/sent", "sent"), ("archive/received", "received"))


def _record(head: bytes) -> dict:
    try:
        rec = json.loads(head.decode("utf-8"))
    except ValueError:
        return {"damaged": True}
    return rec if isinstance(rec, dict) else {"damaged": True}


def _pack_entries(data: bytes) -> List[Tuple[str, dict, bytes]]:
    """The entries of a pack, up to any damage (packs were written whole, so only a failing disk cut one)."""
    if not data.startswith(_PACK_MAGIC):
        return []
    out, pos = [], len(_PACK_MAGIC)
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            break
        try:
            head = json.loads(data[pos:end].decode("utf-8"))
            key, size, record = str(head["key"]), int(head["size"]), head["record"]
        except (ValueError, KeyError, TypeError):
            break
        start = end + 1
        if size < 0 or start + size > len(data) or not isinstance(record, dict):
            break
        out.append((key, record, data[start:start + size]))
        pos = start + size
    return out


def read_shelf(folder: Path) -> List[Tuple[str, dict, bytes]]:
    """(key, record, payload) of the copy that counts of every entry, in the old listing's order."""
    best: Dict[str, Tuple[Tuple[int, int, str], dict, bytes]] = {}
    try:
        names = sorted(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return []
    packs = []
    for name in names:
        if name.endswith(".pack"):
            head = name.split("-", 1)[0]
            try:
                stamp = int(head) if head.isdigit() else (folder / name).stat().st_mtime_ns
            except OSError:
                continue
            packs.append((stamp, name))
    for stamp, name in sorted(packs):
        try:
            data = (folder / name).read_bytes()
        except OSError:
            continue
        for i, (key, record, payload) in enumerate(_pack_entries(data)):
            best[key] = ((stamp, i, key), record, payload)
    for name in names:
        if name.endswith(".entry") and not name.startswith("."):
            path = folder / name
            try:
                data, stamp = path.read_bytes(), path.stat().st_mtime_ns
            except OSError:
                continue
            head, _, payload = data.partition(b"\n")
            key = name[:-len(".entry")]
            best[key] = ((stamp, 0, key), _record(head), payload)
    return [(key, rec, payload) for (_, _, key), rec, payload in sorted(best.values(), key=lambda x: x[0])]


def _receipt(rec: dict):
    raw = rec.get("receipt")
    if not isinstance(raw, str):
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error):
        return None


def present(root: Path) -> bool:
    return any((Path(root) / folder).is_dir() for folder, _ in SHELVES)


def migrate(db, root: Path) -> Dict[str, int]:
    """Import an old spool under ``root`` into ``db`` (a ClientDB); returns counts per shelf."""
    root = Path(root)
    if not present(root):
        return {}

    counts: Dict[str, int] = {}
    with db.transaction():
        for folder, what in SHELVES:
            entries = read_shelf(root / folder)
            counts[what] = len(entries)
            for key, rec, payload in entries:
                if what in ("outbox", "errors"):
                    size = rec.get("size")
                    cut = size if isinstance(size, int) and 0 <= size <= len(payload) else len(payload)
                    db.outbox_put(key, rec, payload[:cut], payload[cut:],
                                  state="waiting" if what == "outbox" else "error")
                elif what == "inbox":
                    _import_inbox(db, key, rec, payload)
                elif what == "sent":
                    if db.archive_record("sent", key) is None:
                        db.archive_put("sent", key, rec, payload, receipt=_receipt(rec))
                else:
                    if db.archive_record("received", key) is None:
                        from tui_client.core.people import users_text

                        db.archive_put("received", key, rec, payload, receipt=_receipt(rec),
                                       state="saved" if rec.get("exported") else "new",
                                       users=users_text(key, payload))
    for folder, _ in SHELVES:
        top = folder.split("/", 1)[0]
        src = root / top
        if src.is_dir():
            dst = root / (top + ".migrated")
            n = 2
            while dst.exists():
                dst = root / f"{top}.migrated{n}"
                n += 1
            os.replace(src, dst)
    return counts


def _import_inbox(db, key: str, rec: dict, payload: bytes) -> None:
    if db.inbox_record(key) is not None:
        return
    receipt = _receipt(rec)
    clean = {k: v for k, v in rec.items() if k not in ("receipt", "state")}
    db.inbox_put(key, clean, payload)
    if rec.get("state") == "stored" and receipt is not None:
        with db.transaction() as c:
            old = c.execute("SELECT sealed FROM inbox WHERE id = ?", (key,)).fetchone()
            c.execute("UPDATE inbox SET state = 'stored', receipt = ?, sealed = NULL WHERE id = ?",
                      (receipt, key))
            if old:
                db._release(c, [old[0]])
