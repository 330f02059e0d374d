"""How the screens put values into words: kinds, months (和暦 and 西暦), times, states with marks,
findings with their fix. Pure and cheap: no widgets, no engine, no I/O.

Status is always a mark AND a word (never colour alone): ● 新着, ✓ 受信済み, ✗ エラー, … 送信待ち.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Optional, Tuple

from tui_client.catalog import FINDINGS, TEXT, t
from tui_client.core.wareki import format_month

_MARKS = {
    "state.inbox.new": "●",
    "state.inbox.seen": "○",
    "state.inbox.saved": "✓",
    "state.outbox.waiting": "…",
    "state.outbox.sent": "→",
    "state.outbox.received": "✓",
    "state.outbox.error": "✗",
    "state.outbox.withdrawn": "－",
}


def kind_label(file_kind: str) -> str:
    """第6表 予定, 実績 …: the short word for a file kind, or its prefix when unknown."""
    if not file_kind:
        return t("kind.unknown")
    key = f"kind.{file_kind}"
    if key in TEXT:
        return TEXT[key]
    from tui_client.core.spec.kinds import kind_by_prefix

    k = kind_by_prefix(file_kind)
    return k.name_ja if k is not None else file_kind


def month_label(month: Optional[str], *, western: bool = True) -> str:
    """``202505`` → 令和7年5月（2025年5月）; "" when there is no month."""
    if not month or len(month) != 6 or not month.isdigit():
        return ""
    year, mon = int(month[:4]), int(month[4:])
    if not (1 <= mon <= 12) or year < 1900:
        return ""          # 000000: a kind whose name carries no real month
    wareki, _ = format_month(month)       # the one era table: core.wareki
    if not wareki:
        return t("month.western", year=year, month=mon)
    return t("month.both", wareki=wareki, year=year, month=mon) if western else wareki


def time_label(when: Optional[datetime]) -> str:
    """Local time, ``05/28 10:03``; "" when unknown."""
    if when is None:
        return ""
    return when.astimezone().strftime("%m/%d %H:%M")


def state_label(state) -> str:
    """A state enum (InboxState / OutboxState) as mark + word."""
    key = state.label_key
    return f"{_MARKS.get(key, '・')} {t(key)}"


def party_label(party, *, named: bool = True) -> str:
    """事業所番号/サービス種類 name, as much as is known; without the name (``named=False``) for a table
    column, which has room for the 13 cells of the number only at 80 columns."""
    if party is None:
        return ""
    text = party.office
    if party.service:
        text += f"/{party.service}"
    if party.name and named:
        text += f" {party.name}"
    return text


#: Japanese characters (kana, kanji, full-width forms and punctuation)
_JAPANESE = "[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]"
_SPACE_BY_JAPANESE = re.compile(rf"(?<={_JAPANESE}) +| +(?={_JAPANESE})")


def toast_text(message: str) -> str:
    """A message for a toast (``notify``) without the ASCII spaces that sit next to Japanese.

    A toast wraps at spaces first: ``…直してから c で確認…`` broke after ``c`` and left half a line
    empty, and a ``{row}行目の {field}`` finding split the field from its row. Japanese needs no
    spaces around a key name, number or file name, so without them the line breaks where the
    toast's width ends, as Japanese text does. Spaces between two ASCII words (``tsunagi check``)
    stay."""
    return _SPACE_BY_JAPANESE.sub("", message)


def middle_ellipsis(text: str, width: int) -> str:
    """``text`` in at most ``width`` terminal cells, its middle replaced by … when it is longer: a
    folder path keeps its root and its last folder, which are what tell two paths apart. Counts
    cells, so a Japanese folder name (two cells a character) is cut where it really ends."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    if width <= 1:
        return "…"[:max(width, 0)]
    room = width - 1
    head_room, tail_room = (room + 1) // 2, room // 2
    head, used = "", 0
    for ch in text:
        w = cell_len(ch)
        if used + w > head_room:
            break
        head, used = head + ch, used + w
    tail, used = "", 0
    for ch in reversed(text):
        w = cell_len(ch)
        if used + w > tail_room:
            break
        tail, used = ch + tail, used + w
    return f"{head}…{tail}"


def finding_text(finding) -> Tuple[str, str]:
    """``(what happened, what to do)`` for a ``FindingSummary``."""
    message, fix = FINDINGS.get(finding.code, (TEXT["finding.unknown"], ""))
    values = {"code": finding.code, "row": finding.row if finding.row is not None else "?",
              "column": finding.column if finding.column is not None else "?", "field": finding.field,
              "value": finding.value, "file": "", "url": "", "reason": "", "status": ""}
    values.update(dict(finding.params))
    from tui_client.catalog import _fill

    return _fill(message, values), _fill(fix, values)


def finding_line(finding) -> str:
    """One line: the mark, the code, the message (the fix goes on the next line where there is room)."""
    mark = "✗" if finding.blocks_sending else "!"
    message, _ = finding_text(finding)
    return f"{mark} {finding.code} {message}"
