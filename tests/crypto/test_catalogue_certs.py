"""Every certificate/seal/receipt code has a Japanese message and fix, and is triggered by a test."""

import re
from pathlib import Path

from tui_client.catalog import certs as catalogue
from tui_client.catalog import finding_message
from tui_client.core.findings import make

HERE = Path(__file__).resolve().parent


def test_every_code_is_triggered_by_a_test():
    sources = "".join(p.read_text(encoding="utf-8") for p in HERE.glob("test_*.py")
                      if p.name != Path(__file__).name)
    missing = [code for code in catalogue.FINDINGS if code not in sources]
    assert missing == []


def test_codes_are_well_formed_and_messages_japanese():
    for code, (message, fix) in catalogue.FINDINGS.items():
        assert re.fullmatch(r"[EW]-(CERT|SEAL|RCPT)-\d{3}", code)
        assert re.search(r"[ぁ-んァ-ン一-龥]", message) and fix


def test_messages_fill_with_the_params_the_core_gives():
    f = make("E-CERT-005", "cm.p12", value="2026-01-01", role="sender")
    message, _ = finding_message(f)
    assert "送信元" in message and "2026-01-01" in message and "?" not in message
    f = make("W-CERT-012", "cm.p12", value="2026-01-01", days=20, role="own")
    message, _ = finding_message(f)
    assert "20" in message and "この事業所" in message
