"""User edits made in the app, as functions on a :class:`~acctdesk.models.Workspace`.

Each edit runs in one transaction and writes one audit-log entry with the values before and
after, so it can be reviewed (``acctdesk audit``) and undone (``acctdesk.ui.undo`` calls the
inverse function: :func:`delete_activity` for :func:`add_activity`,
:func:`restore_worklist_state` for :func:`set_worklist_state`).

* Activities the user logs (a call, an email, a QBR, a meeting, a note) are rows of the
  ``activities`` table with an id starting ``U`` and ``custom = {"source": "acctdesk"}``
  (imported activities carry their source's ids).
* The worklist state of an account (marked done, or snoozed until a date) is JSON in ``meta``
  under ``worklist_state``: ``{account_id: {"state": "done"|"snoozed", "until": date|null,
  "as_of": data date when set, "at": timestamp, "by": user}}``. No new tables, no migration.

Visibility rule (:func:`is_hidden`): a *done* item stays hidden while the worklist is computed
as of the same data date as when it was marked (new data brings it back if it still needs
attention); a *snoozed* item stays hidden until its ``until`` date (a calendar date, compared
with the computer's clock: "snooze for a week" is a promise about real time).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from .workspace import Workspace, current_user, now_iso

__all__ = ["EditError", "ACTIVITY_KINDS", "WORKLIST_STATE_KEY", "WORKLIST_STATES",
           "add_activity", "delete_activity", "get_activity", "worklist_states",
           "set_worklist_state", "clear_worklist_state", "restore_worklist_state",
           "is_hidden", "account_exists", "pack_edits"]

#: kinds offered when logging a touch (free text is accepted too, lower-cased).
ACTIVITY_KINDS = ("call", "email", "qbr", "meeting", "workshop", "note")
WORKLIST_STATE_KEY = "worklist_state"
WORKLIST_STATES = ("done", "snoozed")
_ACTIVITY_COLS = ("activity_id", "account_id", "date", "kind", "text", "author")
_MANUAL_SOURCE = json.dumps({"source": "acctdesk"})


class EditError(ValueError):
    """An edit was refused; the message says why. Nothing was changed."""


def _iso_date(value: Any, what: str) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise EditError(f"{what} {value!r} is not a date like 2026-11-05") from None


def account_exists(ws: Workspace, account_id: str) -> bool:
    return ws.conn.execute("SELECT 1 FROM accounts WHERE account_id = ?",
                           (str(account_id),)).fetchone() is not None


# ====================================================================== activities
def get_activity(ws: Workspace, activity_id: str) -> dict[str, Any] | None:
    """One activity as a dict of its canonical fields, or None."""
    row = ws.conn.execute(
        f"SELECT {', '.join(_ACTIVITY_COLS)} FROM activities WHERE activity_id = ?",
        (str(activity_id),)).fetchone()
    return None if row is None else dict(zip(_ACTIVITY_COLS, row))


def add_activity(ws: Workspace, account_id: str, kind: str, text: str,
                 date: Any = None, author: str | None = None, *,
                 activity_id: str | None = None) -> str:
    """Log an activity (a touch or a note) on an account; returns its ``activity_id``.

    ``date`` defaults to today (the computer's clock: the day the user logs it), ``author``
    to the logged-in user. ``activity_id`` is for redo (the same id again); by default a new
    one (``U`` + 12 hex digits). Audited as ``activity.add`` with the row as ``after``.
    """
    account_id = str(account_id)
    kind = (kind or "").strip().lower()
    if not kind:
        raise EditError("say what kind of activity it was (call, email, QBR, meeting, note)")
    text = (text or "").strip()
    date = _iso_date(date if date is not None else dt.date.today(), "the activity date")
    author = (author or "").strip() or current_user()
    activity_id = activity_id or f"U{uuid.uuid4().hex[:12]}"
    row = {"activity_id": activity_id, "account_id": account_id, "date": date, "kind": kind,
           "text": text, "author": author}
    with ws.transaction() as conn:
        if not account_exists(ws, account_id):
            raise EditError(f"no account {account_id!r} in this workspace")
        if get_activity(ws, activity_id) is not None:
            raise EditError(f"activity {activity_id} already exists")
        conn.execute(
            "INSERT INTO activities (activity_id, account_id, date, kind, text, author, custom)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (activity_id, account_id, date, kind, text, author, _MANUAL_SOURCE))
        ws.audit("activity.add", "activity", activity_id, before=None, after=row,
                 detail=f"{kind} logged on {account_id}")
    return activity_id


def delete_activity(ws: Workspace, activity_id: str) -> dict[str, Any]:
    """Remove an activity (the undo of :func:`add_activity`); returns the removed row.

    Audited as ``activity.delete`` with the row as ``before``.
    """
    with ws.transaction() as conn:
        row = get_activity(ws, activity_id)
        if row is None:
            raise EditError(f"no activity {activity_id!r} in this workspace")
        conn.execute("DELETE FROM activities WHERE activity_id = ?", (str(activity_id),))
        ws.audit("activity.delete", "activity", str(activity_id), before=row, after=None,
                 detail=f"{row['kind']} removed from {row['account_id']}")
    return row


# ====================================================================== worklist state
def worklist_states(ws: Workspace) -> dict[str, dict[str, Any]]:
    """Every stored worklist state by account id (``{}`` when none or unreadable)."""
    raw = ws.get_meta(WORKLIST_STATE_KEY)
    if not raw:
        return {}
    try:
        states = json.loads(raw)
    except ValueError:
        return {}
    return {str(k): v for k, v in states.items() if isinstance(v, dict)} \
        if isinstance(states, dict) else {}


def _write_state(ws: Workspace, account_id: str, entry: dict[str, Any] | None,
                 action: str) -> dict[str, Any] | None:
    """Set (or remove, with None) one account's entry; returns the entry before."""
    account_id = str(account_id)
    with ws.transaction():
        states = worklist_states(ws)
        before = states.get(account_id)
        if entry is None:
            states.pop(account_id, None)
        else:
            states[account_id] = entry
        ws.set_meta(WORKLIST_STATE_KEY, json.dumps(states, sort_keys=True))
        ws.audit(action, "worklist_item", account_id, before=before, after=entry)
    return before


def set_worklist_state(ws: Workspace, account_id: str, state: str, until: Any = None, *,
                       as_of: str | None = None) -> dict[str, Any] | None:
    """Mark an account's worklist item ``done`` or ``snoozed`` (until the date ``until``).

    ``as_of`` is the data date of the list the user acted on (default: the workspace's).
    Returns the entry it replaced (None when there was none), for undo. Audited as
    ``worklist.done`` / ``worklist.snoozed``.
    """
    if state not in WORKLIST_STATES:
        raise EditError(f"worklist state must be one of {', '.join(WORKLIST_STATES)}")
    if state == "snoozed":
        if until is None:
            raise EditError("snoozing needs a date to snooze until")
        until = _iso_date(until, "the snooze date")
    else:
        until = None
    if not account_exists(ws, account_id):
        raise EditError(f"no account {account_id!r} in this workspace")
    entry = {"state": state, "until": until, "as_of": as_of or ws.data_date(),
             "at": now_iso(), "by": current_user()}
    return _write_state(ws, account_id, entry, f"worklist.{state}")


def clear_worklist_state(ws: Workspace, account_id: str) -> dict[str, Any] | None:
    """Put an account's item back on the list; returns the entry removed (or None)."""
    return _write_state(ws, account_id, None, "worklist.clear")


def restore_worklist_state(ws: Workspace, account_id: str,
                           entry: dict[str, Any] | None) -> dict[str, Any] | None:
    """Put back exactly ``entry`` (a value returned by :func:`set_worklist_state`; None
    clears). Used by undo; audited as ``worklist.restore``."""
    return _write_state(ws, account_id, dict(entry) if entry else None, "worklist.restore")


def is_hidden(entry: dict[str, Any] | None, as_of: str | None, today: dt.date | None = None
              ) -> bool:
    """Whether a worklist state hides its item (see the module docstring)."""
    if not entry:
        return False
    if entry.get("state") == "done":
        marked = str(entry.get("as_of") or "")
        return not as_of or not marked or str(as_of)[:10] <= marked[:10]
    if entry.get("state") == "snoozed":
        today = today or dt.date.today()
        until = str(entry.get("until") or "")
        return bool(until) and today.isoformat() < until[:10]
    return False


# ====================================================================== priority pack edits
def pack_edits(ws: Workspace, ids: set[str]) -> dict[str, dict[str, str]]:
    """The latest status / next step / notes applied from an earlier priority pack (notes
    whose ``custom`` carries ``{"worklist": field, "value": ...}``), per account id of
    ``ids``."""
    rows = ws.conn.execute(
        "SELECT account_id, custom, text FROM activities WHERE kind = 'note' AND custom LIKE "
        "'%\"worklist\"%' ORDER BY date, rowid").fetchall()
    state: dict[str, dict[str, str]] = {}
    for aid, custom, text in rows:
        if aid not in ids:
            continue
        try:
            info = json.loads(custom or "{}")
        except ValueError:
            continue
        fld = info.get("worklist")
        value = info.get("value", text)
        if fld in ("status", "next_step", "notes"):
            state.setdefault(aid, {})[fld] = value
    return state
