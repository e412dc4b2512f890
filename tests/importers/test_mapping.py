"""Fuzzy header -> canonical field mapping and the header signature."""
from __future__ import annotations

import itertools

import pytest

from acctdesk.importers.mapping import (Suggestion, as_mapping, guess_entity, header_signature,
                                        suggest_mapping)
from acctdesk.importers.profiles import recognise


def targets(headers, entity=None):
    return {s.source: s.target for s in suggest_mapping(headers, entity)}


def test_hand_kept_spreadsheet():
    got = targets(["Customer", "CSM", "ARR", "Renewal", "Seats", "Notes"])
    assert got == {"Customer": "name", "CSM": "owner", "ARR": "arr",
                   "Renewal": "renewal_date", "Seats": "seats", "Notes": None}
    kinds = {s.source: s.kind for s in suggest_mapping(["ARR", "Renewal", "Seats"], "accounts")}
    assert kinds == {"ARR": "money", "Renewal": "date", "Seats": "int"}


def test_renamed_and_reordered_headers():
    got = targets(["Next Renewal Date", "Client Name", "Success Manager",
                   "Annual Recurring Revenue (USD)", "Licences", "Tier", "Website", "Health"])
    assert got["Client Name"] == "name"
    assert got["Success Manager"] == "owner"
    assert got["Annual Recurring Revenue (USD)"] == "arr"
    assert got["Next Renewal Date"] == "renewal_date"
    assert got["Licences"] == "seats"
    assert got["Tier"] == "segment"
    assert got["Website"] == "domain"
    assert got["Health"] is None


def test_annual_revenue_and_employees_are_not_arr_or_seats():
    got = targets(["Account Name", "Annual Revenue", "Number of Employees", "Employees",
                   "ARR"], "accounts")
    assert got["Annual Revenue"] is None
    assert got["Number of Employees"] is None and got["Employees"] is None
    assert got["ARR"] == "arr" and got["Account Name"] == "name"


def test_account_hints_for_non_account_records():
    got = targets(["Ticket Number", "Company", "Opened", "Closed", "Severity", "Title",
                   "Requester Email"])
    assert got == {"Ticket Number": "ticket_id", "Company": "account.name",
                   "Opened": "created_at", "Closed": "solved_at", "Severity": "priority",
                   "Title": "subject", "Requester Email": "requester_email"}


def test_each_target_used_once_and_nothing_dropped():
    headers = ["Customer", "Customer Name", "ARR", "ARR 2024", "Misc"]
    sugg = suggest_mapping(headers, "accounts")
    assert [s.source for s in sugg] == headers
    mapped = [s.target for s in sugg if s.target]
    assert len(mapped) == len(set(mapped))
    assert all(isinstance(s, Suggestion) and 0.0 <= s.score <= 1.0 for s in sugg)
    assert as_mapping(sugg) == {s.source: s.target for s in sugg if s.target}


def test_cents_hint_in_header():
    sugg = {s.source: s for s in suggest_mapping(["Customer", "MRR (cents)"], "subscriptions")}
    assert sugg["MRR (cents)"].target == "mrr" and sugg["MRR (cents)"].kind == "money_cents"


@pytest.mark.parametrize("headers,entity", [
    (["Customer", "CSM", "ARR", "Renewal"], "accounts"),
    (["Subscription ID", "Plan", "MRR", "Start Date", "Company"], "subscriptions"),
    (["Day", "Company", "Active Users", "Metric"], "usage"),
    (["Case Number", "Account", "Severity", "Opened", "Resolved"], "tickets"),
    (["Respondent", "NPS Score", "Verbatim", "Email Address", "Submitted At"], "surveys"),
])
def test_guess_entity(headers, entity):
    assert guess_entity(headers) == entity


def test_guess_entity_uses_a_recognised_profile():
    zendesk = ["Summation column", "Id", "Requester", "Requester email", "Assignee", "Group",
               "Subject", "Status", "Priority", "Created at", "Organization", "Solved at",
               "Satisfaction Score"]
    assert recognise(zendesk)[0][0].id == "zendesk.tickets"
    assert guess_entity(zendesk) == "tickets"


def test_header_signature_order_case_and_space_insensitive():
    base = ["Customer", "CSM", "ARR", "Renewal"]
    sigs = {header_signature(list(p)) for p in itertools.permutations(base)}
    assert len(sigs) == 1
    sig = sigs.pop()
    assert len(sig) == 64 and int(sig, 16) >= 0
    assert header_signature([" customer ", "csm", "arr", "RENEWAL"]) == sig
    assert header_signature(base + ["Unnamed: 4"]) == sig  # pandas filler columns ignored
    assert header_signature(base + ["Seats"]) != sig
    assert header_signature(base) == header_signature(tuple(base))  # stable across calls
