"""Messages the App posts to its tabs and screens (Textual ``Message`` subclasses).

The App polls the relay and the store in workers and posts these; a tab reacts by calling its own
``reload()`` (which starts a worker). They carry counts and states only, never personal data.
"""

from __future__ import annotations

from typing import Tuple

from textual.message import Message


class ArrivalsChanged(Message):
    """New items arrived in the inbox (``count`` new since the last poll; ``kinds`` their file kinds)."""

    def __init__(self, count: int = 0, kinds: Tuple[str, ...] = ()) -> None:
        super().__init__()
        self.count = count
        self.kinds = kinds


class OutboxChanged(Message):
    """Something in the outbox moved (sent, received by the partner, refused, withdrawn)."""


class RelayStateChanged(Message):
    """The relay became reachable or unreachable (``problem`` is a finding code or "")."""

    def __init__(self, reachable: bool, problem: str = "") -> None:
        super().__init__()
        self.reachable = reachable
        self.problem = problem
