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

from . import FieldMap, Profile, full_name, register

COMPANIES = register(Profile(
    id="hubspot.companies",
    system="HubSpot",
    entity="accounts",
    source_key="hubspot",
    fields=(
        FieldMap(("Company name", "Name"), "name", required=True),
        FieldMap(("Record ID", "Company ID", "Record ID - Company", "hs_object_id"),
                 "account.external_id"),
        FieldMap(("Company Domain Name", "Website URL", "Website", "domain"), "domain"),
        FieldMap(("Customer Success Manager", "CSM", "Company owner"), "owner"),
        FieldMap(("Industry",), "industry"),
        FieldMap(("Segment", "Customer Segment", "Account Tier"), "segment"),
        FieldMap(("Region", "Sales Region"), "region"),
        FieldMap(("ARR", "Annual Recurring Revenue"), "arr", "money"),
        FieldMap(("Renewal Date", "Contract Renewal Date"), "renewal_date", "date"),
        FieldMap(("Lifecycle Stage", "lifecyclestage"), "status"),
        FieldMap(("Became a Customer Date", "Became a customer date"), "contract_start", "date"),
        FieldMap(("Churn Date", "Churned Date"), "churn_date", "date"),
    ),
    signature=("Record ID", "Company name", "Company Domain Name", "Company owner",
               "Lifecycle Stage", "Create Date"),
    loose=True, distinctive=("Record ID", "Company owner", "Company Domain Name",
                             "Lifecycle Stage"),
))

DEALS = register(Profile(
    id="hubspot.deals",
    system="HubSpot",
    entity="opportunities",
    source_key="hubspot",
    description="Deals export: pipeline (stage, amount, close date), never revenue",
    fields=(
        FieldMap(("Record ID", "Deal ID", "Record ID - Deal", "hs_object_id"), "opp_id",
                 required=True),
        FieldMap(("Deal Name", "dealname"), "name"),
        FieldMap(("Associated Company (Primary)", "Associated Company", "Company name"),
                 "account.name"),
        FieldMap(("Associated Company IDs (Primary)", "Associated Company IDs",
                  "Associated Company ID", "Record ID - Company"), "account.external_id"),
        FieldMap(("Deal Stage", "dealstage"), "stage"),
        FieldMap(("Amount", "amount", "Annual contract value", "ARR"), "amount", "money"),
        FieldMap(("Close Date", "closedate"), "close_date", "date"),
        FieldMap(("Create Date", "createdate"), "created_date", "date"),
        FieldMap(("Deal Type", "dealtype"), "type"),
        FieldMap(("Deal owner", "hubspot_owner_id"), "owner"),
        FieldMap(("Deal probability", "hs_deal_stage_probability"), "probability", "number"),
    ),
    signature=("Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date",
               "Deal owner"),
    loose=True, distinctive=("Record ID", "Deal Name", "Deal Stage", "Deal owner"),
))

CONTACTS = register(Profile(
    id="hubspot.contacts",
    system="HubSpot",
    entity="contacts",
    source_key="hubspot",
    fields=(
        FieldMap(("Email", "email"), "email", required=True),
        FieldMap(("Associated Company (Primary)", "Associated Company", "Company Name",
                  "company"), "account.name"),
        FieldMap(("Associated Company IDs (Primary)", "Associated Company IDs",
                  "Associated Company ID"), "account.external_id"),
        FieldMap(("Job Title", "jobtitle"), "title"),
        FieldMap(("Last Activity Date", "Last Contacted", "notes_last_contacted"),
                 "last_contact", "date"),
        FieldMap(("First Name", "firstname"), "_first"),
        FieldMap(("Last Name", "lastname"), "_last"),
    ),
    signature=("Record ID", "First Name", "Last Name", "Email", "Phone Number",
               "Contact owner", "Lifecycle Stage", "Create Date"),
    transform=full_name,
))

