"""The colours of health bands and of good and bad news: the default scorecard's red, yellow
and green and the grey of "not scored", one set for the scorecards, every screen and file."""
from __future__ import annotations

RED, YELLOW, GREEN, GREY = "#d64545", "#e0b000", "#2e9d5b", "#9a9a9a"

#: band colours by label, for a band whose scorecard gives none (the built-in cards' labels)
BAND_COLOURS = {"Red": RED, "Yellow": YELLOW, "Green": GREEN,
                "Poor": RED, "Average": YELLOW, "Good": GREEN,
                "High": RED, "Medium": YELLOW, "Low": GREEN,
                "Not scored": GREY}

__all__ = ["RED", "YELLOW", "GREEN", "GREY", "BAND_COLOURS"]
