"""The Tsunagi app: tabs across the top, the office it works for, polling for arrivals.

The App owns the ``Services`` (the one adapter over ``Office``) and the poll loop; tabs ask it for
values in workers. Start-up order matters: this module imports only Textual and our light modules,
so the first frame is drawn before ``cryptography``/``requests`` load; opening the office (keystore,
trust store) and every network call happen in workers afterwards.

A lost relay is a state in the status line (``RelayStateChanged`` when it changes), never a dialog
per poll. Arrivals raise a ``notify`` and, when configured, run the hook command with only the count
and kinds (never names, people or offices).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from textual import events, work
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Offset
from textual.reactive import reactive
from textual.widgets import ContentSwitcher, Static

from tui_client.catalog import t
from tui_client.ui import actions, guided, messages, terminal  # noqa: F401 - guided registers its key
from tui_client.ui.settings import THEMES, AppSettings
from tui_client.ui.theme import CONTRAST, CONTRAST_CLASS
from tui_client.ui.widgets.keybar import KeyBar
from tui_client.ui.widgets.tabbar import TabBar

if TYPE_CHECKING:       # loaded after the first frame (ui.services imports office.models)
    from tui_client.ui.services import Services


def _tab_widget(tab: str):
    """The widget of one tab. The inbox comes from its own module (helper E2's); until it exists,
    and for the tabs the next issue fills, a placeholder says so."""
    from tui_client.ui.screens.base import PlaceholderTab

    if tab == "home":
        from tui_client.ui.screens.home import HomeTab

        return HomeTab(id="tab-home")
    if tab == "outbox":
        from tui_client.ui.screens.outbox import OutboxTab

        return OutboxTab(id="tab-outbox")
    if tab == "batch":
        from tui_client.ui.screens.batch import BatchTab

        return BatchTab(id="tab-batch")
    if tab == "compose":
        from tui_client.ui.screens.compose import ComposeTab

        return ComposeTab(id="tab-compose")
    if tab == "drafts":
        from tui_client.ui.screens.drafts import DraftsTab

        return DraftsTab(id="tab-drafts")
    if tab == "inbox":
        try:
            from tui_client.ui.screens.inbox import InboxTab
        except ImportError:
            return PlaceholderTab("inbox", id="tab-inbox")
        return InboxTab(id="tab-inbox")
    if tab == "archive":
        from tui_client.ui.screens.archive import ArchiveTab

        return ArchiveTab(id="tab-archive")
    return PlaceholderTab(tab, id=f"tab-{tab}")


class TsunagiApp(App):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))   # absolute: subclasses (tests, benches) find it too
    TITLE = "tsunagi"
    COMMANDS = App.COMMANDS | {actions.ActionsProvider}
    BINDINGS = actions.bindings_for(actions.APP_SCOPE)
    #: Textual's own bindings we leave out of the footer (ours are in the registry)
    ENABLE_COMMAND_PALETTE = True

    relay_ok: reactive[Optional[bool]] = reactive(None)

    def __init__(self, services: Optional["Services"] = None, *, opener: Optional[Callable] = None,
                 settings: Optional[AppSettings] = None, home: Optional[str] = None,
                 poll: bool = True, clock: Optional[Callable[[], datetime]] = None,
                 background=None, first_tab: str = "home", unlock: str = "", offer_guided: bool = False) -> None:
        super().__init__()
        self._services = services         # None: no office yet (Services made when first asked)
        self._opener = opener
        self.settings = settings or AppSettings()
        self.settings_problems = []
        self.home_dir = home
        self._poll_enabled = poll
        self.clock = clock or (lambda: datetime.now().astimezone())
        self.background = background        # the demo's other offices (stopped on exit)
        self._first_tab = first_tab
        self._unlock = unlock               # a configured office whose keystore needs its password
        self._poll_timer = None
        self._polling = False
        self.relay_problem = ""
        self._offer_guided = offer_guided   # the very first start: ask once whether to use guided mode
        self._guided_started = False
        self.terminal_cursor_shown = False
        self._opening = opener is not None   # until the opener's worker has answered
        self.register_theme(CONTRAST)
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            # No sliding tab underline or fades: over a 64 kbit/s link each animation frame is a
            # repaint (a fifth of a tab change's bytes), and old PCs draw them slowly.
            self.animation_level = "none"
        self.theme = self.settings.theme if self.settings.theme in THEMES else THEMES[0]

    # -- the terminal: lean output, the cursor on the focused text input (for the IME)
    def get_driver_class(self):
        return terminal.lean_driver(super().get_driver_class())

    @property
    def cursor_position(self) -> Offset:
        """Where Textual puts the terminal cursor after each update: on the caret of the focused
        ``Input`` (worked out at every frame, so scrolling, resizing and modals never leave it
        stale), else where Textual last asked."""
        cell = terminal.input_cursor(self._focused_widget())
        return self._cursor_asked if cell is None else cell

    @cursor_position.setter
    def cursor_position(self, value: Offset) -> None:
        self._cursor_asked = value

    def _focused_widget(self):
        try:
            return self.focused
        except Exception:  # noqa: BLE001 - no screen yet (start, exit)
            return None

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_terminal_cursor()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self._show_terminal_cursor()

    def _show_terminal_cursor(self) -> None:
        """The real cursor is shown while a text input has the focus (an IME places its composition
        at it), hidden otherwise as Textual has it."""
        shown = terminal.input_cursor(self._focused_widget()) is not None
        if shown != self.terminal_cursor_shown:
            self.terminal_cursor_shown = shown
            if self._driver is not None and self.is_running and not self._exit:   # not while closing
                self._driver.write(terminal.SHOW_CURSOR if shown else terminal.HIDE_CURSOR)

    # -- toasts
    def notify(self, message: str, *, title: str = "", markup: bool = False, **kw) -> None:
        """Every toast of the app: Japanese without the spaces that made it wrap oddly
        (``format.toast_text``), and no markup, since messages carry file names and typed values
        (a ``[`` in a file name must show, not be read as a style)."""
        from tui_client.ui.format import toast_text

        super().notify(toast_text(message), title=toast_text(title), markup=markup, **kw)

    # -- the office
    @property
    def services(self) -> "Services":
        """The adapter over the office; made on first use, so its module (and ``office.models``)
        loads after the first frame, in the worker that opens the office."""
        if self._services is None:
            from tui_client.ui.services import Services

            self._services = Services(None)
        return self._services

    @services.setter
    def services(self, value: "Services") -> None:
        self._services = value

    @property
    def office(self):
        return getattr(self._services, "office", None)

    # -- layout
    def compose(self) -> ComposeResult:
        yield Static(self._status_text(), id="status-line")
        labels = []
        for tab in actions.TABS:
            action = actions.get(f"tab.{tab}")
            labels.append((tab, f"{t('tab.' + tab)} {action.key.upper()}", action.action))
        yield TabBar(labels, active=self._first_tab, id="tabs")
        with ContentSwitcher(initial=f"pane-{self._first_tab}", id="panes"):
            for tab in actions.TABS:
                with Vertical(id=f"pane-{tab}", classes="tab-pane"):
                    # Only the first tab is built before the first frame; the others (and the
                    # modules they import) when first shown.
                    if tab == self._first_tab:
                        yield _tab_widget(tab)
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        for p in self.settings_problems:
            self.notify(t(p.code, value=p.value) + f"（{p.file} {p.key}）", severity="warning", timeout=10)
        if self._opener is not None:
            self.call_after_refresh(self._open_office)     # after the first frame: cryptography loads there
        elif self._unlock:
            from tui_client.ui.screens.unlock import UnlockScreen

            self.push_screen(UnlockScreen(self._unlock))
        else:
            self._office_ready()

    @work(thread=True, exclusive=True, group="open")
    def _open_office(self) -> None:
        """Open the keystore and trust store (cryptography loads here, after the first frame)."""
        office, findings = self._opener()
        self.call_from_thread(self._opened, office, findings)

    def _opened(self, office, findings) -> None:
        self._opening = False
        self._update_status()
        if office is None:
            from tui_client.ui.screens.setup import SetupScreen

            self.push_screen(SetupScreen(findings=tuple(findings)))
            return
        self.use_office(office)

    def use_office(self, office) -> None:
        """Work for ``office`` from now on (after opening, unlocking or setting it up)."""
        if self.office is office:
            return
        if self.office is not None:
            self.office.close()
        from tui_client.ui.services import Services

        self.services = Services(office)
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = None
        self._office_ready()

    def _focus_active(self) -> None:
        tab = self.active_tab()
        for w in self.tab_widgets():
            if w.SCOPE == tab:
                w.focus_first()

    def _office_ready(self) -> None:
        self._update_status()
        self.reload_tabs()
        self.call_after_refresh(self._focus_active)
        if self.office is None:
            from tui_client.ui.screens.setup import SetupScreen

            if not isinstance(self.screen, SetupScreen):
                self.push_screen(SetupScreen())
            self._start_guided()
            return
        self._start_guided()
        if self._poll_enabled:
            self.refresh_now()
            self._poll_timer = self.set_interval(max(5, int(self.settings.poll_interval)), self.refresh_now)

    # -- tabs
    def tab_widgets(self):
        return [w for w in self.query("*") if getattr(w, "SCOPE", "") in actions.TABS]

    def active_tab(self) -> str:
        try:
            return self.screen_stack[0].query_one("#tabs", TabBar).active or "home"
        except Exception:  # noqa: BLE001 - a modal screen is on top
            return "home"

    def reload_tabs(self) -> None:
        for w in self.tab_widgets():
            w.reload()

    def action_show_tab(self, tab: str) -> None:
        if tab not in actions.TABS:
            return
        if self.screen is not self.screen_stack[0]:
            return          # a modal is open: it has the keyboard
        if tab != self.active_tab() and self._asked_before_leaving(lambda: self.action_show_tab(tab)):
            return
        self.query_one("#tabs", TabBar).active = tab
        self.query_one("#panes", ContentSwitcher).current = f"pane-{tab}"
        if self._ensure_tab(tab):
            return
        for w in self.tab_widgets():
            if w.SCOPE == tab:
                w.reload()
                self.call_after_refresh(w.focus_first)

    def _asked_before_leaving(self, then: Callable[[], None], everywhere: bool = False) -> bool:
        """True when a tab with unsaved input (新規作成) asked the user first; ``then`` runs once
        that input is saved. ``everywhere``: every tab (quitting), not only the active one."""
        active = self.active_tab()
        for w in self.tab_widgets():
            guard = getattr(w, "before_leave", None)
            if guard is not None and (everywhere or w.SCOPE == active) and guard(then):
                return True
        return False

    def action_quit(self) -> None:
        if not self._asked_before_leaving(self.exit, everywhere=True):
            self.exit()

    def _ensure_tab(self, tab: str) -> bool:
        """Build a tab's widget on first show; True when it was just mounted (it reloads then)."""
        try:
            pane = self.query_one(f"#pane-{tab}", Vertical)
        except Exception:  # noqa: BLE001 - not composed (a modal on top during start)
            return False
        if pane.children:
            return False
        widget = _tab_widget(tab)
        mounted = pane.mount(widget)

        async def shown() -> None:      # once its children are composed (a click is quicker than a key)
            await mounted
            self.call_after_refresh(widget.reload)
            self.call_after_refresh(widget.focus_first)

        self.call_later(shown)
        return True

    def deliver(self, message_factory: Callable[[], object]) -> None:
        """Give every tab its own copy of an app message (messages are consumed by their target)."""
        for w in self.tab_widgets():
            w.post_message(message_factory())

    # -- status line
    def _status_text(self) -> str:
        me = self.services.identity() if self.office is not None else None
        if (me is None or not me.office) and self._opening:
            who = t("status.opening")           # the first frame: the keystore opens in a worker
        elif me is None or not me.office:
            who = t("status.no_office")
        else:
            who = t("status.office", office=me.office, name=me.name)
        if self.relay_ok is None:
            relay = t("status.relay.unknown")
        elif self.relay_ok:
            relay = t("status.relay.ok")
        else:
            relay = t("status.relay.down")
        return f"{who}  {relay}"

    def _update_status(self) -> None:
        try:
            self.query_one("#status-line", Static).update(self._status_text())
        except Exception:  # noqa: BLE001 - not composed yet
            pass

    def watch_relay_ok(self, old, new) -> None:
        self._update_status()

    # -- polling
    def action_refresh_now(self) -> None:
        self.refresh_now()

    def refresh_now(self) -> None:
        if self.office is None or self._polling:
            return
        self._polling = True
        self._poll()

    @work(thread=True, exclusive=True, group="poll")
    def _poll(self) -> None:
        try:
            got = self.services.receive()
            sent_findings = self.services.refresh_outbox()
            status = self.services.relay_status()
        finally:
            self.call_from_thread(setattr, self, "_polling", False)
        self.call_from_thread(self._polled, got, sent_findings, status)

    def _polled(self, got, sent_findings, status) -> None:
        was = self.relay_ok
        self.relay_ok = status.reachable
        self.relay_problem = status.problem.code if status.problem else ""
        if was is not status.reachable:
            self.deliver(lambda: messages.RelayStateChanged(status.reachable, self.relay_problem))
        if got.count:
            from tui_client.ui.format import kind_label

            kinds = "、".join(kind_label(k) for k in got.kinds)
            self.notify(t("notice.arrivals", count=got.count, kinds=kinds), title=t("notice.arrivals.title"))
            self.run_hook(got.count, got.kinds)
            self.deliver(lambda: messages.ArrivalsChanged(got.count, got.kinds))
        self.deliver(messages.OutboxChanged)

    def run_hook(self, count: int, kinds) -> None:
        if self.settings.hook_command:
            self._run_hook(self.settings.hook_command, count, tuple(kinds))

    @work(thread=True, group="hook")
    def _run_hook(self, command: str, count: int, kinds) -> None:
        """The hook sees only how many items came and their kinds (UPPLAN …), never personal data."""
        import shlex
        import subprocess

        env = dict(os.environ, TSUNAGI_COUNT=str(count), TSUNAGI_KINDS=",".join(kinds))
        try:
            subprocess.run(shlex.split(command), env=env, timeout=30, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            self.call_from_thread(self.notify, t("notice.hook_failed", reason=type(exc).__name__),
                                  severity="warning")

    # -- other screens
    def action_open_setup(self) -> None:
        from tui_client.ui.screens.setup import SetupScreen

        if not isinstance(self.screen, SetupScreen):
            self.push_screen(SetupScreen())

    def action_open_settings(self) -> None:
        from tui_client.ui.screens.settings import SettingsScreen

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    # -- guided mode (かんたん操作)
    def watch_theme(self, theme: str) -> None:
        self.set_class(theme == CONTRAST.name, CONTRAST_CLASS)

    @property
    def guided_active(self) -> bool:
        from tui_client.ui.guided.engine import GuidedScreen

        return any(isinstance(s, GuidedScreen) for s in self.screen_stack)

    def _start_guided(self) -> None:
        """Once, when the office is ready (or known to be missing): guided mode if it was left on,
        or the one question on the very first start."""
        if self._guided_started:
            return
        self._guided_started = True
        if self.settings.guided:
            self.open_guided()
        elif self._offer_guided and self.settings.guided is None:
            from tui_client.ui.guided.ask import AskGuidedScreen

            self.push_screen(AskGuidedScreen())

    def open_guided(self) -> None:
        from tui_client.ui.guided.engine import GuidedScreen

        if self.guided_active:
            return
        self.theme = CONTRAST.name        # guided mode is always high contrast
        self.push_screen(GuidedScreen(first="setup" if self.office is None else ""))

    def leave_guided(self) -> None:
        from tui_client.ui.guided.engine import GuidedScreen

        while self.guided_active and len(self.screen_stack) > 1:
            top = self.screen
            self.pop_screen()
            if isinstance(top, GuidedScreen):
                break
        self.theme = self.settings.theme if self.settings.theme in THEMES else THEMES[0]

    def remember_guided(self, on: bool) -> None:
        self.settings.guided = on
        self._save_guided_choice()

    @work(thread=True, group="settings")
    def _save_guided_choice(self) -> None:
        from tui_client.ui import settings as settings_mod

        settings_mod.save(self.settings, self.home_dir)

    def action_toggle_guided(self) -> None:
        from tui_client.ui.guided.engine import key_name

        key = key_name("app.guided")
        if self.guided_active:
            self.leave_guided()
            self.remember_guided(False)
            self.notify(t("notice.guided.off", k=key))
        else:
            self.open_guided()
            self.remember_guided(True)
            self.notify(t("notice.guided.on", k=key))
    def action_open_planact(self) -> None:
        from tui_client.ui.screens.planactual import PlanActualScreen, open_from

        if self.office is not None and not isinstance(self.screen, PlanActualScreen):
            open_from(self)

    def action_cycle_theme(self) -> None:
        i = THEMES.index(self.theme) if self.theme in THEMES else 0
        self.theme = THEMES[(i + 1) % len(THEMES)]
        self.settings.theme = self.theme
        self.notify(t("notice.theme", theme=t("theme." + self.theme)))

    def save_settings(self, settings: AppSettings) -> None:
        from tui_client.ui import settings as settings_mod

        self.settings = settings
        self.theme = CONTRAST.name if self.guided_active else settings.theme
        problems = settings_mod.save(settings, self.home_dir)
        for p in problems:
            self.notify(t(p.code, value=p.value, key=p.key, file=p.file), severity="error")
        if self._poll_timer is not None:
            self._poll_timer.stop()
            self._poll_timer = self.set_interval(max(5, int(settings.poll_interval)), self.refresh_now)

    def on_unmount(self) -> None:
        if self.background is not None:
            try:
                self.background.stop()
            except Exception:  # noqa: BLE001 - leaving anyway
                pass


def run_app(**kw) -> int:
    app = TsunagiApp(**kw)
    app.run()
    return int(app.return_code or 0)


def office_app(home: Optional[str] = None) -> TsunagiApp:
    """The app for the office set up on this PC (the keystore password is asked on screen), or the
    set-up check when there is none. Reading ``office.json`` is cheap; the keystore opens later."""
    from tui_client.ui import settings as settings_mod
    from tui_client.office.settings import load_settings

    app_settings, problems = settings_mod.load(home)
    office_settings, _ = load_settings(None, home)        # office.json only: no keystore, no façade
    first = app_settings.guided is None and not problems   # never asked yet: the very first start
    if office_settings is None:
        app = TsunagiApp(settings=app_settings, home=home, offer_guided=first)
    elif office_settings.demo_id:
        def opener():                   # in the worker, after the first frame
            from tui_client.ui.services import open_office

            return open_office(office_settings.office, None, home)

        app = TsunagiApp(settings=app_settings, home=home, offer_guided=first, opener=opener)
    else:
        app = TsunagiApp(settings=app_settings, home=home, unlock=office_settings.office, offer_guided=first)
    app.settings_problems = problems
    return app


def demo_app(month: str = "202505", home: Optional[str] = None) -> TsunagiApp:
    """The app as the demo care manager, the other demo offices working in the background."""
    from tui_client.ui.demo import DemoWorld

    world = DemoWorld(home, month)
    app = TsunagiApp(settings=world.app_settings(), home=str(world.home), opener=world.open, background=world)
    return app
