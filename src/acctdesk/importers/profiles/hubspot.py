"""HubSpot CRM exports (Contacts & companies > Export; Deals > Export), CSV or XLSX.

Headers are the property labels: "Record ID", "Company name", "Company Domain Name",
"Company owner", "Industry", "Number of Employees", "Annual Revenue", "Lifecycle Stage",
"Create Date" (companies); "Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount",
"Close Date", "Deal owner", "Associated Company" (deals). Sources: HubSpot knowledge base
"Set up your import files" / "Export records" and public scripts reading the exports
(e.g. a company export subset ["Record ID", "Company name", "Company Domain Name",
"Country/Region", "Annual Revenue", "Industry" ...]). "Associated Company IDs" and the
"Sales Region"/"CSM" columns are custom/association columns (guess). "Annual Revenue" and
"Number of Employees" describe the customer's company (not ARR, not licensed seats).
Deal stages are exported with their labels ("Closed won", "Closed lost", others open).
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, deal_to_subscription, register


def _deals(df: pd.DataFrame) -> pd.DataFrame:
    """Deal stage -> won / lost / open; Amount is an annual contract value: mrr = arr / 12."""
    if "status" in df.columns:
        df = df.copy()
        df["status"] = df["status"].map(
            lambda s: s if s in ("won", "lost") else (None if s is None else "open")).astype(object)
    return deal_to_subscription(df)


COMPANIES = register(Profile(
    id="hubspot.companies",
    system="HubSpot",
    entity="accounts",
    source_key="hubspot",
    fields=(
        FieldMap(("Company name", "Name"), "name", required=True),
        FieldMap(("Record ID", "Company ID"), "account.external_id"),
        FieldMap(("Company Domain Name", "Website URL", "Website"), "domain"),
        FieldMap(("Customer Success Manager", "CSM", "Company owner"), "owner"),
        FieldMap(("Industry",), "industry"),
        FieldMap(("Segment", "Customer Segment", "Account Tier"), "segment"),
        FieldMap(("Region", "Sales Region"), "region"),
        FieldMap(("ARR", "Annual Recurring Revenue"), "arr", "money"),
        FieldMap(("Renewal Date", "Contract Renewal Date"), "renewal_date", "date"),
    ),
    signature=("Record ID", "Company name", "Company Domain Name", "Company owner",
               "Lifecycle Stage", "Create Date"),
))

DEALS = register(Profile(
    id="hubspot.deals",
    system="HubSpot",
    entity="subscriptions",
    source_key="hubspot",
    fields=(
        FieldMap(("Record ID", "Deal ID"), "sub_id", required=True),
        FieldMap(("Deal Name",), "product", required=True),
        FieldMap(("Associated Company", "Associated Company (Primary)", "Company name"),
                 "account.name"),
        FieldMap(("Associated Company IDs", "Associated Company ID"), "account.external_id"),
        FieldMap(("Deal Stage",), "status"),
        FieldMap(("Annual contract value", "ARR", "Amount"), "arr", "money"),
        FieldMap(("Close Date",), "start_date", "date"),
    ),
    signature=("Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date",
               "Deal owner"),
    status_map={"Closed won": "won", "Closed lost": "lost", "closedwon": "won",
                "closedlost": "lost"},
    transform=_deals,
))
