"""Health scorecards: arithmetic against hand-computed values, presets, JSON, point in time."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from acctdesk.analytics.scorecards import (
    Band, Group, Measure, PointMapping, Scorecard, ScorecardError, ScoringData, Source,
    auc, backtest, compute_measures, contributions, explain_change, map_points,
    score_accounts, what_moved,
)
from acctdesk.domain.accounts import active_mask
from acctdesk.analytics.scorecards import (
    PRESETS, default_scorecard, good_average_poor, points_100, preset, ten_point,
)

AS_OF = "2024-06-30"
RAG = [Band("Red", 0, "#d64545"), Band("Yellow", 40, "#e0b000"), Band("Green", 70, "#2e9d5b")]


def T(*pairs):
    return PointMapping("thresholds", thresholds=list(pairs))


# ---------------------------------------------------------------- a 3-account portfolio
def small_card(**kw) -> Scorecard:
    """Usage (60): logins (w 2) + seat utilisation (w 1); Support (40): urgent tickets."""
    logins = Measure("logins", "Logins",
                     Source("aggregate", entity="usage", metric="logins", agg="sum", window=30,
                            fill=0),
                     T((10, 0), (50, 50), (None, 100)), weight=2)
    util = Measure("seat_util", "Seat utilisation",
                   Source("ratio", numerator=Source("aggregate", entity="usage",
                                                    metric="active_users", agg="last",
                                                    window=30),
                          denominator=Source("field", field="seats")),
                   PointMapping("linear", zero_at=0, full_at=1), weight=1)
    urgent = Measure("urgent", "Urgent tickets",
                     Source("aggregate", entity="tickets", agg="count", window=90,
                            filter={"priority": "urgent"}),
                     T((1, 100), (3, 50), (None, 0)), direction="lower")
    return Scorecard("t", "Test", [Group("Usage", 60, [logins, util]),
                                   Group("Support", 40, [urgent])], RAG, **kw)


def small_data(with_tickets: bool = True) -> ScoringData:
    accounts = pd.DataFrame({
        "account_id": ["A", "B", "C"], "name": ["a", "b", "c"], "seats": [10, 20, None],
        "segment": ["SMB", "SMB", "Ent"], "contract_start": ["2023-01-01"] * 3,
        "status": "active", "churn_date": [None, None, None],
    })
    usage = pd.DataFrame([
        ("A", "logins", "2024-06-10", 30), ("A", "logins", "2024-06-20", 30),
        ("A", "logins", "2024-05-01", 1000),          # before the 30-day window
        ("A", "logins", "2024-05-31", 1000),          # window is (May 31, Jun 30]
        ("A", "active_users", "2024-06-25", 8),
        ("B", "logins", "2024-06-15", 20),
        ("B", "active_users", "2024-06-01", 5), ("B", "active_users", "2024-06-29", 10),
        ("C", "active_users", "2024-06-29", 3),       # no seats: utilisation has no data
        ("C", "logins", "2024-07-02", 500),           # after as_of
    ], columns=["account_id", "metric", "date", "value"])
    tickets = pd.DataFrame([
        ("z", "1", "B", "2024-06-01", None, "urgent", "open"),
        ("z", "2", "B", "2024-05-15T09:30:00", "2024-05-16", "Urgent", "solved"),
        ("z", "3", "B", "2024-06-02", None, "low", "open"),
        ("z", "4", "C", "2024-06-20", None, "urgent", "open"),
        ("z", "5", "C", "2024-07-05", None, "urgent", "open"),   # after as_of
        ("z", "6", "A", "2024-03-01", None, "urgent", "open"),   # before the 90-day window
    ], columns=["source", "ticket_id", "account_id", "created_at", "solved_at", "priority",
                "status"])
    return ScoringData(accounts, usage=usage, tickets=tickets if with_tickets else None)


def test_hand_computed_portfolio():
    # A: logins 30+30 = 60 -> 100 pts; utilisation 8/10 = 0.8 -> 80 pts; 0 urgent -> 100
    #    Usage = (2*100 + 1*80)/3 = 93.333; score = 0.6*93.333 + 0.4*100 = 96.0  (Green)
    # B: logins 20 -> 50 pts; utilisation last 10/20 = 0.5 -> 50; 2 urgent -> 50
    #    Usage = (2*50 + 50)/3 = 50; score = 0.6*50 + 0.4*50 = 50.0 (Yellow)
    # C: logins none -> fill 0 -> 0 pts; utilisation no seats -> drops out (its weight goes
    #    to logins); 1 urgent -> 50. Usage = 0; score = 0.6*0 + 0.4*50 = 20.0 (Red)
    #    coverage = 0.6 * 2/3 + 0.4 * 1 = 0.8
    card, data = small_card(), small_data()
    vals = compute_measures(card, data, AS_OF)
    assert vals.loc["A"].tolist() == [60, 0.8, 0]
    assert vals.loc["B"].tolist() == [20, 0.5, 2]
    assert vals.loc["C", "logins"] == 0 and np.isnan(vals.loc["C", "seat_util"])
    s = score_accounts(card, data, AS_OF).set_index("account_id")
    assert s["score"].tolist() == pytest.approx([96.0, 50.0, 20.0])
    assert s["band"].tolist() == ["Green", "Yellow", "Red"]
    assert s["coverage"].tolist() == pytest.approx([1.0, 1.0, 0.8])
    assert s.loc["A", "grp:Usage"] == pytest.approx(93.3333333)
    assert s.loc["C", "grp:Support"] == 50
    assert s.loc["A", "pts:seat_util"] == pytest.approx(80)
    assert np.isnan(s.loc["C", "pts:seat_util"])
    assert s.loc["B", "val:urgent"] == 2
    assert s["display_score"].tolist() == [96.0, 50.0, 20.0]
    # contributions are the terms of the weighted sum
    c = contributions(card, s)
    assert c.loc["A"].tolist() == pytest.approx([0.6 * 2 / 3 * 100, 0.6 / 3 * 80, 40.0])
    assert c.sum(axis=1).tolist() == pytest.approx(s["score"].tolist())


def test_empty_group_weight_goes_to_other_groups():
    # no tickets at all: Support has no data for anyone and its 40% goes to Usage
    card, data = small_card(), small_data(with_tickets=False)
    s = score_accounts(card, data, AS_OF).set_index("account_id")
    assert s["score"].tolist() == pytest.approx([93.333333, 50.0, 0.0])
    assert s["coverage"].tolist() == pytest.approx([0.6, 0.6, 0.4])
    assert s["grp:Support"].isna().all()


def test_count_without_matching_rows_is_zero_when_entity_has_data():
    # tickets exist, but no 'priority' filled anywhere: urgent count has no data (not 0)
    data = small_data()
    data.tickets = data.tickets.assign(priority=None)
    s = score_accounts(small_card(), data, AS_OF)
    assert s["pts:urgent"].isna().all()


def test_min_coverage_blanks_thin_scores():
    s = score_accounts(small_card(min_coverage=0.9), small_data(), AS_OF).set_index("account_id")
    assert np.isnan(s.loc["C", "score"]) and s.loc["C", "band"] is None
    assert s.loc["A", "score"] == pytest.approx(96)


def test_zero_weight_measure_counts_for_nothing():
    card = small_card()
    card.groups[0].measures[1].weight = 0  # utilisation
    s = score_accounts(card, small_data(), AS_OF).set_index("account_id")
    # A: usage = logins only = 100 -> 0.6*100 + 0.4*100
    assert s.loc["A", "score"] == pytest.approx(100)
    assert s.loc["A", "coverage"] == pytest.approx(1.0)


# ---------------------------------------------------------------- point mappings
def test_thresholds_edges():
    m = Measure("x", "X", Source("field", field="arr"), T((10, 0), (20, 50), (None, 100)))
    pts = map_points(m, np.array([-5, 9.999, 10, 19.99, 20, 1e9, np.nan]))
    assert pts[:6].tolist() == [0, 0, 50, 50, 100, 100] and np.isnan(pts[6])
    # a finite last bound: values at or above it keep the last band's points
    m2 = Measure("x", "X", Source("field", field="arr"), T((10, 0), (20, 50)))
    assert map_points(m2, np.array([25.0])).tolist() == [50]


def test_linear_clips_and_lower_is_better():
    up = Measure("x", "X", Source("field", field="arr"), PointMapping("linear", zero_at=20,
                                                                         full_at=70))
    assert map_points(up, np.array([0, 20, 45, 70, 99])).tolist() == [0, 0, 50, 100, 100]
    down = Measure("x", "X", Source("field", field="arr"),
                   PointMapping("linear", zero_at=90, full_at=30), direction="lower")
    assert map_points(down, np.array([10, 30, 60, 90, 120])).tolist() == [100, 100, 50, 0, 0]


def test_percentile_portfolio_and_segment():
    # mid-rank percentile: 100 * (rank_avg - 0.5) / n
    v = np.array([10, 20, 20, 40, np.nan])
    m = Measure("x", "X", Source("field", field="arr"), PointMapping("percentile"))
    p = map_points(m, v)
    assert p[:4].tolist() == [12.5, 50, 50, 87.5] and np.isnan(p[4])
    low = Measure("x", "X", Source("field", field="arr"), PointMapping("percentile"),
                  direction="lower")
    assert map_points(low, v)[:4].tolist() == [87.5, 50, 50, 12.5]
    seg = Measure("x", "X", Source("field", field="arr"),
                  PointMapping("percentile", scope="segment"))
    p = map_points(seg, v, np.array(["a", "a", "b", "b", "b"], dtype=object))
    assert p[:4].tolist() == [25, 75, 25, 75]
    # thresholds applied to the percentile (terciles -> 0/60/100)
    ter = Measure("x", "X", Source("field", field="arr"),
                  PointMapping("percentile", thresholds=[(100 / 3, 0), (200 / 3, 60),
                                                         (None, 100)]))
    assert map_points(ter, v)[:4].tolist() == [0, 60, 60, 100]


def test_bands_edges_in_scores():
    accounts = pd.DataFrame({"account_id": list("abcdef"), "name": list("abcdef"),
                             "arr": [0, 39.999, 40, 69.9999999, 70, 100]})
    card = Scorecard("b", "B", [Group("g", 1, [Measure(
        "arr", "ARR", Source("field", field="arr"),
        PointMapping("linear", zero_at=0, full_at=100))])], RAG)
    s = score_accounts(card, ScoringData(accounts), AS_OF)
    # 69.9999999 rounds (6 decimals) to 70 before the band look-up
    assert s["band"].tolist() == ["Red", "Red", "Yellow", "Green", "Green", "Green"]
    assert card.band_for(39.5) == "Red" and card.band_for(40) == "Yellow"
    assert card.band_for(float("nan")) is None
    assert card.band_color("Green") == "#2e9d5b"


# ---------------------------------------------------------------- sources
def _acc(ids=("A",), **cols):
    base = {"account_id": list(ids), "name": list(ids), "contract_start": "2020-01-01",
            "status": "active"}
    base.update(cols)
    return pd.DataFrame(base)


def _one(card_measure: Measure, data: ScoringData, as_of=AS_OF) -> pd.Series:
    card = Scorecard("s", "S", [Group("g", 1, [card_measure])], RAG)
    return compute_measures(card, data, as_of)[card_measure.id]


def test_change_pct_and_diff():
    # mean active users in (Jun 1, Jun 30] = (10+30)/2 = 20; in (Mar 3, Apr 1] = 40
    # -> 100 * (20 - 40) / 40 = -50%
    usage = pd.DataFrame([("A", "active_users", d, v) for d, v in [
        ("2024-06-10", 10), ("2024-06-30", 30), ("2024-03-20", 40), ("2024-04-02", 999)]],
        columns=["account_id", "metric", "date", "value"])
    src = Source("change", of=Source("aggregate", entity="usage", metric="active_users",
                                     agg="mean", window=30), lag_days=90)
    m = Measure("t", "Trend", src, T((0, 0), (None, 100)))
    assert _one(m, ScoringData(_acc(), usage)).tolist() == [-50.0]
    src.mode = "diff"
    assert _one(m, ScoringData(_acc(), usage)).tolist() == [-20.0]


def test_subscriptions_active_mrr_change_and_past_due():
    subs = pd.DataFrame([
        ("s1", "A", "core", 100.0, "2024-01-01", "2024-05-01", "cancelled"),
        ("s2", "A", "addon", 80.0, "2024-01-01", None, "past_due"),
        ("s3", "A", "later", 50.0, "2024-07-01", None, "active"),   # starts after as_of
    ], columns=["sub_id", "account_id", "product", "mrr", "start_date", "end_date", "status"])
    data = ScoringData(_acc(), subscriptions=subs)
    mrr = Source("aggregate", entity="subscriptions", agg="sum", field="mrr",
                 filter={"active": True})
    # now (Jun 30): s2 = 80; then (Apr 1): s1 + s2 = 180 -> 100 * (80 - 180) / 180
    m = Measure("m", "MRR", Source("change", of=mrr, lag_days=90), T((0, 0), (None, 100)))
    assert _one(m, data).tolist() == pytest.approx([-55.5555556])
    pd_ = Measure("p", "Past due", Source("aggregate", entity="subscriptions", agg="count",
                                          filter={"active": True, "status": "PAST_DUE"}),
                  T((1, 100), (None, 0)), direction="lower")
    assert _one(pd_, data).tolist() == [1]
    # on 2023-12-31 no subscription row is dated yet: the entity has no data at all
    assert _one(pd_, data, "2023-12-31").isna().all()


def test_fill_only_when_entity_has_data():
    subs = pd.DataFrame([("s1", "A", "core", 10.0, "2024-01-01", None, "past_due")],
                        columns=["sub_id", "account_id", "product", "mrr", "start_date",
                                 "end_date", "status"])
    data = ScoringData(_acc(("A", "B")), subscriptions=subs)
    m = Measure("p", "Past due", Source("aggregate", entity="subscriptions", agg="count",
                                        filter={"status": "past_due"}), T((1, 100), (None, 0)))
    assert _one(m, data).tolist() == [1, 0]                  # B: none -> 0
    assert _one(m, data, "2023-06-30").isna().all()          # nothing dated yet -> no data


def test_open_tickets_at_as_of():
    tickets = pd.DataFrame([
        ("z", "1", "A", "2024-06-01", "2024-07-10", "urgent", "solved"),   # open on Jun 30
        ("z", "2", "A", "2024-06-01", "2024-06-10", "urgent", "solved"),   # solved before
        ("z", "3", "A", "2024-06-01", None, "urgent", "Closed"),           # closed, no date
        ("z", "4", "A", "2024-01-01", None, "urgent", "open"),             # open, old
        ("z", "5", "A", "2024-06-01", None, "low", "open"),                # not urgent
    ], columns=["source", "ticket_id", "account_id", "created_at", "solved_at", "priority",
                "status"])
    m = Measure("o", "Open", Source("aggregate", entity="tickets", agg="count",
                                    filter={"open": True, "priority": "urgent"}),
                T((1, 100), (None, 0)), direction="lower")
    assert _one(m, ScoringData(_acc(), tickets=tickets)).tolist() == [2]


def test_days_since_quarter_window_contacts_and_days_until():
    acts = pd.DataFrame([
        ("1", "A", "2024-06-20", "note"), ("2", "A", "2024-06-10", "Call"),
        ("3", "A", "2024-03-31", "QBR"), ("4", "B", "2024-04-01", "qbr"),
        ("5", "B", "2024-07-01", "call"),
    ], columns=["activity_id", "account_id", "date", "kind"])
    contacts = pd.DataFrame([
        ("A", "a@x", "Executive Sponsor", None),        # undated contact still counts
        ("B", "b@x", "executive sponsor", "2024-08-01"),  # dated after as_of: ignored
        ("C", "c@x", "champion", "2024-01-01"),
    ], columns=["account_id", "email", "role", "last_contact"])
    data = ScoringData(_acc(("A", "B", "C"), renewal_date=["2024-07-30", None, "2024-06-01"]),
                       activities=acts, contacts=contacts)
    touch = Measure("t", "Touch", Source("days_since", entity="activities",
                                         filter={"kind": {"not": ["note"]}}, fill=365),
                    T((31, 100), (None, 0)), direction="lower")
    # A: Jun 10 -> 20 days; B: Apr 1 -> 90 days (Jul 1 is after as_of); C: none -> fill 365
    assert _one(touch, data).tolist() == [20, 90, 365]
    qbr = Measure("q", "QBR", Source("aggregate", entity="activities", agg="any",
                                     window="quarter", filter={"kind": ["qbr", "ebr"]}),
                  T((1, 0), (None, 100)))
    # quarter to date = Apr 1 - Jun 30: B's Apr 1 counts, A's Mar 31 does not
    assert _one(qbr, data).tolist() == [0, 1, 0]
    exec_ = Measure("e", "Exec", Source("aggregate", entity="contacts", agg="any",
                                        filter={"role": "executive sponsor"}),
                    T((1, 0), (None, 100)))
    assert _one(exec_, data).tolist() == [1, 0, 0]
    ren = Measure("r", "Renewal", Source("days_until", field="renewal_date"),
                  T((0, 30), (None, 100)))
    r = _one(ren, data)
    assert r.iloc[0] == 30 and np.isnan(r.iloc[1]) and r.iloc[2] == -29


def test_active_accounts_only():
    accounts = pd.DataFrame({
        "account_id": list("abcde"), "name": list("abcde"),
        "contract_start": ["2024-01-01", "2024-07-01", "2024-01-01", "2024-01-01", None],
        "churn_date": [None, None, "2024-06-30", "2024-07-01", None],
        "status": ["active", "active", "churned", "active", "prospect"],
    })
    assert active_mask(accounts, AS_OF).tolist() == [True, False, False, True, False]
    card = Scorecard("s", "S", [Group("g", 1, [Measure(
        "x", "X", Source("field", field="arr"), T((None, 50),))])], RAG)
    assert score_accounts(card, ScoringData(accounts), AS_OF)["account_id"].tolist() == \
        ["a", "d"]


# ---------------------------------------------------------------- point in time
def _portfolio(seed=1, n=60):
    rng = np.random.default_rng(seed)
    ids = [f"A{i:03d}" for i in range(n)]
    days = pd.date_range("2023-06-01", "2024-06-30", freq="7D").strftime("%Y-%m-%d")
    accounts = pd.DataFrame({
        "account_id": ids, "name": ids, "segment": rng.choice(["SMB", "Ent"], n),
        "seats": rng.integers(5, 50, n), "contract_start": "2023-01-01", "status": "active",
        "churn_date": None,
        "renewal_date": pd.Timestamp("2024-07-01") + pd.to_timedelta(rng.integers(0, 300, n),
                                                                    "D"),
    })
    accounts["renewal_date"] = accounts["renewal_date"].dt.strftime("%Y-%m-%d")
    usage = pd.DataFrame([(a, m, d, float(rng.integers(0, 40)))
                          for a in ids for m in ("active_users", "logins", "features_adopted")
                          for d in days[::3]], columns=["account_id", "metric", "date", "value"])
    k = 4 * n
    tickets = pd.DataFrame({
        "source": "z", "ticket_id": [str(i) for i in range(k)],
        "account_id": rng.choice(ids, k),
        "created_at": rng.choice(days, k), "solved_at": None,
        "priority": rng.choice(["urgent", "high", "low"], k), "status": "open",
        "csat": rng.integers(1, 6, k).astype(float),
    })
    surveys = pd.DataFrame({"source": "s", "response_id": [str(i) for i in range(n)],
                            "account_id": ids, "date": rng.choice(days, n), "kind": "nps",
                            "score": rng.integers(0, 11, n).astype(float)})
    subs = pd.DataFrame({"sub_id": ids, "account_id": ids, "product": "core",
                         "mrr": rng.uniform(100, 900, n), "start_date": "2023-01-01",
                         "end_date": None, "status": rng.choice(["active", "past_due"], n)})
    acts = pd.DataFrame({"activity_id": [str(i) for i in range(2 * n)],
                         "account_id": rng.choice(ids, 2 * n), "date": rng.choice(days, 2 * n),
                         "kind": rng.choice(["call", "qbr", "note"], 2 * n)})
    contacts = pd.DataFrame({"account_id": ids, "email": [f"{a}@x" for a in ids],
                             "role": rng.choice(["executive sponsor", "champion"], n),
                             "last_contact": None})
    return ScoringData(accounts, usage, tickets, surveys, subs, acts, contacts)


def _future_rows(data: ScoringData) -> ScoringData:
    a = data.accounts["account_id"].tolist()
    fut = "2024-07-15"
    accounts = pd.concat([data.accounts, pd.DataFrame({
        "account_id": ["NEW"], "name": ["new"], "segment": ["SMB"], "seats": [10],
        "contract_start": [fut], "status": ["active"], "churn_date": [None],
        "renewal_date": ["2025-07-15"]})], ignore_index=True)
    usage = pd.concat([data.usage, pd.DataFrame(
        [(x, m, fut, 1e6) for x in a + ["NEW"] for m in ("active_users", "logins",
                                                         "features_adopted")],
        columns=["account_id", "metric", "date", "value"])], ignore_index=True)
    tickets = pd.concat([data.tickets, pd.DataFrame({
        "source": "z", "ticket_id": [f"f{i}" for i in range(len(a))], "account_id": a,
        "created_at": fut, "solved_at": None, "priority": "urgent", "status": "open",
        "csat": 1.0})], ignore_index=True)
    surveys = pd.concat([data.surveys, pd.DataFrame({
        "source": "s", "response_id": [f"f{i}" for i in range(len(a))], "account_id": a,
        "date": fut, "kind": "nps", "score": 0.0})], ignore_index=True)
    subs = pd.concat([data.subscriptions, pd.DataFrame({
        "sub_id": [f"f{x}" for x in a], "account_id": a, "product": "x", "mrr": 5000.0,
        "start_date": fut, "end_date": None, "status": "past_due"})], ignore_index=True)
    acts = pd.concat([data.activities, pd.DataFrame({
        "activity_id": [f"f{x}" for x in a], "account_id": a, "date": fut, "kind": "qbr"})],
        ignore_index=True)
    contacts = pd.concat([data.contacts, pd.DataFrame({
        "account_id": a, "email": [f"f{x}@x" for x in a], "role": "executive sponsor",
        "last_contact": fut})], ignore_index=True)
    return ScoringData(accounts, usage, tickets, surveys, subs, acts, contacts)


@pytest.mark.parametrize("name", list(PRESETS))
def test_point_in_time_future_rows_change_nothing(name):
    data = _portfolio()
    card = preset(name, data)
    before = score_accounts(card, data, AS_OF)
    after = score_accounts(card, _future_rows(data), AS_OF)
    pd.testing.assert_frame_equal(before, after)
    # and they do change the score once as_of passes them
    later = score_accounts(card, _future_rows(data), "2024-07-31")
    assert "NEW" in set(later["account_id"])


def test_rescoring_a_past_date_ignores_later_rows():
    data = _portfolio(seed=3)
    card = default_scorecard()
    as_of = "2024-03-31"

    def cut(df, col):
        return df[df[col].isna() | (df[col].astype(str).str[:10] <= as_of)]
    truncated = ScoringData(
        data.accounts, cut(data.usage, "date"), cut(data.tickets, "created_at"),
        cut(data.surveys, "date"), cut(data.subscriptions, "start_date"),
        cut(data.activities, "date"), data.contacts)
    pd.testing.assert_frame_equal(score_accounts(card, data, as_of),
                                  score_accounts(card, truncated, as_of))


# ---------------------------------------------------------------- presets
def test_presets_validate_and_share_measures():
    ids = [m.id for m in default_scorecard().measures]
    assert len(ids) == 16
    for name, make in PRESETS.items():
        card = make()
        assert card.problems() == []
        assert [m.id for m in card.measures] == ids
        assert sum(card.effective_weights().values()) == pytest.approx(1.0)


def _relationship_only_data():
    # only accounts (renewal dates, seats) and contacts: every other measure has no data
    accounts = _acc(("A", "B"), seats=[10, 10], renewal_date=["2025-01-16", "2024-08-29"])
    contacts = pd.DataFrame({"account_id": ["A"], "email": ["a@x"],
                             "role": ["executive sponsor"], "last_contact": [None]})
    return ScoringData(accounts, contacts=contacts)


def test_default_preset_hand_computed():
    # exec sponsor (5 points of 100, relationship group 15) and renewal (5, lifecycle 5):
    # A: sponsor 100, renewal in 200 days -> 100          -> score 100
    # B: sponsor 0, renewal in 60 days -> 80 (< 91)        -> (15*0 + 5*80) / 20 = 20
    # coverage = 5/100 + 5/100 = 0.10
    s = score_accounts(default_scorecard(), _relationship_only_data(), AS_OF) \
        .set_index("account_id")
    assert s["score"].tolist() == pytest.approx([100, 20])
    assert s["coverage"].tolist() == pytest.approx([0.10, 0.10])
    assert s["band"].tolist() == ["Green", "Red"]
    assert s["grp:Product usage"].isna().all()


def test_good_average_poor_hand_computed():
    # GAP: renewal >= 91 days Good (100), 31-90 Average (60); sponsor Good/Poor
    # A: (15*100 + 5*100)/20 = 100 (Good); B: (15*0 + 5*60)/20 = 15 (Poor)
    card = good_average_poor()
    s = score_accounts(card, _relationship_only_data(), AS_OF).set_index("account_id")
    assert s["score"].tolist() == pytest.approx([100, 15])
    assert s["band"].tolist() == ["Good", "Poor"]
    pts = s[[c for c in s if c.startswith("pts:")]].stack().dropna()
    assert set(pts) <= {0, 60, 100}
    # every measure is GAP on the full portfolio too
    full = score_accounts(card, _portfolio(), AS_OF)
    assert set(full[[c for c in full if c.startswith("pts:")]].stack().dropna()) <= \
        {0.0, 60.0, 100.0}
    bad = good_average_poor()
    bad.measures[0].mapping = T((0.4, 0), (0.7, 50), (None, 100))
    with pytest.raises(ScorecardError, match="Good/Average/Poor"):
        bad.validate()


def test_points_100_weights_are_points():
    card = points_100()
    eff = card.effective_weights()
    assert {m.id: 100 * eff[m.id] for m in card.measures} == pytest.approx(
        {m.id: m.weight for m in card.measures})
    assert sum(m.weight for m in card.measures) == 100
    # the same arithmetic as the default
    data = _portfolio()
    pd.testing.assert_series_equal(score_accounts(card, data, AS_OF)["score"],
                                   score_accounts(default_scorecard(), data, AS_OF)["score"])
    card.groups[0].measures[0].weight = 5
    with pytest.raises(ScorecardError) as e:
        card.validate()
    assert "must add up to 100, they add up to 95" in str(e.value)
    assert "group 'Product usage': on a points card the group's weight (30) must equal " \
           "its measures' points (25)" in str(e.value)


def test_ten_point_scale_displays_score_over_ten():
    card = ten_point()
    s = score_accounts(card, _relationship_only_data(), AS_OF)
    assert s["score"].tolist() == pytest.approx([100, 20])
    assert s["display_score"].tolist() == [10.0, 2.0]
    assert card.display(73.46) == 7.3 and card.scale == 10


def test_csat_range_follows_data():
    data = _portfolio()
    assert default_scorecard(data).measure("csat").mapping.zero_at == 1
    data.tickets = data.tickets.assign(csat=data.tickets["csat"] * 20)  # 20-100
    m = default_scorecard(data).measure("csat").mapping
    assert (m.zero_at, m.full_at) == (0, 100)


def test_default_runs_on_any_workspace_shape():
    s = score_accounts(default_scorecard(), ScoringData(_acc(("A",))), AS_OF)
    assert len(s) == 1 and np.isnan(s["score"].iloc[0]) and s["coverage"].iloc[0] == 0
    full = score_accounts(default_scorecard(), _portfolio(), AS_OF)
    assert full["score"].between(0, 100).all() and full["coverage"].gt(0.8).all()


# ---------------------------------------------------------------- JSON and validation
@pytest.mark.parametrize("name", list(PRESETS))
def test_json_round_trip(name):
    card = preset(name)
    text = json.dumps(card.to_dict())
    back = Scorecard.from_dict(json.loads(text))
    assert back == card
    assert back.to_dict() == card.to_dict()


def test_validation_messages_say_what_is_wrong():
    card = small_card()
    card.groups[0].measures[0].mapping = T((50, 0), (10, 50), (None, 100))
    card.groups[0].measures[1].mapping = PointMapping("linear", zero_at=1, full_at=0)
    card.groups[1].measures[0].weight = -1
    card.bands = [Band("Red", 10, "red"), Band("Green", 5, "#00ff00")]
    with pytest.raises(ScorecardError) as e:
        card.validate()
    p = e.value.problems
    assert "measure 'Logins': thresholds must increase ([50, 10])" in p
    assert ("measure 'Seat utilisation': higher is better, so full_at (0) must be above "
            "zero_at (1)") in p
    assert "measure 'Urgent tickets': weight must be a non-negative number" in p
    assert "the first band must start at 0 (it starts at 10)" in p
    assert "band 'Red': colour 'red' is not a hex colour like '#2e9d5b'" in p


def test_from_dict_rejects_unknown_and_bad_parts():
    d = small_card().to_dict()
    d["groups"][0]["measures"][0]["wieght"] = 3
    with pytest.raises(ScorecardError, match="measure 'Logins': unknown key.*'wieght'"):
        Scorecard.from_dict(d)
    d = small_card().to_dict()
    d["groups"][0]["measures"][0]["source"]["agg"] = "median"
    with pytest.raises(ScorecardError, match="measure 'Logins': unknown aggregate 'median'"):
        Scorecard.from_dict(d)
    d = small_card().to_dict()
    d["groups"][0]["measures"][0]["source"].pop("metric")
    with pytest.raises(ScorecardError, match="a usage aggregate needs a metric"):
        Scorecard.from_dict(d)
    with pytest.raises(ScorecardError, match="newer"):
        Scorecard.from_dict({**small_card().to_dict(), "version": 2})
    dup = small_card()
    dup.groups[1].measures[0].id = "logins"
    assert "measure id 'logins' is used twice" in dup.problems()


# ---------------------------------------------------------------- what moved
def test_explain_change_hand_computed():
    # one group; logins weight 3 (75%), util weight 1 (25%)
    card = Scorecard("e", "E", [Group("g", 1, [
        Measure("logins", "Logins", Source("field", field="a"), T((None, 0),), weight=3),
        Measure("util", "Utilisation", Source("field", field="b"), T((None, 0),), weight=1),
    ])], RAG)
    prev = {"pts:logins": 100, "pts:util": 50, "val:logins": 60, "val:util": 0.5}
    cur = {"pts:logins": 50, "pts:util": 50, "val:logins": 20, "val:util": 0.5}
    # before: 0.75*100 + 0.25*50 = 87.5; after 0.75*50 + 12.5 = 50 -> logins -37.5
    ch = explain_change(prev, cur, card)
    assert len(ch) == 1 and ch[0].delta == pytest.approx(-37.5)
    assert str(ch[0]) == "g: logins fell from 60 to 20 (-38 pts)"
    assert ch[0].weight_pct == pytest.approx(75) and ch[0].group == "g"
    # utilisation drops out: logins takes its weight. after = 50*1 = 50
    # logins: 50 - 75 = -25; util: 0 - 12.5 = -12.5; sum = -37.5 = 50 - 87.5
    cur2 = {"pts:logins": 50, "pts:util": None, "val:logins": 20}
    ch = explain_change(prev, cur2, card)
    assert [(c.measure_id, c.delta) for c in ch] == [("logins", -25), ("util", -12.5)]
    assert sum(c.delta for c in ch) == pytest.approx(50 - 87.5)
    assert ch[1].text == "g: utilisation has no data now (was 0.50) (-12 pts)"


def test_what_moved_between_snapshots():
    card, data = small_card(), small_data()
    prev = score_accounts(card, data, "2024-06-20")
    cur = score_accounts(card, data, AS_OF)
    wm = what_moved(card, prev, cur).set_index("account_id")
    assert wm["delta"].tolist() == pytest.approx(
        (cur.set_index("account_id")["score"] - prev.set_index("account_id")["score"]).tolist())
    # A on Jun 20: logins in (May 21, Jun 20] = 1000 + 30 + 30 -> 100 pts; utilisation has
    # no data (active users only from Jun 25), no urgent ticket in 90 days -> score 100.
    # Now 96: logins 0.6*1*100 = 60 -> 0.6*2/3*100 = 40 (-20); utilisation 0 -> 0.6/3*80 (+16)
    assert prev.set_index("account_id").loc["A", "score"] == pytest.approx(100)
    assert wm.loc["A", "trend"] == "down" and wm.loc["A", "delta"] == pytest.approx(-4)
    assert wm.loc["A", "drivers"] == [
        "Usage: logins fell from 1,060 to 60 (-20 pts)",
        "Usage: seat utilisation is now 0.80 (no data before) (+16 pts)"]
    assert sum(c.delta for c in explain_change(
        prev.set_index("account_id").loc["A"], cur.set_index("account_id").loc["A"], card,
        top=None)) == pytest.approx(-4)
    first = what_moved(card, None, cur)
    assert (first["trend"] == "new").all() and first["drivers"].map(len).eq(0).all()


# ---------------------------------------------------------------- backtest
def test_auc_formula_matches_sklearn():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=200).round(1), rng.random(200) < 0.3
    assert auc(x, y) == pytest.approx(roc_auc_score(y, x))
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1], bool)) == 0.75


def test_backtest_separates_churners():
    data = _portfolio(seed=5, n=120)
    ids = data.accounts["account_id"]
    # accounts whose logins collapse churn a month later
    weak = ids.iloc[:30].tolist()
    u = data.usage
    u.loc[u["account_id"].isin(weak) & (u["date"] > "2024-01-01"), "value"] = 0.0
    data.accounts.loc[data.accounts["account_id"].isin(weak), "churn_date"] = "2024-05-15"
    card = Scorecard("u", "Usage", [Group("g", 1, [Measure(
        "logins", "Logins", Source("aggregate", entity="usage", metric="logins", agg="sum",
                                   window=90, fill=0), PointMapping("linear", zero_at=0,
                                                                    full_at=200))])], RAG)
    r = backtest(card, data, ["2024-03-31", "2024-04-15"], horizon_days=60)
    assert r["n"] == 240 and r["churned"] == 60
    assert r["auc"] > 0.9 and r["top_decile_lift"] > 3
    assert r["verdict"].startswith("The score separates churners from renewers well")
    assert set(r["by_segment"]) == {"SMB", "Ent"}
    assert sum(v["n"] for v in r["by_segment"].values()) == 240
    assert r["band_churn"]["Red"]["churn_rate"] > r["band_churn"].get(
        "Green", {"churn_rate": 0})["churn_rate"]


# ---------------------------------------------------------------- backtest on the demo book
@pytest.fixture(scope="module")
def demo_data():
    from acctdesk.models.demo import generate_demo
    t = generate_demo(800, seed=7, data_date="2026-10-31").tables()
    return ScoringData(t["accounts"], t["usage"], t["tickets"], t["surveys"],
                       t["subscriptions"], t["activities"], t["contacts"])


def test_backtest_dates_end_a_horizon_before_the_data_date():
    from acctdesk.analytics.scorecards import backtest_dates
    assert backtest_dates("2026-10-31", 90, count=3, step_days=60) == [
        "2026-04-04", "2026-06-03", "2026-08-02"]  # 08-02 = 10-31 - 90 days


def test_default_scorecard_separates_churners_on_the_demo(demo_data):
    from acctdesk.analytics.scorecards import backtest_dates
    r = backtest(default_scorecard(demo_data), demo_data, backtest_dates("2026-10-31"), 90)
    # the default card on the demo book: AUC about 0.93, lift about 7
    assert r["auc"] > 0.85 and r["top_decile_lift"] > 4 and r["churned"] >= 50
    assert list(r["band_churn"]) == ["Red", "Yellow", "Green"]
    rates = [r["band_churn"][b]["churn_rate"] for b in ("Red", "Yellow", "Green")]
    assert rates[0] > rates[1] > rates[2]
    assert sum(v["n"] for v in r["band_churn"].values()) == r["n"]
    assert set(r["by_segment"]) == {"SMB", "Mid-Market", "Enterprise"}
    for seg in r["by_segment"].values():
        assert seg["auc"] > 0.75 and set(seg) >= {"top_decile_lift", "band_churn", "n"}
    assert r["verdict"].startswith("The score separates churners from renewers well")
    assert f"scored below a renewer {100 * r['auc']:.0f} times in 100" in r["verdict"]
    assert "AUC" not in r["verdict"]
    # the labels: churned within (t, t + 90]
    obs = r["observations"]
    churn = demo_data.accounts.set_index("account_id")["churn_date"]
    row = obs[obs["churned"]].iloc[0]
    assert row["as_of"] < churn[row["account_id"]] <= "2026-12-31"


def test_renewal_risk_card_ranks_by_high_score(demo_data):
    from acctdesk.analytics.scorecards import backtest_dates
    from acctdesk.analytics.scorecards import renewal_risk
    card = renewal_risk(demo_data)
    r = backtest(card, demo_data, backtest_dates("2026-10-31"), 90)
    assert card.polarity == "risk" and r["auc"] > 0.8
    assert r["band_churn"]["High"]["churn_rate"] > r["band_churn"]["Low"]["churn_rate"]
    assert "scored above a renewer" in r["verdict"]


def test_contraction_outcome_hand_computed():
    accounts = _acc(("A", "B", "C"), contract_start=["2023-01-01"] * 3,
                    churn_date=[None, None, "2024-05-01"])
    subs = pd.DataFrame({
        "sub_id": ["1", "2", "3", "4", "5"], "account_id": ["A", "A", "B", "C", "B"],
        "product": "p", "mrr": [100.0, 50.0, 200.0, 80.0, 10.0],
        "start_date": ["2023-01-01"] * 4 + ["2024-04-10"],
        # A loses 50 of 150 (-33%); B gains; C churns (its sub ends)
        "end_date": ["", "2024-04-15", "", "2024-05-01", ""], "status": "active"})
    data = ScoringData(accounts, subscriptions=subs)
    card = Scorecard("f", "F", [Group("g", 1, [Measure(
        "n", "Subs", Source("aggregate", entity="subscriptions", agg="count"),
        PointMapping("linear", zero_at=0, full_at=4))])], RAG)
    r = backtest(card, data, ["2024-03-31"], 60, outcome="churn_or_contraction",
                 contraction_pct=30)
    obs = r["observations"].set_index("account_id")
    assert obs["contracted"].to_dict() == {"A": True, "B": False, "C": False}
    assert obs["churned"].to_dict() == {"A": True, "B": False, "C": True}
    assert r["contracted"] == 1 and r["churned"] == 2
    # a 40% threshold: A's 33% drop is not a contraction
    r = backtest(card, data, ["2024-03-31"], 60, outcome="churn_or_contraction",
                 contraction_pct=40)
    assert r["contracted"] == 0 and r["churned"] == 1
    with pytest.raises(ValueError, match="outcome"):
        backtest(card, data, ["2024-03-31"], outcome="downsell")


def test_suggested_weights_favour_the_predictive_group():
    from acctdesk.analytics.scorecards import suggest_weights
    rng = np.random.default_rng(4)
    n = 400
    ids = [f"A{i:03d}" for i in range(n)]
    signal = rng.random(n)
    churn = np.where(rng.random(n) < 0.6 * (signal < 0.25), "2024-05-20", None)
    accounts = _acc(tuple(ids), contract_start=["2023-01-01"] * n, churn_date=churn,
                    good=signal * 100, noise=rng.random(n) * 100)
    card = Scorecard("s", "S", [
        Group("Signal", 50, [Measure("good", "Good", Source("field", field="good"),
                                     PointMapping("linear", zero_at=0, full_at=100))]),
        Group("Noise", 50, [Measure("noise", "Noise", Source("field", field="noise"),
                                    PointMapping("linear", zero_at=0, full_at=100))])], RAG)
    data = ScoringData(accounts)
    sw = suggest_weights(card, data, ["2024-03-01", "2024-04-01"], 90)
    assert sw.available and sw.fitted_on == ["2024-03-01"] and sw.evaluated_on == ["2024-04-01"]
    assert sum(sw.weights.values()) == pytest.approx(100)
    assert all(w >= 0 for w in sw.weights.values())
    assert sw.weights["Signal"] > 80 and sw.coefficients["Signal"] < 0
    assert sw.current_weights == {"Signal": 50.0, "Noise": 50.0}
    assert sw.auc_fitted > sw.auc_current and sw.better
    assert [g.weight for g in sw.card.groups] == [sw.weights["Signal"], sw.weights["Noise"]]
    assert f"{100 * sw.auc_fitted:.0f} times in 100 instead of" in sw.verdict
    assert "AUC" not in sw.verdict
    # too little history: no suggestion, and the reason says so
    few = ScoringData(accounts.assign(churn_date=None))
    none = suggest_weights(card, few, ["2024-03-01", "2024-04-01"], 90)
    assert not none.available and "only 0 accounts churned" in none.reason
    assert none.to_dict()["auc_fitted"] is None


def test_suggest_weights_on_the_demo_book(demo_data):
    from acctdesk.analytics.scorecards import backtest_dates, suggest_weights
    card = default_scorecard(demo_data)
    sw = suggest_weights(card, demo_data, backtest_dates("2026-10-31"), 90)
    assert sw.available and sum(sw.weights.values()) == pytest.approx(100)
    assert sw.weights["Product usage"] > 30  # usage decline is what precedes churn here
    assert 0.8 < sw.auc_current < 1 and 0.8 < sw.auc_fitted <= 1


def test_with_group_weights_keeps_points_cards_valid():
    card = points_100().with_group_weights({"Product usage": 50, "Support": 0,
                                            "Satisfaction": 20, "Financial": 10,
                                            "Relationship": 15, "Lifecycle": 5})
    assert sum(m.weight for m in card.measures) == pytest.approx(100)
    assert card.groups[0].weight == pytest.approx(50) and card.problems() == []
    with pytest.raises(ScorecardError, match="no group named 'Usage'"):
        default_scorecard().with_group_weights({"Usage": 1})


def test_polarity_round_trips_and_is_validated():
    from acctdesk.analytics.scorecards import builtin_scorecards
    cards = builtin_scorecards()
    assert {"health", "onboarding", "adoption", "renewal_risk"} <= set(cards)
    risk = cards["renewal_risk"]
    assert Scorecard.from_dict(json.loads(json.dumps(risk.to_dict()))).polarity == "risk"
    bad = risk.copy()
    bad.polarity = "upside"
    assert any("polarity 'upside'" in p for p in bad.problems())
