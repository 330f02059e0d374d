"""Fixtures for the certificate, sealing and receipt tests. Every test here runs again under the
oldest supported cryptography (tests/ci.sh), so keep all crypto-dependent tests in this folder."""

import shutil

import pytest

from tui_client import sample_certs


@pytest.fixture(scope="session")
def trust():
    return sample_certs.trust_store()


@pytest.fixture(scope="session")
def ks():
    """ks("cm") -> the loaded demo keystore."""
    cache = {}

    def get(office_id):
        if office_id not in cache:
            store, findings = sample_certs.keystore(office_id)
            assert findings == [], findings
            cache[office_id] = store
        return cache[office_id]

    return get


@pytest.fixture(scope="session")
def cert():
    return sample_certs.certificate


@pytest.fixture
def openssl():
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed (tests/ci.sh installs it)")
    return path
