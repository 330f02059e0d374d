"""Catalogue entries of the Textual app (`ui/`): tabs, screens, keys, notices."""

FINDINGS = {}

TEXT = {
    # tabs
    "tab.home": "ホーム",
    "tab.inbox": "受信",
    "tab.outbox": "送信",
    "tab.batch": "一括送信",
    "tab.compose": "新規作成",
    "tab.drafts": "下書き",
    "tab.archive": "保管庫",
    # app-wide actions
    "action.refresh": "更新",
    "action.setup": "設定の確認",
    "action.settings": "設定",
    "action.theme": "配色",
    "action.palette": "コマンド",
    "action.quit": "終了",
}
