"""The hand-written DER of the CMS writer matches a general ASN.1 encoder (asn1crypto) exactly."""

import datetime as dt

import pytest
from asn1crypto import cms as acms
from asn1crypto import core

from tui_client.core import cms

JST = dt.timezone(dt.timedelta(hours=9))


def _reference_attributes(digest: bytes, when: dt.datetime) -> bytes:
    """The attributes' DER contents (sorted, as DER's SET OF requires), built by asn1crypto."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    when = when.astimezone(dt.timezone.utc).replace(microsecond=0)
    choice = {"utc_time": when} if 1950 <= when.year < 2050 else {"generalized_time": when}
    attrs = [
        acms.CMSAttribute({"type": "content_type", "values": ["data"]}).dump(),
        acms.CMSAttribute({"type": "signing_time", "values": [acms.Time(choice)]}).dump(),
        acms.CMSAttribute({"type": "message_digest", "values": [digest]}).dump(),
    ]
    return b"".join(sorted(attrs))


@pytest.mark.parametrize("when", [
    dt.datetime(2025, 4, 25, 10, 30, 0, 123456, tzinfo=dt.timezone.utc),
    dt.datetime(2025, 4, 25, 8, 0, 0, tzinfo=JST),          # 2025-04-24 23:00 UTC
    dt.datetime(2025, 4, 25, 10, 30, 0),                    # naive: read as UTC
    dt.datetime(1950, 1, 1, 0, 0, 0, tzinfo=dt.timezone.utc),
    dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
    dt.datetime(2050, 1, 1, 0, 0, 0, tzinfo=dt.timezone.utc),
    dt.datetime(1949, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc),
])
def test_signed_attributes_match_a_general_encoder(when):
    digest = bytes(range(32))
    ours = cms._signed_attributes(digest, when)
    outer = core.load(ours, strict=True)
    assert (outer.class_, outer.tag) == (0, 17) and outer.contents == _reference_attributes(digest, when)
    parsed = acms.CMSAttributes.load(ours)
    values = {a["type"].native: a["values"][0].native for a in parsed}
    assert values["message_digest"] == digest and values["content_type"] == "data"
    expected = (when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)).replace(microsecond=0)
    assert values["signing_time"] == expected


@pytest.mark.parametrize("n", [0, 1, 127, 128, 255, 256, 2 ** 63, 2 ** 159 + 12345, -1, -128, -129])
def test_integers_match_a_general_encoder(n):
    assert cms._int(n) == core.Integer(n).dump()
