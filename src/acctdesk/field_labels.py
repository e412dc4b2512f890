"""What each stored field is called in front of a user: one table of labels.

The internal names (``sub_id``, ``account.external_id``, ``value:active_users``) stay the data
of mappings, JSON and the schema; screens show :func:`field_label` instead. Targets an import
uses only on its way in (names starting with ``_``, see the source profiles) have labels too,
since the import dialog's mapping shows them.
"""
from __future__ import annotations

#: (entity, field) -> label, where one field name means different things per entity
_BY_ENTITY = {
    ("accounts", "name"): "Account name",
    ("contacts", "name"): "Contact name",
    ("subscriptions", "arr"): "ARR of the subscription",
    ("subscriptions", "status"): "Subscription status",
    ("accounts", "status"): "Account status",
    ("tickets", "status"): "Ticket status",
    ("activities", "date"): "Date of the activity",
    ("activities", "kind"): "Kind (call, e-mail, QBR…)",
    ("surveys", "kind"): "Survey kind (NPS or CSAT)",
    ("surveys", "date"): "Date answered",
    ("usage", "date"): "Date",
    ("tickets", "source"): "Support system",
    ("surveys", "source"): "Survey tool",
    ("subscriptions", "source"): "Billing system",
}

LABELS = {
    # how a record finds its account
    "account": "Will link to account",
    "account_id": "Account",
    "account.name": "Account (name)",
    "account.domain": "Account (web domain)",
    "account.external_id": "Account (external id)",
    # accounts
    "name": "Name",
    "domain": "Web domain",
    "industry": "Industry",
    "segment": "Segment",
    "region": "Region",
    "owner": "Owner (CSM)",
    "arr": "ARR (annual recurring revenue)",
    "seats": "Seats",
    "contract_start": "Contract start",
    "contract_end": "Contract end",
    "renewal_date": "Renewal date",
    "status": "Status",
    "churn_date": "Churn date",
    # subscriptions
    "sub_id": "Subscription id",
    "product": "Product",
    "plan": "Plan",
    "quantity": "Quantity (seats)",
    "mrr": "MRR (monthly recurring revenue)",
    "start_date": "Start date",
    "end_date": "End date",
    "source": "Source system",
    "billing_flag": "Billing note (past due, cancels at period end…)",
    # usage
    "date": "Date",
    "metric": "Measure (such as active users)",
    "value": "Value",
    # tickets
    "ticket_id": "Ticket id",
    "created_at": "Opened",
    "solved_at": "Solved",
    "priority": "Priority",
    "csat": "Satisfaction (CSAT, 0-100)",
    "subject": "Subject",
    "requester_email": "Requester e-mail",
    # surveys
    "response_id": "Response id",
    "contact_email": "Contact e-mail",
    "kind": "Kind",
    "score": "Score",
    "comment": "Comment",
    # contacts
    "email": "E-mail",
    "title": "Job title",
    "role": "Role (champion, decision maker…)",
    "last_contact": "Last contact",
    # activities
    "activity_id": "Activity id",
    "text": "What happened",
    "author": "By",
    # opportunities (pipeline, never revenue)
    "opp_id": "Opportunity id",
    "stage": "Stage",
    "amount": "Amount",
    "probability": "Probability (%)",
    "close_date": "Close date",
    "created_date": "Created",
    "type": "Type (new, renewal, expansion…)",
    # read on the way in only
    "account.key": "Account (any id or name)",
    "_domain_names": "Web domains",
    "_is_deleted": "Deleted in the source",
    "_is_closed": "Closed",
    "_is_won": "Won",
    "_expected_close": "Expected close",
    "_lost_time": "Lost on",
    "_feedback": "Feedback",
    "_reason": "Reason",
    "_first": "First name",
    "_last": "Last name",
    "_email": "E-mail (to find the account)",
    "_description": "Description",
    "_amount": "Amount",
    "_amount_units": "Amount unit (cents or whole)",
    "_total": "Total amount",
    "_interval": "Billing interval",
    "_interval_count": "Billing intervals",
    "_period_start": "Period start",
    "_current_period_end": "Current period end",
    "_cancel_at_period_end": "Cancels at period end",
    "_nps_group": "NPS group",
    "_status": "Response status",
    "_rating": "Rating",
    "_satisfaction": "Satisfaction",
}


def words(name: str) -> str:
    """``"active_users"`` -> ``"active users"``."""
    return str(name).replace("_", " ").replace(".", " ").strip()


def field_label(name: str, entity: str | None = None) -> str:
    """The label of a stored field (or import target) ``name``, for ``entity`` when given."""
    name = str(name)
    if name.endswith(" (kept)"):         # a column of the file kept as it is: its own header
        return name
    if entity is not None and (entity, name) in _BY_ENTITY:
        return _BY_ENTITY[(entity, name)]
    if name in LABELS:
        return LABELS[name]
    if name.startswith("xid:"):         # xid:<system>:<kind>: an id another system uses
        system = words(name.split(":")[1]) if name.count(":") >= 1 else "another system"
        return f"Id in {system[:1].upper() + system[1:]} (links records)"
    if name.startswith("value:"):
        return f"Value of {words(name[6:])}"
    if name.startswith("value@"):
        return f"Value on {name[6:]}"
    text = words(name.lstrip("_"))
    return text[:1].upper() + text[1:] if text else name
