"""Reading a workspace's entities into the frames the analytics compute from."""
from __future__ import annotations

from ..analytics.scorecards import ScoringData

#: the entities a ScoringData holds, in the order they are read
ENTITIES = ("accounts", "usage", "tickets", "surveys", "subscriptions", "activities",
            "contacts")


def read_data(ws, progress=None) -> ScoringData:
    """Every entity of the workspace ``ws`` (through its typed reads) as one
    :class:`~acctdesk.analytics.scorecards.ScoringData`. ``progress(fraction, text)`` is told
    which entity is being read."""
    frames = {}
    for i, name in enumerate(ENTITIES):
        if progress is not None:
            progress(i / len(ENTITIES), f"Reading {name}…")
        frames[name] = getattr(ws, name)()
    return ScoringData(**frames)
