"""Subscription and deal statuses (compared lower-case and trimmed).

A billing export's subscription carries a status; a CRM export's deals were stored beside them
with a deal status. What each status means for revenue, ownership and churn is decided here
and nowhere else:

* :data:`DEAL_STATUSES` -- CRM deals (``won``, ``lost``, ``open``): pipeline, never revenue.
  They never count towards MRR or ARR and never end or start a customer relationship.
* :data:`PAYING_STATUSES` -- a live subscription that is billed (``active``, ``past_due``,
  ``non_renewing``); an account's ARR is 12 x the MRR of these.
* :data:`NOT_PAYING_STATUSES` -- trials and incomplete checkouts: live, but not revenue yet.
* :data:`ENDED_STATUSES` -- the subscription is over.
* :data:`TRIAL_STATUSES` / :data:`PIPELINE_STATUSES` -- what the whitespace matrix shows as
  "trial" and "pipeline" instead of "owned".
* :data:`NOT_STARTED_STATUSES` -- announced but not begun: a subscription with one of these
  statuses does not move the workspace's data date.
"""
from __future__ import annotations

#: CRM deals stored beside subscriptions: pipeline, never revenue.
DEAL_STATUSES = frozenset({"won", "lost", "open"})
#: live subscriptions that are billed.
PAYING_STATUSES = frozenset({"active", "past_due", "non_renewing"})
#: live but not paying yet (never count towards MRR).
NOT_PAYING_STATUSES = frozenset({"trialing", "trial", "in_trial", "incomplete",
                                 "incomplete_expired"})
#: the subscription is over (without an end date nobody can tell when it ended).
ENDED_STATUSES = frozenset({"cancelled", "canceled", "ended", "expired", "churned",
                            "terminated"})
#: statuses that end a subscription even when it carries no end date (ownership).
CLOSED_STATUSES = ENDED_STATUSES | {"inactive", "lost"}
#: "in trial" rather than "owned" (whitespace matrix).
TRIAL_STATUSES = frozenset({"trial", "trialing", "trialling", "in_trial", "in trial",
                            "free_trial", "free trial", "pilot", "poc"})
#: "in the pipeline": quoted, not yet bought (whitespace matrix).
PIPELINE_STATUSES = frozenset({"pipeline", "opportunity", "quote", "quoted", "proposed",
                               "proposal", "pending", "future", "scheduled"})
#: announced, not begun: such rows do not move the data date.
NOT_STARTED_STATUSES = frozenset({"future", "open", "lost", "trialing"})
#: ticket statuses that mean "closed" when a ticket has no ``solved_at``.
CLOSED_TICKET_STATUSES = ("solved", "closed", "resolved", "done", "cancelled", "canceled")


def status_keys(values, index=None):
    """A column of statuses (or any labels) as compared: each trimmed and lower-cased, ``""``
    for missing; each distinct value converted once. Returns a Series (on ``index``, default
    the column's)."""
    import numpy as np
    import pandas as pd

    col = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    table = np.array([str(u).strip().lower() for u in uniques] + [""], dtype=object)
    return pd.Series(table[codes], index=col.index if index is None else index, dtype=object)


def status_key(value) -> str:
    """A status as compared: trimmed and lower-cased (``""`` for missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip().lower()
