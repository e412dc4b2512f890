"""Storage side of an import: batches, upserts with history, ids, rejected and held rows.

The import pipeline (``acctdesk.importers``) decides *what* to write; this module holds the
SQL that writes it, inside the caller's transaction (``Workspace.transaction()``), so a file
is all or nothing. Every row an import changes keeps its previous values in ``row_history``
so the batch can be undone exactly.
"""
from __future__ import annotations

import json
import math
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..domain.statuses import PAYING_STATUSES
from .schema import ENTITY_KEYS
from .workspace import Workspace, current_user, now_iso

__all__ = [
    "applied_batches_for", "begin_batch", "finish_batch", "upsert", "refresh_account_revenue",
    "insert_accounts", "link_external_ids", "record_rejected", "saved_mapping",
    "store_mapping", "account_names", "existing_tickets", "column_values", "merge_accounts",
]

#: statuses of billing subscriptions that pay on a date (see ``refresh_account_revenue``)
PAYING = tuple(sorted(PAYING_STATUSES))


def column_values(s: pd.Series) -> list:
    """A column as Python values SQLite can store (NaN/NaT -> None, numpy -> Python)."""
    if s.dtype.kind == "f":
        arr = s.to_numpy(dtype=object)
        arr[np.isnan(s.to_numpy(dtype=float))] = None
        return arr.tolist()
    if s.dtype.kind in "iub":
        return s.to_numpy().tolist()
    if s.dtype.kind == "M":
        return [None if pd.isna(v) else v.isoformat() for v in s]
    arr = s.to_numpy(dtype=object)
    mask = pd.isna(s).to_numpy()
    if mask.any():
        arr = arr.copy()
        arr[mask] = None
    first = next((v for v in arr[~mask][:1]), None) if len(arr) else None
    if isinstance(first, (np.generic, pd.Timestamp)) or any(
            isinstance(v, (np.generic, pd.Timestamp)) for v in arr[~mask][:50]):
        return [v.isoformat() if isinstance(v, pd.Timestamp) else
                (v.item() if isinstance(v, np.generic) else v) for v in arr]
    return arr.tolist()


# ------------------------------------------------------------------------------ batches
def applied_batches_for(conn, digest: str) -> list[int]:
    """The applied batches of the file with this sha256 (read inside the write
    transaction, so two processes cannot both import one file)."""
    return [r[0] for r in conn.execute(
        "SELECT batch_id FROM import_batches WHERE sha256 = ? AND status = 'applied' "
        "ORDER BY batch_id", (digest,))]


def begin_batch(conn, file_name: str, digest: str, profile: str, entity: str,
                mapping: dict) -> int:
    cur = conn.execute(
        "INSERT INTO import_batches(file_name, sha256, profile, entity, mapping, started_at, "
        "user, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'applied')",
        (file_name, digest, profile, entity, json.dumps(mapping), now_iso(), current_user()))
    return int(cur.lastrowid)


def finish_batch(conn, batch_id: int, counts: dict) -> None:
    conn.execute("UPDATE import_batches SET counts = ?, finished_at = ? WHERE batch_id = ?",
                 (json.dumps(counts), now_iso(), batch_id))


# ------------------------------------------------------------------------------ accounts, ids
def insert_accounts(conn, rows: Sequence[tuple], batch_id: int) -> None:
    """New accounts (account_id, name, domain, status) first seen in a non-account file."""
    conn.executemany(
        "INSERT OR IGNORE INTO accounts(account_id, name, domain, status, batch_id) "
        "VALUES (?, ?, ?, ?, ?)", [(a, n, d, s, batch_id) for a, n, d, s in rows])


def link_external_ids(conn, links: Iterable[tuple], batch_id: int) -> int:
    """Record (system, external id, account, confirmed, kind) links; a known id keeps its
    account. Returns the number of new links."""
    before = conn.total_changes
    conn.executemany(
        "INSERT OR IGNORE INTO external_ids(source, external_id, account_id, confirmed, kind, "
        "batch_id) VALUES (?, ?, ?, ?, ?, ?)",
        [(s, e, a, c, k, batch_id) for s, e, a, c, k in links])
    return conn.total_changes - before


def account_names(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT account_id, name FROM accounts").fetchall())


def account_ids(conn) -> list[str]:
    return [r[0] for r in conn.execute("SELECT account_id FROM accounts")]


def external_id_links(conn) -> list[tuple[str, str, str]]:
    """(system, id in that system, account) for every known external id."""
    return conn.execute("SELECT source, external_id, account_id FROM external_ids").fetchall()


def account_names_domains(conn) -> list[tuple[str, str, str | None]]:
    return conn.execute("SELECT account_id, name, domain FROM accounts").fetchall()


def has_subscriptions(conn) -> bool:
    return conn.execute("SELECT 1 FROM subscriptions LIMIT 1").fetchone() is not None


def rejected_rows(ws: Workspace, batch_id: int) -> pd.DataFrame:
    """A batch's rejected (and held) rows, in file order."""
    return ws.frame("SELECT row_number, column_name, value, reason, raw FROM rejected_rows "
                    "WHERE batch_id = ? ORDER BY row_number", (batch_id,))


# ------------------------------------------------------------------------------ upsert
def upsert(conn, table: str, frame: pd.DataFrame, batch_id: int) -> np.ndarray:
    """Insert new rows, update changed ones (history kept), leave equal ones alone.

    An empty incoming value never erases a stored one (exports often omit columns); an
    account keeps the name it was first imported with. Returns, per row of ``frame`` (whose
    keys are unique), ``'inserted'``, ``'updated'`` or ``'unchanged'``.
    """
    keys = list(ENTITY_KEYS[table])
    all_cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    cols = [c for c in frame.columns if c in all_cols]
    values = [c for c in cols if c not in keys]
    n = len(frame)
    status = np.full(n, "unchanged", dtype=object)
    if n == 0:
        return status
    data = [column_values(frame[c]) for c in cols]
    if conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None:
        # first data of its kind: nothing to compare or keep history of; write straight in
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(cols)}, batch_id) "
            f"VALUES ({', '.join('?' * len(cols))}, ?)", zip(*data, [batch_id] * n))
        status[:] = "inserted"
        return status
    conn.execute("DROP TABLE IF EXISTS temp._in")
    conn.execute(f"CREATE TEMP TABLE _in (_i INTEGER, {', '.join(cols)})")
    conn.executemany(f"INSERT INTO temp._in VALUES (?, {', '.join('?' * len(cols))})",
                     zip(range(n), *data))
    on = " AND ".join(f"t.{k} = i.{k}" for k in keys)
    sticky = {"name"} if table == "accounts" else set()
    changed = " OR ".join(f"(i.{v} IS NOT NULL AND i.{v} IS NOT t.{v})" for v in values
                          if v not in sticky) or "0"
    new_rows = [r[0] for r in conn.execute(
        f"SELECT i._i FROM temp._in i WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {on})")]
    changed_rows = [r[0] for r in conn.execute(
        f"SELECT i._i FROM temp._in i JOIN {table} t ON {on} WHERE {changed}")]
    status[new_rows] = "inserted"
    status[changed_rows] = "updated"
    key_json = "json_array(" + ", ".join(f"t.{k}" for k in keys) + ")"
    before_json = "json_object(" + ", ".join(f"'{c}', t.{c}" for c in all_cols) + ")"
    # what the file brought for each row: undo replays it (acctdesk.models.batch_undo)
    after_json = "json_object(" + ", ".join(f"'{v}', i.{v}" for v in values) + ")"
    conn.execute(
        f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
        f"SELECT ?, '{table}', {key_json}, 'update', {before_json}, {after_json} "
        f"FROM temp._in i JOIN {table} t ON {on} WHERE {changed}", (batch_id,))
    # rows the file brought unchanged: undoing an earlier batch keeps them
    conn.execute(
        f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
        f"SELECT ?, '{table}', {key_json}, 'touch', json_object('batch_id', t.batch_id), "
        f"{after_json} FROM temp._in i JOIN {table} t ON {on} WHERE NOT ({changed})",
        (batch_id,))
    if values and changed_rows:
        set_clause = ", ".join(f"{v} = {table}.{v}" if v in sticky else
                               f"{v} = COALESCE(i.{v}, {table}.{v})" for v in values)
        on_t = " AND ".join(f"{table}.{k} = i.{k}" for k in keys)
        changed_t = " OR ".join(f"(i.{v} IS NOT NULL AND i.{v} IS NOT {table}.{v})"
                                for v in values if v not in sticky) or "0"
        conn.execute(f"UPDATE {table} SET {set_clause}, batch_id = ? FROM temp._in i "
                     f"WHERE {on_t} AND ({changed_t})", (batch_id,))
    if new_rows:
        conn.execute(
            f"INSERT INTO {table} ({', '.join(cols)}, batch_id) "
            f"SELECT {', '.join(cols)}, ? FROM temp._in i WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE {on})", (batch_id,))
    conn.execute("DROP TABLE temp._in")
    return status


def refresh_account_revenue(conn, account_ids: Sequence[str] | None, batch_id: int,
                            as_of: str) -> int:
    """Billing decides ARR and churn: recompute them as of ``as_of``.

    For ``account_ids`` (None: every account with a subscription). ARR = 12 x the MRR of
    subscriptions paying on ``as_of`` (active, past due, non-renewing, started by then and
    not ended before); trials, paused and future subscriptions never count. An account whose
    billed subscriptions have all ended is churned on the last end date; one with only
    trials keeps what its CRM says. Changes are kept in row_history. Returns the number of
    accounts changed.
    """
    conn.execute("DROP TABLE IF EXISTS temp._acc")
    conn.execute("CREATE TEMP TABLE _acc (account_id TEXT PRIMARY KEY)")
    if account_ids is None:
        conn.execute("INSERT OR IGNORE INTO temp._acc SELECT DISTINCT account_id "
                     "FROM subscriptions WHERE account_id IS NOT NULL")
    else:
        conn.executemany("INSERT OR IGNORE INTO temp._acc VALUES (?)",
                         [(a,) for a in account_ids])
    paying = (f"s.status IN {PAYING!r} AND COALESCE(s.start_date, '') <= :d "
              "AND (s.end_date IS NULL OR s.end_date >= :d)")
    rows = conn.execute(
        f"""
        SELECT x.account_id,
               ROUND(12 * COALESCE(SUM(CASE WHEN {paying} THEN s.mrr END), 0), 2),
               COUNT(CASE WHEN {paying} THEN 1 END),
               COUNT(CASE WHEN s.status NOT IN ('trialing', 'future', 'paused') THEN 1 END),
               MAX(s.end_date),
               a.arr, a.status, a.churn_date
        FROM temp._acc x JOIN accounts a ON a.account_id = x.account_id
        LEFT JOIN subscriptions s ON s.account_id = x.account_id
        GROUP BY x.account_id
        """, {"d": as_of}).fetchall()
    changes = []
    for aid, arr, live, billed, last_end, cur_arr, cur_status, cur_churn in rows:
        if billed == 0:
            continue  # only trials or nothing billed: billing says nothing about ARR yet
        status, churn = ("active", None) if live > 0 else ("churned", last_end)
        if (cur_arr, cur_status, cur_churn) != (arr, status, churn):
            changes.append((arr, status, churn, batch_id, aid))
    if changes:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(accounts)")]
        before = "json_object(" + ", ".join(f"'{c}', a.{c}" for c in cols) + ")"
        conn.execute("DROP TABLE IF EXISTS temp._chg")
        conn.execute("CREATE TEMP TABLE _chg (account_id TEXT PRIMARY KEY, arr, status, churn)")
        conn.executemany("INSERT INTO temp._chg VALUES (?, ?, ?, ?)",
                         [(c[-1], c[0], c[1], c[2]) for c in changes])
        # op 'set': values set outright (undo replays them as they were set)
        conn.execute(f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
                     f"SELECT ?, 'accounts', json_array(a.account_id), 'set', {before}, "
                     f"json_object('arr', c.arr, 'status', c.status, 'churn_date', c.churn) "
                     f"FROM accounts a JOIN temp._chg c ON c.account_id = a.account_id",
                     (batch_id,))
        conn.executemany("UPDATE accounts SET arr = ?, status = ?, churn_date = ?, "
                         "batch_id = ? WHERE account_id = ?", changes)
        conn.execute("DROP TABLE temp._chg")
    conn.execute("DROP TABLE temp._acc")
    return len(changes)


# ------------------------------------------------------------------------------ rejected, held
def record_rejected(conn, batch_id: int, rows: Iterable[tuple]) -> None:
    """Rows not written: (row number, column, value, reason, raw JSON, outcome) with outcome
    ``rejected`` (fix and re-import) or ``held`` (an account match to confirm)."""
    conn.executemany(
        "INSERT INTO rejected_rows(batch_id, row_number, column_name, value, reason, raw, "
        "outcome) VALUES (?, ?, ?, ?, ?, ?, ?)", [(batch_id, *r) for r in rows])


# ------------------------------------------------------------------------------ tickets
def existing_tickets(conn, account_ids: Sequence[str]) -> pd.DataFrame:
    """(source, ticket_id, account_id, created_at, subject) of the accounts' stored tickets,
    to recognise tickets migrated from one support system to another."""
    if not len(account_ids):
        return pd.DataFrame(columns=["source", "ticket_id", "account_id", "created_at",
                                     "subject"])
    conn.execute("DROP TABLE IF EXISTS temp._acc_t")
    conn.execute("CREATE TEMP TABLE _acc_t (account_id TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO temp._acc_t VALUES (?)",
                     [(a,) for a in account_ids])
    rows = conn.execute(
        "SELECT t.source, t.ticket_id, t.account_id, t.created_at, t.subject FROM tickets t "
        "JOIN temp._acc_t a ON a.account_id = t.account_id").fetchall()
    conn.execute("DROP TABLE temp._acc_t")
    return pd.DataFrame(rows, columns=["source", "ticket_id", "account_id", "created_at",
                                       "subject"], dtype=object)


# ------------------------------------------------------------------------------ mappings
def saved_mapping(ws: Workspace, signature: str) -> dict | None:
    row = ws.conn.execute(
        "SELECT profile, entity, mapping FROM saved_mappings WHERE header_signature = ?",
        (signature,)).fetchone()
    if row is None:
        return None
    return {"profile": row[0], "entity": row[1], "mapping": json.loads(row[2])}


def store_mapping(ws: Workspace, signature: str, entity: str, payload: dict[str, Any],
                  profile: str | None = None) -> None:
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO saved_mappings(header_signature, profile, entity, mapping, saved_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(header_signature) DO UPDATE SET "
            "profile = excluded.profile, entity = excluded.entity, mapping = excluded.mapping,"
            " saved_at = excluded.saved_at",
            (signature, profile, entity, json.dumps(payload), now_iso()))
        ws.audit("mapping.save", "saved_mappings", signature, after=payload)


# ------------------------------------------------------------------------------ merging
def _tables_with_accounts(conn) -> list[tuple[str, list[str], list[str]]]:
    """(table, columns, primary-key columns) of every table that refers to accounts."""
    out = []
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        cols = [r[1] for r in info]
        if name == "accounts" or "account_id" not in cols:
            continue
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]] or ["rowid"]
        out.append((name, cols, pk))
    return out


def _history(conn, table: str, cols: list[str], pk: list[str], where: str, params,
             batch_id: int) -> None:
    key = "json_array(" + ", ".join(pk) + ")"
    before = "json_object(" + ", ".join(f"'{c}', {c}" for c in cols) + ")"
    conn.execute(f"INSERT INTO row_history(batch_id, table_name, row_key, op, before) "
                 f"SELECT ?, '{table}', {key}, 'update', {before} FROM {table} WHERE {where}",
                 (batch_id, *params))


def merge_accounts(conn, keep: str, drop: str, batch_id: int) -> dict[str, int]:
    """Fold account ``drop`` into ``keep``: every row that refers to ``drop`` now refers to
    ``keep``, ``keep`` takes the fields it lacks from ``drop``, ``drop`` is removed. Every
    changed row keeps its previous values in row_history (the batch's undo restores both
    accounts). A row that would collide with one ``keep`` already has (the same usage day
    and metric, the same contact) stays out, with its values in the history.
    Returns the number of rows moved per table."""
    moved = {}
    for table, cols, pk in _tables_with_accounts(conn):
        _history(conn, table, cols, pk, "account_id = ?", (drop,), batch_id)
        if "batch_id" in cols:
            cur = conn.execute(f"UPDATE OR IGNORE {table} SET account_id = ?, batch_id = ? "
                               f"WHERE account_id = ?", (keep, batch_id, drop))
            moved[table] = cur.rowcount
        conn.execute(f"DELETE FROM {table} WHERE account_id = ?", (drop,))
    cols = [r[1] for r in conn.execute("PRAGMA table_info(accounts)")]
    _history(conn, "accounts", cols, ["account_id"], "account_id IN (?, ?)", (keep, drop),
             batch_id)
    fill = [c for c in cols if c not in ("account_id", "name", "status", "arr", "batch_id",
                                         "churn_date")]
    conn.execute(
        f"UPDATE accounts SET {', '.join(f'{c} = COALESCE(accounts.{c}, d.{c})' for c in fill)}, "
        f"batch_id = ? FROM (SELECT * FROM accounts WHERE account_id = ?) d "
        f"WHERE accounts.account_id = ?", (batch_id, drop, keep))
    conn.execute("DELETE FROM accounts WHERE account_id = ?", (drop,))
    return moved
