"""HTTPS client of the relay: a ``requests`` session with the office's client certificate, the
relay's CA as the only trust anchor, retries with backoff, and one error type with a code.

Every failure becomes :class:`TransportError` with a stable code (``E-NET-…`` for the network and
TLS, the relay's ``E-RELAY-…`` for refusals) and ``retry`` saying whether trying again later can
help; the façade turns it into a finding with a Japanese message. Nothing here prints or logs a
person's data: only item names, ids and codes.

Every call is bounded and cancellable. Retries are ``urllib3.util.Retry`` on the session's adapter
(connection errors, 408/429/5xx, with backoff and Retry-After), and one *deadline* covers a whole
call: all its attempts, the waits between them and reading the answer. A watchdog shuts the call's
sockets down when the deadline passes, and :meth:`RelayClient.cancel` (or :meth:`close`, from any
thread) does the same at once, so a call blocked on a relay that never answers returns promptly with
``E-NET-002`` (deadline) or ``E-NET-007`` (cancelled) instead of after 4 × (5 s + 30 s) and back-off.

The private key never touches the disk in the clear: ``ssl`` can only load a key from a file, so it
is written encrypted (random one-time password) to a private temporary file, loaded, and removed.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import tempfile
import threading
import time
from typing import List, Optional, Sequence, Set, Tuple, Union

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPSConnectionPool
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

from tui_client.core import wire

NET_CONNECT = "E-NET-001"      # cannot connect (relay down, wrong address, no network)
NET_TIMEOUT = "E-NET-002"      # no answer in time (one attempt's timeout, or the call's deadline)
NET_TLS_SERVER = "E-NET-003"   # the relay's certificate is not trusted (wrong relay or CA)
NET_TLS_CLIENT = "E-NET-004"   # the relay refused our certificate during the handshake
NET_RESPONSE = "E-NET-005"     # an answer we do not understand (proxy page, wrong server)
NET_DIGEST = "E-NET-006"       # downloaded bytes do not match the digest the relay announced
NET_CANCELLED = "E-NET-007"    # the call was cancelled (RelayClient.cancel / close from another thread)

#: Slowest line a transfer is allowed for when its deadline is set: bytes / this = extra seconds.
MIN_TRANSFER_RATE = 128 * 1024

#: HTTP statuses worth another attempt (the relay says 503 busy / 500 internal with retry=true).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


#: TLS alerts that mean "your certificate is not accepted" (OpenSSL reason strings).
_CLIENT_CERT_ALERTS = ("ALERT_CERTIFICATE_EXPIRED", "ALERT_CERTIFICATE_REVOKED", "ALERT_UNKNOWN_CA",
                       "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_REQUIRED", "ALERT_CERTIFICATE_UNKNOWN",
                       "ALERT_UNSUPPORTED_CERTIFICATE", "ALERT_ACCESS_DENIED", "ALERT_DECRYPT_ERROR")


def _server_not_trusted(text: str) -> bool:
    return "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text


def _client_refused(text: str) -> bool:
    upper = text.upper()
    return any(alert in upper for alert in _CLIENT_CERT_ALERTS)


class TransportError(Exception):
    def __init__(self, code: str, detail: str = "", *, retry: bool = False, status: Optional[int] = None,
                 findings: Sequence[str] = ()):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.retry = retry
        self.status = status
        self.findings = list(findings)


# --- bounding and cancelling calls ------------------------------------------------------------------

_local = threading.local()  # the call this thread is making (urllib3 runs in the caller's thread)


def _shutdown(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # a recv() blocked in another thread returns
    except (OSError, ValueError):
        pass  # already closed


class _Call:
    """One call in flight: its deadline and the sockets it has used, so that the client's watchdog
    (past the deadline) or :meth:`RelayClient.cancel` can shut them down from another thread."""

    def __init__(self, owner: "RelayClient", seconds: float):
        self.owner = owner
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: Set[socket.socket] = set()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def stopped(self) -> bool:
        return self.expired or self.owner.cancelled or self.remaining() <= 0

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self.stopped():
            _shutdown(sock)

    def abort(self) -> None:
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def expire(self) -> None:
        self.expired = True
        self.abort()

    def __enter__(self) -> "_Call":
        _local.call = self
        self.owner._watchdog.add(self)
        return self

    def __exit__(self, *exc) -> None:
        _local.call = None
        self.owner._watchdog.discard(self)


class _Watchdog:
    """The calls in flight of one client, and one thread that expires each at its deadline.

    A ``threading.Timer`` per call cost a thread start per request (~0.5 ms, more than the rest of
    the client's work for a small download). This thread is started with the first call, sleeps
    until the earliest deadline in flight (a call with an earlier one wakes it), leaves by itself
    after ``IDLE`` seconds without calls, and :meth:`stop` (the client's close) ends it at once. It
    never waits on anything but its condition, so nothing here can hold a call up."""

    IDLE = 10.0

    def __init__(self):
        self._cond = threading.Condition()
        self._calls: Set[_Call] = set()
        self._thread: Optional[threading.Thread] = None
        self._wake_at = float("inf")

    def add(self, call: _Call) -> None:
        with self._cond:
            self._calls.add(call)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tsunagi-watchdog", daemon=True)
                self._thread.start()
            elif call.deadline < self._wake_at:
                self._cond.notify()

    def discard(self, call: _Call) -> None:
        with self._cond:
            self._calls.discard(call)  # no wake-up: at its time the thread finds nothing due

    def calls(self) -> List[_Call]:
        with self._cond:
            return list(self._calls)

    @property
    def running(self) -> bool:
        with self._cond:
            return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread (the client is closing); a later call starts a new one."""
        with self._cond:
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        me = threading.current_thread()
        idle_since: Optional[float] = None
        with self._cond:
            while self._thread is me:
                now = time.monotonic()
                for call in [c for c in self._calls if c.deadline <= now]:
                    self._calls.discard(call)
                    call.expire()  # shuts its sockets down: the blocked call returns E-NET-002
                if self._calls:
                    idle_since = None
                    self._wake_at = min(c.deadline for c in self._calls)
                    self._cond.wait(max(0.0, self._wake_at - now))
                    continue
                idle_since = now if idle_since is None else idle_since
                if now - idle_since >= self.IDLE:
                    self._thread = None
                    break
                self._wake_at = float("inf")
                self._cond.wait(self.IDLE - (now - idle_since))
            self._wake_at = float("inf")


def _current() -> Optional[_Call]:
    return getattr(_local, "call", None)


class _Stopped(Exception):
    """Raised inside urllib3 when the call is cancelled or past its deadline: no further attempt."""


class _BoundedRetry(Retry):
    """``Retry`` that gives up when the call is cancelled or out of time, never retries a TLS trust
    refusal (it will not pass), and waits between attempts on the cancel signal, never past the
    deadline."""

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        call = _current()
        if call is not None and call.stopped():
            raise MaxRetryError(_pool, url, _Stopped("stopped"))
        if error is not None and (_server_not_trusted(str(error)) or _client_refused(str(error))):
            raise MaxRetryError(_pool, url, error)
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response=None) -> None:
        call = _current()
        delay = None
        if response is not None and self.respect_retry_after_header:
            delay = self.get_retry_after(response)
        if delay is None:
            delay = self.get_backoff_time()
        if call is None:
            time.sleep(delay)
            return
        delay = min(delay, max(0.0, call.remaining()))
        if delay > 0:
            call.owner._cancel_event.wait(delay)
        if call.stopped():
            raise MaxRetryError(None, None, _Stopped("stopped"))


class _TrackedConnection(HTTPSConnection):
    """An HTTPS connection whose socket the current call can shut down from another thread.

    ``ssl`` detaches the plain socket when it wraps it, so a duplicate is kept: ``shutdown()`` acts on
    the connection, not on one descriptor, and so reaches a TLS handshake or a read in progress."""

    _handle: Optional[socket.socket] = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._handle = sock.dup()
        call = _current()
        if call is not None:
            call.add(self._handle)
        return sock

    def request(self, *args, **kwargs):  # a pooled connection reused by a new call
        call = _current()
        if call is not None and self._handle is not None:
            call.add(self._handle)
        return super().request(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            handle, self._handle = self._handle, None
            if handle is not None:
                handle.close()


class _TrackedPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedConnection


class _ContextAdapter(HTTPAdapter):
    def __init__(self, context: ssl.SSLContext, **kw):
        self._context = context
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {**self.poolmanager.pool_classes_by_scheme,
                                                   "https": _TrackedPool}


def tls_context(ca_file: str, certificate_pem: bytes, key, chain_pem: bytes = b"") -> ssl.SSLContext:
    """Client TLS context: trust only ``ca_file``; present the office certificate."""
    from cryptography.hazmat.primitives import serialization

    ctx = ssl.create_default_context(cafile=ca_file)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    password = os.urandom(24).hex().encode("ascii")
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(password))
    with tempfile.TemporaryDirectory(prefix="tsunagi-tls-") as tmp:
        os.chmod(tmp, 0o700)
        cert_path = os.path.join(tmp, "cert.pem")
        key_path = os.path.join(tmp, "key.pem")
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem)
        with open(cert_path, "wb") as fh:
            fh.write(certificate_pem + chain_pem)
        ctx.load_cert_chain(cert_path, key_path, password=password)
    return ctx


def _ack_batches(entries: Sequence[Tuple[str, bytes]]) -> List[List[Tuple[str, bytes]]]:
    """``entries`` in runs that fit one batch acknowledgement (items and JSON bytes, with room for
    the ids and the quoting)."""
    batches: List[List[Tuple[str, bytes]]] = []
    size = wire.MAX_ACK_BATCH_BYTES
    for item_id, receipt in entries:
        cost = 4 * (len(receipt) + 2) // 3 + len(item_id) + 32
        if not batches or len(batches[-1]) >= wire.MAX_ACK_BATCH_ITEMS or size + cost > wire.MAX_ACK_BATCH_BYTES - 64:
            batches.append([])
            size = 0
        batches[-1].append((item_id, receipt))
        size += cost
    return batches


def _ack_outcomes(answer, ids: Sequence[str]) -> List[Union[wire.ItemInfo, TransportError]]:
    """Each item's result from a batch acknowledgement's answer, in ``ids``' order."""
    items = answer.get("items") if isinstance(answer, dict) else None
    if not isinstance(items, list) or len(items) != len(ids):
        raise TransportError(NET_RESPONSE, "batch answer does not match the request")
    out: List[Union[wire.ItemInfo, TransportError]] = []
    for item_id, raw in zip(ids, items):
        outcome = wire.AckOutcome.from_json(raw) if isinstance(raw, dict) else None
        if outcome is None or outcome.id != item_id or (outcome.item is None and outcome.error is None):
            raise TransportError(NET_RESPONSE, "batch answer does not match the request")
        if outcome.error is not None:
            e = outcome.error
            status = wire.ERRORS[e.code].status
            out.append(TransportError(e.code, e.detail, retry=e.retry, status=status, findings=e.findings))
        else:
            out.append(outcome.item)
    return out


class RelayClient:
    """One office's connection to the relay (thread-safe enough for one user: one session).

    ``retries``: further attempts after the first (urllib3 ``Retry``); ``deadline``: seconds one call
    may take in all (transfers get ``MIN_TRANSFER_RATE`` on top for their size). :meth:`cancel` makes
    the calls in flight and every later call raise ``E-NET-007`` at once; :meth:`resume` undoes it.
    ``device``: this PC's device id, sent with every request (``wire.H_DEVICE``): the relay then
    lists each item to every PC of the office until that PC acknowledges it."""

    def __init__(self, base_url: str, context: ssl.SSLContext, ca_file: str, *,
                 timeout: float = 30.0, connect_timeout: float = 5.0, retries: int = 3,
                 backoff: float = 0.5, pool_size: int = 4, deadline: float = 60.0,
                 device: Optional[str] = None):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.verify = ca_file
        self.session.trust_env = False  # no proxies or netrc for a relay on a care network
        self.device = device
        if device:
            self.session.headers[wire.H_DEVICE] = device
        self.deadline = deadline
        self._retries, self._backoff = retries, backoff
        self._adapter = _ContextAdapter(context, pool_connections=pool_size, pool_maxsize=pool_size,
                                        max_retries=self._retry_policy())
        self.session.mount("https://", self._adapter)
        self.timeout = (connect_timeout, timeout)
        self._cancel_event = threading.Event()
        self._watchdog = _Watchdog()
        self._batch_ack = True  # False once the relay turned out not to have the batch route

    # -- retries: attributes callers may set after construction (the adapter's Retry follows them)
    def _retry_policy(self) -> Retry:
        return _BoundedRetry(total=self._retries, backoff_factor=self._backoff, backoff_max=10.0,
                             status_forcelist=RETRY_STATUSES, allowed_methods=None,
                             raise_on_status=False, respect_retry_after_header=True)

    @property
    def retries(self) -> int:
        return self._retries

    @retries.setter
    def retries(self, value: int) -> None:
        self._retries = value
        self._adapter.max_retries = self._retry_policy()

    @property
    def backoff(self) -> float:
        return self._backoff

    @backoff.setter
    def backoff(self, value: float) -> None:
        self._backoff = value
        self._adapter.max_retries = self._retry_policy()

    # -- cancelling
    @property
    def cancelled(self) -> bool:
        return self._cancel_event.is_set()

    def cancel(self) -> None:
        """Stop the calls in flight (from any thread) and refuse later ones (E-NET-007)."""
        self._cancel_event.set()
        for call in self._watchdog.calls():
            call.abort()

    def resume(self) -> None:
        """Accept calls again after :meth:`cancel`."""
        self._cancel_event.clear()

    def close(self) -> None:
        """Cancel what is in flight and close the connections; safe from another thread."""
        self.cancel()
        self.session.close()
        self._watchdog.stop()

    # -- plumbing
    def _request(self, method: str, path: str, *, params=None, data=None, headers=None,
                 expect_json: bool = True, read_timeout: Optional[float] = None,
                 extra_seconds: float = 0.0):
        """One call (urllib3 retries what can pass: network, 408/429/5xx); refusals raise."""
        if self.cancelled:
            raise TransportError(NET_CANCELLED, "cancelled")
        url = self.base_url + path
        read = self.timeout[1] if read_timeout is None else read_timeout
        budget = self.deadline + extra_seconds
        with _Call(self, budget) as call:
            try:
                resp = self.session.request(method, url, params=params, data=data, headers=headers,
                                            timeout=(min(self.timeout[0], budget), min(read, budget)))
            except requests.exceptions.RequestException as exc:
                raise self._failure(exc, call) from None
            except (OSError, ValueError) as exc:  # a socket shut down under the session's feet
                raise self._failure(requests.exceptions.ConnectionError(str(exc)), call) from None
            return self._answer(resp, expect_json)

    def _failure(self, exc: Exception, call: _Call) -> TransportError:
        if self.cancelled:
            return TransportError(NET_CANCELLED, "cancelled")
        if call.expired or call.remaining() <= 0:
            return TransportError(NET_TIMEOUT, "deadline", retry=True)
        if isinstance(exc, requests.exceptions.SSLError):
            text = str(exc)
            if _server_not_trusted(text):
                return TransportError(NET_TLS_SERVER, "relay certificate not trusted")
            if _client_refused(text):
                # The relay refused our certificate (an alert during or just after the handshake).
                return TransportError(NET_TLS_CLIENT, "client certificate refused")
            # Anything else (EOF, reset mid-handshake: a relay restarting) is the line.
            return TransportError(NET_CONNECT, "TLS connection failed", retry=True)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return TransportError(NET_TIMEOUT, "connect timeout", retry=True)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return TransportError(NET_TIMEOUT, "read timeout", retry=True)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return TransportError(NET_CONNECT, "connection failed", retry=True)
        return TransportError(NET_CONNECT, "request failed", retry=True)

    @staticmethod
    def _answer(resp, expect_json: bool):
        if resp.status_code < 400:
            if not expect_json:
                return resp
            try:
                return resp.json()
            except ValueError:
                raise TransportError(NET_RESPONSE, "not JSON", status=resp.status_code) from None
        try:
            parsed = wire.parse_error_body(resp.json())
        except ValueError:
            parsed = None
        if parsed is None:
            retry = resp.status_code in RETRY_STATUSES
            raise TransportError(NET_RESPONSE, f"HTTP {resp.status_code}", retry=retry,
                                 status=resp.status_code)
        code, detail, retry, findings = parsed
        raise TransportError(code, detail, retry=retry, status=resp.status_code, findings=findings)

    # -- API
    def health(self) -> dict:
        return self._request("GET", wire.HEALTH)

    def upload(self, name: str, sealed: bytes, digest: Optional[str] = None) -> wire.UploadResult:
        digest = digest or wire.digest(sealed)
        body = self._request("POST", wire.ITEMS, params={"name": name}, data=sealed,
                             headers={wire.H_DIGEST: digest, "Content-Type": wire.CONTENT_TYPE_SEALED},
                             extra_seconds=len(sealed) / MIN_TRANSFER_RATE)
        return wire.UploadResult.from_json(body)

    def mailbox(self, service: Optional[str] = None, wait: float = 0) -> List[wire.ItemInfo]:
        """Items waiting for this office. With ``wait`` (seconds), an empty mailbox is answered when
        something arrives or when the wait is over (the relay may cap it)."""
        params = {"service": service} if service else {}
        if wait > 0:
            params["wait"] = min(wait, wire.MAX_MAILBOX_WAIT)
        body = self._request("GET", wire.MAILBOX, params=params or None,
                             read_timeout=self.timeout[1] + params.get("wait", 0),
                             extra_seconds=params.get("wait", 0))
        return [wire.ItemInfo.from_json(d) for d in body["items"]]

    def download(self, item_id: str) -> bytes:
        resp = self._request("GET", wire.MAILBOX_ITEM.format(item_id=item_id), expect_json=False,
                             extra_seconds=wire.DEFAULT_MAX_ITEM_BYTES / MIN_TRANSFER_RATE)
        data = resp.content
        announced = resp.headers.get(wire.H_DIGEST)
        if announced and announced != wire.digest(data):
            raise TransportError(NET_DIGEST, "download damaged", retry=True)
        return data

    def acknowledge(self, item_id: str, receipt: bytes) -> wire.ItemInfo:
        body = self._request("POST", wire.MAILBOX_ACK.format(item_id=item_id), data=receipt,
                             headers={"Content-Type": wire.CONTENT_TYPE_RECEIPT})
        return wire.ItemInfo.from_json(body)

    def acknowledge_many(self, entries: Sequence[Tuple[str, bytes]]) -> List[Union[wire.ItemInfo, TransportError]]:
        """Acknowledge several (item id, receipt) pairs: for each, the ItemInfo ``acknowledge``
        returns or the TransportError it raises (unknown, withdrawn, bad receipt…). Sent in batches
        of ``wire.MAX_ACK_BATCH_ITEMS`` (and bytes); a relay without the batch route (404/405) is
        asked one item at a time, and remembered. A failure of the line or of a whole batch raises."""
        out: List[Union[wire.ItemInfo, TransportError]] = []
        for batch in _ack_batches(entries):
            if not self._batch_ack:
                out += [self._acknowledge_one(item_id, receipt) for item_id, receipt in batch]
                continue
            body = json.dumps(wire.AckBatch([wire.AckEntry.of(i, r) for i, r in batch]).to_json())
            try:
                answer = self._request("POST", wire.MAILBOX_ACK_BATCH, data=body,
                                       headers={"Content-Type": "application/json"})
            except TransportError as exc:
                if exc.status not in (404, 405) or exc.code != NET_RESPONSE:
                    raise
                self._batch_ack = False  # an older relay: one by one from now on
                out += [self._acknowledge_one(item_id, receipt) for item_id, receipt in batch]
                continue
            out += _ack_outcomes(answer, [item_id for item_id, _ in batch])
        return out

    def _acknowledge_one(self, item_id: str, receipt: bytes) -> Union[wire.ItemInfo, TransportError]:
        try:
            return self.acknowledge(item_id, receipt)
        except TransportError as exc:
            if exc.code.startswith("E-NET-"):
                raise
            return exc

    def sent(self, since: Optional[str] = None) -> List[wire.ItemInfo]:
        body = self._request("GET", wire.SENT, params={"since": since} if since else None)
        return [wire.ItemInfo.from_json(d) for d in body["items"]]

    def receipt(self, item_id: str) -> bytes:
        return self._request("GET", wire.SENT_RECEIPT.format(item_id=item_id), expect_json=False).content

    def withdraw(self, item_id: str) -> wire.ItemInfo:
        return wire.ItemInfo.from_json(self._request("DELETE", wire.SENT_ITEM.format(item_id=item_id)))

    def directory(self, offices: Sequence[str]) -> List[wire.DirectoryEntry]:
        body = self._request("GET", wire.DIRECTORY, params={"offices": ",".join(offices)})
        return [wire.DirectoryEntry.from_json(d) for d in body["offices"]]

    def register_self(self, services: Sequence[str], name: str = "") -> wire.DirectoryEntry:
        body = self._request("PUT", wire.DIRECTORY_SELF,
                             data=json.dumps(wire.SelfRegistration(list(services), name).to_json()),
                             headers={"Content-Type": "application/json"})
        return wire.DirectoryEntry.from_json(body)
