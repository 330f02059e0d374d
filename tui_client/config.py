"""Where Tsunagi keeps things on disk: every path comes from here (platformdirs), nothing is written
to the current directory.

``TSUNAGI_HOME`` overrides the base directory (tests, the demo, a training room's USB stick); then
everything lives under it: ``data/`` (the office database, keystore), ``config/``, ``state/``
(logs, the relay's database by default).

Per office (one PC may act for several demo offices, a multi-site office has one inbox per site):
``data/offices/<office number>/…``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

APP = "tsunagi"
HOME_ENV = "TSUNAGI_HOME"


@dataclass(frozen=True)
class Paths:
    data: Path
    config: Path
    state: Path

    def office(self, office: str) -> "OfficePaths":
        return OfficePaths(self.data / "offices" / office)

    @property
    def relay_database(self) -> Path:
        return self.state / "relay.sqlite3"

    @property
    def logs(self) -> Path:
        return self.state / "logs"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"


@dataclass(frozen=True)
class OfficePaths:
    root: Path

    @property
    def database(self) -> Path:
        """The office's client store (outbox, error shelf, inbox, archive): transport/clientdb.py."""
        return self.root / "office.sqlite3"

    @property
    def outbox(self) -> Path:
        """The old spool's outbox folder: read only to migrate it into ``database``."""
        return self.root / "outbox"

    @property
    def errors(self) -> Path:
        """The error shelf: items the relay refused, kept for a person to look at."""
        return self.root / "errors"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def keystore(self) -> Path:
        return self.root / "keystore"

    @property
    def settings_file(self) -> Path:
        return self.root / "office.json"

    @property
    def device_file(self) -> Path:
        """This PC's device id for the office (``office.settings.device_id``): per PC, never in the
        keystore, which the office's PCs share."""
        return self.root / "device-id"


def paths(home: Optional[str] = None) -> Paths:
    base = home or os.environ.get(HOME_ENV)
    if base:
        root = Path(base).expanduser().resolve()
        return Paths(root / "data", root / "config", root / "state")
    import platformdirs

    return Paths(Path(platformdirs.user_data_dir(APP, appauthor=False)),
                 Path(platformdirs.user_config_dir(APP, appauthor=False)),
                 Path(platformdirs.user_state_dir(APP, appauthor=False)))
