"""Genuine exports that other people published (tests/data/real, sources in SOURCES.md).

Each ``<file>.expect.json`` holds what a person reading the file expects (counted by a
script from the file itself: ``kind``, ``data_rows``, ``distinct_companies``, ``totals``,
``status_counts``) and, under ``acctdesk``, what acctdesk must make of it: the layout it is
recognised as, the records it becomes (alone, or after the files listed in ``after``), or
the words of its refusal. Joins across files (usage through subscriptions, cases through
contacts, users through organizations) are computed here from the CSVs with the csv module,
independently of the importer.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from acctdesk.importers.pipeline import import_file
from acctdesk.models import Workspace

REAL = Path(__file__).parent.parent / "data" / "real"
FILES = sorted(p for p in REAL.glob("*/*") if p.suffix != ".json" or
               not p.name.endswith(".expect.json"))
FILES = [p for p in FILES if Path(f"{p}.expect.json").exists()]


def _spec(path: Path) -> dict:
    return json.loads(Path(f"{path}.expect.json").read_text(encoding="utf-8"))


def _rows(rel: str) -> list[dict]:
    with open(REAL / rel, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _import(tmp_path, path: Path, spec: dict):
    ws = Workspace(tmp_path / "real.acctdesk", create=True)
    for rel in spec.get("after", []):
        first = import_file(ws, REAL / rel)
        assert first.error is None, first.error
    return ws, import_file(ws, path)


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.name}" for p in FILES])
def test_genuine_export_comes_out_as_a_person_reading_it_expects(tmp_path, path):
    expect = _spec(path)
    spec = expect["acctdesk"]
    ws, r = _import(tmp_path, path, spec)
    try:
        if "refuse" in spec:
            assert r.error is not None and spec["refuse"] in r.error, r.error
            assert r.error.startswith(f"'{path.name}' ")        # names the file
            assert ws.count("accounts") == ws.count("import_batches") == 0 or spec.get("after")
            return
        assert r.error is None, r.error
        if "profile" in spec:
            assert r.profile == spec["profile"]
        assert r.rows_read == (r.inserted + r.updated + r.unchanged + r.merged + r.held
                               + r.rejected)
        summary = ws.summary()
        for key, value in spec.get("summary", {}).items():
            assert summary[key] == value, (key, summary[key], value)
        if "rejected" in spec:
            assert r.rejected == spec["rejected"]
        assert r.held == spec.get("held", 0), r.review
        assert all("are named" in item["reason"] for item in r.review)
        for key, value in spec.get("sums", {}).items():
            table, col = key.split(".")
            got = ws.conn.execute(f"SELECT SUM({col}) FROM {table}").fetchone()[0]
            assert math.isclose(got, value, abs_tol=0.01), (key, got, value)
        for table, n in spec.get("linked_accounts", {}).items():
            got = ws.conn.execute(f"SELECT COUNT(DISTINCT account_id) FROM {table} "
                                  f"WHERE account_id IS NOT NULL").fetchone()[0]
            assert got == n, (table, got, n)
        for key, table in (("statuses", "accounts"), ("ticket_statuses", "tickets"),
                           ("opportunity_statuses", "opportunities")):
            if key in spec:
                got = dict(ws.conn.execute(f"SELECT status, COUNT(*) FROM {table} "
                                           f"GROUP BY status").fetchall())
                assert got == spec[key], (key, got)
        if spec.get("usage_from_join"):
            _check_usage_join(ws)
        if spec.get("cases_from_join"):
            _check_case_join(ws)
        if spec.get("contacts_from_join"):
            _check_zendesk_users(ws, r)
    finally:
        ws.close()


def _check_usage_join(ws):
    """RavenStack usage rows are keyed by subscription id: they belong to the account of
    that subscription when the subscriptions file has it."""
    sub_account = {s["subscription_id"]: s["account_id"]
                   for s in _rows("ravenstack/ravenstack_subscriptions.csv")}
    linked = {(sub_account[u["subscription_id"]], u["feature_name"], u["usage_date"])
              for u in _rows("ravenstack/ravenstack_feature_usage.csv")
              if u["subscription_id"] in sub_account}
    assert ws.count("usage") == len(linked) > 0
    total = sum(1 for u in _rows("ravenstack/ravenstack_feature_usage.csv"))
    unlinked = sum(1 for u in _rows("ravenstack/ravenstack_feature_usage.csv")
                   if u["subscription_id"] not in sub_account)
    got = ws.frame("SELECT counts FROM import_batches ORDER BY batch_id DESC LIMIT 1")
    counts = json.loads(got.loc[0, "counts"])
    assert counts["rejected"] == unlinked and counts["rows_read"] == total


def _check_case_join(ws):
    """Salesforce cases belong to an account through AccountId, else through the contact."""
    contact_account = {c["Id"]: c["AccountId"]
                       for c in _rows("salesforce/datacloud_workshop_contact.csv")
                       if c["AccountId"]}
    accounts = {c["AccountId"] or contact_account.get(c["ContactId"])
                for c in _rows("salesforce/datacloud_workshop_case.csv")}
    linked = sum(1 for c in _rows("salesforce/datacloud_workshop_case.csv")
                 if c["AccountId"] or c["ContactId"] in contact_account)
    got = ws.conn.execute("SELECT COUNT(*), COUNT(DISTINCT account_id) FROM tickets "
                          "WHERE account_id IS NOT NULL").fetchone()
    assert got == (linked, len(accounts - {None, ""}))


def _check_zendesk_users(ws, r):
    """Customer contacts: end users with an e-mail address whose organization exists.
    Agents and admins (the support team itself) never become contacts."""
    orgs = {o["id"] for o in _rows("zendesk/organizations.csv")}
    users = _rows("zendesk/users_api_fields.csv")
    want = {(u["organization_id"], u["email"].lower()) for u in users
            if u["role"] == "end-user" and u["email"] and u["organization_id"] in orgs}
    assert ws.count("contacts") == len(want) > 0
    staff = sum(1 for u in users if u["role"] in ("agent", "admin"))
    assert any(o["count"] == staff and "your own team" in o["reason"] for o in r.outcomes)


def test_the_collection_covers_at_least_fifteen_files_from_eight_systems():
    systems = {p.parent.name for p in FILES}
    assert len(FILES) >= 15 and len(systems) >= 8, (len(FILES), systems)
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    for p in FILES:
        assert p.name in sources, p
