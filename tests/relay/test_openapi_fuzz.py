"""The relay's OpenAPI description is in sync with the app, and Schemathesis-generated requests
(valid and invalid, for every operation) against a real relay over TLS never get a server error.

``TSUNAGI_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 100); the number of cases
sent is printed (run with -s to see it) and written to the relay's temporary folder."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_openapi_json_is_in_sync():
    from relay.conftest import need_relay_extras

    need_relay_extras()
    from tui_client.relay.openapi import render

    assert (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8") == render(), \
        "regenerate: python -m tui_client.relay.openapi > docs/openapi.json"


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_schemathesis_finds_no_server_error(relay, office_client, tmp_path):
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    from tui_client import sample_certs
    from tui_client.core import seal

    cm, home = office_client("cm"), office_client("homecare")
    # Some real items, so that generated ids sometimes meet real state.
    for i in range(3):
        name = f"UPJSK_202505_{home.number}_11_{cm.number}_43_2025060209300{i}.CSV"
        sealed, _ = seal.seal(b"x", name, home.keystore, [sample_certs.certificate("cm")])
        home.client.upload(name, bytes(sealed))

    schemathesis.serializer.alias(["application/pkcs7-mime", "application/pkcs7-signature"],
                                  "application/octet-stream")
    examples = int(os.environ.get("TSUNAGI_FUZZ_EXAMPLES", "100"))
    schema = schemathesis.openapi.from_dict(json.loads((ROOT / "docs" / "openapi.json").read_text()))
    counts = {"cases": 0, "server_errors": 0, "unsendable": 0}
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        op = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = op.as_strategy(generation_mode=mode)

            @given(case=strategy)
            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case):
                try:
                    resp = case.call(base_url=relay.url, session=cm.client.session, timeout=15)
                except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError,
                        UnicodeError):
                    counts["unsendable"] += 1     # requests itself refuses to send it
                    return
                counts["cases"] += 1
                if resp.status_code >= 500:
                    counts["server_errors"] += 1
                    failures.append((case.method, case.formatted_path, resp.status_code, resp.text[:200]))

            try:
                check()
            except Unsatisfiable:  # e.g. no invalid request exists for an operation without inputs
                counts["no_negative_form"] = counts.get("no_negative_form", 0) + 1
    report = {"operations": operations, **counts, "examples_per_operation_and_mode": examples}
    print("\nschemathesis:", report)
    (relay.home / "schemathesis.json").write_text(json.dumps(report))
    assert operations == 12
    assert counts["cases"] > operations * 10
    assert failures == [], failures[:5]
