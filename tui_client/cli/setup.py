"""`tsunagi setup KEYSTORE --relay URL --ca CA.pem`: set this PC up for a real office.

Checks the keystore (password, office number, issuer, revocation, dates), saves the settings (never
the password) and puts the office on the relay's directory so partners can reach it. Running it
again with a renewed certificate keeps the old key, re-encrypted with the new password, so files
sealed to the old certificate still open.

Exit codes: 0 set up and registered, 1 set up with warnings (e.g. the relay could not be reached: the
first send or receive registers the office), 2 errors, 3 unusable keystore (wrong password, damaged
file), 4 usage.
"""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t
    from tui_client.cli.cert import add_password_arguments

    p.add_argument("keystore", metavar="KEYSTORE.p12", help=t("certcli.arg.keystore"))
    p.add_argument("--relay", required=True, metavar="URL", help=t("setup.arg.relay"))
    p.add_argument("--ca", required=True, metavar="CA.pem", help=t("certcli.arg.trust"))
    p.add_argument("--crl", action="append", default=[], metavar="CRL", help=t("certcli.arg.crl"))
    p.add_argument("--service", action="append", default=[], metavar="CODE", help=t("setup.arg.service"))
    p.add_argument("--name", default="", help=t("setup.arg.name"))
    add_password_arguments(p)
    p.add_argument("--previous-password-env", metavar="VAR", help=t("setup.arg.previous_password_env"))
    p.add_argument("--no-register", action="store_true", help=t("setup.arg.no_register"))


def run(args: argparse.Namespace) -> int:
    from tui_client import office as office_mod
    from tui_client.catalog import t
    from tui_client.cli.cert import exit_code, password_for
    from tui_client.cli.send import print_findings
    from tui_client.core.spec.codes import SERVICE_TYPES

    bad = [c for c in args.service if c not in SERVICE_TYPES]
    if bad:
        sys.stderr.write(t("setup.bad_service", codes="、".join(bad)) + "\n")
        return 4
    password = password_for(args, args.keystore)
    previous = os.environ.get(args.previous_password_env, "") if args.previous_password_env else None
    settings, findings = office_mod.setup_office(
        args.keystore, password, args.relay, args.ca, crl_files=args.crl, services=args.service,
        name=args.name, previous_password=previous)
    if settings is None:
        print_findings(findings, sys.stderr)
        return max(exit_code(findings), 2)
    out = sys.stdout
    out.write(t("setup.done", office=settings.office, name=settings.name or "-") + "\n")
    out.write(t("setup.relay", url=settings.relay_url) + "\n")
    out.write(t("setup.services", codes="、".join(settings.services) or "-") + "\n")
    if settings.previous_keystores:
        out.write(t("setup.previous", count=len(settings.previous_keystores)) + "\n")
    if not args.no_register:
        office, f2 = office_mod.Office.open(settings.office, password)
        findings += f2
        if office is not None:
            try:
                problems = office.register()
            finally:
                office.close()
            if problems:
                # The settings are saved; the first send or receive registers the office by itself.
                out.write(t("setup.not_registered", codes=",".join(f.code for f in problems)) + "\n")
                print_findings(findings)
                return max(exit_code(findings), 1)
            out.write(t("setup.registered") + "\n")
    print_findings(findings)
    return exit_code(findings)
