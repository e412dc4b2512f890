"""Backups of a workspace: list them, check them, put one back in place of a damaged file.

A workspace's backups sit beside it, named ``NAME.acctdesk.bak-<tag>-<time>`` (rotating
ones made by the app, one before each migration, before encrypting or decrypting, before an
erasure if the user made one). A backup of an encrypted workspace has its own copy of the
key file (``<backup>.key``) and opens with the same key.

:func:`check_backup` opens a backup read-only and runs ``PRAGMA integrity_check`` (and the
page HMAC check when encrypted); :func:`restore_backup` holds the workspace exclusively (no
window or command has it open meanwhile), keeps the file it replaces beside it
(``NAME.acctdesk.damaged-<time>``, with its journal files), copies the backup into place and
records a ``restore`` entry in the audit trail. Nothing here imports Qt.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .schema import SCHEMA_VERSION
from .workspace import (
    APPLICATION_ID, SQLITE_MAGIC, Workspace, WorkspaceError, exclusive_lock, sqlcipher_module,
)

__all__ = ["BackupInfo", "RestoreResult", "RestoreError", "list_backups", "check_backup",
           "newest_good_backup", "restore_backup"]

_SKIP = (".key", "-wal", "-shm", "-journal")


class RestoreError(WorkspaceError):
    """A backup cannot be restored (none good, not a backup, damaged); nothing was changed."""


@dataclass
class BackupInfo:
    path: Path
    made: dt.datetime
    size: int
    ok: bool
    problem: str | None = None
    encrypted: bool = False
    schema_version: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "name": self.path.name,
                "made": self.made.replace(microsecond=0).isoformat(), "size": self.size,
                "ok": self.ok, "problem": self.problem, "encrypted": self.encrypted,
                "schema_version": self.schema_version}

    def describe(self) -> str:
        when = self.made.strftime("%Y-%m-%d %H:%M")
        state = "good" if self.ok else f"NOT usable: {self.problem}"
        return f"{self.path.name} (made {when}, {self.size / 1e6:,.1f} MB): {state}"


@dataclass
class RestoreResult:
    workspace: Path
    backup: BackupInfo
    kept_as: Path | None

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": str(self.workspace), "backup": self.backup.as_dict(),
                "kept_as": None if self.kept_as is None else str(self.kept_as)}


def list_backups(ws_path: str | os.PathLike) -> list[Path]:
    """The backup files of a workspace, newest first (the workspace need not open)."""
    ws_path = Path(ws_path).expanduser().resolve()
    prefix = f"{ws_path.name}.bak-"
    found = [p for p in ws_path.parent.glob(f"{glob_escape(prefix)}*")
             if p.is_file() and not p.name.endswith(_SKIP)]
    return sorted(found, key=lambda p: (p.stat().st_mtime, p.name), reverse=True)


def _ro_uri(path: Path) -> str:
    return f"file:{quote(str(path))}?mode=ro&immutable=1"


def check_backup(path: str | os.PathLike, *, keys: dict[str, bytes] | None = None
                 ) -> BackupInfo:
    """Open a backup read-only and check it (integrity, and that it is an acctdesk workspace
    this version can open). Never raises for a bad backup: ``ok`` and ``problem`` say.

    ``keys`` caches unwrapped keys by key-file content, so a passphrase is asked for once
    for all backups of one workspace.
    """
    path = Path(path)
    st = path.stat()
    info = BackupInfo(path, dt.datetime.fromtimestamp(st.st_mtime), st.st_size, False)
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        info.problem = f"cannot be read ({exc.strerror})"
        return info
    if not head:
        info.problem = "the file is empty"
        return info
    conn = None
    try:
        if head.startswith(SQLITE_MAGIC):
            conn = sqlite3.connect(_ro_uri(path), uri=True)
        else:
            info.encrypted = True
            key = _backup_key(path, keys)
            conn = sqlcipher_module().connect(_ro_uri(path), uri=True)
            conn.execute("PRAGMA cipher_log_level = NONE")
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            info.problem = "not an acctdesk workspace"
            return info
        info.schema_version = conn.execute("PRAGMA user_version").fetchone()[0]
        if info.schema_version > SCHEMA_VERSION:
            info.problem = "made by a newer acctdesk"
            return info
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check(5)")]
        if info.encrypted:
            rows += [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
        if rows != ["ok"]:
            info.problem = f"damaged ({'; '.join(r for r in rows if r != 'ok')[:200]})"
            return info
        info.ok = True
    except WorkspaceError as exc:
        info.problem = str(exc)
    except Exception as exc:  # noqa: BLE001 - a bad backup is reported, not raised
        detail = str(exc).strip()[:200]
        damaged = any(w in detail.lower() for w in ("malformed", "corrupt", "not a database"))
        info.problem = f"damaged ({detail})" if damaged else f"cannot be opened ({detail})"
    finally:
        if conn is not None:
            conn.close()
    return info


def _backup_key(path: Path, keys: dict[str, bytes] | None) -> bytes:
    from .crypto import key_file_path, load_key

    kf = key_file_path(path)
    if not kf.exists():
        raise RestoreError(f"it is encrypted and its key file {kf.name} is missing")
    digest = hashlib.sha256(kf.read_bytes()).hexdigest()
    if keys is not None and digest in keys:
        return keys[digest]
    key, _loc = load_key(path)
    if keys is not None:
        keys[digest] = key
    return key


def newest_good_backup(ws_path: str | os.PathLike, *, keys: dict[str, bytes] | None = None
                       ) -> tuple[BackupInfo | None, list[BackupInfo]]:
    """(the newest backup that passes its check or None, every backup checked up to it)."""
    checked: list[BackupInfo] = []
    keys = {} if keys is None else keys
    for p in list_backups(ws_path):
        info = check_backup(p, keys=keys)
        checked.append(info)
        if info.ok:
            return info, checked
    return None, checked


def _resolve(ws_path: Path, backup: str | os.PathLike) -> Path:
    p = Path(backup).expanduser()
    if not p.is_absolute() and not p.exists():
        p = ws_path.parent / p
    return p.resolve()


def restore_backup(ws_path: str | os.PathLike, backup: str | os.PathLike | None = None
                   ) -> RestoreResult:
    """Put a backup in place of the workspace (the newest good one when ``backup`` is None).

    The backup is checked first and refused when it is not good. The file it replaces is
    kept beside it as ``NAME.damaged-<time>`` (with its journal files and key file). Raises
    :class:`RestoreError` (nothing changed) or WorkspaceBusyError when a window or command has
    the workspace open.
    """
    ws_path = Path(ws_path).expanduser().resolve()
    keys: dict[str, bytes] = {}
    if backup is None:
        info, checked = newest_good_backup(ws_path, keys=keys)
        if info is None:
            if not checked:
                raise RestoreError(
                    f"{ws_path.name} has no backups beside it (files named {ws_path.name}.bak-*)."
                    " Re-import the exports into a new workspace instead.")
            raise RestoreError(
                f"none of the {len(checked)} backups of {ws_path.name} is usable ("
                + "; ".join(b.describe() for b in checked[:3]) + "). Nothing was changed; "
                "re-import the exports into a new workspace instead.")
    else:
        path = _resolve(ws_path, backup)
        if not path.is_file():
            raise RestoreError(f"{path}: no such backup file. Run 'acctdesk restore "
                               f"{ws_path.name}' to list the backups.")
        info = check_backup(path, keys=keys)
        if not info.ok:
            raise RestoreError(f"{path.name} cannot be restored: it is {info.problem}. Nothing "
                               "was changed; choose another backup ('acctdesk restore "
                               f"{ws_path.name}' lists them).")
    from .crypto import key_file_path

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = ws_path.with_name(f"{ws_path.name}.damaged-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = ws_path.with_name(f"{ws_path.name}.damaged-{stamp}-{n}")
    tmp = ws_path.with_name(f".{ws_path.name}.restore-{os.getpid()}")
    ws_key, backup_key = key_file_path(ws_path), key_file_path(info.path)
    held = exclusive_lock(ws_path) if ws_path.exists() else contextlib.nullcontext()
    with held:
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        try:
            with os.fdopen(fd, "wb") as out, open(info.path, "rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        kept_as = None
        if ws_path.exists():
            os.replace(ws_path, kept)
            kept_as = kept
        for suffix in ("-wal", "-shm", "-journal"):
            side = ws_path.with_name(ws_path.name + suffix)
            if side.exists():
                os.replace(side, kept.with_name(kept.name + suffix))
        if ws_key.exists():
            shutil.copy2(ws_key, kept.with_name(kept.name + ".key"))
            if not info.encrypted:
                ws_key.unlink()
        if info.encrypted:
            data = backup_key.read_bytes()
            kfd = os.open(ws_key, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
            with os.fdopen(kfd, "wb") as fh:
                fh.write(data)
        os.replace(tmp, ws_path)
    key = None
    if info.encrypted:
        key = keys.get(hashlib.sha256(backup_key.read_bytes()).hexdigest())
    with Workspace(ws_path, key=key) as ws:
        ws.audit("restore", "workspace", detail=(
            f"restored from {info.path.name}" + (f"; the file it replaced is kept as "
                                                  f"{kept_as.name}" if kept_as else "")))
    return RestoreResult(ws_path, info, kept_as)
