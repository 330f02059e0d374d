"""Code tables of the standard (../shared/spec/codes.md), as data.

Values marked unconfirmed in the digest are kept, with a note, because real files carry them.
"""

from __future__ import annotations

from typing import Dict, NamedTuple


class ServiceType(NamedTuple):
    name: str
    in_scope: bool      # inside the linkage scope ([V4-spec] §1.3, §1.4)
    side: str           # "kaigo" 介護給付, "yobo" 予防給付, "sogo" 総合事業, "cm" care management


def _table(side: str, rows: str) -> Dict[str, ServiceType]:
    out = {}
    for line in rows.strip().splitlines():
        code, name, scope = line.split("|")
        out[code.strip()] = ServiceType(name.strip(), scope.strip() == "○", side)
    return out


SERVICE_TYPES: Dict[str, ServiceType] = {}
SERVICE_TYPES.update(_table("kaigo", """
11|訪問介護|○
12|訪問入浴介護|○
13|訪問看護|○
14|訪問リハビリテーション|○
15|通所介護|○
16|通所リハビリテーション|○
17|福祉用具貸与|○
21|短期入所生活介護|○
22|短期入所療養介護（介護老人保健施設）|○
23|短期入所療養介護（介護療養型医療施設等）|○
2A|短期入所療養介護（介護医療院）|○
31|居宅療養管理指導|○
71|夜間対応型訪問介護|○
76|定期巡回・随時対応型訪問介護看護|○
72|認知症対応型通所介護|○
78|地域密着型通所介護|○
73|小規模多機能型居宅介護|○
68|小規模多機能型居宅介護（短期利用）|○
77|看護小規模多機能型居宅介護|○
79|看護小規模多機能型居宅介護（短期利用）|○
33|特定施設入居者生活介護|×
27|特定施設入居者生活介護（短期利用）|○
36|地域密着型特定施設入居者生活介護|×
28|地域密着型特定施設入居者生活介護（短期利用）|○
32|認知症対応型共同生活介護（短期利用以外）|×
38|認知症対応型共同生活介護（短期利用）|○
41|特定福祉用具販売|×
42|住宅改修|×
51|介護福祉施設サービス|×
52|介護保健施設サービス|×
53|介護療養施設サービス|×
54|地域密着型介護老人福祉施設入所者生活介護|×
59|特定介護サービス等|×
81|市町村特別給付|×
"""))
SERVICE_TYPES.update(_table("yobo", """
62|介護予防訪問入浴介護|○
63|介護予防訪問看護|○
64|介護予防訪問リハビリテーション|○
66|介護予防通所リハビリテーション|○
67|介護予防福祉用具貸与|○
24|介護予防短期入所生活介護|○
25|介護予防短期入所療養介護（介護老人保健施設）|○
26|介護予防短期入所療養介護（介護療養型医療施設等）|○
2B|介護予防短期入所療養介護（介護医療院）|○
34|介護予防居宅療養管理指導|○
74|介護予防認知症対応型通所介護|○
75|介護予防小規模多機能型居宅介護|○
69|介護予防小規模多機能型居宅介護（短期利用）|○
35|介護予防特定施設入居者生活介護|×
37|介護予防認知症対応型共同生活介護（短期利用以外）|×
39|介護予防認知症対応型共同生活介護（短期利用）|○
44|特定介護予防福祉用具販売|×
45|介護予防住宅改修|×
"""))
SERVICE_TYPES.update(_table("sogo", """
A1|訪問型サービス（みなし）|○
A2|訪問型サービス（独自）|○
A3|訪問型サービス（独自／定率）|○
A4|訪問型サービス（独自／定額）|○
A5|通所型サービス（みなし）|○
A6|通所型サービス（独自）|○
A7|通所型サービス（独自／定率）|○
A8|通所型サービス（独自／定額）|○
"""))
# Care-management codes used in file names. 46 and AF are unconfirmed in the sources (codes.md §1.4).
SERVICE_TYPES.update(_table("cm", """
43|居宅介護支援|○
46|介護予防支援|○
AF|介護予防ケアマネジメント|○
"""))

#: Sender-side codes of a care-management office (居宅介護支援 / 介護予防支援 / ケアマネジメント).
CARE_MANAGEMENT_TYPES = frozenset(code for code, t in SERVICE_TYPES.items() if t.side == "cm")

#: Service types that are one service seen from another benefit: 介護給付 ↔ 予防給付 ↔ 総合事業.
#: A file naming one while its rows carry the other is suspicious but may be right (warn, not block).
_TWINS = (("12", "62"), ("13", "63"), ("14", "64"), ("16", "66"), ("17", "67"), ("21", "24"), ("22", "25"),
          ("23", "26"), ("2A", "2B"), ("31", "34"), ("72", "74"), ("73", "75"), ("68", "69"), ("38", "39"),
          ("11", "A1", "A2", "A3", "A4"), ("15", "A5", "A6", "A7", "A8"))
RELATED_TYPES = {code: frozenset(group) - {code} for group in _TWINS for code in group}

#: 福祉用具貸与 types: TAISコード or 福祉用具届出コード must be set (第6表 No.16–17).
WELFARE_EQUIPMENT_TYPES = frozenset({"17", "67"})

CARE_LEVEL = {"06": "事業対象者", "12": "要支援１", "13": "要支援２", "21": "要介護１", "22": "要介護２",
              "23": "要介護３", "24": "要介護４", "25": "要介護５"}
CARE_LEVEL_KIHON = {**{k: v for k, v in CARE_LEVEL.items() if k != "06"}, "01": "非該当"}
PLAN_CLASS = {"11": "初回", "12": "紹介", "21": "継続", "51": "初回＆紹介", "52": "初回＆継続",
              "53": "紹介＆継続", "54": "初回＆紹介＆継続"}
CERT_STATUS = {"1": "申請中", "2": "認定済"}
LIVING_SUPPORT_REASON = {"1": "一人暮らし", "2": "家族等が障害、疾病等", "3": "その他"}
INSURED = {"Y": "対象", "N": "対象外"}
SEX = {"1": "男性", "2": "女性"}
WEEKDAY = {"1": "月", "2": "火", "3": "水", "4": "木", "5": "金", "6": "土", "7": "日"}
OVER_30_DAYS = {"1": "該当", "0": "非該当"}
YES_NO_10 = {"1": "該当", "0": "非該当"}
HAVE_12 = {"1": "有", "2": "無"}
NEED_12 = {"1": "要", "2": "否"}
PLAN_KIND = {"1": "介護予防支援", "2": "介護予防ケアマネジメント"}
ENTRUSTED = {"1": "自前", "2": "委託"}
CONSULT_METHOD = {"01": "来所", "02": "電話", "03": "その他"}
CONSULT_COUNT = {"01": "初回", "02": "再来"}
PRESENT_STATE = {"01": "在宅", "02": "入院又は入所中"}
DISABLED_ELDERLY = {"01": "自立", "11": "J1", "12": "J2", "21": "A1", "22": "A2", "31": "B1", "32": "B2",
                    "41": "C1", "42": "C2"}
DEMENTIA_ELDERLY = {"01": "自立", "02": "Ⅰ", "03": "Ⅱａ", "04": "Ⅱｂ", "05": "Ⅲａ", "06": "Ⅲｂ", "07": "Ⅳ",
                    "08": "Ｍ"}
CHECKLIST_RESULT = {"1": "事業対象者の該当あり", "2": "該当なし"}
HOUSING = {"01": "自宅", "02": "借家", "03": "一戸建て", "04": "集合住宅", "05": "自宅・一戸建て",
           "06": "自宅・集合住宅", "07": "借家・一戸建て", "08": "借家・集合住宅"}
DOCTOR_FLAG = {"1": "主治医", "2": "それ以外"}
COURSE = {"01": "治療中", "02": "経過観察中", "03": "その他"}
SUPPORT_LEVEL = {"1": "要支援１", "2": "要支援２", "3": "地域支援事業"}

#: CSVバージョン values a receiver accepts (spec README §7). 202407 is the one to emit for V4.
KNOWN_CSV_VERSIONS = {"201910": "V1", "202003": "V2", "202208": "V3", "202407": "V4", "202504": "V4"}
CSV_VERSION_V4 = "202407"
CSV_VERSION_V3 = "202208"

#: 第7表 サービスコード markers for subtotal and total rows.
SUBTOTAL_SUFFIXES = ("AAAA", "EEEE", "ZZZZ")
GRAND_TOTAL_CODE = "999999"
GRAND_TOTAL_OFFICE = "9999999999"


def insurer_check_digit_ok(number: str) -> bool:
    """保険者番号 check digit (codes.md §4; the rule's use for 介護保険 is unconfirmed: warn only)."""
    if len(number) != 6 or not number.isascii() or not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number[:-1])):
        p = int(ch) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    check = (10 - total % 10) % 10
    return check == int(number[-1])
