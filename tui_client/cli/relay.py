"""`tsunagi relay`: run the reference relay (HTTPS, client certificates required).

SQLite in the state folder by default, no configuration needed; ``--database postgresql://…`` for a
shared PostgreSQL. Without ``--cert``/``--key``/``--ca`` it uses the DEMO certificates (and says so).
"""

from __future__ import annotations

import argparse
import socket
import sys


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tui_client.catalog import t

    p.add_argument("--database", help=t("net.arg.database"))
    p.add_argument("--host", default="127.0.0.1", help=t("net.arg.host"))
    p.add_argument("--port", type=int, default=8443, help=t("net.arg.port"))
    p.add_argument("--cert", help=t("net.arg.server_cert"))
    p.add_argument("--key", help=t("net.arg.server_key"))
    p.add_argument("--ca", help=t("net.arg.ca"))
    p.add_argument("--crl", help=t("net.arg.crl"))
    p.add_argument("--workers", type=int, default=1, help=t("net.arg.workers"))
    p.add_argument("--max-item-mb", type=int, default=32, help=t("net.arg.max_item_mb"))
    p.add_argument("--max-wait", type=float, default=25.0, metavar="SECONDS", help=t("net.arg.max_wait"))
    p.add_argument("--idle-timeout", type=float, default=30.0, metavar="SECONDS", help=t("net.arg.idle_timeout"))
    p.add_argument("--keep-received-days", type=int, metavar="DAYS",
                   help=t("net.arg.keep_received_days"))
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--demo-offices", action="store_true", help=t("net.arg.demo_offices"))
    p.add_argument("--register", action="append", default=[], metavar="OFFICE[:SVC,SVC]",
                   help=t("net.arg.register"))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def demo_seed() -> list:
    """Every usable demo office of sample_certs, with its certificate, for the relay's directory."""
    from tui_client import sample_certs

    merged: dict = {}
    for entry in sample_certs.manifest()["offices"]:
        if not entry.get("usable") or not entry.get("office_number"):
            continue
        # Several demo keystores share an office (sites, rollover): merge services, keep every cert.
        e = merged.setdefault(entry["office_number"], {"office": entry["office_number"], "services": [],
                                                       "name": "", "certificates_pem": []})
        e["services"] = sorted(set(e["services"]) | set(entry.get("services") or []))
        e["certificates_pem"].append(sample_certs.data(entry["certificate"]).decode("ascii"))
    seed = list(merged.values())
    return seed


def run(args: argparse.Namespace) -> int:
    from tui_client.catalog import t

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        print(t("relay.missing_extra"), file=sys.stderr)
        return 3
    from tui_client import config, sample_certs
    from tui_client.relay.server import ServerOptions, run as run_server
    from tui_client.relay.storage import DEFAULT_KEEP_RECEIVED_DAYS

    paths = config.paths()
    database = args.database
    if not database:
        paths.state.mkdir(parents=True, exist_ok=True)
        database = str(paths.relay_database)
    demo = not (args.cert and args.key and args.ca)
    if demo and (args.cert or args.key or args.ca):
        print(t("relay.tls_incomplete"), file=sys.stderr)
        return 4
    if demo:
        m = sample_certs.manifest()
        certfile = str(sample_certs.path(m["relay_server"]["certificate"]))
        keyfile = str(sample_certs.path(m["relay_server"]["key"]))
        ca = str(sample_certs.path(m["ca"]["certificate"]))
        crl = args.crl or str(sample_certs.path(m["ca"]["crl"]))
        print(t("relay.demo_certs"), file=sys.stderr)
    else:
        certfile, keyfile, ca, crl = args.cert, args.key, args.ca, args.crl or ""
    seed = demo_seed() if args.demo_offices else []
    for spec in args.register:
        office, _, services = spec.partition(":")
        if not (len(office) == 10 and office.isdigit()):
            print(t("relay.bad_register", value=spec), file=sys.stderr)
            return 4
        seed.append({"office": office, "services": [s for s in services.split(",") if s], "name": ""})
    keep_days = DEFAULT_KEEP_RECEIVED_DAYS if args.keep_received_days is None else max(0, args.keep_received_days)
    port = args.port or free_port(args.host)
    print(t("relay.listening", url=f"https://{args.host}:{port}", database=_safe_db(database)),
          file=sys.stderr, flush=True)
    try:
        run_server(ServerOptions(database=database, host=args.host, port=port, certfile=certfile,
                                 keyfile=keyfile, ca_certs=ca, crl=crl, workers=max(1, args.workers),
                                 log_level=args.log_level, max_item_bytes=args.max_item_mb * 1024 * 1024,
                                 max_wait=max(0.0, min(args.max_wait, 60.0)), seed_offices=seed,
                                 idle_timeout=max(0.05, args.idle_timeout),
                                 keep_received_days=keep_days))
    except OSError as exc:
        print(t("relay.start_failed", reason=exc.strerror or str(exc)), file=sys.stderr)
        return 3
    return 0


def _safe_db(url: str) -> str:
    """The database for the log line, without a password."""
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
