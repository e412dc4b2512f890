"""Planning: how one sheet maps onto the workspace, decided before anything is written.

A sheet is recognised by its header (the source profiles' signatures) *and* by its values:
each profile's mapped columns are checked against the kinds of their fields
(:mod:`importers.fit`), so a column of yes/no flags is never a date, an id never an amount,
and a layout is never taken for tickets, NPS or usage its values do not fit. A column mapped
by a profile whose values do not fit is left unmapped (kept as a custom field) and said so.

Ids of the company in *other* systems that a file carries (a product workspace id in billing
metadata, a "Billing ID" or "Stripe Customer ID" kept in the CRM) are mapped too, to targets
``xid:<system>:<kind>``, so that a later file keyed only by one of them links through it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..models import import_store
from .fit import column_fit, nps_fit
from .mapping import header_signature, rank_entities, suggest_mapping
from .profiles import (FieldMap, Profile, generic, get, map_frame, normalise_header,
                       recognise, standard_transform)
from .readers import Sheet

#: a profile must score at least this to be used without asking
MIN_CONFIDENCE = 0.6
#: below this share of fitting values a mapped column is taken to mean something else
MIN_FIT = 0.5

__all__ = ["MIN_CONFIDENCE", "SheetPlan", "plan_sheet", "save_mapping", "melted_columns",
           "adhoc_profile", "id_columns"]


@dataclass
class SheetPlan:
    """What importing one sheet would do, before anything is written (the dialog shows it)."""

    sheet: Sheet
    profile: Profile | None
    confidence: float
    candidates: list[tuple[str, float]]
    mapping: dict[str, str]            # source column -> target
    how: str                           # profile | saved | suggested | user | none
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    extra_header_rows: int = 0         # rows below the header that are more header

    @property
    def entity(self) -> str | None:
        return self.profile.entity if self.profile else None


# ---------------------------------------------------------------------------- ids elsewhere
#: header patterns (normalised) naming a company's id in another system -> (system, kind)
_ID_HEADERS: tuple[tuple[re.Pattern, str, str], ...] = tuple(
    (re.compile(rx), system, kind) for rx, system, kind in (
        (r"^(stripe (customer )?id|stripe customer|stripe cus id)$", "stripe", "customer"),
        (r"^(salesforce|sfdc|sf)( account)? id$|^(salesforce|sfdc) (18|15) ?digit id$",
         "salesforce", "account"),
        (r"^hubspot( company)? (record )?id$", "hubspot", "company"),
        (r"^chargebee( customer)? id$", "chargebee", "customer"),
        (r"^recurly( account)? (code|id)$", "recurly", "account"),
        (r"^zendesk (organi[sz]ation|org) id$", "zendesk", "organization"),
        (r"^intercom( company)? id$", "intercom", "company"),
        (r"^pipedrive (organi[sz]ation|org) id$", "pipedrive", "organization"),
        (r"^billing (customer |account )?id$", "billing", "customer"),
        (r"(^|^cf |\bcf |^customers? |^account )(workspace|tenant|instance|org|"
         r"organi[sz]ation|team|project|app|site|space) ?(id|uuid|key|slug)( metadata)?$",
         "product", "workspace"),
        (r"^(workspace|tenant|subdomain|account slug)( metadata)?$", "product", "workspace"),
        (r"^(account|org|organi[sz]ation|company|workspace|tenant|team|customer|client|app|"
         r"project|site|instance) ?(id|uuid|key|slug)? metadata$", "product", "account"),
    ))
_VALUE_SYSTEMS = ((re.compile(r"^cus_[A-Za-z0-9]{6,}$"), "stripe"),
                  (re.compile(r"^001[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$"), "salesforce"))


def _id_target(header: str) -> tuple[str, str] | None:
    norm = normalise_header(header)
    for rx, system, kind in _ID_HEADERS:
        if rx.search(norm):
            return system, kind
    return None


def id_columns(frame: pd.DataFrame, mapping: dict[str, str], profile: Profile
               ) -> dict[str, str]:
    """{column: 'xid:<system>:<kind>'} for unmapped columns holding a company's id in
    another system. A column named for the file's own system is the profile's business."""
    out = {}
    for col in frame.columns:
        if col in mapping or str(col).startswith("column_"):
            continue
        hit = _id_target(str(col))
        if hit is None:
            continue
        system, kind = hit
        if system == profile.source_key:
            continue
        if system == "billing":
            sample = frame[col].dropna().astype(str).head(50)
            for rx, sys_ in _VALUE_SYSTEMS:
                if len(sample) and sample.map(lambda v: bool(rx.match(v))).mean() > 0.8:
                    system = sys_
                    break
        out[str(col)] = f"xid:{system}:{kind}"
    return out


# ---------------------------------------------------------------------------- layouts
def melted_columns(sheet: Sheet) -> tuple[str, str] | None:
    """(period column, value column) when the reader turned a wide layout long."""
    if not any("wide layout" in n or "into rows" in n for n in sheet.notes):
        return None
    cols = [str(c) for c in sheet.frame.columns]
    period = next((c for c in cols if c.startswith("period")), None)
    value = next((c for c in reversed(cols) if c.startswith("value")), None)
    return (period, value) if period and value else None


_LEGACY_IDS = re.compile(r"^V\d+$")


def _legacy_qualtrics(sheet: Sheet) -> Sheet:
    """Qualtrics' legacy export: row 1 holds V1..V10 / Q1..Qn, row 2 the real names
    (ResponseID, ResponseSet, ...) and the question texts. Re-header from row 2, keeping the
    question id in front of its text ("Q1 How likely ...")."""
    cols = [str(c) for c in sheet.frame.columns]
    if not len(sheet.frame) or sum(bool(_LEGACY_IDS.match(c)) for c in cols) < 5:
        return sheet
    first = sheet.frame.iloc[0]
    if "responseid" not in {normalise_header(v).replace(" ", "") for v in first if
                            isinstance(v, str)}:
        return sheet
    names, seen = [], set()
    for c, v in zip(cols, first):
        text = str(v).strip() if isinstance(v, str) and v.strip() else c
        name = text if _LEGACY_IDS.match(c) or text == c else f"{c} {text}"
        while name in seen:
            name += " (2)"
        seen.add(name)
        names.append(name)
    frame = sheet.frame.iloc[1:].reset_index(drop=True)
    frame.columns = names
    return replace(sheet, frame=frame, row_numbers=np.asarray(sheet.row_numbers)[1:],
                   header_row=sheet.header_row + 1,
                   notes=sheet.notes + ["the second header row holds the field names "
                                        "(Qualtrics legacy layout)"])


_QUESTION_ID = re.compile(r"^(Q\d+|QID\d+)(_\d+)?$", re.I)


def _question_texts(sheet: Sheet) -> Sheet:
    """Survey exports whose header holds question ids (Qualtrics: Q1, Q2 ... with the
    question text in the row below): put the text beside the id ("Q1 How likely ..."), and
    mark the question whose "Qn_NPS_GROUP" companion says it is the NPS question."""
    cols = [str(c) for c in sheet.frame.columns]
    ids = [c for c in cols if _QUESTION_ID.match(c)]
    if not ids:
        return sheet
    renamed = {}
    if len(sheet.frame):
        first = sheet.frame.iloc[0]
        for c in ids:
            text = first[c]
            if isinstance(text, str) and text.strip() and not text.startswith("{") \
                    and not any(ch.isdigit() for ch in text[:3]) and len(text.strip()) > 3:
                renamed[c] = f"{c} {text.strip()}"
    for c in ids:
        if f"{c}_NPS_GROUP".lower() in {x.lower() for x in cols}:
            renamed[c] = renamed.get(c, c) + " NPS"
    if not renamed:
        return sheet
    frame = sheet.frame.rename(columns=renamed)
    return replace(sheet, frame=frame)


def _survey_labels(sheet: Sheet) -> Sheet:
    """SurveyMonkey's two header rows: a question spanning several columns has its text only
    above the first; the row below names each column ("Response", "Open-Ended Response", a
    choice, "Name of Organization"). Blank header cells take the question and the label."""
    if not len(sheet.frame):
        return sheet
    first = sheet.frame.iloc[0]
    labels = [str(v).strip() if isinstance(v, str) else "" for v in first]
    if sum(v.lower() in ("response", "open-ended response") for v in labels) < 1:
        return sheet
    names, question, seen = [], "", set()
    for col, label in zip(sheet.frame.columns, labels):
        col = str(col)
        if not col.startswith("column_"):
            question = col
            name = col
        else:
            name = f"{question} - {label}" if question and label else (label or col)
        while name in seen:
            name += " (2)"
        seen.add(name)
        names.append(name)
    frame = sheet.frame.copy()
    frame.columns = names
    return replace(sheet, frame=frame)


_PIVOT = re.compile(r"^(row labels|column labels|grand total|(count|sum|average|max|min) of .+)$",
                    re.I)


def _is_pivot(sheet: Sheet) -> bool:
    """A spreadsheet's pivot table: "Row Labels", "Count of ...", "Grand Total" headers or
    first-column cells."""
    cells = [str(c) for c in sheet.frame.columns]
    if len(sheet.frame):
        cells += [str(v) for v in sheet.frame.iloc[:, 0].head(200) if isinstance(v, str)]
    return sum(bool(_PIVOT.match(c.strip())) for c in cells) >= 2


def _extra_header_rows(frame: pd.DataFrame, mapping: dict[str, str], prof: Profile) -> int:
    """Leading rows that are more header, not data: question texts, SurveyMonkey's
    "Response"/"Open-Ended Response" labels, Qualtrics' {"ImportId": ...} row."""
    n = 0
    typed = [(src, f.kind) for src, tgt in mapping.items()
             if (f := prof.field_for(tgt)) is not None and f.kind in
             ("date", "datetime", "number", "int", "money")]
    for i in range(min(3, len(frame))):
        row = frame.iloc[i]
        cells = [str(v).strip() for v in row if isinstance(v, str) and v.strip()]
        if any(c.startswith('{"ImportId"') or c.startswith("{'ImportId'") for c in cells):
            n = i + 1
            continue
        labels = sum(c.lower() in ("response", "open-ended response", "other (please specify)")
                     for c in cells)
        if labels >= 2 or (labels >= 1 and len(cells) <= 3):
            n = i + 1
            continue
        filled = [(src, kind) for src, kind in typed
                  if isinstance(row[src], str) and row[src].strip()]
        wordy = sum(not any(ch.isdigit() for ch in c) for c in cells) >= 0.5 * len(cells)
        if filled and wordy and all(
                column_fit(pd.Series([row[src]], dtype=object), kind) == 0.0
                for src, kind in filled):
            n = i + 1
            continue
        break
    return n


# ---------------------------------------------------------------------------- fit
def _kind(prof: Profile, target: str) -> str:
    f = prof.field_for(target)
    if f is not None:
        return f.kind
    if target.startswith(("value@", "value:")) or target == "value":
        return "number"
    return "text"


def _fitted(prof: Profile, frame: pd.DataFrame, mapping: dict[str, str]
            ) -> tuple[float, dict[str, str], list[str]]:
    """(score factor, mapping without misfits, notes) for a profile's mapping of a frame."""
    factor = 1.0
    keep: dict[str, str] = {}
    notes: list[str] = []
    for src, tgt in mapping.items():
        if src not in frame.columns:
            continue
        kind = _kind(prof, tgt)
        fit = column_fit(frame[src], kind)
        if tgt == "score" and prof.entity == "surveys" and \
                prof.constants.get("kind", "nps") == "nps":
            fit = min(fit, nps_fit(frame[src]))
        f = prof.field_for(tgt)
        if fit < MIN_FIT:
            factor *= 0.3 if (f is not None and f.required) else 0.85
            notes.append(f"column '{src}' was not used as {tgt}: its values do not fit")
            continue
        if fit < 0.9:
            factor *= 0.9
        keep[src] = tgt
    if prof.needs_any and not set(keep.values()) & set(prof.needs_any):
        factor *= 0.3
    return factor, keep, notes


def _evidence_problem(entity: str, targets: set[str], known: bool = False) -> str | None:
    """What an entity needs besides an account hint, or None. For a ``known`` layout (a
    profile, whose transform derives fields) only the account hint is checked."""
    hints = {"account.name", "account.domain", "account.external_id", "account_id",
             "account.key"} | {t for t in targets if t.startswith("xid:")}
    if entity == "accounts":
        if not targets & {"name", "account.external_id"}:
            return "no column names the company or gives its id; map one in the import dialog"
        return None
    if not targets & hints:
        return "no column says which account a row belongs to; map one in the import dialog"
    if known:
        return None
    need = {"usage": ({"date"}, {"value"} | {t for t in targets if t.startswith("value")}),
            "tickets": ({"ticket_id"}, {"subject", "status", "priority", "created_at",
                                        "solved_at", "csat"}),
            "surveys": ({"score"}, set()),
            "subscriptions": (set(), {"mrr", "arr", "_amount", "_total"}),
            "contacts": ({"email"}, set()),
            "activities": ({"date"}, set()),
            "opportunities": (set(), {"stage", "status", "amount", "close_date"})}.get(entity)
    if need is None:
        return None
    required, any_of = need
    if entity == "opportunities" and not ("stage" in targets or {"amount", "close_date"}
                                          <= targets):
        return ("none of the columns looks like deals (a stage, or an amount and a close "
                "date); map them in the import dialog")
    missing = required - targets
    if missing:
        return f"no column for {', '.join(sorted(missing))}; map it in the import dialog"
    if any_of and not targets & any_of:
        return (f"none of the columns looks like {entity} data "
                f"({', '.join(sorted(any_of))}); map them in the import dialog")
    return None


# ---------------------------------------------------------------------------- planning
def adhoc_profile(entity: str, mapping: dict[str, str], kinds: dict[str, str],
                  name: str = "custom") -> Profile:
    fields = tuple(FieldMap(src, tgt, kinds.get(tgt, "text")) for src, tgt in mapping.items()
                   if not tgt.startswith("xid:"))
    p = Profile(id=name, system="Custom mapping", entity=entity, fields=fields,
                signature=tuple(mapping) or ("custom",), source_key="custom")
    object.__setattr__(p, "transform", standard_transform(p, generic.transform_for(entity)))
    return p


def save_mapping(ws, headers: Sequence[str], entity: str, mapping: dict[str, str],
                 kinds: dict[str, str] | None = None, profile: str | None = None) -> None:
    """Remember a mapping the user confirmed, for the next file with the same header."""
    import_store.store_mapping(ws, header_signature(headers), entity,
                               {"mapping": mapping, "kinds": kinds or {}}, profile)


def _kinds_from_suggestions(headers, entity) -> dict[str, str]:
    return {s.target: s.kind for s in suggest_mapping(headers, entity) if s.target}


def _finish(plan: SheetPlan) -> SheetPlan:
    """Add ids of other systems, skip repeated header rows, note empty mapped columns."""
    if plan.profile is None:
        return plan
    frame = plan.sheet.frame
    extra = plan.extra_header_rows
    if extra:
        frame = frame.iloc[extra:].reset_index(drop=True)
        plan.sheet = replace(plan.sheet, frame=frame,
                             row_numbers=np.asarray(plan.sheet.row_numbers)[extra:])
        plan.notes.append(f"skipped {extra} more header row(s) below the header")
        plan.extra_header_rows = 0
    for col, tgt in id_columns(frame, plan.mapping, plan.profile).items():
        plan.mapping[col] = tgt
    for src, tgt in plan.mapping.items():
        if tgt.startswith("_") or src not in frame.columns:
            continue
        if not _has_values(frame[src]):
            plan.notes.append(f"column '{src}' (mapped to {tgt}) is empty in every row")
    return plan


def _candidate(prof: Profile, sheet: Sheet, mapped: dict[str, str], score: float):
    """(profile, score x fit, fitted mapping, notes, extra header rows)."""
    extra = _extra_header_rows(sheet.frame, mapped, prof)
    factor, keep, notes = _fitted(prof, sheet.frame.iloc[extra:], mapped)
    return prof, round(score * factor, 4), keep, notes, extra


def _has_values(s: pd.Series) -> bool:
    """True when a column holds at least one non-blank value (cheap on long columns)."""
    head = s.iloc[:2000].dropna()
    if len(head) and head.astype(str).str.strip().ne("").any():
        return True
    rest = s.iloc[2000:].dropna()
    return bool(len(rest)) and bool(rest.astype(str).str.strip().ne("").any())


def _ranked(sheet: Sheet) -> tuple[list[tuple], bool]:
    """Profiles by header score x value fit, with their fitted mappings; and whether the
    reader turned a wide layout long."""
    headers = [str(c) for c in sheet.frame.columns]
    melted = melted_columns(sheet)
    if melted:
        id_cols = [h for h in headers if h not in melted]
        ranked = recognise(id_cols + ["2025-01-01", "2025-02-01", "2025-03-01"])
    else:
        ranked = recognise(headers)
    out = []
    for prof, score in ranked[:8]:
        if score < 0.3:
            break
        if melted:
            mapped = map_frame(prof, sheet.frame[[h for h in headers if h not in melted]])
            mapped[melted[0]] = "date"
            mapped[melted[1]] = "value"
        else:
            mapped = map_frame(prof, sheet.frame)
        out.append(_candidate(prof, sheet, mapped, score))
    out.sort(key=lambda t: (-t[1], t[0].id))
    return out, bool(melted)


def plan_sheet(sheet: Sheet, ws=None, *, profile_id: str | None = None,
               mapping: dict[str, str] | None = None, entity: str | None = None) -> SheetPlan:
    """Decide how a sheet maps onto the workspace (a profile, a saved or a suggested mapping)."""
    sheet = _survey_labels(_question_texts(_legacy_qualtrics(sheet)))
    headers = [str(c) for c in sheet.frame.columns]
    if _is_pivot(sheet):
        return SheetPlan(sheet, None, 0.0, [], {}, "none",
                         problem="is a pivot table (a summary someone made), not an export")
    ranked, melted = _ranked(sheet)
    candidates = [(t[0].id, t[1]) for t in ranked[:5]]
    if mapping is not None:
        ent = entity or (get(profile_id).entity if profile_id else None)
        if ent is None:
            raise ValueError("a custom mapping needs its entity")
        kinds = _kinds_from_suggestions(headers, ent)
        prof = adhoc_profile(ent, mapping, kinds)
        extra = _extra_header_rows(sheet.frame, mapping, prof)
        return _finish(SheetPlan(sheet, prof, 1.0, candidates, dict(mapping), "user",
                                 extra_header_rows=extra))
    if profile_id is not None:
        prof = get(profile_id)
        hit = next((t for t in ranked if t[0] is prof), None) or \
            _candidate(prof, sheet, map_frame(prof, sheet.frame), 0.0)
        return _finish(SheetPlan(sheet, prof, hit[1], candidates, hit[2], "profile",
                                 notes=list(hit[3]), extra_header_rows=hit[4]))
    if ranked and ranked[0][1] >= MIN_CONFIDENCE and ranked[0][0].refuse:
        prof, score = ranked[0][0], ranked[0][1]
        return SheetPlan(sheet, None, score, candidates, {}, "none", problem=prof.refuse)
    if ranked and ranked[0][1] >= MIN_CONFIDENCE:
        prof, score, keep, notes, extra = ranked[0]
        problem = _evidence_problem(prof.entity, set(keep.values()), known=True)
        if problem is None:
            return _finish(SheetPlan(sheet, prof, score, candidates, keep, "profile",
                                     notes=list(notes), extra_header_rows=extra))
        # the layout is known, but this export lacks what the records need: say so, do not
        # guess another meaning for its columns
        word = {"opportunities": "deals", "subscriptions": "subscriptions",
                "accounts": "companies"}.get(prof.entity, prof.entity)
        return SheetPlan(sheet, None, score, candidates, keep, "none",
                         problem=f"is a {prof.system} {word} export, but {problem.replace('; map', ': export it again with that column, or map')}")
    saved = import_store.saved_mapping(ws, header_signature(headers)) if ws is not None \
        else None
    if saved is not None:
        payload = saved["mapping"]
        if saved["profile"]:
            prof = get(saved["profile"])
        else:
            prof = adhoc_profile(saved["entity"], payload["mapping"], payload.get("kinds", {}))
        extra = _extra_header_rows(sheet.frame, payload["mapping"], prof)
        return _finish(SheetPlan(sheet, prof, 1.0, candidates, dict(payload["mapping"]),
                                 "saved", extra_header_rows=extra))
    return _suggested(sheet, headers, candidates)


def _wide_usage(sheet: Sheet, headers: list[str], candidates) -> SheetPlan | None:
    """A sheet the reader turned long (one column per month or day): a time series per
    account, i.e. usage; the metric is the sheet's (or file's) name unless a column says."""
    melted = melted_columns(sheet)
    if melted is None:
        return None
    period, value = melted
    ids = [h for h in headers if h not in melted]
    suggestions = suggest_mapping(ids, "usage")
    mapping = {s.source: s.target for s in suggestions if s.target in (
        "account.name", "account.domain", "account.external_id", "account.key", "metric")}
    if not set(mapping.values()) - {"metric"}:
        return None
    mapping[period], mapping[value] = "date", "value"
    prof = adhoc_profile("usage", mapping, {"date": "date", "value": "number"}, "suggested")
    if "metric" not in mapping.values():
        stem = Path(str(sheet.name)).stem if str(sheet.name).lower().endswith(
            (".csv", ".txt", ".tsv", ".xlsx", ".xls", ".ods")) else str(sheet.name)
        metric = re.sub(r"[^0-9a-z]+", "_", stem.lower()).strip("_") or "value"
        object.__setattr__(prof, "wide_metric", metric)
    return _finish(SheetPlan(sheet, prof, 0.8, candidates, mapping, "suggested",
                             notes=["one column per period: read as usage over time"]))


def _suggested(sheet: Sheet, headers: list[str], candidates) -> SheetPlan:
    """A fuzzy mapping, for the most likely entity whose needs the file's values meet."""
    wide = _wide_usage(sheet, headers, candidates)
    if wide is not None:
        return wide
    first_problem = None
    first_keep: dict[str, str] = {}
    for ent in rank_entities(headers)[:4]:
        suggestions = suggest_mapping(headers, ent)
        mapped = {s.source: s.target for s in suggestions if s.target is not None}
        kinds = {s.target: s.kind for s in suggestions if s.target is not None}
        prof = adhoc_profile(ent, mapped, kinds, "suggested")
        _, factor, keep, notes, extra = _candidate(prof, sheet, mapped, 1.0)
        keep.update(id_columns(sheet.frame, keep, prof))
        problem = _evidence_problem(ent, set(keep.values()))
        if problem is None:
            scores = [s.score for s in suggestions if s.target in set(keep.values())]
            conf = float(np.mean(scores)) * factor if scores else 0.0
            prof = adhoc_profile(ent, keep, kinds, "suggested")
            return _finish(SheetPlan(sheet, prof, conf, candidates, keep, "suggested",
                                     notes=notes, extra_header_rows=extra))
        if first_problem is None:
            first_problem, first_keep = problem, keep
    best = f" (closest: {candidates[0][0]}, {candidates[0][1]:.0%})" if candidates else ""
    return SheetPlan(sheet, None, 0.0, candidates, first_keep, "none",
                     problem=f"the columns were not recognised{best}; {first_problem}")
