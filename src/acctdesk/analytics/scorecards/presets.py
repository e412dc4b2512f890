"""The scorecards acctdesk ships: the default health scorecard and presets that mirror the
schemes CSM teams already know.

All presets share the default's measures (below) and differ in how points and bands work:

=====================  =====================================================================
``numeric_rag``        0-100 score; Red below 40, Yellow 40 to below 70, Green from 70. This
                       is the default scorecard (:func:`default_scorecard`, id ``health``).
``good_average_poor``  every measure is Good / Average / Poor worth 100 / 60 / 0 points; the
                       score is their weighted average; bands Poor < 40 <= Average < 70 <= Good.
``points_100``         each measure is worth a number of points and they add up to 100
                       (weights = points); a measure earns that share of its points.
``ten_point``          the default's arithmetic shown on 0-10: ``score / 10`` with one decimal
                       (bands at 4.0 and 7.0).
=====================  =====================================================================

The default measures (weights are points out of 100; groups add up to 30/20/15/15/15/5):

* Product usage (30): seat utilisation = latest ``active_users`` in the last 30 days /
  ``accounts.seats`` (0.1 -> 0, 0.8 -> 100, linear) 10; logins = sum of ``logins`` over 30 days,
  percentile within the segment 8; feature breadth = latest ``features_adopted`` in 90 days,
  percentile in the portfolio 6; usage trend = % change of mean ``active_users`` over 30 days vs
  the same 90 days earlier (< -25%: 0, < -10%: 50, else 100) 6.
* Support (20): urgent tickets = tickets of priority urgent/high opened in 90 days (0: 100,
  1-2: 50, 3+: 0) 6; open escalations = urgent tickets open on the date (0: 100, 1: 40, 2+: 0)
  5; ticket volume = tickets opened in 90 days, percentile within segment, fewer is better 3;
  CSAT = mean ticket ``csat`` over 180 days, linear over the data's scale (1-5 unless the data
  says 0-1, 0-10 or 0-100) 6.
* Satisfaction (15): NPS = latest NPS response (``surveys.kind == 'nps'``) within 365 days,
  detractor 0-6: 0, passive 7-8: 60, promoter 9-10: 100; 10; NPS trend = latest NPS minus the
  latest as of 180 days earlier (< -2: 0, < 0: 50, else 100) 5.
* Financial (15): MRR change = % change of the MRR of subscriptions active on the date vs 90
  days earlier (< -10%: 0, < 0: 50, else 100) 8; payment state = any active subscription with
  status ``past_due`` (none: 100, else 0) 7.
* Relationship (15): last CSM touch = days since the latest activity that is not a ``note``
  (< 31: 100, < 61: 70, < 91: 40, else 0; no activity at all counts as 365 days) 6; QBR this
  quarter = an activity of kind ``qbr``/``ebr`` in the calendar quarter to date (100 / 0) 4;
  executive sponsor known = a contact with role ``executive sponsor`` (100 / 0) 5.
* Lifecycle (5): renewal proximity = days until ``accounts.renewal_date`` (overdue: 30,
  < 31: 50, < 91: 80, else 100) 5.

A measure whose data the workspace does not have (no tickets imported, no ``seats``...) has no
data for every account and drops out: its weight goes to the rest of its group.

Further built-in cards (:data:`CARDS`, used by the default scorecard assignment of
:mod:`.assignment`):

``onboarding``    accounts in their first 90 days: seat utilisation against a lower bar
                  (0.05 -> 0, 0.5 -> 100, linear) 25, logins percentile in segment 15,
                  features adopted percentile 10 (Early adoption 50); days since last CSM touch
                  (< 15: 100, < 31: 60, else 0) 20, executive sponsor known 10 (Relationship
                  30); open escalations 10, urgent tickets in 30 days (0: 100, 1: 50, 2+: 0)
                  10 (Support 20). RAG bands.
``adoption``      product adoption only: seat utilisation 40, logins percentile in segment
                  25, features adopted percentile 20, active users trend 15. RAG bands.
``renewal_risk``  polarity ``risk`` (high = bad; bands Low < 40 <= Medium < 70 <= High):
                  renewal within (overdue or < 31 days: 100, < 91: 70, < 181: 40, else 0) 30;
                  active users trend (< -25%: 100, < -10%: 60, else 0) 25; low seat
                  utilisation (0.8 -> 0, 0.1 -> 100 risk points, linear) 15; latest NPS
                  (detractor 100, passive 40, promoter 0) 15; MRR change in 90 days
                  (< -10%: 100, < 0: 50, else 0) 15.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from .data import ScoringData
from ...domain.colours import GREEN, RED, YELLOW
from .schema import Band, Group, Measure, PointMapping, Scorecard, Source

__all__ = ["PRESETS", "preset", "default_scorecard", "numeric_rag", "good_average_poor",
           "points_100", "ten_point", "DEFAULT_ID", "onboarding", "adoption", "renewal_risk",
           "CARDS", "builtin_scorecards"]

DEFAULT_ID = "health"


def _rag() -> list[Band]:
    return [Band("Red", 0, RED), Band("Yellow", 40, YELLOW), Band("Green", 70, GREEN)]


def _gap_bands() -> list[Band]:
    return [Band("Poor", 0, RED), Band("Average", 40, YELLOW), Band("Good", 70, GREEN)]


def _t(*pairs) -> PointMapping:
    return PointMapping("thresholds", thresholds=[tuple(p) for p in pairs])


def _csat_range(data: ScoringData | None) -> tuple[float, float]:
    """The scale of ``tickets.csat`` judged from its largest value (default 1-5)."""
    if data is None or data.tickets is None or "csat" not in data.tickets:
        return 1.0, 5.0
    top = pd.to_numeric(data.tickets["csat"], errors="coerce").max()
    if not np.isfinite(top):
        return 1.0, 5.0
    if top <= 1:
        return 0.0, 1.0
    if top <= 5:
        return 1.0, 5.0
    if top <= 10:
        return 0.0, 10.0
    return 0.0, 100.0


def _usage(metric: str, agg: str, window) -> Source:
    return Source("aggregate", entity="usage", metric=metric, agg=agg, window=window)


_TERCILES = [(100 / 3, 0), (200 / 3, 60), (None, 100)]


def _specs(data: ScoringData | None):
    """(group, group points, [(Measure with default mapping, GAP mapping)])."""
    return [("Product usage", 30, _usage_specs()), ("Support", 20, _support_specs(data)),
            ("Satisfaction", 15, _satisfaction_specs()), ("Financial", 15, _financial_specs()),
            ("Relationship", 15, _relationship_specs()), ("Lifecycle", 5, _lifecycle_specs())]


def _usage_specs():
    return [
        (Measure("seat_utilisation", "Seat utilisation",
                 Source("ratio", numerator=_usage("active_users", "last", 30),
                        denominator=Source("field", field="seats")),
                 PointMapping("linear", zero_at=0.1, full_at=0.8), 10,
                 description="active users / seats"),
         _t((0.4, 0), (0.7, 60), (None, 100))),
        (Measure("logins", "Logins (30 days)", _usage("logins", "sum", 30),
                 PointMapping("percentile", scope="segment"), 8, unit="logins"),
         PointMapping("percentile", scope="segment", thresholds=_TERCILES)),
        (Measure("feature_breadth", "Features adopted", _usage("features_adopted", "last", 90),
                 PointMapping("percentile", scope="portfolio"), 6, unit="features"),
         PointMapping("percentile", scope="portfolio", thresholds=_TERCILES)),
        (Measure("usage_trend", "Active users trend",
                 Source("change", of=_usage("active_users", "mean", 30), lag_days=90),
                 _t((-25, 0), (-10, 50), (None, 100)), 6, unit="%",
                 description="mean active users, last 30 days vs the same 90 days earlier"),
         _t((-25, 0), (-5, 60), (None, 100))),
    ]


def _support_specs(data: ScoringData | None):
    lo, hi = _csat_range(data)
    return [
        (Measure("urgent_tickets", "Urgent tickets (90 days)",
                 Source("aggregate", entity="tickets", agg="count", window=90,
                        filter={"priority": ["urgent", "high"]}),
                 _t((1, 100), (3, 50), (None, 0)), 6, direction="lower", unit="tickets"),
         _t((1, 100), (3, 60), (None, 0))),
        (Measure("open_escalations", "Open escalations",
                 Source("aggregate", entity="tickets", agg="count",
                        filter={"open": True, "priority": ["urgent"]}),
                 _t((1, 100), (2, 40), (None, 0)), 5, direction="lower", unit="tickets"),
         _t((1, 100), (2, 60), (None, 0))),
        (Measure("ticket_volume", "Tickets (90 days)",
                 Source("aggregate", entity="tickets", agg="count", window=90),
                 PointMapping("percentile", scope="segment"), 3, direction="lower",
                 unit="tickets"),
         PointMapping("percentile", scope="segment", thresholds=_TERCILES)),
        (Measure("csat", "CSAT (180 days)",
                 Source("aggregate", entity="tickets", agg="mean", field="csat", window=180),
                 PointMapping("linear", zero_at=lo, full_at=hi), 6),
         _t((lo + 0.5 * (hi - lo), 0), (lo + 0.75 * (hi - lo), 60), (None, 100))),
    ]


def _satisfaction_specs():
    nps_last = Source("aggregate", entity="surveys", agg="last", field="score",
                      filter={"kind": "nps"})
    return [
        (Measure("nps", "NPS (latest)",
                 Source("aggregate", entity="surveys", agg="last", field="score",
                        filter={"kind": "nps"}, window=365),
                 _t((7, 0), (9, 60), (None, 100)), 10),
         _t((7, 0), (9, 60), (None, 100))),
        (Measure("nps_trend", "NPS trend",
                 Source("change", of=nps_last, lag_days=180, mode="diff"),
                 _t((-2, 0), (0, 50), (None, 100)), 5,
                 description="latest NPS minus the latest 180 days earlier"),
         _t((-2, 0), (0, 60), (None, 100))),
    ]


def _financial_specs():
    mrr = Source("aggregate", entity="subscriptions", agg="sum", field="mrr",
                 filter={"active": True})
    return [
        (Measure("mrr_change", "MRR change (90 days)",
                 Source("change", of=mrr, lag_days=90), _t((-10, 0), (0, 50), (None, 100)),
                 8, unit="%"),
         _t((-10, 0), (0, 60), (None, 100))),
        (Measure("payment_state", "Past-due subscriptions",
                 Source("aggregate", entity="subscriptions", agg="count",
                        filter={"active": True, "status": "past_due"}),
                 _t((1, 100), (None, 0)), 7, direction="lower"),
         _t((1, 100), (None, 0))),
    ]


def _relationship_specs():
    return [
        (Measure("last_touch", "Days since last CSM touch",
                 Source("days_since", entity="activities", filter={"kind": {"not": ["note"]}},
                        fill=365),
                 _t((31, 100), (61, 70), (91, 40), (None, 0)), 6, direction="lower",
                 unit="days"),
         _t((31, 100), (91, 60), (None, 0))),
        (Measure("qbr_quarter", "QBR held this quarter",
                 Source("aggregate", entity="activities", agg="any", window="quarter",
                        filter={"kind": ["qbr", "ebr"]}),
                 _t((1, 0), (None, 100)), 4),
         _t((1, 0), (None, 100))),
        (Measure("exec_sponsor", "Executive sponsor known",
                 Source("aggregate", entity="contacts", agg="any",
                        filter={"role": "executive sponsor"}),
                 _t((1, 0), (None, 100)), 5),
         _t((1, 0), (None, 100))),
    ]


def _lifecycle_specs():
    return [
        (Measure("renewal_proximity", "Days to renewal",
                 Source("days_until", field="renewal_date"),
                 _t((0, 30), (31, 50), (91, 80), (None, 100)), 5, unit="days"),
         _t((31, 0), (91, 60), (None, 100))),
    ]


def _groups(data, gap: bool = False) -> list[Group]:
    out = []
    for name, weight, items in _specs(data):
        ms = []
        for m, gap_mapping in items:
            if gap:
                m.mapping = gap_mapping
            ms.append(m)
        out.append(Group(name, weight, ms))
    return out


def numeric_rag(data: ScoringData | None = None) -> Scorecard:
    """The default: numeric 0-100 with Red (< 40), Yellow (40-70) and Green (>= 70)."""
    return Scorecard(DEFAULT_ID, "Health", _groups(data), _rag(), description=(
        "Usage, support, satisfaction, financial, relationship and lifecycle measures; "
        "0-100 with red/yellow/green bands.")).validate()


def good_average_poor(data: ScoringData | None = None) -> Scorecard:
    """Every measure rated Good / Average / Poor = 100 / 60 / 0 points, weighted average."""
    return Scorecard("health_gap", "Health (Good/Average/Poor)", _groups(data, gap=True),
                     _gap_bands(), style="good_average_poor", description=(
                         "Each measure is Good (100), Average (60) or Poor (0).")).validate()


def points_100(data: ScoringData | None = None) -> Scorecard:
    """Points per measure that add up to 100 (a measure earns its share of its points)."""
    return Scorecard("health_points", "Health (points of 100)", _groups(data), _rag(),
                     style="points", description=(
                         "Each measure is worth the points in its weight; they add up to "
                         "100.")).validate()


def ten_point(data: ScoringData | None = None) -> Scorecard:
    """The default arithmetic displayed on 0-10 (``score / 10``, one decimal)."""
    return Scorecard("health_10", "Health (0-10)", _groups(data), _rag(), scale=10,
                     description="The health score shown on a 0-10 scale.").validate()


def default_scorecard(data: ScoringData | None = None) -> Scorecard:
    """The scorecard used when the workspace has none: :func:`numeric_rag`. Pass the data to
    fit the CSAT range to the scale it uses."""
    return numeric_rag(data)


#: name -> factory(data=None) of every preset.
PRESETS: dict[str, Callable[..., Scorecard]] = {
    "numeric_rag": numeric_rag,
    "good_average_poor": good_average_poor,
    "points_100": points_100,
    "ten_point": ten_point,
}


def preset(name: str, data: ScoringData | None = None) -> Scorecard:
    """A fresh copy of a preset by name (``KeyError`` lists the names)."""
    try:
        return PRESETS[name](data)
    except KeyError:
        raise KeyError(f"no preset {name!r}; presets: {', '.join(PRESETS)}") from None


# ---------------------------------------------------------------- cards beyond the presets
def _measure(specs, mid: str, weight: float, mapping: PointMapping | None = None,
             direction: str | None = None) -> Measure:
    """A fresh copy of a default measure by id, with a new weight (mapping, direction)."""
    for _, _, items in specs:
        for m, _gap in items:
            if m.id == mid:
                m = Measure.from_dict(m.to_dict())
                m.weight = weight
                if mapping is not None:
                    m.mapping = mapping
                if direction is not None:
                    m.direction = direction
                return m
    raise KeyError(mid)


def onboarding(data: ScoringData | None = None) -> Scorecard:
    """Accounts in their first 90 days: early adoption, a close relationship, no escalations."""
    sp = _specs(data)
    return Scorecard("onboarding", "Onboarding", [
        Group("Early adoption", 50, [
            _measure(sp, "seat_utilisation", 25, PointMapping("linear", zero_at=0.05,
                                                              full_at=0.5)),
            _measure(sp, "logins", 15), _measure(sp, "feature_breadth", 10)]),
        Group("Relationship", 30, [
            _measure(sp, "last_touch", 20, _t((15, 100), (31, 60), (None, 0))),
            _measure(sp, "exec_sponsor", 10)]),
        Group("Support", 20, [
            _measure(sp, "open_escalations", 10),
            Measure("urgent_tickets_30", "Urgent tickets (30 days)",
                    Source("aggregate", entity="tickets", agg="count", window=30,
                           filter={"priority": ["urgent", "high"]}),
                    _t((1, 100), (2, 50), (None, 0)), 10, direction="lower", unit="tickets")]),
    ], _rag(), description="For accounts in their first 90 days after contract start.").validate()


def adoption(data: ScoringData | None = None) -> Scorecard:
    """Product adoption only (shown next to health)."""
    sp = _specs(data)
    return Scorecard("adoption", "Adoption", [Group("Adoption", 100, [
        _measure(sp, "seat_utilisation", 40), _measure(sp, "logins", 25),
        _measure(sp, "feature_breadth", 20), _measure(sp, "usage_trend", 15)])], _rag(),
        description="Seat utilisation, logins, feature breadth and usage trend.").validate()


def renewal_risk(data: ScoringData | None = None) -> Scorecard:
    """Risk that the next renewal is lost or shrinks: high is bad (polarity ``risk``)."""
    sp = _specs(data)
    risk_bands = [Band("Low", 0, GREEN), Band("Medium", 40, YELLOW), Band("High", 70, RED)]
    return Scorecard("renewal_risk", "Renewal risk", [
        Group("Renewal", 30, [Measure(
            "renewal_within", "Days to renewal", Source("days_until", field="renewal_date"),
            _t((31, 100), (91, 70), (181, 40), (None, 0)), 30, direction="lower",
            unit="days")]),
        Group("Usage", 40, [
            _measure(sp, "usage_trend", 25, _t((-25, 100), (-10, 60), (None, 0)), "lower"),
            _measure(sp, "seat_utilisation", 15, PointMapping("linear", zero_at=0.8,
                                                              full_at=0.1), "lower")]),
        Group("Sentiment", 15, [
            _measure(sp, "nps", 15, _t((7, 100), (9, 40), (None, 0)), "lower")]),
        Group("Financial", 15, [
            _measure(sp, "mrr_change", 15, _t((-10, 100), (0, 50), (None, 0)), "lower")]),
    ], risk_bands, polarity="risk", description=(
        "Higher is riskier: renewal soon, falling usage, low utilisation, detractor NPS, "
        "shrinking MRR.")).validate()


#: id -> factory(data=None) of every built-in card that is not a preset of the default.
CARDS: dict[str, Callable[..., Scorecard]] = {
    "onboarding": onboarding,
    "adoption": adoption,
    "renewal_risk": renewal_risk,
}


def builtin_scorecards(data: ScoringData | None = None) -> dict[str, Scorecard]:
    """Every built-in scorecard by id: the four presets (``health``, ``health_gap``,
    ``health_points``, ``health_10``) and :data:`CARDS`."""
    cards = [make(data) for make in PRESETS.values()] + [make(data) for make in CARDS.values()]
    return {c.id: c for c in cards}
