"""``acctdesk worklist PATH``: the ranked list of accounts that need attention today.

Churn probabilities and expansion value come from :mod:`acctdesk.analytics.churn` and
:mod:`acctdesk.analytics.whitespace` when those modules are installed and expose a function
this command can call; otherwise (or when the call fails) the health score stands in for the
churn probability, and the output says so: ``"risk_source": "health"``.

JSON: ``as_of``, ``risk_source`` ("model" or "health"), ``risk_note``, ``expansion_source``,
``health_baseline``, ``weights``, ``count`` (items before ``--limit``) and ``items``, each with
``rank``, ``account_id``, ``name``, ``owner``, ``arr``, ``priority``, ``components``,
``reasons``, ``next_step`` and the figures behind them.
"""
from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path

NAME = "worklist"
HELP = "the ranked list of accounts that need attention, with reasons and next steps"
DESCRIPTION = (
    "Rank the workspace's active accounts by ARR at risk, renewals with poor health, health "
    "drops, urgent tickets, detractor NPS, missing CSM touches and expansion value, as of the "
    "data date."
)

#: function names tried, in order, on the optional modules (called with the workspace).
CHURN_FUNCTIONS = ("churn_probabilities_from_workspace", "risk_from_workspace",
                   "score_workspace", "churn_risk_from_workspace", "predict_workspace")
WHITESPACE_FUNCTIONS = ("suggestions_from_workspace", "whitespace_from_workspace",
                        "suggest_from_workspace", "score_workspace")


def _positive(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return v


def _iso_date(text: str) -> str:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-10-31") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file")
    parser.add_argument("--limit", type=_positive, default=25,
                        help="number of items to print (default 25)")
    parser.add_argument("--as-of", default=None, type=_iso_date,
                        help="compute as of this date instead of the data date (YYYY-MM-DD)")
    parser.add_argument("--risk-source", choices=("auto", "health"), default="auto",
                        help="'health' skips the churn model even when it is available")
    parser.add_argument("--json", action="store_true", help="print a JSON object")


def _call(module_name: str, names, ws, as_of):
    """Call the first matching function of an optional analytics module; None on any failure
    (missing module, no such function, unexpected signature or result, error)."""
    import importlib

    try:
        mod = importlib.import_module(f"acctdesk.analytics.{module_name}")
    except ImportError:
        return None, f"acctdesk.analytics.{module_name} not available"
    for name in names:
        fn = getattr(mod, name, None)
        if not callable(fn):
            continue
        try:
            params = inspect.signature(fn).parameters
            kwargs = {"as_of": as_of} if "as_of" in params else {}
            return fn(ws, **kwargs), f"acctdesk.analytics.{module_name}.{name}"
        except Exception as exc:  # an optional source must never break the worklist
            return None, f"{module_name}.{name} failed: {exc}"
    return None, f"acctdesk.analytics.{module_name} has no usable function"


def _frame_of(result):
    import pandas as pd

    for attr in ("scores", "frame", "suggestions", "predictions"):
        if not isinstance(result, pd.DataFrame) and hasattr(result, attr):
            result = getattr(result, attr)
    if isinstance(result, tuple) and result and isinstance(result[0], pd.DataFrame):
        result = result[0]
    return result


def _known_churn(ws, as_of):
    """The frame API of acctdesk.analytics.churn: ``churn_risk(ScoringData, as_of)`` ->
    ``(RiskResult, model)``. (None, note) when absent, fallen back to health, or failing."""
    try:
        from ..analytics import churn
    except ImportError:
        return None, "acctdesk.analytics.churn not available"
    fn = getattr(churn, "churn_risk", None)
    if not callable(fn):
        return None, "acctdesk.analytics.churn has no churn_risk"
    try:
        from ..analytics.health import ScoringData

        result = fn(ScoringData.from_workspace(ws), as_of)
        risk = result[0] if isinstance(result, tuple) else result
        info = getattr(risk, "model", {}) or {}
        if str(info.get("kind", "")).startswith("health"):
            return None, f"churn model not used: {info.get('reason') or 'health fallback'}"
        return risk.accounts, f"acctdesk.analytics.churn.churn_risk ({info.get('kind')})"
    except Exception as exc:  # an optional source must never break the worklist
        return None, f"churn.churn_risk failed: {exc}"


def _known_whitespace(ws, as_of, risk):
    try:
        from ..analytics import whitespace
    except ImportError:
        return None, "acctdesk.analytics.whitespace not available"
    fn = getattr(whitespace, "whitespace", None)
    if not callable(fn):
        return None, "acctdesk.analytics.whitespace has no whitespace()"
    try:
        return (fn(ws.subscriptions(), ws.accounts(), ws.usage(), as_of, risk=risk),
                "acctdesk.analytics.whitespace.whitespace")
    except Exception as exc:
        return None, f"whitespace.whitespace failed: {exc}"


def churn_probabilities(ws, as_of):
    """(Series of churn probability by account_id, note) or (None, why not)."""
    import pandas as pd

    result, note = _known_churn(ws, as_of)
    if result is None and "not used" not in note:
        result, note = _call("churn", CHURN_FUNCTIONS, ws, as_of)
    if result is None:
        return None, note
    result = _frame_of(result)
    try:
        if isinstance(result, pd.Series):
            s = pd.to_numeric(result, errors="coerce")
        else:
            col = next(c for c in ("churn_probability", "probability", "risk")
                       if c in result.columns)
            s = pd.Series(pd.to_numeric(result[col], errors="coerce").to_numpy(),
                          index=result["account_id"].astype(str).to_numpy())
        if getattr(result, "attrs", {}).get("fallback") or \
                getattr(result, "attrs", {}).get("source") == "health":
            return None, f"{note}: the churn model fell back to health"
        s = s.dropna()
        if s.empty or (s < 0).any() or (s > 1).any():
            return None, f"{note}: no usable probabilities"
        return s, note
    except Exception as exc:
        return None, f"{note}: unexpected result ({exc})"


def expansion_suggestions(ws, as_of, risk=None):
    """(frame account_id, expected_mrr, note) or (None, why not)."""
    import pandas as pd

    result, note = _known_whitespace(ws, as_of, risk)
    if result is None:
        result, note = _call("whitespace", WHITESPACE_FUNCTIONS, ws, as_of)
    if result is None:
        return None, note
    result = _frame_of(result)
    try:
        frame = pd.DataFrame({"account_id": result["account_id"].astype(str),
                              "expected_mrr": pd.to_numeric(result["expected_mrr"],
                                                            errors="coerce")})
        return frame.dropna(), note
    except Exception as exc:
        return None, f"{note}: unexpected result ({exc})"


def compute(ws, *, limit: int | None = None, as_of: str | None = None,
            risk_source: str = "auto") -> dict:
    from ..analytics.worklist import worklist_from_workspace, worklist_items

    as_of = as_of or ws.data_date()
    if risk_source == "health":
        probs, risk_note = None, "health score requested (--risk-source health)"
    else:
        probs, risk_note = churn_probabilities(ws, as_of)
    expansion, exp_note = expansion_suggestions(ws, as_of, probs)
    full = worklist_from_workspace(ws, as_of=as_of, churn_probability=probs,
                                   expansion=expansion)
    shown = full.head(limit) if limit else full
    src = full.attrs["risk_source"]
    return {
        "workspace": str(ws.path),
        "as_of": full.attrs["as_of"],
        "risk_source": src,
        "risk_note": (risk_note if src == "model" else
                      "churn probability = (100 - health score) / 100 (no churn model: "
                      f"{risk_note})"),
        "expansion_source": exp_note if expansion is not None else None,
        "health_baseline": full.attrs.get("health_baseline"),
        "weights": full.attrs["weights"],
        "count": int(len(full)),
        "items": worklist_items(shown),
    }


def run(args) -> int:
    from ..models import Workspace

    with Workspace(args.path) as ws:
        data = compute(ws, limit=args.limit, as_of=args.as_of, risk_source=args.risk_source)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    print(f"Worklist as of {data['as_of']}: {data['count']:,} accounts need attention "
          f"(risk from {data['risk_source']}); top {len(data['items'])}:")
    for it in data["items"]:
        print(f"{it['rank']:>3}. {it['name']} ({it['owner'] or 'no owner'})  "
              f"priority {it['priority']:.1f}")
        print(f"     {', '.join(it['reasons'])}")
        print(f"     -> {it['next_step']}")
    return 0
