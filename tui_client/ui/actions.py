"""The one action registry of the app: every key, its label, and where it shows.

An ``Action`` names one thing the user can do (``tab.inbox``, ``outbox.resend`` …). The footer hints,
the key bindings and the command palette all read this registry, so a key shown in the footer is the
key that works, and the palette offers exactly what the keys do. A user keymap overrides keys by
action name (Textual's ``App.set_keymap`` with the binding ``id``, which is the action's name).

Scopes: ``"app"`` actions are bound on the App and work everywhere; any other scope is the ``SCOPE``
class attribute of a tab widget or a screen (``HomeTab.SCOPE == "home"``), which takes
``BINDINGS = bindings_for(SCOPE)``. The ``action`` string is a Textual action run on that widget
(``"resend"`` → ``action_resend``). Labels are catalogue keys; this module never inlines Japanese.

This module must stay cheap to import (it is on the path to the first frame) and never import the
engine (``office``, ``transport``, ``cryptography``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui_client.catalog import t

APP_SCOPE = "app"


@dataclass(frozen=True)
class Action:
    """One thing the user can do.

    ``name`` is stable (keymaps and tests refer to it); ``key`` is a Textual key string (several keys
    comma-separated); ``label_key`` is the catalogue key of its short label; ``footer`` shows it in the
    footer; ``palette`` offers it in the command palette; ``priority`` binds it before focused widgets
    see the key (use it only for keys no input needs, like F-keys); ``scope`` is "app" or a widget's
    ``SCOPE``; ``action`` is the Textual action to run (defaults to the part of ``name`` after the dot).
    """

    name: str
    key: str
    label_key: str
    footer: bool = True
    palette: bool = True
    priority: bool = False
    scope: str = APP_SCOPE
    action: str = ""
    help_key: str = ""

    @property
    def action_string(self) -> str:
        return self.action or self.name.rsplit(".", 1)[-1]

    @property
    def label(self) -> str:
        return t(self.label_key)

    @property
    def help(self) -> str:
        return t(self.help_key) if self.help_key else ""

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action_string,
            self.label,
            show=self.footer,
            priority=self.priority,
            id=self.name,
        )


_REGISTRY: Dict[str, Action] = {}


def register(*actions: Action) -> None:
    """Add actions; a name registered twice with a different definition is a programming error."""
    for action in actions:
        old = _REGISTRY.get(action.name)
        if old is not None and old != action:
            raise RuntimeError(f"action registered twice: {action.name}")
        _REGISTRY[action.name] = action


def get(name: str) -> Action:
    return _REGISTRY[name]


def all_actions() -> List[Action]:
    return list(_REGISTRY.values())


def actions_for(scope: str) -> List[Action]:
    return [a for a in _REGISTRY.values() if a.scope == scope]


def bindings_for(scope: str) -> List[Binding]:
    """The Textual bindings of one scope, in registration order (the footer's order)."""
    return [a.binding() for a in actions_for(scope)]


def keys_clash(scopes: Iterable[str] = ()) -> List[str]:
    """Keys bound twice within one scope (a test keeps this empty)."""
    clashes = []
    wanted = set(scopes)
    by_scope: Dict[str, Dict[str, str]] = {}
    for action in _REGISTRY.values():
        if wanted and action.scope not in wanted:
            continue
        seen = by_scope.setdefault(action.scope, {})
        for key in action.key.split(","):
            key = key.strip()
            if key in seen:
                clashes.append(f"{action.scope}:{key}: {seen[key]} / {action.name}")
            seen[key] = action.name
    return clashes


# ---------------------------------------------------------------------------------------------
# The app-wide actions. Tab and screen modules register their own next to their widget, e.g.
#   register(Action("inbox.save", "s", "action.inbox.save", scope="inbox", action="save"))
#   class InboxTab(Widget):
#       SCOPE = "inbox"
#       BINDINGS = bindings_for(SCOPE)
# Tab keys are F-keys and digits so that no text input swallows them.
# The footer shows the current screen's keys, then only ^q (quit) and ^p (the palette, where every
# other app-wide action is): at 80 columns there is no room for more, and the tabs show their F-keys.
# ---------------------------------------------------------------------------------------------

TABS = ("home", "inbox", "outbox", "batch", "compose", "drafts", "archive")

register(
    *(
        Action(
            f"tab.{tab}",
            f"f{i + 1}",
            f"tab.{tab}",
            footer=False,       # the tab labels already show their F-key
            priority=True,
            action=f"app.show_tab('{tab}')",
        )
        for i, tab in enumerate(TABS)
    ),
    Action("app.refresh", "ctrl+r", "action.refresh", footer=False, action="app.refresh_now"),
    Action("app.setup", "f8", "action.setup", footer=False, priority=True, action="app.open_setup"),
    Action("app.settings", "f9", "action.settings", footer=False, priority=True,
           action="app.open_settings"),
    Action("app.theme", "f10", "action.theme", footer=False, priority=True,
           action="app.cycle_theme"),
    # 予定と実績 (ui/screens/planactual.py) from anywhere, through the palette or this key
    Action("app.planact", "f11", "planact.key.open", footer=False, priority=True, action="app.open_planact"),
    Action("app.palette", "ctrl+p", "action.palette", palette=False, action="app.command_palette"),
    Action("app.quit", "ctrl+q", "action.quit", footer=True, priority=True, action="app.quit"),
)


def _target(app, scope: str):
    """The widget an action of ``scope`` runs on, or None when that scope is not on screen."""
    if scope == APP_SCOPE:
        return app
    screen = app.screen
    if getattr(screen, "SCOPE", None) == scope:
        return screen
    for widget in screen.walk_children():
        if getattr(widget, "SCOPE", None) == scope and widget.display:
            # a tab that is not the active one is inside a hidden TabPane
            if all(ancestor.display for ancestor in widget.ancestors if hasattr(ancestor, "display")):
                return widget
    return None


def runnable(app) -> List[tuple]:
    """``(action, target)`` for every palette action that can run on the current screen."""
    found = []
    for action in _REGISTRY.values():
        if not action.palette:
            continue
        target = _target(app, action.scope)
        if target is not None:
            found.append((action, target))
    return found


class ActionsProvider(Provider):
    """Textual's command palette over our own actions (what the keys do, by their Japanese labels)."""

    def _commands(self):
        app = self.app
        for action, target in runnable(app):
            def run(action=action, target=target) -> None:
                app.call_later(target.run_action, action.action_string)

            key = action.key.split(",")[0].strip()
            yield action, f"{action.label}  [{key}]", run

    async def discover(self) -> Hits:
        for action, text, run in self._commands():
            yield DiscoveryHit(text, run, help=action.help or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, text, run in self._commands():
            score = max(matcher.match(text), matcher.match(action.name))
            if score > 0:
                yield Hit(score, matcher.highlight(text), run, help=action.help or None)


def keymap_from(mapping: Optional[Dict[str, str]]) -> Dict[str, str]:
    """A user keymap (action name → key) limited to names that exist, for ``App.set_keymap``."""
    if not mapping:
        return {}
    return {name: key for name, key in mapping.items() if name in _REGISTRY and key}
