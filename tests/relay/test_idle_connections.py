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


def _read_until_closed(sock: ssl.SSLSocket):
    """(what the relay sent, whether it closed the connection — EOF or reset — before ``BOUND``)."""
    got = b""
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                return got, True
            got += data
    except socket.timeout:
        return got, False
    except (ConnectionError, ssl.SSLError, OSError):
        return got, True
    finally:
        sock.close()


#: A name the relay accepts (the demo care manager to the demo home-help office): it reads the body.
NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250425100000.CSV"


@pytest.mark.parametrize("sent", [
    b"",                                                                   # nothing after the handshake
    b"POST /v1/items?name=" + NAME.encode() + b" HTTP/1.1\r\nHost: relay\r\n",   # half a head
    b"POST /v1/items?name=" + NAME.encode() + b" HTTP/1.1\r\nHost: relay\r\nContent-Length: 20000\r\n"
    b"X-Tsunagi-SHA256: " + b"0" * 64 + b"\r\n\r\n" + b"0" * 5000,         # half a body
], ids=["silent", "half-head", "half-body"])
def test_a_silent_peer_is_dropped(quick_relay, sent):
    office = DemoOffice("cm", quick_relay.url)
    try:
        sock = _connect(quick_relay, office)
        if sent:
            sock.sendall(sent)
        data, closed = _read_until_closed(sock)
        assert closed, "the relay kept a silent connection open"
        assert data == b"", f"the relay answered instead of waiting for the peer: {data[:40]!r}"
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
