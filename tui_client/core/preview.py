"""A received file made readable: bytes and a name in, a value the screens render out.

* 第6表 予定 (``UPPLAN``) and 実績 (``UPJSK``) become a **day grid** per user: one line per service
  (the service-type name from the code tables, the code, the provider and the time band), one column
  per day of the month with the planned or actual count, and the month with its weekdays and holidays.
* Every other kind with a layout (第1表, 第2表, 利用者補足, …) becomes **labelled records**: per record,
  (項目名, value) pairs from the layout, codes shown with their meaning, dates with their 和暦 year.
* The file's check result (``core.validate``) travels with it as findings.

Decoding and CSV parsing are ``core.validate``'s (the same strict cp932 reading, the same layout
choice by column count); nothing is parsed twice in two ways. Bad input never raises: bytes that
cannot be read give a ``PreviewData`` with ``problem`` set to the finding code that says why, and the
findings that explain it. Pure: no I/O, no Textual. The faces put the words around these values.

The public entry point is ``build_preview(name, content)``; its name and shape are a contract with
the office façade (``Preview.grid``) and the screens.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from tui_client.core import validate as _v
from tui_client.core import wareki
from tui_client.core.findings import Finding, FindingCounts, make
from tui_client.core.spec import codes as code_tables
from tui_client.core.spec.kinds import FileKind
from tui_client.core.spec.layouts import Field, Layout, layouts_for

#: Labelled records kept for the preview; the rest are counted in ``records_total``. A 第2表 has a few
#: hundred rows at most; a screen shows a page at a time anyway.
MAX_RECORDS = 500

GRID_KINDS = frozenset({"UPPLAN", "UPJSK"})

#: The problem code of a file that is fine but has no readable form here (a 家族構成 image).
NO_PREVIEW = "W-PRV-001"


@dataclass(frozen=True)
class ServiceLine:
    """One row of a user's day grid: one service of one provider at one time band."""

    code: str                       # サービスコード (6), as in the file
    service_type: str               # its first two characters
    type_name: str                  # 訪問介護 … from the code tables; "" when the type is unknown
    provider: str                   # サービス事業者コード
    provider_name: str              # サービス事業所名 ("" when the file leaves it blank)
    start: str                      # HHMM; "" when the service has no time (9999) or none is given
    end: str
    counts: Tuple[int, ...]         # per day of the month, index 0 = day 1
    item: str = ""                  # 用具名称 (福祉用具貸与), when given
    units: int = 0                  # Σ 単位数 × 回数 over the month's days (plan vs actual totals)

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def time_band(self) -> str:
        """``09:30-10:30``, or "" for a service without time."""
        if not self.start:
            return ""
        return f"{self.start[:2]}:{self.start[2:]}-{self.end[:2]}:{self.end[2:]}"


@dataclass(frozen=True)
class UserGrid:
    insurer: str                    # 保険者番号
    insured: str                    # 被保険者番号
    name: str                       # 利用者氏名 from a 利用者補足 of the same bundle, "" when unknown
    lines: Tuple[ServiceLine, ...]

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)


@dataclass(frozen=True)
class MonthGrid:
    """The month of a day grid: ``days`` has one mark per day (weekday, holiday)."""

    month: str                      # YYYYMM ("" when neither the name nor the rows give a real month)
    wareki: str                     # 令和7年8月
    seireki: str                    # 2025年8月
    days: Tuple[wareki.DayMark, ...]


@dataclass(frozen=True)
class DayGrid:
    month: MonthGrid
    users: Tuple[UserGrid, ...]
    #: Records whose サービス利用日 is not a day of the grid's month (they are in the findings too).
    outside: int = 0


@dataclass(frozen=True)
class PreviewData(FindingCounts):
    """What a screen needs to show one received file."""

    name: str
    prefix: str                     # UPPLAN …, "" when the name names no known kind
    kind_name: str                  # サービス利用票（第6表・予定）… from the kinds table
    revision: str                   # "V4" / "V3" (the layout the columns matched), "" unknown
    findings: Tuple[Finding, ...] = ()
    grid: Optional[DayGrid] = None
    records: Tuple[Tuple[Tuple[str, str], ...], ...] = ()
    records_total: int = 0
    problem: str = ""               # a finding code when nothing could be shown


# --- reading ----------------------------------------------------------------------------------

def _rows(name: str, content: bytes, layout: Layout) -> List[List[str]]:
    """The records of the layout's width, decoded and parsed exactly as ``core.validate`` does."""
    sink = _v._Sink(name)
    text = _v._decode(content, sink)
    if text is None:
        return []
    records = _v._Records(text)
    try:
        rows = [r for r in records]
    except csv.Error:
        rows = [r for r in _v._broken_records(text, sink)[0] if r is not None]
    if rows and _v._looks_like_header(rows[0]):
        rows = rows[1:]
    return [r for r in rows if len(r) == layout.width]


def _layout(report: _v.FileReport, kind: Optional[FileKind]) -> Optional[Layout]:
    if report.layout is not None:
        return report.layout
    if kind is None:
        return None
    found = layouts_for(kind.prefix)
    return found[0] if found else None


def _problem(findings: Sequence[Finding]) -> str:
    for prefix in ("E-FILE-", "E-ENC-", "E-CSV-", "E-NAME-"):
        for f in findings:
            if f.code.startswith(prefix):
                return f.code
    return findings[0].code if findings else "E-FILE-002"


def build_preview(name: str, content: bytes, *, companions: Iterable[Tuple[str, bytes]] = (),
                  report: Optional[_v.FileReport] = None) -> PreviewData:
    """A received file, ready to show. ``companions`` are the other files of its bundle (same
    ファイル連番): a 利用者補足 among them gives the users' names to a 第6表 grid. ``report`` is the
    file's check result when the caller already has it (else the file is checked here)."""
    if report is None:
        report = _v.validate_file(content, name)
    findings = tuple(report.findings)
    kind = report.kind
    base = dict(name=report.filename, prefix=kind.prefix if kind else "",
                kind_name=kind.name_ja if kind else "", findings=findings)
    layout = _layout(report, kind)
    if kind is None or layout is None:
        # No layout to read it by (an image, or a name that names no kind): say so, show nothing.
        blocking = [f for f in findings if f.blocks_sending]
        return PreviewData(revision="", problem=_problem(blocking) if blocking else NO_PREVIEW, **base)
    rows = _rows(report.filename, content, layout) if content else []
    if not rows:
        return PreviewData(revision=layout.revision, problem=_problem(findings), **base)
    if kind.prefix in GRID_KINDS:
        month = report.parsed.month if report.parsed is not None else None
        grid = day_grid(layout, rows, month, user_names(companions))
        return PreviewData(revision=layout.revision, grid=grid, records_total=len(rows), **base)
    records = tuple(labelled(layout, r) for r in rows[:MAX_RECORDS])
    return PreviewData(revision=layout.revision, records=records, records_total=len(rows), **base)


def build_grid(name: str, content: bytes, companions: Iterable[Tuple[str, bytes]] = ()) -> Optional[DayGrid]:
    """Just the day grid of a 第6表 / 実績 (None for other kinds or unreadable bytes): the value the
    office façade puts in ``Preview.grid`` (``office/preview.py`` looks for this name)."""
    if _v.kind_of(name) is None or _v.kind_of(name).prefix not in GRID_KINDS:
        return None
    return build_preview(name, content, companions=companions).grid


def user_names(files: Iterable[Tuple[str, bytes]]) -> Dict[str, str]:
    """被保険者番号 → 利用者氏名, from the 利用者補足 files among ``files`` (others are ignored)."""
    names: Dict[str, str] = {}
    for fname, data in files:
        kind = _v.kind_of(fname)
        if kind is None or kind.prefix != "UPHOSOKU":
            continue
        layout = layouts_for("UPHOSOKU")[0]
        insured_i = layout.field_named("被保険者番号").no - 1
        name_i = layout.field_named("利用者氏名").no - 1
        for r in _rows(fname, data, layout):
            if r[name_i]:
                names.setdefault(r[insured_i], r[name_i])
    return names


# --- labelled fields --------------------------------------------------------------------------

def display_value(fld: Field, value: str) -> str:
    """A value as a reader wants it: codes with their meaning, dates with the 和暦 year."""
    if value == "":
        return ""
    t = fld.type
    if t.startswith("code:"):
        meaning = getattr(code_tables, t[5:], {}).get(value)
        return f"{value}：{meaning}" if meaning else value
    if t == "svc":
        st = code_tables.SERVICE_TYPES.get(value)
        return f"{value}：{st.name}" if st else value
    if t in ("svccode", "svctotal"):
        st = code_tables.SERVICE_TYPES.get(value[:2])
        return f"{value}（{st.name}）" if st and len(value) == 6 else value
    if t in ("date", "date0"):
        return wareki.format_date(value)
    if t in ("month", "month0"):
        w, _ = wareki.format_month(value)
        return f"{value[:4]}年{int(value[4:])}月（{w}）" if w else value
    if t in ("time", "time9") and len(value) == 4 and value.isdigit() and value != "9999":
        return f"{value[:2]}:{value[2:]}"
    return value


def labelled(layout: Layout, row: Sequence[str]) -> Tuple[Tuple[str, str], ...]:
    """One record as (項目名, value) pairs; the unused 識別子 is left out."""
    return tuple((f.name, display_value(f, v)) for f, v in zip(layout.fields, row) if f.type != "unused")


def readable_records(prefix: str, records: Sequence[Sequence[Tuple[str, str]]]
                     ) -> Tuple[Tuple[Tuple[str, str], ...], ...]:
    """Records already split into (項目名, raw value) pairs by another part (the office façade reads
    rows by the layout too) made readable as ``labelled`` makes them: the layout of the kind whose
    width matches gives each position its field. Records of no known layout stay as they are."""
    by_width = {lay.width: lay for lay in reversed(layouts_for(prefix))} if prefix else {}
    out = []
    for rec in records:
        layout = by_width.get(len(rec))
        if layout is None or any(label != f.name for (label, _), f in zip(rec, layout.fields)):
            out.append(tuple(rec))
        else:
            out.append(labelled(layout, [v for _, v in rec]))
    return tuple(out)


# --- the day grid -----------------------------------------------------------------------------

def _month_of(layout: Layout, rows: Sequence[Sequence[str]], named: Optional[str]) -> str:
    if named and wareki.parse_month(named):
        return named
    i = layout.field_named("対象年月").no - 1
    common = Counter(r[i] for r in rows if wareki.parse_month(r[i])).most_common(1)
    if common:
        return common[0][0]
    d = layout.field_named("サービス利用日").no - 1
    common = Counter(r[d][:6] for r in rows if wareki.parse_date(r[d])).most_common(1)
    return common[0][0] if common else ""


def month_grid(month: str) -> MonthGrid:
    ym = wareki.parse_month(month)
    if ym is None:
        return MonthGrid("", "", "", tuple(wareki.DayMark(d, -1, False) for d in range(1, 32)))
    w, s = wareki.format_month(month)
    return MonthGrid(month, w, s, wareki.month_days(*ym))


def _count(value: str) -> int:
    # サービス回数: 1 when blank or unreadable, so a planned visit is never shown as none at all
    # (the findings say what is wrong with the value).
    return int(value) if value.isascii() and value.isdigit() else 1


def day_grid(layout: Layout, rows: Sequence[Sequence[str]], month: Optional[str] = None,
             names: Optional[Dict[str, str]] = None) -> DayGrid:
    """Rows of a 第6表 / 実績 layout as a grid per user. Users keep the file's order; a user's lines
    are ordered by provider, time and code, as a printed 第6表 lists them."""
    names = names or {}
    col = {n: layout.field_named(n).no - 1 for n in (
        "保険者番号", "被保険者番号", "サービス利用日", "サービス開始時刻", "サービス終了時刻", "サービス回数",
        "サービスコード", "サービス事業者コード", "サービス事業所名", "単位数")}
    item_i = next((f.no - 1 for f in layout.fields if f.name == "用具名称（機種名）"), None)
    mg = month_grid(_month_of(layout, rows, month))
    n_days = len(mg.days)
    users: Dict[Tuple[str, str], Dict[tuple, list]] = {}
    info: Dict[tuple, Tuple[str, str]] = {}
    units: Counter = Counter()
    outside = 0
    for r in rows:
        user = (r[col["保険者番号"]], r[col["被保険者番号"]])
        lines = users.setdefault(user, {})
        start, end = r[col["サービス開始時刻"]], r[col["サービス終了時刻"]]
        if start == "9999" or end == "9999":
            start = end = ""
        item = r[item_i] if item_i is not None else ""
        key = (r[col["サービス事業者コード"]], start, end, r[col["サービスコード"]], item)
        counts = lines.get(key)
        if counts is None:
            counts = lines[key] = [0] * n_days
            info[key] = (r[col["サービス事業所名"]], item)
        elif not info[key][0] and r[col["サービス事業所名"]]:
            info[key] = (r[col["サービス事業所名"]], item)
        day = r[col["サービス利用日"]]
        if (mg.month and day[:6] == mg.month and wareki.parse_date(day)) or (
                not mg.month and len(day) == 8 and day[6:].isascii() and day[6:].isdigit()
                and 1 <= int(day[6:]) <= n_days):
            n = _count(r[col["サービス回数"]])
            counts[int(day[6:]) - 1] += n
            u = r[col["単位数"]]
            units[user, key] += n * (int(u) if u.isascii() and u.isdigit() else 0)
        else:
            outside += 1
    out = []
    for (insurer, insured), lines in users.items():
        svc = []
        for key in sorted(lines, key=lambda k: (k[0], k[1] or "9999", k[3], k[4])):
            provider, start, end, code, item = key
            st = code_tables.SERVICE_TYPES.get(code[:2])
            svc.append(ServiceLine(code, code[:2], st.name if st else "", provider, info[key][0],
                                   start, end, tuple(lines[key]), item, units[(insurer, insured), key]))
        out.append(UserGrid(insurer, insured, names.get(insured, ""), tuple(svc)))
    return DayGrid(mg, tuple(out), outside)


def bundle_gaps(names: Iterable[str]) -> Dict[str, Tuple[str, ...]]:
    """For each file name, the kinds its bundle (same parties and ファイル連番) lacks, judged from the
    names alone by the bundle rules of ``core.validate``. Every member of an incomplete bundle is
    listed (with what the whole bundle lacks); whole bundles and names that do not parse are left out."""
    from tui_client.core.spec.filenames import parse_filename

    parsed = {}
    for n in names:
        p, _ = parse_filename(n)
        if p is not None:
            parsed[n] = p
    present: Dict[tuple, set] = {}
    for p in parsed.values():
        present.setdefault(p.bundle_key, set()).add(p.prefix)
    lacking: Dict[tuple, list] = {}
    for p in parsed.values():
        for need in _v._requires(p):
            if need not in present[p.bundle_key] and need not in lacking.setdefault(p.bundle_key, []):
                lacking[p.bundle_key].append(need)
    return {n: tuple(lacking[p.bundle_key]) for n, p in parsed.items() if lacking.get(p.bundle_key)}


def problem_finding(name: str, code: str) -> Finding:
    """A finding for a preview that could not be built, for faces that list findings."""
    return make(code, name)
