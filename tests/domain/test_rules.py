"""The domain rules, each in one place: active accounts, the risk fallback, money, dates,
JSON numbers."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from acctdesk.domain import accounts, dates, money, numbers, statuses


def test_active_means_started_not_churned_not_a_prospect():
    acc = pd.DataFrame({
        "account_id": list("ABCDEFG"),
        "contract_start": ["2026-01-01", None, "2026-11-01", "2025-01-01", "2025-01-01",
                           "2025-01-01T09:00:00", "2025-01-01"],
        "churn_date": [None, None, None, "2026-10-31", "2026-11-01T00:00:00", "", None],
        "status": ["active", None, "active", "churned", "active", " Prospect ", "ACTIVE"],
    })
    got = accounts.active_mask(acc, "2026-10-31").tolist()
    # A yes; B no start = started; C starts later; D churned that day; E churns after;
    # F a prospect (trimmed, any case); G yes
    assert got == [True, True, False, False, True, False, True]
    assert accounts.churned_mask(acc, "2026-10-31").tolist() == \
        [False, False, False, True, False, False, False]
    more = pd.DataFrame({"contract_start": ["2025-01-01"] * 3, "churn_date": [None] * 3,
                         "status": ["Partner", "churned", "active"]})
    # a partner is not a customer; a churn flag nobody dated is churned
    assert accounts.active_mask(more, "2026-10-31").tolist() == [False, False, True]
    assert accounts.churned_mask(more, "2026-10-31").tolist() == [False, True, False]


def test_the_risk_fallback_is_one_formula():
    assert accounts.risk_from_health(np.array([100.0, 35.0, np.nan])).tolist()[:2] == [0.0, 0.65]
    assert np.isnan(accounts.risk_from_health([np.nan])[0])
    s = accounts.risk_from_health(pd.Series([20.0]))
    assert isinstance(s, pd.Series) and s.iloc[0] == pytest.approx(0.8)


def test_attribute_match_ignores_case_and_spacing():
    col = pd.Series(["Ana  Ruiz", "ana ruiz", "Bo", None])
    assert accounts.attribute_mask(col, " ANA ruiz").tolist() == [True, True, False, False]
    assert accounts.attribute_mask(col, "").tolist() == [False, False, False, True]


@pytest.mark.parametrize("value, currency, kw, text", [
    (1234.6, "USD", {}, "$1,235"), (-1234.6, "USD", {}, "-$1,235"), (-0.2, "USD", {}, "$0"),
    (1234.6, "CHF", {}, "1,235 CHF"), (1234.6, "eur", {}, "€1,235"),
    (1_234_567, "USD", {"compact": True}, "$1.23M"), (-45_000, "USD", {"compact": True}, "-$45k"),
    (950, "CHF", {"compact": True}, "950 CHF"), (2.5e9, "GBP", {"compact": True, "digits": 1}, "£2.5B"),
    (None, "USD", {}, "—"), (math.nan, "USD", {"missing": ""}, ""), (math.inf, "USD", {}, "—"),
    ("12", None, {}, "$12"),
])
def test_money_is_written_one_way(value, currency, kw, text):
    assert money.format_money(value, currency, **kw) == text


def test_currency_symbols_and_spreadsheet_formats():
    assert money.currency_symbol("usd") == "$" and money.currency_symbol(None) == "$"
    assert money.currency_symbol("CHF") == "CHF" and money.affixes("CHF") == ("", " CHF")
    assert money.excel_money_format("USD") == '"$"#,##0'
    assert money.excel_money_format("CHF") == '#,##0 "CHF"'


def test_json_numbers_are_never_nan_or_infinity():
    value = {"a": math.inf, "b": [math.nan, np.float64(1.23456), np.int64(3)], "c": (1.5,),
             "d": "x", 4: None, "e": -math.inf}
    clean = numbers.json_safe(value, 2)
    assert clean == {"a": None, "b": [None, 1.23, 3], "c": [1.5], "d": "x", "4": None,
                     "e": None}
    json.dumps(clean, allow_nan=False)
    assert numbers.finite("2.5") == 2.5 and numbers.finite(True) is None
    assert numbers.finite(pd.NA) is None and numbers.finite(1.26, 1) == 1.3


def test_dates_as_days_and_months():
    d = dates.days(pd.Series(["2026-10-31", "2026-10-31T12:00:00", None, "garbage", ""]))
    assert d[0] == d[1] == dates.to_day("2026-10-31") and np.isnan(d[2:]).all()
    assert dates.day_iso(dates.to_day("2024-02-29")) == "2024-02-29"
    assert dates.add_days("2026-10-31", -30) == "2026-10-01"
    assert dates.months_before("2026-10-31", 6) == "2026-04-30"
    assert dates.month_ends_before("2026-10-31", 3) == ["2026-07-31", "2026-08-31",
                                                        "2026-09-30"]
    assert dates.month_range("2026-11", "2027-01") == ["2026-11", "2026-12", "2027-01"]
    assert dates.add_months(2026, 11, 3) == (2027, 2)
    with pytest.raises(ValueError):
        dates.month_index("2026-13")


def test_deals_are_never_revenue_statuses():
    assert statuses.DEAL_STATUSES.isdisjoint(statuses.PAYING_STATUSES)
    assert {"won", "lost", "open"} == set(statuses.DEAL_STATUSES)
    assert statuses.status_key("  Past_Due ") == "past_due" and statuses.status_key(None) == ""


def test_numbers_in_words_one_way():
    from acctdesk.domain.numbers import percent, readable, whole

    assert percent(0.4455) == "45%" and percent(0.04, 2) == "4.00%"
    assert percent(None) == "—" and percent(float("nan"), 1, "-") == "-"
    assert readable(1234.4) == "1,234" and readable(12.0) == "12"
    assert readable(12.34) == "12.3" and readable(0.456) == "0.46"
    assert whole(90.7) == 90 and whole(float("inf")) is None


def test_the_churn_model_learns_from_the_customers_the_app_counts():
    """Its snapshots hold the accounts active_mask calls customers on each date: no
    partner, no prospect, no churn flag without a date."""
    import numpy as np
    import pandas as pd

    from acctdesk.analytics.churn import _active_pairs
    from acctdesk.analytics.scorecards import ScoringData
    from acctdesk.domain.accounts import active_mask
    from acctdesk.domain.dates import to_day

    accounts = pd.DataFrame({
        "account_id": list("abcdef"),
        "status": ["active", "partner", "Prospect ", "churned", "churned", "active"],
        "contract_start": ["2025-01-01"] * 5 + ["2026-06-01"],
        "churn_date": [None, None, None, None, "2026-03-01", None],
    })
    data = ScoringData(accounts=accounts)
    days = ["2026-01-31", "2026-04-30", "2026-07-31"]
    pos, snap = _active_pairs(data, [to_day(d) for d in days])
    for k, day in enumerate(days):
        want = set(np.flatnonzero(active_mask(accounts, day).to_numpy()))
        assert set(pos[snap == k]) == want, day
