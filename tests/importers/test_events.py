"""Raw event exports (Mixpanel, Amplitude, Segment) and a Typeform NPS export.

Expected numbers: tests/data/importers/_events/EXPECTED.md (hand-computed).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from acctdesk.importers.pipeline import import_file
from acctdesk.models import Workspace

DATA = Path(__file__).parent.parent / "data" / "importers" / "_events"


@pytest.fixture
def book(tmp_path):
    ws = Workspace(tmp_path / "e.acctdesk", create=True)
    assert import_file(ws, DATA / "accounts.csv").inserted == 2
    yield ws
    ws.close()


def _usage(ws):
    return {(n, m, d): v for n, m, d, v in ws.conn.execute(
        "SELECT a.name, u.metric, u.date, u.value FROM usage u JOIN accounts a "
        "USING (account_id)")}


def test_mixpanel_events_are_counted_per_account_day_and_event(book):
    r = import_file(book, DATA / "mixpanel_group_events.jsonl")
    assert r.profile == "mixpanel.events" and r.error is None
    assert (r.rows_read, r.inserted, r.merged, r.rejected) == (5, 3, 1, 1)
    assert _usage(book) == {("Acme", "Login", "2025-01-01"): 2.0,
                            ("Acme", "Report Viewed", "2025-01-01"): 1.0,
                            ("Globex", "Login", "2025-01-02"): 1.0}


def test_amplitude_and_segment_events_link_through_their_group_keys(book):
    a = import_file(book, DATA / "amplitude_group_events.jsonl")
    s = import_file(book, DATA / "segment_group_events.jsonl")
    assert (a.profile, s.profile) == ("amplitude.events", "segment.events")
    assert a.rows_read == 4 and s.rows_read == 2
    assert _usage(book) == {("Acme", "Dashboard Viewed", "2025-01-02"): 2.0,
                            ("Acme", "Dashboard Viewed", "2025-01-03"): 1.0,
                            ("Globex", "Export Run", "2025-01-03"): 1.0,
                            ("Globex", "Invoice Sent", "2025-01-05"): 2.0}


@pytest.mark.parametrize("name,system", [("mixpanel_people_only.jsonl", "Mixpanel"),
                                         ("amplitude_people_only.jsonl", "Amplitude"),
                                         ("segment_people_only.jsonl", "Segment")])
def test_events_with_only_person_ids_are_refused_saying_why(book, name, system):
    r = import_file(book, DATA / name)
    assert r.profile is None and r.error is not None and f"is a {system} event export" in r.error
    assert "only person ids" in r.error
    assert book.count("usage") == 0


def test_typeform_nps_answers_link_by_work_email_or_company(book):
    r = import_file(book, DATA / "typeform_nps.csv")
    assert r.profile == "typeform.responses" and r.inserted == 3
    got = sorted(book.conn.execute(
        "SELECT a.name, s.score, s.kind FROM surveys s JOIN accounts a USING (account_id)"))
    assert got == [("Acme", 9.0, "nps"), ("Globex", 4.0, "nps"), ("Globex", 10.0, "nps")]


def test_every_file_here_is_recognised_as_its_layout():
    from acctdesk.importers.plan import plan_sheet
    from acctdesk.importers.readers import read_file

    for name, profile in json.loads((DATA / "profiles.json").read_text()).items():
        plan = plan_sheet(read_file(DATA / name)[0])
        got = plan.profile.id if plan.profile else plan.candidates[0][0]
        assert got == profile, name
