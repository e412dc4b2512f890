"""The worklist and team targets on a hand-built workspace (a real file), checked by hand.

As of 2026-10-31, with ``arr_scale = high_value_arr = 100,000``:

* A1 Alpha (Ann, ARR 120,000): health 35 (was 53), renewal 2026-12-11 (41 days), 2 urgent
  tickets open (a third solved, a high one open), touched 11 days ago.
  arr_at_risk 35 x min(1, 120,000 x 0.65 / 100,000) = 27.3; renewal 25 x (0.5 + 0.5 x (1 -
  41/90)) = 19.3056; health_drop 15 x 18/30 = 9; urgent 15 x 2/3 = 10 -> 65.6056.
  Red and high value -> escalate.
* A2 Beta (Bob, ARR 24,000): health 80, NPS 3 (latest; an older 9), last touch 62 days ago
  (a later note does not count). arr_at_risk 35 x 0.048 = 1.68; detractor 10 x (0.5 + 0.5 x
  3/6) = 7.5; no_touch 10 x 62/90 = 6.8889 -> 16.0689.
* A3 Gamma (Ann, ARR 60,000): health 90, 4,200/mo expansion (3,000 + 1,200).
  arr_at_risk 35 x 0.06 = 2.1; expansion 20 x 12 x 4,200 / 100,000 = 10.08 -> 12.18.
* A4 Delta (Bob): churned in June, an urgent ticket still open -> not on the list.
"""
from __future__ import annotations

import pandas as pd
import pytest

from acctdesk.analytics import metrics
from acctdesk.analytics.worklist import (
    WorklistSettings, WorklistWeights, build_worklist, health_alerts, team_targets,
    worklist_items,
)
from acctdesk.engine import Engine
from acctdesk.models import Workspace

AS_OF = "2026-10-31"


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path / "w.acctdesk", create=True)
    ws.insert_rows("accounts", ["account_id", "name", "owner", "segment", "arr",
                                "contract_start", "renewal_date", "status", "churn_date"], [
        ("A1", "Alpha", "Ann", "Enterprise", 120_000.0, "2024-01-01", "2026-12-11", "active", None),
        ("A2", "Beta", "Bob", "SMB", 24_000.0, "2024-01-01", "2027-06-30", "active", None),
        ("A3", "Gamma", "Ann", "Mid-Market", 60_000.0, "2024-01-01", "2027-03-01", "active", None),
        ("A4", "Delta", "Bob", "SMB", 30_000.0, "2024-01-01", None, "churned", "2026-06-30"),
    ])
    ws.insert_rows("subscriptions", ["sub_id", "account_id", "product", "mrr", "start_date",
                                     "end_date", "status"], [
        ("s1", "A1", "Core", 10_000.0, "2024-01-01", None, "active"),
        ("s2", "A2", "Core", 2_000.0, "2024-01-01", None, "active"),
        ("s3", "A3", "Core", 5_000.0, "2024-01-01", None, "active"),
        ("s3b", "A3", "Analytics", 500.0, "2026-10-05", None, "active"),
        ("s4", "A4", "Core", 2_500.0, "2024-01-01", "2026-06-30", "cancelled"),
    ])
    ws.insert_rows("tickets", ["source", "ticket_id", "account_id", "created_at", "solved_at",
                               "priority", "status"], [
        ("zd", "1", "A1", "2026-10-25T10:00:00", None, "urgent", "open"),
        ("zd", "2", "A1", "2026-10-27T10:00:00", None, "Urgent", "pending"),
        ("zd", "3", "A1", "2026-10-20T10:00:00", "2026-10-28T09:00:00", "urgent", "solved"),
        ("zd", "4", "A1", "2026-10-26T10:00:00", None, "high", "open"),
        ("zd", "5", "A4", "2026-06-01T10:00:00", None, "urgent", "open"),
    ])
    ws.insert_rows("surveys", ["source", "response_id", "account_id", "date", "kind", "score"], [
        ("s", "r1", "A2", "2026-03-01", "nps", 9.0),
        ("s", "r2", "A2", "2026-09-15", "nps", 3.0),
        ("s", "r3", "A3", "2026-09-15", "nps", 10.0),
    ])
    ws.insert_rows("activities", ["activity_id", "account_id", "date", "kind"], [
        ("c1", "A1", "2026-10-20", "call"),
        ("c2", "A2", "2026-08-30", "call"),
        ("c3", "A2", "2026-10-25", "note"),
        ("c4", "A3", "2026-10-30", "qbr"),
        ("c5", "A4", "2026-05-01", "call"),
    ])
    ws.set_meta("data_date", AS_OF)
    yield ws
    ws.close()


SCORES = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "score": [35.0, 80.0, 90.0],
                       "band": ["Red", "Green", "Green"]})
PREVIOUS = pd.DataFrame({"account_id": ["A1", "A2", "A3"], "score": [53.0, 82.0, 88.0]})
EXPANSION = pd.DataFrame({"account_id": ["A3", "A3"], "expected_mrr": [3000.0, 1200.0]})
SETTINGS = dict(arr_scale=100_000, high_value_arr=100_000)


def _build(ws, **kw):
    settings = kw.pop("settings", WorklistSettings(**SETTINGS))
    return build_worklist(ws.accounts(), as_of=AS_OF, scores=SCORES, previous_scores=PREVIOUS,
                          tickets=ws.tickets(), surveys=ws.surveys(),
                          activities=ws.activities(), expansion=EXPANSION, settings=settings,
                          **kw)


def test_reasons_components_and_ranking_by_hand(ws):
    w = _build(ws)
    assert w["account_id"].tolist() == ["A1", "A2", "A3"]
    assert w["rank"].tolist() == [1, 2, 3]
    assert w.attrs["risk_source"] == "health"
    a1, a2, a3 = (w.iloc[i] for i in range(3))

    assert a1["reasons"] == ["$78,000 ARR at risk (health 35)", "renewal in 41 days",
                             "health down 18 points", "2 urgent tickets open"]
    assert a1["components"] == pytest.approx({
        "arr_at_risk": 27.3, "renewal": 19.31, "health_drop": 9.0, "urgent_tickets": 10.0,
        "detractor": 0.0, "no_touch": 0.0, "expansion": 0.0})
    assert a1["priority"] == pytest.approx(65.61)
    assert a1["next_step"] == "Escalate to an executive sponsor"
    assert (a1["days_to_renewal"], a1["urgent_open"], a1["health_delta"]) == (41, 2, -18)

    assert a2["reasons"] == ["NPS 3 (detractor)", "no CSM touch for 62 days"]
    assert a2["priority"] == pytest.approx(1.68 + 7.5 + 6.8889, abs=0.01)
    assert a2["next_step"] == "Call the detractor to close the loop"

    assert a3["reasons"] == ["$4,200/mo expansion open"]
    assert a3["priority"] == pytest.approx(2.1 + 10.08)
    assert a3["next_step"] == "Open an expansion conversation"

    # components always add up to the priority (the ranking is explainable)
    for _, row in w.iterrows():
        assert sum(row["components"].values()) == pytest.approx(row["priority"], abs=0.02)


def test_weights_are_settings_and_change_the_ranking(ws):
    st = WorklistSettings(**SETTINGS, weights=WorklistWeights(expansion=100.0))
    w = _build(ws, settings=st)
    assert w["account_id"].tolist() == ["A1", "A3", "A2"]  # A3: 2.1 + 50.4 = 52.5
    assert w.iloc[1]["priority"] == pytest.approx(52.5)
    assert _build(ws, limit=1)["account_id"].tolist() == ["A1"]


def test_churn_probabilities_replace_health(ws):
    probs = pd.Series({"A1": 0.9, "A2": 0.5, "A3": 0.05})
    w = _build(ws, churn_probability=probs)
    assert w.attrs["risk_source"] == "model"
    a2 = w.set_index("account_id").loc["A2"]
    assert a2["reasons"][0] == "$12,000 ARR at risk (churn risk 50%)"
    assert a2["components"]["arr_at_risk"] == pytest.approx(35 * 0.12)
    a1 = w.set_index("account_id").loc["A1"]
    assert a1["components"]["arr_at_risk"] == 35.0  # capped at full weight


def test_json_items(ws):
    items = worklist_items(_build(ws))
    assert items[0]["account_id"] == "A1" and items[0]["name"] == "Alpha"
    assert items[0]["owner"] == "Ann" and items[0]["days_since_touch"] == 11
    assert set(items[0]) >= {"account_id", "name", "priority", "reasons", "next_step",
                             "components"}


def test_singular_and_overdue_wording(ws):
    acc = ws.accounts()
    acc.loc[acc["account_id"] == "A1", "renewal_date"] = "2026-10-30"
    t = ws.tickets()
    t = t[t["ticket_id"] != "2"]
    w = build_worklist(acc, as_of=AS_OF, scores=SCORES, tickets=t,
                       settings=WorklistSettings(**SETTINGS))
    r = w.set_index("account_id").loc["A1", "reasons"]
    assert "renewal overdue by 1 day" in r and "1 urgent ticket open" in r


def test_the_engines_worklist_falls_back_to_health(ws):
    w = Engine(ws).analysis().worklist
    assert w.attrs["as_of"] == AS_OF and w.attrs["risk_source"] == "health"
    assert "recomputed" in w.attrs["health_baseline"]
    by = w.set_index("account_id")
    assert "A4" not in by.index
    assert "2 urgent tickets open" in by.loc["A1", "reasons"]
    assert by.loc["A1", "health"] < 70  # scored by the default scorecard
    assert "renewal in 41 days" in by.loc["A1", "reasons"]
    if "A3" in by.index:  # nothing wrong with Gamma: only an expansion can list it
        assert all("expansion open" in r for r in by.loc["A3", "reasons"])
    assert {"NPS 3 (detractor)", "no CSM touch for 62 days"} <= set(by.loc["A2", "reasons"])
    assert w["priority"].is_monotonic_decreasing


def test_health_alerts_by_hand():
    snaps = pd.DataFrame({
        "account_id": ["A1", "A1", "A2", "A2", "A3"],
        "as_of": ["2026-10-01", "2026-10-20", "2026-10-01", "2026-10-20", "2026-10-20"],
        "score": [53.0, 35.0, 80.0, 65.0, 90.0]})
    a = health_alerts(snaps, red_below=40, drop_min=10)
    assert a[["account_id", "raised_at", "kind"]].values.tolist() == [
        ["A1", "2026-10-20", "red"], ["A2", "2026-10-20", "drop"]]


def test_team_targets_by_hand(ws):
    mrr = metrics.mrr_by_month(ws.subscriptions(), as_of=AS_OF)
    alerts = pd.DataFrame({"account_id": ["A1", "A2", "A3"],
                           "raised_at": ["2026-10-20", "2026-10-20", "2026-10-30"]})
    t = team_targets(ws.accounts(), as_of=AS_OF, scores=SCORES, mrr=mrr,
                     activities=ws.activities(), alerts=alerts).set_index("owner")
    assert list(t.index) == ["(all)", "Ann", "Bob"]
    team, ann, bob = t.loc["(all)"], t.loc["Ann"], t.loc["Bob"]
    assert (team["accounts"], ann["accounts"], bob["accounts"]) == (3, 2, 1)
    assert team["share_green"] == pytest.approx(2 / 3) and team["share_red"] == pytest.approx(1 / 3)
    # trailing 12 months 2025-10 .. 2026-10: start 19,500, churn 2,500 (A4), expansion 500
    assert team["grr"] == pytest.approx(17_000 / 19_500)
    assert team["logo_retention"] == pytest.approx(0.75)
    assert bob["grr"] == pytest.approx(2_000 / 4_500) and bob["logo_retention"] == 0.5
    assert ann["grr"] == 1.0
    assert team["expansion_qtd"] == 500 and ann["expansion_qtd"] == 500
    assert team["renewals_due"] == 1 and team["renewals_due_arr"] == 120_000
    # A1 touched on the alert day (answered); A2 not touched since (unanswered);
    # A3's alert is only one day old (not yet 48 hours)
    assert team["health_alerts"] == 3 and team["alerts_unanswered"] == 1
    assert bob["alerts_unanswered"] == 1 and ann["alerts_unanswered"] == 0


def test_the_engines_team_targets(ws):
    t = Engine(ws).analysis().team().set_index("owner")
    assert list(t.index) == ["(all)", "Ann", "Bob"]
    assert (t.loc["(all)", "accounts"], t.loc["Ann", "accounts"],
            t.loc["Bob", "accounts"]) == (3, 2, 1)
    assert t.loc["(all)", "grr"] == pytest.approx(17_000 / 19_500)
