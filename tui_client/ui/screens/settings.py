"""設定: relay URL, archive retention (years), export and import folders, hook command, theme, poll
interval.

Every value is checked by the one config module (``ui/settings.py``) and every problem is shown at
once, each with the field it is about; nothing is saved until all are right.
"""

from __future__ import annotations

from dataclasses import asdict

from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Select, Static

from tui_client.catalog import t
from tui_client.ui import settings as settings_mod
from tui_client.ui.actions import Action, bindings_for, register

register(
    Action("settings.save", "ctrl+s", "action.settings.save", scope="settings", action="save", priority=True),
    Action("settings.cancel", "escape", "action.settings.cancel", scope="settings", action="cancel"),
)

FIELDS = ("export_folder", "import_folder", "hook_command", "poll_interval")
#: kept in the office's ``office.json`` rather than the app's settings
OFFICE_FIELDS = ("relay_url", "retention_years")


class SettingsScreen(ModalScreen):
    SCOPE = "settings"
    BINDINGS = bindings_for(SCOPE)

    def compose(self):
        current = self.app.settings
        office = self.app.office
        # one line per field, compact inputs (app.tcss #settings-box): with bordered inputs the seven
        # fields took 21 lines and the dialog scrolled at 80x24, its buttons out of sight
        with VerticalScroll(id="settings-box", classes="dialog"):
            yield Static(t("settings.title"), classes="dialog-title")
            # the office's own settings (office.json): editable only once an office is open
            for key in OFFICE_FIELDS:
                with Horizontal(classes="field"):
                    yield Static(t(f"settings.{key}"), classes="label")
                    yield Input(str(getattr(office.settings, key)) if office else "", id=f"settings-{key}",
                                disabled=office is None, compact=True)
            for key in FIELDS:
                with Horizontal(classes="field"):
                    yield Static(t(f"settings.{key}"), classes="label")
                    yield Input(str(getattr(current, key)), id=f"settings-{key}", compact=True)
            with Horizontal(classes="field"):
                yield Static(t("settings.theme"), classes="label")
                yield Select([(t("theme." + th), th) for th in settings_mod.THEMES], value=current.theme,
                             allow_blank=False, id="settings-theme", compact=True)
            yield Static("", id="settings-problems", classes="problem")
            with Horizontal(classes="buttons"):
                yield Button(t("settings.save"), id="settings-save", variant="primary", compact=True)
                yield Button(t("settings.cancel"), id="settings-cancel", compact=True)
        # the dialog's own keys (the screen below keeps its footer, with keys that do not work here)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        """Typing goes to the first field that can be edited (the box itself took the focus)."""
        first = next((i for i in self.query(Input) if not i.disabled), None)
        if first is not None:
            first.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "settings-save":
            self.action_save()
        else:
            self.action_cancel()

    def values(self) -> dict:
        raw = {key: self.query_one(f"#settings-{key}", Input).value for key in FIELDS}
        raw["theme"] = self.query_one("#settings-theme", Select).value
        return raw

    def action_save(self) -> None:
        raw = self.values()
        office = self.app.office
        own = {key: self.query_one(f"#settings-{key}", Input).value for key in OFFICE_FIELDS} if office else {}
        new, problems = settings_mod.validate(raw, "app.json", **own)
        changed = {key: value for key, value in own.items()
                   if value.strip() != str(getattr(office.settings, key))}
        if not problems and changed:
            problems = settings_mod.save_office(office.settings, self.app.home_dir, **changed)
        if problems:
            self.query_one("#settings-problems", Static).update("\n".join(
                "✗ " + t("settings.problem.where", field=t(f"settings.{p.key}") if p.key else p.file)
                + " " + t(p.code, value=p.value) for p in problems))
            return
        self.app.save_settings(new)
        self.app.notify(t("settings.saved"))
        self.dismiss(asdict(new))

    def action_cancel(self) -> None:
        self.dismiss(None)
