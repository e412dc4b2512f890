"""The analysis engine: the one Qt-free place where storage meets the analytics.

For a workspace and a date (default: its data date) it computes everything a screen, a
command or an export shows -- health with each account's assigned scorecard, churn risk from
the stored model, whitespace, the worklist, the per-account figures, revenue metrics, the
renewal forecast, team figures -- once per data version of the workspace, and hands every
consumer the same results::

    from acctdesk.engine import Engine

    a = Engine(ws).analysis()            # as of the data date
    a.figures                            # one row per account: health, band, risk, ...
    a.worklist                           # ranked on the whole book
    a.metrics()                          # ARR, NRR, GRR, ..., band counts
    a.drivers(["A000213"])               # why this account is at risk (on demand)

Results are kept in a process-wide cache keyed by the workspace's identity and data version
(:mod:`.cache`); any import, undo or edit moves the version, so the next caller computes
afresh. See :mod:`.core` for every part.
"""
from .cache import ResultCache
from .core import CACHE, PARTS, Analysis, Engine, forget
from .reading import read_data

__all__ = ["Engine", "Analysis", "ResultCache", "CACHE", "PARTS", "forget", "read_data"]
