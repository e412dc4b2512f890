"""Fuzzy column mapping for layouts no profile knows, and the header signature.

``suggest_mapping(headers)`` pre-fills the column-mapping dialog: for every column it proposes
a canonical target (or none), the coercion kind and a 0..1 confidence. It compares normalised
headers with a synonym table and the canonical field names using rapidfuzz (a blend of
``token_set_ratio``, which forgives extra words, and plain ``ratio``, which punishes them, so
"Renewal Date" is not taken for the usage field "date"). Each target is used once; columns
with no good match get ``target=None`` and stay as custom fields -- nothing is dropped.

Deliberate non-matches: "Annual Revenue" (the customer company's turnover, e.g. Salesforce's
standard field) is never ARR; "Number of Employees" / "Employees" is never seats.

``header_signature(headers)`` is the key of ``saved_mappings``: the same set of headers (in
any order, any case or spacing) gives the same signature.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Sequence

from rapidfuzz import fuzz

from acctdesk.models.schema import ENTITY_FIELDS

from .profiles import ACCOUNT_HINTS, clean_headers, normalise_header, recognise

__all__ = ["Suggestion", "header_signature", "suggest_mapping", "guess_entity", "as_mapping",
           "rank_entities",
           "SYNONYMS", "THRESHOLD"]

#: minimum confidence for a suggestion
THRESHOLD = 0.78

# Synonyms per (entity, target). Entity "*" = account hints valid for every entity but
# accounts (where the same words name the account itself).
SYNONYMS: dict[tuple[str, str], tuple[str, ...]] = {
    # account hints for records that belong to an account
    ("*", "account.name"): ("account name", "account", "company", "company name", "customer",
                             "customer name", "organization", "organisation", "org", "client",
                             "organization name", "tenant", "business name", "business"),
    ("*", "account.domain"): ("domain", "company domain", "website", "web site", "url",
                               "company website", "email domain", "company domain name"),
    ("*", "account.external_id"): ("account id", "customer id", "company id", "external id",
                                    "organization id", "crm id", "account number",
                                    "customer number", "client id"),
    ("*", "account.key"): ("workspace id", "tenant id", "subscription id", "org id",
                            "workspace", "tenant", "instance id", "team id", "group id",
                            "account key", "customer key", "company key"),
    # accounts
    ("accounts", "name"): ("account name", "account", "company", "company name", "customer",
                            "customer name", "organization", "organisation", "client",
                            "client name", "logo"),
    ("accounts", "account.external_id"): ("account id", "customer id", "company id",
                                          "external id", "record id", "crm id", "id"),
    ("accounts", "domain"): ("domain", "website", "web site", "url", "company domain",
                              "company domain name", "email domain"),
    ("accounts", "owner"): ("csm", "customer success manager", "account owner", "owner",
                             "account manager", "am", "cs owner", "success manager",
                             "relationship manager", "assigned to", "company owner"),
    ("accounts", "arr"): ("arr", "annual recurring revenue", "arr usd", "current arr",
                           "contract arr", "recurring revenue", "annual contract value", "acv"),
    ("accounts", "seats"): ("seats", "licenses", "licences", "licensed seats", "users",
                             "user licenses", "seat count", "number of seats"),
    ("accounts", "renewal_date"): ("renewal", "renewal date", "renews", "renews on",
                                    "next renewal", "renewal due", "contract renewal"),
    ("accounts", "contract_start"): ("contract start", "start date", "customer since",
                                      "contract start date", "signed", "start"),
    ("accounts", "contract_end"): ("contract end", "contract end date", "end date",
                                    "expiry", "expiration date", "term end"),
    ("accounts", "industry"): ("industry", "vertical", "sector"),
    ("accounts", "segment"): ("segment", "tier", "customer tier", "customer segment", "size"),
    ("accounts", "region"): ("region", "territory", "geo", "sales region", "market"),
    ("accounts", "status"): ("status", "account status", "customer status", "lifecycle"),
    ("accounts", "churn_date"): ("churn date", "churned on", "cancellation date",
                                  "churned date", "lost date"),
    # subscriptions
    ("subscriptions", "sub_id"): ("subscription id", "subscription", "sub id", "contract id",
                                   "agreement id"),
    ("subscriptions", "product"): ("product", "product name", "module", "sku", "edition"),
    ("subscriptions", "plan"): ("plan", "plan name", "price plan", "plan id", "pricing plan",
                                 "plan tier", "tier"),
    ("subscriptions", "quantity"): ("quantity", "qty", "seats", "licenses", "units"),
    ("subscriptions", "mrr"): ("mrr", "monthly recurring revenue", "monthly amount",
                                "monthly fee", "monthly price", "mrr amount"),
    ("subscriptions", "arr"): ("arr", "annual recurring revenue", "annual amount",
                                "annual fee", "acv", "annual contract value", "arr amount"),
    ("subscriptions", "start_date"): ("start date", "started", "start", "activated at",
                                       "subscription start", "contract start"),
    ("subscriptions", "end_date"): ("end date", "ended at", "end", "expires at",
                                     "cancellation date", "contract end", "canceled at"),
    ("subscriptions", "status"): ("status", "subscription status", "state"),
    # usage
    ("usage", "date"): ("date", "day", "week", "month", "period", "timestamp"),
    ("usage", "metric"): ("metric", "event", "event name", "measure", "kpi", "feature",
                           "feature name", "action", "event type", "metric name"),
    ("usage", "value"): ("value", "count", "total", "uniques", "amount", "active users",
                          "users", "logins", "sessions", "events"),
    # tickets
    ("tickets", "ticket_id"): ("ticket id", "ticket", "case id", "case number", "id",
                                "conversation id", "issue id", "ticket number"),
    ("tickets", "created_at"): ("created at", "created", "opened", "created time",
                                 "date opened", "created date", "submitted"),
    ("tickets", "solved_at"): ("solved at", "resolved at", "resolved time", "closed at",
                                "closed", "date closed", "resolved", "solved"),
    ("tickets", "priority"): ("priority", "severity", "urgency"),
    ("tickets", "status"): ("status", "state", "ticket status", "case status"),
    ("tickets", "csat"): ("csat", "satisfaction", "satisfaction score", "rating",
                           "customer satisfaction", "satisfaction rating"),
    ("tickets", "subject"): ("subject", "title", "summary", "description", "issue"),
    ("tickets", "requester_email"): ("requester email", "email", "requester", "contact email",
                                      "customer email", "reporter email"),
    # surveys
    ("surveys", "response_id"): ("response id", "respondent id", "id", "survey response id"),
    ("surveys", "contact_email"): ("email", "email address", "respondent email",
                                    "contact email", "person email"),
    ("surveys", "date"): ("date", "created at", "response date", "submitted at",
                           "recorded date", "end date", "responded at"),
    ("surveys", "kind"): ("survey type", "type", "kind", "survey"),
    ("surveys", "score"): ("score", "nps", "nps score", "rating", "likelihood to recommend",
                            "csat score", "answer"),
    ("surveys", "comment"): ("comment", "comments", "feedback", "reason", "verbatim",
                              "open ended response", "why"),
    # contacts
    ("contacts", "email"): ("email", "email address", "e mail", "work email"),
    ("contacts", "name"): ("name", "full name", "contact name", "contact"),
    ("contacts", "title"): ("title", "job title", "position", "role title"),
    ("contacts", "role"): ("role", "contact role", "persona", "buying role"),
    ("contacts", "last_contact"): ("last contact", "last contacted", "last activity",
                                    "last activity date", "last touch"),
    # flags read by the transforms (churned accounts, ended or trial subscriptions)
    ("accounts", "_churned"): ("churn flag", "churned", "is churned", "has churned",
                                "churn", "lost customer"),
    ("subscriptions", "_churned"): ("churn flag", "churned", "is churned", "cancelled",
                                     "canceled"),
    ("subscriptions", "_is_trial"): ("is trial", "trial", "trial flag", "on trial"),
    # opportunities (CRM deals: pipeline, never revenue)
    ("opportunities", "opp_id"): ("opportunity id", "deal id", "opportunity", "record id",
                                   "opp id"),
    ("opportunities", "name"): ("opportunity name", "deal name", "deal", "opportunity",
                                 "deal title", "title"),
    ("opportunities", "stage"): ("stage", "deal stage", "stage name", "opportunity stage",
                                  "pipeline stage", "sales stage"),
    ("opportunities", "status"): ("status", "deal status", "won lost", "outcome", "result"),
    ("opportunities", "amount"): ("amount", "deal amount", "deal value", "value",
                                   "opportunity amount", "deal size", "expected revenue"),
    ("opportunities", "close_date"): ("close date", "closed date", "expected close date",
                                       "won date", "closed on", "close"),
    ("opportunities", "created_date"): ("created date", "create date", "created at",
                                         "created", "deal created"),
    ("opportunities", "type"): ("type", "deal type", "opportunity type", "business type"),
    ("opportunities", "owner"): ("owner", "deal owner", "opportunity owner", "sales rep",
                                  "account executive"),
    ("opportunities", "probability"): ("probability", "win probability", "probability pct",
                                        "deal probability"),
    # activities
    ("activities", "activity_id"): ("activity id", "id", "task id", "event id", "note id"),
    ("activities", "date"): ("date", "activity date", "due date", "meeting date", "when"),
    ("activities", "kind"): ("type", "activity type", "kind", "task type", "category"),
    ("activities", "text"): ("notes", "note", "description", "comments", "text", "body",
                              "details", "subject"),
    ("activities", "author"): ("author", "assigned to", "owner", "created by", "user"),
}

#: default coercion kind per target
KIND_OF: dict[str, str] = {
    "arr": "money", "mrr": "money", "seats": "int", "quantity": "number", "value": "number",
    "score": "number", "csat": "number",
    "renewal_date": "date", "contract_start": "date", "contract_end": "date",
    "churn_date": "date", "start_date": "date", "end_date": "date", "date": "date",
    "last_contact": "date", "created_at": "datetime", "solved_at": "datetime",
    "amount": "money", "close_date": "date", "created_date": "date", "probability": "number",
    "_churned": "bool", "_is_trial": "bool",
}

#: headers that look like a target but mean something else (normalised -> forbidden targets)
NEVER: dict[str, frozenset[str]] = {
    "annual revenue": frozenset({"arr", "mrr", "value"}),
    "annual revenue range": frozenset({"arr", "mrr", "value"}),
    "revenue": frozenset({"arr", "mrr"}),
    "number of employees": frozenset({"seats", "quantity", "value"}),
    "employees": frozenset({"seats", "quantity", "value"}),
    "employee count": frozenset({"seats", "quantity", "value"}),
    "company size": frozenset({"seats", "quantity"}),
}
_NEVER_WORDS = ("annual revenue", "employees")

#: words that make a target specific to one entity (used to guess the entity)
_GENERIC = {"name", "date", "status", "id", "email", "account.name", "account.domain", "account.key",
            "account.external_id", "domain", "owner", "kind", "text"}


@dataclass(frozen=True)
class Suggestion:
    source: str
    target: str | None
    kind: str
    score: float


def header_signature(headers: Sequence[object]) -> str:
    """Stable, order-insensitive sha256 (hex) of the set of normalised, non-empty headers."""
    normed = sorted({normalise_header(h) for h in clean_headers(list(headers))})
    return hashlib.sha256("\x1f".join(normed).encode("utf-8")).hexdigest()


def _targets_for(entity: str) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for (ent, target), syns in SYNONYMS.items():
        if ent == entity:
            out[target] = syns
    if entity != "accounts":
        for hint in ACCOUNT_HINTS + ("account.key",):
            out[hint] = SYNONYMS[("*", hint)]
    for fld in ENTITY_FIELDS[entity]:
        if fld == "account_id" or (entity != "subscriptions" and fld == "source"):
            continue
        if fld == "source" or fld in out:
            continue
        out[fld] = (fld.replace("_", " "),)
    return out


def _similarity(header: str, phrase: str) -> float:
    if header == phrase:
        return 1.0
    if header.replace(" ", "") == phrase.replace(" ", ""):
        return 0.99
    blend = 0.55 * fuzz.token_set_ratio(header, phrase) + 0.45 * fuzz.ratio(header, phrase)
    return round(blend / 100.0 * 0.97, 4)  # an inexact match never ties an exact one


def _forbidden(norm: str) -> frozenset[str]:
    out = set(NEVER.get(norm, ()))
    for word in _NEVER_WORDS:
        if word in norm:
            out |= NEVER[word]
    return frozenset(out)


def _kind(target: str, header: str) -> str:
    norm = normalise_header(header)
    if target in ("arr", "mrr") and ("cents" in norm.split() or "in cents" in norm):
        return "money_cents"
    return KIND_OF.get(target, "text")


def _score_all(headers: list[str], entity: str) -> list[tuple[float, str, str]]:
    targets = _targets_for(entity)
    scored = []
    for h in headers:
        norm = normalise_header(h)
        banned = _forbidden(norm)
        # unit/currency qualifiers say how to read a value, not what it is
        norm = re.sub(r"\b(?:in )?(?:cents|usd|eur|gbp|chf|pct|percent)\b", " ", norm)
        norm = re.sub(r"\s+", " ", norm).strip() or normalise_header(h)
        for target, syns in targets.items():
            if target in banned:
                continue
            best = max(_similarity(norm, normalise_header(s)) for s in syns)
            scored.append((best, h, target))
    return scored


def guess_entity(headers: Sequence[object], frame=None) -> str:
    """The entity a header most likely describes (a recognised profile wins when clear)."""
    hs = clean_headers(list(headers))
    ranked = recognise(hs)
    if ranked and ranked[0][1] >= 0.6:
        return ranked[0][0].entity
    return rank_entities(hs)[0]


def rank_entities(headers: Sequence[object]) -> list[str]:
    """Every entity, the one the headers most likely describe first."""
    hs = clean_headers(list(headers))
    totals: dict[str, float] = {}
    for entity in ENTITY_FIELDS:
        best_per_header: dict[str, float] = {}
        for score, h, target in _score_all(hs, entity):
            if score >= THRESHOLD and target not in _GENERIC:
                best_per_header[h] = max(best_per_header.get(h, 0.0), score)
        totals[entity] = sum(best_per_header.values())
    order = list(ENTITY_FIELDS)
    return sorted(order, key=lambda e: (-totals[e], order.index(e)))


def suggest_mapping(headers: Sequence[object], entity: str | None = None) -> list[Suggestion]:
    """One :class:`Suggestion` per column, in column order; ``target`` None = custom field."""
    hs = clean_headers(list(headers))
    if entity is None:
        entity = guess_entity(hs)
    if entity not in ENTITY_FIELDS:
        raise ValueError(f"unknown entity {entity!r}")
    scored = sorted(_score_all(hs, entity), key=lambda t: (-t[0], hs.index(t[1])))
    chosen: dict[str, tuple[str, float]] = {}
    taken: set[str] = set()
    for score, h, target in scored:
        if score < THRESHOLD:
            break
        if h in chosen or target in taken:
            continue
        chosen[h] = (target, score)
        taken.add(target)
    best_any: dict[str, float] = {}
    for score, h, _ in scored:
        best_any[h] = max(best_any.get(h, 0.0), score)
    out = []
    for h in hs:
        if h in chosen:
            target, score = chosen[h]
            out.append(Suggestion(h, target, _kind(target, h), round(score, 3)))
        else:
            out.append(Suggestion(h, None, "text", round(best_any.get(h, 0.0), 3)))
    return out


def as_mapping(suggestions: Sequence[Suggestion]) -> dict[str, str]:
    """{source: target} of the mapped suggestions (what ``map_frame`` returns for profiles)."""
    return {s.source: s.target for s in suggestions if s.target is not None}
