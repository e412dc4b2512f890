"""Building big DataFrames a piece at a time (no Qt, no SQL).

Building a frame of hundreds of thousands of rows of text in one pandas call holds Python's
interpreter lock for that whole call (pandas converts every string to its Arrow-backed text
type in C). The app computes its views on worker threads, and while a worker holds the lock
the window cannot paint: half a second in one call is a visible freeze. These helpers build
the same frame from pieces of a few tens of thousands of rows and join them (joining
Arrow-backed columns copies nothing), so the lock changes hands between pieces.

The result equals the one-call frame, values and dtypes: :func:`concat_pieces` casts a
piece whose column is entirely missing to the dtype the other pieces agree on (as one call
over all rows would infer), and integer columns with gaps to float64.
"""
from __future__ import annotations

from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

#: rows per piece
PIECE = 25_000


def concat_pieces(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Join frames with the same columns as if they had been built as one frame."""
    parts = list(parts)
    if len(parts) == 1:
        return parts[0]
    columns = parts[0].columns
    positional = [p.set_axis(range(len(columns)), axis=1) for p in parts]
    for j in range(len(columns)):
        empty = [p[j].isna().all() for p in positional]
        kinds = {p[j].dtype for p, e in zip(positional, empty) if not e}
        if not kinds or not any(empty):
            continue
        if all(getattr(k, "kind", "O") in "iuf" for k in kinds):
            for p in positional:                # numbers with gaps: float64, as one call
                p[j] = p[j].astype(float)
            continue
        if len(kinds) > 1 or next(iter(kinds)) == object:
            continue                            # mixed: concat gives object, as one call
        target = next(iter(kinds))
        for p, e in zip(positional, empty):
            if e:
                p[j] = p[j].astype(target)
    frame = pd.concat(positional, ignore_index=True)
    frame.columns = columns
    return frame


def frame_in_pieces(data: Mapping[Hashable, Any], n: int, piece: int = PIECE
                    ) -> pd.DataFrame:
    """``pd.DataFrame(data)`` for ``n`` rows, built ``piece`` rows at a time. Values are
    arrays (or lists) of length ``n`` or scalars (repeated)."""
    if n <= piece:
        return pd.DataFrame(dict(data), index=pd.RangeIndex(n))

    def cut(v: Any, i: int) -> Any:
        if isinstance(v, (np.ndarray, list, tuple, pd.Series, pd.Index, pd.api.extensions.
                          ExtensionArray)):
            v = v[i:i + piece]
            return v.to_numpy() if isinstance(v, (pd.Series, pd.Index)) else v
        return v
    return concat_pieces([pd.DataFrame({k: cut(v, i) for k, v in data.items()},
                                       index=pd.RangeIndex(min(piece, n - i)))
                          for i in range(0, n, piece)])


def records_in_pieces(rows: Sequence[Mapping[str, Any]], columns: Iterable[str] | None = None,
                      piece: int = PIECE) -> pd.DataFrame:
    """``pd.DataFrame(rows)`` for a list of dicts, built ``piece`` rows at a time."""
    if len(rows) <= piece:
        return pd.DataFrame(list(rows), columns=list(columns) if columns else None)
    cols = list(columns) if columns else list(rows[0].keys())
    return concat_pieces([pd.DataFrame(list(rows[i:i + piece]), columns=cols)
                          for i in range(0, len(rows), piece)])


def isin_text(values: pd.Series | np.ndarray, allowed: Iterable[Any]) -> np.ndarray:
    """``values.astype(str).isin(allowed)`` as a boolean array, each distinct value looked up
    once (half a million suggestion rows share about a hundred thousand account ids)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    allowed = pd.Index([str(a) for a in allowed], dtype=object).unique()
    hit = allowed.get_indexer(pd.Index([str(u) for u in uniques], dtype=object)) >= 0
    return np.append(hit, False)[codes]


def date_part(values: pd.Series | np.ndarray) -> pd.Series:
    """The first ten characters of ISO dates or timestamps, for factorising: Arrow-backed
    text is sliced in C++ (a timestamp column of 800k distinct values becomes a few hundred
    distinct days before anything parses them); anything else is left to the caller, which
    converts each distinct value once."""
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    if s.dtype != object and pd.api.types.is_string_dtype(s.dtype):
        return s.str.slice(0, 10)
    return s
