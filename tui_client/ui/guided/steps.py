"""Steps more than one task uses: type a value, pick a folder or a file, choose one of a few, and
import a keystore through the existing set-up flow (``services.run_setup`` + ``open_office``, the same
calls as the set-up screen's form; nothing here checks a certificate itself)."""

from __future__ import annotations

from typing import ClassVar, Dict, List, Tuple

from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_client.catalog import t
from tui_client.ui.guided.engine import Step, WorkStep, figure


class InputStep(Step):
    """One line to type. ``VALUE`` names the value; ``HINT`` says what to type, in words."""

    VALUE: ClassVar[str] = ""
    HINT: ClassVar[str] = ""
    PASSWORD: ClassVar[bool] = False
    REQUIRED: ClassVar[bool] = True

    def initial(self) -> str:
        return str(self.values.get(self.VALUE) or "")

    def compose(self):
        yield Static(t(self.HINT), classes="guided-text")
        yield Input(self.initial(), password=self.PASSWORD, id=f"guided-{self.VALUE}", classes="guided-input")

    def start(self) -> None:
        self.query_one(Input).focus()

    @property
    def text(self) -> str:
        return self.query_one(Input).value.strip()

    def leave(self) -> Dict[str, object]:
        return {self.VALUE: self.text}

    def on_input_changed(self, event: Input.Changed) -> None:
        # kept as typed (in memory), so closing the app mid-step loses nothing; secrets stay out
        if self.VALUE not in self.SECRET:
            self.values[self.VALUE] = event.value.strip()

    def decide(self) -> str:
        if self.REQUIRED and not self.text:
            return t("guided.missing")
        return ""


class FolderStep(InputStep):
    """A folder, remembered in the app settings (``SETTING``); ctrl+o opens the folder picker."""

    SETTING: ClassVar[str] = ""
    PICK_TITLE: ClassVar[str] = "guided.pick.folder"

    def initial(self) -> str:
        return str(self.values.get(self.VALUE) or getattr(self.app.settings, self.SETTING, "") or "")

    def compose(self):
        yield from super().compose()
        yield Static(t("guided.pick.hint"), classes="guided-hint")

    def _picker(self, current, title):
        from tui_client.ui.screens.picker import FolderPicker

        return FolderPicker(current, title)

    def pick(self) -> None:
        def chosen(path) -> None:
            if path:
                self.query_one(Input).value = str(path)

        self.app.push_screen(self._picker(self.text or None, t(self.PICK_TITLE)), chosen)

    def commit(self) -> None:
        settings = self.app.settings
        if self.text and getattr(settings, self.SETTING) != self.text:
            setattr(settings, self.SETTING, self.text)
            self.app.save_settings(settings)


class ChoiceStep(WorkStep):
    """One of a few, in one column; the highlighted one is the answer. The options are gathered in a
    worker (they may come from the office's store); ``EMPTY`` says in words when there are none."""

    VALUE: ClassVar[str] = ""
    HINT: ClassVar[str] = ""
    EMPTY: ClassVar[str] = "guided.choose.none"
    WAITING = "guided.choose.loading"

    def __init__(self, guide) -> None:
        super().__init__(guide)
        self._options: List[Tuple[str, str]] = []

    def gather(self) -> List[Tuple[str, str]]:  # pragma: no cover - every choice step overrides it
        return []

    def compose(self):
        yield Static(t(self.HINT), classes="guided-text")
        yield from super().compose()

    def done(self, options) -> None:
        self._options = list(options)
        if not self._options:
            self.show(Static(t(self.EMPTY), classes="guided-text"))
            return
        ol = OptionList(*(Option(label, id=key) for key, label in self._options), classes="guided-choice")
        self.show(ol)
        ol.focus()
        keys = [k for k, _ in self._options]
        if self.values.get(self.VALUE) in keys:
            ol.highlighted = keys.index(self.values[self.VALUE])

    def leave(self) -> Dict[str, object]:
        found = self.query(OptionList)
        ol = found.first() if found else None
        if ol is None or ol.highlighted is None or ol.highlighted >= len(self._options):
            return {}
        return {self.VALUE: self._options[ol.highlighted][0]}

    def decide(self) -> str:
        if self.busy:
            return t("guided.wait")
        return "" if self.leave() else t("guided.choose")


# --- importing a keystore (first set-up and renewal) -------------------------------------------

class KeystoreStep(InputStep):
    KEY = "keystore"
    TITLE = "guided.keystore.title"
    HINT = "guided.keystore.hint"
    VALUE = "keystore"

    def initial(self) -> str:
        return str(self.values.get(self.VALUE) or "")

    def compose(self):
        yield from super().compose()
        yield Static(t("guided.pick.hint"), classes="guided-hint")

    def pick(self) -> None:
        from tui_client.ui.screens.picker import FilePicker

        def chosen(path) -> None:
            if path:
                self.query_one(Input).value = str(path)

        self.app.push_screen(FilePicker(self.text or None, t("setup.pick.title")), chosen)


class PasswordStep(InputStep):
    KEY = "password"
    TITLE = "guided.password.title"
    HINT = "guided.password.hint"
    VALUE = "password"
    PASSWORD = True
    REQUIRED = False            # a keystore may have no password
    SECRET = ("password",)


class ImportStep(WorkStep):
    """Import the keystore with the set-up flow, then open the office and work for it."""

    KEY = "import"
    TITLE = "guided.import.title"
    WAITING = "guided.import.working"
    RESUME = "keystore"         # the password is never kept: resume asks for the file again

    def gather(self):
        from tui_client.ui.services import open_office, run_setup

        office = self.app.office
        relay = str(self.values.get("relay") or (office.settings.relay_url if office else ""))
        ca = str(self.values.get("ca") or (office.settings.ca_file if office else ""))
        password = str(self.values.get("password") or "")
        settings, findings = run_setup(str(self.values.get("keystore") or ""), password, relay, ca,
                                       self.app.home_dir)
        opened = None
        if settings is not None:
            opened, more = open_office(settings.office, password or None, self.app.home_dir)
            findings += more
        days = None
        if opened is not None:
            cert = opened.certificate_status()
            days = cert.days_left if cert is not None else None
        return opened, findings, days

    def done(self, result) -> None:
        from tui_client.ui.format import finding_text

        opened, findings, days = result
        self.values.pop("password", None)
        if opened is None:
            errors = [f for f in findings if f.blocks_sending] or list(findings)
            what, fix = finding_text(errors[0]) if errors else (t("guided.import.failed"), "")
            self.scratch["import_ok"] = False
            self.show(Static(f"✗\u00a0{what}", classes="guided-text"), Static(fix, classes="guided-hint"))
            return
        self.scratch["import_ok"] = True
        self.app.use_office(opened)
        widgets = [Static(t("guided.import.done", office=opened.number), classes="guided-text")]
        if days is not None:
            widgets += list(figure(days, t("guided.cert.days_caption", days=days)))
        self.show(*widgets)

    def decide(self) -> str:
        if self.busy:
            return t("guided.wait")
        return "" if self.scratch.get("import_ok") else t("guided.import.back")
