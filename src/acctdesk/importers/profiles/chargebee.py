"""Chargebee exports (Data > Export > Subscriptions / Customers): CSV files in a ZIP.

Headers are "<resource>.<attribute>": subscriptions.id, subscriptions.customer_id,
subscriptions.plan_id, subscriptions.plan_quantity, subscriptions.plan_unit_price,
subscriptions.plan_amount, subscriptions.billing_period, subscriptions.billing_period_unit,
subscriptions.currency_code, subscriptions.status (future / in_trial / active / non_renewing /
paused / cancelled), subscriptions.started_at, subscriptions.current_term_start,
subscriptions.current_term_end, subscriptions.cancelled_at, subscriptions.created_at, plus
joined customers.* columns; customers.id, customers.first_name, customers.last_name,
customers.email, customers.company, customers.phone ... Sources: Chargebee data catalog /
API docs (statuses, billing_period + billing_period_unit), public migration scripts reading
'subscriptions.id', 'subscriptions.plan_id', 'subscriptions.plan_quantity',
'subscriptions.plan_unit_price', 'subscriptions.status', 'subscriptions.current_term_end'.
Money columns are in the currency's minor unit (cents), as in the API (guess for the CSV:
it follows the API). plan_amount = plan_unit_price x plan_quantity per billing period.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, normalise_billing, register


def _subscriptions(df: pd.DataFrame) -> pd.DataFrame:
    """MRR from plan_amount (or unit price x quantity) per billing_period x unit."""
    df = normalise_billing(df, amount="_amount", quantity="quantity", amount_is_total="_total")
    if "product" in df.columns and "plan" in df.columns:
        df["product"] = df["product"].where(df["product"].notna(), df["plan"])
    elif "plan" in df.columns:
        df["product"] = df["plan"]
    return df


SUBSCRIPTIONS = register(Profile(
    id="chargebee.subscriptions",
    system="Chargebee",
    entity="subscriptions",
    source_key="chargebee",
    fields=(
        FieldMap(("subscriptions.id",), "sub_id", required=True),
        FieldMap(("subscriptions.customer_id", "customers.id"), "account.external_id",
                 required=True),
        FieldMap(("customers.company",), "account.name"),
        FieldMap(("customers.email",), "_email"),
        FieldMap(("plans.name", "subscriptions.plan_name"), "product"),
        FieldMap(("subscriptions.plan_id", "subscriptions.item_price_id"), "plan"),
        FieldMap(("subscriptions.plan_quantity",), "quantity", "number"),
        FieldMap(("subscriptions.plan_unit_price",), "_amount", "money_cents"),
        FieldMap(("subscriptions.plan_amount",), "_total", "money_cents"),
        FieldMap(("subscriptions.billing_period_unit", "plans.period_unit"), "_interval"),
        FieldMap(("subscriptions.billing_period", "plans.period"), "_interval_count", "int"),
        FieldMap(("subscriptions.status",), "status", required=True),
        FieldMap(("subscriptions.started_at", "subscriptions.activated_at",
                  "subscriptions.start_date", "subscriptions.created_at"), "start_date", "date"),
        FieldMap(("subscriptions.cancelled_at",), "end_date", "date"),
        FieldMap(("subscriptions.current_term_end",), "_current_period_end", "date"),
    ),
    signature=("subscriptions.id", "subscriptions.customer_id", "subscriptions.plan_id",
               "subscriptions.plan_quantity", "subscriptions.status",
               "subscriptions.current_term_end", "subscriptions.billing_period_unit"),
    status_map={"future": "future", "in_trial": "trialing", "active": "active",
                "non_renewing": "non_renewing", "paused": "paused", "cancelled": "cancelled"},
    transform=_subscriptions,
))

def _customers(df: pd.DataFrame) -> pd.DataFrame:
    """A customer with no company is named by its e-mail address."""
    df = df.copy()
    name = df["name"] if "name" in df.columns else pd.Series(None, index=df.index, dtype=object)
    if "_email" in df.columns:
        name = name.where(name.notna(), df["_email"])
    df["name"] = name.astype(object)
    return df


CUSTOMERS = register(Profile(
    id="chargebee.customers",
    system="Chargebee",
    entity="accounts",
    source_key="chargebee",
    fields=(
        FieldMap(("customers.id",), "account.external_id", required=True),
        FieldMap(("customers.company",), "name"),
        FieldMap(("customers.email",), "_email"),
        FieldMap(("customers.cf_domain", "customers.website"), "domain"),
    ),
    signature=("customers.id", "customers.first_name", "customers.last_name",
               "customers.email", "customers.company", "customers.auto_collection"),
    transform=_customers,
))

CUSTOMERS_UI = register(Profile(
    id="chargebee.customers_ui",
    system="Chargebee",
    entity="accounts",
    source_key="chargebee",
    description="Customers exported with the screen's column labels",
    fields=(
        FieldMap(("Customer Id", "Customer ID"), "account.external_id", required=True),
        FieldMap(("Company",), "name"),
        FieldMap(("Email",), "_email"),
        FieldMap(("Website", "Domain"), "domain"),
    ),
    signature=("Customer Id", "First Name", "Last Name", "Email", "Company",
               "Auto Collection", "Net Term Days", "Taxability", "Customer Portal Status",
               "Card Status", "Created At", "Allow Direct Debit"),
    loose=True, distinctive=("Auto Collection", "Net Term Days", "Customer Portal Status",
                             "Taxability"),
    transform=_customers,
))
