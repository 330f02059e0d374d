"""Checking files on disk: the edge between the pure validator and the user's folders.

Reads the files and folders a user named, hands bytes to ``core.validate``, and turns what cannot be
read (a missing file, a folder with no CSV) into findings, so every face (CLI, UI, batch) reports
problems the same way. Nothing here prints; nothing here writes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence, Union

from tui_client.core.findings import Finding, make, worst_exit_code
from tui_client.core.validate import FileReport, validate_file, validate_set

PathLike = Union[str, "os.PathLike[str]"]

#: File endings a folder is searched for (the standard's files are .CSV, family images .jpg).
_ENDINGS = (".csv", ".jpg")


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


def collect(paths: Iterable[PathLike]) -> "tuple[List[Path], List[Finding]]":
    """Files named directly, plus the .CSV/.jpg files inside named folders (not recursive, sorted)."""
    files: List[Path] = []
    problems: List[Finding] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            try:
                found = sorted(c for c in p.iterdir() if c.is_file() and c.suffix.lower() in _ENDINGS)
            except OSError as exc:
                problems.append(make("E-FILE-004", str(p), value=str(p), reason=_reason(exc)))
                continue
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
    return exc.strerror or exc.__class__.__name__


def check_paths(paths: Sequence[PathLike],
                registered_services: Optional[Mapping[str, Iterable[str]]] = None) -> CheckResult:
    files, problems = collect(paths)
    result = CheckResult(path_findings=problems)
    for path in files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            result.path_findings.append(make("E-FILE-004", path.name, value=str(path), reason=_reason(exc)))
            continue
        result.reports.append(validate_file(data, path.name, registered_services=registered_services))
    result.set_findings = validate_set(result.reports)
    return result


def check_bytes(files: Sequence["tuple[str, bytes]"],
                registered_services: Optional[Mapping[str, Iterable[str]]] = None) -> CheckResult:
    """The same for files already in memory (drafts, tests, the demo, a send)."""
    result = CheckResult(reports=[validate_file(d, n, registered_services=registered_services)
                                  for n, d in files])
    result.set_findings = validate_set(result.reports)
    return result


__all__ = ["CheckResult", "check_paths", "check_bytes", "collect"]
