"""Plan against actual (予定と実績): a month's 第6表 予定 (``UPPLAN``) beside the 実績 (``UPJSK``) that came
back for it, day by day, per user and service.

A service is one provider's サービスコード (サービス種類 + 項目): the 実績 carries the actual time, which
may differ from the planned one, so time bands are not part of the comparison. Each day of a service
is one of

* ``MATCH``         予定どおり — planned and delivered the same number of times,
* ``PLANNED_ONLY``  予定あり・実績なし — planned, nothing delivered,
* ``ACTUAL_ONLY``   実績のみ — delivered without a plan,
* ``COUNT``         回数違い — planned n times, delivered m times,

and a user with a plan but no 実績 at all is one ``NO_ACTUALS`` line (利用なし), not a month of
PLANNED_ONLY days. A 第6表 lists every provider's services while a 実績 holds only its sender's, so
only the services of the compared providers (``providers``: 事業所番号 and, in V4 names, サービス種類)
are compared.

The files are read by ``core.preview.build_grid`` (the one parser of the day grid). Pure: bytes in,
values out; the words (and the CSV's column names) come from the caller, who has the catalogue.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from tui_client.core.preview import DayGrid, MonthGrid, build_grid, month_grid

NamedFile = Tuple[str, bytes]
#: (事業所番号, サービス種類 or None): a provider as a V4 file name names it (V3 names carry no type).
Provider = Tuple[str, Optional[str]]


class DiffKind(str, Enum):
    MATCH = "match"
    PLANNED_ONLY = "planned_only"
    ACTUAL_ONLY = "actual_only"
    COUNT = "count"
    NO_ACTUALS = "no_actuals"

    @property
    def label_key(self) -> str:
        """The catalogue key of its words; ``mark_key`` of its one-cell symbol."""
        return f"planact.kind.{self.value}"

    @property
    def mark_key(self) -> str:
        return f"planact.mark.{self.value}"


#: The kinds that are differences (MATCH is not), in the order a reader meets them.
DIFFERENCES = (DiffKind.PLANNED_ONLY, DiffKind.ACTUAL_ONLY, DiffKind.COUNT, DiffKind.NO_ACTUALS)


def day_kind(planned: int, actual: int) -> Optional[DiffKind]:
    """What one day of one service is; None for a day with neither plan nor 実績."""
    if planned and actual:
        return DiffKind.MATCH if planned == actual else DiffKind.COUNT
    if planned:
        return DiffKind.PLANNED_ONLY
    if actual:
        return DiffKind.ACTUAL_ONLY
    return None


@dataclass(frozen=True)
class ServiceComparison:
    """One service of one user: per-day planned and actual counts, and the month's units."""

    provider: str
    provider_name: str
    code: str
    type_name: str
    planned: Tuple[int, ...]
    actual: Tuple[int, ...]
    planned_units: int = 0
    actual_units: int = 0

    @property
    def marks(self) -> Tuple[Optional[DiffKind], ...]:
        return tuple(day_kind(p, a) for p, a in zip(self.planned, self.actual))

    @property
    def planned_total(self) -> int:
        return sum(self.planned)

    @property
    def actual_total(self) -> int:
        return sum(self.actual)

    def differences(self) -> Tuple["Difference", ...]:
        return tuple(Difference(d, k, self.planned[d - 1], self.actual[d - 1], self.code, self.provider)
                     for d, k in enumerate(self.marks, 1) if k is not None and k is not DiffKind.MATCH)


@dataclass(frozen=True)
class Difference:
    """One difference: a day (0 for a whole-month 利用なし), its kind and the two counts."""

    day: int
    kind: DiffKind
    planned: int
    actual: int
    code: str = ""
    provider: str = ""


@dataclass(frozen=True)
class UserComparison:
    insurer: str
    insured: str
    name: str
    services: Tuple[ServiceComparison, ...]
    no_actuals: bool = False        # 利用なし: a plan, and no 実績 for this user at all

    def differences(self) -> Tuple[Difference, ...]:
        if self.no_actuals:
            return (Difference(0, DiffKind.NO_ACTUALS, sum(s.planned_total for s in self.services), 0),)
        return tuple(d for s in self.services for d in s.differences())


@dataclass(frozen=True)
class Comparison:
    month: MonthGrid
    users: Tuple[UserComparison, ...]
    plan_name: str = ""
    actual_names: Tuple[str, ...] = ()
    providers: Tuple[Provider, ...] = ()
    #: why nothing could be compared: "" or ``no_plan`` / ``unreadable``
    problem: str = ""

    def differences(self) -> List[Tuple[UserComparison, Difference]]:
        return [(u, d) for u in self.users for d in u.differences()]

    def counts(self) -> Dict[DiffKind, int]:
        out = {k: 0 for k in DIFFERENCES}
        for _, d in self.differences():
            out[d.kind] += 1
        return out


# --- comparing --------------------------------------------------------------------------------

def _wanted(provider: str, code: str, providers: Sequence[Provider]) -> bool:
    return not providers or any(provider == p and (not s or code[:2] == s) for p, s in providers)


def _by_service(grid: Optional[DayGrid], providers: Sequence[Provider], n_days: int
                ) -> Dict[Tuple[str, str], Dict[Tuple[str, str], list]]:
    """user → (provider, code) → [per-day counts, units, provider name, type name], time bands summed."""
    out: Dict[Tuple[str, str], Dict[Tuple[str, str], list]] = {}
    if grid is None:
        return out
    for user in grid.users:
        lines = out.setdefault((user.insurer, user.insured), {})
        for line in user.lines:
            if not _wanted(line.provider, line.code, providers):
                continue
            acc = lines.setdefault((line.provider, line.code), [[0] * n_days, 0, "", line.type_name])
            for i, c in enumerate(line.counts[:n_days]):
                acc[0][i] += c
            acc[1] += line.units
            acc[2] = acc[2] or line.provider_name
    return out


def compare(plan: Optional[NamedFile], actuals: Iterable[NamedFile], *, providers: Sequence[Provider] = (),
            companions: Iterable[NamedFile] = (), user: str = "", month: str = "") -> Comparison:
    """予定 ``plan`` against the 実績 files ``actuals`` (one provider's, or several providers' merged).
    ``providers`` limits the plan's services to those the 実績 can answer for (empty: all);
    ``companions`` are the plan's bundle (a 利用者補足 gives names); ``user`` keeps one user (被保険者番号
    or a part of the name)."""
    actuals = list(actuals)
    companions = list(companions)
    plan_grid = build_grid(plan[0], plan[1], companions) if plan is not None else None
    actual_grids = [g for g in (build_grid(n, c, companions) for n, c in actuals) if g is not None]
    grids = [g for g in [plan_grid, *actual_grids] if g is not None]
    mg = next((g.month for g in grids if g.month.month), None) or month_grid(month)
    names = {u.insured: u.name for g in grids for u in g.users if u.name}
    base = dict(plan_name=plan[0] if plan else "", actual_names=tuple(n for n, _ in actuals),
                providers=tuple(providers))
    if plan is None:
        return Comparison(mg, (), problem="no_plan", **base)
    if plan_grid is None:
        return Comparison(mg, (), problem="unreadable", **base)
    n_days = len(mg.days)
    planned = _by_service(plan_grid, providers, n_days)
    actual: Dict[Tuple[str, str], Dict[Tuple[str, str], list]] = {}
    for g in actual_grids:
        for u, lines in _by_service(g, providers, n_days).items():
            mine = actual.setdefault(u, {})
            for key, (counts, units, pname, tname) in lines.items():
                acc = mine.setdefault(key, [[0] * n_days, 0, pname, tname])
                acc[0] = [a + b for a, b in zip(acc[0], counts)]
                acc[1] += units
    order = list(planned) + [u for u in actual if u not in planned]
    users = []
    for key in order:
        insurer, insured = key
        if user and user != insured and user not in names.get(insured, ""):
            continue
        p, a = planned.get(key, {}), actual.get(key, {})
        if not p and not a:
            continue                    # only other providers' services: nothing to compare here
        services = []
        for skey in sorted(set(p) | set(a)):
            pp = p.get(skey) or [[0] * n_days, 0, "", ""]
            aa = a.get(skey) or [[0] * n_days, 0, "", ""]
            services.append(ServiceComparison(skey[0], pp[2] or aa[2], skey[1], pp[3] or aa[3],
                                              tuple(pp[0]), tuple(aa[0]), pp[1], aa[1]))
        users.append(UserComparison(insurer, insured, names.get(insured, ""), tuple(services),
                                    no_actuals=bool(p) and not a))
    return Comparison(mg, tuple(users), **base)


def merge(parts: Sequence[Comparison]) -> Comparison:
    """Several partners' comparisons of one month as one (the one-user view across providers)."""
    if len(parts) == 1:
        return parts[0]
    ok = [c for c in parts if not c.problem]
    if not ok:
        return parts[0] if parts else Comparison(month_grid(""), (), problem="no_plan")
    return Comparison(ok[0].month, tuple(u for c in ok for u in c.users),
                      plan_name=" ".join(c.plan_name for c in ok),
                      actual_names=tuple(n for c in ok for n in c.actual_names),
                      providers=tuple(p for c in ok for p in c.providers))


# --- the CSV export ---------------------------------------------------------------------------

#: The export's columns, by catalogue key (``planact.csv.<name>``).
CSV_COLUMNS = ("row", "insurer", "insured", "name", "provider", "provider_name", "code", "type", "day",
               "kind", "planned", "actual", "planned_units", "actual_units")


def export_csv(comparison: Comparison, words: Callable[[str], str]) -> bytes:
    """The differences, then the totals per service, as CSV that Excel opens: cp932, CRLF, a header row.
    ``words(key)`` gives the text of a catalogue key (column names, kinds, 差異 / 合計). A character
    cp932 cannot hold (a name from a UTF-8 source) becomes ``?`` rather than failing the export."""
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow([words(f"planact.csv.{c}") for c in CSV_COLUMNS])
    month = comparison.month.month

    def day_text(day: int) -> str:
        return f"{month}{day:02d}" if day and month else (str(day) if day else "")

    for u, d in comparison.differences():
        svc = next((s for s in u.services if s.code == d.code and s.provider == d.provider), None)
        out.writerow([words("planact.csv.row.diff"), u.insurer, u.insured, u.name, d.provider,
                      svc.provider_name if svc else "", d.code, svc.type_name if svc else "",
                      day_text(d.day), words(d.kind.label_key), d.planned, d.actual, "", ""])
    for u in comparison.users:
        for s in u.services:
            out.writerow([words("planact.csv.row.total"), u.insurer, u.insured, u.name, s.provider,
                          s.provider_name, s.code, s.type_name, "", "", s.planned_total, s.actual_total,
                          s.planned_units, s.actual_units])
    return buf.getvalue().encode("cp932", errors="replace")
