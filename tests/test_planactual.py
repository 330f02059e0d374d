"""Plan vs actual (予定と実績) and what changed (変更点) in the core: sample files with known, planted
differences and edits give exactly those, and the export reads back as cp932 CSV."""

import csv
import io

from tests.planacthelp import (HOME, as_set, diff_set, edited, home_provider, hosoku_file, people,
                               planted)
from tui_client.catalog import t
from tui_client.core import changes, planactual, wareki
from tui_client.core.planactual import DiffKind


def test_planted_differences_are_found_exactly():
    plan, actual, expected = planted()
    c = planactual.compare(plan, [actual], providers=home_provider(), companions=[hosoku_file()])
    assert c.problem == ""
    assert diff_set(c) == expected
    assert c.counts() == {DiffKind.PLANNED_ONLY: 3, DiffKind.ACTUAL_ONLY: 3, DiffKind.COUNT: 3,
                          DiffKind.NO_ACTUALS: 3}
    # only home help is compared: the day care lines of the 第6表 are another provider's
    assert {s.provider for u in c.users for s in u.services} == {HOME.number}
    assert [u.name for u in c.users] == [p.name for p in people()]


def test_totals_per_service_count_the_planted_changes():
    plan, actual, _ = planted()
    c = planactual.compare(plan, [actual], providers=home_provider())
    first = c.users[0].services[0]
    # one day dropped, one day delivered twice, one extra day: planned n, actual n - 1 + 1 + 1
    assert first.actual_total == first.planned_total + 1
    assert first.planned_units == first.planned_total * 244
    assert first.actual_units == first.actual_total * 244
    count_day = next(d for d in first.differences() if d.kind is DiffKind.COUNT)
    assert (count_day.planned, count_day.actual) == (1, 2)
    nil = c.users[3]
    assert nil.no_actuals and len(nil.differences()) == 1


def test_one_user_and_no_plan():
    plan, actual, _ = planted()
    one = planactual.compare(plan, [actual], providers=home_provider(), user=people()[1].insured)
    assert [u.insured for u in one.users] == [people()[1].insured]
    assert planactual.compare(None, [actual]).problem == "no_plan"
    assert planactual.compare(("UPPLAN_x.CSV", b"\xff\xfe"), [actual]).problem == "unreadable"


def test_export_reads_back_as_cp932_with_crlf():
    plan, actual, expected = planted()
    c = planactual.compare(plan, [actual], providers=home_provider(), companions=[hosoku_file()])
    data = planactual.export_csv(c, t)
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(data.decode("cp932"), newline="")))
    head = rows[0]
    assert head[:3] == [t("planact.csv.row"), t("planact.csv.insurer"), t("planact.csv.insured")]
    diffs = [r for r in rows[1:] if r[0] == t("planact.csv.row.diff")]
    totals = [r for r in rows[1:] if r[0] == t("planact.csv.row.total")]
    assert len(diffs) == 12
    assert {r[9] for r in diffs} == {t(k.label_key) for k in planactual.DIFFERENCES}
    assert len(totals) == sum(len(u.services) for u in c.users)
    assert people()[0].name in {r[3] for r in rows}          # 髙, 﨑 survive cp932
    assert f"2025050{sorted(d for _, d in expected['count'])[0]}"[:6] == "202505"


def test_change_view_lists_exactly_the_edits():
    old, new, expected = edited()
    cl = changes.diff_files(old, new)
    assert cl.problem == ""
    assert as_set(cl.changes) == expected


def test_same_file_twice_has_no_changes_and_bad_bytes_say_so():
    old, _, _ = edited()
    assert changes.diff_files(old, old).changes == ()
    assert changes.diff_files(old, ("UPPLAN_x.CSV", b"")).problem == "unreadable"


def test_month_typed_in_either_calendar():
    for text in ("202505", "2025年5月", "令和7年5月", "R7.5", "ｒ７/５", "2025/5"):
        assert wareki.parse_month_text(text) == "202505", text
    for text in ("", "2025", "平成32年1月", "令和0年5月", "202513", "R1.4"):
        assert wareki.parse_month_text(text) is None, text
    assert wareki.parse_month_text("令和元年5月") == "201905"
