"""The step engine of guided mode: a task is a sequence of steps, each ONE decision on one screen.

``GuidedScreen`` shows one step at a time: at the top the step counter and the task (「2/5 今月の
ファイルを送る」), in the middle the step, at the bottom what Enter does, in words, and that Esc goes
back. There are no time limits. The task id, the step and the values entered so far are written to
``guided.json`` (``state.py``) on every step change and when the app closes, so a user who walks
away, or whose PC restarts, is offered 「続きから」 on the next start. Secrets (the keystore password)
are never written.

A step (``Step``) composes its widgets, may start a worker when shown (a step that waits on the disk or
the network says so in a plain sentence meanwhile), hands back the values it holds (``leave``), and
says whether Enter may go on (``decide``: "" or the words of what is missing). Steps that act when they
are shown (sending) name in ``RESUME`` the step to come back to instead, so resuming never repeats an
action without asking. Every step must fit, whole, in 40x12 cells: one column, short lines, no footer
bar (the key line below reads the same action registry as the footer).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import ClassVar, Dict, List, Optional, Sequence, Tuple, Type

from textual import work
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Digits, OptionList, Static
from textual.widgets.option_list import Option

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, get, register
from tui_client.ui.guided import state

register(
    Action("guided.next", "enter", "action.guided.next", scope="guided", action="next", priority=True,
           palette=False),
    Action("guided.back", "escape", "action.guided.back", scope="guided", action="back", priority=True,
           palette=False),
    Action("guided.pick", "ctrl+o", "action.guided.pick", scope="guided", action="pick", footer=False),
    # the menu's tasks by their number: one key starts the month's work
    *(Action(f"guided.task{n}", str(n), "action.guided.task", scope="guided", action=f"choose({n})",
             footer=False, palette=False) for n in range(1, 10)),
)


def key_name(name: str) -> str:
    """How a registry key reads on the key line: ``enter`` → Enter, ``f12`` → F12."""
    key = get(name).key.split(",")[0].strip()
    if key == "escape":
        return "Esc"
    return key.upper() if key[:1] == "f" and key[1:].isdigit() else key.capitalize()


@dataclass(frozen=True)
class Task:
    """One guided task: an id (kept in ``guided.json``), its title and its steps in order."""

    id: str
    title_key: str
    steps: Tuple[Type["Step"], ...]

    def applicable(self, values: Dict[str, object]) -> List[Type["Step"]]:
        return [s for s in self.steps if s.applies(values)]

    def step(self, key: str) -> Optional[Type["Step"]]:
        return next((s for s in self.steps if s.KEY == key), None)


@dataclass
class TaskRun:
    """A task under way: the values entered (persisted) and what workers found (``scratch``, not)."""

    task: Task
    values: Dict[str, object] = field(default_factory=dict)
    scratch: Dict[str, object] = field(default_factory=dict)


class Step(Vertical):
    """One screen of a task. Subclasses set ``KEY`` (stable, persisted), ``TITLE`` (catalogue key of
    the one-line heading) and ``NEXT`` (catalogue key of what Enter does, in words)."""

    KEY: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    NEXT: ClassVar[str] = "guided.next"
    RESUME: ClassVar[str] = ""                 # resume at this step instead (a step that acts when shown)
    SECRET: ClassVar[Tuple[str, ...]] = ()     # value names never written to disk
    BACK: ClassVar[bool] = True                # False: the action is done, Esc ends the task

    def __init__(self, guide: "GuidedScreen") -> None:
        super().__init__(classes="guided-step")
        self.guide = guide
        self.busy = False

    # -- what a step is
    @classmethod
    def applies(cls, values: Dict[str, object]) -> bool:
        return True

    def start(self) -> None:
        """Called once the step is on screen (start workers here)."""

    def leave(self) -> Dict[str, object]:
        """The values this step holds now (kept when going back or forward)."""
        return {}

    def decide(self) -> str:
        """"" when Enter may go on; else what is missing, in words."""
        return t("guided.wait") if self.busy else ""

    def commit(self) -> None:
        """Enter was accepted: keep what must outlive the task (a folder in the app settings)."""

    def pick(self) -> None:
        """ctrl+o on a step that picks a file or folder."""

    # -- helpers for steps
    @property
    def values(self) -> Dict[str, object]:
        return self.guide.run.values if self.guide.run is not None else {}

    @property
    def scratch(self) -> Dict[str, object]:
        return self.guide.run.scratch if self.guide.run is not None else {}

    @property
    def services(self):
        return self.app.services

    def on_mount(self) -> None:
        self.start()


class WorkStep(Step):
    """A step that waits on the disk or the network: ``gather()`` runs in a thread while a plain
    sentence (``WAITING``) says what is going on; ``done(result)`` shows what came back."""

    WAITING: ClassVar[str] = "guided.working"
    #: go on to the next step by itself when the work is done (a sending step shows its result next)
    ADVANCE: ClassVar[bool] = False

    def compose(self):
        yield Static(t(self.WAITING), classes="guided-say")

    def start(self) -> None:
        self.busy = True
        self._run()

    def gather(self):  # pragma: no cover - every work step overrides it
        return None

    def done(self, result) -> None:  # pragma: no cover
        pass

    def say(self, text: str) -> None:
        if self.is_mounted:
            self.query_one(".guided-say", Static).update(text)

    @work(thread=True, group="guided-step")
    def _run(self) -> None:
        try:
            result = self.gather()
        finally:
            self.app.call_from_thread(setattr, self, "busy", False)
        self.app.call_from_thread(self._done, result)

    def _done(self, result) -> None:
        if not self.is_mounted:
            return          # the user left the step meanwhile
        self.done(result)
        self.guide.refresh_head()       # what the work found may change how many steps follow
        if self.ADVANCE:
            self.guide.call_later(self.guide.action_next)

    def show(self, *widgets) -> None:
        """Replace the waiting sentence with the result's widgets."""
        self.query_one(".guided-say", Static).remove()
        self.mount(*widgets)


def figure(value: int, caption: str, *, id: str = "") -> Tuple[Digits, Static]:
    """A key figure in large digits with its caption in words (the digits alone say nothing)."""
    return Digits(str(value), classes="guided-figure", id=id or None), Static(caption, classes="guided-caption")


class MenuStep(Step):
    """The start of guided mode: the tasks in one column, 「続きから」 first when a task is waiting."""

    KEY = "menu"
    TITLE = "guided.menu.title"
    NEXT = "guided.menu.next"

    def __init__(self, guide: "GuidedScreen", tasks: Sequence[Task], saved: Optional[state.Saved],
                 first: str = "") -> None:
        super().__init__(guide)
        self.tasks = list(tasks)
        self.saved = saved
        self.first = first

    def compose(self):
        options = []
        if self.saved is not None:
            task = next((x for x in self.tasks if x.id == self.saved.task), None)
            if task is not None:
                options.append(Option(t("guided.menu.resume", task=t(task.title_key)), id="resume"))
        options += [Option(t("guided.menu.task", n=n, task=t(task.title_key)), id=task.id)
                    for n, task in enumerate(self.tasks, 1)]
        yield OptionList(*options, id="guided-menu")

    def start(self) -> None:
        menu = self.query_one(OptionList)
        menu.focus()
        ids = [menu.get_option_at_index(i).id for i in range(menu.option_count)]
        if self.first in ids and "resume" not in ids:
            menu.highlighted = ids.index(self.first)

    def choice(self) -> str:
        menu = self.query_one(OptionList)
        if menu.highlighted is None:
            return ""
        return menu.get_option_at_index(menu.highlighted).id or ""


class GuidedScreen(Screen):
    """Guided mode: the menu of tasks, then one step at a time."""

    SCOPE = "guided"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, tasks: Optional[Sequence[Task]] = None, first: str = "") -> None:
        super().__init__()
        if tasks is None:
            from tui_client.ui.guided.tasks import TASKS

            tasks = TASKS
        self.tasks = list(tasks)
        self.first = first              # the task to highlight in the menu (set-up when no office)
        self.run: Optional[TaskRun] = None
        self.step: Optional[Step] = None
        self.saved: Optional[state.Saved] = None
        self._write_lock = threading.Lock()
        self._issued = self._written = 0

    @property
    def home(self):
        return getattr(self.app, "home_dir", None)

    def compose(self):
        yield Static("", id="guided-head")
        yield Vertical(id="guided-body")
        yield Static("", id="guided-problem")
        yield Static("", id="guided-keys")

    def on_mount(self) -> None:
        self._load_saved()

    @work(thread=True, group="guided-state")
    def _load_saved(self) -> None:
        saved = state.load(self.home)
        self.app.call_from_thread(self._loaded, saved)

    async def _loaded(self, saved) -> None:
        self.saved = saved
        await self._show_menu()

    # -- showing
    async def _mount(self, step: Step, head: str) -> None:
        body = self.query_one("#guided-body", Vertical)
        await body.remove_children()
        self.step = step
        self.query_one("#guided-head", Static).update(head)
        self.say_problem("")
        keys = t("guided.keys.next", k=key_name("guided.next"), next=t(step.NEXT))
        leave = t("guided.keys.leave", k=key_name("app.guided"))
        if isinstance(step, MenuStep):
            keys += "\n" + leave
        else:
            back = "guided.keys.back" if step.BACK else "guided.keys.end"
            keys += "\n" + t(back, k=key_name("guided.back")) + "　" + leave
        self.query_one("#guided-keys", Static).update(keys)
        await body.mount(step)

    async def _show_menu(self, said: str = "") -> None:
        self.run = None
        await self._mount(MenuStep(self, self.tasks, self.saved, self.first), t("guided.menu.title"))
        if said:
            self.say_problem(said)

    def _steps(self) -> List[Type[Step]]:
        return self.run.task.applicable(self.run.values) if self.run is not None else []

    def _head(self, step_cls: Type[Step]) -> str:
        steps = self._steps()
        n = steps.index(step_cls) + 1 if step_cls in steps else 1
        return t("guided.head", n=n, total=len(steps), task=t(self.run.task.title_key), step=t(step_cls.TITLE))

    def refresh_head(self) -> None:
        if self.run is not None and self.step is not None:
            self.query_one("#guided-head", Static).update(self._head(type(self.step)))

    async def _show(self, step_cls: Type[Step]) -> None:
        await self._mount(step_cls(self), self._head(step_cls))
        self._save(self._saved_now())

    def _saved_now(self) -> state.Saved:
        step = self.step
        values = dict(self.run.values)
        if step is not None and step.is_mounted:
            try:
                values.update(step.leave())
            except NoMatches:       # closing: its widgets are gone; typed values were kept as typed
                pass
        secret = {k for s in self.run.task.steps for k in s.SECRET}
        key = step.RESUME or step.KEY if step is not None else ""
        return state.Saved(self.run.task.id, key, {k: v for k, v in values.items() if k not in secret})

    def _save(self, saved: state.Saved) -> None:
        self.saved = saved
        self._write(saved)

    def _clear(self) -> None:
        self._write(None)

    def _write(self, saved: Optional[state.Saved]) -> None:
        """Write (or, with None, remove) guided.json in a worker; a later write always wins."""
        self._issued += 1
        self._persist(self._issued, saved)

    @work(thread=True, group="guided-state")
    def _persist(self, number: int, saved: Optional[state.Saved]) -> None:
        with self._write_lock:
            if number < self._written:
                return          # a newer state is already on disk
            self._written = number
            if saved is None:
                state.clear(self.home)
            else:
                state.save(saved, self.home)

    def say_problem(self, text: str) -> None:
        """The line above the keys: what is missing, or that the task is done (hidden when empty,
        so the step has that line too)."""
        line = self.query_one("#guided-problem", Static)
        line.update(text)
        line.display = bool(text)

    # -- moving
    async def begin(self, task: Task, values: Optional[Dict[str, object]] = None, at: str = "") -> None:
        self.run = TaskRun(task, dict(values or {}))
        steps = self._steps()
        target = task.step(at)
        await self._show(target if target in steps else steps[0])

    async def action_next(self) -> None:
        step = self.step
        if step is None:
            return
        problem = step.decide()
        if problem:
            self.say_problem(problem)
            return
        if self.run is None:
            await self._chosen(step.choice() if isinstance(step, MenuStep) else "")
            return
        self.run.values.update(step.leave())
        step.commit()
        steps = self._steps()
        later = steps[steps.index(type(step)) + 1:] if type(step) in steps else []
        if later:
            await self._show(later[0])
        else:
            await self.finish()

    async def _chosen(self, choice: str) -> None:
        if choice == "resume" and self.saved is not None:
            task = next((x for x in self.tasks if x.id == self.saved.task), None)
            if task is not None:
                await self.begin(task, self.saved.values, self.saved.step)
            return
        task = next((x for x in self.tasks if x.id == choice), None)
        if task is not None:
            await self.begin(task)

    async def action_choose(self, n: int) -> None:
        """A task by its number in the menu (only while the menu is shown)."""
        if self.run is None and isinstance(self.step, MenuStep) and 1 <= n <= len(self.tasks):
            await self._chosen(self.tasks[n - 1].id)

    async def action_back(self) -> None:
        step = self.step
        if step is None or self.run is None:
            return
        if step.busy:
            self.say_problem(t("guided.wait"))
            return
        if not step.BACK:
            await self.finish()
            return
        self.run.values.update(step.leave())
        steps = self._steps()
        earlier = steps[:steps.index(type(step))] if type(step) in steps else []
        if earlier:
            await self._show(earlier[-1])
        else:           # back from the first step: to the menu; the task waits there to be resumed
            self._save(self._saved_now())
            await self._show_menu()

    async def finish(self) -> None:
        """The task is over: nothing to resume; back to the menu with a word that it is done."""
        self.saved = None
        self._clear()
        await self._show_menu(t("guided.finished"))

    def action_pick(self) -> None:
        if self.step is not None:
            self.step.pick()

    def keep_now(self) -> None:
        """Write where the user is, now (the app is closing)."""
        if self.run is not None:
            with self._write_lock:
                state.save(self._saved_now(), self.home)
                self._written = self._issued = self._issued + 1

    def on_unmount(self) -> None:
        self.keep_now()

