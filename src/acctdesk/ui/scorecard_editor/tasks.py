"""The editor's background work: load a workspace's cards and data, score and backtest a
card for the preview."""
from __future__ import annotations

from typing import Any

from ..tasks import TaskState
from .helpers import band_counts

__all__ = ["load", "preview_card"]


def preview_card(card_dict: dict, data, as_of: str | None, dates: list[str],
             lock, state: TaskState) -> dict[str, Any]:
    """Worker: score the book as of the data date and backtest the card."""
    from ...analytics.scorecards import Scorecard, backtest, score_accounts

    card = Scorecard.from_dict(card_dict, validate=False)
    if data is None or as_of is None or data.accounts.empty:
        return {"card": card_dict, "counts": None, "backtest": None, "as_of": as_of}
    with lock:   # the engine's lock: the prepared arrays of ScoringData are shared
        state.check()
        state.progress(0.1, "Scoring the book…")
        scores = score_accounts(card, data, as_of)
        state.check()
        state.progress(0.5, "Backtesting the scorecard…")
        bt = backtest(card, data, dates) if dates else None
    if bt is not None:
        bt = {k: v for k, v in bt.items() if k != "observations"}
    return {"card": card_dict, "counts": band_counts(card, scores), "backtest": bt,
            "as_of": as_of, "scored": int(scores["score"].notna().sum()),
            "accounts": int(len(scores))}


def load(ws, state: TaskState) -> dict[str, Any]:
    """Worker: everything the editor needs from the workspace (the engine's data and
    cards)."""
    from ...analytics.scorecards import assign
    from ...analytics.scorecards import backtest_dates
    from ...engine import Engine
    from ...engine.scorecards import available_scorecards, load_assignment, load_scorecards

    state.progress(0.05, "Reading the workspace for the scorecard preview…")
    a = Engine(ws).analysis()
    a.prepare(("data",), state.progress, state.check)
    data = a.data
    state.check()
    cards = available_scorecards(ws, data)
    stored = set(load_scorecards(ws))
    try:
        assignment = load_assignment(ws)
        assignment_error = None
    except Exception as exc:   # a damaged stored assignment: say so, offer the default
        from ...analytics.scorecards import default_assignment

        assignment, assignment_error = default_assignment(), str(exc)
    as_of = a.as_of
    dates = backtest_dates(as_of) if as_of else []
    counts = {}
    if as_of and len(data.accounts):
        counts = assign(assignment, data.accounts, as_of).value_counts().to_dict()
    first = assignment.default if assignment.default in cards else next(iter(cards))
    return {"data": data, "lock": a.lock, "cards": cards, "stored": stored,
            "assignment": assignment, "assignment_error": assignment_error,
            "assignment_counts": counts, "as_of": as_of, "dates": dates, "first": first,
            "currency": a.currency}
