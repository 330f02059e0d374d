"""Content validation: every kind valid, every finding code proven by a real defective file."""

import re

import pytest

from tui_client.catalog import FINDINGS, finding_location, finding_message
from tui_client.core import samples
from tui_client.core.defects import DEFECTS
from tui_client.core.spec.kinds import KINDS
from tui_client.core.validate import validate_file, validate_set
from tui_client.filecheck import check_bytes

#: Codes raised outside the pure validator (paths that cannot be read): proven in test_cli_check.
PATH_CODES = {"E-FILE-004", "E-FILE-005", "E-FILE-006", "E-FILE-007", "E-FILE-008", "W-FILE-009"}
#: Needs the office's registered services (directory): proven below.
CONTEXT_CODES = {"E-NAME-015"}
VALIDATION_AREAS = ("NAME", "FILE", "ENC", "CSV", "FLD", "ROW", "VER", "BND", "MORE")


def validation_codes():
    return sorted(c for c in FINDINGS if c.split("-")[1] in VALIDATION_AREAS)


def test_every_validation_code_has_a_defect_recipe():
    missing = set(validation_codes()) - set(DEFECTS) - PATH_CODES - CONTEXT_CODES
    assert missing == set()


@pytest.mark.parametrize("code", sorted(DEFECTS))
def test_defect_recipe_triggers_its_code(code):
    result = check_bytes(DEFECTS[code]())
    found = [f for f in result.all_findings() if f.code == code]
    assert found, sorted({f.code for f in result.all_findings()})
    for f in found:
        message, fix = finding_message(f)
        assert "?" not in message and "?" not in fix, (message, fix)  # every placeholder filled
        assert message and fix
        assert f.file  # names the file
    if code.startswith("E-FILE-"):
        assert result.exit_code == 3  # unusable input
    elif code.startswith("E-"):
        assert result.exit_code == 2
    else:
        assert result.exit_code >= 1


def test_every_kind_in_both_forms_is_clean():
    files = samples.every_kind()
    result = check_bytes(files)
    assert result.all_findings() == []
    seen = {r.parsed.prefix for r in result.reports}
    assert seen == set(KINDS)
    assert {r.parsed.form for r in result.reports} == {"V3", "V4"}
    for r in result.reports:
        if r.kind.extension == "csv":
            assert r.records > 0 and r.layout is not None


def test_finding_names_file_row_column_field_and_value():
    name, data = DEFECTS["E-FLD-004"]()[0]
    (f,) = validate_file(data, name).findings
    assert (f.file, f.row, f.line, f.column, f.field, f.value) == (name, 1, 1, 10, "サービス利用日", "20250532")
    assert finding_location(f) == "1行目・10列目（J列） サービス利用日"
    message, fix = finding_message(f)
    assert "20250532" in message and "YYYYMMDD" in fix


def test_cp932_names_like_taka_and_saki_are_fine():
    people = samples.users(2)
    assert "髙" in people[0].name and "﨑" in people[1].name
    name, data = samples.use_bundle("202505", samples.HOME_HELP, people)[2]
    assert validate_file(data, name).findings == []
    with pytest.raises(UnicodeEncodeError):
        people[0].name.encode("shift_jis")  # why cp932 and not shift_jis


def test_bad_byte_names_offset_row_and_column():
    name, data = DEFECTS["E-ENC-001"]()[0]
    (f,) = [x for x in validate_file(data, name).findings if x.code == "E-ENC-001"]
    offset = int(f.param("offset"))
    assert data[offset] == 0x85
    assert f.row == 1 and f.column == 7  # プラン担当者名 is column 7
    assert f.value == "85 52"


def one_user_plan(**edits_by_row):
    """A one-user 第6表 (name, bytes) with edits: row index → {field: value}."""
    from tui_client.core.spec.layouts import LAYOUTS

    recs = samples.plan_rows("202505", samples.users(1), [samples.HOME_HELP])
    for row, edits in edits_by_row.items():
        recs[int(row[1:])].update(edits)
    name = samples.use_bundle("202505", samples.HOME_HELP, samples.users(1))[0][0]
    return name, samples.encode(samples.render(LAYOUTS[("UPPLAN", "V4")], recs))


def test_line_differs_from_row_when_free_text_holds_a_line_break():
    name, data = one_user_plan(r0={"プラン担当者名": "山田\r\n花子"}, r2={"サービス利用日": "20250599"})
    (f,) = validate_file(data, name).findings
    assert (f.row, f.line) == (3, 4)


def test_wrong_service_type_names_the_expected_code():
    # The field case: the provider is 通所介護 (15); the software coded its rows as 78.
    name, data = DEFECTS["E-ROW-020"]()[0]
    (f,) = [x for x in validate_file(data, name).findings if x.code == "E-ROW-020"]
    message, fix = finding_message(f)
    assert f.value == "15" and f.param("found") == "78"
    assert "78" in fix


def test_actuals_with_another_service_type_says_what_is_expected():
    name, data = DEFECTS["E-ROW-022"]()[0]
    (f,) = [x for x in validate_file(data, name).findings if x.code == "E-ROW-022"]
    assert f.value == "151111" and f.param("expected") == "11" and f.row == 1


def test_registered_services_catch_a_wrong_recipient_type():
    name, data = samples.use_bundle("202505", samples.DAY_CARE, samples.users(2))[0]
    report = validate_file(data, name, registered_services={samples.DAY_CARE.number: ["78"]})
    (f,) = [x for x in report.findings if x.code == "E-NAME-015"]
    assert f.param("offered") == "78" and f.value == "15"
    message, fix = finding_message(f)
    assert "78" in fix and "送信先" in message


def test_repeats_are_capped_with_a_count():
    name, data = DEFECTS["W-MORE-001"]()[0]
    findings = validate_file(data, name).findings
    assert len([f for f in findings if f.code == "W-FLD-018" or f.code == "E-FLD-004"]) == 20
    (more,) = [f for f in findings if f.code == "W-MORE-001"]
    assert more.param("count") == "5" and more.param("repeated") == "E-FLD-004"


def test_v3_content_is_read_with_the_v3_layout():
    files = samples.use_bundle("202211", samples.HOME_HELP, samples.users(2), serial="20221025100000", form="V3")
    result = check_bytes(files)
    assert result.all_findings() == []
    assert [r.layout.width for r in result.reports] == [22, 34, 63]


def test_header_row_is_tolerated_and_not_counted():
    name, data = DEFECTS["W-CSV-004"]()[0]
    report = validate_file(data, name)
    assert [f.code for f in report.findings] == ["W-CSV-004"]
    clean = validate_file(samples.use_bundle("202505", samples.HOME_HELP, samples.users(3))[0][1], name)
    assert report.records == clean.records


def test_lf_line_endings_are_accepted():
    name, data = samples.use_bundle("202505", samples.HOME_HELP, samples.users(2))[0]
    assert validate_file(data.replace(b"\r\n", b"\n"), name).findings == []


def test_unknown_kind_still_checks_encoding():
    f = validate_file("あ".encode("utf-8"), "something.csv").findings
    assert {x.code for x in f} == {"E-NAME-001", "E-ENC-003"}


def test_bundle_keys_link_dependants_to_their_parent():
    result = check_bytes(DEFECTS["E-BND-005"]())
    (f,) = [x for x in result.set_findings if x.code == "E-BND-005"]
    assert f.file.startswith("UPSIKYU_")
    assert re.fullmatch(r"\d{6}/\d{2}\*+\d{2}/202505", f.value)  # 被保険者番号 masked


def test_a_deletion_travels_alone():
    result = check_bytes(DEFECTS["E-BND-002"]())
    assert [f.file[:7] for f in result.set_findings if f.code == "E-BND-002"] == ["DLTPLAN"]


def test_validate_set_on_empty_input():
    assert validate_set([]) == []


def test_trailing_comma_on_every_row_is_one_finding_not_thousands():
    name, data = DEFECTS["E-CSV-006"]()[0]
    findings = validate_file(data, name).findings
    assert [f.code for f in findings] == ["E-CSV-006"]
    assert findings[0].value == str(data.count(b"\r\n")) and findings[0].param("expected") == "25"


def test_excel_style_damage_is_named_with_the_excel_hint():
    name, data = one_user_plan(r0={"サービス開始時刻": "930"}, r1={"サービス利用日": "2025/5/1"})
    by_code = {f.code: f for f in validate_file(data, name).findings}
    assert set(by_code) == {"E-FLD-006", "E-FLD-004"}
    assert "Excel" in finding_message(by_code["E-FLD-006"])[1]
    assert "2025/5/1" in finding_message(by_code["E-FLD-004"])[1]


class _Watching(dict):
    """Registered services that note whether the cyclic collector is on while the check asks."""

    def __init__(self, *a):
        super().__init__(*a)
        self.gc_states = []

    def __contains__(self, key):
        import gc

        self.gc_states.append(gc.isenabled())
        return super().__contains__(key)


def test_validation_leaves_the_garbage_collector_alone():
    # It used to switch the collector off for the whole process during a check (every thread).
    import gc

    name, data = samples.big_plan(2000)
    watching = _Watching({"9999999999": ["11"]})
    assert gc.isenabled()
    validate_file(data, name, registered_services=watching)
    assert watching.gc_states and all(watching.gc_states)


def test_a_service_type_missing_from_the_national_table_blocks_sending():
    # It only warned offline (W-NAME-011), yet no mailbox can ever be registered under it.
    name, data = samples.use_bundle("202505", samples.HOME_HELP, samples.users(2))[0]
    bad = name.replace("_11_", "_99_")
    report = validate_file(data, bad)
    (f,) = [x for x in report.findings if x.code == "E-NAME-011"]
    assert f.value == "99" and f.blocks_sending and report.has_errors
    assert "送信先" in finding_message(f)[0]


def test_actuals_of_another_provider_block_unless_it_is_one_of_the_senders_sites():
    name, data = DEFECTS["E-ROW-031"]()[0]
    report = validate_file(data, name)
    (f,) = [x for x in report.findings if x.code == "E-ROW-031"]
    assert f.value == "2712300999" and f.row == 1 and f.blocks_sending
    assert f.param("expected") == samples.HOME_HELP.number
    own = validate_file(data, name, sender_sites=["2712300999"])
    assert not [x for x in own.findings if x.code == "E-ROW-031" or x.column == 20]
    assert not any(x.blocks_sending for x in check_bytes([(name, data)], sender_sites=["2712300999"]).all_findings())


@pytest.mark.parametrize("encoding, label", [("utf-16", "UTF-16LE"), ("utf-16-le", "UTF-16LE"),
                                             ("utf-16-be", "UTF-16BE")])
def test_a_utf16_csv_is_called_a_csv_in_the_wrong_encoding(encoding, label):
    # It used to be "not a CSV (PDF, Excel, an image)" (E-FILE-001), with and without a BOM.
    name = DEFECTS["E-ENC-005"]()[0][0]
    text = DEFECTS["E-ENC-003"]()[0][1].decode("utf-8")
    if encoding == "utf-16-be":
        text = "\ufeff" + text  # a BOM written by hand, big-endian
    report = validate_file(text.encode(encoding), name)
    assert [f.code for f in report.findings] == ["E-ENC-005"]
    (f,) = report.findings
    message, fix = finding_message(f)
    assert f.value == label and "Shift_JIS" in message and "ANSI" in fix and "CSV（コンマ区切り）" in fix


def test_a_utf8_csv_with_a_bom_is_named_utf8():
    name, data = DEFECTS["E-ENC-003"]()[0]
    assert [f.code for f in validate_file(b"\xef\xbb\xbf" + data, name).findings] == ["E-ENC-003"]


def test_binary_with_zero_bytes_is_still_not_a_csv():
    name = DEFECTS["E-ENC-005"]()[0][0]
    blob = bytes([1, 0, 2, 0, 3, 0]) * 200  # zeros at one parity, but no text
    assert [f.code for f in validate_file(blob, name).findings] == ["E-FILE-001"]
