"""Catalogue entries of the façade (`office/`) and the client store: states, lists, statuses."""

FINDINGS = {
    "E-SEND-010": ("同じ名前で内容の違うファイルを、すでに送っています（{value}）。同じ名前では送り直せません。",
                   "訂正したファイルは、介護ソフトで新しいファイル連番（作成日時）にして出力し直してください。"
                   "相手がまだ受け取っていなければ、前のファイルは取り下げられます（tsunagi status --withdraw 名前）。"),
    "E-SEND-011": ("「{value}」は、取り下げられる送信済みのファイルではありません。",
                   "tsunagi status で名前と状態を確かめてください。"),
}

TEXT = {
    "state.inbox.new": "新着",
    "state.inbox.seen": "確認済み",
    "state.inbox.saved": "保存済み",
    "state.outbox.waiting": "送信待ち",
    "state.outbox.sent": "送信済み",
    "state.outbox.received": "受信済み",
    "state.outbox.error": "エラー",
    "state.outbox.withdrawn": "取り下げ",
    "send.already_sent": "前に送ったものと同じファイルです。送り直しません（{count}件）:",
    "send.flushing": "送信待ちの{count}件を送ります。",
    "send.cancelled_midway": "途中でやめました。残りは送信待ちにあります。",
    "status.withdrawn": "取り下げました: {name}",
    "status.discarded": "エラーの棚から外しました: {name}",
    "status.not_in_outbox": "「{name}」は送信待ちにもエラーの棚にもありません。",
    "archive.header": "保管: {total}件中 {first}〜{last}件目",
    "archive.none": "条件に合うものはありません。",
    "archive.arg.month": "対象年月（YYYYMM）で絞り込みます",
    "archive.arg.user": "被保険者番号または氏名で絞り込みます",
    "archive.arg.partner": "相手の事業所番号で絞り込みます",
    "archive.arg.kind": "ファイルの種類（UPPLAN など、メッセージは MSG）で絞り込みます",
    "archive.arg.text": "名前・件名・相手の名前・利用者で探します",
    "archive.arg.direction": "sent（送った）または received（受け取った）",
    "archive.arg.page": "ページ（1から）",
    "archive.help": "送ったもの・受け取ったものの保管を探します",
    "net.arg.withdraw": "相手がまだ受け取っていない送信済みのファイルを取り下げます",
    "net.arg.discard": "エラーの棚からファイルを外します（送りません）",
}
