"""Catalogue entries for several PCs of one office sharing one inbox (the relay's delivery per PC,
`relay/storage.py`; the inbox's other-PC mark, `ui/screens/inbox.py`, `ui/screens/preview.py`)."""

FINDINGS: dict = {}

TEXT = {
    "net.arg.keep_received_days": (
        "受信済みの内容を事業所の他のPC向けに中継に残す日数（既定 31。0 なら最初の受信確認で削除）"),
    # inbox detail line and preview header: another PC of the office acknowledged the item first
    "pcs.other_pc_received": "他のPCで受信済み（{time}）",
}
