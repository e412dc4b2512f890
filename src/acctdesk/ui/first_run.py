"""The first-run guide: what an empty workspace shows instead of empty tables.

What to export from which system, where to drop the files, and a button to import them. The
words come from :mod:`acctdesk.exports_guide`, the same table the command line and the README
use.
"""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

from ..exports_guide import EXPORT_KINDS, HOW_TO_IMPORT, START_WITH


def kind_html(kind) -> str:
    """One kind of export as rich text: title, what it gives, then system: menu path."""
    rows = "".join(
        f"<tr><td style='padding:1px 10px 1px 0'><b>{escape(system)}</b></td>"
        f"<td style='padding:1px 0'>{escape(path)}</td></tr>"
        for system, path in kind.where)
    return (f"<p style='margin:0 0 3px 0'><b style='font-size:large'>{escape(kind.title)}"
            f"</b><br>{escape(kind.gives[0].upper() + kind.gives[1:])}.</p>"
            f"<table cellspacing='0'>{rows}</table>")


class FirstRunGuide(QWidget):
    """Shown while the open workspace has no accounts: how to get your own data in."""

    import_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("FirstRunGuide")
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.set_workspace_name("")
        intro = QLabel(START_WITH)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.import_button = QPushButton("Import files…")
        self.import_button.setDefault(True)
        self.import_button.setMinimumHeight(34)
        self.import_button.clicked.connect(self.import_requested)
        drop = QLabel(HOW_TO_IMPORT)
        drop.setTextFormat(Qt.TextFormat.PlainText)
        drop.setObjectName("firstRunDrop")
        drop.setWordWrap(True)
        drop.setFrameShape(QFrame.Shape.StyledPanel)
        drop.setMargin(10)
        heading = QLabel("<b style='font-size:large'>What to export, system by system</b>")
        heading.setContentsMargins(0, 8, 0, 0)
        # one rich-text label, two kinds a row: its document wraps and sizes the cells
        cells = [f"<td width='50%' valign='top' style='padding:0 24px 14px 0'>{kind_html(k)}</td>"
                 for k in EXPORT_KINDS]
        rows = "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>" for i in range(0, len(cells), 2))
        self.kinds = QLabel(f"<table width='100%' cellspacing='0'>{rows}</table>")
        self.kinds.setTextFormat(Qt.TextFormat.RichText)
        self.kinds.setWordWrap(True)
        self.kinds.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        other = QLabel("Another system, or your own layout? Export it as CSV or Excel all the "
                       "same: acctdesk proposes which column is which and you confirm it "
                       "once; the next file with the same columns is read the same way.")
        other.setWordWrap(True)

        buttons = QHBoxLayout()
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)

        page = QWidget()
        page.setMaximumWidth(1100)
        inner = QVBoxLayout(page)
        inner.setContentsMargins(24, 18, 24, 24)
        inner.setSpacing(10)
        inner.addWidget(self.title)
        inner.addWidget(intro)
        inner.addWidget(drop)
        inner.addLayout(buttons)
        inner.addWidget(heading)
        inner.addWidget(self.kinds)
        inner.addWidget(other)
        inner.addStretch(1)

        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(page, 1)
        row.addStretch(0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(holder)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def set_workspace_name(self, name: str) -> None:
        what = f"“{escape(name)}”" if name else "This workspace"
        self.title.setText("<h2 style='margin:0'>Bring in your own data</h2>"
                           f"{what} has no accounts yet. Export your customers from the "
                           "systems you already use and drop the files on this window.")
