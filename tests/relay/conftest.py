"""Fixtures for the relay tests: real relay processes on loopback with the demo certificates, real
TLS clients, and (marked ``postgres``) a real PostgreSQL server started for the session."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tui_client import sample_certs

ROOT = Path(__file__).resolve().parents[2]


#: What the relay needs beyond the office client (the ``relay`` extra). Office PCs do not run the relay,
#: so on one without them (scripts/i386-check) every test that starts a relay skips, saying why.
RELAY_EXTRAS = ("fastapi", "uvicorn")


def need_relay_extras() -> None:
    for module in RELAY_EXTRAS:
        pytest.importorskip(module, reason=f"the relay extras are not installed ({module}): pip install '.[relay]'")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RelayProcess:
    """A `tsunagi relay` child process on a free loopback port."""

    def __init__(self, database: str, home: Path, *, workers: int = 1, extra=(), log_level="warning"):
        need_relay_extras()
        self.database = database
        self.home = home
        self.workers = workers
        self.extra = list(extra)
        self.log_level = log_level
        self.proc = None
        self.port = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0, same_port: bool = False) -> "RelayProcess":
        for _ in range(5):  # a free port can be taken between the probe and the bind: try another
            if not (same_port and self.port):
                self.port = free_port()
            env = dict(os.environ, TSUNAGI_HOME=str(self.home), PYTHONUNBUFFERED="1")
            self.log = open(self.home / f"relay-{self.port}.log", "wb")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tui_client", "relay", "--port", str(self.port), "--database",
                 self.database, "--demo-offices", "--workers", str(self.workers), "--log-level",
                 self.log_level, "--max-wait", "0.5", *self.extra],  # fuzzed ?wait= stays quick
                stdout=self.log, stderr=subprocess.STDOUT, env=env, cwd=str(self.home),
                start_new_session=True)
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError("relay did not start: " + (self.home / f"relay-{self.port}.log").read_text())

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    # the socket is bound; with several workers give them a moment to accept
                    time.sleep(0.3 if self.workers > 1 else 0.05)
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def kill(self) -> None:
        """SIGKILL the whole process group (the relay and its workers), as a power cut would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, graceful: bool = False) -> None:
        if self.proc and self.proc.poll() is None and not graceful:
            self.kill()  # fast, and every test then also shows the storage survives a SIGKILL
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()


# --- PostgreSQL ---------------------------------------------------------------------------------

def _pg_bindir():
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "initdb").exists() and (cand / "postgres").exists():
            return cand
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free loopback port. As root (CI), initdb and postgres run
    as the ``postgres`` OS user that Debian's package creates (they refuse to run as root)."""

    def __init__(self, base: Path):
        self.base = base
        self.bindir = _pg_bindir()
        self.port = free_port()
        self.proc = None

    def _as_pg(self, argv):
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *argv]
        return argv

    def start(self):
        if self.bindir is None:
            raise RuntimeError("no PostgreSQL binaries (initdb) found")
        data = self.base / "pgdata"
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
            os.chmod(self.base, 0o700)
        subprocess.run(self._as_pg([str(self.bindir / "initdb"), "-D", str(data), "-U", "tsunagi",
                                    "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, capture_output=True)
        self.proc = subprocess.Popen(
            self._as_pg([str(self.bindir / "postgres"), "-D", str(data), "-p", str(self.port),
                         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.base}",
                         "-c", "fsync=off", "-c", "max_connections=200"]),
            stdout=subprocess.DEVNULL, stderr=open(self.base / "postgres.log", "wb"), start_new_session=True)
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.admin_dsn, autocommit=True, connect_timeout=2):
                    return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError((self.base / "postgres.log").read_text())
                time.sleep(0.1)

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://tsunagi@127.0.0.1:{self.port}/postgres"

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://tsunagi@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """A real PostgreSQL server for the session; skipped (with the reason) only if none can start.
    ``TSUNAGI_REQUIRE_POSTGRES=1`` (CI) turns that skip into a failure."""
    base = Path("/tmp") / f"tsunagi-pg-{os.getpid()}"
    shutil.rmtree(base, ignore_errors=True)
    server = PostgresServer(base)
    try:
        server.start()
    except Exception as exc:  # noqa: BLE001 - reported as the skip reason
        server.stop()
        if os.environ.get("TSUNAGI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL could not be started: {exc}")
        pytest.skip(f"PostgreSQL could not be started: {exc}")
    yield server
    server.stop()
    shutil.rmtree(base, ignore_errors=True)


_db_counter = [0]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    """A fresh database URL for each backend: the same tests run against both."""
    if request.param == "sqlite":
        return str(tmp_path / "relay.sqlite3")
    pg = request.getfixturevalue("postgres")
    _db_counter[0] += 1
    return pg.new_database(f"t{os.getpid()}_{_db_counter[0]}")


@pytest.fixture
def relay(database, tmp_path):
    r = RelayProcess(database, tmp_path).start()
    yield r
    r.stop()


# --- offices -----------------------------------------------------------------------------------

class DemoOffice:
    """A demo office's keystore and a TLS client to the relay (transport only)."""

    def __init__(self, office_id: str, url: str, device=None):
        from tui_client.transport.client import RelayClient, tls_context

        self.id = office_id
        self.entry = sample_certs.office(office_id)
        ks, findings = sample_certs.keystore(office_id)
        assert ks is not None, findings
        self.keystore = ks
        self.number = self.entry["office_number"]
        self.services = self.entry["services"]
        from cryptography.hazmat.primitives import serialization

        pem = ks.certificate.public_bytes(serialization.Encoding.PEM)
        ca = str(sample_certs.path("demo-ca.cert.pem"))
        self.client = RelayClient(url, tls_context(ca, pem, ks.key), ca, retries=1, backoff=0.05, device=device)

    def close(self):
        self.client.close()


@pytest.fixture
def office_client(relay):
    made = []

    def make(office_id: str, device=None) -> DemoOffice:
        """A demo office's client; ``device`` names the PC (two devices = two PCs of one office)."""
        o = DemoOffice(office_id, relay.url, device)
        made.append(o)
        return o

    yield make
    for o in made:
        o.close()


@pytest.fixture(scope="session")
def trust():
    return sample_certs.trust_store()


def open_demo_office(demo_id, relay, home):
    """A demo office set up on this PC against ``relay`` and opened (the tests' usual first step)."""
    from tui_client import office as office_mod
    from tui_client import sample_certs

    office_mod.setup_demo_office(demo_id, relay.url, home)
    o, findings = office_mod.Office.open(sample_certs.office(demo_id)["office_number"], home=home)
    assert o is not None, findings
    return o
