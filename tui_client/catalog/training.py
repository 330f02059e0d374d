"""Catalogue entries of the trainer's sandbox (`tsunagi training`): scenario problems, the step panel,
the handout and the classroom view."""

FINDINGS = {
    "E-TRAIN-001": ("練習の台本「{file}」の{line}行目が読めません（{reason}）。",
                    "その行の書き方を確かめてください。文字は \"…\" で囲み、表は [[step]] で始めます（docs/training.md）。"),
    "E-TRAIN-002": ("練習の台本「{file}」の{line}行目: 「{key}」という項目は使えません。",
                    "使える項目は id, title, goal, role, world, step です。綴りを確かめてください。"),
    "E-TRAIN-003": ("練習の台本「{file}」の{line}行目あたり: 「{key}」がありません。",
                    "{key} = \"…\" を台本の先頭に書いてください。"),
    "E-TRAIN-004": ("練習の台本「{file}」の{line}行目: id「{value}」は使えません。",
                    "id は半角の小文字・数字・ハイフンで、41文字までにしてください（例: first-send）。"),
    "E-TRAIN-005": ("練習の台本「{file}」の{line}行目: role「{value}」はありません。",
                    "role は次のどれかにしてください: {choices}。"),
    "E-TRAIN-006": ("練習の台本「{file}」の{line}行目: world の「{value}」は用意できません。",
                    "world は次のものを [\"…\", \"…\"] の形で並べてください: {choices}。"),
    "E-TRAIN-007": ("練習の台本「{file}」の{line}行目: 手順（[[step]]）がありません。",
                    "[[step]] の下に do = \"…\" と until = \"…\" を書いて、手順を一つ以上作ってください。"),
    "E-TRAIN-008": ("練習の台本「{file}」の{line}行目（{step}番目の手順）: 「{key}」という項目は使えません。",
                    "手順で使える項目は do, until, args, hint, done, mistake です（mistake では when, args, say）。"),
    "E-TRAIN-009": ("練習の台本「{file}」の{line}行目（{step}番目の手順）: 「{key}」がありません。",
                    "{key} = \"…\" をこの手順に書いてください。"),
    "E-TRAIN-010": ("練習の台本「{file}」の{line}行目（{step}番目の手順）: 確かめ方の args が合いません（{reason}）。",
                    "docs/training.md の確かめ方の一覧で、使える args を確かめてください。"),
    "E-TRAIN-011": ("練習の台本「{file}」の{line}行目（{step}番目の手順）: 確かめ方「{value}」はありません。",
                    "次のどれかにしてください: {choices}。"),
    "E-TRAIN-012": ("練習の台本「{file}」の{line}行目（{step}番目の手順）: まちがいの書き方が足りません。",
                    "[[step.mistake]] には when = \"確かめ方\" と say = \"説明\" の両方を書いてください。"),
    "E-TRAIN-013": ("練習の台本「{file}」を開けません（{reason}）。",
                    "ファイルの場所と名前を確かめてください。"),
    "E-TRAIN-014": ("練習の台本「{file}」の文字コードが UTF-8 ではありません。",
                    "メモ帳などで「UTF-8」を選んで保存し直してください。"),
    "W-TRAIN-015": ("練習の台本「{file}」の id「{value}」は、「{other}」と同じです。こちらを使います。",
                    "別の練習にするなら、id を変えてください。"),
    "E-TRAIN-016": ("練習「{value}」はありません。",
                    "tsunagi training list で、使える練習の id を確かめてください。"),
}

TEXT = {
    "explain.md.area.TRAIN": "練習の台本",
    "ph.key": "項目",
    "ph.step": "手順の番号",
    "ph.choices": "使えるもの",
    "ph.other": "もう一つの台本",
    "cli.help.training": "練習用の環境（中継サーバーとデモの事業所）で、台本に沿って練習します",
    "training.arg.action": "list（練習の一覧）、start（練習を始める）、reset（やり直す）、check（台本を確かめる）、room（教室の様子）",
    "training.arg.scenario": "練習の id、または台本ファイル（check のとき）",
    "training.arg.dir": "練習用のフォルダー（省略すると、この PC の練習用フォルダー）",
    "training.arg.seat": "席の名前（教室で一人ずつ分けるとき。例: 席01）",
    "training.arg.scenarios": "追加の台本があるフォルダー",
    "training.list.header": "使える練習:",
    "training.list.line": "  {id:<20} {title}（{steps}手順）",
    "training.check.ok": "台本「{file}」に問題はありません（{steps}手順）。",
    "training.reset.done": "練習「{title}」をはじめからにしました（{dir}）。",
    "training.room.header": "教室の様子（{dir}）:",
    "training.room.line": "  {seat:<10} {title}  {step}/{steps}  {state}  まちがい {mistakes}件",
    "training.room.last": "      最後のまちがい: {say}",
    "training.room.none": "  まだ誰も練習していません。",
    "training.room.finished": "おわり",
    "training.room.working": "練習中",
    "training.panel.title": "練習「{title}」 手順 {counter}",
    "training.panel.hint": "ヒント: {hint}",
    "training.panel.mistake": "！ {say}",
    "training.panel.finished": "◎ この練習はおわりです。おつかれさまでした。",
    "training.panel.done": "✓ {done}",
    "training.panel.review": "ふりかえり: まちがいが{count}回ありました。",
    "training.panel.fixed": "介護ソフトで直したファイルを書き出しました（{count}件）。",
    "action.training.hint": "ヒント",
    "action.training.fix": "練習: 介護ソフトで直す",
    "action.training.restart": "練習をはじめから",
    "training.args.unknown": "「{keys}」は使えません。使えるのは {known} です",
    "training.args.missing": "「{keys}」がありません",
    "training.args.type.int": "{name} は数字で書いてください（\"…\" で囲みません）",
    "training.args.type.str": "{name} は \"…\" で囲んで書いてください",
    "training.handout": (
        "練習用の配布資料\n"
        "================\n\n"
        "あなたの事業所: {name}（事業所番号 {office}）\n\n"
        "設定の画面（F8）に、次のとおり入れてください。\n\n"
        "  証明書のファイル: {keystore}\n"
        "  パスワード: {password}\n"
        "  中継サーバーのアドレス: {relay}\n"
        "  認証局のファイル: {ca}\n\n"
        "介護ソフトが書き出すフォルダー: {export}\n"
        "介護ソフトが取り込むフォルダー: {imports}\n\n"
        "これは練習用です。本物の証明書やパスワードではありません。\n"
    ),
}
