"""ホーム: what needs attention now, most urgent first; each line leads to the screen that deals with it.

``attention(summary)`` ranks the office's situation into lines (pure, tested on its own); the tab
only lists them. Every line starts with a mark and says its state in words, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from textual import work
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_client.catalog import t
from tui_client.ui import messages
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.screens.base import TabView

register(
    Action("home.open", "enter", "action.home.open", scope="home", action="open_selected", palette=False),
    Action("home.setup", "c", "action.home.setup", scope="home", action="app.open_setup"),
)


@dataclass(frozen=True)
class Line:
    urgency: int          # lower is more urgent
    mark: str
    text: str
    target: Optional[str]  # a tab name, "setup", or None (nothing to do)
    fix: str = ""


def attention(s) -> List[Line]:
    """The home lines for a ``services.HomeSummary``, most urgent first."""
    from tui_client.ui.format import finding_text, kind_label, party_label   # not for the first frame

    lines: List[Line] = []
    cert = s.certificate
    if cert is not None:
        if cert.warning == "expired":
            lines.append(Line(0, "✗", t("home.cert.expired"), "setup", t("home.cert.fix")))
        elif cert.warning == "7":
            lines.append(Line(0, "✗", t("home.cert.days", days=cert.days_left), "setup", t("home.cert.fix")))
        elif cert.warning == "30":
            lines.append(Line(4, "!", t("home.cert.days", days=cert.days_left), "setup", t("home.cert.fix")))
        elif cert.warning == "90":
            lines.append(Line(7, "!", t("home.cert.days", days=cert.days_left), "setup", t("home.cert.fix")))
        else:
            lines.append(Line(9, "✓", t("home.cert.ok", days=cert.days_left), None))
    if s.relay is not None:
        if s.relay.reachable:
            lines.append(Line(9, "✓", t("home.relay.ok"), None))
        else:
            fix = finding_text(s.relay.problem)[1] if s.relay.problem else ""
            lines.append(Line(1, "✗", t("home.relay.down"), "setup", fix))
    for item in s.errors:
        fix = finding_text(item.error)[1] if item.error else ""
        what = finding_text(item.error)[0] if item.error else ""
        lines.append(Line(2, "✗", t("home.error", kind=kind_label(item.file_kind), office=party_label(item.recipient),
                                    what=what), "outbox", fix))
    if s.new_arrivals:
        kinds = "、".join(kind_label(k) for k in s.new_kinds)
        lines.append(Line(3, "●", t("home.arrivals", count=s.new_arrivals, kinds=kinds), "inbox"))
    if s.waiting:
        lines.append(Line(5, "…", t("home.waiting", count=s.waiting), "outbox"))
    if s.receipts:
        lines.append(Line(6, "✓", t("home.receipts", count=s.receipts), "outbox"))
    on = [p for p in s.partners if p.on_system]
    off = [p for p in s.partners if not p.on_system]
    if on:
        lines.append(Line(8, "・", t("home.partners", count=len(on),
                                      offices="、".join(p.name or p.office for p in on[:4])), None))
    if off:
        lines.append(Line(8, "！", t("home.partners.off", count=len(off),
                                      offices="、".join(p.name or p.office for p in off[:4])), "batch"))
    if not s.new_arrivals and not s.errors and not s.waiting:
        lines.append(Line(8, "✓", t("home.nothing"), None))
    lines.append(Line(10, "→", t("home.open_setup"), "setup"))
    lines.sort(key=lambda line: line.urgency)   # stable: equal urgency keeps the order above
    return lines


class HomeTab(TabView):
    SCOPE = "home"
    BINDINGS = bindings_for(SCOPE)
    RELOAD_ON = (messages.ArrivalsChanged, messages.OutboxChanged, messages.RelayStateChanged)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lines: List[Line] = []

    def compose(self):
        # The list comes with the first lines (after the office opens): an empty OptionList on the
        # first frame cost a twentieth of the start's instructions (issue 15).
        yield Static(t("home.title"), classes="tab-title")
        yield Static("", id="home-fix", classes="detail")

    def _list(self) -> Optional[OptionList]:
        found = self.query("#home-list")
        return found.first(OptionList) if found else None

    def reload(self) -> None:
        if self.app.office is None:
            self._show([Line(0, "✗", t("home.no_office"), "setup")])
            return
        self._load()

    @work(thread=True, exclusive=True, group="home")
    def _load(self) -> None:
        network = getattr(self.app, "relay_ok", None) is not None
        summary = self.services.home(network=network)
        self.app.call_from_thread(self._show, attention(summary))

    def _show(self, lines: List[Line]) -> None:
        self.lines = lines
        options = [Option(f"{line.mark} {line.text}" + ("  →" if line.target else ""), id=str(i))
                   for i, line in enumerate(lines)]
        ol = self._list()
        if ol is None:
            ol = OptionList(*options, id="home-list")
            self.mount(ol, before=self.query_one("#home-fix"))
            if self.app.focused is None and all(n.display for n in self.ancestors_with_self
                                                if hasattr(n, "display")):
                ol.focus()          # the app focused the tab before its list was there
            return
        highlighted = ol.highlighted
        ol.clear_options()
        ol.add_options(options)
        if lines:
            ol.highlighted = min(highlighted or 0, len(lines) - 1)
        self._show_fix()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_fix()

    def _show_fix(self) -> None:
        ol = self._list()
        text = ""
        if ol is not None and ol.highlighted is not None and ol.highlighted < len(self.lines):
            line = self.lines[ol.highlighted]
            if line.fix:
                text = t("home.fix", fix=line.fix)
        self.query_one("#home-fix", Static).update(text)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._go(event.option_index)

    def action_open_selected(self) -> None:
        ol = self._list()
        if ol is not None and ol.highlighted is not None:
            self._go(ol.highlighted)

    def _go(self, index: int) -> None:
        if index >= len(self.lines):
            return
        target = self.lines[index].target
        if target == "setup":
            self.app.action_open_setup()
        elif target:
            self.app.action_show_tab(target)
