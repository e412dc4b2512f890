"""The workspace: one SQLite file (suffix ``.acctdesk``) behind one gateway class.

``Workspace`` owns the connections (one per thread), applies migrations (backing the file up
first with SQLite's backup API), runs every multi-step write in a transaction, and exposes
typed reads that return DataFrames. Nothing else in acctdesk opens the file or writes SQL
against it except the importers' bulk path, which goes through :meth:`Workspace.transaction`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import pandas as pd

from .schema import ENTITY_FIELDS, MIGRATIONS, SCHEMA_VERSION

SUFFIX = ".acctdesk"
#: PRAGMA application_id of every workspace file ("ACDK").
APPLICATION_ID = 0x4143444B
BUSY_TIMEOUT_MS = 10_000
_SQLITE_MAGIC = b"SQLite format 3\x00"


class WorkspaceError(Exception):
    """A workspace could not be opened or written; the message says why and what to do."""


class NotAWorkspaceError(WorkspaceError):
    pass


class WorkspaceTooNewError(WorkspaceError):
    pass


class WorkspaceDamagedError(WorkspaceError):
    pass


def current_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (some containers): still attribute the change
        return os.environ.get("USER") or "unknown"


def now_iso() -> str:
    return dt.datetime.now().replace(microsecond=0).isoformat()


class Workspace:
    """One open workspace file.

    Parameters
    ----------
    path
        The ``.acctdesk`` file.
    create
        Create the file if it does not exist. Opening a missing file without ``create`` is an
        error, so a typo never silently makes an empty workspace.
    """

    def __init__(self, path: str | os.PathLike, *, create: bool = False):
        self.path = Path(path).expanduser().resolve()
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self.backups: list[Path] = []
        existed = self.path.exists()
        if not existed and not create:
            raise WorkspaceError(
                f"{self.path}: no such workspace. Check the path, or create one with "
                f"'acctdesk demo {self.path.name}'."
            )
        if existed:
            self._check_file()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Create the file private to the user before SQLite writes anything into it.
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        try:
            self._migrate(new=not existed)
        except WorkspaceError:
            self.close()
            raise
        except sqlite3.DatabaseError as exc:
            self.close()
            raise WorkspaceDamagedError(
                f"{self.path}: the file is damaged ({exc}). Restore it from a backup "
                f"(files named {self.path.name}.bak-*) or re-import the exports."
            ) from exc

    # ------------------------------------------------------------------ connections
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # 64 MB page cache: bulk imports into indexed tables stay in memory, not on seeks.
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        with self._conns_lock:
            self._all_conns.append(conn)
        return conn

    def close(self) -> None:
        with self._conns_lock:
            conns, self._all_conns = self._all_conns, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # ------------------------------------------------------------------ opening
    def _check_file(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(100)
        except OSError as exc:
            raise WorkspaceError(f"{self.path}: cannot be read ({exc.strerror}).") from exc
        if len(head) == 0:
            raise NotAWorkspaceError(
                f"{self.path}: the file is empty, so it is not an acctdesk workspace."
            )
        if not head.startswith(_SQLITE_MAGIC):
            raise NotAWorkspaceError(
                f"{self.path}: not an acctdesk workspace (it is not a SQLite database). "
                "To bring a CSV or Excel export in, import it into a workspace instead."
            )
        app_id = int.from_bytes(head[68:72], "big")
        if app_id != APPLICATION_ID:
            raise NotAWorkspaceError(
                f"{self.path}: a SQLite database, but not an acctdesk workspace "
                f"(application id {app_id:#x}). Open a .acctdesk file."
            )

    def _migrate(self, *, new: bool) -> None:
        conn = self.conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise WorkspaceTooNewError(
                f"{self.path}: made by a newer acctdesk (schema {version}; this app knows up "
                f"to {SCHEMA_VERSION}). Update acctdesk to open it; the file was not changed."
            )
        if not new:
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise WorkspaceDamagedError(
                    f"{self.path}: the file is damaged ({check}). Restore it from a backup "
                    f"(files named {self.path.name}.bak-*) or re-import the exports."
                )
        if version == SCHEMA_VERSION:
            return
        if not new:
            self.backups.append(self.backup(f"v{version}"))
        conn.execute("BEGIN IMMEDIATE")
        try:
            if new:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)"
            )
            done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
            for migration in MIGRATIONS[version:]:
                if migration.name in done:
                    continue
                migration.apply(conn)
                conn.execute(
                    "INSERT INTO _migrations(name, applied_at) VALUES (?, ?)",
                    (migration.name, now_iso()),
                )
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if new:
                conn.executemany(
                    "INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                    [("created_at", now_iso()), ("currency", "USD"),
                     ("name", self.path.stem)],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def backup(self, tag: str = "manual") -> Path:
        """Copy the workspace with SQLite's online backup API; returns the copy's path."""
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.bak-{tag}-{stamp}")
        n = 1
        while target.exists():
            n += 1
            target = self.path.with_name(f"{self.path.name}.bak-{tag}-{stamp}-{n}")
        fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        dest = sqlite3.connect(target)
        try:
            self.conn.backup(dest)
        finally:
            dest.close()
        return target

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Run a block as one transaction: all of it is written, or none of it.

        Nested use becomes a savepoint, so a helper that opens its own transaction can be
        called inside a larger one.
        """
        conn = self.conn
        if conn.in_transaction:
            name = f"sp_{id(conn)}_{threading.get_ident()}"
            conn.execute(f"SAVEPOINT {name}")
            try:
                yield conn
            except BaseException:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            conn.execute(f"RELEASE {name}")
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]],
        *, replace: bool = False,
    ) -> int:
        """Bulk-insert rows (tuples in ``columns`` order) in the current or a new transaction.

        The fast path: one prepared statement and ``executemany``; returns the row count.
        """
        _check_identifier(table)
        for c in columns:
            _check_identifier(c)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        sql = (
            f"{verb} INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        with self.transaction() as conn:
            cur = conn.executemany(sql, rows)
            return cur.rowcount

    def set_meta(self, key: str, value: Any) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, None if value is None else str(value)),
            )

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None or row[0] is None else row[0]

    def audit(
        self, action: str, entity: str | None = None, entity_id: str | None = None,
        before: Any = None, after: Any = None, detail: str | None = None,
    ) -> None:
        """Append one entry to the audit log (inside the caller's transaction, if any)."""
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO audit_log(at, user, action, entity, entity_id, before, after, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (now_iso(), current_user(), action, entity, entity_id,
                 None if before is None else json.dumps(before, default=str),
                 None if after is None else json.dumps(after, default=str), detail),
            )

    # ------------------------------------------------------------------ reading
    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Run a query and return its rows as a DataFrame (columns from the cursor)."""
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=cols)

    def _entity(self, table: str, where: str = "", params: Sequence[Any] = (),
                order: str = "") -> pd.DataFrame:
        cols = ENTITY_FIELDS[table]
        sql = f"SELECT {', '.join(cols)} FROM {table}"
        if where:
            sql += f" WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        return self.frame(sql, params)

    def accounts(self) -> pd.DataFrame:
        """All accounts, one row each, ordered by name."""
        return self._entity("accounts", order="name COLLATE NOCASE, account_id")

    def subscriptions(self, account_id: str | None = None) -> pd.DataFrame:
        if account_id is None:
            return self._entity("subscriptions", order="account_id, product, start_date")
        return self._entity("subscriptions", "account_id = ?", (account_id,),
                            "product, start_date")

    def usage(self, account_id: str | None = None, since: str | None = None) -> pd.DataFrame:
        where, params = [], []
        if account_id is not None:
            where.append("account_id = ?")
            params.append(account_id)
        if since is not None:
            where.append("date >= ?")
            params.append(since)
        return self._entity("usage", " AND ".join(where), params, "account_id, metric, date")

    def tickets(self, account_id: str | None = None) -> pd.DataFrame:
        if account_id is None:
            return self._entity("tickets", order="created_at")
        return self._entity("tickets", "account_id = ?", (account_id,), "created_at")

    def surveys(self, account_id: str | None = None) -> pd.DataFrame:
        if account_id is None:
            return self._entity("surveys", order="date")
        return self._entity("surveys", "account_id = ?", (account_id,), "date")

    def contacts(self, account_id: str | None = None) -> pd.DataFrame:
        if account_id is None:
            return self._entity("contacts", order="account_id, email")
        return self._entity("contacts", "account_id = ?", (account_id,), "email")

    def activities(self, account_id: str | None = None) -> pd.DataFrame:
        if account_id is None:
            return self._entity("activities", order="date")
        return self._entity("activities", "account_id = ?", (account_id,), "date")

    def import_batches(self) -> pd.DataFrame:
        return self.frame("SELECT * FROM import_batches ORDER BY batch_id")

    def audit_log(self) -> pd.DataFrame:
        return self.frame("SELECT * FROM audit_log ORDER BY id")

    def count(self, table: str) -> int:
        _check_identifier(table)
        return self.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def data_date(self) -> str | None:
        """The latest date the workspace's data describes (ISO), not the computer's clock.

        ``meta.data_date`` when set (the user picked one, or the demo recorded the day its
        exports were "pulled"); otherwise the latest dated event: a usage sample, a ticket
        opened or solved, a survey, an activity, or a subscription or churn starting. Future
        dates a record merely announces (renewal dates, contract ends, the start of a future
        subscription, the expected close of an open deal) do not count.
        """
        fixed = self.get_meta("data_date")
        if fixed:
            return fixed
        row = self.conn.execute(
            """
            SELECT MAX(d) FROM (
                SELECT MAX(date) AS d FROM usage
                UNION ALL SELECT MAX(substr(created_at, 1, 10)) FROM tickets
                UNION ALL SELECT MAX(substr(solved_at, 1, 10)) FROM tickets
                UNION ALL SELECT MAX(date) FROM surveys
                UNION ALL SELECT MAX(date) FROM activities
                UNION ALL SELECT MAX(start_date) FROM subscriptions
                    WHERE COALESCE(status, '') NOT IN ('future', 'open', 'lost', 'trialing')
                UNION ALL SELECT MAX(churn_date) FROM accounts
            )
            """
        ).fetchone()
        return row[0]

    def active_accounts_mask(self, accounts: pd.DataFrame, as_of: str) -> pd.Series:
        """True for accounts that are customers on ``as_of``: not churned by that date."""
        churn = accounts["churn_date"].fillna("")
        started = accounts["contract_start"].fillna("")
        not_churned = (churn == "") | (churn > as_of)
        is_customer = accounts["status"].fillna("active") != "prospect"
        return not_churned & (started <= as_of) & is_customer

    def summary(self) -> dict[str, Any]:
        """The counts ``acctdesk info`` prints."""
        data_date = self.data_date()
        accounts = self.frame(
            "SELECT account_id, arr, status, churn_date, contract_start FROM accounts"
        )
        if data_date and len(accounts):
            active = self.active_accounts_mask(accounts, data_date)
        else:
            active = pd.Series(False, index=accounts.index)
        churned = accounts["churn_date"].notna() & (accounts["churn_date"].fillna("") <= (data_date or ""))
        return {
            "workspace": str(self.path),
            "name": self.get_meta("name"),
            "currency": self.get_meta("currency"),
            "accounts": int(len(accounts)),
            "active_accounts": int(active.sum()),
            "churned_accounts": int(churned.sum()),
            "arr_active": round(float(accounts.loc[active, "arr"].fillna(0).sum()), 2),
            "data_date": data_date,
            "subscriptions": self.count("subscriptions"),
            "usage_rows": self.count("usage"),
            "tickets": self.count("tickets"),
            "surveys": self.count("surveys"),
            "contacts": self.count("contacts"),
            "activities": self.count("activities"),
            "import_batches": self.conn.execute(
                "SELECT COUNT(*) FROM import_batches WHERE status = 'applied'").fetchone()[0],
            "schema_version": self.schema_version,
        }


def _check_identifier(name: str) -> None:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain SQL identifier: {name!r}")
