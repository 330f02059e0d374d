"""Guided mode (大きな文字でかんたん操作): one decision per screen, 40x12-safe, in the contrast theme.

This package's ``__init__`` only registers the app-wide key that switches guided mode on and off (it is
on the path to the first frame, so it imports nothing heavy); the screen is ``engine.GuidedScreen``,
the tasks are ``tasks.TASKS``, one module per task.
"""

from __future__ import annotations

from tui_client.ui.actions import Action, register

register(Action("app.guided", "f12", "action.guided", footer=False, priority=True, action="app.toggle_guided",
                help_key="action.guided.help"))
