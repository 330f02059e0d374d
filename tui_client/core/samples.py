"""Realistic sample files of every kind, valid and with known defects.

Used by the tests, the benchmarks, the demo and trainers (``tsunagi sample``). Everything is made
from the layout tables, written as the standard asks (cp932, CRLF, free text quoted, no header), and
is deterministic for a given seed. The people are invented; names include characters such as 髙 and
﨑 that real files carry and that strict Shift_JIS cannot encode.

``DEFECTS`` maps every content/name finding code to a function that makes a set of files showing
exactly that defect, so each code is proven by a real file.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from tui_client.core.spec.codes import CSV_VERSION_V3, CSV_VERSION_V4, insurer_check_digit_ok
from tui_client.core.spec.filenames import build_filename
from tui_client.core.spec.layouts import LAYOUTS, Layout

NamedFile = Tuple[str, bytes]


@dataclass(frozen=True)
class SampleOffice:
    number: str
    service: str
    name: str


CARE_MANAGER = SampleOffice("2712300011", "43", "つなぎ居宅介護支援センター")
HOME_HELP = SampleOffice("2712300029", "11", "さくら訪問介護事業所")
DAY_CARE = SampleOffice("2712300037", "15", "ひまわりデイサービス")
PROVIDERS = (HOME_HELP, DAY_CARE)

# Service codes per type: (code, units, name). Plausible values; the master code table is not ours.
_SERVICES = {
    "11": [("111111", 244, "身体介護１"), ("112111", 183, "生活援助２"), ("111211", 387, "身体介護２")],
    "15": [("151111", 658, "通所介護Ⅰ１"), ("155011", 40, "入浴介助加算Ⅰ")],
    "13": [("131111", 313, "訪問看護Ⅰ２")],
    "17": [("171001", 300, "車いす貸与"), ("171007", 150, "手すり貸与")],
    "78": [("781111", 753, "地域密着型通所介護")],
}

_SURNAMES = [("髙橋", "タカハシ"), ("山﨑", "ヤマサキ"), ("佐藤", "サトウ"), ("鈴木", "スズキ"),
             ("田中", "タナカ"), ("渡邉", "ワタナベ"), ("伊藤", "イトウ"), ("中村", "ナカムラ")]
_GIVEN = [("ハナ", "ハナ"), ("一郎", "イチロウ"), ("キヨ", "キヨ"), ("正雄", "マサオ"), ("トミ", "トミ"),
          ("幸子", "サチコ"), ("茂", "シゲル"), ("フミ", "フミ")]


def insurer_number(seed: int) -> str:
    """A 6-digit 保険者番号 with a valid check digit (prefecture 27)."""
    body = f"27{seed % 1000:03d}"
    for d in range(10):
        if insurer_check_digit_ok(body + str(d)):
            return body + str(d)
    raise AssertionError("unreachable: one check digit always fits")


@dataclass(frozen=True)
class SampleUser:
    insurer: str
    insured: str
    name: str
    kana: str
    sex: str
    birth: str
    care_level: str


def users(n: int, seed: int = 0) -> List[SampleUser]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        sur, sur_k = _SURNAMES[i % len(_SURNAMES)]
        giv, giv_k = _GIVEN[(i * 3 + seed) % len(_GIVEN)]
        insured = f"H{100000000 + i:09d}" if i == 3 else f"{1000000000 + seed * 1000 + i:010d}"
        out.append(SampleUser(insurer_number(120 + i % 3), insured, f"{sur}　{giv}",
                              f"{sur_k}　{giv_k}", "1" if i % 2 else "2",
                              f"19{30 + rnd.randrange(20)}{rnd.randrange(1, 13):02d}{rnd.randrange(1, 28):02d}",
                              ["21", "22", "23", "12", "24"][i % 5]))
    return out


# --- writing ----------------------------------------------------------------------------------

_QUOTED_TYPES = ("text", "tel", "zip", "tais")


def render(layout: Layout, records: Sequence[Mapping[str, str]], *, version: Optional[str] = None) -> str:
    """Records (field name → value; missing fields empty) as CSV text in layout order, CRLF-ended.
    Free text is always quoted, as the standard asks; any other value only when it must be."""
    version = version or (CSV_VERSION_V4 if layout.revision == "V4" else CSV_VERSION_V3)
    lines = []
    for rec in records:
        cells = []
        for f in layout.fields:
            v = rec.get(f.name, version if f.no == 1 else "")
            if (f.type in _QUOTED_TYPES and (v or f.type == "text")) or any(ch in v for ch in ',"\r\n'):
                cells.append('"' + v.replace('"', '""') + '"')
            else:
                cells.append(v)
        lines.append(",".join(cells))
    return "\r\n".join(lines) + "\r\n"


def encode(text: str) -> bytes:
    return text.encode("cp932")


def _name(prefix: str, sender: SampleOffice, recipient: SampleOffice, serial: str,
          month: Optional[str] = None, form: str = "V4", branch: Optional[str] = None) -> str:
    v4 = form == "V4"
    return build_filename(prefix, sender.number, recipient.number, serial, month=month,
                          sender_service=sender.service if v4 else None,
                          recipient_service=recipient.service if v4 else None, branch=branch)


def _days(month: str) -> List[str]:
    last = calendar.monthrange(int(month[:4]), int(month[4:]))[1]
    return [f"{month}{d:02d}" for d in range(1, last + 1)]


# --- records per kind -------------------------------------------------------------------------

def plan_rows(month: str, people: Sequence[SampleUser], providers: Sequence[SampleOffice],
              care_manager: SampleOffice = CARE_MANAGER, *, visits_per_week: int = 2,
              rows_limit: Optional[int] = None) -> List[Dict[str, str]]:
    """第6表 records: every provider's services for every user (a 第6表 shows all providers),
    made on the first of the month."""
    created = f"{month}01"
    out = []
    days = _days(month)
    for u_i, u in enumerate(people):
        for p_i, p in enumerate(providers):
            code, units, _ = _SERVICES.get(p.service, _SERVICES["11"])[u_i % 2 if p.service == "11" else 0]
            step = max(1, 7 // max(1, visits_per_week))
            for d_i in range((u_i + p_i) % step, len(days), step):
                rec = {
                    "保険者番号": u.insurer, "被保険者番号": u.insured, "作成年月日": created,
                    "対象年月": month, "プラン担当業者コード": care_manager.number,
                    "プラン担当者名": "山田　花子", "単位数": str(units), "サービス利用日": days[d_i],
                    "サービス開始時刻": "0930" if p.service != "17" else "9999",
                    "サービス終了時刻": "1030" if p.service != "17" else "9999",
                    "サービス回数": "1", "サービスコード": code, "サービス事業者コード": p.number,
                    "サービス事業所名": p.name, "３０日超区分": "0",
                    "更新業者コード": care_manager.number,
                }
                if p.service == "17":
                    rec["TAISコード"] = "00001-000010"
                    rec["用具名称（機種名）"] = "自走用標準形車いす"
                out.append(rec)
                if rows_limit and len(out) >= rows_limit:
                    return out
    return out


def benefit_rows(month: str, people: Sequence[SampleUser], providers: Sequence[SampleOffice],
                 care_manager: SampleOffice = CARE_MANAGER) -> List[Dict[str, str]]:
    """第7表 records: one line per provider service, subtotals, and the grand total per user."""
    out = []
    for u_i, u in enumerate(people):
        base = {"保険者番号": u.insurer, "被保険者番号": u.insured, "作成年月日": f"{month}01",
                "対象年月": month, "３０日超区分": "0", "更新業者コード": care_manager.number}
        total = 0
        for p in providers:
            code, units, _ = _SERVICES.get(p.service, _SERVICES["11"])[0]
            count = 8
            total += units * count
            out.append({**base, "サービス事業所名": p.name, "サービス事業所コード": p.number,
                        "サービスコード": code, "単位数": str(units), "回数／日数": str(count),
                        "サービス単位金額": str(units * count), "給付管理単位数": str(units * count),
                        "区分支給限度基準内単位数": str(units * count), "単位数単価": "10.84",
                        "給付率": "90"})
            out.append({**base, "サービス事業所名": p.name, "サービス事業所コード": p.number,
                        "サービスコード": p.service + "AAAA", "単位数": "0", "回数／日数": "0",
                        "サービス単位金額": str(units * count)})
        out.append({**base, "サービス事業所コード": "9999999999", "サービスコード": "999999",
                    "単位数": "0", "回数／日数": "0", "サービス単位金額": str(total),
                    "費用総額（保険／事業対象分）": str(int(total * 10.84))})
    return out


def hosoku_rows(month: str, people: Sequence[SampleUser], plan_date: str,
                care_manager: SampleOffice = CARE_MANAGER) -> List[Dict[str, str]]:
    plan_set = month == "000000"
    out = []
    for u in people:
        out.append({"保険者番号": u.insurer, "被保険者番号": u.insured,
                    "居宅サービス計画作成（変更）日": plan_date if plan_set else "00000000",
                    "利用者氏名フリガナ": u.kana, "利用者氏名": u.name, "利用者性別": u.sex,
                    "利用者生年月日": u.birth, "利用者郵便番号": "530-0001",
                    "利用者住所１": "大阪府大阪市北区梅田１－１－１", "利用者電話番号": "06-1234-5678",
                    "認定状況区分": "2", "要介護状態区分": u.care_level, "区分支給限度基準額": "16765",
                    "更新業者コード": care_manager.number, "対象年月": month})
    return out


def kyo1_rows(people, plan_date, care_manager=CARE_MANAGER):
    return [{"保険者番号": u.insurer, "被保険者番号": u.insured, "作成年月日": plan_date,
             "居宅サービス計画作成者氏名": "山田　花子", "介護支援事業者名": care_manager.name,
             "介護支援事業者コード": care_manager.number, "居宅サービス計画作成（変更）日": plan_date,
             "初回居宅サービス計画作成日": "20230401", "計画書区分": "21", "認定状況区分": "2",
             "要介護状態区分": u.care_level,
             "利用者及び家族の生活に対する意向を踏まえた課題分析の結果": "自宅で暮らし続けたい。\r\n家族も同じ思い。",
             "総合的な援助の方針": "転倒を防ぎ、「できること」を続ける", "生活援助中心型の算定理由": "1",
             "更新業者コード": care_manager.number} for u in people]


def kyo2_rows(people, plan_date, providers, care_manager=CARE_MANAGER):
    out = []
    for u in people:
        for n, p in enumerate(providers, start=1):
            out.append({"保険者番号": u.insurer, "被保険者番号": u.insured, "居宅計画書作成年月日": plan_date,
                        "居宅サービス計画作成（変更）日": plan_date, "課題ＮＯ": "1",
                        "課題": "入浴が一人では難しい", "援助目標ＮＯ": "1", "長期目標": "清潔を保てる",
                        "短期目標": "週2回入浴できる", "援助内容ＮＯ": str(n), "サービス内容": "入浴介助",
                        "保険対象区分": "Y", "サービス種別": p.name, "サービス事業者コード": p.number,
                        "サービス事業所名": p.name, "頻度": "週2回", "実施期間": "6か月",
                        "更新業者コード": care_manager.number})
    return out


def kyo3_rows(people, plan_date):
    out = []
    for u in people:
        out.append({"保険者番号": u.insurer, "被保険者番号": u.insured, "週間サービス計画表作成年月日": plan_date,
                    "居宅サービス計画作成（変更）日": plan_date, "介護サービス内容": "訪問介護",
                    "曜日": "2", "開始時間": "0930", "終了時間": "1030"})
        out.append({"保険者番号": u.insurer, "被保険者番号": u.insured, "週間サービス計画表作成年月日": plan_date,
                    "居宅サービス計画作成（変更）日": plan_date, "週単位以外のサービス": "福祉用具貸与（車いす）"})
    return out


def _serial(month: str, n: int = 0) -> str:
    prev_y, prev_m = (int(month[:4]), int(month[4:]) - 1) if month[4:] != "01" else (int(month[:4]) - 1, 12)
    return f"{prev_y}{prev_m:02d}25{10 + n:02d}3000"


def use_bundle(month: str, recipient: SampleOffice, people: Sequence[SampleUser],
               sender: SampleOffice = CARE_MANAGER, serial: Optional[str] = None,
               providers: Sequence[SampleOffice] = PROVIDERS, form: str = "V4") -> List[NamedFile]:
    """第6表 + 第7表 + 利用者補足 for one provider (one sending unit, one serial)."""
    serial = serial or _serial(month)
    rev = form
    return [
        (_name("UPPLAN", sender, recipient, serial, month, form),
         encode(render(LAYOUTS[("UPPLAN", rev)], plan_rows(month, people, providers, sender)))),
        (_name("UPSIKYU", sender, recipient, serial, month, form),
         encode(render(LAYOUTS[("UPSIKYU", rev)], benefit_rows(month, people, providers, sender)))),
        (_name("UPHOSOKU", sender, recipient, serial, month, form),
         encode(render(LAYOUTS[("UPHOSOKU", rev)], hosoku_rows(month, people, "", sender)))),
    ]


def plan_bundle(recipient: SampleOffice, people: Sequence[SampleUser], plan_date: str = "20250401",
                sender: SampleOffice = CARE_MANAGER, serial: str = "20250328100000",
                providers: Sequence[SampleOffice] = PROVIDERS, form: str = "V4") -> List[NamedFile]:
    """第1表 + 第2表 (+ 第3表 in V4) + 利用者補足 (month 000000)."""
    files = [
        (_name("UP1KYO", sender, recipient, serial, form=form),
         encode(render(LAYOUTS[("UP1KYO", form)], kyo1_rows(people, plan_date, sender)))),
        (_name("UP2KYO", sender, recipient, serial, form=form),
         encode(render(LAYOUTS[("UP2KYO", form)], kyo2_rows(people, plan_date, providers, sender)))),
        (_name("UPHOSOKU", sender, recipient, serial, "000000", form),
         encode(render(LAYOUTS[("UPHOSOKU", form)], hosoku_rows("000000", people, plan_date, sender)))),
    ]
    if form == "V4":
        files.insert(2, (_name("UP3KYO", sender, recipient, serial, form=form),
                         encode(render(LAYOUTS[("UP3KYO", "V4")], kyo3_rows(people, plan_date)))))
    return files


def actuals_file(month: str, provider: SampleOffice, people: Sequence[SampleUser],
                 care_manager: SampleOffice = CARE_MANAGER, serial: Optional[str] = None,
                 form: str = "V4") -> NamedFile:
    """実績 (UPJSK) from a provider back to the care manager: its own services only."""
    y, m = int(month[:4]), int(month[4:])
    serial = serial or f"{y + (m == 12)}{m % 12 + 1:02d}02093000"
    rows = plan_rows(month, people, [provider], care_manager)
    for r in rows:
        r["更新業者コード"] = provider.number
    return (_name("UPJSK", provider, care_manager, serial, month, form),
            encode(render(LAYOUTS[("UPJSK", form)], rows)))


def deletion_files(month: str, people: Sequence[SampleUser]) -> List[NamedFile]:
    u = people[0]
    key = {"保険者番号": u.insurer, "被保険者番号": u.insured}
    return [
        (_name("DLTPLAN", CARE_MANAGER, HOME_HELP, "20250410120000", month),
         encode(render(LAYOUTS[("DLTPLAN", "V4")], [{**key, "削除対象年月": month}]))),
        (_name("DLT1KYO", CARE_MANAGER, HOME_HELP, "20250410120100"),
         encode(render(LAYOUTS[("DLT1KYO", "V4")], [{**key, "居宅サービス計画作成（変更）日": "20250401"}]))),
        (_name("DLTJSK", HOME_HELP, CARE_MANAGER, "20250410120200", month),
         encode(render(LAYOUTS[("DLTJSK", "V4")], [{**key, "削除対象年月": month,
                                                     "サービス事業者コード": HOME_HELP.number,
                                                     "サービス種類コード": HOME_HELP.service}]))),
    ]


PREVENTION_CENTER = SampleOffice("2702300015", "46", "つなぎ地域包括支援センター")
PREVENTION_PROVIDER = SampleOffice("2712300029", "A2", "さくら訪問介護事業所（総合事業）")

# A minimal valid JPEG (1x1 pixel), so the image kind can travel in samples.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912"
    "130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001"
    "000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303"
    "020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282"
    "090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475"
    "767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9"
    "cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9")


def prevention_files(people: Sequence[SampleUser]) -> List[NamedFile]:
    """利用者基本情報 set and 支援計画書 set from a 地域包括支援センター (V4 only), and their deletions."""
    s, r = PREVENTION_CENTER, PREVENTION_PROVIDER
    serial, serial2 = "20250320100000", "20250320100100"
    day = "20250315"
    kihon, sub1, sub2, yobo, ysub = [], [], [], [], []
    for u in people:
        key = {"保険者番号": u.insurer, "被保険者番号": u.insured}
        image = _name("UPKIHON_IMAGE", s, r, serial, branch="0001")
        kihon.append({**key, "相談日": day, "計画種類": "1", "委託の有無": "1", "相談方法": "01",
                      "利用者氏名ﾌﾘｶﾞﾅ": u.kana, "利用者氏名": u.name, "利用者性別": u.sex,
                      "利用者生年月日": u.birth, "要介護状態区分": "12", "居住形態": "05",
                      "家族構成 画像ファイル名": image})
        sub1.append({**key, "相談日": day, "時間": "7:00", "本人の生活状況": "起床、朝食"})
        sub2.append({**key, "相談日": day, "年月日": "H12年10月", "病名": "高血圧症",
                     "主治医・意見作成者フラグ": "1", "経過": "01"})
        yobo.append({**key, "計画作成(変更)日": day, "計画種類": "1", "委託の有無": "1",
                     "利用者名": u.name, "計画書区分": "11", "要支援状態区分": "1"})
        ysub.append({**key, "計画作成(変更)日": day, "課題ＮＯ": "1", "総合的課題": "外出の機会が少ない",
                     "支援計画ＮＯ": "1", "利用サービスＮＯ": "1"})
    files = [
        (_name("UPKIHON", s, r, serial), encode(render(LAYOUTS[("UPKIHON", "V4")], kihon))),
        (_name("UPKIHON_SUB1", s, r, serial), encode(render(LAYOUTS[("UPKIHON_SUB1", "V4")], sub1))),
        (_name("UPKIHON_SUB2", s, r, serial), encode(render(LAYOUTS[("UPKIHON_SUB2", "V4")], sub2))),
        (_name("UPKIHON_IMAGE", s, r, serial, branch="0001"), TINY_JPEG),
        (_name("UPYOBO", s, r, serial2), encode(render(LAYOUTS[("UPYOBO", "V4")], yobo))),
        (_name("UPYOBO_SUB", s, r, serial2), encode(render(LAYOUTS[("UPYOBO_SUB", "V4")], ysub))),
    ]
    u = people[0]
    key = {"保険者番号": u.insurer, "被保険者番号": u.insured}
    files += [
        (_name("DLTKIHON", s, r, "20250410130000"),
         encode(render(LAYOUTS[("DLTKIHON", "V4")], [{**key, "相談日": day}]))),
        (_name("DLTYOBO", s, r, "20250410130100"),
         encode(render(LAYOUTS[("DLTYOBO", "V4")], [{**key, "計画作成(変更)日": day}]))),
    ]
    return files


def sample_month(month: str = "202505", n_users: int = 6, seed: int = 0) -> List[NamedFile]:
    """A month of valid traffic for the demo offices: plan sets and use sets to every provider, and
    実績 back from every provider."""
    people = users(n_users, seed)
    files: List[NamedFile] = []
    for i, p in enumerate(PROVIDERS):
        files += plan_bundle(p, people, serial=f"2025032810{i:02d}00")
        files += use_bundle(month, p, people, serial=_serial(month, i))
        files.append(actuals_file(month, p, people))
    return files


def every_kind(month: str = "202505") -> List[NamedFile]:
    """One valid file of every kind (and the V3 forms that exist), in their bundles."""
    people = users(4)
    return (plan_bundle(HOME_HELP, people) + use_bundle(month, HOME_HELP, people)
            + [actuals_file(month, HOME_HELP, people)] + deletion_files(month, people)
            + prevention_files(people)
            + plan_bundle(HOME_HELP, people, serial="20221020100000", form="V3")
            + use_bundle("202211", HOME_HELP, people, serial="20221025100000", form="V3")
            + [actuals_file("202211", HOME_HELP, people, form="V3")])


def big_plan(rows: int = 100_000, month: str = "202505", seed: int = 1) -> NamedFile:
    """A large 第6表 for benchmarks: enough users and visits to reach ``rows`` records."""
    per_user = 2 * len(_days(month))  # two providers, daily visits
    people = users(rows // per_user + 1, seed)
    recs = plan_rows(month, people, PROVIDERS, visits_per_week=7, rows_limit=rows)
    serial = _serial(month)
    return (_name("UPPLAN", CARE_MANAGER, HOME_HELP, serial, month),
            encode(render(LAYOUTS[("UPPLAN", "V4")], recs)))


# --- varied data for benchmarks -----------------------------------------------------------------

_MORE_SURNAMES = ["小林", "加藤", "吉田", "山本", "松本", "井上", "木村", "林", "斎藤", "清水", "山口",
                  "森", "池田", "橋本", "阿部", "石川", "山下", "中島", "石井", "小川", "前田", "岡田",
                  "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤", "青木", "坂本", "齋藤", "福田"]
_MORE_GIVEN = ["花子", "美穂", "健一", "由美", "直樹", "恵子", "大輔", "真由美", "浩", "陽子", "誠",
               "さおり", "学", "明美", "剛", "智子", "隆", "久美子", "亮", "京子"]
#: Service types a 第6表 lists, with several codes each: (code, units). Rental (17) rows carry a TAIS code.
_VARIED_SERVICES = {
    "11": [("111111", 244), ("111211", 387), ("111311", 567), ("112111", 183), ("112211", 225),
           ("114111", 101), ("113111", 273)],
    "15": [("151111", 658), ("151211", 777), ("155011", 40), ("156111", 52)],
    "13": [("131111", 313), ("131211", 471), ("132111", 800)],
    "17": [("171001", 300), ("171007", 150), ("171004", 200)],
    "78": [("781111", 753), ("781211", 864)],
}


def varied_offices(n: int = 12) -> List[SampleOffice]:
    """``n`` providers of several service types; the demo home-help office (the file's recipient) first."""
    types = ("11", "15", "13", "17", "78")
    out = [HOME_HELP]
    for i in range(1, n):
        svc = types[i % len(types)]
        out.append(SampleOffice(f"27124{i:05d}", svc, f"事業所{i:02d}（{'訪問介護 通所介護 訪問看護 福祉用具 地域密着'.split()[i % 5]}）"))
    return out


def varied_plan_rows(rows: int, month: str = "202505", seed: int = 1):
    """``rows`` valid 第6表 records whose values differ row by row as a real prefecture-wide export's do:
    many users under several insurers, a different plan author per user, 2–4 providers per user
    out of a dozen, visit days, start and end times, unit counts and visit counts drawn per row.
    A generator: a million records are never all in memory."""
    rnd = random.Random(seed)
    days = _days(month)
    providers = varied_offices()
    staff = [f"{s}　{g}" for s in _MORE_SURNAMES for g in _MORE_GIVEN]
    prev_y, prev_m = (int(month[:4]), int(month[4:]) - 1) if month[4:] != "01" else (int(month[:4]) - 1, 12)
    made = [f"{prev_y}{prev_m:02d}{d:02d}" for d in range(15, 29)]
    insurers = [insurer_number(100 + i) for i in range(40)]
    done, u = 0, 0
    while done < rows:
        insurer, insured = insurers[rnd.randrange(len(insurers))], f"{2000000000 + seed * 10_000_000 + u:010d}"
        author, created = staff[rnd.randrange(len(staff))], made[rnd.randrange(len(made))]
        mine = [providers[0]] + rnd.sample(providers[1:], rnd.randint(1, 3))
        for p in mine:
            code, units = rnd.choice(_VARIED_SERVICES[p.service])
            visits = sorted(rnd.sample(days, rnd.randint(4, 16)))
            for day in visits:
                if p.service == "17":
                    start = end = "9999"
                else:
                    minutes = rnd.randrange(7 * 60, 19 * 60, 5)
                    length = rnd.choice((20, 30, 45, 60, 90, 120, 180))
                    start = f"{minutes // 60:02d}{minutes % 60:02d}"
                    end = f"{(minutes + length) // 60:02d}{(minutes + length) % 60:02d}"
                rec = {
                    "保険者番号": insurer, "被保険者番号": insured, "作成年月日": created, "対象年月": month,
                    "プラン担当業者コード": CARE_MANAGER.number, "プラン担当者名": author,
                    "単位数": str(units + rnd.randrange(0, 60)), "サービス利用日": day,
                    "サービス開始時刻": start, "サービス終了時刻": end,
                    "サービス回数": str(rnd.randint(1, 3)), "サービスコード": code,
                    "サービス事業者コード": p.number, "サービス事業所名": p.name, "３０日超区分": "0",
                    "更新業者コード": CARE_MANAGER.number,
                }
                if p.service == "17":
                    rec["TAISコード"] = f"{rnd.randrange(1, 99999):05d}-{rnd.randrange(1, 999999):06d}"
                    rec["用具名称（機種名）"] = rnd.choice(("自走用標準形車いす", "介助用車いす", "特殊寝台",
                                                      "歩行器（四輪）", "手すり（据置型）"))
                yield rec
                done += 1
                if done >= rows:
                    return
        u += 1


def varied_plan(rows: int = 100_000, month: str = "202505", seed: int = 1) -> NamedFile:
    """A large, valid 第6表 with realistic variety (``varied_plan_rows``) for benchmarks: rendered in
    chunks, so a million rows cost the file's bytes and not a million dicts."""
    layout = LAYOUTS[("UPPLAN", "V4")]
    gen = varied_plan_rows(rows, month, seed)
    parts = []
    while True:
        chunk = [rec for _, rec in zip(range(10_000), gen)]  # range first: zip must not drop a record
        if not chunk:
            break
        parts.append(encode(render(layout, chunk)))
    return (_name("UPPLAN", CARE_MANAGER, HOME_HELP, _serial(month), month), b"".join(parts))
