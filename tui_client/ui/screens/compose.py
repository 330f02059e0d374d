"""新規作成: write a message to a partner office, with attachments and care-plan files, and send it
or keep it as a draft.

The recipient comes from the directory: type part of a number or a name to narrow the list of
known partners (one line per site for an office with several), or type a 10-digit number and press
Enter to ask the relay. Care-plan CSV files are checked on the spot against that recipient's
registered service types; attachments by content (PDF, JPEG, PNG, GIF, TXT only); each file shows
its verdict in words, and the highlighted one its findings with the fix.

Everything typed is saved as a draft as you type: a short pause after the last change starts a
save in a worker, numbered by an explicit edit counter (``edits`` / ``saved_edit``), so a crash or
a closed terminal loses at most that pause. Leaving the tab or the app with an edit not yet saved
asks first. Sending saves the draft and sends it from the store (``Office.send_draft``), which
deletes the draft only once the message is queued.
"""

from __future__ import annotations

import threading
from typing import Callable, List, Optional, Sequence, Tuple

from textual import work
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui_client.catalog import t
from tui_client.core.safetext import printable
from tui_client.office.models import Draft, DraftFile
from tui_client.ui import messages
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import finding_text
from tui_client.ui.screens.base import TabView
from tui_client.ui.services import PickedFile, Recipient, match_recipients, recipients_of

register(
    Action("compose.send", "ctrl+s", "action.compose.send", scope="compose", action="send"),
    Action("compose.attach", "ctrl+t", "action.compose.attach", scope="compose", action="attach"),
    Action("compose.files", "ctrl+l", "action.compose.files", scope="compose", action="add_files"),
    Action("compose.note", "ctrl+o", "action.compose.note", scope="compose", action="note"),
    Action("compose.save", "ctrl+b", "action.compose.save", scope="compose", action="save_now", footer=False),
    Action("compose.new", "ctrl+n", "action.compose.new", scope="compose", action="new", footer=False),
    Action("compose.remove", "delete", "action.compose.remove", scope="compose", action="remove", footer=False),
)

#: Seconds of quiet after the last change before the draft is saved.
AUTOSAVE_DELAY = 0.8
#: Matches shown under the recipient field.
MATCHES = 30


def recipient_label(r: Optional[Recipient]) -> str:
    """1370100029/11 つなぎ訪問介護ステーション（訪問介護）"""
    if r is None:
        return ""
    text = r.office + (f"/{r.service}" if r.service else "")
    if r.name:
        text += f" {printable(r.name)}"
    if r.service_name:
        text += t("compose.site", service=r.service_name)
    return text


def file_verdict(f: PickedFile) -> str:
    if f.errors:
        return t("compose.verdict.error")
    if f.warnings:
        return t("compose.verdict.warning", n=f.warnings)
    return t("compose.verdict.ok")


class ComposeTab(TabView):
    SCOPE = "compose"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.draft_id = ""
        self.recipient: Optional[Recipient] = None
        self.attachments: List[PickedFile] = []
        self.files: List[PickedFile] = []
        self.whole: Tuple = ()                  # findings of the message as a whole
        self.template = ""
        self.known: List[Recipient] = []
        self.matches: List[Recipient] = []
        self.edits = 0                          # changes made (an explicit counter, not a clock)
        self.saved_edit = 0                     # the last change that is in the database
        self.saved_seq = 0                      # the draft's updated_seq there
        self.sending = False
        self._last_form: tuple = self._empty_form()
        self._timer = None
        self._save_lock = threading.Lock()
        self.autosave_delay = AUTOSAVE_DELAY
        self._check_gen = 0                     # the latest check of the CSV files as one set

    # -- layout
    def compose(self):
        yield Static(t("compose.title.new"), id="compose-state", classes="tab-title")
        with VerticalScroll(id="compose-form"):
            with Horizontal(classes="compose-row"):
                yield Label(t("compose.to"), classes="compose-label")
                yield Input(id="compose-to", placeholder=t("compose.to.placeholder"), compact=True)
            yield Static(t("compose.to.none"), id="compose-recipient", classes="compose-recipient")
            yield OptionList(id="compose-matches", compact=True)
            with Horizontal(classes="compose-row"):
                yield Label(t("compose.subject"), classes="compose-label")
                yield Input(id="compose-subject", placeholder=t("compose.subject.placeholder"), compact=True)
            yield Label(t("compose.text"), classes="compose-label")
            yield TextArea(id="compose-text", soft_wrap=True, show_line_numbers=False, compact=True)
            yield Static(t("compose.files.none"), id="compose-files-title", classes="compose-label")
            table = DataTable(id="compose-files", cursor_type="row")
            table.add_columns(t("col.check"), t("col.role"), t("col.name"), t("col.size"))
            yield table
        yield Static("", id="compose-detail", classes="detail compose-detail")

    def on_mount(self) -> None:
        self._show_files()

    def reload(self) -> None:
        if self.app.office is not None and not self.known:
            self._load_partners()

    @work(thread=True, exclusive=True, group="compose-partners")
    def _load_partners(self) -> None:
        known = recipients_of(self.services.partners())
        self.app.call_from_thread(self._show_partners, known)

    def _show_partners(self, known: List[Recipient]) -> None:
        self.known = known
        self._filter(self.query_one("#compose-to", Input).value)

    # -- the form as values
    @staticmethod
    def _empty_form() -> tuple:
        return (None, "", "", (), (), "")

    def _form(self) -> tuple:
        """What a draft holds, comparable: a change of any of it is an edit."""
        r = self.recipient
        return ((r.office, r.service) if r else None, self.query_one("#compose-subject", Input).value,
                self.query_one("#compose-text", TextArea).text,
                tuple((a.name, a.sha256) for a in self.attachments),
                tuple((f.name, f.sha256) for f in self.files), self.template)

    def _draft(self) -> Draft:
        r = self.recipient

        # Files always go with their bytes: the store keeps one blob per digest anyway, and a file
        # taken out and put back between two saves must never be referred to by digest alone.
        def held(f: PickedFile) -> DraftFile:
            return DraftFile(f.name, f.data, f.sha256, len(f.data))

        return Draft(id=self.draft_id, recipient=r.office if r else "", recipient_service=r.service if r else "",
                     subject=self.query_one("#compose-subject", Input).value,
                     text=self.query_one("#compose-text", TextArea).text,
                     attachments=tuple(held(a) for a in self.attachments if a.sha256),   # not unreadable ones
                     files=tuple(held(f) for f in self.files if f.sha256), template=self.template)

    @property
    def unsaved(self) -> bool:
        """An edit the database does not have yet."""
        return self.edits > self.saved_edit

    # -- edits and autosave
    def _changed(self) -> None:
        form = self._form()
        if form == self._last_form:
            return
        self._last_form = form
        self.edits += 1
        self._show_state()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.autosave_delay, self._autosave)

    def _autosave(self) -> None:
        self._timer = None
        if not self.unsaved or self.app.office is None:
            return
        draft = self._draft()
        if draft.empty and not self.draft_id:
            self.saved_edit = self.edits         # nothing worth keeping yet
            self._show_state()
            return
        self._save(draft, self.edits)

    def action_save_now(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._autosave()

    @work(thread=True, group="compose-save")
    def _save(self, draft: Draft, edit: int, then: Optional[Callable[[], None]] = None) -> None:
        self._save_locked(draft, edit)
        if then is not None:
            self.app.call_from_thread(then)

    def _save_locked(self, draft: Draft, edit: int) -> bool:
        """Write ``draft`` as edit number ``edit`` (in a worker). Saves are serialised; an older
        edit arriving after a newer one is skipped, so the database never goes backwards."""
        from dataclasses import replace

        with self._save_lock:
            if edit <= self.saved_edit and (self.draft_id or draft.empty):
                return True
            draft_id, seq, findings = self.services.save_draft(replace(draft, id=self.draft_id))
            if findings:
                self.app.call_from_thread(self._problem, findings[0])
                return False
            self.draft_id = draft_id
            self.saved_seq = seq
            self.saved_edit = edit
        self.app.call_from_thread(self._show_state)
        return True

    def _show_state(self) -> None:
        if self.sending:
            text = t("compose.title.sending")
        elif self.unsaved:
            text = t("compose.title.unsaved")
        elif self.draft_id:
            text = t("compose.title.saved")
        else:
            text = t("compose.title.new")
        if self.template:
            text += t("compose.title.template", template=self.template)
        self.query_one("#compose-state", Static).update(text)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "compose-to":
            self._filter(event.value)
        elif event.input.id == "compose-subject":
            self._changed()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._changed()

    # -- the recipient
    def _filter(self, text: str) -> None:
        self.matches = match_recipients(self.known, text)[:MATCHES]
        options = self.query_one("#compose-matches", OptionList)
        # once a recipient is chosen the list folds away (room for the text at 80x24) until searched again
        options.display = bool(text.strip()) or self.recipient is None
        options.clear_options()
        options.add_options([Option(recipient_label(r) + ("" if r.on_system else t("compose.not_on_system")))
                             for r in self.matches])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "compose-to":
            return
        value = event.value.strip()
        if len(self.matches) == 1:
            self._choose(self.matches[0])
        elif value.isdigit() and not self.matches:
            self.query_one("#compose-recipient", Static).update(t("compose.to.looking", number=value))
            self._lookup(value)
        elif self.matches:
            self.query_one("#compose-matches", OptionList).focus()
        else:
            self.query_one("#compose-recipient", Static).update(t("compose.to.nomatch"))

    @work(thread=True, exclusive=True, group="compose-lookup")
    def _lookup(self, number: str) -> None:
        found, findings = self.services.lookup_office(number)
        self.app.call_from_thread(self._looked_up, found, findings)

    def _looked_up(self, found: List[Recipient], findings) -> None:
        if findings:
            what, fix = finding_text(findings[0])
            self.query_one("#compose-recipient", Static).update(f"✗ {what}\n  {fix}")
            return
        self.known = [r for r in self.known if r.office != found[0].office] + found
        self._filter(found[0].office)
        if len(found) == 1:
            self._choose(found[0])
        else:
            self.query_one("#compose-matches", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "compose-matches" and 0 <= event.option_index < len(self.matches):
            self._choose(self.matches[event.option_index])

    def _choose(self, r: Recipient) -> None:
        self.recipient = r
        self.query_one("#compose-to", Input).value = ""
        self._filter("")
        self._show_recipient()
        self._changed()
        self._recheck_files()
        self.query_one("#compose-subject", Input).focus()

    def _show_recipient(self) -> None:
        r = self.recipient
        self.query_one("#compose-recipient", Static).update(
            t("compose.to.chosen", who=recipient_label(r)) if r else t("compose.to.none"))

    # -- a template note (利用なし, 限度額超過 …)
    def action_note(self) -> None:
        """Pick a template and fill its fields (``NoteScreen``); the note fills the subject and the
        text, and its one-page PDF is attached when asked for (made in a worker)."""
        from tui_client.ui.screens.notes import NoteScreen

        def chosen(choice) -> None:
            if choice is not None:
                self._use_note(choice.note, choice.pdf)

        self.app.push_screen(NoteScreen(), chosen)

    @work(thread=True, group="compose-read")
    def _use_note(self, note, pdf: bool) -> None:
        attachments, findings = self.services.note_attachments(note, pdf)
        self.app.call_from_thread(self._noted, note, attachments, findings)

    def _noted(self, note, attachments, findings) -> None:
        self.apply_note(note.subject, note.text, attachments, note.template_id)
        for f in findings:
            what, fix = finding_text(f)
            self.app.notify(f"{what} {fix}", severity="error", timeout=10)

    # -- files
    def action_attach(self) -> None:
        self._pick("attachment")

    def action_add_files(self) -> None:
        self._pick("file")

    def _pick(self, role: str) -> None:
        from tui_client.ui.screens.picker import FilePicker

        start = self.app.settings.export_folder if role == "file" else None

        def chosen(path: Optional[str]) -> None:
            if path:
                self._read(role, [path], self.recipient)

        title = t("compose.pick.file" if role == "file" else "compose.pick.attachment")
        self.app.push_screen(FilePicker(start, title), chosen)

    @work(thread=True, group="compose-read")
    def _read(self, role: str, paths: Sequence[str], recipient: Optional[Recipient]) -> None:
        got = (self.services.read_files(paths, recipient) if role == "file"
               else self.services.read_attachments(paths))
        self.app.call_from_thread(self._add, got)

    @work(thread=True, exclusive=True, group="compose-recheck")
    def _recheck(self, files, recipient: Optional[Recipient], generation: int) -> None:
        got = self.services.check_files(files, recipient)
        self.app.call_from_thread(self._replace_files, got, generation)

    def _replace_files(self, got: List[PickedFile], generation: int) -> None:
        if generation != self._check_gen:
            return          # an older set's check finishing late: a newer one is coming
        checked = {f.name: f for f in got}
        self.files = [checked.get(f.name, f) for f in self.files]    # the order picked; unreadable ones stay
        self._show_files()

    def _add(self, got: List[PickedFile]) -> None:
        for f in got:
            group = self.files if f.role == "file" else self.attachments
            group[:] = [g for g in group if g.name != f.name] + [f]
        self._show_files()
        self._changed()
        if any(f.role == "file" for f in got):
            self._recheck_files()

    def _recheck_files(self) -> None:
        """Check the CSV files again as one set: a bundle (第6表 with its 第7表 …) is whole or not
        only when its files are seen together."""
        readable = [(f.name, f.data) for f in self.files if f.data]
        if readable:
            self._check_gen += 1
            self._recheck(readable, self.recipient, self._check_gen)

    def _rows(self) -> List[PickedFile]:
        return self.files + self.attachments

    def _show_files(self) -> None:
        self.whole = self.services.message_findings(self.attachments, "") if self.attachments else ()
        table = self.query_one("#compose-files", DataTable)
        table.clear()
        from tui_client.core.attachments import size_label

        for f in self._rows():
            role = t("compose.role.file") if f.role == "file" else t("compose.role.attachment")
            table.add_row(file_verdict(f), role, printable(f.shown), size_label(len(f.data)))
        title = (t("compose.files.count", files=len(self.files), attachments=len(self.attachments))
                 if self._rows() else t("compose.files.none"))
        self.query_one("#compose-files-title", Static).update(title)
        self._show_detail()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def selected_file(self) -> Optional[PickedFile]:
        table = self.query_one("#compose-files", DataTable)
        rows = self._rows()
        if not rows or table.cursor_row is None or table.cursor_row >= len(rows):
            return None
        return rows[table.cursor_row]

    def _show_detail(self) -> None:
        lines = []
        for fs in self.whole:
            what, fix = finding_text(fs)
            lines.append(f"✗ {what}")
            lines.append("  " + t("batch.detail.fix", fix=fix))
        f = self.selected_file()
        if f is not None:
            lines.append(t("compose.detail.file", name=printable(f.shown), verdict=file_verdict(f)))
            for fs in f.findings[:4]:
                what, fix = finding_text(fs)
                lines.append(f"  {'✗' if fs.blocks_sending else '!'} {what}")
                if fix:
                    lines.append("    " + t("batch.detail.fix", fix=fix))
            if len(f.findings) > 4:
                lines.append("  " + t("batch.detail.more", n=len(f.findings) - 4))
        elif not lines:
            from tui_client.core.attachments import MAX_FILE_BYTES, MAX_MESSAGE_BYTES, size_label

            lines.append(t("compose.hint", file=size_label(MAX_FILE_BYTES), total=size_label(MAX_MESSAGE_BYTES)))
        self.query_one("#compose-detail", Static).update("\n".join(lines))

    def action_remove(self) -> None:
        f = self.selected_file()
        if f is None:
            return
        if f.role == "file":
            self.files.remove(f)
            self._recheck_files()
        else:
            self.attachments.remove(f)
        self._show_files()
        self._changed()

    # -- filling the form
    def _fill(self, draft: Draft, recipient: Optional[Recipient], attachments: List[PickedFile],
              files: List[PickedFile]) -> None:
        """Show ``draft`` as saved (no edit counted for it)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.draft_id = draft.id
        self.recipient = recipient
        self.attachments, self.files = list(attachments), list(files)
        self.template = draft.template
        self.query_one("#compose-subject", Input).value = draft.subject
        self.query_one("#compose-text", TextArea).text = draft.text
        self.query_one("#compose-to", Input).value = ""
        self._filter("")
        self._last_form = self._form()
        self.saved_edit = self.edits        # counters only grow: a late save can never look newer
        self._show_recipient()
        self._show_files()
        self._show_state()

    def apply_note(self, subject: str, text: str, attachments: Sequence[Tuple[str, bytes]],
                   template_id: str) -> None:
        """Fill the subject, the text and the attachments from a template note (利用なし,
        限度額超過 …); the recipient and any files already chosen stay. The message carries the
        template's id (``wire.Message.template``). Counts as an edit: it is saved as a draft."""
        self.template = template_id
        self.query_one("#compose-subject", Input).value = subject
        self.query_one("#compose-text", TextArea).text = text
        self.attachments = [a for a in self.attachments if a.name not in {n for n, _ in attachments}]
        if attachments:
            self._note_attachments(list(attachments))
        self._changed()

    @work(thread=True, group="compose-read")
    def _note_attachments(self, items) -> None:
        got = self.services.attach_bytes(items)
        self.app.call_from_thread(self._add, got)

    def open_draft(self, draft_id: str) -> None:
        """Show a saved draft (from the 下書き tab); the draft on screen is saved first."""
        pending = (self._draft(), self.edits) if self.unsaved else None
        self._open(draft_id, pending)

    @work(thread=True, exclusive=True, group="compose-open")
    def _open(self, draft_id: str, pending) -> None:
        if pending is not None:
            self._save_locked(*pending)
        draft = self.services.draft(draft_id)
        if draft is None:
            return
        recipient = None
        if draft.recipient:
            from tui_client.core.spec.codes import SERVICE_TYPES

            kind = SERVICE_TYPES.get(draft.recipient_service)
            recipient = Recipient(draft.recipient, draft.recipient_service, draft.recipient_name,
                                  kind.name if kind else "")
        atts = self.services.attach_bytes([(a.name, a.data) for a in draft.attachments])
        files = self.services.check_files([(f.name, f.data) for f in draft.files], recipient)
        self.app.call_from_thread(self._fill, draft, recipient, atts, files)

    def action_new(self) -> None:
        """Start a new message (what is on screen stays a draft)."""
        def fresh() -> None:
            self._fill(Draft(), None, [], [])
            self.query_one("#compose-to", Input).focus()

        if self.unsaved:
            self._save(self._draft(), self.edits, fresh)
        else:
            fresh()

    # -- leaving
    def before_leave(self, then: Callable[[], None]) -> bool:
        """Called before the app leaves this tab or quits: with an edit not yet saved, ask (save
        and go on, or stay) and return True; otherwise False (nothing to ask)."""
        if not self.unsaved or self.app.office is None:
            return False
        from tui_client.ui.screens.confirm import ConfirmScreen

        draft, edit = self._draft(), self.edits

        def answered(save: bool) -> None:
            if save:
                self._save(draft, edit, then)

        self.app.push_screen(ConfirmScreen(t("compose.leave.confirm")), answered)
        return True

    # -- sending
    def _problems(self) -> List[str]:
        out = []
        if self.recipient is None:
            out.append(finding_text(_fs("E-DRAFT-003"))[0])
        if not self.query_one("#compose-subject", Input).value.strip():
            out.append(finding_text(_fs("E-DRAFT-004"))[0])
        bad = [f for f in self._rows() if f.errors]
        if bad:
            out.append(t("compose.send.bad_files", n=len(bad), name=printable(bad[0].shown)))
        if any(fs.blocks_sending for fs in self.whole):
            out.append(finding_text(next(fs for fs in self.whole if fs.blocks_sending))[0])
        return out

    def summary_text(self) -> str:
        """The confirmation in words: to whom (name and number), the subject, how many files."""
        r = self.recipient
        names = "、".join(printable(a.shown) for a in self.attachments)
        return t("compose.send.confirm", name=printable(r.name) if r and r.name else t("compose.no_name"),
                 office=r.office if r else "", site=t("compose.site", service=r.service_name) if r and r.service_name else "",
                 subject=self.query_one("#compose-subject", Input).value, files=len(self.files),
                 attachments=len(self.attachments), names=f"（{names}）" if names else "")

    def action_send(self) -> None:
        if self.sending:
            return
        problems = self._problems()
        if problems:
            self.app.notify("\n".join(problems), title=t("compose.send.cannot"), severity="error", timeout=10)
            return
        from tui_client.ui.screens.confirm import ConfirmScreen

        draft, edit = self._draft(), self.edits

        def answered(ok: bool) -> None:
            if ok:
                self.sending = True
                self._show_state()
                self._send(draft, edit)

        self.app.push_screen(ConfirmScreen(self.summary_text()), answered)

    @work(thread=True, exclusive=True, group="compose-send")
    def _send(self, draft: Draft, edit: int) -> None:
        try:
            if not self._save_locked(draft, edit):
                return
            result = self.services.send_draft(self.draft_id)
        finally:
            self.app.call_from_thread(setattr, self, "sending", False)
        self.app.call_from_thread(self._sent, result)

    def _sent(self, result) -> None:
        if report_sent(self.app, result):
            self._fill(Draft(), None, [], [])
        else:
            self._show_state()

    def _problem(self, finding) -> None:
        what, fix = finding_text(finding)
        self.app.notify(f"{what}\n{fix}", severity="error", timeout=10)


def report_sent(app, result) -> bool:
    """Say what became of a send (sent, waiting, or why not); True when the message went out or
    waits in the outbox (then the draft is gone)."""
    errors = [f for f in result.findings if f.blocks_sending]
    if errors and not (result.sent or result.waiting):
        what, fix = finding_text(errors[0])
        app.notify(f"{what}\n{fix}", title=t("compose.send.cannot"), severity="error", timeout=10)
        return False
    key = "compose.sent" if not result.waiting else "compose.sent.waiting"
    app.notify(t(key), severity="information" if not result.waiting else "warning", timeout=8)
    app.deliver(messages.OutboxChanged)
    return True


def _fs(code: str):
    from tui_client.office.models import FindingSummary

    return FindingSummary(code)
