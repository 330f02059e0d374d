"""HTTPS client of the relay: a ``requests`` session with the office's client certificate, the
relay's CA as the only trust anchor, retries with backoff, and one error type with a code.

Every failure becomes :class:`TransportError` with a stable code (``E-NET-…`` for the network and
TLS, the relay's ``E-RELAY-…`` for refusals) and ``retry`` saying whether trying again later can
help; the façade turns it into a finding with a Japanese message. Nothing here prints or logs a
person's data: only item names, ids and codes.

The private key never touches the disk in the clear: ``ssl`` can only load a key from a file, so it
is written encrypted (random one-time password) to a private temporary file, loaded, and removed.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import time
from typing import List, Optional, Sequence

import requests
from requests.adapters import HTTPAdapter

from tui_client.core import wire

NET_CONNECT = "E-NET-001"      # cannot connect (relay down, wrong address, no network)
NET_TIMEOUT = "E-NET-002"      # no answer in time
NET_TLS_SERVER = "E-NET-003"   # the relay's certificate is not trusted (wrong relay or CA)
NET_TLS_CLIENT = "E-NET-004"   # the relay refused our certificate during the handshake
NET_RESPONSE = "E-NET-005"     # an answer we do not understand (proxy page, wrong server)
NET_DIGEST = "E-NET-006"       # downloaded bytes do not match the digest the relay announced


#: TLS alerts that mean "your certificate is not accepted" (OpenSSL reason strings).
_CLIENT_CERT_ALERTS = ("ALERT_CERTIFICATE_EXPIRED", "ALERT_CERTIFICATE_REVOKED", "ALERT_UNKNOWN_CA",
                       "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_REQUIRED", "ALERT_CERTIFICATE_UNKNOWN",
                       "ALERT_UNSUPPORTED_CERTIFICATE", "ALERT_ACCESS_DENIED", "ALERT_DECRYPT_ERROR")


class TransportError(Exception):
    def __init__(self, code: str, detail: str = "", *, retry: bool = False, status: Optional[int] = None,
                 findings: Sequence[str] = ()):
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.retry = retry
        self.status = status
        self.findings = list(findings)


class _ContextAdapter(HTTPAdapter):
    def __init__(self, context: ssl.SSLContext, **kw):
        self._context = context
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self._context
        return super().init_poolmanager(*args, **kwargs)


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


class RelayClient:
    """One office's connection to the relay (thread-safe enough for one user: one session)."""

    def __init__(self, base_url: str, context: ssl.SSLContext, ca_file: str, *,
                 timeout: float = 30.0, connect_timeout: float = 5.0, retries: int = 3,
                 backoff: float = 0.5, pool_size: int = 4):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.verify = ca_file
        self.session.trust_env = False  # no proxies or netrc for a relay on a care network
        adapter = _ContextAdapter(context, pool_connections=pool_size, pool_maxsize=pool_size)
        self.session.mount("https://", adapter)
        self.timeout = (connect_timeout, timeout)
        self.retries = retries
        self.backoff = backoff

    def close(self) -> None:
        self.session.close()

    # -- plumbing
    def _request(self, method: str, path: str, *, params=None, data=None, headers=None,
                 expect_json: bool = True, read_timeout: Optional[float] = None):
        """One request with retries for what can pass (network, 5xx, 503 busy); refusals raise."""
        url = self.base_url + path
        last: Optional[TransportError] = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(min(self.backoff * (2 ** (attempt - 1)), 10.0))
            try:
                timeout = self.timeout if read_timeout is None else (self.timeout[0], read_timeout)
                resp = self.session.request(method, url, params=params, data=data, headers=headers,
                                            timeout=timeout)
            except requests.exceptions.SSLError as exc:
                text = str(exc)
                if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
                    raise TransportError(NET_TLS_SERVER, "relay certificate not trusted") from None
                if any(alert in text.upper() for alert in _CLIENT_CERT_ALERTS):
                    # The relay refused our certificate (an alert during or just after the handshake).
                    raise TransportError(NET_TLS_CLIENT, "client certificate refused") from None
                # Anything else (EOF, reset mid-handshake: a relay restarting) is the line: retry.
                last = TransportError(NET_CONNECT, "TLS connection failed", retry=True)
                continue
            except requests.exceptions.ConnectTimeout:
                last = TransportError(NET_TIMEOUT, "connect timeout", retry=True)
                continue
            except requests.exceptions.ReadTimeout:
                last = TransportError(NET_TIMEOUT, "read timeout", retry=True)
                continue
            except requests.exceptions.ConnectionError:
                last = TransportError(NET_CONNECT, "connection failed", retry=True)
                continue
            except requests.exceptions.RequestException:
                last = TransportError(NET_CONNECT, "request failed", retry=True)
                continue
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
                retry = resp.status_code >= 500 or resp.status_code in (408, 429)
                last = TransportError(NET_RESPONSE, f"HTTP {resp.status_code}", retry=retry,
                                      status=resp.status_code)
                if retry:
                    continue
                raise last
            code, detail, retry, findings = parsed
            last = TransportError(code, detail, retry=retry, status=resp.status_code, findings=findings)
            if retry:
                continue
            raise last
        assert last is not None
        raise last

    # -- API
    def health(self) -> dict:
        return self._request("GET", wire.HEALTH)

    def upload(self, name: str, sealed: bytes, digest: Optional[str] = None) -> wire.UploadResult:
        digest = digest or wire.digest(sealed)
        body = self._request("POST", wire.ITEMS, params={"name": name}, data=sealed,
                             headers={wire.H_DIGEST: digest, "Content-Type": wire.CONTENT_TYPE_SEALED})
        return wire.UploadResult.from_json(body)

    def mailbox(self, service: Optional[str] = None, wait: float = 0) -> List[wire.ItemInfo]:
        """Items waiting for this office. With ``wait`` (seconds), an empty mailbox is answered when
        something arrives or when the wait is over (the relay may cap it)."""
        params = {"service": service} if service else {}
        if wait > 0:
            params["wait"] = min(wait, wire.MAX_MAILBOX_WAIT)
        body = self._request("GET", wire.MAILBOX, params=params or None,
                             read_timeout=self.timeout[1] + params.get("wait", 0))
        return [wire.ItemInfo.from_json(d) for d in body["items"]]

    def download(self, item_id: str) -> bytes:
        resp = self._request("GET", wire.MAILBOX_ITEM.format(item_id=item_id), expect_json=False)
        data = resp.content
        announced = resp.headers.get(wire.H_DIGEST)
        if announced and announced != wire.digest(data):
            raise TransportError(NET_DIGEST, "download damaged", retry=True)
        return data

    def acknowledge(self, item_id: str, receipt: bytes) -> wire.ItemInfo:
        body = self._request("POST", wire.MAILBOX_ACK.format(item_id=item_id), data=receipt,
                             headers={"Content-Type": wire.CONTENT_TYPE_RECEIPT})
        return wire.ItemInfo.from_json(body)

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
        import json

        body = self._request("PUT", wire.DIRECTORY_SELF,
                             data=json.dumps(wire.SelfRegistration(list(services), name).to_json()),
                             headers={"Content-Type": "application/json"})
        return wire.DirectoryEntry.from_json(body)
