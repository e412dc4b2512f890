"""Portfolio figures on the real demo workspace, checked against the analytics they name."""
from __future__ import annotations

import datetime as dt
import shutil

import numpy as np
import pandas as pd
import pytest

from acctdesk.analytics import metrics, portfolio as P
from acctdesk.domain.accounts import active_mask
from acctdesk.engine import Engine
from acctdesk.engine.portfolio import portfolio_inputs
from acctdesk.models import Workspace


@pytest.fixture(scope="module")
def demo(demo_file, tmp_path_factory):
    """A copy (the churn model is stored in the file) and its inputs, loaded once."""
    path = tmp_path_factory.mktemp("portfolio") / "demo.acctdesk"
    shutil.copy(demo_file, path)
    with Workspace(path) as ws:
        inp = portfolio_inputs(Engine(ws).analysis(), ("health", "risk", "whitespace",
                                                       "matrix"))
        summary = ws.summary()
    return inp, summary


def _kpis(inp, filters=None):
    return {k.key: k for k in P.compute_kpis(inp, filters)}


def test_arr_tile_is_the_active_arr_of_the_workspace_summary(demo):
    inp, summary = demo
    k = _kpis(inp)["arr"]
    assert k.value == pytest.approx(summary["arr_active"])
    assert len(k.rows) == summary["active_accounts"]
    assert k.rows["arr"].sum() == pytest.approx(k.value)
    assert "customers on the data date" in k.definition


def test_retention_tiles_equal_metrics_retention_over_twelve_months(demo):
    inp, _ = demo
    k = _kpis(inp)
    mrr = metrics.mrr_by_month(inp.subscriptions, as_of=inp.as_of)
    labels = mrr.attrs["months"]
    ref = metrics.retention(mrr, start_month=labels[-13], end_month=labels[-1]).iloc[0]
    assert k["nrr"].value == pytest.approx(ref["nrr"])
    assert k["grr"].value == pytest.approx(ref["grr"])
    assert k["logo_churn"].value == pytest.approx(ref["logo_churn"])
    # the rows behind them are the start cohort, adding up to the figure
    rows = k["nrr"].rows
    assert rows["start_mrr"].sum() == pytest.approx(ref["start_mrr"])
    assert len(k["logo_churn"].rows) == ref["logos_churned"]
    assert "standard" in k["nrr"].definition and labels[-13] in k["nrr"].definition


def test_band_tiles_count_active_accounts_by_health_band(demo):
    inp, summary = demo
    k = _kpis(inp)
    bands = {label for label, _, _ in inp.bands}
    assert bands == {"Red", "Yellow", "Green"}
    scored = inp.health.set_index("account_id")["band"]
    for label in bands:
        tile = k[label.lower()]
        assert tile.value == len(tile.rows)
        assert set(tile.rows["band"]) <= {label}
        assert tile.colour == inp.band_colours[label]
    total = sum(k[b.lower()].value for b in bands)
    assert total == scored.notna().sum() <= summary["active_accounts"]


def test_arr_at_risk_and_whitespace_value_follow_their_formulas(demo):
    inp, _ = demo
    k = _kpis(inp)
    active = inp.accounts.loc[active_mask(inp.accounts, inp.as_of)]
    p = inp.risk.set_index("account_id")["churn_probability"]
    arr = active.set_index("account_id")["arr"]
    expected = float((arr * p.reindex(arr.index)).sum())
    assert k["arr_at_risk"].value == pytest.approx(expected)
    s = inp.suggestions
    s = s.loc[s["account_id"].isin(active["account_id"])]
    assert k["whitespace"].value == pytest.approx(float(s["expected_mrr"].sum()) * 12)
    assert len(k["whitespace"].rows) == len(s)


def test_a_slicer_narrows_every_figure_consistently(demo):
    inp, _ = demo
    smb = _kpis(inp, {"segment": "SMB"})
    accounts = inp.accounts
    active = accounts.loc[active_mask(accounts, inp.as_of)]
    assert smb["arr"].value == pytest.approx(
        active.loc[active["segment"] == "SMB", "arr"].sum())
    assert set(smb["arr"].rows["segment"]) == {"SMB"}
    # the slices of one attribute add up to the whole
    total = sum(_kpis(inp, {"segment": s})["arr"].value
                for s in P.slicer_options(accounts)["segment"])
    assert total == pytest.approx(_kpis(inp)["arr"].value)
    # NRR of the slice = retention of the slice's subscriptions
    ids = accounts.loc[accounts["segment"] == "SMB", "account_id"]
    mrr = metrics.mrr_by_month(inp.subscriptions.loc[inp.subscriptions["account_id"]
                                                     .isin(ids)], as_of=inp.as_of)
    labels = mrr.attrs["months"]
    ref = metrics.retention(mrr, start_month=labels[-13], end_month=labels[-1]).iloc[0]
    assert smb["nrr"].value == pytest.approx(ref["nrr"])
    owner = P.slicer_options(accounts)["owner"][0]
    both = _kpis(inp, {"segment": "SMB", "owner": owner})["arr"]
    assert both.value == pytest.approx(active.loc[(active["segment"] == "SMB")
                                                  & (active["owner"] == owner), "arr"].sum())


def test_renewals_in_the_next_90_days(demo):
    inp, _ = demo
    k = _kpis(inp)["renewals_90d"]
    end = (dt.date.fromisoformat(inp.as_of) + dt.timedelta(days=90)).isoformat()
    active = inp.accounts.loc[active_mask(inp.accounts, inp.as_of)]
    r = active["renewal_date"].fillna("")
    hit = active.loc[(r > inp.as_of) & (r <= end)]
    assert k.value == pytest.approx(hit["arr"].sum())
    assert len(k.rows) == len(hit) > 0


def test_renewal_forecast_is_arr_times_one_minus_risk(demo):
    inp, _ = demo
    rows, by_month = P.renewals(inp)
    f = P.renewal_forecast(rows)
    assert f["expected_renewed_arr"] == pytest.approx(
        float((rows["arr"] * (1 - rows["churn_probability"])).sum()))
    assert f["arr_at_risk"] == pytest.approx(f["arr"] - f["expected_renewed_arr"])
    assert len(by_month) == 12 and by_month["month"].iloc[0] == "2026-11"
    assert by_month["accounts"].sum() == len(rows)
    assert by_month["arr"].sum() == pytest.approx(rows["arr"].sum())
    assert by_month["expected_renewed_arr"].sum() == pytest.approx(f["expected_renewed_arr"])
    band_cols = [c for c in by_month.columns if c.startswith("arr:")]
    assert np.allclose(by_month[band_cols].sum(axis=1), by_month["arr"])
    assert rows["renewal_date"].min() > inp.as_of
    assert rows["renewal_date"].max() <= "2027-10-31"
    # probabilities come from the risk model for every row here, carried to each renewal
    assert set(rows["probability_source"]) == {"risk"}
    p, d = rows["horizon_probability"].to_numpy(), rows["days_to_renewal"].to_numpy()
    assert np.allclose(rows["churn_probability"], P.renewal_probability(p, d, 90))
    smb_rows, _ = P.renewals(inp, {"segment": "SMB"})
    assert set(smb_rows["segment"]) == {"SMB"} and len(smb_rows) < len(rows)


def test_charts_are_aggregates_of_the_same_accounts(demo):
    inp, summary = demo
    ch = P.portfolio_charts(inp)
    assert ch["health_hist"]["accounts"].sum() == inp.health["score"].notna().sum()
    assert ch["arr_by_band"]["arr"].sum() == pytest.approx(summary["arr_active"])
    assert len(ch["movements"]) == 12 and len(ch["trend"]) == 12
    mv = metrics.mrr_movements(metrics.mrr_by_month(inp.subscriptions, as_of=inp.as_of))
    assert ch["movements"]["net_change"].tolist() == pytest.approx(
        mv["net_change"].tail(12).tolist())
    assert ch["cohorts"].shape[1] <= 6


def test_whitespace_grid_shape_and_filters(demo):
    inp, _ = demo
    products = sorted(inp.matrix["product"].unique(), key=str.casefold)
    states, values, totals = P.whitespace_grid(inp, top=25)
    assert states.shape == values.shape == (25, len(products))
    assert list(states.columns) == products
    assert totals["whitespace_arr"].is_monotonic_decreasing
    assert list(states.index) == totals["account_id"].head(25).tolist()
    assert (values.where(states == "owned").isna()).all().all()
    s, v, t = P.whitespace_grid(inp, segment="Enterprise", product=products[0])
    assert set(t["segment"]) == {"Enterprise"}
    assert v.drop(columns=products[0]).isna().all().all()
    assert (s[products[0]] != "owned").all()


def test_an_empty_workspace_has_no_figures(workspace):
    inp = portfolio_inputs(Engine(workspace).analysis())
    assert inp.empty
    rows, by_month = P.renewals(inp)
    assert rows.empty and by_month.empty
    k = {x.key: x for x in P.compute_kpis(inp)}
    assert k["arr"].value == 0 and k["nrr"].value is None


def test_renewal_probability_is_the_models_within_its_horizon_and_a_survival_curve_beyond():
    p = np.array([0.1, 0.1, 0.1, 0.5, np.nan, 0.1])
    d = np.array([90, 45, 270, 0, 30, 180])
    out = P.renewal_probability(p, d, 90)
    assert out[0] == pytest.approx(0.1) and out[1] == pytest.approx(0.1)   # in the window
    assert out[3] == pytest.approx(0.5)                                     # due today
    assert out[2] == pytest.approx(1 - 0.9 ** 3)           # three horizons away: more
    assert out[5] == pytest.approx(1 - 0.9 ** 2) and out[0] < out[5] < out[2]
    assert np.isnan(out[4])
