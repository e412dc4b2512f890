"""Configurable health scorecards: measures -> groups -> an overall 0-100 score and a band.

Everything here is a pure function over DataFrames (no Qt, no SQL); storage lives in
:mod:`acctdesk.models.scores` and the shipped scorecards in
:mod:`acctdesk.analytics.scorecard_presets`.

The model
---------
A :class:`Scorecard` has :class:`Group` s of :class:`Measure` s and a list of :class:`Band` s.

* A measure names its input (a :class:`Source`): a field of ``accounts``; an aggregate
  (``sum``/``mean``/``count``/``last``/``max``/``min``/``any``) of usage, tickets, surveys,
  subscriptions, activities or contacts over a window; the days since the latest such
  record; the days until an account date; a change of another source against ``lag_days``
  earlier; or a ratio of two sources.
* A :class:`PointMapping` turns the value into 0-100 points: threshold bands, a linear range,
  or the percentile within the portfolio or the account's segment.
* Roll-up. With ``p_m`` the points of measure ``m``, ``w_m`` its weight, ``W_g`` the weight of
  group ``g`` and ``a_m`` = 1 when ``m`` has data for the account (else 0)::

      group score  G_g = sum_m(w_m a_m p_m) / sum_m(w_m a_m)         (m in g; NaN if 0/0)
      score        S   = sum_g(W_g b_g G_g) / sum_g(W_g b_g)         (b_g = 1 if G_g has data)
      coverage     C   = sum_m (W_g / sum_h W_h) (w_m / sum_{k in g} w_k) a_m

  i.e. weights are normalised to percentage contributions; a measure without data drops out
  and its weight is shared by the rest of its group in proportion to their weights, an empty
  group's weight is shared by the other groups, and the coverage is the share of the nominal
  total weight that had data.
* Bands cover ``[lower, next lower)``; the score is rounded to 6 decimals before the band is
  looked up, so 69.99999999 from floating-point sums lands in the band that starts at 70.

Point in time
-------------
Every figure is computed *as of* a date: rows dated after ``as_of`` are ignored (usage
``date``, tickets ``created_at``, surveys ``date``, subscriptions ``start_date``, activities
``date``, contacts ``last_contact``), rows without a date are ignored except contacts (a
contact with no ``last_contact`` still exists). Only accounts that are customers on ``as_of``
are scored (:func:`active_mask`). Known limits: a few fields are the export's *current* state
(subscription ``status``, ticket ``status`` when ``solved_at`` is empty, ``renewal_date``), so a
score recomputed for a past date can see them.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field as dc_field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..frames import date_part

from ..models.schema import ENTITY_FIELDS

__all__ = [
    "ScorecardError", "Source", "PointMapping", "Measure", "Group", "Band", "Scorecard",
    "ScoringData", "Change", "active_mask", "compute_measures", "map_points",
    "score_accounts", "contributions", "explain_change", "what_moved", "backtest",
    "backtest_dates", "suggest_weights", "SuggestedWeights", "OUTCOMES", "ENTITY_DATE",
    "AGGREGATES",
]

#: the date column that places each entity's rows in time (point-in-time filtering, windows).
ENTITY_DATE: dict[str, str] = {
    "usage": "date",
    "tickets": "created_at",
    "surveys": "date",
    "subscriptions": "start_date",
    "activities": "date",
    "contacts": "last_contact",
}
#: aggregates a Source can apply to an entity's rows.
AGGREGATES = ("sum", "mean", "count", "last", "max", "min", "any")
SOURCE_KINDS = ("field", "aggregate", "days_since", "days_until", "change", "ratio")
CALENDAR_WINDOWS = ("month", "quarter", "year")
MAPPING_KINDS = ("thresholds", "linear", "percentile")
STYLES = ("weighted", "good_average_poor", "points")
#: ticket statuses that mean "closed" when a ticket has no ``solved_at``.
CLOSED_TICKET_STATUSES = ("solved", "closed", "resolved", "done", "cancelled", "canceled")
_EPOCH = dt.date(1970, 1, 1)
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


class ScorecardError(ValueError):
    """A scorecard is invalid; ``problems`` lists every reason, ``str()`` joins them."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# ====================================================================== model
def _check_keys(d: Mapping, allowed: Iterable[str], what: str) -> None:
    if not isinstance(d, Mapping):
        raise ScorecardError([f"{what}: expected an object, got {type(d).__name__}"])
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise ScorecardError([f"{what}: unknown key(s) {', '.join(map(repr, unknown))}"])


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


@dataclass
class Source:
    """Where a measure's raw value comes from.

    Parameters
    ----------
    kind
        ``"field"``: ``accounts[field]`` as a number. ``"aggregate"``: ``agg`` over the rows of
        ``entity`` matching ``metric``/``filter`` dated within ``window`` (``count`` counts
        rows, ``any`` is 1 if there is one, the others use ``field``, by default ``value`` for
        usage, ``score`` for surveys). ``"days_since"``: ``as_of`` minus the latest matching
        row's date (for ``entity="accounts"``: minus ``accounts[field]``). ``"days_until"``:
        ``accounts[field]`` (a date) minus ``as_of``. ``"change"``: ``of`` evaluated as of
        ``as_of`` against ``of`` as of ``as_of - lag_days``; ``mode="pct"`` gives
        ``100 (now - then) / |then|`` (no data if ``then`` is 0), ``"diff"`` gives
        ``now - then``. ``"ratio"``: ``numerator / denominator`` (no data if the denominator
        is 0).
    window
        Days (rows dated in ``(as_of - window, as_of]``), ``"month"``/``"quarter"``/``"year"``
        (the calendar period to date containing ``as_of``) or None (all history to ``as_of``).
    filter
        ``{column: value}``, ``{column: [values]}`` or ``{column: {"not": [values]}}``, compared
        as case-insensitive trimmed text. Special keys: tickets ``{"open": true}`` (created by
        ``as_of`` and not solved by then) and subscriptions ``{"active": true}`` (started by
        ``as_of``, ``end_date`` empty or after it).
    fill
        The value for an account with no matching row, used only when the entity has data at
        all (some row dated by ``as_of`` and, for usage, of that metric, with the filter
        columns filled in); otherwise the measure has no data. Defaults to 0 for
        ``count``/``any``; None (no data) otherwise.
    """

    kind: str
    entity: str = "accounts"
    field: str | None = None
    agg: str | None = None
    metric: str | None = None
    filter: dict[str, Any] = dc_field(default_factory=dict)
    window: int | str | None = None
    fill: float | None = None
    of: "Source | None" = None
    lag_days: int = 90
    mode: str = "pct"
    numerator: "Source | None" = None
    denominator: "Source | None" = None

    def problems(self, where: str) -> list[str]:
        out: list[str] = []
        k = self.kind
        if k not in SOURCE_KINDS:
            return [f"{where}: unknown source kind {k!r} (one of {', '.join(SOURCE_KINDS)})"]
        if k in ("aggregate", "days_since") and self.entity not in ENTITY_DATE and not (
                k == "days_since" and self.entity == "accounts"):
            out.append(f"{where}: unknown entity {self.entity!r} "
                       f"(one of {', '.join(ENTITY_DATE)})")
        if k in ("field", "days_until") and not self.field:
            out.append(f"{where}: a {k} source needs a field of accounts")
        if k == "days_since" and self.entity == "accounts" and not self.field:
            out.append(f"{where}: days since an account date needs its field")
        if k == "aggregate":
            if self.agg not in AGGREGATES:
                out.append(f"{where}: unknown aggregate {self.agg!r} "
                           f"(one of {', '.join(AGGREGATES)})")
            if self.entity == "usage" and not self.metric:
                out.append(f"{where}: a usage aggregate needs a metric")
            if self.agg in ("sum", "mean", "last", "max", "min") and not (
                    self.field or self.entity in ("usage", "surveys")):
                out.append(f"{where}: aggregate {self.agg!r} of {self.entity} needs a field")
        if self.window is not None:
            if isinstance(self.window, str):
                if self.window not in CALENDAR_WINDOWS:
                    out.append(f"{where}: window {self.window!r} must be a number of days or "
                               f"one of {', '.join(CALENDAR_WINDOWS)}")
            elif not (_finite(self.window) and self.window > 0):
                out.append(f"{where}: window must be a positive number of days")
        if self.fill is not None and not _finite(self.fill):
            out.append(f"{where}: fill must be a number")
        if not isinstance(self.filter, Mapping):
            out.append(f"{where}: filter must be an object")
        if k == "change":
            if self.of is None:
                out.append(f"{where}: a change source needs 'of'")
            else:
                out.extend(self.of.problems(where + " (of)"))
            if not (_finite(self.lag_days) and self.lag_days > 0):
                out.append(f"{where}: lag_days must be a positive number of days")
            if self.mode not in ("pct", "diff"):
                out.append(f"{where}: change mode must be 'pct' or 'diff'")
        if k == "ratio":
            if self.numerator is None or self.denominator is None:
                out.append(f"{where}: a ratio needs a numerator and a denominator")
            else:
                out.extend(self.numerator.problems(where + " (numerator)"))
                out.extend(self.denominator.problems(where + " (denominator)"))
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        if self.kind in ("aggregate", "days_since"):
            d["entity"] = self.entity
        for name in ("field", "agg", "metric", "window", "fill"):
            if getattr(self, name) is not None:
                d[name] = getattr(self, name)
        if self.filter:
            d["filter"] = dict(self.filter)
        if self.kind == "change":
            d["of"] = self.of.to_dict() if self.of else None
            d["lag_days"] = self.lag_days
            d["mode"] = self.mode
        if self.kind == "ratio":
            d["numerator"] = self.numerator.to_dict() if self.numerator else None
            d["denominator"] = self.denominator.to_dict() if self.denominator else None
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], what: str = "source") -> "Source":
        _check_keys(d, [f.name for f in cls.__dataclass_fields__.values()], what)
        kw = dict(d)
        for key in ("of", "numerator", "denominator"):
            if kw.get(key) is not None:
                kw[key] = cls.from_dict(kw[key], f"{what} ({key})")
        if "kind" not in kw:
            raise ScorecardError([f"{what}: missing 'kind'"])
        kw["filter"] = dict(kw.get("filter") or {})
        return cls(**kw)


@dataclass
class PointMapping:
    """How a raw value becomes 0-100 points.

    ``"thresholds"``: ``thresholds = [(upper_1, points_1), ..., (upper_k, points_k)]`` with
    strictly increasing upper bounds; a value ``v`` earns ``points_i`` for the first ``i`` with
    ``v < upper_i`` (``upper_k`` may be None = no bound; values at or above a finite last
    bound earn ``points_k``).

    ``"linear"``: ``points = clip(100 (v - zero_at) / (full_at - zero_at), 0, 100)``; a measure
    whose direction is ``"lower"`` has ``full_at < zero_at``.

    ``"percentile"``: the mid-rank percentile among the scored accounts with a value, in the
    whole portfolio (``scope="portfolio"``) or the account's segment (``"segment"``; accounts
    without a segment form one more segment): ``points = 100 (below + equal / 2) / n`` with
    ``below``/``equal`` the number of accounts with a worse/equal value (worse = lower for
    direction ``"higher"``) and ``n`` those with a value, counting the account itself. When
    ``thresholds`` is also given it is applied to that percentile (e.g. terciles -> 0/60/100).
    """

    kind: str
    thresholds: list[tuple[float | None, float]] | None = None
    zero_at: float | None = None
    full_at: float | None = None
    scope: str = "portfolio"

    def problems(self, where: str, direction: str) -> list[str]:
        out: list[str] = []
        if self.kind not in MAPPING_KINDS:
            return [f"{where}: unknown point mapping {self.kind!r} "
                    f"(one of {', '.join(MAPPING_KINDS)})"]
        if self.kind == "thresholds" or self.thresholds is not None:
            t = self.thresholds or []
            if not t:
                out.append(f"{where}: thresholds are empty")
            uppers = []
            for i, pair in enumerate(t):
                if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
                    out.append(f"{where}: threshold {i + 1} must be [upper_bound, points]")
                    continue
                upper, pts = pair
                if upper is None and i != len(t) - 1:
                    out.append(f"{where}: only the last threshold may have no upper bound")
                elif upper is not None and not _finite(upper):
                    out.append(f"{where}: threshold {i + 1} upper bound must be a number")
                elif upper is not None:
                    uppers.append(upper)
                if not (_finite(pts) and 0 <= pts <= 100):
                    out.append(f"{where}: threshold {i + 1} points must be between 0 and 100")
            if any(b <= a for a, b in zip(uppers, uppers[1:])):
                out.append(f"{where}: thresholds must increase ({uppers})")
        if self.kind == "linear":
            if not (_finite(self.zero_at) and _finite(self.full_at)):
                out.append(f"{where}: a linear range needs numbers zero_at and full_at")
            elif self.zero_at == self.full_at:
                out.append(f"{where}: zero_at and full_at must differ")
            elif direction == "higher" and self.full_at < self.zero_at:
                out.append(f"{where}: higher is better, so full_at ({self.full_at:g}) must be "
                           f"above zero_at ({self.zero_at:g})")
            elif direction == "lower" and self.full_at > self.zero_at:
                out.append(f"{where}: lower is better, so full_at ({self.full_at:g}) must be "
                           f"below zero_at ({self.zero_at:g})")
        if self.kind == "percentile" and self.scope not in ("portfolio", "segment"):
            out.append(f"{where}: percentile scope must be 'portfolio' or 'segment'")
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        if self.thresholds is not None:
            d["thresholds"] = [[u, p] for u, p in self.thresholds]
        if self.kind == "linear":
            d["zero_at"], d["full_at"] = self.zero_at, self.full_at
        if self.kind == "percentile":
            d["scope"] = self.scope
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], what: str = "mapping") -> "PointMapping":
        _check_keys(d, ("kind", "thresholds", "zero_at", "full_at", "scope"), what)
        if "kind" not in d:
            raise ScorecardError([f"{what}: missing 'kind'"])
        kw = dict(d)
        if kw.get("thresholds") is not None:
            kw["thresholds"] = [tuple(p) if isinstance(p, (list, tuple)) else p
                                for p in kw["thresholds"]]
        return cls(**kw)


@dataclass
class Measure:
    """One scored input: ``id`` (stable key, used in column names), ``name`` (label),
    ``source``, ``mapping``, ``weight`` (non-negative, relative within its group),
    ``direction`` (``"higher"`` or ``"lower"`` is better) and an optional display ``unit``."""

    id: str
    name: str
    source: Source
    mapping: PointMapping
    weight: float = 1.0
    direction: str = "higher"
    unit: str = ""
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "name": self.name, "weight": self.weight,
             "direction": self.direction, "source": self.source.to_dict(),
             "mapping": self.mapping.to_dict()}
        if self.unit:
            d["unit"] = self.unit
        if self.description:
            d["description"] = self.description
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Measure":
        what = f"measure {d.get('name', d.get('id', '?'))!r}" if isinstance(d, Mapping) \
            else "measure"
        _check_keys(d, ("id", "name", "weight", "direction", "source", "mapping", "unit",
                        "description"), what)
        missing = [k for k in ("id", "source", "mapping") if k not in d]
        if missing:
            raise ScorecardError([f"{what}: missing {', '.join(missing)}"])
        kw = dict(d)
        kw.setdefault("name", kw["id"])
        kw["source"] = Source.from_dict(kw["source"], f"{what} source")
        kw["mapping"] = PointMapping.from_dict(kw["mapping"], f"{what} mapping")
        return cls(**kw)


@dataclass
class Group:
    """A named set of measures with a non-negative weight relative to the other groups."""

    name: str
    weight: float
    measures: list[Measure]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "weight": self.weight,
                "measures": [m.to_dict() for m in self.measures]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Group":
        what = f"group {d.get('name', '?')!r}" if isinstance(d, Mapping) else "group"
        _check_keys(d, ("name", "weight", "measures"), what)
        return cls(name=d.get("name", ""), weight=d.get("weight", 1.0),
                   measures=[Measure.from_dict(m) for m in d.get("measures", [])])


@dataclass
class Band:
    """A score range ``[lower, next band's lower)`` with a label and a hex colour."""

    label: str
    lower: float
    color: str

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "lower": self.lower, "color": self.color}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Band":
        _check_keys(d, ("label", "lower", "color"), "band")
        return cls(**d)


@dataclass
class Scorecard:
    """A complete scorecard.

    ``style`` adds rules on top of the weighted arithmetic (which is the same for all):
    ``"weighted"`` (any weights), ``"good_average_poor"`` (every mapping is threshold bands
    worth 0, 60 or 100 points: Poor/Average/Good) and ``"points"`` (each measure's weight is
    the points it is worth: measure weights add up to 100 and each group's weight equals the
    sum of its measures', so the normalised weights are exactly those points).

    ``scale`` is 100 or 10: scores and bands are always computed on 0-100; a 10-point card
    *displays* ``score / 10`` (:meth:`display`), so 73.5 shows as 7.4 (one decimal).

    ``min_coverage`` (0-1): an account whose coverage is below it gets no score (NaN, no band).

    ``polarity``: ``"health"`` (a high score is good; the default) or ``"risk"`` (a high score
    is bad, e.g. renewal risk: measures earn points for risk). The backtest ranks accounts by
    ``risk = -score`` for a health card and ``risk = score`` for a risk card.
    """

    id: str
    name: str
    groups: list[Group]
    bands: list[Band]
    style: str = "weighted"
    scale: int = 100
    min_coverage: float = 0.0
    description: str = ""
    version: int = 1
    polarity: str = "health"

    # ---------------------------------------------------------------- helpers
    @property
    def measures(self) -> list[Measure]:
        return [m for g in self.groups for m in g.measures]

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)

    def effective_weights(self) -> dict[str, float]:
        """Nominal share of each measure in the score (sums to 1):
        ``(W_g / sum W) * (w_m / sum_{k in g} w_k)``."""
        total = sum(g.weight for g in self.groups)
        out = {}
        for g in self.groups:
            gw = sum(m.weight for m in g.measures)
            for m in g.measures:
                out[m.id] = (g.weight / total) * (m.weight / gw) if total and gw else 0.0
        return out

    def band_for(self, score: float) -> str | None:
        if score is None or not np.isfinite(score):
            return None
        lowers = [b.lower for b in self.bands]
        i = int(np.searchsorted(lowers, round(float(score), 6), side="right")) - 1
        return self.bands[max(i, 0)].label

    def band_color(self, label: str | None) -> str | None:
        for b in self.bands:
            if b.label == label:
                return b.color
        return None

    def display(self, score: float) -> float:
        """The score on the card's scale: ``score * scale / 100`` rounded to 1 decimal."""
        if score is None or not np.isfinite(score):
            return float("nan")
        return round(float(score) * self.scale / 100.0, 1)

    # ---------------------------------------------------------------- validation
    def problems(self) -> list[str]:
        out: list[str] = []
        if not isinstance(self.id, str) or not _ID.match(self.id):
            out.append(f"scorecard id {self.id!r} must be letters, digits, '_', '-' or '.'")
        if not self.name:
            out.append("the scorecard needs a name")
        if self.style not in STYLES:
            out.append(f"style {self.style!r} must be one of {', '.join(STYLES)}")
        if self.scale not in (100, 10):
            out.append(f"scale must be 100 or 10, not {self.scale!r}")
        if not (_finite(self.min_coverage) and 0 <= self.min_coverage <= 1):
            out.append("min_coverage must be between 0 and 1")
        if self.polarity not in ("health", "risk"):
            out.append(f"polarity {self.polarity!r} must be 'health' (high is good) or "
                       "'risk' (high is bad)")
        if not self.groups:
            out.append("the scorecard has no groups")
        names = [g.name for g in self.groups]
        for n in sorted({n for n in names if names.count(n) > 1}):
            out.append(f"group name {n!r} is used twice")
        ids = [m.id for m in self.measures]
        for i in sorted({i for i in ids if ids.count(i) > 1}):
            out.append(f"measure id {i!r} is used twice")
        for g in self.groups:
            gw = f"group {g.name!r}"
            if not g.name:
                out.append("a group has no name")
            if not (_finite(g.weight) and g.weight >= 0):
                out.append(f"{gw}: weight must be a non-negative number")
            if not g.measures:
                out.append(f"{gw}: has no measures")
            for m in g.measures:
                mw = f"measure {m.name or m.id!r}"
                if not isinstance(m.id, str) or not _ID.match(m.id):
                    out.append(f"{mw}: id {m.id!r} must be letters, digits, '_', '-' or '.'")
                if not (_finite(m.weight) and m.weight >= 0):
                    out.append(f"{mw}: weight must be a non-negative number")
                if m.direction not in ("higher", "lower"):
                    out.append(f"{mw}: direction must be 'higher' or 'lower'")
                out.extend(m.source.problems(mw))
                out.extend(m.mapping.problems(mw, m.direction))
                if self.style == "good_average_poor":
                    pts = {p for _, p in (m.mapping.thresholds or [])}
                    if m.mapping.thresholds is None or not pts <= {0, 60, 100}:
                        out.append(f"{mw}: a Good/Average/Poor card maps every measure to "
                                   "threshold bands worth 100, 60 or 0 points")
            ws = [m.weight for m in g.measures if _finite(m.weight)]
            if g.measures and _finite(g.weight) and g.weight > 0 and sum(ws) <= 0:
                out.append(f"{gw}: its measures' weights add up to 0")
            if self.style == "points" and _finite(g.weight) and abs(sum(ws) - g.weight) > 1e-9:
                out.append(f"{gw}: on a points card the group's weight ({g.weight:g}) must "
                           f"equal its measures' points ({sum(ws):g})")
        if self.groups and sum(g.weight for g in self.groups if _finite(g.weight)) <= 0:
            out.append("the group weights add up to 0")
        if self.style == "points":
            total = sum(m.weight for m in self.measures if _finite(m.weight))
            if abs(total - 100) > 1e-9:
                out.append(f"on a points card the measures' points must add up to 100, "
                           f"they add up to {total:g}")
        if not self.bands:
            out.append("the scorecard has no bands")
        else:
            lowers = [b.lower for b in self.bands]
            if not all(_finite(x) and 0 <= x <= 100 for x in lowers):
                out.append("band lower bounds must be numbers between 0 and 100")
            elif lowers[0] != 0:
                out.append(f"the first band must start at 0 (it starts at {lowers[0]:g})")
            elif any(b <= a for a, b in zip(lowers, lowers[1:])):
                out.append(f"band lower bounds must increase ({lowers})")
            labels = [b.label for b in self.bands]
            if any(not lab for lab in labels):
                out.append("every band needs a label")
            for lab in sorted({x for x in labels if labels.count(x) > 1}):
                out.append(f"band label {lab!r} is used twice")
            for b in self.bands:
                if not isinstance(b.color, str) or not _HEX.match(b.color):
                    out.append(f"band {b.label!r}: colour {b.color!r} is not a hex colour "
                               "like '#2e9d5b'")
        return out

    def validate(self) -> "Scorecard":
        """Raise :class:`ScorecardError` listing every problem; return self if valid."""
        problems = self.problems()
        if problems:
            raise ScorecardError(problems)
        return self

    # ---------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        d = {
            "format": "acctdesk-scorecard", "version": self.version, "id": self.id,
            "name": self.name, "description": self.description, "style": self.style,
            "scale": self.scale, "min_coverage": self.min_coverage,
            "bands": [b.to_dict() for b in self.bands],
            "groups": [g.to_dict() for g in self.groups],
        }
        if self.polarity != "health":
            d["polarity"] = self.polarity
        return d

    def copy(self) -> "Scorecard":
        """A deep copy (through the JSON form)."""
        return Scorecard.from_dict(self.to_dict(), validate=False)

    def with_group_weights(self, weights: Mapping[str, float]) -> "Scorecard":
        """A copy with the named groups' weights replaced (others unchanged), validated.
        On a ``points`` card the measure points of a group are rescaled to its new weight."""
        unknown = sorted(set(weights) - {g.name for g in self.groups})
        if unknown:
            raise ScorecardError([f"no group named {u!r} on scorecard {self.id!r}"
                                  for u in unknown])
        card = self.copy()
        for g in card.groups:
            if g.name in weights:
                new = float(weights[g.name])
                if card.style == "points":
                    total = sum(m.weight for m in g.measures)
                    for m in g.measures:
                        m.weight = m.weight * new / total if total else 0.0
                g.weight = new
        if card.style == "points":  # rounding can leave 1e-12 off 100: put it on the largest
            drift = 100.0 - sum(m.weight for m in card.measures)
            if card.measures:
                big = max(card.measures, key=lambda m: m.weight)
                big.weight += drift
                for g in card.groups:
                    if big in g.measures:
                        g.weight += drift
        return card.validate()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, validate: bool = True) -> "Scorecard":
        """Build from :meth:`to_dict` output; raises :class:`ScorecardError` saying what is
        wrong (unknown keys, missing parts, invalid values)."""
        _check_keys(d, ("format", "version", "id", "name", "description", "style", "scale",
                        "min_coverage", "bands", "groups", "polarity"), "scorecard")
        if d.get("format", "acctdesk-scorecard") != "acctdesk-scorecard":
            raise ScorecardError([f"not an acctdesk scorecard (format {d.get('format')!r})"])
        if int(d.get("version", 1)) > 1:
            raise ScorecardError([f"scorecard format version {d['version']} is newer than "
                                  "this acctdesk understands (1); update acctdesk"])
        missing = [k for k in ("id", "groups", "bands") if k not in d]
        if missing:
            raise ScorecardError([f"scorecard: missing {', '.join(missing)}"])
        card = cls(
            id=d["id"], name=d.get("name", d["id"]),
            groups=[Group.from_dict(g) for g in d["groups"]],
            bands=[Band.from_dict(b) for b in d["bands"]],
            style=d.get("style", "weighted"), scale=d.get("scale", 100),
            min_coverage=d.get("min_coverage", 0.0), description=d.get("description", ""),
            version=int(d.get("version", 1)), polarity=d.get("polarity", "health"),
        )
        return card.validate() if validate else card


# ====================================================================== data
@dataclass
class ScoringData:
    """The frames a scorecard reads (canonical columns of :data:`ENTITY_FIELDS`).

    Missing frames (None) count as empty; missing columns as empty columns. Treat the frames
    as immutable once scored: prepared arrays are cached per frame object.
    """

    accounts: pd.DataFrame
    usage: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    subscriptions: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    _cache: dict = dc_field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_workspace(cls, ws) -> "ScoringData":
        """Read every entity of a :class:`~acctdesk.models.Workspace`."""
        return cls(accounts=ws.accounts(), usage=ws.usage(), tickets=ws.tickets(),
                   surveys=ws.surveys(), subscriptions=ws.subscriptions(),
                   activities=ws.activities(), contacts=ws.contacts())

    def frame(self, entity: str) -> pd.DataFrame:
        df = getattr(self, entity)
        if df is None:
            df = pd.DataFrame(columns=list(ENTITY_FIELDS[entity]))
        return df

    def _accounts_index(self) -> pd.Index:
        acc = self.accounts
        hit = self._cache.get("accounts")
        if hit is None or hit[0] is not acc:
            hit = (acc, pd.Index(acc["account_id"].astype(str)))
            self._cache["accounts"] = hit
        return hit[1]

    def _entity(self, entity: str) -> "_Entity":
        df = self.frame(entity)
        index = self._accounts_index()
        hit = self._cache.get(entity)
        if hit is None or hit[0] is not df or hit[1] is not index:
            hit = (df, index, _Entity(df, index, ENTITY_DATE[entity],
                                       undated_ok=(entity == "contacts")))
            self._cache[entity] = hit
        return hit[2]


def _days(values) -> np.ndarray:
    """ISO dates or timestamps (text) -> float days since 1970-01-01 (NaN if empty/invalid).

    Converts each distinct value once (exports repeat the same dates many times)."""
    s = date_part(values)
    if len(s) == 0:
        return np.empty(0, dtype=float)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(s), np.nan)
    u = pd.Series(np.asarray(uniques, dtype=object)).astype(str).str[:10]
    parsed = pd.to_datetime(u, format="%Y-%m-%d", errors="coerce")
    udays = ((parsed - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)).to_numpy(
        dtype=float, na_value=np.nan)
    out = np.where(codes >= 0, udays[np.clip(codes, 0, None)], np.nan)
    return out.astype(float)


def _iso_to_day(as_of: str | dt.date) -> int:
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    if not isinstance(as_of, dt.date):
        as_of = dt.date.fromisoformat(str(as_of)[:10])
    return (as_of - _EPOCH).days


def _day_to_date(day: float) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(day))


class _Entity:
    """One entity's rows prepared for fast repeated aggregation: rows of unknown accounts
    dropped, sorted by (account position, day), with account positions and days as arrays
    and per-column caches of numbers and factorised lower-case text."""

    def __init__(self, df: pd.DataFrame, index: pd.Index, date_col: str, undated_ok: bool):
        self.n_accounts = len(index)
        self.undated_ok = undated_ok
        self.df = df
        n = len(df)
        if n and "account_id" in df:
            # hash each distinct id once (exports repeat them), then map codes to positions
            codes, uniques = pd.factorize(df["account_id"], use_na_sentinel=True)
            upos = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object)).astype(str))
            pos = np.where(codes >= 0, np.r_[upos, -1][codes], -1)
        else:
            pos = np.full(n, -1)
        day = _days(df[date_col]) if date_col in df and n else np.full(n, np.nan)
        keep = np.flatnonzero(pos >= 0)
        # one stable radix sort on an integer key (account, day); undated rows sort first
        dk = day[keep]
        lo = np.nanmin(dk) if np.isfinite(dk).any() else 0.0
        dkey = np.where(np.isnan(dk), 0, dk - lo + 1).astype(np.int64)
        span = int(dkey.max(initial=0)) + 1
        key = pos[keep].astype(np.int64) * span + dkey
        if (int(pos.max(initial=0)) + 1) * span * max(len(keep), 1) < 2 ** 62:
            # make the key unique with the row number: the (SIMD) quicksort then gives the
            # stable order, several times faster than a stable sort of int64
            self.order = keep[np.argsort(key * len(keep) + np.arange(len(keep)))]
        else:
            self.order = keep[np.argsort(key, kind="stable")]
        self.acct = pos[self.order].astype(np.int64)
        self.day = day[self.order]
        self._num: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._dates: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.acct)

    def num(self, col: str) -> np.ndarray:
        if col not in self._num:
            if col in self.df and len(self):
                self._num[col] = pd.to_numeric(self.df[col], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan)[self.order]
            else:
                self._num[col] = np.full(len(self), np.nan)
        return self._num[col]

    def dates(self, col: str) -> np.ndarray:
        if col not in self._dates:
            self._dates[col] = _days(self.df[col])[self.order] if col in self.df and len(self) \
                else np.full(len(self), np.nan)
        return self._dates[col]

    def codes(self, col: str) -> tuple[np.ndarray, list[str]]:
        if col not in self._codes:
            if col in self.df and len(self):
                codes, uniques = pd.factorize(self.df[col], use_na_sentinel=True)
                labels = [str(u).strip().lower() for u in uniques]
                codes = np.asarray(codes)[self.order]
            else:
                codes, labels = np.full(len(self), -1), []
            self._codes[col] = (codes, labels)
        return self._codes[col]

    def text_mask(self, col: str, spec: Any) -> np.ndarray:
        codes, labels = self.codes(col)
        negate = False
        if isinstance(spec, Mapping):
            negate, spec = True, spec.get("not", [])
        values = spec if isinstance(spec, (list, tuple, set)) else [spec]
        wanted = {str(v).strip().lower() for v in values}
        hit = np.array([lab in wanted for lab in labels] + [False], dtype=bool)
        m = hit[codes]  # code -1 (empty) picks the trailing False
        if negate:
            m = ~m & (codes >= 0)
        return m

    def dated_by(self, as_of_day: float) -> np.ndarray:
        m = self.day <= as_of_day
        if self.undated_ok:
            m |= np.isnan(self.day)
        return m


# ====================================================================== measures
def active_mask(accounts: pd.DataFrame, as_of: str) -> pd.Series:
    """Accounts that are customers on ``as_of``.

    ``contract_start <= as_of`` (empty counts as started), ``churn_date`` empty or after
    ``as_of``, and ``status`` not ``'prospect'`` (the same rule as
    ``Workspace.active_accounts_mask``)."""
    as_of = str(as_of)[:10]

    def col(name):
        if name in accounts:
            return accounts[name].astype(object).where(accounts[name].notna(), "").astype(str)
        return pd.Series("", index=accounts.index)

    churn, start = col("churn_date").str[:10], col("contract_start").str[:10]
    status = col("status").str.strip().str.lower()
    return ((churn == "") | (churn > as_of)) & (start <= as_of) & (status != "prospect")


def _window_start(window: int | str | None, as_of_day: float) -> float:
    """First excluded day: rows count when ``start < day <= as_of``."""
    if window is None:
        return -np.inf
    if isinstance(window, str):
        d = _day_to_date(as_of_day)
        first = {"month": d.replace(day=1),
                 "quarter": d.replace(month=3 * ((d.month - 1) // 3) + 1, day=1),
                 "year": d.replace(month=1, day=1)}[window]
        return float((first - _EPOCH).days - 1)
    return float(as_of_day - window)


def _filter_mask(ent: _Entity, src: Source, as_of_day: float) -> tuple[np.ndarray, bool]:
    """Rows of the entity counted by ``src`` as of the day, and whether the entity "has
    data" (for ``fill``)."""
    dated = ent.dated_by(as_of_day)
    present = dated.copy()
    m = dated
    start = _window_start(src.window, as_of_day)
    if np.isfinite(start):
        m = m & (ent.day > start)
    filt = dict(src.filter or {})
    if src.metric is not None:
        filt["metric"] = src.metric
    for col, spec in filt.items():
        if col == "open" and spec:
            solved = ent.dates("solved_at")
            codes, labels = ent.codes("status")
            closed = np.array([lab in CLOSED_TICKET_STATUSES for lab in labels] + [False])
            m = m & np.where(np.isnan(solved), ~closed[codes], solved > as_of_day)
        elif col == "active" and spec:
            end = ent.dates("end_date")
            m = m & (np.isnan(end) | (end > as_of_day))
        else:
            tm = ent.text_mask(col, spec)
            m = m & tm
            if col == "metric":
                present &= tm
            else:  # the entity only "has" this kind of data if the column is filled somewhere
                present &= ent.codes(col)[0] >= 0
    return m, bool(present.any())


def _segments_reduce(acct: np.ndarray, values: np.ndarray, how: str, n: int) -> np.ndarray:
    """Per-account reduction of rows already sorted by account (NaN where no row)."""
    out = np.full(n, np.nan)
    if len(acct) == 0:
        return out
    starts = np.flatnonzero(np.r_[True, acct[1:] != acct[:-1]])
    owners = acct[starts]
    if how == "last":
        ends = np.r_[starts[1:], len(acct)] - 1
        out[owners] = values[ends]
    elif how == "max":
        out[owners] = np.maximum.reduceat(values, starts)
    elif how == "min":
        out[owners] = np.minimum.reduceat(values, starts)
    return out


def _aggregate(ent: _Entity, src: Source, as_of_day: float) -> np.ndarray:
    n = ent.n_accounts
    m, present = _filter_mask(ent, src, as_of_day)
    agg = src.agg if src.kind == "aggregate" else "days_since"
    fill = src.fill
    if fill is None and agg in ("count", "any"):
        fill = 0.0
    if agg in ("count", "any"):
        out = np.bincount(ent.acct[m], minlength=n).astype(float)
        if agg == "any":
            out = (out > 0).astype(float)
        if not present:
            return np.full(n, np.nan)
        if fill != 0.0:
            has = np.bincount(ent.acct[m], minlength=n) > 0
            out[~has] = fill
        return out
    if agg == "days_since":
        m = m & ~np.isnan(ent.day)
        latest = _segments_reduce(ent.acct[m], ent.day[m], "last", n)
        out = as_of_day - latest
    else:
        col = src.field or {"usage": "value", "surveys": "score"}[src.entity]
        vals = ent.num(col)
        m = m & ~np.isnan(vals)
        a, v = ent.acct[m], vals[m]
        if agg in ("sum", "mean"):
            cnt = np.bincount(a, minlength=n)
            tot = np.bincount(a, weights=v, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                out = tot if agg == "sum" else tot / cnt
            out = np.where(cnt > 0, out, np.nan)
        else:
            out = _segments_reduce(a, v, agg, n)
    if present and fill is not None:
        out = np.where(np.isnan(out), fill, out)
    elif not present:
        out = np.full(n, np.nan)
    return out


def _account_col(data: ScoringData, col: str, dates: bool) -> np.ndarray:
    acc = data.accounts
    key = ("acc", col, dates)
    hit = data._cache.get(key)
    if hit is None or hit[0] is not acc:
        if col not in acc:
            arr = np.full(len(acc), np.nan)
        elif dates:
            arr = _days(acc[col])
        else:
            arr = pd.to_numeric(acc[col], errors="coerce").to_numpy(dtype=float,
                                                                     na_value=np.nan)
        hit = (acc, arr)
        data._cache[key] = hit
    return hit[1]


def _evaluate(src: Source, data: ScoringData, as_of_day: float) -> np.ndarray:
    """Raw values of a source for every row of ``data.accounts`` (NaN = no data)."""
    k = src.kind
    if k == "field":
        return _account_col(data, src.field, dates=False)
    if k == "days_until":
        return _account_col(data, src.field, dates=True) - as_of_day
    if k == "days_since" and src.entity == "accounts":
        d = _account_col(data, src.field, dates=True)
        return np.where(d <= as_of_day, as_of_day - d, np.nan)
    if k in ("aggregate", "days_since"):
        return _aggregate(data._entity(src.entity), src, as_of_day)
    if k == "change":
        now = _evaluate(src.of, data, as_of_day)
        then = _evaluate(src.of, data, as_of_day - src.lag_days)
        with np.errstate(invalid="ignore", divide="ignore"):
            if src.mode == "diff":
                return now - then
            return np.where(then != 0, 100.0 * (now - then) / np.abs(then), np.nan)
    if k == "ratio":
        num = _evaluate(src.numerator, data, as_of_day)
        den = _evaluate(src.denominator, data, as_of_day)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den != 0, num / den, np.nan)
    raise ScorecardError([f"unknown source kind {k!r}"])


def compute_measures(card: Scorecard, data: ScoringData, as_of: str) -> pd.DataFrame:
    """Raw value of every measure for every account active on ``as_of``.

    Returns
    -------
    DataFrame
        Index ``account_id`` (accounts in ``data.accounts`` order, active only, see
        :func:`active_mask`), one float column per measure id; NaN = no data. Only rows dated
        on or before ``as_of`` are read (see the module docstring).
    """
    card.validate()
    as_of = str(as_of)[:10]
    day = _iso_to_day(as_of)
    active = active_mask(data.accounts, as_of).to_numpy()
    ids = data._accounts_index()
    cols = {m.id: _evaluate(m.source, data, day)[active] for m in card.measures}
    out = pd.DataFrame(cols, index=pd.Index(ids[active], name="account_id"),
                       columns=[m.id for m in card.measures], dtype=float)
    out.attrs["as_of"] = as_of
    return out


def _thresholds_points(values: np.ndarray, thresholds) -> np.ndarray:
    uppers = np.array([np.inf if u is None else u for u, _ in thresholds], dtype=float)
    pts = np.array([p for _, p in thresholds], dtype=float)
    i = np.searchsorted(uppers, values, side="right")  # first i with v < upper_i
    out = pts[np.clip(i, 0, len(pts) - 1)]
    return np.where(np.isnan(values), np.nan, out)


def map_points(measure: Measure, values: pd.Series | np.ndarray,
               segments: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """Points 0-100 for raw values (NaN stays NaN); formulas in :class:`PointMapping`."""
    v = np.asarray(values, dtype=float)
    mp = measure.mapping
    if mp.kind == "thresholds":
        return _thresholds_points(v, mp.thresholds)
    if mp.kind == "linear":
        with np.errstate(invalid="ignore"):
            p = 100.0 * (v - mp.zero_at) / (mp.full_at - mp.zero_at)
        return np.clip(p, 0.0, 100.0)
    # percentile: mid-rank = rank(average) - 0.5, over the accounts that have a value
    key = v if measure.direction == "higher" else -v
    if mp.scope == "segment" and segments is not None:
        seg = pd.Series(np.asarray(segments, dtype=object)).fillna("\x00").astype(str)
    else:
        seg = pd.Series(np.zeros(len(v), dtype=np.int8))
    s = pd.Series(key)
    g = s.groupby(seg.to_numpy())
    rank = g.rank(method="average").to_numpy(dtype=float)
    n = g.transform("count").to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = 100.0 * (rank - 0.5) / n
    p = np.where(np.isnan(v), np.nan, p)
    if mp.thresholds is not None:
        p = _thresholds_points(p, mp.thresholds)
    return p


def _rollup(card: Scorecard, points: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised roll-up of an (accounts x measures) points matrix (module docstring)."""
    n = points.shape[0]
    avail = ~np.isnan(points)
    p0 = np.where(avail, points, 0.0)
    gw_all = np.array([g.weight for g in card.groups], dtype=float)
    total_w = gw_all.sum()
    group_scores, group_avail = [], []
    coverage = np.zeros(n)
    contrib_parts = []  # (weights within group x available) per group, for contributions
    j = 0
    for g in card.groups:
        k = len(g.measures)
        w = np.array([m.weight for m in g.measures], dtype=float)
        a = avail[:, j:j + k]
        den = (a * w).sum(axis=1)
        num = (p0[:, j:j + k] * w).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            gs = np.where(den > 0, num / den, np.nan)
            share = np.where(den[:, None] > 0, a * w / den[:, None], 0.0)
        group_scores.append(gs)
        group_avail.append(den > 0)
        if w.sum() > 0 and total_w > 0:
            coverage += (a * w).sum(axis=1) / w.sum() * (g.weight / total_w)
        contrib_parts.append(share)
        j += k
    G = np.column_stack(group_scores) if group_scores else np.zeros((n, 0))
    B = np.column_stack(group_avail) if group_avail else np.zeros((n, 0), bool)
    den = (B * gw_all).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, (np.where(B, G, 0.0) * gw_all).sum(axis=1) / den, np.nan)
        gshare = np.where(den[:, None] > 0, B * gw_all / den[:, None], 0.0)
    eff = np.column_stack([gshare[:, i:i + 1] * part for i, part in enumerate(contrib_parts)]) \
        if contrib_parts else np.zeros((n, 0))
    return {"score": score, "groups": G, "coverage": coverage, "eff": eff}


def _bands(card: Scorecard, score: np.ndarray) -> np.ndarray:
    lowers = np.array([b.lower for b in card.bands], dtype=float)
    labels = np.array([b.label for b in card.bands], dtype=object)
    i = np.searchsorted(lowers, np.round(score, 6), side="right") - 1
    out = labels[np.clip(i, 0, len(labels) - 1)]
    return np.where(np.isnan(score), None, out)


def score_accounts(card: Scorecard, data: ScoringData, as_of: str,
                   measures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score every account active on ``as_of``.

    Parameters
    ----------
    measures
        Output of :func:`compute_measures` to reuse (computed when None).

    Returns
    -------
    DataFrame
        One row per active account: ``account_id``, ``score`` (0-100, NaN with no data or
        coverage below ``card.min_coverage``), ``display_score`` (on the card's scale),
        ``band`` (label, None without a score), ``coverage`` (0-1), then ``grp:<group>``
        (group scores), ``pts:<measure id>`` (points) and ``val:<measure id>`` (raw values).
        The roll-up formula is in the module docstring.
    """
    vals = compute_measures(card, data, as_of) if measures is None else measures
    segments = data.accounts.set_index(data._accounts_index())["segment"].reindex(vals.index) \
        if "segment" in data.accounts else None
    P = np.column_stack([map_points(m, vals[m.id].to_numpy(), segments)
                         for m in card.measures])
    r = _rollup(card, P)
    score = r["score"]
    score = np.where(r["coverage"] + 1e-12 >= card.min_coverage, score, np.nan)
    score = np.round(score, 6)
    out = {
        "account_id": vals.index.to_numpy(),
        "score": score,
        "display_score": np.round(score * card.scale / 100.0, 1),
        "band": pd.Series(_bands(card, score), dtype=object),
        "coverage": np.round(r["coverage"], 6),
    }
    for i, g in enumerate(card.groups):
        out[f"grp:{g.name}"] = r["groups"][:, i]
    for i, m in enumerate(card.measures):
        out[f"pts:{m.id}"] = P[:, i]
    for m in card.measures:
        out[f"val:{m.id}"] = vals[m.id].to_numpy()
    frame = pd.DataFrame(out)
    frame.attrs["as_of"] = vals.attrs.get("as_of", str(as_of)[:10])
    frame.attrs["scorecard"] = card.id
    return frame


def contributions(card: Scorecard, scores: pd.DataFrame) -> pd.DataFrame:
    """Each measure's contribution in points to each account's score.

    ``contribution_m = (W_g b_g / sum_h W_h b_h) (w_m a_m / sum_{k in g} w_k a_k) p_m``, the
    terms of the roll-up, so a row sums to its score. Reads the ``pts:`` columns of
    :func:`score_accounts` output (or a history frame); index = ``scores.index``.
    """
    P = np.column_stack([pd.to_numeric(scores.get(f"pts:{m.id}", np.nan), errors="coerce")
                         * np.ones(len(scores)) for m in card.measures]).astype(float)
    r = _rollup(card, P)
    c = r["eff"] * np.where(np.isnan(P), 0.0, P)
    return pd.DataFrame(c, index=scores.index, columns=[m.id for m in card.measures])


# ====================================================================== what moved
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

    def opt(x):
        return None if np.isnan(x) else float(x)

    for i in moved:  # strings only for the accounts that moved
        drivers[i] = [
            Change(ms[j].id, ms[j].name, float(d[i, j]), 100 * eff[ms[j].id], opt(pb[i, j]),
                   opt(pa[i, j]), opt(vb[i, j]), opt(va[i, j]), ms[j].unit,
                   groups[ms[j].id]).text
            for j in order[i] if abs(d[i, j]) >= 0.05]
    return pd.DataFrame({"account_id": cur.index.to_numpy(), "score": after,
                         "score_before": before, "delta": delta, "trend": trend,
                         "drivers": drivers})


# ====================================================================== backtest
def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney ROC AUC of ``scores`` for ``positive`` (ties count one half)."""
    n1 = int(positive.sum())
    n0 = len(positive) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float((ranks[positive].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


OUTCOMES = ("churn", "churn_or_contraction")


def _verdict(auc: float, churned: int, outcome: str = "churn",
             polarity: str = "health") -> str:
    pos, neg = ("churners", "renewers") if outcome == "churn" else \
        ("accounts that churned or contracted", "the rest")
    one = "a churner" if outcome == "churn" else "one of them"
    if churned < 10 or not np.isfinite(auc):
        return (f"Too few {pos} ({churned}) in the look-ahead windows to judge whether the "
                "score predicts them.")
    side = "above" if polarity == "risk" else "below"
    other = "a renewer" if outcome == "churn" else "an account that did not"
    pct = f"{one} scored {side} {other} {100 * auc:.0f} times in 100"
    if auc >= 0.75:
        return f"The score separates {pos} from {neg} well: {pct}."
    if auc >= 0.65:
        return f"The score separates {pos} from {neg} somewhat: {pct}."
    if auc > 0.55:
        return f"The score is a weak predictor of {pos}: {pct}."
    return f"The score does not predict {pos}: {pct}; a coin toss would do it 50 times."


def backtest_dates(data_date: str, horizon_days: int = 90, count: int = 4,
                   step_days: int = 60) -> list[str]:
    """Past dates to backtest on, oldest first: ``data_date - horizon_days - k * step_days``
    for ``k = count-1 .. 0``, so every look-ahead window ends by the data date (fully
    observed)."""
    end = dt.date.fromisoformat(str(data_date)[:10]) - dt.timedelta(days=int(horizon_days))
    return [(end - dt.timedelta(days=int(step_days) * k)).isoformat()
            for k in range(int(count) - 1, -1, -1)]


_MRR_ACTIVE = Source("aggregate", entity="subscriptions", agg="sum", field="mrr",
                     filter={"active": True})


def _labels(data: ScoringData, account_ids, t: str, horizon_days: int, outcome: str,
            contraction_pct: float) -> tuple[np.ndarray, np.ndarray]:
    """(churned, contracted) within ``(t, t + horizon_days]`` for the given accounts.

    churned: ``t < churn_date <= t + h``. contracted: not churned and the MRR of the
    subscriptions active on ``t + h`` is more than ``contraction_pct`` % below that on ``t``
    (``mrr_end < mrr_t (1 - pct / 100)`` with ``mrr_t > 0``)."""
    idx = data._accounts_index()
    churn = data.accounts.set_index(idx)["churn_date"].reindex(account_ids).astype(object) \
        if "churn_date" in data.accounts else pd.Series(None, index=account_ids, dtype=object)
    end = (dt.date.fromisoformat(str(t)[:10]) + dt.timedelta(days=horizon_days)).isoformat()
    c = churn.where(churn.notna(), "").astype(str).str[:10].to_numpy()
    churned = (c > str(t)[:10]) & (c <= end) & (c != "")
    contracted = np.zeros(len(churned), dtype=bool)
    if outcome == "churn_or_contraction":
        pos = idx.get_indexer(pd.Index(account_ids))
        now = _evaluate(_MRR_ACTIVE, data, _iso_to_day(t))[pos]
        then = _evaluate(_MRR_ACTIVE, data, _iso_to_day(end))[pos]
        now, then = np.nan_to_num(now), np.nan_to_num(then)
        contracted = (now > 0) & (then < now * (1 - contraction_pct / 100.0)) & ~churned
    return churned, contracted


def _summary(risk: np.ndarray, y: np.ndarray, band: np.ndarray | None = None
             ) -> dict[str, Any]:
    """AUC, top-decile lift, base rate and (optionally) the rate per band of one sample."""
    n = len(y)
    base = float(y.mean()) if n else float("nan")
    k = max(1, int(math.ceil(0.1 * n))) if n else 0
    top = np.argsort(-risk, kind="stable")[:k]
    out = {"auc": _auc(risk, y), "n": int(n), "churned": int(y.sum()),
           "churn_rate": base,
           "top_decile_lift": float(y[top].mean() / base) if k and base > 0 else float("nan")}
    if band is not None:
        frame = pd.DataFrame({"band": band, "y": y})
        g = frame.groupby("band", sort=False)["y"].agg(["mean", "size"])
        out["band_churn"] = {str(b): {"churn_rate": float(r["mean"]), "n": int(r["size"])}
                             for b, r in g.iterrows()}
    return out


def backtest(card: Scorecard, data: ScoringData, as_of_dates: Sequence[str],
             horizon_days: int = 90, *, outcome: str = "churn",
             contraction_pct: float = 10.0, assignment=None,
             cards: Mapping[str, Scorecard] | None = None) -> dict[str, Any]:
    """Does a low score predict churn? Scores the book as of each date, then looks ahead.

    For each date ``t`` every account active on ``t`` with a score is one observation,
    labelled positive when it churned within ``(t, t + horizon_days]``
    (``t < churn_date <= t + h``) or, with ``outcome="churn_or_contraction"``, also when it
    contracted: its active-subscription MRR on ``t + h`` is more than ``contraction_pct`` %
    below that on ``t``. With the risk ``r = -score`` (``r = score`` for a ``risk`` card):

    * ``auc`` = P(r_positive > r_negative) + P(tie) / 2 (Mann-Whitney U / (n1 n0)), pooled
      over dates; 0.5 is no better than chance, 1 is perfect.
    * ``top_decile_lift`` = positive rate among the 10% riskiest / overall positive rate.
    * ``band_churn`` = positive rate and count per band, in the card's band order.
    * ``by_segment`` = the same figures per segment (``auc``, ``n``, ``churned``,
      ``churn_rate``, ``top_decile_lift``, ``band_churn``).
    * ``verdict`` = the AUC in plain words (needs at least 10 positives);
      ``observations`` = the scored rows with labels and group scores (``grp:<group>``).

    Only rows dated by ``t`` feed the scores; labels read ``churn_date`` and subscriptions.
    With ``assignment`` (an :class:`~acctdesk.analytics.assignment.Assignment`) and
    ``cards`` each account is scored with the card its rules assign (``card`` is then only
    used for the band order and polarity).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} must be one of {', '.join(OUTCOMES)}")
    if not (_finite(contraction_pct) and 0 < contraction_pct < 100):
        raise ValueError("contraction_pct must be between 0 and 100")
    frames = []
    for t in as_of_dates:
        if assignment is not None:
            from .assignment import score_assigned
            s = score_assigned(assignment, cards or {}, data, t)
        else:
            s = score_accounts(card, data, t)
        s = s[s["score"].notna()]
        ids = s["account_id"].to_numpy()
        churned, contracted = _labels(data, ids, t, horizon_days, outcome, contraction_pct)
        part = {"account_id": ids, "as_of": str(t)[:10], "score": s["score"].to_numpy(),
                "band": s["band"].to_numpy(), "churned": churned | contracted,
                "churn_only": churned, "contracted": contracted}
        for c in s.columns:
            if c.startswith("grp:"):
                part[c] = s[c].to_numpy(dtype=float)
        frames.append(pd.DataFrame(part))
    obs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["account_id", "as_of", "score", "band", "churned"])
    y = obs["churned"].to_numpy(dtype=bool)
    sign = 1.0 if card.polarity == "risk" else -1.0
    risk = sign * obs["score"].to_numpy(dtype=float)
    band = obs["band"].astype(object).to_numpy()
    whole = _summary(risk, y, band)
    order = {b.label: i for i, b in enumerate(card.bands)}
    whole["band_churn"] = dict(sorted(whole["band_churn"].items(),
                                      key=lambda kv: order.get(kv[0], len(order))))
    seg = data.accounts.set_index(data._accounts_index())["segment"] \
        if "segment" in data.accounts else None
    by_segment = {}
    if seg is not None and len(obs):
        obs_seg = seg.reindex(obs["account_id"]).astype(object).fillna("(none)").to_numpy()
        for name in pd.unique(obs_seg):
            sel = obs_seg == name
            by_segment[str(name)] = _summary(risk[sel], y[sel], band[sel])
    return {
        "auc": whole["auc"], "verdict": _verdict(whole["auc"], whole["churned"], outcome, card.polarity),
        "by_segment": by_segment, "top_decile_lift": whole["top_decile_lift"],
        "n": whole["n"], "churned": whole["churned"], "churn_rate": whole["churn_rate"],
        "band_churn": whole["band_churn"], "horizon_days": horizon_days, "outcome": outcome,
        "contracted": int(obs["contracted"].sum()) if "contracted" in obs else 0,
        "as_of_dates": [str(t)[:10] for t in as_of_dates], "scorecard": card.id,
        "observations": obs,
    }


# ====================================================================== suggested weights
#: fewest positives in the training dates before weights are fitted.
MIN_EVENTS_TO_FIT = 20


@dataclass
class SuggestedWeights:
    """Group weights fitted from history (see :func:`suggest_weights`).

    ``weights`` / ``current_weights``: group name -> percent of the score (sum 100);
    ``auc_current`` / ``auc_fitted``: AUC of the current and the fitted card on the evaluation
    dates (not used for fitting unless there was only one date); ``card``: the scorecard with
    the fitted weights, ready for ``acctdesk.models.scores.accept_suggested_weights``;
    ``available`` False with ``reason`` when the history cannot support a fit."""

    available: bool
    reason: str
    weights: dict[str, float]
    current_weights: dict[str, float]
    auc_current: float
    auc_fitted: float
    fitted_on: list[str]
    evaluated_on: list[str]
    n_train: int
    events_train: int
    coefficients: dict[str, float]
    card: Scorecard | None = None

    @property
    def better(self) -> bool:
        """True when the fitted card ranks the evaluation dates better by at least 0.005."""
        return bool(self.available and np.isfinite(self.auc_fitted)
                    and np.isfinite(self.auc_current)
                    and self.auc_fitted >= self.auc_current + 0.005)

    @property
    def verdict(self) -> str:
        if not self.available:
            return f"No suggested weights: {self.reason}"
        when = ", ".join(self.evaluated_on)
        if self.better:
            return (f"Weights fitted on past outcomes rank churners worse than renewers more "
                    f"often on {when}: {100 * self.auc_fitted:.0f} times in 100 instead of "
                    f"{100 * self.auc_current:.0f}; you can accept them.")
        return (f"Weights fitted on past outcomes do not beat the current ones on {when} "
                f"({100 * self.auc_fitted:.0f} times in 100 against "
                f"{100 * self.auc_current:.0f}); keep the current weights.")

    def to_dict(self) -> dict[str, Any]:
        def num(x):
            return None if x is None or not np.isfinite(x) else round(float(x), 4)
        return {"available": self.available, "reason": self.reason, "verdict": self.verdict,
                "weights": self.weights, "current_weights": self.current_weights,
                "auc_current": num(self.auc_current), "auc_fitted": num(self.auc_fitted),
                "better": self.better, "fitted_on": self.fitted_on,
                "evaluated_on": self.evaluated_on, "n_train": self.n_train,
                "events_train": self.events_train, "coefficients": self.coefficients}


def _round_pct(w: np.ndarray) -> np.ndarray:
    """Non-negative weights -> percentages with one decimal that add up to exactly 100
    (largest remainder on tenths)."""
    tenths = 1000.0 * w / w.sum()
    base = np.floor(tenths)
    short = int(round(1000 - base.sum()))
    base[np.argsort(-(tenths - base), kind="stable")[:short]] += 1
    return base / 10.0


def suggest_weights(card: Scorecard, data: ScoringData, as_of_dates: Sequence[str],
                    horizon_days: int = 90, *, outcome: str = "churn",
                    contraction_pct: float = 10.0, C: float = 1.0,
                    backtest_result: dict[str, Any] | None = None) -> SuggestedWeights:
    """Group weights fitted from what happened after past dates.

    Observations are those of :func:`backtest` (one per account and date). With ``G_g`` the
    group score (0-100; a missing one is imputed with the training mean) the model is an
    L2-regularised logistic regression (scikit-learn, ``C`` = inverse strength, classes
    balanced)::

        P(positive) = 1 / (1 + exp(-(b_0 + sum_g beta_g G_g / 100)))

    fitted on every date but the latest (the latest is held out to evaluate; with a single
    date the fit is evaluated in-sample and says so). For a health card a protective group
    has ``beta_g < 0`` and gets weight ``max(0, -beta_g)`` (for a risk card
    ``max(0, beta_g)``); weights are normalised to percentages (one decimal, sum 100). A group
    that makes risk *more* likely as its score rises gets 0. ``auc_current`` and
    ``auc_fitted`` are the two cards' AUCs on the held-out date(s).
    """
    from sklearn.linear_model import LogisticRegression

    dates = sorted({str(t)[:10] for t in as_of_dates})
    current = {g.name: round(100.0 * g.weight / sum(x.weight for x in card.groups), 1)
               for g in card.groups}
    bt = backtest_result if backtest_result is not None else backtest(
        card, data, dates, horizon_days, outcome=outcome, contraction_pct=contraction_pct)
    obs = bt["observations"]
    fit_dates, eval_dates = (dates[:-1], dates[-1:]) if len(dates) > 1 else (dates, dates)

    def none(reason, n=0, ev=0):
        return SuggestedWeights(False, reason, {}, current, float("nan"), float("nan"),
                                fit_dates, eval_dates, n, ev, {})

    if not len(obs):
        return none("no account had a score on the backtest dates")
    train = obs[obs["as_of"].isin(fit_dates)]
    test = obs[obs["as_of"].isin(eval_dates)]
    y = train["churned"].to_numpy(dtype=bool)
    if y.sum() < MIN_EVENTS_TO_FIT:
        what = "churned" if outcome == "churn" else "churned or contracted"
        return none(f"only {int(y.sum())} accounts {what} after {', '.join(fit_dates)} "
                    f"(at least {MIN_EVENTS_TO_FIT} are needed)", len(train), int(y.sum()))
    if y.all():
        return none("every account in the history churned", len(train), int(y.sum()))
    names = [g.name for g in card.groups]
    X = np.column_stack([train[f"grp:{g}"].to_numpy(dtype=float) for g in names]) / 100.0
    means = np.array([np.nanmean(c) if np.isfinite(c).any() else 0.5 for c in X.T])
    X = np.where(np.isnan(X), means, X)
    model = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
    model.fit(X, y)
    beta = model.coef_[0]
    sign = 1.0 if card.polarity == "risk" else -1.0
    w = np.maximum(0.0, sign * beta)
    coefs = {g: round(float(b), 4) for g, b in zip(names, beta)}
    if w.sum() <= 0:
        return SuggestedWeights(False, "no group's score moved with the outcome in the "
                                "expected direction", {}, current, float("nan"), float("nan"),
                                fit_dates, eval_dates, len(train), int(y.sum()), coefs)
    pct = _round_pct(w)
    weights = {g: float(p) for g, p in zip(names, pct)}
    fitted = card.with_group_weights(weights)
    bt_fit = backtest(fitted, data, eval_dates, horizon_days, outcome=outcome,
                      contraction_pct=contraction_pct)
    yt = test["churned"].to_numpy(dtype=bool)
    auc_now = _auc(sign * test["score"].to_numpy(dtype=float), yt)
    reason = "" if len(dates) > 1 else \
        "only one backtest date: the AUCs are in-sample and flatter the fitted weights"
    return SuggestedWeights(True, reason, weights, current, auc_now, bt_fit["auc"], fit_dates,
                            eval_dates, len(train), int(y.sum()), coefs, fitted)
