"""Configurable health scorecards: measures -> groups -> an overall 0-100 score and a band.

Everything here is a pure function over DataFrames (no Qt, no SQL); storage lives in
:mod:`acctdesk.models.scores` (read and validated by :mod:`acctdesk.engine.scorecards`).
The package, one concern a module:

* :mod:`.schema` -- what a card is (sources, point mappings, measures, groups, bands) and
  its validation;
* :mod:`.data` -- the frames a card reads, prepared once;
* :mod:`.scoring` -- measures as of a date, points, the roll-up, bands;
* :mod:`.explanation` -- what moved a score;
* :mod:`.evaluation` -- backtests and fitted weights;
* :mod:`.presets` -- the shipped cards;
* :mod:`.assignment` -- which card scores which account.

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
are scored (:func:`acctdesk.domain.accounts.active_mask`). Known limits: a few fields are the export's *current* state
(subscription ``status``, ticket ``status`` when ``solved_at`` is empty, ``renewal_date``), so a
score recomputed for a past date can see them.
"""
from __future__ import annotations

from .assignment import (
    ASSIGNMENT_FORMAT, Assignment, Rule, assign, default_assignment, score_assigned,
)
from .data import ENTITY_DATE, ScoringData
from .evaluation import (
    MIN_EVENTS_TO_FIT, OUTCOMES, SuggestedWeights, auc, backtest, backtest_dates,
    suggest_weights,
)
from .explanation import Change, explain_change, what_moved
from .presets import (
    CARDS, DEFAULT_ID, PRESETS, adoption, builtin_scorecards, default_scorecard,
    good_average_poor, numeric_rag, onboarding, points_100, preset, renewal_risk, ten_point,
)
from .schema import (
    AGGREGATES, Band, Group, Measure, PointMapping, Scorecard, ScorecardError, Source,
    check_keys, is_number,
)
from .scoring import compute_measures, contributions, map_points, score_accounts

__all__ = [
    "ScorecardError", "Source", "PointMapping", "Measure", "Group", "Band", "Scorecard",
    "ScoringData", "Change", "compute_measures", "map_points", "score_accounts",
    "contributions", "explain_change", "what_moved", "backtest", "backtest_dates",
    "suggest_weights", "SuggestedWeights", "OUTCOMES", "ENTITY_DATE", "AGGREGATES", "auc",
    "check_keys", "is_number", "MIN_EVENTS_TO_FIT", "Assignment", "Rule", "assign",
    "default_assignment", "score_assigned", "ASSIGNMENT_FORMAT", "DEFAULT_ID",
    "builtin_scorecards", "default_scorecard", "preset", "numeric_rag", "good_average_poor",
    "points_100", "ten_point", "onboarding", "adoption", "renewal_risk", "PRESETS", "CARDS",
]
