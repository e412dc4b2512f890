"""A scoring run (what ``acctdesk score`` does): score every active account with its
assigned card, compare with the previous stored snapshot of the same card, store the
snapshots."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..analytics.scorecards import Assignment
from ..analytics.scorecards import Scorecard, ScorecardError, score_accounts, what_moved
from ..models.scores import load_snapshot, save_scores
from ..models.workspace import WorkspaceError
from .core import Engine

_BASE = ["account_id", "score", "display_score", "band", "coverage"]


def _card_columns(card: Scorecard) -> list[str]:
    return (_BASE + [f"grp:{g.name}" for g in card.groups]
            + [f"pts:{m.id}" for m in card.measures] + [f"val:{m.id}" for m in card.measures])


def _compare(ws, card: Scorecard, cur: pd.DataFrame, as_of: str, top: int
             ) -> tuple[pd.DataFrame, str | None]:
    prev = load_snapshot(ws, card.id, before=as_of)
    wm = what_moved(card, prev, cur, top=top)
    return wm, (prev.attrs["as_of"] if prev is not None else None)


def _scaled_delta(wm: pd.DataFrame, card: Scorecard) -> np.ndarray:
    return np.round(wm["delta"].to_numpy(dtype=float) * card.scale / 100.0, 1)


def score_workspace(ws, as_of: str | None = None, *, store: bool = True,
                    scorecard: str | None = None, top: int = 3) -> dict[str, Any]:
    """Score every account active on ``as_of`` (default: the data date), store the
    snapshots and compare with the previous ones.

    Each account is scored with the card its assignment rules give it -- the engine's health,
    the scores every screen shows -- or, with ``scorecard``, with that card for everyone; the
    assignment's side-by-side cards score everyone too. Every card's snapshot is stored as of
    ``as_of`` (replacing one of the same date) in one transaction. Trend and delta are
    against the latest stored snapshot of the same card *before* ``as_of``
    (:func:`~acctdesk.analytics.scorecards.what_moved`; an account first scored by this card is
    ``"new"``).

    Returns
    -------
    dict
        ``as_of``; ``accounts`` (DataFrame: ``account_id, name, scorecard, score`` (on the
        card's scale), ``score_100``, ``band, trend, delta`` (card's scale), ``drivers``,
        ``coverage``); ``side_by_side`` (card id -> DataFrame ``account_id, score, band,
        trend, delta``); ``cards`` (id -> Scorecard); ``assignment``; ``previous`` (card id
        -> date of the snapshot compared with, or None); ``stored`` (rows written).
    """
    a = Engine(ws).analysis(as_of)
    if not a.as_of:
        raise WorkspaceError(f"{ws.path}: the workspace has no data to score yet; import "
                             "accounts first")
    as_of = a.as_of
    cards, assignment = a.scorecards
    if scorecard is not None:
        if scorecard not in cards:
            raise ScorecardError([f"no scorecard {scorecard!r} (available: "
                                  f"{', '.join(sorted(cards))})"])
        assignment = Assignment(default=scorecard)
        detail = score_accounts(cards[scorecard], a.data, as_of).assign(scorecard=scorecard)
        detail["account_id"] = detail["account_id"].astype(str)
    else:
        detail = a.health.detail
    names = a.data.accounts.assign(account_id=a.data.accounts["account_id"].astype(str)) \
        .set_index("account_id")["name"]
    primary, side, previous, snapshots = [], {}, {}, {}
    for cid in pd.unique(detail["scorecard"].to_numpy()):
        card = cards[cid]
        s = detail.loc[detail["scorecard"] == cid, _card_columns(card)].reset_index(drop=True)
        snapshots[cid] = s
        wm, previous[cid] = _compare(ws, card, s, as_of, top)
        primary.append(pd.DataFrame({
            "account_id": s["account_id"].to_numpy(), "scorecard": cid,
            "score": s["display_score"].to_numpy(dtype=float),
            "score_100": s["score"].to_numpy(dtype=float),
            "band": s["band"].to_numpy(), "trend": wm["trend"].to_numpy(),
            "delta": _scaled_delta(wm, card), "drivers": wm["drivers"].to_numpy(),
            "coverage": s["coverage"].to_numpy()}))
    for cid in assignment.side_by_side:
        if cid in snapshots:  # also an assigned card: its snapshot holds its own accounts
            continue
        card = cards[cid]
        s = score_accounts(card, a.data, as_of)
        snapshots[cid] = s
        wm, previous[cid] = _compare(ws, card, s, as_of, top)
        side[cid] = pd.DataFrame({
            "account_id": s["account_id"].to_numpy(),
            "score": s["display_score"].to_numpy(dtype=float), "band": s["band"].to_numpy(),
            "trend": wm["trend"].to_numpy(), "delta": _scaled_delta(wm, card)})
    accounts = pd.concat(primary, ignore_index=True) if primary else pd.DataFrame(
        columns=["account_id", "scorecard", "score", "score_100", "band", "trend", "delta",
                 "drivers", "coverage"])
    order = pd.Index(detail["account_id"]).get_indexer(accounts["account_id"])
    accounts = accounts.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    accounts.insert(1, "name", names.reindex(accounts["account_id"]).to_numpy())
    stored = 0
    if store:
        with ws.transaction():
            for cid, s in snapshots.items():
                stored += save_scores(ws, cid, as_of, s[_card_columns(cards[cid])])
    return {"as_of": as_of, "accounts": accounts, "side_by_side": side, "cards": cards,
            "assignment": assignment, "previous": previous, "stored": stored}
