"""Routing by name: mailboxes per site, batch plans, message names (pure, no network)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from tui_client.core import route

CM, DAY = "1370100011", "1370100037"


def _name(prefix, month, r_svc, serial):
    return f"{prefix}_{month}_{CM}_43_{DAY}_{r_svc}_{serial}.CSV"


def test_sites_sharing_an_office_number_are_separate_mailboxes_in_one_plan():
    names = [_name("UPPLAN", "202505", "15", "20250425100000"), _name("UPSIKYU", "202505", "15", "20250425100000"),
             _name("UPHOSOKU", "202505", "15", "20250425100000"),
             _name("UPPLAN", "202505", "78", "20250425100100"), _name("UPSIKYU", "202505", "78", "20250425100100"),
             _name("UPHOSOKU", "202505", "78", "20250425100100"),
             f"UPPLAN_202505_{CM}_{DAY}_20250425100200.CSV"]                      # V3: the office as a whole
    plan = route.plan(names, own_office=CM)
    assert [str(b) for b in plan.mailboxes()] == [DAY, f"{DAY}/15", f"{DAY}/78"]
    assert plan.item_count == 7 and plan.unroutable == [] and plan.foreign == []
    assert list(plan.entries[1].bundles) == ["20250425100000"]
    missing = route.unreachable(plan, {DAY: ["15"]})
    assert [(str(b), why) for b, why in missing] == [(f"{DAY}/78", "service")]
    assert [why for _, why in route.unreachable(plan, {})] == ["office"] * 3


def test_bad_and_foreign_names():
    plan = route.plan(["hello.csv", _name("UPPLAN", "202505", "15", "20250425100000")], own_office=DAY)
    assert [f.code for f in plan.unroutable] == ["E-NAME-001"]
    assert plan.foreign == [_name("UPPLAN", "202505", "15", "20250425100000")]


def test_message_names_round_trip():
    when = datetime(2025, 5, 1, 9, 30, 0)
    n = route.message_name(CM, DAY, sender_service="43", recipient_service="15", when=when, tag="0a1b2c3d")
    assert n == f"MSG_{CM}_43_{DAY}_15_20250501093000_0a1b2c3d.MSG"
    r, f = route.route(n)
    assert f == [] and r.kind == route.KIND_MESSAGE and str(r.mailbox) == f"{DAY}/15"
    r, f = route.route(route.message_name(CM, DAY, when=when))
    assert r.mailbox == route.Mailbox(DAY) and r.sender_service is None
    for bad in (f"MSG_{CM}_43_{DAY}_20250501093000_0a1b2c3d.MSG",       # one service code only
                f"MSG_{CM}_{DAY}_20251301093000_0a1b2c3d.MSG",          # month 13
                f"MSG_{CM}_{CM}_20250501093000_0a1b2c3d.MSG"):          # to itself
        assert route.route(bad)[0] is None


@given(st.text(max_size=120))
def test_any_name_routes_or_gives_findings(name):
    r, findings = route.route(name)
    if r is None:
        assert any(f.blocks_sending for f in findings)
    else:
        assert not any(f.blocks_sending for f in findings)
