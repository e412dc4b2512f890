"""The audit trail: who changed what, when, with before/after values, as a hash chain.

Every entry carries ``prev_hash`` (the ``hash`` of the entry before it; 64 zeros for the
first) and ``hash`` = SHA-256 of the previous hash and the entry's fields (id, time, user,
action, entity, row id, before, after, detail) as compact JSON. ``meta.audit_head`` holds
``<last id>:<last hash>``. :func:`verify_chain` recomputes the chain: an entry edited, added
or removed outside acctdesk (with the sqlite3 shell, say) breaks it, and the first broken
entry is named. The app itself changes old entries only when it erases an account's values
(:func:`rechain` then recomputes the hashes from the first redacted entry on).

What the chain does not do: anyone who can write the file and knows this scheme can rewrite
the whole chain consistently (there is no secret in it). An encrypted workspace cannot be
written at all without its key.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

#: ``prev_hash`` of the first entry
GENESIS = "0" * 64
#: the fields an entry's hash covers, in order
HASHED_FIELDS = ("id", "at", "user", "action", "entity", "entity_id", "before", "after",
                 "detail")
HEAD_KEY = "audit_head"


def entry_hash(prev_hash: str, values: tuple | list) -> str:
    """SHA-256 (hex) of ``prev_hash`` and the entry's :data:`HASHED_FIELDS` values."""
    payload = json.dumps([prev_hash, *values], ensure_ascii=False, separators=(",", ":"),
                         default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _set_head(conn, entry_id: int | None, digest: str | None) -> None:
    value = None if entry_id is None else f"{entry_id}:{digest}"
    conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                 "value = excluded.value", (HEAD_KEY, value))


def append_entry(conn, at: str, user: str | None, action: str, entity: str | None,
                 entity_id: str | None, before: str | None, after: str | None,
                 detail: str | None) -> int:
    """Append one entry, chained to the last one; the caller holds the write transaction.

    Returns the new entry's id.
    """
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev = (last[1] or GENESIS) if last else GENESIS
    new_id = (last[0] + 1) if last else 1
    values = (new_id, at, user, action, entity, entity_id, before, after, detail)
    digest = entry_hash(prev, values)
    conn.execute(
        "INSERT INTO audit_log(id, at, user, action, entity, entity_id, before, after, detail,"
        " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (*values, prev, digest))
    _set_head(conn, new_id, digest)
    return new_id


def rechain(conn, from_id: int = 0) -> int:
    """Recompute the hashes of the entries from ``from_id`` on (after the app redacted them).

    Returns how many entries were rehashed.
    """
    before = conn.execute("SELECT hash FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT 1",
                          (from_id,)).fetchone()
    prev = (before[0] or GENESIS) if before else GENESIS
    rows = conn.execute(
        f"SELECT {', '.join(HASHED_FIELDS)} FROM audit_log WHERE id >= ? ORDER BY id",
        (from_id,)).fetchall()
    last_id = None
    for row in rows:
        digest = entry_hash(prev, row)
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                     (prev, digest, row[0]))
        prev, last_id = digest, row[0]
    if last_id is not None:
        _set_head(conn, last_id, prev)
    elif before is None:
        _set_head(conn, None, None)
    return len(rows)


@dataclass
class ChainReport:
    """The result of :func:`verify_chain`."""

    entries: int
    ok: bool
    first_broken: int | None = None
    problem: str | None = None
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "first_broken": self.first_broken,
                "problem": self.problem, "problems": self.problems}


def _describe(row) -> str:
    entry_id, at, _user, action = row[0], row[1], row[2], row[3]
    return f"entry {entry_id} ({action}, {str(at).replace('T', ' ')})"


def verify_chain(conn, *, limit: int = 20) -> ChainReport:
    """Recompute the audit chain; name the first entry edited, added or removed outside
    acctdesk (and up to ``limit`` problems in all)."""
    rows = conn.execute(
        f"SELECT {', '.join(HASHED_FIELDS)}, prev_hash, hash FROM audit_log ORDER BY id"
    ).fetchall()
    head_row = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
    head = head_row[0] if head_row else None
    problems: list[tuple[int | None, str]] = []
    prev, prev_id = GENESIS, 0
    for row in rows:
        values, stored_prev, stored = row[:len(HASHED_FIELDS)], row[-2], row[-1]
        entry_id = values[0]
        if stored is None:
            problems.append((entry_id, f"{_describe(values)} was added outside acctdesk (it "
                                       "carries no hash)"))
        elif stored_prev != prev:
            if entry_id != prev_id + 1:
                one = entry_id == prev_id + 2
                gap = (f"entry {prev_id + 1} was" if one
                       else f"entries {prev_id + 1}-{entry_id - 1} were")
                problems.append((prev_id + 1, f"{gap} removed outside acctdesk (just before "
                                              f"{_describe(values)})"))
            else:
                problems.append((prev_id, f"entry {prev_id} was changed outside acctdesk (the "
                                          f"entry after it, {_describe(values)}, no longer "
                                          "matches it)"))
        elif entry_hash(prev, values) != stored:
            problems.append((entry_id, f"{_describe(values)} was edited outside acctdesk "
                                       "(its content no longer matches its hash)"))
        prev, prev_id = stored or entry_hash(prev, values), entry_id
    if rows:
        if not head:
            problems.append((None, "the audit trail's end marker is missing (removed outside "
                                   "acctdesk)"))
        else:
            head_id, _, head_hash = head.partition(":")
            try:
                head_id_n = int(head_id)
            except ValueError:
                head_id_n = -1
            if head_id_n > prev_id:
                problems.append((prev_id + 1, f"the newest entries (after entry {prev_id}, up "
                                              f"to entry {head_id_n}) were removed outside "
                                              "acctdesk"))
            elif head_id_n != prev_id or head_hash != prev:
                problems.append((prev_id, f"entry {prev_id} (the newest) was changed or added "
                                          "outside acctdesk (it does not match the trail's "
                                          "end marker)"))
    elif head:
        problems.append((None, "every entry of the audit trail was removed outside acctdesk"))
    if not problems:
        return ChainReport(len(rows), True)
    first_id, first = problems[0]
    return ChainReport(len(rows), False, first_id, first, [p for _i, p in problems[:limit]])


def audit_entries(ws, *, action: str | None = None, limit: int | None = None) -> list[dict]:
    """Audit entries oldest first, each ``{at, user, action, entity, detail}``.

    ``entity`` is the table and the row's id (``import_batches 3``); ``detail`` is the note
    followed by the before and after values, as compact JSON.
    """
    sql = "SELECT at, user, action, entity, entity_id, before, after, detail FROM audit_log"
    params: list = []
    if action:
        sql += " WHERE action = ?"
        params.append(action)
    sql += " ORDER BY id DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = ws.conn.execute(sql, params).fetchall()[::-1]
    out = []
    for at, user, act, entity, entity_id, before, after, detail in rows:
        parts = [detail] if detail else []
        if before is not None:
            parts.append(f"before: {before}")
        if after is not None:
            parts.append(f"after: {after}")
        out.append({"at": at, "user": user, "action": act,
                    "entity": " ".join(str(x) for x in (entity, entity_id) if x is not None)
                    or None,
                    "detail": "; ".join(parts) or None})
    return out
