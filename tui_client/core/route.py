"""Routing: which mailbox an item goes to, from its name alone; the routing plan of a batch.

A mailbox is the recipient office number plus, in the V4 filename form, the recipient service-type
code: several sites sharing one office number each get their own mailbox, and a sender reaches all
of them in one batch by naming each site's service code. A V3 name (no service codes) and a message
without a service code go to the office as a whole (every site of it sees them).

Messages are named ``MSG_S10[_Ss2]_R10[_Rs2]_TS14_XXXXXXXX.MSG`` (both service codes or neither, as
in the filename grammar; the last field is a random tag so two messages in one second differ).

Pure: names in, routes and findings out. Never raises on user input.
"""

from __future__ import annotations

import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from tui_client.core.findings import Finding, make
from tui_client.core.spec.filenames import ParsedName, parse_filename, valid_timestamp

KIND_FILE = "file"
KIND_MESSAGE = "message"

_MSG = re.compile(
    r"MSG_(?P<s>[0-9]{10})(?:_(?P<ss>[0-9A-Z]{2}))?_(?P<r>[0-9]{10})(?:_(?P<rs>[0-9A-Z]{2}))?"
    r"_(?P<ts>[0-9]{14})_(?P<tag>[0-9a-z]{8})\.MSG\Z")


@dataclass(frozen=True)
class Mailbox:
    office: str
    service: Optional[str] = None   # None: the office as a whole

    def __str__(self) -> str:
        return f"{self.office}/{self.service}" if self.service else self.office


@dataclass(frozen=True)
class Route:
    name: str
    kind: str                       # KIND_FILE or KIND_MESSAGE
    sender: str
    sender_service: Optional[str]
    recipient: str
    recipient_service: Optional[str]
    serial: str
    parsed: Optional[ParsedName] = None   # files only

    @property
    def mailbox(self) -> Mailbox:
        return Mailbox(self.recipient, self.recipient_service)


def message_name(sender: str, recipient: str, *, sender_service: Optional[str] = None,
                 recipient_service: Optional[str] = None, when: Optional[datetime] = None,
                 tag: Optional[str] = None) -> str:
    """A fresh message name. Both service codes or neither (the sender's own code is needed when
    the recipient's is given, as in the filename grammar)."""
    parts = ["MSG", sender]
    if sender_service and recipient_service:
        parts += [sender_service, recipient, recipient_service]
    else:
        parts += [recipient]
    parts.append((when or datetime.now()).strftime("%Y%m%d%H%M%S"))
    parts.append(tag or secrets.token_hex(4))
    return "_".join(parts) + ".MSG"


def route(name: str) -> Tuple[Optional[Route], List[Finding]]:
    """The route of an item name (care-plan file or message). Errors → (None, findings)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base.upper().startswith("MSG_"):
        m = _MSG.match(base)
        if m is None or bool(m.group("ss")) != bool(m.group("rs")):
            return None, [make("E-ROUTE-001", base, value=base)]
        if not valid_timestamp(m.group("ts")):
            return None, [make("E-ROUTE-001", base, value=base)]
        if (m.group("s"), m.group("ss")) == (m.group("r"), m.group("rs")):
            return None, [make("E-NAME-010", base, value=m.group("s"))]
        return Route(base, KIND_MESSAGE, m.group("s"), m.group("ss"), m.group("r"), m.group("rs"),
                     m.group("ts")), []
    parsed, findings = parse_filename(base)
    if parsed is None:
        return None, findings
    return Route(base, KIND_FILE, parsed.sender, parsed.sender_service, parsed.recipient,
                 parsed.recipient_service, parsed.serial, parsed), findings


@dataclass
class PlanEntry:
    """One mailbox in a batch's routing plan, with its files grouped by bundle (serial)."""

    mailbox: Mailbox
    bundles: "OrderedDict[str, List[str]]"

    @property
    def files(self) -> List[str]:
        return [n for names in self.bundles.values() for n in names]


@dataclass
class RoutingPlan:
    sender: Optional[str]
    entries: List[PlanEntry]
    unroutable: List[Finding]
    #: Items whose sender differs from the batch's sender (the office sending them).
    foreign: List[str]

    @property
    def item_count(self) -> int:
        return sum(len(e.files) for e in self.entries)

    def mailboxes(self) -> List[Mailbox]:
        return [e.mailbox for e in self.entries]


def plan(names: Iterable[str], own_office: Optional[str] = None) -> RoutingPlan:
    """Group a batch by mailbox (several sites of one office number are several mailboxes) and,
    inside a mailbox, by bundle in serial order — the order the recipient must import them."""
    by_box: Dict[Mailbox, Dict[str, List[str]]] = {}
    unroutable: List[Finding] = []
    foreign: List[str] = []
    for name in names:
        r, findings = route(name)
        if r is None:
            unroutable.extend(f for f in findings if f.blocks_sending)
            continue
        if own_office is not None and r.sender != own_office:
            foreign.append(r.name)
        by_box.setdefault(r.mailbox, {}).setdefault(r.serial, []).append(r.name)
    entries = []
    for box in sorted(by_box, key=lambda b: (b.office, b.service or "")):
        bundles = OrderedDict((s, sorted(by_box[box][s])) for s in sorted(by_box[box]))
        entries.append(PlanEntry(box, bundles))
    return RoutingPlan(own_office, entries, unroutable, foreign)


def unreachable(plan_: RoutingPlan, directory: Dict[str, Sequence[str]]) -> List[Tuple[Mailbox, str]]:
    """Mailboxes of a plan the directory says cannot be reached: (mailbox, reason) with reason
    ``"office"`` (office not on the system) or ``"service"`` (no site with that service type).
    ``directory`` maps each office on the system to its registered service codes."""
    out = []
    for box in plan_.mailboxes():
        services = directory.get(box.office)
        if services is None:
            out.append((box, "office"))
        elif box.service and services and box.service not in services:
            out.append((box, "service"))
    return out
