"""A workspace for your own data from the command line: ``acctdesk new``, ``import --create``
and ``acctdesk PATH`` (what the desktop entry and a file manager run)."""
from __future__ import annotations

import json
import os
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from acctdesk import cli

INFO_KEYS = {"accounts", "active_accounts", "churned_accounts", "arr_active", "data_date",
             "subscriptions", "usage_rows", "tickets", "surveys", "contacts", "activities",
             "import_batches", "schema_version", "workspace", "name", "currency"}


def run(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=180,
                          stdin=subprocess.DEVNULL)

ROOT = Path(__file__).resolve().parents[1]
HUBSPOT = ROOT / "tests" / "data" / "importers" / "hubspot" / "companies.csv"
STRIPE = ROOT / "tests" / "data" / "importers" / "stripe" / "subscriptions.csv"


def test_new_creates_an_empty_workspace_and_says_where(tmp_path):
    path = tmp_path / "book.acctdesk"
    out = run("new", str(path), "--name", "EMEA book", "--currency", "eur")
    assert out.returncode == 0, out.stderr
    assert str(path) in out.stdout
    assert f"acctdesk import {path}" in out.stdout       # what to do next, in words
    assert "demo" not in out.stdout.lower()
    info = json.loads(run("info", str(path), "--json").stdout)
    assert info["name"] == "EMEA book"
    assert info["currency"] == "EUR"
    assert (info["accounts"], info["subscriptions"], info["import_batches"]) == (0, 0, 0)
    assert info["data_date"] is None
    with sqlite3.connect(path) as conn:     # the creation is in the audit trail
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log")]
    assert actions == ["workspace.create"]


def test_new_json_prints_the_info_keys(tmp_path):
    path = tmp_path / "w.acctdesk"
    out = run("new", str(path), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert INFO_KEYS <= set(data)
    assert data["workspace"] == str(path)
    assert data["name"] == "w" and data["currency"] == "USD"
    assert data["accounts"] == 0 and data["encrypted"] is False


def test_new_refuses_an_existing_file_and_leaves_it_alone(tmp_path):
    existing = tmp_path / "mine.acctdesk"
    existing.write_text("my notes")
    out = run("new", str(existing))
    assert out.returncode == 2
    assert "already exists" in out.stderr
    assert "Traceback" not in out.stderr
    assert existing.read_text() == "my notes"
    bad = run("new", str(tmp_path / "x.acctdesk"), "--currency", "dollars")
    assert bad.returncode == 2
    assert "three letters" in bad.stderr
    assert not (tmp_path / "x.acctdesk").exists()


def test_new_encrypted_with_a_passphrase(tmp_path):
    path = tmp_path / "secret.acctdesk"
    phrase = tmp_path / "phrase.txt"
    phrase.write_text("correct horse battery staple\n")
    out = run("new", str(path), "--encrypt", "--key-store", "passphrase",
              "--passphrase-file", str(phrase), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["encrypted"] is True
    with pytest.raises(sqlite3.DatabaseError):      # not readable without the key
        with sqlite3.connect(path) as conn:
            conn.execute("SELECT * FROM accounts").fetchall()
    info = run("info", str(path), "--json", "--passphrase-file", str(phrase))
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)["accounts"] == 0


def test_import_create_makes_the_workspace_then_imports(tmp_path):
    path = tmp_path / "fresh.acctdesk"
    out = run("import", "--create", str(path), str(HUBSPOT), str(STRIPE), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [f["error"] for f in report["files"]] == [None, None]
    info = json.loads(run("info", str(path), "--json").stdout)
    assert info["accounts"] == 5 + sum(f["accounts_created"] for f in report["files"][1:])
    assert info["subscriptions"] == report["files"][1]["inserted"]
    assert info["import_batches"] == 2
    # a second run with --create imports into the workspace that now exists (nothing new)
    again = run("import", "--create", str(path), str(HUBSPOT), "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["files"][0]["skipped"]


def test_import_without_create_names_the_commands_that_make_a_workspace(tmp_path):
    path = tmp_path / "typo.acctdesk"
    out = run("import", str(path), str(HUBSPOT))
    assert out.returncode == 1            # as before: the command failed
    assert f"acctdesk new {path}" in out.stderr and "--create" in out.stderr
    assert "demo" not in out.stderr
    assert not path.exists()
    info = run("info", str(path))
    assert "acctdesk new" in info.stderr and "demo" not in info.stderr


@pytest.fixture
def app_calls(monkeypatch):
    """Calls of the desktop app's entry point (the app itself is not started)."""
    import acctdesk.ui.app as app

    calls = []
    monkeypatch.setattr(app, "run_app", lambda **kw: calls.append(kw) or 0)
    return calls


def test_a_workspace_path_as_the_only_argument_opens_it_in_the_app(tmp_path, app_calls):
    path = tmp_path / "Q3 book.acctdesk"
    assert cli.main([str(path)]) == 0
    assert cli.main(["--debug", str(path)]) == 0
    assert cli.main([str(path), str(HUBSPOT)]) == 0       # a workspace and files to import
    assert [c["workspace"] for c in app_calls] == [path, path, path]
    assert [list(c["files"]) for c in app_calls] == [[], [], [HUBSPOT]]
    assert not app_calls[0]["demo"]


def test_the_desktop_entry_command_opens_the_file_it_is_given(tmp_path, app_calls):
    entry = (ROOT / "packaging" / "acctdesk.desktop").read_text()
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    path = tmp_path / "my accounts.acctdesk"
    argv = [str(path) if a == "%f" else a for a in shlex.split(exec_line[len("Exec="):])]
    assert argv[0] == "acctdesk"
    assert cli.main(argv[1:]) == 0
    assert app_calls == [{"workspace": path, "demo": False, "files": []}]


def test_other_first_arguments_are_still_commands_or_usage_errors(tmp_path, app_calls,
                                                                   capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(tmp_path / "export.csv")])          # not a workspace: usage error
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
    assert cli.main(["app", str(tmp_path / "w.acctdesk")]) == 0
    assert app_calls[-1]["workspace"] == tmp_path / "w.acctdesk"
    assert app_calls[-1]["files"] == []


def test_the_file_type_the_desktop_entry_opens_is_the_workspace_suffix():
    import xml.etree.ElementTree as ET

    entry = (ROOT / "packaging" / "acctdesk.desktop").read_text()
    mime = next(line.split("=", 1)[1] for line in entry.splitlines()
                if line.startswith("MimeType="))
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    tree = ET.parse(ROOT / "packaging" / "acctdesk-mime.xml")
    kind = tree.find("m:mime-type", ns)
    assert f"{kind.get('type')};" == mime
    assert [g.get("pattern") for g in kind.findall("m:glob", ns)] == ["*.acctdesk"]


def test_the_readme_names_the_same_export_paths_as_the_app():
    from acctdesk.exports_guide import EXPORT_KINDS

    readme = (ROOT / "README.md").read_text()
    for kind in EXPORT_KINDS:
        where = "; ".join(f"{system}: {path}" for system, path in kind.where)
        assert f"| {kind.title} | {where} |" in readme
