"""Shared constants, helpers and fixtures for tests/crypto.

Test modules import the fixtures from here (``from cryptohelp import ks, trust, ...``) instead of a
conftest.py: a second module named ``conftest`` would shadow tests/conftest.py for ``from conftest
import ...``. Every test in this folder runs again under the oldest supported cryptography
(tests/ci.sh), so keep all crypto-dependent tests here.
"""

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tui_client import sample_certs

FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: a V4 care-plan file name from the care manager (cm) to the home-help provider (homecare)
NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250428120000.CSV"
#: from the care manager to the day-care office with two sites (day-main, day-annex)
NAME_DAY = "UPPLAN_202505_1370100011_43_1370100037_15_20250428120000.CSV"
#: the committed certificates' stated properties hold at this time
REF = sample_certs.reference_time()


def codes(findings):
    return [f.code for f in findings]


def throwaway_ca(name="Throwaway test CA", now=None):
    """A fresh CA (key + certificate) for cases the committed certificates do not cover."""
    from tui_client.sample_certs.generate import new_ca

    now = now or dt.datetime.now(dt.timezone.utc)
    return new_ca(name, now - dt.timedelta(days=3650), now + dt.timedelta(days=3650))


def throwaway_office(ca, office_number="1370100011", name="Test office", *, days_from=-1, days=365,
                     key=None, kind="office"):
    from tui_client.core import certs
    from tui_client.sample_certs.generate import issue, office_name

    now = dt.datetime.now(dt.timezone.utc)
    nb = now + dt.timedelta(days=days_from)
    key, cert = issue(ca, office_name(office_number, name), nb, nb + dt.timedelta(days=days), key=key,
                      kind=kind)
    return certs.Keystore(key, cert, (ca.cert,), name)


# --- fixtures ---------------------------------------------------------------------------------------

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
