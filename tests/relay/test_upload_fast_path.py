"""The upload fast path in front of FastAPI reads the query as the documented route does."""

from urllib.parse import parse_qs

import pytest

from tui_client.relay.app import _name_parameter

NAME = "UPPLAN_202505_1370100011_43_1370100029_11_20250425100000.CSV"


@pytest.mark.parametrize("qs", [
    b"name=" + NAME.encode(), b"name=" + NAME.replace("_", "%5F").encode(), b"name=a+b", b"x=1&name=" + NAME.encode(),
    b"name=", b"", b"name", b"name=%E3%81%82.CSV", b"name=%ZZ", b"name=a&name=b",
])
def test_the_name_parameter_reads_as_parse_qs_does(qs):
    expected = parse_qs(qs.decode("latin-1"), keep_blank_values=True).get("name", [""])[0]
    assert _name_parameter(qs) == expected
