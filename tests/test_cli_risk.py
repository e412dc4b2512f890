"""``acctdesk risk``, run as a user runs it: a real subprocess on real demo workspaces."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ACCOUNT_KEYS = {"account_id", "name", "churn_probability", "drivers"}
MODEL_KEYS = {"kind", "trained_at", "auc", "top_decile_lift", "brier"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=240,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo400(tmp_path_factory):
    path = tmp_path_factory.mktemp("risk") / "demo.acctdesk"
    out = run("demo", str(path), "--accounts", "400", "--seed", "3", "--as-of", "2026-10-31")
    assert out.returncode == 0, out.stderr
    return path


def test_risk_json_trains_then_reuses(demo400):
    out = run("risk", str(demo400), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert {"accounts", "model", "as_of"} <= set(report)
    assert report["as_of"] == "2026-10-31"
    model = report["model"]
    assert MODEL_KEYS <= set(model)
    assert model["kind"] in ("hist_gradient_boosting", "logistic_regression")
    assert model["auc"] > 0.75 and model["top_decile_lift"] > 2
    assert 0 < model["brier"] < 0.25
    assert model["trained_now"] is True
    accounts = report["accounts"]
    assert len(accounts) == report["count"] > 300
    for a in accounts:
        assert set(a) == ACCOUNT_KEYS
        assert 0 <= a["churn_probability"] <= 1
        assert isinstance(a["drivers"], list) and all(isinstance(d, str) for d in a["drivers"])
    probs = [a["churn_probability"] for a in accounts]
    assert probs == sorted(probs, reverse=True)
    assert accounts[0]["drivers"]  # the riskiest account says why

    again = run("risk", str(demo400), "--json", "--limit", "5")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["model"]["loaded_from_workspace"] is True
    assert second["model"]["trained_at"] == model["trained_at"]
    assert len(second["accounts"]) == 5 and second["count"] == report["count"]
    assert [a["account_id"] for a in second["accounts"]] == \
        [a["account_id"] for a in accounts[:5]]


def test_risk_text_output(demo400):
    out = run("risk", str(demo400), "--limit", "3")
    assert out.returncode == 0, out.stderr
    report = json.loads(run("risk", str(demo400), "--json").stdout)
    n = round(report["model"]["auc"] * 100)
    # the model check in words, from the same figure as --json
    assert (f"ranks accounts that later churned above those that stayed {n} times in 100"
            in out.stdout)
    assert "AUC" not in out.stdout and "Brier" not in out.stdout
    assert "more (use --limit or --json)" in out.stdout


def test_risk_falls_back_to_health_on_a_small_workspace(tmp_path):
    path = tmp_path / "tiny.acctdesk"
    assert run("demo", str(path), "--accounts", "40", "--seed", "1",
               "--as-of", "2026-10-31").returncode == 0
    out = run("risk", str(path), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    model = report["model"]
    assert model["kind"] == "health_fallback"
    assert "churn event" in model["reason"] and "health score" in model["reason"]
    assert MODEL_KEYS <= set(model) and model["auc"] is None
    assert report["accounts"] and set(report["accounts"][0]) == ACCOUNT_KEYS
    text = run("risk", str(path))
    assert text.returncode == 0 and "No churn model" in text.stdout


def test_risk_errors(tmp_path):
    out = run("risk", str(tmp_path / "missing.acctdesk"))
    assert out.returncode == 1 and "no such workspace" in out.stderr
    out = run("risk", str(tmp_path / "x.acctdesk"), "--horizon", "0")
    assert out.returncode == 2
