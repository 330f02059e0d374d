"""The tab bar: one line with every tab's label and key, ``ホーム F1 [受信 F2] 送信 F3 …``.

It replaces Textual's ``TabbedContent``/``Tabs`` (issue 15: those, with their underline bar and
animations, cost a fifth of the start-up). The app owns which tab is active and shows its pane in a
``ContentSwitcher``; the bar only draws it: the active label in reverse video AND in brackets, so it
is not told by colour alone (16 colours, the contrast theme, a monochrome terminal). Every label has
the same width whether active or not, so switching never moves the others.

A click on a label runs the same action as the tab's key (``app.show_tab('inbox')``, from the
action registry), so the unsaved-input guard and the first-show build apply to both. Not focusable:
the F-keys switch tabs, the keyboard stays in the pane.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widget import Widget


class TabBar(Widget):
    DEFAULT_CSS = """
    TabBar {
        height: 1;
        width: 1fr;
        color: $foreground;
        background: $background;
    }
    """

    active: reactive[str] = reactive("")

    def __init__(self, tabs: Sequence[Tuple[str, str, str]], active: str = "", **kw) -> None:
        """``tabs``: ``(tab, label, action)`` in order; ``action`` runs when the label is clicked."""
        super().__init__(**kw)
        self._tabs = tuple(tabs)
        self.set_reactive(TabBar.active, active or (self._tabs[0][0] if self._tabs else ""))

    @staticmethod
    def item(label: str, active: bool) -> str:
        """One tab as drawn: `` label `` or ``[label]`` (the same width)."""
        return f"[{label}]" if active else f" {label} "

    def spans(self) -> List[Tuple[int, int, str]]:
        """``(first cell, cell after the last, tab)`` of every label on the line."""
        found, x = [], 0
        for tab, label, _ in self._tabs:
            width = cell_len(self.item(label, False))
            found.append((x, x + width, tab))
            x += width
        return found

    def tab_at(self, x: int) -> Optional[str]:
        for start, end, tab in self.spans():
            if start <= x < end:
                return tab
        return None

    def render(self) -> Text:
        line = Text(no_wrap=True, overflow="crop", end="")
        for tab, label, _ in self._tabs:
            on = tab == self.active
            line.append(self.item(label, on), style="reverse bold" if on else "")
        return line

    async def on_click(self, event: events.Click) -> None:
        tab = self.tab_at(event.x)
        for name, _, action in self._tabs:
            if name == tab:
                event.stop()
                await self.app.run_action(action)      # as a key binding runs it
                return
