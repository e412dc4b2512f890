"""Whitespace: the matrix, association rules, cross-sell reasons, upsell, risk, backtest."""
from __future__ import annotations

import pandas as pd
import pytest

from acctdesk.analytics.whitespace import (
    WHITESPACE_COLUMNS, association_rules, backtest, cross_sell, ownership_matrix, upsell,
    usage_features, whitespace,
)

AS_OF = "2026-10-31"


def _accounts(ids, **cols):
    base = {"account_id": ids, "name": [f"Acct {i}" for i in ids], "industry": "FinTech",
            "segment": "Mid-Market", "owner": "Ava Adams", "seats": 50,
            "contract_start": "2024-01-01", "status": "active", "churn_date": None}
    base.update(cols)
    return pd.DataFrame(base)


def _subs(rows):
    out = pd.DataFrame(rows, columns=["account_id", "product", "quantity", "mrr", "start_date",
                                      "end_date", "status"])
    out.insert(0, "sub_id", [f"S{i}" for i in range(len(out))])
    return out


# ------------------------------------------------------------------------------------ 5
def test_ownership_matrix_states_mrr_and_point_in_time():
    accounts = _accounts(["A1", "A2", "A3", "A4"],
                         status=["active", "active", "churned", "prospect"],
                         churn_date=[None, None, "2026-05-01", None])
    subs = _subs([
        # A1: Core in two rows (seat change) -> one owned cell, MRR and quantity of the live row
        ("A1", "Core", 40, 1400.0, "2024-01-01", "2025-12-31", "ended"),
        ("A1", "Core", 50, 1750.0, "2026-01-01", None, "active"),
        ("A1", "Analytics", 50, 400.0, "2024-01-01", "2026-03-31", "ended"),  # dropped: lapsed
        ("A1", "SSO", 50, 0.0, "2026-10-01", None, "trialing"),              # trial
        ("A1", "Sandbox", 1, 200.0, "2026-12-01", None, "pipeline"),         # pipeline (future)
        ("A2", "Core", 10, 350.0, "2024-01-01", None, "past_due"),           # still owned
        ("A2", "Analytics", 10, 80.0, "2026-11-15", None, "active"),         # starts later: gap
        ("A2", "SSO", 10, 40.0, "2024-01-01", None, "cancelled"),            # closed, no end
        ("A3", "Core", 5, 175.0, "2024-01-01", "2026-05-01", "cancelled"),   # churned account
        ("A4", "Core", 5, 175.0, "2026-09-01", None, "active"),              # a prospect
    ])
    m = ownership_matrix(subs, accounts, AS_OF)
    assert set(m["account_id"]) == {"A1", "A2"}           # churned and prospect left out
    assert len(m) == 2 * 4                                 # every customer x every product
    cell = m.set_index(["account_id", "product"])
    assert cell.loc[("A1", "Core"), "state"] == "owned"
    assert cell.loc[("A1", "Core"), "mrr"] == 1750.0
    assert cell.loc[("A1", "Core"), "quantity"] == 50
    assert cell.loc[("A1", "Analytics"), "state"] == "gap"
    assert bool(cell.loc[("A1", "Analytics"), "lapsed"])
    assert cell.loc[("A1", "SSO"), "state"] == "trial"
    assert cell.loc[("A1", "Sandbox"), "state"] == "pipeline"
    assert cell.loc[("A2", "Core"), ["state", "mrr"]].tolist() == ["owned", 350.0]
    assert cell.loc[("A2", "Analytics"), "state"] == "gap"
    assert not bool(cell.loc[("A2", "Analytics"), "lapsed"])
    assert cell.loc[("A2", "SSO"), "state"] == "gap"
    assert cell.loc[("A2", "Analytics"), "mrr"] == 0.0
    # a year earlier: A1 owned Analytics and Core at 40 seats; A3 was a customer
    old = ownership_matrix(subs, accounts, "2025-10-31").set_index(["account_id", "product"])
    assert old.loc[("A1", "Analytics"), "state"] == "owned"
    assert old.loc[("A1", "Core"), "mrr"] == 1400.0
    assert old.loc[("A3", "Core"), "state"] == "owned"


# ------------------------------------------------------------------------------------ 6
def test_association_rules_match_hand_computation():
    # 10 accounts:  1-4: A,B   5-6: A   7-8: B,C   9: C   10: A,B,C
    # n(A)=7 n(B)=7 n(C)=4  n(AB)=5 (1-4,10)  n(AC)=1 (10)  n(BC)=3 (7,8,10)  n(ABC)=1
    # A=>B: support 5/10=0.5, confidence 5/7=0.7143, lift 0.7143/(7/10)=1.0204
    # C=>B: support 3/10=0.3, confidence 3/4=0.75,   lift 0.75/0.7=1.0714
    # B=>C: support 0.3,      confidence 3/7=0.4286, lift 0.4286/(4/10)=1.0714
    # A=>C: support 0.1,      confidence 1/7=0.1429, lift 0.1429/0.4=0.3571
    # A+B=>C: support 1/10=0.1, confidence 1/5=0.2, lift 0.2/0.4=0.5
    owned = pd.DataFrame({
        "A": [1, 1, 1, 1, 1, 1, 0, 0, 0, 1],
        "B": [1, 1, 1, 1, 0, 0, 1, 1, 0, 1],
        "C": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    }, index=[f"a{i}" for i in range(1, 11)]).astype(bool)
    rules = association_rules(owned, min_count=1)
    r = rules.set_index(["antecedent", "consequent"])
    assert r.loc[("A", "B"), ["support", "confidence", "lift"]].tolist() == pytest.approx(
        [0.5, 5 / 7, (5 / 7) / 0.7])
    assert r.loc[("C", "B"), ["support", "confidence", "lift"]].tolist() == pytest.approx(
        [0.3, 0.75, 0.75 / 0.7])
    assert r.loc[("B", "C"), ["support", "confidence", "lift"]].tolist() == pytest.approx(
        [0.3, 3 / 7, (3 / 7) / 0.4])
    assert r.loc[("A", "C"), "lift"] == pytest.approx((1 / 7) / 0.4)
    assert r.loc[("A + B", "C"), ["support", "confidence", "lift"]].tolist() == pytest.approx(
        [0.1, 0.2, 0.5])
    assert r.loc[("A + B", "C"), "count"] == 1
    assert r.loc[("A + B", "C"), "antecedent_count"] == 5
    assert rules["lift"].is_monotonic_decreasing
    # min_count drops rules seen on too few accounts
    assert ("A + B", "C") not in association_rules(owned, min_count=2).set_index(
        ["antecedent", "consequent"]).index


def _peer_portfolio():
    """40 accounts: 30 Mid-Market FinTech (0-29), 10 SMB Retail (30-39); everyone has Core.

    Security & SSO: FinTech 0-19 (20 of 30).  Analytics: FinTech 0-11 and 20-22 (15).
    Analytics => Security & SSO: n = 12 (0-11), confidence 12/15 = 0.8, P(SSO) = 20/40,
    lift 0.8 / 0.5 = 1.6.
    """
    ids = [f"A{i:02d}" for i in range(40)]
    accounts = _accounts(ids, industry=["FinTech"] * 30 + ["Retail"] * 10,
                         segment=["Mid-Market"] * 30 + ["SMB"] * 10,
                         seats=[50] * 30 + [10] * 10)
    rows = [(a, "Core Platform", s, 35.0 * s, "2024-01-01", None, "active")
            for a, s in zip(ids, accounts["seats"])]
    rows += [(ids[i], "Security & SSO", 50, 200.0, "2024-06-01", None, "active")
             for i in range(20)]
    rows += [(ids[i], "Analytics", 50, 400.0, "2024-06-01", None, "active")
             for i in list(range(12)) + [20, 21, 22]]
    return accounts, _subs(rows)


def test_cross_sell_reason_words_and_numbers():
    accounts, subs = _peer_portfolio()
    out = cross_sell(subs, accounts, None, AS_OF)
    assert list(out.columns) == WHITESPACE_COLUMNS
    assert (out["kind"] == "cross-sell").all()
    assert out["expected_mrr"].is_monotonic_decreasing
    sso = out[(out["product"] == "Security & SSO")].set_index("account_id")
    assert set(sso.index) == {f"A{i:02d}" for i in range(20, 40)}    # the gaps, no owners
    reason = sso.loc["A20", "reason"]
    assert reason.startswith(
        "67% of Mid-Market FinTech accounts own Security & SSO (20 of 30); "
        "1.6 times as common among accounts with Analytics (80% of those accounts own it); ")
    assert "% chance to buy" in reason
    assert sso.loc["A20", "rule_lift"] == pytest.approx(1.6)
    assert sso.loc["A20", "rule_confidence"] == pytest.approx(0.8)
    # no Analytics: no rule to quote; the SMB Retail group has no SSO owner at all
    assert "times as common" not in sso.loc["A25", "reason"]
    assert sso.loc["A35", "reason"].startswith("0% of SMB Retail accounts own Security & SSO (0 of 10)")
    # look-alikes score higher: a FinTech account with Analytics > one without > Retail
    assert sso.loc["A20", "propensity"] > sso.loc["A25", "propensity"] > sso.loc["A35", "propensity"]
    # value: flat 200/month for every Mid-Market owner -> typical 200 (SSO quantity 50 = seats,
    # so it is seat-priced: 200 / 50 seats x 50 seats = 200)
    assert sso.loc["A20", "value_mrr"] == pytest.approx(200.0)
    assert sso.loc["A20", "expected_mrr"] == pytest.approx(200.0 * sso.loc["A20", "propensity"])


def test_high_risk_accounts_are_flagged_or_suppressed():
    accounts, subs = _peer_portfolio()
    risk = pd.Series({"A20": 0.8, "A21": 0.2})
    flagged = whitespace(subs, accounts, None, AS_OF, risk=risk, risk_threshold=0.5)
    a20 = flagged[flagged["account_id"] == "A20"]
    assert len(a20) and a20["at_risk"].all()
    assert a20["reason"].str.endswith("; churn risk 80%: secure the renewal first").all()
    assert not flagged.loc[flagged["account_id"] == "A21", "at_risk"].any()
    assert flagged.loc[flagged["account_id"] == "A21", "churn_risk"].eq(0.2).all()
    suppressed = whitespace(subs, accounts, None, AS_OF, risk=risk, risk_action="suppress")
    assert "A20" not in set(suppressed["account_id"])
    assert len(suppressed) == len(flagged) - len(a20)
    with pytest.raises(ValueError):
        whitespace(subs, accounts, None, AS_OF, risk=risk, risk_action="hide")


# ------------------------------------------------------------------------------------ 7
def test_upsell_for_an_account_at_95_percent_of_its_seats():
    ids = ["U1", "U2"]
    accounts = _accounts(ids, seats=[100, 100])
    subs = _subs([
        ("U1", "Core Platform", 100, 3500.0, "2024-01-01", None, "active"),   # 35 / seat
        ("U1", "Analytics", 100, 800.0, "2024-01-01", None, "active"),        # 8 / seat
        ("U1", "Sandbox", 1, 200.0, "2024-01-01", None, "active"),            # flat: not a seat
        ("U2", "Core Platform", 100, 3500.0, "2024-01-01", None, "active"),
    ])
    months = pd.date_range("2026-05-31", "2026-10-31", freq="ME").strftime("%Y-%m-%d")
    usage = pd.DataFrame(
        [(a, "active_users", d, v) for a, v in (("U1", 95.0), ("U2", 50.0)) for d in months],
        columns=["account_id", "metric", "date", "value"])
    feats = usage_features(usage, accounts, AS_OF, subs)
    assert feats.loc["U1", "utilisation"] == pytest.approx(0.95)
    assert feats.loc["U2", "utilisation"] == pytest.approx(0.50)
    assert feats.loc["U1", "au_growth_3m"] == pytest.approx(0.0)
    up = upsell(subs, accounts, usage, AS_OF)
    assert list(up["account_id"]) == ["U1"]
    row = up.iloc[0]
    # ceil(95 / 0.85) = 112 seats -> 12 extra at 35 + 8 = 43 per seat = 516 / month
    assert row["kind"] == "upsell" and row["product"] == "Core Platform"
    assert row["extra_seats"] == 12
    assert row["value_mrr"] == pytest.approx(516.0)
    assert row["propensity"] == 0.5                 # no history to measure: stated as such
    assert row["expected_mrr"] == pytest.approx(258.0)
    assert row["reason"].startswith(
        "95% of seats used (95 active users on 100 seats); 12 more seats at 43.00/seat/month "
        "(the account's seat-priced MRR) brings use to 85%; too little history")
    # the same account through whitespace(): both kinds in one list, sorted
    both = whitespace(subs, accounts, usage, AS_OF)
    assert "upsell" in set(both["kind"])
    assert both["expected_mrr"].is_monotonic_decreasing


def test_usage_outgrowing_the_plan_is_an_upsell():
    accounts = _accounts(["G1"], seats=[100])
    subs = _subs([("G1", "Core Platform", 100, 3000.0, "2024-01-01", None, "active")])
    months = pd.date_range("2026-05-31", "2026-10-31", freq="ME").strftime("%Y-%m-%d")
    au = [50, 55, 60, 65, 72, 80]                 # 80 / 60 - 1 = +33% in 3 months
    usage = pd.DataFrame({"account_id": "G1", "metric": "active_users", "date": months,
                          "value": au})
    row = upsell(subs, accounts, usage, AS_OF).iloc[0]
    # projected 80 x 1.333 = 106.7 users -> ceil(106.7 / 0.85) = 126 seats -> 26 extra x 30
    assert row["extra_seats"] == 26
    assert row["value_mrr"] == pytest.approx(780.0)
    assert "active users +33% in 3 months vs seats +0%" in row["reason"]


# ------------------------------------------------------------------------------------ 8
def test_backtest_beats_popularity_baseline_on_seeded_demo():
    from acctdesk.models.demo import generate_demo

    p = generate_demo(3000, seed=1, data_date=AS_OF)
    bt = backtest(p.subscriptions, p.accounts, p.usage, AS_OF)
    assert bt["hidden_months"] == 6 and bt["cutoff"] == "2026-04-30"
    assert bt["purchases"] > 30 and bt["account_sets"] > 10
    for k in (5, 10, 20):
        assert 0 <= bt[f"baseline_precision_at_{k}"] < bt[f"precision_at_{k}"] <= 1
    # a purchase rate well above the base rate where it matters, at the top of the list
    assert bt["precision_at_5"] > 2 * bt["base_rate"]


def test_backtest_is_point_in_time_later_rows_do_not_change_scores():
    """Rows dated after the as-of date (a later purchase, later usage) change nothing."""
    accounts, subs = _peer_portfolio()
    before = cross_sell(subs, accounts, None, "2026-04-30")
    later = pd.concat([subs, _subs([("A25", "Security & SSO", 50, 200.0, "2026-06-01", None,
                                     "active")])], ignore_index=True)
    later["sub_id"] = [f"S{i}" for i in range(len(later))]
    after = cross_sell(later, accounts, None, "2026-04-30")
    pd.testing.assert_frame_equal(before, after)
    bt = backtest(later, accounts, None, "2026-10-31", by="owner")
    assert bt["purchases"] == 1 and bt["candidates"] == len(before)
