"""`tsunagi note 利用なし|限度額超過|<id> --set field=value … [--pdf] [--out FILE] [--send --to OFFICE]`:
a note from a template (core.templates), checked field by field, written to a file or sent as this
PC's office (Office.send_note). `tsunagi note --list` shows the templates and their fields. The ASCII
names nil-usage and over-limit work as well as the Japanese ones.

Without --send nothing leaves the PC: the note is printed (or written with --out). Exit codes: 0 done,
1 warnings or something still waiting in the outbox, 2 a value is wrong (nothing written or sent),
3 unusable input (no office set up, a file that cannot be written), 4 usage (unknown template, a
--set without =).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

EXIT_USAGE = 4


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.send import add_office_arguments

    p.add_argument("template", nargs="?", help=t("note.arg.template"))
    p.add_argument("--to", metavar="OFFICE[:SVC]", help=t("note.arg.to"))
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", dest="values",
                   help=t("note.arg.set"))
    p.add_argument("--pdf", action="store_true", help=t("note.arg.pdf"))
    p.add_argument("--out", metavar="FILE", help=t("note.arg.out"))
    p.add_argument("--send", action="store_true", help=t("note.arg.send"))
    p.add_argument("--list", action="store_true", help=t("note.arg.list"))
    add_office_arguments(p)


def _templates(office: Optional[str]):
    """The built-ins and, when an office is set up on this PC, its own (no keystore is opened)."""
    from tui_client import config
    from tui_client import office as office_mod
    from tui_client.core.templates import load_templates

    settings, _ = office_mod.load_settings(office)
    folders = [config.paths().office(settings.office).root / "templates"] if settings is not None else []
    templates, findings = load_templates(folders)
    return templates, findings, folders


def _values(pairs: List[str]) -> Tuple[Dict[str, str], list]:
    from tui_client.core.findings import make

    values, bad = {}, []
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            bad.append(make("E-NOTE-014", value=pair))
        else:
            values[name.strip()] = value
    return values, bad


def _list(templates, out) -> None:
    from tui_client.catalog import t

    for tp in templates:
        out.write(t("note.list.template", title=tp.title, id=tp.id, description=tp.description) + "\n")
        for f in tp.fields:
            out.write(t("note.list.field", name=f.name, label=f.label, kind=t("note.kind." + f.kind),
                        optional="" if f.required else t("note.list.optional"), help=f.help) + "\n")
        out.write("\n")


def _write(note, out_file: str, pdf: bool) -> int:
    from tui_client.catalog import t
    from tui_client.cli.send import print_findings
    from tui_client.core.findings import make
    from tui_client.office.notes import note_pdf

    path = Path(out_file)
    pdf_path = path.with_suffix(".pdf")
    if pdf and pdf_path == path:
        path = path.with_suffix(".txt")
    try:
        path.write_text(note.subject + "\n\n" + note.text, encoding="utf-8")
        print(t("note.written", path=str(path)))
        if pdf:
            made, findings = note_pdf(note)
            if made is None:
                print_findings(findings, sys.stderr)
                return 3
            pdf_path.write_bytes(made[1])
            print(t("note.pdf_size", path=str(pdf_path), size=len(made[1])))
    except OSError as exc:
        print_findings([make("E-NOTE-015", str(exc.filename or path), reason=exc.strerror or type(exc).__name__)],
                       sys.stderr)
        return 3
    return 0


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import t
    from tui_client.cli.send import open_office, print_findings, report_for
    from tui_client.core.findings import make, worst_exit_code
    from tui_client.core.templates import fill, find_template

    templates, load_findings, folders = _templates(args.office)
    if load_findings:               # an office's own template that is wrong: said, the rest still work
        print_findings(load_findings, sys.stderr)
    if args.list:
        _list(templates, sys.stdout)
        for folder in folders:
            print(t("note.list.folder", folder=str(folder)))
        return 0
    template = find_template(templates, args.template or "")
    if template is None:
        allowed = "、".join(f"{tp.title}（{tp.id}）" for tp in templates)
        print_findings([make("E-NOTE-012", value=args.template or "", allowed=allowed)], sys.stderr)
        return EXIT_USAGE
    values, bad = _values(args.values)
    if bad:
        print_findings(bad, sys.stderr)
        return EXIT_USAGE
    note, findings = fill(template, values)
    if note is None:
        print_findings(findings)
        return max(2, worst_exit_code(findings))
    if args.send and not args.to:
        print(t("note.need_to"), file=sys.stderr)
        return EXIT_USAGE
    code = 0
    if args.out:
        code = _write(note, args.out, args.pdf)
        if code:
            return code
    elif not args.send:
        sys.stdout.write(t("note.subject", subject=note.subject) + "\n\n" + note.text)
    if not args.send:
        print(t("note.not_sent"), file=sys.stderr)
        return code
    office, code = open_office(args)
    if office is None:
        return code
    recipient, _, service = args.to.partition(":")
    return report_for(office, lambda: office.send_note(recipient, note, pdf=args.pdf,
                                                       recipient_service=service or None))
