"""Validation of care-plan files: bytes and a file name in, findings out.

What is checked, in order (../shared/spec/README.md §3, layouts.md):

1. the file name (core.spec.filenames);
2. the bytes: not empty, not binary, strictly cp932 (a bad byte is a finding with its offset, row
   and column), not UTF-8, no 外字 (private-use characters);
3. CSV structure: quoting, the column count of the layout (which also tells V3 from V4 content);
4. every field against its layout: type, length, required, code table, dates that exist;
5. the file against its name: month, parties, the service-type code in the rows;
6. a set of files against the bundle rules (``validate_set``).

Speed matters (a 100,000-row 第6表 must check in ≤ 2.5× the time of just decoding and splitting it),
so checks run per column over the *distinct* values of that column, compiled once per layout; rows are
only walked again to place a finding once a bad value is known. Nothing here raises on user input.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import islice
from operator import itemgetter
from typing import (Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Sequence, Set,
                    Tuple)

from tui_client.core.findings import Finding, make
from tui_client.core.spec import codes as code_tables
from tui_client.core.spec.filenames import ParsedName, parse_filename
from tui_client.core.spec.kinds import KINDS, PREFIXES_LONGEST_FIRST, FileKind
from tui_client.core.spec.layouts import PARTY_COLUMNS, Field, Layout, layouts_for

#: At most this many findings of one code in one column; the rest are counted in a W-MORE-001.
MAX_SAME = 20

#: CSVバージョン values accepted without a warning (spec README §7).
ACCEPTED_VERSIONS = frozenset({"202208", "202407", "202504"})
V4_VERSIONS = frozenset({"202407", "202504"})

_PUA = re.compile("[\ue000-\uf8ff]")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_SERVICE_CODE = re.compile(r"[0-9A-Z]{6}\Z")
_SERVICE_TYPE = re.compile(r"[0-9A-Z]{2}\Z")
_ZIP = re.compile(r"[0-9]{3}-[0-9]{4}\Z")
_DAYS31 = re.compile(r"[01]{31}\Z")
_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?\Z")
_INSURED = re.compile(r"(?:[0-9]{10}|H[0-9]{9})\Z")
_DIGITS = re.compile(r"[0-9]+\Z")
_SIGNED = re.compile(r"-?[0-9]+\Z")


@dataclass
class FileReport:
    """What validating one file found. ``keys`` are the link keys of its records (for bundles)."""

    filename: str
    parsed: Optional[ParsedName]
    kind: Optional[FileKind]
    findings: List[Finding] = field(default_factory=list)
    records: int = 0
    layout: Optional[Layout] = None
    csv_version: Optional[str] = None
    keys: FrozenSet[Tuple[str, ...]] = frozenset()

    @property
    def has_errors(self) -> bool:
        return any(f.blocks_sending for f in self.findings)


# --- cell checks ------------------------------------------------------------------------------
# A check takes one (non-empty) value and returns None or (code, params).

Check = Callable[[str], Optional[Tuple[str, dict]]]


@lru_cache(maxsize=4096)
def _real_date(value: str) -> bool:
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return False
    return True


def _is_date(value: str) -> bool:
    return len(value) == 8 and bool(_DIGITS.match(value)) and _real_date(value)


def _digits_problem(value: str) -> Optional[Tuple[str, dict]]:
    if value.translate(_FULLWIDTH_DIGITS).isascii() and value.translate(_FULLWIDTH_DIGITS).isdigit():
        return ("E-FLD-019", {})
    return ("E-FLD-003", {})


def _exact_digits(n: int) -> Check:
    def check(v: str):
        if len(v) == n and _DIGITS.match(v):
            return None
        if _DIGITS.match(v):
            return ("E-FLD-008", {"length": n})
        return _digits_problem(v)
    return check


def _max_digits(n: int, signed: bool = False) -> Check:
    pattern = _SIGNED if signed else _DIGITS

    def check(v: str):
        if not pattern.match(v):
            return _digits_problem(v)
        if len(v.lstrip("-")) > n:
            return ("E-FLD-002", {"length": n, "actual": len(v.lstrip("-"))})
        return None
    return check


def _date(allow_zero: bool) -> Check:
    def check(v: str):
        if len(v) == 8 and _DIGITS.match(v):
            if v == "00000000":
                return None if allow_zero else ("W-FLD-018", {})
            return None if _real_date(v) else ("E-FLD-004", {})
        if v.translate(_FULLWIDTH_DIGITS) != v:
            return ("E-FLD-019", {})
        return ("E-FLD-004", {})
    return check


def _month(allow_zero: bool, code: str = "E-FLD-005") -> Check:
    def check(v: str):
        if allow_zero and v == "000000":
            return None
        if len(v) == 6 and _DIGITS.match(v) and 1 <= int(v[4:]) <= 12 and v[:4] >= "1900":
            return None
        return (code, {})
    return check


def _time(allow_none: bool) -> Check:
    def check(v: str):
        if allow_none and v == "9999":
            return None
        if len(v) == 4 and _DIGITS.match(v):
            hh, mm = int(v[:2]), int(v[2:])
            if (hh < 24 and mm < 60) or v == "2400":
                return None
        return ("E-FLD-006", {})
    return check


def _code_table(table_name: str) -> Check:
    table = getattr(code_tables, table_name)
    allowed = "、".join(f"{k}（{v}）" for k, v in table.items())

    def check(v: str):
        return None if v in table else ("E-FLD-007", {"allowed": allowed})
    return check


def _service_code(markers: bool) -> Check:
    def check(v: str):
        if markers and (v == code_tables.GRAND_TOTAL_CODE
                        or (len(v) == 6 and v[2:] in code_tables.SUBTOTAL_SUFFIXES)):
            return None
        if not _SERVICE_CODE.match(v):
            return ("E-FLD-015", {})
        if v[:2] not in code_tables.SERVICE_TYPES:
            return ("W-FLD-010", {"service_type": v[:2]})
        return None
    return check


def _service_type(v: str):
    if not _SERVICE_TYPE.match(v):
        return ("E-FLD-015", {})
    if v not in code_tables.SERVICE_TYPES:
        return ("W-FLD-010", {"service_type": v})
    return None


def _text(n: int) -> Check:
    def check(v: str):
        m = _PUA.search(v)
        if m is not None:  # 外字: a user-defined character no other office can read
            return ("E-ENC-004", {"value": f"U+{ord(m.group()):04X}", "text": v[:20]})
        if n and len(v) > n:
            return ("E-FLD-002", {"length": n, "actual": len(v)})
        return None
    return check


def _pattern(regex, code: str, length: int = 0) -> Check:
    def check(v: str):
        if length and len(v) > length:
            return ("E-FLD-002", {"length": length, "actual": len(v)})
        return None if regex.match(v) else (code, {})
    return check


def _insurer(v: str):
    if len(v) == 6 and _DIGITS.match(v):
        return None if code_tables.insurer_check_digit_ok(v) else ("W-FLD-014", {})
    if _DIGITS.match(v):
        return ("E-FLD-008", {"length": 6})
    return _digits_problem(v)


def _insured(v: str):
    if _INSURED.match(v):
        return None
    if v.translate(_FULLWIDTH_DIGITS) != v:
        return ("E-FLD-019", {})
    return ("E-FLD-009", {})


def _unused(v: str):
    return ("W-FLD-013", {})


def _base_check(f: Field) -> Check:
    t = f.type
    if t == "ver":
        return _month(False, "E-FLD-005")
    if t == "insurer":
        return _insurer
    if t == "insured":
        return _insured
    if t in ("date", "date0"):
        return _date(t == "date0")
    if t in ("month", "month0"):
        return _month(t == "month0")
    if t in ("time", "time9"):
        return _time(t == "time9")
    if t == "num":
        return _max_digits(f.length)
    if t == "snum":
        return _max_digits(f.length, signed=True)
    if t == "office":
        return _exact_digits(10)
    if t == "dec":
        return _pattern(_DECIMAL, "E-FLD-017", f.length)
    if t.startswith("code:"):
        return _code_table(t[5:])
    if t == "svc":
        return _service_type
    if t in ("svccode", "svctotal"):
        return _service_code(t == "svctotal")
    if t == "zip":
        return _pattern(_ZIP, "W-FLD-012", f.length)
    if t == "days31":
        return _pattern(_DAYS31, "E-FLD-016")
    if t == "unused":
        return _unused
    if t in ("text", "tel", "tais"):
        return _text(f.length)
    raise ValueError(f"unknown field type {t!r} in layout")  # a programming error in a table


def _field_check(f: Field) -> Check:
    base = _base_check(f)
    if f.required == "R":
        missing = ("E-FLD-001", {})
    elif f.required == "R?":
        missing = ("W-FLD-011", {})
    else:
        missing = None

    def check(v: str):
        if v == "":
            return missing
        return base(v)
    return check


@lru_cache(maxsize=None)
def _compiled(layout: Layout) -> Tuple[Check, ...]:
    return tuple(_field_check(f) for f in layout.fields)


# --- the file ---------------------------------------------------------------------------------

def kind_of(filename: str) -> Optional[FileKind]:
    """The kind a name's prefix says, even when the rest of the name is broken."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].upper()
    for prefix in PREFIXES_LONGEST_FIRST:
        if base == prefix or base.startswith(prefix + "_") or base.startswith(prefix + "."):
            return KINDS[prefix]
    return None


class _Sink:
    """Collects findings for one file, capping repeats of one code in one column."""

    def __init__(self, filename: str):
        self.filename = filename
        self.findings: List[Finding] = []
        self._seen: Counter = Counter()
        self.row_to_line: Optional[Callable[[int], int]] = None

    def add(self, code: str, *, row: Optional[int] = None, column: Optional[int] = None,
            field_name: str = "", value: str = "", line: Optional[int] = None, **params) -> None:
        key = (code, column)
        self._seen[key] += 1
        if self._seen[key] > MAX_SAME:
            return
        self.findings.append(make(code, self.filename, row=row, column=column, field=field_name,
                                  value=value, line=line, **params))

    def close(self) -> List[Finding]:
        for (code, column), n in self._seen.items():
            if n > MAX_SAME:
                self.findings.append(make("W-MORE-001", self.filename, column=column,
                                          count=n - MAX_SAME, repeated=code))
        return self.findings


def _locate(data: bytes, offset: int) -> Tuple[int, int]:
    """(line, column) of a byte offset, counting separators naively (good enough to point a user)."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, data.count(b",", start, offset) + 1


_TEXT_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _utf16(data: bytes) -> Optional[str]:
    """"UTF-16LE" / "UTF-16BE" when the bytes are text in UTF-16 (with or without a BOM), else None.

    Without a BOM: in a CSV most characters are digits and commas, so one byte of every pair is 0 and
    nearly always the same one; the sample must then decode to text with commas or line breaks and no other
    control characters (a binary file with zeros does not)."""
    if data.startswith(b"\xff\xfe") and not data.startswith(b"\xff\xfe\x00\x00"):
        return "UTF-16LE"
    if data.startswith(b"\xfe\xff"):
        return "UTF-16BE"
    sample = data[:4096]
    sample = sample[:len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    pairs = len(sample) // 2
    # (a few zeros on the other side: characters such as U+3000, the ideographic space)
    if zeros_odd * 3 >= pairs and zeros_even * 8 <= zeros_odd:
        encoding = "utf-16-le"
    elif zeros_even * 3 >= pairs and zeros_odd * 8 <= zeros_even:
        encoding = "utf-16-be"
    else:
        return None
    text = sample.decode(encoding, errors="replace")
    if ("," not in text and "\n" not in text) or _TEXT_CONTROLS.search(text):
        return None
    return "UTF-16LE" if encoding == "utf-16-le" else "UTF-16BE"


def _decode(data: bytes, sink: _Sink) -> Optional[str]:
    """Strict cp932 with findings; returns the text (bad bytes replaced) or None when unusable."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        if not data.isascii():
            sink.add("E-ENC-003")
            return None
        sink.add("W-ENC-002")
    try:
        text = data.decode("cp932")
        first_error = None
    except UnicodeDecodeError as exc:
        text = None
        first_error = exc
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            # Valid UTF-8 with multi-byte characters: Excel or a text editor re-saved it as UTF-8.
            sink.add("E-ENC-003")
            return None
    if first_error is not None:
        # Name each bad byte (up to the cap), resuming after the last one found.
        bad, count = first_error.start, 0
        while bad is not None and count <= MAX_SAME:
            line, column = _locate(data, bad)
            sink.add("E-ENC-001", row=line, line=line, column=column,
                     value=data[bad:bad + 2].hex(" ").upper(), offset=bad)
            count += 1
            try:
                data[bad + 1:].decode("cp932")
                bad = None
            except UnicodeDecodeError as exc:
                bad = bad + 1 + exc.start
        text = data.decode("cp932", errors="replace")
    return text


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
#: Characters str.splitlines() also breaks at, which csv and io.StringIO(newline="") do not.
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def _lines(text: str):
    """The lines of ``text`` with their endings, split as ``io.StringIO(text, newline="")`` splits
    them (CRLF, CR or LF). Not a StringIO: that copies the whole text as UCS-4, four bytes a
    character, the biggest single allocation for the largest file the relay takes. ``splitlines`` is
    fastest and keeps each line in its own narrowest form; only when the text holds one of the other
    characters it breaks at (form feed, U+2028 …) are lines cut one at a time by a pattern."""
    if _OTHER_BREAKS.search(text) is None:
        return iter(text.splitlines(True))
    return map(_group0, _LINE.finditer(text))


def _group0(match: "re.Match[str]") -> str:
    return match.group()


class _Records:
    """Where records come from: the text, parsed again each time it is walked (the fast path keeps no
    rows in memory), or, when the CSV is broken somewhere, a list made once (None = a broken record)."""

    def __init__(self, text: str, rows: Optional[List[Optional[List[str]]]] = None):
        self.text = text
        self.rows = rows

    @property
    def intact(self) -> bool:
        return self.rows is None

    def __iter__(self):
        if self.rows is not None:
            return iter(self.rows)
        return csv.reader(_lines(self.text), strict=True)


def _broken_records(text: str, sink: _Sink) -> Tuple[List[Optional[List[str]]], List[int]]:
    """All records, None where one is broken (with a finding), and each record's first line."""
    reader = csv.reader(_lines(text), strict=True)
    rows: List[Optional[List[str]]] = []
    lines: List[int] = []
    prev = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            msg = str(exc)
            code = "E-CSV-003" if ("end of data" in msg or "field limit" in msg) else "E-CSV-001"
            sink.add(code, row=len(rows) + 1, line=prev + 1)
            rows.append(None)
            lines.append(prev + 1)
            if reader.line_num <= prev:
                break
            prev = reader.line_num
            continue
        rows.append(row)
        lines.append(prev + 1)
        prev = reader.line_num
    return rows, lines


def _record_lines(text: str) -> List[int]:
    """First physical line of each record (only computed when a finding needs it)."""
    reader = csv.reader(_lines(text))
    lines, prev = [], 0
    try:
        for _ in reader:
            lines.append(prev + 1)
            prev = reader.line_num
    except csv.Error:
        pass
    return lines


def _looks_like_header(row: List[str]) -> bool:
    first = row[0] if row else ""
    return bool(first) and not any(ch.isdigit() for ch in first)


#: Records are scanned in chunks of this many: large enough for C-speed set building, small enough
#: that a 30 MB file never sits in memory as 100,000 Python lists at once, and below the cyclic
#: collector's first threshold (700 new containers): a chunk's rows are freed before a collection
#: would scan them, so the collector costs next to nothing here without being switched off (turning
#: it off is process-wide and would stall every other thread of a long-running app).
_CHUNK = 512

#: A group of columns whose combinations a check needs, and when a chunk needs them collected
#: (a test on that chunk's distinct values; None = always).
Group = Tuple[Tuple[int, ...], Optional[Callable[[Dict[int, Set[str]]], bool]]]


def _len(row: Optional[List[str]]) -> int:
    return -1 if row is None else len(row)


class _Table:
    """One pass over a file's records, keeping only what the checks need.

    For every column it keeps the set of distinct values; for declared column groups, the set of
    distinct combinations. Checks look only at these sets. A check that finds a bad value *flags* it;
    ``emit`` then walks the records once more to say which rows hold flagged values. A clean file is
    therefore parsed once and never held in memory whole.
    """

    def __init__(self, records: _Records, layout: Layout, skip: int, groups: Sequence[Group],
                 first_data: Optional[List[str]]):
        self.records = records
        self.layout = layout
        self.width = width = layout.width
        self.first_data = first_data
        self.skip = skip
        self.count = 0
        self.widths: Counter = Counter()
        self.other_widths: List[Tuple[int, int]] = []   # (record no, width) of misfit records
        self.blank: List[int] = []
        self.last_good = 0
        self._distinct: List[Set[str]] = [set() for _ in range(width)]
        self._tuples: Dict[Tuple[int, ...], Set[tuple]] = {idx: set() for idx, _ in groups}
        self._flags: List[tuple] = []
        self._tuple_flags: List[tuple] = []
        self._scan(groups)

    def _records_after_skip(self):
        it = iter(self.records)
        for _ in range(self.skip):
            next(it, None)
        return it

    def _scan(self, groups: Sequence[Group]) -> None:
        it = self._records_after_skip()
        width = self.width
        getters = [itemgetter(i) for i in range(width)]
        sizer = len if self.records.intact else _len
        record_no = self.skip
        while True:
            chunk = list(islice(it, _CHUNK))
            if not chunk:
                break
            start, record_no = record_no, record_no + len(chunk)
            lens = Counter(map(sizer, chunk))
            self.widths.update(lens)
            if lens.get(width) == len(chunk):
                good = chunk
                self.last_good = record_no
            else:
                good = []
                for n, r in enumerate(chunk, start + 1):
                    if r is None:
                        continue
                    if len(r) == width:
                        good.append(r)
                        self.last_good = n
                    elif not r:
                        self.blank.append(n)
                    else:
                        self.other_widths.append((n, len(r)))
                if not good:
                    continue
            self.count += len(good)
            seen = {}
            for i, get in enumerate(getters):
                values = set(map(get, good))
                self._distinct[i] |= values
                seen[i] = values
            for idx, wanted in groups:
                if wanted is None or wanted(seen):
                    self._tuples[idx].update(zip(*(map(getters[i], good) for i in idx)))

    def distinct(self, i: int) -> Set[str]:
        return self._distinct[i]

    def tuple_set(self, idx: Tuple[int, ...]) -> Set[tuple]:
        """Distinct combinations of a declared column group (only chunks that needed them)."""
        return self._tuples[idx]

    def flag(self, fld: Field, bad: Mapping[str, Tuple[str, dict]], col: Optional[int] = None) -> None:
        """Values of one column that are wrong: (code, params) per value."""
        self._flags.append((fld.no - 1 if col is None else col, fld, bad))

    def flag_tuples(self, fld: Field, bad: Set[tuple], idx: Tuple[int, ...], code: str,
                    value: Callable[[tuple], str], **params) -> None:
        """Combinations of several columns that are wrong, reported at ``fld``."""
        self._tuple_flags.append((fld, bad, itemgetter(*idx), code, value, params))

    def emit(self, sink: _Sink) -> None:
        """One more walk over the records, placing a finding on every row with a flagged value."""
        if not (self._flags or self._tuple_flags):
            return
        width = self.width
        for n, r in enumerate(self._records_after_skip(), self.skip + 1):
            if r is None or len(r) != width:
                continue
            for col, fld, bad in self._flags:
                hit = bad.get(r[col])
                if hit is not None:
                    code, params = hit
                    v = r[col]
                    if "value" in params:
                        params = dict(params)
                        v = params.pop("value")
                    sink.add(code, row=n, column=fld.no, field_name=fld.name, value=v, **params)
            for fld, bad, get, code, value, params in self._tuple_flags:
                t = get(r)
                if t in bad:
                    sink.add(code, row=n, column=fld.no, field_name=fld.name, value=value(t), **params)


def validate_file(data: bytes, filename: str, *,
                  registered_services: Optional[Mapping[str, Iterable[str]]] = None,
                  sender_sites: Iterable[str] = ()) -> FileReport:
    """Check one file. ``registered_services`` maps an office number to the service-type codes it is
    registered for (from the relay's directory or the office settings), when known.
    ``sender_sites`` are the other office numbers the sender has registered as its own (a provider
    with several sites): 実績 rows of those sites may travel in its file (else E-ROW-031)."""
    return _validate_file(data, filename, registered_services, frozenset(sender_sites))


def _validate_file(data: bytes, filename: str,
                   registered_services: Optional[Mapping[str, Iterable[str]]],
                   sender_sites: FrozenSet[str] = frozenset()) -> FileReport:
    parsed, name_findings = parse_filename(filename)
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    kind = parsed.kind if parsed else kind_of(base)
    report = FileReport(base, parsed, kind)
    sink = _Sink(base)
    sink.findings.extend(name_findings)
    if parsed and registered_services:
        _check_registered_name(parsed, registered_services, sink)

    if not data:
        sink.add("E-FILE-002")
        report.findings = sink.close()
        return report
    if kind is not None and kind.extension == "jpg":
        if not data.startswith(b"\xff\xd8\xff"):
            sink.add("E-FILE-003")
        report.findings = sink.close()
        return report
    utf16 = _utf16(data)
    if utf16 is not None:
        # A CSV all the same, saved as "Unicode text": say so, not "this is not a CSV".
        sink.add("E-ENC-005", value=utf16)
        report.findings = sink.close()
        return report
    if b"\x00" in data[:65536] or data.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        sink.add("E-FILE-001")
        report.findings = sink.close()
        return report

    text = _decode(data, sink)
    if text is None or kind is None:
        report.findings = sink.close()
        return report

    records = _Records(text)
    lines: Optional[List[int]] = None
    try:
        first = next(_head(records), None)
        table = _scan(records, first, kind, parsed, sink)
    except csv.Error:
        rows, lines = _broken_records(text, sink)
        records = _Records(text, rows)
        table = _scan(records, rows[0] if rows else None, kind, parsed, sink)
    layout = report.layout = table.layout
    misfits = table.other_widths
    trailing = [n for n, w in misfits if w == table.width + 1]
    if trailing and table.first_data is not None and len(table.first_data) == table.width + 1 \
            and table.first_data[-1] == "":
        # Every record ends in an extra comma: one finding for the file, not one per row.
        sink.add("E-CSV-006", row=trailing[0], value=str(len(trailing)), expected=table.width,
                 kind_name=kind.name_ja)
        misfits = [(n, w) for n, w in misfits if w != table.width + 1]
    for n, w in misfits:
        sink.add("E-CSV-002", row=n, value=str(w), expected=table.width, kind_name=kind.name_ja)
    for n in table.blank:
        if n < table.last_good:  # trailing blank lines are harmless
            sink.add("W-CSV-005", row=n)
    report.records = table.count
    if not table.count:
        if not any(f.code.startswith(("E-CSV", "E-ENC")) for f in sink.findings):
            sink.add("E-FILE-002")
        report.findings = _finish(sink, text, lines)
        return report

    _check_columns(layout, table)
    _check_versions(layout, parsed, table, sink)
    if parsed is not None:
        _check_against_name(layout, parsed, table, sink, registered_services, sender_sites)
    _check_rows(layout, table, parsed, sink)
    report.keys = frozenset(table.tuple_set(_key_columns(layout, parsed)))
    versions = table.distinct(0)
    report.csv_version = next(iter(versions)) if len(versions) == 1 else None
    table.emit(sink)
    report.findings = _finish(sink, text, lines)
    return report


def _head(records: _Records):
    """Records from the start of the file without copying all of it: io.StringIO holds its text as
    UCS-4, four bytes a character, so a reader over the whole text costs four times its length."""
    if records.rows is not None:
        return iter(records.rows)
    return csv.reader(io.StringIO(records.text[:65536], newline=""))


def _first_data_record(records: _Records, skip: int) -> Optional[List[str]]:
    it = _head(records)
    for _ in range(skip):
        next(it, None)
    try:
        return next((r for r in it if r), None)
    except csv.Error:  # a record cut at the 64 KiB boundary: the name's form decides instead
        return None


def _scan(records: _Records, first: Optional[List[str]], kind: FileKind, parsed: Optional[ParsedName],
          sink: _Sink) -> _Table:
    """Pick the layout (by the first record's width, else the name's form) and scan the records."""
    skip = 0
    # A header row is not part of the standard; tolerate it, never emit one.
    if first and _looks_like_header(first):
        sink.add("W-CSV-004", row=1, value=",".join(first)[:40])
        skip = 1
    layouts = layouts_for(kind.prefix)
    form = parsed.form if parsed else "V4"
    by_width: Dict[int, Layout] = {}
    for lay in sorted(layouts, key=lambda lay: lay.revision != form):  # the name's form first
        by_width.setdefault(lay.width, lay)
    first_data = _first_data_record(records, skip)
    default = next((lay for lay in layouts if lay.revision == form), layouts[0])
    layout = by_width.get(_len(first_data), default)
    table = _Table(records, layout, skip, _groups(layout, parsed), first_data)
    # The first record may be the odd one out: go with the width most records have.
    best = max(((table.widths[w], w) for w in by_width if table.widths[w]), default=None)
    if best is not None and best[1] != layout.width and best[0] > table.count:
        layout = by_width[best[1]]
        table = _Table(records, layout, skip, _groups(layout, parsed), first_data)
    return table


def _finish(sink: _Sink, text: str, lines: Optional[List[int]]) -> List[Finding]:
    findings = sink.close()
    if not any(f.row is not None and f.line is None for f in findings):
        return findings
    if lines is None:
        # Records and lines coincide unless a quoted field holds a line break.
        if '"' in text and ("\n" in text) and _has_quoted_newline(text):
            lines = _record_lines(text)
    out = []
    for f in findings:
        if f.row is not None and f.line is None:
            line = lines[f.row - 1] if lines and f.row - 1 < len(lines) else f.row
            f = Finding(f.code, f.file, f.row, f.column, f.field, f.value, line, f.params)
        out.append(f)
    return out


def _has_quoted_newline(text: str) -> bool:
    for m in re.finditer(r'"(?:[^"]|"")*"', text):
        if "\n" in m.group() or "\r" in m.group():
            return True
    return False


def _check_columns(layout: Layout, table: _Table) -> None:
    for i, (fld, check) in enumerate(zip(layout.fields, _compiled(layout))):
        bad = {}
        for v in table.distinct(i):
            hit = check(v)
            if hit is not None:
                bad[v] = hit
        if bad:
            table.flag(fld, bad)


def _check_versions(layout: Layout, parsed: Optional[ParsedName], table: _Table, sink: _Sink) -> None:
    versions = sorted(table.distinct(0))
    fld = layout.fields[0]
    if len(versions) > 1:
        sink.add("E-VER-002", column=1, field_name=fld.name, value="、".join(versions))
        return
    version = versions[0]
    if not (len(version) == 6 and version.isdigit()):
        return  # already a field finding
    if version not in ACCEPTED_VERSIONS:
        sink.add("W-VER-003", column=1, field_name=fld.name, value=version)
    revisions = {lay.width for lay in layouts_for(layout.prefix)}
    content_v4 = version in V4_VERSIONS
    if len(revisions) > 1 and content_v4 != (layout.revision == "V4"):
        expected = V4_VERSIONS if layout.revision == "V4" else ACCEPTED_VERSIONS - V4_VERSIONS
        sink.add("E-VER-004", column=1, field_name=fld.name, value=version, width=layout.width,
                 expected="、".join(sorted(expected)))
    elif parsed is not None and (parsed.form == "V4") != content_v4 and version in ACCEPTED_VERSIONS:
        sink.add("W-VER-005", column=1, field_name=fld.name, value=version, form=parsed.form)


def _col(layout: Layout, name: str) -> Optional[int]:
    for f in layout.fields:
        if f.name == name:
            return f.no - 1
    return None


#: The provider column of 実績 files: a row of another provider would be imported by the care
#: manager's software as that provider's actuals under the sender's name, so it blocks sending.
_ACTUALS_PROVIDER = {"UPJSK": "サービス事業者コード", "DLTJSK": "サービス事業者コード"}


def _check_against_name(layout: Layout, parsed: ParsedName, table: _Table, sink: _Sink,
                        registered: Optional[Mapping[str, Iterable[str]]],
                        sender_sites: FrozenSet[str] = frozenset()) -> None:
    fields = layout.fields
    # The month in the rows must be the month in the name (one month per file).
    if parsed.month is not None:
        for f in fields:
            if "=month" in f.rules:
                bad = {v: ("E-ROW-001", {"expected": parsed.month})
                       for v in table.distinct(f.no - 1) if v != parsed.month and v != ""}
                if bad:
                    table.flag(f, bad)
    # Parties named in the rows should be the parties in the name.
    for name, role in PARTY_COLUMNS.get(parsed.prefix, {}).items():
        i = _col(layout, name)
        if i is None:
            continue
        expected = parsed.sender if role == "sender" else parsed.recipient
        if _ACTUALS_PROVIDER.get(parsed.prefix) == name:
            bad = {v: ("E-ROW-031", {"expected": expected})
                   for v in table.distinct(i) if v and v != expected and v not in sender_sites}
        else:
            bad = {v: ("W-ROW-030", {"expected": expected, "role": role})
                   for v in table.distinct(i) if v and v != expected}
        if bad:
            table.flag(fields[i], bad)

    code_i = _col(layout, "サービスコード")
    provider_i = _col(layout, "サービス事業者コード")
    if parsed.prefix == "UPPLAN" and parsed.recipient_service and code_i is not None:
        # The real case from the field: the care software wrote the wrong service-type code.
        pairs = table.tuple_set((provider_i, code_i))
        types = sorted({c[:2] for p, c in pairs if p == parsed.recipient and len(c) == 6})
        if not types:
            sink.add("W-ROW-021", column=provider_i + 1, field_name=fields[provider_i].name,
                     value=parsed.recipient)
        elif parsed.recipient_service not in types:
            related = code_tables.RELATED_TYPES.get(parsed.recipient_service, frozenset())
            code = "W-ROW-023" if related & set(types) else "E-ROW-020"
            sink.add(code, column=code_i + 1, field_name=fields[code_i].name,
                     value=parsed.recipient_service, found="、".join(types))
    if parsed.prefix in ("UPJSK", "DLTJSK") and parsed.sender_service:
        i = code_i if code_i is not None else _col(layout, "サービス種類コード")
        allowed = {parsed.sender_service}
        if registered and parsed.sender in registered:
            allowed |= set(registered[parsed.sender])
        related = code_tables.RELATED_TYPES.get(parsed.sender_service, frozenset())
        bad = {v: ("W-ROW-024" if v[:2] in related else "E-ROW-022", {"expected": parsed.sender_service})
               for v in table.distinct(i) if len(v) >= 2 and v[:2] not in allowed}
        if bad:
            table.flag(fields[i], bad)


def _check_registered_name(parsed: ParsedName, registered: Mapping[str, Iterable[str]],
                           sink: _Sink) -> None:
    for role, office, svc in (("recipient", parsed.recipient, parsed.recipient_service),
                              ("sender", parsed.sender, parsed.sender_service)):
        if svc is None or office not in registered:
            continue
        offered = sorted(set(registered[office]))
        if offered and svc not in offered:
            sink.add("E-NAME-015", value=svc, office=office, role=role, offered="、".join(offered))


def _check_rows(layout: Layout, table: _Table, parsed: Optional[ParsedName], sink: _Sink) -> None:
    fields = layout.fields
    prefix = layout.prefix
    if prefix in ("UPPLAN", "UPJSK"):
        month_i, day_i = _col(layout, "対象年月"), _col(layout, "サービス利用日")
        if parsed is not None and parsed.month:
            bad = {d: ("E-ROW-002", {"month": parsed.month})
                   for d in table.distinct(day_i) if _is_date(d) and d[:6] != parsed.month}
            if bad:
                table.flag(fields[day_i], bad)
        else:
            odd = {(m, d) for m, d in table.tuple_set((month_i, day_i)) if _is_date(d) and d[:6] != m}
            if odd:
                table.flag_tuples(fields[day_i], odd, (month_i, day_i), "E-ROW-002",
                             lambda t: t[1])
        start_i, end_i = _col(layout, "サービス開始時刻"), _col(layout, "サービス終了時刻")
        odd = set()
        if "9999" in table.distinct(start_i) or "9999" in table.distinct(end_i):
            odd = {p for p in table.tuple_set((start_i, end_i))
                   if (p[0] == "9999") != (p[1] == "9999") and p[0] and p[1]}
        if odd:
            table.flag_tuples(fields[end_i], odd, (start_i, end_i), "W-ROW-006",
                         lambda t: f"{t[0]}-{t[1]}")
    if prefix in ("UPPLAN", "UPJSK", "UPSIKYU") and layout.revision == "V4":
        idx = (_col(layout, "サービスコード"), _col(layout, "TAISコード"), _col(layout, "福祉用具届出コード"))
        rental = any(c[:2] in code_tables.WELFARE_EQUIPMENT_TYPES for c in table.distinct(idx[0]))
        bad = {t for t in (table.tuple_set(idx) if rental else ())
               if t[0][:2] in code_tables.WELFARE_EQUIPMENT_TYPES and len(t[0]) == 6
               and t[0][2:] not in code_tables.SUBTOTAL_SUFFIXES and not t[1] and not t[2]}
        if bad:
            table.flag_tuples(fields[idx[1]], bad, idx, "E-ROW-007", lambda t: t[0])
    if prefix == "UPSIKYU":
        code_i, office_i = _col(layout, "サービスコード"), _col(layout, "サービス事業所コード")
        if code_tables.GRAND_TOTAL_CODE not in table.distinct(code_i):
            sink.add("E-ROW-004", column=code_i + 1, field_name=fields[code_i].name)
        else:
            bad = {t for t in table.tuple_set((code_i, office_i))
                   if t[0] == code_tables.GRAND_TOTAL_CODE and t[1] != code_tables.GRAND_TOTAL_OFFICE}
            if bad:
                table.flag_tuples(fields[office_i], bad, (code_i, office_i), "E-ROW-005",
                             lambda t: t[1], expected=code_tables.GRAND_TOTAL_OFFICE)
    if prefix == "UPHOSOKU" and parsed is not None and parsed.month is not None:
        if parsed.month == "000000":
            bad = {v: ("E-ROW-003", {"expected": "YYYYMMDD"}) for v in table.distinct(3) if v == "00000000"}
        else:
            bad = {v: ("E-ROW-003", {"expected": "00000000"}) for v in table.distinct(3) if v != "00000000"}
        if bad:
            table.flag(fields[3], bad)


def _key_columns(layout: Layout, parsed: Optional[ParsedName]) -> Tuple[int, ...]:
    if layout.prefix == "UPHOSOKU":
        # Belongs to 第1表 (month 000000): keyed by 作成（変更）日; to 第6表: by 対象年月.
        plan_set = parsed is not None and parsed.month == "000000"
        return (1, 2, 3 if plan_set else 62)
    return layout.key_columns()


def _groups(layout: Layout, parsed: Optional[ParsedName]) -> List[Group]:
    """The column combinations the checks of this layout will ask for, declared before the scan."""
    groups: List[Group] = [(_key_columns(layout, parsed), None)]
    prefix = layout.prefix
    code_i = _col(layout, "サービスコード")
    if prefix == "UPPLAN":
        groups.append(((_col(layout, "サービス事業者コード"), code_i), None))
    if prefix in ("UPPLAN", "UPJSK"):
        start_i, end_i = _col(layout, "サービス開始時刻"), _col(layout, "サービス終了時刻")
        groups.append(((start_i, end_i), lambda seen: "9999" in seen[start_i] or "9999" in seen[end_i]))
        if parsed is None or not parsed.month:  # else the name's month is checked, value by value
            groups.append(((_col(layout, "対象年月"), _col(layout, "サービス利用日")), None))
    if prefix in ("UPPLAN", "UPJSK", "UPSIKYU") and layout.revision == "V4":
        idx = (code_i, _col(layout, "TAISコード"), _col(layout, "福祉用具届出コード"))
        groups.append((idx, lambda seen: any(c[:2] in code_tables.WELFARE_EQUIPMENT_TYPES
                                             for c in seen[code_i])))
    if prefix == "UPSIKYU":
        office_i = _col(layout, "サービス事業所コード")
        groups.append(((code_i, office_i), lambda seen: code_tables.GRAND_TOTAL_CODE in seen[code_i]))
    return groups


# --- sets of files: bundle rules ---------------------------------------------------------------

def validate_set(reports: Sequence[FileReport]) -> List[Finding]:
    """Check files meant to be sent together against the bundle rules ([V4-spec] 2.4, 2.3).

    Files are grouped into bundles by their parties and serial (ファイル連番). Returns findings about
    the set; each names the file it concerns.
    """
    findings: List[Finding] = []
    bundles: Dict[tuple, List[FileReport]] = defaultdict(list)
    for r in reports:
        if r.parsed is not None:
            bundles[r.parsed.bundle_key].append(r)

    for key, members in sorted(bundles.items(), key=lambda kv: kv[0][4]):
        by_prefix: Dict[str, List[FileReport]] = defaultdict(list)
        for r in members:
            by_prefix[r.parsed.prefix].append(r)
        serial = key[4]
        for prefix, same in by_prefix.items():
            if len(same) > 1 and prefix != "UPKIHON_IMAGE":
                for r in same[1:]:
                    findings.append(make("E-BND-003", r.filename, value=prefix, serial=serial))
        groups = {r.parsed.group for r in members}
        for r in members:
            p = r.parsed
            kind = p.kind
            if kind.group == "alone" and len(members) > 1:
                others = "、".join(sorted(m.filename for m in members if m is not r))
                findings.append(make("E-BND-002", r.filename, value=kind.name_ja, others=others,
                                     serial=serial))
                continue
            if len(groups) > 1 and kind.group != "alone":
                findings.append(make("E-BND-008", r.filename, serial=serial,
                                     value=p.month or ""))
            present = set(by_prefix)
            for need in _requires(p):
                if need not in present:
                    findings.append(make("E-BND-001", r.filename, value=need,
                                         need_name=KINDS[need].name_ja, serial=serial))
        months = {r.parsed.month for r in members if r.parsed.month not in (None, "000000")}
        if len(months) > 1:
            for r in members:
                if r.parsed.month in months:
                    findings.append(make("E-BND-004", r.filename, value=r.parsed.month,
                                         months="、".join(sorted(months))))
        findings.extend(_check_links(by_prefix))

    findings.extend(_check_superseded(reports))
    return findings


def _requires(p: ParsedName) -> Tuple[str, ...]:
    if p.prefix == "UPHOSOKU":
        return ("UP1KYO",) if p.month == "000000" else ("UPPLAN",)
    return p.kind.requires(p.form)


# Parent kind → dependant kinds whose records must each belong to a parent record.
_LINKS = {
    "UP1KYO": ("UP2KYO", "UP3KYO", "UPHOSOKU"),
    "UPPLAN": ("UPSIKYU", "UPHOSOKU"),
    "UPKIHON": ("UPKIHON_SUB1", "UPKIHON_SUB2"),
    "UPYOBO": ("UPYOBO_SUB",),
}


def _check_links(by_prefix: Mapping[str, List[FileReport]]) -> List[Finding]:
    out: List[Finding] = []
    for parent, dependants in _LINKS.items():
        if parent not in by_prefix:
            continue
        parent_keys: Set[tuple] = set()
        for r in by_prefix[parent]:
            parent_keys |= r.keys
        for dep in dependants:
            for r in by_prefix.get(dep, ()):
                if r.layout is None:
                    continue
                for k in sorted(r.keys - parent_keys)[:MAX_SAME]:
                    out.append(make("E-BND-005", r.filename, value=_key_text(k),
                                    parent=KINDS[parent].name_ja))
        if parent == "UPPLAN" and "UPSIKYU" in by_prefix:
            dep_keys: Set[tuple] = set()
            for r in by_prefix["UPSIKYU"]:
                dep_keys |= r.keys
            for r in by_prefix[parent]:
                for k in sorted(r.keys - dep_keys)[:MAX_SAME]:
                    out.append(make("W-BND-006", r.filename, value=_key_text(k),
                                    dependant=KINDS["UPSIKYU"].name_ja))
    return out


def _key_text(key: Tuple[str, ...]) -> str:
    # 保険者番号 / 被保険者番号 / date or month. The 被保険者番号 is masked: findings end up in logs.
    insurer, insured, third = (tuple(key) + ("", "", ""))[:3]
    masked = insured[:2] + "*" * max(0, len(insured) - 4) + insured[-2:] if len(insured) > 4 else insured
    return f"{insurer}/{masked}/{third}"


def _check_superseded(reports: Sequence[FileReport]) -> List[Finding]:
    """Two files of one kind, parties and month with different serials: the newer replaces the older."""
    seen: Dict[tuple, List[FileReport]] = defaultdict(list)
    for r in reports:
        p = r.parsed
        if p is not None and not p.kind.is_deletion and p.kind.extension == "csv":
            seen[(p.prefix, p.sender, p.sender_service, p.recipient, p.recipient_service, p.month)].append(r)
    out = []
    for same in seen.values():
        serials = sorted({r.parsed.serial for r in same})
        if len(serials) > 1:
            for r in same:
                if r.parsed.serial != serials[-1]:
                    out.append(make("W-BND-009", r.filename, value=r.parsed.serial, newer=serials[-1]))
    return out
