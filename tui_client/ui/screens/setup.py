"""設定の確認: checks keystore, password, certificate, relay, folders, and says for each missing step
what to do in plain words. Below the checks, the set-up form (keystore file picker, password, relay
URL, CA file) runs the existing ``setup`` in a worker and then opens the office.

Shown when no office is configured, when the office cannot be opened, and from the home tab (``c``).
"""

from __future__ import annotations

from typing import Tuple

from rich.cells import cell_len
from textual import work
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.format import finding_text, middle_ellipsis

register(
    Action("setup.recheck", "ctrl+r", "action.setup.recheck", scope="setup", action="recheck"),
    Action("setup.pick_keystore", "ctrl+k", "action.setup.pick_keystore", scope="setup",
           action="pick_keystore", priority=True),
    Action("setup.run", "ctrl+s", "action.setup.run", scope="setup", action="run_setup", priority=True),
    Action("setup.close", "escape", "action.setup.close", scope="setup", action="close"),
)

MARK = {True: "✓", False: "✗", None: "？"}


class CheckLines(Static):
    """The set-up checks, one line each, drawn for the width this widget gets and drawn again
    whenever that changes. A detail (a folder path, the relay's address) that would wrap goes on its
    own line below, shortened in the middle to the width: a path never breaks anywhere."""

    def __init__(self, text: str, **kw) -> None:
        super().__init__(text, markup=False, **kw)     # paths may hold [ ]
        self.checks = ()

    def show(self, checks) -> None:
        self.checks = checks
        self._draw()

    def on_resize(self, event) -> None:
        if self.checks:
            self._draw()

    def _draw(self) -> None:
        width = max(self.content_region.width or (self.app.size.width - 4), 20)
        lines = []
        for c in self.checks:
            word = t("setup.ok") if c.ok else t("setup.not_ok") if c.ok is False else t("setup.unknown")
            line = f"{MARK[c.ok]} {c.label}：{word}"
            if c.detail and cell_len(f"{line}  {c.detail}") <= width:
                line += f"  {c.detail}"
            elif c.detail:
                line += "\n    " + middle_ellipsis(c.detail, width - 4)
            if c.fix and not c.ok:
                line += "\n    " + t("setup.todo", fix=c.fix)
            lines.append(line)
        self.update("\n".join(lines))


class SetupScreen(Screen):
    SCOPE = "setup"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, findings: Tuple = ()) -> None:
        super().__init__()
        self.findings = findings
        self.checks = []

    def compose(self):
        with VerticalScroll(id="setup-body"):
            yield Static(t("setup.title"), classes="tab-title")
            yield Static("", id="setup-problem", classes="problem")
            yield CheckLines(t("setup.checking"), id="setup-checks")
            with Vertical(id="setup-form"):
                yield Static(t("setup.form.title"), classes="dialog-title")
                with Horizontal(classes="field"):
                    yield Static(t("setup.form.keystore"), classes="label")
                    yield Input(id="setup-keystore", placeholder=t("setup.form.keystore.placeholder"))
                with Horizontal(classes="field"):
                    yield Static(t("setup.form.password"), classes="label")
                    yield Input(id="setup-password", password=True)
                with Horizontal(classes="field"):
                    yield Static(t("setup.form.relay"), classes="label")
                    yield Input(id="setup-relay", placeholder="https://…")
                with Horizontal(classes="field"):
                    yield Static(t("setup.form.ca"), classes="label")
                    yield Input(id="setup-ca")
                with Horizontal(classes="buttons"):
                    yield Button(t("setup.form.pick"), id="setup-pick")
                    yield Button(t("setup.form.run"), id="setup-run", variant="primary")
                    yield Button(t("setup.form.close"), id="setup-close")
        yield Footer()

    def on_mount(self) -> None:
        if self.findings:
            self._show_problem(self.findings)
        office = self.app.office
        if office is not None:
            self.query_one("#setup-relay", Input).value = office.settings.relay_url
            self.query_one("#setup-ca", Input).value = office.settings.ca_file
            self.query_one("#setup-keystore", Input).value = office.settings.keystore_file
        self.action_recheck()

    def _show_problem(self, findings) -> None:
        lines = []
        for f in findings:
            if f.blocks_sending:
                what, fix = finding_text(f)
                lines.append(f"✗ {what}\n  {fix}")
        self.query_one("#setup-problem", Static).update("\n".join(lines))

    def action_recheck(self) -> None:
        box = self.query_one("#setup-checks", CheckLines)
        box.checks = ()
        box.update(t("setup.checking"))
        self._check()

    @work(thread=True, exclusive=True, group="setup")
    def _check(self) -> None:
        from tui_client.ui.services import setup_checks

        checks = setup_checks(self.app.services, self.app.settings, self.app.home_dir)
        self.app.call_from_thread(self._show_checks, checks)

    def _show_checks(self, checks) -> None:
        self.checks = checks
        self.query_one("#setup-checks", CheckLines).show(checks)

    # -- the form
    def on_button_pressed(self, event: Button.Pressed) -> None:
        {"setup-pick": self.action_pick_keystore, "setup-run": self.action_run_setup,
         "setup-close": self.action_close}.get(event.button.id, lambda: None)()

    def action_pick_keystore(self) -> None:
        from tui_client.ui.screens.picker import FilePicker

        def chosen(path) -> None:
            if path:
                self.query_one("#setup-keystore", Input).value = path
                self.query_one("#setup-password", Input).focus()

        current = self.query_one("#setup-keystore", Input).value or None
        self.app.push_screen(FilePicker(current, t("setup.pick.title")), chosen)

    def action_run_setup(self) -> None:
        values = {k: self.query_one(f"#setup-{k}", Input).value.strip()
                  for k in ("keystore", "password", "relay", "ca")}
        missing = [t(f"setup.form.{k}") for k in ("keystore", "relay", "ca") if not values[k]]
        if missing:
            self.query_one("#setup-problem", Static).update(t("setup.form.missing", fields="、".join(missing)))
            return
        from tui_client.ui.settings import check_relay_url

        if check_relay_url(values["relay"]):
            self.query_one("#setup-problem", Static).update(t("settings.problem.relay_url", value=values["relay"]))
            return
        self.query_one("#setup-problem", Static).update(t("setup.running"))
        self._setup(values)

    @work(thread=True, exclusive=True, group="setup-run")
    def _setup(self, values: dict) -> None:
        from tui_client.ui.services import open_office, run_setup

        settings, findings = run_setup(values["keystore"], values["password"], values["relay"], values["ca"],
                                       self.app.home_dir)
        office = None
        if settings is not None:
            office, more = open_office(settings.office, values["password"] or None, self.app.home_dir)
            findings += more
        self.app.call_from_thread(self._set_up, office, findings)

    def _set_up(self, office, findings) -> None:
        self.query_one("#setup-password", Input).value = ""     # never kept on screen
        if office is None:
            self._show_problem(findings or ())
            return
        self.query_one("#setup-problem", Static).update(t("setup.form.done", office=office.number))
        self.app.use_office(office)
        self.action_recheck()

    def action_close(self) -> None:
        if self.app.office is None:
            self.app.notify(t("setup.close.no_office"), severity="warning")
            return
        self.app.pop_screen()
