"""The people a care-plan file is about: 被保険者番号 and 利用者氏名, for the archive's search.

Pure: bytes in, values out; never raises on bad input (a file that cannot be read names nobody).
The layout comes from ``core.spec.layouts`` (the column count tells the revision), as in validation.
"""

from __future__ import annotations

import csv
import io
from typing import List, Tuple

from tui_client.core.spec.kinds import PREFIXES_LONGEST_FIRST
from tui_client.core.spec.layouts import layouts_for

#: The name columns that mean the user (not the planner, a contact or the person who consented).
_NAME_FIELDS = ("利用者氏名",)
#: Enough for any real file (a month has a few hundred users); a huge file is not read to the end.
MAX_RECORDS = 200_000


def people(name: str, data: bytes) -> List[Tuple[str, str]]:
    """(被保険者番号, 氏名 or "") of each user the file names, once each, in file order."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].upper()
    prefix = next((p for p in PREFIXES_LONGEST_FIRST if base == p or base.startswith((p + "_", p + "."))), "")
    layouts = layouts_for(prefix)
    if not layouts or not data:
        return []
    try:
        text = bytes(data).decode("cp932", errors="replace")
    except (LookupError, TypeError):
        return []
    out: dict = {}
    # per row width: the columns (0-based, or None) of the number and of the name, found once per file
    columns = {layout.width: (next((f.no - 1 for f in layout.fields if f.type == "insured"), None),
                              next((f.no - 1 for f in layout.fields if f.name in _NAME_FIELDS), None))
               for layout in reversed(layouts)}
    try:
        for i, row in enumerate(csv.reader(io.StringIO(text, newline=""))):
            if i >= MAX_RECORDS:
                break
            found = columns.get(len(row))
            if found is None:
                continue
            number = row[found[0]].strip() if found[0] is not None else ""
            person = row[found[1]].strip() if found[1] is not None else ""
            if number and (number not in out or (person and not out[number])):
                out[number] = person
    except csv.Error:
        pass
    return list(out.items())


def users_text(name: str, data: bytes) -> str:
    """The users as one line of search text: "0000012345 山田太郎 0000067890 …"."""
    return " ".join(f"{n} {p}".strip() for n, p in people(name, data))
