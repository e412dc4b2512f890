"""The frames a scorecard reads (:class:`ScoringData`), each entity prepared once for fast
repeated aggregation (:class:`PreparedEntity`)."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ...domain.dates import days
from ...models.schema import ENTITY_FIELDS
from .schema import ENTITY_DATE

__all__ = ["ScoringData", "PreparedEntity", "ENTITY_DATE"]


@dataclass
class ScoringData:
    """The frames a scorecard reads (canonical columns of :data:`ENTITY_FIELDS`); the engine
    reads them from a workspace (:func:`acctdesk.engine.read_data`).

    Missing frames (None) count as empty; missing columns as empty columns. Treat the frames
    as immutable once scored: prepared arrays are cached per frame object.
    """

    accounts: pd.DataFrame
    usage: pd.DataFrame | None = None
    tickets: pd.DataFrame | None = None
    surveys: pd.DataFrame | None = None
    subscriptions: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    contacts: pd.DataFrame | None = None
    cache: dict = dc_field(default_factory=dict, repr=False, compare=False)

    def frame(self, entity: str) -> pd.DataFrame:
        df = getattr(self, entity)
        if df is None:
            df = pd.DataFrame(columns=list(ENTITY_FIELDS[entity]))
        return df

    def accounts_index(self) -> pd.Index:
        acc = self.accounts
        hit = self.cache.get("accounts")
        if hit is None or hit[0] is not acc:
            hit = (acc, pd.Index(acc["account_id"].astype(str)))
            self.cache["accounts"] = hit
        return hit[1]

    def prepared(self, entity: str) -> "PreparedEntity":
        df = self.frame(entity)
        index = self.accounts_index()
        hit = self.cache.get(entity)
        if hit is None or hit[0] is not df or hit[1] is not index:
            hit = (df, index, PreparedEntity(df, index, ENTITY_DATE[entity],
                                       undated_ok=(entity == "contacts")))
            self.cache[entity] = hit
        return hit[2]


class PreparedEntity:
    """One entity's rows prepared for fast repeated aggregation: rows of unknown accounts
    dropped, sorted by (account position, day), with account positions and days as arrays
    and per-column caches of numbers and factorised lower-case text."""

    def __init__(self, df: pd.DataFrame, index: pd.Index, date_col: str, undated_ok: bool):
        self.n_accounts = len(index)
        self.undated_ok = undated_ok
        self.df = df
        n = len(df)
        if n and "account_id" in df:
            # hash each distinct id once (exports repeat them), then map codes to positions
            codes, uniques = pd.factorize(df["account_id"], use_na_sentinel=True)
            upos = index.get_indexer(pd.Index(np.asarray(uniques, dtype=object)).astype(str))
            pos = np.where(codes >= 0, np.r_[upos, -1][codes], -1)
        else:
            pos = np.full(n, -1)
        day = days(df[date_col]) if date_col in df and n else np.full(n, np.nan)
        keep = np.flatnonzero(pos >= 0)
        # one stable radix sort on an integer key (account, day); undated rows sort first
        dk = day[keep]
        lo = np.nanmin(dk) if np.isfinite(dk).any() else 0.0
        dkey = np.where(np.isnan(dk), 0, dk - lo + 1).astype(np.int64)
        span = int(dkey.max(initial=0)) + 1
        key = pos[keep].astype(np.int64) * span + dkey
        if (int(pos.max(initial=0)) + 1) * span * max(len(keep), 1) < 2 ** 62:
            # make the key unique with the row number: the (SIMD) quicksort then gives the
            # stable order, several times faster than a stable sort of int64
            self.order = keep[np.argsort(key * len(keep) + np.arange(len(keep)))]
        else:
            self.order = keep[np.argsort(key, kind="stable")]
        self.acct = pos[self.order].astype(np.int64)
        self.day = day[self.order]
        self._num: dict[str, np.ndarray] = {}
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._dates: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.acct)

    def num(self, col: str) -> np.ndarray:
        if col not in self._num:
            if col in self.df and len(self):
                self._num[col] = pd.to_numeric(self.df[col], errors="coerce").to_numpy(
                    dtype=float, na_value=np.nan)[self.order]
            else:
                self._num[col] = np.full(len(self), np.nan)
        return self._num[col]

    def dates(self, col: str) -> np.ndarray:
        if col not in self._dates:
            self._dates[col] = days(self.df[col])[self.order] if col in self.df and len(self) \
                else np.full(len(self), np.nan)
        return self._dates[col]

    def codes(self, col: str) -> tuple[np.ndarray, list[str]]:
        if col not in self._codes:
            if col in self.df and len(self):
                codes, uniques = pd.factorize(self.df[col], use_na_sentinel=True)
                labels = [str(u).strip().lower() for u in uniques]
                codes = np.asarray(codes)[self.order]
            else:
                codes, labels = np.full(len(self), -1), []
            self._codes[col] = (codes, labels)
        return self._codes[col]

    def text_mask(self, col: str, spec: Any) -> np.ndarray:
        codes, labels = self.codes(col)
        negate = False
        if isinstance(spec, Mapping):
            negate, spec = True, spec.get("not", [])
        values = spec if isinstance(spec, (list, tuple, set)) else [spec]
        wanted = {str(v).strip().lower() for v in values}
        hit = np.array([lab in wanted for lab in labels] + [False], dtype=bool)
        m = hit[codes]  # code -1 (empty) picks the trailing False
        if negate:
            m = ~m & (codes >= 0)
        return m

    def dated_by(self, as_of_day: float) -> np.ndarray:
        m = self.day <= as_of_day
        if self.undated_ok:
            m |= np.isnan(self.day)
        return m
