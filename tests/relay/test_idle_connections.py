"""A connection whose peer falls silent is closed: TLS with a valid office certificate, then nothing,
or a request head or body stopped half-way. Real relay process, real sockets; the relay's
``--idle-timeout`` is set low, and each test waits a bounded time for the relay to close."""

from __future__ import annotations

import socket
import ssl

import pytest

from .conftest import DemoOffice, RelayProcess
from tui_client.core import wire

from .test_relay_api import _raw, office_tls

IDLE = "0.3"
BOUND = 20.0  # seconds a test waits for the close; before the fix it never came


@pytest.fixture
def quick_relay(tmp_path):
    r = RelayProcess(str(tmp_path / "relay.sqlite3"), tmp_path,
                     extra=["--idle-timeout", IDLE, "--max-wait", "3"]).start()
    yield r
    r.stop()


def _connect(relay, office) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", relay.port), timeout=BOUND)
    tls = office_tls(office).wrap_socket(raw, server_hostname="127.0.0.1")
    tls.settimeout(BOUND)
    return tls


def _closed_by_relay(sock: ssl.SSLSocket) -> bool:
    """True when the relay closes the connection (EOF or reset) before ``BOUND``; False on timeout."""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return True
    except socket.timeout:
        return False
    except (ConnectionError, ssl.SSLError, OSError):
        return True
    finally:
        sock.close()


@pytest.mark.parametrize("sent", [
    b"",                                                                   # nothing after the handshake
    b"POST /v1/items?name=x.CSV HTTP/1.1\r\nHost: relay\r\n",              # half a head
    b"POST /v1/items?name=x.CSV HTTP/1.1\r\nHost: relay\r\nContent-Length: 20000\r\n"
    b"X-Tsunagi-SHA256: " + b"0" * 64 + b"\r\n\r\n" + b"0" * 5000,         # half a body
], ids=["silent", "half-head", "half-body"])
def test_a_silent_peer_is_dropped(quick_relay, sent):
    office = DemoOffice("cm", quick_relay.url)
    try:
        sock = _connect(quick_relay, office)
        if sent:
            sock.sendall(sent)
        assert _closed_by_relay(sock), "the relay kept a silent connection open"
    finally:
        office.close()


def test_a_request_the_relay_is_still_answering_is_not_cut(quick_relay):
    """A mailbox request waiting for arrivals (3 s here) outlasts the idle timeout: not the peer's
    silence, so it is answered, and the connection then serves the next request."""
    office = DemoOffice("cm", quick_relay.url)
    try:
        status, body = _raw(office, "GET", wire.MAILBOX + "?wait=2")   # one connection, no retry
        assert status == 200 and body == {"items": []}
    finally:
        office.close()
