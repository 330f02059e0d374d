"""Pick a folder (export folder, import folder) or a file (keystore) from a directory tree, or type it.

Keyboard: arrows move in the tree, Enter opens a folder / picks a file, Tab goes to the path field,
Enter there takes the typed path, ``ctrl+s`` takes the highlighted folder, Esc cancels. Only
directory listings are read here (Textual's DirectoryTree does that in its own worker).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Footer, Input, Static

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, register

register(
    Action("picker.take", "ctrl+s", "action.picker.take", scope="picker", action="take", priority=True),
    Action("picker.cancel", "escape", "action.picker.cancel", scope="picker", action="cancel"),
)


def _start(initial: Optional[str]) -> Path:
    if initial:
        p = Path(initial).expanduser()
        while not p.is_dir() and p != p.parent:
            p = p.parent
        if p.is_dir():
            return p
    return Path.home()


class _Tree(DirectoryTree):
    def __init__(self, path, *, folders_only: bool, **kw):
        super().__init__(path, **kw)
        self.folders_only = folders_only

    def filter_paths(self, paths):
        return [p for p in paths if not p.name.startswith(".") and (not self.folders_only or p.is_dir())]


class FolderPicker(ModalScreen[Optional[str]]):
    SCOPE = "picker"
    BINDINGS = bindings_for(SCOPE)
    FOLDERS_ONLY = True

    def __init__(self, initial: Optional[str], title: str) -> None:
        super().__init__()
        self.initial = initial
        self.title_text = title
        self.current = str(_start(initial))

    def compose(self):
        root = _start(self.initial)
        with Vertical(id="picker-box", classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield _Tree(str(root.parent if root.parent != root else root), folders_only=self.FOLDERS_ONLY,
                        id="picker-tree")
            yield Input(value=self.initial or str(root), id="picker-path", placeholder=t("picker.placeholder"))
            yield Static(t("picker.hint.folder" if self.FOLDERS_ONLY else "picker.hint.file"), classes="hint")
            yield Static("", id="picker-problem", classes="problem")
        # the dialog's own keys (the screen below keeps its footer, with keys that do not work here)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#picker-tree", DirectoryTree).focus()

    def on_directory_tree_directory_selected(self, event: DirectoryTree.DirectorySelected) -> None:
        self.current = str(event.path)
        self.query_one("#picker-path", Input).value = self.current

    def on_tree_node_highlighted(self, event) -> None:
        data = getattr(event.node, "data", None)
        path = getattr(data, "path", None)
        if path is not None:
            self.current = str(path)
            self.query_one("#picker-path", Input).value = self.current

    def on_directory_tree_file_selected(self, event: DirectoryTree.FileSelected) -> None:
        if not self.FOLDERS_ONLY:
            self.dismiss(str(event.path))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._take(event.value)

    def action_take(self) -> None:
        self._take(self.query_one("#picker-path", Input).value or self.current)

    def _take(self, value: str) -> None:
        p = Path(value.strip()).expanduser()
        ok = p.is_dir() if self.FOLDERS_ONLY else p.is_file()
        if not ok:
            key = "picker.problem.folder" if self.FOLDERS_ONLY else "picker.problem.file"
            self.query_one("#picker-problem", Static).update(t(key, path=str(p)))
            return
        self.dismiss(str(p))

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilePicker(FolderPicker):
    FOLDERS_ONLY = False
