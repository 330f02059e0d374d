"""新しいファイルを受け取る, guided: ask the relay and count what is new (large digits) → the import
folder → save there → done. The same calls as the 受信 tab (``services.receive`` / ``inbox`` /
``save_received``), in the order the files were received."""

from __future__ import annotations

from typing import List

from textual.widgets import Static

from tui_client.catalog import t
from tui_client.office.models import InboxState, ListQuery
from tui_client.ui.guided.engine import Task, WorkStep, figure
from tui_client.ui.guided.steps import FolderStep


def _new(values) -> bool:
    return bool(values.get("new_count"))


class CountStep(WorkStep):
    KEY = "count"
    TITLE = "guided.recv.count.title"
    WAITING = "guided.recv.asking"

    def gather(self):
        got = self.services.receive()
        new = self.services.inbox(ListQuery(limit=-1, state=InboxState.NEW.value))
        return got, [i.key for i in new.items]

    def done(self, result) -> None:
        from tui_client.ui.format import finding_text

        got, keys = result
        self.values["new_count"] = len(keys)
        self.scratch["keys"] = keys
        widgets = list(figure(len(keys), t("guided.recv.new", n=len(keys)) if keys else t("guided.recv.none")))
        problems = [f for f in got.findings if f.blocks_sending]
        if problems:
            widgets.append(Static("！\u00a0" + finding_text(problems[0])[0], classes="guided-hint"))
        self.show(*widgets)

    def leave(self):
        return {"new_count": self.values.get("new_count", 0)}


class SaveFolderStep(FolderStep):
    KEY = "folder"
    TITLE = "guided.recv.folder.title"
    HINT = "guided.recv.folder.hint"
    VALUE = "import_folder"
    SETTING = "import_folder"
    NEXT = "guided.recv.folder.next"
    applies = classmethod(lambda cls, values: _new(values))


class SaveStep(WorkStep):
    KEY = "save"
    TITLE = "guided.recv.save.title"
    WAITING = "guided.recv.saving"
    NEXT = "guided.end"
    RESUME = "count"
    BACK = False
    applies = classmethod(lambda cls, values: _new(values))

    def gather(self):
        keys = self.scratch.get("keys")
        if keys is None:        # resumed: what is new now
            keys = [i.key for i in self.services.inbox(ListQuery(limit=-1, state=InboxState.NEW.value)).items]
        return self.services.save_received(keys, str(self.values.get("import_folder") or ""))

    def done(self, result) -> None:
        from tui_client.ui import messages
        from tui_client.ui.format import finding_text
        from tui_client.ui.services import summary

        paths, findings = result
        widgets: List = list(figure(len(paths), t("guided.recv.saved", n=len(paths))))
        errors = [summary(f) for f in findings]
        errors = [f for f in errors if f.blocks_sending]
        if errors:
            what, fix = finding_text(errors[0])
            widgets += [Static("✗\u00a0" + what, classes="guided-text"), Static(fix, classes="guided-hint")]
        self.show(*widgets)
        self.app.deliver(messages.ArrivalsChanged)


TASK = Task("receive", "guided.task.receive", (CountStep, SaveFolderStep, SaveStep))
