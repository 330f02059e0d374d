"""お知らせのひな形: pick a note template (利用なし, 限度額超過, an office's own), fill its fields, and
hand the note back to the caller (the compose screen puts it into the message).

Keyboard: ↑↓ and Enter pick a template; in the form Tab moves between fields, ``ctrl+s`` makes the
note, Esc closes without one. Each field shows its label (with 必須 / 空欄可 in words), an input and,
below it, its help or — after a try — what is wrong and how to fix it, marked ✗ in words, not colour
alone. The screen dismisses with a ``NoteChoice`` (the ``core.templates.Note`` and whether a PDF is
wanted) or None.

The templates come from the caller, or are read in a worker (the office's own folder is on disk);
checking the values is ``core.templates.fill``, pure and quick, so it runs on the spot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

from textual import work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui_client.catalog import finding_message, t
from tui_client.core.templates import Note, Template, fill, load_templates
from tui_client.ui.actions import Action, bindings_for, register

register(
    Action("notes.fill", "ctrl+s", "action.notes.fill", scope="notes", action="fill", priority=True),
    Action("notes.cancel", "escape", "action.notes.cancel", scope="notes", action="cancel"),
)


@dataclass(frozen=True)
class NoteChoice:
    """What the screen hands back: the filled note, and whether its PDF goes with the message."""

    note: Note
    pdf: bool = False


class NoteScreen(ModalScreen[Optional[NoteChoice]]):
    SCOPE = "notes"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, templates: Optional[Sequence[Template]] = None, *, template_id: str = "",
                 values: Mapping[str, str] = (), pdf: bool = False) -> None:
        """``templates``: the ones to offer (None: read the office's in a worker). ``template_id`` and
        ``values`` open the form of that template already filled in (a suggestion from the data)."""
        super().__init__()
        self.templates: Optional[List[Template]] = list(templates) if templates is not None else None
        self.template_id = template_id
        self.initial: Dict[str, str] = dict(values or {})
        self.want_pdf = pdf
        self.template: Optional[Template] = None
        self.problems: Dict[str, str] = {}

    def compose(self):
        with Vertical(id="notes-box", classes="dialog"):
            yield Static(t("notes.title"), id="notes-title", classes="dialog-title")
            yield Static(t("notes.pick"), id="notes-hint", classes="hint")
            yield OptionList(id="notes-list")
            yield VerticalScroll(id="notes-form")
            yield Static("", id="notes-problem", classes="problem")
            with Horizontal(classes="buttons", id="notes-buttons"):
                yield Button(t("notes.ok"), id="notes-ok", variant="primary")
                yield Button(t("notes.back"), id="notes-back")
        # the dialog's own keys (the screen below keeps its footer, with keys that do not work here)
        yield Footer(show_command_palette=False)

    async def on_mount(self) -> None:
        self.query_one("#notes-form").display = False
        self.query_one("#notes-buttons").display = False
        if self.templates is None:
            self.query_one("#notes-hint", Static).update(t("notes.loading"))
            self._load()
        else:
            await self._offer(self.templates, [])

    # -- the list
    @work(thread=True, exclusive=True, group="notes-load")
    def _load(self) -> None:
        services = getattr(self.app, "services", None)
        loader = getattr(services, "templates", None) if services is not None else None
        templates, findings = loader() if loader is not None else load_templates()
        self.app.call_from_thread(self._offer, templates, findings)

    async def _offer(self, templates: Sequence[Template], findings) -> None:
        self.templates = list(templates)
        hint = t("notes.pick") if self.templates else t("notes.none")
        if findings:
            first = findings[0]
            hint += "\n" + t("notes.load_problem", count=len(findings), first=finding_message(first)[0])
        self.query_one("#notes-hint", Static).update(hint)
        options = self.query_one("#notes-list", OptionList)
        options.clear_options()
        options.add_options([Option(f"{tp.title}  {tp.description}".rstrip(), id=tp.id) for tp in self.templates])
        chosen = next((tp for tp in self.templates if tp.id == self.template_id), None)
        if chosen is not None:
            await self._open(chosen)
        elif self.templates:
            options.highlighted = 0
            options.focus()

    async def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        chosen = next((tp for tp in self.templates or () if tp.id == event.option.id), None)
        if chosen is not None:
            await self._open(chosen)

    # -- the form
    async def _open(self, template: Template) -> None:
        if self.template is not None:
            return
        self.template = template
        self.problems = {}
        self.query_one("#notes-title", Static).update(t("notes.form.title", title=template.title))
        self.query_one("#notes-hint", Static).update(
            "\n".join(x for x in (template.description, t("notes.form.keys")) if x))
        self.query_one("#notes-list").display = False
        form = self.query_one("#notes-form", VerticalScroll)
        await form.remove_children()
        widgets = []
        for f in template.fields:
            mark = t("notes.required") if f.required else t("notes.optional")
            widgets.append(Static(f"{f.label}{mark}", classes="note-label"))
            widgets.append(Input(self.initial.get(f.name, ""), id=f"note-{f.name}"))
            widgets.append(Static(f.help, id=f"note-help-{f.name}", classes="note-help"))
        widgets.append(Checkbox(t("notes.pdf"), self.want_pdf, id="notes-pdf"))
        await form.mount_all(widgets)
        form.display = True
        self.query_one("#notes-buttons").display = True
        self.query_one("#notes-problem", Static).update("")
        self.call_after_refresh(self._focus_first)

    def _focus_first(self) -> None:
        inputs = list(self.query_one("#notes-form").query(Input))
        if inputs:
            inputs[0].focus()

    def values(self) -> Dict[str, str]:
        if self.template is None:
            return {}
        return {f.name: self.query_one(f"#note-{f.name}", Input).value for f in self.template.fields}

    def _show(self, findings) -> None:
        self.problems = {}
        for f in findings:
            name = f.param("name")
            if name and name not in self.problems:
                message, fix = finding_message(f)
                self.problems[name] = t("notes.field_bad", message=message, fix=fix)
        for fld in self.template.fields:
            help_line = self.query_one(f"#note-help-{fld.name}", Static)
            problem = self.problems.get(fld.name)
            help_line.update(problem or fld.help)
            help_line.set_class(problem is not None, "problem")
        self.query_one("#notes-problem", Static).update(
            t("notes.fix_these", count=len(findings)) if findings else "")
        bad = next((fld.name for fld in self.template.fields if fld.name in self.problems), None)
        if bad is not None:
            widget = self.query_one(f"#note-{bad}", Input)
            widget.focus()
            widget.scroll_visible()

    async def action_fill(self) -> None:
        if self.template is None:
            options = self.query_one("#notes-list", OptionList)
            if options.highlighted is not None and self.templates:
                await self._open(self.templates[options.highlighted])
            return
        note, findings = fill(self.template, self.values())
        if note is None:
            self._show(findings)
            return
        self.dismiss(NoteChoice(note, self.query_one("#notes-pdf", Checkbox).value))

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last one it makes the note."""
        inputs = list(self.query_one("#notes-form").query(Input))
        if event.input in inputs and inputs.index(event.input) < len(inputs) - 1:
            inputs[inputs.index(event.input) + 1].focus()
        else:
            await self.action_fill()

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "notes-ok":
            await self.action_fill()
        elif event.button.id == "notes-back":
            self._back()

    def _back(self) -> None:
        self.initial.update(self.values())
        self.template = None
        self.template_id = ""
        self.query_one("#notes-title", Static).update(t("notes.title"))
        self.query_one("#notes-hint", Static).update(t("notes.pick"))
        self.query_one("#notes-form").display = False
        self.query_one("#notes-buttons").display = False
        self.query_one("#notes-problem", Static).update("")
        options = self.query_one("#notes-list", OptionList)
        options.display = True
        options.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
