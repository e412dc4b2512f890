"""Results kept once per workspace and data version, built by the first caller that asks.

A key is ``(workspace identity, data version, name...)``. The identity is the workspace's file
and the id it was created with (:meth:`~acctdesk.models.workspace.Workspace.identity`), never
the address of a Python object; the data version, (counter, stamp) from
:meth:`~acctdesk.models.workspace.Workspace.data_key`, moves with every committed change, so a
result is reused exactly while the data it was computed from is unchanged, by every view and
command in the process. The stamp keeps a change made after a backup was put back (the
counter went back) from meeting the results of the change it replaced.

When a newer version of a workspace is asked for (a higher counter, or the same counter with
another stamp), the results of its other versions leave memory. Several threads asking for
the same missing result wait for the first one to build it; if that one fails or is
cancelled, the next one builds it.

This is the in-memory tier. A persistent tier (results stored in the workspace per data
version, so that reopening an unchanged workspace reads them instead of recomputing) plugs in
behind :meth:`ResultCache.get_or_build` without changing its callers.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

#: a data version: (counter, stamp)
Version = tuple[int, str]
_NONE: Version = (-1, "")


def supersedes(version: Version, latest: Version) -> bool:
    """True when results at ``version`` replace those at ``latest``: a higher counter, or
    the same counter with another stamp (the data changed again after a restore)."""
    return version[0] > latest[0] or (version[0] == latest[0] and version != latest)


class ResultCache:
    """A thread-safe map ``(identity, version, *name) -> value`` built once per key."""

    #: workspaces whose results are kept; the least recently used beyond it leave memory
    MAX_WORKSPACES = 8

    def __init__(self) -> None:
        self._values: dict[tuple, Any] = {}
        self._locks: dict[tuple, threading.Lock] = {}
        self._latest: dict[str, Version] = {}   # identity -> newest version, in use order
        self._guard = threading.Lock()

    def get_or_build(self, identity: str, version: Version, name: tuple[Hashable, ...],
                     build: Callable[[], Any]) -> Any:
        """The value under the key, built by ``build()`` if it is missing."""
        key = (identity, version) + tuple(name)
        with self._guard:
            if key in self._values:
                self._latest[identity] = self._latest.pop(identity)   # recently used
                return self._values[key]
            self._note_version(identity, version)
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:
                    return self._values[key]
            value = build()
            with self._guard:
                if self._latest.get(identity, version) == version:
                    self._values[key] = value
                self._locks.pop(key, None)
            return value

    def peek(self, identity: str, version: Version, name: tuple[Hashable, ...]) -> Any:
        """The value under the key, or None when it was not built."""
        with self._guard:
            return self._values.get((identity, version) + tuple(name))

    def put(self, identity: str, version: Version, name: tuple[Hashable, ...],
            value: Any) -> None:
        """Store ``value`` under the key (replacing one)."""
        with self._guard:
            self._note_version(identity, version)
            self._values[(identity, version) + tuple(name)] = value

    def forget(self, identity: str | None = None) -> None:
        """Drop every value of one workspace (or of all)."""
        with self._guard:
            for key in [k for k in self._values if identity is None or k[0] == identity]:
                del self._values[key]
            if identity is None:
                self._latest.clear()
            else:
                self._latest.pop(identity, None)

    def _note_version(self, identity: str, version: Version) -> None:
        """Called under the guard: a newer version drops the older ones' values; a workspace
        not used for longest leaves when more than :attr:`MAX_WORKSPACES` are kept."""
        latest = self._latest.pop(identity, _NONE)
        newer = supersedes(version, latest)
        self._latest[identity] = version if newer else latest   # most recently used last
        if newer:
            for key in [k for k in self._values if k[0] == identity and k[1] != version]:
                del self._values[key]
        while len(self._latest) > self.MAX_WORKSPACES:
            oldest = next(iter(self._latest))
            del self._latest[oldest]
            for key in [k for k in self._values if k[0] == oldest]:
                del self._values[key]

    def __len__(self) -> int:
        with self._guard:
            return len(self._values)
