"""Comparisons over the archive: plan vs actual (予定と実績) for a month, what changed (変更点) between
two versions of a received file, and which received files a newer version replaced (差し替え済み).

Versions: files of the same kind and month between the same two offices (and, in V4 names, the same
two service types) are versions of one another; the newer is the one with the later ファイル連番 (the
creation time in the name, the order the spec tells receivers to import in), then the later arrival
(``seq``). Never a clock of ours. The comparing itself is ``core.planactual`` / ``core.changes``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tui_client.core.changes import ChangeList, diff_files
from tui_client.core.findings import Finding, make
from tui_client.core.planactual import Comparison, compare, merge
from tui_client.office.models import InboxItem, ListQuery

#: Kinds whose newer file of the same month and partner replaces the older one in the care software.
VERSIONED_KINDS = ("UPPLAN", "UPSIKYU", "UPHOSOKU", "UPJSK")

#: (kind, month, sender, sender service, recipient, recipient service)
VersionKey = Tuple[str, str, str, Optional[str], str, Optional[str]]


def _parsed(name: str):
    from tui_client.core.spec.filenames import parse_filename

    parsed, _ = parse_filename(name)
    return parsed


def version_key(name: str) -> Optional[VersionKey]:
    return _key_of(_parsed(name))


def _key_of(p) -> Optional[VersionKey]:
    if p is None or p.prefix not in VERSIONED_KINDS or not p.month or p.month == "000000":
        return None
    return (p.prefix, p.month, p.sender, p.sender_service, p.recipient, p.recipient_service)


class ComparePart:
    # -- the archive's versions of one file
    def _versions(self, key: VersionKey, direction: str) -> List[Tuple[str, int, str]]:
        """(name, seq, serial) of every archived version, oldest first."""
        kind, month, sender, _, recipient, _ = key
        partner = sender if direction == "received" else recipient
        out = []
        for name, seq in self.db.archive_names(direction, partner, month, kind):
            p = _parsed(name)
            if _key_of(p) == key:
                out.append((name, seq, p.serial))
        return sorted(out, key=lambda v: (v[2], v[1]))

    def with_supersede(self, items: Sequence[InboxItem]) -> Tuple[InboxItem, ...]:
        """The items with ``superseded_by`` set on those a newer received version replaced."""
        newest: Dict[VersionKey, str] = {}
        out = []
        for item in items:
            key = version_key(item.name)
            if key is None:
                out.append(item)
                continue
            if key not in newest:
                versions = self._versions(key, "received")
                newest[key] = versions[-1][0] if versions else item.name
            out.append(replace(item, superseded_by=newest[key]) if newest[key] != item.name else item)
        return tuple(out)

    def _content(self, direction: str, name: str) -> bytes:
        return self.db.archive_content(direction, name) or b""

    def _bundle_names(self, name: str, direction: str) -> List[Tuple[str, bytes]]:
        """The 利用者補足 of a file's bundle (same parties and ファイル連番): the users' names."""
        p = _parsed(name)
        if p is None:
            return []
        partner = p.sender if direction == "received" else p.recipient
        rows, _ = self.db.archive_search(direction=direction, partner=partner, month=p.month or "",
                                         kind="UPHOSOKU", limit=-1)
        out = []
        for _, other, _, _ in rows:
            q = _parsed(other)
            if q is not None and (q.serial, q.sender, q.recipient) == (p.serial, p.sender, p.recipient):
                out.append((other, self._content(direction, other)))
        return out

    # -- what changed
    def previous_version(self, key: str) -> Optional[str]:
        """The name of the received version that a received item replaced, or None."""
        item = self.inbox_item(key)
        vkey = version_key(item.name) if item is not None else None
        if vkey is None:
            return None
        names = [v[0] for v in self._versions(vkey, "received")]
        i = names.index(item.name) if item.name in names else -1
        return names[i - 1] if i > 0 else None

    def changes(self, key: str) -> Optional[ChangeList]:
        """What changed from the previous received version of item ``key`` (name or relay id) to it;
        None when it replaced nothing."""
        item = self.inbox_item(key)
        old = self.previous_version(key)
        if item is None or old is None:
            return None
        return diff_files((old, self._content("received", old)), (item.name, self._content("received", item.name)),
                          tuple(self._bundle_names(item.name, "received")))

    # -- plan vs actual
    def _latest(self, month: str, kind: str, partner: str) -> Dict[VersionKey, Tuple[str, str]]:
        """version key → (direction, name) of the newest archived file of ``kind`` in ``month``."""
        found: Dict[VersionKey, Tuple[Tuple[str, int], str, str]] = {}
        for rec in self.archive(ListQuery(month=month, kind=kind, partner=partner, limit=-1)).items:
            key = version_key(rec.name)
            if key is None:
                continue
            order = (_parsed(rec.name).serial, rec.seq)
            if key not in found or order > found[key][0]:
                found[key] = (order, rec.direction.value, rec.name)
        return {k: (d, n) for k, (_, d, n) in found.items()}

    def plan_vs_actual(self, month: str, partner: Optional[str] = None, user: Optional[str] = None) -> Comparison:
        """The newest 予定 of ``month`` with ``partner`` (every partner when None) against the newest
        実績 that came back for it, from the archive (sent and received: a care manager sent the plan
        and received the 実績, a provider the other way round). ``user`` keeps one user."""
        plans = self._latest(month, "UPPLAN", partner or "")
        actuals = self._latest(month, "UPJSK", partner or "")
        parts = []
        for key, (direction, name) in sorted(plans.items(), key=lambda kv: kv[0][4:]):
            _, _, cm, _, provider, service = key
            answers = [(d, n) for k, (d, n) in actuals.items()
                       if (k[2], k[3], k[4]) == (provider, service, cm)]
            part = compare((name, self._content(direction, name)),
                           [(n, self._content(d, n)) for d, n in answers],
                           providers=[(provider, service)], companions=self._bundle_names(name, direction),
                           user=user or "", month=month)
            if part.users or not user:
                parts.append(part)
        if not parts:
            stray = [(n, self._content(d, n)) for d, n in actuals.values()]
            return compare(None, stray, month=month)
        return merge(parts)

    def export_plan_vs_actual(self, comparison: Comparison, folder) -> Tuple[Optional[Path], List[Finding]]:
        """Write a comparison's differences and totals as ``予定と実績_<month>[_<provider>].csv`` in
        ``folder`` (cp932, CRLF, opens in Excel). An identical file already there is kept; a different
        one is never overwritten (`` (2)`` …)."""
        from tui_client.catalog import t
        from tui_client.core.planactual import export_csv
        from tui_client.office.receiving import _free_name
        from tui_client.transport.store import write_atomic

        data = export_csv(comparison, t)
        providers = sorted({p for p, _ in comparison.providers})
        stem = "_".join([t("planact.title"), comparison.month.month or "000000"] + providers[:1] * (len(providers) == 1))
        folder = Path(folder)
        try:
            target = _free_name(folder, stem + ".csv", data)
            if target is not None:
                write_atomic(target, data, mode=0o644)
        except OSError as exc:
            return None, [make("E-PLA-001", stem + ".csv", folder=str(folder),
                               reason=exc.strerror or type(exc).__name__)]
        return target or folder / (stem + ".csv"), []
