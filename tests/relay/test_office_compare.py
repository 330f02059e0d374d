"""Plan vs actual, what changed, and 差し替え済み through the façade, on a real relay on loopback: the
care manager sends two versions of a month's 第6表 set and the provider its 実績."""

from __future__ import annotations

import pytest

from tests.planacthelp import MONTH, as_set, bundle, diff_set, edited, people, planted
from tests.relay.test_office_e2e import open_office
from tui_client.core import samples
from tui_client.office.models import ListQuery


def _party(o):
    return samples.SampleOffice(o.number, o.settings.services[0], o.settings.name)


@pytest.fixture
def offices(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm, hc, day = (open_office(d, relay, home) for d in ("cm", "homecare", "day-main"))
    yield cm, hc, day
    for o in (cm, hc, day):
        o.close()


def _send(office, files):
    report = office.send(files)
    assert sorted(report.sent) == sorted(n for n, _ in files), report.findings


def test_newer_version_marks_the_older_superseded_and_lists_the_edits(offices):
    cm, hc, day = offices
    old, new, expected = edited(_party(cm), _party(hc), _party(day))
    us = people()
    _send(cm, bundle(old, us[:5], _party(hc), _party(cm)))
    _send(cm, bundle(new, us[1:], _party(hc), _party(cm)))
    got = hc.receive()
    assert len(got.received) == 6, got.findings

    items = {i.name: i for i in hc.inbox(ListQuery(limit=50)).items}
    assert items[old[0]].superseded_by == new[0]
    assert items[new[0]].superseded_by is None
    older = [i for i in items.values() if i.bundle == "20250425103000"]
    assert len(older) == 3 and all(i.superseded_by for i in older)    # 第7表 and 利用者補足 too
    assert hc.inbox_item(old[0]).superseded_by == new[0]

    changes = hc.changes(items[new[0]].key)
    assert changes is not None and as_set(changes.changes) == expected
    assert {c.name for c in changes.changes if c.kind.value == "user_added"} == {us[5].name}
    assert hc.changes(items[old[0]].key) is None          # the first version replaced nothing


def test_plan_vs_actual_from_the_archive_on_both_sides(offices):
    cm, hc, day = offices
    plan, actual, expected = planted(_party(cm), _party(hc), _party(day))
    _send(cm, bundle(plan, people(), _party(hc), _party(cm)))
    assert len(hc.receive().received) == 3
    _send(hc, [actual])
    assert len(cm.receive().received) == 1

    for office, partner in ((cm, hc.number), (hc, cm.number)):
        c = office.plan_vs_actual(MONTH, partner)
        assert c.problem == "" and diff_set(c) == expected, office.number
        assert c.users[0].name == people()[0].name
    # without a partner (every partner's plan) and for one user
    assert diff_set(cm.plan_vs_actual(MONTH)) == expected
    one = cm.plan_vs_actual(MONTH, user=people()[3].insured)
    assert [(u.insured, u.no_actuals) for u in one.users] == [(people()[3].insured, True)]
    assert cm.plan_vs_actual("202506", hc.number).problem == "no_plan"
