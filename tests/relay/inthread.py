"""A real relay served by uvicorn on a thread of the test process (real TLS on loopback, the relay's
own protocol class and app), for tests that must watch what happens inside it: the order of its disk
syncs and its answers, which thread runs its storage calls."""

from __future__ import annotations

import ssl
import threading
import time

from tui_client import sample_certs

from .conftest import free_port, need_relay_extras


class InThreadRelay:
    def __init__(self, storage, *, idle_timeout: float = 30.0, max_wait: float = 1.0, receipt_check=None,
                 wrap=None):
        need_relay_extras()
        import uvicorn

        from tui_client.cli.relay import demo_seed
        from tui_client.relay.app import FastUpload, create_app, seed_offices
        from tui_client.relay.server import _http, configure_identity

        m = sample_certs.manifest()
        ca = str(sample_certs.path(m["ca"]["certificate"]))
        configure_identity(ca, str(sample_certs.path(m["ca"]["crl"])))
        seed_offices(storage, demo_seed())
        self.storage = storage
        self.app = FastUpload(create_app(storage, max_wait=max_wait, receipt_check=receipt_check))
        served = wrap(self.app) if wrap else self.app
        self.port = free_port()
        config = uvicorn.Config(
            served, host="127.0.0.1", port=self.port, http=_http(), loop="asyncio", lifespan="off",
            ssl_certfile=str(sample_certs.path(m["relay_server"]["certificate"])),
            ssl_keyfile=str(sample_certs.path(m["relay_server"]["key"])), ssl_ca_certs=ca,
            ssl_cert_reqs=ssl.CERT_REQUIRED, access_log=False, log_level="warning",
            timeout_keep_alive=idle_timeout)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="relay", daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> "InThreadRelay":
        self.thread.start()
        for _ in range(600):  # bounded: 30 s
            if self.server.started:
                return self
            if not self.thread.is_alive():
                break
            time.sleep(0.05)
        raise RuntimeError("in-thread relay did not start")

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.storage.close()
