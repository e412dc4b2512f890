"""Storage side of a priority pack coming back in: owners read, edits written as one import
batch with their history (the SQL of :mod:`acctdesk.importers.pack_roundtrip`)."""
from __future__ import annotations

from typing import Any, Sequence

from . import import_store
from .workspace import Workspace

__all__ = ["AlreadyApplied", "account_owners", "write_pack_edits"]


class AlreadyApplied(Exception):
    """The same pack (by digest) was applied meanwhile, by another window or command:
    ``batches`` are its batches."""

    def __init__(self, batches: list[int]):
        super().__init__(f"already imported as batch {', '.join(map(str, batches))}")
        self.batches = batches


def account_owners(ws: Workspace) -> dict[str, str | None]:
    """Every account's owner by account id."""
    return dict(ws.conn.execute("SELECT account_id, owner FROM accounts").fetchall())


def write_pack_edits(ws: Workspace, *, file_name: str, digest: str, profile: str,
                     mapping: dict[str, str], owners: Sequence[tuple[str, str | None]],
                     notes: Sequence[tuple], rejected: Sequence[tuple[int, str, str, str]],
                     counts: dict[str, Any]) -> int:
    """Write the edits of one pack as one applied import batch, in one transaction; returns
    the batch id.

    ``owners``: (account id, new owner); each account's previous row and the owner set go to
    ``row_history`` as a 'set' (the import pipeline's undo convention) and the row gets the
    batch id. ``notes``: activity
    rows (activity_id, account_id, date, kind, text, author, custom) added with the batch id
    (an id already present is kept). ``rejected``: (row number, column, value, reason).
    ``counts``: the batch's counts, stored and audited with it. Raises
    :class:`AlreadyApplied` (nothing written) when the file was applied meanwhile: checked
    inside the write transaction, so two processes cannot both apply one pack.
    """
    with ws.transaction() as conn:
        done = import_store.applied_batches_for(conn, digest)
        if done:
            raise AlreadyApplied(done)
        batch_id = import_store.begin_batch(conn, file_name, digest, profile, "accounts",
                                            mapping)
        all_cols = [r[1] for r in conn.execute("PRAGMA table_info(accounts)")]
        before = "json_object(" + ", ".join(f"'{c}', {c}" for c in all_cols) + ")"
        for aid, owner in owners:
            conn.execute(
                f"INSERT INTO row_history(batch_id, table_name, row_key, op, before, after) "
                f"SELECT ?, 'accounts', json_array(account_id), 'set', {before}, "
                f"json_object('owner', ?) FROM accounts WHERE account_id = ?",
                (batch_id, owner, aid))
            conn.execute("UPDATE accounts SET owner = ?, batch_id = ? WHERE account_id = ?",
                         (owner, batch_id, aid))
        conn.executemany(
            "INSERT OR IGNORE INTO activities(activity_id, account_id, date, kind, text, "
            "author, custom, batch_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(*n, batch_id) for n in notes])
        if rejected:
            import_store.record_rejected(conn, batch_id, [(r, c, v, why, None, "rejected")
                                                         for r, c, v, why in rejected])
        import_store.finish_batch(conn, batch_id, counts)
        ws.audit("import", "import_batches", str(batch_id),
                 after={"file": file_name, "profile": profile, **counts})
    return batch_id
