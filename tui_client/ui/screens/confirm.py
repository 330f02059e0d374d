"""A yes/no question before anything that cannot be undone (resend, withdraw). Keyboard: y / n, Esc."""

from __future__ import annotations

from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, register

register(
    Action("confirm.yes", "y", "action.confirm.yes", scope="confirm", action="yes"),
    Action("confirm.no", "n,escape", "action.confirm.no", scope="confirm", action="no"),
)


class ConfirmScreen(ModalScreen[bool]):
    SCOPE = "confirm"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self):
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="buttons"):
                yield Button(t("confirm.yes"), id="yes", variant="primary")
                yield Button(t("confirm.no"), id="no")
        # the dialog's own keys (the screen below keeps its footer, with keys that do not work here)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_yes(self) -> None:
        self.dismiss(True)

    def action_no(self) -> None:
        self.dismiss(False)
