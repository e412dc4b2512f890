"""Health, churn, whitespace, revenue metrics and the worklist: pure pandas/numpy/sklearn (no Qt)."""
