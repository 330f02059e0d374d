"""Record layouts per file kind and spec revision, as data (../shared/spec/layouts.md).

Each layout is a table of fields ``No | 項目名 | type | length | required | rules``:

* type: ``ver`` CSVバージョン, ``insurer`` 保険者番号, ``insured`` 被保険者番号, ``date`` YYYYMMDD,
  ``date0`` date or 00000000, ``month`` YYYYMM, ``month0`` month or 000000, ``time`` HHMM,
  ``time9`` HHMM or 9999 (no time), ``num`` digits, ``snum`` digits with an optional minus,
  ``dec`` 99.99, ``office`` 事業所番号, ``text`` free text, ``code:TABLE`` a code from core.spec.codes,
  ``svc`` サービス種類コード, ``svccode`` サービスコード, ``svctotal`` サービスコード or a 第7表
  subtotal/total marker, ``zip`` 郵便番号, ``tel`` 電話番号, ``days31`` 日割対象日, ``tais`` TAIS or
  届出コード, ``unused`` 識別子 (not used).
* length: the maximum length in characters; 0 means no stated limit (free text "―").
* required: ``R`` required, ``R?`` probably required (rebuilt from scrambled text: a missing value
  warns instead of blocking), empty = optional.
* rules: ``key1``/``key2``/``key3`` mark the link keys that tie a bundle together (spec README §4);
  ``=month`` says the value must equal the file name's month.

A new spec revision is a new table: add it to ``LAYOUTS`` and both stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple


@dataclass(frozen=True)
class Field:
    no: int
    name: str
    type: str
    length: int
    required: str      # "R", "R?" or ""
    rules: Tuple[str, ...]

    @property
    def key_rank(self) -> Optional[int]:
        for r in self.rules:
            if r.startswith("key"):
                return int(r[3:])
        return None


@dataclass(frozen=True)
class Layout:
    prefix: str
    revision: str          # "V3" or "V4"
    fields: Tuple[Field, ...]

    @property
    def width(self) -> int:
        return len(self.fields)

    def key_columns(self) -> Tuple[int, ...]:
        """0-based column indexes of the link key, in key order."""
        ranked = sorted((f.key_rank, f.no - 1) for f in self.fields if f.key_rank is not None)
        return tuple(i for _, i in ranked)

    def field_named(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _parse(table: str) -> Tuple[Field, ...]:
    fields = []
    for line in table.strip().splitlines():
        no, name, ftype, length, req, rules = (p.strip() for p in line.split("|"))
        fields.append(Field(int(no), name, ftype, int(length or 0), req,
                            tuple(r for r in rules.split(",") if r)))
    expected = list(range(1, len(fields) + 1))
    if [f.no for f in fields] != expected:
        raise ValueError("layout numbering has a gap")
    return tuple(fields)


def _drop(fields: Tuple[Field, ...], drop_nos: Tuple[int, ...], **lengths: int) -> Tuple[Field, ...]:
    """An older revision: the same table without columns a later one inserted, renumbered."""
    out = []
    for f in fields:
        if f.no in drop_nos:
            continue
        length = lengths.get(f"no{f.no}", f.length)
        out.append(Field(len(out) + 1, f.name, f.type, length, f.required, f.rules))
    return tuple(out)


# --- 利用者補足情報 UPHOSOKU (63) -------------------------------------------------------------
_slots = "\n".join(
    f"{20 + 4 * (n - 1)}|{'１２３４５６７８９'[n - 1]}サービス種類コード|svc|2||\n"
    f"{21 + 4 * (n - 1)}|{'１２３４５６７８９'[n - 1]}支給限度基準額|num|7||\n"
    f"{22 + 4 * (n - 1)}|{'１２３４５６７８９'[n - 1]}合計単位数|num|7||\n"
    f"{23 + 4 * (n - 1)}|{'１２３４５６７８９'[n - 1]}限度超単位数|num|7||"
    for n in range(1, 10))

UPHOSOKU = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|居宅サービス計画作成（変更）日|date0|8|R|
5|利用者氏名フリガナ|text|0|R?|
6|利用者氏名|text|0|R?|
7|利用者性別|code:SEX|1|R?|
8|利用者生年月日|date|8|R?|
9|利用者郵便番号|zip|8||
10|利用者住所１|text|0||
11|利用者住所２|text|0||
12|利用者電話番号|tel|15||
13|認定日|date|8||
14|限度額適用開始年月日|date|8||
15|限度額適用終了年月日|date|8||
16|認定状況区分|code:CERT_STATUS|1||
17|要介護状態変更日|date|8||
18|要介護状態区分|code:CARE_LEVEL|2||
19|区分支給限度基準額|num|7||
""" + _slots + """
56|合計限度超単位数|num|7||
57|入所前月迄利用日数|num|5||
58|入所累積利用日数|num|5||
59|前回要介護状態区分|code:CARE_LEVEL|2||
60|同意書受付業者|office|10||
61|更新業者コード|office|10||
62|識別子|unused|1||
63|対象年月|month0|6|R|=month
""")

# --- 第1表 UP1KYO (28) -------------------------------------------------------------------------
UP1KYO = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|作成年月日|date|8|R|
5|利用者郵便番号|zip|8||
6|利用者住所１|text|0||
7|利用者住所２|text|0||
8|居宅サービス計画作成者氏名|text|0|R?|
9|介護支援事業者名|text|0|R?|
10|介護支援事業者郵便番号|zip|8||
11|介護支援事業者住所１|text|0||
12|介護支援事業者住所２|text|0||
13|介護支援事業者コード|office|10|R?|
14|居宅サービス計画作成（変更）日|date|8|R?|key3
15|初回居宅サービス計画作成日|date|8|R?|
16|計画書区分|code:PLAN_CLASS|2||
17|認定状況区分|code:CERT_STATUS|1||
18|認定日|date|8||
19|認定有効期間開始日|date|8||
20|認定有効期間終了日|date|8||
21|要介護状態区分|code:CARE_LEVEL|2||
22|利用者及び家族の生活に対する意向を踏まえた課題分析の結果|text|0||
23|介護認定審査会の意見及びサービスの種類の指定|text|0||
24|総合的な援助の方針|text|0||
25|生活援助中心型の算定理由|code:LIVING_SUPPORT_REASON|1||
26|その他理由|text|0||
27|更新業者コード|office|10||
28|識別子|unused|1||
""")

DLT1KYO = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|居宅サービス計画作成（変更）日|date|8|R|key3
""")

UP2KYO = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|居宅計画書作成年月日|date|8|R|
5|居宅サービス計画作成（変更）日|date|8|R|key3
6|課題ＮＯ|num|2||
7|課題|text|0||
8|援助目標ＮＯ|num|2||
9|長期目標|text|0||
10|短期目標|text|0||
11|長期期間|text|0||
12|短期期間|text|0||
13|援助内容ＮＯ|num|2||
14|サービス内容|text|0||
15|保険対象区分|code:INSURED|1||
16|サービス種別|text|0||
17|サービス事業者コード|office|10||
18|サービス事業所名|text|0||
19|頻度|text|0||
20|実施期間|text|0||
21|更新業者コード|office|10||
22|識別子|unused|1||
""")

UP3KYO = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|週間サービス計画表作成年月日|date|8|R|
5|居宅サービス計画作成（変更）日|date|8|R|key3
6|介護サービス内容|text|0||
7|曜日|code:WEEKDAY|1||
8|開始時間|time|4||
9|終了時間|time|4||
10|主な日常生活上の活動|text|0||
11|開始時間|time|4||
12|終了時間|time|4||
13|週単位以外のサービス|text|0||
""")

# --- 第6表 予定 UPPLAN / 実績 UPJSK (25) ----------------------------------------------------------
# No.19 明細判別コード: no length in the extraction; 2 as in [impl] (unconfirmed).
UPPLAN = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|作成年月日|date|8|R|
5|対象年月|month|6|R|key3,=month
6|プラン担当業者コード|office|10|R?|
7|プラン担当者名|text|0|R?|
8|単位数|snum|6||
9|前月までの短期入所利用日数|num|5||
10|サービス利用日|date|8|R|
11|日割対象日|days31|31||
12|サービス開始時刻|time9|4|R|
13|サービス終了時刻|time9|4|R|
14|サービス回数|num|2|R|
15|サービスコード|svccode|6|R|
16|TAISコード|tais|12||
17|福祉用具届出コード|tais|12||
18|用具名称（機種名）|text|0||
19|明細判別コード|num|2||
20|サービス事業者コード|office|10|R|
21|サービス事業所名|text|0||
22|サテライト枝番|text|2||
23|３０日超区分|code:OVER_30_DAYS|1|R|
24|更新業者コード|office|10||
25|識別子|unused|1||
""")

DLTPLAN = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|削除対象年月|month|6|R|key3,=month
""")

DLTJSK = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|削除対象年月|month|6|R|key3,=month
5|サービス事業者コード|office|10|R|
6|サービス種類コード|svc|2|R|
""")

# --- 第7表 UPSIKYU (37) --------------------------------------------------------------------------
# No.30 前月までの利用日数: 2 in the V4 extraction, 5 after the V3.2 change note: accept up to 5.
UPSIKYU = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|作成年月日|date|8|R|
5|対象年月|month|6|R|key3,=month
6|サービス事業所名|text|0||
7|サービス事業所コード|office|10|R|
8|サテライト枝番|text|2||
9|サービスコード|svctotal|6|R|
10|TAISコード|tais|12||
11|福祉用具届出コード|tais|12||
12|用具名称（機種名）|text|0||
13|単位数|snum|6|R|
14|割引後率|num|5||
15|割引後単位数|snum|6||
16|回数／日数|num|3|R|
17|サービス単位金額|num|5||
18|給付管理単位数|snum|6||
19|種類支給限度基準を超える単位数|num|6||
20|種類支給限度基準内単位数|num|6||
21|区分支給限度基準を超える単位数|num|6||
22|区分支給限度基準内単位数|num|6||
23|単位数単価|dec|6||
24|費用総額（保険／事業対象分）|num|6||
25|給付率|num|6||
26|保険／事業費請求額|num|6||
27|定額利用者負担単価金額|num|6||
28|利用者負担（保険／事業対象分）|num|6||
29|利用者負担（全額負担分）|num|6||
30|前月までの利用日数|num|5||
31|当月の計画利用日数|num|2||
32|累積利用日数|num|5||
33|３０日超区分|code:OVER_30_DAYS|1|R?|
34|事業所コード|office|10||
35|入力者コード|office|10||
36|更新業者コード|office|10||
37|識別子|unused|1||
""")

# --- Prevention side (V4 only) -----------------------------------------------------------------
_KIHON_CONTACTS = "\n".join(
    f"{46 + 4 * (n - 1)}|緊急連絡先{n} 氏名|text|0||\n"
    f"{47 + 4 * (n - 1)}|緊急連絡先{n} 続柄|text|0||\n"
    f"{48 + 4 * (n - 1)}|緊急連絡先{n} 住所|text|0||\n"
    f"{49 + 4 * (n - 1)}|緊急連絡先{n} 電話番号|tel|15||"
    for n in range(1, 5))

UPKIHON = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|相談日|date|8|R|key3
5|計画種類|code:PLAN_KIND|1|R|
6|委託の有無|code:ENTRUSTED|1|R?|
7|作成担当者|text|0||
8|相談方法|code:CONSULT_METHOD|2||
9|相談方法(その他の内容)|text|0||
10|相談回数|code:CONSULT_COUNT|2||
11|前回相談日|date|8||
12|利用者の現況|code:PRESENT_STATE|2||
13|利用者の現況(状況補足)|text|0||
14|利用者氏名ﾌﾘｶﾞﾅ|text|0|R|
15|利用者氏名|text|0|R|
16|利用者性別|code:SEX|1|R|
17|利用者生年月日|date|8|R|
18|利用者住所|text|0||
19|利用者電話番号|tel|15||
20|利用者Fax番号|tel|15||
21|障害高齢者の日常生活自立度|code:DISABLED_ELDERLY|2||
22|認知症高齢者の日常生活自立度|code:DEMENTIA_ELDERLY|2||
23|要介護状態区分|code:CARE_LEVEL_KIHON|2||
24|認定有効期限開始日|date|8||
25|認定有効期間終了日|date|8||
26|前回の介護度|code:CARE_LEVEL_KIHON|2||
27|基本チェックリスト記入結果|code:CHECKLIST_RESULT|1||
28|基本チェックリスト記入日|date|8||
29|障害等認定（身障）|code:YES_NO_10|1||
30|障害等認定（療育）|code:YES_NO_10|1||
31|障害等認定（精神）|code:YES_NO_10|1||
32|障害等認定（難病）|code:YES_NO_10|1||
33|障害等認定特記事項|text|0||
34|居住形態|code:HOUSING|2||
35|自室の階数|num|2||
36|住宅改修の有無|code:HAVE_12|1||
37|経済状況（国民年金）|code:YES_NO_10|1||
38|経済状況（厚生年金）|code:YES_NO_10|1||
39|経済状況（障害年金）|code:YES_NO_10|1||
40|経済状況（生活保護）|code:YES_NO_10|1||
41|経済状況詳細|text|0||
42|来所者(相談者) 氏名|text|0||
43|来所者(相談者) 住所|text|0||
44|来所者(相談者) 電話番号|tel|15||
45|来所者(相談者) 続柄|text|0||
""" + _KIHON_CONTACTS + """
62|家族構成 画像ファイル名|text|0||
63|家族関係等の状況|text|0||
64|今までの生活|text|0||
65|１日の生活・すごし方(生活全般)|text|0||
66|趣味・楽しみ・特技|text|0||
67|友人・地域との関係|text|0||
68|現在利用している公的サービス|text|0||
69|現在利用している非公的サービス|text|0||
70|同意日|date|8||
71|同意者氏名|text|0||
""")

UPKIHON_SUB1 = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|相談日|date|8|R|key3
5|時間|text|0||
6|本人の生活状況|text|0||
7|介護者・家族の生活状況|text|0||
""")

UPKIHON_SUB2 = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|相談日|date|8|R|key3
5|年月日|text|0||
6|病名|text|0||
7|医療機関・医師名|text|0||
8|主治医・意見作成者フラグ|code:DOCTOR_FLAG|1||
9|医療機関・医師電話番号|tel|15||
10|経過|code:COURSE|2||
11|治療中の内容|text|0||
""")

DLTKIHON = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|相談日|date|8|R|key3
""")

_DOMAINS = ("運動・移動", "日常生活(家庭生活)", "社会参加、対人関係・コミュニケーション", "健康管理")
_YOBO_DOMAINS = "\n".join(
    f"{24 + 4 * i}|【{d}】現在の状況|text|0||\n"
    f"{25 + 4 * i}|【{d}】本人・家族の意欲・意向|text|0||\n"
    f"{26 + 4 * i}|【{d}】領域における課題の有無|code:HAVE_12|1||\n"
    f"{27 + 4 * i}|【{d}】課題（背景・原因）|text|0||"
    for i, d in enumerate(_DOMAINS))
_CHECKS = ("運動不足", "栄養改善", "口腔内ケア", "閉じこもり予防", "物忘れ予防", "うつ予防")
_YOBO_CHECKS = "\n".join(
    [f"{43 + i}|基本チェックリストの該当数（{c}）|num|1||" for i, c in enumerate(_CHECKS)]
    + [f"{49 + i}|事業プログラムの要否（{c}）|code:NEED_12|1||" for i, c in enumerate(_CHECKS)])

UPYOBO = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|計画作成(変更)日|date|8|R|key3
5|計画種類|code:PLAN_KIND|1|R|
6|委託の有無|code:ENTRUSTED|1|R?|
7|整理番号|text|0||
8|利用者名|text|0|R|
9|認定年月日|date|8||
10|認定有効期間開始日|date|8||
11|認定有効期間終了日|date|8||
12|計画書区分|code:PLAN_CLASS|2||
13|認定状況区分|code:CERT_STATUS|1||
14|要支援状態区分|code:SUPPORT_LEVEL|1||
15|計画作成者氏名（地域包括支援センター担当者名）|text|0||
16|計画作成者氏名（担当介護支援専門員名）|text|0||
17|計画作成者事業者・事業所名|text|0||
18|計画作成者事業者・事業所住所|text|0||
19|計画作成者事業者・事業所電話番号|tel|15||
20|初回作成日|date|8||
21|担当地域包括支援センター|text|0||
22|目標とする生活(1日)|text|0||
23|目標とする生活(1年)|text|0||
""" + _YOBO_DOMAINS + """
40|健康状態の留意点|text|0||
41|妥当な支援の実施に向けた方針|text|0||
42|総合的な方針|text|0||
""" + _YOBO_CHECKS + """
55|地域包括支援センター意見|text|0||
56|同意日|date|8||
57|同意者氏名|text|0||
""")

UPYOBO_SUB = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|計画作成(変更)日|date|8|R|key3
5|課題ＮＯ|num|2||
6|総合的課題|text|0||
7|課題に対する目標と具体策の提案|text|0||
8|具体策についての意向 本人・家族|text|0||
9|目標|text|0||
10|支援計画ＮＯ|num|2||
11|【支援計画】目標についての支援のポイント|text|0||
12|【支援計画】本人等のセルフケアや家族の支援、インフォーマルサービス（民間サービス）|text|0||
13|【支援計画】介護保険サービス又は地域支援事業（総合事業のサービス）|text|0||
14|利用サービスＮＯ|num|2||
15|【利用サービス】サービス種別|text|0||
16|【利用サービス】事業所(利用先)|text|0||
17|【利用サービス】期間|text|0||
""")

DLTYOBO = _parse("""
1|CSVバージョン|ver|6|R|
2|保険者番号|insurer|6|R|key1
3|被保険者番号|insured|10|R|key2
4|計画作成(変更)日|date|8|R|key3
""")

# V3 (vol.1156): 第6表 without No.16–18 (22 columns), 第7表 without No.10–12 and with a
# 2-character 回数／日数 (34 columns). The V3 tables were not readable; these are inferred (README §7).
UPPLAN_V3 = _drop(UPPLAN, (16, 17, 18))
UPSIKYU_V3 = _drop(UPSIKYU, (10, 11, 12), no16=2)

_V4 = {
    "UPHOSOKU": UPHOSOKU, "UP1KYO": UP1KYO, "DLT1KYO": DLT1KYO, "UP2KYO": UP2KYO, "UP3KYO": UP3KYO,
    "UPPLAN": UPPLAN, "UPJSK": UPPLAN, "DLTPLAN": DLTPLAN, "DLTJSK": DLTJSK, "UPSIKYU": UPSIKYU,
    "UPKIHON": UPKIHON, "UPKIHON_SUB1": UPKIHON_SUB1, "UPKIHON_SUB2": UPKIHON_SUB2,
    "DLTKIHON": DLTKIHON, "UPYOBO": UPYOBO, "UPYOBO_SUB": UPYOBO_SUB, "DLTYOBO": DLTYOBO,
}
_V3 = {
    "UPHOSOKU": UPHOSOKU, "UP1KYO": UP1KYO, "DLT1KYO": DLT1KYO, "UP2KYO": UP2KYO,
    "UPPLAN": UPPLAN_V3, "UPJSK": UPPLAN_V3, "DLTPLAN": DLTPLAN, "DLTJSK": DLTJSK,
    "UPSIKYU": UPSIKYU_V3,
}

#: (prefix, revision) → Layout
LAYOUTS: Dict[Tuple[str, str], Layout] = {}
for _rev, _table in (("V4", _V4), ("V3", _V3)):
    for _prefix, _fields in _table.items():
        LAYOUTS[(_prefix, _rev)] = Layout(_prefix, _rev, _fields)

#: Where each kind's ``=sender``/``=recipient`` checks differ from its table (UPPLAN and UPJSK share
#: one layout but flow in opposite directions). Column No. → which party of the file name it names.
PARTY_COLUMNS: Dict[str, Dict[str, str]] = {
    "UPPLAN": {"プラン担当業者コード": "sender", "更新業者コード": "sender"},
    "UPJSK": {"プラン担当業者コード": "recipient", "サービス事業者コード": "sender",
              "更新業者コード": "sender"},
    "UPSIKYU": {"更新業者コード": "sender"},
    "UP1KYO": {"介護支援事業者コード": "sender"},
    "DLTJSK": {"サービス事業者コード": "sender"},
}


def layouts_for(prefix: str):
    """Every layout of a kind, newest first: the column count tells which one a file uses."""
    return [LAYOUTS[(prefix, rev)] for rev in ("V4", "V3") if (prefix, rev) in LAYOUTS]
