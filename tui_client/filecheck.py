"""Checking files on disk: the edge between the pure validator and the user's folders.

Reads the files and folders a user named, hands bytes to ``core.validate``, and turns what cannot be
read (a missing file, a folder with no CSV) into findings, so every face (CLI, UI, batch) reports
problems the same way. Nothing here prints; nothing here writes.

:func:`read_user_file` is the one way any command reads a file a user named (a CSV to check or send,
a keystore, a certificate, a sealed file, a receipt): only a regular file, opened so that a FIFO or a
device never blocks, never more than a stated limit read, every failure a finding (``E-FILE-…``,
exit code 3). ``/dev/zero``, a named pipe called ``x.CSV`` or a 6 GB file cannot hang or exhaust
the client.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from tui_client.core import wire
from tui_client.core.findings import Finding, make, worst_exit_code

if TYPE_CHECKING:  # the validator is imported where files are checked: `tsunagi open`, which reads a
    # file through here, never pays its import (~30 ms, a fifth of the command's own time)
    from tui_client.core.validate import FileReport

PathLike = Union[str, "os.PathLike[str]"]

#: File endings a folder is searched for (the standard's files are .CSV, family images .jpg).
_ENDINGS = (".csv", ".jpg")

#: The largest file the relay accepts (a care-plan CSV, a sealed file, the content a receipt is for):
#: anything bigger could never be sent, so it is refused before it is read (E-FILE-007).
CONTENT_LIMIT = wire.DEFAULT_MAX_ITEM_BYTES
#: Keystores, certificates, CRLs and receipts are kilobytes; a national CA's CRL a few megabytes.
SMALL_FILE_LIMIT = 16 * 1024 * 1024

_READ_BLOCK = 1 << 20


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n < 1024 ** 3 else f"{n / 1024 ** 3:.1f} GB"


def read_user_file(path: PathLike, limit: int = CONTENT_LIMIT, *, name: Optional[str] = None
                   ) -> Tuple[Optional[bytes], List[Finding]]:
    """The bytes of the regular file at ``path``, or (None, findings) saying why not.

    E-FILE-004 cannot open (missing, no permission, a folder, a name too long …), E-FILE-006 not a
    regular file (a named pipe, a device, a socket), E-FILE-007 bigger than ``limit`` when ``limit`` is
    the relay's (it could never be sent), E-FILE-008 bigger than a smaller ``limit``. ``name`` is
    what findings call the file (default: its base name)."""
    shown = name if name is not None else os.path.basename(os.fspath(path)) or os.fspath(path)
    where = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) \
        | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(where, flags)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        return None, [make("E-FILE-004", shown, value=where, reason=_reason(exc))]
    try:
        try:
            st = os.fstat(fd)
        except OSError as exc:
            return None, [make("E-FILE-004", shown, value=where, reason=_reason(exc))]
        if stat.S_ISDIR(st.st_mode):
            return None, [make("E-FILE-004", shown, value=where, reason=_reason(IsADirectoryError()))]
        if not stat.S_ISREG(st.st_mode):
            return None, [make("E-FILE-006", shown, value=where, what=_kind_of_special(st.st_mode))]
        if st.st_size > limit:
            return None, [_too_big(shown, where, st.st_size, limit)]
        chunks, total = [], 0
        while True:
            try:
                block = os.read(fd, min(_READ_BLOCK, limit + 1 - total))
            except OSError as exc:
                return None, [make("E-FILE-004", shown, value=where, reason=_reason(exc))]
            if not block:
                break
            chunks.append(block)
            total += len(block)
            if total > limit:  # it grew while we read it
                return None, [_too_big(shown, where, total, limit)]
        return b"".join(chunks), []
    finally:
        os.close(fd)


def _too_big(shown: str, where: str, size: int, limit: int) -> Finding:
    code = "E-FILE-007" if limit >= CONTENT_LIMIT else "E-FILE-008"
    return make(code, shown, value=where, size=_mb(size), limit=_mb(limit))


def _kind_of_special(mode: int) -> str:
    from tui_client.catalog import t

    if stat.S_ISFIFO(mode):
        return t("reason.fifo")
    if stat.S_ISSOCK(mode):
        return t("reason.socket")
    return t("reason.device")


@dataclass
class CheckResult:
    reports: List[FileReport] = field(default_factory=list)
    #: Per-file findings of the set (bundle) rules, and findings about paths that could not be read.
    set_findings: List[Finding] = field(default_factory=list)
    path_findings: List[Finding] = field(default_factory=list)

    def findings_for(self, report: FileReport) -> List[Finding]:
        return report.findings + [f for f in self.set_findings if f.file == report.filename]

    def all_findings(self) -> List[Finding]:
        out = list(self.path_findings)
        for r in self.reports:
            out.extend(r.findings)
        out.extend(self.set_findings)
        return out

    @property
    def exit_code(self) -> int:
        return worst_exit_code(self.all_findings())


def _is_dir(p: Path) -> bool:
    try:
        return p.is_dir()
    except (OSError, ValueError):  # a name too long for the file system: read_user_file says so
        return False


def collect(paths: Iterable[PathLike]) -> "tuple[List[Path], List[Finding]]":
    """Files named directly, plus the .CSV/.jpg files inside named folders (sorted).

    Folders inside a named folder are not searched (a care software's export folder keeps older
    months in subfolders, and those must not be sent again by accident); a W-FILE-009 says which were
    left out, so "everything can be sent" never covers files nobody looked at."""
    files: List[Path] = []
    problems: List[Finding] = []
    for raw in paths:
        p = Path(raw)
        if _is_dir(p):
            try:
                entries = sorted(p.iterdir())
                found = [c for c in entries if c.suffix.lower() in _ENDINGS and not _is_dir(c)]
                subfolders = [c.name for c in entries if _is_dir(c)]
            except OSError as exc:
                problems.append(make("E-FILE-004", str(p), value=str(p), reason=_reason(exc)))
                continue
            if subfolders:
                shown = "、".join(subfolders[:5]) + ("…" if len(subfolders) > 5 else "")
                problems.append(make("W-FILE-009", str(p), value=str(p), count=len(subfolders),
                                     names=shown))
            if not found:
                problems.append(make("E-FILE-005", str(p), value=str(p)))
            files.extend(found)
        else:
            files.append(p)
    return files, problems


def _reason(exc: OSError) -> str:
    from tui_client.catalog import t

    if isinstance(exc, FileNotFoundError):
        return t("reason.not_found")
    if isinstance(exc, PermissionError):
        return t("reason.permission")
    if isinstance(exc, IsADirectoryError):
        return t("reason.is_directory")
    if isinstance(exc, ValueError):
        return t("reason.bad_name")
    if exc.errno == errno.ENAMETOOLONG:
        return t("reason.name_too_long")
    return exc.strerror or exc.__class__.__name__


def check_paths(paths: Sequence[PathLike],
                registered_services: Optional[Mapping[str, Iterable[str]]] = None,
                sender_sites: Iterable[str] = ()) -> CheckResult:
    """Check files and folders on disk. ``sender_sites``: the sender office's other registered site
    numbers (see ``core.validate.validate_file``)."""
    from tui_client.core.validate import validate_file, validate_set

    sender_sites = frozenset(sender_sites)
    files, problems = collect(paths)
    result = CheckResult(path_findings=problems)
    for path in files:
        data, unreadable = read_user_file(path, CONTENT_LIMIT)
        if data is None:
            result.path_findings.extend(unreadable)
            continue
        result.reports.append(validate_file(data, path.name, registered_services=registered_services,
                                            sender_sites=sender_sites))
    result.set_findings = validate_set(result.reports)
    return result


def check_bytes(files: Sequence["tuple[str, bytes]"],
                registered_services: Optional[Mapping[str, Iterable[str]]] = None,
                sender_sites: Iterable[str] = ()) -> CheckResult:
    """The same for files already in memory (drafts, tests, the demo, a send)."""
    from tui_client.core.validate import validate_file, validate_set

    sender_sites = frozenset(sender_sites)
    result = CheckResult(reports=[validate_file(d, n, registered_services=registered_services,
                                                sender_sites=sender_sites)
                                  for n, d in files])
    result.set_findings = validate_set(result.reports)
    return result


__all__ = ["CheckResult", "check_paths", "check_bytes", "collect", "read_user_file", "CONTENT_LIMIT",
           "SMALL_FILE_LIMIT"]
