"""Salesforce report exports: accounts and opportunities.

Two export styles share one profile per report type (the header row is the same):

* "Formatted Report" (.xlsx): a title block (report name, "Filtered By:" lines, blank row)
  above the header; when grouped ("summary" report) the group value is printed only on the
  first row of each group, each group ends with a "Subtotal" row, and the sheet ends with a
  "Grand Totals (N records)" row and the "Confidential Information - Do Not Distribute" /
  "Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved." footer.
* "Details Only" (.csv): header on row 1, every cell filled, the same footer lines at the end.

The reader finds the header below the title block and drops footer rows; the transform also
drops any subtotal/total/footer row still present and fills group values down (only when
summary rows show the export is grouped). Sources: Salesforce help "Export a Report" and
public report-cleaning scripts that strip the same footer lines. Column labels are the
standard field labels; "ARR", "Renewal Date", "Customer Success Manager" are custom fields
most CS teams add (guess: labels vary per org, the fuzzy mapper covers the rest).
"Annual Revenue" is the customer company's own revenue, never ARR: it stays unmapped.
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, deal_to_subscription, drop_report_rows, register

FOOTER_LINES = (
    "Confidential Information - Do Not Distribute",
    "Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.",
)


def _accounts(df: pd.DataFrame) -> pd.DataFrame:
    """Drop subtotal/total/footer rows; fill the grouping (account owner) down."""
    return drop_report_rows(df, group_columns=("owner",))


def _opportunities(df: pd.DataFrame) -> pd.DataFrame:
    """Drop report rows, fill the grouping (account) down, stages -> won/lost/open, mrr=arr/12."""
    df = drop_report_rows(df, group_columns=("account.name", "account.external_id"))
    if "status" in df.columns:
        df["status"] = df["status"].map(
            lambda s: s if s in ("won", "lost") else (None if s is None else "open")).astype(object)
    return deal_to_subscription(df)


ACCOUNTS = register(Profile(
    id="salesforce.accounts",
    system="Salesforce",
    entity="accounts",
    source_key="salesforce",
    description="Accounts report (formatted .xlsx or details-only .csv)",
    fields=(
        FieldMap(("Account Name", "Account: Account Name"), "name", required=True),
        FieldMap(("Account ID", "Account 18 Digit ID", "Account: Account ID", "Account Id"),
                 "account.external_id"),
        FieldMap(("Website", "Account: Website", "Domain"), "domain"),
        FieldMap(("Customer Success Manager", "CSM", "Account Owner", "Account Owner: Full Name"),
                 "owner"),
        FieldMap(("Industry",), "industry"),
        FieldMap(("Segment", "Customer Segment", "Account Segment"), "segment"),
        FieldMap(("Region", "Sales Region", "Billing Region"), "region"),
        FieldMap(("ARR", "Annual Recurring Revenue", "ARR (converted)", "Current ARR"), "arr",
                 "money"),
        FieldMap(("Licensed Seats", "Seats", "Number of Licenses"), "seats", "int"),
        FieldMap(("Contract Start Date", "Contract Start"), "contract_start", "date"),
        FieldMap(("Contract End Date", "Contract End"), "contract_end", "date"),
        FieldMap(("Renewal Date", "Next Renewal Date"), "renewal_date", "date"),
        FieldMap(("Churn Date",), "churn_date", "date"),
    ),
    signature=("Account Name", "Account ID", "Account Owner", "Type", "Industry", "Website",
               "Billing Country"),
    transform=_accounts,
))

OPPORTUNITIES = register(Profile(
    id="salesforce.opportunities",
    system="Salesforce",
    entity="subscriptions",
    source_key="salesforce",
    description="Opportunities report; Amount is taken as the annual contract value",
    fields=(
        FieldMap(("Opportunity ID", "Opportunity: Opportunity ID", "Opportunity 18 Digit ID"),
                 "sub_id", required=True),
        FieldMap(("Product Name", "Product", "Opportunity Name"), "product", required=True),
        FieldMap(("Account Name", "Account: Account Name"), "account.name"),
        FieldMap(("Account ID", "Account: Account ID"), "account.external_id"),
        FieldMap(("Stage",), "status"),
        FieldMap(("ARR", "Amount", "Amount (converted)"), "arr", "money"),
        FieldMap(("Quantity", "Seats"), "quantity", "number"),
        FieldMap(("Contract Start Date", "Close Date"), "start_date", "date"),
        FieldMap(("Contract End Date",), "end_date", "date"),
    ),
    signature=("Opportunity Name", "Account Name", "Stage", "Amount", "Close Date",
               "Opportunity Owner", "Probability (%)", "Type"),
    status_map={"Closed Won": "won", "Closed Lost": "lost", "Won": "won", "Lost": "lost"},
    transform=_opportunities,
))
