"""Scorecards, the assignment and score snapshots in a workspace: storage only.

* A scorecard is stored as its JSON (the card's ``to_dict()``) in ``meta`` under the key
  ``scorecard:<id>``; storing and deleting are audited. This module keeps the JSON as it is;
  reading it into a validated card is :mod:`acctdesk.engine.scorecards`.
* A snapshot is one row per account in ``score_history`` (account_id, scorecard, as_of, score,
  band, coverage, points). ``points`` is a JSON object of the frame's per-measure and
  per-group columns, keyed as in :func:`acctdesk.analytics.scorecards.score_accounts`:
  ``{"pts:<measure>": points, "val:<measure>": raw value, "grp:<group>": group score,
  "display_score": ...}`` (null = no data), so history can say what moved a score.
* The scorecard assignment (which card scores which account, and the cards shown side by
  side) is JSON in ``meta`` under ``scorecard_assignment``.
* A scoring run (score, compare, store) is :func:`acctdesk.engine.scores.score_workspace`.
"""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from .workspace import Workspace

__all__ = ["META_PREFIX", "ASSIGNMENT_KEY", "store_scorecard", "stored_scorecard",
           "stored_scorecards", "delete_scorecard", "store_assignment", "stored_assignment",
           "save_scores", "score_history", "snapshot_dates", "load_snapshot"]

ASSIGNMENT_KEY = "scorecard_assignment"
META_PREFIX = "scorecard:"
_BASE = ("account_id", "score", "band", "coverage")


# ====================================================================== cards
def store_scorecard(ws: Workspace, card_id: str, card: dict[str, Any]) -> None:
    """Store a card's JSON (replacing a card with the same id), with an audit entry."""
    key = META_PREFIX + card_id
    with ws.transaction():
        before = ws.get_meta(key)
        ws.set_meta(key, json.dumps(card, sort_keys=False))
        ws.audit("scorecard.save", "scorecard", card_id,
                 before=_json_or_text(before), after=card)


def stored_scorecard(ws: Workspace, card_id: str) -> str | None:
    """The stored JSON text of one card, or None."""
    return ws.get_meta(META_PREFIX + card_id)


def stored_scorecards(ws: Workspace) -> dict[str, str]:
    """The stored JSON text of every card by id, in id order."""
    rows = ws.conn.execute(
        "SELECT key, value FROM meta WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
        (META_PREFIX.replace("_", "\\_") + "%",),
    ).fetchall()
    return {key[len(META_PREFIX):]: value for key, value in rows if value}


def delete_scorecard(ws: Workspace, card_id: str, *, with_history: bool = False) -> None:
    """Remove a stored scorecard (and, if asked, its score history) in one transaction."""
    key = META_PREFIX + card_id
    with ws.transaction() as conn:
        before = ws.get_meta(key)
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        if with_history:
            conn.execute("DELETE FROM score_history WHERE scorecard = ?", (card_id,))
        ws.audit("scorecard.delete", "scorecard", card_id, before=_json_or_text(before))


def store_assignment(ws: Workspace, assignment: dict[str, Any]) -> None:
    """Store the assignment's JSON, audited."""
    with ws.transaction():
        before = ws.get_meta(ASSIGNMENT_KEY)
        ws.set_meta(ASSIGNMENT_KEY, json.dumps(assignment))
        ws.audit("scorecard.assignment", "scorecard", None,
                 before=_json_or_text(before), after=assignment)


def stored_assignment(ws: Workspace) -> str | None:
    """The stored assignment's JSON text, or None."""
    return ws.get_meta(ASSIGNMENT_KEY) or None


def _json_or_text(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# ====================================================================== snapshots
def _points_json(frame: pd.DataFrame) -> list[str]:
    cols = [c for c in frame.columns if c.startswith(("pts:", "val:", "grp:"))
            or c == "display_score"]
    if not cols:
        return ["{}"] * len(frame)
    sub = frame[cols].astype(float).reset_index(drop=True)
    text = sub.to_json(orient="records", lines=True, double_precision=10)
    return text.splitlines() if text else []


def save_scores(ws: Workspace, card_id: str, as_of: str, scores: pd.DataFrame) -> int:
    """Store a snapshot (the output of ``score_accounts``) as of ``as_of``; returns rows written.

    One transaction: the previous snapshot of this (scorecard, as_of) is deleted first, so
    re-saving replaces it and a failure leaves the old one intact.
    """
    as_of = str(as_of)[:10]
    missing = [c for c in _BASE if c not in scores]
    if missing:
        raise ValueError(f"the scores frame lacks column(s) {', '.join(missing)}")
    points = _points_json(scores)
    score = scores["score"].astype(float).to_numpy()
    cov = scores["coverage"].astype(float).to_numpy()
    band = scores["band"].astype(object).to_numpy()
    rows = [
        (str(a), card_id, as_of, None if np.isnan(s) else float(s),
         None if b is None or (isinstance(b, float) and np.isnan(b)) else str(b),
         None if np.isnan(c) else float(c), p)
        for a, s, b, c, p in zip(scores["account_id"].to_numpy(), score, band, cov, points)
    ]
    with ws.transaction() as conn:
        conn.execute("DELETE FROM score_history WHERE scorecard = ? AND as_of = ?",
                     (card_id, as_of))
        conn.executemany(
            "INSERT INTO score_history(account_id, scorecard, as_of, score, band, coverage, "
            "points) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return len(rows)


def _expand(frame: pd.DataFrame, expand: bool) -> pd.DataFrame:
    if not expand:
        return frame
    if len(frame):
        detail = pd.DataFrame.from_records(
            [json.loads(p) if p else {} for p in frame["points"]], index=frame.index)
        detail = detail.apply(pd.to_numeric, errors="coerce") if len(detail.columns) else detail
    else:
        detail = pd.DataFrame(index=frame.index)
    return pd.concat([frame.drop(columns="points"), detail], axis=1)


def score_history(ws: Workspace, card_id: str, account_id: str | None = None,
                  *, expand: bool = True) -> pd.DataFrame:
    """Stored snapshots of a scorecard, ordered by account then date.

    Columns ``account_id, as_of, score, band, coverage`` and, with ``expand``, the stored
    ``pts:``/``val:``/``grp:`` columns (else the raw ``points`` JSON).
    """
    sql = ("SELECT account_id, as_of, score, band, coverage, points FROM score_history "
           "WHERE scorecard = ?")
    params: list[Any] = [card_id]
    if account_id is not None:
        sql += " AND account_id = ?"
        params.append(account_id)
    frame = ws.frame(sql + " ORDER BY account_id, as_of", params)
    for c in ("score", "coverage"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    return _expand(frame, expand)


def snapshot_dates(ws: Workspace, card_id: str) -> list[str]:
    """The ``as_of`` dates with a stored snapshot of this scorecard, oldest first."""
    return [r[0] for r in ws.conn.execute(
        "SELECT DISTINCT as_of FROM score_history WHERE scorecard = ? ORDER BY as_of",
        (card_id,))]


def load_snapshot(ws: Workspace, card_id: str, as_of: str | None = None, *,
                  before: str | None = None) -> pd.DataFrame | None:
    """One stored snapshot in the shape of ``score_accounts`` output.

    ``as_of`` picks that date; ``before`` picks the latest snapshot strictly before a date
    (the "previous" snapshot for deltas); neither picks the latest. None if there is none.
    """
    dates = snapshot_dates(ws, card_id)
    if as_of is not None:
        pick = str(as_of)[:10] if str(as_of)[:10] in dates else None
    elif before is not None:
        earlier = [d for d in dates if d < str(before)[:10]]
        pick = earlier[-1] if earlier else None
    else:
        pick = dates[-1] if dates else None
    if pick is None:
        return None
    frame = ws.frame(
        "SELECT account_id, as_of, score, band, coverage, points FROM score_history "
        "WHERE scorecard = ? AND as_of = ? ORDER BY account_id", (card_id, pick))
    for c in ("score", "coverage"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype(float)
    out = _expand(frame, True)
    out.attrs["as_of"] = pick
    out.attrs["scorecard"] = card_id
    return out
