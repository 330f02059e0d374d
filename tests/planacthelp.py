"""Sample 第6表 予定 / 実績 pairs with known, planted differences and edits (for the plan-vs-actual
and change-view tests of the core, the office and the screens). Imported as ``tests.planacthelp``."""

from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from tui_client.core import samples
from tui_client.core.spec.layouts import LAYOUTS

MONTH = "202505"
CM, HOME, DAY = samples.CARE_MANAGER, samples.HOME_HELP, samples.DAY_CARE
PLAN_SERIAL, ACTUAL_SERIAL = "20250425103000", "20250602093000"


def people():
    return samples.users(6)


def _file(prefix, sender, recipient, serial, rows) -> Tuple[str, bytes]:
    name = samples._name(prefix, sender, recipient, serial, MONTH)
    return name, samples.encode(samples.render(LAYOUTS[(prefix, "V4")], rows))


def plan_rows(users=None, cm=CM, providers=(HOME, DAY)) -> List[Dict[str, str]]:
    """Every provider's services (a 第6表 shows them all): home help and day care."""
    return samples.plan_rows(MONTH, users or people(), list(providers), cm)


def plan_file(rows=None, serial=PLAN_SERIAL, recipient=HOME, cm=CM) -> Tuple[str, bytes]:
    return _file("UPPLAN", cm, recipient, serial, rows if rows is not None else plan_rows(cm=cm))


def hosoku_file(serial=PLAN_SERIAL, recipient=HOME, cm=CM, users=None) -> Tuple[str, bytes]:
    return _file("UPHOSOKU", cm, recipient, serial, samples.hosoku_rows(MONTH, users or people(), "", cm))


def bundle(plan, users, recipient=HOME, cm=CM) -> List[Tuple[str, bytes]]:
    """A 第6表 with its 第7表 and 利用者補足 (one sending unit) for ``users``."""
    from tui_client.core.spec.filenames import parse_filename

    serial = parse_filename(plan[0])[0].serial
    return [plan, benefit_file(serial, recipient, cm, users), hosoku_file(serial, recipient, cm, users)]


def benefit_file(serial=PLAN_SERIAL, recipient=HOME, cm=CM, users=None) -> Tuple[str, bytes]:
    return _file("UPSIKYU", cm, recipient, serial,
                 samples.benefit_rows(MONTH, users or people(), [recipient], cm))


def _day(row) -> int:
    return int(row["サービス利用日"][6:])


#: What ``planted()`` plants, per kind: (被保険者番号 index, day) for the day kinds, user index for 利用なし.
def planted(cm=CM, home=HOME, day=DAY):
    """(plan, 実績, expected): the home-help 実績 of the plan with exactly three differences of each
    kind planted, and the other differences none. Users 3, 4 and 5 have no 実績 at all (利用なし)."""
    us = people()
    rows = [r for r in plan_rows(us, cm, (home, day)) if r["サービス事業者コード"] == home.number]
    by_user = {u.insured: [r for r in rows if r["被保険者番号"] == u.insured] for u in us}
    actual: List[Dict[str, str]] = []
    expected = {"planned_only": set(), "actual_only": set(), "count": set(), "no_actuals": set()}
    for i, u in enumerate(us[:3]):
        mine = [dict(r, 更新業者コード=home.number) for r in by_user[u.insured]]
        dropped = mine.pop(1)                                   # planned, not delivered
        expected["planned_only"].add((u.insured, _day(dropped)))
        mine[2]["サービス回数"] = "2"                           # delivered twice
        expected["count"].add((u.insured, _day(mine[2])))
        mine[3]["サービス開始時刻"], mine[3]["サービス終了時刻"] = "0945", "1045"   # another time: still a match
        planned_days = {_day(r) for r in by_user[u.insured]}
        extra_day = next(d for d in range(2, 31) if d not in planned_days)
        extra = dict(mine[0], サービス利用日=f"{MONTH}{extra_day:02d}")   # delivered without a plan
        expected["actual_only"].add((u.insured, extra_day))
        actual += mine + [extra]
    for u in us[3:]:
        expected["no_actuals"].add((u.insured, 0))
    return (plan_file(plan_rows(us, cm, (home, day)), recipient=home, cm=cm),
            _file("UPJSK", home, cm, ACTUAL_SERIAL, actual), expected)


def edited(cm=CM, home=HOME, day=DAY, serials=("20250425103000", "20250512090000")):
    """(old 第6表, new 第6表, expected edits): user 0 removed, a new user added, user 1's first
    home-help day moved by one day, user 2's day-care service removed; nothing else changed."""
    us = people()
    old_rows = plan_rows(us[:5], cm, (home, day))
    new_rows = [dict(r) for r in old_rows if r["被保険者番号"] != us[0].insured] + \
        [r for r in plan_rows(us, cm, (home, day)) if r["被保険者番号"] == us[5].insured]
    moved = next(r for r in new_rows if r["被保険者番号"] == us[1].insured and r["サービス事業者コード"] == home.number)
    old_day = _day(moved)
    taken = {_day(r) for r in new_rows if r["被保険者番号"] == us[1].insured and r["サービス事業者コード"] == home.number}
    new_day = next(d for d in range(old_day + 1, 31) if d not in taken)
    moved["サービス利用日"] = f"{MONTH}{new_day:02d}"
    new_rows = [r for r in new_rows if not (r["被保険者番号"] == us[2].insured and r["サービス事業者コード"] == day.number)]
    expected = {
        ("user_removed", us[0].insured, "", 0, 0),
        ("user_added", us[5].insured, "", 0, 0),
        ("day_moved", us[1].insured, moved["サービスコード"], old_day, new_day),
        ("service_removed", us[2].insured, "151111", 0, 0),
    }
    return (plan_file(old_rows, serials[0], home, cm), plan_file(new_rows, serials[1], home, cm), expected)


def as_set(changes) -> set:
    return {(c.kind.value, c.insured, c.code if c.kind.value not in ("user_added", "user_removed") else "",
             c.day, c.new_day) for c in changes}


def diff_set(comparison) -> Dict[str, set]:
    out: Dict[str, set] = {}
    for u, d in comparison.differences():
        out.setdefault(d.kind.value, set()).add((u.insured, d.day))
    return out


def home_provider(home=HOME) -> Sequence[Tuple[str, str]]:
    return [(home.number, home.service)]


def demo_parties():
    """The demo offices (sample_certs) as sample parties: care manager, home help, day care."""
    from tui_client import sample_certs

    def party(demo_id):
        o = sample_certs.office(demo_id)
        return samples.SampleOffice(o["office_number"], o["services"][0], o["name"])

    return party("cm"), party("homecare"), party("day-main")
