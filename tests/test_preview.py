"""core.preview: real sample files (and broken ones) in, the value the preview screen renders out."""

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_client.catalog import FINDINGS
from tui_client.core import samples, wareki
from tui_client.core.defects import DEFECTS
from tui_client.core.preview import NO_PREVIEW, PreviewData, build_preview

MONTH = samples.sample_month()


def _file(prefix, files=MONTH):
    return next((n, b) for n, b in files if n.startswith(prefix + "_"))


def test_plan_becomes_a_day_grid_per_user_with_names_from_the_bundle():
    name, data = _file("UPPLAN")
    p = build_preview(name, data, companions=MONTH)
    assert p.prefix == "UPPLAN" and p.findings == () and p.problem == ""
    g = p.grid
    assert g.month.month == "202505" and g.month.wareki == "令和7年5月" and g.month.seireki == "2025年5月"
    assert len(g.month.days) == 31
    # Golden Week: 3 (土), 4 (日), 5, 6 (振替休日) are holidays.
    assert [d.day for d in g.month.days if d.holiday] == [3, 4, 5, 6]
    assert g.month.days[2].weekday == 5 and g.month.days[3].weekday == 6
    people = samples.users(6)
    assert [u.insured for u in g.users] == [u.insured for u in people]
    assert [u.name for u in g.users] == [u.name for u in people]     # 髙橋 ハナ … from 利用者補足
    first = g.users[0]
    assert [(l.type_name, l.code, l.provider_name) for l in first.lines] == [
        ("訪問介護", "111111", "さくら訪問介護事業所"), ("通所介護", "151111", "ひまわりデイサービス")]
    assert first.lines[0].time_band == "09:30-10:30"
    # The grid counts exactly the file's rows: one visit per row, on the row's day.
    assert sum(u.total for u in g.users) == p.records_total
    assert first.lines[0].counts[:4] == (1, 0, 0, 1)
    assert g.outside == 0


def test_without_companions_the_user_has_no_name_but_the_grid_is_whole():
    name, data = _file("UPPLAN")
    p = build_preview(name, data)
    assert all(u.name == "" for u in p.grid.users)
    assert sum(u.total for u in p.grid.users) == p.records_total


def test_actuals_use_the_same_grid():
    name, data = _file("UPJSK")
    p = build_preview(name, data)
    assert p.prefix == "UPJSK" and p.grid is not None
    assert {l.provider for u in p.grid.users for l in u.lines} == {samples.HOME_HELP.number}


def test_v3_plan_reads_by_its_own_layout():
    files = samples.every_kind()
    name, data = next((n, b) for n, b in files if n.startswith("UPPLAN_") and "202211" in n)
    p = build_preview(name, data)
    assert p.revision == "V3" and p.grid.month.wareki == "令和4年11月"
    assert p.grid.users and p.grid.users[0].lines


def test_rental_line_shows_the_item_and_no_time():
    people = samples.users(1)
    rental = samples.SampleOffice("2712300045", "17", "福祉用具のみどり")
    files = samples.use_bundle("202505", rental, people, providers=(rental,))
    name, data = files[0]
    line = build_preview(name, data).grid.users[0].lines[0]
    assert line.type_name == "福祉用具貸与" and line.item == "自走用標準形車いす"
    assert line.start == "" and line.time_band == ""


def test_plan_set_files_become_labelled_records():
    p = build_preview(*_file("UPHOSOKU_000000"))
    assert p.grid is None and p.records_total == 6 and len(p.records) == 6
    rec = dict(p.records[0])
    assert rec["利用者氏名"] == "髙橋　ハナ"
    assert rec["利用者性別"] == "2：女性"                       # code with its meaning
    assert rec["利用者生年月日"].endswith("（昭和17年）")         # date with the 和暦 year
    assert "識別子" not in rec                                  # not used: not shown
    kyo1 = dict(build_preview(*_file("UP1KYO")).records[0])
    assert kyo1["計画書区分"] == "21：継続" and kyo1["要介護状態区分"].startswith(samples.users(1)[0].care_level)
    assert kyo1["利用者及び家族の生活に対する意向を踏まえた課題分析の結果"] == "自宅で暮らし続けたい。\r\n家族も同じ思い。"
    kyo2 = build_preview(*_file("UP2KYO"))
    assert kyo2.records_total == 12 and dict(kyo2.records[0])["保険対象区分"] == "Y：対象"


def test_findings_travel_with_the_preview():
    files = DEFECTS["E-FLD-004"]()
    name, data = files[0]
    p = build_preview(name, data)
    assert "E-FLD-004" in {f.code for f in p.findings} and p.errors >= 1
    assert p.problem == "" and (p.grid is not None or p.records)   # still readable


def test_bad_bytes_give_a_problem_not_an_exception():
    name, _ = _file("UPPLAN")
    for data in (b"", b"\x00\x01\x02binary", "利用者".encode("utf-8") * 3, b"%PDF-1.4 ..."):
        p = build_preview(name, data)
        assert p.grid is None and p.records == ()
        assert p.problem.startswith("E-") and p.problem in FINDINGS
        assert p.problem in {f.code for f in p.findings}


def test_a_bad_byte_in_one_row_keeps_the_other_rows():
    name, data = _file("UPPLAN")
    lines = data.split(b"\r\n")
    lines[2] = lines[2] + b"\x81\x7f"        # a lead byte with no valid trail byte, in 識別子
    p = build_preview(name, b"\r\n".join(lines))
    assert "E-ENC-001" in {f.code for f in p.findings}
    assert p.grid is not None and p.grid.users


def test_image_and_unknown_names_have_nothing_to_show_but_say_why():
    image = next((n, b) for n, b in samples.every_kind() if n.startswith("UPKIHON_IMAGE"))
    p = build_preview(*image)
    assert p.problem == NO_PREVIEW and NO_PREVIEW in FINDINGS
    q = build_preview("notes.txt", b"hello")
    assert q.problem.startswith("E-NAME-") and q.prefix == ""


def test_wareki_months_and_holidays():
    assert wareki.format_month("201905") == ("令和元年5月", "2019年5月")
    assert wareki.format_month("201904") == ("平成31年4月", "2019年4月")
    assert wareki.format_month("198901") == ("昭和64年1月", "1989年1月")
    assert wareki.format_month("000000") == ("", "") and wareki.format_month("202513") == ("", "")
    assert date(2025, 11, 24) in wareki.holidays(2025)          # 振替休日 for 勤労感謝の日 on a Sunday
    assert date(2026, 9, 22) in wareki.holidays(2026)           # 国民の休日 between two holidays
    assert date(2020, 7, 24) in wareki.holidays(2020)           # the Olympic move of スポーツの日
    assert date(2019, 4, 30) in wareki.holidays(2019) and date(2019, 5, 2) in wareki.holidays(2019)
    assert date(2025, 12, 23) not in wareki.holidays(2025)      # 天皇誕生日 moved to 2/23 in 2020
    assert len(wareki.holidays(2025)) == 19


VALID_PLAN = _file("UPPLAN")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=1500), st.sampled_from([VALID_PLAN[0], _file("UPHOSOKU_000000")[0],
                                                  "UPJSK_x.CSV", "garbage"]))
def test_any_bytes_give_a_preview_never_an_exception(data, name):
    p = build_preview(name, data)
    assert isinstance(p, PreviewData)
    assert p.problem or p.grid is not None or p.records


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=12))
def test_damaged_plan_gives_a_preview_never_an_exception(edits):
    b = bytearray(VALID_PLAN[1])
    for pos, byte in edits:
        b[pos % len(b)] = byte
    p = build_preview(VALID_PLAN[0], bytes(b), companions=MONTH)
    assert p.problem or p.grid is not None
    if p.grid is not None:
        assert sum(u.total for u in p.grid.users) >= 0


def test_bundle_gaps_mark_every_member_of_an_incomplete_bundle():
    from tui_client.core.preview import bundle_gaps

    people = samples.users(2)
    bundle = [n for n, _ in samples.use_bundle("202505", samples.HOME_HELP, people)]
    assert bundle_gaps(bundle) == {}
    gaps = bundle_gaps(bundle[:2])              # 利用者補足 missing: both the 第6表 and the 第7表 say so
    assert gaps == {bundle[0]: ("UPHOSOKU",), bundle[1]: ("UPHOSOKU",)}
    actuals = samples.actuals_file("202505", samples.HOME_HELP, people)[0]
    assert bundle_gaps([actuals, "not a name"]) == {}


def test_records_split_elsewhere_are_made_readable_by_position():
    from tui_client.core.preview import readable_records
    from tui_client.core.spec.layouts import layouts_for

    name, data = _file("UP3KYO")
    p = build_preview(name, data)
    layout = layouts_for("UP3KYO")[0]
    raw = [tuple((f.name, "") for f in layout.fields)]
    raw[0] = tuple((f.name, {"曜日": "2", "開始時間": "0930"}.get(f.name, "")) for f in layout.fields)
    rec = readable_records("UP3KYO", raw)[0]
    assert ("曜日", "2：火") in rec and ("開始時間", "09:30") in rec
    assert readable_records("UP3KYO", [(("1", "a"),)]) == ((("1", "a"),),)     # no layout: as it is
    assert "識別子" not in dict(rec) and p.records[0][0][0] == "CSVバージョン"
