"""Stripe Dashboard exports: Billing > Subscriptions > Export, Customers > Export (CSV).

Subscriptions columns (Dashboard "all columns"): id, Customer ID, Customer Name,
Customer Email, Plan, Product, Quantity, Currency, Interval, Amount, Status, Created (UTC),
Start (UTC), Start Date (UTC), Current Period Start (UTC), Current Period End (UTC),
Trial Start (UTC), Trial End (UTC), Canceled At (UTC), Cancel At Period End, Ended At (UTC),
Cancellation Reason, then one "<key> (metadata)" column per metadata key. Customers:
id, Description, Email, Name, Phone, Created (UTC), Delinquent, Account Balance, Currency,
Total Spend, Payment Count, "<key> (metadata)". Sources: public scripts reading these
exports (column lists with 'Current Period End (UTC)', 'Trial End (UTC)', 'Canceled At (UTC)',
'Ended At (UTC)', '... (metadata)'), Stripe API docs for statuses (incomplete,
incomplete_expired, trialing, active, past_due, canceled, unpaid, paused).
Amounts in Dashboard exports are decimal currency units (the API uses cents). "Amount" is the
price per unit per interval; MRR = Amount x Quantity normalised to a month.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, normalise_billing, register


def _subscriptions(df: pd.DataFrame) -> pd.DataFrame:
    """MRR from Amount x Quantity per Interval; past_due / cancel-at-period-end still pay."""
    df = normalise_billing(df, amount="_amount", quantity="quantity")
    if "product" in df.columns and "plan" in df.columns:
        df["product"] = df["product"].where(df["product"].notna(), df["plan"])
    return df


def _customers(df: pd.DataFrame) -> pd.DataFrame:
    """A customer without a Name is named by its Description, else its e-mail address."""
    df = df.copy()
    name = df["name"] if "name" in df.columns else pd.Series(None, index=df.index, dtype=object)
    for col in ("_description", "_email"):
        if col in df.columns:
            name = name.where(name.notna(), df[col])
    df["name"] = name.astype(object)
    return df


_NOT_REVENUE = ("acctdesk takes recurring revenue from subscriptions, not from single "
                "payments. In Stripe, export Billing > Subscriptions (all columns) instead, "
                "and Customers for the company details.")


SUBSCRIPTIONS = register(Profile(
    id="stripe.subscriptions",
    system="Stripe",
    entity="subscriptions",
    source_key="stripe",
    fields=(
        FieldMap(("id", "Subscription ID"), "sub_id", required=True),
        FieldMap(("Customer ID", "Customer"), "account.external_id", required=True),
        FieldMap(("Customer Name", "Customer Description"), "account.name"),
        FieldMap(("company_domain (metadata)", "domain (metadata)", "website (metadata)"),
                 "account.domain"),
        FieldMap(("Customer Email",), "_email"),
        FieldMap(("Product", "Product Name"), "product"),
        FieldMap(("Plan", "Price ID", "Plan ID"), "plan"),
        FieldMap(("Quantity",), "quantity", "number"),
        FieldMap(("Amount", "Plan Amount", "Price"), "_amount", "money", required=True),
        FieldMap(("Interval", "Plan Interval"), "_interval"),
        FieldMap(("Interval Count", "Plan Interval Count"), "_interval_count", "int"),
        FieldMap(("Status",), "status"),
        FieldMap(("Start Date (UTC)", "Start (UTC)", "Created (UTC)"), "start_date", "date"),
        FieldMap(("Ended At (UTC)",), "end_date", "date"),
        FieldMap(("Current Period End (UTC)",), "_current_period_end", "date"),
        FieldMap(("Cancel At Period End",), "_cancel_at_period_end", "bool"),
    ),
    signature=("id", "Customer ID", "Plan", "Quantity", "Interval", "Amount", "Status",
               "Created (UTC)", "Current Period End (UTC)", "Cancel At Period End"),
    status_map={"active": "active", "trialing": "trialing", "past_due": "past_due",
                "unpaid": "past_due", "canceled": "cancelled", "incomplete": "future",
                "incomplete_expired": "ended", "paused": "paused"},
    transform=_subscriptions,
))

CUSTOMERS = register(Profile(
    id="stripe.customers",
    system="Stripe",
    entity="accounts",
    source_key="stripe",
    fields=(
        FieldMap(("id", "Customer ID"), "account.external_id", required=True),
        FieldMap(("Name", "Customer Name"), "name"),
        FieldMap(("Description",), "_description"),
        FieldMap(("company_domain (metadata)", "domain (metadata)", "website (metadata)"),
                 "domain"),
        FieldMap(("Email",), "_email"),
    ),
    signature=("id", "Description", "Email", "Name", "Created (UTC)", "Delinquent",
               "Total Spend", "Payment Count"),
    transform=_customers,
))

INVOICES = register(Profile(
    id="stripe.invoices",
    system="Stripe",
    entity="subscriptions",
    source_key="stripe",
    fields=(FieldMap(("id",), "sub_id"),),
    signature=("id", "Customer", "Customer Email", "Amount Due", "Amount Paid",
               "Amount Remaining", "Attempted", "Closed", "Date (UTC)", "Number", "Paid",
               "Status", "Subscription", "Total"),
    loose=True, distinctive=("Amount Due", "Amount Paid", "Amount Remaining"),
    refuse="is a Stripe invoices export (one row per invoice). " + _NOT_REVENUE,
))

PAYMENTS = register(Profile(
    id="stripe.payments",
    system="Stripe",
    entity="subscriptions",
    source_key="stripe",
    fields=(FieldMap(("id",), "sub_id"),),
    signature=("id", "Created date (UTC)", "Amount", "Amount Refunded", "Currency", "Captured",
               "Converted Amount", "Converted Currency", "Fee", "Status", "Customer ID",
               "Payment Source Type", "Seller Message", "Taxes On Fee"),
    loose=True, distinctive=("Captured", "Converted Amount", "Amount Refunded", "Fee"),
    refuse="is a Stripe payments export (one row per charge). " + _NOT_REVENUE,
))
