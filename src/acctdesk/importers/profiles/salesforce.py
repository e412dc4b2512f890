"""Salesforce exports: reports (accounts, opportunities) and object exports (API names).

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

Object exports (Data Loader, Workbench, the weekly Data Export, sfdx) name columns by API
name: Account (Id, IsDeleted, Name, Type, ParentId, Website, Industry, AnnualRevenue,
NumberOfEmployees, OwnerId, ...), Opportunity (Id, AccountId, Name, StageName, Amount,
Probability, CloseDate, Type, IsClosed, IsWon, ForecastCategory, CreatedDate ...), Case
(Id, CaseNumber, ContactId, AccountId, Status, Origin, Subject, Priority, IsClosed,
ClosedDate, CreatedDate, SuppliedEmail, ContactEmail ...), Contact (Id, AccountId,
FirstName, LastName, Name, Email, Title ...). Ids are 15 or 18 characters (the 18-character
form adds a checksum; both link, see ``importers.match.normalise_id``). Rows with
``IsDeleted`` true are records in the recycle bin and are left out. Opportunities are
pipeline, never revenue; ``IsWon``/``IsClosed`` decide won/lost/open when present (they are
flags, never dates).
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, drop_report_rows, full_name, register, truthy

FOOTER_LINES = (
    "Confidential Information - Do Not Distribute",
    "Copyright (c) 2000-2025 salesforce.com, inc. All rights reserved.",
)
ACCOUNT_TYPES = {"Customer - Direct": "active", "Customer - Channel": "active",
                 "Customer": "active",
                 "Prospect": "prospect", "Former Customer": "churned",
                 "Channel Partner / Reseller": "partner", "Installation Partner": "partner",
                 "Technology Partner": "partner", "Other": None}
CASE_STATUS = {"New": "open", "Working": "open", "Open": "open", "Escalated": "open",
               "In Progress": "open", "On Hold": "pending", "Waiting on Customer": "pending",
               "Pending": "pending", "Closed": "closed", "Resolved": "solved",
               "Solved": "solved"}


def _not_deleted(df: pd.DataFrame) -> pd.DataFrame:
    """Leave out records in the recycle bin (IsDeleted true)."""
    if "_is_deleted" not in df.columns:
        return df
    keep = ~df["_is_deleted"].map(truthy)
    return df[keep].reset_index(drop=True)


def _accounts(df: pd.DataFrame) -> pd.DataFrame:
    """Drop subtotal/total/footer rows; fill the grouping (account owner) down."""
    return drop_report_rows(df, group_columns=("owner",))


def _opportunities(df: pd.DataFrame) -> pd.DataFrame:
    """Drop report rows and fill the grouping (account) down."""
    return drop_report_rows(df, group_columns=("account.name", "account.external_id"))


def _cases(df: pd.DataFrame) -> pd.DataFrame:
    """Deleted cases out; a closed case with no status word is closed."""
    df = _not_deleted(df)
    if "_is_closed" in df.columns:
        closed = df["_is_closed"].map(truthy)
        status = df["status"] if "status" in df.columns else pd.Series(None, index=df.index)
        df = df.assign(status=status.where(status.notna() | ~closed, "closed").astype(object))
    if "priority" in df.columns:
        df["priority"] = df["priority"].map(
            lambda v: None if v is None or v != v else
            {"low": "low", "medium": "normal", "high": "high", "critical": "urgent",
             "urgent": "urgent"}.get(str(v).strip().lower(), str(v).strip().lower()))
    return df


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
        FieldMap(("Type", "Account Type"), "status"),
    ),
    signature=("Account Name", "Account ID", "Account Owner", "Type", "Industry", "Website",
               "Billing Country"),
    status_map=ACCOUNT_TYPES,
    transform=_accounts,
))

OPPORTUNITIES = register(Profile(
    id="salesforce.opportunities",
    system="Salesforce",
    entity="opportunities",
    source_key="salesforce",
    description="Opportunities report: pipeline (stage, amount, close date), never revenue",
    fields=(
        FieldMap(("Opportunity ID", "Opportunity: Opportunity ID", "Opportunity 18 Digit ID"),
                 "opp_id", required=True),
        FieldMap(("Opportunity Name", "Opportunity: Opportunity Name"), "name"),
        FieldMap(("Account Name", "Account: Account Name"), "account.name"),
        FieldMap(("Account ID", "Account: Account ID"), "account.external_id"),
        FieldMap(("Stage",), "stage"),
        FieldMap(("Amount", "Amount (converted)", "ARR"), "amount", "money"),
        FieldMap(("Close Date",), "close_date", "date"),
        FieldMap(("Created Date",), "created_date", "date"),
        FieldMap(("Type",), "type"),
        FieldMap(("Opportunity Owner", "Opportunity Owner: Full Name"), "owner"),
        FieldMap(("Probability (%)", "Probability"), "probability", "number"),
    ),
    signature=("Opportunity Name", "Account Name", "Stage", "Amount", "Close Date",
               "Opportunity Owner", "Probability (%)", "Type"),
    transform=_opportunities,
))

ACCOUNT_OBJECT = register(Profile(
    id="salesforce.account_object",
    system="Salesforce",
    entity="accounts",
    source_key="salesforce",
    description="Account object export (API field names)",
    fields=(
        FieldMap(("Id",), "account.external_id", required=True),
        FieldMap(("Name",), "name", required=True),
        FieldMap(("Website",), "domain"),
        FieldMap(("Industry",), "industry"),
        FieldMap(("Type", "Classification__c", "Customer_Status__c", "Account_Status__c",
                  "Status__c"), "status"),
        FieldMap(("Customer_Success_Manager__c", "CSM__c", "Owner.Name", "OwnerName"), "owner"),
        FieldMap(("ARR__c", "Annual_Recurring_Revenue__c", "Current_ARR__c"), "arr", "money"),
        FieldMap(("Renewal_Date__c", "Next_Renewal_Date__c"), "renewal_date", "date"),
        FieldMap(("Segment__c", "Customer_Segment__c"), "segment"),
        FieldMap(("Region__c", "Sales_Region__c"), "region"),
        FieldMap(("Churn_Date__c",), "churn_date", "date"),
        FieldMap(("IsDeleted",), "_is_deleted", "bool"),
    ),
    signature=("Id", "IsDeleted", "Name", "Type", "ParentId", "BillingCity", "Industry",
               "AnnualRevenue", "NumberOfEmployees", "OwnerId", "Website"),
    loose=True, distinctive=("BillingCity", "NumberOfEmployees", "AnnualRevenue", "ParentId", "IsDeleted"),
    status_map=ACCOUNT_TYPES,
    transform=_not_deleted,
))

OPPORTUNITY_OBJECT = register(Profile(
    id="salesforce.opportunity_object",
    system="Salesforce",
    entity="opportunities",
    source_key="salesforce",
    description="Opportunity object export (API field names): pipeline, never revenue",
    fields=(
        FieldMap(("Id",), "opp_id", required=True),
        FieldMap(("AccountId",), "account.external_id"),
        FieldMap(("Account.Name", "AccountName"), "account.name"),
        FieldMap(("Name",), "name"),
        FieldMap(("StageName",), "stage"),
        FieldMap(("Amount",), "amount", "money"),
        FieldMap(("Probability",), "probability", "number"),
        FieldMap(("CloseDate",), "close_date", "date"),
        FieldMap(("CreatedDate",), "created_date", "date"),
        FieldMap(("Type",), "type"),
        FieldMap(("Owner.Name", "OwnerName", "OwnerId"), "owner"),
        FieldMap(("IsClosed",), "_is_closed", "bool"),
        FieldMap(("IsWon",), "_is_won", "bool"),
        FieldMap(("IsDeleted",), "_is_deleted", "bool"),
    ),
    signature=("Id", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate",
               "IsClosed", "IsWon"),
    loose=True, distinctive=("StageName", "IsWon", "ForecastCategory"),
    transform=_not_deleted,
))

CASE_OBJECT = register(Profile(
    id="salesforce.case_object",
    system="Salesforce",
    entity="tickets",
    source_key="salesforce",
    description="Case object export (API field names)",
    fields=(
        FieldMap(("CaseNumber", "Id"), "ticket_id", required=True),
        FieldMap(("AccountId",), "account.external_id"),
        FieldMap(("SuppliedCompany", "Account.Name"), "account.name"),
        FieldMap(("Subject",), "subject"),
        FieldMap(("Status",), "status"),
        FieldMap(("Priority",), "priority"),
        FieldMap(("CreatedDate",), "created_at", "datetime"),
        FieldMap(("ClosedDate",), "solved_at", "datetime"),
        FieldMap(("ContactEmail", "SuppliedEmail"), "requester_email"),
        FieldMap(("ContactId",), "xid:salesforce_contact:contact"),
        FieldMap(("IsClosed",), "_is_closed", "bool"),
        FieldMap(("IsDeleted",), "_is_deleted", "bool"),
    ),
    signature=("Id", "CaseNumber", "ContactId", "AccountId", "Status", "Origin", "Subject",
               "Priority", "IsClosed", "ClosedDate"),
    loose=True, distinctive=("CaseNumber", "SuppliedEmail", "Origin"),
    status_map=CASE_STATUS,
    transform=_cases,
))

CONTACT_OBJECT = register(Profile(
    id="salesforce.contact_object",
    system="Salesforce",
    entity="contacts",
    source_key="salesforce",
    description="Contact object export (API field names)",
    fields=(
        FieldMap(("Email",), "email", required=True),
        FieldMap(("AccountId",), "account.external_id"),
        FieldMap(("Name",), "name"),
        FieldMap(("FirstName",), "_first"),
        FieldMap(("LastName",), "_last"),
        FieldMap(("Title",), "title"),
        FieldMap(("LastActivityDate",), "last_contact", "date"),
        FieldMap(("Id",), "xid:salesforce_contact:contact"),
        FieldMap(("IsDeleted",), "_is_deleted", "bool"),
    ),
    signature=("Id", "AccountId", "LastName", "FirstName", "Name", "Email", "Title",
               "MailingCity", "OwnerId"),
    loose=True, distinctive=("FirstName", "LastName", "MailingCity", "ReportsToId"),
    transform=lambda df: full_name(_not_deleted(df)),
))
