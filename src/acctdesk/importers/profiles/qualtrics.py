"""Qualtrics response export (Data & Analysis > Export data > CSV, choice text).

Three header rows: question ids (StartDate, EndDate, Status, IPAddress, Progress,
Duration (in seconds), Finished, RecordedDate, ResponseId, RecipientLastName,
RecipientFirstName, RecipientEmail, ExternalReference, LocationLatitude, LocationLongitude,
DistributionChannel, UserLanguage, Q1, Q1_NPS_GROUP, Q2 ..., embedded data such as Company),
then question texts, then {"ImportId": ...} JSON -- the reader skips two rows after the header
(``reader_hints``). Status "Survey Preview" / "Survey Test" / "Spam" responses are not real and
are dropped. The NPS question is the column that has a "<id>_NPS_GROUP" companion (default ids
"Q1"/"Q1_NPS_GROUP"; the first "Q<n>" column is taken when renamed ids are absent -- guess),
the next "Q<n>" column is the comment. Source: Qualtrics support "Understanding your dataset"
("CSV and TSV files come with 3 rows of headers ...").
"""
from __future__ import annotations

import pandas as pd

from . import FieldMap, Profile, register

NOT_REAL = {"survey preview", "survey test", "spam", "preview spam", "1", "2", "8", "16"}


def _responses(df: pd.DataFrame) -> pd.DataFrame:
    """Drop preview / test / spam responses."""
    if "_status" not in df.columns:
        return df
    real = ~df["_status"].map(lambda v: str(v).strip().lower() in NOT_REAL if v is not None
                              else False)
    return df[real].reset_index(drop=True)


RESPONSES = register(Profile(
    id="qualtrics.responses",
    system="Qualtrics",
    entity="surveys",
    source_key="qualtrics",
    fields=(
        FieldMap(("ResponseId", "ResponseID"), "response_id", required=True),
        FieldMap(("NPS", "Q_NPS", "re:\\bnps$", "re:how likely .*recommend",
                  "re:likelihood to recommend", "companion:_NPS_GROUP"), "score", "number"),
        FieldMap(("NPS_Reason", "Comment", "re:(reason|why|comment|improve|tell us)",
                  "re:^q\\d+(?: text)?$"), "comment"),
        FieldMap(("RecipientEmail",), "contact_email"),
        FieldMap(("RecordedDate", "EndDate"), "date", "date"),
        FieldMap(("Company", "company", "Account"), "account.name"),
        FieldMap(("ExternalReference", "ExternalDataReference"), "account.external_id"),
        FieldMap(("Status",), "_status"),
        FieldMap(("re:nps group$",), "_nps_group"),
    ),
    signature=("StartDate", "EndDate", "Status", "IPAddress", "Finished", "ResponseId"),
    constants={"kind": "nps"},
    needs_any=("score",),
    transform=_responses,
))

NO_NPS = register(Profile(
    id="qualtrics.other_survey",
    system="Qualtrics",
    entity="surveys",
    source_key="qualtrics",
    fields=(FieldMap(("ResponseId", "ResponseID"), "response_id"),),
    signature=("StartDate", "EndDate", "Status", "IPAddress", "Finished", "ResponseId"),
    weight=0.9,
    refuse=("is a Qualtrics survey export without a 0-10 'How likely are you to recommend' "
            "question, so it holds no NPS answers. acctdesk imports NPS surveys: add that "
            "question (Qualtrics' NPS question type) or export the survey that has it"),
))
