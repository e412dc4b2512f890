"""The Scorecards view: edit a health scorecard and see what it does to the book, live.

Pick a stored or built-in card (the presets are built-in cards), edit its groups and
measures (input, direction, thresholds or linear range), weights (the normalised share of the
score is shown as you type), bands (range, label, colour) and the workspace's assignment
rules. Every edit re-validates the card (:meth:`Scorecard.problems`; Save is disabled while
there is a problem) and, after a short pause, re-scores the workspace in the task runner: the
preview shows how many active accounts land in each band and how well the score predicts
churn in a backtest (AUC, top-decile lift). Save stores the card in the workspace; Export and
Import write and read a scorecard JSON file.
"""
from .helpers import NO_SCORE, NO_SCORE_COLOUR, band_counts, describe_source, input_catalogue
from .view import ScorecardView

__all__ = ["ScorecardView", "NO_SCORE", "NO_SCORE_COLOUR", "band_counts", "describe_source",
           "input_catalogue"]
