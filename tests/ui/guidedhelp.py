"""Helpers for the guided-mode tests (imported by basename: tests/ui is not a package).

``WALKS`` is each task's path through its steps with the fixed data (``FixedGuided``), as key presses
after the task is chosen in the menu; the snapshot and the 40x12 tests both play it.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import List

from textual.widgets import Digits, Input, Static

from fixed import FixedServices, inbox_items
from uihelp import settle
from tui_client.office.models import ListQuery, Page
from tui_client.ui.app import TsunagiApp
from tui_client.ui.services import SendResult
from tui_client.ui.settings import AppSettings

#: task id → (its place in the menu, presses after choosing it, the steps they show in order);
#: ("type", text) types into the step's field
WALKS = {
    "setup": (0, ["enter", "enter", "enter"], ["check", "export_folder", "import_folder", "done"]),
    "send": (1, ["enter", "enter", "enter", "enter"], ["folder", "check", "summary", "confirm", "result"]),
    "receive": (2, ["enter", "enter"], ["count", "folder", "save"]),
    "note": (3, [], ["kind"]),
    "renew": (4, ["enter", "enter", ("type", "/demo/new-cm.p12"), "enter", "enter"],
              ["days", "where", "keystore", "password", "import"]),
}


class FixedGuided(FixedServices):
    """The fixed office, also answering what the guided tasks ask at the end (a send, a save)."""

    def send(self, plan, progress=None, cancel=None):
        n = len(plan.sendable)
        for i in range(n):
            if progress:
                progress("sent", plan.sendable[i].name, i + 1, n)
        return SendResult(sent=n)

    def inbox(self, query=ListQuery()):
        items = tuple(i for i in inbox_items() if not query.state or i.state.value == query.state)
        end = None if query.limit < 0 else query.offset + query.limit
        return Page(items[query.offset:end], len(items), query.offset, query.limit)

    def save_received(self, keys, folder):
        return [Path(folder) / f"{k}.CSV" for k in keys], []


def guided_app(services, home, **settings) -> TsunagiApp:
    values = dict(export_folder="/demo/export", import_folder="/demo/import", guided=True)
    values.update(settings)
    return TsunagiApp(services, settings=AppSettings(**values), home=str(home), poll=False)


async def press(pilot, key) -> None:
    if isinstance(key, tuple):
        pilot.app.screen.query_one(Input).value = key[1]
    else:
        await pilot.press(key)
    await settle(pilot)


async def open_task(pilot, task: str) -> None:
    """From the guided menu, choose ``task`` with the arrow keys and Enter."""
    await settle(pilot)
    index = WALKS[task][0]
    for _ in range(index):
        await pilot.press("down")
    await press(pilot, "enter")


def step_key(app) -> str:
    step = app.screen.step
    return step.KEY if step is not None else ""


def not_fully_shown(screen) -> List[str]:
    """Every focusable widget, Static and Digits of ``screen`` that is not wholly inside the screen
    and inside its container's clip (cut off, scrolled away or pushed out)."""
    from textual.errors import NoWidget

    bad = []
    whole = screen.region
    for w in screen.walk_children(with_self=False):
        if not (w.focusable or isinstance(w, (Static, Digits))) or not w.display:
            continue
        if any(not a.display for a in w.ancestors_with_self if hasattr(a, "display")):
            continue
        try:
            geo = screen.find_widget(w)
        except NoWidget:
            bad.append(f"{w!r}: not on screen")
            continue
        region = geo.region
        if region.area == 0:
            continue            # an empty line (no problem to say): nothing to see
        if not whole.contains_region(region) or region.intersection(geo.clip) != region:
            bad.append(f"{w!r}: {region} outside {whole} / clip {geo.clip}")
    return bad


class Keys:
    """Presses keys, one at a time, counting them (the issue's keystroke targets)."""

    def __init__(self, pilot):
        self.pilot = pilot
        self.count = 0

    async def __call__(self, *keys):
        for key in keys:
            await self.pilot.press(key)
            self.count += 1
            await settle(self.pilot)

    async def type(self, text: str):
        """Into the step's field (typing is not counted: it is what the user has to write anyway)."""
        self.pilot.app.screen.query_one(Input).value = text
        await settle(self.pilot)


@asynccontextmanager
async def walking(app, size=(40, 12)):
    """The app running at ``size``, settled, and a key counter for it."""
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield Keys(pilot)
