"""The command line, run as a user runs it: a real subprocess, real files."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

INFO_KEYS = {"accounts", "active_accounts", "churned_accounts", "arr_active", "data_date",
             "subscriptions", "usage_rows", "tickets", "surveys", "contacts", "activities",
             "import_batches", "schema_version"}


def run(*args, cwd=None):
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=180, stdin=subprocess.DEVNULL)


def test_demo_then_info_json_prints_true_counts(tmp_path):
    path = tmp_path / "w.acctdesk"
    out = run("demo", str(path), "--accounts", "250", "--seed", "3", "--as-of", "2026-09-30")
    assert out.returncode == 0, out.stderr
    assert "Wrote 250 demo accounts" in out.stdout
    info = run("info", str(path), "--json")
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert INFO_KEYS <= set(data)

    # the same numbers, computed independently from the generator's frames
    from acctdesk.models.demo import generate_demo

    p = generate_demo(250, seed=3, data_date="2026-09-30")
    active = p.accounts[p.accounts["status"] == "active"]
    assert data["accounts"] == 250
    assert data["active_accounts"] == len(active)
    assert data["churned_accounts"] == int((p.accounts["status"] == "churned").sum())
    assert data["arr_active"] == pytest.approx(round(active["arr"].sum(), 2))
    assert data["data_date"] == "2026-09-30"
    assert data["subscriptions"] == len(p.subscriptions)
    assert data["usage_rows"] == len(p.usage)
    assert data["tickets"] == len(p.tickets)
    assert data["surveys"] == len(p.surveys)
    assert data["contacts"] == len(p.contacts)
    assert data["activities"] == len(p.activities)
    assert data["import_batches"] == 0
    assert data["schema_version"] >= 1


def test_info_human_readable(tmp_path):
    path = tmp_path / "w.acctdesk"
    assert run("demo", str(path), "--accounts", "20").returncode == 0
    out = run("info", str(path))
    assert out.returncode == 0
    assert "accounts" in out.stdout and "20" in out.stdout


def test_missing_workspace_is_an_error_without_traceback(tmp_path):
    out = run("info", str(tmp_path / "nope.acctdesk"), "--json")
    assert out.returncode == 1
    assert "no such workspace" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""


def test_debug_shows_the_traceback(tmp_path):
    out = run("--debug", "info", str(tmp_path / "nope.acctdesk"))
    assert out.returncode != 0
    assert "Traceback" in out.stderr


def test_not_a_workspace(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Account,ARR\nAcme,100\n")
    out = run("info", str(path))
    assert out.returncode == 1
    assert "not an acctdesk workspace" in out.stderr
    assert path.read_text() == "Account,ARR\nAcme,100\n"


def test_bad_usage_exits_2(tmp_path):
    assert run("demo", str(tmp_path / "x.acctdesk"), "--accounts", "zero").returncode == 2
    assert run("frobnicate").returncode == 2
    existing = tmp_path / "exists.acctdesk"
    existing.write_text("mine")
    out = run("demo", str(existing))
    assert out.returncode == 2
    assert "already exists" in out.stderr
    assert existing.read_text() == "mine"
