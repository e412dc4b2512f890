"""Health with the assigned scorecards: every account scored by the card its workspace's
assignment rules give it, and the baseline its change is measured against.

The cards are the built-in ones (fitted to the data, e.g. the CSAT scale) overlaid with the
workspace's stored cards (:func:`acctdesk.engine.scorecards.available_scorecards`); the
assignment is the stored one, else the default (onboarding for the first 90 days, health
after). Every screen, command and export shows these scores.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..analytics.scorecards import Assignment, score_assigned
from ..analytics.scorecards import Scorecard, ScoringData, score_accounts
from ..domain import dates

#: columns of :attr:`Health.frame`
HEALTH_COLUMNS = ["account_id", "scorecard", "score", "display_score", "band", "colour",
                  "coverage"]


@dataclass
class Health:
    """Health of the accounts active on ``as_of``.

    ``frame``: one row per active account (:data:`HEALTH_COLUMNS`; ``score`` 0-100, NaN
    without data; ``display_score`` on the card's own scale). ``detail``: the rows of
    :func:`~acctdesk.analytics.scorecards.score_assigned` (per-measure ``pts:``/``val:``
    and per-group ``grp:`` columns of each account's card). ``before``: the baseline score
    of each account (same card; Series by account id), ``baseline``: what the baseline is,
    in words.
    """

    as_of: str
    cards: dict[str, Scorecard]
    assignment: Assignment
    frame: pd.DataFrame
    detail: pd.DataFrame
    before: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    baseline: str = ""
    #: card id -> the date of its baseline scores
    baseline_dates: dict[str, str] = field(default_factory=dict)

    @property
    def default_card(self) -> Scorecard:
        """The assignment's default card (the one most accounts are on)."""
        return self.cards[self.assignment.default]

    def bands(self) -> list[tuple[str, float, str]]:
        """(label, lower bound, colour) of every band shown: the default card's, then the
        bands of other assigned cards with other labels."""
        out, seen = [], set()
        used = [self.assignment.default] + [c for c in pd.unique(self.frame["scorecard"])
                                            if c != self.assignment.default]
        for cid in used:
            for b in self.cards[cid].bands:
                if b.label not in seen:
                    seen.add(b.label)
                    out.append((b.label, float(b.lower), b.color))
        return out

    def card_of(self, account_id: str) -> Scorecard | None:
        hit = self.frame.loc[self.frame["account_id"] == str(account_id), "scorecard"]
        return self.cards[hit.iloc[0]] if len(hit) else None


def score_health(data: ScoringData, cards: dict[str, Scorecard], assignment: Assignment,
                 as_of: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(frame, detail) of :class:`Health` for ``as_of``."""
    detail = score_assigned(assignment, cards, data, as_of)
    detail = detail.assign(account_id=detail["account_id"].astype(str))
    colour = {(cid, b.label): b.color for cid, c in cards.items() for b in c.bands}
    frame = pd.DataFrame({
        "account_id": detail["account_id"].to_numpy(dtype=object),
        "scorecard": detail["scorecard"].to_numpy(dtype=object),
        "score": detail["score"].to_numpy(dtype=float),
        "display_score": detail["display_score"].to_numpy(dtype=float),
        "band": detail["band"].to_numpy(dtype=object),
        "colour": [colour.get((c, b)) for c, b in zip(detail["scorecard"], detail["band"])],
        "coverage": detail["coverage"].to_numpy(dtype=float),
    })
    return frame, detail


def baseline(frame: pd.DataFrame, cards: dict[str, Scorecard], data: ScoringData,
             as_of: str, stored: dict[str, pd.DataFrame | None], days: int
             ) -> tuple[pd.Series, str, dict[str, str]]:
    """The score each account is compared with, on its own card: the latest stored snapshot
    of that card before ``as_of`` (``stored``: card id -> snapshot or None), else the card's
    score recomputed ``days`` before ``as_of``. Returns (score by account id, label, card id
    -> baseline date)."""
    parts, labels, when_by_card = [], [], {}
    for cid in pd.unique(frame["scorecard"]):
        ids = frame.loc[frame["scorecard"] == cid, "account_id"]
        snap = stored.get(cid)
        if snap is not None:
            when_by_card[cid] = str(snap.attrs.get("as_of"))
            labels.append(f"stored snapshot of {snap.attrs.get('as_of')}")
        else:
            when = dates.add_days(as_of, -days)
            when_by_card[cid] = when
            snap = score_accounts(cards[cid], data, when)
            labels.append(f"recomputed as of {when} (no earlier snapshot stored)")
        s = pd.Series(pd.to_numeric(snap["score"], errors="coerce").to_numpy(dtype=float),
                      index=snap["account_id"].astype(str).to_numpy())
        s = s[~s.index.duplicated(keep="last")]
        parts.append(s.reindex(ids.to_numpy()))
    before = pd.concat(parts) if parts else pd.Series(dtype=float)
    label = "; ".join(dict.fromkeys(labels)) if labels else ""
    return (before.reindex(frame["account_id"].to_numpy()).astype(float), label,
            when_by_card)


def health_changes(frame: pd.DataFrame, before: pd.Series) -> np.ndarray:
    """Points each account's score moved since its baseline (NaN without both)."""
    return frame["score"].to_numpy(dtype=float) - before.reindex(
        frame["account_id"].to_numpy()).to_numpy(dtype=float)
