"""Which records an export of the 保管庫 takes: one user or one month (u / m, Esc to go back).
Dismisses with ``("user", value)``, ``("month", value)`` or None."""

from __future__ import annotations

from typing import Optional, Tuple

from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Static

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import month_label

register(
    Action("export_choice.user", "u", "archive.form.user", scope="export_choice", action="pick('user')"),
    Action("export_choice.month", "m", "archive.form.month", scope="export_choice", action="pick('month')"),
    Action("export_choice.cancel", "escape", "action.confirm.no", scope="export_choice", action="pick('')"),
)


class ExportChoice(ModalScreen[Optional[Tuple[str, str]]]):
    SCOPE = "export_choice"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, user: str, month: str) -> None:
        super().__init__()
        self.choices = {"user": user, "month": month}

    def compose(self):
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(t("archive.export.choose"), classes="dialog-title")
            with Horizontal(classes="buttons"):
                if self.choices["user"]:
                    yield Button(t("archive.export.by_user", user=self.choices["user"]), id="user",
                                 variant="primary")
                if self.choices["month"]:
                    yield Button(t("archive.export.by_month", month=month_label(self.choices["month"],
                                                                                 western=False)), id="month")
        # the dialog's own keys (the screen below keeps its footer, with keys that do not work here)
        yield Footer(show_command_palette=False)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.action_pick(event.button.id or "")

    def action_pick(self, which: str) -> None:
        value = self.choices.get(which, "")
        self.dismiss((which, value) if value else None)
