"""The engine: one workspace, one date, every figure a screen, command or export shows.

``Engine(ws).analysis(as_of)`` gives an :class:`Analysis`: a handle on the figures of the
workspace as of a date (default: its data date). Each part (health, risk, whitespace, the
worklist, the per-account figures, metrics, renewals, ...) is computed the first time any
caller asks for it and kept in the process-wide :class:`~.cache.ResultCache` under the
workspace's identity and data version, so every view, command and export of the process
reads the same frames, and nothing is computed twice while the data is unchanged.

Parts that depend on the churn risk are also keyed by its settings: ``risk_source``
(``"auto"``: the stored model when there is one, else the health score; ``"health"``: the
health score) and ``horizon_days``.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..analytics import metrics as M
from ..analytics import whitespace as W
from ..analytics.scorecards import ScoringData
from ..analytics.worklist import WorklistSettings, build_worklist, team_targets
from ..domain import dates
from ..domain.accounts import active_mask
from ..domain.money import currency_code
from . import health as H
from . import risk as R
from .cache import ResultCache
from .reading import read_data

__all__ = ["Engine", "Analysis", "forget", "CACHE", "PARTS"]

CACHE = ResultCache()
#: the parts :meth:`Analysis.prepare` knows, in the order they build on each other
PARTS = ("data", "health", "risk", "whitespace", "worklist", "figures")
_LOCKS: dict[tuple, threading.RLock] = {}
_LOCKS_GUARD = threading.Lock()

ProgressFn = Callable[[float, str], None]


def card_digest(card) -> str:
    """A scorecard's identity for keeping its scores: its id and a digest of its
    definition."""
    import hashlib
    import json

    text = json.dumps(card.to_dict(), sort_keys=True, default=str)
    return f"{card.id}:{hashlib.sha1(text.encode()).hexdigest()[:12]}"


def forget(ws=None) -> None:
    """Drop the kept results of one workspace (or of all), e.g. when a window closes it."""
    CACHE.forget(None if ws is None else ws.identity())


class Engine:
    """The analysis of one open workspace (cheap to make: results live in the cache)."""

    def __init__(self, ws):
        self.ws = ws

    def analysis(self, as_of: str | None = None, *, risk_source: str = "auto",
                 horizon_days: int = R.DEFAULT_HORIZON) -> "Analysis":
        """The workspace's figures as of ``as_of`` (default: its data date), at its current
        data version."""
        return Analysis(self.ws, as_of, risk_source=risk_source, horizon_days=horizon_days)

    def forget(self) -> None:
        forget(self.ws)


class Analysis:
    """The figures of a workspace as of one date at one data version (see the module
    docstring). Properties compute what they need on first use; :meth:`prepare` computes
    several parts with progress and cancellation. Treat every frame as read-only."""

    def __init__(self, ws, as_of: str | None = None, *, risk_source: str = "auto",
                 horizon_days: int = R.DEFAULT_HORIZON):
        if risk_source not in ("auto", "health"):
            raise ValueError("risk_source must be 'auto' or 'health'")
        self.ws = ws
        self.identity = ws.identity()
        self.version = ws.data_key()
        self.data_date = ws.data_date()
        self.as_of = str(as_of or self.data_date or "")[:10] or None
        self.currency = currency_code(ws.get_meta("currency"))
        self.name = ws.get_meta("name") or ws.path.stem
        self.risk_source = risk_source
        self.horizon_days = int(horizon_days)
        with _LOCKS_GUARD:
            for key in [k for k in _LOCKS
                        if k[0] == self.identity and k[1][0] <= self.version[0]
                        and k[1] != self.version]:
                del _LOCKS[key]
            self.lock = _LOCKS.setdefault((self.identity, self.version), threading.RLock())

    # ------------------------------------------------------------------ plumbing
    @property
    def empty(self) -> bool:
        """No accounts or no dated data: nothing to compute."""
        return self.as_of is None or not len(self.data.accounts)

    def _part(self, name: tuple, build: Callable[[], Any], *, dated: bool = True) -> Any:
        key = ((self.as_of,) if dated else ()) + tuple(name)

        def locked():
            with self.lock:
                return build()

        return CACHE.get_or_build(self.identity, self.version, key, locked)

    @property
    def _risk_key(self) -> tuple:
        return (self.risk_source, self.horizon_days)

    def prepare(self, parts: Sequence[str] = PARTS, progress: ProgressFn | None = None,
                check: Callable[[], None] | None = None) -> "Analysis":
        """Compute ``parts`` (names of :data:`PARTS`) in order, telling ``progress(fraction,
        text)`` and calling ``check()`` (which raises to cancel) between them."""
        texts = {"data": "Reading the workspace…", "health": "Scoring health…",
                 "risk": "Estimating churn risk…", "whitespace": "Finding expansion…",
                 "worklist": "Ranking accounts…", "figures": "Putting the figures together…"}
        wanted = [p for p in PARTS if p in parts]
        for i, part in enumerate(wanted):
            if check is not None:
                check()
            if progress is not None:
                progress(i / max(1, len(wanted)), texts[part])
            getattr(self, part)
            if part == "data" and self.empty:
                break
        if check is not None:
            check()
        return self

    # ------------------------------------------------------------------ inputs
    @property
    def data(self) -> ScoringData:
        """Every entity of the workspace, read once per data version."""
        return self._part(("data",), lambda: read_data(self.ws), dated=False)

    @property
    def scorecards(self) -> tuple[dict, Any]:
        """(available cards by id, assignment): built-in cards fitted to the data overlaid
        with the stored ones, and the stored assignment (else the default)."""
        from ..analytics.scorecards import default_assignment
        from ..analytics.scorecards import ScorecardError
        from .scorecards import available_scorecards, load_assignment

        def build():
            cards = available_scorecards(self.ws, self.data)
            try:
                return cards, load_assignment(self.ws).validate(list(cards))
            except ScorecardError:      # damaged, or names a deleted card: the default
                return cards, default_assignment().validate(list(cards))

        return self._part(("scorecards",), build, dated=False)

    def settings(self) -> WorklistSettings:
        """The worklist's settings for this workspace (its currency)."""
        st = WorklistSettings()
        st.currency = self.currency
        return st

    # ------------------------------------------------------------------ health
    @property
    def health(self) -> H.Health:
        """Health of the active accounts with their assigned cards, and its baseline."""
        return self._part(("health",), self._build_health)

    def _build_health(self) -> H.Health:
        from ..models.scores import load_snapshot

        cards, assignment = self.scorecards
        if self.empty:
            frame = pd.DataFrame({c: [] for c in H.HEALTH_COLUMNS})
            return H.Health(self.as_of or "", cards, assignment, frame, frame.copy())
        frame, detail = H.score_health(self.data, cards, assignment, self.as_of)
        stored = {cid: load_snapshot(self.ws, cid, before=self.as_of)
                  for cid in pd.unique(frame["scorecard"])}
        before, label, when = H.baseline(frame, cards, self.data, self.as_of, stored,
                                         WorklistSettings().health_baseline_days)
        return H.Health(self.as_of, cards, assignment, frame, detail, before, label, when)

    def scores_on(self, card, day: str) -> pd.DataFrame:
        """``score_accounts(card, data, day)`` over the whole book, kept per card definition
        (an edited card scores differently) and day."""
        from ..analytics.scorecards import score_accounts

        return self._part(("scores", card_digest(card), str(day)[:10]),
                          lambda: score_accounts(card, self.data, str(day)[:10]), dated=False)

    # ------------------------------------------------------------------ risk
    @property
    def risk(self) -> R.Risk:
        """Churn risk of the active accounts (stored model, else the health score)."""
        return self._part(("risk",) + self._risk_key, self._build_risk)

    def _build_risk(self) -> R.Risk:
        return R.compute_risk(self.ws, self.data, self.health.frame, self.as_of,
                              horizon_days=self.horizon_days,
                              use_model=self.risk_source == "auto")

    def retrain(self) -> R.Risk:
        """Train a new churn model now (stored), and use it for this analysis."""
        with self.lock:
            risk = R.compute_risk(self.ws, self.data, self.health.frame, self.as_of,
                                  horizon_days=self.horizon_days, retrain=True)
        CACHE.put(self.identity, self.version, (self.as_of, "risk") + self._risk_key, risk)
        return risk

    def drivers(self, account_ids: Sequence[str]) -> dict[str, list[str]]:
        """The reasons behind the churn risk of these accounts (computed for them only)."""
        return self.drivers_for(account_ids)

    @property
    def drivers_for(self) -> Callable[[Sequence[str]], dict[str, list[str]]]:
        """:meth:`drivers` bound to this analysis' risk and health: a view keeps it to
        explain the account a user selects, without looking anything up again."""
        cards, _ = self.scorecards
        return functools.partial(R.drivers, self.risk, self.health.detail, cards)

    # ------------------------------------------------------------------ whitespace
    @property
    def whitespace(self) -> pd.DataFrame:
        """Cross-sell and upsell suggestions (at-risk accounts flagged with the model's
        probabilities)."""
        def build():
            data = self.data
            if self.empty or not len(data.frame("subscriptions")):
                return pd.DataFrame(columns=W.WHITESPACE_COLUMNS)
            return W.whitespace(data.frame("subscriptions"), data.accounts,
                                data.frame("usage"), self.as_of,
                                risk=self.risk.probabilities)

        return self._part(("whitespace",) + self._risk_key, build)

    @property
    def ownership(self) -> pd.DataFrame:
        """The account x product matrix (:func:`acctdesk.analytics.whitespace.
        ownership_matrix`)."""
        return self._part(("ownership",), lambda: W.ownership_matrix(
            self.data.frame("subscriptions"), self.data.accounts, self.as_of))

    @property
    def whitespace_backtest(self) -> dict[str, Any]:
        """The cross-sell backtest (last 6 months of purchases hidden)."""
        return self._part(("whitespace_backtest",), lambda: W.backtest(
            self.data.frame("subscriptions"), self.data.accounts, self.data.frame("usage"),
            self.as_of, hidden_months=6))

    # ------------------------------------------------------------------ worklist
    @property
    def worklist(self) -> pd.DataFrame:
        """The ranked worklist of the whole book (``rank`` is the rank in the book)."""
        return self._part(("worklist",) + self._risk_key, self._build_worklist)

    def _build_worklist(self) -> pd.DataFrame:
        h, data = self.health, self.data
        wsx = self.whitespace
        expansion = wsx[["account_id", "expected_mrr"]].dropna() if len(wsx) else None
        previous = pd.DataFrame({"account_id": h.before.index.to_numpy(dtype=object),
                                 "score": h.before.to_numpy(dtype=float)})
        out = build_worklist(data.accounts, as_of=self.as_of, scores=h.frame,
                             previous_scores=previous, tickets=data.tickets,
                             surveys=data.surveys, activities=data.activities,
                             churn_probability=self.risk.probabilities, expansion=expansion,
                             settings=self.settings())
        out.attrs["health_baseline"] = h.baseline
        out.attrs["scorecard"] = h.assignment.default
        return out

    # ------------------------------------------------------------------ per account
    @property
    def figures(self) -> pd.DataFrame:
        """One row per account of the workspace (churned ones too) with every per-account
        figure a screen shows: ``account_id, name, owner, segment, industry, region, arr,
        renewal_date, status, active, scorecard, health_score, display_score, band,
        band_colour, coverage, health_before, health_delta, churn_probability (active
        accounts), arr_at_risk = arr x churn_probability, whitespace_arr = 12 x the expected
        MRR of the account's suggestions, priority, rank`` (the worklist's, in the book)."""
        return self._part(("figures",) + self._risk_key, self._build_figures)

    def _build_figures(self) -> pd.DataFrame:
        acc = self.data.accounts
        ids = pd.Index(acc["account_id"].astype(str).to_numpy(dtype=object))
        out = pd.DataFrame({"account_id": ids.to_numpy(dtype=object)})
        for key in ("name", "owner", "segment", "industry", "region", "renewal_date",
                    "status", "seats"):
            out[key] = acc[key].to_numpy(dtype=object) if key in acc else None
        out["arr"] = pd.to_numeric(acc["arr"], errors="coerce").to_numpy(dtype=float) \
            if "arr" in acc else np.nan
        out["active"] = active_mask(acc, self.as_of).to_numpy(dtype=bool) if self.as_of \
            else False
        if self.empty:
            for key in ("scorecard", "health_score", "display_score", "band", "band_colour",
                        "coverage", "health_before", "health_delta", "churn_probability",
                        "arr_at_risk", "whitespace_arr", "priority", "rank"):
                out[key] = np.nan
            return out
        h = self.health.frame.set_index("account_id")
        for key, col in (("scorecard", "scorecard"), ("health_score", "score"),
                         ("display_score", "display_score"), ("band", "band"),
                         ("band_colour", "colour"), ("coverage", "coverage")):
            out[key] = h[col].reindex(ids).to_numpy()
        before = self.health.before.reindex(ids).to_numpy(dtype=float)
        out["health_before"] = before
        out["health_delta"] = out["health_score"].to_numpy(dtype=float) - before
        p = self.risk.by_account
        out["churn_probability"] = p[~p.index.duplicated()].reindex(ids).to_numpy(dtype=float)
        out["arr_at_risk"] = out["arr"].fillna(0.0) * out["churn_probability"]
        wsx = self.whitespace
        if len(wsx):
            value = wsx.assign(account_id=wsx["account_id"].astype(str)) \
                .groupby("account_id")["expected_mrr"].sum() * 12.0
            out["whitespace_arr"] = value.reindex(ids).fillna(0.0).to_numpy(dtype=float)
            out.loc[~out["active"], "whitespace_arr"] = np.nan
        else:
            out["whitespace_arr"] = np.where(out["active"], 0.0, np.nan)
        wl = self.worklist.set_index(self.worklist["account_id"].astype(str))
        out["priority"] = wl["priority"].reindex(ids).to_numpy(dtype=float)
        out["rank"] = wl["rank"].reindex(ids).to_numpy(dtype=float)
        return out

    def account(self, account_id: str) -> dict[str, Any] | None:
        """The figures of one account (a row of :attr:`figures` as a dict), None when the
        workspace has no such account."""
        f = self.figures
        hit = f.loc[f["account_id"] == str(account_id)]
        return None if hit.empty else hit.iloc[0].to_dict()

    # ------------------------------------------------------------------ revenue
    @property
    def mrr(self) -> pd.DataFrame:
        """The MRR ledger of every subscription as of the date
        (:func:`acctdesk.analytics.metrics.mrr_by_month`)."""
        return self._part(("mrr",), lambda: M.mrr_by_month(self.data.frame("subscriptions"),
                                                           as_of=self.as_of))

    def band_counts(self) -> dict[str, int]:
        """Active accounts per health band (in band order; labels of every assigned card)."""
        labels = [b[0] for b in self.health.bands()]
        counts = self.health.frame["band"].value_counts()
        return {b: int(counts.get(b, 0)) for b in labels}

    def book_arr(self) -> float:
        """ARR of the book: the sum of ``accounts.arr`` over the active accounts."""
        acc = self.data.accounts
        if self.empty or "arr" not in acc:
            return 0.0
        arr = pd.to_numeric(acc["arr"], errors="coerce").fillna(0.0)
        return float(arr[active_mask(acc, self.as_of).to_numpy()].sum())

    def metrics(self, months: int = 12, definition: str = "standard") -> dict[str, Any]:
        """The revenue metrics summary (:func:`.metrics.metrics_summary`)."""
        from .metrics import metrics_summary

        return self._part(("metrics", months, definition),
                          lambda: metrics_summary(
                              self.mrr, as_of=self.as_of, currency=self.currency,
                              arr=self.book_arr(), bands=self.band_counts(), months=months,
                              definition=definition))

    def rates(self, period: str = "month", months: int = 12):
        """The book's measured accounts, ACV, upsell and churn rates
        (:func:`acctdesk.analytics.simulator.rates_from_mrr` on :attr:`mrr`)."""
        from ..analytics.simulator import rates_from_mrr

        if not self.as_of:
            raise ValueError("the workspace has no data to measure rates from")
        return self._part(("rates", period, months),
                          lambda: rates_from_mrr(self.mrr, period=period, months=months))

    # ------------------------------------------------------------------ pipeline
    @property
    def pipeline(self) -> pd.DataFrame:
        """The CRM deals open per account (:func:`acctdesk.analytics.pipeline.open_pipeline`;
        pipeline, never revenue): the Portfolio's "Open pipeline" tile and the pack's."""
        from ..analytics.pipeline import open_pipeline

        return self._part(("pipeline",), lambda: open_pipeline(
            self.ws.opportunities() if self.as_of else None, self.as_of or ""))

    # ------------------------------------------------------------------ team
    def team(self, by: str = "owner") -> pd.DataFrame:
        """Team targets per owner (:func:`acctdesk.analytics.worklist.team_targets`): band
        shares of the assigned health, GRR and logo retention, expansion this quarter,
        renewals due and health alerts (from the stored snapshots and the baseline)."""
        from ..analytics.worklist import health_alerts
        from ..models.scores import score_history

        def build():
            h = self.health
            st = WorklistSettings()
            snaps = [h.frame[["account_id", "score"]].assign(as_of=self.as_of)]
            for cid in pd.unique(h.frame["scorecard"]):
                hist = score_history(self.ws, cid, expand=False)
                ids = h.frame.loc[h.frame["scorecard"] == cid, "account_id"]
                hist = hist[(hist["as_of"] < self.as_of) & hist["account_id"].isin(ids)]
                snaps.append(hist[["account_id", "as_of", "score"]])
            hist_rows = sum(len(s) for s in snaps[1:])
            if not hist_rows:
                when = dates.add_days(self.as_of, -st.health_baseline_days)
                snaps.append(pd.DataFrame({"account_id": h.before.index.to_numpy(),
                                           "score": h.before.to_numpy(dtype=float),
                                           "as_of": when}))
            card = h.default_card
            red = card.bands[1].lower if len(card.bands) > 1 else st.critical_health_below
            alerts = health_alerts(pd.concat(snaps, ignore_index=True), red_below=red,
                                   drop_min=st.health_drop_min)
            mrr = self.mrr if len(self.mrr) else None
            return team_targets(self.data.accounts, as_of=self.as_of, scores=h.frame, mrr=mrr,
                                activities=self.data.activities, alerts=alerts, settings=st,
                                by=by)

        return self._part(("team", by), build)
