"""The Japanese calendar as care files need it: 和暦 eras and the national holidays.

A care manager reads a plan month as 令和7年8月 and a day grid with its 土・日・祝 marked. This module
turns ``YYYYMM`` / ``YYYYMMDD`` values into those facts. Pure: no I/O, no clock (``date.today`` is
never called), nothing raised on bad input — a value that is not a real month or date gives None.

Era names are data (like the code tables); the words around them (年, 月, 元年) are applied by the
faces from the catalogue, except in ``format_date``, which renders the one fixed form care files print.

Holidays follow the 国民の祝日に関する法律 as amended to 2021 (the Olympic moves of 2020 and 2021, the
2019 accession days, 振替休日 and 国民の休日). The equinox formula holds for 1980–2099; outside that
range only the fixed and Monday holidays are given.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import lru_cache
from typing import FrozenSet, NamedTuple, Optional, Tuple

#: (first day, era name), newest first.
ERAS: Tuple[Tuple[date, str], ...] = (
    (date(2019, 5, 1), "令和"),
    (date(1989, 1, 8), "平成"),
    (date(1926, 12, 25), "昭和"),
    (date(1912, 7, 30), "大正"),
    (date(1868, 1, 25), "明治"),
)


class EraYear(NamedTuple):
    era: str        # 令和
    year: int       # 7 (1 is 元年)


def era_of(day: date) -> Optional[EraYear]:
    for start, name in ERAS:
        if day >= start:
            return EraYear(name, day.year - start.year + 1)
    return None


def parse_month(value: str) -> Optional[Tuple[int, int]]:
    """``YYYYMM`` → (year, month), or None when it is not a real month (000000, 202513, ''…)."""
    if len(value) != 6 or not value.isascii() or not value.isdigit():
        return None
    y, m = int(value[:4]), int(value[4:])
    if not (1 <= m <= 12 and 1868 <= y <= 9999):
        return None
    return y, m


def parse_date(value: str) -> Optional[date]:
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def month_era(value: str) -> Optional[EraYear]:
    """The era of a plan month: the era in force on its first day (2019年5月 → 令和元年5月)."""
    ym = parse_month(value)
    return era_of(date(ym[0], ym[1], 1)) if ym else None


def era_year_text(era: EraYear) -> str:
    return f"{era.era}{'元' if era.year == 1 else era.year}年"


def format_month(value: str) -> Tuple[str, str]:
    """``202508`` → (``令和7年8月``, ``2025年8月``); ("", "") when it is not a month."""
    ym = parse_month(value)
    era = month_era(value)
    if ym is None or era is None:
        return ("", "")
    return (f"{era_year_text(era)}{ym[1]}月", f"{ym[0]}年{ym[1]}月")


def format_date(value: str) -> str:
    """``20250401`` → ``2025年4月1日（令和7年）``; the value unchanged when it is not a date."""
    d = parse_date(value)
    era = era_of(d) if d else None
    if d is None or era is None:
        return value
    return f"{d.year}年{d.month}月{d.day}日（{era_year_text(era)}）"


def days_in_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (7 - first.weekday()) % 7      # days to the first Monday
    return first + timedelta(days=offset + 7 * (n - 1))


def _equinoxes(year: int) -> Tuple[Optional[date], Optional[date]]:
    if not 1980 <= year <= 2099:
        return (None, None)
    k = year - 1980
    spring = int(20.8431 + 0.242194 * k - k // 4)
    autumn = int(23.2488 + 0.242194 * k - k // 4)
    return (date(year, 3, spring), date(year, 9, autumn))


@lru_cache(maxsize=256)
def holidays(year: int) -> FrozenSet[date]:
    """The national holidays of a year (with 振替休日 and 国民の休日)."""
    if year < 1949:
        return frozenset()
    days = {date(year, 1, 1), date(year, 2, 11), date(year, 4, 29), date(year, 5, 3), date(year, 5, 5),
            date(year, 11, 3), date(year, 11, 23)}
    if year >= 2007:
        days.add(date(year, 5, 4))     # before 2007 it was a 国民の休日, found below
    if year >= 2020:
        days.add(date(year, 2, 23))
    if 1989 <= year <= 2018:
        days.add(date(year, 12, 23))
    days.add(_nth_monday(year, 1, 2) if year >= 2000 else date(year, 1, 15))
    days.add(_nth_monday(year, 9, 3) if year >= 2003 else date(year, 9, 15))
    marine = {2020: date(2020, 7, 23), 2021: date(2021, 7, 22)}
    sports = {2020: date(2020, 7, 24), 2021: date(2021, 7, 23)}
    mountain = {2020: date(2020, 8, 10), 2021: date(2021, 8, 8)}
    if year >= 1996:
        days.add(marine.get(year) or (_nth_monday(year, 7, 3) if year >= 2003 else date(year, 7, 20)))
    days.add(sports.get(year) or (_nth_monday(year, 10, 2) if year >= 2000 else date(year, 10, 10)))
    if year >= 2016:
        days.add(mountain.get(year, date(year, 8, 11)))
    if year == 2019:
        days |= {date(2019, 5, 1), date(2019, 10, 22)}
    for d in _equinoxes(year):
        if d is not None:
            days.add(d)
    # 国民の休日: a weekday between two holidays (2019-04-30, 2019-05-02, the September "silver week").
    for d in sorted(days):
        between, after = d + timedelta(days=1), d + timedelta(days=2)
        if after in days and between not in days and between.weekday() != 6 and between.year == year:
            days.add(between)
    # 振替休日: a holiday on a Sunday moves to the next day that is not a holiday.
    for d in sorted(days):
        if d.weekday() == 6 and year >= 1973:
            sub = d + timedelta(days=1)
            while sub in days:
                sub += timedelta(days=1)
            if sub.year == year:
                days.add(sub)
    return frozenset(days)


class DayMark(NamedTuple):
    day: int
    weekday: int        # 0 = Monday … 6 = Sunday
    holiday: bool


def month_days(year: int, month: int) -> Tuple[DayMark, ...]:
    """Every day of a month with its weekday and whether it is a national holiday."""
    hol = holidays(year)
    out = []
    for d in range(1, days_in_month(year, month) + 1):
        day = date(year, month, d)
        out.append(DayMark(d, day.weekday(), day in hol))
    return tuple(out)


#: The one-letter era forms people type (R7.5, H31/4).
ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和", "T": "大正", "M": "明治"}


def parse_month_text(text: str) -> Optional[str]:
    """A month as a person types it → ``YYYYMM``: ``202505``, ``2025-05``, ``2025/5``, ``2025年5月``,
    ``令和7年5月``, ``令和元年5月``, ``R7.5``, ``r7/5`` (full-width digits too). None when it is not a
    real month, or when the era year lies outside the era (平成32年)."""
    import re
    import unicodedata

    s = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    m = re.fullmatch(r"(\d{4})(\d{2})|(\d{4})[-/.年](\d{1,2})月?", s)
    if m:
        m = m if m.group(1) else re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", s)
        value = f"{int(m.group(1)):04d}{int(m.group(2)):02d}"
        return value if parse_month(value) else None
    m = re.fullmatch(r"(令和|平成|昭和|大正|明治|[RHSTMrhstm])(元|\d{1,2})[年./-](\d{1,2})月?", s)
    if not m:
        return None
    era = ERA_LETTERS.get(m.group(1).upper(), m.group(1))
    year_in_era = 1 if m.group(2) == "元" else int(m.group(2))
    starts = {name: start for start, name in ERAS}
    ends = {name: end for (end, _), (_, name) in zip(ERAS, ERAS[1:])}
    start = starts[era]
    value = f"{start.year + year_in_era - 1:04d}{int(m.group(3)):02d}"
    ym = parse_month(value)
    if ym is None or year_in_era < 1:
        return None
    last_day = date(ym[0], ym[1], days_in_month(*ym))
    if last_day < start or (era in ends and date(ym[0], ym[1], 1) >= ends[era]):
        return None
    return value
