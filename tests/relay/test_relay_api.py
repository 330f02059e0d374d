"""The relay over real TLS on loopback: upload, routing, idempotency, mailbox, receipt, deletion.
Runs against SQLite and PostgreSQL (the ``database`` fixture)."""

from __future__ import annotations

import pytest

from tui_client.core import receipts, seal, wire
from tui_client.transport.client import TransportError

UPJSK = "UPJSK_202505_{s}_{ss}_{r}_{rs}_20250602093000.CSV"


def _seal(sender, recipient_cert, name, content=b"1,2,3\r\n", **kw):
    sealed, findings = seal.seal(content, name, sender.keystore, [recipient_cert], **kw)
    assert sealed is not None, findings
    return bytes(sealed)


def test_file_travels_and_content_is_deleted_after_receipt(office_client, trust):
    from tui_client import sample_certs

    cm, home = office_client("cm"), office_client("homecare")
    name = UPJSK.format(s=home.number, ss="11", r=cm.number, rs="43")
    sealed = _seal(home, sample_certs.certificate("cm"), name)
    up = home.client.upload(name, sealed)
    assert not up.duplicate
    again = home.client.upload(name, sealed)                      # idempotent: same id, nothing new
    assert again.id == up.id and again.duplicate

    listed = cm.client.mailbox()
    assert [i.name for i in listed] == [name] and listed[0].sender == home.number
    data = cm.client.download(up.id)
    assert data == sealed
    opened, findings = seal.open_sealed(data, name, cm.keystore, trust)
    assert opened is not None, findings
    assert bytes(opened.content) == b"1,2,3\r\n"
    rec = receipts.make_receipt(name, opened.content_digest, cm.keystore)
    info = cm.client.acknowledge(up.id, rec)
    assert info.state == wire.RECEIVED
    assert cm.client.acknowledge(up.id, rec).state == wire.RECEIVED    # idempotent
    assert cm.client.mailbox() == []
    with pytest.raises(TransportError) as exc:
        cm.client.download(up.id)
    assert exc.value.code == wire.GONE                                  # content is gone

    sent = {i.id: i for i in home.client.sent()}
    assert sent[up.id].state == wire.RECEIVED
    back = home.client.receipt(up.id)
    ok, findings = receipts.verify_receipt(back, name, opened.content_digest, trust)
    assert ok is not None, findings


def test_refusals_are_clear(office_client):
    from tui_client import sample_certs

    cm, home = office_client("cm"), office_client("homecare")
    cm_cert = sample_certs.certificate("cm")
    good = UPJSK.format(s=home.number, ss="11", r=cm.number, rs="43")

    def code(fn):
        with pytest.raises(TransportError) as exc:
            fn()
        return exc.value.code, exc.value.retry

    # the certificate says homecare, the name says cm
    forged = UPJSK.format(s=cm.number, ss="43", r=home.number, rs="11")
    assert code(lambda: home.client.upload(forged, _seal(home, cm_cert, good))) == (wire.SENDER_MISMATCH, False)
    assert code(lambda: home.client.upload("hello.csv", _seal(home, cm_cert, good))) == (wire.BAD_NAME, False)
    unknown = UPJSK.format(s=home.number, ss="11", r="1399999999", rs="43")
    assert code(lambda: home.client.upload(unknown, _seal(home, cm_cert, good))) == (wire.UNKNOWN_RECIPIENT, False)
    no_site = UPJSK.format(s=home.number, ss="11", r=cm.number, rs="15")
    assert code(lambda: home.client.upload(no_site, _seal(home, cm_cert, good))) == (wire.UNKNOWN_SERVICE, False)
    assert code(lambda: home.client.upload(good, b"plain,csv\r\n")) == (wire.NOT_SEALED, False)
    sealed = _seal(home, cm_cert, good)
    assert code(lambda: home.client.upload(good, sealed, digest="0" * 64)) == (wire.BAD_DIGEST, False)
    home.client.upload(good, sealed)
    other = _seal(home, cm_cert, good, content=b"other")
    assert code(lambda: home.client.upload(good, other)) == (wire.NAME_CONFLICT, False)


def test_every_pc_of_an_office_sees_the_same_inbox(office_client):
    """day-main and day-annex are two sites (two PCs, two certificates) of one office number."""
    from tui_client import sample_certs

    cm, main, annex = office_client("cm"), office_client("day-main"), office_client("day-annex")
    assert main.number == annex.number
    name = f"UPPLAN_202505_{cm.number}_43_{main.number}_15_20250425103000.CSV"
    up = cm.client.upload(name, _seal(cm, sample_certs.certificate("day-main"), name))
    assert [i.id for i in main.client.mailbox()] == [up.id]
    assert [i.id for i in annex.client.mailbox()] == [up.id]            # not only the first PC
    main.client.download(up.id)
    assert [i.id for i in annex.client.mailbox()] == [up.id]            # still there until receipted


def test_directory_and_self_registration(office_client):
    cm = office_client("cm")
    entries = {e.office: e for e in cm.client.directory(["1370100029", "1370100037", "1399999999"])}
    assert entries["1370100029"].on_system and entries["1370100029"].services == ["11"]
    assert len(entries["1370100029"].certificates) == 2                 # rollover: old and new
    assert not entries["1399999999"].on_system
    me = cm.client.register_self(["43", "46"], "demo")
    assert me.services == ["43", "46"] and me.on_system


def test_sites_of_one_office_number_get_their_own_mailboxes(office_client):
    """An office runs home help (11) and day care (15) under one number: one batch reaches both
    sites, each site's PC lists its own mailbox, and office-wide items (V3 names) reach both."""
    from tui_client import sample_certs

    cm, home = office_client("cm"), office_client("homecare")
    home.client.register_self(["11", "15"])
    cert = sample_certs.certificate("homecare")
    ids = {}
    for svc, serial in (("11", "20250425100000"), ("15", "20250425100100")):
        name = f"UPPLAN_202505_{cm.number}_43_{home.number}_{svc}_{serial}.CSV"
        ids[svc] = cm.client.upload(name, _seal(cm, cert, name)).id
    v3 = f"UPPLAN_202504_{cm.number}_{home.number}_20250325100000.CSV"
    ids["office"] = cm.client.upload(v3, _seal(cm, cert, v3)).id
    assert {i.id for i in home.client.mailbox("11")} == {ids["11"], ids["office"]}
    assert {i.id for i in home.client.mailbox("15")} == {ids["15"], ids["office"]}
    assert {i.id for i in home.client.mailbox()} == set(ids.values())
    bad = f"UPPLAN_202505_{cm.number}_43_{home.number}_78_20250425100200.CSV"
    with pytest.raises(TransportError) as exc:
        cm.client.upload(bad, _seal(cm, cert, bad))
    assert exc.value.code == wire.UNKNOWN_SERVICE


def test_size_limit(database, tmp_path):
    from relay.conftest import DemoOffice, RelayProcess
    from tui_client import sample_certs

    relay = RelayProcess(database, tmp_path, extra=["--max-item-mb", "1"]).start()
    cm = DemoOffice("cm", relay.url)
    try:
        name = "UPPLAN_202505_1370100011_43_1370100029_11_20250425103000.CSV"
        big = _seal(cm, sample_certs.certificate("homecare"), name, content=b"x" * (1024 * 1024 + 1))
        with pytest.raises(TransportError) as exc:
            cm.client.upload(name, big)
        assert exc.value.code == wire.TOO_LARGE and not exc.value.retry
        small = _seal(cm, sample_certs.certificate("homecare"), name, content=b"x" * 1000)
        assert not cm.client.upload(name, small).duplicate
    finally:
        cm.close()
        relay.stop()


def test_several_relay_processes_share_one_database(database, tmp_path, trust):
    """Two relay processes (say, behind a TCP load balancer) on one database: an item uploaded
    through one is listed, downloaded and acknowledged through the other, and a retried upload that
    lands on the other process still gets the first id."""
    from relay.conftest import DemoOffice, RelayProcess
    from tui_client import sample_certs

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = RelayProcess(database, tmp_path / "a").start()
    b = RelayProcess(database, tmp_path / "b", workers=2).start()
    offices = []
    try:
        cm_a, cm_b = DemoOffice("cm", a.url), DemoOffice("cm", b.url)
        hc_b = DemoOffice("homecare", b.url)
        offices = [cm_a, cm_b, hc_b]
        name = "UPPLAN_202505_1370100011_43_1370100029_11_20250425103000.CSV"
        sealed = _seal(cm_a, sample_certs.certificate("homecare"), name)
        first = cm_a.client.upload(name, sealed)
        again = cm_b.client.upload(name, sealed)
        assert again.id == first.id and again.duplicate
        assert [i.id for i in hc_b.client.mailbox()] == [first.id]
        opened, _ = seal.open_sealed(hc_b.client.download(first.id), name, hc_b.keystore, trust)
        hc_b.client.acknowledge(first.id, receipts.make_receipt(name, opened.content_digest, hc_b.keystore))
        assert [i.state for i in cm_a.client.sent()] == [wire.RECEIVED]
    finally:
        for o in offices:
            o.close()
        a.stop()
        b.stop()


def office_tls(office):
    """A client TLS context presenting the office's certificate (as its RelayClient does)."""
    from cryptography.hazmat.primitives import serialization

    from tui_client import sample_certs
    from tui_client.transport.client import tls_context

    return tls_context(str(sample_certs.path("demo-ca.cert.pem")),
                       office.keystore.certificate.public_bytes(serialization.Encoding.PEM), office.keystore.key)


def _raw(office, method: str, path: str, body: bytes = b"", headers=None):
    """One request over the office's TLS context, straight to the relay: (status, JSON body)."""
    import http.client
    import json
    from urllib.parse import urlsplit

    url = urlsplit(office.client.base_url)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=office_tls(office), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


@pytest.mark.parametrize("prefix", ["../", "x/", "x\\", "/", "..\\..\\"])
def test_upload_names_must_be_bare_file_names(office_client, prefix):
    """The filename grammar reads the last path part only: a name with a folder part used to be
    stored under the bare name. It is refused, naming the field, and nothing is stored."""
    from urllib.parse import quote

    from tui_client import sample_certs

    cm, home = office_client("cm"), office_client("homecare")
    bare = UPJSK.format(s=home.number, ss="11", r=cm.number, rs="43")
    sealed = _seal(home, sample_certs.certificate("cm"), bare)
    status, body = _raw(home, "POST", f"{wire.ITEMS}?name={quote(prefix + bare, safe='')}", sealed,
                        {wire.H_DIGEST: wire.digest(sealed), "Content-Type": wire.CONTENT_TYPE_SEALED})
    assert status == 422 and body["error"]["code"] == wire.BAD_NAME
    assert wire.error_field(body) == "name"
    assert cm.client.mailbox() == [] and home.client.sent() == []


def test_a_refusal_names_the_field_that_is_wrong(office_client):
    """A 300-character office name used to be answered "services must be 2-character service-type
    codes". Each refusal now names its field, and the client still reads code and detail."""
    import json

    cm = office_client("cm")

    def put(body):
        return _raw(cm, "PUT", wire.DIRECTORY_SELF, json.dumps(body).encode(), {"Content-Type": "application/json"})

    status, body = put({"services": ["43"], "name": "あ" * 300})
    assert status == 422 and wire.error_field(body) == "name" and "name" in body["error"]["detail"]
    assert "services" not in body["error"]["detail"]
    status, body = put({"services": ["4"], "name": ""})
    assert status == 422 and wire.error_field(body) == "services"
    status, body = put({"services": "43", "name": ""})  # not a list: the validator's refusal
    assert status == 422 and wire.error_field(body) == "services"
    assert wire.parse_error_body(body)[0] == wire.BAD_PARAMETER

    status, body = _raw(cm, "GET", wire.MAILBOX + "?service=x")
    assert status == 422 and wire.error_field(body) == "service"
    status, body = _raw(cm, "GET", wire.MAILBOX + "?wait=-1")
    assert status == 422 and wire.error_field(body) == "wait"
    status, body = _raw(cm, "GET", wire.DIRECTORY_ENTRY.format(office="12"))
    assert status == 422 and wire.error_field(body) == "office"
    status, body = _raw(cm, "GET", wire.DIRECTORY + "?offices=1,2")
    assert status == 422 and wire.error_field(body) == "offices"
    status, body = _raw(cm, "POST", wire.ITEMS + "?name=hello.csv", b"x", {wire.H_DIGEST: "0" * 64})
    assert status == 422 and wire.error_field(body) == "name"
    name = UPJSK.format(s=cm.number, ss="43", r="1370100029", rs="11")
    status, body = _raw(cm, "POST", f"{wire.ITEMS}?name={name}", b"x", {wire.H_DIGEST: "nothex"})
    assert status == 400 and wire.error_field(body) == wire.H_DIGEST
    assert cm.client.register_self(["43"], "あ" * 200).name == "あ" * 200   # the limit itself is fine


def test_every_route_checks_the_caller_through_one_dependency():
    """The office-certificate check is one FastAPI dependency (``calling_office``) that every route
    of the API declares, not a check repeated in each handler."""
    from relay.conftest import need_relay_extras

    need_relay_extras()
    from fastapi.routing import APIRoute

    from tui_client.relay.app import calling_office, create_app
    from tui_client.relay.storage import SQLiteStorage

    def calls(dependant) -> set:
        found = {dependant.call}
        for d in dependant.dependencies:
            found |= calls(d)
        return found

    routes = [r for r in create_app(SQLiteStorage(":memory:")).routes if isinstance(r, APIRoute)]
    assert len(routes) == 12  # with the batch acknowledgement
    missing = [r.path for r in routes if calling_office not in calls(r.dependant)]
    assert missing == []


def test_item_info_has_one_definition_and_the_api_description_is_made_from_it():
    import dataclasses

    from relay.conftest import need_relay_extras

    need_relay_extras()
    from tui_client.relay.app import create_app
    from tui_client.relay.storage import SQLiteStorage

    schemas = create_app(SQLiteStorage(":memory:")).openapi()["components"]["schemas"]
    described = {k for k, v in schemas.items() if set(v.get("properties", {})) >= {"digest", "recipient_service"}}
    assert described == {"ItemInfo"}
    assert list(schemas["ItemInfo"]["properties"]) == [f.name for f in dataclasses.fields(wire.ItemInfo)]
    item_list = schemas["ItemList"]["properties"]["items"]["items"]
    assert item_list == {"$ref": "#/components/schemas/ItemInfo"}
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "detail", "retry", "findings", "field"}
