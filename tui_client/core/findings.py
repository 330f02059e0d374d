"""Findings: what the core reports about files, names and certificates a user gave it.

A finding is a value, never an exception. Its code is a stable identifier (``E-…`` blocks sending,
``W-…`` warns); the Japanese message and the fix live in the string catalogue keyed by that code.
Extra facts for the message (the expected value, the byte offset, …) travel in ``params``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Tuple

ERROR = "error"
WARNING = "warning"

#: Codes that mean the input could not be used at all (missing file, not a CSV, a damaged keystore or
#: sealed file ...): exit code 3 in every command.
UNUSABLE_PREFIXES = ("E-FILE-",)
UNUSABLE_CODES = frozenset({"E-CERT-001", "E-CERT-002", "E-CERT-003", "E-CERT-004", "E-CERT-016",
                            "E-CERT-017", "E-SEAL-003", "E-RCPT-001"})


@dataclass(frozen=True)
class Finding:
    """One problem found in a file name, a file's content, a set of files or a certificate.

    ``row`` is the record number as a spreadsheet shows it (1-based, blank lines counted); ``line``
    is the physical line in a text editor (they differ when a quoted field holds a line break).
    ``column`` is the 1-based column number, which equals the spec's item No.
    """

    code: str
    file: str = ""
    row: Optional[int] = None
    column: Optional[int] = None
    field: str = ""
    value: str = ""
    line: Optional[int] = None
    params: Tuple[Tuple[str, str], ...] = ()

    @property
    def severity(self) -> str:
        return ERROR if self.code.startswith("E-") else WARNING

    @property
    def blocks_sending(self) -> bool:
        return self.severity == ERROR

    @property
    def unusable(self) -> bool:
        return self.code.startswith(UNUSABLE_PREFIXES) or self.code in UNUSABLE_CODES

    def param(self, key: str, default: str = "") -> str:
        for k, v in self.params:
            if k == key:
                return v
        return default

    def as_dict(self) -> dict:
        d = {
            "code": self.code,
            "severity": self.severity,
            "file": self.file,
            "row": self.row,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "value": self.value,
        }
        d.update(dict(self.params))
        return d


def make(code: str, file: str = "", /, *, row: Optional[int] = None, column: Optional[int] = None,
         field: str = "", value: str = "", line: Optional[int] = None,
         **params: object) -> Finding:
    """Build a finding; ``params`` become message parameters (stringified, in a stable order)."""
    return Finding(code, file, row, column, field, value, line,
                   tuple(sorted((k, str(v)) for k, v in params.items())))


def worst_exit_code(findings: Iterable[Finding]) -> int:
    """The CLI's exit code: 0 clean, 1 warnings only, 2 errors, 3 unusable input."""
    code = 0
    for f in findings:
        if f.unusable:
            return 3
        code = max(code, 2 if f.blocks_sending else 1)
    return code


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.blocks_sending for f in findings)


def counts(findings: Iterable[Finding]) -> Mapping[str, int]:
    out = {ERROR: 0, WARNING: 0}
    for f in findings:
        out[f.severity] += 1
    return out


class FindingCounts:
    """For a value that carries its ``findings``: how many block sending and how many only warn
    (one definition for the inbox item, the preview and the batch file)."""

    findings: tuple

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.blocks_sending)

    @property
    def warnings(self) -> int:
        return len(self.findings) - self.errors
