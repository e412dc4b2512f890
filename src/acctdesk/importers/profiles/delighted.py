"""Delighted responses export (Responses > Export > CSV).

Columns: Response ID, Score, Comment, Name, Email, Created at, Updated at, Tags, Notes,
Permalink, then one column per person property (e.g. "Company", "Plan"). Source: Delighted API
"Listing survey responses" (id, person, survey_type, score, comment, permalink, created_at,
person_properties, notes, tags) -- the CSV export flattens the same object; header spelling
and the "YYYY-MM-DD HH:MM:SS UTC" time format are guesses. Score 0-10 (NPS projects).
"""
from __future__ import annotations

from . import FieldMap, Profile, register

RESPONSES = register(Profile(
    id="delighted.responses",
    system="Delighted",
    entity="surveys",
    source_key="delighted",
    fields=(
        FieldMap(("Response ID", "ID"), "response_id", required=True),
        FieldMap(("Score",), "score", "number", required=True),
        FieldMap(("Comment",), "comment"),
        FieldMap(("Email", "Person email"), "contact_email"),
        FieldMap(("Created at", "Response timestamp", "Created"), "date", "date"),
        FieldMap(("Company", "Company name", "Account"), "account.name"),
        FieldMap(("Survey type",), "kind"),
    ),
    signature=("Response ID", "Score", "Comment", "Email", "Created at", "Permalink", "Tags",
               "Notes"),
    constants={"kind": "nps"},
))
