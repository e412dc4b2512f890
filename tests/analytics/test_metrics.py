"""Revenue metrics: hand-computed toy portfolio, movement identity, retention, cohorts, CLV."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acctdesk.analytics.metrics import (
    MOVEMENT_KINDS,
    RETENTION_DEFINITIONS,
    clv,
    cohort_matrix,
    cohorts,
    movements_by_account,
    mrr_by_month,
    mrr_movements,
    retention,
    retention_monthly,
    retention_trailing,
)

AS_OF = "2024-06-20"  # data date: June 2024 is the current, partial month


def _subs(rows):
    cols = ["sub_id", "account_id", "product", "mrr", "start_date", "end_date", "status", "source"]
    return pd.DataFrame(rows, columns=cols)


# The toy portfolio: 5 accounts, Jan-Jun 2024. Month-end MRR (June at the data date 06-20):
#
#          Jan  Feb  Mar  Apr  May  Jun
#   A      100  100  150  150  150  150   add-on A2 from 03-05 (expansion); A2 ends ON as_of
#   B      200  200  120  120  120  120   downgrade 03-01 (contraction); moves Stripe->Chargebee
#                                          on 05-14/05-15 without churning; B3 past_due
#   C      300  300    0    0  250  250   ends 03-15 (churn in March), re-signs 05-02 (react.)
#   D        0  100  180  180  180  180   starts 02-20, upgrades 03-10: inside the 1-month
#                                          sign-up window -> new, not expansion; D2 is
#                                          non_renewing and ends 07-31, after the data date
#   E        0    0    0   90   90    0   trial (500, trialing) never counts; starts 04-05 at
#                                          60 and goes to 90 on 04-25 (same month: new 90);
#                                          ends 06-10 (churn in June); E5 starts after as_of
TOY = _subs([
    ("A1", "A", "core", 100.0, "2024-01-10", None, "active", "stripe"),
    ("A2", "A", "addon", 50.0, "2024-03-05", "2024-06-20", "non_renewing", "stripe"),
    ("B1", "B", "core", 200.0, "2024-01-01", "2024-02-29", "cancelled", "stripe"),
    ("B2", "B", "core", 120.0, "2024-03-01", "2024-05-14", "ended", "stripe"),
    ("B3", "B", "core", 120.0, "2024-05-15", None, "past_due", "chargebee"),
    ("C1", "C", "core", 300.0, "2024-01-15", "2024-03-15", "cancelled", "stripe"),
    ("C2", "C", "core", 250.0, "2024-05-02", None, "active", "stripe"),
    ("D1", "D", "core", 100.0, "2024-02-20", "2024-03-09", "ended", "stripe"),
    ("D2", "D", "core", 180.0, "2024-03-10", "2024-07-31", "non_renewing", "stripe"),
    ("E1", "E", "core", 500.0, "2024-04-01", None, "trialing", "stripe"),
    ("E2", "E", "core", 60.0, "2024-04-05", "2024-04-24", "ended", "stripe"),
    ("E3", "E", "core", 90.0, "2024-04-25", "2024-06-10", "cancelled", "stripe"),
    ("E5", "E", "core", 40.0, "2024-06-25", None, "active", "stripe"),
])

MONTHS = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
EXPECTED_MRR = {
    "A": [100, 100, 150, 150, 150, 150],
    "B": [200, 200, 120, 120, 120, 120],
    "C": [300, 300, 0, 0, 250, 250],
    "D": [0, 100, 180, 180, 180, 180],
    "E": [0, 0, 0, 90, 90, 0],
}

# Movements by hand (signup window 1 month):
#   Jan: start 0;   new 600 (A 100 + B 200 + C 300)                              -> end 600
#   Feb: start 600; new 100 (D)                                                   -> end 700
#   Mar: start 700; new 80 (D 100->180 in its window), expansion 50 (A),
#        contraction 80 (B 200->120), churn 300 (C)     700+80+50-80-300         -> end 450
#   Apr: start 450; new 90 (E: 60 then 90 inside April = one new of 90)           -> end 540
#   May: start 540; reactivation 250 (C); B's billing-system move: nothing       -> end 790
#   Jun: start 790; churn 90 (E)                                                  -> end 700
EXPECTED_MOVEMENTS = pd.DataFrame({
    "month": MONTHS,
    "start_mrr": [0, 600, 700, 450, 540, 790],
    "new": [600, 100, 80, 90, 0, 0],
    "expansion": [0, 0, 50, 0, 0, 0],
    "contraction": [0, 0, 80, 0, 0, 0],
    "churn": [0, 0, 300, 0, 0, 90],
    "reactivation": [0, 0, 0, 0, 250, 0],
    "end_mrr": [600, 700, 450, 540, 790, 700],
})

ACCOUNTS = pd.DataFrame({
    "account_id": ["A", "B", "C", "D"],  # E deliberately missing -> "(unassigned)"
    "name": ["Acme", "Beta", "Cyan", "Delta"],
    "segment": ["SMB", "SMB", "Mid-Market", "Mid-Market"],
    "owner": ["ann", "bob", "ann", "bob"],
    "industry": ["FinTech", "Retail", "FinTech", "Health"],
    "region": ["EU", "EU", "NA", "NA"],
})


@pytest.fixture(scope="module")
def toy_mrr():
    return mrr_by_month(TOY, as_of=AS_OF)


# ------------------------------------------------------------------ mrr_by_month / as_of

def test_toy_mrr_by_month_matches_hand_table(toy_mrr):
    assert list(toy_mrr.columns[:3]) == ["account_id", "month", "mrr"]
    assert toy_mrr.attrs["months"] == MONTHS
    grid = toy_mrr.pivot(index="account_id", columns="month", values="mrr").reindex(
        columns=MONTHS).fillna(0.0)
    for account, values in EXPECTED_MRR.items():
        assert grid.loc[account].tolist() == values, account
    # only non-zero rows are listed
    assert (toy_mrr["mrr"] != 0).all()
    assert toy_mrr.attrs["excluded"] == {"status_not_paying": 1}


def test_as_of_semantics():
    subs = _subs([
        # ends after the data date: active on it
        ("s1", "X", "p", 10.0, "2024-01-01", "2024-06-21", "non_renewing", None),
        # ends on the data date: still active on it (end_date is the last day of service)
        ("s2", "X", "p", 1.0, "2024-01-01", "2024-06-20", "active", None),
        # ended before the data date, in the current month: not counted in June
        ("s3", "Y", "p", 20.0, "2024-01-01", "2024-06-19", "ended", None),
        # trialing: never counts, whatever the dates
        ("s4", "Z", "p", 30.0, "2024-01-01", None, "trialing", None),
        # past_due: counts
        ("s5", "W", "p", 40.0, "2024-05-01", None, "past_due", None),
        # starts after the data date: not counted
        ("s6", "V", "p", 50.0, "2024-06-21", None, "active", None),
        # cancelled with no end date: unknown end, left out and reported
        ("s7", "U", "p", 60.0, "2024-01-01", None, "cancelled", None),
        # exclusive-style end on the 1st: counts through April, not in May
        ("s8", "T", "p", 70.0, "2024-04-01", "2024-05-01", "ended", None),
    ])
    out = mrr_by_month(subs, as_of="2024-06-20")
    june = out[out["month"] == "2024-06"].set_index("account_id")["mrr"].to_dict()
    assert june == {"W": 40.0, "X": 11.0}
    may = out[out["month"] == "2024-05"].set_index("account_id")["mrr"].to_dict()
    assert may == {"W": 40.0, "X": 11.0, "Y": 20.0}
    assert out[out["account_id"] == "T"]["month"].tolist() == ["2024-04"]
    assert "Z" not in set(out["account_id"]) and "U" not in set(out["account_id"])
    assert out.attrs["excluded"] == {"status_not_paying": 1, "ended_without_end_date": 1}
    assert out["month"].max() == "2024-06"
    # the same data on a month-end data date
    jun30 = mrr_by_month(subs, as_of="2024-06-30")
    assert set(jun30[jun30["month"] == "2024-06"]["account_id"]) == {"W", "V"}


def test_months_truncation_and_discounts():
    out = mrr_by_month(TOY, as_of=AS_OF, months=3)
    assert out.attrs["months"] == ["2024-04", "2024-05", "2024-06"]
    assert out.attrs["history_truncated"] is True
    subs = TOY.assign(disc=np.where(TOY["account_id"] == "A", 0.1, np.nan))
    d = mrr_by_month(subs, as_of=AS_OF, discount_col="disc")
    a = d[d["account_id"] == "A"]["mrr"].tolist()
    assert a == [90.0, 90.0, 135.0, 135.0, 135.0, 135.0]
    subs = TOY.assign(disc=np.where(TOY["sub_id"] == "B3", 20.0, np.nan))
    d = mrr_by_month(subs, as_of=AS_OF, discount_col="disc", discount_kind="amount")
    assert d[(d["account_id"] == "B") & (d["month"] == "2024-06")]["mrr"].item() == 100.0


# ------------------------------------------------------------------ movements

def test_toy_movements_by_hand(toy_mrr):
    mov = mrr_movements(toy_mrr)
    got = mov[list(EXPECTED_MOVEMENTS.columns)]
    pd.testing.assert_frame_equal(got, EXPECTED_MOVEMENTS.astype({c: float for c in
                                  EXPECTED_MOVEMENTS.columns if c != "month"}),
                                  check_dtype=False)
    assert mov["churned_accounts"].tolist() == [0, 0, 1, 0, 0, 1]
    assert mov["reactivated_accounts"].tolist() == [0, 0, 0, 0, 1, 0]
    assert mov["new_accounts"].tolist() == [3, 1, 0, 1, 0, 0]


def test_signup_window_zero_makes_the_upgrade_an_expansion(toy_mrr):
    mov = mrr_movements(toy_mrr, signup_window_months=0).set_index("month")
    assert mov.loc["2024-03", "new"] == 0.0
    assert mov.loc["2024-03", "expansion"] == 130.0  # A +50 and D +80


def test_movements_drill_down_to_accounts(toy_mrr):
    by_acct = movements_by_account(toy_mrr)
    march = by_acct[by_acct["month"] == "2024-03"]
    assert list(zip(march["account_id"], march["kind"], march["amount"])) == [
        ("D", "new", 80.0), ("A", "expansion", 50.0), ("B", "contraction", 80.0),
        ("C", "churn", 300.0),
    ]
    # summing the drill-down gives the movements frame exactly
    mov = mrr_movements(toy_mrr).set_index("month")
    sums = by_acct.pivot_table(index="month", columns="kind", values="amount_cents",
                               aggfunc="sum", fill_value=0)
    for k in MOVEMENT_KINDS:
        assert (sums.reindex(mov.index, fill_value=0)[k] == mov[k + "_cents"]).all()
    only = movements_by_account(toy_mrr, kind="reactivation")
    assert only[["account_id", "month", "amount"]].values.tolist() == [["C", "2024-05", 250.0]]


def _random_portfolio(n_accounts: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    base = np.datetime64("2022-01-01")
    statuses = ["active", "active", "past_due", "non_renewing", "cancelled", "trialing"]
    for i in range(n_accounts):
        for j in range(int(rng.integers(1, 5))):
            start = base + np.timedelta64(int(rng.integers(0, 900)), "D")
            end = (start + np.timedelta64(int(rng.integers(1, 700)), "D")
                   if rng.random() < 0.6 else None)
            rows.append((f"s{i}-{j}", f"acct{i:04d}", f"p{j}",
                         float(np.round(rng.uniform(5, 5000), 2)), str(start),
                         None if end is None else str(end),
                         statuses[int(rng.integers(0, len(statuses)))], None))
    return _subs(rows)


@pytest.mark.parametrize("window", [0, 1, 3])
def test_movement_identity_every_month_random_portfolio(window):
    subs = _random_portfolio(500, seed=20240620)
    mrr = mrr_by_month(subs, as_of="2024-06-20")
    mov = mrr_movements(mrr, signup_window_months=window)
    assert len(mov) == len(mrr.attrs["months"]) > 24
    c = {k: mov[k + "_cents"].to_numpy() for k in
         ("start_mrr", "new", "expansion", "contraction", "churn", "reactivation", "end_mrr")}
    lhs = c["start_mrr"] + c["new"] + c["expansion"] - c["contraction"] - c["churn"] \
        + c["reactivation"]
    assert (lhs == c["end_mrr"]).all()  # exact, every month
    # the float columns agree to the cent
    lhs_f = mov["start_mrr"] + mov["new"] + mov["expansion"] - mov["contraction"] \
        - mov["churn"] + mov["reactivation"]
    assert (np.round(lhs_f, 2) == mov["end_mrr"]).all()
    # closing balance of a month is the opening of the next; end = sum of the MRR frame
    assert (c["end_mrr"][:-1] == c["start_mrr"][1:]).all()
    totals = mrr.groupby("month")["mrr_cents"].sum().reindex(mov["month"], fill_value=0)
    assert (totals.to_numpy() == c["end_mrr"]).all()
    for k in MOVEMENT_KINDS:
        assert (c[k] >= 0).all()
    assert (c["churn"] > 0).any() and (c["reactivation"] > 0).any()
    # per-account drill-down sums to the same numbers
    by_acct = movements_by_account(mrr, signup_window_months=window)
    sums = by_acct.groupby(["month", "kind"])["amount_cents"].sum().unstack(fill_value=0)
    sums = sums.reindex(index=mov["month"], columns=list(MOVEMENT_KINDS), fill_value=0)
    for k in MOVEMENT_KINDS:
        assert (sums[k].to_numpy() == c[k]).all()


def test_truncated_history_first_month_is_opening_balance():
    full = mrr_movements(mrr_by_month(TOY, as_of=AS_OF)).set_index("month")
    short = mrr_movements(mrr_by_month(TOY, as_of=AS_OF, months=3)).set_index("month")
    assert short.index.tolist() == ["2024-05", "2024-06"]
    # C had MRR before the window only: its return reads as new in a truncated frame, which
    # is why the full history is the default; everything else agrees
    assert short.loc["2024-06"].equals(full.loc["2024-06"])
    assert short.loc["2024-05", "start_mrr"] == 540.0
    assert short.loc["2024-05", "end_mrr"] == 790.0


# ------------------------------------------------------------------ retention

def _row(frame, **where):
    sel = frame
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, where
    return sel.iloc[0]


def test_retention_whole_period_by_hand(toy_mrr):
    # start cohort at Jan month-end: A 100, B 200, C 300 = 600. Flows Feb..Jun of those:
    # A expansion 50, B contraction 80, C churn 300 then reactivation 250.
    std = _row(retention(toy_mrr, start_month="2024-01", end_month="2024-06"))
    assert std["definition"] == "standard"
    assert std["start_mrr"] == 600.0
    assert std["nrr"] == pytest.approx((600 + 50 - 80 - 300) / 600)      # 0.45
    assert std["grr"] == pytest.approx((600 - 80 - 300) / 600)           # 0.3667
    assert std["logos_start"] == 3 and std["logos_churned"] == 0          # C is back by June
    assert std["logo_churn"] == 0.0
    assert std["end_mrr"] == 520.0  # 150 + 120 + 250: the cohort's own identity
    wr = _row(retention(toy_mrr, start_month="2024-01", end_month="2024-06",
                        definition="nrr_with_reactivation"))
    assert wr["definition"] == "nrr_with_reactivation"
    assert wr["nrr"] == pytest.approx((600 + 50 - 80 - 300 + 250) / 600)  # 0.8667
    assert wr["grr"] == pytest.approx((600 - 80 - 300 + 250) / 600)      # 0.7833
    sc = _row(retention(toy_mrr, start_month="2024-01", end_month="2024-06",
                        definition="start_cohort"))
    assert sc["nrr"] == pytest.approx(520 / 600)
    assert sc["grr"] == pytest.approx((100 + 120 + 250) / 600)  # min(end, start) per account


def test_retention_periods_by_hand(toy_mrr):
    # Feb -> May: cohort A 100, B 200, C 300, D 100 = 700; flows Mar..May: A +50, B -80,
    # C churn 300 and back 250, D +80 inside its sign-up window (new: excluded)
    r = _row(retention(toy_mrr, start_month="2024-02", end_month="2024-05"))
    assert r["nrr"] == pytest.approx(370 / 700)
    assert r["grr"] == pytest.approx(320 / 700)
    assert r["new"] == 80.0 and r["reactivation"] == 250.0
    assert r["logo_churn"] == 0.0
    # Apr -> Jun: cohort A 150, B 120, D 180, E 90 = 540 (C was not active in April);
    # E churns (90); C's return is not the cohort's
    r = _row(retention(toy_mrr, start_month="2024-04", end_month="2024-06"))
    assert r["start_mrr"] == 540.0
    assert r["nrr"] == pytest.approx(450 / 540)
    assert r["grr"] == pytest.approx(450 / 540)
    assert r["logos_start"] == 4 and r["logos_churned"] == 1
    assert r["logo_churn"] == pytest.approx(0.25)


def test_retention_by_segment(toy_mrr):
    r = retention(toy_mrr, ACCOUNTS, start_month="2024-04", end_month="2024-06", by="segment")
    assert sorted(r["segment"]) == ["(unassigned)", "Mid-Market", "SMB"]
    smb = _row(r, segment="SMB")
    assert (smb["start_mrr"], smb["nrr"], smb["grr"], smb["logo_churn"]) == (270.0, 1, 1, 0)
    mm = _row(r, segment="Mid-Market")  # only D was active in April
    assert (mm["start_mrr"], mm["logos_start"], mm["nrr"]) == (180.0, 1, 1.0)
    e = _row(r, segment="(unassigned)")  # E is not in the accounts frame
    assert (e["start_mrr"], e["nrr"], e["grr"], e["logo_churn"]) == (90.0, 0.0, 0.0, 1.0)
    assert (r["definition"] == "standard").all()
    two = retention(toy_mrr, ACCOUNTS, start_month="2024-01", end_month="2024-06",
                    by=["owner", "region"])
    ann_na = _row(two, owner="ann", region="NA")  # C: churn 300, reactivation excluded
    assert ann_na["nrr"] == 0.0 and ann_na["logo_churn"] == 0.0
    with pytest.raises(ValueError):
        retention(toy_mrr, start_month="2024-01", end_month="2024-06", by="segment")


def test_monthly_and_trailing_views(toy_mrr):
    m = retention_monthly(toy_mrr, ACCOUNTS)
    assert m["end_month"].tolist() == MONTHS[1:]
    assert m["start_month"].tolist() == MONTHS[:-1]
    mar = _row(m, end_month="2024-03")  # Feb cohort 700: +50 -80 -300; D's +80 is new
    assert mar["nrr"] == pytest.approx(370 / 700)
    assert mar["grr"] == pytest.approx(320 / 700)
    assert mar["logo_churn"] == pytest.approx(1 / 4)
    jun = _row(m, end_month="2024-06")  # May cohort 790: E churns 90
    assert jun["nrr"] == pytest.approx(700 / 790) and jun["logo_churn"] == pytest.approx(1 / 5)
    t = retention_trailing(toy_mrr, window_months=5)
    assert t["end_month"].tolist() == ["2024-06"] and t["start_month"].tolist() == ["2024-01"]
    assert t["nrr"].item() == pytest.approx(0.45)
    assert retention_trailing(toy_mrr).empty  # not 12 months of history yet
    by_seg = retention_monthly(toy_mrr, ACCOUNTS, by="segment", definition="start_cohort")
    assert (by_seg["definition"] == "start_cohort").all()
    assert by_seg.attrs["formulas"] == RETENTION_DEFINITIONS["start_cohort"]


def test_grr_capped_and_never_above_one():
    # X: 100, churns, returns at 300 within the period: reactivation-counting GRR would be
    # (100 - 100 + 300) / 100 = 300% -> capped at 100%
    subs = _subs([
        ("x1", "X", "p", 100.0, "2024-01-01", "2024-01-31", "ended", None),
        ("x2", "X", "p", 300.0, "2024-03-01", None, "active", None),
        ("y1", "Y", "p", 100.0, "2024-01-01", None, "active", None),
        ("y2", "Y", "q", 500.0, "2024-04-01", None, "active", None),  # pure expansion
    ])
    mrr = mrr_by_month(subs, as_of="2024-04-30")
    r = _row(retention(mrr, start_month="2024-01", end_month="2024-04",
                       definition="nrr_with_reactivation"))
    assert r["grr"] == 1.0
    assert r["nrr"] == pytest.approx((200 - 100 + 500 + 300) / 200)
    std = _row(retention(mrr, start_month="2024-01", end_month="2024-04"))
    assert std["grr"] == pytest.approx(0.5) and std["nrr"] == pytest.approx(3.0)
    rnd = mrr_by_month(_random_portfolio(500, seed=7), as_of="2024-06-20")
    for definition in RETENTION_DEFINITIONS:
        for view in (retention_monthly(rnd, definition=definition),
                     retention_trailing(rnd, definition=definition)):
            assert len(view) > 10
            assert (view["grr"].dropna() <= 1.0).all()
            assert (view["definition"] == definition).all()


def test_unknown_definition_and_bad_months(toy_mrr):
    with pytest.raises(ValueError, match="unknown retention definition"):
        retention(toy_mrr, start_month="2024-01", end_month="2024-06", definition="nope")
    with pytest.raises(ValueError, match="outside the data"):
        retention(toy_mrr, start_month="2023-01", end_month="2024-06")


# ------------------------------------------------------------------ cohorts, CLV

def test_cohorts_by_hand(toy_mrr):
    c = cohorts(toy_mrr)
    jan = c[c["cohort"] == "2024-01"]
    # A 100 + B 200 + C 300 = 600 at age 0; Mar: 150 + 120 = 270; May/Jun: + C's 250
    assert jan["retained_mrr"].tolist() == [600, 600, 270, 270, 520, 520]
    assert jan["retained_accounts"].tolist() == [3, 3, 2, 2, 3, 3]
    assert jan["revenue_retention"].tolist() == pytest.approx([1, 1, .45, .45, 520 / 600,
                                                               520 / 600])
    feb = c[c["cohort"] == "2024-02"]
    assert feb["revenue_retention"].tolist() == pytest.approx([1, 1.8, 1.8, 1.8, 1.8])
    apr = c[c["cohort"] == "2024-04"]
    assert apr["logo_retention"].tolist() == [1.0, 1.0, 0.0]
    m = cohort_matrix(c, "logo_retention")
    assert m.shape == (3, 6) and np.isnan(m.loc["2024-04", 3])
    q = cohorts(toy_mrr, period="quarter")
    q1 = q[q["cohort"] == "2024-Q1"]  # A, B, C, D: base 700; Mar 450; Jun (data date) 700
    assert q1["cohort_start_mrr"].tolist() == [700.0, 700.0]
    assert q1["retained_mrr"].tolist() == [450.0, 700.0]
    assert q1["retained_accounts"].tolist() == [3, 4]
    q2 = q[q["cohort"] == "2024-Q2"]
    assert q2["retained_accounts"].tolist() == [0]


def test_clv_by_hand_and_zero_churn(toy_mrr):
    # June: A, B, C, D active, 700 -> ARPA 175. Trailing months Feb..Jun: churned C (Mar)
    # and E (Jun) = 2; at risk = active at previous month-ends 3 + 4 + 3 + 4 + 5 = 19.
    r = clv(toy_mrr, gross_margin=0.8).iloc[0]
    assert r["arpa"] == 175.0
    assert (r["churned_accounts"], r["accounts_at_risk"]) == (2, 19)
    assert r["monthly_churn_rate"] == pytest.approx(2 / 19)
    assert r["clv"] == pytest.approx(175 * 0.8 / (2 / 19))  # 1330
    assert "Skok" in r["formula"]
    z = clv(toy_mrr, as_of_month="2024-05", window_months=2).iloc[0]  # Apr, May: no churn
    assert np.isnan(z["clv"]) and not np.isinf(z["clv"])
    assert z["note"].startswith("undefined")
    by = clv(toy_mrr, ACCOUNTS, by="segment")
    assert set(by["segment"]) == {"SMB", "Mid-Market", "(unassigned)"}


def test_empty_inputs():
    empty = mrr_by_month(_subs([]), as_of="2024-06-30")
    assert empty.empty and empty.attrs["months"] == ["2024-06"]
    mov = mrr_movements(empty)
    assert mov["end_mrr"].tolist() == [0.0]
    assert movements_by_account(empty).empty
    assert cohorts(empty).empty


def test_contraction_to_zero_is_churn_and_datetime_input():
    # core 100 + add-on 50; the add-on ends in Feb (contraction 50), the core in Mar: the last
    # step down to zero is churn of 100, not contraction
    subs = _subs([
        ("c", "K", "core", 100.0, "2024-01-01", "2024-03-15", "cancelled", None),
        ("a", "K", "addon", 50.0, "2024-01-01", "2024-02-10", "ended", None),
    ])
    mov = mrr_movements(mrr_by_month(subs, as_of="2024-04-30")).set_index("month")
    assert mov.loc["2024-02", ["contraction", "churn"]].tolist() == [50.0, 0.0]
    assert mov.loc["2024-03", ["contraction", "churn"]].tolist() == [0.0, 100.0]
    r = _row(retention(mrr_by_month(subs, as_of="2024-04-30"), start_month="2024-01",
                       end_month="2024-04"))
    assert (r["nrr"], r["grr"], r["logo_churn"]) == (0.0, 0.0, 1.0)
    # datetime columns give the same frame as ISO text
    as_dt = TOY.assign(start_date=pd.to_datetime(TOY["start_date"]),
                       end_date=pd.to_datetime(TOY["end_date"]))
    a = mrr_by_month(as_dt, as_of=pd.Timestamp(AS_OF))
    b = mrr_by_month(TOY, as_of=AS_OF)
    pd.testing.assert_frame_equal(a, b)


def test_labels_built_in_chunks_equal_one_conversion():
    """Month labels are converted in chunks (no long interpreter-lock hold); same Series."""
    from acctdesk.analytics.metrics import _labels

    values = np.array([f"2026-{m:02d}" for m in range(1, 13)], dtype=object)[
        np.arange(250_007) % 12]
    chunked = _labels(values, chunk=1_000)
    assert chunked.equals(pd.Series(values, dtype=pd.Series(["x"]).dtype))
    assert len(chunked) == 250_007 and chunked.iloc[-1] == "2026-11"
    assert list(chunked.index[:3]) == [0, 1, 2] and chunked.index[-1] == 250_006
