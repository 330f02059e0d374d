"""Filename grammar: both forms, every kind, and every name finding."""

import pytest

from tui_client.core.spec import KINDS, parse_filename
from tui_client.core.spec.filenames import build_filename

# Examples from the spec digest (../shared/spec/README.md §2).
SPEC_EXAMPLES = [
    ("UPPLAN_201912_0300000100_0300000005_20191025200201.CSV", "UPPLAN", "V3", "201912"),
    ("UPJSK_201912_0300000005_0300000100_20191025200201.CSV", "UPJSK", "V3", "201912"),
    ("UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV", "UP1KYO", "V4", None),
    ("UPHOSOKU_000000_0300000100_43_0300000005_11_20191025200201.CSV", "UPHOSOKU", "V4", "000000"),
    ("UPHOSOKU_201909_0300000100_43_0300000005_11_20191025200201.CSV", "UPHOSOKU", "V4", "201909"),
    ("UPJSK_201912_0300000005_43_0300000100_11_20191025200201.CSV", "UPJSK", "V4", "201912"),
    ("UPHOSOKU_202505_2725060001_43_2725060002_15_20250317182009.csv", "UPHOSOKU", "V4", "202505"),
]


@pytest.mark.parametrize("name,prefix,form,month", SPEC_EXAMPLES)
def test_spec_examples(name, prefix, form, month):
    parsed, findings = parse_filename(name)
    assert parsed is not None, findings
    assert (parsed.prefix, parsed.form, parsed.month) == (prefix, form, month)
    assert not [f for f in findings if f.blocks_sending]


def test_real_world_example_decodes_parties():
    p, _ = parse_filename("UPHOSOKU_202505_2725060001_43_2725060002_15_20250317182009.csv")
    assert (p.sender, p.sender_service, p.recipient, p.recipient_service) == ("2725060001", "43", "2725060002", "15")
    assert p.serial == "20250317182009"
    assert p.mailbox == ("2725060002", "15")
    assert p.group == "use_set"


KIND_FORMS = [(p, f) for p in sorted(KINDS) for f in ("V3", "V4") if f == "V4" or KINDS[p].since == "V3"]


@pytest.mark.parametrize("prefix,form", KIND_FORMS)
def test_every_kind_round_trips_through_build_and_parse(prefix, form):
    kind = KINDS[prefix]
    v4 = form == "V4"
    name = build_filename(prefix, "2712300011", "2712300029", "20250425103000",
                          month="202505" if kind.has_month else None,
                          sender_service="43" if v4 else None, recipient_service="A2" if v4 else None,
                          branch="0001" if prefix == "UPKIHON_IMAGE" else None)
    parsed, findings = parse_filename(name)
    assert parsed is not None, findings
    assert parsed.kind is kind and parsed.form == form
    assert parsed.recipient_service == ("A2" if v4 else None)


def test_longest_prefix_wins():
    p, _ = parse_filename("UPKIHON_SUB1_2702300015_46_2712300029_A2_20250320100000.CSV")
    assert p.prefix == "UPKIHON_SUB1"
    p, _ = parse_filename("UPYOBO_SUB_2702300015_46_2712300029_A2_20250320100000.CSV")
    assert p.prefix == "UPYOBO_SUB"


def test_extension_is_case_insensitive_and_paths_are_ignored():
    p, f = parse_filename(r"C:\\連携\\出力\\upplan_202505_2712300011_43_2712300029_11_20250425103000.csv")
    assert p is not None and p.prefix == "UPPLAN", f


def test_full_width_digits_are_not_digits():
    _, f = parse_filename("UPPLAN_202505_２７１２３０００１１_43_2712300029_11_20250425103000.CSV")
    assert [x.code for x in f] == ["E-NAME-003"]


def test_three_digit_service_code_of_v4_0_is_refused_with_its_reason():
    _, f = parse_filename("UPPLAN_202505_2712300011_043_2712300029_11_20250425103000.CSV")
    assert [(x.code, x.param("reason")) for x in f] == [("E-NAME-004", "three_digits")]


def test_v3_name_after_april_2025_warns():
    p, f = parse_filename("UPPLAN_202505_2712300011_2712300029_20250425103000.CSV")
    assert p is not None and [x.code for x in f] == ["W-NAME-014"]
    p, f = parse_filename("UPPLAN_202503_2712300011_2712300029_20250225103000.CSV")
    assert p is not None and f == []


@pytest.mark.parametrize("name", ["", ".", "_", "UPPLAN", "UPPLAN_.CSV", "UPPLAN____.CSV", "ＵＰＰＬＡＮ.CSV",
                                  "UPPLAN_202505_2712300011_43_2712300029_11_20250425103000.CSV.bak"])
def test_broken_names_give_findings_not_exceptions(name):
    parsed, findings = parse_filename(name)
    assert parsed is None and findings and all(f.blocks_sending for f in findings)


@pytest.mark.parametrize("value, ok", [
    ("20250425103000", True), ("20240229235959", True), ("20250229000000", False),
    ("20251301000000", False), ("20250431000000", False), ("20250425240000", False),
    ("20250425106000", False), ("00000425103000", False), ("2025042510300", False),
    ("２０２５０４２５１０３０００", False), ("2025-4-25 10:3", False),
])
def test_timestamps_are_real_dates_in_ascii_digits(value, ok):
    from tui_client.core.spec.filenames import valid_timestamp

    assert valid_timestamp(value) is ok


def test_message_names_take_ascii_digits_only():
    from tui_client.core.route import route

    assert route("MSG_1370100011_1370100029_20250425103000_0a1b2c3d.MSG")[0] is not None
    assert route("MSG_１370100011_1370100029_20250425103000_0a1b2c3d.MSG")[0] is None
    assert route("MSG_1370100011_1370100029_２0250425103000_0a1b2c3d.MSG")[0] is None
