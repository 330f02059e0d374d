"""A findings list: for each finding, its severity (mark and word), where it is, what is wrong and
the one thing to do, all from the catalogue. Reusable by the inbox preview, batch and compose.

Takes core ``Finding`` values or the stored ``FindingSummary`` (office/models.py) alike. Never colour
alone: ✕ エラー / ！ 注意 are words and marks; colour only repeats them.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui_client.catalog import finding_location, finding_message, t
from tui_client.core.findings import Finding

#: Shown at once; the rest are counted (a validator already caps repeats of one code).
MAX_SHOWN = 200


def as_finding(value, file: str = "") -> Finding:
    """A ``Finding`` from a ``Finding``, a ``FindingSummary`` or a bare code string."""
    if isinstance(value, Finding):
        return value
    if isinstance(value, str):
        return Finding(value, file)
    params = tuple(getattr(value, "params", ()) or ())
    fname = file or dict(params).get("file", "")
    return Finding(value.code, fname, getattr(value, "row", None), getattr(value, "column", None),
                   getattr(value, "field", "") or "", getattr(value, "value", "") or "", None,
                   tuple((k, v) for k, v in params if k != "file"))


def severity_words(finding: Finding) -> str:
    if finding.blocks_sending:
        return f"{t('findings.mark.error')} {t('severity.error')}"
    return f"{t('findings.mark.warning')} {t('severity.warning')}"


def finding_text(finding: Finding) -> Content:
    """One finding as a few lines: severity and where, the message, the fix (→ …), and its code."""
    message, fix = finding_message(finding)
    where = finding_location(finding)
    style = "bold $text-error" if finding.blocks_sending else "bold $text-warning"
    parts = [(severity_words(finding), style)]
    if where:
        parts.append(f"  {where}")
    parts.append((f"  [{finding.code}]", "dim"))
    parts.append(f"\n  {message}")
    if fix:
        parts.append(f"\n  → {fix}")
    return Content.assemble(*parts)


def counts_text(findings: Sequence[Finding]) -> str:
    errors = sum(1 for f in findings if f.blocks_sending)
    return t("findings.count", errors=errors, warnings=len(findings) - errors)


class FindingsList(VerticalScroll):
    """A scrollable, focusable list of findings (most severe first, file order within)."""

    DEFAULT_CSS = """
    FindingsList { height: auto; max-height: 12; border: round $panel; padding: 0 1; }
    FindingsList:focus { border: round $accent; }
    FindingsList > .finding { margin-bottom: 1; }
    FindingsList > .findings-none { color: $text-success; }
    FindingsList.-empty { border: none; max-height: 1; padding: 0 2; }
    """
    can_focus = True

    def __init__(self, findings: Iterable = (), *, file: str = "", id=None, classes=None) -> None:
        super().__init__(id=id, classes=classes)
        self.file = file
        self.findings = self._sorted(findings)

    def _sorted(self, findings: Iterable) -> list:
        items = [as_finding(f, self.file) for f in findings]
        return sorted(items, key=lambda f: (not f.blocks_sending,))  # stable: file order within

    def compose(self):
        yield from self._children()

    def _children(self):
        if not self.findings:
            yield Static(t("preview.findings.none"), classes="findings-none")
            return
        for f in self.findings[:MAX_SHOWN]:
            yield Static(finding_text(f), classes="finding")
        if len(self.findings) > MAX_SHOWN:
            yield Static(t("preview.records.more", total=len(self.findings), shown=MAX_SHOWN))

    def set_findings(self, findings: Iterable, file: str = "") -> None:
        self.file = file or self.file
        self.findings = self._sorted(findings)
        self.remove_children()
        self.mount_all(list(self._children()))
        self._title()

    def on_mount(self) -> None:
        self._title()

    def _title(self) -> None:
        # No findings: one line that says so, no box (room for the preview at 80x24).
        self.set_class(not self.findings, "-empty")
        self.border_title = f"{t('preview.findings')}（{counts_text(self.findings)}）"
