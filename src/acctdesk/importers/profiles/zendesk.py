"""Zendesk Support ticket export (Admin Center > Account > Tools > Reports > Export, CSV).

Columns: Summation column, Id, Requester, Requester id, Requester external id,
Requester email, Requester domain, Submitter, Assignee, Group, Subject, Tags, Status,
Priority, Via, Ticket type, Created at, Updated at, Assigned at, Organization, Due date,
Initially assigned at, Solved at, Resolution time, Satisfaction Score, ... custom fields.
Status: New / Open / Pending / Hold (On-hold) / Solved / Closed. Satisfaction Score:
Good / Bad / Offered / Not Offered / Unoffered. Times "YYYY-MM-DD HH:MM" in the account's
time zone. Sources: Zendesk help "Exporting data to a JSON, CSV, or XML file"; the column
list is the classic CSV layout (guess where the help page is silent).

Exports with API field names (the incremental export API, Explore, scripts, Zendesk's own
sample data): organizations (id, name, domain_names as a list, details, notes, tags ...),
users (id, name, email, organization_id, role ...) and tickets (id, subject, description,
status, priority, requester_id, organization_id, created_at ...; custom fields such as a
"business name" follow). Instances use custom status sets (waiting, assigned, done,
retracted ...): they are read as open / pending / solved / closed.
"""
from __future__ import annotations

import ast
import re

import pandas as pd

from . import FieldMap, Profile, csat_from_words, full_name, normalise_priority, register
from ..domains import identity_domain


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


#: ticket statuses of the API and of custom status sets, in canonical words
API_STATUS = {"new": "open", "open": "open", "assigned": "open", "in_progress": "open",
              "engineering": "open", "external": "pending", "pending": "pending",
              "waiting": "pending", "hold": "pending", "on_hold": "pending",
              "solved": "solved", "done": "solved", "resolved": "solved",
              "closed": "closed", "retracted": "closed", "deleted": "closed"}


def _first_domain(value):
    """``domain_names`` as exported: a list ("['acme.com', 'protonmail.com']"), a bare
    domain, or a domain in parentheses. The first that identifies a company wins."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    items = None
    if text.startswith("["):
        try:
            items = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            items = None
    if items is None:
        items = re.split(r"[\s,;]+", text)
    for item in items:
        dom = identity_domain(str(item).strip(" ()'\""))
        if dom:
            return dom
    return None


def _organizations(df: pd.DataFrame) -> pd.DataFrame:
    """The first company domain of ``domain_names``."""
    df = df.copy()
    if "_domain_names" in df.columns:
        doms = df["_domain_names"].map(_first_domain)
        base = df["domain"] if "domain" in df.columns else pd.Series(None, index=df.index)
        df["domain"] = base.where(base.notna(), doms).astype(object)
    return df


def _api_tickets(df: pd.DataFrame) -> pd.DataFrame:
    """Priority in canonical words; satisfaction words -> csat."""
    df = _tickets(df)
    if "_satisfaction" not in df.columns and "csat" in df.columns:
        df["csat"] = csat_from_words(df["csat"])
    return df


ORGANIZATIONS = register(Profile(
    id="zendesk.organizations",
    system="Zendesk",
    entity="accounts",
    source_key="zendesk",
    description="Organizations (Admin Center export or API field names)",
    fields=(
        FieldMap(("id", "Organization ID"), "account.external_id", required=True),
        FieldMap(("name", "Name", "Organization"), "name", required=True),
        FieldMap(("domain_names", "Domain names", "Domains"), "_domain_names"),
        FieldMap(("group", "Group"), "segment"),
    ),
    signature=("id", "name", "domain_names", "details", "notes", "external_id", "tags",
               "group_id", "shared_tickets", "shared_comments", "created_at", "updated_at"),
    loose=True, distinctive=("domain_names", "shared_tickets", "shared_comments"),
    transform=_organizations,
))

def _users(df: pd.DataFrame) -> pd.DataFrame:
    """Agents and admins are the vendor's own staff, not contacts of a customer."""
    df = full_name(df)
    if "role" in df.columns:
        staff = df["role"].map(lambda r: str(r).strip().lower() in ("agent", "admin")
                               if r is not None and r == r else False)
        df["rows.reject"] = pd.Series(
            ["a support agent or admin of your own team, not a customer contact" if s else None
             for s in staff], index=df.index, dtype=object)
    return df


USERS = register(Profile(
    id="zendesk.users",
    system="Zendesk",
    entity="contacts",
    source_key="zendesk",
    description="Users (end users and agents) with their organization",
    fields=(
        FieldMap(("email", "Email"), "email"),
        FieldMap(("organization_id", "Organization ID"), "account.external_id"),
        FieldMap(("organization", "Organization"), "account.name"),
        FieldMap(("name", "Name"), "name"),
        FieldMap(("role", "Role"), "role"),
        FieldMap(("last_login_at", "Last login"), "last_contact", "date"),
        FieldMap(("id",), "xid:zendesk_user:user"),
    ),
    signature=("id", "name", "email", "organization_id", "role", "phone", "time_zone",
               "locale", "verified", "last_login_at", "created_at", "tags"),
    loose=True, distinctive=("organization_id", "role", "time_zone", "locale"),
    transform=_users,
))

TICKETS_API = register(Profile(
    id="zendesk.tickets_api",
    system="Zendesk",
    entity="tickets",
    source_key="zendesk",
    description="Tickets with API field names (incremental export, Explore or a script)",
    fields=(
        FieldMap(("id",), "ticket_id", required=True),
        FieldMap(("organization_id",), "account.external_id"),
        FieldMap(("organization_name", "organization", "business name", "company",
                  "company name"), "account.name"),
        FieldMap(("requester_email", "requester.email"), "requester_email"),
        FieldMap(("requester_id",), "xid:zendesk_user:user"),
        FieldMap(("subject",), "subject"),
        FieldMap(("status",), "status"),
        FieldMap(("priority",), "priority"),
        FieldMap(("created_at",), "created_at", "datetime"),
        FieldMap(("solved_at", "metric_set.solved_at"), "solved_at", "datetime"),
        FieldMap(("satisfaction_rating", "satisfaction_rating.score"), "_satisfaction"),
    ),
    signature=("id", "created_at", "updated_at", "subject", "description", "status",
               "priority", "requester_id", "submitter_id", "assignee_id", "organization_id",
               "tags", "type", "due_at"),
    loose=True, distinctive=("requester_id", "submitter_id", "assignee_id"),
    status_map=API_STATUS,
    transform=_api_tickets,
))
