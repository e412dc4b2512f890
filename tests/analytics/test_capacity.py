"""CSM capacity: the meeting-hours method, checked by hand."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from acctdesk.analytics.capacity import (
    CapacityModel, Meeting, capacity_by_owner, csms_needed, enterprise_plan, mid_market_plan,
)


def test_custom_model_by_hand():
    # 12 x (1 + 0.5) + 4 x (2 + 2) + 1 x (4 + 4) + 3 x (1 + 1) = 18 + 16 + 8 + 6 = 48 h/account
    m = CapacityModel((Meeting("monthly check-in", 12, 1, 0.5), Meeting("EBR", 4, 2, 2),
                       Meeting("workshop", 1, 4, 4), Meeting("ad-hoc", 3, 1, 1)),
                      working_hours=2000, productivity=0.6)
    assert m.hours_per_account == 48
    assert m.productive_hours == 1200
    assert m.accounts_per_csm == 25 and m.capacity == 25
    t = m.table()
    assert t["hours_per_year"].tolist() == [18, 16, 8, 6, 48]
    assert t.attrs["capacity"] == 25


def test_default_productivity_and_paper_examples():
    mm, ent = mid_market_plan(), enterprise_plan()
    assert mm.productivity == 0.70
    # the paper: ~70 mid-market ($36k ACV) and ~20 enterprise ($100k ACV) accounts per CSM
    assert mm.hours_per_account == 18 and mm.capacity == 70
    assert ent.hours_per_account == 63 and ent.capacity == 20
    assert mm.with_(productivity=0.6).capacity == 60  # 1800 x 0.6 / 18
    with pytest.raises(ValueError):
        CapacityModel((), productivity=1.5)


def test_capacity_by_owner_by_hand():
    rows = ([("a%d" % i, "Ann", 36_000.0, "Mid-Market") for i in range(80)]
            + [("b%d" % i, "Bob", 100_000.0, "Enterprise") for i in range(10)]
            + [("c%d" % i, "Bob", 36_000.0, "Mid-Market") for i in range(20)]
            + [("d0", None, 5_000.0, "SMB")])
    acc = pd.DataFrame(rows, columns=["account_id", "owner", "arr", "segment"])
    f = capacity_by_owner(acc, segment_models={"Enterprise": enterprise_plan()})
    f = f.set_index("owner")
    ann, bob = f.loc["Ann"], f.loc["Bob"]
    # Ann: 80 x 18 = 1,440 h against 1,800 x 0.7 = 1,260 h
    assert ann["accounts"] == 80 and ann["arr"] == 2_880_000
    assert ann["hours_needed"] == 1440 and ann["utilisation"] == pytest.approx(1440 / 1260)
    assert ann["capacity_accounts"] == pytest.approx(70) and ann["headroom_accounts"] == \
        pytest.approx(-10)
    assert ann["status"] == "over capacity"
    # Bob: 10 x 63 + 20 x 18 = 990 h; mean 33 h/account -> 1260 / 33 accounts
    assert bob["hours_needed"] == 990 and bob["utilisation"] == pytest.approx(990 / 1260)
    assert bob["capacity_accounts"] == pytest.approx(1260 / 33)
    assert bob["status"] == "within capacity"
    assert f.loc["(unassigned)", "accounts"] == 1
    assert list(f.index)[0] == "Ann"  # busiest first
    assert csms_needed(acc, segment_models={"Enterprise": enterprise_plan()}) == \
        pytest.approx((1440 + 990 + 18) / 1260)
    assert math.ceil(csms_needed(140)) == 2


def test_only_active_accounts_count_as_of():
    acc = pd.DataFrame({
        "account_id": ["x", "y", "z"], "owner": ["Ann"] * 3, "arr": [1.0, 2.0, 4.0],
        "status": ["active", "churned", "active"],
        "churn_date": [None, "2026-05-31", None],
        "contract_start": ["2025-01-01", "2025-01-01", "2026-12-01"],
    })
    f = capacity_by_owner(acc, as_of="2026-10-31")
    assert f["accounts"].tolist() == [1] and f["arr"].tolist() == [1.0]
