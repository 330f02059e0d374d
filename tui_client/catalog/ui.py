"""Catalogue entries of the Textual app (`ui/`): tabs, screens, keys, notices."""

FINDINGS = {}

TEXT = {}
