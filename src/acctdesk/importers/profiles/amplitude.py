"""Amplitude chart exports (chart > Export > Download CSV), grouped by a company property.

Amplitude writes user/group properties as "gp:<name>" (custom user property) in exports and
the UI. Wide layout (the chart CSV): a short preamble (chart name, date range) above a header
"<group-by property>, <period 1>, <period 2> ..." -- periods are days ("2025-03-01") or months
("Jan 2025") -- one row per company; metric from the chart (``wide_metric`` "active_users",
guess). Long layout (data table download, guess): Date, Event, gp:company_domain, Uniques.
Source: Amplitude help "Export chart data" (CSV download of chart data); column names guessed.
"""
from __future__ import annotations

from . import FieldMap, Profile, register

USAGE = register(Profile(
    id="amplitude.usage",
    system="Amplitude",
    entity="usage",
    source_key="amplitude",
    fields=(
        FieldMap(("Date", "Day"), "date", "date", required=True),
        FieldMap(("Event", "Metric", "Event Name"), "metric"),
        FieldMap(("gp:company_domain", "company_domain", "gp:domain", "Company Domain"),
                 "account.domain"),
        FieldMap(("gp:company", "gp:company_name", "Company"), "account.name"),
        FieldMap(("gp:company_id", "company_id"), "account.external_id"),
        FieldMap(("Uniques", "Event Totals", "Totals", "Value"), "value", "number",
                 required=True),
    ),
    signature=("Date", "Event", "gp:company_domain", "Uniques"),
    constants={"metric": "events"},
))

USAGE_WIDE = register(Profile(
    id="amplitude.usage_wide",
    system="Amplitude",
    entity="usage",
    source_key="amplitude",
    wide_metric="active_users",
    fields=(
        FieldMap(("gp:company_domain", "company_domain", "gp:domain"), "account.domain"),
        FieldMap(("gp:company", "gp:company_name"), "account.name"),
        FieldMap(("gp:company_id", "company_id"), "account.external_id"),
        FieldMap(("Event", "Metric"), "metric"),
    ),
    signature=("gp:company_domain",),
    reader_hints={"title_rows": 2},
))
