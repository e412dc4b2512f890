"""Do a column's values fit the field it is mapped to?

A header says what a column claims to be; its values say what it is. Before a profile or a
fuzzy mapping is proposed, each mapped column is checked on a sample of its values:

* a date field takes values that read as dates, and never a column of yes/no flags
  (``IsClosed`` = ``1`` / ``FALSE`` is not a close date);
* money and number fields take numbers, and never ids (``0015g00000AcmeAAA``, or digit
  strings of nine or more digits that are all different, such as CRM record ids);
* a yes/no field takes yes/no values;
* an NPS score takes whole numbers from 0 to 10 (a multiple-choice answer coded 1-5 or a
  text answer is not NPS).

:func:`column_fit` gives the share of sampled values that fit (1.0 when the column is empty:
emptiness is reported elsewhere).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from . import coerce

__all__ = ["column_fit", "is_flag_column", "is_id_column", "nps_fit", "SAMPLE"]

SAMPLE = 400
_FLAG_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f", "0", "1", "0.0", "1.0", "x",
               "checked", "unchecked", "on", "off", "wahr", "falsch", "ja", "nein"}
_ID_RE = re.compile(r"^(?=.*\d)[A-Za-z0-9_\-]{6,}$")


def _sample(s: pd.Series) -> pd.Series:
    s = s.dropna()
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        s = s[s.astype(str).str.strip() != ""]
    if len(s) > SAMPLE:
        s = s.iloc[np.linspace(0, len(s) - 1, SAMPLE).astype(int)]
    return s.reset_index(drop=True)


def is_flag_column(s: pd.Series) -> bool:
    """True when every sampled value is a yes/no flag (true/false, 1/0, yes/no ...)."""
    v = _sample(s)
    if not len(v):
        return False
    if pd.api.types.is_bool_dtype(v.dtype):
        return True
    words = v.astype(str).str.strip().str.lower()
    return bool(words.isin(_FLAG_WORDS).all())


def is_id_column(s: pd.Series) -> bool:
    """True when the values look like record ids: letters and digits mixed ("cus_P9x...",
    "0015g00000AcmeAAA", "A-2e4581") or long all-different digit strings."""
    v = _sample(s)
    if len(v) < 2:
        return False
    text = v.astype(str).str.strip()
    if pd.api.types.is_float_dtype(v.dtype):
        if not np.all(np.mod(v.to_numpy(dtype=float), 1) == 0):
            return False
        text = v.astype("int64").astype(str)
    mixed = text.str.contains(r"[A-Za-z]") & text.str.contains(r"\d") & text.map(
        lambda t: bool(_ID_RE.match(t)))
    if mixed.mean() >= 0.9:
        return True
    digits = text.str.fullmatch(r"\d{9,}")
    return bool(digits.mean() >= 0.9 and text.nunique() == len(text))


def column_fit(s: pd.Series, kind: str) -> float:
    """Share (0..1) of a sample of the column's values that read as ``kind``."""
    v = _sample(s)
    if not len(v):
        return 1.0
    n = len(v)
    if kind in ("date", "datetime"):
        if is_flag_column(v):
            return 0.0
        if pd.api.types.is_numeric_dtype(v.dtype) and not pd.api.types.is_bool_dtype(v.dtype):
            return 0.0      # plain numbers are not dates (workbook dates arrive typed)
        res = coerce.to_datetime(v) if kind == "datetime" else coerce.to_date(v)
        return 1.0 - len(res.errors) / n
    if kind in ("money", "money_cents", "number", "int", "percent"):
        if pd.api.types.is_bool_dtype(v.dtype) or is_id_column(v):
            return 0.0
        fn = {"money": coerce.to_money, "percent": coerce.to_percent}.get(kind, coerce.to_number)
        res = coerce.to_money(v, cents=True) if kind == "money_cents" else fn(v)
        return 1.0 - len(res.errors) / n
    if kind == "bool":
        return 1.0 - len(coerce.to_bool(v).errors) / n
    return 1.0


def nps_fit(s: pd.Series) -> float:
    """Share of sampled answers that are whole numbers 0-10 (an NPS answer), 0 when the
    answers only ever use a 1-5 (or smaller) scale."""
    v = _sample(s)
    if not len(v):
        return 1.0
    text = v.astype(str).str.strip()
    lead = text.str.extract(r"^(\d{1,2})(?:\.0)?(?:\s*[-–:]\s*\D.*)?$")[0]
    trail = text.str.extract(r"^\D.*?[-–:]\s*(\d{1,2})$")[0]
    num = pd.to_numeric(lead.fillna(trail), errors="coerce")
    ok = num.between(0, 10)
    if not ok.any():
        return 0.0
    if num[ok].max() <= 5 and len(v) >= 5:
        return 0.0
    return float(ok.mean())
