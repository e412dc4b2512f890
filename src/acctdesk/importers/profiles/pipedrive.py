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

from . import FieldMap, Profile, deal_to_subscription, register

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

DEALS = register(Profile(
    id="pipedrive.deals",
    system="Pipedrive",
    entity="subscriptions",
    source_key="pipedrive",
    fields=(
        FieldMap(("Deal - ID",), "sub_id", required=True),
        FieldMap(("Deal - Product", "Deal - Title"), "product", required=True),
        FieldMap(("Deal - Organization",), "account.name"),
        FieldMap(("Deal - Organization ID",), "account.external_id"),
        FieldMap(("Deal - Status",), "status"),
        FieldMap(("Deal - Value",), "arr", "money"),
        FieldMap(("Deal - Won time", "Deal - Expected close date"), "start_date", "date"),
        FieldMap(("Deal - Lost time",), "end_date", "date"),
    ),
    signature=("Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency",
               "Deal - Organization", "Deal - Status", "Deal - Owner"),
    status_map={"won": "won", "lost": "lost", "open": "open", "deleted": "lost"},
    transform=deal_to_subscription,
))
