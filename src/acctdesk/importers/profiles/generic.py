"""Layouts of no particular vendor: tables people and data tools keep (a data warehouse
extract, a public data set, an in-house billing export) and files mapped by hand.

* :func:`transform_for` is the transform a fuzzy or hand-made mapping gets: it reads what
  such tables usually say with flags instead of statuses (a ticket with a close time and no
  status is solved; a subscription with a churn flag has ended, one with a trial flag is a
  trial) and rescales satisfaction ratings to 0-100 (a 1-5 rating r -> (r-1) x 25, a 0-10
  one x 10).
* ``generic.churn_events``: one row per churn event (account key, churn date, reason):
  kept as a "churn" entry in each account's timeline. An account can churn and come back,
  so events never overwrite an account's current status, which its accounts or billing
  export says.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from . import FieldMap, Profile, column_or_none, is_missing, register, truthy


def _tickets(df: pd.DataFrame) -> pd.DataFrame:
    if "status" not in df.columns or df["status"].isna().all():
        solved = column_or_none(df, "solved_at")
        df["status"] = pd.Series(np.where(solved.notna(), "solved", "open"), index=df.index,
                                 dtype=object)
    if "csat" in df.columns:
        vals = pd.to_numeric(df["csat"], errors="coerce")
        top = vals.max()
        if pd.notna(top) and top <= 5 and vals.min() >= 1:
            df["csat"] = ((vals - 1) * 25).round(2).astype(object).where(vals.notna(), None)
        elif pd.notna(top) and top <= 10:
            df["csat"] = (vals * 10).round(2).astype(object).where(vals.notna(), None)
    return df


def _subscriptions(df: pd.DataFrame) -> pd.DataFrame:
    status = column_or_none(df, "status")
    churned = column_or_none(df, "_churned").map(lambda v: False if is_missing(v) else truthy(v))
    trial = column_or_none(df, "_is_trial").map(lambda v: False if is_missing(v) else truthy(v))
    status = status.where(~(churned.astype(bool) & status.isna()), "ended")
    status = status.where(~(trial.astype(bool) & status.isna()), "trialing")
    if churned.any() or trial.any():
        df["status"] = status.astype(object)
    return df


def transform_for(entity: str) -> Callable[[pd.DataFrame], pd.DataFrame] | None:
    """The transform of a fuzzy or hand-made mapping of ``entity`` (see module docstring)."""
    return {"tickets": _tickets, "subscriptions": _subscriptions}.get(entity)


def _churn_events(df: pd.DataFrame) -> pd.DataFrame:
    """Reason and feedback become the entry's text."""
    df = df.copy()
    parts = [c for c in ("_reason", "_feedback") if c in df.columns]
    if parts:
        df["text"] = df[parts].apply(
            lambda r: " - ".join(str(v) for v in r if not is_missing(v)) or None, axis=1)
    if "text" in df.columns:
        df["text"] = df["text"].map(lambda t: f"Churned: {t}" if t else "Churned")
    else:
        df["text"] = "Churned"
    return df


CHURN_EVENTS = register(Profile(
    id="generic.churn_events",
    system="Churn log",
    entity="activities",
    source_key="generic",
    description="One row per churn event: a 'churn' entry in the account's timeline",
    fields=(
        FieldMap(("churn_event_id", "churn event id", "event_id", "event id", "id"),
                 "activity_id"),
        FieldMap(("account_id", "account id", "customer_id", "customer id", "account"),
                 "account.key", required=True),
        FieldMap(("churn_date", "churn date", "churned_at", "churned at", "cancelled_at",
                  "cancellation date", "date"), "date", "date", required=True),
        FieldMap(("reason_code", "reason", "churn_reason", "churn reason",
                  "cancellation_reason", "cancellation reason"), "_reason"),
        FieldMap(("feedback_text", "feedback", "comment", "comments"), "_feedback"),
    ),
    signature=("churn_event_id", "account_id", "churn_date", "reason_code",
               "feedback_text", "churn_reason", "churned_at", "cancellation_reason",
               "refund_amount_usd", "is_reactivation"),
    loose=True, distinctive=("churn_date", "churn_event_id", "churned_at", "churn_reason"),
    constants={"kind": "churn"},
    creates_accounts=False,
    transform=_churn_events,
))
