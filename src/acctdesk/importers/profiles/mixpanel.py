"""Mixpanel Insights exports (report > Export > CSV), per company (Group Analytics).

Two layouts, both guesses at the common shape (Mixpanel's docs describe the reports, not the
CSV columns): a table view exported long -- Date, Event, Company, Unique Users (one row per
day, event and company) -- and a line chart exported wide -- Event, Company, then one column
per day ("2025-03-01", ...). An empty cell in the wide layout means "no data" (dropped), a 0
is a real zero. Group key columns "company_id" / "$group_id" are accepted as external ids.
"""
from __future__ import annotations

from . import FieldMap, Profile, register

USAGE = register(Profile(
    id="mixpanel.usage",
    system="Mixpanel",
    entity="usage",
    source_key="mixpanel",
    fields=(
        FieldMap(("Date", "Day", "Time"), "date", "date", required=True),
        FieldMap(("Event", "Metric"), "metric"),
        FieldMap(("Company", "company_name", "$group_name", "Company Name"), "account.name"),
        FieldMap(("company_id", "$group_id", "Company ID"), "account.external_id"),
        FieldMap(("Unique Users", "Total Events", "Uniques", "Value", "Count"), "value",
                 "number", required=True),
    ),
    signature=("Date", "Event", "Company", "Unique Users"),
    constants={"metric": "events"},
))

USAGE_WIDE = register(Profile(
    id="mixpanel.usage_wide",
    system="Mixpanel",
    entity="usage",
    source_key="mixpanel",
    wide_metric="events",
    fields=(
        FieldMap(("Event", "Metric"), "metric"),
        FieldMap(("Company", "company_name", "$group_name", "Company Name"), "account.name"),
        FieldMap(("company_id", "$group_id", "Company ID"), "account.external_id"),
    ),
    signature=("Event", "Company"),
))
