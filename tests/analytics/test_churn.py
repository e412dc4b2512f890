"""Churn risk: point-in-time features, labels, out-of-time training, calibration, reasons,
the health fallback."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acctdesk.analytics import churn
from acctdesk.analytics.churn import (
    FEATURES, TooFewChurnEvents, build_examples, build_features, calibration_table,
    churn_risk, describe, evaluate, explain, snapshot_dates, train_churn_model,
)
from acctdesk.analytics.scorecards import ScoringData, score_accounts
from acctdesk.analytics.scorecards import default_scorecard
from acctdesk.models.demo import generate_demo

DATA_DATE = "2026-10-31"


def demo_data(n: int, seed: int) -> tuple[ScoringData, object]:
    p = generate_demo(n, seed=seed, data_date=DATA_DATE)
    return ScoringData(**p.tables()), p


@pytest.fixture(scope="module")
def trained():
    """One model on a 1500-account demo, shared by the tests that only read it."""
    data, p = demo_data(1500, seed=11)
    model = train_churn_model(data, DATA_DATE)
    return data, p, model


# ---------------------------------------------------------------- features
def hand_data(extra: dict[str, list] | None = None) -> ScoringData:
    accounts = pd.DataFrame({
        "account_id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"],
        "segment": ["SMB", "Enterprise", "SMB"], "industry": ["Retail", "FinTech", None],
        "seats": [10, 100, 5], "contract_start": ["2024-02-15", "2025-01-01", "2026-07-01"],
        "renewal_date": ["2027-02-15", None, None], "status": ["active", "churned", "active"],
        "churn_date": [None, "2026-08-15", None],
    })
    usage = [
        ("A", "active_users", "2025-12-31", 20), ("A", "active_users", "2026-03-31", 10),
        ("A", "active_users", "2026-05-31", 8), ("A", "active_users", "2026-06-30", 5),
        ("A", "logins", "2026-06-30", 50), ("A", "features_adopted", "2026-05-31", 4),
        ("A", "features_adopted", "2026-06-30", 3),
        ("B", "active_users", "2026-06-30", 50),
    ]
    tickets = [
        # source, id, account, created, solved, priority, status, csat
        ("z", "1", "A", "2026-06-01T10:00:00", None, "urgent", "open", None),
        ("z", "2", "A", "2026-06-10T10:00:00", "2026-07-05T10:00:00", "urgent", "solved", 1),
        ("z", "3", "A", "2026-05-01T10:00:00", "2026-05-03T10:00:00", "urgent", "solved", 2),
        ("z", "4", "A", "2026-03-01T10:00:00", "2026-03-02T10:00:00", "low", "closed", 4),
        ("z", "5", "A", "2026-06-20T10:00:00", None, "urgent", "closed", None),
        ("z", "6", "A", "2026-06-25T10:00:00", None, "high", "open", None),
    ]
    surveys = [("d", "r1", "A", None, "2025-12-20", "nps", 8, None),
               ("d", "r2", "A", None, "2026-06-01", "nps", 3, None),
               ("d", "r3", "B", None, "2025-05-01", "nps", 9, None)]
    activities = [("x1", "A", "2026-04-17", "call", "", "csm"),
                  ("x2", "A", "2026-06-20", "note", "", "csm"),
                  ("x3", "A", "2026-05-10", "qbr", "", "csm")]
    subs = [
        # id, account, product, plan, quantity, mrr, arr, start, end, status, source
        ("s1", "A", "Core", "", 10, 1000.0, 12000.0, "2024-02-15", "2026-05-31", "ended", ""),
        ("s2", "A", "Core", "", 8, 800.0, 9600.0, "2026-06-01", None, "past_due", ""),
        ("s3", "A", "Addon", "", 1, 200.0, 2400.0, "2024-02-15", "2026-06-15", "ended", ""),
        ("s4", "B", "Core", "", 100, 5000.0, 60000.0, "2025-01-01", "2026-08-15", "cancelled",
         ""),
    ]
    contacts = [("A", "a@x", "a", "", "executive sponsor", "2026-01-01"),
                ("A", "b@x", "b", "", "user", None),
                ("A", "c@x", "c", "", "user", "2026-09-01")]
    frames = {
        "usage": pd.DataFrame(usage, columns=["account_id", "metric", "date", "value"]),
        "tickets": pd.DataFrame(tickets, columns=["source", "ticket_id", "account_id",
                                                  "created_at", "solved_at", "priority",
                                                  "status", "csat"]),
        "surveys": pd.DataFrame(surveys, columns=["source", "response_id", "account_id",
                                                  "contact_email", "date", "kind", "score",
                                                  "comment"]),
        "activities": pd.DataFrame(activities, columns=["activity_id", "account_id", "date",
                                                        "kind", "text", "author"]),
        "subscriptions": pd.DataFrame(subs, columns=["sub_id", "account_id", "product", "plan",
                                                     "quantity", "mrr", "arr", "start_date",
                                                     "end_date", "status", "source"]),
        "contacts": pd.DataFrame(contacts, columns=["account_id", "email", "name", "title",
                                                    "role", "last_contact"]),
    }
    for entity, rows in (extra or {}).items():
        frames[entity] = pd.concat([frames[entity], pd.DataFrame(
            rows, columns=frames[entity].columns)], ignore_index=True)
    return ScoringData(accounts=accounts, **frames)


def test_features_match_hand_computed_values():
    f = build_features(hand_data(), "2026-06-30", status_as_of="2026-06-30")
    assert list(f.index) == ["A", "B"]  # C starts after the date
    a = f.loc["A"]
    assert a["active_users"] == 5
    assert a["usage_trend_1m"] == pytest.approx(100 * (5 - 8) / 8)
    assert a["usage_trend_3m"] == pytest.approx(-50.0)
    assert a["usage_trend_6m"] == pytest.approx(-75.0)  # Jun 30 -> Dec 31
    assert a["seat_utilisation"] == pytest.approx(5 / 8)  # licence: the active row's 8 seats
    assert a["logins_per_user"] == pytest.approx(10.0)
    assert a["features_adopted"] == 3
    assert a["tickets_90d"] == 5  # tickets 1, 2, 3, 5, 6 (4 is older than 90 days)
    assert a["urgent_tickets_90d"] == 5
    # urgent and open on Jun 30: 1 (no solve date) and 2 (solved in July); 5 is closed
    assert a["urgent_open"] == 2
    assert a["csat"] == pytest.approx(3.0)  # tickets 3 and 4; 2 was rated after the date
    assert a["nps"] == 3
    assert a["nps_change_6m"] == -5
    assert a["days_since_touch"] == 51  # the note of Jun 20 is not a touch; May 10 QBR is
    assert a["qbr_90d"] == 1
    assert a["contacts"] == 2 and a["exec_sponsor"] == 1  # c@x is only known from September
    assert a["arr"] == pytest.approx(12 * 800)
    assert a["arr_change_90d"] == pytest.approx(100 * (800 - 1200) / 1200)
    assert a["past_due"] == 1
    assert a["days_to_renewal"] == (pd.Timestamp("2027-02-15") - pd.Timestamp("2026-06-30")).days
    assert a["tenure_days"] == (pd.Timestamp("2026-06-30") - pd.Timestamp("2024-02-15")).days
    assert a["segment"] == "SMB" and a["industry"] == "Retail"
    b = f.loc["B"]
    assert np.isnan(b["nps"])  # its only response is more than a year old
    assert np.isnan(b["usage_trend_1m"]) and b["urgent_open"] == 0
    assert b["seat_utilisation"] == pytest.approx(0.5)
    # the export's subscription status describes the data date only
    early = build_features(hand_data(), "2026-06-30", status_as_of="2026-10-31")
    assert early["past_due"].isna().all()


def test_no_feature_changes_when_later_rows_are_added():
    later = {
        "usage": [("A", "active_users", "2026-07-31", 999), ("B", "logins", "2026-07-01", 9)],
        "tickets": [("z", "9", "A", "2026-07-01T08:00:00", None, "urgent", "open", 1)],
        "surveys": [("d", "r9", "A", None, "2026-07-02", "nps", 10, None)],
        "activities": [("x9", "A", "2026-07-01", "qbr", "", "csm")],
        "subscriptions": [("s9", "A", "Upsell", "", 50, 9000.0, 0.0, "2026-07-01", None,
                           "past_due", "")],
        "contacts": [("A", "z@x", "z", "", "executive sponsor", "2026-07-03")],
    }
    before = build_features(hand_data(), "2026-06-30", status_as_of="2026-06-30")
    after = build_features(hand_data(later), "2026-06-30", status_as_of="2026-06-30")
    pd.testing.assert_frame_equal(before, after)


def test_demo_features_as_of_a_date_ignore_everything_after_it():
    data, p = demo_data(300, seed=5)
    as_of = "2026-04-30"
    cut = {
        "usage": p.usage[p.usage["date"] <= as_of],
        "tickets": p.tickets[p.tickets["created_at"].str[:10] <= as_of],
        "surveys": p.surveys[p.surveys["date"] <= as_of],
        "activities": p.activities[p.activities["date"] <= as_of],
        "subscriptions": p.subscriptions[p.subscriptions["start_date"] <= as_of],
        "contacts": p.contacts[p.contacts["last_contact"].fillna("") <= as_of],
    }
    truncated = ScoringData(accounts=p.accounts, **{k: v.reset_index(drop=True)
                                                    for k, v in cut.items()})
    full = build_features(data, as_of)
    pd.testing.assert_frame_equal(full, build_features(truncated, as_of))
    # and the same rows inside the vectorised multi-date builder
    ex = build_examples(data, [as_of])
    pd.testing.assert_frame_equal(
        ex.drop(columns=["account_id", "as_of", "label"]).reset_index(drop=True),
        full.reset_index(drop=True))


def test_labels_and_snapshots_observe_the_horizon():
    data, p = demo_data(300, seed=5)
    dates = snapshot_dates(data, DATA_DATE, 90)
    assert dates and all(pd.Timestamp(d) + pd.Timedelta(days=90) <= pd.Timestamp(DATA_DATE)
                         for d in dates)
    assert all(pd.Timestamp(d).is_month_end for d in dates)
    ex = build_examples(data, dates, 90)
    churn_date = p.accounts.set_index("account_id")["churn_date"]
    c = pd.to_datetime(churn_date.reindex(ex["account_id"]).to_numpy())
    t = pd.to_datetime(ex["as_of"].to_numpy())
    expect = (c > t) & (c <= t + pd.Timedelta(days=90))
    assert (ex["label"].to_numpy() == expect).all()
    assert not ((c <= t) & pd.notna(c)).any()  # churned accounts are no longer examples
    assert ex["label"].sum() > 0


# ---------------------------------------------------------------- training
def test_out_of_time_validation_on_the_demo(trained):
    data, p, model = trained
    info = model.info
    assert info["kind"] in ("hist_gradient_boosting", "logistic_regression")
    assert set(info["candidates"]) == {"hist_gradient_boosting", "logistic_regression"}
    assert info["kind"] == max(info["candidates"], key=lambda k: info["candidates"][k]["auc"])
    assert info["auc"] > 0.75
    assert info["top_decile_lift"] > 2
    assert info["brier"] < info["base_rate"] * (1 - info["base_rate"])  # beats a constant
    # no training label looks into the test period
    train_end = pd.Timestamp(info["train_period"][1])
    assert train_end + pd.Timedelta(days=90) <= pd.Timestamp(info["test_period"][0])
    assert info["events"] >= churn.MIN_EVENTS
    # contacts-based features are computed but not modelled; past_due has no history
    assert "contacts" not in info["features"] and "past_due" not in info["features"]
    assert "usage_trend_3m" in info["features"] and "segment" in info["features"]


def test_calibration_table_shape_and_sanity(trained):
    data, p, model = trained
    table = pd.DataFrame(model.info["calibration"])
    assert list(table.columns) == ["bin", "n", "mean_predicted", "observed_rate", "events"]
    assert list(table["bin"]) == list(range(1, 11))
    assert table["n"].sum() == model.info["n_test"]
    assert table["n"].max() - table["n"].min() <= 1
    assert table["mean_predicted"].is_monotonic_increasing
    assert table["mean_predicted"].between(0, 1).all()
    # the riskiest decile holds most events, and its predicted rate is in the right range
    top = table.iloc[-1]
    assert top["events"] == table["events"].max()
    assert 0.5 * top["observed_rate"] <= top["mean_predicted"] <= 2 * top["observed_rate"]
    assert table["events"].sum() == model.info["positives_test"]


def test_evaluate_by_hand():
    y = np.array([0, 0, 0, 0, 0, 0, 0, 0, 1, 1])
    p = np.array([.1, .2, .1, .3, .2, .1, .4, .2, .9, .35])
    r = evaluate(y, p)
    # pairs: 1 (0.9) beats all 8; 1 (0.35) beats 7 of 8 (not 0.4) -> 15/16
    assert r["auc"] == pytest.approx(15 / 16)
    assert r["top_decile_lift"] == pytest.approx(1.0 / 0.2)  # top 1 of 10 is a churner
    assert r["brier"] == pytest.approx(np.mean((p - y) ** 2))
    t = calibration_table(y, p, bins=5)
    assert list(t["n"]) == [2, 2, 2, 2, 2] and t["events"].sum() == 2


def test_too_few_events_raise():
    data, _ = demo_data(40, seed=1)
    with pytest.raises(TooFewChurnEvents) as exc:
        train_churn_model(data, DATA_DATE)
    assert exc.value.events < 20
    assert "health score" in str(exc.value)


def test_small_data_falls_back_to_health_score():
    data, p = demo_data(40, seed=1)
    card = default_scorecard(data)
    health = score_accounts(card, data, DATA_DATE).assign(scorecard=card.id)
    with pytest.raises(ValueError, match="health scores"):
        churn_risk(data, DATA_DATE)
    result, model = churn_risk(data, DATA_DATE, scores=health, cards={card.id: card})
    assert model is None
    info = result.model
    assert info["kind"] == "health_fallback"
    assert "churn event" in info["reason"] and "health score" in info["reason"]
    assert info["auc"] is None and info["trained_at"] is None
    scores = score_accounts(default_scorecard(data), data, DATA_DATE).set_index("account_id")
    got = result.accounts.set_index("account_id")["churn_probability"]
    expect = (100 - scores["score"]) / 100
    pd.testing.assert_series_equal(got.sort_index(), expect.reindex(got.index).sort_index(),
                                   check_names=False)
    assert result.accounts["churn_probability"].is_monotonic_decreasing
    worst = result.accounts.iloc[0]
    assert worst["drivers"] and all("of 100 points" in d for d in worst["drivers"])


# ---------------------------------------------------------------- reasons
@pytest.mark.parametrize("feature, value, text", [
    ("usage_trend_3m", -48.2, "usage down 48% in 3 months"),
    ("usage_trend_1m", 12.4, "usage up 12% in 1 month"),
    ("usage_trend_6m", float("nan"), "no usage to compare with 6 months earlier"),
    ("urgent_open", 2, "2 urgent tickets open"),
    ("urgent_open", 1, "1 urgent ticket open"),
    ("urgent_tickets_90d", 3, "3 urgent tickets in 90 days"),
    ("nps", 3, "NPS 3"),
    ("nps", float("nan"), "no NPS response in a year"),
    ("nps_change_6m", -4, "NPS down 4 points in 6 months"),
    ("days_since_touch", 74, "no CSM touch for 74 days"),
    ("days_since_touch", float("nan"), "no CSM touch on record"),
    ("days_to_renewal", 41, "renewal in 41 days"),
    ("days_to_renewal", 1, "renewal in 1 day"),
    ("seat_utilisation", 0.345, "seat utilisation 34%"),
    ("arr_change_90d", -25.0, "ARR down 25% in 90 days"),
    ("csat", 2.14, "CSAT 2.1"),
    ("qbr_90d", 0, "no QBR in the last 90 days"),
    ("exec_sponsor", 0, "no executive sponsor known"),
    ("past_due", 1, "payment past due"),
    ("tenure_days", 120, "customer for 4 months"),
    ("tenure_days", 1000, "customer for 2.7 years"),
    ("features_adopted", 3, "3 features adopted"),
    ("segment", "SMB", "segment SMB"),
])
def test_driver_wording(feature, value, text):
    assert describe(feature, value) == text


def test_every_feature_has_words():
    for f in FEATURES:
        for v in (0.0, 1.0, 50.0, float("nan")):
            text = describe(f, v)
            assert text and ":" not in text, (f, v, text)


def test_drivers_come_from_the_models_attributions(trained):
    data, p, model = trained
    feats = build_features(data, DATA_DATE, status_as_of=DATA_DATE)
    X = churn.design_matrix(feats, model.columns)
    contrib = model.contributions(X)
    assert list(contrib.columns) == list(model.groups)
    drivers = explain(model, feats, X, top=3)
    names = list(model.groups)
    for i in np.argsort(-model.predict_proba(X))[:20]:
        row = contrib.iloc[i]
        top = [g for g in row.sort_values(ascending=False, kind="stable").index[:3]
               if row[g] > 0]
        assert drivers[i] == [describe(g, feats[g].iloc[i]) for g in top]
    # a sharp usage decline is a reason for the accounts that show one
    dropping = (feats["usage_trend_3m"] < -35).to_numpy()
    texts = [d for i in np.flatnonzero(dropping) for d in drivers[i]]
    assert any(t.startswith("usage down") for t in texts)
    assert set(names) >= {"usage_trend_3m", "days_to_renewal"}


def test_logistic_contributions_add_up_to_the_log_odds(trained):
    data, p, _ = trained
    model = train_churn_model(data, DATA_DATE, kinds=("logistic_regression",))
    assert model.info["kind"] == "logistic_regression"
    feats = build_features(data, DATA_DATE)
    X = churn.design_matrix(feats, model.columns)
    total = model.contributions(X).sum(axis=1).to_numpy()
    np.testing.assert_allclose(total + model.estimator.intercept_[0], model.logit(X),
                               rtol=1e-9, atol=1e-9)


def test_scoring_sorts_by_probability_and_names_accounts(trained):
    data, p, model = trained
    result, m = churn_risk(data, DATA_DATE, model=model, status_as_of=DATA_DATE)
    acc = result.accounts
    assert list(acc.columns) == ["account_id", "name", "churn_probability", "drivers"]
    assert acc["churn_probability"].is_monotonic_decreasing
    assert acc["churn_probability"].between(0, 1).all()
    active = p.accounts[p.accounts["status"] == "active"]
    assert set(acc["account_id"]) == set(active["account_id"])
    names = p.accounts.set_index("account_id")["name"]
    assert (acc["name"].to_numpy() == names.reindex(acc["account_id"]).to_numpy()).all()
    assert result.model["kind"] == model.info["kind"] and result.model["auc"] > 0.75
