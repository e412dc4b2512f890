"""Portfolio B: a book spread over nine exports of seven systems (CRM with duplicates and
prospects, two billing systems with a migration between them, two support systems with
migrated tickets, usage keyed by a product id that only billing metadata carries, NPS).

Every expected number was computed by hand from the files; see
tests/data/importers/_portfolio_b/PORTFOLIO.md.
"""
from __future__ import annotations

import math
from pathlib import Path

import pytest

from acctdesk.commands.metrics import compute as metrics
from acctdesk.importers.pipeline import import_files
from acctdesk.models import Workspace

DATA = Path(__file__).parent.parent / "data" / "importers" / "_portfolio_b"
CRM_FIRST = ["hubspot_companies.csv", "hubspot_deals.csv", "chargebee_customers.csv",
             "chargebee_subscriptions.csv", "stripe_subscriptions.csv", "zendesk_tickets.csv",
             "freshdesk_tickets.csv", "product_usage.csv", "delighted_nps.csv"]
# billing first: the CRM's records must find the accounts billing made
BILLING_FIRST = ["stripe_subscriptions.csv", "chargebee_subscriptions.csv",
                 "chargebee_customers.csv", "hubspot_companies.csv", "hubspot_deals.csv",
                 "freshdesk_tickets.csv", "zendesk_tickets.csv", "delighted_nps.csv",
                 "product_usage.csv"]


@pytest.fixture(params=["crm first", "billing first"])
def book(request, tmp_path):
    order = CRM_FIRST if request.param == "crm first" else BILLING_FIRST
    ws = Workspace(tmp_path / "b.acctdesk", create=True)
    results = import_files(ws, [DATA / f for f in order])
    yield ws, {Path(r.file).name: r for r in results}
    ws.close()


def test_the_book_has_the_hand_counted_accounts_revenue_tickets_and_usage(book):
    ws, results = book
    assert all(r.error is None for r in results.values()), \
        {f: r.error for f, r in results.items() if r.error}
    for name, r in results.items():      # every row accounted for
        assert r.rows_read == (r.inserted + r.updated + r.unchanged + r.merged + r.held
                               + r.rejected), name
        assert r.held == 0, (name, r.review)
    s = ws.summary()
    assert s["accounts"] == 11
    assert s["active_accounts"] == 8
    assert s["churned_accounts"] == 1
    assert s["data_date"] == "2025-06-30"
    assert s["arr_active"] == 77_400.0
    assert s["tickets"] == 8
    assert s["usage_rows"] == 24
    assert s["surveys"] == 5
    assert s["opportunities"] == 3
    status = dict(ws.conn.execute("SELECT name, status FROM accounts").fetchall())
    assert sorted(n for n, st in status.items() if st == "prospect") == [
        "Granite Partners", "Helix Robotics"]
    assert results["product_usage.csv"].rejected == 1


def test_look_alike_and_shared_domain_companies_stay_apart(book):
    ws, _ = book
    acc = ws.frame("SELECT account_id, name FROM accounts")
    names = set(acc["name"])
    assert {"Nexazen", "Dexazen", "Lincoln High School", "Roosevelt High School"} <= names
    # the Stripe customer "gmail.com" is Dexazen, by the billing id the CRM keeps
    dex = ws.frame("SELECT s.mrr FROM subscriptions s JOIN accounts a USING (account_id) "
                   "WHERE a.name = 'Dexazen' AND s.status = 'active'")
    assert dex["mrr"].tolist() == [600.0]
    # each school has its own subscription and its own usage
    for school in ("Lincoln High School", "Roosevelt High School"):
        n = ws.conn.execute("SELECT COUNT(*) FROM usage u JOIN accounts a USING (account_id) "
                            "WHERE a.name = ?", (school,)).fetchone()[0]
        assert n == 3, school


def test_nrr_and_grr_equal_the_hand_computation(book):
    ws, _ = book
    m = metrics(ws, months=12)
    assert m["period"]["start_month"] == "2024-06" and m["period"]["end_month"] == "2025-06"
    assert m["retention_detail"]["start_mrr"] == 7_100.0
    assert math.isclose(m["nrr"], 6_200 / 7_100, abs_tol=1e-6)
    assert math.isclose(m["grr"], 5_900 / 7_100, abs_tol=1e-6)
    assert m["mrr"] == 6_450.0


def test_migrated_tickets_are_counted_once(book):
    ws, _ = book
    t = ws.frame("SELECT source, ticket_id, subject FROM tickets")
    assert sorted(t["subject"].str.lower()).count("sso setup for new domain") == 1
    assert sorted(t["subject"].str.lower()).count("api rate limit errors") == 1


def test_an_account_knows_every_id_other_systems_use_for_it(book):
    ws, _ = book
    aid = ws.conn.execute("SELECT account_id FROM accounts WHERE name = 'Dexazen'").fetchone()[0]
    links = ws.account_links(aid)
    got = set(zip(links["system"], links["external_id"]))
    assert {("hubspot", "3005"), ("stripe", "cus_DXZ0001"), ("chargebee", "cb-dexazen"),
            ("product", "ws_dexazen")} <= got
    kinds = dict(zip(links["external_id"], links["kind"]))
    assert kinds["3005"] == "record" and kinds["ws_dexazen"] == "workspace"
    deals = ws.opportunities()
    assert sorted(deals["status"]) == ["lost", "open", "won"]
    assert ws.opportunities(aid).empty


def test_undoing_the_file_that_merged_two_accounts_splits_them_again(tmp_path):
    from acctdesk.importers.pipeline import import_file, undo_batch

    ws = Workspace(tmp_path / "m.acctdesk", create=True)
    for name in ("stripe_subscriptions.csv", "chargebee_subscriptions.csv"):
        import_file(ws, DATA / name)
    before = {t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
              for t in ("accounts", "subscriptions", "external_ids")}
    assert ws.count("accounts") == 11        # Dexazen twice: Stripe's "gmail.com" and Chargebee's
    crm = import_file(ws, DATA / "hubspot_companies.csv")
    assert crm.accounts_merged == 1 and ws.count("accounts") == 11   # +Granite -Dexazen dup
    names = {r[0] for r in ws.conn.execute("SELECT name FROM accounts")}
    assert "gmail.com" not in names and "Dexazen" in names
    undo_batch(ws, crm.batch_ids[0], force=True)
    after = {t: ws.conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
             for t in ("accounts", "subscriptions", "external_ids")}
    assert after == before
    ws.close()
