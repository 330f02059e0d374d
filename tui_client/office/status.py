"""How this office stands: its certificate's days left (warnings at 90, 30 and 7 days) and whether
the relay answers (its health endpoint, bounded by the client's timeouts)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

from tui_client.office.models import CertificateStatus, FindingSummary, RelayStatus

#: Days left at which a screen warns, most urgent last.
WARN_DAYS = (90, 30, 7)


def certificate_warning(days_left: int) -> str:
    if days_left < 0:
        return "expired"
    for limit in sorted(WARN_DAYS):
        if days_left <= limit:
            return str(limit)
    return ""


class StatusPart:
    def certificate_status(self, now: Optional[datetime] = None) -> CertificateStatus:
        cert = self.keystore.certificate
        not_after = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after.replace(tzinfo=timezone.utc)
        now = now or datetime.now(timezone.utc)
        days = (not_after - now).days if not_after >= now else -1 - (now - not_after).days
        return CertificateStatus(self.number, not_after, days, certificate_warning(days))

    def relay_status(self) -> RelayStatus:
        from tui_client.transport.client import TransportError

        try:
            self.client.health()
        except TransportError as exc:
            return RelayStatus(self.settings.relay_url, False, FindingSummary(exc.code))
        return RelayStatus(self.settings.relay_url, True)
