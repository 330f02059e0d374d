"""The app with a trainer's step panel: the real screens, and above the footer what to do next.

``TrainingApp`` is the ordinary app (``TsunagiApp``) on a sandbox world (``training.world``); the step
panel says the current step's words and its counter ("2/5"), asks the step's checks once a second in
a worker (they read the real Office, never the screen's widgets), shows a mistake's explanation once,
and moves on when the step is done. Ctrl+G shows the hint; Ctrl+E plays the care software that exports
a fixed file (the error-fix scenario). Nothing here blocks the screen.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.widgets import Footer, Static

from tui_client.catalog import t
from tui_client.training import checks
from tui_client.ui.actions import Action, get, register
from tui_client.ui.app import TsunagiApp

register(
    Action("training.hint", "ctrl+g", "action.training.hint", palette=False, priority=True,
           action="training_hint"),
    Action("training.fix", "ctrl+e", "action.training.fix", palette=False,
           action="training_fix"),
)

#: seconds between two asks of the step's checks
POLL_SECONDS = 1.0


class StepPanel(Static):
    """The current step in words: title and counter, what to do, then a hint or a mistake."""

    def show(self, run, *, hint: bool = False, note: str = "", mistake: str = "") -> None:
        lines = [t("training.panel.title", title=run.scenario.title, counter=run.counter)]
        step = run.step
        if step is None:
            lines.append(t("training.panel.finished"))
            if run.mistakes:               # what to remember from this run
                lines.append(t("training.panel.review", count=len(run.mistakes)))
                lines += [t("training.panel.mistake", say=m["say"]) for m in run.mistakes[-2:]]
                mistake = ""
        else:
            lines.append(step.do)
            if hint and step.hint:
                lines.append(t("training.panel.hint", hint=step.hint))
        if mistake:
            lines.append(t("training.panel.mistake", say=mistake))
        if note:
            lines.append(note)
        self.update("\n".join(lines))


class TrainingApp(TsunagiApp):
    BINDINGS = [get("training.hint").binding(), get("training.fix").binding()]

    def __init__(self, world, run, **kw) -> None:
        super().__init__(settings=world.app_settings(), home=str(world.home), opener=world.open,
                         background=world, **kw)
        self.world = world
        self.run = run
        self._hint = False
        self._note = ""
        self._mistake = ""                   # the last mistake, shown until the next step is done
        self.polls = 0                       # answered polls (tests wait on this, not on time)

    def on_mount(self) -> None:
        super().on_mount()
        panel = StepPanel(id="training-panel")
        self.mount(panel, before=self.query_one("#keys"))
        panel.show(self.run)
        self.set_interval(POLL_SECONDS, self._ask)

    def _show(self) -> None:
        self.query_one("#training-panel", StepPanel).show(self.run, hint=self._hint, note=self._note,
                                                          mistake=self._mistake)

    def seat(self) -> checks.Seat:
        return checks.Seat(office=self.office, partners=self.world.partners(),
                           export_folder=self.world.export_folder, import_folder=self.world.import_folder,
                           tab=self.active_tab(), marks=dict(self.world.marks))

    def _ask(self) -> None:
        self._check(self.seat())

    @work(thread=True, exclusive=True, group="training")
    def _check(self, seat: checks.Seat) -> None:
        event = self.run.poll(seat)
        self.call_from_thread(self._answered, event)

    def _answered(self, event) -> None:
        self.polls += 1
        if event.advanced:
            self._hint = False
            self._note = t("training.panel.done", done=event.done_words) if event.done_words else ""
        if event.mistakes:
            self._mistake = event.mistakes[-1]
            self.notify(self._mistake, severity="warning", timeout=8)
        elif event.advanced:
            self._mistake = ""
        if event.advanced or event.mistakes:
            self._show()

    # -- keys
    def action_training_hint(self) -> None:
        self._hint = not self._hint
        self._show()

    def action_training_fix(self) -> None:
        self._fix()

    @work(thread=True, exclusive=True, group="training-fix")
    def _fix(self) -> None:
        count = self.world.fix_export()
        self.call_from_thread(self._fixed, count)

    def _fixed(self, count: int) -> None:
        self._note = t("training.panel.fixed", count=count)
        self._show()
        self.reload_tabs()


def training_app(scenario, seat_dir, seat_name: str = "", *, seat: int = 1, relay_url: str = "",
                 ca_folder=None, **kw) -> TrainingApp:
    """The app for one seat: a fresh world in ``seat_dir/world``, the run's state in ``seat_dir/run.json``.
    ``relay_url`` and ``ca_folder``: a classroom's shared relay and training CA."""
    from pathlib import Path

    from tui_client.training.run import ScenarioRun
    from tui_client.training.world import TrainingWorld

    seat_dir = Path(seat_dir)
    world = TrainingWorld(seat_dir / "world", scenario, seat=seat, relay_url=relay_url, ca_folder=ca_folder)
    run = ScenarioRun(scenario, seat_dir / "run.json", seat_name)
    run.restart()
    return TrainingApp(world, run, **kw)


class RoomApp(App):
    """The trainer's view of a classroom: every seat's scenario, step, state and last mistake, read
    from the seats' ``run.json`` files in a worker every few seconds. The room's relay runs while this
    view is open (``background`` is stopped on exit)."""

    CSS = """
    #room-head { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    #room-table { height: 1fr; }
    #room-detail { height: auto; max-height: 5; padding: 0 1; border-top: heavy $accent; }
    """
    BINDINGS = [get("app.quit").binding()]

    def __init__(self, folder, seats=(), *, url: str = "", background=None, refresh_seconds: float = 3.0):
        super().__init__()
        self.folder = folder
        self.seats = tuple(seats)
        self.url = url
        self.background = background
        self.refresh_seconds = refresh_seconds
        self.rows = []
        self.loads = 0

    def compose(self):
        from textual.widgets import DataTable

        yield Static(t("training.room.title", url=self.url or "―", dir=self.folder, count=len(self.seats)),
                     id="room-head")
        yield DataTable(id="room-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="room-detail")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        from textual.widgets import DataTable

        table = self.query_one("#room-table", DataTable)
        table.add_columns(*(t(f"training.room.col.{c}") for c in ("seat", "title", "step", "state", "mistakes")))
        table.focus()
        self.load()
        self.set_interval(self.refresh_seconds, self.load)

    @work(thread=True, exclusive=True, group="room")
    def load(self) -> None:
        from tui_client.training.classroom import room_rows

        rows = room_rows(self.folder, self.seats)
        self.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        from textual.widgets import DataTable

        from tui_client.core.safetext import printable

        self.rows = rows
        self.loads += 1
        table = self.query_one("#room-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in rows:
            if not r.steps:
                state, step = t("training.room.waiting"), "―"
            else:
                state = "◎ " + t("training.room.finished") if r.finished else "▶ " + t("training.room.working")
                step = f"{r.step}/{r.steps}"
            mistakes = ("！" + str(r.mistakes)) if r.mistakes else "0"
            table.add_row(printable(r.seat), printable(r.title) or "―", step, state, mistakes, key=r.seat)
        if rows:
            table.move_cursor(row=min(max(cursor, 0), len(rows) - 1))
        self._detail()

    def on_data_table_row_highlighted(self, event) -> None:
        self._detail()

    def _detail(self) -> None:
        from textual.widgets import DataTable

        from tui_client.core.safetext import printable

        table = self.query_one("#room-table", DataTable)
        row = self.rows[table.cursor_row] if self.rows and 0 <= table.cursor_row < len(self.rows) else None
        text = ""
        if row is not None and row.last_mistake:
            text = t("training.room.last", say=printable(row.last_mistake)).strip()
        self.query_one("#room-detail", Static).update(text)

    def on_unmount(self) -> None:
        if self.background is not None:
            self.background()
