"""What importing one file did, row by row: :class:`FileResult` and its outcome groups.

Every row is accounted for: ``rows_read = inserted + updated + unchanged + merged + held +
rejected``; the rows that were not inserted or updated are grouped by outcome and reason
(:class:`Outcomes`), with the first row numbers of each group.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

#: row numbers listed per outcome group in FileResult.outcomes
MAX_ROWS_LISTED = 20
#: outcome groups listed (the rest are summed into one line per outcome)
MAX_GROUPS = 100


@dataclass
class FileResult:
    file: str
    profile: str | None = None
    confidence: float = 0.0
    entity: str | None = None
    sheet: str | None = None
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0
    held: int = 0
    rejected: int = 0
    accounts_created: int = 0
    accounts_merged: int = 0
    review: list[dict] = field(default_factory=list)
    row_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    batch_ids: list[int] = field(default_factory=list)
    skipped: bool = False
    error: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file, "profile": self.profile, "confidence": round(self.confidence, 3),
            "entity": self.entity, "sheet": self.sheet, "rows_read": self.rows_read,
            "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
            "merged": self.merged, "held": self.held,
            "rejected": self.rejected, "accounts_created": self.accounts_created,
            "accounts_merged": self.accounts_merged,
            "review": self.review, "row_errors": self.row_errors, "notes": self.notes,
            "outcomes": self.outcomes,
            "batch_ids": self.batch_ids, "skipped": self.skipped, "error": self.error,
        }

    def summary(self) -> str:
        """One line in words: what happened to the file's rows."""
        parts = [f"{self.rows_read:,} rows read", f"{self.inserted:,} added",
                 f"{self.updated:,} updated", f"{self.unchanged:,} unchanged"]
        for n, word in ((self.merged, "merged"), (self.held, "held for review"),
                        (self.rejected, "rejected")):
            if n:
                parts.append(f"{n:,} {word}")
        if self.accounts_created:
            parts.append(f"{self.accounts_created:,} new accounts")
        return ", ".join(parts)


    def reasons(self, limit: int = 12) -> list[str]:
        """Why rows were not added or updated: a line per reason, with the rows named."""
        words = {"held": "held for review"}
        out = []
        for o in sorted(self.outcomes, key=lambda o: (o["outcome"] == "unchanged",
                                                      -o["count"])):
            rows = ", ".join(map(str, o["rows"][:8])) + (" ..." if o["count"] > 8 else "")
            where = (f" (row {rows})" if o["count"] == 1 else f" (rows {rows})") \
                if o["rows"] else ""
            out.append(f"{o['count']:,} {words.get(o['outcome'], o['outcome'])}: "
                       f"{o['reason']}{where}")
        if len(out) > limit:
            out = out[:limit] + [f"... and {len(out) - limit} more reasons"]
        return out


class Outcomes:
    """Rows that were not inserted or updated, grouped by outcome and reason."""

    def __init__(self):
        self.groups: dict[tuple[str, str], list] = defaultdict(lambda: [0, []])

    def add(self, outcome: str, reason: str, rows, count: int | None = None) -> None:
        rows = list(rows)
        count = len(rows) if count is None else count
        if not count:
            return
        g = self.groups[(outcome, reason)]
        g[0] += count
        room = MAX_ROWS_LISTED - len(g[1])
        if room > 0:
            g[1].extend(int(r) for r in rows[:room])

    def as_list(self) -> list[dict]:
        items = sorted(self.groups.items(), key=lambda kv: (kv[0][0], -kv[1][0]))
        out, rest = [], defaultdict(int)
        for (outcome, reason), (count, rows) in items:
            if len(out) < MAX_GROUPS:
                out.append({"outcome": outcome, "reason": reason, "count": count,
                            "rows": sorted(rows)})
            else:
                rest[outcome] += count
        for outcome, count in rest.items():
            out.append({"outcome": outcome, "reason": "more rows like the ones above",
                        "count": count, "rows": []})
        return out


# ---------------------------------------------------------------------------------- helpers
