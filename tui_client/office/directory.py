"""The relay's directory as this office sees it: registering itself, recipients' certificates (checked
against the trust store once per answer), partners' names, and a copy kept in the office database so
a file can still be sealed and queued while the relay is unreachable.

Thread-safe: the in-memory certificate cache is guarded by ``self._lock`` (an ``RLock`` made in
``Office.__init__``); nothing here creates attributes."""

from __future__ import annotations

import json
from typing import Dict, List, Sequence, Tuple

from tui_client.core import wire
from tui_client.core.findings import Finding, has_errors
from tui_client.office.models import Partner

_CACHE_KEY = "directory"


class DirectoryPart:
    def register(self) -> List[Finding]:
        """Put this office (its sites and current certificate) on the relay's directory. Done once per
        session before the first send or receive, so a renewed certificate reaches senders by itself."""
        from tui_client.transport.client import TransportError

        with self._lock:
            self._registered = True
        try:
            self.client.register_self(self.settings.services, self.settings.name)
        except TransportError as exc:
            return [self._net(exc)]
        return []

    def _ensure_registered(self) -> None:
        with self._lock:
            if self._registered:
                return
            self._registered = True   # once per session, even if it fails: never wait twice
        self.register()               # a failure shows up again, with its message, in the call that follows

    def directory(self, offices: Sequence[str]) -> Tuple[Dict[str, wire.DirectoryEntry], List[Finding]]:
        from tui_client.transport.client import TransportError

        try:
            entries = self.client.directory(sorted(set(offices)))
        except TransportError as exc:
            return {}, [self._net(exc)]
        return {e.office: e for e in entries}, []

    def _cached_directory(self) -> Dict[str, dict]:
        try:
            cached = json.loads(self.db.meta(_CACHE_KEY) or "{}")
        except ValueError:
            cached = {}
        if not cached:               # the copy an older version kept in a file
            try:
                old = json.loads((self.paths.root / "directory.json").read_text(encoding="utf-8"))
                cached = {o: {"office": o, "on_system": True, "certificates": c}
                          for o, c in old.items() if isinstance(c, list)}
            except (OSError, ValueError, AttributeError):
                cached = {}
        return cached if isinstance(cached, dict) else {}

    def _remember(self, entries: Dict[str, wire.DirectoryEntry]) -> None:
        """Keep recipients' certificates in memory and in the database, and partners' names."""
        cached = self._cached_directory()
        changed = False
        for office, entry in entries.items():
            if entry.on_system and entry.certificates:
                verified = self._verified(self._load_pems(entry.certificates))
                with self._lock:
                    self._cert_cache[office] = verified
            if cached.get(office) != entry.to_json():
                cached[office] = entry.to_json()
                changed = True
        if changed:
            try:
                self.db.set_meta(_CACHE_KEY, json.dumps(cached, ensure_ascii=False))
            except Exception:     # noqa: BLE001 - only a cache; sqlite3.Error or OSError
                pass

    def _verified(self, certificates: list) -> list:
        """Only recipient certificates our trust store accepts (chain, dates, revocation). Checked
        once per directory answer, not once per file: seal() then needs no trust store."""
        from tui_client.core import certs

        return [c for c in certificates if not has_errors(certs.check_certificate(c, self.trust))]

    @staticmethod
    def _load_pems(pems: Sequence[str]) -> list:
        from cryptography import x509

        out = []
        for pem in pems:
            try:
                out.append(x509.load_pem_x509_certificate(pem.encode("ascii")))
            except ValueError:
                continue
        return out

    def _recipient_certs(self, office: str) -> list:
        with self._lock:
            found = self._cert_cache.get(office)
        if found is not None:
            return found
        entries, findings = self.directory([office])
        if not findings:
            self._remember(entries)
        else:
            entry = self._cached_directory().get(office)
            if entry and entry.get("certificates"):
                verified = self._verified(self._load_pems(entry["certificates"]))
                with self._lock:
                    self._cert_cache[office] = verified
        with self._lock:
            return self._cert_cache.get(office, [])

    def partner_name(self, office: str) -> str:
        """The office's name as the directory last said it ("" while unknown); no network."""
        if office == self.number:
            return self.settings.name
        entry = self._cached_directory().get(office) or {}
        return str(entry.get("name") or "")

    def partners(self, offices: Sequence[str] = ()) -> Tuple[List[Partner], List[Finding]]:
        """Offices of the directory with names: those asked for (fresh from the relay), or every one
        this office has exchanged with or looked up (from the copy kept here)."""
        findings: List[Finding] = []
        if offices:
            entries, findings = self.directory(offices)
            if not findings:
                self._remember(entries)
        cached = self._cached_directory()
        wanted = list(offices) or sorted(set(cached) | set(self.db.partners()))
        out = []
        for office in dict.fromkeys(wanted):
            e = cached.get(office) or {}
            out.append(Partner(office, str(e.get("name") or ""), tuple(e.get("services") or ()),
                               bool(e.get("on_system"))))
        return out, findings
