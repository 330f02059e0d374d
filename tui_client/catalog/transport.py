"""Catalogue entries for the transport area (see tui_client.catalog)."""

FINDINGS = {
}

TEXT = {
}
