"""Zendesk Support ticket export (Admin Center > Account > Tools > Reports > Export, CSV).

Columns: Summation column, Id, Requester, Requester id, Requester external id,
Requester email, Requester domain, Submitter, Assignee, Group, Subject, Tags, Status,
Priority, Via, Ticket type, Created at, Updated at, Assigned at, Organization, Due date,
Initially assigned at, Solved at, Resolution time, Satisfaction Score, ... custom fields.
Status: New / Open / Pending / Hold (On-hold) / Solved / Closed. Satisfaction Score:
Good / Bad / Offered / Not Offered / Unoffered. Times "YYYY-MM-DD HH:MM" in the account's
time zone. Sources: Zendesk help "Exporting data to a JSON, CSV, or XML file"; the column
list is the classic CSV layout (guess where the help page is silent).
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, csat_from_words, normalise_priority, register


def _tickets(df: pd.DataFrame) -> pd.DataFrame:
    """Satisfaction words -> csat 0-100 (Offered/Not Offered -> missing); priority lower-case."""
    df = df.copy()
    if "_satisfaction" in df.columns:
        df["csat"] = csat_from_words(df["_satisfaction"])
    if "priority" in df.columns:
        df["priority"] = normalise_priority(df["priority"])
    return df


TICKETS = register(Profile(
    id="zendesk.tickets",
    system="Zendesk",
    entity="tickets",
    source_key="zendesk",
    fields=(
        FieldMap(("Id", "Ticket ID"), "ticket_id", required=True),
        FieldMap(("Organization", "Organization name"), "account.name"),
        FieldMap(("Requester email",), "requester_email"),
        FieldMap(("Subject",), "subject"),
        FieldMap(("Status",), "status"),
        FieldMap(("Priority",), "priority"),
        FieldMap(("Created at",), "created_at", "datetime"),
        FieldMap(("Solved at",), "solved_at", "datetime"),
        FieldMap(("Satisfaction Score", "Satisfaction rating"), "_satisfaction"),
    ),
    signature=("Summation column", "Id", "Requester", "Requester email", "Assignee", "Group",
               "Subject", "Status", "Priority", "Created at", "Organization", "Solved at",
               "Satisfaction Score"),
    status_map={"new": "open", "open": "open", "pending": "pending", "hold": "pending",
                "on_hold": "pending", "solved": "solved", "closed": "closed"},
    transform=_tickets,
))
