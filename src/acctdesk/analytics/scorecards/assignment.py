"""Which scorecard scores which account: rules by segment, lifecycle stage or any account
field, plus scorecards shown side by side (e.g. adoption and renewal risk next to health).

Pure functions over DataFrames (no Qt, no SQL); storage is in
:mod:`acctdesk.models.scores` (meta key ``scorecard_assignment``, JSON of
:meth:`Assignment.to_dict`).

Rules
-----
An :class:`Assignment` holds ordered :class:`Rule` s and a ``default`` scorecard id. Each
account active on ``as_of`` gets the card of the *first* rule it matches, else the default. A
rule matches when all of its conditions hold (a condition left empty always holds):

* ``segments``: ``accounts.segment`` is one of them (case-insensitive, trimmed);
* ``min_tenure_days <= tenure < max_tenure_days`` with ``tenure = as_of - contract_start`` in
  days (onboarding = ``max_tenure_days=90``: the first 90 days; an account without
  ``contract_start`` has no tenure and matches no tenure condition);
* ``max_days_to_renewal``: ``renewal_date - as_of < max_days_to_renewal`` (and not past);
* ``match``: ``{column: [values]}`` on other account columns (case-insensitive text).

``side_by_side`` lists scorecards computed for every account *in addition* to the assigned
one (e.g. ``adoption``, ``renewal_risk``), each with its own snapshot history.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ...domain.accounts import active_mask
from ...domain.dates import days, to_day
from ...domain.statuses import status_keys
from .data import ScoringData
from .schema import Scorecard, ScorecardError, check_keys, is_number
from .scoring import score_accounts

__all__ = ["Rule", "Assignment", "default_assignment", "assign", "score_assigned",
           "ASSIGNMENT_FORMAT"]

ASSIGNMENT_FORMAT = "acctdesk-scorecard-assignment"


@dataclass
class Rule:
    """One assignment rule (conditions in the module docstring); ``label`` names it."""

    scorecard: str
    label: str = ""
    segments: list[str] | None = None
    min_tenure_days: int | None = None
    max_tenure_days: int | None = None
    max_days_to_renewal: int | None = None
    match: dict[str, list[str]] = field(default_factory=dict)

    def problems(self, where: str) -> list[str]:
        out = []
        if not isinstance(self.scorecard, str) or not self.scorecard:
            out.append(f"{where}: names no scorecard")
        for name in ("min_tenure_days", "max_tenure_days", "max_days_to_renewal"):
            v = getattr(self, name)
            if v is not None and not (is_number(v) and v >= 0):
                out.append(f"{where}: {name} must be a non-negative number of days")
        if (is_number(self.min_tenure_days) and is_number(self.max_tenure_days)
                and self.max_tenure_days <= self.min_tenure_days):
            out.append(f"{where}: max_tenure_days must be above min_tenure_days")
        if self.segments is not None and not (
                isinstance(self.segments, list) and all(isinstance(x, str) for x in self.segments)):
            out.append(f"{where}: segments must be a list of names")
        if not isinstance(self.match, Mapping):
            out.append(f"{where}: match must be an object of column: [values]")
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"scorecard": self.scorecard}
        for name in ("label", "segments", "min_tenure_days", "max_tenure_days",
                     "max_days_to_renewal"):
            v = getattr(self, name)
            if v not in (None, ""):
                d[name] = v
        if self.match:
            d["match"] = {k: list(v) if isinstance(v, (list, tuple)) else [v]
                          for k, v in self.match.items()}
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], where: str = "rule") -> "Rule":
        check_keys(d, [f for f in cls.__dataclass_fields__], where)
        if "scorecard" not in d:
            raise ScorecardError([f"{where}: missing 'scorecard'"])
        kw = dict(d)
        kw["match"] = dict(kw.get("match") or {})
        return cls(**kw)

    def mask(self, accounts: pd.DataFrame, as_of_day: int) -> np.ndarray:
        """Which rows of ``accounts`` the rule matches on the day (days since 1970)."""
        n = len(accounts)
        m = np.ones(n, dtype=bool)

        def text(col):
            if col not in accounts:
                return np.full(n, "", dtype=object)
            return status_keys(accounts[col]).to_numpy()

        if self.segments is not None:
            m &= np.isin(text("segment"), [str(x).strip().lower() for x in self.segments])
        for col, values in (self.match or {}).items():
            vals = values if isinstance(values, (list, tuple)) else [values]
            m &= np.isin(text(col), [str(x).strip().lower() for x in vals])
        if self.min_tenure_days is not None or self.max_tenure_days is not None:
            start = days(accounts["contract_start"]) if "contract_start" in accounts \
                else np.full(n, np.nan)
            tenure = as_of_day - start
            ok = np.isfinite(tenure)
            if self.min_tenure_days is not None:
                ok &= tenure >= self.min_tenure_days
            if self.max_tenure_days is not None:
                ok &= tenure < self.max_tenure_days
            m &= np.where(np.isfinite(tenure), ok, False)
        if self.max_days_to_renewal is not None:
            ren = days(accounts["renewal_date"]) if "renewal_date" in accounts \
                else np.full(n, np.nan)
            left = ren - as_of_day
            m &= np.isfinite(left) & (left >= 0) & (left < self.max_days_to_renewal)
        return m


@dataclass
class Assignment:
    """Ordered rules, the default card and the side-by-side cards."""

    rules: list[Rule] = field(default_factory=list)
    default: str = "health"
    side_by_side: list[str] = field(default_factory=list)

    def card_ids(self) -> list[str]:
        """Every scorecard id the assignment uses (assigned first, then side by side)."""
        out: list[str] = []
        for cid in [self.default, *[r.scorecard for r in self.rules], *self.side_by_side]:
            if cid not in out:
                out.append(cid)
        return out

    def problems(self, known: Sequence[str] | None = None) -> list[str]:
        out = []
        if not isinstance(self.default, str) or not self.default:
            out.append("the assignment needs a default scorecard")
        for i, r in enumerate(self.rules):
            out.extend(r.problems(f"rule {i + 1}" + (f" ({r.label})" if r.label else "")))
        if not isinstance(self.side_by_side, list):
            out.append("side_by_side must be a list of scorecard ids")
        if known is not None:
            for cid in self.card_ids():
                if cid not in known:
                    out.append(f"scorecard {cid!r} is not in the workspace (known: "
                               f"{', '.join(sorted(known))})")
        return out

    def validate(self, known: Sequence[str] | None = None) -> "Assignment":
        problems = self.problems(known)
        if problems:
            raise ScorecardError(problems)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"format": ASSIGNMENT_FORMAT, "default": self.default,
                "rules": [r.to_dict() for r in self.rules],
                "side_by_side": list(self.side_by_side)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Assignment":
        check_keys(d, ("format", "default", "rules", "side_by_side"), "assignment")
        if d.get("format", ASSIGNMENT_FORMAT) != ASSIGNMENT_FORMAT:
            raise ScorecardError([f"not a scorecard assignment (format {d.get('format')!r})"])
        rules = d.get("rules") or []
        if not isinstance(rules, list):
            raise ScorecardError(["assignment: rules must be a list"])
        return cls(rules=[Rule.from_dict(r, f"rule {i + 1}") for i, r in enumerate(rules)],
                   default=d.get("default", "health"),
                   side_by_side=list(d.get("side_by_side") or [])).validate()


def default_assignment() -> Assignment:
    """Used when the workspace stores none: accounts in their first 90 days (from
    ``contract_start``) get the ``onboarding`` card, everyone else ``health``; ``adoption``
    and ``renewal_risk`` are shown side by side."""
    return Assignment(
        rules=[Rule("onboarding", label="Onboarding (first 90 days)", max_tenure_days=90)],
        default="health", side_by_side=["adoption", "renewal_risk"])


def assign(assignment: Assignment, accounts: pd.DataFrame, as_of: str) -> pd.Series:
    """The assigned scorecard id of every account active on ``as_of`` (index = account_id,
    in ``accounts`` order)."""
    active = active_mask(accounts, as_of).to_numpy()
    day = to_day(as_of)
    card = np.full(len(accounts), assignment.default, dtype=object)
    done = np.zeros(len(accounts), dtype=bool)
    for r in assignment.rules:
        hit = r.mask(accounts, day) & ~done
        card[hit] = r.scorecard
        done |= hit
    ids = accounts["account_id"].astype(str).to_numpy()
    return pd.Series(card[active], index=pd.Index(ids[active], name="account_id"),
                     name="scorecard")


def score_assigned(assignment: Assignment, cards: Mapping[str, Scorecard], data: ScoringData,
                   as_of: str) -> pd.DataFrame:
    """Score every active account with its assigned card.

    Returns the rows of :func:`~.scoring.score_accounts` of each card used,
    concatenated in ``data.accounts`` order, plus a ``scorecard`` column; ``pts:``/``val:``/
    ``grp:`` columns of a card are NaN on the rows of other cards. Each card computes its
    measures (percentiles included) over the whole active portfolio, so an account's score
    does not depend on which other accounts share its card.
    """
    which = assign(assignment, data.accounts, as_of)
    missing = sorted(set(which.unique()) - set(cards))
    if missing:
        raise ScorecardError([f"the assignment uses scorecard {m!r}, which is not in the "
                              "workspace" for m in missing])
    parts = []
    for cid in pd.unique(which.to_numpy()):
        s = score_accounts(cards[cid], data, as_of)
        ids = which.index[which.to_numpy() == cid]
        s = s[s["account_id"].isin(ids)].copy()
        s["scorecard"] = cid
        parts.append(s)
    if not parts:
        out = score_accounts(cards[assignment.default], data, as_of) if \
            assignment.default in cards else pd.DataFrame(
                columns=["account_id", "score", "band", "coverage"])
        out["scorecard"] = assignment.default
        return out
    out = pd.concat(parts, ignore_index=True, sort=False)
    order = pd.Index(which.index).get_indexer(out["account_id"])
    out = out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    out.attrs["as_of"] = str(as_of)[:10]
    return out
