"""What a scorecard is: :class:`Source` (where a measure's value comes from),
:class:`PointMapping` (value -> 0-100 points), :class:`Measure`, :class:`Group`, :class:`Band`
and :class:`Scorecard`, each validated (every problem named) and read from / written to its
JSON form. The roll-up they define is in :mod:`.scoring`; the model is described in
:mod:`acctdesk.analytics.scorecards`."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field as dc_field
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

__all__ = ["ScorecardError", "Source", "PointMapping", "Measure", "Group", "Band",
           "Scorecard", "check_keys", "is_number", "AGGREGATES", "SOURCE_KINDS",
           "CALENDAR_WINDOWS", "MAPPING_KINDS", "STYLES", "ENTITY_DATE"]

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
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


class ScorecardError(ValueError):
    """A scorecard is invalid; ``problems`` lists every reason, ``str()`` joins them."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# ====================================================================== model
def check_keys(d: Mapping, allowed: Iterable[str], what: str) -> None:
    if not isinstance(d, Mapping):
        raise ScorecardError([f"{what}: expected an object, got {type(d).__name__}"])
    unknown = sorted(set(d) - set(allowed))
    if unknown:
        raise ScorecardError([f"{what}: unknown key(s) {', '.join(map(repr, unknown))}"])


def is_number(x: Any) -> bool:
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
            elif not (is_number(self.window) and self.window > 0):
                out.append(f"{where}: window must be a positive number of days")
        if self.fill is not None and not is_number(self.fill):
            out.append(f"{where}: fill must be a number")
        if not isinstance(self.filter, Mapping):
            out.append(f"{where}: filter must be an object")
        if k == "change":
            if self.of is None:
                out.append(f"{where}: a change source needs 'of'")
            else:
                out.extend(self.of.problems(where + " (of)"))
            if not (is_number(self.lag_days) and self.lag_days > 0):
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
        check_keys(d, [f.name for f in cls.__dataclass_fields__.values()], what)
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
                elif upper is not None and not is_number(upper):
                    out.append(f"{where}: threshold {i + 1} upper bound must be a number")
                elif upper is not None:
                    uppers.append(upper)
                if not (is_number(pts) and 0 <= pts <= 100):
                    out.append(f"{where}: threshold {i + 1} points must be between 0 and 100")
            if any(b <= a for a, b in zip(uppers, uppers[1:])):
                out.append(f"{where}: thresholds must increase ({uppers})")
        if self.kind == "linear":
            if not (is_number(self.zero_at) and is_number(self.full_at)):
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
        check_keys(d, ("kind", "thresholds", "zero_at", "full_at", "scope"), what)
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
        check_keys(d, ("id", "name", "weight", "direction", "source", "mapping", "unit",
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
        check_keys(d, ("name", "weight", "measures"), what)
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
        check_keys(d, ("label", "lower", "color"), "band")
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
        if not (is_number(self.min_coverage) and 0 <= self.min_coverage <= 1):
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
            if not (is_number(g.weight) and g.weight >= 0):
                out.append(f"{gw}: weight must be a non-negative number")
            if not g.measures:
                out.append(f"{gw}: has no measures")
            for m in g.measures:
                mw = f"measure {m.name or m.id!r}"
                if not isinstance(m.id, str) or not _ID.match(m.id):
                    out.append(f"{mw}: id {m.id!r} must be letters, digits, '_', '-' or '.'")
                if not (is_number(m.weight) and m.weight >= 0):
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
            ws = [m.weight for m in g.measures if is_number(m.weight)]
            if g.measures and is_number(g.weight) and g.weight > 0 and sum(ws) <= 0:
                out.append(f"{gw}: its measures' weights add up to 0")
            if self.style == "points" and is_number(g.weight) and abs(sum(ws) - g.weight) > 1e-9:
                out.append(f"{gw}: on a points card the group's weight ({g.weight:g}) must "
                           f"equal its measures' points ({sum(ws):g})")
        if self.groups and sum(g.weight for g in self.groups if is_number(g.weight)) <= 0:
            out.append("the group weights add up to 0")
        if self.style == "points":
            total = sum(m.weight for m in self.measures if is_number(m.weight))
            if abs(total - 100) > 1e-9:
                out.append(f"on a points card the measures' points must add up to 100, "
                           f"they add up to {total:g}")
        if not self.bands:
            out.append("the scorecard has no bands")
        else:
            lowers = [b.lower for b in self.bands]
            if not all(is_number(x) and 0 <= x <= 100 for x in lowers):
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
        check_keys(d, ("format", "version", "id", "name", "description", "style", "scale",
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
