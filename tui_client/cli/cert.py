"""`tsunagi cert show FILE` and `tsunagi cert check FILE...`: an office's certificate, in plain words.

`cert check` warns 90, 30 and 7 days before expiry (W-CERT-011/012/013) and, with a trust store
(--trust/--crl or --demo-trust), checks the issuer and revocation.
Exit codes: 0 clean, 1 warnings only, 2 errors, 3 unusable input (unreadable file, wrong password).
Shared helpers for the seal/open/receipt commands live here too (passwords, trust, output).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Optional

def add_password_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("--password-env", metavar="VAR", help=t("certcli.arg.password_env"))
    p.add_argument("--password", help=t("certcli.arg.password"))


def add_trust_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("--trust", metavar="CA.pem", help=t("certcli.arg.trust"))
    p.add_argument("--crl", action="append", default=[], metavar="CRL", help=t("certcli.arg.crl"))
    p.add_argument("--demo-trust", action="store_true", help=t("certcli.arg.demo_trust"))


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    sub = p.add_subparsers(dest="cert_command", metavar="show|check")
    sub.required = True
    show = sub.add_parser("show", help=t("cli.help.cert.show"), description=t("cli.help.cert.show"))
    show.add_argument("path", metavar="FILE", help=t("certcli.arg.certfile"))
    add_password_arguments(show)
    add_trust_arguments(show)
    show.add_argument("--json", action="store_true", help=t("cli.arg.json"))
    check = sub.add_parser("check", help=t("cli.help.cert.check"), description=t("cli.help.cert.check"))
    check.add_argument("paths", nargs="+", metavar="FILE", help=t("certcli.arg.certfile"))
    add_password_arguments(check)
    add_trust_arguments(check)
    check.add_argument("--at", help=t("certcli.arg.at"))
    check.add_argument("--json", action="store_true", help=t("cli.arg.json"))


# --- helpers shared with cli.seal ----------------------------------------------------------------

class Unusable(Exception):
    """A file could not be read; the message is already printed. Exit code 3."""


def exit_code(findings) -> int:
    """0/1/2, or 3 when an input could not be used at all (core.findings.UNUSABLE_CODES)."""
    from tui_client.core.findings import worst_exit_code

    return worst_exit_code(findings)


def read_file(path: str, limit: Optional[int] = None) -> bytes:
    """A file the user named, through the one safe reader (regular files only, never more than
    ``limit``: certificate-sized by default); what is wrong goes to stderr as findings and the
    command ends with exit code 3 (``Unusable``)."""
    from tui_client.filecheck import SMALL_FILE_LIMIT, read_user_file

    data, findings = read_user_file(path, SMALL_FILE_LIMIT if limit is None else limit)
    if data is None:
        show_findings(findings, out=sys.stderr)
        raise Unusable(path)
    return data


def password_for(args, path: str):
    if args.password is not None:
        return args.password
    if args.password_env:
        return os.environ.get(args.password_env, "")
    if sys.stdin.isatty():
        import getpass

        from tui_client.catalog import t

        return getpass.getpass(t("cert.password_prompt", file=os.path.basename(path)))
    return None


def load_keystore(args, path: str):
    from tui_client.core import certs

    return certs.load_keystore(read_file(path), password_for(args, path), os.path.basename(path))


def trust_from(args, required: bool = False):
    """The trust store the arguments name; (None, []) when none is named and none is required."""
    from tui_client.core import certs

    if args.demo_trust:
        from tui_client import sample_certs

        return sample_certs.trust_store(), []
    if not args.trust:
        if required:
            from tui_client.catalog import t

            sys.stderr.write(t("cert.no_trust") + "\n")
            raise SystemExit(4)
        return None, []
    return certs.load_trust_store(read_file(args.trust), [read_file(c) for c in args.crl],
                                  os.path.basename(args.trust))


def show_findings(findings, out=None) -> None:
    from tui_client.catalog import finding_message, t

    out = out or sys.stdout
    for f in findings:
        message, fix = finding_message(f)
        out.write(t("cert.error" if f.blocks_sending else "cert.warning", code=f.code) + "\n")
        out.write(f"  {message}\n")
        if fix:
            out.write(t("cert.fix", fix=fix) + "\n")


def findings_json(findings) -> list:
    from tui_client.cli.check import finding_json

    return [finding_json(f) for f in findings]


def parse_at(text):
    import datetime as dt

    if not text:
        return None
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


# --- the commands -----------------------------------------------------------------------------------

def _certificate_of(args, path: str):
    """(certificate, chain, findings) from a keystore (.p12/.pfx) or a certificate file."""
    from tui_client.core import certs

    data = read_file(path)
    if path.lower().endswith((".p12", ".pfx")):
        ks, findings = certs.load_keystore(data, password_for(args, path), os.path.basename(path))
        return (ks.certificate if ks else None), (ks.chain if ks else ()), findings
    cert, findings = certs.load_certificate(data, os.path.basename(path))
    return cert, (), findings


def _describe_text(info, out) -> None:
    # Names inside a certificate are someone else's text: shown with control characters escaped.
    from tui_client.catalog import t
    from tui_client.core.safetext import printable

    out.write(t("cert.show.office", value=printable(info.office_number or "-")) + "\n")
    out.write(t("cert.show.name", value=printable(info.office_name or "-")) + "\n")
    if info.site:
        out.write(t("cert.show.site", value=printable(info.site)) + "\n")
    out.write(t("cert.show.kind", value=t("cert.kind." + info.kind)) + "\n")
    key = "cert.show.valid" if info.days_left >= 0 else "cert.show.expired"
    out.write(t(key, not_before=info.not_before.date().isoformat(),
                not_after=info.not_after.date().isoformat(), days=info.days_left) + "\n")
    out.write(t("cert.show.issuer", value=printable(info.issuer)) + "\n")
    out.write(t("cert.show.serial", value=info.serial) + "\n")
    out.write(t("cert.show.fingerprint", value=info.fingerprint) + "\n")


def _one(args, path: str, at, trust, out, as_json: bool):
    from tui_client.catalog import t
    from tui_client.core import certs
    from tui_client.core.safetext import printable

    cert, chain, findings = _certificate_of(args, path)
    entry = {"file": path, "certificate": None}
    if cert is not None:
        info = certs.describe(cert, at)
        findings = findings + certs.check_certificate(cert, trust, at, intermediates=chain,
                                                      name=os.path.basename(path))
        entry["certificate"] = info.as_dict()
        if not as_json:
            out.write(f"{printable(path)}\n")
            _describe_text(info, out)
    elif not as_json:
        out.write(f"{printable(path)}\n")
    entry["findings"] = findings_json(findings)
    if not as_json:
        show_findings(findings, out)
        if cert is not None and not any(f.blocks_sending for f in findings):
            out.write(t("cert.ok") + "\n")
        if trust is None:
            out.write(t("cert.no_trust") + "\n")
        out.write("\n")
    return entry, findings


def run(args) -> int:
    at = parse_at(getattr(args, "at", None))
    paths = [args.path] if args.cert_command == "show" else args.paths
    all_findings = []
    entries = []
    try:
        trust, trust_findings = trust_from(args)
        if trust_findings:
            show_findings(trust_findings)
            return exit_code(trust_findings)
        for path in paths:
            try:
                entry, findings = _one(args, path, at, trust, sys.stdout, args.json)
            except Unusable:
                return 3
            entries.append(entry)
            all_findings += findings
    except Unusable:
        return 3
    code = exit_code(all_findings)
    if args.json:
        sys.stdout.write(json.dumps({"exit_code": code, "files": entries}, ensure_ascii=False, indent=2) + "\n")
    return code
