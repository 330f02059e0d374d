"""What changed (変更点) between two versions of one file: the same kind, month and partner (e.g. a
第6表 予定 sent again mid-month). Today a provider compares two printouts by eye.

The two versions are read by ``core.preview.build_grid`` (the day grid's one parser) and compared
per user and service (provider + サービスコード; time bands summed, as in ``core.planactual``):

* ``USER_ADDED`` / ``USER_REMOVED`` — a user in only one version (one change, not one per day),
* ``SERVICE_ADDED`` / ``SERVICE_REMOVED`` — a service a user has in only one version,
* ``DAY_ADDED`` / ``DAY_REMOVED`` — a day of a service in only one version,
* ``DAY_MOVED`` — a service gone from one day and new on another (day 3 in the old, day 5 in the
  new); removed and added days of one service are paired in calendar order,
* ``COUNT_CHANGED`` — the same day, another number of times.

Pure: values in, values out; words are the faces'.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Dict, List, Optional, Tuple

from tui_client.core.preview import DayGrid, MonthGrid, build_grid

NamedFile = Tuple[str, bytes]


class ChangeKind(str, Enum):
    USER_ADDED = "user_added"
    USER_REMOVED = "user_removed"
    SERVICE_ADDED = "service_added"
    SERVICE_REMOVED = "service_removed"
    DAY_ADDED = "day_added"
    DAY_REMOVED = "day_removed"
    DAY_MOVED = "day_moved"
    COUNT_CHANGED = "count_changed"

    @property
    def label_key(self) -> str:
        return f"changes.kind.{self.value}"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    insurer: str
    insured: str
    name: str = ""
    provider: str = ""
    code: str = ""
    type_name: str = ""
    day: int = 0                    # the (old) day; 0 for a user or a whole service
    new_day: int = 0                # DAY_MOVED: the day it moved to
    old_count: int = 0
    new_count: int = 0


@dataclass(frozen=True)
class ChangeList:
    old_name: str
    new_name: str
    month: Optional[MonthGrid]
    changes: Tuple[Change, ...]
    problem: str = ""               # "unreadable" when either version has no day grid

    def of_kind(self, kind: ChangeKind) -> List[Change]:
        return [c for c in self.changes if c.kind is kind]


Services = Dict[Tuple[str, str], Tuple[Tuple[int, ...], str]]


def _users(grid: DayGrid) -> Dict[Tuple[str, str], Tuple[str, Services]]:
    out: Dict[Tuple[str, str], Tuple[str, Services]] = {}
    for u in grid.users:
        services: Dict[Tuple[str, str], list] = {}
        for line in u.lines:
            acc = services.setdefault((line.provider, line.code), [[0] * len(line.counts), line.type_name])
            acc[0] = [a + b for a, b in zip(acc[0], line.counts)]
        out[(u.insurer, u.insured)] = (u.name, {k: (tuple(v[0]), v[1]) for k, v in services.items()})
    return out


def _service_changes(user: Tuple[str, str], name: str, key: Tuple[str, str], type_name: str,
                     old: Tuple[int, ...], new: Tuple[int, ...]) -> List[Change]:
    base = dict(insurer=user[0], insured=user[1], name=name, provider=key[0], code=key[1], type_name=type_name)
    removed = [d for d, (o, n) in enumerate(zip(old, new), 1) if o and not n]
    added = [d for d, (o, n) in enumerate(zip(old, new), 1) if n and not o]
    out = []
    for d, (o, n) in enumerate(zip(old, new), 1):
        if o and n and o != n:
            out.append(Change(ChangeKind.COUNT_CHANGED, day=d, old_count=o, new_count=n, **base))
    pairs = min(len(removed), len(added))
    for d_old, d_new in zip(removed[:pairs], added[:pairs]):
        out.append(Change(ChangeKind.DAY_MOVED, day=d_old, new_day=d_new, old_count=old[d_old - 1],
                          new_count=new[d_new - 1], **base))
    out += [Change(ChangeKind.DAY_REMOVED, day=d, old_count=old[d - 1], **base) for d in removed[pairs:]]
    out += [Change(ChangeKind.DAY_ADDED, day=d, new_count=new[d - 1], **base) for d in added[pairs:]]
    return sorted(out, key=lambda c: c.day)


def diff_grids(old: DayGrid, new: DayGrid, old_name: str = "", new_name: str = "") -> ChangeList:
    before, after = _users(old), _users(new)
    changes: List[Change] = []
    for user in list(before) + [u for u in after if u not in before]:
        if user not in after:
            changes.append(Change(ChangeKind.USER_REMOVED, user[0], user[1], before[user][0]))
            continue
        if user not in before:
            changes.append(Change(ChangeKind.USER_ADDED, user[0], user[1], after[user][0]))
            continue
        name = after[user][0] or before[user][0]
        o_svc, n_svc = before[user][1], after[user][1]
        for key in sorted(set(o_svc) | set(n_svc)):
            if key not in n_svc:
                changes.append(Change(ChangeKind.SERVICE_REMOVED, user[0], user[1], name, key[0], key[1],
                                      o_svc[key][1], old_count=sum(o_svc[key][0])))
            elif key not in o_svc:
                changes.append(Change(ChangeKind.SERVICE_ADDED, user[0], user[1], name, key[0], key[1],
                                      n_svc[key][1], new_count=sum(n_svc[key][0])))
            else:
                changes += _service_changes(user, name, key, n_svc[key][1], o_svc[key][0], n_svc[key][0])
    return ChangeList(old_name, new_name, new.month, tuple(changes))


def diff_files(old: NamedFile, new: NamedFile, companions: Tuple[NamedFile, ...] = ()) -> ChangeList:
    """The changes from ``old`` to ``new`` (two versions of a 第6表 / 実績). ``companions``: the new
    version's bundle (a 利用者補足 gives the users' names)."""
    old_grid = build_grid(old[0], old[1], companions)
    new_grid = build_grid(new[0], new[1], companions)
    if old_grid is None or new_grid is None:
        return ChangeList(old[0], new[0], new_grid.month if new_grid else None, (), problem="unreadable")
    return diff_grids(old_grid, new_grid, old[0], new[0])
