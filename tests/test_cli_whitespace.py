"""``acctdesk whitespace``, run as a user runs it: a real subprocess on a real demo file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SUGGESTION_KEYS = {"account_id", "name", "product", "kind", "propensity", "expected_mrr",
                   "reason"}
BACKTEST_KEYS = {"precision_at_5", "precision_at_10", "precision_at_20",
                 "baseline_precision_at_5", "baseline_precision_at_10",
                 "baseline_precision_at_20", "hidden_months"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=180,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("ws") / "demo.acctdesk"
    out = run("demo", str(path), "--accounts", "300", "--seed", "5", "--as-of", "2026-10-31")
    assert out.returncode == 0, out.stderr
    return path


def test_whitespace_json_contract(demo):
    out = run("whitespace", str(demo), "--json", "--limit", "15")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["as_of"] == "2026-10-31"
    rows = data["suggestions"]
    assert len(rows) == 15 and data["total_suggestions"] >= 15
    for row in rows:
        assert SUGGESTION_KEYS <= set(row)
        assert row["kind"] in ("cross-sell", "upsell")
        assert 0 <= row["propensity"] <= 1 and row["expected_mrr"] >= 0
        assert row["reason"]
    values = [r["expected_mrr"] for r in rows]
    assert values == sorted(values, reverse=True)
    bt = data["backtest"]
    assert BACKTEST_KEYS <= set(bt)
    assert bt["hidden_months"] == 6
    assert all(0 <= bt[k] <= 1 for k in BACKTEST_KEYS - {"hidden_months"})


def test_whitespace_text_and_as_of(demo):
    out = run("whitespace", str(demo), "--limit", "3", "--as-of", "2026-08-31")
    assert out.returncode == 0, out.stderr
    assert "Whitespace as of 2026-08-31" in out.stdout
    data = json.loads(run("whitespace", str(demo), "--json", "--as-of", "2026-08-31").stdout)
    bt = data["backtest"]
    made = 10 * bt["account_sets"]
    assert (f"Of the {made:,} suggestions we would have made 6 months ago (the top 10 in "
            f"each of the {bt['account_sets']} CSM books), "
            f"{round(bt['precision_at_10'] * made):,} ") in out.stdout
    assert f"{round(bt['baseline_precision_at_10'] * made):,} for 'suggest the most " \
        "popular product'" in out.stdout
    assert "precision@" not in out.stdout and "propensity" not in out.stdout
    assert out.stdout.count("chance to buy") >= 3


def test_whitespace_errors_have_exit_codes(tmp_path, demo):
    missing = run("whitespace", str(tmp_path / "nope.acctdesk"))
    assert missing.returncode == 1 and "no such workspace" in missing.stderr
    bad = run("whitespace", str(demo), "--limit", "-1")
    assert bad.returncode == 2
