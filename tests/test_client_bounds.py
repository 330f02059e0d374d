"""transport.client: every call is bounded and cancellable; retries are urllib3's ``Retry``.

Real loopback sockets: a server that accepts and never answers (the relay hung, a firewall that
swallows packets after the handshake), and a small TLS server with the demo relay certificate that
answers "busy" before it answers. No timing assertions: a worker thread's join has a generous
safety limit only so that a regression fails instead of hanging the suite.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from urllib3.util.retry import Retry

from tui_client import sample_certs
from tui_client.core import wire
from tui_client.transport.client import (NET_CANCELLED, NET_TIMEOUT, RelayClient, TransportError,
                                         tls_context)

SAFETY = 60  # seconds: only for a broken client; a working one returns long before


class SilentServer:
    """Accepts TCP connections on loopback and never sends a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.accepted = threading.Semaphore(0)
        self.count = 0
        self.conns = []
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            self.count += 1
            self.accepted.release()

    def close(self):
        self._stop = True
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def silent():
    s = SilentServer()
    yield s
    s.close()


def make_client(url, **kw) -> RelayClient:
    ks, findings = sample_certs.keystore("cm")
    assert ks is not None, findings
    pem = ks.certificate.public_bytes(serialization.Encoding.PEM)
    ca = str(sample_certs.path("demo-ca.cert.pem"))
    return RelayClient(url, tls_context(ca, pem, ks.key), ca, **kw)


def in_thread(fn):
    """Run ``fn`` in a worker; returns (thread, box) where box gets the result or the exception."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def test_a_relay_that_never_answers_ends_at_the_calls_deadline(silent):
    # Before: each attempt waited its own timeouts, 4 x (5 s + 30 s) plus back-off.
    client = make_client(f"https://127.0.0.1:{silent.port}", retries=10, backoff=0.0,
                         connect_timeout=30, timeout=30, deadline=0.5)
    t, box = in_thread(client.health)
    t.join(SAFETY)
    assert not t.is_alive()
    err = box["error"]
    assert isinstance(err, TransportError) and err.code == NET_TIMEOUT and err.detail == "deadline"
    assert err.retry
    client.close()


def test_cancel_from_another_thread_stops_the_call_in_flight_and_later_ones(silent):
    client = make_client(f"https://127.0.0.1:{silent.port}", retries=3, connect_timeout=600,
                         timeout=600, deadline=600)
    t, box = in_thread(client.health)
    assert silent.accepted.acquire(timeout=SAFETY)  # the call is now waiting for the TLS answer
    client.cancel()
    t.join(SAFETY)
    assert not t.is_alive()
    assert isinstance(box["error"], TransportError) and box["error"].code == NET_CANCELLED
    before = silent.count
    with pytest.raises(TransportError) as later:
        client.mailbox()
    assert later.value.code == NET_CANCELLED and silent.count == before  # not even a connection
    client.close()


def test_close_from_another_thread_does_not_hang(silent):
    client = make_client(f"https://127.0.0.1:{silent.port}", retries=3, connect_timeout=600,
                         timeout=600, deadline=600)
    t, box = in_thread(lambda: client.upload("UPPLAN_x.CSV", b"x" * 1000))
    assert silent.accepted.acquire(timeout=SAFETY)
    closer, closed = in_thread(client.close)
    closer.join(SAFETY)
    t.join(SAFETY)
    assert not closer.is_alive() and not t.is_alive() and "error" not in closed
    assert box["error"].code == NET_CANCELLED


def _watchdogs():
    return [t for t in threading.enumerate() if t.name == "tsunagi-watchdog"]


def test_one_watchdog_thread_bounds_every_call_and_stops_with_the_client(silent):
    """No thread per request: one watchdog per client expires each call at its deadline, an
    earlier deadline than the one it sleeps for wakes it, and closing the client ends it."""
    before = set(_watchdogs())
    client = make_client(f"https://127.0.0.1:{silent.port}", retries=0, connect_timeout=600,
                         timeout=600, deadline=600)
    slow, slow_box = in_thread(client.health)              # waits up to 600 s
    assert silent.accepted.acquire(timeout=SAFETY)
    client.deadline = 0.3
    for _ in range(3):                                     # each ends at its own, earlier deadline
        with pytest.raises(TransportError) as exc:
            client.health()
        assert exc.value.code == NET_TIMEOUT and exc.value.detail == "deadline"
    assert slow.is_alive()                                 # the long call is still bounded by its own
    mine = [t for t in _watchdogs() if t not in before]
    assert len(mine) == 1 and client._watchdog.running
    client.close()
    slow.join(SAFETY)
    assert not slow.is_alive() and slow_box["error"].code == NET_CANCELLED
    assert not mine[0].is_alive() and not client._watchdog.running


def test_an_idle_watchdog_leaves_and_the_next_call_starts_another(silent, monkeypatch):
    from tui_client.transport import client as client_mod

    monkeypatch.setattr(client_mod._Watchdog, "IDLE", 0.05)
    before = set(_watchdogs())
    client = make_client(f"https://127.0.0.1:{silent.port}", retries=0, deadline=0.2)
    for _ in range(2):
        with pytest.raises(TransportError):
            client.health()
        (mine,) = [t for t in _watchdogs() if t not in before]
        mine.join(SAFETY)                                  # no call in flight: it leaves by itself
        assert not mine.is_alive() and not client._watchdog.running
    client.close()


# --- retries: urllib3's Retry on the adapter ---------------------------------------------------------

class BusyThenOk:
    """A TLS server (the demo relay certificate) that answers 503 busy ``busy`` times, then 200."""

    def __init__(self, busy: int):
        self.busy = busy
        self.requests = 0
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(sample_certs.path("relay-server.cert.pem")),
                            str(sample_certs.path("relay-server.key.pem")))
        self.ctx = ctx
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(raw,), daemon=True).start()

    def _one(self, raw):
        try:
            with self.ctx.wrap_socket(raw, server_side=True) as conn:
                self._serve(conn)
        except (OSError, ssl.SSLError):
            pass

    def _serve(self, conn):
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, buf = buf.split(b"\r\n\r\n", 1)
            self.requests += 1
            if self.requests <= self.busy:
                status, body = "503 Service Unavailable", wire.error_body(wire.UNAVAILABLE, "busy")
            else:
                status, body = "200 OK", {"status": "ok"}
            data = json.dumps(body).encode()
            conn.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                         f"Content-Length: {len(data)}\r\nRetry-After: 0\r\n\r\n".encode() + data)

    def close(self):
        self.sock.close()


def test_busy_answers_are_retried_by_urllib3_retry_then_refusal_is_reported():
    server = BusyThenOk(busy=2)
    try:
        client = make_client(f"https://127.0.0.1:{server.port}", retries=2, backoff=0.0)
        adapter = client.session.get_adapter(f"https://127.0.0.1:{server.port}/")
        assert isinstance(adapter.max_retries, Retry) and adapter.max_retries.total == 2
        assert client.health() == {"status": "ok"} and server.requests == 3
        server.requests = 0
        stubborn = make_client(f"https://127.0.0.1:{server.port}", backoff=0.0)
        stubborn.retries = 1  # set after construction, as the crash driver does: the adapter follows
        assert stubborn.session.get_adapter(f"https://127.0.0.1:{server.port}/").max_retries.total == 1
        with pytest.raises(TransportError) as exc:
            stubborn.health()
        assert exc.value.code == wire.UNAVAILABLE and exc.value.retry and server.requests == 2
        client.close()
        stubborn.close()
    finally:
        server.close()
