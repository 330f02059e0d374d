"""Catalogue entries of the façade (`office/`) and the client store: states, lists, statuses."""

FINDINGS = {}

TEXT = {
    "state.inbox.new": "新着",
    "state.inbox.seen": "確認済み",
    "state.inbox.saved": "保存済み",
    "state.outbox.waiting": "送信待ち",
    "state.outbox.sent": "送信済み",
    "state.outbox.received": "受信済み",
    "state.outbox.error": "エラー",
    "state.outbox.withdrawn": "取り下げ",
}
