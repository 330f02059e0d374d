"""`tsunagi sample FOLDER`: write a month of realistic sample files (and, on request, defective ones
for practice: one folder per finding code)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("folder", help=t("cli.arg.folder"))
    p.add_argument("--month", default="202505", help=t("cli.arg.month"))
    p.add_argument("--defects", action="store_true", help=t("cli.arg.defects"))


def run(args) -> int:
    from tui_client.catalog import t
    from tui_client.core import samples

    folder = Path(args.folder)
    files = samples.sample_month(args.month)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files:
        (folder / name).write_bytes(data)
    sys.stdout.write(t("sample.written", count=len(files), folder=folder) + "\n")
    if args.defects:
        from tui_client.core.defects import DEFECTS

        n = 0
        for code, make_files in sorted(DEFECTS.items()):
            sub = folder / "defects" / code
            sub.mkdir(parents=True, exist_ok=True)
            for name, data in make_files():
                (sub / name).write_bytes(data)
                n += 1
        sys.stdout.write(t("sample.defects_written", count=n, folder=folder / "defects") + "\n")
    return 0
