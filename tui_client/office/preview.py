"""A received file's rows, labelled by its layout, for the preview a screen shows.

The day grid of 第6表/実績 comes from ``core.preview`` when it is there (helper work in progress);
until then ``grid`` is None and the rows come as (column label, value) pairs.
"""

from __future__ import annotations

import csv
import io
from typing import Optional, Tuple

#: A preview shows the first rows; the whole file is in the archive and can be saved.
MAX_PREVIEW_RECORDS = 500

Records = Tuple[Tuple[Tuple[str, str], ...], ...]


def labelled_records(name: str, content: bytes) -> Tuple[Records, Optional[object]]:
    from tui_client.core.spec.kinds import PREFIXES_LONGEST_FIRST
    from tui_client.core.spec.layouts import layouts_for

    grid = None
    try:
        from tui_client.core import preview as core_preview  # type: ignore[attr-defined]

        build = getattr(core_preview, "build_grid", None)
        grid = build(name, content) if build else None
    except Exception:   # noqa: BLE001 - not there yet, or it could not read this file: rows only
        grid = None
    base = name.rsplit("/", 1)[-1].upper()
    prefix = next((p for p in PREFIXES_LONGEST_FIRST if base.startswith((p + "_", p + "."))), "")
    by_width = {layout.width: layout for layout in reversed(layouts_for(prefix))}
    text = content.decode("cp932", errors="replace")
    out = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(out) >= MAX_PREVIEW_RECORDS:
                break
            layout = by_width.get(len(row))
            if layout is None:
                out.append(tuple((str(i + 1), v) for i, v in enumerate(row)))
            else:
                out.append(tuple((f.name, v) for f, v in zip(layout.fields, row)))
    except csv.Error:
        pass
    return tuple(out), grid
