"""The audit trail in sentences (the Audit view), from real changes to a real workspace."""
from __future__ import annotations

from pathlib import Path

from acctdesk.audit_words import readable_entries
from acctdesk.commands.new import create
from acctdesk.importers.pipeline import import_file, undo_batch
from acctdesk.models.edits import add_activity, set_worklist_state

DATA = Path(__file__).parent / "data" / "importers"


def test_each_change_reads_as_a_sentence(tmp_path):
    ws = create(tmp_path / "book.acctdesk", name="EMEA book", currency="EUR")
    try:
        r = import_file(ws, DATA / "hubspot" / "companies.csv")
        acme = ws.accounts().set_index("name").loc["ACME, Inc.", "account_id"]
        add_activity(ws, acme, "call", "Talked about the renewal", date="2025-03-30")
        set_worklist_state(ws, acme, "snoozed", until="2025-04-07")
        with ws.transaction():
            ws.set_meta("currency", "GBP")
            ws.audit("settings.change", "meta", None, before={"currency": "EUR"},
                     after={"currency": "GBP"})
        later = import_file(ws, DATA / "stripe" / "subscriptions.csv")
        undo_batch(ws, later.batch_ids[0])
        entries = readable_entries(ws)
    finally:
        ws.close()
    text = [e["detail"] for e in entries]
    assert text[0] == "Created the empty workspace “EMEA book” (amounts in EUR)."
    assert text[1] == (f"Imported companies.csv as a HubSpot accounts export (batch "
                       f"{r.batch_ids[0]}): 5 rows read, 5 added, 0 updated, 0 unchanged, "
                       "0 rejected.")
    assert text[2] == ("Logged a call on ACME, Inc. for 2025-03-30: “Talked about the "
                       "renewal”.")
    assert text[3] == "Snoozed ACME, Inc. on the Today list until 2025-04-07."
    assert text[4] == "Changed the workspace settings: currency EUR → GBP."
    assert text[6].startswith(f"Undid import batch {later.batch_ids[0]} (subscriptions.csv): ")
    assert [e["action"] for e in entries] == [
        "Workspace created", "Import", "Activity logged", "Snoozed", "Settings changed",
        "Import", "Import undone"]
    assert entries[3]["entity"] == "ACME, Inc."
    for line in text:            # sentences, not stored JSON
        assert "{" not in line and '":' not in line and "_" not in line, line
