"""The national file standard as data: file kinds, filename forms, record layouts, code tables.

A spec revision is a new table here, not a branch in code; older revisions stay readable.
Sources and the confidence of each value are in ../shared/spec (digest) and docs/spec-notes.md.
"""

from tui_client.core.spec.kinds import KINDS, FileKind, kind_by_prefix
from tui_client.core.spec.filenames import ParsedName, parse_filename

__all__ = ["KINDS", "FileKind", "kind_by_prefix", "ParsedName", "parse_filename"]
