"""Scorecards and score snapshots in a workspace (no new tables).

* A scorecard is stored as its JSON (:meth:`Scorecard.to_dict`) in ``meta`` under the key
  ``scorecard:<id>``; saving and deleting are audited.
* A snapshot is one row per account in ``score_history`` (account_id, scorecard, as_of, score,
  band, coverage, points). ``points`` is a JSON object of the frame's per-measure and
  per-group columns, keyed as in :func:`acctdesk.analytics.health.score_accounts`:
  ``{"pts:<measure>": points, "val:<measure>": raw value, "grp:<group>": group score,
  "display_score": ...}`` (null = no data), so history can say what moved a score.
* The scorecard assignment (which card scores which account, and the cards shown side by
  side; :class:`acctdesk.analytics.assignment.Assignment`) is JSON in ``meta`` under
  ``scorecard_assignment``; without one, :func:`~acctdesk.analytics.assignment.default_assignment`
  applies.
* Built-in cards (:func:`~acctdesk.analytics.scorecard_presets.builtin_scorecards`) are
  available in every workspace; a stored card with the same id replaces the built-in one.
* A scorecard file is the card's JSON (``"format": "acctdesk-scorecard"``), indented, UTF-8.
* A scoring run (score, compare, store) is :func:`acctdesk.engine.scores.score_workspace`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analytics.assignment import Assignment, default_assignment
from ..analytics.health import Scorecard, ScorecardError, ScoringData, SuggestedWeights
from .workspace import Workspace

__all__ = ["META_PREFIX", "ASSIGNMENT_KEY", "save_scorecard", "load_scorecards",
           "load_scorecard", "delete_scorecard", "save_scores", "score_history",
           "snapshot_dates", "load_snapshot", "available_scorecards", "save_assignment",
           "load_assignment", "export_scorecard", "read_scorecard_file", "import_scorecard",
           "accept_suggested_weights", "MAX_SCORECARD_FILE_BYTES"]

ASSIGNMENT_KEY = "scorecard_assignment"
#: a scorecard file larger than this is refused (a real one is a few kilobytes).
MAX_SCORECARD_FILE_BYTES = 1_000_000

META_PREFIX = "scorecard:"
_BASE = ("account_id", "score", "band", "coverage")


def save_scorecard(ws: Workspace, card: Scorecard) -> None:
    """Validate ``card`` and store it (replacing a card with the same id), with an audit entry."""
    card.validate()
    key = META_PREFIX + card.id
    after = card.to_dict()
    with ws.transaction():
        before = ws.get_meta(key)
        ws.set_meta(key, json.dumps(after, sort_keys=False))
        ws.audit("scorecard.save", "scorecard", card.id,
                 before=json.loads(before) if before else None, after=after)


def load_scorecard(ws: Workspace, card_id: str) -> Scorecard | None:
    """The stored scorecard with this id, or None."""
    raw = ws.get_meta(META_PREFIX + card_id)
    return None if raw is None else _parse(card_id, raw)


def load_scorecards(ws: Workspace) -> dict[str, Scorecard]:
    """Every stored scorecard by id, in id order. A damaged entry raises
    :class:`ScorecardError` naming the card."""
    rows = ws.conn.execute(
        "SELECT key, value FROM meta WHERE key LIKE ? ESCAPE '\\' ORDER BY key",
        (META_PREFIX.replace("_", "\\_") + "%",),
    ).fetchall()
    return {key[len(META_PREFIX):]: _parse(key[len(META_PREFIX):], value)
            for key, value in rows if value}


def _parse(card_id: str, raw: str) -> Scorecard:
    try:
        return Scorecard.from_dict(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ScorecardError([f"stored scorecard {card_id!r} is not valid JSON ({exc})"]) \
            from exc
    except ScorecardError as exc:
        raise ScorecardError([f"stored scorecard {card_id!r}: {p}" for p in exc.problems]) \
            from exc


def delete_scorecard(ws: Workspace, card_id: str, *, with_history: bool = False) -> None:
    """Remove a stored scorecard (and, if asked, its score history) in one transaction."""
    key = META_PREFIX + card_id
    with ws.transaction() as conn:
        before = ws.get_meta(key)
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
        if with_history:
            conn.execute("DELETE FROM score_history WHERE scorecard = ?", (card_id,))
        ws.audit("scorecard.delete", "scorecard", card_id,
                 before=json.loads(before) if before else None)


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


# ====================================================================== cards and assignment
def available_scorecards(ws: Workspace, data: ScoringData | None = None
                         ) -> dict[str, Scorecard]:
    """The built-in cards (fitted to ``data``, e.g. the CSAT scale) overlaid with the stored
    ones (a stored card replaces a built-in card of the same id)."""
    from ..analytics.scorecard_presets import builtin_scorecards

    cards = builtin_scorecards(data)
    cards.update(load_scorecards(ws))
    return cards


def save_assignment(ws: Workspace, assignment: Assignment,
                    data: ScoringData | None = None) -> None:
    """Validate (every card it names must be available) and store the assignment, audited."""
    assignment.validate(list(available_scorecards(ws, data)))
    after = assignment.to_dict()
    with ws.transaction():
        before = ws.get_meta(ASSIGNMENT_KEY)
        ws.set_meta(ASSIGNMENT_KEY, json.dumps(after))
        ws.audit("scorecard.assignment", "scorecard", None,
                 before=json.loads(before) if before else None, after=after)


def load_assignment(ws: Workspace) -> Assignment:
    """The stored assignment, or :func:`default_assignment` when none is stored."""
    raw = ws.get_meta(ASSIGNMENT_KEY)
    if not raw:
        return default_assignment()
    try:
        return Assignment.from_dict(json.loads(raw))
    except (json.JSONDecodeError, ScorecardError, TypeError, ValueError) as exc:
        raise ScorecardError([f"the stored scorecard assignment is damaged ({exc}); save a "
                              "new one"]) from exc


# ====================================================================== files
def export_scorecard(card: Scorecard, path: str | os.PathLike, *,
                     overwrite: bool = False) -> Path:
    """Write ``card`` to a small readable JSON file (indented, UTF-8); refuses to replace an
    existing file unless ``overwrite``. Returns the path."""
    path = Path(path)
    card.validate()
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; choose another name or overwrite it")
    text = json.dumps(card.to_dict(), indent=2, ensure_ascii=False) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_scorecard_file(path: str | os.PathLike) -> Scorecard:
    """Read and validate a scorecard file.

    Raises
    ------
    ScorecardError
        With a message naming the file and every problem: missing or unreadable file, not
        UTF-8, not JSON (with line and column), not a scorecard, invalid parts.
    """
    path = Path(path)
    name = path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ScorecardError([f"{path}: no such file"]) from None
    except OSError as exc:
        raise ScorecardError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    if size > MAX_SCORECARD_FILE_BYTES:
        raise ScorecardError([f"{name}: {size:,} bytes is too large for a scorecard file "
                              f"(at most {MAX_SCORECARD_FILE_BYTES:,})"])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScorecardError([f"{name}: not a text file in UTF-8, so not a scorecard "
                              "file"]) from None
    except OSError as exc:
        raise ScorecardError([f"{path}: cannot be read ({exc.strerror})"]) from exc
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScorecardError([f"{name}: not valid JSON at line {exc.lineno}, column "
                              f"{exc.colno} ({exc.msg})"]) from None
    if not isinstance(d, dict):
        raise ScorecardError([f"{name}: expected a JSON object with a scorecard, got "
                              f"{type(d).__name__}"])
    if "format" not in d:
        raise ScorecardError([f"{name}: not an acctdesk scorecard file (no \"format\": "
                              "\"acctdesk-scorecard\")"])
    try:
        return Scorecard.from_dict(d)
    except ScorecardError as exc:
        raise ScorecardError([f"{name}: {p}" for p in exc.problems]) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise ScorecardError([f"{name}: a part of the scorecard has the wrong type "
                              f"({exc})"]) from None


def import_scorecard(ws: Workspace, path: str | os.PathLike, *, new_id: str | None = None,
                     replace: bool = False) -> Scorecard:
    """Read a scorecard file and store it (audited). ``new_id`` stores it under another id;
    a stored card with the same id is replaced only with ``replace``."""
    card = read_scorecard_file(path)
    if new_id is not None:
        card.id = new_id
        card.validate()
    if load_scorecard(ws, card.id) is not None and not replace:
        raise ScorecardError([f"the workspace already has a scorecard {card.id!r}; import it "
                              "under another id or replace it"])
    save_scorecard(ws, card)
    return card


def accept_suggested_weights(ws: Workspace, suggestion: SuggestedWeights) -> Scorecard:
    """Store the card with the fitted weights in place of the current one (same id; the
    previous card is kept in the audit log). Refused when no weights were fitted."""
    if not suggestion.available or suggestion.card is None:
        raise ScorecardError([f"no suggested weights to accept: {suggestion.reason}"])
    card = suggestion.card
    with ws.transaction():
        save_scorecard(ws, card)
        ws.audit("scorecard.accept_weights", "scorecard", card.id,
                 before=suggestion.current_weights, after=suggestion.weights,
                 detail=suggestion.verdict)
    return card
