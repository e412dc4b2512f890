"""The demo portfolio: reproducible, internally consistent, and carrying the signals of churn."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acctdesk.models.demo import METRICS, PRODUCTS, create_demo_workspace, generate_demo

AS_OF = "2026-10-31"


@pytest.fixture(scope="module")
def big():
    """Large enough for statistics to be stable."""
    return generate_demo(3000, seed=11, data_date=AS_OF)


def test_same_seed_same_portfolio_other_seed_other_portfolio():
    a = generate_demo(150, seed=5, data_date=AS_OF)
    b = generate_demo(150, seed=5, data_date=AS_OF)
    c = generate_demo(150, seed=6, data_date=AS_OF)
    for name, frame in a.tables().items():
        pd.testing.assert_frame_equal(frame, b.tables()[name], check_dtype=True)
    assert not a.accounts["name"].equals(c.accounts["name"])
    assert not a.usage["value"].equals(c.usage["value"])


def test_shape_of_the_book(big):
    acc = big.accounts
    assert len(acc) == 3000 and acc["account_id"].is_unique
    assert acc["name"].is_unique and acc["domain"].is_unique
    assert set(acc["segment"]) == {"Enterprise", "Mid-Market", "SMB"}
    assert acc["owner"].nunique() >= 10
    churned = (acc["status"] == "churned").mean()
    assert 0.08 < churned < 0.30, churned
    products = big.subscriptions["product"].unique()
    assert 6 <= len(products) <= 10
    assert set(big.usage["metric"]) == set(METRICS)
    assert set(big.contacts["role"]) >= {"champion", "decision maker", "executive sponsor"}
    assert set(big.activities["kind"]) >= {"call", "qbr", "email"}
    # nothing is dated after the data date
    assert big.usage["date"].max() <= AS_OF
    assert big.tickets["created_at"].str[:10].max() <= AS_OF
    assert big.surveys["date"].max() <= AS_OF
    assert big.activities["date"].max() <= AS_OF
    assert big.subscriptions["start_date"].max() <= AS_OF


def _active_subs(subs, day):
    end = subs["end_date"].fillna("9999-12-31")
    return subs[(subs["start_date"] <= day) & (end >= day)
                & ~subs["status"].isin(["ended", "cancelled"])]


def test_arr_is_what_the_subscriptions_bill(big):
    live = _active_subs(big.subscriptions, AS_OF)
    arr_by_subs = live.groupby("account_id")["mrr"].sum() * 12
    acc = big.accounts.set_index("account_id")
    active = acc[acc["status"] == "active"]
    pd.testing.assert_series_equal(
        active["arr"].sort_index(), arr_by_subs.reindex(active.index).fillna(0).sort_index(),
        check_names=False, atol=0.05)
    # churned accounts bill nothing and their subscriptions ended on the churn date
    churned = acc[acc["status"] == "churned"]
    assert (churned["arr"] == 0).all()
    last_end = big.subscriptions.groupby("account_id")["end_date"].max()
    assert (last_end.reindex(churned.index) == churned["churn_date"]).all()


def test_subscription_periods_of_one_product_do_not_overlap(big):
    s = big.subscriptions.sort_values(["account_id", "product", "start_date"])
    prev_end = s.groupby(["account_id", "product"])["end_date"].shift()
    nxt = s[prev_end.notna()]
    assert (nxt["start_date"] > prev_end[prev_end.notna()]).all()


def _monthly(big, metric):
    u = big.usage[big.usage["metric"] == metric]
    return u.pivot(index="account_id", columns="date", values="value")


def test_churners_decline_before_they_churn(big):
    """Usage falls, urgent tickets rise, NPS drops and QBRs stop before churn (with noise)."""
    acc = big.accounts.set_index("account_id")
    truth = big.truth.set_index("account_id")
    churned = acc.index[(acc["status"] == "churned") & (acc["churn_date"] >= "2026-03-01")]
    stable = acc.index[(acc["status"] == "active") & ~truth["warning"] & ~truth["expanding"]]
    assert len(churned) > 60 and len(stable) > 1000

    # utilisation in the last three months before churn vs six to nine months before
    users = big.usage[big.usage["metric"] == "active_users"].copy()
    users["month"] = users["date"].str[:7]
    churn_month = pd.to_datetime(acc.loc[churned, "churn_date"]).dt.to_period("M")
    rows = users[users["account_id"].isin(churned)].copy()
    rows["age"] = [(churn_month[a] - pd.Period(m, "M")).n for a, m in
                   zip(rows["account_id"], rows["month"])]
    late = rows[rows["age"].between(1, 3)].groupby("account_id")["value"].mean()
    early = rows[rows["age"].between(6, 9)].groupby("account_id")["value"].mean()
    both = late.index.intersection(early.index)
    change = (late[both] / early[both].clip(lower=1)) - 1
    assert change.median() < -0.15, change.median()

    # urgent-ticket share: churners' last 6 months vs stable accounts
    t = big.tickets
    tc = t[t["account_id"].isin(churned)]
    cd = pd.to_datetime(acc.loc[tc["account_id"], "churn_date"]).to_numpy()
    days_before = (cd - pd.to_datetime(tc["created_at"]).to_numpy()) / np.timedelta64(1, "D")
    urgent_churn = (tc[days_before <= 183]["priority"] == "urgent").mean()
    urgent_stable = (t[t["account_id"].isin(stable)]["priority"] == "urgent").mean()
    assert urgent_churn > 1.5 * urgent_stable

    # NPS: churners answer lower; detractors (0-6) dominate them
    s = big.surveys
    nps_churn = s[s["account_id"].isin(churned)]["score"].mean()
    nps_stable = s[s["account_id"].isin(stable)]["score"].mean()
    assert nps_churn < nps_stable - 1.0

    # QBRs held per Enterprise/Mid-Market account-quarter are rarer among churners
    qbr = big.activities[big.activities["kind"] == "qbr"]
    bigseg = acc.index[acc["segment"] != "SMB"]
    rate_churn = qbr["account_id"].isin(churned.intersection(bigseg)).sum() / max(1, len(churned.intersection(bigseg)))
    rate_stable = qbr["account_id"].isin(stable.intersection(bigseg)).sum() / len(stable.intersection(bigseg))
    assert rate_churn < 0.7 * rate_stable


def test_early_warning_and_expansion_signals_exist_among_active_accounts(big):
    acc = big.accounts.set_index("account_id")
    truth = big.truth.set_index("account_id")
    last = big.usage["date"].max()
    users = _monthly(big, "active_users")
    # warning accounts: usage down over the last four months
    warn = truth.index[truth["warning"]]
    cols = sorted(users.columns)
    drop = users.loc[warn, cols[-1]] / users.loc[warn, cols[-6]].clip(lower=1) - 1
    assert (acc.loc[warn, "status"] == "active").all()
    assert drop.median() < -0.15
    # expansion: seats nearly full
    grow = truth.index[truth["expanding"]]
    util = users.loc[grow, last] / acc.loc[grow, "seats"]
    assert (util > 0.9).mean() > 0.8
    # whitespace: peers in an industry own a product far more often than elsewhere
    owners = big.subscriptions[big.subscriptions["product"] == "Security & SSO"]["account_id"].unique()
    owns = acc.index.isin(owners)
    by_industry = pd.Series(owns, index=acc.index).groupby(acc["industry"]).mean()
    assert by_industry["FinTech"] > 2 * by_industry["Retail"]


def test_generation_rejects_no_accounts():
    with pytest.raises(ValueError):
        generate_demo(0)


def test_demo_workspace_file_matches_the_generated_frames(tmp_path):
    ws = create_demo_workspace(tmp_path / "d.acctdesk", 120, seed=2, data_date=AS_OF)
    try:
        p = generate_demo(120, seed=2, data_date=AS_OF)
        s = ws.summary()
        assert s["accounts"] == 120
        assert s["data_date"] == AS_OF
        assert s["usage_rows"] == len(p.usage)
        assert s["tickets"] == len(p.tickets)
        active = p.accounts[p.accounts["status"] == "active"]
        assert s["active_accounts"] == len(active)
        assert s["arr_active"] == pytest.approx(active["arr"].sum(), abs=0.01)
        stored = ws.accounts().set_index("account_id").sort_index()
        mine = p.accounts.set_index("account_id").sort_index()
        assert (stored["name"] == mine["name"]).all()
        assert np.allclose(stored["arr"], mine["arr"])
        assert ws.audit_log()["action"].tolist() == ["demo.create"]
    finally:
        ws.close()


def test_existing_file_is_never_overwritten(tmp_path):
    path = tmp_path / "mine.acctdesk"
    path.write_text("precious")
    with pytest.raises(FileExistsError):
        create_demo_workspace(path, 10)
    assert path.read_text() == "precious"
