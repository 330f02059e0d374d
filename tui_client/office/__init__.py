"""One office's view of the world: check, send, receive, list, archive, settings.

The façade both faces stand on (the command line and the Textual UI): a screen or a command never
builds HTTP requests, seals, or parses CSV itself. Everything a user can get wrong comes back as
findings (codes with Japanese messages in the catalogue); nothing here prints. Lists come back as
typed models (``office.models``).

One face, parts by task, each small enough to read at once:

* ``settings``  — office settings, set-up, renewal (``setup_office``, ``load_settings`` …)
* ``directory`` — registering, recipients' certificates, partners' names
* ``sending``   — prepare, seal, queue, upload; flush; withdraw, discard, requeue
* ``receiving`` — download, open, verify, store, acknowledge; save; preview
* ``archive``   — the lists (inbox, outbox, error shelf, archive search) and sent status
* ``status``    — certificate days left, relay reachable
* ``evidence``  — the evidence archive: verify, export, retention, folder import
* ``drafts``    — messages being written (新規作成 / 下書き)
* ``compare``   — plan vs actual (予定と実績), what changed (変更点), older versions marked
* ``notes``     — the template notes (利用なし, 限度額超過) and their suggestions

Order of events, chosen so that a crash or a dropped line never loses or duplicates anything:

* send: validate → route → recipient certificates from the relay's directory → seal → outbox (the
  office database: the sealed item with its plaintext) → upload with name + digest (idempotent) →
  the relay's id recorded in the sent archive and the outbox row removed, in one transaction.
* receive: list → download into the inbox → open and verify → validate → store in the archive (a
  group of items, one transaction, receipts noted) → acknowledge → the inbox row goes. An item that
  cannot be opened stays in the inbox and on the relay; no receipt is sent for it.
* sent status: the relay's list of outgoing items → receipts fetched and verified against the
  content we sent → 受信済み with the time, in the sent archive.

Threads: an ``Office`` may be used from worker threads. Its mutable state (the client, the
certificate cache, the earlier keystores, "registered") is created in ``__init__`` and guarded by
``_lock``; the store serialises its own access. Long tasks take ``cancel`` (a ``threading.Event``)
or stop when ``Office.cancel()`` is called, checked between items.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__all__ = ["Office", "OfficeSettings", "Prepared", "SendReport", "ReceiveReport", "NamedFile",
           "setup_office", "setup_demo_office", "load_settings", "configured_offices", "save_settings",
           "transport_finding", "MAX_PREVIOUS_KEYSTORES"]

#: Everything ``facade`` exports (the names above and the two private helpers kept importable).
_LAZY = frozenset(__all__) | {"_free_name", "_chunks"}

if TYPE_CHECKING:
    from tui_client.office.facade import *  # noqa: F401,F403


def __getattr__(name: str):
    """Load the façade on first use of one of its names: importing a submodule (``models`` for the
    screens) must stay cheap, so this package's ``__init__`` imports nothing itself."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    facade = importlib.import_module("tui_client.office.facade")
    value = getattr(facade, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | _LAZY)
