"""Dates as acctdesk computes with them.

Every figure is computed *as of* a date given as ISO text (``"2026-10-31"``); timestamps count
by their first ten characters. For arithmetic over many rows a date is a *day number*: whole
days since 1970-01-01 (a float array, NaN for a missing or unreadable date). Calendar months
are ``"YYYY-MM"`` labels or month numbers (``year * 12 + month - 1``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from ..frames import date_part

EPOCH = dt.date(1970, 1, 1)


def to_date(value: Any) -> dt.date:
    """A date, datetime, Timestamp or ISO text (first ten characters) as a ``date``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    return dt.date.fromisoformat(str(value).strip()[:10])


def iso(value: Any) -> str:
    """``value`` (see :func:`to_date`) as ``"YYYY-MM-DD"``."""
    return to_date(value).isoformat()


def to_day(value: Any) -> int:
    """The day number of one date."""
    return (to_date(value) - EPOCH).days


def day_to_date(day: float) -> dt.date:
    """The date of a day number."""
    return EPOCH + dt.timedelta(days=int(day))


def day_iso(day: float) -> str:
    """The ISO text of a day number."""
    return day_to_date(day).isoformat()


def add_days(value: Any, days: int) -> str:
    """The ISO date ``days`` after ``value`` (before, when negative)."""
    return (to_date(value) + dt.timedelta(days=int(days))).isoformat()


def days(values) -> np.ndarray:
    """ISO dates or timestamps (text, dates or datetimes) -> float day numbers (NaN when
    missing or unreadable). Each distinct value is parsed once: exports repeat the same
    dates many times, and a million timestamps hold a few hundred distinct days."""
    s = date_part(values)
    if len(s) == 0:
        return np.empty(0, dtype=float)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(s), np.nan)
    text = pd.Series([str(u)[:10] for u in np.asarray(uniques, dtype=object)], dtype=object)
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    ns = parsed.to_numpy(dtype="datetime64[ns]")
    udays = ns.astype("datetime64[D]").astype("int64").astype("float64")
    udays[np.isnat(ns)] = np.nan
    return np.append(udays, np.nan)[codes]


# ------------------------------------------------------------------ calendar months
def month_index(value: Any) -> int:
    """The month number (``year * 12 + month - 1``) of ``"YYYY-MM"``, an ISO date or a date.

    Raises ValueError for text that is not a month."""
    if isinstance(value, str):
        text = value.strip()
        try:
            year, month = int(text[0:4]), int(text[5:7])
        except ValueError:
            raise ValueError(f"not a month (expected 'YYYY-MM'): {value!r}") from None
        if text[4:5] != "-" or not 1 <= month <= 12:
            raise ValueError(f"not a month (expected 'YYYY-MM'): {value!r}")
        return year * 12 + month - 1
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if hasattr(value, "year") and hasattr(value, "month"):
        return int(value.year) * 12 + int(value.month) - 1
    raise TypeError(f"not a month: {value!r}")


def month_label(index: int) -> str:
    """``"YYYY-MM"`` of a month number."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: Any, last: Any) -> list[str]:
    """The calendar months ``first`` .. ``last`` inclusive as labels."""
    return [month_label(i) for i in range(month_index(first), month_index(last) + 1)]


def add_months(year: int, month: int, k: int) -> tuple[int, int]:
    """(year, month) ``k`` calendar months later."""
    m = month - 1 + k
    return year + m // 12, m % 12 + 1


def months_before(value: Any, months: int) -> str:
    """``value`` minus whole calendar months, the day clipped to the month's end
    (2026-10-31 minus 6 -> 2026-04-30)."""
    return (pd.Timestamp(iso(value)) - pd.DateOffset(months=months)).date().isoformat()


def month_ends_before(value: Any, months: int) -> list[str]:
    """The last ``months`` month ends before ``value``'s month, oldest first."""
    first = to_date(value).replace(day=1)
    out = []
    for _ in range(months):
        end = first - dt.timedelta(days=1)
        out.append(end.isoformat())
        first = end.replace(day=1)
    return sorted(out)


def add_months_days(day_numbers: np.ndarray, months: np.ndarray) -> np.ndarray:
    """The same day of month ``months`` later (clipped to the month's end), as day numbers;
    vectorised over both arrays."""
    d = np.asarray(day_numbers).astype(np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months).astype(np.int64).astype("timedelta64[M]")
    last = (target + 1).astype("datetime64[D]") - 1
    res = np.minimum(target.astype("datetime64[D]") + dom.astype("timedelta64[D]"), last)
    return res.astype(np.int64).astype(float)


def month_of_day(day_numbers: np.ndarray) -> np.ndarray:
    """The month number since 1970-01 of each day number (-1 for NaN)."""
    d = np.asarray(day_numbers, dtype=float)
    out = np.full(d.shape, -1, dtype=np.int64)
    ok = ~np.isnan(d)
    out[ok] = d[ok].astype("int64").astype("datetime64[D]").astype("datetime64[M]") \
        .astype("int64")
    return out
