"""Encryption at rest: workspace keys, where they live, and encrypting or decrypting a file.

An encrypted workspace is a SQLCipher 4 database (``sqlcipher3``: AES-256 pages with an
HMAC-SHA512 per page) opened with a random 256-bit **raw** key, so no key derivation runs on
every open. The key never sits in the workspace file. It lives in one of two places, and a
small *key file* beside the workspace (``NAME.acctdesk.key``, mode 0600, JSON) says which:

* ``"store": "keychain"`` — the key is in the operating system's keychain (macOS Keychain,
  Windows Credential Locker, Secret Service) through ``keyring``, service ``acctdesk``,
  account ``workspace-<uuid>``; the key file holds only that reference, no secret. A keyring
  backend counts as a keychain only when its priority is at least 1 (the plaintext and
  "fail" backends are below 1).
* ``"store": "passphrase"`` — no usable keychain (or the user chose a passphrase): the key is
  wrapped with AES-256-GCM under a key derived from the user's passphrase with scrypt
  (N=2^17, r=8, p=1, 16-byte random salt, 12-byte random nonce, the workspace id as
  associated data). The key file holds salt, nonce and ciphertext; the passphrase is never
  stored. The app asks for it in a dialog (:func:`set_passphrase_provider`); the command line
  reads it from ``--passphrase-file FILE`` (or ``ACCTDESK_PASSPHRASE_FILE``), or asks on the
  terminal when there is one.

Keep the key file with the workspace (copy both to move or restore it). A backup of an
encrypted workspace is encrypted with the same key and gets its own copy of the key file.

Nothing here imports Qt.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import sqlite3
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .workspace import (
    APPLICATION_ID, NotAWorkspaceError, Workspace, WorkspaceBusyError, WorkspaceEncryptedError,
    WorkspaceError, WorkspaceKeyError, SQLITE_MAGIC, exclusive_lock, is_locked_error, now_iso,
    set_key_finder, sqlcipher_module,
)

__all__ = [
    "SERVICE", "KEY_FILE_SUFFIX", "KEY_BYTES", "KeyLocation", "ConversionResult",
    "keychain_available", "keychain_name", "key_file_path", "is_encrypted", "key_location",
    "new_key", "wrap_key", "unwrap_key", "store_key", "load_key", "delete_key",
    "set_passphrase_provider", "read_passphrase_file", "use_passphrase_file",
    "create_workspace", "encrypt_workspace", "decrypt_workspace", "open_workspace",
]

SERVICE = "acctdesk"
KEY_FILE_SUFFIX = ".key"
KEY_BYTES = 32
KEY_FILE_FORMAT = "acctdesk-workspace-key"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 17, 8, 1
MIN_PASSPHRASE = 8
PASSPHRASE_ENV = "ACCTDESK_PASSPHRASE_FILE"

#: ``provider(workspace_path, prompt, new) -> passphrase or None`` (None = the user cancelled).
PassphraseProvider = Callable[[Path, str, bool], "str | None"]
_provider: PassphraseProvider | None = None


# ------------------------------------------------------------------------------ where keys live
@dataclass
class KeyLocation:
    """Where one workspace's key lives (what the UI and ``acctdesk encrypt`` report)."""

    store: str  # "keychain" or "passphrase"
    key_file: Path
    account: str | None = None  # keychain account (service is SERVICE)
    keychain: str | None = None  # the keychain backend's name when stored there
    workspace_id: str | None = None

    def describe(self) -> str:
        if self.store == "keychain":
            return (f"the system keychain ({self.keychain or 'keyring'}; service '{SERVICE}', "
                    f"account '{self.account}'), referenced by {self.key_file.name}")
        return (f"{self.key_file.name} beside the workspace, wrapped with your passphrase "
                "(scrypt + AES-256-GCM); without the passphrase the data cannot be read")

    def as_dict(self) -> dict[str, Any]:
        return {"store": self.store, "key_file": str(self.key_file), "service": SERVICE
                if self.store == "keychain" else None, "account": self.account,
                "keychain": self.keychain, "description": self.describe()}


def key_file_path(workspace_path: str | os.PathLike) -> Path:
    p = Path(workspace_path).expanduser().resolve()
    return p.with_name(p.name + KEY_FILE_SUFFIX)


def is_encrypted(workspace_path: str | os.PathLike) -> bool:
    """True when the file exists, is not empty and is not a plain SQLite file."""
    p = Path(workspace_path)
    try:
        with open(p, "rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError:
        return False
    return bool(head) and head != SQLITE_MAGIC


def _read_key_file(workspace_path: Path) -> dict[str, Any] | None:
    kf = key_file_path(workspace_path)
    if not kf.exists():
        return None
    try:
        data = json.loads(kf.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WorkspaceKeyError(
            f"{kf}: the workspace's key file cannot be read ({exc}). Restore it from the copy "
            "you keep with your backups.") from exc
    if not isinstance(data, dict) or data.get("format") != KEY_FILE_FORMAT:
        raise WorkspaceKeyError(f"{kf}: not an acctdesk key file.")
    return data


def key_location(workspace_path: str | os.PathLike) -> KeyLocation | None:
    """Where the key of an encrypted workspace lives (None when it has no key file)."""
    data = _read_key_file(Path(workspace_path).expanduser().resolve())
    if data is None:
        return None
    return KeyLocation(store=data["store"], key_file=key_file_path(workspace_path),
                       account=data.get("account"), keychain=data.get("keychain"),
                       workspace_id=data.get("workspace_id"))


def _write_private(path: Path, text: str) -> None:
    """Write a 0600 file atomically (temporary file in the same folder, fsync, rename)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# ------------------------------------------------------------------------------ keychain
def keychain_name() -> str:
    import keyring

    kr = keyring.get_keyring()
    return getattr(kr, "name", type(kr).__name__)


def keychain_available() -> bool:
    """A real keychain: the active keyring backend has priority >= 1 (not fail/null/plaintext)."""
    try:
        import keyring

        kr = keyring.get_keyring()
        return float(getattr(kr, "priority", 0)) >= 1
    except Exception:
        return False


def _keychain_set(account: str, key: bytes) -> None:
    import keyring

    keyring.set_password(SERVICE, account, key.hex())
    if keyring.get_password(SERVICE, account) != key.hex():  # some backends fail silently
        raise RuntimeError("the keychain did not keep the key")


def _keychain_get(account: str) -> str | None:
    import keyring

    return keyring.get_password(SERVICE, account)


# ------------------------------------------------------------------------------ wrapping
def new_key() -> bytes:
    """A random 256-bit key from the OS's CSPRNG."""
    return secrets.token_bytes(KEY_BYTES)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _aad(workspace_id: str) -> bytes:
    return f"{KEY_FILE_FORMAT}:1:{workspace_id}".encode("utf-8")


def wrap_key(key: bytes, passphrase: str, workspace_id: str) -> dict[str, Any]:
    """Encrypt ``key`` under ``passphrase`` (scrypt -> AES-256-GCM); returns the key-file fields."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    kek = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(
        passphrase.encode("utf-8"))
    ct = AESGCM(kek).encrypt(nonce, key, _aad(workspace_id))
    return {"kdf": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P, "salt": _b64(salt),
            "cipher": "AES-256-GCM", "nonce": _b64(nonce), "ciphertext": _b64(ct)}


def unwrap_key(data: dict[str, Any], passphrase: str, *, name: str = "the workspace") -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    try:
        salt, nonce = base64.b64decode(data["salt"]), base64.b64decode(data["nonce"])
        ct = base64.b64decode(data["ciphertext"])
        n, r, p = int(data["n"]), int(data["r"]), int(data["p"])
    except (KeyError, ValueError, TypeError) as exc:
        raise WorkspaceKeyError(f"the key file of {name} is damaged ({exc}).") from exc
    if not (2 <= n <= 2 ** 22 and 1 <= r <= 32 and 1 <= p <= 16):
        raise WorkspaceKeyError(f"the key file of {name} has unsafe scrypt settings.")
    kek = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))
    try:
        key = AESGCM(kek).decrypt(nonce, ct, _aad(str(data.get("workspace_id"))))
    except InvalidTag:
        raise WorkspaceKeyError(
            f"wrong passphrase for {name}: it does not unlock the workspace key. "
            "Nothing was changed; try again.") from None
    if len(key) != KEY_BYTES:
        raise WorkspaceKeyError(f"the key file of {name} holds a key of the wrong size.")
    return key


# ------------------------------------------------------------------------------ passphrases
def set_passphrase_provider(provider: PassphraseProvider | None) -> None:
    """Install how a passphrase is asked for (the app: a dialog; None: no asking).

    ``provider(workspace_path, prompt, new)`` returns the passphrase, or None when the user
    cancels. ``new`` is True when a new passphrase is being chosen (ask twice).
    """
    global _provider
    _provider = provider


def read_passphrase_file(path: str | os.PathLike) -> str:
    """The passphrase in a file: its first line without the line ending."""
    p = Path(path).expanduser()
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise WorkspaceKeyError(f"{p}: the passphrase file cannot be read ({exc.strerror}).") \
            from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WorkspaceKeyError(f"{p}: the passphrase file is not UTF-8 text.") from None
    line = text.splitlines()[0] if text.splitlines() else ""
    if not line:
        raise WorkspaceKeyError(f"{p}: the passphrase file is empty.")
    return line


def use_passphrase_file(path: str | os.PathLike | None) -> None:
    """Read passphrases from ``path`` for the rest of this process (the CLI's --passphrase-file)."""
    if path is None:
        return
    passphrase = read_passphrase_file(path)
    set_passphrase_provider(lambda _ws, _prompt, _new: passphrase)


def _terminal_passphrase(ws_path: Path, prompt: str, new: bool) -> str | None:
    import getpass

    first = getpass.getpass(f"{prompt}: ")
    if new:
        again = getpass.getpass("Type it again: ")
        if again != first:
            raise WorkspaceKeyError("the two passphrases differ; nothing was changed.")
    return first


def _ask_passphrase(ws_path: Path, prompt: str, *, new: bool,
                    passphrase: str | None = None, interactive: bool = False) -> str:
    if passphrase is None:
        if _provider is not None:
            passphrase = _provider(ws_path, prompt, new)
            if passphrase is None:
                raise WorkspaceEncryptedError(f"{ws_path.name}: cancelled; nothing was changed.")
        elif os.environ.get(PASSPHRASE_ENV):
            passphrase = read_passphrase_file(os.environ[PASSPHRASE_ENV])
        elif interactive and sys.stdin is not None and sys.stdin.isatty():
            passphrase = _terminal_passphrase(ws_path, prompt, new)
    if not passphrase:
        raise WorkspaceEncryptedError(
            f"{ws_path}: {'a new' if new else 'the'} passphrase is needed "
            f"({'no keychain is available to hold the key' if new else 'the workspace key is wrapped with a passphrase'}). "
            "Give it with --passphrase-file FILE (first line of the file).")
    if new and len(passphrase) < MIN_PASSPHRASE:
        raise WorkspaceKeyError(
            f"the passphrase is too short: use at least {MIN_PASSPHRASE} characters "
            "(a few words are best). Nothing was changed.")
    return passphrase


# ------------------------------------------------------------------------------ store / load
def store_key(workspace_path: str | os.PathLike, key: bytes, *, passphrase: str | None = None,
              key_store: str = "auto", interactive: bool = False,
              workspace_id: str | None = None,
              key_file: Path | None = None) -> tuple[KeyLocation, list[str]]:
    """Put ``key`` where it will live and write the key file; returns (location, notes).

    ``key_store``: ``auto`` (the keychain when a real one works, else a passphrase),
    ``keychain`` (fail if there is none) or ``passphrase``.
    """
    ws_path = Path(workspace_path).expanduser().resolve()
    wid = workspace_id or str(uuid.uuid4())
    notes: list[str] = []
    record: dict[str, Any] = {"format": KEY_FILE_FORMAT, "version": 1, "workspace_id": wid,
                              "created_at": now_iso()}
    if key_store not in ("auto", "keychain", "passphrase"):
        raise ValueError(f"unknown key store {key_store!r}")
    use_keychain = key_store in ("auto", "keychain") and keychain_available()
    if key_store == "keychain" and not use_keychain:
        raise WorkspaceKeyError(
            "no system keychain is available here; use a passphrase instead. Nothing was changed.")
    if use_keychain:
        account = f"workspace-{wid}"
        try:
            _keychain_set(account, key)
        except Exception as exc:  # keyring.errors.KeyringError, locked, D-Bus trouble...
            if key_store == "keychain":
                raise WorkspaceKeyError(
                    f"the system keychain refused the key ({exc}). Nothing was changed.") from exc
            notes.append(f"the system keychain failed ({type(exc).__name__}: {exc}); "
                         "the key is wrapped with a passphrase instead")
        else:
            record.update(store="keychain", account=account, keychain=keychain_name())
    if "store" not in record:
        phrase = _ask_passphrase(ws_path, f"Choose a passphrase for {ws_path.name}", new=True,
                                 passphrase=passphrase, interactive=interactive)
        record.update(store="passphrase", **wrap_key(key, phrase, wid))
    kf = key_file or key_file_path(ws_path)
    _write_private(kf, json.dumps(record, indent=2) + "\n")
    return KeyLocation(store=record["store"], key_file=kf, account=record.get("account"),
                       keychain=record.get("keychain"), workspace_id=wid), notes


def load_key(workspace_path: str | os.PathLike, *, passphrase: str | None = None,
             interactive: bool = False) -> tuple[bytes, KeyLocation]:
    """The key of an encrypted workspace, from the keychain or by unwrapping with a passphrase."""
    ws_path = Path(workspace_path).expanduser().resolve()
    data = _read_key_file(ws_path)
    if data is None:
        raise WorkspaceEncryptedError(
            f"{ws_path}: the workspace is encrypted but its key file "
            f"{key_file_path(ws_path).name} is missing. Put the key file back beside it "
            "(it travels with the workspace and its backups).")
    loc = KeyLocation(store=data.get("store", "?"), key_file=key_file_path(ws_path),
                      account=data.get("account"), keychain=data.get("keychain"),
                      workspace_id=data.get("workspace_id"))
    if loc.store == "keychain":
        try:
            hexkey = _keychain_get(str(loc.account))
        except Exception as exc:
            raise WorkspaceEncryptedError(
                f"{ws_path.name}: the system keychain could not be read ({type(exc).__name__}:"
                f" {exc}). Unlock the keychain and try again; nothing was changed.") from exc
        if not hexkey:
            raise WorkspaceKeyError(
                f"{ws_path.name}: the key is not in this computer's keychain (service "
                f"'{SERVICE}', account '{loc.account}'). Open it on the computer that "
                "encrypted it, or restore the keychain entry.")
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise WorkspaceKeyError(f"{ws_path.name}: the keychain entry is not a workspace key.")
        return key, loc
    if loc.store == "passphrase":
        phrase = _ask_passphrase(ws_path, f"Passphrase for {ws_path.name}", new=False,
                                 passphrase=passphrase, interactive=interactive)
        return unwrap_key(data, phrase, name=ws_path.name), loc
    raise WorkspaceKeyError(f"{loc.key_file}: unknown key store {loc.store!r}.")


def delete_key(location: KeyLocation) -> None:
    """Remove a key from the keychain (the key file is removed by the caller)."""
    if location.store == "keychain" and location.account:
        import keyring

        with contextlib.suppress(Exception):
            keyring.delete_password(SERVICE, location.account)


# ------------------------------------------------------------------------------ operations
@dataclass
class ConversionResult:
    path: Path
    encrypted: bool
    backup: Path
    location: KeyLocation | None
    counts: dict[str, int]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": str(self.path), "encrypted": self.encrypted,
                "backup": str(self.backup),
                "key": None if self.location is None else self.location.as_dict(),
                "counts": self.counts, "notes": self.notes}


def _table_counts(conn) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {n: conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0] for n in names}


def _make_exclusive(conn, ws_path: Path) -> None:
    """Fold the WAL into the file and lock it against every other connection until ``conn``
    closes (rollback journal, exclusive locking mode: nobody else can even read it)."""
    busy = WorkspaceBusyError(
        f"{ws_path.name} is open in another acctdesk window or command. Close it there "
        "and try again; nothing was changed.")
    try:
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise busy
        conn.execute("PRAGMA locking_mode = EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    except WorkspaceBusyError:
        raise
    except Exception as exc:
        if is_locked_error(exc):
            raise busy from exc
        raise
    if str(mode).lower() != "delete":
        raise busy


def _export(src_conn, target: Path, key_sql: str) -> None:
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    version = src_conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = src_conn.execute("PRAGMA application_id").fetchone()[0]
    src_conn.execute(f"ATTACH DATABASE ? AS convert_target KEY {key_sql}", (str(target),))
    try:
        src_conn.execute("SELECT sqlcipher_export('convert_target')")
        src_conn.execute(f"PRAGMA convert_target.user_version = {int(version)}")
        src_conn.execute(f"PRAGMA convert_target.application_id = {int(app_id)}")
    finally:
        src_conn.execute("DETACH DATABASE convert_target")


def _cleanup(*paths: Path) -> None:
    for p in paths:
        for q in (p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm"),
                  p.with_name(p.name + "-journal")):
            with contextlib.suppress(OSError):
                q.unlink()


def _backup_path(ws_path: Path, tag: str) -> Path:
    import datetime as dt

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = ws_path.with_name(f"{ws_path.name}.bak-{tag}-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = ws_path.with_name(f"{ws_path.name}.bak-{tag}-{stamp}-{n}")
    return target


def _key_sql(key: bytes | None) -> str:
    return f"\"x'{key.hex()}'\"" if key is not None else "''"


@contextlib.contextmanager
def _held(ws_path: Path, old_key: bytes | None):
    """The workspace held exclusively, checked, with a connection to copy it from.

    Yields ``(conn, counts)``. From here until the block ends no other acctdesk window or
    command can open it (they wait, and then open whatever is at the path); one that already
    has it open makes this refuse. Nothing is written before the checks pass.
    """
    sqlcipher = sqlcipher_module()
    with exclusive_lock(ws_path):
        identity = (os.stat(ws_path).st_dev, os.stat(ws_path).st_ino)
        conn = sqlcipher.connect(str(ws_path), isolation_level=None)
        try:
            conn.execute("PRAGMA cipher_log_level = NONE")
            if old_key is not None:
                conn.execute(f"PRAGMA key = {_key_sql(old_key)}")
            try:
                app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            except sqlcipher.DatabaseError as exc:
                if old_key is not None and "not a database" in str(exc):
                    raise WorkspaceKeyError(
                        f"{ws_path.name}: the key does not open this workspace. Nothing was "
                        "changed.") from exc
                raise
            if app_id != APPLICATION_ID:
                raise NotAWorkspaceError(f"{ws_path}: not an acctdesk workspace.")
            _make_exclusive(conn, ws_path)
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
            if old_key is not None:
                problems += [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")]
            problems = [] if problems == ["ok"] else problems
            if problems:
                raise WorkspaceError(
                    f"{ws_path.name} fails its integrity check ({problems[0]}); it was not "
                    f"converted and nothing was changed. Restore it first ('acctdesk restore "
                    f"{ws_path.name}').")
            yield conn, _table_counts(conn)
        finally:
            # a failure left the original in place: it goes back to WAL. Once replaced, the old
            # file is not touched again (WAL would create journal files beside the new one).
            with contextlib.suppress(Exception):
                st = os.stat(ws_path)
                if (st.st_dev, st.st_ino) == identity:
                    conn.execute("PRAGMA locking_mode = NORMAL")
                    conn.execute("PRAGMA journal_mode = WAL")
            conn.close()


def _swap(tmp: Path, ws_path: Path) -> None:
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(OSError):
            ws_path.with_name(ws_path.name + suffix).unlink()
    os.replace(tmp, ws_path)
    with contextlib.suppress(OSError):
        dfd = os.open(ws_path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _convert(ws_path: Path, *, to_encrypted: bool, key: bytes | None, old_key: bytes | None,
             audit_action: str, audit_detail: str, before_swap=None) -> tuple[Path, dict[str, int]]:
    """Convert a workspace in place, holding it exclusively from the first read to the swap.

    Order: hold the file (refused while another window or command has it open), check it,
    back it up (the backup has the original's protection: plain, or encrypted with the old
    key), write the converted copy beside it, verify that copy (integrity, every table's row
    count), call ``before_swap()`` (the key file goes in place), rename the copy over the
    original, release. On any failure the original is untouched and the backup and the copy
    are removed: nothing is left behind.
    """
    tmp = ws_path.with_name(f".{ws_path.name}.{audit_action}-{os.getpid()}")
    backup = _backup_path(ws_path, f"pre-{audit_action}")
    backup_key = backup.with_name(backup.name + KEY_FILE_SUFFIX)
    made: list[Path] = []
    _cleanup(tmp)
    try:
        with _held(ws_path, old_key) as (src, counts):
            made.append(backup)
            _export(src, backup, _key_sql(old_key))
            if old_key is not None and key_file_path(ws_path).exists():
                made.append(backup_key)
                _write_private(backup_key, key_file_path(ws_path).read_text(encoding="utf-8"))
            made.append(tmp)
            _export(src, tmp, _key_sql(key if to_encrypted else None))
            with Workspace(tmp, key=key if to_encrypted else None) as new:
                if new.integrity_check():
                    raise WorkspaceError(
                        f"the converted copy of {ws_path.name} failed its check; nothing was "
                        "changed")
                got = _table_counts(new.conn)
                if got != counts:
                    raise WorkspaceError(
                        f"the converted copy of {ws_path.name} differs from it ({got} != "
                        f"{counts}); nothing was changed")
                new.audit(audit_action, "workspace", detail=audit_detail)
                new.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                new.conn.execute("PRAGMA journal_mode = DELETE")
            if before_swap is not None:
                before_swap()
            _swap(tmp, ws_path)
    except BaseException:
        _cleanup(*made)
        raise
    return backup, counts


def encrypt_workspace(path: str | os.PathLike, *, passphrase: str | None = None,
                      key_store: str = "auto", interactive: bool = False) -> ConversionResult:
    """Encrypt a plain workspace in place (a plain backup is made first).

    The encrypted copy is written beside the file, checked (integrity and every table's row
    count), the key is stored (keychain or passphrase-wrapped key file), and only then is the
    copy renamed over the original. On any error the original is unchanged.
    """
    ws_path = Path(path).expanduser().resolve()
    if not ws_path.exists():
        raise WorkspaceError(f"{ws_path}: no such workspace.")
    if is_encrypted(ws_path):
        raise WorkspaceError(f"{ws_path.name} is already encrypted (key in "
                             f"{(key_location(ws_path) or KeyLocation('?', key_file_path(ws_path))).describe()}).")
    sqlcipher_module()
    key = new_key()
    kf = key_file_path(ws_path)
    old_key_file = kf.read_bytes() if kf.exists() else None
    # Ask for the passphrase (if one is needed) before any work, into a staging key file.
    staged_kf = ws_path.with_name(f".{ws_path.name}.pending-key-{os.getpid()}")
    location, notes = store_key(ws_path, key, passphrase=passphrase, key_store=key_store,
                                interactive=interactive, key_file=staged_kf)
    detail = f"key in {location.store}"
    placed = []

    def place_key() -> None:
        # key file first: a key file beside a plain workspace is harmless, the reverse is not
        os.replace(staged_kf, kf)
        placed.append(kf)

    try:
        backup, counts = _convert(ws_path, to_encrypted=True, key=key, old_key=None,
                                  audit_action="encrypt", audit_detail=detail,
                                  before_swap=place_key)
    except BaseException:
        with contextlib.suppress(OSError):
            staged_kf.unlink()
        if placed:
            if old_key_file is None:
                with contextlib.suppress(OSError):
                    kf.unlink()
            else:
                _write_private(kf, old_key_file.decode("utf-8"))
        delete_key(location)
        raise
    location = KeyLocation(store=location.store, key_file=kf, account=location.account,
                           keychain=location.keychain, workspace_id=location.workspace_id)
    return ConversionResult(ws_path, True, backup, location, counts, notes)


def decrypt_workspace(path: str | os.PathLike, *, passphrase: str | None = None,
                      interactive: bool = False) -> ConversionResult:
    """Decrypt an encrypted workspace in place (an encrypted backup is made first).

    The key stays where it was (keychain entry or key file copy) for that backup; the
    workspace's own key file is removed.
    """
    ws_path = Path(path).expanduser().resolve()
    if not ws_path.exists():
        raise WorkspaceError(f"{ws_path}: no such workspace.")
    if not is_encrypted(ws_path):
        raise WorkspaceError(f"{ws_path.name} is not encrypted.")
    key, location = load_key(ws_path, passphrase=passphrase, interactive=interactive)
    backup, counts = _convert(ws_path, to_encrypted=False, key=None, old_key=key,
                              audit_action="decrypt", audit_detail=f"key was in {location.store}")
    with contextlib.suppress(OSError):
        key_file_path(ws_path).unlink()
    notes = [f"the encrypted backup {backup.name} still needs the old key "
             f"({key_file_path(backup).name}"
             + (f" and keychain account '{location.account}'" if location.store == "keychain"
                else ", with the same passphrase") + ")"]
    return ConversionResult(ws_path, False, backup, None, counts, notes)


def create_workspace(path: str | os.PathLike, *, encrypted: bool = False,
                     passphrase: str | None = None, key_store: str = "auto",
                     interactive: bool = False) -> Workspace:
    """Create a new workspace, encrypted from its first byte when ``encrypted``."""
    ws_path = Path(path).expanduser().resolve()
    if not encrypted:
        return Workspace(ws_path, create=True)
    if ws_path.exists():
        raise WorkspaceError(f"{ws_path} already exists; choose a new file name.")
    sqlcipher_module()
    key = new_key()
    location, _notes = store_key(ws_path, key, passphrase=passphrase, key_store=key_store,
                                 interactive=interactive)
    try:
        ws = Workspace(ws_path, create=True, key=key)
        ws.audit("encrypt", "workspace", detail=f"created encrypted; key in {location.store}")
        return ws
    except BaseException:
        with contextlib.suppress(OSError):
            key_file_path(ws_path).unlink()
        delete_key(location)
        raise


def open_workspace(path: str | os.PathLike, passphrase_file: str | os.PathLike | None = None,
                   *, create: bool = False, full_check: bool = False,
                   keep_backups: int | None = None, interactive: bool = True,
                   check: bool = True) -> Workspace:
    """Open a workspace, plain or encrypted: what commands and the app call.

    The key of an encrypted workspace comes from the keychain, or is unwrapped with the
    passphrase from ``passphrase_file`` / the installed provider (the app's dialog) /
    ``ACCTDESK_PASSPHRASE_FILE`` / the terminal (``interactive`` and a TTY; never in the app).
    ``full_check`` runs ``PRAGMA integrity_check`` (and SQLCipher's HMAC check) and refuses a
    damaged file; ``keep_backups`` makes a rotating backup and keeps that many.
    """
    ws_path = Path(path).expanduser().resolve()
    key = None
    if ws_path.exists() and is_encrypted(ws_path) and key_file_path(ws_path).exists():
        phrase = read_passphrase_file(passphrase_file) if passphrase_file else None
        key, _loc = load_key(ws_path, passphrase=phrase, interactive=interactive)
    ws = Workspace(ws_path, create=create, key=key, check=check)
    try:
        if full_check:
            problems = ws.integrity_check()
            if problems:
                from .workspace import WorkspaceDamagedError
                raise WorkspaceDamagedError(
                    f"{ws_path}: the file is damaged ({problems[0]}). Restore it from a backup "
                    f"(files named {ws_path.name}.bak-*) or re-import the exports.")
        if keep_backups is not None:
            ws.rotate_backups(keep=keep_backups)
    except BaseException:
        ws.close()
        raise
    return ws


def _find_key(workspace_path: Path) -> tuple[bytes, KeyLocation] | None:
    """The key of an encrypted workspace when its key file lies beside it, else None."""
    if not key_file_path(workspace_path).exists():
        return None
    return load_key(workspace_path)


set_key_finder(_find_key)      # how Workspace opens an encrypted file
