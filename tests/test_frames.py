"""Frames built in pieces (so a background worker never holds the interpreter lock for long)
must equal the frame one pandas call builds: values and dtypes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from acctdesk.frames import frame_in_pieces, records_in_pieces


def _columns(n: int) -> dict:
    k = np.arange(n)
    return {
        "id": np.array([f"A{i:05d}" for i in k], dtype=object),
        "late_text": np.array([None if i < n - 3 else f"x{i}" for i in k], dtype=object),
        "early_text": np.array([f"t{i}" if i < 2 else None for i in k], dtype=object),
        "number": k / 7,
        "count": k.astype(np.int64),
        "kind": "cross-sell",                   # a scalar, repeated
        "flag": False,
        "missing": np.nan,
        "none": None,
        "mixed": np.array([i if i % 5 else "five" for i in k], dtype=object),
    }


@pytest.mark.parametrize("piece", [1, 4, 7, 1000])
def test_frame_in_pieces_equals_one_call(piece):
    n = 23
    expected = pd.DataFrame(_columns(n))
    got = frame_in_pieces(_columns(n), n, piece=piece)
    pd.testing.assert_frame_equal(got, expected)
    assert got["late_text"].iloc[-1] == "x22" and got["late_text"].isna().sum() == 20


@pytest.mark.parametrize("piece", [1, 3, 10, 1000])
def test_records_in_pieces_equals_one_call(piece):
    rows = [{"id": f"A{i}", "health": None if i < 6 else i / 2,
             "days": None if i % 4 == 0 else i, "reasons": [f"r{i}"],
             "components": {"risk": i}, "note": None if i < 9 else "late"}
            for i in range(11)]
    cols = ["id", "health", "days", "reasons", "components", "note"]
    expected = pd.DataFrame(rows, columns=cols)
    got = records_in_pieces(rows, cols, piece=piece)
    pd.testing.assert_frame_equal(got, expected)
    assert str(got["days"].dtype) == "float64" and got["reasons"].iloc[3] == ["r3"]
    assert records_in_pieces([], cols).columns.tolist() == cols


def test_isin_text_matches_pandas_isin():
    from acctdesk.frames import isin_text

    values = pd.Series(["a", "b", None, "c", "a", "7"], dtype=object)
    allowed = ["a", 7, "zz", "a"]
    expected = values.astype(str).isin([str(a) for a in allowed]).to_numpy() & \
        values.notna().to_numpy()
    assert isin_text(values, allowed).tolist() == expected.tolist() == \
        [True, False, False, False, True, True]


def test_date_part_slices_arrow_text_and_leaves_objects():
    from acctdesk.frames import date_part

    text = pd.Series(["2026-03-01T10:00:00", None, "2026-03-01 23:59"],
                     dtype=pd.Series(["x"]).dtype)
    assert date_part(text).tolist()[0] == "2026-03-01" and date_part(text).nunique() == 1
    objects = pd.Series(["2026-03-01T10:00:00", None], dtype=object)
    assert date_part(objects) is objects
