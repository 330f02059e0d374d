"""Run the relay: uvicorn with TLS, a required client certificate, and the chosen storage.

Set-up choices (measured, see docs/benchmarks.md): uvloop + httptools, our protocol subclass that
passes the client certificate to the app and sets TCP_NODELAY on every connection (with several
workers the shared socket otherwise loses it: ~44 ms per request, uvicorn issue #3149), access log
off (the relay logs its own routing facts). Several workers share the listening socket; each checks and
stores its own uploads on its writer thread (writer.py), and SQLite orders their commits with a lock
file. A connection whose peer falls silent is closed after ``idle_timeout`` (protocol.py).
"""

from __future__ import annotations

import logging
import os
import ssl
from dataclasses import dataclass, field
from typing import List, Optional

from tui_client.relay.storage import DEFAULT_KEEP_RECEIVED_DAYS


@dataclass
class ServerOptions:
    database: str
    host: str = "127.0.0.1"
    port: int = 8443
    certfile: str = ""
    keyfile: str = ""
    ca_certs: str = ""
    crl: str = ""
    workers: int = 1
    log_level: str = "info"
    max_item_bytes: int = 0
    max_wait: float = 25.0           # longest a mailbox request waits for arrivals
    idle_timeout: float = 30.0       # a silent peer's connection is closed after this (protocol.py)
    keep_received_days: int = DEFAULT_KEEP_RECEIVED_DAYS  # received contents kept for the office's other PCs
    seed_offices: List[dict] = field(default_factory=list)


def _loop() -> str:
    try:
        import uvloop  # noqa: F401

        return "uvloop"
    except ImportError:  # pragma: no cover - Windows relays
        return "asyncio"


def _http():
    from tui_client.relay.protocol import H11CertProtocol, HttpToolsCertProtocol

    return HttpToolsCertProtocol or H11CertProtocol


def configure_identity(ca_certs: str, crl: str = "") -> None:
    """Load the trusted CA (and CRL) into the relay's identity checks, in this process."""
    from tui_client.core import certs
    from tui_client.relay import identity

    with open(ca_certs, "rb") as fh:
        roots = fh.read()
    crls = []
    if crl:
        with open(crl, "rb") as fh:
            crls.append(fh.read())
    trust, findings = certs.load_trust_store(roots, crls, ca_certs)
    if trust is not None:
        identity.configure(trust)


def run(opts: ServerOptions) -> None:
    from tui_client.core import wire
    from tui_client.relay.settings import SETTINGS_ENV, RelaySettings

    settings = RelaySettings(opts.database, opts.max_item_bytes or wire.DEFAULT_MAX_ITEM_BYTES,
                             max_wait=opts.max_wait, keep_received_days=opts.keep_received_days)
    os.environ["TSUNAGI_RELAY_CA"] = opts.ca_certs
    os.environ["TSUNAGI_RELAY_CRL"] = opts.crl
    os.environ["TSUNAGI_RELAY_LOG_LEVEL"] = opts.log_level
    # Create the schema once before workers start (they would race on CREATE TABLE otherwise).
    from tui_client.relay.storage import open_storage

    from tui_client.relay.app import seed_offices

    storage = open_storage(opts.database)
    seed_offices(storage, opts.seed_offices)
    storage.purge_received(opts.keep_received_days)   # what was kept long enough while the relay was down
    storage.close()
    _setup_logging(opts.log_level)
    os.environ[SETTINGS_ENV] = settings.to_env()
    _serve(opts)


def _serve(opts: ServerOptions) -> None:
    import uvicorn

    config = uvicorn.Config(
        "tui_client.relay.server:worker_app",
        factory=True,
        host=opts.host,
        port=opts.port,
        workers=opts.workers,
        loop=_loop(),
        http=_http(),
        ssl_certfile=opts.certfile,
        ssl_keyfile=opts.keyfile,
        ssl_ca_certs=opts.ca_certs,
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        access_log=False,
        proxy_headers=False,  # offices connect directly: TLS client certificates do not pass proxies
        log_level=opts.log_level,
        timeout_keep_alive=opts.idle_timeout,  # and our protocol's timer for silent peers
        lifespan="off",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    if opts.workers > 1:
        from uvicorn.supervisors import Multiprocess

        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        server.run()


def _setup_logging(level: str) -> None:
    # Records need no caller, thread or process facts (logging HOWTO, "Optimization"): each upload
    # logs one line, and these lookups cost more than formatting it.
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")


def worker_app():
    """uvicorn factory, run in every worker: identity checks + the app from the environment."""
    from tui_client.relay.app import app_from_env

    _setup_logging(os.environ.get("TSUNAGI_RELAY_LOG_LEVEL", "info"))
    ca = os.environ.get("TSUNAGI_RELAY_CA", "")
    if ca:
        configure_identity(ca, os.environ.get("TSUNAGI_RELAY_CRL", ""))
    return app_from_env()


def read_optional(path: Optional[str]) -> Optional[bytes]:
    if not path:
        return None
    with open(path, "rb") as fh:
        return fh.read()
