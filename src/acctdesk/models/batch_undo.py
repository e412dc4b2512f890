"""Undo of an import batch: the workspace as if that file had never been imported, while the
files imported after it had been.

What the pipeline records (``row_history``, see :mod:`acctdesk.models.schema`):

* a row a batch inserted carries the batch's ``batch_id`` and has no history entry of it;
* a row it changed: ``op = 'update'``, ``before`` (the whole row) and ``after`` (the values
  the file brought; an empty value never erases a stored one);
* a row it brought unchanged: ``op = 'touch'``, ``after`` (the values it brought) and the
  row's ``batch_id`` at the time in ``before``;
* values it set outright (ARR and churn that billing decides, an owner edited in a priority
  pack): ``op = 'set'``, ``before`` and ``after``.

Undoing batch *k* takes every row *k* inserted, changed or set, starts it from its state
before *k* (absent when *k* inserted it) and replays on it what each later batch brought, in
order, with the pipeline's rules (the newest non-empty value wins; an account keeps the
first name it was imported with). A row a later file also brought therefore stays, with the
values that file gave it; a row only *k* brought goes; a changed row gets its earlier values
back. The later batches' history entries are rewritten to what they would have been without
*k*, so any batch can be undone afterwards, in any order.

Accounts *k* brought that other data points at are never removed silently:

* rows a later CRM, billing or contacts file brought keep the account (that file would have
  created it);
* later usage, tickets, surveys or activities, notes and calls the user logged, rows added
  outside imports and worklist states (done, snoozed) need a confirmation:
  :class:`UndoNeedsConfirmation` names them; with ``force=True`` the batch is undone and
  those accounts stay. No row is ever left pointing at a missing account.

Derived values are replayed as they were recorded: undoing an earlier billing file does not
recompute the ARR that a later billing file set (import the billing export again to refresh
it).
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from .schema import ENTITY_KEYS
from .workspace import Workspace

__all__ = ["UndoError", "UndoNeedsConfirmation", "undo_batch", "undo_dependents"]

#: entities whose import creates the accounts it does not find (the book of business); a
#: later batch of these keeps an account an undone batch brought
_CREATES_ACCOUNTS = frozenset({"accounts", "subscriptions", "contacts"})
#: an account keeps the name it was first imported with
_STICKY = {"accounts": frozenset({"name"})}
#: NOT NULL columns with a default, for a row recreated from what a later file brought
_DEFAULTS = {"accounts": {"status": "active"}}
_WORKLIST_KEY = "worklist_state"
_LEAF_TABLES = tuple(t for t in ENTITY_KEYS if t != "accounts")


class UndoError(Exception):
    """An undo was refused; the message says why. Nothing was changed."""


class UndoNeedsConfirmation(UndoError):
    """The batch brought accounts that later data depends on; ``dependents`` lists them.

    Nothing was changed. Undo again with ``force=True`` to undo it anyway (those accounts
    then stay).
    """

    def __init__(self, message: str, dependents: list[dict[str, Any]]):
        super().__init__(message)
        self.dependents = dependents


@dataclass
class _Op:
    id: int
    batch_id: int
    op: str
    before: dict | None
    after: dict | None


@dataclass
class _Plan:
    """What undoing one batch does, computed before anything is written."""

    writes: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))
    deletes: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    op_updates: list[tuple] = field(default_factory=list)   # (op, before json, after json, id)
    op_deletes: list[int] = field(default_factory=list)
    bulk_deleted: dict[str, int] = field(default_factory=dict)
    kept: int = 0


def _loads(text: str | None) -> dict | None:
    return None if text is None else json.loads(text)


def _key_sql(table: str, alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return "json_array(" + ", ".join(prefix + k for k in ENTITY_KEYS[table]) + ")"


def _columns(conn, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]


def _same(a: dict, b: dict) -> bool:
    return all(a.get(c) == b.get(c) for c in set(a) | set(b) if c != "batch_id")


def _apply(table: str, cols: list[str], key: list, state: dict | None, op: _Op,
           brought: dict | None) -> tuple[dict | None, str | None]:
    """One later batch's op replayed on ``state``: (new state, what the op becomes).

    The op becomes ``insert`` (its record is dropped: the row carries the batch's id),
    ``update``, ``touch``, ``set`` or ``drop`` (it changes nothing: record dropped).
    """
    if op.op == "set":
        if state is None:
            return None, "drop"
        new = dict(state)
        new.update({c: v for c, v in (brought or {}).items() if c in new})
        if _same(new, state):
            return state, "drop"
        new["batch_id"] = op.batch_id
        return new, "set"
    brought = brought or {}
    if state is None:
        new = {c: None for c in cols}
        new.update(_DEFAULTS.get(table, {}))
        new.update(dict(zip(ENTITY_KEYS[table], key)))
        new.update({c: v for c, v in brought.items() if c in new and v is not None})
        new["batch_id"] = op.batch_id
        return new, "insert"
    sticky = _STICKY.get(table, frozenset())
    new = dict(state)
    for c, v in brought.items():
        if v is None or c not in new:
            continue
        new[c] = (state[c] if state[c] is not None else v) if c in sticky else v
    if _same(new, state):
        return state, "touch"
    new["batch_id"] = op.batch_id
    return new, "update"


def _brought(op: _Op, next_state: dict | None) -> dict | None:
    """The values ``op`` brought. History written before ``after`` was recorded has only
    ``before``: then the values that differ between it and the state right after."""
    if op.after is not None or op.op == "touch":
        return op.after
    if op.before is None or next_state is None:
        return {}
    return {c: v for c, v in next_state.items()
            if c != "batch_id" and op.before.get(c) != v and v is not None}


def _replay(table: str, cols: list[str], key: list, current: dict | None,
            k_ops: list[_Op], later: list[_Op], batch_id: int, plan: _Plan) -> None:
    """Plan one row: its state without batch ``batch_id``, and its later history rewritten."""
    plan.op_deletes.extend(o.id for o in k_ops)
    if k_ops and all(o.op == "touch" for o in k_ops):
        return  # the batch brought the row unchanged: without it, nothing differs
    first = k_ops[0] if k_ops else None
    if first is None or first.before is None or first.before.get("batch_id") == batch_id:
        state = None            # the batch created the row
    else:
        state = dict(first.before)
    # what each later op brought (old history: from the state right after it, which is the
    # full `before` of the next op that changed the row, or the row as it is now)
    afters: list[dict | None] = []
    for i, op in enumerate(later):
        nxt = next((o.before for o in later[i + 1:] if o.op != "touch"), current)
        afters.append(_brought(op, nxt))
    for op, brought in zip(later, afters):
        before = state
        state, becomes = _apply(table, cols, key, state, op, brought)
        if becomes in ("insert", "drop"):
            plan.op_deletes.append(op.id)
        elif becomes == "touch":
            plan.op_updates.append(("touch", json.dumps({"batch_id": before["batch_id"]}),
                                    json.dumps(brought or {}, default=str), op.id))
        else:
            plan.op_updates.append((becomes, json.dumps(before, default=str),
                                    None if brought is None else
                                    json.dumps(brought, default=str), op.id))
    if state is None:
        if current is not None:
            plan.deletes[table].append(tuple(key))
        return
    if later:
        plan.kept += 1
    if current is None or any(current.get(c) != state.get(c) for c in cols):
        plan.writes[table].append(state)


def _rows_of(conn, table: str, keys: list[list]) -> dict[tuple, dict]:
    """Current rows by key (as tuples)."""
    if not keys:
        return {}
    cols = _columns(conn, table)
    conn.execute("DROP TABLE IF EXISTS temp._undo_keys")
    conn.execute("CREATE TEMP TABLE _undo_keys (row_key TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp._undo_keys VALUES (?)",
                     [(json.dumps(k, ensure_ascii=False, separators=(",", ":")),) for k in keys])
    out = {}
    for row in conn.execute(
            f"SELECT t.* FROM {table} t JOIN temp._undo_keys u ON u.row_key = "
            f"{_key_sql(table, 't')}"):
        rec = dict(zip(cols, row))
        out[tuple(rec[k] for k in ENTITY_KEYS[table])] = rec
    conn.execute("DROP TABLE temp._undo_keys")
    return out


def _plan_table(conn, table: str, batch_id: int, plan: _Plan, *, bulk: bool) -> None:
    """Plan every row of ``table`` the batch inserted, changed, set or brought unchanged.

    ``bulk``: delete in one statement the rows the batch inserted that no later batch
    brought (the common case, which can be millions of usage rows)."""
    key_sql = _key_sql(table)
    if bulk:
        plan.bulk_deleted[table] = conn.execute(
            f"DELETE FROM {table} WHERE batch_id = ? AND NOT EXISTS (SELECT 1 FROM "
            f"row_history h WHERE h.table_name = '{table}' AND h.row_key = {key_sql} "
            "AND h.batch_id >= ?)", (batch_id, batch_id)).rowcount
    ops_k: dict[str, list[_Op]] = defaultdict(list)
    for oid, b, op, before, after, row_key in conn.execute(
            "SELECT id, batch_id, op, before, after, row_key FROM row_history "
            "WHERE batch_id = ? AND table_name = ? ORDER BY id", (batch_id, table)):
        ops_k[row_key].append(_Op(oid, b, op, _loads(before), _loads(after)))
    # rows the batch inserted: they carry its id, or a later batch's history says it wrote
    # them last (without a history entry of its own)
    inserted = {r[0] for r in conn.execute(
        f"SELECT {key_sql} FROM {table} WHERE batch_id = ?", (batch_id,))}
    inserted |= {r[0] for r in conn.execute(
        "SELECT row_key FROM row_history WHERE table_name = ? AND batch_id > ? AND "
        "json_extract(before, '$.batch_id') = ?", (table, batch_id, batch_id))}
    affected = set(ops_k) | inserted
    if not affected:
        return
    later: dict[str, list[_Op]] = defaultdict(list)
    conn.execute("DROP TABLE IF EXISTS temp._undo_aff")
    conn.execute("CREATE TEMP TABLE _undo_aff (row_key TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO temp._undo_aff VALUES (?)", [(k,) for k in affected])
    for oid, b, op, before, after, row_key in conn.execute(
            "SELECT h.id, h.batch_id, h.op, h.before, h.after, h.row_key FROM row_history h "
            "JOIN temp._undo_aff a ON a.row_key = h.row_key WHERE h.table_name = ? "
            "AND h.batch_id > ? ORDER BY h.batch_id, h.id", (table, batch_id)):
        later[row_key].append(_Op(oid, b, op, _loads(before), _loads(after)))
    conn.execute("DROP TABLE temp._undo_aff")
    keys = {rk: json.loads(rk) for rk in affected}
    current = _rows_of(conn, table, list(keys.values()))
    cols = _columns(conn, table)
    for rk, key in keys.items():
        _replay(table, cols, key, current.get(tuple(key)), ops_k.get(rk, []),
                later.get(rk, []), batch_id, plan)


def _write_rows(conn, table: str, plan: _Plan, skip: set[tuple] = frozenset()) -> int:
    keys = list(ENTITY_KEYS[table])
    dels = [k for k in plan.deletes.get(table, []) if k not in skip]
    if dels:
        conn.executemany(f"DELETE FROM {table} WHERE " + " AND ".join(f"{k} = ?" for k in keys),
                         dels)
    for rec in plan.writes.get(table, []):
        cols = list(rec)
        conn.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES "
                     f"({', '.join('?' * len(cols))})", [rec[c] for c in cols])
    return len(dels) + plan.bulk_deleted.get(table, 0)


def _account_tables(conn) -> list[str]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    out = []
    for name in names:
        if name == "accounts" or not name.replace("_", "").isalnum():
            continue
        if "account_id" in _columns(conn, name):
            out.append(name)
    return sorted(out)


def _worklist_states(conn) -> dict:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_WORKLIST_KEY,)).fetchone()
    try:
        states = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return states if isinstance(states, dict) else {}


_WHAT = {"usage": "usage rows", "tickets": "tickets", "surveys": "survey responses",
         "activities": "activities", "contacts": "contacts", "subscriptions": "subscriptions",
         "external_ids": "links to other systems' ids", "score_history": "health scores"}


def _dependents(conn, gone: list[str], batch_id: int) -> tuple[dict[str, int], list[dict]]:
    """For accounts about to be removed: the later batch keeping each one (CRM, billing,
    contacts) and, for the others, what depends on them (for the confirmation)."""
    if not gone:
        return {}, []
    batches = {b: (e, f) for b, e, f in conn.execute(
        "SELECT batch_id, entity, file_name FROM import_batches WHERE status = 'applied'")}
    conn.execute("DROP TABLE IF EXISTS temp._undo_gone")
    conn.execute("CREATE TEMP TABLE _undo_gone (account_id TEXT PRIMARY KEY)")
    conn.executemany("INSERT INTO temp._undo_gone VALUES (?)", [(a,) for a in gone])
    keeper: dict[str, int] = {}
    found: dict[str, list[str]] = defaultdict(list)
    for table in _account_tables(conn):
        if table == "score_history":
            continue            # computed from the data: removed with the account
        cols = _columns(conn, table)
        has_batch = "batch_id" in cols
        manual = ("COALESCE(json_extract(custom, '$.source'), '') = 'acctdesk'"
                  if table == "activities" else "0")
        sql = (f"SELECT t.account_id, {'t.batch_id' if has_batch else 'NULL'}, {manual}, "
               f"COUNT(*) FROM {table} t JOIN temp._undo_gone g ON g.account_id = t.account_id"
               f" {'WHERE t.batch_id IS NOT ' + str(int(batch_id)) if has_batch else ''} "
               "GROUP BY 1, 2, 3")
        for aid, b, typed, n in conn.execute(sql):
            if b in batches and batches[b][0] in _CREATES_ACCOUNTS:
                keeper[aid] = min(keeper.get(aid, b), b)
                continue
            if typed:
                what = f"{n} note{'s' if n != 1 else ''} or call{'s' if n != 1 else ''} logged in acctdesk"
            elif b in batches:
                what = f"{n} {_WHAT.get(table, table)} from {batches[b][1]} (batch {b})"
            else:
                what = f"{n} {_WHAT.get(table, table)} added outside imports"
            found[aid].append(what)
    names = dict(conn.execute(
        "SELECT a.account_id, a.name FROM accounts a JOIN temp._undo_gone g "
        "ON g.account_id = a.account_id"))
    conn.execute("DROP TABLE temp._undo_gone")
    gone_set = set(gone)
    for aid, entry in _worklist_states(conn).items():
        if aid in gone_set and isinstance(entry, dict):
            state = entry.get("state")
            found[aid].append("marked done on the worklist" if state == "done" else
                              f"snoozed on the worklist until {entry.get('until')}"
                              if state == "snoozed" else "a worklist state")
    deps = [{"account_id": aid, "name": names.get(aid), "depends": whats}
            for aid, whats in found.items() if aid not in keeper]
    return keeper, sorted(deps, key=lambda d: str(d["name"] or d["account_id"]))


def _confirmation_text(batch_id: int, file_name: str, deps: list[dict]) -> str:
    shown = "; ".join(f"{d['name'] or d['account_id']}: {', '.join(d['depends'])}"
                      for d in deps[:5])
    more = f"; and {len(deps) - 5} more" if len(deps) > 5 else ""
    n = len(deps)
    return (f"Batch {batch_id} ({file_name}) brought {n} account{'s' if n != 1 else ''} that "
            f"later data depends on ({shown}{more}). Undoing it anyway keeps "
            f"{'those accounts' if n != 1 else 'that account'} (so nothing points at a "
            f"missing account) and removes everything else {file_name} brought.")


def undo_dependents(ws: Workspace, batch_id: int) -> list[dict]:
    """What would need a confirmation to undo ``batch_id`` (``[]`` when nothing); nothing is
    changed."""
    try:
        undo_batch(ws, batch_id, force=False, _dry_run=True)
    except UndoNeedsConfirmation as exc:
        return exc.dependents
    return []


class _DryRun(Exception):
    pass


def undo_batch(ws: Workspace, batch_id: int, *, force: bool = False,
               _dry_run: bool = False) -> dict[str, int]:
    """Undo one import batch: the workspace as if its file had never been imported, while the
    files imported after it had (see the module docstring).

    Raises :class:`UndoNeedsConfirmation` (nothing changed) when accounts the batch brought
    have later usage, tickets, notes, logged calls or worklist states, unless ``force``;
    :class:`UndoError` when there is no such batch or it was undone already. Returns counts:
    ``<table>_deleted`` per table, ``restored`` (rows given earlier values back), ``kept``
    (rows a later batch also brought) and ``accounts_kept`` (accounts kept for what depends
    on them).
    """
    try:
        with ws.transaction() as conn:
            row = conn.execute(
                "SELECT status, file_name FROM import_batches WHERE batch_id = ?",
                (batch_id,)).fetchone()
            if row is None:
                raise UndoError(f"there is no import batch {batch_id} (see the Imports view "
                                "or 'acctdesk info' for the batches)")
            if row[0] != "applied":
                raise UndoError(f"batch {batch_id} ({row[1]}) was already undone; nothing "
                                "to do")
            file_name = row[1]
            plan = _Plan()
            counts: dict[str, int] = {}
            for table in _LEAF_TABLES:
                _plan_table(conn, table, batch_id, plan, bulk=True)
                counts[f"{table}_deleted"] = _write_rows(conn, table, plan)
            _plan_table(conn, "accounts", batch_id, plan, bulk=False)
            gone = [k[0] for k in plan.deletes.get("accounts", [])]
            keeper, deps = _dependents(conn, gone, batch_id)
            if deps and not force:
                raise UndoNeedsConfirmation(
                    _confirmation_text(batch_id, file_name, deps)
                    + f" To go ahead: acctdesk undo {ws.path.name} {batch_id} --force.", deps)
            if _dry_run:
                raise _DryRun()
            kept_accounts = set(keeper) | {d["account_id"] for d in deps}
            counts["accounts_deleted"] = _write_rows(
                conn, "accounts", plan, skip={(a,) for a in kept_accounts})
            for aid in kept_accounts:
                conn.execute("UPDATE accounts SET batch_id = ? WHERE account_id = ?",
                             (keeper.get(aid), aid))
            counts["accounts_kept"] = len(kept_accounts)
            removed = [a for a in gone if a not in kept_accounts]
            if removed:
                conn.executemany("DELETE FROM score_history WHERE account_id = ?",
                                 [(a,) for a in removed])
                states = _worklist_states(conn)
                if any(a in states for a in removed):   # only reached with force
                    for a in removed:
                        states.pop(a, None)
                    conn.execute("UPDATE meta SET value = ? WHERE key = ?",
                                 (json.dumps(states, sort_keys=True), _WORKLIST_KEY))
            counts["restored"] = sum(len(v) for t, v in plan.writes.items())
            counts["kept"] = plan.kept
            if plan.op_updates:
                conn.executemany("UPDATE row_history SET op = ?, before = ?, after = ? "
                                 "WHERE id = ?", plan.op_updates)
            if plan.op_deletes:
                conn.executemany("DELETE FROM row_history WHERE id = ?",
                                 [(i,) for i in plan.op_deletes])
            _undo_links(conn, batch_id)
            counts["restored"] += _restore_other_tables(conn, batch_id)
            conn.execute("DELETE FROM row_history WHERE batch_id = ?", (batch_id,))
            conn.execute("UPDATE import_batches SET status = 'undone' WHERE batch_id = ?",
                         (batch_id,))
            ws.audit("undo", "import_batches", str(batch_id), detail=file_name,
                     after={**counts, "forced": bool(force and deps)})
    except _DryRun:
        return {}
    return counts


def _restore_other_tables(conn, batch_id: int) -> int:
    """Rows of tables that are not imported entities (links to other systems' ids, health
    scores) that the batch changed when it merged two accounts into one: their earlier
    values back. Returns how many rows were put back."""
    restored = 0
    tables = [r[0] for r in conn.execute(
        "SELECT DISTINCT table_name FROM row_history WHERE batch_id = ?", (batch_id,))]
    for table in tables:
        if table in ENTITY_KEYS or not table.replace("_", "").isalnum():
            continue
        cols = set(_columns(conn, table))
        for (before,) in conn.execute(
                "SELECT before FROM row_history WHERE batch_id = ? AND table_name = ? AND "
                "before IS NOT NULL ORDER BY id DESC", (batch_id, table)).fetchall():
            rec = {c: v for c, v in json.loads(before).items() if c in cols}
            if not rec:
                continue
            conn.execute(f"INSERT OR REPLACE INTO {table} ({', '.join(rec)}) VALUES "
                         f"({', '.join('?' * len(rec))})", list(rec.values()))
            restored += 1
    return restored


def _undo_links(conn, batch_id: int) -> None:
    """The batch's links to other systems' ids: gone with their account; kept (and handed to
    the first later batch of the same source) when that batch brought data for it."""
    profile = conn.execute("SELECT profile FROM import_batches WHERE batch_id = ?",
                           (batch_id,)).fetchone()[0]
    later = conn.execute(
        "SELECT MIN(batch_id) FROM import_batches WHERE batch_id > ? AND status = 'applied' "
        "AND profile IS ?", (batch_id, profile)).fetchone()[0]
    if later is not None:
        conn.execute("UPDATE external_ids SET batch_id = ? WHERE batch_id = ? AND account_id "
                     "IN (SELECT account_id FROM accounts)", (later, batch_id))
    conn.execute("DELETE FROM external_ids WHERE batch_id = ?", (batch_id,))
