"""Scorecard assignment rules: segment, tenure (onboarding), renewal, fields, first match."""
from __future__ import annotations

import pandas as pd
import pytest

from acctdesk.analytics.scorecards import (
    Assignment, Rule, assign, default_assignment, score_assigned,
)
from acctdesk.analytics.scorecards import ScorecardError, ScoringData, score_accounts
from acctdesk.analytics.scorecards import builtin_scorecards

AS_OF = "2024-06-30"


def accounts():
    return pd.DataFrame({
        "account_id": ["A", "B", "C", "D", "E", "F"],
        "name": list("abcdef"),
        "segment": ["Enterprise", "SMB", " smb ", "Mid-Market", "SMB", "SMB"],
        # 2024-04-01 is 90 days before as_of: no longer onboarding; 04-02 is 89 days
        "contract_start": ["2020-01-01", "2024-04-02", "2024-04-01", "2024-06-01",
                           None, "2024-07-15"],
        "renewal_date": ["2024-07-20", "2025-04-02", "2025-04-01", "2024-06-29",
                         "2024-08-01", "2025-07-15"],
        "region": ["EMEA", "EMEA", "APAC", "EMEA", "APAC", "EMEA"],
        "status": "active", "churn_date": None, "seats": 10,
    })


def test_rules_first_match_wins():
    a = Assignment(rules=[
        Rule("onboarding", label="new", max_tenure_days=90),
        Rule("ent", segments=["enterprise"]),
        Rule("renewing", max_days_to_renewal=60),
        Rule("apac_smb", segments=["SMB"], match={"region": ["apac"]}),
    ], default="health")
    got = assign(a, accounts(), AS_OF).to_dict()
    # F starts after as_of: not active, not assigned
    assert got == {"A": "ent", "B": "onboarding", "C": "apac_smb", "D": "onboarding",
                   "E": "renewing"}
    # tenure window edges: min inclusive, max exclusive
    a2 = Assignment(rules=[Rule("x", min_tenure_days=90, max_tenure_days=100)])
    assert assign(a2, accounts(), AS_OF).to_dict()["C"] == "x"
    assert assign(a2, accounts(), AS_OF).to_dict()["B"] == "health"


def test_score_assigned_uses_each_accounts_card():
    cards = builtin_scorecards()
    data = ScoringData(accounts())
    out = score_assigned(default_assignment(), cards, data, AS_OF)
    assert out["account_id"].tolist() == ["A", "B", "C", "D", "E"]
    assert out.set_index("account_id")["scorecard"].to_dict() == {
        "A": "health", "B": "onboarding", "C": "health", "D": "onboarding", "E": "health"}
    alone = score_accounts(cards["onboarding"], data, AS_OF).set_index("account_id")
    on = out.set_index("account_id")
    for acc in ("B", "D"):
        assert on.loc[acc, "score"] == pytest.approx(alone.loc[acc, "score"], nan_ok=True)
    with pytest.raises(ScorecardError, match="scorecard 'nope'"):
        score_assigned(Assignment(default="nope"), cards, data, AS_OF)


def test_assignment_json_and_validation():
    a = Assignment(rules=[Rule("ent", label="Enterprise", segments=["Enterprise"]),
                          Rule("onboarding", max_tenure_days=90, match={"region": "EMEA"})],
                   default="health", side_by_side=["adoption"])
    back = Assignment.from_dict(a.to_dict())
    assert back.to_dict() == a.to_dict()
    assert back.rules[1].match == {"region": ["EMEA"]}
    assert a.card_ids() == ["health", "ent", "onboarding", "adoption"]
    with pytest.raises(ScorecardError, match="'ent' is not in the workspace"):
        a.validate(list(builtin_scorecards()))
    with pytest.raises(ScorecardError, match="max_tenure_days must be above"):
        Assignment.from_dict({"rules": [{"scorecard": "x", "min_tenure_days": 90,
                                         "max_tenure_days": 30}]})
    with pytest.raises(ScorecardError, match="unknown key"):
        Assignment.from_dict({"rules": [{"scorecard": "x", "tenure": 3}]})
    with pytest.raises(ScorecardError, match="not a scorecard assignment"):
        Assignment.from_dict({"format": "acctdesk-scorecard"})
