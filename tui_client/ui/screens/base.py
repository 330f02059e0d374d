"""What every tab has in common: its action scope, ``reload()``, and reacting to the app's messages.

A tab reads the office as ``self.app.office`` and the engine only through ``self.app.services``
inside ``@work(thread=True)`` workers. The app calls ``reload()`` on a tab switch and delivers
``ArrivalsChanged`` / ``OutboxChanged`` / ``RelayStateChanged`` to every tab; the default handlers
reload the tab when it shows what changed (``RELOAD_ON``).
"""

from __future__ import annotations

from typing import ClassVar, Tuple

from textual.containers import Vertical
from textual.widgets import Static

from tui_client.catalog import t
from tui_client.ui import messages


class TabView(Vertical):
    SCOPE: ClassVar[str] = ""
    #: which app messages make this tab reload
    RELOAD_ON: ClassVar[Tuple[type, ...]] = ()

    def reload(self) -> None:  # pragma: no cover - every tab overrides it
        pass

    def focus_first(self) -> None:
        """Put the keyboard on the tab's main widget (its first focusable child)."""
        for w in self.query("*"):
            if w.focusable:
                w.focus()
                return

    @property
    def services(self):
        return self.app.services

    def _maybe_reload(self, message) -> None:
        if isinstance(message, self.RELOAD_ON):
            self.reload()

    def on_arrivals_changed(self, message: messages.ArrivalsChanged) -> None:
        self._maybe_reload(message)

    def on_outbox_changed(self, message: messages.OutboxChanged) -> None:
        self._maybe_reload(message)

    def on_relay_state_changed(self, message: messages.RelayStateChanged) -> None:
        self._maybe_reload(message)


class PlaceholderTab(TabView):
    """新規作成 / 下書き / 保管庫 until the next issue fills them: says so, in words."""

    def __init__(self, scope: str, **kw) -> None:
        super().__init__(**kw)
        self.scope_name = scope

    def compose(self):
        yield Static(t("placeholder.body", tab=t(f"tab.{self.scope_name}")), classes="placeholder")
