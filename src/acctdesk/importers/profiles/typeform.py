"""Typeform responses export (Results > Responses > Download, CSV or XLSX).

Columns: "#" (the response token), one column per question (its title), hidden fields,
then "Response Type", "Start Date (UTC)", "Stage Date (UTC)", "Submit Date (UTC)",
"Network ID", "Tags" and the ending's text. An Opinion Scale or NPS question titled
"How likely are you to recommend ..." holds 0-10 answers; a question asking for the
company, or the respondent's work e-mail, links the answer to an account. Source: Typeform
help "Download your results" and exported files.
"""
from __future__ import annotations

from . import FieldMap, Profile, register

_SIGNATURE = ("#", "Response Type", "Start Date (UTC)", "Stage Date (UTC)",
              "Submit Date (UTC)", "Network ID", "Tags", "Ending")

RESPONSES = register(Profile(
    id="typeform.responses",
    system="Typeform",
    entity="surveys",
    source_key="typeform",
    fields=(
        FieldMap(("#", "Token", "Response ID"), "response_id", required=True),
        FieldMap(("re:how likely .*recommend", "re:likelihood to recommend", "re:\\bnps\\b"),
                 "score", "number", required=True),
        FieldMap(("re:(reason|why|what could we|improve|tell us)",), "comment"),
        FieldMap(("re:(work )?e ?mail", "Email"), "contact_email"),
        FieldMap(("re:(company|organi[sz]ation|business)( name)?$",), "account.name"),
        FieldMap(("Submit Date (UTC)", "Start Date (UTC)"), "date", "date"),
    ),
    signature=_SIGNATURE,
    loose=True, distinctive=("Network ID", "Submit Date (UTC)", "Stage Date (UTC)"),
    constants={"kind": "nps"},
))

OTHER = register(Profile(
    id="typeform.other_survey",
    system="Typeform",
    entity="surveys",
    source_key="typeform",
    fields=(FieldMap(("#",), "response_id"),),
    signature=_SIGNATURE,
    loose=True, distinctive=("Network ID", "Submit Date (UTC)", "Stage Date (UTC)"),
    weight=0.9,
    refuse=("is a Typeform responses export without a 0-10 'How likely are you to "
            "recommend' question, so it holds no NPS answers. acctdesk imports NPS surveys: "
            "export the form that asks it"),
))
