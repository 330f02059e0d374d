"""`tsunagi receive --to DIR`: received files land in a folder under their own names, messages as a
text file plus their attachments, with names from other offices made safe."""

from __future__ import annotations

import os

import pytest

from relay.test_cli_transport import tsunagi
from relay.test_office_e2e import open_office
from tui_client import office as office_mod
from tui_client.core import wire


@pytest.mark.parametrize("name, safe", [
    ("memo.txt", "memo.txt"), ("../../evil.txt", "evil.txt"), ("C:\\Windows\\win.ini.txt", "win.ini.txt"),
    ("CON.txt", "_CON.txt"), ("nul", "_nul"), ("a<b>c:d|e?.pdf", "a_b_c_d_e_.pdf"), ("...", "attachment"),
    ("  .hidden.png  ", "hidden.png"), ("name. . ", "name"), ("報告\x00書.pdf", "報告_書.pdf"),
    ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
])
def test_names_from_other_offices_are_made_safe(name, safe):
    assert wire.safe_file_name(name) == safe


def _files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


def test_received_files_and_messages_land_in_the_folder(relay, tmp_path):
    from tui_client.core import samples

    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    office_mod.setup_demo_office("homecare", relay.url, home)
    hc = samples.SampleOffice("1370100029", "11", "hc")
    files = samples.use_bundle("202505", hc, samples.users(2), sender=samples.SampleOffice("1370100011", "43", "cm"),
                               providers=[hc], serial="20250425103000")
    assert len(cm.send(files).sent) == len(files)
    rep = cm.send_message("1370100029", "6月分の予定", "よろしくお願いします。\n担当: 山田",
                          recipient_service="11",
                          attachments=[("../../evil.txt", b"not outside"), ("CON.txt", b"device"),
                                       ("写真.jpg", b"\xff\xd8\xff")])
    assert len(rep.sent) == 1, rep.findings
    # Another client's message with an attachment type we do not accept.
    odd = wire.encode_message(wire.Message("s", "t", (wire.Attachment("tool.exe", b"MZ"),)))
    from tui_client.core import route

    odd_name = route.message_name("1370100011", "1370100029", sender_service="43", recipient_service="11")
    assert cm.queue(odd_name, odd, kind=wire.KIND_MESSAGE) == []
    cm.flush()
    cm.close()

    out = tmp_path / "受信フォルダー"
    r = tsunagi(home, "receive", "--office", "1370100029", "--to", out)
    assert r.returncode == 1, r.stdout + r.stderr          # W-RECV-004 for tool.exe
    assert "W-RECV-004" in r.stdout and f"保存先: {out}" in r.stdout
    names = _files_under(out)
    for name, data in files:
        assert (out / name).read_bytes() == data
    texts = [n for n in names if n.startswith("MSG_") and n.endswith(".txt") and len(n.split("_")) <= 7]
    assert len(texts) == 2, names
    body = next((out / n).read_bytes() for n in texts if n != odd_name[:-4] + ".txt")
    assert body.startswith("\ufeff".encode("utf-8")) and "件名: 6月分の予定\r\n".encode("utf-8") in body
    assert "担当: 山田".encode("utf-8") in body and b"\n" not in body.replace(b"\r\n", b"")
    assert any(n.endswith("_evil.txt") for n in names) and any(n.endswith("__CON.txt") for n in names)
    assert any(n.endswith("_写真.jpg") for n in names) and not any(n.endswith(".exe") for n in names)
    assert _files_under(tmp_path / "受信フォルダー") == names and not (tmp_path / "evil.txt").exists()

    # Again: nothing new arrives and nothing is written twice.
    r = tsunagi(home, "receive", "--office", "1370100029", "--to", out)
    assert r.returncode == 0, r.stdout + r.stderr
    assert _files_under(out) == names


def test_a_folder_that_cannot_be_written_is_reported_and_caught_up_later(relay, tmp_path):
    home = str(tmp_path / "pcs")
    cm = open_office("cm", relay, home)
    office_mod.setup_demo_office("homecare", relay.url, home)
    assert len(cm.send_message("1370100029", "件名", "本文", recipient_service="11").sent) == 1
    cm.close()
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    r = tsunagi(home, "receive", "--office", "1370100029", "--to", blocked)
    assert r.returncode == 2 and "E-RECV-005" in r.stdout, r.stdout + r.stderr
    assert "受け取り 1件" in r.stdout          # received and acknowledged all the same
    good = tmp_path / "good"
    r = tsunagi(home, "receive", "--office", "1370100029", "--to", good)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(_files_under(good)) == 1 and _files_under(good)[0].endswith(".txt")
