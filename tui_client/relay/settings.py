"""The relay's settings, handed from ``tsunagi relay`` to its workers through the
environment (a uvicorn worker is a fresh process)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import List

from tui_client.core import wire
from tui_client.relay.storage import DEFAULT_KEEP_RECEIVED_DAYS


@dataclass
class RelaySettings:
    database: str
    max_item_bytes: int = wire.DEFAULT_MAX_ITEM_BYTES
    max_wait: float = float(wire.DEFAULT_MAILBOX_WAIT)
    #: Days a received item's content stays for the office's other PCs (0: deleted at the first ack).
    keep_received_days: int = DEFAULT_KEEP_RECEIVED_DAYS
    #: Offices put on the system at start-up: [{"office", "services", "name", "certificate_pem"}].
    seed_offices: List[dict] = field(default_factory=list)

    def to_env(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_env(cls, text: str) -> "RelaySettings":
        return cls(**json.loads(text))


SETTINGS_ENV = "TSUNAGI_RELAY_SETTINGS"
