"""The audit trail as people read it: who changed what, when, with before/after values."""
from __future__ import annotations


def audit_entries(ws, *, action: str | None = None, limit: int | None = None) -> list[dict]:
    """Audit entries oldest first, each ``{at, user, action, entity, detail}``.

    ``entity`` is the table and the row's id (``import_batches 3``); ``detail`` is the note
    followed by the before and after values, as compact JSON.
    """
    sql = "SELECT at, user, action, entity, entity_id, before, after, detail FROM audit_log"
    params: list = []
    if action:
        sql += " WHERE action = ?"
        params.append(action)
    sql += " ORDER BY id DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(int(limit))
    rows = ws.conn.execute(sql, params).fetchall()[::-1]
    out = []
    for at, user, act, entity, entity_id, before, after, detail in rows:
        parts = [detail] if detail else []
        if before is not None:
            parts.append(f"before: {before}")
        if after is not None:
            parts.append(f"after: {after}")
        out.append({"at": at, "user": user, "action": act,
                    "entity": " ".join(str(x) for x in (entity, entity_id) if x is not None)
                    or None,
                    "detail": "; ".join(parts) or None})
    return out
