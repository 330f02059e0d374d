"""Filename grammar: a care-plan file's name says what it is, for which month, from whom, to whom.

Two forms are read (../shared/spec/README.md §2):

* V3 (vol.1156, 2022):  ``PREFIX[_YYYYMM]_S10_R10_TS14.CSV``
* V4 (2024, from service month 2025-04): ``PREFIX[_YYYYMM]_S10_Ss2_R10_Rs2_TS14.CSV``
  (``UPKIHON_IMAGE`` adds ``_NNNN`` and ends in ``.jpg``).

The forms are told apart by field count. The extension is matched case-insensitively. Nothing here
raises on user input: a bad name comes back as findings.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Tuple

from tui_client.core.findings import Finding, make
from tui_client.core.spec.codes import SERVICE_TYPES
from tui_client.core.spec.kinds import PREFIXES_LONGEST_FIRST, FileKind, KINDS

_DIGITS = re.compile(r"[0-9]+\Z")
_SERVICE = re.compile(r"[0-9A-Z]{2}\Z")
# Windows Explorer and browsers rename copies: "name (1).CSV", "name - コピー.CSV", "name(2).csv".
#: The kind's prefix at the start of a name (longest first, as PREFIXES_LONGEST_FIRST), then "_" or the end.
_PREFIX = re.compile("(" + "|".join(re.escape(p) for p in PREFIXES_LONGEST_FIRST) + r")(?:_|\Z)")
_COPY_SUFFIX = re.compile(r"(?:\s*\(\d+\)|\s*-\s*\S+)\Z")

#: Service month from which the V4 form (with service-type codes) applies.
V4_FROM_MONTH = "202504"


@dataclass(frozen=True)
class ParsedName:
    """What a valid file name says. ``month`` is None for kinds without a month field."""

    name: str
    kind: FileKind
    form: str                         # "V3" or "V4"
    month: Optional[str]
    sender: str
    sender_service: Optional[str]     # V4 only
    recipient: str
    recipient_service: Optional[str]  # V4 only
    serial: str                       # ファイル連番, YYYYMMDDHHMMSS
    branch: Optional[str] = None      # UPKIHON_IMAGE only

    @property
    def prefix(self) -> str:
        return self.kind.prefix

    @property
    def bundle_key(self) -> Tuple[str, Optional[str], str, Optional[str], str]:
        """Files sent together share this key (same parties and the same serial)."""
        return (self.sender, self.sender_service, self.recipient, self.recipient_service, self.serial)

    @property
    def mailbox(self) -> Tuple[str, Optional[str]]:
        """Where the relay delivers it: the recipient office number and, in V4, its service type."""
        return (self.recipient, self.recipient_service)

    @property
    def group(self) -> str:
        """Bundle group; 利用者補足 belongs to the plan set (month 000000) or the use set."""
        if self.kind.group == "by_month":
            return "plan_set" if self.month == "000000" else "use_set"
        return self.kind.group


def _split_extension(name: str) -> Tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if not dot:
        return name, ""
    return stem, ext


def _valid_month(value: str, allow_zero: bool) -> bool:
    if allow_zero and value == "000000":
        return True
    return bool(_DIGITS.match(value)) and len(value) == 6 and 1 <= int(value[4:]) <= 12


def valid_timestamp(value: str) -> bool:
    """True for a real date and time written YYYYMMDDHHMMSS (14 ASCII digits)."""
    if len(value) != 14 or not _DIGITS.match(value):
        return False
    try:
        datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), int(value[8:10]), int(value[10:12]),
                 int(value[12:]))
    except ValueError:
        return False
    return True


def expected_pattern(kind: FileKind, form: str = "V4") -> str:
    parts = [kind.prefix]
    if kind.has_month:
        parts.append("YYYYMM")
    if form == "V4":
        parts += ["送信元事業所番号10桁", "送信元サービス種類2桁", "送信先事業所番号10桁", "送信先サービス種類2桁"]
    else:
        parts += ["送信元事業所番号10桁", "送信先事業所番号10桁"]
    parts.append("YYYYMMDDHHMMSS")
    if kind.prefix == "UPKIHON_IMAGE":
        parts.append("NNNN")
    return "_".join(parts) + "." + kind.extension.upper()


def parse_filename(name: str) -> Tuple[Optional[ParsedName], List[Finding]]:
    """Read a file name (a path is allowed; only its last part counts).

    Returns the parsed name (None when the name cannot be used) and the findings (a new list).
    The names seen lately are kept read: a receive asks for each name several times (validation,
    the archive's columns, the versions of a file), and an office's names repeat month after month.
    """
    if len(name) > _CACHED_NAME_LENGTH:
        return _parse_filename(name)
    parsed, findings = _parse_cached(name)
    return parsed, list(findings)


#: Names longer than any real one are read each time (and never kept).
_CACHED_NAME_LENGTH = 255


@functools.lru_cache(maxsize=4096)
def _parse_cached(name: str) -> Tuple[Optional[ParsedName], Tuple[Finding, ...]]:
    parsed, findings = _parse_filename(name)   # ParsedName and Finding are frozen: safe to share
    return parsed, tuple(findings)


def _parse_filename(name: str) -> Tuple[Optional[ParsedName], List[Finding]]:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    findings: List[Finding] = []

    def err(code: str, **kw) -> Tuple[None, List[Finding]]:
        findings.append(make(code, base, value=kw.pop("value", base), **kw))
        return None, findings

    stem, ext = _split_extension(base)
    upper = stem.upper()
    m = _PREFIX.match(upper)
    kind = KINDS[m.group(1)] if m else None
    if kind is None:
        return err("E-NAME-001", prefixes="、".join(k for k in KINDS))
    if ext.lower() != kind.extension:
        if _COPY_SUFFIX.search(stem) or _COPY_SUFFIX.search(base):
            return err("E-NAME-012")
        return err("E-NAME-007", expected="." + kind.extension.upper())

    fields = stem[len(kind.prefix) + 1:].split("_") if len(stem) > len(kind.prefix) else []
    if fields and _COPY_SUFFIX.search(fields[-1]) and not _DIGITS.match(fields[-1]):
        return err("E-NAME-012")
    n_month = 1 if kind.has_month else 0
    n_branch = 1 if kind.prefix == "UPKIHON_IMAGE" else 0
    v3_count = n_month + 3 + n_branch
    v4_count = n_month + 5 + n_branch
    if len(fields) == v4_count:
        form = "V4"
    elif len(fields) == v3_count and kind.since == "V3":
        form = "V3"
    elif len(fields) == v3_count:
        return err("E-NAME-009", kind_name=kind.name_ja, expected=expected_pattern(kind))
    else:
        return err("E-NAME-002", expected=expected_pattern(kind), count=len(fields),
                   expected_count=v4_count)

    month = fields[0] if kind.has_month else None
    rest = fields[n_month:]
    if form == "V4":
        sender, s_svc, recipient, r_svc, serial = rest[:5]
    else:
        sender, recipient, serial = rest[:3]
        s_svc = r_svc = None
    branch = rest[-1] if n_branch else None

    if month is not None and not _valid_month(month, allow_zero=kind.prefix == "UPHOSOKU"):
        err("E-NAME-005", value=month)
    for role, number in (("sender", sender), ("recipient", recipient)):
        if len(number) != 10 or not _DIGITS.match(number):
            err("E-NAME-003", value=number, role=role)
    for role, svc in (("sender", s_svc), ("recipient", r_svc)):
        if svc is None:
            continue
        if len(svc) == 3 and _DIGITS.match(svc):
            err("E-NAME-004", value=svc, role=role, reason="three_digits")
        elif not _SERVICE.match(svc):
            err("E-NAME-004", value=svc, role=role, reason="shape")
    if not valid_timestamp(serial):
        err("E-NAME-006", value=serial)
    if branch is not None and (len(branch) != 4 or not _DIGITS.match(branch)):
        err("E-NAME-008", value=branch)
    if findings:
        return None, findings

    if (sender, s_svc) == (recipient, r_svc):
        findings.append(make("E-NAME-010", base, value=sender))
        return None, findings

    for role, svc in (("sender", s_svc), ("recipient", r_svc)):
        if svc is None:
            continue
        info = SERVICE_TYPES.get(svc)
        if info is None:
            # Not in the national table: no mailbox is registered under it, so it cannot be routed.
            findings.append(make("E-NAME-011", base, value=svc, role=role))
        elif not info.in_scope:
            findings.append(make("W-NAME-013", base, value=svc, role=role, service_name=info.name))
    if form == "V3":
        when = month if month and month != "000000" else serial[:6]
        if when >= V4_FROM_MONTH:
            findings.append(make("W-NAME-014", base, value=when, expected=expected_pattern(kind)))

    return ParsedName(base, kind, form, month, sender, s_svc, recipient, r_svc, serial, branch), findings


def build_filename(prefix: str, sender: str, recipient: str, serial: str, *, month: Optional[str] = None,
                   sender_service: Optional[str] = None, recipient_service: Optional[str] = None,
                   branch: Optional[str] = None, upper_extension: bool = True) -> str:
    """The name a file of this kind must carry (V4 when both service codes are given, else V3)."""
    kind = KINDS[prefix]
    parts = [prefix]
    if kind.has_month:
        parts.append(month or "000000")
    if sender_service and recipient_service:
        parts += [sender, sender_service, recipient, recipient_service]
    else:
        parts += [sender, recipient]
    parts.append(serial)
    if branch is not None:
        parts.append(branch)
    ext = kind.extension.upper() if upper_extension else kind.extension
    return "_".join(parts) + "." + ext
