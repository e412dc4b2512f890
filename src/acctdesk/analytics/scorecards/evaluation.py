"""Is a scorecard predictive? Backtests against who churned (or contracted) afterwards, and
group weights fitted to the history (suggested, never applied on their own)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ...domain.dates import add_days, to_day
from .data import ScoringData
from .schema import Scorecard, Source, is_number
from .scoring import evaluate_source, score_accounts

__all__ = ["auc", "OUTCOMES", "backtest", "backtest_dates", "SuggestedWeights",
           "suggest_weights", "MIN_EVENTS_TO_FIT"]

def auc(scores: np.ndarray, positive: np.ndarray) -> float:
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
    end = add_days(data_date, -int(horizon_days))
    return [add_days(end, -int(step_days) * k) for k in range(int(count) - 1, -1, -1)]


_MRR_ACTIVE = Source("aggregate", entity="subscriptions", agg="sum", field="mrr",
                     filter={"active": True})


def _labels(data: ScoringData, account_ids, t: str, horizon_days: int, outcome: str,
            contraction_pct: float) -> tuple[np.ndarray, np.ndarray]:
    """(churned, contracted) within ``(t, t + horizon_days]`` for the given accounts.

    churned: ``t < churn_date <= t + h``. contracted: not churned and the MRR of the
    subscriptions active on ``t + h`` is more than ``contraction_pct`` % below that on ``t``
    (``mrr_end < mrr_t (1 - pct / 100)`` with ``mrr_t > 0``)."""
    idx = data.accounts_index()
    churn = data.accounts.set_index(idx)["churn_date"].reindex(account_ids).astype(object) \
        if "churn_date" in data.accounts else pd.Series(None, index=account_ids, dtype=object)
    end = add_days(t, horizon_days)
    c = churn.where(churn.notna(), "").astype(str).str[:10].to_numpy()
    churned = (c > str(t)[:10]) & (c <= end) & (c != "")
    contracted = np.zeros(len(churned), dtype=bool)
    if outcome == "churn_or_contraction":
        pos = idx.get_indexer(pd.Index(account_ids))
        now = evaluate_source(_MRR_ACTIVE, data, to_day(t))[pos]
        then = evaluate_source(_MRR_ACTIVE, data, to_day(end))[pos]
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
    out = {"auc": auc(risk, y), "n": int(n), "churned": int(y.sum()),
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
    With ``assignment`` (an :class:`~acctdesk.analytics.scorecards.assignment.Assignment`) and
    ``cards`` each account is scored with the card its rules assign (``card`` is then only
    used for the band order and polarity).
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome {outcome!r} must be one of {', '.join(OUTCOMES)}")
    if not (is_number(contraction_pct) and 0 < contraction_pct < 100):
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
    seg = data.accounts.set_index(data.accounts_index())["segment"] \
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
    the fitted weights, ready for ``acctdesk.engine.scorecards.accept_suggested_weights``;
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
    auc_now = auc(sign * test["score"].to_numpy(dtype=float), yt)
    reason = "" if len(dates) > 1 else \
        "only one backtest date: the AUCs are in-sample and flatter the fitted weights"
    return SuggestedWeights(True, reason, weights, current, auc_now, bt_fit["auc"], fit_dates,
                            eval_dates, len(train), int(y.sum()), coefs, fitted)
