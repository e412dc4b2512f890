"""Source profiles: what a known export looks like and how its columns map onto the workspace.

One small module per source system (``salesforce.py``, ``stripe.py`` ...) registers one
:class:`Profile` per export type. The import pipeline uses this package as follows::

    ranked = recognise(headers)                  # [(profile, score)], best first
    profile = ranked[0][0]
    mapping = map_frame(profile, raw_frame)      # {source column: target}
    # coerce every mapped column by kind_for(profile, target), rename to targets
    # (several columns may feed synthetic "value@<date>"/"value:<metric>" targets, see below)
    canonical = profile.transform(canonical)     # always set once registered
    # match account hints (account.name / account.domain / account.external_id), write

Targets
-------
A :class:`FieldMap` target is one of

* a canonical field of the profile's entity (``models.schema.ENTITY_FIELDS``), e.g. ``mrr``;
* an account hint for the account a record belongs to: ``account.name``,
  ``account.domain``, ``account.external_id`` (the id in ``profile.source_key``'s namespace);
  account profiles also use ``account.external_id`` for the source system's own id;
* a transient helper ``_something`` (e.g. ``_interval``, ``_cancel_at_period_end``): coerced
  like any column, read by the profile's transform and dropped by it;
* for usage profiles ``value:<metric>``: a column of values for that metric (wide by metric,
  e.g. Google Analytics "Active users", "Sessions"). For a profile with ``wide_metric`` set,
  :func:`map_frame` maps every date-like header ("2025-03-01", "Mar 2025", "20250301") to
  ``value@<ISO date>``. The standard transform melts both forms into long rows.

The standard transform
----------------------
:func:`register` wraps ``profile.transform`` so that the pipeline only calls one function. On
a canonical frame (values already coerced: money as float, dates as ISO strings) it:

1. maps ``status`` through ``status_map`` (case-insensitively; unknown values kept as they are,
   canonical values map to themselves so applying it twice is harmless);
2. melts ``value:*`` / ``value@*`` columns into ``metric``/``date``/``value`` rows (usage);
3. runs the profile's own transform (billing MRR normalisation, report clean-up ...);
4. fills ``constants`` where missing (``source``, survey ``kind``, usage ``metric``);
5. normalises ``domain`` / ``account.domain`` ("https://www.Acme.com/" -> "acme.com") and,
   where a record has no account domain, derives it from an e-mail column (not for free-mail
   domains such as gmail.com);
6. drops helper columns (``_*``). Every other column it does not know is left alone: the
   pipeline keeps unmapped source columns as custom fields.

Conventions this package adds to the schema contract (documented in the report too):

* subscription ``status``: ``active`` | ``trialing`` | ``paused`` | ``future`` | ``cancelled`` |
  ``ended``; ``past_due`` / ``non_renewing`` / cancel-at-period-end are *still paying*: the
  billing transform turns them into ``active`` and records why in the extra column
  ``billing_flag`` (``past_due`` | ``non_renewing`` | ``cancel_at_period_end``). CRM deals
  (Salesforce opportunities, HubSpot/Pipedrive deals) are written as subscriptions with status
  ``won`` | ``lost`` | ``open`` so they never add to billing MRR.
* ``mrr``/``arr`` are normalised to a month / a year (interval, interval count and quantity
  applied). Trialing, paused and future subscriptions carry ``mrr = arr = 0``; cancelled and
  ended ones keep the MRR they had while live (with ``end_date``) so MRR movements can be
  computed from history.
* ticket ``status``: ``open`` | ``pending`` | ``solved`` | ``closed``; ``priority``: ``low`` |
  ``normal`` | ``high`` | ``urgent``; ``csat`` on a 0-100 scale (good/bad -> 100/0, a 1-5
  rating r -> (r-1)*25).
* survey ``score`` is the raw answer (0-10 for NPS), ``kind`` ``nps`` or ``csat``.

``reader_hints`` tell the reader about layout quirks it cannot guess from the header alone:
``skip_rows_after_header`` (SurveyMonkey: 1, Qualtrics: 2), ``comment_prefix`` ("#", Google
Analytics), ``encoding``. They are hints; the reader may ignore them.
"""
from __future__ import annotations

import importlib
import math
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from acctdesk.models.schema import ENTITY_FIELDS

from ..domains import FREE_MAIL as _FREE_MAIL, host_of, is_free_mail, registrable_domain

__all__ = [
    "ACCOUNT_HINTS", "KINDS", "PAYING_STATUSES", "FieldMap", "Profile", "REGISTRY",
    "ColumnPlan", "column_plan", "get", "header_date", "kind_for", "map_frame",
    "normalise_domain", "normalise_header", "profiles_for", "recognise", "register",
    "standard_transform", "clean_headers", "filled_columns",
]

KINDS = frozenset({"text", "number", "money", "money_cents", "percent", "date", "datetime",
                   "bool", "int"})
ACCOUNT_HINTS = ("account.name", "account.domain", "account.external_id")
#: every target that says which account a record belongs to
LINK_TARGETS = ACCOUNT_HINTS + ("account.key", "account_id")
ENTITIES = tuple(ENTITY_FIELDS)

SUBSCRIPTION_STATUSES = ("active", "trialing", "past_due", "non_renewing", "paused", "future",
                         "cancelled", "ended", "won", "lost", "open")
TICKET_STATUSES = ("open", "pending", "solved", "closed")
#: statuses whose subscriptions are paid for right now (before the billing transform
#: collapses past_due / non_renewing into active + billing_flag).
PAYING_STATUSES = frozenset({"active", "past_due", "non_renewing"})

FREE_MAIL = _FREE_MAIL


# --------------------------------------------------------------------------- headers

def normalise_header(header: object) -> str:
    """Case-, accent-, punctuation- and space-insensitive form of a column header.

    "Created (UTC)" -> "created utc"; "subscriptions.plan_id" -> "subscriptions plan id";
    "Deal - Title" -> "deal title"; a UTF-8 BOM or non-breaking space is ignored.
    """
    text = unicodedata.normalize("NFKD", str(header))
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    out = re.sub(r"[^0-9a-z]+", " ", text).strip()
    return out or text.strip()      # a header of symbols only ("#") is still a header


_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}


def header_date(header: object) -> str | None:
    """The ISO date a wide-layout column header stands for, or None.

    Accepts "2025-03-01", "2025-03-01 00:00:00", "2025/03/01", "20250301", "2025-03" (month),
    "Mar 2025" / "March 2025" / "Mar-25" (month -> first day), "Mar 1, 2025".
    """
    text = str(header).strip().lower()
    m = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ t]00:00(?::00)?)?", text)
    if m:
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif (m := re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)):
        parts = (int(m[1]), int(m[2]), int(m[3]))
    elif (m := re.fullmatch(r"(\d{4})-(\d{1,2})", text)):
        parts = (int(m[1]), int(m[2]), 1)
    elif (m := re.fullmatch(r"([a-z]{3})[a-z]*[ -](\d{2}|\d{4})", text)) and m[1] in _MONTHS:
        year = int(m[2]) + (2000 if len(m[2]) == 2 else 0)
        parts = (year, _MONTHS[m[1]], 1)
    elif (m := re.fullmatch(r"([a-z]{3})[a-z]* (\d{1,2}),? (\d{4})", text)) and m[1] in _MONTHS:
        parts = (int(m[3]), _MONTHS[m[1]], int(m[2]))
    else:
        return None
    try:
        return date(*parts).isoformat()
    except ValueError:
        return None


# --------------------------------------------------------------------------- dataclasses

@dataclass(frozen=True)
class FieldMap:
    """One canonical target and the source header(s) that feed it.

    ``source`` alternatives are tried in order; the first one present in the file wins. A
    source starting with ``re:`` is a regular expression searched in the normalised header
    (for headers that carry free text, e.g. a SurveyMonkey question).
    """

    source: str | tuple[str, ...]
    target: str
    kind: str = "text"
    required: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for {self.target!r}")

    @property
    def sources(self) -> tuple[str, ...]:
        return (self.source,) if isinstance(self.source, str) else tuple(self.source)

    def find(self, headers: Sequence[str], used: Iterable[str] = (),
             filled: set[str] | None = None) -> str | None:
        """The header (as spelled in the file) that feeds this field, or None.

        With ``filled`` (the headers that hold at least one value), an alternative with
        values wins over an earlier one that is empty in every row ("Annual contract value"
        left blank beside a filled "Amount").
        """
        used = set(used)
        normed = [(h, normalise_header(h)) for h in headers if h not in used]
        hits = []
        for alt in self.sources:
            if alt.startswith("re:"):
                rx = re.compile(alt[3:])
                hits.extend(h for h, n in normed if rx.search(n) and h not in hits)
            elif alt.startswith("companion:"):
                # the column whose companion "<header><suffix>" exists (Qualtrics' NPS
                # question Q1 beside its Q1_NPS_GROUP)
                suffix = alt[len("companion:"):]
                every = {normalise_header(h) for h in headers}
                hits.extend(h for h, n in normed if normalise_header(f"{h}{suffix}") in every
                            and h not in hits)
            else:
                want = normalise_header(alt)
                hits.extend(h for h, n in normed if n == want and h not in hits)
            if hits and filled is None:
                return hits[0]
        if not hits:
            return None
        if filled is not None:
            for h in hits:
                if h in filled:
                    return h
        return hits[0]


@dataclass(frozen=True, eq=False)
class Profile:
    """A known export layout of one source system (compared by identity)."""

    id: str
    system: str
    entity: str
    fields: tuple[FieldMap, ...]
    signature: tuple[str, ...]
    source_key: str
    wide_metric: str | None = None
    transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    status_map: Mapping[str, str] = field(default_factory=dict)
    #: values filled where the canonical frame has none, e.g. {"kind": "nps"}
    constants: Mapping[str, object] = field(default_factory=dict)
    #: layout hints for the reader (see module docstring)
    reader_hints: Mapping[str, object] = field(default_factory=dict)
    description: str = ""
    #: when set, the layout is recognised but not imported: the message says why, in words
    refuse: str = ""
    #: targets of which at least one must be mapped for the layout to be usable (e.g. an
    #: account dimension in an analytics report)
    needs_any: tuple[str, ...] = ()
    #: whether unmatched records make new accounts (None: the entity decides)
    creates_accounts: bool | None = None
    #: exports whose columns are picked by the user (API-name object exports, custom
    #: report columns): recognised by the share of the file's columns the signature names,
    #: provided one of ``distinctive`` is present
    loose: bool = False
    distinctive: tuple[str, ...] = ()
    #: multiplies the recognition score (a fallback layout ranks below the real one)
    weight: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", tuple(self.fields))
        object.__setattr__(self, "signature", tuple(self.signature))
        object.__setattr__(self, "status_map", MappingProxyType(
            {_status_key(k): v for k, v in dict(self.status_map).items()}))
        object.__setattr__(self, "constants", MappingProxyType(dict(self.constants)))
        object.__setattr__(self, "reader_hints", MappingProxyType(dict(self.reader_hints)))
        object.__setattr__(self, "needs_any", tuple(self.needs_any))
        object.__setattr__(self, "distinctive", tuple(self.distinctive))

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(f.target for f in self.fields)

    def field_for(self, target: str) -> FieldMap | None:
        for f in self.fields:
            if f.target == target:
                return f
        return None

    def __repr__(self) -> str:  # the dataclass repr would print every FieldMap
        return f"Profile({self.id!r})"


@dataclass(frozen=True)
class ColumnPlan:
    source: str
    target: str
    kind: str
    required: bool = False


# --------------------------------------------------------------------------- registry

REGISTRY: list[Profile] = []
_WRAPPED = "__acctdesk_standard_transform__"


def _valid_target(entity: str, target: str) -> bool:
    if target in ACCOUNT_HINTS or target.startswith("_") or target == "billing_flag":
        return True
    if target == "account.key" or target.startswith("xid:"):
        return True
    if entity == "usage" and target.startswith("value:"):
        return True
    return target in ENTITY_FIELDS[entity]


def register(profile: Profile) -> Profile:
    """Validate ``profile``, wrap its transform in the standard one, add it to REGISTRY.

    Returns the registered profile (use it, not the argument: its transform is the wrapped
    one). Registering an id twice replaces the earlier profile.
    """
    if profile.entity not in ENTITY_FIELDS:
        raise ValueError(f"{profile.id}: unknown entity {profile.entity!r}")
    bad = [f.target for f in profile.fields if not _valid_target(profile.entity, f.target)]
    if bad:
        raise ValueError(f"{profile.id}: targets not in {profile.entity}: {bad}")
    if not profile.signature:
        raise ValueError(f"{profile.id}: empty signature")

    custom = profile.transform
    if custom is not None and getattr(custom, _WRAPPED, False):
        custom = getattr(custom, "custom", None)
    registered = replace(profile, transform=standard_transform(profile, custom))
    REGISTRY[:] = [p for p in REGISTRY if p.id != profile.id]
    REGISTRY.append(registered)
    return registered


def get(profile_id: str) -> Profile:
    for p in REGISTRY:
        if p.id == profile_id:
            return p
    raise KeyError(profile_id)


def profiles_for(entity: str) -> list[Profile]:
    return [p for p in REGISTRY if p.entity == entity]


# --------------------------------------------------------------------------- recognition

def clean_headers(headers: Sequence[object]) -> list[str]:
    out = []
    for h in headers:
        if h is None or (isinstance(h, float) and math.isnan(h)):
            continue
        s = str(h)
        n = normalise_header(s)
        if not n or re.fullmatch(r"unnamed \d+(?: level \d+)?", n):
            continue
        out.append(s)
    return out


def score_profile(profile: Profile, headers: Sequence[object]) -> float:
    """How well ``headers`` look like ``profile``'s export, 0..1.

    coverage of the signature (normalised comparison), halved for each required field with
    no source column, times a small specificity factor (0.85..1: the share of the file's
    columns the profile knows), so that a superset profile beats a subset one.
    """
    hs = clean_headers(headers)
    if not hs:
        return 0.0
    normed = {normalise_header(h) for h in hs}
    # a signature entry "A|B" is met by either spelling (an export's older layout)
    alts = [{normalise_header(a) for a in s.split("|")} for s in profile.signature]
    sig = set().union(*alts)
    coverage = sum(1 for a in alts if a & normed) / len(alts)
    score = coverage
    if profile.loose:
        hits = sum(1 for h in normed if h in sig)
        marks = len(normed & {normalise_header(d) for d in profile.distinctive})
        share = hits / len(normed)
        if hits >= 4:
            score = max(coverage, 0.5 * coverage + 0.5 * share)
        if hits >= 3 and marks >= 2:    # several columns only this system exports
            score = max(score, 0.5 + 0.5 * share)
        if profile.distinctive and not marks:
            score *= 0.5
    for f in profile.fields:
        if f.required and f.find(hs) is None:
            score *= 0.5
    dated = [h for h in hs if header_date(h)]
    if profile.wide_metric:
        if len(dated) < 2:
            score *= 0.5
    elif profile.entity == "usage" and len(dated) >= 3:
        score *= 0.7
    known = set(sig)
    for f in profile.fields:
        hit = f.find(hs)
        if hit is not None:
            known.add(normalise_header(hit))
    explained = sum(1 for h in hs if normalise_header(h) in known
                    or (profile.wide_metric and header_date(h)))
    if not profile.loose:   # a user-picked column set says nothing by its extra columns
        score *= 0.85 + 0.15 * explained / len(hs)
    return round(max(0.0, min(1.0, score * profile.weight)), 4)


def recognise(headers: Sequence[object]) -> list[tuple[Profile, float]]:
    """Every registered profile with its score for ``headers``, best first (ties: id)."""
    scored = [(p, score_profile(p, headers)) for p in REGISTRY]
    scored.sort(key=lambda ps: (-ps[1], ps[0].id))
    return scored


# --------------------------------------------------------------------------- mapping

def _headers_of(frame_or_headers: pd.DataFrame | Sequence[object]) -> list[str]:
    if isinstance(frame_or_headers, pd.DataFrame):
        return clean_headers(list(frame_or_headers.columns))
    return clean_headers(list(frame_or_headers))


def filled_columns(frame: pd.DataFrame) -> set[str]:
    """The columns of ``frame`` with at least one non-blank value."""
    out = set()
    for c in frame.columns:
        s = frame[c]
        if s.dtype.kind in "biufcmM":
            if s.notna().any():
                out.add(c)
            continue
        vals = s.dropna()
        if len(vals) and vals.astype(str).str.strip().ne("").any():
            out.add(c)
    return out


def column_plan(profile: Profile, frame_or_headers) -> list[ColumnPlan]:
    """Which source column feeds which target, with the kind to coerce it by.

    Given a frame (not only headers), a candidate column with values wins over one that is
    empty in every row.
    """
    headers = _headers_of(frame_or_headers)
    filled = filled_columns(frame_or_headers) if isinstance(frame_or_headers, pd.DataFrame) \
        else None
    plan: list[ColumnPlan] = []
    used: set[str] = set()
    for f in profile.fields:
        hit = f.find(headers, used, filled)
        if hit is not None:
            used.add(hit)
            plan.append(ColumnPlan(hit, f.target, f.kind, f.required))
    if profile.wide_metric:
        for h in headers:
            if h not in used and (iso := header_date(h)):
                used.add(h)
                plan.append(ColumnPlan(h, f"value@{iso}", "number"))
    return plan


def map_frame(profile: Profile, frame: pd.DataFrame | Sequence[object]) -> dict[str, str]:
    """{source column: canonical target} for the columns of ``frame`` the profile knows.

    Columns not in the result are kept by the pipeline as custom fields.
    """
    return {c.source: c.target for c in column_plan(profile, frame)}


def kind_for(profile: Profile, target: str) -> str:
    """The coercion kind of a target produced by :func:`map_frame`."""
    if target.startswith("value@") or target.startswith("value:"):
        f = profile.field_for(target)
        return f.kind if f else "number"
    f = profile.field_for(target)
    if f is None:
        raise KeyError(f"{profile.id} has no target {target!r}")
    return f.kind


def missing_required(profile: Profile, frame_or_headers) -> list[str]:
    headers = _headers_of(frame_or_headers)
    return [f.target for f in profile.fields if f.required and f.find(headers) is None]


# --------------------------------------------------------------------------- value helpers

def is_missing(v: object) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _status_key(v: object) -> str:
    return normalise_header(v).replace(" ", "_")


def map_values(series: pd.Series, table: Mapping[str, object], *, keep_unknown: bool = True
               ) -> pd.Series:
    """Map values through ``table`` by their normalised key ("Closed Won" -> closed_won)."""
    norm = {_status_key(k): v for k, v in table.items()}

    def one(v):
        if is_missing(v):
            return None
        key = _status_key(v)
        if key in norm:
            return norm[key]
        return v if keep_unknown else None
    return series.map(one).astype(object)


def normalise_domain(value: object) -> str | None:
    """"https://www.Acme.com/about" -> "acme.com"; "jane@acme.com" -> "acme.com"."""
    return host_of(value)


def email_domain(value: object) -> str | None:
    if is_missing(value) or "@" not in str(value):
        return None
    dom = normalise_domain(str(value))
    return None if is_free_mail(registrable_domain(dom)) else dom


def truthy(value: object) -> bool:
    """Coerced bools, or text that looks true ("true", "yes", "1", "x")."""
    if is_missing(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return str(value).strip().lower() in {"true", "t", "yes", "y", "1", "x", "ja", "wahr"}


def column_or_none(df: pd.DataFrame, name: str) -> pd.Series:
    return df[name] if name in df.columns else pd.Series([None] * len(df), index=df.index,
                                                         dtype=object)


def _num(v: object) -> float | None:
    if is_missing(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- billing

_PER_YEAR = {
    "day": 365.0, "daily": 365.0, "days": 365.0,
    "week": 52.0, "weekly": 52.0, "weeks": 52.0,
    "month": 12.0, "monthly": 12.0, "months": 12.0, "mo": 12.0,
    "quarter": 4.0, "quarterly": 4.0, "quarters": 4.0,
    "half_year": 2.0, "semiannual": 2.0, "semi_annual": 2.0, "half_yearly": 2.0,
    "year": 1.0, "yearly": 1.0, "years": 1.0, "annual": 1.0, "annually": 1.0, "yr": 1.0,
}


def periods_per_year(interval: object, count: object = 1) -> float:
    """Billing periods in a year: ("month", 1) -> 12, ("month", 3) -> 4, ("week",) -> 52.

    A missing interval is taken as monthly (the common case, and what the amount columns of
    exports without an interval column mean).
    """
    key = "month" if is_missing(interval) else _status_key(interval)
    if key not in _PER_YEAR:
        raise ValueError(f"unknown billing interval {interval!r}")
    n = _num(count)
    n = 1.0 if n is None or n <= 0 else n
    return _PER_YEAR[key] / n


NOT_PAYING = frozenset({"trialing", "paused", "future"})


def normalise_billing(df: pd.DataFrame, *, amount: str = "_amount", quantity: str | None = "quantity",
                      amount_is_total: str | None = None) -> pd.DataFrame:
    """MRR/ARR from a price per billing period, then the still-paying status flags.

    Columns read (all optional but ``amount``): ``amount`` (price per period, per unit unless
    ``amount_is_total`` names a column holding the total for all units, which wins when
    present), ``quantity`` (default 1), ``_interval`` (default month), ``_interval_count``
    (default 1), ``_cancel_at_period_end``, ``_current_period_end``.

    ``arr = price x quantity x periods per year`` and ``mrr = arr / 12`` (rounded to cents).
    Trialing / paused / future subscriptions get 0; cancelled / ended keep their last MRR.
    past_due and non_renewing become ``active`` with ``billing_flag``; an active subscription
    cancelled at period end gets flag ``cancel_at_period_end`` and ``end_date`` = the end of
    its current period.
    """
    df = df.copy()
    arr_out, mrr_out, status_out, flag_out, end_out = [], [], [], [], []
    amounts = column_or_none(df, amount)
    totals = column_or_none(df, amount_is_total) if amount_is_total else None
    qty = column_or_none(df, quantity) if quantity else pd.Series([None] * len(df), index=df.index)
    interval, count = column_or_none(df, "_interval"), column_or_none(df, "_interval_count")
    cape, period_end = column_or_none(df, "_cancel_at_period_end"), column_or_none(df, "_current_period_end")
    status, end_date = column_or_none(df, "status"), column_or_none(df, "end_date")
    for i in range(len(df)):
        q = _num(qty.iloc[i])
        q = 1.0 if q is None else q
        total = _num(totals.iloc[i]) if totals is not None else None
        price = _num(amounts.iloc[i])
        per_period = total if total is not None else (None if price is None else price * q)
        st = status.iloc[i]
        st = None if is_missing(st) else str(st)
        flag = None
        end = end_date.iloc[i]
        end = None if is_missing(end) else end
        if per_period is None:
            arr = mrr = None
        else:
            annual = per_period * periods_per_year(interval.iloc[i], count.iloc[i])
            arr, mrr = round(annual, 2), round(annual / 12.0, 2)
        if st in NOT_PAYING:
            arr = mrr = 0.0 if per_period is not None else None
        if st in ("past_due", "non_renewing"):
            flag, st = st, "active"
            if flag == "non_renewing":
                if end is None and not is_missing(period_end.iloc[i]):
                    end = period_end.iloc[i]
        elif st == "active" and truthy(cape.iloc[i]):
            flag = "cancel_at_period_end"
            if end is None and not is_missing(period_end.iloc[i]):
                end = period_end.iloc[i]
        arr_out.append(arr)
        mrr_out.append(mrr)
        status_out.append(st)
        flag_out.append(flag)
        end_out.append(end)
    df["arr"], df["mrr"] = pd.Series(arr_out, index=df.index, dtype=object), \
        pd.Series(mrr_out, index=df.index, dtype=object)
    df["status"] = pd.Series(status_out, index=df.index, dtype=object)
    df["billing_flag"] = pd.Series(flag_out, index=df.index, dtype=object)
    df["end_date"] = pd.Series(end_out, index=df.index, dtype=object)
    return df


def deal_outcome(df: pd.DataFrame) -> pd.DataFrame:
    """A CRM deal's ``status``: ``won`` | ``lost`` | ``open``, and its ``stage`` kept as shown.

    Read from the won/closed flags when the export has them (Salesforce ``IsWon`` /
    ``IsClosed``, in helper columns ``_is_won`` / ``_is_closed``), else from the stage words
    ("Closed Won", "closedwon", "Won" -> won; "Closed Lost", "Lost", "Dead" -> lost; any other
    stage -> open). Deals are pipeline: this never makes revenue.
    """
    df = df.copy()
    stage = column_or_none(df, "stage") if "stage" in df.columns else column_or_none(df, "status")
    if "stage" not in df.columns:
        df["stage"] = stage
    words = stage.map(lambda v: None if is_missing(v) else _status_key(v))
    won_w = words.map(lambda k: k is not None and (k in ("won", "closedwon", "closed_won", "win")
                                                   or k.endswith("_won") or k.startswith("won_")))
    lost_w = words.map(lambda k: k is not None and (
        k in ("lost", "closedlost", "closed_lost", "dead", "deleted", "cancelled", "canceled")
        or k.endswith("_lost") or k.startswith("lost_") or k.startswith("closed_lost")))
    status = pd.Series(np.where(won_w, "won", np.where(lost_w, "lost", "open")),
                       index=df.index, dtype=object)
    if "_is_won" in df.columns or "_is_closed" in df.columns:
        is_won = column_or_none(df, "_is_won").map(lambda v: None if is_missing(v) else truthy(v))
        closed = column_or_none(df, "_is_closed").map(lambda v: None if is_missing(v) else truthy(v))
        flagged = is_won.notna() | closed.notna()
        by_flag = np.where(is_won.fillna(False).astype(bool), "won",
                           np.where(closed.fillna(False).astype(bool), "lost", "open"))
        status = status.where(~flagged, pd.Series(by_flag, index=df.index, dtype=object))
    status = status.where(stage.notna() | column_or_none(df, "_is_closed").notna()
                          | column_or_none(df, "_is_won").notna(), None)
    df["status"] = status.astype(object)
    return df


# --------------------------------------------------------------------------- report clean-up

_REPORT_ROW = re.compile(
    r"(?i)^\s*(sub ?totals?|totals?|grand totals?(\s*\(\d+ records?\))?|count\s*:?\s*\d*|"
    r"confidential information.*|copyright .*)\s*$")


def drop_report_rows(df: pd.DataFrame, group_columns: Sequence[str] = ()) -> pd.DataFrame:
    """Remove subtotal / total / footer rows of formatted reports; fill group values down.

    Grouped ("summary") report exports print a group value only on the first row of its group
    and close each group with a subtotal row. When such summary rows are found, the
    ``group_columns`` (canonical names) are filled down within each group. Detail-only
    exports (no summary rows) are left as they are: a blank there is a real blank.
    """
    if df.empty:
        return df
    text_cols = list(df.columns)  # object or pandas' str dtype: test values, not dtypes

    def is_summary(row) -> bool:
        return any(isinstance(v, str) and _REPORT_ROW.match(v) for v in row)

    summary = df[text_cols].apply(is_summary, axis=1) if text_cols else \
        pd.Series(False, index=df.index)
    empty = df.apply(lambda r: all(is_missing(v) or (isinstance(v, str) and not v.strip())
                                   for v in r), axis=1)
    out = df.copy()
    if summary.any():
        block = summary.cumsum()
        for col in group_columns:
            if col in out.columns:
                out[col] = out[col].where(~out[col].map(
                    lambda v: is_missing(v) or (isinstance(v, str) and not v.strip())))
                out[col] = out.groupby(block)[col].ffill().astype(object)
                out[col] = out[col].where(out[col].notna(), None)
    return out[~summary & ~empty].reset_index(drop=True)


# --------------------------------------------------------------------------- tickets

CSAT_WORDS = {
    "good": 100.0, "bad": 0.0, "offered": None, "not_offered": None, "unoffered": None,
    "awesome": 100.0, "just_okay": 50.0, "not_good": 0.0,
    "extremely_satisfied": 100.0, "very_satisfied": 100.0, "satisfied": 75.0,
    "neutral": 50.0, "dissatisfied": 25.0, "unsatisfied": 25.0,
    "very_dissatisfied": 0.0, "extremely_dissatisfied": 0.0,
}
PRIORITY_MAP = {"low": "low", "normal": "normal", "medium": "normal", "high": "high",
                "urgent": "urgent", "critical": "urgent", "priority": "high",
                "not_priority": "normal", "-": None, "": None}


def csat_from_words(series: pd.Series) -> pd.Series:
    return map_values(series, CSAT_WORDS, keep_unknown=False)


def csat_from_rating(series: pd.Series, scale: int = 5) -> pd.Series:
    """1..scale rating -> 0..100."""
    def one(v):
        n = _num(v)
        return None if n is None else round((n - 1) * 100.0 / (scale - 1), 2)
    return series.map(one).astype(object)


def normalise_priority(series: pd.Series) -> pd.Series:
    def one(v):
        if is_missing(v):
            return None
        key = _status_key(v)
        return PRIORITY_MAP.get(key, key or None)
    return series.map(one).astype(object)


# --------------------------------------------------------------------------- standard transform

def _melt_values(df: pd.DataFrame, profile: Profile) -> pd.DataFrame:
    cols = [c for c in df.columns if isinstance(c, str)
            and (c.startswith("value@") or c.startswith("value:"))]
    if not cols:
        return df
    ids = [c for c in df.columns if c not in cols and c not in ("date", "metric", "value")]
    rows = []
    for pos, (_, rec) in enumerate(df.iterrows()):
        base = {c: rec[c] for c in ids}
        for c in cols:
            v = rec[c]
            if is_missing(v) or (isinstance(v, str) and not v.strip()):
                continue
            item = dict(base)
            if c.startswith("value@"):
                item["date"] = c[len("value@"):]
                item["metric"] = rec["metric"] if "metric" in df.columns and not is_missing(
                    rec["metric"]) else profile.wide_metric
            else:
                item["date"] = rec["date"] if "date" in df.columns else None
                item["metric"] = c[len("value:"):]
            item["value"] = v
            rows.append(item)
    out = pd.DataFrame(rows, columns=ids + ["date", "metric", "value"])
    return out.astype(object).where(out.notna(), None)


def full_name(df: pd.DataFrame) -> pd.DataFrame:
    """A contact's ``name`` from first and last name (helpers ``_first`` / ``_last``)."""
    df = df.copy()
    if ("name" not in df.columns or df["name"].isna().all()) and (
            "_first" in df.columns or "_last" in df.columns):
        first, last = column_or_none(df, "_first"), column_or_none(df, "_last")
        df["name"] = [" ".join(str(p) for p in (f, g) if not is_missing(p)) or None
                      for f, g in zip(first, last)]
    return df


#: account status words -> active | prospect | partner | churned (None: say nothing)
ACCOUNT_STATUS = {
    "active": "active", "customer": "active", "customer_direct": "active",
    "customer_channel": "active", "current_customer": "active", "paying": "active",
    "live": "active", "evangelist": "active", "client": "active", "renewed": "active",
    "prospect": "prospect", "lead": "prospect", "subscriber": "prospect",
    "marketingqualifiedlead": "prospect", "salesqualifiedlead": "prospect",
    "marketing_qualified_lead": "prospect", "sales_qualified_lead": "prospect",
    "opportunity": "prospect", "trial": "prospect", "trialing": "prospect",
    "channel_partner_reseller": "partner", "installation_partner": "partner",
    "technology_partner": "partner", "partner": "partner", "reseller": "partner",
    "churned": "churned", "churn": "churned", "former_customer": "churned",
    "cancelled": "churned", "canceled": "churned", "closed": "churned", "lost": "churned",
    "inactive": "churned", "ex_customer": "churned", "terminated": "churned",
    "other": None,
}


def account_status(df: pd.DataFrame) -> pd.DataFrame:
    """Account ``status`` in canonical words, and churn from a flag or a churn date.

    A status column is read through :data:`ACCOUNT_STATUS` (unknown words are kept as they
    are); a churn flag (helper ``_churned``: true/yes/1) marks the account churned; a churn
    date with no status says churned too. The churn date itself stays as given: a flag
    without a date is churned on a date nobody wrote down (``churn_date`` empty).
    """
    df = df.copy()
    if "status" in df.columns:
        df["status"] = map_values(df["status"], ACCOUNT_STATUS)
    flag = column_or_none(df, "_churned").map(lambda v: None if is_missing(v) else truthy(v))
    status = column_or_none(df, "status")
    churned = flag.fillna(False).astype(bool)
    if "churn_date" in df.columns:
        churned |= df["churn_date"].notna() & status.isna() & flag.isna()
    if churned.any() or flag.notna().any():
        status = status.where(~churned, "churned")
        # a flag that says "not churned" over a stale status word
        status = status.where(~(flag.eq(False) & status.eq("churned")), "active")
        df["status"] = status.astype(object)
    return df


def standard_transform(profile: Profile, custom: Callable | None) -> Callable:
    entity_fields = ENTITY_FIELDS[profile.entity]

    def transform(frame: pd.DataFrame) -> pd.DataFrame:
        df = frame.copy()
        if profile.status_map and "status" in df.columns:
            table = dict(profile.status_map)
            for canon in set(table.values()):
                if canon is not None:
                    table.setdefault(_status_key(canon), canon)
            df["status"] = map_values(df["status"], table)
        if profile.entity == "usage":
            df = _melt_values(df, profile)
        if custom is not None:
            df = custom(df)
        if profile.entity == "accounts":
            df = account_status(df)
        elif profile.entity == "opportunities":
            df = deal_outcome(df)
        for key, value in profile.constants.items():
            if key not in df.columns:
                df[key] = value
            else:
                df[key] = df[key].map(lambda v: value if is_missing(v) else v).astype(object)
        if "source" in entity_fields and "source" not in df.columns:
            df["source"] = profile.source_key
        for col in ("domain", "account.domain"):
            if col in df.columns:
                df[col] = df[col].map(normalise_domain).astype(object)
        dom_col = "domain" if profile.entity == "accounts" else "account.domain"
        email_cols = [c for c in ("_email", "requester_email", "contact_email", "email")
                      if c in df.columns]
        if email_cols:
            derived = df[email_cols].apply(
                lambda r: next((d for d in (email_domain(v) for v in r) if d), None), axis=1)
            if dom_col in df.columns:
                df[dom_col] = df[dom_col].where(df[dom_col].notna(), derived)
            else:
                df[dom_col] = derived
            df[dom_col] = df[dom_col].astype(object).where(df[dom_col].notna(), None)
        helpers = [c for c in df.columns if isinstance(c, str) and c.startswith("_")]
        return df.drop(columns=helpers).reset_index(drop=True)

    setattr(transform, _WRAPPED, True)
    transform.custom = custom  # type: ignore[attr-defined]
    transform.__name__ = f"transform_{profile.id.replace('.', '_')}"
    transform.__doc__ = f"Standard transform of {profile.id}" + (
        f", then {custom.__name__}: {custom.__doc__ or ''}" if custom else "")
    return transform


# --------------------------------------------------------------------------- built-in profiles

BUILTIN_MODULES = (
    "salesforce", "hubspot", "pipedrive", "stripe", "chargebee", "recurly", "zendesk",
    "intercom", "freshdesk", "mixpanel", "amplitude", "google_analytics", "delighted",
    "surveymonkey", "qualtrics", "typeform", "spreadsheet", "generic", "events",
)
for _name in BUILTIN_MODULES:
    importlib.import_module(f"{__name__}.{_name}")
del _name
