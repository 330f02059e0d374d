"""Property tests: whatever bytes and names come in, findings come out, never an exception."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_client.core.samples import use_bundle, users
from tui_client.core.spec import parse_filename
from tui_client.core.spec.kinds import KINDS
from tui_client.core.validate import validate_file, validate_set

VALID = use_bundle("202505", __import__("tui_client.core.samples", fromlist=["x"]).HOME_HELP, users(2))

name_parts = st.one_of(
    st.sampled_from(sorted(KINDS)), st.sampled_from(["202505", "000000", "2712300011", "43", "A2", "11",
                                                     "20250425103000", "0001", ""]),
    st.text(max_size=12))
names = st.one_of(
    st.text(max_size=80),
    st.lists(name_parts, min_size=1, max_size=9).map("_".join).flatmap(
        lambda stem: st.sampled_from([".CSV", ".csv", ".jpg", "", ".txt"]).map(lambda ext: stem + ext)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names)
def test_any_name_parses_to_value_or_findings(name):
    parsed, findings = parse_filename(name)
    assert (parsed is None) == any(f.blocks_sending for f in findings)


def _mutate(data: bytes, edits):
    b = bytearray(data)
    for pos, byte in edits:
        if b:
            b[pos % len(b)] = byte
    return bytes(b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), names)
def test_any_bytes_any_name_never_raise(data, name):
    report = validate_file(data, name)
    assert isinstance(report.findings, list)
    validate_set([report])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(VALID))), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                                    max_size=8))
def test_mutated_real_files_never_raise(index, edits):
    name, data = VALID[index]
    report = validate_file(_mutate(data, edits), name)
    for f in report.findings:
        assert f.code[:2] in ("E-", "W-")
    validate_set([report])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.sampled_from(list(',"\r\n0123456789ABH-あ髙\ue000')), max_size=60),
                max_size=10), st.sampled_from([n for n, _ in VALID]))
def test_csv_shaped_text_never_raises(lines, name):
    text = "\r\n".join(lines)
    data = text.encode("cp932", errors="replace")
    validate_file(data, name)


@given(st.text(alphabet=st.sampled_from(list('ab,"\r\n　\x0c\x1e\x85\u2028'))))
def test_line_splitting_matches_stringio_newline_empty(text):
    # The validator walks records over its own line splitter (no UCS-4 copy of the text); it must
    # split exactly as io.StringIO(text, newline="") does, which the csv module documents.
    import io

    from tui_client.core.validate import _lines

    assert list(_lines(text)) == io.StringIO(text, newline="").readlines()
