"""Recurly exports (Exports > Subscriptions / Accounts), CSV.

Subscriptions (export v4): uuid, account_code, first_name, last_name, company_name, email,
plan_code, plan_name, state, quantity, unit_amount_in_cents, currency, activated_at,
canceled_at, expires_at, current_period_started_at, current_period_ends_at, trial_started_at,
trial_ends_at, plan_interval_length, plan_interval_unit ... custom_field_* last.
Dates are "YYYY-MM-DD HH:MM:SS UTC". States: active, canceled, expired, future, paused.
Recurly's "canceled" means *will not renew* (live until expires_at): still paying, so it maps
to non_renewing; "expired" is the real end. Accounts: account_code, state (active / closed),
email, first_name, last_name, company_name, created_at ...
Sources: Recurly docs "Subscriptions - export" / "Accounts - export" (filters, uuid,
account_code, activated_at, modified_at, states). The amount column name
(unit_amount_in_cents, API v2 naming) and the interval columns are guesses; a decimal
"unit_amount" column is accepted too.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, normalise_billing, register


def _subscriptions(df: pd.DataFrame) -> pd.DataFrame:
    """Start falls back to the current period start (future subscriptions); MRR per interval."""
    df = df.copy()
    if "_amount" not in df.columns and "_amount_units" in df.columns:
        df["_amount"] = df["_amount_units"]
    elif "_amount_units" in df.columns:
        df["_amount"] = df["_amount"].where(df["_amount"].notna(), df["_amount_units"])
    if "_period_start" in df.columns:
        if "start_date" in df.columns:
            df["start_date"] = df["start_date"].where(df["start_date"].notna(),
                                                      df["_period_start"])
        else:
            df["start_date"] = df["_period_start"]
    df = normalise_billing(df, amount="_amount", quantity="quantity")
    if "product" in df.columns and "plan" in df.columns:
        df["product"] = df["product"].where(df["product"].notna(), df["plan"])
    return df


SUBSCRIPTIONS = register(Profile(
    id="recurly.subscriptions",
    system="Recurly",
    entity="subscriptions",
    source_key="recurly",
    fields=(
        FieldMap(("uuid", "subscription_uuid", "subscription_id"), "sub_id", required=True),
        FieldMap(("account_code",), "account.external_id", required=True),
        FieldMap(("company_name", "company"), "account.name"),
        FieldMap(("email", "account_email"), "_email"),
        FieldMap(("plan_name",), "product"),
        FieldMap(("plan_code",), "plan"),
        FieldMap(("quantity",), "quantity", "number"),
        FieldMap(("unit_amount_in_cents",), "_amount", "money_cents"),
        FieldMap(("unit_amount",), "_amount_units", "money"),
        FieldMap(("plan_interval_unit", "interval_unit"), "_interval"),
        FieldMap(("plan_interval_length", "interval_length"), "_interval_count", "int"),
        FieldMap(("state", "subscription_state"), "status", required=True),
        FieldMap(("activated_at",), "start_date", "date"),
        FieldMap(("current_period_started_at",), "_period_start", "date"),
        FieldMap(("expires_at",), "end_date", "date"),
        FieldMap(("current_period_ends_at",), "_current_period_end", "date"),
    ),
    signature=("uuid", "account_code", "plan_code", "state", "quantity",
               "unit_amount_in_cents", "activated_at", "expires_at", "current_period_ends_at"),
    status_map={"active": "active", "canceled": "non_renewing", "expired": "ended",
                "future": "future", "paused": "paused", "failed": "ended",
                "in_trial": "trialing", "trial": "trialing"},
    transform=_subscriptions,
))

ACCOUNTS = register(Profile(
    id="recurly.accounts",
    system="Recurly",
    entity="accounts",
    source_key="recurly",
    fields=(
        FieldMap(("account_code",), "account.external_id", required=True),
        FieldMap(("company_name", "company"), "name", required=True),
        FieldMap(("email",), "_email"),
        FieldMap(("state", "account_state"), "status"),
    ),
    signature=("account_code", "state", "email", "company_name", "created_at", "vat_number",
               "cc_emails"),
    status_map={"active": "active", "closed": "churned"},
))
