"""はじめの設定 (first-run set-up), guided: the set-up screen's own checks (``services.setup_checks``,
not a second copy), then only the steps that are missing: import the keystore (file, password and, when
no office is set up yet, the relay and the CA file), the export folder, the import folder; at the end
the same checks again, each one still not right with its plain fix."""

from __future__ import annotations

from typing import Dict

from textual.widgets import Static

from tui_client.catalog import t
from tui_client.ui.guided.engine import Step, Task, WorkStep, figure
from tui_client.ui.guided.steps import FolderStep, ImportStep, InputStep, KeystoreStep, PasswordStep

MARK = {True: "✓", False: "✗", None: "？"}


def run_checks(step: Step):
    from tui_client.ui.services import setup_checks

    return setup_checks(step.app.services, step.app.settings, step.app.home_dir)


def first_bad(checks) -> str:
    """The first check that is not right, with how many more follow, as one line."""
    bad = [c for c in checks if not c.ok]
    if not bad:
        return ""
    more = t("guided.setup.more", n=len(bad) - 1) if len(bad) > 1 else ""
    return f"{MARK[bad[0].ok]}\u00a0{bad[0].label}{more}"


def needs(checks) -> Dict[str, object]:
    """Which steps the checks call for. A relay that does not answer is not fixed by importing the
    keystore again: the last step says what to do about it."""
    by_key = {c.key: c.ok for c in checks}
    return {
        "need_office": by_key.get("keystore") is not True or by_key.get("password") is not True
        or by_key.get("certificate") is False,
        "has_office": by_key.get("password") is True,
        "need_export": by_key.get("export_folder") is not True,
        "need_import": by_key.get("import_folder") is not True,
    }


class CheckStep(WorkStep):
    KEY = "check"
    TITLE = "guided.setup.check.title"
    WAITING = "guided.setup.checking"

    def gather(self):
        return run_checks(self)

    def done(self, checks) -> None:
        self.values.update(needs(checks))
        bad = sum(1 for c in checks if not c.ok)
        if not bad:
            self.show(Static(t("guided.setup.all_ok"), classes="guided-text"))
            return
        self.show(*figure(bad, t("guided.setup.to_fix", n=bad)), Static(first_bad(checks), classes="guided-text"))

    def leave(self) -> Dict[str, object]:
        return {}


def _office(values) -> bool:
    return bool(values.get("need_office"))


def _new_office(values) -> bool:
    return bool(values.get("need_office")) and not values.get("has_office")


class SetupKeystoreStep(KeystoreStep):
    applies = classmethod(lambda cls, values: _office(values))


class SetupPasswordStep(PasswordStep):
    applies = classmethod(lambda cls, values: _office(values))


class RelayStep(InputStep):
    KEY = "relay"
    TITLE = "guided.relay.title"
    HINT = "guided.relay.hint"
    VALUE = "relay"
    applies = classmethod(lambda cls, values: _new_office(values))

    def decide(self) -> str:
        from tui_client.ui.settings import check_relay_url

        if check_relay_url(self.text):
            return t("guided.relay.bad")
        return ""


class CaStep(InputStep):
    KEY = "ca"
    TITLE = "guided.ca.title"
    HINT = "guided.ca.hint"
    VALUE = "ca"
    applies = classmethod(lambda cls, values: _new_office(values))


class SetupImportStep(ImportStep):
    applies = classmethod(lambda cls, values: _office(values))


class ExportFolderStep(FolderStep):
    KEY = "export_folder"
    TITLE = "guided.export.title"
    HINT = "guided.export.hint"
    VALUE = "export_folder"
    SETTING = "export_folder"
    applies = classmethod(lambda cls, values: bool(values.get("need_export")))


class ImportFolderStep(FolderStep):
    KEY = "import_folder"
    TITLE = "guided.importdir.title"
    HINT = "guided.importdir.hint"
    VALUE = "import_folder"
    SETTING = "import_folder"
    applies = classmethod(lambda cls, values: bool(values.get("need_import")))


class DoneStep(WorkStep):
    KEY = "done"
    TITLE = "guided.setup.done.title"
    WAITING = "guided.setup.checking"
    NEXT = "guided.end"

    def gather(self):
        return run_checks(self)

    def done(self, checks) -> None:
        self.checks = checks
        bad = [c for c in checks if not c.ok]
        if not bad:
            self.show(Static(t("guided.setup.all_ok"), classes="guided-text"))
            return
        self.show(Static(first_bad(checks), classes="guided-text"),
                  Static(t("setup.todo", fix=bad[0].fix), classes="guided-hint"))


TASK = Task("setup", "guided.task.setup", (CheckStep, SetupKeystoreStep, SetupPasswordStep, RelayStep, CaStep,
                                           SetupImportStep, ExportFolderStep, ImportFolderStep, DoneStep))
