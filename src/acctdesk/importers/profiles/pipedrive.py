"""Pipedrive exports (Organizations / Deals list view > Export), CSV or XLSX.

Every header is prefixed with the object: "Organization - Name", "Organization - Owner",
"Organization - Address"; "Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency",
"Deal - Organization", "Deal - Status" (open / won / lost), "Deal - Owner",
"Deal - Won time", "Deal - Lost time", "Deal - Expected close date", "Deal - Pipeline",
"Deal - Stage". Sources: public Pipedrive import/export templates and scripts that read the
export ("Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Organization",
"Deal - Status", "Organization - Name", "Organization - Owner", "Organization - Address").
"Organization - Website" / "Organization - Industry" exist in newer accounts or as custom
fields (guess). "Organization - Annual revenue" is the company's revenue, not ARR.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, register

ORGANIZATIONS = register(Profile(
    id="pipedrive.organizations",
    system="Pipedrive",
    entity="accounts",
    source_key="pipedrive",
    fields=(
        FieldMap(("Organization - Name", "Organization name"), "name", required=True),
        FieldMap(("Organization - ID",), "account.external_id"),
        FieldMap(("Organization - Website", "Organization - Domain"), "domain"),
        FieldMap(("Organization - CSM", "Organization - Owner"), "owner"),
        FieldMap(("Organization - Industry",), "industry"),
        FieldMap(("Organization - Segment", "Organization - Label"), "segment"),
        FieldMap(("Organization - Region",), "region"),
        FieldMap(("Organization - ARR",), "arr", "money"),
    ),
    signature=("Organization - ID", "Organization - Name", "Organization - Owner",
               "Organization - Address", "Organization - Label"),
))

def _close_date(df: pd.DataFrame) -> pd.DataFrame:
    """Won time, else lost time, else the expected close date."""
    df = df.copy()
    close = df["close_date"] if "close_date" in df.columns else pd.Series(None, index=df.index)
    for col in ("_lost_time", "_expected_close"):
        if col in df.columns:
            close = close.where(close.notna(), df[col])
    df["close_date"] = close.astype(object)
    return df


DEALS = register(Profile(
    id="pipedrive.deals",
    system="Pipedrive",
    entity="opportunities",
    source_key="pipedrive",
    description="Deals export: pipeline (stage, value, close date), never revenue",
    fields=(
        FieldMap(("Deal - ID",), "opp_id", required=True),
        FieldMap(("Deal - Title",), "name"),
        FieldMap(("Deal - Organization",), "account.name"),
        FieldMap(("Deal - Organization ID",), "account.external_id"),
        FieldMap(("Deal - Status",), "stage"),
        FieldMap(("Deal - Value",), "amount", "money"),
        FieldMap(("Deal - Won time", "Deal - Close date"), "close_date", "date"),
        FieldMap(("Deal - Lost time",), "_lost_time", "date"),
        FieldMap(("Deal - Expected close date",), "_expected_close", "date"),
        FieldMap(("Deal - Deal created", "Deal - Add time"), "created_date", "date"),
        FieldMap(("Deal - Owner",), "owner"),
        FieldMap(("Deal - Probability",), "probability", "number"),
    ),
    transform=_close_date,
    signature=("Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency",
               "Deal - Organization", "Deal - Status", "Deal - Owner"),
))
