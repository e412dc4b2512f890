"""The workspace: one SQLite file (suffix ``.acctdesk``) behind one gateway class.

``Workspace`` owns the connections (one per thread), applies migrations (backing the file up
first with SQLite's backup API), runs every multi-step write in a transaction, and exposes
typed reads that return DataFrames. Nothing else in acctdesk opens the file or writes SQL
against it except the importers' bulk path, which goes through :meth:`Workspace.transaction`.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import getpass
import json
import os
import sqlite3
import threading
import time
import uuid
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd

from ..domain.accounts import active_mask, churned_mask
from ..domain.statuses import NOT_STARTED_STATUSES
from ..frames import concat_pieces
from .schema import ENTITY_FIELDS, MIGRATIONS, SCHEMA_VERSION

SUFFIX = ".acctdesk"
#: PRAGMA application_id of every workspace file ("ACDK").
APPLICATION_ID = 0x4143444B
BUSY_TIMEOUT_MS = 10_000
_SQLITE_MAGIC = b"SQLite format 3\x00"
#: the first bytes of every plain SQLite file
SQLITE_MAGIC = _SQLITE_MAGIC


class WorkspaceError(Exception):
    """A workspace could not be opened or written; the message says why and what to do."""


class NotAWorkspaceError(WorkspaceError):
    pass


class WorkspaceTooNewError(WorkspaceError):
    pass


class WorkspaceDamagedError(WorkspaceError):
    pass


class WorkspaceEncryptedError(WorkspaceError):
    """An encrypted workspace whose key is not at hand (no key file, keychain locked, no
    passphrase given). Nothing was changed."""


class WorkspaceKeyError(WorkspaceError):
    """The key or passphrase does not open the workspace. Nothing was changed."""


class WorkspaceBusyError(WorkspaceError, sqlite3.OperationalError):
    """Another window or command held the write lock for longer than the busy timeout."""


class WorkspaceReadOnlyError(WorkspaceError, sqlite3.OperationalError):
    """The workspace file, or the folder it is in, cannot be written."""


class WorkspaceStorageError(WorkspaceError, sqlite3.OperationalError):
    """The disk refused a write (full, or an input/output error); the message says what was
    kept and what to do."""


class WorkspaceCheckpointError(WorkspaceStorageError):
    """The changes are safe in the write-ahead log (``NAME-wal``) but could not be copied
    into the workspace file when it was closed (usually: the disk is full)."""


def _sqlcipher():
    """The ``sqlcipher3`` module (SQLCipher with OpenSSL built in), or a clear error."""
    try:
        import sqlcipher3
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise WorkspaceError(
            "encrypted workspaces need the sqlcipher3 package (pip install sqlcipher3)."
        ) from exc
    return sqlcipher3


#: how an encrypted workspace's key is found: ``finder(path) -> (key, key location)``, or
#: None when no key file lies beside it. Set by :mod:`.crypto` (imported with the package),
#: so this module needs nothing of it.
_key_finder: Callable[[Path], tuple[bytes, Any] | None] | None = None


def set_key_finder(finder: Callable[[Path], tuple[bytes, Any] | None]) -> None:
    """Install how encrypted workspaces find their key (see :mod:`.crypto`)."""
    global _key_finder
    _key_finder = finder


def sqlcipher_module():
    """The ``sqlcipher3`` module (for callers outside this module)."""
    return _sqlcipher()


def _db_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sqlite3.DatabaseError]
    try:
        import sqlcipher3
        errors.append(sqlcipher3.DatabaseError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def is_locked_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, _db_errors()) and (
        "database is locked" in text or "database table is locked" in text
        or "database is busy" in text)


def _busy_message(path: Path, what: str = "write to") -> str:
    return (f"{path.name} is busy: another acctdesk window or command is changing it, so this "
            f"one could not {what} it. Nothing was changed; try again when the other one "
            "has finished.")


def current_user() -> str:
    """The operating-system account running acctdesk (what the audit trail records).

    Taken from the system, not from environment variables such as ``$USER`` (which anyone can
    set): the password database entry of the effective user id on POSIX, ``GetUserNameW`` on
    Windows. A user id with no entry (some containers) is recorded as ``uid <n>``.
    """
    try:
        import pwd
    except ImportError:
        pwd = None
    if pwd is not None:
        uid = os.geteuid()
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return f"uid {uid}"
    try:  # Windows
        import ctypes

        size = ctypes.c_ulong(257)
        buf = ctypes.create_unicode_buffer(size.value)
        if ctypes.windll.advapi32.GetUserNameW(buf, ctypes.byref(size)):  # type: ignore[attr-defined]
            return buf.value
    except Exception:  # noqa: BLE001 - fall back to what the standard library knows
        pass
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "unknown"


# ---------------------------------------------------------------------------------- file locks
# Every open Workspace holds a shared advisory lock (flock) on its file; converting or
# restoring a workspace (encrypt, decrypt, restore) holds an exclusive one from its first
# read to the moment the new file is in place. A window or command opening the workspace
# meanwhile waits (up to its busy timeout) and then opens the new file, or stops with a
# message; the converter refuses while any window or command has the file open.
#
# One descriptor per file and process, shared by every Workspace of that process and closed
# when the last one closes: closing any descriptor of a SQLite file drops the POSIX locks the
# process's SQLite connections hold on it, so descriptors of the file are never opened and
# closed while connections are live.
try:
    import fcntl as _fcntl
except ImportError:  # Windows: no flock; the SQLite checks alone apply
    _fcntl = None

_LOCKS: dict[tuple[int, int], list[int]] = {}   # (dev, inode) -> [fd, users]
_LOCKS_GUARD = threading.Lock()
_LOCK_POLL_S = 0.05


def _file_key(st: os.stat_result) -> tuple[int, int]:
    return (st.st_dev, st.st_ino)


def _try_flock(fd: int, how: int) -> bool:
    try:
        _fcntl.flock(fd, how | _fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:  # the file system has no flock (some network shares): do without
        return True


def _acquire_shared(path: Path, timeout_s: float) -> tuple[int, int] | None:
    """Take (or join) this process's shared lock on ``path``; returns its key."""
    if _fcntl is None:
        return None
    deadline = time.monotonic() + timeout_s
    while True:
        with _LOCKS_GUARD:
            try:
                key = _file_key(os.stat(path))
            except FileNotFoundError:
                return None
            entry = _LOCKS.get(key)
            if entry is not None:
                entry[1] += 1
                return key
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
                         | getattr(os, "O_NONBLOCK", 0))
            key = _file_key(os.fstat(fd))
            if _try_flock(fd, _fcntl.LOCK_SH):
                try:
                    same = _file_key(os.stat(path)) == key
                except FileNotFoundError:
                    same = False
                if same:
                    _LOCKS[key] = [fd, 1]
                    return key
            os.close(fd)   # busy, or the file was replaced while we waited: try again
        if time.monotonic() >= deadline:
            raise WorkspaceBusyError(
                f"{path.name} is being encrypted, decrypted or restored by another acctdesk "
                f"command, so it could not be opened (waited {timeout_s:.0f} s). Nothing was "
                "changed; try again when that command has finished.")
        time.sleep(_LOCK_POLL_S)


def _release_shared(key: tuple[int, int] | None) -> None:
    if key is None:
        return
    with _LOCKS_GUARD:
        entry = _LOCKS.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _LOCKS[key]
            with contextlib.suppress(OSError):
                os.close(entry[0])


def _lock_fd(key: tuple[int, int] | None) -> int | None:
    with _LOCKS_GUARD:
        entry = _LOCKS.get(key) if key is not None else None
        return entry[0] if entry else None


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, timeout_s: float = 2.0) -> Iterator[None]:
    """Hold ``path`` exclusively: no acctdesk window or command has it open meanwhile, and
    none can open it until the block ends (they wait, then see the file as it is then).

    Raises :class:`WorkspaceBusyError` when a window or command (this process included) has
    it open for longer than ``timeout_s``.
    """
    path = Path(path)
    if _fcntl is None or not path.exists():
        yield
        return
    busy = WorkspaceBusyError(
        f"{path.name} is open in another acctdesk window or command. Close it there and try "
        "again; nothing was changed.")
    deadline = time.monotonic() + timeout_s
    while True:
        with _LOCKS_GUARD:
            if _file_key(os.stat(path)) in _LOCKS:
                raise WorkspaceBusyError(
                    f"{path.name} is still open in this acctdesk window. Close it first; "
                    "nothing was changed.")
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        if _try_flock(fd, _fcntl.LOCK_EX):
            if _file_key(os.fstat(fd)) == _file_key(os.stat(path)):
                break
        os.close(fd)
        if time.monotonic() >= deadline:
            raise busy
        time.sleep(_LOCK_POLL_S)
    try:
        yield
    finally:
        os.close(fd)


def _readonly_problem(path: Path, new: bool) -> str | None:
    """Plain words when the workspace or its folder cannot be written, else None."""
    folder = path.parent
    if new or not os.access(folder, os.W_OK):
        if not os.access(folder, os.W_OK):
            return (f"the folder {folder} is read-only, so acctdesk cannot "
                    f"{'create' if new else 'open'} {path.name} there (it writes a journal "
                    "file beside the workspace while it works). Copy the workspace to a "
                    "folder you can write to, or ask for write permission on this one.")
        return None
    if not os.access(path, os.W_OK):
        return (f"{path} is read-only (its file permissions do not let you change it), so "
                "acctdesk cannot open it for work. Make it writable (in the file's properties, "
                "or 'chmod u+w' on it), or copy it to a file you can write.")
    return None


def _storage_error(path: Path, exc: BaseException) -> WorkspaceError | None:
    """A plain-words error for a write the disk or the permissions refused, else None."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        problem = _readonly_problem(path, False) or (
            f"{path.name} cannot be written (the file or its folder became read-only).")
        return WorkspaceReadOnlyError(f"{problem[0].upper()}{problem[1:]} Nothing was changed.")
    if "disk is full" in text or "disk i/o error" in text:
        return WorkspaceStorageError(
            f"{path.name}: the disk refused the write ({'it is full' if 'full' in text else 'an input/output error'}). "
            "Nothing of this change was saved; the workspace is as it was. Free some disk "
            "space (or check the drive) and try again.")
    return None


def damaged_message(path: Path, problem: str) -> str:
    """What the user reads when a workspace is refused as damaged."""
    return (f"{path}: the file is damaged ({problem}). Restore the newest good backup with "
            f"'acctdesk restore {path.name}' (it checks the backups, named {path.name}.bak-*, "
            "and keeps the damaged file beside it), or re-import the exports.")


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

    def __init__(self, path: str | os.PathLike, *, create: bool = False,
                 key: bytes | None = None, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 check: bool = True):
        self.path = Path(path).expanduser().resolve()
        #: run PRAGMA quick_check when opening (the app skips it and runs the full
        #: integrity check in the background right after the first paint instead)
        self._check_on_open = check
        self._local = threading.local()
        self._all_conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self.backups: list[Path] = []
        self.busy_timeout_ms = int(busy_timeout_ms)
        if key is not None and len(key) != 32:
            raise ValueError("a workspace key is 32 bytes (256 bits)")
        self._key: bytes | None = key
        #: where the key lives (a crypto.KeyLocation) when the key was looked up here
        self.key_location = None
        #: this object committed a write (its close then folds the log into the file)
        self._wrote = False
        #: set by :meth:`close` when the write-ahead log could not be folded back
        self.close_problem: str | None = None
        self._lock_key: tuple[int, int] | None = None
        existed = self.path.exists()
        if not existed and not create:
            raise WorkspaceError(
                f"{self.path}: no such workspace. Check the path, or create an empty one "
                f"with 'acctdesk new {self.path.name}'."
            )
        if existed and not self.path.is_file():
            raise NotAWorkspaceError(
                f"{self.path}: not a workspace file (it is a folder or a device). Open a "
                ".acctdesk file.")
        if not existed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        problem = _readonly_problem(self.path, new=not existed)
        if problem is not None:
            raise WorkspaceReadOnlyError(problem[0].upper() + problem[1:])
        if existed:
            self._lock_key = _acquire_shared(self.path, self.busy_timeout_ms / 1000)
            try:
                self._check_file()
            except BaseException:
                self._release_lock()
                raise
        else:
            # Create the file private to the user before SQLite writes anything into it.
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            self._lock_key = _acquire_shared(self.path, self.busy_timeout_ms / 1000)
        try:
            self._migrate(new=not existed)
        except WorkspaceError:
            self.close()
            raise
        except _db_errors() as exc:
            self.close()
            if is_locked_error(exc):
                raise WorkspaceBusyError(_busy_message(self.path, "open")) from exc
            if self._key is not None and "not a database" in str(exc):
                raise WorkspaceKeyError(
                    f"{self.path.name}: the key does not open this workspace (wrong key or "
                    "passphrase, or the file is not an encrypted acctdesk workspace). "
                    "Nothing was changed."
                ) from exc
            storage = _storage_error(self.path, exc)
            if storage is not None:
                raise storage from exc
            raise WorkspaceDamagedError(damaged_message(self.path, str(exc))) from exc

    # ------------------------------------------------------------------ connections
    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    @property
    def encrypted(self) -> bool:
        """True when the file is a SQLCipher database opened with its key."""
        return self._key is not None

    def _connect(self) -> sqlite3.Connection:
        if self._key is not None:
            conn = _sqlcipher().connect(
                str(self.path), timeout=self.busy_timeout_ms / 1000, isolation_level=None,
                check_same_thread=False,
            )
            try:
                conn.execute("PRAGMA cipher_log_level = NONE")
                # a raw key: no key derivation on open (the key is random, 256 bits)
                conn.execute(f"PRAGMA key = \"x'{self._key.hex()}'\"")
            except BaseException:
                conn.close()
                raise
        else:
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout_ms / 1000, isolation_level=None,
                check_same_thread=False,
            )
        try:
            self._configure(conn)
        except BaseException:
            conn.close()
            raise
        with self._conns_lock:
            self._all_conns.append(conn)
        return conn

    def _configure(self, conn) -> None:
        conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # 64 MB page cache: bulk imports into indexed tables stay in memory, not on seeks.
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")

    def interrupt(self) -> None:
        """Make the SQL running on any of this workspace's connections (any thread) stop
        with an error as soon as it can (``sqlite3_interrupt``, safe from another thread); an
        interrupted write rolls back. For a caller about to close a workspace that
        background work may still be reading."""
        with self._conns_lock:
            conns = list(self._all_conns)
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.interrupt()

    def close(self) -> None:
        """Close every connection (all threads'): no other thread may be using one.

        After this object wrote, the write-ahead log is first folded back into the file; when
        that fails (a full disk, say) the changes stay safe in ``NAME-wal`` and
        :attr:`close_problem` says so (``with Workspace(...)`` raises
        :class:`WorkspaceCheckpointError` with it).
        """
        with self._conns_lock:
            conns, self._all_conns = self._all_conns, []
        if self._wrote and conns and self.close_problem is None:
            self.close_problem = self._fold_log(conns)
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()
        self._local = threading.local()
        self._release_lock()

    def _fold_log(self, conns) -> str | None:
        """Checkpoint the write-ahead log into the file; a message when it could not."""
        conn = next((c for c in conns if not c.in_transaction), None)
        if conn is None:
            return None
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except _db_errors() as exc:
            if is_locked_error(exc):
                return None     # another window is reading: it folds the log in later
            why = "the disk is full" if "full" in str(exc).lower() else f"the disk refused ({exc})"
            return (f"{self.path.name}: the changes were saved, but could not be copied from "
                    f"its journal {self.path.name}-wal into the workspace file: {why}. They are "
                    f"safe in {self.path.name}-wal: keep that file beside the workspace (copy "
                    "both together), free some disk space, then open the workspace again to "
                    "finish.")
        return None

    def _release_lock(self) -> None:
        key, self._lock_key = self._lock_key, None
        _release_shared(key)

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()
        if exc_type is None and self.close_problem:
            raise WorkspaceCheckpointError(self.close_problem)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # ------------------------------------------------------------------ opening
    def _check_file(self) -> None:
        try:
            fd = _lock_fd(self._lock_key)
            if fd is not None:   # read through the lock's descriptor (see the file locks)
                head = os.pread(fd, 100, 0)
            else:
                with open(self.path, "rb") as fh:
                    head = fh.read(100)
        except OSError as exc:
            raise WorkspaceError(f"{self.path}: cannot be read ({exc.strerror}).") from exc
        if len(head) == 0:
            raise NotAWorkspaceError(
                f"{self.path}: the file is empty, so it is not an acctdesk workspace."
            )
        if head.startswith(_SQLITE_MAGIC):
            self._key = None  # a plain workspace needs no key
        else:
            if self._key is not None:
                return  # SQLCipher checks the key (and the application id after it)
            found = _key_finder(self.path) if _key_finder is not None else None
            if found is not None:
                self._key, self.key_location = found
                return
            raise NotAWorkspaceError(
                f"{self.path}: not an acctdesk workspace (it is not a SQLite database). "
                "To bring a CSV or Excel export in, import it into a workspace instead. "
                f"(If it is an encrypted workspace, its key file {self.path.name}.key is "
                "missing.)"
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
        if self._key is not None and not new:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise NotAWorkspaceError(
                    f"{self.path}: an encrypted SQLite database, but not an acctdesk "
                    f"workspace (application id {app_id:#x})."
                )
        if version > SCHEMA_VERSION:
            raise WorkspaceTooNewError(
                f"{self.path}: made by a newer acctdesk (schema {version}; this app knows up "
                f"to {SCHEMA_VERSION}). Update acctdesk to open it; the file was not changed."
            )
        if not new and (self._check_on_open or version != SCHEMA_VERSION):
            check = conn.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise WorkspaceDamagedError(damaged_message(self.path, check))
        if version == SCHEMA_VERSION:
            return
        if not new:
            self.backups.append(self.backup(f"v{version}"))
        self._begin(conn)
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
                     ("name", self.path.stem), (WORKSPACE_ID_KEY, uuid.uuid4().hex)],
                )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if new:
            # the header (application id) lives in the WAL until a checkpoint: write it to
            # the file now, so another process can recognise the new workspace at once
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

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
        try:
            if self._key is not None:
                # same key, same key file: the backup is as protected as the workspace
                dest = _sqlcipher().connect(str(target))
                dest.execute("PRAGMA cipher_log_level = NONE")
                dest.execute(f"PRAGMA key = \"x'{self._key.hex()}'\"")
                key_file = self.path.with_name(self.path.name + ".key")
                if key_file.exists():
                    kf_target = target.with_name(target.name + ".key")
                    fd = os.open(kf_target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(key_file.read_bytes())
            else:
                dest = sqlite3.connect(target)
            try:
                self.conn.backup(dest)
            finally:
                dest.close()
        except BaseException:
            for p in (target, target.with_name(target.name + ".key")):
                with contextlib.suppress(OSError):
                    p.unlink()
            raise
        return target

    def list_backups(self, tag: str | None = None) -> list[Path]:
        """This workspace's backup files (oldest first), optionally only one tag's."""
        prefix = f"{self.path.name}.bak-" + (f"{tag}-" if tag else "")
        found = [p for p in self.path.parent.glob(f"{glob_escape(prefix)}*")
                 if not p.name.endswith((".key", "-wal", "-shm", "-journal"))]
        return sorted(found, key=lambda p: (p.stat().st_mtime, p.name))

    def rotate_backups(self, keep: int = 5, tag: str = "auto") -> tuple[Path | None, list[Path]]:
        """Make a backup tagged ``tag`` and delete the oldest of that tag beyond ``keep``.

        Called when the app opens a workspace (``keep`` from the settings). Backups with other
        tags (before a migration, before encrypting) are never deleted here. ``keep=0`` makes
        no backup and deletes the tag's old ones. Returns (new backup or None, deleted files).
        """
        if keep < 0:
            raise ValueError("keep must be 0 or more")
        made = self.backup(tag) if keep > 0 else None
        old = self.list_backups(tag)
        removed: list[Path] = []
        for p in old[: max(0, len(old) - keep)]:
            for q in (p, p.with_name(p.name + ".key")):
                with contextlib.suppress(FileNotFoundError):
                    q.unlink()
            removed.append(p)
        return made, removed

    def integrity_check(self, *, limit: int = 20) -> list[str]:
        """Run ``PRAGMA integrity_check`` (and SQLCipher's page HMAC check when encrypted).

        Returns the problems found, ``[]`` when the file is sound.
        """
        rows = [r[0] for r in self.conn.execute(f"PRAGMA integrity_check({int(limit)})")]
        problems = [] if rows == ["ok"] else rows
        if self._key is not None:
            problems += [str(r[0]) for r in self.conn.execute("PRAGMA cipher_integrity_check")]
        return problems

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and truncate it (e.g. after an erasure)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM _migrations ORDER BY rowid")]

    # ------------------------------------------------------------------ writing
    @contextlib.contextmanager
    def transaction(self, *, derived: bool = False) -> Iterator[sqlite3.Connection]:
        """Run a block as one transaction: all of it is written, or none of it.

        Nested use becomes a savepoint, so a helper that opens its own transaction can be
        called inside a larger one. A transaction that changed anything moves the data
        version (:meth:`data_version`) as part of its commit, unless the outermost block is
        ``derived``: it only stores what was computed from the data (a trained model, stored
        results), which must not make those results stale.
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
        self._begin(conn)
        changes = conn.total_changes
        try:
            yield conn
            if not derived and conn.total_changes != changes:
                _bump_data_version(conn)
        except BaseException as exc:
            with contextlib.suppress(*_db_errors()):
                conn.execute("ROLLBACK")
            storage = _storage_error(self.path, exc) if isinstance(exc, _db_errors()) else None
            if storage is not None:
                raise storage from exc
            raise
        try:
            conn.execute("COMMIT")
        except _db_errors() as exc:
            with contextlib.suppress(*_db_errors()):
                conn.execute("ROLLBACK")
            if is_locked_error(exc):
                raise WorkspaceBusyError(_busy_message(self.path)) from exc
            storage = _storage_error(self.path, exc)
            if storage is not None:
                raise storage from exc
            raise
        self._wrote = True

    def data_version(self) -> int:
        """A number that every committed change of the data moves (an import, an undo, an
        edit, a setting; not a stored model or stored results): results computed at one
        version stay valid while it is unchanged, also across processes and reopenings."""
        value = self.get_meta(DATA_VERSION_KEY)
        return int(value) if value and value.isdigit() else 0

    def data_key(self) -> tuple[int, str]:
        """(:meth:`data_version`, the random stamp written with it): equal exactly when the
        data is the same, also after a backup is put back (the counter then goes back, and
        the next change gets a new stamp, never the one of the change it replaces)."""
        rows = dict(self.conn.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)",
            (DATA_VERSION_KEY, DATA_STAMP_KEY)).fetchall())
        value = rows.get(DATA_VERSION_KEY)
        return (int(value) if value and value.isdigit() else 0, rows.get(DATA_STAMP_KEY) or "")

    def identity(self) -> str:
        """Who this workspace is, for caches: its file and the id written when it was created
        (or first changed), so a new file at the same path is another workspace."""
        return f"{self.path}|{self.get_meta(WORKSPACE_ID_KEY) or self.get_meta('created_at')}"

    def _begin(self, conn) -> None:
        """BEGIN IMMEDIATE: wait up to the busy timeout for another writer, then say so."""
        try:
            conn.execute("BEGIN IMMEDIATE")
        except _db_errors() as exc:
            if is_locked_error(exc):
                raise WorkspaceBusyError(_busy_message(self.path)) from exc
            storage = _storage_error(self.path, exc)
            if storage is not None:
                raise storage from exc
            raise

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
        """Append one entry to the audit log (inside the caller's transaction, if any),
        chained to the entry before it (:mod:`acctdesk.models.audit`)."""
        from .audit import append_entry

        with self.transaction() as conn:
            append_entry(conn, now_iso(), current_user(), action, entity, entity_id,
                         None if before is None else json.dumps(before, default=str),
                         None if after is None else json.dumps(after, default=str), detail)

    # ------------------------------------------------------------------ reading
    def frame(self, sql: str, params: Sequence[Any] = (), *, objects: bool = False
              ) -> pd.DataFrame:
        """Run a query and return its rows as a DataFrame (columns from the cursor).

        ``objects=True`` keeps every column as the Python values SQLite returned (``object``
        dtype, None for NULL) instead of letting pandas infer types: about 3x faster to build
        for 100k rows of text, which is what a table on screen needs.
        """
        cur = self.conn.execute(sql, params)
        cols = [d[0] for d in cur.description]
        if not objects:
            return _records_frame(cur, cols)
        # the cyclic garbage collector would walk every live object many times while 100k
        # row tuples are made (a fifth of the read in a busy app); nothing here makes cycles
        paused = gc.isenabled()
        gc.disable()
        try:
            rows = cur.fetchall()
            grid = np.empty((len(rows), len(cols)), dtype=object)
            if rows:
                grid[:] = rows                  # one pass in C, rows to a 2-D object grid
            del rows
        finally:
            if paused:
                gc.enable()
        data = {name: pd.Series(grid[:, j].copy(), dtype=object, copy=False)
                for j, name in enumerate(cols)}
        return pd.DataFrame(data, columns=cols, copy=False)

    def _entity(self, table: str, where: str = "", params: Sequence[Any] = (),
                order: str = "", objects: bool = False,
                columns: Sequence[str] | None = None) -> pd.DataFrame:
        cols = ENTITY_FIELDS[table]
        if columns is not None:
            cols = [c for c in cols if c in set(columns)]
        sql = f"SELECT {', '.join(cols)} FROM {table}"
        if where:
            sql += f" WHERE {where}"
        if order:
            sql += f" ORDER BY {order}"
        return self.frame(sql, params, objects=objects)

    def accounts(self, ordered: bool = True, objects: bool = False,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
        """All accounts, one row each, ordered by name (``ordered=False``: in storage order,
        for a caller that sorts on its own; ``objects``: see :meth:`frame`; ``columns``:
        only these fields)."""
        return self._entity("accounts", order="name COLLATE NOCASE, account_id" if ordered
                            else "", objects=objects, columns=columns)

    def account(self, account_id: str) -> pd.DataFrame:
        """The account ``account_id`` (one row, or none when there is no such account)."""
        return self._entity("accounts", "account_id = ?", (account_id,))

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

    def opportunities(self, account_id: str | None = None) -> pd.DataFrame:
        """CRM deals: pipeline (stage, amount, close date, won/lost/open), never revenue."""
        if account_id is None:
            return self._entity("opportunities", order="close_date")
        return self._entity("opportunities", "account_id = ?", (account_id,), "close_date")

    def account_links(self, account_id: str) -> pd.DataFrame:
        """Every id other systems use for the account (its links in the identity graph):
        ``system``, ``kind``, ``external_id``, ``confirmed``; names confirmed by hand too."""
        return self.frame(
            "SELECT source AS system, COALESCE(kind, '') AS kind, external_id, confirmed "
            "FROM external_ids WHERE account_id = ? ORDER BY source, kind, external_id",
            (account_id,))

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
        opened or solved, a survey, an activity imported from a source system (a call the user
        logs in the app today does not move it), or a subscription or churn starting. Future
        dates a record merely announces (renewal dates, contract ends, the start of a future
        subscription, the expected close of an open deal) do not count.
        """
        fixed = self.get_meta("data_date")
        if fixed:
            return fixed
        row = self.conn.execute(
            f"""
            SELECT MAX(d) FROM (
                SELECT MAX(date) AS d FROM usage
                UNION ALL SELECT MAX(substr(created_at, 1, 10)) FROM tickets
                UNION ALL SELECT MAX(substr(solved_at, 1, 10)) FROM tickets
                UNION ALL SELECT MAX(date) FROM surveys
                UNION ALL SELECT MAX(date) FROM activities
                    WHERE COALESCE(json_extract(custom, '$.source'), '') != 'acctdesk'
                UNION ALL SELECT MAX(start_date) FROM subscriptions
                    WHERE COALESCE(status, '') NOT IN {NOT_STARTED}
                UNION ALL SELECT MAX(churn_date) FROM accounts
                UNION ALL SELECT MAX(close_date) FROM opportunities
                    WHERE status IN ('won', 'lost')
            )
            """
        ).fetchone()
        return row[0]

    def active_accounts_mask(self, accounts: pd.DataFrame, as_of: str) -> pd.Series:
        """True for accounts that are customers on ``as_of``
        (:func:`acctdesk.domain.accounts.active_mask`, the one rule)."""
        return active_mask(accounts, as_of)

    @staticmethod
    def churned_mask(accounts: pd.DataFrame, as_of: str | None) -> pd.Series:
        """True for accounts churned on ``as_of``: a churn date on or before it, or marked
        churned without a date (the count :meth:`account_summary` gives, the rows the
        Accounts view leaves out by default; :func:`acctdesk.domain.accounts.churned_mask`,
        the one rule)."""
        return churned_mask(accounts, as_of or "")

    def account_summary(self, accounts: pd.DataFrame | None = None) -> dict[str, Any]:
        """Name, currency, data date and the account counts of the workspace.

        ``accounts`` (any frame with ``arr``, ``status``, ``churn_date`` and
        ``contract_start``, e.g. the one a caller already read) saves reading them again.
        Active = a customer on the data date (:meth:`active_accounts_mask`); churned = a
        churn date on or before it; ``arr_active`` = the sum of the active accounts' ARR.
        """
        data_date = self.data_date()
        if accounts is None:
            accounts = self.frame(
                "SELECT account_id, arr, status, churn_date, contract_start FROM accounts")
        if len(accounts):
            # a book with no dated data yet (a CRM list alone) is as of today
            active = self.active_accounts_mask(accounts, data_date or now_iso()[:10])
        else:
            active = pd.Series(False, index=accounts.index)
        churned = churned_mask(accounts, data_date or "")
        arr = pd.to_numeric(accounts["arr"], errors="coerce").fillna(0)
        return {
            "workspace": str(self.path),
            "name": self.get_meta("name"),
            "currency": self.get_meta("currency"),
            "accounts": int(len(accounts)),
            "active_accounts": int(active.sum()),
            "churned_accounts": int(churned.sum()),
            "arr_active": round(float(arr[active.to_numpy(dtype=bool)].sum()), 2),
            "data_date": data_date,
        }

    def summary(self) -> dict[str, Any]:
        """The counts ``acctdesk info`` prints."""
        return {
            **self.account_summary(),
            "subscriptions": self.count("subscriptions"),
            "usage_rows": self.count("usage"),
            "tickets": self.count("tickets"),
            "surveys": self.count("surveys"),
            "contacts": self.count("contacts"),
            "activities": self.count("activities"),
            "opportunities": self.count("opportunities"),
            "import_batches": self.conn.execute(
                "SELECT COUNT(*) FROM import_batches WHERE status = 'applied'").fetchone()[0],
            "schema_version": self.schema_version,
        }


#: rows per piece when a query's rows become a DataFrame (see :func:`_records_frame`)
FRAME_CHUNK = 25_000


def _records_frame(cur: sqlite3.Cursor, cols: list[str]) -> pd.DataFrame:
    """The cursor's rows as a DataFrame: ``DataFrame.from_records`` over pieces of
    :data:`FRAME_CHUNK` rows, then one ``concat``.

    Same values and dtypes as one ``from_records`` over all rows, but no single step holds
    Python's interpreter lock for long: building a frame of 3 million usage rows in one call
    held it for over a second, and the app's window (which needs the lock to paint) froze
    while a background task did that. :func:`acctdesk.frames.concat_pieces` joins the pieces
    as one call would have typed them.
    """
    rows = cur.fetchmany(FRAME_CHUNK)
    if len(rows) < FRAME_CHUNK:
        return pd.DataFrame.from_records(rows, columns=cols)
    parts = []
    while rows:
        parts.append(pd.DataFrame.from_records(rows, columns=cols))
        rows = cur.fetchmany(FRAME_CHUNK)
    return concat_pieces(parts)


DATA_VERSION_KEY = "data_version"
#: subscription statuses that do not move the data date, as an SQL list
NOT_STARTED = "(" + ", ".join(f"'{s}'" for s in sorted(NOT_STARTED_STATUSES)) + ")"
DATA_STAMP_KEY = "data_stamp"
WORKSPACE_ID_KEY = "workspace_id"


def _bump_data_version(conn) -> None:
    """Move the data version by one and give it a new stamp (inside the caller's
    transaction)."""
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE SET "
        "value = CAST(value AS INTEGER) + 1", (DATA_VERSION_KEY,))
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                 (DATA_STAMP_KEY, uuid.uuid4().hex[:16]))
    conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)",
                 (WORKSPACE_ID_KEY, uuid.uuid4().hex))


def _check_identifier(name: str) -> None:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain SQL identifier: {name!r}")
