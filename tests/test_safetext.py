"""core.safetext.printable: text from users' files shown without its control characters acting."""

from hypothesis import given, strategies as st

from tui_client.catalog import finding_location, finding_message
from tui_client.core.findings import make
from tui_client.core.safetext import is_printable, printable


def test_controls_bidi_and_zero_width_are_spelled_out():
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("x\ny\rz\t") == "x\\x0ay\\x0dz\\x09"
    assert printable("\x7f\x85\x9b") == "\\x7f\\x85\\x9b"
    assert printable("evil\u202egpj.exe") == "evil<U+202E>gpj.exe"
    assert printable("\u2066a\u2069\u200b\ufeff") == "<U+2066>a<U+2069><U+200B><U+FEFF>"


def test_ordinary_text_is_unchanged():
    for s in ("UPPLAN_202505_1370100011_43.CSV", "居宅介護支援　髙﨑", "C:\\ケア\\出力", "ｱｲｳ①"):
        assert printable(s) == s and is_printable(s)


@given(st.text())
def test_nothing_unsafe_survives(s):
    out = printable(s)
    assert is_printable(out)
    assert all(not (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f) for c in out)


def test_the_catalogue_renders_file_value_field_and_params_escaped():
    f = make("E-FILE-004", "a\x1bb.CSV", value="c\nd", field="e\u202ef", reason="r\x07")
    message, _ = finding_message(f)
    assert "\x1b" not in message and "\n" not in message and "\x07" not in message
    assert "c\\x0ad" in message and "r\\x07" in message
    assert "<U+202E>" in finding_location(make("E-FLD-001", "x", row=1, field="e\u202ef"))
