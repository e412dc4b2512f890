"""The audit trail in sentences, for the app's Audit view.

The stored entries (``audit_log``: action, entity, entity id, before and after as JSON, a note)
stay as they are, and ``acctdesk audit --json`` prints them as stored; this module only says
each entry in words: "Imported companies.csv as a HubSpot accounts export (batch 3): 5 rows
read, 5 added…", "Marked Acme Corp done on the Today list", "Changed the workspace settings:
currency USD → EUR". An action it does not know is still described from its note and the
values that changed.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from .field_labels import words

#: import batch counts in the order and words they are said
_COUNTS = (("rows_read", "rows read"), ("inserted", "added"), ("updated", "updated"),
           ("unchanged", "unchanged"), ("rejected", "rejected"),
           ("accounts_created", "new accounts"), ("review", "held for you to confirm"))
_KINDS = {"qbr": "QBR", "ebr": "EBR", "call": "call", "email": "e-mail", "note": "note",
          "meeting": "meeting", "workshop": "workshop"}
_MAX_TEXT = 160


def _load(value: Any) -> Any:
    if value is None or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _short(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dict, list)):
        text = ", ".join(f"{words(k)} {_short(v)}" for k, v in value.items()) \
            if isinstance(value, dict) else ", ".join(_short(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 1] + "…"


def changes(before: Any, after: Any) -> str:
    """``"currency USD → EUR; name “a” → “b”"``: the keys whose value differs."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return f"{_short(before)} → {_short(after)}"
    parts = [f"{words(k)} {_short(before.get(k))} → {_short(after.get(k))}"
             for k in list(before) + [k for k in after if k not in before]
             if before.get(k) != after.get(k)]
    return "; ".join(parts) or "nothing changed"


def _counts(c: dict, skip=()) -> str:
    return ", ".join(f"{int(c[k]):,} {w}" for k, w in _COUNTS
                     if k not in skip and isinstance(c.get(k), (int, float))
                     and (c[k] or k != "review"))


def describe(action: str, entity: str | None, entity_id: str | None, before: Any,
             after: Any, detail: str | None, *, account_name: Callable[[str], str] = str,
             source_name: Callable[[str], str] = str,
             source_entity: Callable[[str], str | None] = lambda _pid: None) -> str:
    """One audit entry as a sentence. ``account_name(id)`` and ``source_name(profile id)``
    put names on ids (both default to the id itself); ``source_entity(profile id)`` says
    what an import's rows were (an accounts file's added rows are its new accounts)."""
    before, after = _load(before), _load(after)
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    acc = account_name(str(entity_id)) if entity_id is not None else ""
    if action == "import":
        pid = str(a.get("profile")) if a.get("profile") else None
        src = source_name(pid) if pid else "a file"
        skip = ("accounts_created",) if pid and source_entity(pid) == "accounts" else ()
        return (f"Imported {a.get('file', 'a file')} as {src} (batch {entity_id}): "
                f"{_counts(a, skip)}.")
    if action == "undo":
        removed = sum(int(v) for k, v in a.items() if k.endswith("_deleted"))
        return (f"Undid import batch {entity_id} ({detail or 'a file'}): removed the "
                f"{removed:,} rows it had added and put back {int(a.get('restored', 0)):,} "
                "earlier values.")
    if action == "mapping.save":
        mapping = a.get("mapping") if isinstance(a.get("mapping"), dict) else {}
        cols = ", ".join(f"“{k}” as {words(v)}" for k, v in mapping.items())
        return "Saved how to read a file's columns for next time" + (f": {cols}." if cols
                                                                     else ".")
    if action in ("activity.add", "activity.delete"):
        row = a or b
        kind = _KINDS.get(str(row.get("kind")), words(row.get("kind") or "activity"))
        who = account_name(str(row.get("account_id"))) if row.get("account_id") else acc
        text = f": “{_short(row.get('text'))}”" if row.get("text") else ""
        if action == "activity.add":
            return f"Logged a {kind} on {who} for {row.get('date')}{text}."
        return f"Removed the {kind} logged on {who} for {row.get('date')}{text}."
    if action.startswith("worklist."):
        state = action.split(".", 1)[1]
        if state == "done":
            return f"Marked {acc} done on the Today list."
        if state == "snoozed":
            return f"Snoozed {acc} on the Today list until {a.get('until')}."
        if state == "clear":
            return f"Put {acc} back on the Today list."
        if state == "restore":
            return (f"Restored {acc}'s earlier state on the Today list"
                    + (f" ({a.get('state')})." if a.get("state") else "."))
    if action == "settings.change":
        return f"Changed the workspace settings: {changes(b, a)}."
    if action == "workspace.create":
        return (f"Created the empty workspace “{a.get('name')}” (amounts in "
                f"{a.get('currency')}).")
    if action == "demo.create":
        return f"Created the demo portfolio ({detail})." if detail else \
            "Created the demo portfolio."
    if action == "model.save":
        from .analytics.plain import churn_ranking

        return (f"Trained the {entity_id or 'churn'} model on data up to "
                f"{a.get('data_date')}: {churn_ranking(a.get('auc'), 'it')}.")
    if action == "model.delete":
        return f"Removed the stored {entity_id or 'churn'} model."
    if action == "scorecard.save":
        name = a.get("name") or entity_id
        if not b:
            return f"Saved the new scorecard “{name}”."
        changed = [words(k) for k in list(a) if a.get(k) != b.get(k)]
        return (f"Saved the scorecard “{name}”"
                + (f" (changed: {', '.join(changed)})." if changed else " (no change)."))
    if action == "scorecard.delete":
        return f"Deleted the scorecard “{b.get('name') or entity_id}”."
    if action == "scorecard.assignment":
        return "Changed which scorecard each account is scored with."
    if action == "scorecard.accept_weights":
        return (f"Accepted the suggested weights for the scorecard “{entity_id}”: "
                f"{changes(before, after)}.")
    if action == "erase":
        rows = a.get("rows_deleted") if isinstance(a.get("rows_deleted"), dict) else {}
        n = sum(int(v) for v in rows.values())
        return (f"Erased account {entity_id} and everything linked to it ({n:,} rows; "
                f"{detail or 'the erased values are not recorded'}).")
    if action == "subject_export":
        return (f"Exported everything held about {acc} ({detail or 'access request'}; "
                f"{int(a.get('rows', 0) or 0):,} rows).")
    if action in ("encrypt", "decrypt"):
        done = "Encrypted" if action == "encrypt" else "Decrypted"
        return f"{done} the workspace" + (f" ({detail})." if detail else ".")
    # anything else: its note, and what changed
    parts = [detail] if detail else []
    if before is not None or after is not None:
        parts.append(changes(before, after) if before is not None else _short(after))
    what = " ".join(x for x in (words(entity or ""), str(entity_id or "")) if x)
    return (f"{words(action).capitalize()}"
            + (f" ({what})" if what else "") + (": " + "; ".join(parts) if parts else "") + ".")


#: action -> what the Audit view's "Action" column says
ACTIONS = {
    "import": "Import", "undo": "Import undone", "mapping.save": "Column mapping saved",
    "activity.add": "Activity logged", "activity.delete": "Activity removed",
    "worklist.done": "Marked done", "worklist.snoozed": "Snoozed",
    "worklist.clear": "Back on the list", "worklist.restore": "Today list restored",
    "settings.change": "Settings changed", "workspace.create": "Workspace created",
    "demo.create": "Demo created", "model.save": "Model trained",
    "model.delete": "Model removed", "scorecard.save": "Scorecard saved",
    "scorecard.delete": "Scorecard deleted", "scorecard.assignment": "Scorecard rules changed",
    "scorecard.accept_weights": "Weights accepted", "erase": "Account erased",
    "subject_export": "Access request export", "encrypt": "Encrypted", "decrypt": "Decrypted",
}
#: entity (table) -> what the "What" column says before the row's id
_ENTITIES = {"import_batches": "Import batch", "saved_mappings": "Column mapping",
             "activity": "Activity", "model": "Model", "scorecard": "Scorecard",
             "meta": "Settings", "workspace": "Workspace"}


def readable_entries(ws) -> list[dict]:
    """Audit entries oldest first, each ``{at, user, action, entity, detail}`` like
    :func:`acctdesk.models.audit.audit_entries`, with ``action`` and ``entity`` in words and
    ``detail`` a sentence."""
    from .importers.profiles import REGISTRY

    acc = ws.accounts(ordered=False, objects=True, columns=["account_id", "name"])
    names = dict(zip(acc["account_id"], acc["name"]))
    sources = {p.id: f"a {p.system} {p.entity} export" for p in REGISTRY}
    sources["acctdesk-pack"] = "an edited priority pack"
    entities = {p.id: p.entity for p in REGISTRY}

    def account_name(aid: str) -> str:
        return names.get(aid) or aid

    def source_name(pid: str) -> str:
        return sources.get(pid, f"a {pid} file")

    log = ws.audit_log()[["at", "user", "action", "entity", "entity_id", "before", "after",
                          "detail"]].astype(object)
    rows = log.where(log.notna(), None).itertuples(index=False, name=None)
    out = []
    for at, user, action, entity, entity_id, before, after, detail in rows:
        if entity in ("accounts", "worklist_item") and entity_id:
            what = account_name(str(entity_id))
        elif entity == "saved_mappings" or (entity == "meta" and not entity_id):
            what = _ENTITIES[entity]
        elif entity == "model" and entity_id:
            what = f"{str(entity_id).capitalize()} model"
        elif entity:
            what = " ".join(x for x in (_ENTITIES.get(entity, words(entity).capitalize()),
                                        str(entity_id or "")) if x)
        else:
            what = None
        out.append({"at": str(at).replace("T", " "), "user": user,
                    "action": ACTIONS.get(action, words(action).capitalize()),
                    "entity": what,
                    "detail": describe(action, entity, entity_id, before, after, detail,
                                       account_name=account_name, source_name=source_name,
                                       source_entity=entities.get)})
    return out
