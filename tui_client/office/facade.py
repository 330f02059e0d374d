"""The ``Office`` class: one office's view of the world (see the package docstring).

It lives here, not in ``office/__init__.py``, so that importing ``tui_client.office.models`` (the
typed values the screens draw) does not load the façade, its parts and what they import
(``sqlite3``, ``core.wire``, the store) before the app's first frame. ``tui_client.office`` still
exports ``Office`` and the set-up functions, loaded on first use.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from tui_client import config
from tui_client.core.findings import Finding, has_errors, make
from tui_client.office.archive import ArchivePart
from tui_client.office.compare import ComparePart
from tui_client.office.directory import DirectoryPart
from tui_client.office.drafts import DraftsPart
from tui_client.office.evidence import EvidencePart
from tui_client.office.notes import NotesPart
from tui_client.office.receiving import ReceivingPart, _free_name  # noqa: F401  (kept importable)
from tui_client.office.results import NamedFile, Prepared, ReceiveReport, SendReport, transport_finding
from tui_client.office.sending import SendingPart, _chunks  # noqa: F401  (kept importable)
from tui_client.office.settings import (MAX_PREVIOUS_KEYSTORES, OfficeSettings, configured_offices, device_id,
                                        load_settings, save_settings, setup_demo_office, setup_office)
from tui_client.office.status import StatusPart

__all__ = ["Office", "OfficeSettings", "Prepared", "SendReport", "ReceiveReport", "NamedFile",
           "setup_office", "setup_demo_office", "load_settings", "configured_offices", "save_settings",
           "transport_finding", "MAX_PREVIOUS_KEYSTORES"]


class Office(SendingPart, ReceivingPart, ArchivePart, EvidencePart, ComparePart, DirectoryPart, StatusPart,
             DraftsPart, NotesPart):
    _db_error = sqlite3.Error

    def __init__(self, settings: OfficeSettings, keystore, trust, home: Optional[str] = None,
                 password: Optional[str] = None):
        from tui_client.transport.clientdb import open_db
        from tui_client.transport.queue import Inbox, Outbox

        self.settings = settings
        self.keystore = keystore
        self.trust = trust
        self.home = home
        self.paths = config.paths(home).office(settings.office)
        self._password = password          # for the earlier keystores, opened only when receiving
        self._lock = threading.RLock()
        self._previous: Optional[list] = None
        self._client = None
        self._registered = False
        self._cert_cache: Dict[str, list] = {}
        self._cancel = threading.Event()
        #: This PC among the office's PCs (the relay lists each item to each PC until it acknowledges).
        self.device = device_id(self.paths)
        self.db = open_db(self.paths.database, legacy_root=self.paths.root)
        self.outbox_queue = Outbox(self.db)
        self.inbox_queue = Inbox(self.db)

    # -- opening
    @classmethod
    def open(cls, office: Optional[str] = None, password: Optional[str] = None,
             home: Optional[str] = None) -> Tuple[Optional["Office"], List[Finding]]:
        from tui_client.core import certs

        settings, findings = load_settings(office, home)
        if settings is None:
            return None, findings
        if settings.demo_id:
            from tui_client import sample_certs

            password = sample_certs.office(settings.demo_id)["password"]
        try:
            raw = Path(settings.keystore_file).read_bytes()
            roots = Path(settings.ca_file).read_bytes()
            crls = [Path(c).read_bytes() for c in settings.crl_files]
        except OSError as exc:
            return None, [make("E-CFG-002", settings.keystore_file, reason=exc.strerror or type(exc).__name__)]
        ks, f = certs.load_keystore(raw, password, Path(settings.keystore_file).name)
        if ks is None:
            return None, f
        trust, f2 = certs.load_trust_store(roots, crls, Path(settings.ca_file).name)
        if trust is None:
            return None, f2
        # An expired, revoked or foreign certificate is said plainly here, before any connection:
        # over TLS 1.3 the relay can only hang up on it, which looks like a network failure.
        f3 = certs.check_certificate(ks.certificate, trust, intermediates=ks.chain,
                                     name=Path(settings.keystore_file).name)
        if has_errors(f3):
            return None, f + f2 + f3
        try:
            return cls(settings, ks, trust, home, password), f + f2 + f3
        except (OSError, sqlite3.Error) as exc:
            db = config.paths(home).office(settings.office).database
            return None, [make("E-CFG-002", str(db), reason=getattr(exc, "strerror", None) or type(exc).__name__)]

    @property
    def number(self) -> str:
        return self.settings.office

    @property
    def client(self):
        with self._lock:
            if self._client is None:
                from cryptography.hazmat.primitives import serialization

                from tui_client.transport.client import RelayClient, tls_context

                pem = self.keystore.certificate.public_bytes(serialization.Encoding.PEM)
                chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.keystore.chain)
                ctx = tls_context(self.settings.ca_file, pem, self.keystore.key, chain)
                self._client = RelayClient(self.settings.relay_url, ctx, self.settings.ca_file, device=self.device)
            return self._client

    def cancel(self) -> None:
        """Ask the running send / flush / receive to stop before its next item."""
        self._cancel.set()

    def _cancel_event(self, cancel: Optional[threading.Event]) -> threading.Event:
        """The event a task checks: the caller's, or the office's own (cleared as the task starts)."""
        if cancel is not None:
            return cancel
        self._cancel.clear()
        return self._cancel

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
        self.db.close()

    def _net(self, exc, name: str = "") -> Finding:
        return transport_finding(exc, name, self.settings.relay_url)
