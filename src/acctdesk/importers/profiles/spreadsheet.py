"""The spreadsheet an account manager keeps by hand (xlsx or csv, often Windows-1252).

No vendor: the most common real-world layout is one row per customer with columns such as
Customer, CSM, ARR, Renewal, Seats, Notes (+ Segment, Region, Domain, Health ...). Values are
typed by people: "$120,000", "120k" (not accepted: a row error), US or European dates, blank
cells. This profile recognises that layout; other hand-made layouts go through the fuzzy
mapper (``importers.mapping.suggest_mapping``) and a confirmed mapping.
"""
from __future__ import annotations

from . import FieldMap, Profile, register

ACCOUNT_BOOK = register(Profile(
    id="spreadsheet.accounts",
    system="Spreadsheet",
    entity="accounts",
    source_key="spreadsheet",
    fields=(
        FieldMap(("Customer", "Account", "Account Name", "Company", "Client", "Customer Name"),
                 "name", required=True),
        FieldMap(("Domain", "Website", "URL"), "domain"),
        FieldMap(("CSM", "Account Manager", "AM", "Owner", "CS Owner"), "owner"),
        FieldMap(("ARR", "Annual Recurring Revenue", "ARR ($)", "Contract Value"), "arr",
                 "money"),
        FieldMap(("Seats", "Licenses", "Licences", "Users"), "seats", "int"),
        FieldMap(("Renewal", "Renewal Date", "Contract End", "Renews"), "renewal_date", "date"),
        FieldMap(("Start", "Contract Start", "Customer Since"), "contract_start", "date"),
        FieldMap(("Segment", "Tier"), "segment"),
        FieldMap(("Region", "Territory"), "region"),
        FieldMap(("Industry", "Vertical"), "industry"),
        FieldMap(("Status",), "status"),
    ),
    signature=("Customer", "CSM", "ARR", "Renewal", "Seats", "Notes"),
))
