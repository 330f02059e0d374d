"""The one question on the very first start: guided mode or the ordinary screens? The answer is kept
in the app settings (``guided``), so it is asked once; F12 switches at any time afterwards."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui_client.catalog import t
from tui_client.ui.actions import Action, bindings_for, register
from tui_client.ui.guided.engine import key_name

register(Action("ask.choose", "enter", "action.guided.next", scope="ask", action="choose", priority=True,
                palette=False))


class AskGuidedScreen(Screen):
    SCOPE = "ask"
    BINDINGS = bindings_for(SCOPE)

    def compose(self):
        yield Static(t("guided.ask.title"), id="guided-head")
        yield Static(t("guided.ask.question"), classes="guided-text")
        yield OptionList(Option(t("guided.ask.yes"), id="yes"), Option(t("guided.ask.no"), id="no"),
                         id="guided-ask", classes="guided-choice")
        yield Static(t("guided.ask.later", k=key_name("app.guided")), id="guided-keys")

    def on_mount(self) -> None:
        self.app.theme = "tsunagi-contrast"       # the question itself is asked in large, clear type
        self.query_one(OptionList).focus()

    def action_choose(self) -> None:
        ol = self.query_one(OptionList)
        yes = ol.highlighted == 0
        app = self.app
        app.pop_screen()
        app.remember_guided(yes)
        if yes:
            app.open_guided()
        else:
            app.leave_guided()
