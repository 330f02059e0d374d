"""The one catalogue of user-facing strings (Japanese).

Every message a user can see is looked up here by key: finding codes (``E-NAME-001`` …) map to a
``(message, fix)`` pair; screen and command texts map to a single string. The entries are split by
area into sub-modules only so that they stay readable; this module merges them and refuses a key
defined twice. Code elsewhere never inlines Japanese text.

Placeholders are ``str.format`` fields. Finding messages may use ``{file}``, ``{row}``, ``{column}``,
``{field}``, ``{value}`` and any key of the finding's ``params``; a missing one renders as ``?``
rather than raising, so a catalogue slip never crashes a user's screen. Those values come from
users' files (names, field values), so they are shown through ``core.safetext.printable``: a control
character or a bidi override in a file name reaches no face raw.
"""

from __future__ import annotations

import importlib
import string
from typing import Dict, Iterable, Tuple

FINDINGS: Dict[str, Tuple[str, str]] = {}
TEXT: Dict[str, str] = {}


def _merge(target: dict, parts: Iterable[dict]) -> None:
    for part in parts:
        for key, value in part.items():
            if key in target:
                raise RuntimeError(f"catalogue key defined twice: {key}")
            target[key] = value


#: The areas of the catalogue, one module each (``tui_client/catalog/<area>.py``), merged in order.
AREAS = (
    "common",
    "validate",
    "certs",
    "transport",
    "office",
    "ui",
    "preview",
    "training",
    "compose",
    "notes",
    "planact",
    "startup",
    "guided",
    "archive",
    "pcs",
)
_PARTS = [importlib.import_module(f"tui_client.catalog.{area}") for area in AREAS]
_merge(FINDINGS, (m.FINDINGS for m in _PARTS))
_merge(TEXT, (m.TEXT for m in _PARTS))


class _Lenient(dict):
    def __missing__(self, key: str) -> str:  # a slip in the catalogue shows "?", never a traceback
        return "?"


_formatter = string.Formatter()


def _fill(template: str, values: dict) -> str:
    return _formatter.vformat(template, (), _Lenient(values))


def t(key: str, **values: object) -> str:
    """A screen or command text, filled in."""
    return _fill(TEXT.get(key, key), values)


def excel_column(n: int) -> str:
    """1 → A, 27 → AA: the column letter a spreadsheet shows, for users who open CSV files in Excel."""
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def finding_values(finding) -> dict:
    from tui_client.core.safetext import printable

    values = {
        "code": finding.code,
        "file": printable(finding.file),
        "row": finding.row if finding.row is not None else "?",
        "line": finding.line if finding.line is not None else "?",
        "column": finding.column if finding.column is not None else "?",
        "field": printable(finding.field),
        "value": printable(finding.value),
    }
    values.update({k: printable(v) for k, v in finding.params})
    if "role" in values:  # "sender" / "recipient" are data; the user reads 送信元 / 送信先
        values["role"] = TEXT.get("role." + str(values["role"]), values["role"])
    return values


def finding_message(finding) -> Tuple[str, str]:
    """``(what is wrong, what to do)`` for a finding, in Japanese."""
    message, fix = FINDINGS.get(finding.code, (TEXT["finding.unknown"], ""))
    values = finding_values(finding)
    return _fill(message, values), _fill(fix, values)


def finding_location(finding) -> str:
    """Where: 「12行目・15列目（O列）サービスコード」, as much as is known."""
    parts = []
    if finding.row is not None:
        parts.append(t("where.row", row=finding.row))
    if finding.column is not None:
        parts.append(t("where.column", column=finding.column, letter=excel_column(finding.column)))
    where = "・".join(parts)
    if finding.field:
        from tui_client.core.safetext import printable

        field = printable(finding.field)
        where = f"{where} {field}" if where else field
    return where


def explain(code: str):
    """``(message template, fix template)`` for a code, or None when the code is unknown."""
    return FINDINGS.get(code.strip().upper())
