"""Scorecards and score snapshots stored in a real workspace file."""
from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest

from acctdesk.engine import read_data
from acctdesk.analytics.scorecards import (
    ScorecardError, ScoringData, explain_change, score_accounts, what_moved,
)
from acctdesk.analytics.scorecards import default_scorecard, good_average_poor
from acctdesk.models import Workspace
from acctdesk.engine.scorecards import load_scorecard, load_scorecards, save_scorecard
from acctdesk.models.scores import (
    delete_scorecard, load_snapshot, save_scores, score_history, snapshot_dates,
)


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path / "w.acctdesk", create=True)
    w.insert_rows("accounts", ["account_id", "name", "seats", "contract_start", "status",
                               "renewal_date", "segment"], [
        ("A", "Alpha", 10, "2023-01-01", "active", "2025-01-16", "SMB"),
        ("B", "Beta", 20, "2023-01-01", "active", "2024-08-29", "SMB"),
        ("C", "Gamma", 5, "2024-09-01", "active", None, "Ent"),   # starts later
    ])
    w.insert_rows("usage", ["account_id", "metric", "date", "value"], [
        ("A", "active_users", "2024-03-20", 4), ("A", "active_users", "2024-06-20", 9),
        ("B", "active_users", "2024-03-20", 10), ("B", "active_users", "2024-06-20", 2),
        ("A", "logins", "2024-06-20", 50), ("B", "logins", "2024-06-20", 5),
    ])
    w.insert_rows("contacts", ["account_id", "email", "role"], [
        ("A", "ceo@a", "Executive Sponsor")])
    yield w
    w.close()


def test_save_and_load_scorecards(ws):
    assert load_scorecards(ws) == {}
    card, gap = default_scorecard(), good_average_poor()
    save_scorecard(ws, card)
    save_scorecard(ws, gap)
    loaded = load_scorecards(ws)
    assert list(loaded) == ["health", "health_gap"]
    assert loaded["health"] == card and loaded["health_gap"] == gap
    stored = json.loads(ws.get_meta("scorecard:health"))
    assert stored["format"] == "acctdesk-scorecard" and stored["id"] == "health"
    # replacing keeps one entry and is audited with before/after
    card.name = "Health v2"
    save_scorecard(ws, card)
    assert load_scorecard(ws, "health").name == "Health v2"
    audit = ws.audit_log()
    assert audit["action"].tolist() == ["scorecard.save"] * 3
    assert json.loads(audit["before"].iloc[-1])["name"] == "Health"
    delete_scorecard(ws, "health_gap")
    assert list(load_scorecards(ws)) == ["health"] and load_scorecard(ws, "health_gap") is None


def test_invalid_scorecards_are_not_saved_and_damaged_ones_named(ws):
    card = default_scorecard()
    card.bands[0].color = "reddish"
    with pytest.raises(ScorecardError, match="colour 'reddish'"):
        save_scorecard(ws, card)
    assert load_scorecards(ws) == {}
    ws.set_meta("scorecard:broken", "{not json")
    with pytest.raises(ScorecardError, match="stored scorecard 'broken' is not valid JSON"):
        load_scorecards(ws)


def test_score_save_history_and_replace(ws):
    card = default_scorecard()
    data = read_data(ws)
    s1 = score_accounts(card, data, "2024-03-31")
    s2 = score_accounts(card, data, "2024-06-30")
    assert sorted(s2["account_id"]) == ["A", "B"]           # C not a customer yet
    assert save_scores(ws, card.id, "2024-03-31", s1) == 2
    assert save_scores(ws, card.id, "2024-06-30", s2) == 2
    assert snapshot_dates(ws, card.id) == ["2024-03-31", "2024-06-30"]

    h = score_history(ws, card.id)
    assert h[["account_id", "as_of"]].values.tolist() == [
        ["A", "2024-03-31"], ["A", "2024-06-30"], ["B", "2024-03-31"], ["B", "2024-06-30"]]
    got = h[h["as_of"] == "2024-06-30"].set_index("account_id")
    want = s2.set_index("account_id")
    for col in ["score", "coverage"] + [c for c in want if c.startswith(("pts:", "val:",
                                                                          "grp:"))]:
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float),
                                   rtol=1e-9, err_msg=col)
    assert got["band"].tolist() == want["band"].tolist()
    raw = score_history(ws, card.id, "A", expand=False)
    assert len(raw) == 2 and json.loads(raw["points"].iloc[0])["pts:exec_sponsor"] == 100

    # re-saving the same (card, as_of) replaces the snapshot
    changed = s2.assign(score=s2["score"] + 1)
    assert save_scores(ws, card.id, "2024-06-30", changed) == 2
    h2 = score_history(ws, card.id)
    assert len(h2) == 4
    assert h2[h2["as_of"] == "2024-06-30"]["score"].tolist() == pytest.approx(
        (s2["score"] + 1).tolist())


def test_failed_save_keeps_previous_snapshot(ws):
    card = default_scorecard()
    s = score_accounts(card, read_data(ws), "2024-06-30")
    save_scores(ws, card.id, "2024-06-30", s)
    dup = pd.concat([s, s], ignore_index=True)     # same account twice: primary key clash
    with pytest.raises(sqlite3.IntegrityError):
        save_scores(ws, card.id, "2024-06-30", dup)
    assert len(score_history(ws, card.id)) == 2


def test_snapshots_explain_what_moved(ws):
    card = default_scorecard()
    data = read_data(ws)
    for d in ("2024-03-31", "2024-06-30"):
        save_scores(ws, card.id, d, score_accounts(card, data, d))
    cur = load_snapshot(ws, card.id)
    prev = load_snapshot(ws, card.id, before=cur.attrs["as_of"])
    assert (cur.attrs["as_of"], prev.attrs["as_of"]) == ("2024-06-30", "2024-03-31")
    assert load_snapshot(ws, card.id, before="2024-03-31") is None
    assert load_snapshot(ws, card.id, "2024-01-01") is None
    # B: active users 10 -> 2 of 20 seats: utilisation 0.5 -> 0.1 (0 points)
    b_prev = prev.set_index("account_id").loc["B"]
    b_cur = cur.set_index("account_id").loc["B"]
    changes = explain_change(b_prev, b_cur, card, top=None)
    assert sum(c.delta for c in changes) == pytest.approx(b_cur["score"] - b_prev["score"])
    util = next(c for c in changes if c.measure_id == "seat_utilisation")
    assert util.text.startswith("Product usage: seat utilisation fell from 0.50 to 0.10 (")
    wm = what_moved(card, prev, cur).set_index("account_id")
    assert wm.loc["B", "trend"] == "down"
    assert any(t.startswith("Product usage: seat utilisation fell")
               for t in wm.loc["B", "drivers"])


# ---------------------------------------------------------------- files, assignment, runs
from acctdesk.analytics.scorecards import Assignment, Rule  # noqa: E402
from acctdesk.engine.scorecards import (  # noqa: E402
    accept_suggested_weights, available_scorecards, export_scorecard, import_scorecard,
    load_assignment, read_scorecard_file, save_assignment,
)


def test_export_import_round_trip_on_real_files(ws, tmp_path):
    card = good_average_poor()
    path = export_scorecard(card, tmp_path / "gap.json")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("{\n  \"format\": \"acctdesk-scorecard\"")  # readable, indented
    assert read_scorecard_file(path).to_dict() == card.to_dict()
    with pytest.raises(FileExistsError, match="already exists"):
        export_scorecard(card, path)
    imported = import_scorecard(ws, path, new_id="team_gap")
    assert imported.id == "team_gap" and load_scorecard(ws, "team_gap").name == card.name
    with pytest.raises(ScorecardError, match="already has a scorecard 'team_gap'"):
        import_scorecard(ws, path, new_id="team_gap")
    import_scorecard(ws, path, new_id="team_gap", replace=True)
    assert "team_gap" in available_scorecards(ws)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"{\n  \"id\": \"x\",\n  oops\n}", "not valid JSON at line 3, column 3"),
    (b"\xff\xfe\x00garbage", "not a text file in UTF-8"),
    (b"[1, 2]", "expected a JSON object"),
    (b"{\"id\": \"x\"}", "not an acctdesk scorecard file"),
    (b"{\"format\": \"acctdesk-scorecard\", \"id\": \"x\", \"bands\": [], \"groups\": [],"
     b" \"colour\": 1}", "unknown key(s) 'colour'"),
    (b"{\"format\": \"acctdesk-scorecard\", \"id\": \"x\", \"groups\": 5, \"bands\": []}",
     "wrong type"),
])
def test_bad_scorecard_files_are_refused_with_the_reason(tmp_path, content, message):
    path = tmp_path / "card.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScorecardError) as exc:
        read_scorecard_file(path)
    assert message in str(exc.value)


def test_invalid_weights_in_a_file_are_listed(tmp_path):
    d = default_scorecard().to_dict()
    d["groups"][0]["weight"] = -5
    d["bands"][1]["color"] = "yellowish"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    with pytest.raises(ScorecardError) as exc:
        read_scorecard_file(path)
    assert "bad.json: group 'Product usage': weight must be a non-negative number" in \
        exc.value.problems
    assert any("'yellowish' is not a hex colour" in p for p in exc.value.problems)


def test_assignment_is_stored_and_checked(ws):
    assert load_assignment(ws).to_dict() == __import__(
        "acctdesk.analytics.scorecards", fromlist=["x"]).default_assignment().to_dict()
    a = Assignment(rules=[Rule("adoption", segments=["Ent"])], default="health")
    save_assignment(ws, a)
    assert load_assignment(ws).to_dict() == a.to_dict()
    with pytest.raises(ScorecardError, match="'missing' is not in the workspace"):
        save_assignment(ws, Assignment(default="missing"))
    assert ws.audit_log()["action"].tolist()[-1] == "scorecard.assignment"


def test_score_workspace_stores_snapshots_and_compares(ws):
    from acctdesk.engine.scores import score_workspace

    first = score_workspace(ws, "2024-03-31")
    acc = first["accounts"].set_index("account_id")
    assert list(acc.index) == ["A", "B"]          # C starts later
    assert (acc["trend"] == "new").all() and acc["delta"].isna().all()
    assert snapshot_dates(ws, "health") == ["2024-03-31"]
    assert snapshot_dates(ws, "adoption") == ["2024-03-31"]   # side by side, stored too
    second = score_workspace(ws, "2024-06-30")
    acc2 = second["accounts"].set_index("account_id")
    assert second["previous"]["health"] == "2024-03-31"
    # B's active users fell from 10 to 2 of 20 seats: its score falls and says why
    expect = acc2.loc["B", "score_100"] - acc.loc["B", "score_100"]
    assert acc2.loc["B", "delta"] == pytest.approx(round(expect, 1))
    assert acc2.loc["B", "trend"] == "down"
    assert any(d.startswith("Product usage: seat utilisation fell from 0.50 to 0.10 (")
               for d in acc2.loc["B", "drivers"])
    side = second["side_by_side"]["adoption"].set_index("account_id")
    assert side.loc["B", "trend"] == "down"
    # scoring a past date again recomputes it from history and replaces that snapshot
    again = score_workspace(ws, "2024-03-31")["accounts"].set_index("account_id")
    assert again["score"].tolist() == acc["score"].tolist()
    assert snapshot_dates(ws, "health") == ["2024-03-31", "2024-06-30"]
    dry = score_workspace(ws, "2024-05-31", store=False)
    assert dry["stored"] == 0 and "2024-05-31" not in snapshot_dates(ws, "health")


def test_accept_suggested_weights_saves_the_card(ws):
    from acctdesk.analytics.scorecards import SuggestedWeights
    card = default_scorecard()
    fitted = card.with_group_weights({"Product usage": 70, "Support": 0})
    sw = SuggestedWeights(True, "", {"Product usage": 70.0, "Support": 0.0},
                          {"Product usage": 30.0, "Support": 20.0}, 0.8, 0.9, ["d1"], ["d2"],
                          100, 30, {}, fitted)
    saved = accept_suggested_weights(ws, sw)
    stored = load_scorecard(ws, "health")
    assert stored.groups[0].weight == 70 and stored.groups[1].weight == 0
    assert saved.to_dict() == stored.to_dict()
    log = ws.audit_log()
    assert log["action"].tolist()[-2:] == ["scorecard.save", "scorecard.accept_weights"]
    no = SuggestedWeights(False, "too few churners", {}, {}, np.nan, np.nan, [], [], 0, 0, {})
    with pytest.raises(ScorecardError, match="too few churners"):
        accept_suggested_weights(ws, no)
