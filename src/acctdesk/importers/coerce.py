"""Turn imported cells into typed values, column by column, without guessing silently.

Every function takes a :class:`pandas.Series` (text from a CSV, or typed cells from a
workbook) and returns a :class:`Coerced`: the converted values and a list of
``(position, original text, reason)`` for the cells that could not be read.

Rules
-----
* Only an empty (or whitespace-only) cell is missing. Missing is NaN in numeric results and
  None in text/date/bool results. It is never an error.
* A value that cannot be read is an error; it is never turned into 0, today or False.
* A lone dash ("-", "–", "—") in a number/money/percent column is missing, not 0: reports use
  it for "no value" and zero must not be invented.
* Work is vectorised (pyarrow compute, pandas str methods); per-element Python runs only for
  the cells the fast path could not read.
* Column-wide decisions (decimal separator, day/month order, percent scale) are made from the
  whole column, and explained in ``Coerced.notes``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Coerced", "infer_date_order", "infer_decimal", "to_bool", "to_date", "to_datetime",
    "to_money", "to_number", "to_percent", "to_text",
]


@dataclass
class Coerced:
    """Result of a coercion.

    Attributes
    ----------
    values : pandas.Series
        Converted values, same length and index as the input.
    errors : list of (int, str, str)
        ``(position in the series, original value, reason)``; the reason follows the quoted
        value in a message ("is not a number").
    notes : list of str
        Column-wide decisions worth telling the user ("read 03/04/2025 as month/day/year:
        the column is ambiguous").
    """

    values: pd.Series
    errors: list[tuple[int, str, str]]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

_DASHES = {"-", "–", "—", "−", "--"}
_STRIP_CHARS = " \t\r\n\u00a0\u2007\u202f\ufeff\u200b"


def _is_text_dtype(s: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(s.dtype) or s.dtype == object


def _text(s: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """Stripped text of every cell as a pyarrow string array, and the missing mask.

    Non-string cells (floats, datetimes in an object column) are turned into text first:
    integral floats without ".0", datetimes in ISO form.
    """
    if s.dtype == object:
        s = s.map(_cell_to_text, na_action="ignore")
    arr = pa.array(s.astype("str") if not pd.api.types.is_string_dtype(s.dtype) else s,
                   type=pa.large_string(), from_pandas=True)
    arr = pc.utf8_trim(arr, _STRIP_CHARS)
    missing = pc.fill_null(pc.equal(arr, ""), True).to_numpy(zero_copy_only=False)
    return arr, np.asarray(missing, dtype=bool)


def _cell_to_text(x) -> str | None:
    if x is None or x is pd.NaT:
        return None
    if isinstance(x, float):
        if math.isnan(x):
            return None
        return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
    if isinstance(x, (pd.Timestamp, _dt.datetime)):
        return x.isoformat()
    if isinstance(x, _dt.date):
        return x.isoformat()
    return str(x)


def _errors(positions: np.ndarray, s: pd.Series, reason: str | list[str]) -> list[tuple[int, str, str]]:
    """Error tuples for ``positions`` of ``s`` (only those cells are converted to text)."""
    positions = np.asarray(positions, dtype=np.int64)
    if len(positions) == 0:
        return []
    originals = s.iloc[positions].to_numpy(dtype=object)
    reasons = [reason] * len(positions) if isinstance(reason, str) else reason
    return [(int(p), _orig(o), r) for p, o, r in zip(positions, originals, reasons)]


def _orig(x) -> str:
    text = _cell_to_text(x)
    return "" if text is None else text


def _object_or_none(arr: np.ndarray, mask_none: np.ndarray) -> np.ndarray:
    out = arr.astype(object)
    out[mask_none] = None
    return out


# ---------------------------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------------------------

_PLAIN_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_SEP = "[ \u00a0\u202f\u2009']"
_NUM_DOT = re.compile(rf"^(?:\d{{1,3}}(?:,\d{{3}})+|\d{{1,3}}(?:{_SEP}\d{{3}})+|\d+)(?:\.\d*)?$|^\.\d+$")
_NUM_COMMA = re.compile(rf"^(?:\d{{1,3}}(?:\.\d{{3}})+|\d{{1,3}}(?:{_SEP}\d{{3}})+|\d+)(?:,\d*)?$|^,\d+$")
_EXP = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)[eE][+-]?\d+$")


def infer_decimal(s: pd.Series) -> str:
    """Decimal separator of a text column of numbers: ``'.'`` or ``','``.

    Votes per value: with both separators, the last one is the decimal ("1.234,5" -> ",");
    a single comma followed by 1-2 or 4+ digits ("12,5") votes ","; several commas
    ("1,234,567") vote "."; the same for dots the other way round. "1,234" and "1.234" are
    ambiguous and do not vote. The majority wins; no votes (or a tie) means ".".
    """
    if not _is_text_dtype(s):
        return "."
    arr, missing = _text(s)
    if len(arr) == 0 or not pc.any(pc.match_substring(arr, ",")).as_py():
        return "."
    comma_votes = dot_votes = 0
    both = pc.and_(pc.match_substring(arr, ","), pc.match_substring(arr, "."))
    last_comma = pc.match_substring_regex(arr, r"\.[^,]*,\d*\D*$")
    last_dot = pc.match_substring_regex(arr, r",[^.]*\.\d*\D*$")
    comma_votes += pc.sum(pc.and_(both, last_comma)).as_py() or 0
    dot_votes += pc.sum(pc.and_(both, last_dot)).as_py() or 0
    only_comma = pc.and_(pc.match_substring(arr, ","), pc.invert(pc.match_substring(arr, ".")))
    only_dot = pc.and_(pc.match_substring(arr, "."), pc.invert(pc.match_substring(arr, ",")))
    comma_votes += pc.sum(pc.and_(only_comma, pc.match_substring_regex(arr, r"^[^,]*\d,(\d{1,2}|\d{4,})\D*$"))).as_py() or 0
    dot_votes += pc.sum(pc.and_(only_comma, pc.match_substring_regex(arr, r"\d,\d{3},\d{3}"))).as_py() or 0
    dot_votes += pc.sum(pc.and_(only_dot, pc.match_substring_regex(arr, r"^[^.]*\d\.(\d{1,2}|\d{4,})\D*$"))).as_py() or 0
    comma_votes += pc.sum(pc.and_(only_dot, pc.match_substring_regex(arr, r"\d\.\d{3}\.\d{3}"))).as_py() or 0
    return "," if comma_votes > dot_votes else "."


def _parse_numbers(arr: pa.Array, missing: np.ndarray, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Parse stripped text (no currency) into floats. Returns values and a 'bad' mask."""
    n = len(arr)
    values = np.full(n, np.nan)
    done = missing.copy()
    # Fast path: plain numbers ("1234.5", "-3", "1e5"); valid only when '.' is the decimal.
    if decimal == ".":
        plain = np.asarray(pc.fill_null(pc.match_substring_regex(arr, _PLAIN_NUMBER), False)
                           .to_numpy(zero_copy_only=False), bool) & ~done
    else:
        plain = np.asarray(pc.fill_null(pc.match_substring_regex(arr, r"^[+-]?\d+$"), False)
                           .to_numpy(zero_copy_only=False), bool) & ~done
    if plain.any():
        idx = np.flatnonzero(plain)
        values[idx] = pc.cast(arr.take(pa.array(idx)), pa.float64()).to_numpy(zero_copy_only=False)
        done |= plain
    bad = np.zeros(n, bool)
    rest = np.flatnonzero(~done)
    if len(rest):
        texts = arr.take(pa.array(rest)).to_pylist()
        pattern = _NUM_DOT if decimal == "." else _NUM_COMMA
        for pos, text in zip(rest, texts):
            v = _parse_one(text, pattern, decimal)
            if v is None:
                bad[pos] = True
            else:
                values[pos] = v
    return values, bad


def _parse_one(text: str, pattern: re.Pattern, decimal: str) -> float | None:
    t = text.strip()
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1].strip()
    if t and t[0] in "+-−":
        negative ^= t[0] in "-−"
        t = t[1:].strip()
    elif t.endswith("-") and len(t) > 1:   # SAP style trailing minus "500-"
        negative, t = not negative, t[:-1].strip()
    if not t:
        return None
    if _EXP.match(t) and decimal == ".":
        v = float(t)
    elif pattern.match(t):
        if decimal == ".":
            cleaned = re.sub(r"[,\s\u00a0\u202f\u2009']", "", t)
        else:
            cleaned = re.sub(r"[.\s\u00a0\u202f\u2009']", "", t).replace(",", ".")
        if cleaned in ("", "."):
            return None
        v = float(cleaned)
    else:
        return None
    if not math.isfinite(v):
        return None
    return -v if negative else v


def _number_result(s: pd.Series, values: np.ndarray, bad: np.ndarray, reason: str,
                   notes: list[str] | None = None) -> Coerced:
    return Coerced(pd.Series(values, index=s.index, dtype="float64"),
                   _errors(np.flatnonzero(bad), s, reason), notes or [])


def _numeric_passthrough(s: pd.Series, what: str) -> Coerced | None:
    if pd.api.types.is_bool_dtype(s.dtype):
        return None
    if pd.api.types.is_numeric_dtype(s.dtype):
        values = s.astype("float64").to_numpy(copy=True)
        bad = ~np.isfinite(values) & ~np.isnan(values)
        values[bad] = np.nan
        return _number_result(s, values, bad, f"is not a finite {what}")
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        bad = s.notna().to_numpy()
        return _number_result(s, np.full(len(s), np.nan), bad, f"is a date, not a {what}")
    return None


def to_number(s: pd.Series, *, decimal: str | None = None) -> Coerced:
    """Read numbers written the way people and exports write them.

    Parameters
    ----------
    s : pandas.Series
        Text or numeric cells.
    decimal : {'.', ','}, optional
        Decimal separator; inferred from the column (:func:`infer_decimal`) when None.

    Returns
    -------
    Coerced
        float64 values (NaN for missing).

    Notes
    -----
    Accepted: "1234.5", "1,234.5", "1 234.5", "1'234.5" and with ``decimal=','`` "1.234,5",
    "1 234,5"; "(500)" and "500-" are -500; "+5", "-5", "1e3". A lone dash is missing.
    Rejected (errors): "12k", "12,3x", "1,2,3", "nan", "inf", a date. Numeric cells pass
    through; booleans are rejected.
    """
    passthrough = _numeric_passthrough(s, "number")
    if passthrough is not None:
        return passthrough
    if pd.api.types.is_bool_dtype(s.dtype):
        return _number_result(s, np.full(len(s), np.nan), s.notna().to_numpy(), "is a yes/no value, not a number")
    arr, missing = _text(s)
    arr, missing = _dash_missing(arr, missing)
    dec = decimal or infer_decimal(s)
    values, bad = _parse_numbers(arr, missing, dec)
    notes = [] if decimal or dec == "." else ["read ',' as the decimal separator (from the column's values)"]
    return _number_result(s, values, bad, "is not a number", notes)


def _dash_missing(arr: pa.Array, missing: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    dash = np.asarray(pc.fill_null(pc.is_in(arr, pa.array(sorted(_DASHES), pa.large_string())), False)
                      .to_numpy(zero_copy_only=False), bool)
    return arr, missing | dash


_CURRENCY_SYMBOLS = "$€£¥₹₽¢₩₺₪₫₴₦₱฿"
_CURRENCY_RE = (r"(?:US\$|A\$|C\$|NZ\$|HK\$|S\$|R\$|Fr\.|CHF|kr\.?|zł|Kč|Ft|[" + _CURRENCY_SYMBOLS + r"]"
                r"|\b[A-Z]{3}\b)")
_CURRENCY_STRIP = re.compile(rf"^\s*{_CURRENCY_RE}\s*|\s*{_CURRENCY_RE}\s*$")


def to_money(s: pd.Series, *, cents: bool = False, decimal: str | None = None) -> Coerced:
    """Read money amounts, ignoring the currency symbol or ISO code around the number.

    Parameters
    ----------
    s : pandas.Series
        Text or numeric cells.
    cents : bool, default False
        The source writes amounts in minor units (Stripe: 1250 = 12.50); divide by 100.
    decimal : {'.', ','}, optional
        Decimal separator; inferred from the column when None.

    Returns
    -------
    Coerced
        float64 amounts in major units (NaN for missing).

    Notes
    -----
    Accepted: "$1,234.50", "USD 12,000", "12000 EUR", "1.234,50 €", "€1.234,50", "(500)",
    "($500)", "-$20", "$-20", "CHF 1'234.50". The currency is not returned; a column that
    mixes currencies must be split by the caller.
    """
    passthrough = _numeric_passthrough(s, "amount")
    if passthrough is None:
        if pd.api.types.is_bool_dtype(s.dtype):
            return _number_result(s, np.full(len(s), np.nan), s.notna().to_numpy(), "is a yes/no value, not an amount")
        arr, missing = _text(s)
        # Move a sign written before the currency ("-$20", "($500)") next to the number.
        arr = pc.replace_substring_regex(arr, r"^([(\-−+]?)\s*" + _CURRENCY_RE + r"\s*", r"\1")
        arr = pc.replace_substring_regex(arr, r"\s*" + _CURRENCY_RE + r"\s*(\)?)$", r"\1")
        arr = pc.utf8_trim(arr, _STRIP_CHARS)
        arr, missing = _dash_missing(arr, missing)
        dec = decimal
        if dec is None:
            dec = infer_decimal(pd.Series(arr.to_pandas(), dtype="str"))
        values, bad = _parse_numbers(arr, missing, dec)
        result = _number_result(s, values, bad, "is not an amount of money",
                                [] if decimal or dec == "." else ["read ',' as the decimal separator (from the column's values)"])
    else:
        result = passthrough
    if cents:
        result.values = result.values / 100.0
    return result


def to_percent(s: pd.Series) -> Coerced:
    """Read percentages as fractions: "85%" -> 0.85.

    Notes
    -----
    Values with a "%" sign are divided by 100. Values without one are fractions unless the
    column is on a 0-100 scale: when more than half of the column's unsigned values are
    above 1 (e.g. 85, 90, 100), all of its unsigned values are divided by 100 and a note
    says so. So a column of 0.85, 0.9 stays as is, and a column of 85, 90, 0.5 becomes
    0.85, 0.9, 0.005. Decimal commas ("85,5 %") are handled like :func:`to_number`.
    """
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        values = s.astype("float64").to_numpy(copy=True)
        has_pct = np.zeros(len(s), bool)
        bad = ~np.isfinite(values) & ~np.isnan(values)
        values[bad] = np.nan
    elif pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return _number_result(s, np.full(len(s), np.nan), s.notna().to_numpy(), "is not a percentage")
    else:
        arr, missing = _text(s)
        has_pct = np.asarray(pc.fill_null(pc.match_substring_regex(arr, r"%\s*\)?$"), False)
                             .to_numpy(zero_copy_only=False), bool)
        arr = pc.replace_substring_regex(arr, r"\s*%\s*(\)?)$", r"\1")
        arr, missing = _dash_missing(arr, missing)
        dec = infer_decimal(pd.Series(arr.to_pandas(), dtype="str"))
        values, bad = _parse_numbers(arr, missing, dec)
    notes = []
    values = values.copy()
    values[has_pct] /= 100.0
    plain = ~has_pct & ~np.isnan(values)
    if plain.any() and (np.abs(values[plain]) > 1).mean() > 0.5:
        values[plain] /= 100.0
        notes.append("numbers without '%' read as percentage points (the column is on a 0-100 scale)")
    return _number_result(s, values, bad, "is not a percentage", notes)


# ---------------------------------------------------------------------------------------------
# booleans and text
# ---------------------------------------------------------------------------------------------

_TRUE = {"yes", "y", "true", "t", "1", "1.0", "x", "checked", "on", "ja", "j", "oui", "o", "si", "sí",
         "✓", "✔", "☑", "wahr", "vrai", "active", "enabled"}
_FALSE = {"no", "n", "false", "f", "0", "0.0", "unchecked", "off", "nein", "non", "falsch", "faux",
          "☐", "inactive", "disabled"}
_MARKS = {"x", "✓", "✔", "☑", "*", "•"}


def to_bool(s: pd.Series) -> Coerced:
    """Read yes/no cells.

    Notes
    -----
    True: yes, y, true, t, 1, x, checked, on, ja, oui, si, ✓. False: no, n, false, f, 0,
    unchecked, off, nein, non. Case-insensitive. In a column that only ever holds a mark
    ("x", "✓") and blanks, a blank is False (a checkbox export); elsewhere a blank is missing
    (None). Anything else is an error. Values are an object Series of True/False/None.
    """
    n = len(s)
    out = np.full(n, None, dtype=object)
    if pd.api.types.is_bool_dtype(s.dtype):
        vals = s
        for i, v in enumerate(vals):
            out[i] = None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else bool(v)
        return Coerced(pd.Series(out, index=s.index, dtype=object), [])
    if pd.api.types.is_numeric_dtype(s.dtype):
        f = s.astype("float64").to_numpy()
        ok = np.isin(f, [0.0, 1.0])
        miss = np.isnan(f)
        out[ok] = f[ok] == 1.0
        bad = ~ok & ~miss
        return Coerced(pd.Series(out, index=s.index, dtype=object),
                       _errors(np.flatnonzero(bad), s, "is not yes/no (expected 1 or 0)"))
    arr, missing = _text(s)
    low = pc.utf8_lower(arr)
    is_true = np.asarray(pc.fill_null(pc.is_in(low, pa.array(sorted(_TRUE), pa.large_string())), False)
                         .to_numpy(zero_copy_only=False), bool)
    is_false = np.asarray(pc.fill_null(pc.is_in(low, pa.array(sorted(_FALSE), pa.large_string())), False)
                          .to_numpy(zero_copy_only=False), bool)
    out[is_true] = True
    out[is_false] = False
    bad = ~(is_true | is_false | missing)
    notes = []
    present = ~missing
    if present.any() and not is_false.any() and not bad.any():
        marks = set(pc.unique(low.filter(pa.array(present))).to_pylist())
        if marks <= _MARKS:
            out[missing] = False
            notes.append("blank cells read as 'no' (the column only marks 'yes' with a tick)")
    return Coerced(pd.Series(out, index=s.index, dtype=object),
                   _errors(np.flatnonzero(bad), s, "is not yes/no"), notes)


def to_text(s: pd.Series) -> Coerced:
    """Clean text: strip surrounding whitespace (and BOM/zero-width spaces), normalise to NFC.

    Notes
    -----
    Formula-looking text ("=SUM(A1)", "+1 555 0100", "-foo", "@bar") is kept literally; it is
    never evaluated, and escaping it for CSV export is the exporter's job. Integral floats
    from a workbook become "12345" (not "12345.0"); dates become ISO text. Missing is None.
    Never produces errors.
    """
    arr, missing = _text(s)
    arr = pc.utf8_normalize(arr, "NFC")
    out = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
    out[missing] = None
    return Coerced(pd.Series(out, index=s.index, dtype=object), [])


# ---------------------------------------------------------------------------------------------
# dates
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    "jan": 1, "january": 1, "janv": 1, "januar": 1, "janvier": 1, "jän": 1,
    "feb": 2, "february": 2, "févr": 2, "fevr": 2, "februar": 2, "février": 2,
    "mar": 3, "march": 3, "mär": 3, "märz": 3, "mars": 3, "mrz": 3,
    "apr": 4, "april": 4, "avr": 4, "avril": 4,
    "may": 5, "mai": 5,
    "jun": 6, "june": 6, "juni": 6, "juin": 6,
    "jul": 7, "july": 7, "juli": 7, "juil": 7, "juillet": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9,
    "oct": 10, "october": 10, "okt": 10, "oktober": 10, "octobre": 10,
    "nov": 11, "november": 11, "novembre": 11,
    "dec": 12, "december": 12, "dez": 12, "dezember": 12, "déc": 12, "décembre": 12,
}
_ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})"
_ISO_FULL = (r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
             r"\s*(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$")
_NUMERIC_DATE = re.compile(r"^(\d{1,4})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T,]+(.*))?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T,]+(.*))?$")
_DAY_MON_YEAR = re.compile(r"^(?:[A-Za-zäéû]+\.?,?\s+)?(\d{1,2})\.?[\s\-/]+([A-Za-zäéû]{3,9})\.?[\s\-/,]+(\d{4}|\d{2})(?:[ T,]+(.*))?$")
_MON_DAY_YEAR = re.compile(r"^(?:[A-Za-zäéû]+\.?,?\s+)?([A-Za-zäéû]{3,9})\.?[\s\-/]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/]+(\d{4})(?:[ T,]+(.*))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp]\.?[Mm]\.?)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$")
_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 29221, 73051            # 1980-01-01 .. 2100-01-01
_EPOCH_MIN, _EPOCH_MAX = 315532800, 4102444800      # 1980-01-01 .. 2100-01-01 in seconds


def infer_date_order(s: pd.Series) -> str:
    """Day/month order of a column of numeric dates ("03/04/2025").

    Returns
    -------
    str
        ``'ymd'`` when all dates start with a 4-digit year (ISO, "2025/03/04"); otherwise,
        looking only at the day/month-first values: ``'dmy'`` when
        some first part is above 12 (or dots are used, "04.03.2025", the German form, with no
        contrary evidence); ``'mdy'`` when some second part is above 12; ``'ambiguous'`` when
        no value decides, or when the column contradicts itself (both happen).
    """
    if not _is_text_dtype(s):
        return "ymd" if pd.api.types.is_datetime64_any_dtype(s.dtype) else "ambiguous"
    arr, missing = _text(s)
    return _date_order_of(arr)


def _date_order_of(arr: pa.Array) -> str:
    year_first = pc.fill_null(pc.match_substring_regex(arr, r"^\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}"), False)
    day_first = pc.fill_null(pc.match_substring_regex(arr, r"^\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}(?:$|[ T,])"), False)
    if not pc.any(day_first).as_py():
        return "ymd" if pc.any(year_first).as_py() else "ambiguous"
    arr = arr.filter(day_first)
    parts = pc.extract_regex(arr, r"^(?P<a>\d{1,4})(?P<sep>[/.\-])(?P<b>\d{1,2})[/.\-](?P<y>\d{2,4})(?:$|[ T,])")
    valid = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    if not valid.any():
        return "ambiguous"
    parts = parts.filter(pa.array(valid))
    a = pc.cast(pc.struct_field(parts, "a"), pa.int32()).to_numpy()
    b = pc.cast(pc.struct_field(parts, "b"), pa.int32()).to_numpy()
    dots = int(pc.sum(pc.equal(pc.struct_field(parts, "sep"), ".")).as_py() or 0)
    first_big = bool((a > 12).any())
    second_big = bool((b > 12).any())
    if first_big and second_big:
        return "ambiguous"
    if first_big:
        return "dmy"
    if second_big:
        return "mdy"
    if dots > len(a) / 2:
        return "dmy"
    return "ambiguous"


def _year(text: str) -> int:
    y = int(text)
    if len(text) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _serial_to_dt(v: float) -> _dt.datetime | None:
    if _SERIAL_MIN <= v < _SERIAL_MAX:
        return (_EXCEL_EPOCH + _dt.timedelta(days=float(v))).replace(microsecond=0)
    if _EPOCH_MIN <= v < _EPOCH_MAX:
        return _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=float(v))
    if _EPOCH_MIN * 1000 <= v < _EPOCH_MAX * 1000:
        return _dt.datetime(1970, 1, 1) + _dt.timedelta(milliseconds=float(v))
    return None


def _parse_time(text: str | None) -> tuple[_dt.time, int | None] | None:
    """Time of day and UTC offset in minutes (None when no offset was written)."""
    if not text:
        return _dt.time(0), None
    m = _TIME.match(text.strip())
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2])
    second = int(m[3] or 0)
    if m[5]:
        ampm = m[5][0].lower()
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    offset = None
    if m[6]:
        z = m[6]
        if z in ("Z", "UTC", "GMT"):
            offset = 0
        else:
            sign = -1 if z[0] == "-" else 1
            digits = z[1:].replace(":", "")
            offset = sign * (int(digits[:2]) * 60 + int(digits[2:4] or 0))
    return _dt.time(hour, minute, second), offset


def _parse_date_one(text: str, order: str) -> tuple[_dt.datetime, int | None] | str:
    """Parse one non-ISO date; return (naive datetime, offset minutes) or an error reason."""
    t = text.strip()
    m = _YMD_SLASH.match(t)
    if m:
        y, mo, d, rest = int(m[1]), int(m[2]), int(m[3]), m[4]
    elif (m := _NUMERIC_DATE.match(t)):
        a, sep, b, yy, rest = m[1], m[2], m[3], m[4], m[5]
        if len(a) > 2:
            return "is not a valid date"
        use = order
        if sep == "." and order != "dmy" or order == "ymd":
            use = "dmy" if sep == "." else "mdy"
        if use == "dmy":
            d, mo = int(a), int(b)
        else:
            mo, d = int(a), int(b)
        y = _year(yy)
    elif (m := _DAY_MON_YEAR.match(t)):
        mon = _MONTHS.get(m[2].lower().rstrip("."))
        if mon is None:
            return "is not a valid date (unknown month name)"
        d, mo, y, rest = int(m[1]), mon, _year(m[3]), m[4]
    elif (m := _MON_DAY_YEAR.match(t)):
        mon = _MONTHS.get(m[1].lower().rstrip("."))
        if mon is None:
            return "is not a valid date (unknown month name)"
        mo, d, y, rest = mon, int(m[2]), int(m[3]), m[4]
    elif (m := _COMPACT.match(t)):
        y, mo, d, rest = int(m[1]), int(m[2]), int(m[3]), None
    else:
        try:
            number = float(t.replace(",", "."))
        except ValueError:
            return "is not a date"
        moment = _serial_to_dt(number)
        if moment is None:
            return "is a number outside the range of dates (not an Excel date or a Unix time)"
        return moment, (0 if number >= _EPOCH_MIN else None)
    try:
        day = _dt.date(y, mo, d)
    except ValueError:
        label = {"dmy": "day/month/year", "mdy": "month/day/year"}.get(order, "")
        return "is not a valid date" + (f" (read as {label})" if label and _NUMERIC_DATE.match(t) else "")
    tm = _parse_time(rest)
    if tm is None:
        return "is not a valid date (unreadable time part)"
    return _dt.datetime.combine(day, tm[0]), tm[1]


def _resolve_order(arr: pa.Array, order: str | None) -> tuple[str, list[str]]:
    inferred = _date_order_of(arr)
    if inferred in ("dmy", "mdy", "ymd"):
        return inferred, []
    if order in ("dmy", "mdy", "ymd"):
        return order, []
    # Only note when the column has day/month dates at all.
    has_numeric = bool(pc.any(pc.fill_null(
        pc.match_substring_regex(arr, r"^\d{1,2}[/\-]\d{1,2}[/\-]\d{2,4}"), False)).as_py())
    return "mdy", (["read dates like 03/04/2025 as month/day/year: the column does not say "
                    "which comes first"] if has_numeric else [])


def _coerce_moments(s: pd.Series, order: str | None, *, with_time: bool) -> Coerced:
    """Shared engine of to_date and to_datetime."""
    n = len(s)
    fmt_len = 19 if with_time else 10
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = s
        if getattr(s.dt, "tz", None) is not None:
            values = s.dt.tz_convert("UTC").dt.tz_localize(None) if with_time else s.dt.tz_localize(None)
        arr = values.to_numpy(dtype="datetime64[s]")
        miss = np.isnat(arr)
        stamps = pa.array(arr, type=pa.timestamp("s"), mask=miss)
        if with_time:
            text = pc.replace_substring(pc.cast(stamps, pa.string()), " ", "T")
        else:
            text = pc.cast(pc.cast(stamps, pa.date32()), pa.string())
        text = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        return Coerced(pd.Series(_object_or_none(text, miss), index=s.index, dtype=object), [])
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        f = s.astype("float64").to_numpy()
        out = np.full(n, None, dtype=object)
        bad = []
        for i in np.flatnonzero(~np.isnan(f)):
            moment = _serial_to_dt(float(f[i]))
            if moment is None:
                bad.append(i)
            else:
                out[i] = moment.isoformat()[:fmt_len] if with_time else moment.date().isoformat()
        return Coerced(pd.Series(out, index=s.index, dtype=object),
                       _errors(np.array(bad, dtype=int), s,
                               "is a number outside the range of dates (not an Excel date or a Unix time)"))
    if pd.api.types.is_bool_dtype(s.dtype):
        return Coerced(pd.Series([None] * n, index=s.index, dtype=object),
                       _errors(np.flatnonzero(s.notna().to_numpy()), s, "is not a date"))
    arr, missing = _text(s)
    notes: list[str] = []
    out = np.full(n, None, dtype=object)
    done = missing.copy()
    # Fast path: ISO dates/datetimes, vectorised in pyarrow. Values of exactly 10 characters
    # are validated by strptime itself; longer ones must match the full ISO pattern first.
    length = pc.utf8_length(arr).to_numpy(zero_copy_only=False)
    iso = (length == 10) & ~done
    longer = np.flatnonzero((length > 10) & ~done)
    if len(longer):
        ok = pc.fill_null(pc.match_substring_regex(arr.take(pa.array(longer)), _ISO_FULL), False)
        iso[longer[np.asarray(ok.to_numpy(zero_copy_only=False), bool)]] = True
    if iso.any():
        idx = np.flatnonzero(iso)
        sub = arr.take(pa.array(idx))
        if not with_time:
            day = pc.strptime(pc.utf8_slice_codeunits(sub, 0, 10), format="%Y-%m-%d", unit="s", error_is_null=True)
            ok = np.asarray(pc.is_valid(day).to_numpy(zero_copy_only=False), bool)
            text = pc.cast(pc.cast(day, pa.date32()), pa.string()).to_numpy(zero_copy_only=False)
            good = idx[ok]
            out[good] = text[ok]
            done[good] = True
        else:
            parsed = _iso_datetimes(sub)
            ok = ~pd.isna(parsed)
            good = idx[ok]
            out[good] = np.asarray(parsed[ok], dtype=object)
            done[good] = True
    bad_pos, reasons = [], []
    rest = np.flatnonzero(~done)
    if len(rest):
        # The day/month order is decided by the whole column, but only needed here.
        use, notes = _resolve_order(arr.filter(pa.array(~missing)), order)
        texts = arr.take(pa.array(rest)).to_pylist()
        for pos, text in zip(rest, texts):
            result = _parse_date_one(text, use)
            if isinstance(result, str):
                bad_pos.append(pos)
                reasons.append(result)
                continue
            moment, offset = result
            if with_time:
                if offset:
                    moment = moment - _dt.timedelta(minutes=offset)
                out[pos] = moment.isoformat()[:19] if moment.microsecond == 0 else moment.replace(microsecond=0).isoformat()
            else:
                out[pos] = moment.date().isoformat()
    return Coerced(pd.Series(out, index=s.index, dtype=object),
                   _errors(np.array(bad_pos, dtype=int), s, reasons), notes)


def _ls(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _iso_datetimes(sub: pa.Array) -> np.ndarray:
    """ISO datetimes (any offset per value) -> 'YYYY-MM-DDTHH:MM:SS' in UTC when an offset is given."""
    parts = pc.extract_regex(sub, r"^(?P<base>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?)(?:[.,]\d+)?"
                                  r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$")
    base = pc.replace_substring(pc.struct_field(parts, "base"), " ", "T")
    base = pc.if_else(pc.equal(pc.utf8_length(base), 10), pc.binary_join_element_wise(base, _ls("T00:00:00"), _ls("")), base)
    base = pc.if_else(pc.equal(pc.utf8_length(base), 16), pc.binary_join_element_wise(base, _ls(":00"), _ls("")), base)
    ts = pc.strptime(base, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    tz = pc.struct_field(parts, "tz").to_pylist()
    seconds = ts.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    offsets = np.zeros(len(tz), dtype="timedelta64[s]")
    for i, z in enumerate(tz):   # only values that carry an offset; None/"" skip quickly
        if z and z not in ("Z", "UTC", "GMT"):
            sign = -1 if z[0] == "-" else 1
            digits = z[1:].replace(":", "")
            offsets[i] = np.timedelta64(sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60), "s")
    utc = seconds - offsets
    # pyarrow's cast is ~8x faster than numpy's datetime_as_string or strftime.
    text = pc.replace_substring(pc.cast(pa.array(utc, type=pa.timestamp("s")), pa.string()), " ", "T")
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


def to_date(s: pd.Series, *, order: str | None = None) -> Coerced:
    """Read calendar dates; return ISO ``'YYYY-MM-DD'`` strings (None for missing).

    Parameters
    ----------
    s : pandas.Series
        Text, datetime64 (from a workbook) or numeric (Excel serial) cells.
    order : {'dmy', 'mdy', 'ymd'}, optional
        Day/month order to use when the column itself does not decide
        (:func:`infer_date_order` returns 'ambiguous'), e.g. from the source profile or the
        user's locale. Without it an ambiguous column is read month/day/year, with a note.

    Notes
    -----
    Accepted: ISO ("2025-03-04", with any time and offset: the date as written is kept),
    "03/04/2025" and "3-4-25" in the column's order, "04.03.2025" (day first), "2025/03/04",
    "4 Mar 2025", "04-Mar-2025", "Mar 4, 2025", "March 4th, 2025", "20250304", English,
    German and French month names; Excel serial numbers between 1980 and 2100 (45000 ->
    2023-03-15); Unix epoch seconds or milliseconds between 1980 and 2100 (UTC date).
    Any other number is an error, never a date; an impossible date ("31/02/2025") is an error.
    """
    return _coerce_moments(s, order, with_time=False)


def to_datetime(s: pd.Series, *, order: str | None = None) -> Coerced:
    """Read timestamps; return ISO ``'YYYY-MM-DDTHH:MM:SS'`` strings (None for missing).

    Parameters
    ----------
    s : pandas.Series
        Text, datetime64 or numeric cells.
    order : {'dmy', 'mdy', 'ymd'}, optional
        As in :func:`to_date`.

    Notes
    -----
    A value with an offset ("+02:00", "-0500", "Z", "UTC") is converted to UTC; a value
    without one is kept as written (naive). Seconds fractions are dropped. A date without a
    time gets 00:00:00. "3/4/2025 10:20 PM" and "Mar 4, 2025 22:20" are accepted. Excel
    serials keep their time fraction; Unix epoch values are UTC. tz-aware datetime64 columns
    are converted to UTC.
    """
    return _coerce_moments(s, order, with_time=True)
