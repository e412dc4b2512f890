"""The scorecards and the assignment of a workspace, validated: storage keeps their JSON
(:mod:`acctdesk.models.scores`), this module reads it into :class:`~acctdesk.analytics.scorecards.
Scorecard` and :class:`~acctdesk.analytics.scorecards.Assignment` objects, validates what is
stored, and reads and writes scorecard files.

* Built-in cards (:func:`~acctdesk.analytics.scorecards.builtin_scorecards`) are
  available in every workspace; a stored card with the same id replaces the built-in one.
* Without a stored assignment :func:`~acctdesk.analytics.scorecards.default_assignment`
  applies.
* A scorecard file is the card's JSON (``"format": "acctdesk-scorecard"``), indented, UTF-8.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..analytics.scorecards import Assignment, default_assignment
from ..analytics.scorecards import Scorecard, ScorecardError, ScoringData, SuggestedWeights
from ..models import scores as store
from ..models.workspace import Workspace

__all__ = ["save_scorecard", "load_scorecard", "load_scorecards", "delete_scorecard",
           "available_scorecards", "save_assignment", "load_assignment", "export_scorecard",
           "read_scorecard_file", "import_scorecard", "accept_suggested_weights",
           "MAX_SCORECARD_FILE_BYTES"]

#: a scorecard file larger than this is refused (a real one is a few kilobytes).
MAX_SCORECARD_FILE_BYTES = 1_000_000
delete_scorecard = store.delete_scorecard


def save_scorecard(ws: Workspace, card: Scorecard) -> None:
    """Validate ``card`` and store it (replacing a card with the same id), audited."""
    card.validate()
    store.store_scorecard(ws, card.id, card.to_dict())


def load_scorecard(ws: Workspace, card_id: str) -> Scorecard | None:
    """The stored scorecard with this id, or None."""
    raw = store.stored_scorecard(ws, card_id)
    return None if raw is None else _parse(card_id, raw)


def load_scorecards(ws: Workspace) -> dict[str, Scorecard]:
    """Every stored scorecard by id, in id order. A damaged entry raises
    :class:`ScorecardError` naming the card."""
    return {cid: _parse(cid, raw) for cid, raw in store.stored_scorecards(ws).items()}


def _parse(card_id: str, raw: str) -> Scorecard:
    try:
        return Scorecard.from_dict(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise ScorecardError([f"stored scorecard {card_id!r} is not valid JSON ({exc})"]) \
            from exc
    except ScorecardError as exc:
        raise ScorecardError([f"stored scorecard {card_id!r}: {p}" for p in exc.problems]) \
            from exc


def available_scorecards(ws: Workspace, data: ScoringData | None = None
                         ) -> dict[str, Scorecard]:
    """The built-in cards (fitted to ``data``, e.g. the CSAT scale) overlaid with the stored
    ones (a stored card replaces a built-in card of the same id)."""
    from ..analytics.scorecards import builtin_scorecards

    cards = builtin_scorecards(data)
    cards.update(load_scorecards(ws))
    return cards


def save_assignment(ws: Workspace, assignment: Assignment,
                    data: ScoringData | None = None) -> None:
    """Validate (every card it names must be available) and store the assignment, audited."""
    assignment.validate(list(available_scorecards(ws, data)))
    store.store_assignment(ws, assignment.to_dict())


def load_assignment(ws: Workspace) -> Assignment:
    """The stored assignment, or :func:`default_assignment` when none is stored."""
    raw = store.stored_assignment(ws)
    if not raw:
        return default_assignment()
    try:
        return Assignment.from_dict(json.loads(raw))
    except (json.JSONDecodeError, ScorecardError, TypeError, ValueError) as exc:
        raise ScorecardError([f"the stored scorecard assignment is damaged ({exc}); save a "
                              "new one"]) from exc


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
