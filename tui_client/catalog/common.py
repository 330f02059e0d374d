"""Catalogue entries shared by every face: locations, severities, generic words."""

FINDINGS = {
    # A network call stopped on purpose (the app closing, the user pressing 中止): transport.client.
    # Kept here, not in transport.py, because it belongs to no one screen or command.
    "E-NET-007": ("中継サーバーとのやりとりを途中で止めました。",
                  "もう一度送受信してください。送る予定のファイルは送信待ちに残っています。"),
}

TEXT = {
    "finding.unknown": "不明な指摘です（コード {code}）。",
    "where.row": "{row}行目",
    "where.column": "{column}列目（{letter}列）",
    "severity.error": "エラー",
    "severity.warning": "注意",
}

TEXT.update({
    "cli.description": "つなぎ — ケアプランデータ連携のファイルを確かめて、送って、受け取ります。",
    "cli.help.check": "CSVファイルを送る前に確かめます（ファイルかフォルダを指定）。",
    "cli.help.explain": "指摘コード（例: E-NAME-001）の意味と直し方を表示します。",
    "cli.help.sample": "練習用・試験用のサンプルファイルを作ります。",
})
