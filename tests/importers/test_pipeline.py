"""The import pipeline end to end on a real workspace file."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from acctdesk.importers.errors import ImportCancelled
from acctdesk.importers.match import AccountIndex, normalise_name
from acctdesk.importers.pipeline import (
    UndoError, export_rejected, import_file, import_files, save_mapping, undo_batch,
)
from acctdesk.models import Workspace

DATA = Path(__file__).parent.parent / "data" / "importers"
ORDER = ["salesforce", "hubspot", "pipedrive", "stripe", "chargebee", "recurly", "zendesk",
         "intercom", "freshdesk", "mixpanel", "amplitude", "google_analytics", "delighted",
         "surveymonkey", "qualtrics", "spreadsheet"]
PORTFOLIO = [p for system in ORDER for p in sorted((DATA / system).iterdir())
             if p.suffix in (".csv", ".xlsx")]
TABLES = ["accounts", "subscriptions", "usage", "tickets", "surveys", "contacts", "activities",
          "external_ids", "import_batches", "rejected_rows", "row_history", "saved_mappings"]


def snapshot(ws: Workspace) -> dict:
    """Every row of every table, to prove a workspace is exactly as it was."""
    return {t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in TABLES}


def test_whole_portfolio_over_16_systems_becomes_one_clean_account_list(workspace):
    results = import_files(workspace, PORTFOLIO)
    assert [r.error for r in results] == [None] * len(PORTFOLIO)
    for r in results:   # every row accounted for
        assert r.rows_read == (r.inserted + r.updated + r.unchanged + r.merged + r.held
                               + r.rejected), r.file
    s = workspace.summary()
    # checked by hand against tests/data/importers/PORTFOLIO.md
    assert s["accounts"] == 8
    assert s["data_date"] == "2025-03-31"
    # Hooli is a "Prospect" in Salesforce and has only a Stripe trial: not a customer yet
    assert s["active_accounts"] == 7
    assert s["arr_active"] == 214_300.0
    assert s["tickets"] == 20
    assert s["surveys"] == 15
    # CRM deals are pipeline: 5 Salesforce + 5 HubSpot + 4 Pipedrive opportunities, none
    # of them a subscription or revenue
    assert s["opportunities"] == 14
    assert workspace.count("subscriptions") == 16
    acc = workspace.accounts().set_index("domain")
    arr = acc["arr"].fillna(0).to_dict()
    assert arr == {"acme.com": 17_980, "globex.com": 10_800, "initech.io": 4_320,
                   "wayne-ent.com": 18_000, "hooli.xyz": 0, "soylent.de": 7_800,
                   "umbrella-corp.com": 36_000, "starkindustries.com": 119_400}
    tickets = workspace.tickets()
    per = tickets.groupby(tickets["account_id"].map(acc.reset_index().set_index("account_id")["domain"])).size()
    assert per.to_dict() == {"acme.com": 3, "globex.com": 3, "initech.io": 1,
                             "umbrella-corp.com": 2, "starkindustries.com": 2,
                             "wayne-ent.com": 2, "soylent.de": 3, "hooli.xyz": 3}
    assert tickets["account_id"].isna().sum() == 1          # the voicemail: no account
    nps = workspace.surveys()["score"]
    promoters, detractors = (nps >= 9).mean(), (nps <= 6).mean()
    assert round(100 * (promoters - detractors), 1) == 20.0
    # "Wayne Ent." (Pipedrive, no website) only looks like "Wayne Enterprises": a look-alike
    # name never merges by itself, so the row is held for review, with its cells kept
    org = next(r for r in results if r.profile == "pipedrive.organizations")
    assert org.held == 1 and org.review[0]["name"] == "Wayne Ent."
    assert org.review[0]["candidate_name"] == "Wayne Enterprises"
    held = workspace.frame("SELECT row_number, reason, raw FROM rejected_rows "
                           "WHERE outcome = 'held' AND batch_id = ?", (org.batch_ids[0],))
    assert held["row_number"].tolist() == [5] and "Wayne Ent." in held.loc[0, "raw"]
    # the same files again: nothing changes, nothing counted twice
    before = snapshot(workspace)
    again = import_files(workspace, PORTFOLIO)
    assert all(r.skipped for r in again)
    assert snapshot(workspace) == before


def test_newer_export_updates_what_changed_and_undo_restores_it(workspace, tmp_path):
    first = tmp_path / "book.csv"
    first.write_text("Customer,CSM,ARR,Renewal,Seats\nAcme Corp,Maria Lopez,12000,2025-06-30,50\n"
                     "Globex,Sam Carter,9000,2025-09-30,20\n")
    r1 = import_file(workspace, first)
    assert (r1.inserted, r1.updated, r1.error) == (2, 0, None)
    newer = tmp_path / "book-march.csv"
    newer.write_text("Customer,CSM,ARR,Renewal,Seats\nAcme Corp,Maria Lopez,15000,2025-06-30,60\n"
                     "Globex,Sam Carter,9000,2025-09-30,20\nInitech,Sam Carter,4000,2025-12-31,8\n")
    before_second = snapshot(workspace)
    r2 = import_file(workspace, newer)
    assert (r2.inserted, r2.updated, r2.unchanged) == (1, 1, 1)
    acc = workspace.accounts().set_index("name")
    assert acc.loc["Acme Corp", "arr"] == 15000 and acc.loc["Acme Corp", "seats"] == 60
    history = workspace.frame("SELECT * FROM row_history WHERE batch_id = ? AND op = 'update'",
                              (r2.batch_ids[0],))
    assert len(history) == 1 and json.loads(history.loc[0, "before"])["arr"] == 12000
    assert json.loads(history.loc[0, "after"])["arr"] == 15000
    # Globex came again unchanged: recorded as brought by this batch too (undo of the first
    # batch keeps it; tests/importers/test_undo_overlap.py)
    touched = workspace.frame("SELECT * FROM row_history WHERE batch_id = ? AND op = 'touch'",
                              (r2.batch_ids[0],))
    assert len(touched) == 1 and json.loads(touched.loc[0, "after"])["name"] == "Globex"
    undo_batch(workspace, r2.batch_ids[0])
    after = snapshot(workspace)
    for table in TABLES:
        if table in ("import_batches",):
            continue
        assert after[table] == before_second[table], table
    assert workspace.frame("SELECT status FROM import_batches ORDER BY batch_id")["status"].tolist() \
        == ["applied", "undone"]
    assert workspace.audit_log()["action"].tolist()[-1] == "undo"
    # the undone file can be imported again
    assert import_file(workspace, newer).inserted == 1


def test_undo_of_a_billing_batch_restores_arr(workspace):
    import_file(workspace, DATA / "salesforce" / "accounts_details.csv")
    before = snapshot(workspace)
    r = import_file(workspace, DATA / "stripe" / "subscriptions.csv")
    assert workspace.summary()["arr_active"] > 0
    undo_batch(workspace, r.batch_ids[0])
    after = snapshot(workspace)
    assert after["accounts"] == before["accounts"]
    assert after["subscriptions"] == [] and after["external_ids"] == before["external_ids"]


def test_unreadable_values_reject_their_rows_with_row_column_and_reason(workspace, tmp_path):
    f = tmp_path / "book.csv"
    f.write_text("Customer,CSM,ARR,Renewal\nAcme Corp,Maria,12000,2025-06-30\n"
                 "Globex,Sam,twelve grand,2025-09-30\nInitech,Sam,4000,2025-13-45\n"
                 "=HYPERLINK(\"http://evil\"),Eve,100,2025-01-01\n")
    r = import_file(workspace, f)
    assert r.error is None
    assert r.rejected == 2 and r.inserted == 2
    joined = "\n".join(r.row_errors)
    assert "row 3, column 'ARR': 'twelve grand'" in joined
    assert "row 4, column 'Renewal': '2025-13-45'" in joined
    names = set(workspace.accounts()["name"])
    assert '=HYPERLINK("http://evil")' in names            # stored as plain text, never run
    assert "Globex" not in names
    out = tmp_path / "rejected.csv"
    assert export_rejected(workspace, r.batch_ids[0], out) == 2
    fixed = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(fixed["row"]) == ["3", "4"]
    assert fixed.loc[0, "Customer"] == "Globex" and "not an amount" in fixed.loc[0, "problem"]


BAD = {
    "empty.csv": (b"", "empty"),
    "header_only.csv": (b"Customer,CSM,ARR\n", "no data rows"),
    "garbage.xlsx": (os.urandom(4096), None),
    "truncated.xlsx": (None, None),
    "picture.csv": (b"\x89PNG\r\n\x1a\n" + os.urandom(2000), None),
    "unknown_layout.csv": (b"foo,bar,baz\n1,2,3\n4,5,6\n", "not recognised"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_get_a_clear_message_and_change_nothing(workspace, tmp_path, name):
    import_file(workspace, DATA / "salesforce" / "accounts_details.csv")
    path = tmp_path / name
    content, phrase = BAD[name]
    if name == "truncated.xlsx":
        good = tmp_path / "good.xlsx"
        pd.DataFrame({"Customer": ["Acme"] * 200, "ARR": range(200)}).to_excel(good, index=False)
        data = good.read_bytes()
        content = data[: len(data) // 2]
    path.write_bytes(content)
    before = snapshot(workspace)
    r = import_file(workspace, path)
    assert r.error is not None and name in r.error, r.error
    if phrase:
        assert phrase in r.error
    assert snapshot(workspace) == before


def test_a_csv_named_xlsx_is_read_as_csv(workspace, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_text("Customer,CSM,ARR\nAcme Corp,Maria,1000\n")
    r = import_file(workspace, path)
    assert r.error is None and r.inserted == 1
    assert any("CSV" in n or "csv" in n for n in r.notes)


def test_cancelling_leaves_the_workspace_unchanged(workspace):
    import_file(workspace, DATA / "salesforce" / "accounts_details.csv")
    before = snapshot(workspace)
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 3

    with pytest.raises(ImportCancelled):
        import_file(workspace, DATA / "stripe" / "subscriptions.csv", cancel=cancel)
    assert snapshot(workspace) == before


def test_similar_names_of_different_companies_are_not_merged():
    idx = AccountIndex()
    idx.add("a1", "Acme Robotics", "acmerobotics.com")
    idx.add("a2", "Wayne Enterprises", "wayne-ent.com")
    idx.link("crm", "22", "a3")
    idx.add("a3", "Company_22", None)
    # a different company that merely shares a word: nothing in common, a new account
    assert idx.match(source="x", external_id=None, name="Acme Analytics", domain=None).how == "new"
    assert idx.match(source="x", external_id=None, name="ACME Robotics, Inc.", domain=None).account_id == "a1"
    # a look-alike name with a different web domain is another company: created, not held
    other = idx.match(source="x", external_id=None, name="Acme Robotic", domain="acme-robotic.de")
    assert other.account_id is None and other.how == "new"
    # a look-alike with nothing else to go on is held for review, never merged
    review = idx.match(source="x", external_id=None, name="Wayne Ent.", domain=None)
    assert review.account_id is None and review.how == "review"
    assert review.candidate == "a2" and "may be 'Wayne Enterprises'" in review.reason
    assert idx.match(source="x", external_id=None, name=None, domain="https://www.Wayne-Ent.com/").account_id == "a2"
    # two records of one source with different ids are two companies, however alike
    assert idx.match(source="crm", external_id="122", name="Company_122", domain=None).how == "new"
    assert idx.match(source="crm", external_id="99", name="Company_22", domain=None).how == "new"
    assert idx.match(source="crm", external_id="22", name="Company 22", domain=None).account_id == "a3"
    # a mailbox or free-mail domain is no company name
    assert idx.match(source="x", external_id=None, name="gmail.com", domain=None).how == "none"
    assert normalise_name("ACME, Inc.") == normalise_name("Acme Inc") == normalise_name("acme.com")


def test_uncertain_match_goes_to_review_and_a_decision_is_remembered(workspace, tmp_path):
    f1 = tmp_path / "crm.csv"
    f1.write_text("Customer,Website,ARR\nNorthwind Traders,northwind.com,5000\n")
    import_file(workspace, f1)
    f2 = tmp_path / "support.csv"
    f2.write_text("Customer,CSM,ARR\nNorthwind Tradings,Ann,5000\n")
    r = import_file(workspace, f2)
    assert r.review and r.review[0]["candidate_name"] == "Northwind Traders"
    assert workspace.count("accounts") == 1              # not guessed
    aid = workspace.accounts()["account_id"][0]
    undo_batch(workspace, r.batch_ids[0])
    r2 = import_file(workspace, f2, decisions={"Northwind Tradings": aid})
    assert r2.review == [] and workspace.count("accounts") == 1
    assert workspace.accounts().loc[0, "owner"] == "Ann"
    f3 = tmp_path / "later.csv"
    f3.write_text("Customer,Seats\nNorthwind Tradings,40\n")
    r3 = import_file(workspace, f3)                     # the confirmed link is remembered
    assert r3.review == [] and workspace.accounts().loc[0, "seats"] == 40


def test_a_confirmed_mapping_is_reused_for_the_same_header(workspace, tmp_path):
    f = tmp_path / "odd.csv"
    f.write_text("Kunde,Betreuer,Jahresumsatz Vertrag\nAcme,Maria,1200\n")
    assert import_file(workspace, f).error is not None
    save_mapping(workspace, ["Kunde", "Betreuer", "Jahresumsatz Vertrag"], "accounts",
                 {"Kunde": "name", "Betreuer": "owner", "Jahresumsatz Vertrag": "arr"},
                 {"arr": "money"})
    g = tmp_path / "odd2.csv"
    g.write_text("Betreuer,Kunde,Jahresumsatz Vertrag\nSam,Globex,900\n")
    r = import_file(workspace, g)
    assert r.error is None and r.inserted == 1
    assert workspace.accounts().set_index("name").loc["Globex", "arr"] == 900


def test_unmapped_columns_are_kept_as_custom_fields(workspace, tmp_path):
    f = tmp_path / "book.csv"
    f.write_text("Customer,ARR,Favourite Colour\nAcme Corp,1000,teal\n")
    import_file(workspace, f)
    custom = workspace.conn.execute("SELECT custom FROM accounts").fetchone()[0]
    assert json.loads(custom) == {"Favourite Colour": "teal"}


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "acctdesk", *map(str, args)],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def test_cli_import_json_exit_codes_and_undo(tmp_path):
    ws_path = tmp_path / "w.acctdesk"
    Workspace(ws_path, create=True).close()
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    out = run_cli("import", ws_path, DATA / "salesforce" / "accounts_details.csv", bad,
                  DATA / "stripe" / "subscriptions.csv", "--json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    files = data["files"]
    assert [f["error"] is None for f in files] == [True, False, True]
    assert "broken.xlsx" in files[1]["error"]
    first = files[0]
    for key in ("profile", "rows_read", "inserted", "updated", "rejected", "review", "error"):
        assert key in first
    assert first["profile"] == "salesforce.accounts" and first["inserted"] == 8
    info = json.loads(run_cli("info", ws_path, "--json").stdout)
    assert info["import_batches"] == 2 and info["accounts"] == 8
    undo = run_cli("undo", ws_path, files[2]["batch_ids"][0])
    assert undo.returncode == 0, undo.stderr
    info = json.loads(run_cli("info", ws_path, "--json").stdout)
    assert info["import_batches"] == 1 and info["subscriptions"] == 0
    assert run_cli("import", ws_path).returncode == 2            # no files: bad usage
    again = run_cli("undo", ws_path, files[2]["batch_ids"][0])
    assert again.returncode == 1 and "already undone" in again.stderr


def test_a_wide_usage_sheet_becomes_usage_not_account_updates(workspace, tmp_path):
    book = tmp_path / "book.csv"
    book.write_text("Customer,Website\nAcme,acme.com\nGlobex,globex.com\n")
    import_file(workspace, book)
    wide = tmp_path / "active users.csv"
    wide.write_text("Account,Jan 2025,Feb 2025,Mar 2025\nAcme,120,130,128\nGlobex,40,,45\n")
    r = import_file(workspace, wide)
    assert r.entity == "usage" and r.inserted == 5 and r.merged == 0
    usage = workspace.frame("SELECT a.name, u.metric, u.date, u.value FROM usage u "
                            "JOIN accounts a USING (account_id) ORDER BY 1, 3")
    assert usage["metric"].unique().tolist() == ["active_users"]
    assert usage.values.tolist()[:3] == [["Acme", "active_users", "2025-01-01", 120.0],
                                         ["Acme", "active_users", "2025-02-01", 130.0],
                                         ["Acme", "active_users", "2025-03-01", 128.0]]
    assert workspace.count("accounts") == 2


def test_a_subscriptions_export_without_a_product_takes_its_plan(workspace, tmp_path):
    f = tmp_path / "subs.csv"
    f.write_text("customer_id,customer_name,plan,mrr,status,start_date\n"
                 "c1,Acme,Pro,500,active,2024-01-01\nc2,Globex,Basic,100,active,2024-06-01\n")
    r = import_file(workspace, f)
    assert r.entity == "subscriptions" and r.inserted == 2 and r.error is None
    subs = workspace.frame("SELECT product, mrr FROM subscriptions ORDER BY mrr")
    assert subs.values.tolist() == [["Basic", 100.0], ["Pro", 500.0]]
    assert workspace.summary()["arr_active"] == 7_200.0
