"""Google Analytics report export (GA4 Explore / Reports > Share > Download CSV).

The file starts with a "#" comment block::

    # ----------------------------------------
    # Free form 1
    # Account: ...
    # Property: ...
    # ----------------------------------------
    #
    # All Users
    # Start date: 20250301
    # End date: 20250331

then the header and rows; dates are "YYYYMMDD"; a totals row (empty dimensions) may follow.
For B2B accounts the per-account dimension is a custom dimension such as "Company domain"
(its name is whatever the property defined: guess). Each metric column becomes a metric.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, register


def _report(df: pd.DataFrame) -> pd.DataFrame:
    """Drop totals rows (no date or no account)."""
    keep = df["date"].notna() if "date" in df.columns else pd.Series(True, index=df.index)
    hints = [c for c in ("account.domain", "account.name", "account.external_id")
             if c in df.columns]
    if hints:
        keep &= df[hints].notna().any(axis=1)
    return df[keep].reset_index(drop=True)


REPORT = register(Profile(
    id="google_analytics.report",
    system="Google Analytics",
    entity="usage",
    source_key="google_analytics",
    fields=(
        FieldMap(("Date", "Day", "Day Index"), "date", "date", required=True),
        FieldMap(("Company domain", "Customer domain", "company_domain"), "account.domain"),
        FieldMap(("Company", "Company name", "Customer"), "account.name"),
        FieldMap(("Customer ID", "Account ID", "customer_id"), "account.external_id"),
        FieldMap(("Active users", "Users", "Total users"), "value:active_users", "number"),
        FieldMap(("New users",), "value:new_users", "number"),
        FieldMap(("Sessions",), "value:sessions", "number"),
        FieldMap(("Engaged sessions",), "value:engaged_sessions", "number"),
        FieldMap(("Event count",), "value:event_count", "number"),
        FieldMap(("Views", "Pageviews", "Screen page views"), "value:page_views", "number"),
    ),
    signature=("Date", "Active users", "Sessions"),
    reader_hints={"comment_prefix": "#"},
    needs_any=("account.domain", "account.name", "account.external_id"),
    transform=_report,
))

TRAFFIC = register(Profile(
    id="google_analytics.traffic",
    system="Google Analytics",
    entity="usage",
    source_key="google_analytics",
    description="A website-traffic report with no per-account dimension",
    fields=(FieldMap(("Date",), "date", "date"),),
    signature=("Active users", "Views", "Event count", "Sessions", "New users",
               "Engaged sessions", "Engagement rate", "Views per active user",
               "Average engagement time per active user", "Key events", "Total revenue",
               "Bounce rate", "Page path and screen class", "Page title and screen class",
               "Session source / medium", "First user source", "Country", "City"),
    loose=True, distinctive=("Active users", "Views", "Sessions", "Event count"),
    refuse=("is a Google Analytics report of website traffic: its rows are pages, sources "
            "or days, not customer accounts, so there is nothing to link to an account. "
            "Add a per-account dimension to the report (for example a custom dimension "
            "'Company domain' or 'Customer ID') and export it again, or import your "
            "product's usage per account instead"),
))
