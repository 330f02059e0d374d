"""利用なし・限度額超過のお知らせ, guided: which note → to whom → one screen per field of the note's
template (its label and help come from the template data) → confirm with a summary → send.

The notes themselves (``core.templates``: the templates, ``fill``) and the sending
(``Office.send_note(recipient, note, pdf=)``, ``office/notes.py``) are reached only through
``notes_api`` and ``send_note`` below. When they cannot be had (no office yet, a broken template
folder with no built-in note left), the first step says so in words and the task ends there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Dict, List, Optional, Tuple, Type

from textual.widgets import Input, Static

from tui_client.catalog import t
from tui_client.ui.guided.engine import Step, Task, WorkStep
from tui_client.ui.guided.steps import ChoiceStep

NOTE_KINDS = ("nil_usage", "over_limit")        # the built-in templates' ids
MAX_FIELDS = 10                                  # field steps made for a template (the two have 6 and 8)


@dataclass(frozen=True)
class NotesApi:
    """What guided mode needs of the notes: the templates by id, ``fill(template, values)`` →
    ``(Note or None, findings)``, and the office's ``send_note``."""

    templates: Dict[str, object]
    fill: Callable
    send: Callable


def notes_api(office) -> Optional[NotesApi]:
    """The built-in notes of this office, or None when there is no office or none can be read
    (the task then says so)."""
    if office is None or not hasattr(office, "send_note"):
        return None
    try:
        from tui_client.core import templates as tpl  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        found, _ = office.templates() if hasattr(office, "templates") else tpl.load_templates()
    except Exception:  # noqa: BLE001 - a broken template folder: the built-in notes still count
        found = []
    by_id = {x.id: x for x in found if x.id in NOTE_KINDS}
    if not by_id:
        return None
    return NotesApi(by_id, tpl.fill, office.send_note)


def send_note(services, recipient: str, note, *, service: Optional[str] = None):
    """Send one filled note (with its PDF) through the office: ``(sent?, findings)``, never a raise."""
    from tui_client.ui.services import _unexpected, summary

    api = notes_api(services.office)
    if api is None:
        return False, ()
    with services._lock:
        try:
            report = api.send(recipient, note, pdf=True, recipient_service=service)
        except Exception as exc:  # noqa: BLE001
            return False, (_unexpected(exc),)
    findings = tuple(summary(f) for f in report.findings)
    return bool(report.sent or report.waiting), findings


def _template(step: Step):
    api = step.scratch.get("api")
    return api.templates.get(str(step.values.get("note_kind"))) if api is not None else None


class KindStep(ChoiceStep):
    KEY = "kind"
    TITLE = "guided.note.kind.title"
    HINT = "guided.note.kind.hint"
    VALUE = "note_kind"
    EMPTY = "guided.note.unavailable"

    def gather(self) -> List[Tuple[str, str]]:
        api = notes_api(self.app.office)        # may read the office's template folder: a worker
        self.scratch["api"] = api
        if api is None:
            return []
        return [(k, t(f"guided.note.kind.{k}")) for k in NOTE_KINDS if k in api.templates]

    def leave(self) -> Dict[str, object]:
        values = super().leave()
        api = self.scratch.get("api")
        if api is not None and values.get(self.VALUE) in api.templates:
            values["note_fields"] = len(api.templates[values[self.VALUE]].fields)
        return values

    def decide(self) -> str:
        if not self.busy and not self._options:
            return ""           # nothing to choose: Enter ends the task, as the words say
        return super().decide()


def _chosen(values) -> bool:
    return values.get("note_kind") in NOTE_KINDS


class RecipientStep(ChoiceStep):
    KEY = "recipient"
    TITLE = "guided.note.to.title"
    HINT = "guided.note.to.hint"
    VALUE = "recipient"
    EMPTY = "guided.note.to.none"
    applies = classmethod(lambda cls, values: _chosen(values))

    def gather(self) -> List[Tuple[str, str]]:
        partners = self.app.services.partners()
        self.scratch["partners"] = {p.office: p for p in partners}
        return [(p.office, t("guided.send.recipient", name=p.name or t("guided.send.no_name"), office=p.office))
                for p in partners]


class FieldStep(Step):
    """One field of the note's template: its label is the heading, its help the hint."""

    INDEX: ClassVar[int] = 0

    @classmethod
    def applies(cls, values) -> bool:
        return _chosen(values) and cls.INDEX < int(values.get("note_fields") or 0)

    @property
    def field(self):
        template = _template(self)
        return template.fields[self.INDEX] if template is not None and self.INDEX < len(template.fields) else None

    def initial(self, fld) -> str:
        kept = self.values.get(f"note.{fld.name}")
        if kept is not None:
            return str(kept)
        me = self.app.services.identity()
        to = self.scratch.get("partners", {}).get(str(self.values.get("recipient")))
        nil = self.values.get("note_kind") == "nil_usage"
        if fld.kind == "month":
            return self.app.clock().strftime("%Y%m")
        if fld.name == "provider":
            return me.office if nil else str(self.values.get("recipient") or "")
        if fld.kind == "service":
            if nil:
                return me.service or ""
            return (to.services[0] if to is not None and to.services else "")
        return ""

    def compose(self):
        fld = self.field
        if fld is None:
            yield Static(t("guided.note.unavailable"), classes="guided-text")
            return
        yield Static(fld.label + ("" if fld.required else t("guided.note.optional")), classes="guided-text")
        yield Input(self.initial(fld), id=f"guided-note-{fld.name}", classes="guided-input")
        if fld.help:
            yield Static(fld.help, classes="guided-hint")

    def start(self) -> None:
        for w in self.query(Input):
            w.focus()

    def leave(self) -> Dict[str, object]:
        fld = self.field
        if fld is None:
            return {}
        return {f"note.{fld.name}": self.query_one(Input).value.strip()}

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.field is not None:
            self.values[f"note.{self.field.name}"] = event.value.strip()

    def decide(self) -> str:
        fld = self.field
        if fld is not None and fld.required and not self.query_one(Input).value.strip():
            return t("guided.missing")
        return ""


#: one step class per field position (KEY field0, field1 …), so the engine's sequence stays data
FIELD_STEPS: Tuple[Type[FieldStep], ...] = tuple(
    type(f"FieldStep{i}", (FieldStep,), {"KEY": f"field{i}", "TITLE": "guided.note.field.title", "INDEX": i})
    for i in range(MAX_FIELDS))


def note_values(values) -> Dict[str, str]:
    return {k[5:]: str(v) for k, v in values.items() if k.startswith("note.")}


class NoteConfirmStep(Step):
    KEY = "confirm"
    TITLE = "guided.note.confirm.title"
    NEXT = "guided.note.confirm.next"
    applies = classmethod(lambda cls, values: _chosen(values))

    def compose(self):
        from tui_client.ui.format import finding_text

        template = _template(self)
        self.note = None
        if template is None:
            yield Static(t("guided.note.unavailable"), classes="guided-text")
            return
        fields = {f.name for f in template.fields}
        note, findings = self.scratch["api"].fill(template, {k: v for k, v in note_values(self.values).items()
                                                            if k in fields})
        self.note = note
        if note is None:
            from tui_client.ui.services import summary

            what, fix = finding_text(summary(findings[0])) if findings else (t("guided.note.bad"), "")
            yield Static("✗\u00a0" + what, classes="guided-text")
            yield Static(fix or t("guided.note.bad"), classes="guided-hint")
            return
        to = self.scratch.get("partners", {}).get(str(self.values.get("recipient")))
        who = t("guided.send.recipient", name=(to.name if to else "") or t("guided.send.no_name"),
                office=str(self.values.get("recipient")))
        yield Static(t("guided.note.question", who=who, subject=note.subject), classes="guided-text",
                     id="guided-question")

    def decide(self) -> str:
        return "" if self.note is not None else t("guided.note.bad")

    def leave(self) -> Dict[str, object]:
        if self.note is not None:
            self.scratch["note"] = self.note        # the sending step sends exactly what was shown
        return {}


class NoteSendStep(WorkStep):
    KEY = "sending"
    TITLE = "guided.note.sending.title"
    WAITING = "guided.note.sending"
    NEXT = "guided.end"
    RESUME = "confirm"
    BACK = False
    applies = classmethod(lambda cls, values: _chosen(values))

    def gather(self):
        note = self.scratch.get("note")
        to = self.scratch.get("partners", {}).get(str(self.values.get("recipient")))
        service = to.services[0] if to is not None and to.services else None
        return send_note(self.services, str(self.values.get("recipient")), note, service=service)

    def done(self, result) -> None:
        from tui_client.ui.format import finding_text

        sent, findings = result
        errors = [f for f in findings if f.blocks_sending]
        if sent:
            self.show(Static(t("guided.note.sent"), classes="guided-text"))
        else:
            what = finding_text(errors[0])[0] if errors else t("guided.note.not_sent")
            self.show(Static("✗\u00a0" + what, classes="guided-text"))


TASK = Task("note", "guided.task.note", (KindStep, RecipientStep, *FIELD_STEPS, NoteConfirmStep, NoteSendStep))
