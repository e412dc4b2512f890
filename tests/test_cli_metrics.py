"""``acctdesk metrics``, ``worklist`` and ``simulate`` run as a user runs them (subprocesses)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

MOVEMENT_KEYS = {"month", "new", "expansion", "contraction", "churn", "reactivation"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=300,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli_metrics") / "demo.acctdesk"
    out = run("demo", str(path), "--accounts", "120", "--seed", "5", "--as-of", "2026-10-31")
    assert out.returncode == 0, out.stderr
    return path


def test_simulate_prints_the_published_totals():
    out = run("simulate", "--accounts", "70", "--acv", "36000", "--upsell", "0.04",
              "--churn", "0.02", "--period", "month", "--years", "3")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "10,918,817.11"
    out = run("simulate", "--accounts", "70", "--acv", "36000", "--upsell", "4%",
              "--churn", "2%", "--period", "year", "--json")
    data = json.loads(out.stdout)
    assert data["total"] == 7_712_208 and data["flat_total"] == 7_560_000
    assert len(data["table"]) == 3
    assert run("simulate", "--accounts", "70", "--acv", "36000").stdout.startswith(
        "7,560,000.00")


def test_simulate_bad_usage():
    out = run("simulate", "--accounts", "70")
    assert out.returncode == 2 and "--acv" in out.stderr and "Traceback" not in out.stderr


def test_simulate_from_workspace(demo):
    out = run("simulate", "--from-workspace", str(demo), "--period", "year", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    m = json.loads(run("metrics", str(demo), "--json").stdout)
    assert data["accounts"] == m["accounts"]
    assert data["accounts"] * data["acv"] == pytest.approx(m["arr"])
    # annual rates measured over the trailing 12 months: 1 + u - c is the standard NRR
    assert 1 + data["upsell"] - data["churn"] == pytest.approx(m["nrr"], abs=1e-6)


def test_metrics_json_matches_the_generator(demo):
    out = run("metrics", str(demo), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"mrr", "arr", "nrr", "grr", "logo_churn", "movements", "definition"} <= set(data)
    assert data["definition"] == "standard" and data["as_of"] == "2026-10-31"
    assert data["period"] == {"start_month": "2025-10", "end_month": "2026-10", "months": 12}
    mv = data["movements"]
    assert len(mv) == 12 and all(MOVEMENT_KEYS <= set(m) for m in mv)
    assert mv[-1]["month"] == "2026-10"
    for m in mv:  # the movement identity, every month
        assert m["start_mrr"] + m["new"] + m["expansion"] - m["contraction"] - m["churn"] \
            + m["reactivation"] == pytest.approx(m["end_mrr"], abs=0.005)
    for a, b in zip(mv, mv[1:]):
        assert b["start_mrr"] == a["end_mrr"]
    assert data["mrr"] == mv[-1]["end_mrr"]
    assert data["arr_billing"] == pytest.approx(12 * data["mrr"], abs=0.01)
    assert 0 <= data["grr"] <= 1 and 0 <= data["logo_churn"] <= 1
    assert data["nrr"] is not None and data["logo_retention"] == pytest.approx(
        1 - data["logo_churn"])
    # the generator's own ledger: active accounts and their ARR
    info = json.loads(run("info", str(demo), "--json").stdout)
    assert data["arr"] == pytest.approx(info["arr_active"], abs=0.01)   # the same ARR
    assert data["arr_billing"] == pytest.approx(info["arr_active"], rel=0.01)
    assert sum(data["bands"].values()) <= info["active_accounts"]
    assert data["accounts"] == info["active_accounts"]

    from acctdesk.models.demo import generate_demo

    p = generate_demo(120, seed=5, data_date="2026-10-31")
    active = p.accounts[p.accounts["status"] == "active"]
    assert data["arr"] == pytest.approx(active["arr"].sum(), rel=0.01)


def test_metrics_definition_and_months(demo):
    out = run("metrics", str(demo), "--months", "3", "--definition", "nrr_with_reactivation",
              "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["definition"] == "nrr_with_reactivation"
    assert "reactivation" in data["formulas"]["nrr"]
    assert len(data["movements"]) == 3 and data["period"]["months"] == 3
    bad = run("metrics", str(demo), "--definition", "nonsense")
    assert bad.returncode == 2 and "nrr_with_reactivation" in bad.stderr
    text = run("metrics", str(demo))
    assert text.returncode == 0 and "NRR" in text.stdout and "2026-10" in text.stdout


def test_worklist_json(demo):
    out = run("worklist", str(demo), "--limit", "10", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["as_of"] == "2026-10-31"
    assert data["risk_source"] in ("health", "model")
    items = data["items"]
    assert 0 < len(items) <= 10 and data["count"] >= len(items)
    assert [it["rank"] for it in items] == list(range(1, len(items) + 1))
    prios = [it["priority"] for it in items]
    assert prios == sorted(prios, reverse=True)
    for it in items:
        assert {"account_id", "name", "priority", "reasons", "next_step"} <= set(it)
        assert it["reasons"] and all(isinstance(r, str) for r in it["reasons"])
        assert sum(it["components"].values()) == pytest.approx(it["priority"], abs=0.05)
    health = json.loads(run("worklist", str(demo), "--limit", "3", "--json",
                            "--risk-source", "health").stdout)
    assert health["risk_source"] == "health" and "health score" in health["risk_note"]
    text = run("worklist", str(demo), "--limit", "2")
    assert text.returncode == 0 and "->" in text.stdout


def test_commands_do_not_load_pandas_to_parse():
    code = ("import sys; from acctdesk.cli import build_parser; build_parser(); "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_worklist_missing_workspace(tmp_path):
    out = run("worklist", str(tmp_path / "nope.acctdesk"))
    assert out.returncode == 1 and "no such workspace" in out.stderr
