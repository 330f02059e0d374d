"""Catalogue entries for the certs area (see tui_client.catalog)."""

FINDINGS = {
}

TEXT = {
}
