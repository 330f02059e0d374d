"""What the façade's tasks report: a checked batch (``Prepared``), a send, a receive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from tui_client.core.findings import Finding, has_errors, make
from tui_client.office.models import InboxItem

NamedFile = Tuple[str, bytes]


@dataclass
class Prepared:
    """A batch checked and routed, before anything leaves the PC."""

    files: List[NamedFile]
    check: object                       # filecheck.CheckResult
    plan: object                        # core.route.RoutingPlan
    unreachable: List[Tuple[object, str]] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)   # routing/sender problems
    digests: Dict[str, str] = field(default_factory=dict)   # name -> SHA-256 of the bytes checked

    def matches(self, files: Sequence[NamedFile], digests: Sequence[str]) -> bool:
        """Whether this check was made of exactly these files (names in order, same bytes by
        SHA-256), so that sending them may reuse it instead of checking again."""
        return (len(files) == len(self.files) == len(digests) == len(self.digests)
                and all(n == pn and self.digests.get(n) == d
                        for (n, _), (pn, _), d in zip(files, self.files, digests)))

    def all_findings(self) -> List[Finding]:
        return self.check.all_findings() + self.findings

    @property
    def blocked(self) -> bool:
        return has_errors(self.all_findings())


@dataclass
class SendReport:
    """Names by outcome. ``already_sent``: this very file (same name and content) was sent before
    and is not sent again."""

    queued: List[str] = field(default_factory=list)
    sent: List[str] = field(default_factory=list)
    duplicates: List[str] = field(default_factory=list)
    waiting: List[str] = field(default_factory=list)
    shelved: List[str] = field(default_factory=list)
    already_sent: List[str] = field(default_factory=list)
    findings: List[Finding] = field(default_factory=list)
    cancelled: bool = False


@dataclass
class ReceiveReport:
    received: List[InboxItem] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)           # stayed in the inbox
    findings: List[Finding] = field(default_factory=list)
    cancelled: bool = False


def transport_finding(exc, name: str = "", url: str = "") -> Finding:
    """A transport failure as a finding: the relay's code, or E-NET-…"""
    params = {"url": url, "status": exc.status or ""}
    if exc.findings:
        params["findings"] = ",".join(exc.findings)
    return make(exc.code, name, **params)
