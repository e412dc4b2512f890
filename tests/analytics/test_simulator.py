"""The compounding book-of-business model: the published figures and the measured rates."""
from __future__ import annotations

import pandas as pd
import pytest

from acctdesk.analytics import metrics
from acctdesk.analytics.simulator import (
    periods_in, rates_from_mrr, revenue_per_period, simulate,
    simulate_total,
)


# "The Rise of Customer Success as a Profit Center": 70 accounts x $36,000 ACV over 3 years
def test_published_figure_no_upsell_no_churn():
    assert simulate_total(70, 36_000, 0.0, 0.0, "year", 3) == 7_560_000
    assert simulate_total(70, 36_000, 0.0, 0.0, "month", 3) == pytest.approx(7_560_000)


def test_published_figure_annual_upsell_and_churn():
    total = simulate_total(70, 36_000, 0.04, 0.02, "year", 3)
    assert total == pytest.approx(7_712_208, abs=1e-6)  # 2,520,000 x (1 + 1.02 + 1.0404)
    assert round(total / 1e6, 2) == 7.71


def test_published_figure_monthly_upsell_and_churn():
    total = simulate_total(70, 36_000, 0.04, 0.02, "month", 3)
    assert total == pytest.approx(210_000 * (1.02 ** 36 - 1) / 0.02)
    assert total == pytest.approx(10_918_817.11, abs=0.01)
    assert round(total / 1e6, 2) == 10.92
    # "revenue potential increases by 41.6 percent" against annual compounding
    assert round(total / simulate_total(70, 36_000, 0.04, 0.02, "year", 3) - 1, 3) == 0.416


def test_period_table_adds_up_and_compounds():
    sim = simulate(70, 36_000, 0.04, 0.02, "month", 3)
    t = sim.table
    assert sim.periods == 36 and len(t) == 36 and sim.revenue_per_period == 3000
    assert t["revenue"].iloc[0] == 210_000
    assert t["revenue"].iloc[1] == pytest.approx(210_000 * 1.02)
    assert t["revenue"].iloc[-1] == pytest.approx(210_000 * 1.02 ** 35)
    assert t["cumulative_revenue"].iloc[-1] == pytest.approx(sim.total)
    assert list(t["year"].unique()) == [1, 2, 3]
    assert t["arr_run_rate"].iloc[0] == 2_520_000
    assert sim.flat_total == 7_560_000
    d = sim.to_dict()
    assert d["total"] == 10_918_817.11 and len(d["table"]) == 36


def test_inputs_are_checked():
    with pytest.raises(ValueError):
        periods_in(2.5, "year")
    assert periods_in(2.5, "month") == 30
    assert revenue_per_period(36_000, "monthly") == 3000
    with pytest.raises(ValueError):
        simulate_total(70, 36_000, period="week")
    with pytest.raises(ValueError):
        simulate_total(70, 36_000, upsell=-0.1)
    assert simulate_total(70, 36_000, 0.03, 0.03, "year", 3) == pytest.approx(7_560_000)


def _subs():
    return pd.DataFrame({
        "sub_id": ["a1", "a2", "b1"],
        "account_id": ["A", "A", "B"],
        "mrr": [1000.0, 100.0, 1000.0],
        "start_date": ["2025-01-01", "2025-04-01", "2025-01-01"],
        "end_date": [None, None, "2025-06-30"],
        "status": ["active", "active", "cancelled"],
    })


def test_rates_from_mrr_by_hand():
    mrr = metrics.mrr_by_month(_subs(), as_of="2026-01-31")
    # monthly: Feb 2025 .. Jan 2026; start MRR 2000+2000+2000+2100+2100+2100+1100 x 6 = 18,900
    r = rates_from_mrr(mrr, period="month", months=12)
    assert r.accounts == 1 and r.acv == pytest.approx(13_200)
    assert r.window_months == 12 and r.start_mrr == pytest.approx(18_900)
    assert r.upsell == pytest.approx(100 / 18_900)
    assert r.churn == pytest.approx(1000 / 18_900)
    # annual: the accounts active at 2025-01 (2,000 MRR) gained 100 and lost 1,000
    y = rates_from_mrr(mrr, period="year")
    assert y.upsell == pytest.approx(0.05) and y.churn == pytest.approx(0.5)
    assert "NRR" in y.method
    sim = y.simulate(3)
    assert sim.total == pytest.approx(13_200 * (1 + 0.55 + 0.55 ** 2))


def test_rates_annualised_with_short_history():
    mrr = metrics.mrr_by_month(_subs(), as_of="2025-12-31")
    m = rates_from_mrr(mrr, period="month")
    y = rates_from_mrr(mrr, period="year")
    assert y.upsell == pytest.approx(12 * m.upsell)
    assert "annualised" in y.method


def test_the_engines_rates(workspace):
    from acctdesk.engine import Engine

    s = _subs()
    workspace.insert_rows("subscriptions", ["sub_id", "account_id", "product", "mrr",
                                            "start_date", "end_date", "status"],
                          [(r.sub_id, r.account_id, "Core", r.mrr, r.start_date, r.end_date,
                            r.status) for r in s.itertuples()])
    workspace.set_meta("data_date", "2026-01-31")
    r = Engine(workspace).analysis().rates(period="year")
    assert (r.accounts, r.upsell, r.churn) == (1, pytest.approx(0.05), pytest.approx(0.5))
