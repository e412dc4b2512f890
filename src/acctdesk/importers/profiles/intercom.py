"""Intercom conversations export (Reports > Conversations > Export CSV), one row per conversation.

Columns (guess from Intercom's report export and third-party conversation exporters, which
agree on the content: conversation id, state open/closed/snoozed, created and closed
timestamps in UTC "YYYY-MM-DD HH:MM:SS", company, user e-mail, rating 1-5):
Conversation ID, Created at (UTC), Closed at (UTC), State, Priority, Conversation title,
Company name, Company ID, User name, User email, Teammate assigned, Team assigned,
Conversation rating, Conversation rating remark, Tags.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, csat_from_rating, normalise_priority, register


def _conversations(df: pd.DataFrame) -> pd.DataFrame:
    """Rating 1-5 -> csat 0-100; Intercom priority/not_priority -> high/normal."""
    df = df.copy()
    if "_rating" in df.columns:
        df["csat"] = csat_from_rating(df["_rating"], 5)
    if "priority" in df.columns:
        df["priority"] = normalise_priority(df["priority"])
    return df


CONVERSATIONS = register(Profile(
    id="intercom.conversations",
    system="Intercom",
    entity="tickets",
    source_key="intercom",
    fields=(
        FieldMap(("Conversation ID", "conversation_id", "Conversation Id"), "ticket_id",
                 required=True),
        FieldMap(("Created at (UTC)", "Conversation started at", "conversation_created_at",
                  "Created at"), "created_at", "datetime"),
        FieldMap(("Closed at (UTC)", "Last closed at", "conversation_closed_at", "Closed at"),
                 "solved_at", "datetime"),
        FieldMap(("State", "conversation_state"), "status"),
        FieldMap(("Priority",), "priority"),
        FieldMap(("Conversation title", "Title", "Subject"), "subject"),
        FieldMap(("Company name", "Company"), "account.name"),
        FieldMap(("Company ID",), "account.external_id"),
        FieldMap(("User email", "Contact email", "Email"), "requester_email"),
        FieldMap(("Conversation rating", "Rating"), "_rating", "number"),
    ),
    signature=("Conversation ID", "Created at (UTC)", "State", "Company name", "User email",
               "Teammate assigned", "Conversation rating"),
    status_map={"open": "open", "snoozed": "pending", "closed": "closed"},
    transform=_conversations,
))
