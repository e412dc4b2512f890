"""CRM deals as pipeline (Portfolio tile, the pack, the 360 view) and an account's ids in
other systems, on portfolio B (tests/data/importers/_portfolio_b, hand-computed)."""
from __future__ import annotations

from pathlib import Path

import pytest

from acctdesk.importers.pipeline import import_files
from acctdesk.models import Workspace
from acctdesk.ui.account_view import AccountView
from acctdesk.ui.portfolio_view import PortfolioView

from .conftest import LOAD_MS, loaded_on, shown

DATA = Path(__file__).parent.parent / "data" / "importers" / "_portfolio_b"
FILES = ["hubspot_companies.csv", "hubspot_deals.csv", "chargebee_customers.csv",
         "chargebee_subscriptions.csv", "stripe_subscriptions.csv", "zendesk_tickets.csv",
         "freshdesk_tickets.csv", "product_usage.csv", "delighted_nps.csv"]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("b") / "b.acctdesk"
    with Workspace(path, create=True) as ws:
        assert all(r.error is None for r in import_files(ws, [DATA / f for f in FILES]))
    return path


def test_open_deals_are_a_pipeline_tile_not_revenue(qtbot, runner, book, tmp_path):
    from acctdesk.engine.pack import build_pack

    view = shown(qtbot, PortfolioView(runner))
    with loaded_on(qtbot, view, book) as (v, ws):
        kpi = v.kpis["pipeline"]
        # Granite Partners' open 24,000 deal; Acme's won and Helix's lost deals are history
        assert kpi.value == 24_000.0
        assert "1 open deals · 1 accounts" == kpi.detail
        assert v.tiles["pipeline"].value_label.text() not in ("", "—")
        assert v.kpis["arr"].value == 77_400.0          # deals never count as revenue
        pack = build_pack(ws)                            # what acctdesk export writes
        row = pack.kpis.loc[pack.kpis["metric"] == "Open pipeline (CRM deals)"]
        assert float(row["value"].iloc[0]) == kpi.value  # one number, one place


def test_the_360_view_lists_deals_and_the_ids_other_systems_use(qtbot, runner, book):
    ws = Workspace(book)
    try:
        acme = ws.conn.execute("SELECT account_id FROM accounts WHERE name = 'Acme Analytics'"
                               ).fetchone()[0]
        v = shown(qtbot, AccountView(runner), (1400, 860))
        v.set_workspace(ws)
        with qtbot.waitSignal(v.loaded, timeout=LOAD_MS):
            v.show_account(acme)
        deals = v.deals.model
        assert deals.rowCount() == 1
        assert deals.index(0, deals.column_index("status")).data() == "Won"
        links = v.links.model
        got = {(links.index(r, 0).data(), links.index(r, 2).data())
               for r in range(links.rowCount())}
        assert {("HubSpot", "3001"), ("Stripe", "cus_ACME01"), ("Chargebee", "cb-acme"),
                ("Your product", "ws_acme")} <= got
        v.set_workspace(None)
    finally:
        ws.close()
