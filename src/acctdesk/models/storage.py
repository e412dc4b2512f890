"""The storage interface the engine reads and writes through.

:class:`~acctdesk.models.workspace.Workspace` (one SQLite file) implements it; a team
workspace on PostgreSQL implements the same methods, and the storage functions of this
package (:mod:`.scores`, :mod:`.model_store`, :mod:`.edits`, :mod:`.import_store`,
:mod:`.pack_store`) are written against them, so every view, command and export works the
same on both.

Besides reads that return frames and writes that run in a transaction, a store exposes
:meth:`Store.identity` and :meth:`Store.data_version`: the engine keeps its results under
(identity, data version), and every committed change of the data moves the version, also
when another process or person made it.
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, Sequence, runtime_checkable

import pandas as pd

__all__ = ["Store"]


@runtime_checkable
class Store(Protocol):
    """What the engine and the storage functions need from a workspace."""

    path: Path

    def identity(self) -> str:
        """Who this workspace is (stable across reopenings; another file or database is
        another workspace)."""

    def data_version(self) -> int:
        """A number every committed change of the data moves (not stored results)."""

    def transaction(self, *, derived: bool = False) -> AbstractContextManager[Any]:
        """All of a block written or none of it; ``derived`` writes (a stored model or
        results) leave the data version as it is."""

    def data_date(self) -> str | None:
        """The latest date the data describes (ISO)."""

    def get_meta(self, key: str, default: str | None = None) -> str | None: ...

    def set_meta(self, key: str, value: Any) -> None: ...

    def audit(self, action: str, entity: str | None = None, entity_id: str | None = None,
              before: Any = None, after: Any = None, detail: str | None = None) -> None: ...

    def frame(self, sql: str, params: Sequence[Any] = (), *, objects: bool = False
              ) -> pd.DataFrame: ...

    def count(self, table: str) -> int: ...

    def accounts(self, ordered: bool = True, objects: bool = False,
                 columns: Sequence[str] | None = None) -> pd.DataFrame: ...

    def usage(self, account_id: str | None = None, since: str | None = None
              ) -> pd.DataFrame: ...

    def tickets(self, account_id: str | None = None) -> pd.DataFrame: ...

    def surveys(self, account_id: str | None = None) -> pd.DataFrame: ...

    def subscriptions(self, account_id: str | None = None) -> pd.DataFrame: ...

    def activities(self, account_id: str | None = None) -> pd.DataFrame: ...

    def contacts(self, account_id: str | None = None) -> pd.DataFrame: ...

    def opportunities(self, account_id: str | None = None) -> pd.DataFrame: ...
