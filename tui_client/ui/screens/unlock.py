"""The keystore password, asked once when the app opens a real office (a DEMO office needs none).

The password goes straight to the worker that opens the keystore and is never stored or shown; a
wrong one is said in words and asked again. ``ctrl+o`` leads to the set-up check instead.
"""

from __future__ import annotations

from textual import work
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import finding_text

register(
    Action("unlock.setup", "ctrl+o", "action.unlock.setup", scope="unlock", action="setup", priority=True),
)


class UnlockScreen(Screen):
    SCOPE = "unlock"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, office_number: str) -> None:
        super().__init__()
        self.office_number = office_number

    def compose(self):
        with Vertical(id="unlock-box", classes="dialog"):
            yield Static(t("unlock.title", office=self.office_number), classes="dialog-title")
            yield Input(id="unlock-password", password=True, placeholder=t("unlock.placeholder"))
            yield Static("", id="unlock-problem", classes="problem")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#unlock-password", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        password = event.value
        event.input.value = ""
        self.query_one("#unlock-problem", Static).update(t("unlock.opening"))
        self._open(password)

    @work(thread=True, exclusive=True, group="unlock")
    def _open(self, password: str) -> None:
        from tui_client.ui.services import open_office

        office, findings = open_office(self.office_number, password, self.app.home_dir)
        self.app.call_from_thread(self._opened, office, findings)

    def _opened(self, office, findings) -> None:
        if office is None:
            errors = [f for f in findings if f.blocks_sending] or list(findings)
            text = "\n".join("✗ " + "  ".join(finding_text(f)) for f in errors[:3])
            self.query_one("#unlock-problem", Static).update(text or t("unlock.failed"))
            return
        self.app.pop_screen()
        self.app.use_office(office)

    def action_setup(self) -> None:
        from tui_client.ui.screens.setup import SetupScreen

        self.app.switch_screen(SetupScreen())
