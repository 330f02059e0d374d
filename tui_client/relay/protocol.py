"""uvicorn HTTP protocols that hand the TLS client certificate to the application.

uvicorn (0.54) does not put the peer certificate in the ASGI scope. These subclasses read it once per
connection from the TLS transport (``ssl_object.getpeercert(binary_form=True)``) and put it in
``scope["extensions"]["tls"]["client_cert"]`` (DER bytes; absent when there is none), the key the ASGI
TLS extension proposes. They also set TCP_NODELAY on every accepted socket: with ``--workers N``
the shared listening socket otherwise loses it on some loops (uvicorn issue #3149), and every
response then waits ~40 ms for the peer's delayed ACK.
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


class _CertMixin:
    """Per connection, wrap the app so every request on it carries the connection's TLS facts."""

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[misc]
        _nodelay(transport)
        der = _peer_certificate(transport)
        tls = {"client_cert": der} if der else {}
        inner = self.app  # type: ignore[attr-defined]

        async def app(scope, receive, send):
            scope.setdefault("extensions", {})["tls"] = tls
            await inner(scope, receive, send)

        self.app = app  # instance attribute: this connection only


class H11CertProtocol(_CertMixin, H11Protocol):
    pass


if HttpToolsProtocol is not None:
    class HttpToolsCertProtocol(_CertMixin, HttpToolsProtocol):  # type: ignore[misc,valid-type]
        pass
else:  # pragma: no cover
    HttpToolsCertProtocol = None  # type: ignore[assignment,misc]
