"""SurveyMonkey "All responses data" export (Analyze > Save as > Export file > CSV, expanded).

Two header rows: row 1 holds the respondent metadata columns -- Respondent ID, Collector ID,
Start Date, End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1 -- and
the question texts; row 2 holds the answer labels ("Response", "Open-Ended Response"), so the
reader must skip one row after the header (``reader_hints``). Dates are US style
"MM/DD/YYYY HH:MM:SS AM". The NPS question is found by its wording ("How likely is it that you
would recommend ..."). Source: SurveyMonkey help "Exporting survey results" (condensed and
expanded CSV layouts); metadata column names from real exports (guess where undocumented).
"""
from __future__ import annotations

from . import FieldMap, Profile, register

_SIGNATURE = ("Respondent ID|RespondentID", "Collector ID|CollectorID",
              "Start Date|StartDate", "End Date|EndDate", "IP Address", "Email Address",
              "First Name", "Last Name|LastName")
_MARKS = ("Respondent ID", "Collector ID", "RespondentID", "CollectorID")

RESPONSES = register(Profile(
    id="surveymonkey.responses",
    system="SurveyMonkey",
    entity="surveys",
    source_key="surveymonkey",
    fields=(
        FieldMap(("Respondent ID", "RespondentID"), "response_id", required=True),
        FieldMap(("re:how likely .*recommend", "re:\\bnps\\b"), "score", "number",
                 required=True),
        FieldMap(("re:(reason|why|comment|improve|tell us)",), "comment"),
        FieldMap(("Email Address", "Email"), "contact_email"),
        FieldMap(("End Date", "Start Date", "EndDate", "StartDate"), "date", "date"),
        FieldMap(("Custom Data 1", "Company", "re:(company|organi[sz]ation)( name)?$",
                  "re:name of (company|organi[sz]ation)"), "account.name"),
    ),
    signature=_SIGNATURE,
    loose=True, distinctive=_MARKS,
    constants={"kind": "nps"},
    reader_hints={"date_order": "MDY"},
))

OTHER = register(Profile(
    id="surveymonkey.other_survey",
    system="SurveyMonkey",
    entity="surveys",
    source_key="surveymonkey",
    fields=(FieldMap(("Respondent ID", "RespondentID"), "response_id"),),
    signature=_SIGNATURE,
    loose=True, distinctive=_MARKS,
    weight=0.9,
    refuse=("is a SurveyMonkey export without a 0-10 'How likely is it that you would "
            "recommend' question, so it holds no NPS answers. acctdesk imports NPS surveys: "
            "export the survey that asks it"),
))
