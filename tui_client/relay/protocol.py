"""uvicorn HTTP protocols that hand the TLS client certificate to the application.

uvicorn (0.54) does not put the peer certificate in the ASGI scope. These subclasses read it once per
connection from the TLS transport (``ssl_object.getpeercert(binary_form=True)``) and put it in
``scope["extensions"]["tls"]["client_cert"]`` (DER bytes; absent when there is none), the key the ASGI
TLS extension proposes. They also set TCP_NODELAY on every accepted socket: with ``--workers N``
the shared listening socket otherwise loses it on some loops (uvicorn issue #3149), and every
response then waits ~40 ms for the peer's delayed ACK.

They also drop a connection that stays silent: no byte received for ``timeout_keep_alive`` seconds
(the relay's ``--idle-timeout``) while the relay waits for the peer — a request not yet begun, a
request head or body left half-sent — closes it. uvicorn's own keep-alive timer covers only the
time between requests, so a peer with a valid certificate could otherwise hold a connection (a
descriptor and its buffers) for ever by sending nothing or stopping mid-body. A request the app is
still answering (a mailbox waiting for arrivals) is not the peer's silence and is never cut. The
TLS handshake itself comes before ``connection_made``; asyncio bounds it (60 s).
"""

from __future__ import annotations

import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn[standard]; the plain h11 protocol is the fallback
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


def _peer_certificate(transport) -> bytes | None:
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    try:
        return ssl_object.getpeercert(binary_form=True)
    except ValueError:  # handshake not finished
        return None


def _nodelay(transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


class _Coalescing:
    """A transport that sends what is written during one turn of the event loop as one write.

    uvicorn writes a response's head and body separately; with TLS and TCP_NODELAY each write is a
    TLS record, a system call and a packet that wakes the client. Here they go out together, at the
    end of the turn (before any close). Everything else is the wrapped transport's."""

    __slots__ = ("_transport", "_pending", "_loop")

    def __init__(self, transport, loop):
        self._transport = transport
        self._pending: list = []
        self._loop = loop

    def write(self, data) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def writelines(self, lines) -> None:
        for data in lines:
            self.write(data)

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(d) for d in self._pending)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name):
        return getattr(self._transport, name)


class _CertMixin:
    """Per connection, wrap the app so every request on it carries the connection's TLS facts, and
    the transport so a response goes out in one write; drop the connection when the peer falls
    silent (module docstring)."""

    _idle_handle = None
    _heard = 0.0

    def connection_made(self, transport) -> None:  # type: ignore[override]
        import asyncio

        _nodelay(transport)
        loop = asyncio.get_running_loop()
        transport = _Coalescing(transport, loop)
        super().connection_made(transport)  # type: ignore[misc]
        self._heard = loop.time()
        self._idle_handle = loop.call_later(self.timeout_keep_alive, self._idle_check)  # type: ignore[attr-defined]
        der = _peer_certificate(transport)
        tls = {"client_cert": der} if der else {}
        inner = self.app  # type: ignore[attr-defined]

        async def app(scope, receive, send):
            scope.setdefault("extensions", {})["tls"] = tls
            await inner(scope, receive, send)

        self.app = app  # instance attribute: this connection only

    def data_received(self, data: bytes) -> None:
        self._heard = self.loop.time()  # type: ignore[attr-defined]
        super().data_received(data)  # type: ignore[misc]

    def resume_writing(self) -> None:
        self._heard = self.loop.time()  # type: ignore[attr-defined]  # the peer reads what we send
        super().resume_writing()  # type: ignore[misc]

    def connection_lost(self, exc) -> None:
        if self._idle_handle is not None:
            self._idle_handle.cancel()
            self._idle_handle = None
        super().connection_lost(exc)  # type: ignore[misc]

    def _waiting_for_peer(self) -> bool:
        """True when the next move is the peer's: no request under way, a request still being
        received, or an answer the peer does not read."""
        cycle = self.cycle  # type: ignore[attr-defined]
        flow = self.flow  # type: ignore[attr-defined]
        if flow is not None and flow.read_paused and not flow.write_paused:
            return False  # we stopped reading (the app is behind), not the peer
        if flow is not None and flow.write_paused:
            return True
        return cycle is None or cycle.response_complete or cycle.more_body

    def _idle_check(self) -> None:
        self._idle_handle = None
        transport = self.transport  # type: ignore[attr-defined]
        if transport is None or transport.is_closing():
            return
        timeout = self.timeout_keep_alive  # type: ignore[attr-defined]
        now = self.loop.time()  # type: ignore[attr-defined]
        if now - self._heard >= timeout and self._waiting_for_peer():
            transport.close()
            return
        self._idle_handle = self.loop.call_later(  # type: ignore[attr-defined]
            max(timeout - (now - self._heard), timeout / 10), self._idle_check)


class H11CertProtocol(_CertMixin, H11Protocol):
    pass


if HttpToolsProtocol is not None:
    class HttpToolsCertProtocol(_CertMixin, HttpToolsProtocol):  # type: ignore[misc,valid-type]
        pass
else:  # pragma: no cover
    HttpToolsCertProtocol = None  # type: ignore[assignment,misc]
