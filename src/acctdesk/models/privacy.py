"""Erasure and access requests for one account.

* :func:`held_about` finds every row the workspace holds about an account: the account, every
  row of any table with an ``account_id`` column (subscriptions, usage, tickets, surveys,
  contacts, activities, score history, external ids, and tables added later), tickets and
  survey responses kept unlinked whose e-mail is one of the account's contacts or on its
  company domain, the import history (``row_history``) of those rows, rejected import rows,
  and audit entries that mention the account.
* :func:`erase_account` deletes all of it in one transaction with ``secure_delete`` on,
  redacts (not deletes) the audit entries that mentioned it, drops trained models (they were
  fitted on the data), records one ``erase`` audit entry that holds only the account id and
  row counts, then compacts the file (``VACUUM`` and a WAL checkpoint) so no copy of the
  erased values stays in free pages or the write-ahead log.
* an access request writes the same rows to a workbook
  (:func:`acctdesk.export.subject.write_subject_export`, formula-like text kept as text) and
  :func:`record_subject_export` audits it.

Backups made before the erasure still hold the data; :attr:`ErasureResult.backups` lists
them so the user can delete them. No Qt here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..domain.company_domains import identity_domain
from .schema import ENTITY_KEYS
from .workspace import Workspace, WorkspaceError

__all__ = ["PrivacyError", "ErasureResult", "held_about", "erase_account",
           "record_subject_export"]

#: shorter words are not searched for in free text (they would match unrelated rows)
MIN_TERM = 4
REDACTED = "[redacted: erased account]"


class PrivacyError(WorkspaceError):
    """An erasure or access request cannot be done (e.g. no such account)."""


@dataclass
class _Selector:
    table: str
    where: str
    params: list[Any]


@dataclass
class ErasureResult:
    account_id: str
    deleted: dict[str, int]
    audit_redacted: int
    models_dropped: int
    compacted: bool
    backups: list[Path] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def as_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "deleted": self.deleted,
                "rows_deleted": self.total, "audit_entries_redacted": self.audit_redacted,
                "models_dropped": self.models_dropped, "compacted": self.compacted,
                "backups_still_holding_data": [str(p) for p in self.backups]}


def _tables_with_account_id(ws: Workspace) -> list[str]:
    names = [r[0] for r in ws.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    out = []
    for name in names:
        if not name.replace("_", "").isalnum():
            continue
        cols = {r[1] for r in ws.conn.execute(f"PRAGMA table_info({name})")}
        if "account_id" in cols:
            out.append(name)
    return out


def _identity(ws: Workspace, account_id: str) -> tuple[list[str], str | None, list[str]]:
    """(lower-case e-mails, company domain, search terms) of an account."""
    row = ws.conn.execute("SELECT name, domain FROM accounts WHERE account_id = ?",
                          (account_id,)).fetchone()
    name, domain = (row if row else (None, None))
    emails = sorted({str(e).strip().lower() for (e,) in ws.conn.execute(
        "SELECT email FROM contacts WHERE account_id = ?", (account_id,)) if e})
    contact_names = [n for (n,) in ws.conn.execute(
        "SELECT name FROM contacts WHERE account_id = ? AND name IS NOT NULL", (account_id,))]
    ext = [e for (e,) in ws.conn.execute(
        "SELECT external_id FROM external_ids WHERE account_id = ?", (account_id,))]
    dom = identity_domain(domain) if domain else None
    terms = {account_id, name, domain, dom, *emails, *contact_names, *ext}
    terms = sorted({str(t).strip().lower() for t in terms
                    if t is not None and len(str(t).strip()) >= MIN_TERM})
    return emails, dom, terms


def _file_terms(ws: Workspace, account_id: str, terms: list[str]) -> list[str]:
    """What an import file's name may carry of the account: its terms, its name written
    with any separator ("zyphora-analytics", "zyphora_analytics", "ZyphoraAnalytics") and its
    domain's own label ("zyphora" of zyphora.io)."""
    import re

    row = ws.conn.execute("SELECT name, domain FROM accounts WHERE account_id = ?",
                          (account_id,)).fetchone()
    out = set(terms)
    if row:
        words = re.findall(r"[^\W_]+", str(row[0] or "").lower())
        for n in range(len(words), 0, -1):      # "zyphora analytics", then "zyphora"
            if len("".join(words[:n])) >= MIN_TERM + 2 or n == len(words):
                for sep in ("", "-", "_", " ", "."):
                    out.add(sep.join(words[:n]))
        dom = re.sub(r"^[a-z]+://|^www\.", "", str(row[1] or "").strip().lower())
        label = dom.split("/")[0].split(".")[0]
        if "." in dom and label:
            out.add(label)
    return sorted(t for t in out if len(t) >= MIN_TERM)


def _selectors(ws: Workspace, account_id: str) -> tuple[list[_Selector], list[str]]:
    emails, dom, terms = _identity(ws, account_id)
    emails_json = json.dumps(emails)
    sels: list[_Selector] = []
    for table in _tables_with_account_id(ws):
        where, params = "account_id = ?", [account_id]
        email_col = {"tickets": "requester_email", "surveys": "contact_email"}.get(table)
        if email_col:
            where = (f"account_id = ? OR (account_id IS NULL AND ("
                     f"lower({email_col}) IN (SELECT value FROM json_each(?))"
                     f" OR (? IS NOT NULL AND substr(lower({email_col}), -(length(?) + 1))"
                     f" = '@' || ?)))")
            params = [account_id, emails_json, dom, dom, dom]
        sels.append(_Selector(table, where, params))
    return sels, terms


def _terms_clause(columns: list[str], terms: list[str]) -> tuple[str, list[str]]:
    if not terms:
        return "0", []
    parts, params = [], []
    for col in columns:
        for t in terms:
            parts.append(f"instr(lower(COALESCE({col}, '')), ?) > 0")
            params.append(t)
    return "(" + " OR ".join(parts) + ")", params


def _history_clause(ws: Workspace, sels: list[_Selector], account_id: str
                    ) -> tuple[str, list[Any]]:
    """Rows of ``row_history`` (earlier values) that belong to the account's rows."""
    parts = ["json_extract(before, '$.account_id') = ?"]
    params: list[Any] = [account_id]
    for sel in sels:
        keys = ENTITY_KEYS.get(sel.table)
        if not keys:
            continue
        key_json = "json_array(" + ", ".join(keys) + ")"
        parts.append(f"(table_name = ? AND row_key IN (SELECT {key_json} FROM {sel.table} "
                     f"WHERE {sel.where}))")
        params += [sel.table, *sel.params]
    return " OR ".join(parts), params


def _audit_clause(account_id: str, terms: list[str]) -> tuple[str, list[Any]]:
    text, params = _terms_clause(["entity_id", "before", "after", "detail"], terms)
    return f"(entity_id = ? OR {text}) AND action != 'erase'", [account_id, *params]


def held_about(ws: Workspace, account_id: str) -> dict[str, pd.DataFrame]:
    """Every row the workspace holds about ``account_id``, per table (empty tables left out).

    Keys are table names plus ``row_history`` (earlier values kept for undo),
    ``rejected_rows`` and ``audit_log`` (entries that mention the account).
    Raises :class:`PrivacyError` when nothing at all is held about it.
    """
    sels, terms = _selectors(ws, account_id)
    out: dict[str, pd.DataFrame] = {}
    for sel in sels:
        frame = ws.frame(f"SELECT * FROM {sel.table} WHERE {sel.where}", sel.params)
        if len(frame):
            out[sel.table] = frame
    where, params = _history_clause(ws, sels, account_id)
    frame = ws.frame(f"SELECT * FROM row_history WHERE {where} ORDER BY id", params)
    if len(frame):
        out["row_history"] = frame
    where, params = _terms_clause(["value", "raw"], terms)
    frame = ws.frame(f"SELECT * FROM rejected_rows WHERE {where}", params)
    if len(frame):
        out["rejected_rows"] = frame
    where, params = _audit_clause(account_id, terms)
    frame = ws.frame(f"SELECT * FROM audit_log WHERE {where} ORDER BY id", params)
    if len(frame):
        out["audit_log"] = frame
    state = _worklist_state(ws, account_id)
    if state is not None:
        out["worklist_state"] = pd.DataFrame([{"account_id": account_id, **state}])
    if not any(sel.table in out for sel in sels):
        raise PrivacyError(f"there is no account {account_id!r} in {ws.path.name} "
                           "(see 'acctdesk info' or the Accounts view for ids)")
    return out


def erase_account(ws: Workspace, account_id: str, *, reason: str | None = None,
                  compact: bool = True) -> ErasureResult:
    """Delete an account and everything linked to it, in one transaction; audited without PII.

    ``reason`` (e.g. a request reference) goes into the audit entry as given: do not put
    personal data in it. ``compact`` runs VACUUM and truncates the WAL afterwards so the erased
    values do not survive in free pages.
    """
    from .audit import rechain

    held = held_about(ws, account_id)  # raises when there is nothing to erase
    sels, terms = _selectors(ws, account_id)
    file_terms = _file_terms(ws, account_id, terms)
    deleted: dict[str, int] = {}
    conn = ws.conn
    old_secure = conn.execute("PRAGMA secure_delete").fetchone()[0]
    conn.execute("PRAGMA secure_delete = ON")
    try:
        with ws.transaction():
            # history first: its selection looks up the rows it belongs to
            where, params = _history_clause(ws, sels, account_id)
            deleted["row_history"] = conn.execute(
                f"DELETE FROM row_history WHERE {where}", params).rowcount
            # accounts last: the other selectors' e-mail lists come from its contacts
            for sel in sorted(sels, key=lambda s: (s.table in ("accounts", "contacts"),
                                                   s.table == "accounts")):
                n = conn.execute(f"DELETE FROM {sel.table} WHERE {sel.where}",
                                 sel.params).rowcount
                if n:
                    deleted[sel.table] = n
            where, params = _terms_clause(["value", "raw"], terms)
            deleted["rejected_rows"] = conn.execute(
                f"DELETE FROM rejected_rows WHERE {where}", params).rowcount
            # import file names that carry the account's name: renamed everywhere they show
            where, params = _terms_clause(["file_name"], file_terms)
            names = [r[0] for r in conn.execute(
                f"SELECT DISTINCT file_name FROM import_batches WHERE {where}", params)]
            renamed = conn.execute(f"UPDATE import_batches SET file_name = ? WHERE {where}",
                                   [REDACTED, *params]).rowcount
            first_changed = None
            for name in names:
                quoted = json.dumps(name, ensure_ascii=False)[1:-1]
                for row_id, in conn.execute(
                        "SELECT id FROM audit_log WHERE instr(COALESCE(after, ''), ?) > 0 OR "
                        "instr(COALESCE(detail, ''), ?) > 0 OR instr(COALESCE(before, ''), ?) > 0",
                        (quoted, name, quoted)).fetchall():
                    conn.execute(
                        "UPDATE audit_log SET after = replace(after, ?, ?), detail = "
                        "replace(detail, ?, ?), before = replace(before, ?, ?) WHERE id = ?",
                        (quoted, REDACTED, name, REDACTED, quoted, REDACTED, row_id))
                    first_changed = row_id if first_changed is None else min(first_changed, row_id)
            where, params = _audit_clause(account_id, terms)
            ids = [r[0] for r in conn.execute(f"SELECT id FROM audit_log WHERE {where}", params)]
            redacted = conn.execute(
                f"UPDATE audit_log SET entity_id = NULL, before = NULL, after = NULL, "
                f"detail = ? WHERE {where}", [REDACTED, *params]).rowcount
            if ids:
                first_changed = min(ids) if first_changed is None else min(first_changed, *ids)
            if first_changed is not None:
                rechain(conn, first_changed)   # the app changed these entries: chain anew
            states = _worklist_without(ws, account_id)
            if states is not None:
                conn.execute("UPDATE meta SET value = ? WHERE key = 'worklist_state'",
                             (states,))
            models = conn.execute("DELETE FROM meta WHERE key LIKE 'model:%'").rowcount
            deleted = {k: v for k, v in deleted.items() if v}
            ws.audit("erase", "accounts", account_id,
                     after={"rows_deleted": deleted, "audit_entries_redacted": redacted,
                            "import_file_names_redacted": renamed, "models_dropped": models},
                     detail=("erased on request" + (f": {reason}" if reason else "")
                             + "; the erased values are not recorded"))
    finally:
        conn.execute(f"PRAGMA secure_delete = {int(old_secure)}")
    compacted = False
    if compact:
        try:
            conn.execute("VACUUM")
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            compacted = busy == 0
        except Exception:  # another window is reading: compacted later, reported now
            compacted = False
    del held
    return ErasureResult(account_id, deleted, redacted, models, compacted,
                         backups=ws.list_backups())


def _worklist_state(ws: Workspace, account_id: str) -> dict | None:
    row = ws.conn.execute("SELECT value FROM meta WHERE key = 'worklist_state'").fetchone()
    try:
        states = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return None
    entry = states.get(account_id) if isinstance(states, dict) else None
    return {k: entry.get(k) for k in ("state", "until", "as_of", "at", "by")} \
        if isinstance(entry, dict) else None


def _worklist_without(ws: Workspace, account_id: str) -> str | None:
    """The worklist states (meta JSON) without the account's entry; None when it had none."""
    row = ws.conn.execute("SELECT value FROM meta WHERE key = 'worklist_state'").fetchone()
    if not row or not row[0]:
        return None
    try:
        states = json.loads(row[0])
    except ValueError:
        return None
    if not isinstance(states, dict) or account_id not in states:
        return None
    states.pop(account_id)
    return json.dumps(states, sort_keys=True)


def record_subject_export(ws: Workspace, account_id: str, file_name: str, sheets: list[str],
                          rows: int) -> None:
    """Audit an access-request export of ``account_id`` (what was written, not the data)."""
    ws.audit("subject_export", "accounts", account_id,
             after={"sheets": sheets, "rows": rows},
             detail=f"access request export to {file_name}")
