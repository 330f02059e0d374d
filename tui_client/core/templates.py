"""Note templates: the two notes the national exchange cannot carry (利用なし, 限度額超過) as data.

A template is a TOML data file (``template_data/*.toml`` beside this module for the built-ins; an
office's or a trainer's own in ``<office home>/templates/``, see docs/templates.md): its fields
(each with a kind that says how it is checked), cross-field checks, and the subject and body of the
message in polite plain Japanese with ``{field}`` placeholders. ``fill`` checks every value and
renders the note; ``render_pdf`` lays the note out on one page. ``nil_usage_candidates`` and
``over_limit_candidates`` propose the values from the files of the month, read with the same record
parsing as the preview (``core.preview``), never a second CSV parser.

Pure: text and bytes in, values and findings out. A malformed template file or a bad value is a
finding (file, line, field, the fix), never an exception. No Textual, no network; the only disk read
is ``load_templates`` reading the template files it is given. reportlab is imported inside
``render_pdf`` only.
"""

from __future__ import annotations

import re
import string
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from tui_client.core import wareki
from tui_client.core.findings import Finding, make
from tui_client.core.spec import codes as code_tables

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.9/3.10
    import tomli as tomllib

#: The built-in templates: data files installed with the package (pyproject's package-data).
BUILTIN_DIR = Path(__file__).resolve().parent / "template_data"
#: The kinds of field a template may use; each has its check and its display form below.
KINDS = ("text", "insured_number", "month", "units", "office", "service")
#: Cross-field rules: ``difference`` (a − b == c), ``positive`` (each field > 0).
RULES = {"difference": 3, "positive": None}
#: A template file is a page of text; anything bigger is not one.
MAX_FILE_BYTES = 64 * 1024
MAX_TEXT = 200
MAX_UNITS_DIGITS = 7

NIL_USAGE = "nil_usage"
OVER_LIMIT = "over_limit"


@dataclass(frozen=True)
class TemplateField:
    name: str
    label: str
    kind: str
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class TemplateCheck:
    rule: str                    # a key of RULES
    fields: Tuple[str, ...]


@dataclass(frozen=True)
class Template:
    id: str
    title: str
    fields: Tuple[TemplateField, ...]
    subject: str = ""
    body: str = ""
    description: str = ""
    aliases: Tuple[str, ...] = ()
    checks: Tuple[TemplateCheck, ...] = ()
    source: str = ""             # the data file it came from ("" for a template made in code)
    builtin: bool = False

    def field(self, name: str) -> Optional[TemplateField]:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def names(self) -> Tuple[str, ...]:
        """Every name the template answers to: id, title, aliases."""
        return (self.id, self.title) + self.aliases


@dataclass(frozen=True)
class Note:
    template_id: str
    subject: str
    text: str
    values: Mapping[str, str]
    title: str = ""              # the template's title, the heading of the PDF


# --- loading ------------------------------------------------------------------------------------

_TOML_AT = re.compile(r"at line (\d+), column (\d+)")


def _line_of(text: str, key: str, table: str = "", nth: int = 0) -> Optional[int]:
    """The line where ``key = …`` is written (inside the ``nth`` ``[[table]]`` when given)."""
    lines = text.splitlines()
    start = 0
    if table:
        heads = [i for i, ln in enumerate(lines) if ln.strip() == f"[[{table}]]"]
        if nth >= len(heads):
            return heads[-1] + 1 if heads else None
        start = heads[nth]
        end = heads[nth + 1] if nth + 1 < len(heads) else len(lines)
    else:
        end = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith("[")), len(lines))
        start = -1 if end == 0 else 0
    pattern = re.compile(r"\s*" + re.escape(key) + r"\s*=")
    for i in range(max(start, 0), end):
        if pattern.match(lines[i]):
            return i + 1
    return start + 1 if table else 1


def _placeholders(text: str) -> Tuple[List[str], str]:
    """The field names a subject or body refers to, and a parse problem ("" when none)."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        return [], str(exc)
    return names, ""


class _Reader:
    """One template file's document turned into a Template, every problem a finding."""

    def __init__(self, path: str, text: str, doc: dict):
        self.path, self.text, self.doc = path, text, doc
        self.findings: List[Finding] = []

    def bad(self, code: str, key: str, table: str = "", nth: int = 0, **params) -> None:
        self.findings.append(make(code, self.path, line=_line_of(self.text, key, table, nth),
                                  field=key, **params))

    def string(self, d: dict, key: str, table: str = "", nth: int = 0, required: bool = True) -> str:
        value = d.get(key)
        if value is None:
            if required:
                self.bad("E-TPL-003", key, table, nth)
            return ""
        if not isinstance(value, str):
            self.bad("E-TPL-008", key, table, nth, expected="文字列")
            return ""
        return value.strip("\n") if key == "body" else value.strip()

    def template(self, builtin: bool) -> Optional[Template]:
        d = self.doc
        tid = self.string(d, "id")
        if tid and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", tid):
            self.bad("E-TPL-010", "id", value=tid)
        title = self.string(d, "title")
        aliases = d.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            self.bad("E-TPL-008", "aliases", expected="文字列のリスト")
            aliases = []
        fields = self.fields()
        names = {f.name for f in fields}
        checks = self.checks(fields)
        subject = self.string(d, "subject")
        body = self.string(d, "body")
        for key, text in (("subject", subject), ("body", body)):
            used, problem = _placeholders(text)
            if problem:
                self.bad("E-TPL-012", key, reason=problem)
            for name in dict.fromkeys(used):
                if name not in names:
                    self.bad("E-TPL-006", key, value=name)
        if self.findings:
            return None
        return Template(tid, title, tuple(fields), subject, body, self.string(d, "description", required=False),
                        tuple(a.strip() for a in aliases if a.strip()), tuple(checks), self.path, builtin)

    def fields(self) -> List[TemplateField]:
        raw = self.doc.get("fields")
        if not isinstance(raw, list) or not raw or not all(isinstance(x, dict) for x in raw):
            self.bad("E-TPL-003" if raw is None else "E-TPL-008", "fields", expected="[[fields]] の表")
            return []
        out, seen = [], set()
        for i, fd in enumerate(raw):
            name = self.string(fd, "name", "fields", i)
            label = self.string(fd, "label", "fields", i)
            kind = self.string(fd, "kind", "fields", i)
            if kind and kind not in KINDS:
                self.bad("E-TPL-004", "kind", "fields", i, value=kind, allowed="、".join(KINDS))
            if name and not name.isidentifier():
                self.bad("E-TPL-010", "name", "fields", i, value=name)
            elif name in seen:
                self.bad("E-TPL-011", "name", "fields", i, value=name)
            seen.add(name)
            required = fd.get("required", True)
            if not isinstance(required, bool):
                self.bad("E-TPL-008", "required", "fields", i, expected="true または false")
                required = True
            out.append(TemplateField(name, label, kind, required,
                                     self.string(fd, "help", "fields", i, required=False)))
        return out

    def checks(self, fields: List[TemplateField]) -> List[TemplateCheck]:
        raw = self.doc.get("checks", [])
        if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
            self.bad("E-TPL-008", "checks", expected="[[checks]] の表")
            return []
        out = []
        kinds = {f.name: f.kind for f in fields}
        for i, cd in enumerate(raw):
            rule = self.string(cd, "rule", "checks", i)
            fields = cd.get("fields")
            if rule and rule not in RULES:
                self.bad("E-TPL-007", "rule", "checks", i, value=rule)
                continue
            if not isinstance(fields, list) or not fields or not all(isinstance(x, str) for x in fields):
                self.bad("E-TPL-008", "fields", "checks", i, expected="項目名のリスト")
                continue
            if rule and RULES[rule] is not None and len(fields) != RULES[rule]:
                self.bad("E-TPL-007", "fields", "checks", i, value=f"{rule}: {','.join(fields)}")
                continue
            unknown = [x for x in fields if x not in kinds]
            if unknown:
                self.bad("E-TPL-006", "fields", "checks", i, value=",".join(unknown))
                continue
            if any(kinds[x] != "units" for x in fields):      # the rules compare numbers of units
                self.bad("E-TPL-007", "fields", "checks", i, value=f"{rule}: {','.join(fields)}")
                continue
            out.append(TemplateCheck(rule, tuple(fields)))
        return out


def read_template(path: Path, *, builtin: bool = False) -> Tuple[Optional[Template], List[Finding]]:
    """One template file: the Template, or None and the findings that say what to fix and where."""
    name = str(path)
    try:
        raw = path.read_bytes()[:MAX_FILE_BYTES + 1]
    except OSError as exc:
        return None, [make("E-TPL-001", name, reason=exc.strerror or type(exc).__name__)]
    if len(raw) > MAX_FILE_BYTES:
        return None, [make("E-TPL-001", name, reason=f"{MAX_FILE_BYTES // 1024} KB を超えています")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [make("E-TPL-009", name, line=raw[:exc.start].count(b"\n") + 1)]
    return parse_template(text, name, builtin=builtin)


def parse_template(text: str, name: str = "", *, builtin: bool = False) -> Tuple[Optional[Template], List[Finding]]:
    """A template from the text of a data file (``name`` is where it came from, for findings)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = _TOML_AT.search(str(exc))
        return None, [make("E-TPL-002", name, line=int(at.group(1)) if at else 1,
                           col=at.group(2) if at else "1",
                           reason=_TOML_AT.sub("", str(exc)).strip(" ()"))]
    reader = _Reader(name, text, doc)
    tpl = reader.template(builtin)
    return tpl, reader.findings


def load_templates(extra_dirs: Sequence[Path] = ()) -> Tuple[List[Template], List[Finding]]:
    """The built-in templates, then every ``*.toml`` in ``extra_dirs`` (in name order). A custom
    template whose id, title or alias is already taken (by a built-in or an earlier file) is left
    out with a finding: it never replaces one silently. A folder that does not exist is skipped."""
    out: List[Template] = []
    findings: List[Finding] = []
    taken: Dict[str, str] = {}
    sources = [(p, True) for p in sorted(BUILTIN_DIR.glob("*.toml"))]
    for folder in extra_dirs:
        folder = Path(folder)
        try:
            files = sorted(p for p in folder.glob("*.toml") if p.is_file()) if folder.is_dir() else []
        except OSError as exc:
            findings.append(make("E-TPL-001", str(folder), reason=exc.strerror or type(exc).__name__))
            continue
        sources += [(p, False) for p in files]
    for path, builtin in sources:
        tpl, f = read_template(path, builtin=builtin)
        findings += f
        if tpl is None:
            continue
        clash = next((n for n in tpl.names if _key(n) in taken), None)
        if clash is not None:
            findings.append(make("E-TPL-005", str(path), line=_line_of(path.read_text("utf-8-sig"), "id"),
                                 field="id", value=clash, other=Path(taken[_key(clash)]).name))
            continue
        for n in tpl.names:
            taken[_key(n)] = tpl.source
        out.append(tpl)
    return out, findings


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip().lower()


def find_template(templates: Iterable[Template], name: str) -> Optional[Template]:
    """The template called ``name`` (its id, title or an alias; case and width do not matter)."""
    want = _key(name)
    return next((t for t in templates if want in {_key(n) for n in t.names}), None)


# --- filling ------------------------------------------------------------------------------------

_INSURED = re.compile(r"(\d{10}|H\d{9})")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _normalise(kind: str, value: str) -> str:
    """What a person typed, as the value is kept: full-width digits and letters made ASCII for the
    number-like kinds (an IME types ２０２５０５), thousands separators and 単位 dropped."""
    v = value.strip()
    if kind == "text":
        return v
    v = unicodedata.normalize("NFKC", v).strip().upper()
    if kind == "units":
        v = v.replace(",", "").replace("単位", "").strip()
    if kind == "month":
        v = v.replace("/", "").replace("-", "").replace("年", "").replace("月", "")
        if len(v) == 5 and v.isdigit():       # 20255 → 202505
            v = v[:4] + "0" + v[4]
    return v


def _check(fld: TemplateField, value: str) -> Optional[Finding]:
    def bad(code: str, **params) -> Finding:
        return make(code, field=fld.label, value=value, name=fld.name, **params)

    kind = fld.kind
    if kind == "text":
        if _CONTROL.search(value):
            return bad("E-NOTE-010")
        if len(value) > MAX_TEXT:
            return bad("E-NOTE-011", length=MAX_TEXT, actual=len(value))
    elif kind == "insured_number":
        if not _INSURED.fullmatch(value):
            return bad("E-NOTE-002")
    elif kind == "month":
        if wareki.parse_month(value) is None or wareki.month_era(value) is None:
            return bad("E-NOTE-003")
    elif kind == "units":
        if not (value.isascii() and value.isdigit() and len(value) <= MAX_UNITS_DIGITS):
            return bad("E-NOTE-004", length=MAX_UNITS_DIGITS)
    elif kind == "office":
        if not (value.isascii() and value.isdigit() and len(value) == 10):
            return bad("E-NOTE-005")
    elif kind == "service":
        if value not in code_tables.SERVICE_TYPES:
            return bad("E-NOTE-006")
    return None


def display(kind: str, value: str) -> str:
    """A checked value as the note prints it: 令和7年5月（2025年5月）, 1,234単位, 通所介護（15）."""
    if value == "":
        return ""
    if kind == "month":
        w, s = wareki.format_month(value)
        return f"{w}（{s}）" if w else value
    if kind == "units":
        return f"{int(value):,}単位"
    if kind == "service":
        st = code_tables.SERVICE_TYPES.get(value)
        return f"{st.name}（{value}）" if st else value
    return value


def _cross_checks(template: Template, values: Mapping[str, str]) -> List[Finding]:
    out = []
    for chk in template.checks:
        flds = [template.field(n) for n in chk.fields]
        if any(f is None or f.kind != "units" or not values.get(f.name) for f in flds):
            continue   # a missing or bad value was said already
        nums = [int(values[f.name]) for f in flds]
        if chk.rule == "difference" and nums[0] - nums[1] != nums[2]:
            out.append(make("E-NOTE-007", field=flds[2].label, value=values[flds[2].name],
                            name=flds[2].name, a=flds[0].label, b=flds[1].label,
                            expected=str(nums[0] - nums[1])))
        elif chk.rule == "positive":
            out += [make("E-NOTE-008", field=f.label, value=values[f.name], name=f.name)
                    for f, n in zip(flds, nums) if n <= 0]
    return out


def _render(text: str, template: Template, values: Mapping[str, str]) -> str:
    """``text`` with each ``{field}`` replaced by its display form. A line that names an optional
    field left empty is left out (so ``理由：{reason}`` disappears when no reason is given)."""
    shown = {f.name: display(f.kind, values.get(f.name, "")) for f in template.fields}
    empty = {f.name for f in template.fields if not f.required and not values.get(f.name)}
    lines = []
    for line in text.split("\n"):
        used, _ = _placeholders(line)
        if any(n in empty for n in used):
            continue
        lines.append(string.Formatter().vformat(line, (), shown))
    return "\n".join(lines)


def fill(template: Template, values: Mapping[str, str]) -> Tuple[Optional[Note], List[Finding]]:
    """Check every value against its field and the template's cross-field checks, then render the
    note. Findings (Japanese in the catalogue, each naming the field and the fix) and no note when
    anything is wrong; a value for a field the template does not have is refused too."""
    findings: List[Finding] = []
    known = {f.name for f in template.fields}
    for name in values:
        if name not in known:
            findings.append(make("E-NOTE-009", value=name, allowed="、".join(f.name for f in template.fields)))
    clean: Dict[str, str] = {}
    for fld in template.fields:
        value = _normalise(fld.kind, str(values.get(fld.name, "") or ""))
        if not value:
            if fld.required:
                findings.append(make("E-NOTE-001", field=fld.label, name=fld.name, help=fld.help))
            clean[fld.name] = ""
            continue
        problem = _check(fld, value)
        if problem is not None:
            findings.append(problem)
            continue
        clean[fld.name] = value
    findings += _cross_checks(template, clean)
    if findings:
        return None, findings
    subject = _render(template.subject, template, clean).replace("\n", " ").strip()
    text = _render(template.body, template, clean).strip("\n") + "\n"
    return Note(template.id, subject, text, dict(clean), template.title), []


# --- the PDF ------------------------------------------------------------------------------------

PDF_FONT = "HeiseiKakuGo-W5"


#: Characters that may not start a line (禁則): they stay at the end of the line before.
_NO_LINE_START = "、。，．）」』】〕・ー!?！？"


def _wrap(line: str, width: float, measure) -> List[str]:
    """A line broken to ``width`` points, character by character (Japanese has no spaces)."""
    if not line:
        return [""]
    out, cur = [], ""
    for ch in line:
        if cur and measure(cur + ch) > width and ch not in _NO_LINE_START:
            out.append(cur)
            cur = ch
        else:
            cur += ch
    out.append(cur)
    return out


def render_pdf(note: Note) -> bytes:
    """The note on one A4 page, with reportlab's built-in Japanese CID font (the reader's PDF viewer
    supplies the glyphs: nothing is embedded, so the file stays a few KB). Long text gets a smaller
    size until it fits; the page is never split, and text that does not fit even at 6 pt ends in
    "…" (the message itself carries the whole text)."""
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    page_w, page_h = A4
    margin = 20 * mm
    width = page_w - 2 * margin
    buf = BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1, invariant=1)
    c.setTitle(note.subject)
    c.setSubject(note.title or note.template_id)
    c.setCreator("Tsunagi")
    body = note.text.rstrip("\n").split("\n")
    size = 11.0
    while True:
        lines = [w for ln in body for w in _wrap(ln, width, lambda s: pdfmetrics.stringWidth(s, PDF_FONT, size))]
        head = [w for w in _wrap(note.subject, width, lambda s: pdfmetrics.stringWidth(s, PDF_FONT, size * 1.3))]
        needed = (len(head) * 1.3 + 1.5 + len(lines)) * size * 1.6
        if needed <= page_h - 2 * margin - 20 or size <= 6:
            break
        size -= 0.5
    y = page_h - margin
    if note.title:
        c.setFont(PDF_FONT, size * 0.9)
        c.drawRightString(page_w - margin, y, note.title)
        y -= size * 2
    c.setFont(PDF_FONT, size * 1.3)
    for ln in head:
        c.drawString(margin, y, ln)
        y -= size * 1.3 * 1.6
    c.line(margin, y + size * 0.6, page_w - margin, y + size * 0.6)
    y -= size
    c.setFont(PDF_FONT, size)
    room = max(1, int((y - margin) // (size * 1.6)) + 1)
    if len(lines) > room:             # too long even at the smallest size: say so on the page with …
        lines = lines[:room - 1] + ["…"]
    for ln in lines:
        c.drawString(margin, y, ln)
        y -= size * 1.6
    c.showPage()
    c.save()
    return buf.getvalue()


# --- suggestions from the month's files ---------------------------------------------------------

def _grid(name: str, data: bytes, companions: Iterable[Tuple[str, bytes]] = ()):
    from tui_client.core.preview import build_preview

    return build_preview(name, data, companions=companions).grid


def _parsed(name: str):
    from tui_client.core.spec.filenames import parse_filename

    parsed, _ = parse_filename(name)
    return parsed


def nil_usage_candidates(plan: bytes, plan_name: str, actuals: Sequence[Tuple[str, bytes]], *,
                         companions: Iterable[Tuple[str, bytes]] = ()) -> List[Dict[str, str]]:
    """The users and services a 第6表 予定 plans for the provider it was sent to (all providers when
    the name does not say) that no 実績 of the same month shows: one set of 利用なし values each.
    ``companions`` (the plan's 利用者補足) give the users' names."""
    plan_grid = _grid(plan_name, plan, companions)
    if plan_grid is None:
        return []
    month = plan_grid.month.month
    parsed = _parsed(plan_name)
    provider = parsed.recipient if parsed is not None else ""
    delivered = set()
    for name, data in actuals:
        grid = _grid(name, data)
        if grid is None or (month and grid.month.month and grid.month.month != month):
            continue
        for user in grid.users:
            delivered |= {(user.insured, ln.provider, ln.service_type) for ln in user.lines if ln.total > 0}
    out: List[Dict[str, str]] = []
    seen = set()
    for user in plan_grid.users:
        for ln in user.lines:
            key = (user.insured, ln.provider, ln.service_type)
            if ln.total <= 0 or (provider and ln.provider != provider) or key in delivered or key in seen:
                continue
            seen.add(key)
            values = {"user_name": user.name, "insured": user.insured, "month": month,
                      "service": ln.service_type, "provider": ln.provider}
            out.append({k: v for k, v in values.items() if v})
    return out


def _int(value: str) -> Optional[int]:
    v = value.strip()
    return int(v) if v.isascii() and v.isdigit() else None


def _records(name: str, data: bytes, prefix: str):
    """(layout, rows) of a file of kind ``prefix``, parsed as the preview parses it."""
    from tui_client.core import validate
    from tui_client.core.preview import _rows
    from tui_client.core.spec.layouts import layouts_for

    kind = validate.kind_of(name)
    if kind is None or kind.prefix != prefix or not data:
        return None, []
    for layout in layouts_for(prefix):
        rows = _rows(name, data, layout)
        if rows:
            return layout, rows
    return None, []


def over_limit_candidates(file: bytes, name: str, *,
                          companions: Iterable[Tuple[str, bytes]] = ()) -> List[Dict[str, str]]:
    """限度額超過 values for each user whose 区分支給限度基準を超える単位数 is above 0, from a 第7表
    (UPSIKYU: the grand-total row, else the sum of the service rows) or a 利用者補足 (UPHOSOKU:
    合計限度超単位数 and 区分支給限度基準額). The provider and service are the file's recipient (the
    plan is being sent to them); ``companions`` (the 利用者補足 of the bundle) give names and limits."""
    from tui_client.core.preview import user_names

    companions = list(companions)
    parsed = _parsed(name)
    base = {"provider": parsed.recipient if parsed else "",
            "service": (parsed.recipient_service or "") if parsed else ""}
    names = user_names(companions)
    limits: Dict[str, int] = {}
    for cname, cdata in companions:
        layout, rows = _records(cname, cdata, "UPHOSOKU")
        if layout is not None:
            li = layout.field_named("区分支給限度基準額").no - 1
            ii = layout.field_named("被保険者番号").no - 1
            for r in rows:
                if _int(r[li]) is not None:
                    limits.setdefault(r[ii], _int(r[li]))
    found: Dict[Tuple[str, str], Dict[str, int]] = {}
    order: List[Tuple[str, str]] = []

    def user(insured: str, month: str) -> Dict[str, int]:
        if (insured, month) not in found:
            found[(insured, month)] = {}
            order.append((insured, month))
        return found[(insured, month)]

    layout, rows = _records(name, file, "UPSIKYU")
    if layout is not None:
        col = {n: layout.field_named(n).no - 1 for n in (
            "被保険者番号", "対象年月", "サービスコード", "区分支給限度基準を超える単位数", "区分支給限度基準内単位数")}
        for r in rows:
            u = user(r[col["被保険者番号"]], r[col["対象年月"]])
            code = r[col["サービスコード"]]
            over, within = _int(r[col["区分支給限度基準を超える単位数"]]), _int(r[col["区分支給限度基準内単位数"]])
            where = "total" if code == "999999" else "sub" if code[2:] in ("AAAA", "EEEE", "ZZZZ") else "row"
            for key, v in (("over", over), ("within", within)):
                if v is not None:
                    u[f"{where}_{key}"] = u.get(f"{where}_{key}", 0) + v
        for u in found.values():
            for key in ("over", "within"):
                u[key] = u.get(f"total_{key}") or u.get(f"row_{key}") or u.get(f"sub_{key}") or 0
    else:
        layout, rows = _records(name, file, "UPHOSOKU")
        if layout is None:
            return []
        col = {n: layout.field_named(n).no - 1 for n in (
            "被保険者番号", "対象年月", "区分支給限度基準額", "合計限度超単位数", "利用者氏名")}
        for r in rows:
            u = user(r[col["被保険者番号"]], r[col["対象年月"]])
            u["over"] = _int(r[col["合計限度超単位数"]]) or 0
            if _int(r[col["区分支給限度基準額"]]) is not None:
                limits.setdefault(r[col["被保険者番号"]], _int(r[col["区分支給限度基準額"]]))
            names.setdefault(r[col["被保険者番号"]], r[col["利用者氏名"]])
    out = []
    for insured, month in order:
        u = found[(insured, month)]
        over = u.get("over", 0)
        if over <= 0:
            continue
        limit = limits.get(insured, u.get("within"))
        values = dict(base, user_name=names.get(insured, ""), insured=insured,
                      month=month if wareki.parse_month(month) else (parsed.month or "" if parsed else ""),
                      over=str(over))
        if limit:
            values.update(limit=str(limit), planned=str(limit + over))
        out.append({k: v for k, v in values.items() if v})
    return out


__all__ = ["TemplateField", "TemplateCheck", "Template", "Note", "KINDS", "BUILTIN_DIR",
           "load_templates", "read_template", "parse_template", "find_template", "fill", "display",
           "render_pdf", "nil_usage_candidates", "over_limit_candidates", "NIL_USAGE", "OVER_LIMIT"]
