"""Model-quality figures in words a customer success manager reads without a statistics course.

Each function turns a figure computed elsewhere (the churn model's and the health score's
ROC AUC and top-decile lift, the whitespace backtest's precision at k) into one sentence; the
figure itself is not recomputed, so the app, the command line and the exports say the same.

* ROC AUC is the probability that a randomly chosen account that churned is ranked riskier
  than a randomly chosen account that stayed (Hanley & McNeil 1982): AUC 0.97 = "97 times in
  100"; 0.5 = a coin toss.
* Top-decile lift = churn rate among the 10% rated riskiest / churn rate of all accounts.
* Precision at k (:func:`acctdesk.analytics.whitespace.backtest`) = the mean over CSM books
  of (suggestions bought among the book's k best) / k; times k and the number of books it is
  the count of suggestions bought out of those made.
"""
from __future__ import annotations


from ..domain.numbers import finite


def times_in_100(auc) -> int | None:
    """ROC AUC as "N times in 100" (rounded), None when there is no figure."""
    return round(float(auc) * 100) if finite(auc) is not None else None


def churn_ranking(auc, who: str = "the model") -> str:
    """``"the model ranks accounts that later churned above those that stayed 97 times in
    100"`` (a coin toss would do it 50 times in 100)."""
    n = times_in_100(auc)
    if n is None:
        return f"{who} could not be checked yet: too few accounts churned in the history"
    return (f"{who} ranks accounts that later churned above those that stayed {n} times in "
            "100 (a coin toss: 50)")


def score_ranking(auc) -> str:
    """For a health score (low = at risk): ``"accounts that later churned scored below those
    that stayed 93 times in 100"``."""
    n = times_in_100(auc)
    if n is None:
        return "not enough churn in the history to check the score yet"
    return (f"accounts that later churned had scored below those that stayed {n} times in 100 "
            "(a coin toss: 50)")


def riskiest_tenth(lift) -> str:
    """Top-decile lift: ``"the tenth rated riskiest churned 4.2 times as often as the book as
    a whole"``."""
    if finite(lift) is None:
        return "not enough churn in the history to compare the riskiest tenth with the book"
    return (f"the tenth of accounts rated riskiest churned {float(lift):.1f} times as often as "
            "the book as a whole")


def suggestions_bought(backtest: dict, k: int = 10) -> str:
    """The whitespace backtest at ``k`` in words: ``"Of the 130 suggestions we would have made
    6 months ago (the top 10 in each of the 13 CSM books), 4 were bought, against 0 for
    'suggest the most popular product'."``"""
    ours = backtest.get(f"precision_at_{k}")
    base = backtest.get(f"baseline_precision_at_{k}")
    months = backtest.get("hidden_months", 6)
    if finite(ours) is None:
        return ("Not enough purchases in the history to check the suggestions yet: it takes "
                f"products first bought in the last {months} months.")
    books = max(int(backtest.get("account_sets") or 1), 1)
    made = k * books
    where = (f"the top {k} in each of the {books} CSM books" if books > 1
             else f"the top {k} for the whole book")
    bought = round(float(ours) * made)
    text = (f"Of the {made:,} suggestions we would have made {months} months ago ({where}), "
            f"{bought:,} {'was' if bought == 1 else 'were'} bought")
    if finite(base) is not None:
        text += (f", against {round(float(base) * made):,} for 'suggest the most popular "
                 "product'")
    return text + "."
