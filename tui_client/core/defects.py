"""Files with known defects, one recipe per finding code.

Each recipe returns a small set of files (usually one, or a bundle) that shows exactly the defect
named by its code, made from the valid samples by one deliberate change, the kind of change real care
software or a hurried hand edit makes. The tests prove every code with these; trainers hand them out
as practice (``tsunagi sample --defects``).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional

from tui_client.core import samples as s
from tui_client.core.spec.layouts import LAYOUTS

NamedFile = s.NamedFile
Recipe = Callable[[], List[NamedFile]]

MONTH = "202505"
PEOPLE = s.users(3)


def _plan_records(providers=s.PROVIDERS):
    return s.plan_rows(MONTH, PEOPLE, providers)


def _upplan(records=None, *, name: Optional[str] = None, version: Optional[str] = None,
            rev: str = "V4", text_mod: Optional[Callable[[str], str]] = None,
            recipient: s.SampleOffice = s.HOME_HELP) -> NamedFile:
    records = _plan_records() if records is None else records
    text = s.render(LAYOUTS[("UPPLAN", rev)], records, version=version)
    if text_mod:
        text = text_mod(text)
    default = s.use_bundle(MONTH, recipient, PEOPLE, form=rev)[0][0]
    return (name or default, s.encode(text))


def _with_field(field: str, value: str, row: int = 0) -> List[dict]:
    recs = _plan_records()
    recs[row] = {**recs[row], field: value}
    return recs


def _one(field: str, value: str, row: int = 0) -> Recipe:
    return lambda: [_upplan(_with_field(field, value, row))]


def _hosoku(field: str, value: str) -> Recipe:
    def make():
        name, _ = s.use_bundle(MONTH, s.HOME_HELP, PEOPLE)[2]
        recs = s.hosoku_rows(MONTH, PEOPLE, "")
        recs[0] = {**recs[0], field: value}
        return [(name, s.encode(s.render(LAYOUTS[("UPHOSOKU", "V4")], recs)))]
    return make


def _sikyu(mod: Callable[[List[dict]], List[dict]]) -> Recipe:
    def make():
        name, _ = s.use_bundle(MONTH, s.HOME_HELP, PEOPLE)[1]
        recs = mod(s.benefit_rows(MONTH, PEOPLE, s.PROVIDERS))
        return [(name, s.encode(s.render(LAYOUTS[("UPSIKYU", "V4")], recs)))]
    return make


def _renamed(new_name: str) -> Recipe:
    return lambda: [(new_name, _upplan()[1])]


def _bytes(data: bytes) -> Recipe:
    return lambda: [(_upplan()[0], data)]


def _use_bundle(**kw) -> List[NamedFile]:
    return s.use_bundle(MONTH, s.HOME_HELP, PEOPLE, **kw)


def _drop(files: List[NamedFile], prefix: str) -> List[NamedFile]:
    return [f for f in files if not f[0].startswith(prefix + "_")]


def _kihon_image_not_jpeg() -> List[NamedFile]:
    name = [n for n, _ in s.prevention_files(PEOPLE) if n.startswith("UPKIHON_IMAGE")][0]
    return [(name, b"GIF89a not a jpeg")]


def _actuals(mod: Callable[[List[dict]], List[dict]]) -> Recipe:
    def make():
        name, _ = s.actuals_file(MONTH, s.HOME_HELP, PEOPLE)
        recs = s.plan_rows(MONTH, PEOPLE, [s.HOME_HELP])
        return [(name, s.encode(s.render(LAYOUTS[("UPJSK", "V4")], mod(recs))))]
    return make


def _rental_without_code() -> List[NamedFile]:
    rental = s.SampleOffice("2712300045", "17", "あおば福祉用具")
    recs = _plan_records((s.HOME_HELP, rental))
    for r in recs:
        if r["サービス事業者コード"] == rental.number:
            r["TAISコード"] = ""
            break
    return [_upplan(recs)]


def _wrong_type_in_plan() -> List[NamedFile]:
    # The field case: the provider is a 通所介護 (15) but the care software coded its rows as 78.
    recs = _plan_records()
    for r in recs:
        if r["サービス事業者コード"] == s.DAY_CARE.number:
            r["サービスコード"] = "781111"
    return [_upplan(recs, recipient=s.DAY_CARE)]


def _prevention_twin_in_plan() -> List[NamedFile]:
    # A 要支援 user: the home-help office's rows are 総合事業 (A2) while the name says 訪問介護 (11).
    recs = _plan_records()
    for r in recs:
        if r["サービス事業者コード"] == s.HOME_HELP.number:
            r["サービスコード"] = "A21111"
    return [_upplan(recs)]


def _no_recipient_rows() -> List[NamedFile]:
    return [_upplan(_plan_records((s.DAY_CARE,)))]


def _mixed_groups() -> List[NamedFile]:
    files = _use_bundle()
    plan_hosoku = s.plan_bundle(s.HOME_HELP, PEOPLE, serial=s.use_bundle(MONTH, s.HOME_HELP, PEOPLE)[0][0][-18:-4])
    return files + [f for f in plan_hosoku if f[0].startswith("UPHOSOKU_")]


def _two_months() -> List[NamedFile]:
    a = _use_bundle()
    serial = a[0][0][-18:-4]
    b = s.use_bundle("202506", s.HOME_HELP, PEOPLE, serial=serial)
    return [a[0], b[1], a[2]]


def _orphan_user() -> List[NamedFile]:
    files = _use_bundle()
    name, _ = files[1]
    others = s.users(5, seed=7)[4:]
    recs = s.benefit_rows(MONTH, PEOPLE + others, s.PROVIDERS)
    return [files[0], (name, s.encode(s.render(LAYOUTS[("UPSIKYU", "V4")], recs))), files[2]]


def _missing_dependant_user() -> List[NamedFile]:
    files = _use_bundle()
    name, _ = files[1]
    recs = s.benefit_rows(MONTH, PEOPLE[:2], s.PROVIDERS)
    return [files[0], (name, s.encode(s.render(LAYOUTS[("UPSIKYU", "V4")], recs))), files[2]]


def _superseded() -> List[NamedFile]:
    old = _use_bundle()
    new = s.use_bundle(MONTH, s.HOME_HELP, PEOPLE, serial="20250428150000")
    return old + new


def _deletion_with_others() -> List[NamedFile]:
    files = _use_bundle()
    serial = files[0][0][-18:-4]
    dlt = s.deletion_files(MONTH, PEOPLE)[0]
    name = dlt[0][:-18] + serial + ".CSV"
    return files + [(name, dlt[1])]


def _two_of_a_kind() -> List[NamedFile]:
    files = _use_bundle()
    return files + [(files[0][0].replace(".CSV", ".csv"), files[0][1])]


def _bad_byte() -> List[NamedFile]:
    # 0x85 0x52: a lead byte from an unassigned cp932 row, as a broken conversion leaves behind.
    name, data = _upplan()
    return [(name, data.replace("山田".encode("cp932"), b"\x85\x52\x93\x63", 1))]


def _ascii_with_bom() -> List[NamedFile]:
    recs = [{**r, "プラン担当者名": "YAMADA", "サービス事業所名": "SAKURA"} for r in _plan_records()]
    return [(_upplan()[0], s.render(LAYOUTS[("UPPLAN", "V4")], recs).encode("utf-8-sig"))]


def _many_bad_dates() -> List[NamedFile]:
    recs = _plan_records()
    for r in recs[:25]:
        r["作成年月日"] = "20250230"
    return [_upplan(recs)]


DEFECTS: Dict[str, Recipe] = {
    # names
    "E-NAME-001": _renamed("KEIKAKU_202505.CSV"),
    "E-NAME-002": _renamed("UPPLAN_202505_2712300011_43_2712300029_20250425103000.CSV"),
    "E-NAME-003": _renamed("UPPLAN_202505_271230001_43_2712300029_11_20250425103000.CSV"),
    "E-NAME-004": _renamed("UPPLAN_202505_2712300011_043_2712300029_011_20250425103000.CSV"),
    "E-NAME-005": _renamed("UPPLAN_202513_2712300011_43_2712300029_11_20250425103000.CSV"),
    "E-NAME-006": _renamed("UPPLAN_202505_2712300011_43_2712300029_11_20250431103000.CSV"),
    "E-NAME-007": _renamed("UPPLAN_202505_2712300011_43_2712300029_11_20250425103000.xlsx"),
    "E-NAME-008": lambda: [("UPKIHON_IMAGE_2702300015_46_2712300029_A2_20250320100000_1.jpg", s.TINY_JPEG)],
    "E-NAME-009": lambda: [("UP3KYO_2712300011_2712300029_20250328100000.CSV",
                            s.plan_bundle(s.HOME_HELP, PEOPLE)[2][1])],
    "E-NAME-010": _renamed("UPPLAN_202505_2712300011_43_2712300011_43_20250425103000.CSV"),
    "E-NAME-011": _renamed("UPPLAN_202505_2712300011_43_2712300029_99_20250425103000.CSV"),
    "E-NAME-012": _renamed("UPPLAN_202505_2712300011_43_2712300029_11_20250425103000 (1).CSV"),
    "W-NAME-013": _renamed("UPPLAN_202505_2712300011_43_2712300029_51_20250425103000.CSV"),
    "W-NAME-014": lambda: [_upplan(name="UPPLAN_202505_2712300011_2712300029_20250425103000.CSV",
                                   rev="V3", version="202208")],
    # the file, its characters and its CSV structure
    "E-FILE-001": _bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
    "E-FILE-002": _bytes(b""),
    "E-FILE-003": _kihon_image_not_jpeg,
    "E-ENC-001": _bad_byte,
    "W-ENC-002": _ascii_with_bom,
    "E-ENC-003": lambda: [(_upplan()[0], s.render(LAYOUTS[("UPPLAN", "V4")], _plan_records()).encode("utf-8"))],
    "E-ENC-005": lambda: [(_upplan()[0], s.render(LAYOUTS[("UPPLAN", "V4")], _plan_records()).encode("utf-16"))],
    "E-ENC-004": _one("サービス事業所名", "さくら\ue000訪問介護"),
    "E-CSV-001": lambda: [_upplan(text_mod=lambda t: t.replace('"山田　花子"', '"山田"花子', 1))],
    "E-CSV-002": lambda: [_upplan(text_mod=lambda t: t.replace("\r\n", ",extra\r\n", 1))],
    "E-CSV-003": lambda: [_upplan(text_mod=lambda t: t.rstrip("\r\n").rsplit(",", 1)[0] + ',"unclosed\r\n')],
    "E-CSV-006": lambda: [_upplan(text_mod=lambda t: t.replace("\r\n", ",\r\n"))],
    "W-CSV-004": lambda: [_upplan(text_mod=lambda t: ",".join(f.name for f in LAYOUTS[("UPPLAN", "V4")].fields)
                                  + "\r\n" + t)],
    "W-CSV-005": lambda: [_upplan(text_mod=lambda t: t.replace("\r\n", "\r\n\r\n", 1))],
    # fields
    "E-FLD-001": _one("サービスコード", ""),
    "E-FLD-002": _one("サテライト枝番", "123"),
    "E-FLD-003": _one("単位数", "2４4円"),
    "E-FLD-004": _one("サービス利用日", "20250532"),
    "E-FLD-005": _one("CSVバージョン", "2024-7"),
    "E-FLD-006": _one("サービス開始時刻", "0975"),
    "E-FLD-007": _one("３０日超区分", "2"),
    "E-FLD-008": _one("保険者番号", "27123"),
    "E-FLD-009": _one("被保険者番号", "A123456789"),
    "W-FLD-010": _one("サービスコード", "Z91111"),
    "W-FLD-011": _one("プラン担当者名", ""),
    "W-FLD-012": _hosoku("利用者郵便番号", "5300001"),
    "W-FLD-013": _one("識別子", "1"),
    "W-FLD-014": _one("保険者番号", "271200"),
    "E-FLD-015": _one("サービスコード", "11-111"),
    "E-FLD-016": _one("日割対象日", "11111"),
    "E-FLD-017": _sikyu(lambda recs: [{**recs[0], "単位数単価": "10.845"}] + recs[1:]),
    "W-FLD-018": _hosoku("認定日", "00000000"),
    "E-FLD-019": _one("保険者番号", "２７１２０１"),
    # a file against its name, rows against each other
    "E-ROW-001": _one("対象年月", "202506"),
    "E-ROW-002": _one("サービス利用日", "20250601"),
    "E-ROW-003": _hosoku("居宅サービス計画作成（変更）日", "20250401"),
    "E-ROW-004": _sikyu(lambda recs: [r for r in recs if r["サービスコード"] != "999999"]),
    "E-ROW-005": _sikyu(lambda recs: [{**r, "サービス事業所コード": s.HOME_HELP.number}
                                      if r["サービスコード"] == "999999" else r for r in recs]),
    "W-ROW-006": _one("サービス終了時刻", "9999"),
    "E-ROW-007": _rental_without_code,
    "E-ROW-020": _wrong_type_in_plan,
    "W-ROW-021": _no_recipient_rows,
    "E-ROW-022": _actuals(lambda recs: [{**recs[0], "サービスコード": "151111"}] + recs[1:]),
    "W-ROW-023": _prevention_twin_in_plan,
    "W-ROW-024": _actuals(lambda recs: [{**recs[0], "サービスコード": "A21111"}] + recs[1:]),
    "W-ROW-030": _one("更新業者コード", "2712300999"),
    # a provider's 実績 carrying a row of another provider (a sister office, a copy-paste)
    "E-ROW-031": _actuals(lambda recs: [{**recs[0], "サービス事業者コード": "2712300999"}] + recs[1:]),
    # versions
    "E-VER-002": _one("CSVバージョン", "202504"),
    "W-VER-003": lambda: [_upplan(version="202410")],
    "E-VER-004": lambda: [_upplan(version="202208")],
    "W-VER-005": lambda: [_upplan(name="UPPLAN_202505_2712300011_2712300029_20250425103000.CSV")],
    # sets of files
    "E-BND-001": lambda: _drop(_use_bundle(), "UPSIKYU"),
    "E-BND-002": _deletion_with_others,
    "E-BND-003": _two_of_a_kind,
    "E-BND-004": _two_months,
    "E-BND-005": _orphan_user,
    "W-BND-006": _missing_dependant_user,
    "E-BND-008": _mixed_groups,
    "W-BND-009": _superseded,
    "W-MORE-001": _many_bad_dates,
}
