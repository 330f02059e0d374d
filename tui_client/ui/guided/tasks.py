"""The guided tasks, in the order the menu offers them (the order of an office's month)."""

from __future__ import annotations

from tui_client.ui.guided import note, receive, renew, send, setup

TASKS = (setup.TASK, send.TASK, receive.TASK, note.TASK, renew.TASK)
