"""The upload fast path in front of FastAPI reads the query and writes its answer without the
general parsers: it must read and write exactly what they do."""

from urllib.parse import parse_qs

import json

import pytest

from tui_client.core import wire

from .conftest import need_relay_extras

need_relay_extras()  # the module imports the relay's app, which needs FastAPI
from tui_client.relay.app import _name_parameter, _payload, _upload_answer, bare_name_problem

NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250425100000.CSV"


@pytest.mark.parametrize("qs", [
    b"name=" + NAME.encode(), b"name=" + NAME.replace("_", "%5F").encode(), b"name=a+b", b"x=1&name=" + NAME.encode(),
    b"name=", b"", b"name", b"name=%E3%81%82.CSV", b"name=%ZZ", b"name=a&name=b",
])
def test_the_name_parameter_reads_as_parse_qs_does(qs):
    expected = parse_qs(qs.decode("latin-1"), keep_blank_values=True).get("name", [""])[0]
    assert _name_parameter(qs) == expected


@pytest.mark.parametrize("duplicate", [False, True])
def test_the_upload_answer_is_the_wire_format(duplicate):
    item_id = "0123456789abcdef0123456789abcdef"
    text = _upload_answer(item_id, duplicate)
    assert json.loads(text) == wire.UploadResult(item_id, duplicate).to_json()
    assert json.loads(_payload(text)) == json.loads(text)
    refusal = wire.error_body(wire.BAD_NAME, "bad", ("E-NAME-001",), "name")
    assert json.loads(_payload(refusal)) == refusal


@pytest.mark.parametrize("name, bare", [
    (NAME, True), ("../" + NAME, False), ("x/" + NAME, False), ("x\\" + NAME, False), ("/" + NAME, False),
    (NAME + "\x00", False), ("\n" + NAME, False), ("", False), ("あ.CSV", True),
])
def test_a_name_is_bare_or_refused(name, bare):
    assert (bare_name_problem(name) is None) == bare
