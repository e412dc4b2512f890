"""``acctdesk score``, ``backtest`` and ``scorecard``, run as a user runs them: real
subprocesses on a real demo workspace."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ACCOUNT_KEYS = {"account_id", "name", "score", "band", "trend", "delta", "drivers"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=240,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("score") / "demo.acctdesk"
    out = run("demo", str(path), "--accounts", "400", "--seed", "3", "--as-of", "2026-10-31")
    assert out.returncode == 0, out.stderr
    return path


def test_score_twice_shows_trend_delta_and_drivers(demo):
    first = run("score", str(demo), "--as-of", "2026-09-30", "--json")
    assert first.returncode == 0, first.stderr
    r1 = json.loads(first.stdout)
    assert r1["as_of"] == "2026-09-30" and r1["stored"] > 0
    assert r1["count"] == len(r1["accounts"]) > 300
    for a in r1["accounts"]:
        assert set(a) == ACCOUNT_KEYS
        assert a["trend"] == "new" and a["delta"] is None and a["drivers"] == []
    second = run("score", str(demo), "--json")
    assert second.returncode == 0, second.stderr
    r2 = json.loads(second.stdout)
    assert r2["as_of"] == "2026-10-31" and r2["previous"]["health"] == "2026-09-30"
    assert {"health", "onboarding", "adoption", "renewal_risk"} <= set(r2["scorecards"])
    before = {a["account_id"]: a for a in r1["accounts"]}
    compared = [a for a in r2["accounts"] if a["account_id"] in before
                and r2["assigned"].get(a["account_id"]) is None
                and a["account_id"] not in r1["assigned"]]
    assert len(compared) > 300
    trends = {a["trend"] for a in compared}
    assert {"up", "down"} <= trends <= {"up", "down", "same", "no score"}
    for a in compared:
        assert set(a) == ACCOUNT_KEYS
        assert 0 <= a["score"] <= 100 and a["band"] in ("Red", "Yellow", "Green")
        assert a["delta"] == pytest.approx(a["score"] - before[a["account_id"]]["score"],
                                           abs=0.11)
        # trend is judged on the unrounded delta: "same" within 1 point
        expected = "up" if a["delta"] > 1.05 else "down" if a["delta"] < -1.05 else \
            "same" if abs(a["delta"]) < 0.95 else a["trend"]
        assert a["trend"] == expected
    mover = max(compared, key=lambda a: abs(a["delta"]))
    assert mover["drivers"] and all(isinstance(d, str) and " pts)" in d
                                    for d in mover["drivers"])
    side = r2["side_by_side"]["renewal_risk"][mover["account_id"]]
    assert set(side) == {"score", "band", "trend", "delta"}
    text = run("score", str(demo), "--limit", "2")
    assert text.returncode == 0, text.stderr
    assert "compared with 2026-09-30" in text.stdout and "Biggest moves" in text.stdout


def test_backtest_json(demo):
    out = run("backtest", str(demo), "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert {"auc", "top_decile_lift", "band_churn", "by_segment", "verdict", "n", "churned",
            "as_of_dates", "horizon_days", "outcome", "suggested_weights"} <= set(r)
    assert r["auc"] > 0.8 and r["top_decile_lift"] > 3 and r["scorecard"] == "health"
    assert set(r["band_churn"]) == {"Red", "Yellow", "Green"}
    assert all(set(v) == {"churn_rate", "n"} for v in r["band_churn"].values())
    sw = r["suggested_weights"]
    assert sw["available"] and sum(sw["weights"].values()) == pytest.approx(100)
    assert sw["auc_current"] == pytest.approx(sw["auc_current"]) and sw["auc_fitted"] > 0.5
    contraction = json.loads(run("backtest", str(demo), "--json", "--no-suggest",
                                 "--outcome", "churn_or_contraction").stdout)
    assert contraction["churned"] > r["churned"] and contraction["contracted"] > 0
    assert contraction["suggested_weights"] is None
    late = run("backtest", str(demo), "--dates", "2026-11-30")
    assert late.returncode == 2 and "before the data date 2026-10-31" in late.stderr


def test_scorecard_export_import_list(demo, tmp_path):
    card = tmp_path / "health.json"
    out = run("scorecard", "export", str(demo), "health", str(card))
    assert out.returncode == 0, out.stderr
    assert json.loads(card.read_text())["id"] == "health"
    d = json.loads(card.read_text())
    d["id"], d["name"] = "team", "Team health"
    d["groups"][0]["weight"] = 50
    card.write_text(json.dumps(d, indent=2))
    out = run("scorecard", "import", str(demo), str(card))
    assert out.returncode == 0, out.stderr
    assert "Imported scorecard 'team'" in out.stdout
    listing = json.loads(run("scorecard", "list", str(demo), "--json").stdout)
    team = next(c for c in listing["scorecards"] if c["id"] == "team")
    assert team["source"] == "stored" and team["groups"]["Product usage"] == pytest.approx(
        100 * 50 / 120, abs=0.05)
    again = run("scorecard", "import", str(demo), str(card))
    assert again.returncode == 1 and "already has a scorecard 'team'" in again.stderr
    card.write_text("{\"format\": \"acctdesk-scorecard\", \"id\": \"x\",")
    bad = run("scorecard", "import", str(demo), str(card))
    assert bad.returncode == 1
    assert "health.json: not valid JSON at line 1" in bad.stderr
    assert "Traceback" not in bad.stderr
    scored = json.loads(run("score", str(demo), "--scorecard", "team", "--no-store",
                            "--json").stdout)
    assert scored["assigned"] == {} and list(scored["scorecards"]) == ["team"]


def test_score_json_never_prints_infinity_or_nan():
    """A score or change that cannot be a number is null in the JSON (which has neither
    NaN nor Infinity), like every other command's figures."""
    import math

    import pandas as pd

    from acctdesk.analytics.scorecards import default_assignment
    from acctdesk.analytics.scorecards import builtin_scorecards
    from acctdesk.commands.score import report

    accounts = pd.DataFrame({
        "account_id": ["A", "B"], "name": ["Alpha", "Beta"], "scorecard": ["health"] * 2,
        "score": [math.inf, 55.0], "band": ["Red", "Yellow"], "trend": ["new", "down"],
        "delta": [math.nan, -math.inf], "drivers": [[], []]})
    result = {"accounts": accounts, "cards": builtin_scorecards(),
              "assignment": default_assignment(), "side_by_side": {}, "as_of": "2026-10-31",
              "stored": 0, "previous": {"health": None}}
    text = json.dumps(report(result, "w.acctdesk"), allow_nan=False)
    got = json.loads(text)["accounts"]
    assert got[0]["score"] is None and got[0]["delta"] is None and got[1]["delta"] is None
    assert got[1]["score"] == 55.0
