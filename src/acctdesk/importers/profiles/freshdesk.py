"""Freshdesk ticket export (Tickets > Export, CSV or Excel).

Columns: Ticket ID, Subject, Status, Priority, Source, Type, Agent, Group, Created time,
Due by Time, Resolved time, Closed time, Last update time, Initial response time,
Time tracked, First response time (in hrs), Resolution time (in hrs), Agent interactions,
Customer interactions, Resolution status, First response status, Tags, Survey results,
Company Name, Contact ID, Customer Satisfaction ... Status Open/Pending/Resolved/Closed or a
custom status ("Waiting on Customer"); Priority Low/Medium/High/Urgent; times
"YYYY-MM-DD HH:MM:SS". "Contact ID" holds the requester's e-mail in exports. Satisfaction is
the classic 3-point ("Awesome" / "Just Okay" / "Not Good") or 5-point wording.
Sources: Freshdesk API ticket schema (status 2..5 = Open/Pending/Resolved/Closed, priority
1..4 = Low/Medium/High/Urgent) and Freshdesk help on ticket export (column list partly guess).
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, csat_from_words, normalise_priority, register


def _tickets(df: pd.DataFrame) -> pd.DataFrame:
    """Satisfaction wording -> csat 0-100; Medium -> normal; non-e-mail contact ids dropped."""
    df = df.copy()
    if "_satisfaction" in df.columns:
        df["csat"] = csat_from_words(df["_satisfaction"])
    if "priority" in df.columns:
        df["priority"] = normalise_priority(df["priority"])
    if "requester_email" in df.columns:
        df["requester_email"] = df["requester_email"].map(
            lambda v: v if isinstance(v, str) and "@" in v else None).astype(object)
    return df


TICKETS = register(Profile(
    id="freshdesk.tickets",
    system="Freshdesk",
    entity="tickets",
    source_key="freshdesk",
    fields=(
        FieldMap(("Ticket ID", "Ticket Id"), "ticket_id", required=True),
        FieldMap(("Subject",), "subject"),
        FieldMap(("Status",), "status"),
        FieldMap(("Priority",), "priority"),
        FieldMap(("Created time", "Created Time"), "created_at", "datetime"),
        FieldMap(("Resolved time", "Closed time"), "solved_at", "datetime"),
        FieldMap(("Company Name", "Company"), "account.name"),
        FieldMap(("Contact ID", "Requester Email", "Email"), "requester_email"),
        FieldMap(("Customer Satisfaction", "Survey results", "Satisfaction Rating"),
                 "_satisfaction"),
    ),
    signature=("Ticket ID", "Subject", "Status", "Priority", "Source", "Type", "Agent",
               "Group", "Created time", "Resolved time", "Company Name", "Contact ID"),
    status_map={"open": "open", "pending": "pending", "resolved": "solved", "closed": "closed",
                "waiting_on_customer": "pending", "waiting_on_third_party": "pending"},
    transform=_tickets,
))
