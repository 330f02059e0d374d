"""Catalogue entries shared by every face: locations, severities, generic words."""

FINDINGS = {}

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
