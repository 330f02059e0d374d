"""Note templates (core.templates): the built-in 利用なし and 限度額超過 filled and checked, an office's
own template files (malformed ones are findings with the line), the one-page PDF rendered to an image
with poppler, and the values suggested from real sample files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tui_client.catalog import finding_message
from tui_client.core import samples
from tui_client.core import templates as tpl
from tui_client.core.spec.layouts import LAYOUTS

ROOT = Path(__file__).resolve().parent.parent

NIL = {"user_name": "山田　花子", "insured": "1234567890", "month": "202505", "service": "15",
       "provider": "2712300037"}
OVER = {"user_name": "髙橋　一郎", "insured": "H123456789", "month": "202502", "service": "11",
        "provider": "2712300029", "limit": "16765", "planned": "17000", "over": "235"}


@pytest.fixture(scope="module")
def builtins():
    templates, findings = tpl.load_templates()
    assert findings == []
    return {t.id: t for t in templates}


def codes(findings):
    return [f.code for f in findings]


# --- the two built-in notes -------------------------------------------------------------------------

def test_both_notes_are_built_in_and_answer_to_their_japanese_and_ascii_names(builtins):
    assert set(builtins) == {"nil_usage", "over_limit"}
    for name in ("利用なし", "nil-usage", "NIL_USAGE"):
        assert tpl.find_template(builtins.values(), name).id == "nil_usage"
    for name in ("限度額超過", "over-limit", "over_limit"):
        assert tpl.find_template(builtins.values(), name).id == "over_limit"
    assert tpl.find_template(builtins.values(), "なにか") is None
    assert all(t.builtin for t in builtins.values())


def test_nil_usage_note_in_plain_polite_japanese(builtins):
    note, findings = tpl.fill(builtins["nil_usage"], dict(NIL, reason="入院のため"))
    assert findings == [] and note is not None
    assert note.template_id == "nil_usage" and note.title == "利用なし"
    assert note.subject == "【利用なし】山田　花子様 令和7年5月（2025年5月）"
    assert "山田　花子様（被保険者番号 1234567890）は、令和7年5月（2025年5月）の通所介護（15）のご利用がありませんでした。" in note.text
    assert "理由：入院のため" in note.text
    assert "でした。" in note.text and "ます。" in note.text and "だ。" not in note.text   # です・ます
    assert note.values["month"] == "202505"


def test_an_empty_optional_field_drops_its_line(builtins):
    note, _ = tpl.fill(builtins["nil_usage"], NIL)
    assert "理由" not in note.text and "{" not in note.text


def test_over_limit_note_explains_the_ten_tenths_in_words(builtins):
    note, findings = tpl.fill(builtins["over_limit"], OVER)
    assert findings == []
    assert "限度額を超える単位数：235単位" in note.text and "区分支給限度基準額：16,765単位" in note.text
    assert "全額（10割）をご負担いただきます" in note.text
    assert "介護保険の給付の対象になりません" in note.text
    assert "訪問介護（11）" in note.text and "2712300029" in note.text


def test_typed_values_are_normalised_full_width_digits_and_separators(builtins):
    note, findings = tpl.fill(builtins["over_limit"], dict(OVER, insured="ｈ１２３４５６７８９", month="２０２５０２",
                                                          limit="16,765", planned="１７，０００単位"))
    assert findings == []
    assert note.values["insured"] == "H123456789" and note.values["planned"] == "17000"


@pytest.mark.parametrize("field,value,code", [
    ("insured", "123", "E-NOTE-002"),
    ("insured", "X123456789", "E-NOTE-002"),
    ("month", "202513", "E-NOTE-003"),
    ("month", "2025", "E-NOTE-003"),
    ("service", "99", "E-NOTE-006"),
    ("provider", "27123", "E-NOTE-005"),
    ("user_name", "山田\x1b[2J", "E-NOTE-010"),
    ("user_name", "あ" * 201, "E-NOTE-011"),
    ("user_name", "", "E-NOTE-001"),
])
def test_bad_values_are_refused_with_the_field_and_the_fix(builtins, field, value, code):
    note, findings = tpl.fill(builtins["nil_usage"], dict(NIL, **{field: value}))
    assert note is None and codes(findings) == [code]
    message, fix = finding_message(findings[0])
    label = builtins["nil_usage"].field(field).label
    assert label in message and fix


@pytest.mark.parametrize("change,code", [
    ({"limit": "-5"}, "E-NOTE-004"),
    ({"planned": "十七"}, "E-NOTE-004"),
    ({"over": "300"}, "E-NOTE-007"),                        # 17000 − 16765 is 235
    ({"planned": "16765", "over": "0"}, "E-NOTE-008"),     # not over the limit at all
])
def test_over_limit_figures_must_be_numbers_and_agree(builtins, change, code):
    note, findings = tpl.fill(builtins["over_limit"], dict(OVER, **change))
    assert note is None and codes(findings) == [code]


def test_the_inconsistent_figure_message_says_what_it_should_be(builtins):
    _, findings = tpl.fill(builtins["over_limit"], dict(OVER, over="300"))
    message, fix = finding_message(findings[0])
    assert "235" in message and "限度額を超える単位数" in message and "計画の単位数" in fix


def test_a_value_for_a_field_the_note_does_not_have_is_refused(builtins):
    note, findings = tpl.fill(builtins["nil_usage"], dict(NIL, mnth="202505"))
    assert note is None and codes(findings) == ["E-NOTE-009"]
    assert "user_name" in finding_message(findings[0])[1]


# --- an office's own templates ----------------------------------------------------------------------

GOOD = '''id = "meeting"
title = "担当者会議のお知らせ"
subject = "【担当者会議】{user_name}様"
body = """
{user_name}様の担当者会議を開きます。
"""

[[fields]]
name = "user_name"
label = "利用者氏名"
kind = "text"
'''


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def test_an_office_adds_its_own_template_as_a_data_file(tmp_path):
    write(tmp_path, "meeting.toml", GOOD)
    templates, findings = tpl.load_templates([tmp_path])
    assert findings == []
    own = tpl.find_template(templates, "担当者会議のお知らせ")
    assert own is not None and not own.builtin and own.source.endswith("meeting.toml")
    note, f = tpl.fill(own, {"user_name": "佐藤　キヨ"})
    assert f == [] and note.text == "佐藤　キヨ様の担当者会議を開きます。\n"


@pytest.mark.parametrize("text,code,line", [
    (GOOD.replace('kind = "text"', 'kind = "text'), "E-TPL-002", 11),          # unclosed string
    (GOOD.replace('kind = "text"', 'kind = "date"'), "E-TPL-004", 11),
    (GOOD.replace('label = "利用者氏名"\n', ''), "E-TPL-003", 8),
    (GOOD.replace('{user_name}様の', '{username}様の'), "E-TPL-006", 4),
    (GOOD.replace('{user_name}様の', '{user_name様の'), "E-TPL-012", 4),
    (GOOD.replace('title = "担当者会議のお知らせ"', 'title = 3'), "E-TPL-008", 2),
    (GOOD.replace('id = "meeting"', 'id = "会議 1"'), "E-TPL-010", 1),
    (GOOD + '\n[[fields]]\nname = "user_name"\nlabel = "x"\nkind = "text"\n', "E-TPL-011", 14),
    (GOOD + '\n[[checks]]\nrule = "sum"\nfields = ["user_name"]\n', "E-TPL-007", 14),
    (GOOD + '\n[[checks]]\nrule = "difference"\nfields = ["user_name"]\n', "E-TPL-007", 15),
    (GOOD + '\n[[checks]]\nrule = "positive"\nfields = ["user_name"]\n', "E-TPL-007", 15),
])
def test_a_malformed_template_is_a_finding_with_the_line(tmp_path, text, code, line):
    write(tmp_path, "bad.toml", text)
    templates, findings = tpl.load_templates([tmp_path])
    assert [t.id for t in templates] == ["nil_usage", "over_limit"]        # the built-ins still work
    assert codes(findings) == [code]
    f = findings[0]
    assert f.file.endswith("bad.toml") and f.line == line
    message, fix = finding_message(f)
    assert "bad.toml" in message and f"{line}行目" in message and fix


def test_a_template_file_that_is_not_utf8_is_a_finding(tmp_path):
    (tmp_path / "sjis.toml").write_bytes(GOOD.encode("cp932"))
    _, findings = tpl.load_templates([tmp_path])
    assert codes(findings) == ["E-TPL-009"] and findings[0].line == 2


def test_a_custom_template_never_silently_shadows_a_built_in(tmp_path):
    write(tmp_path, "mine.toml", GOOD.replace('id = "meeting"', 'id = "nil_usage"'))
    write(tmp_path, "alias.toml", GOOD.replace('id = "meeting"', 'id = "x"\naliases = ["限度額超過"]'))
    templates, findings = tpl.load_templates([tmp_path])
    assert [t.id for t in templates] == ["nil_usage", "over_limit"]
    assert codes(findings) == ["E-TPL-005", "E-TPL-005"]
    assert {f.value for f in findings} == {"nil_usage", "限度額超過"}
    assert all(f.line == 1 for f in findings)
    assert tpl.find_template(templates, "nil_usage").builtin


def test_a_missing_folder_is_no_problem(tmp_path):
    templates, findings = tpl.load_templates([tmp_path / "none"])
    assert len(templates) == 2 and findings == []


def test_the_template_files_are_package_data():
    import sys

    tomllib = __import__("tomllib" if sys.version_info >= (3, 11) else "tomli")
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["tui_client.core"]
    core = ROOT / "tui_client" / "core"
    listed = {p for pat in patterns for p in core.glob(pat)}
    assert set(tpl.BUILTIN_DIR.glob("*.toml")) <= listed and len(listed) >= 2
    deps = " ".join(conf["project"]["dependencies"])
    assert "reportlab" in deps and "tomli" in deps


# --- the PDF ------------------------------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                   reason="pdftoppm (poppler-utils) is not installed; tests/ci.sh installs it")


def page_image(pdf: bytes, tmp_path: Path, name: str):
    from PIL import Image

    src = tmp_path / f"{name}.pdf"
    src.write_bytes(pdf)
    proc = subprocess.run(["pdftoppm", "-r", "50", "-gray", "-png", "-singlefile", str(src), str(tmp_path / name)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "font" not in proc.stderr.lower(), proc.stderr       # no "Couldn't find a font for …"
    return Image.open(tmp_path / f"{name}.png").convert("L")


def dark_fraction(img) -> float:
    hist = img.histogram()
    return sum(hist[:128]) / (img.width * img.height)


@needs_poppler
def test_each_note_renders_to_a_small_one_page_pdf_that_is_not_blank(builtins, tmp_path):
    for tid, values in (("nil_usage", dict(NIL, reason="入院のため")), ("over_limit", OVER)):
        note, _ = tpl.fill(builtins[tid], values)
        pdf = tpl.render_pdf(note)
        assert pdf.startswith(b"%PDF-") and len(pdf) <= 100 * 1024
        assert b"/Count 1" in pdf                                 # one page
        assert b"FontFile" not in pdf                             # no embedded font
        img = page_image(pdf, tmp_path, tid)
        assert 0.002 < dark_fraction(img) < 0.2


@needs_poppler
def test_the_japanese_text_really_renders_as_glyphs(tmp_path):
    """Two notes whose text differs only in the Japanese characters: with real glyphs the images
    differ; with missing glyphs (empty or the same box for every character) they would not."""
    from PIL import ImageChops

    one = tpl.Note("t", "山田様", "山田様は利用がありませんでした。\n", {}, "テスト")
    two = tpl.Note("t", "佐藤様", "佐藤様は利用がありませんでした。\n", {}, "テスト")
    a, b = page_image(tpl.render_pdf(one), tmp_path, "a"), page_image(tpl.render_pdf(two), tmp_path, "b")
    assert dark_fraction(a) > 0.0005
    assert ImageChops.difference(a, b).getbbox() is not None
    if shutil.which("pdftotext"):
        (tmp_path / "a.pdf").write_bytes(tpl.render_pdf(one))
        text = subprocess.run(["pdftotext", str(tmp_path / "a.pdf"), "-"], capture_output=True,
                              timeout=60).stdout.decode("utf-8")
        assert "山田様は利用がありませんでした" in text.replace(" ", "")


def test_a_long_note_still_fits_one_page_and_says_it_is_cut(builtins):
    note = tpl.Note("t", "件名", "長い本文です。" * 3000 + "\n", {}, "")     # more than a page holds at 6 pt
    pdf = tpl.render_pdf(note)
    assert b"/Count 1" in pdf and len(pdf) <= 100 * 1024
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, timeout=60).stdout
        assert text.decode("utf-8").rstrip().endswith("…")


def test_the_pdf_is_the_same_for_the_same_note(builtins):
    note, _ = tpl.fill(builtins["nil_usage"], NIL)
    assert tpl.render_pdf(note) == tpl.render_pdf(note)


# --- values from the month's files ------------------------------------------------------------------

PEOPLE = samples.users(4, seed=3)


def test_nil_usage_candidates_are_the_planned_users_without_actuals():
    plan, _, hosoku = samples.use_bundle("202505", samples.HOME_HELP, PEOPLE)
    actual = samples.actuals_file("202505", samples.HOME_HELP, PEOPLE[:2])
    found = tpl.nil_usage_candidates(plan[1], plan[0], [actual], companions=[hosoku])
    assert [c["insured"] for c in found] == [u.insured for u in PEOPLE[2:]]
    assert {c["provider"] for c in found} == {samples.HOME_HELP.number}     # the plan's recipient only
    assert {c["service"] for c in found} == {"11"} and {c["month"] for c in found} == {"202505"}
    assert found[0]["user_name"] == PEOPLE[2].name
    builtins = {t.id: t for t in tpl.load_templates()[0]}
    note, findings = tpl.fill(builtins["nil_usage"], found[0])
    assert findings == [] and PEOPLE[2].name in note.text


def test_no_candidates_when_every_planned_service_was_delivered_or_the_bytes_are_junk():
    plan, _, _ = samples.use_bundle("202505", samples.HOME_HELP, PEOPLE)
    actual = samples.actuals_file("202505", samples.HOME_HELP, PEOPLE)
    assert tpl.nil_usage_candidates(plan[1], plan[0], [actual]) == []
    assert tpl.nil_usage_candidates(b"\x00\xff junk", plan[0], [("x.csv", b"")]) == []
    assert tpl.over_limit_candidates(b"\x00\xff junk", "UPSIKYU_x.csv") == []


def over_limit_bundle(over_by_user):
    """A real 第6表/第7表/利用者補足 set whose grand-total rows carry 区分支給限度基準を超える単位数."""
    files = samples.use_bundle("202505", samples.HOME_HELP, PEOPLE)
    rows = samples.benefit_rows("202505", PEOPLE, samples.PROVIDERS)
    for r in rows:
        over = over_by_user.get(r["被保険者番号"])
        if r["サービスコード"] == "999999" and over:
            r["区分支給限度基準を超える単位数"] = str(over)
            r["区分支給限度基準内単位数"] = "16765"
    files[1] = (files[1][0], samples.encode(samples.render(LAYOUTS[("UPSIKYU", "V4")], rows)))
    return files


def test_over_limit_candidates_from_the_benefit_table_being_sent():
    files = over_limit_bundle({PEOPLE[1].insured: 1200})
    found = tpl.over_limit_candidates(files[1][1], files[1][0], companions=[files[2]])
    assert found == [{"user_name": PEOPLE[1].name, "insured": PEOPLE[1].insured, "month": "202505",
                      "service": "11", "provider": samples.HOME_HELP.number, "limit": "16765",
                      "planned": str(16765 + 1200), "over": "1200"}]
    builtins = {t.id: t for t in tpl.load_templates()[0]}
    note, findings = tpl.fill(builtins["over_limit"], found[0])
    assert findings == [] and "1,200単位" in note.text


def test_over_limit_candidates_from_the_supplementary_file():
    files = samples.use_bundle("202505", samples.HOME_HELP, PEOPLE)
    rows = samples.hosoku_rows("202505", PEOPLE, "")
    rows[0]["合計限度超単位数"] = "500"
    name = files[2][0]
    data = samples.encode(samples.render(LAYOUTS[("UPHOSOKU", "V4")], rows))
    found = tpl.over_limit_candidates(data, name)
    assert [(c["insured"], c["over"], c["limit"], c["planned"]) for c in found] == [
        (PEOPLE[0].insured, "500", "16765", str(16765 + 500))]


# --- the catalogue entries ----------------------------------------------------------------------------

def test_a_template_file_too_big_to_be_one_is_a_finding(tmp_path):
    (tmp_path / "big.toml").write_text(GOOD + "#" * (tpl.MAX_FILE_BYTES + 1), encoding="utf-8")
    _, findings = tpl.load_templates([tmp_path])
    assert codes(findings) == ["E-TPL-001"] and "64 KB" in finding_message(findings[0])[0]


def test_without_reportlab_the_pdf_is_a_finding_not_a_crash(builtins, monkeypatch):
    import sys

    from tui_client.office.notes import note_pdf

    for name in [m for m in sys.modules if m == "reportlab" or m.startswith("reportlab.")] + ["reportlab"]:
        monkeypatch.setitem(sys.modules, name, None)          # importing reportlab now raises ImportError
    note, _ = tpl.fill(builtins["nil_usage"], NIL)
    made, findings = note_pdf(note)
    assert made is None and codes(findings) == ["E-NOTE-013"]


def test_every_note_code_is_triggered_by_a_test_and_fills_without_gaps(builtins):
    import re

    from tui_client.catalog import notes as catalogue

    here = Path(__file__).resolve().parent
    own = (here / "test_templates.py").read_text("utf-8")
    own = own[:own.index("def test_every_note_code")]          # not the list below
    sources = own + "".join(p.read_text("utf-8") for p in [here / "test_cli_note.py", here / "relay" / "test_notes.py"])
    assert [c for c in catalogue.FINDINGS if c not in sources] == []
    for code, (message, fix) in catalogue.FINDINGS.items():
        assert re.fullmatch(r"E-(TPL|NOTE)-\d{3}", code) and re.search(r"[ぁ-んァ-ン一-龥]", message) and fix
    # what fill gives carries every value its message and fix name
    cases = [("nil_usage", dict(NIL, insured="1"))]
    cases += [("over_limit", dict(OVER, **c)) for c in ({"over": "300"}, {"planned": "16765", "over": "0"},
                                                        {"limit": "x"}, {"user_name": ""}, {"zzz": "1"})]
    for tid, values in cases:
        _, findings = tpl.fill(builtins[tid], values)
        for f in findings:
            assert "?" not in "".join(finding_message(f)), f
