"""What moved a score: the measures whose points changed most between two snapshots, in
words."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

from ...domain.numbers import finite
from .schema import Scorecard
from .scoring import contributions

__all__ = ["Change", "explain_change", "what_moved"]

@dataclass
class Change:
    """One measure's part in a score change. ``delta`` is its change in contribution
    (points of the overall score; the deltas of all measures add up to the score change).

    ``text`` says it in words, led by the measure's group:
    ``"Product usage: active users fell from 42 to 19 (-14 pts)"``."""

    measure_id: str
    name: str
    delta: float
    weight_pct: float
    points_before: float | None
    points_after: float | None
    value_before: float | None
    value_after: float | None
    unit: str = ""
    group: str = ""

    @property
    def text(self) -> str:
        def fmt(v):
            if abs(v) >= 100 or float(v).is_integer():
                return f"{v:,.0f}"
            return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.2f}"
        unit = "" if not self.unit else self.unit if self.unit == "%" else f" {self.unit}"
        vb, va = self.value_before, self.value_after
        if vb is not None and va is not None and np.isfinite(vb) and np.isfinite(va):
            verb = "rose" if va > vb else "fell"
            how = f" {verb} from {fmt(vb)} to {fmt(va)}{unit}" if va != vb else \
                f" stayed at {fmt(va)}{unit}"
        elif va is not None and np.isfinite(va):
            how = f" is now {fmt(va)}{unit} (no data before)"
        elif vb is not None and np.isfinite(vb):
            how = f" has no data now (was {fmt(vb)}{unit})"
        else:
            how = ""
        pts = f"{self.delta:+.0f}" if abs(self.delta) >= 0.5 else f"{self.delta:+.1f}"
        name = self.name
        if self.group and len(name) > 1 and name[0].isupper() and not name[1].isupper():
            name = name[0].lower() + name[1:]  # "Usage: logins ..." but keep "NPS", "CSAT"
        lead = f"{self.group}: {name}" if self.group else name
        return f"{lead}{how} ({pts} pts)"

    def __str__(self) -> str:
        return self.text


def _group_of(card: "Scorecard") -> dict[str, str]:
    return {m.id: g.name for g in card.groups for m in g.measures}


def _get(row: Mapping | pd.Series | None, key: str) -> float | None:
    if row is None:
        return None
    try:
        v = row[key]
    except (KeyError, IndexError):
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if np.isfinite(v) else None


def explain_change(previous: Mapping | pd.Series | None, current: Mapping | pd.Series,
                   card: Scorecard, top: int | None = 3, min_points: float = 0.05
                   ) -> list[Change]:
    """The measures that moved one account's score most, biggest first.

    Each row is a :func:`score_accounts` row (or a :func:`~acctdesk.models.scores.score_history`
    row: keys ``pts:<id>`` and ``val:<id>``). A measure's ``delta`` is
    ``contribution_now - contribution_before`` (see :func:`contributions`; a measure with no
    data contributes 0), so the deltas of all measures sum to ``score_now - score_before``;
    this includes shifts caused by another measure gaining or losing data. Changes smaller
    than ``min_points`` are left out; ``weight_pct`` is the measure's nominal share of the
    score (``Scorecard.effective_weights``).
    """
    keys = [f"pts:{m.id}" for m in card.measures]
    before = pd.DataFrame([{k: _get(previous, k) for k in keys}], dtype=float)
    after = pd.DataFrame([{k: _get(current, k) for k in keys}], dtype=float)
    cb = contributions(card, before).iloc[0] if previous is not None else None
    ca = contributions(card, after).iloc[0]
    eff = card.effective_weights()
    groups = _group_of(card)
    out = []
    for m in card.measures:
        d = float(ca[m.id] - (cb[m.id] if cb is not None else 0.0))
        if abs(d) < min_points:
            continue
        out.append(Change(
            measure_id=m.id, name=m.name, delta=round(d, 4), weight_pct=100 * eff[m.id],
            points_before=_get(previous, f"pts:{m.id}"), points_after=_get(current, f"pts:{m.id}"),
            value_before=_get(previous, f"val:{m.id}"), value_after=_get(current, f"val:{m.id}"),
            unit=m.unit, group=groups[m.id],
        ))
    out.sort(key=lambda c: -abs(c.delta))
    return out[:top] if top is not None else out


def what_moved(card: Scorecard, previous: pd.DataFrame | None, current: pd.DataFrame,
               top: int = 3, same_within: float = 1.0) -> pd.DataFrame:
    """Portfolio-wide deltas between two snapshots (``score_accounts`` frames).

    Returns ``account_id, score, score_before, delta, trend, drivers``: ``delta = score -
    score_before`` (NaN when either is missing), ``trend`` is ``"up"``/``"down"`` when
    ``|delta| > same_within`` points, ``"same"`` within, ``"new"`` with no previous score;
    ``drivers`` are the texts of :func:`explain_change` (the ``top`` measures whose
    contributions moved most, vectorised except for building the strings).
    """
    cur = current.set_index("account_id")
    prev = (previous.set_index("account_id").reindex(cur.index) if previous is not None
            else pd.DataFrame(index=cur.index))
    before = pd.to_numeric(prev.get("score", pd.Series(np.nan, index=cur.index)),
                           errors="coerce").to_numpy(dtype=float)
    after = cur["score"].to_numpy(dtype=float)
    delta = after - before
    trend = np.where(np.isnan(before), "new",
                     np.where(delta > same_within, "up",
                              np.where(delta < -same_within, "down", "same")))
    trend = np.where(np.isnan(after) & ~np.isnan(before), "no score", trend)
    ca = contributions(card, cur).to_numpy()
    cb = contributions(card, prev).to_numpy() if previous is not None else np.zeros_like(ca)
    d = ca - cb
    order = np.argsort(-np.abs(d), axis=1, kind="stable")[:, :top]
    eff = card.effective_weights()
    groups = _group_of(card)
    ms = card.measures

    def matrix(frame, prefix):
        return np.column_stack([
            pd.to_numeric(frame[f"{prefix}{m.id}"], errors="coerce").to_numpy(dtype=float)
            if f"{prefix}{m.id}" in frame else np.full(len(frame), np.nan) for m in ms])

    pa, va = matrix(cur, "pts:"), matrix(cur, "val:")
    pb, vb = matrix(prev, "pts:"), matrix(prev, "val:")
    drivers: list[list[str]] = [[] for _ in range(len(cur))]
    moved = np.flatnonzero((np.abs(d).max(axis=1, initial=0) >= 0.05) & ~np.isnan(before)) \
        if len(d) else []

    for i in moved:  # strings only for the accounts that moved
        drivers[i] = [
            Change(ms[j].id, ms[j].name, float(d[i, j]), 100 * eff[ms[j].id], finite(pb[i, j]),
                   finite(pa[i, j]), finite(vb[i, j]), finite(va[i, j]), ms[j].unit,
                   groups[ms[j].id]).text
            for j in order[i] if abs(d[i, j]) >= 0.05]
    return pd.DataFrame({"account_id": cur.index.to_numpy(), "score": after,
                         "score_before": before, "delta": delta, "trend": trend,
                         "drivers": drivers})
