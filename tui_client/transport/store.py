"""Atomic file writes: settings, the directory cache, keystores and exported files.

A file written here is replaced so that a crash leaves the old file or the new one, whole (temporary
file, flush, rename, flush of the folder). The client's spool (outbox, error shelf, inbox, archive)
is no longer files: it is the office database, ``transport/clientdb.py``; the old spool format is
read only to migrate it (``transport/legacy.py``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - Windows cannot open a directory; NTFS renames are journaled
        return
    fd = os.open(str(path), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tmp_name(folder: Path, name: str) -> Path:
    return folder / f".tmp-{os.getpid()}-{time.monotonic_ns()}-{name}"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _create(path: Path, mode: int = 0o600) -> int:
    """A new file (never an existing one), open for writing bytes."""
    return os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600, sync_folder: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old file or the new one, whole.
    ``sync_folder=False`` when the caller flushes the folder itself."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _tmp_name(path.parent, path.name)
    fd = _create(tmp, mode)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    if sync_folder:
        fsync_dir(path.parent)
