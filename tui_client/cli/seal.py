"""`tsunagi seal`, `tsunagi open` and `tsunagi receipt verify`: sealing by hand, for tests and support.

    tsunagi seal FILE --from MY.p12 --to PARTNER.pem [--to …] [-o FILE.p7m]
    tsunagi open FILE.p7m --keystore MY.p12 --trust CA.pem [--crl CRL] [-o FILE] [--receipt R.p7s]
    tsunagi receipt verify R.p7s --file SENT_FILE --trust CA.pem

The daily work (send, receive) goes through office.py; these commands expose the same core for
support staff and for trying things in a training room (--demo-trust trusts the demo CA).
Exit codes: 0 clean, 1 warnings only, 2 errors, 3 unusable input, 4 usage.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.cert import add_password_arguments, add_trust_arguments

    p.add_argument("path", metavar="FILE", help=t("certcli.arg.seal_file"))
    p.add_argument("--from", dest="keystore", required=True, metavar="KEYSTORE.p12", help=t("certcli.arg.keystore"))
    p.add_argument("--to", dest="recipients", action="append", required=True, metavar="CERT.pem",
                   help=t("certcli.arg.seal_to"))
    p.add_argument("-o", "--output", help=t("certcli.arg.output"))
    p.add_argument("--sender-office", help=t("certcli.arg.sender_office"))
    p.add_argument("--recipient-office", help=t("certcli.arg.recipient_office"))
    add_password_arguments(p)
    add_trust_arguments(p)


def run(args) -> int:
    from tui_client.catalog import t
    from tui_client.cli.cert import (Unusable, exit_code, load_keystore, read_file, show_findings,
                                     trust_from)
    from tui_client.core import certs, seal
    from tui_client.core.safetext import printable
    from tui_client.filecheck import CONTENT_LIMIT

    try:
        trust, findings = trust_from(args)
        if findings:
            show_findings(findings)
            return exit_code(findings)
        sender, findings = load_keystore(args, args.keystore)
        if sender is None:
            show_findings(findings)
            return exit_code(findings)
        recipients = []
        for path in args.recipients:
            found, f = certs.load_certificates(read_file(path), os.path.basename(path))
            findings += f
            recipients += found
        content = read_file(args.path, CONTENT_LIMIT)
    except Unusable:
        return 3
    if findings:
        show_findings(findings)
        return exit_code(findings)
    name = os.path.basename(args.path)
    sealed, findings = seal.seal(content, name, sender, recipients, trust=trust,
                                 sender_office=args.sender_office, recipient_office=args.recipient_office)
    show_findings(findings)
    if sealed is None:
        return exit_code(findings)
    out = args.output or args.path + ".p7m"
    with open(out, "wb") as fh:
        fh.write(sealed)
    chosen = len(certs.current_certificates(recipients, trust=trust))
    sys.stdout.write(t("seal.done", path=printable(out), size=len(sealed), count=chosen) + "\n")
    return exit_code(findings)


# --- tsunagi open ----------------------------------------------------------------------------------

def add_open_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.cert import add_password_arguments, add_trust_arguments

    p.add_argument("path", metavar="FILE.p7m", help=t("certcli.arg.sealed_file"))
    p.add_argument("--keystore", action="append", required=True, metavar="KEYSTORE.p12",
                   help=t("certcli.arg.keystore"))
    p.add_argument("--name", help=t("certcli.arg.name"))
    p.add_argument("-o", "--output", help=t("certcli.arg.output"))
    p.add_argument("--receipt", metavar="RECEIPT.p7s", help=t("certcli.arg.receipt_out"))
    p.add_argument("--sender-office", help=t("certcli.arg.sender_office"))
    add_password_arguments(p)
    add_trust_arguments(p)


def _strip_p7m(path: str) -> str:
    return path[:-4] if path.lower().endswith(".p7m") else path + ".opened"


def run_open(args) -> int:
    from tui_client.catalog import t
    from tui_client.cli.cert import Unusable, exit_code, load_keystore, read_file, show_findings, trust_from
    from tui_client.core import seal
    from tui_client.core.safetext import printable
    from tui_client.filecheck import CONTENT_LIMIT

    try:
        trust, findings = trust_from(args, required=True)
        if findings:
            show_findings(findings)
            return exit_code(findings)
        keystores = []
        for path in args.keystore:
            ks, f = load_keystore(args, path)
            if ks is None:
                show_findings(f)
                return exit_code(f)
            keystores.append(ks)
        data = read_file(args.path, CONTENT_LIMIT)
    except Unusable:
        return 3
    name = args.name or os.path.basename(_strip_p7m(args.path))
    opened, findings = seal.open_sealed(data, name, keystores, trust,
                                        expected_sender_office=args.sender_office)
    show_findings(findings)
    if opened is None:
        return exit_code(findings)
    out = args.output or os.path.join(os.path.dirname(args.path), name)
    with open(out, "wb") as fh:
        fh.write(opened.content)
    sys.stdout.write(t("open.done", path=printable(out), size=len(opened.content)) + "\n")
    info = opened.signer_certificate
    from tui_client.core import certs

    sys.stdout.write(t("open.signer", office=printable(opened.signer_office or "-"),
                       name=printable(certs.describe(info).office_name),
                       when=opened.signed_at.isoformat() if opened.signed_at else "-") + "\n")
    if args.receipt:
        from tui_client.core import receipts

        receipt = receipts.make_receipt(name, opened.content_digest, keystores[0])
        with open(args.receipt, "wb") as fh:
            fh.write(receipt)
        sys.stdout.write(t("receipt.written", path=printable(args.receipt)) + "\n")
    return exit_code(findings)


# --- tsunagi receipt verify ------------------------------------------------------------------------

def add_receipt_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.cert import add_trust_arguments

    sub = p.add_subparsers(dest="receipt_command", metavar="verify")
    sub.required = True
    v = sub.add_parser("verify", help=t("cli.help.receipt.verify"), description=t("cli.help.receipt.verify"))
    v.add_argument("path", metavar="RECEIPT.p7s", help=t("certcli.arg.receipt_file"))
    v.add_argument("--file", required=True, metavar="FILE", help=t("certcli.arg.receipt_for"))
    v.add_argument("--name", help=t("certcli.arg.name"))
    v.add_argument("--recipient-office", help=t("certcli.arg.recipient_office"))
    add_trust_arguments(v)


def run_receipt(args) -> int:
    from tui_client.catalog import t
    from tui_client.cli.cert import Unusable, exit_code, read_file, show_findings, trust_from
    from tui_client.core import receipts
    from tui_client.core.safetext import printable
    from tui_client.filecheck import CONTENT_LIMIT

    try:
        trust, findings = trust_from(args, required=True)
        if findings:
            show_findings(findings)
            return exit_code(findings)
        data = read_file(args.path)
        content = read_file(args.file, CONTENT_LIMIT)
    except Unusable:
        return 3
    name = args.name or os.path.basename(args.file)
    receipt, findings = receipts.verify_receipt(data, name, receipts._digest_of(content), trust,
                                                expected_office=args.recipient_office)
    show_findings(findings)
    if receipt is not None:
        sys.stdout.write(t("receipt.ok", office=printable(receipt.recipient_office or "-"),
                           when=receipt.received_at.isoformat(), file=printable(receipt.filename)) + "\n")
    return exit_code(findings)
