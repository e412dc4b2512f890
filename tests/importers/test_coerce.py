"""Value coercion: real-world spellings in, typed values or explicit errors out."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acctdesk.importers.coerce import (
    infer_date_order, infer_decimal, to_bool, to_date, to_datetime, to_money, to_number,
    to_percent, to_text,
)


def S(*values):
    return pd.Series(list(values), dtype="str")


def same(values, expected):
    assert len(values) == len(expected)
    for got, want in zip(values, expected):
        if want is None or (isinstance(want, float) and math.isnan(want)):
            assert got is None or (isinstance(got, float) and math.isnan(got)), (got, want)
        else:
            assert got == pytest.approx(want) if isinstance(want, float) else got == want, (got, want)


def test_to_number_spellings_and_errors():
    r = to_number(S("1,234.5", "(500)", "-", "12k", "", "1e3", "12,3x", "nan", " 7 ", "500-", "inf", "+4"))
    same(r.values.tolist(), [1234.5, -500.0, None, None, None, 1000.0, None, None, 7.0, -500.0, None, 4.0])
    assert r.errors == [(3, "12k", "is not a number"), (6, "12,3x", "is not a number"),
                        (7, "nan", "is not a number"), (10, "inf", "is not a number")]


def test_to_number_decimal_comma_inferred_and_explicit():
    r = to_number(S("1.234,5", "1 234,5", "12,5"))
    same(r.values.tolist(), [1234.5, 1234.5, 12.5])
    assert r.notes and "decimal separator" in r.notes[0]
    # "1,234" alone is ambiguous: the default '.' reads it as a thousands separator.
    same(to_number(S("1,234")).values.tolist(), [1234.0])
    same(to_number(S("1,234"), decimal=",").values.tolist(), [1.234])
    # With ',' as decimal, a dot followed by 3 digits is a thousands separator.
    same(to_number(S("1.234", "2,5"), decimal=",").values.tolist(), [1234.0, 2.5])


def test_to_number_floats_pass_through_and_dates_rejected():
    r = to_number(pd.Series([1.5, np.nan, 3.0]))
    same(r.values.tolist(), [1.5, None, 3.0])
    assert r.errors == []
    r = to_number(pd.Series(pd.to_datetime(["2025-01-01"])))
    assert r.errors and r.errors[0][2] == "is a date, not a number"


def test_to_number_mixed_object_column_from_workbook():
    r = to_number(pd.Series([12.0, "n/a", "1,000"], dtype=object))
    same(r.values.tolist(), [12.0, None, 1000.0])
    assert r.errors == [(1, "n/a", "is not a number")]


def test_to_money():
    r = to_money(S("$1,234.50", "USD 12,000", "-$20", "($500)", "12000 EUR", "$-20", "CHF 1'234.50", "", "12k"))
    same(r.values.tolist(), [1234.5, 12000.0, -20.0, -500.0, 12000.0, -20.0, 1234.5, None, None])
    assert r.errors == [(8, "12k", "is not an amount of money")]
    same(to_money(S("1.234,50 €", "€1.234,50", "12,00")).values.tolist(), [1234.5, 1234.5, 12.0])
    same(to_money(S("1250", "99", ""), cents=True).values.tolist(), [12.5, 0.99, None])
    same(to_money(pd.Series([1250.0, np.nan]), cents=True).values.tolist(), [12.5, None])


def test_to_percent():
    same(to_percent(S("85%", "0.85", "")).values.tolist(), [0.85, 0.85, None])
    same(to_percent(S("12,5 %", "7,25 %")).values.tolist(), [0.125, 0.0725])
    r = to_percent(S("85", "90", "0.5"))
    same(r.values.tolist(), [0.85, 0.9, 0.005])
    assert r.notes
    same(to_percent(S("0.85", "0.9", "1")).values.tolist(), [0.85, 0.9, 1.0])
    same(to_percent(pd.Series([0.25, 0.5])).values.tolist(), [0.25, 0.5])
    assert to_percent(S("lots")).errors == [(0, "lots", "is not a percentage")]


def test_infer_date_order_and_decimal():
    assert infer_date_order(S("13/01/2025", "01/02/2025")) == "dmy"
    assert infer_date_order(S("01/13/2025", "01/02/2025")) == "mdy"
    assert infer_date_order(S("01/02/2025")) == "ambiguous"
    assert infer_date_order(S("13/01/2025", "01/13/2025")) == "ambiguous"
    assert infer_date_order(S("2025/01/02")) == "ymd"
    assert infer_date_order(S("04.03.2025")) == "dmy"
    assert infer_decimal(S("1.234,5", "12,5")) == ","
    assert infer_decimal(S("1,234", "12.5")) == "."
    assert infer_decimal(S("1,234,567")) == "."
    assert infer_decimal(S("100", "200")) == "."


def test_to_date_many_forms():
    r = to_date(S("2025-03-04", "4 Mar 2025", "Mar 4, 2025", "45000", "2025-03-04T10:20:00+02:00",
                  "2025-03-04 10:20:00 UTC", "04.03.2025", "March 4th, 2025", "20250304",
                  "04-Mar-25", "1741083600", "", "2025/03/04"))
    assert r.values.tolist() == ["2025-03-04", "2025-03-04", "2025-03-04", "2023-03-15", "2025-03-04",
                                 "2025-03-04", "2025-03-04", "2025-03-04", "2025-03-04", "2025-03-04",
                                 "2025-03-04", None, "2025-03-04"]
    assert r.errors == []


def test_to_date_column_order_and_default():
    assert to_date(S("03/04/2025", "13/04/2025")).values.tolist() == ["2025-04-03", "2025-04-13"]
    assert to_date(S("03/04/2025", "04/13/2025")).values.tolist() == ["2025-03-04", "2025-04-13"]
    r = to_date(S("03/04/2025", "05/06/2025"))
    assert r.values.tolist() == ["2025-03-04", "2025-05-06"]
    assert r.notes and "month/day/year" in r.notes[0]
    r = to_date(S("03/04/2025"), order="dmy")
    assert r.values.tolist() == ["2025-04-03"] and r.notes == []


def test_to_date_errors_never_guess():
    r = to_date(S("31/02/2025", "13/01/2025", "foo", "5", "2025-13-01"))
    assert r.values.tolist() == [None, "2025-01-13", None, None, None]
    assert [e[0] for e in r.errors] == [0, 2, 3, 4]
    assert r.errors[0][2] == "is not a valid date (read as day/month/year)"
    assert "outside the range of dates" in r.errors[2][2]


def test_to_date_from_workbook_types():
    assert to_date(pd.Series(pd.to_datetime(["2025-01-02 13:00", None]))).values.tolist() == ["2025-01-02", None]
    r = to_date(pd.Series([45000.0, np.nan, 5.0, 45000.5]))
    assert r.values.tolist() == ["2023-03-15", None, None, "2023-03-15"]
    assert [e[0] for e in r.errors] == [2]
    # Dates re-read as text from a mixed workbook column.
    assert to_date(pd.Series(["2025-01-07 00:00:00", "n/a"], dtype="str")).values.tolist() == ["2025-01-07", None]


def test_to_datetime_utc_and_naive():
    r = to_datetime(S("2025-03-04T10:20:00+02:00", "2025-03-04 10:20:00 UTC", "2025-03-04",
                      "3/4/2025 10:20 PM", "2025-03-04T10:20:00-0500", "2025-03-04T10:20",
                      "2025-03-04T10:20:00.123Z", "Mar 4, 2025 22:20"))
    assert r.values.tolist() == ["2025-03-04T08:20:00", "2025-03-04T10:20:00", "2025-03-04T00:00:00",
                                 "2025-03-04T22:20:00", "2025-03-04T15:20:00", "2025-03-04T10:20:00",
                                 "2025-03-04T10:20:00", "2025-03-04T22:20:00"]
    aware = pd.Series(pd.to_datetime(["2025-03-04T10:20:00+02:00"]))
    assert to_datetime(aware).values.tolist() == ["2025-03-04T08:20:00"]
    assert to_datetime(pd.Series([45000.5])).values.tolist() == ["2023-03-15T12:00:00"]
    assert to_datetime(S("3/4/2025 25:00")).errors[0][2] == "is not a valid date (unreadable time part)"


def test_to_bool():
    r = to_bool(S("yes", "No", "x", "", "maybe", "Ja", "oui", "checked", "FALSE", "0", "unchecked", "nein", "non"))
    assert r.values.tolist() == [True, False, True, None, None, True, True, True, False, False, False, False, False]
    assert r.errors == [(4, "maybe", "is not yes/no")]
    r = to_bool(S("x", "", "X"))
    assert r.values.tolist() == [True, False, True] and r.notes
    assert to_bool(pd.Series([1.0, 0.0, np.nan, 2.0])).values.tolist() == [True, False, None, None]
    assert to_bool(pd.Series([True, False])).values.tolist() == [True, False]


def test_to_text_keeps_formulas_literal_and_nfc():
    r = to_text(S("  =SUM(A1) ", "+1 555 0100", "Cafe\u0301", "", "-foo", "@bar", "\ufeffAcme\u200b"))
    assert r.values.tolist() == ["=SUM(A1)", "+1 555 0100", "Café", None, "-foo", "@bar", "Acme"]
    assert to_text(pd.Series([12345.0, np.nan, "x"], dtype=object)).values.tolist() == ["12345", None, "x"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=15), st.floats(allow_nan=True), st.none()), max_size=20))
def test_coercers_never_raise_and_keep_length(values):
    s = pd.Series(values, dtype=object)
    for fn in (to_number, to_money, to_percent, to_date, to_datetime, to_bool, to_text):
        r = fn(s)
        assert len(r.values) == len(s)
        for pos, original, reason in r.errors:
            assert 0 <= pos < len(s) and reason
            # An error cell never also gets a value.
            v = r.values.iloc[pos]
            assert v is None or (isinstance(v, float) and math.isnan(v))


@settings(max_examples=100, deadline=None)
@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False).map(lambda f: round(f, 2)))
def test_number_roundtrip_formats(x):
    us = f"{x:,.2f}"
    eu = us.replace(",", "_").replace(".", ",").replace("_", ".")
    assert to_number(S(us), decimal=".").values.iloc[0] == pytest.approx(x)
    assert to_number(S(eu), decimal=",").values.iloc[0] == pytest.approx(x)
    assert to_money(S(f"${us}"), decimal=".").values.iloc[0] == pytest.approx(x)
