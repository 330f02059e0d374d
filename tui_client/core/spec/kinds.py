"""File kinds of the care-plan exchange (ケアプランデータ連携), as one table.

Source: ../shared/spec/README.md §1 and §4 ([V4-spec] 2.2–2.4, 3.2–3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

# Who sends a kind.
CARE_MANAGER = "care_manager"   # 居宅介護支援事業所 / 地域包括支援センター
PROVIDER = "provider"           # サービス事業所

# Bundle groups ([V4-spec] 2.4): files of one group travel together under one serial (ファイル連番).
PLAN_SET = "plan_set"            # 第1表 + 第2表 (+ 第3表 in V4) + 利用者補足 (month 000000)
USE_SET = "use_set"              # 第6表 + 第7表 + 利用者補足 (with month)
KIHON_SET = "kihon_set"          # 利用者基本情報 + 別表1 + 別表2 (+ images)
YOBO_SET = "yobo_set"            # 介護予防サービス・支援計画書 + 別表
ALONE = "alone"                  # deletions and 実績: one file per serial


@dataclass(frozen=True)
class FileKind:
    """One kind of file. ``prefix`` is the first part of its name (``UPPLAN``)."""

    prefix: str
    name_ja: str
    sender: str
    has_month: bool
    group: str
    #: Oldest filename form the kind exists in: "V3" (vol.1156, 2022) or "V4" (2024 revision).
    since: str = "V3"
    extension: str = "csv"
    #: For a deletion kind, the kind it deletes.
    deletes: Optional[str] = None
    #: Kinds that must travel in the same bundle when this kind is sent (per filename form).
    requires_v3: Tuple[str, ...] = ()
    requires_v4: Tuple[str, ...] = ()

    @property
    def is_deletion(self) -> bool:
        return self.deletes is not None

    def requires(self, form: str) -> Tuple[str, ...]:
        return self.requires_v4 if form == "V4" else self.requires_v3


_KINDS = (
    FileKind("UPHOSOKU", "利用者補足情報", CARE_MANAGER, True, "by_month"),
    FileKind("UP1KYO", "居宅サービス計画書（第1表）", CARE_MANAGER, False, PLAN_SET,
             requires_v3=("UP2KYO", "UPHOSOKU"), requires_v4=("UP2KYO", "UP3KYO", "UPHOSOKU")),
    FileKind("DLT1KYO", "居宅サービス計画（第1表）削除", CARE_MANAGER, False, ALONE, deletes="UP1KYO"),
    FileKind("UP2KYO", "居宅サービス計画書（第2表）", CARE_MANAGER, False, PLAN_SET,
             requires_v3=("UP1KYO",), requires_v4=("UP1KYO",)),
    FileKind("UP3KYO", "週間サービス計画表（第3表）", CARE_MANAGER, False, PLAN_SET, since="V4",
             requires_v4=("UP1KYO",)),
    FileKind("UPPLAN", "サービス利用票（第6表・予定）", CARE_MANAGER, True, USE_SET,
             requires_v3=("UPSIKYU", "UPHOSOKU"), requires_v4=("UPSIKYU", "UPHOSOKU")),
    FileKind("DLTPLAN", "サービス利用票（第6表）削除", CARE_MANAGER, True, ALONE, deletes="UPPLAN"),
    FileKind("UPSIKYU", "サービス利用票別表（第7表）", CARE_MANAGER, True, USE_SET,
             requires_v3=("UPPLAN",), requires_v4=("UPPLAN",)),
    FileKind("UPJSK", "実績情報（第6表・実績）", PROVIDER, True, ALONE),
    FileKind("DLTJSK", "実績情報 削除", PROVIDER, True, ALONE, deletes="UPJSK"),
    # Prevention side (介護予防支援 / 総合事業), V4 only.
    FileKind("UPKIHON", "利用者基本情報", CARE_MANAGER, False, KIHON_SET, since="V4",
             requires_v4=("UPKIHON_SUB1", "UPKIHON_SUB2")),
    FileKind("UPKIHON_SUB1", "利用者基本情報（別表1）1日の生活・すごし方", CARE_MANAGER, False, KIHON_SET,
             since="V4", requires_v4=("UPKIHON",)),
    FileKind("UPKIHON_SUB2", "利用者基本情報（別表2）現病歴・既往歴", CARE_MANAGER, False, KIHON_SET,
             since="V4", requires_v4=("UPKIHON",)),
    FileKind("UPKIHON_IMAGE", "家族構成（画像）", CARE_MANAGER, False, KIHON_SET, since="V4",
             extension="jpg", requires_v4=("UPKIHON",)),
    FileKind("DLTKIHON", "利用者基本情報 削除", CARE_MANAGER, False, ALONE, since="V4", deletes="UPKIHON"),
    FileKind("UPYOBO", "介護予防サービス・支援計画書", CARE_MANAGER, False, YOBO_SET, since="V4",
             requires_v4=("UPYOBO_SUB",)),
    FileKind("UPYOBO_SUB", "介護予防サービス・支援計画書（別表）支援計画", CARE_MANAGER, False, YOBO_SET,
             since="V4", requires_v4=("UPYOBO",)),
    FileKind("DLTYOBO", "介護予防サービス・支援計画書 削除", CARE_MANAGER, False, ALONE, since="V4",
             deletes="UPYOBO"),
)

KINDS: Dict[str, FileKind] = {k.prefix: k for k in _KINDS}

#: Prefixes, longest first, so that ``UPKIHON_SUB1_…`` is not read as ``UPKIHON``.
PREFIXES_LONGEST_FIRST = tuple(sorted(KINDS, key=len, reverse=True))


def kind_by_prefix(prefix: str) -> Optional[FileKind]:
    return KINDS.get(prefix.upper())
