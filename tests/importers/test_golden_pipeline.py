"""Every golden export, through the real reader, recogniser, coercer and profile transform.

The expected canonical records beside each file were computed by hand from the system's
documented export format (see tests/data/importers/PORTFOLIO.md).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from acctdesk.importers.canonical import canonical_rows
from acctdesk.importers.plan import plan_sheet
from acctdesk.importers.readers import read_file

DATA = Path(__file__).parent.parent / "data" / "importers"
GOLDEN = sorted(p for p in DATA.glob("*/*") if p.suffix in (".csv", ".xlsx")
                and not p.parent.name.startswith("_"))


def _same(a, b) -> bool:
    if isinstance(b, float) or isinstance(a, float):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=0.006)
    return a == b


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


@pytest.mark.parametrize("path", GOLDEN, ids=[f"{p.parent.name}/{p.name}" for p in GOLDEN])
def test_golden_export_gives_the_hand_computed_records(path):
    expected = json.loads(Path(f"{path}.expected.json").read_text())
    sheets = read_file(path)
    plans = [plan_sheet(s) for s in sheets]
    plan = next(p for p in plans if p.profile is not None)
    assert plan.profile.id == expected["profile"], plan.candidates
    assert plan.confidence >= 0.8
    rows = canonical_rows(plan)
    assert rows.errors == [], [str(e) for e in rows.errors]
    records = rows.records.to_dict("records")
    want = expected["records"]
    assert len(records) == len(want)
    # order-insensitive: match each expected record on its identifying fields
    for w in want:
        keys = [k for k in ("sub_id", "ticket_id", "response_id", "account.external_id",
                            "date", "metric", "account.name", "account.domain", "name")
                if k in w]
        hits = [r for r in records if all(_same(_clean(r.get(k)), w[k]) for k in keys)]
        assert hits, f"no record like {w}"
        r = hits[0]
        for k, v in w.items():
            assert _same(_clean(r.get(k)), v), (k, r.get(k), v, w)
