"""The key line at the bottom of the main screen: ``F1 ホーム  F2 受信 … ^q 終了``, one widget.

Textual's ``Footer`` builds one widget per key and builds them all again whenever the focus moves;
at start that was a tenth of the instructions to the first frame (issue 15). This draws the same
thing, the screen's active bindings that are shown (``Action.footer`` in the registry, so the footer,
the bindings and the command palette still read one list), as one line of text. A key that is
disabled where the focus is now is left out. A click on a key presses it, as Textual's footer does.
"""

from __future__ import annotations

from typing import List, Tuple

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widget import Widget


class KeyBar(Widget):
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        width: 1fr;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .keybar--key {
        color: $footer-key-foreground;
        text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen) -> None:
        self.refresh()

    def keys(self) -> List[Tuple[str, str, str]]:
        """``(key, how it reads, description)`` of every shown, enabled binding, one per action."""
        found, actions = [], set()
        for _, binding, enabled, _ in self.screen.active_bindings.values():
            if binding.show and enabled and binding.action not in actions:
                actions.add(binding.action)
                found.append((binding.key, self.app.get_key_display(binding), binding.description))
        return found

    def spans(self) -> List[Tuple[int, int, str]]:
        """``(first cell, cell after the last, key)`` of every item on the line."""
        found, x = [], 0
        for key, shown, description in self.keys():
            width = cell_len(f" {shown} {description} ")
            found.append((x, x + width, key))
            x += width
        return found

    def render(self) -> Text:
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        text_style = self.get_component_rich_style("keybar--description", partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        for _, shown, description in self.keys():
            line.append(f" {shown}", style=key_style)
            line.append(f" {description} ", style=text_style)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self.spans():
            if start <= event.x < end:
                event.stop()
                self.app.simulate_key(key)
                return
