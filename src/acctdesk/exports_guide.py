"""What to export from which system: the words of the first-run guide (app, command line, README).

One table, so the app's guide, ``acctdesk new`` and the README name the same menu paths. The
paths are the ones the source profiles were written from (see the docstring of each module
in ``acctdesk.importers.profiles``); menus move between releases of those products, so each
entry names the export by what it is called, not only where it sits.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportKind:
    """One kind of export: what it is, what acctdesk gets from it, and where each system
    keeps it (``(system, menu path)`` pairs)."""

    title: str
    gives: str
    where: tuple[tuple[str, str], ...]


EXPORT_KINDS: tuple[ExportKind, ...] = (
    ExportKind(
        "Accounts from your CRM",
        "who your customers are, who owns each one, segment, region and renewal date",
        (("Salesforce", "Reports › New Report › Accounts, run it, then Export › "
                        "Details Only (CSV) or Formatted Report (Excel)"),
         ("HubSpot", "CRM › Companies › Export (CSV or Excel)"),
         ("Pipedrive", "Organizations list › … › Export"),
         ("Your own spreadsheet", "the sheet you keep by hand: one row per customer with "
                                  "columns such as Customer, CSM, ARR, Renewal, Seats"))),
    ExportKind(
        "Deals and opportunities from your CRM",
        "the open renewal and expansion pipeline (never counted as revenue)",
        (("Salesforce", "Reports › New Report › Opportunities › Export"),
         ("HubSpot", "CRM › Deals › Export"),
         ("Pipedrive", "Deals list › … › Export"))),
    ExportKind(
        "Contacts from your CRM",
        "who your champions, decision makers and executive sponsors are",
        (("HubSpot", "CRM › Contacts › Export"),
         ("Salesforce", "Setup › Data Export, or Data Loader › Export › Contact"),
         ("Zendesk", "Admin Center › Account › Tools › Reports › Export › Users"))),
    ExportKind(
        "Subscriptions from your billing system",
        "what each account pays, for which products and seats: this sets ARR and MRR",
        (("Stripe", "Billing › Subscriptions › Export (all columns), and Customers › Export"),
         ("Chargebee", "Data › Export › Subscriptions and Customers"),
         ("Recurly", "Exports › Subscriptions and Accounts"))),
    ExportKind(
        "Support tickets",
        "urgent and open tickets, escalations and satisfaction ratings",
        (("Zendesk", "Admin Center › Account › Tools › Reports › Export (CSV)"),
         ("Salesforce", "Setup › Data Export, or Data Loader › Export › Case"),
         ("Intercom", "Reports › Conversations › Export CSV"),
         ("Freshdesk", "Tickets › Export (CSV or Excel)"))),
    ExportKind(
        "Product usage",
        "active users, logins and features adopted per account, month by month",
        (("Mixpanel", "an Insights report broken down by company › Export › CSV"),
         ("Amplitude", "a chart grouped by a company property › Export › Download CSV"),
         ("Google Analytics", "Reports or Explore › Share › Download CSV"))),
    ExportKind(
        "NPS and CSAT surveys",
        "what your customers' people say, and how that changes",
        (("Delighted", "Responses › Export › CSV"),
         ("SurveyMonkey", "Analyze › Save as › Export file › All responses data (CSV)"),
         ("Qualtrics", "Data & Analysis › Export data › CSV (choice text)"),
         ("Typeform", "Results › Responses › Download (CSV or Excel)"))),
)

#: how the files get in, in the app and on the command line
HOW_TO_IMPORT = (
    "Drop the files anywhere on the acctdesk window, all at once and in any order, or use "
    "File › Import Files… (Ctrl+I). acctdesk recognises each system's export, shows you how "
    "it reads every column before anything is stored, and links the records of all your "
    "systems to the same accounts. Every import can be undone from the Imports view; the "
    "files stay where they are and nothing leaves this computer."
)

#: what a first import needs at the least
START_WITH = (
    "Start with your accounts (CRM or your own spreadsheet) and your billing subscriptions: "
    "with those two, acctdesk shows your ARR, renewals and a first worklist. Tickets, usage "
    "and surveys then feed the health score and churn risk."
)


def guide_text() -> str:
    """The guide as plain text (for the command line)."""
    lines = [START_WITH, ""]
    for kind in EXPORT_KINDS:
        lines.append(f"{kind.title}: {kind.gives}.")
        for system, path in kind.where:
            lines.append(f"  {system}: {path}")
    return "\n".join(lines)
