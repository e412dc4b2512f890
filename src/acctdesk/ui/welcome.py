"""What a new user sees with no workspace open: what acctdesk is and the three ways in."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget,
)

#: the card's widest width; narrower windows wrap its text (nothing is cut off)
CARD_WIDTH = 540


class WelcomeView(QWidget):
    open_requested = Signal()
    new_requested = Signal()
    demo_requested = Signal()
    #: "Create an empty workspace there" for a path that does not exist (str path)
    create_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("WelcomeView")
        self._missing: Path | None = None
        card = QFrame()
        card.setObjectName("welcomeCard")
        card.setMaximumWidth(CARD_WIDTH)
        # no alignment flag in the layout: an aligned widget keeps its size hint's width
        # and its wrapped text is cut off; the row below gives it the full width instead
        card.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        title = QLabel("<h1 style='margin-bottom:0'>acctdesk</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.blurb = QLabel(
            "Your book of accounts, on your machine. Start a new workspace and drop your "
            "CRM, billing, support, usage and survey exports on it, open one you already "
            "have, or look around the demo portfolio first (made-up accounts, to explore)."
        )
        self.blurb.setWordWrap(True)
        self.blurb.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.new_button = QPushButton("New workspace for your data…")
        self.open_button = QPushButton("Open workspace…")
        self.demo_button = QPushButton("Open the demo portfolio")
        self.create_button = QPushButton("Create an empty workspace there")
        self.create_button.hide()
        self.new_button.setDefault(True)
        for b in (self.open_button, self.new_button, self.demo_button, self.create_button):
            b.setMinimumHeight(36)
        self.open_button.clicked.connect(self.open_requested)
        self.new_button.clicked.connect(self.new_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        self.create_button.clicked.connect(self._create_missing)
        self.message = QLabel("")
        self.message.setObjectName("welcomeMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setFrameShape(QFrame.Shape.StyledPanel)
        self.message.setMargin(8)
        self.message.hide()

        inner = QVBoxLayout(card)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addWidget(self.blurb)
        inner.addSpacing(8)
        inner.addWidget(self.message)
        inner.addWidget(self.create_button)
        inner.addWidget(self.new_button)
        inner.addWidget(self.open_button)
        inner.addWidget(self.demo_button)

        page = QWidget()
        column = QVBoxLayout(page)
        column.setContentsMargins(20, 20, 20, 20)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 1000)   # all the width up to CARD_WIDTH, the rest either side
        row.addStretch(1)
        column.addStretch(1)
        column.addLayout(row)
        column.addStretch(2)
        # a window smaller than the card scrolls instead of squeezing the text
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def show_message(self, text: str) -> None:
        """A message under the title (e.g. why a workspace did not open); "" hides it."""
        self._missing = None
        self.create_button.hide()
        self.create_button.setDefault(False)
        self.new_button.setDefault(True)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def offer_create(self, path: str | Path) -> None:
        """``path`` does not exist: say so and offer to create an empty workspace there."""
        path = Path(path)
        self.show_message(f"There is no workspace at {path}. Create an empty one there for "
                          "your own data, or open another workspace.")
        self._missing = path
        self.create_button.setText(f"Create the empty workspace {path.name}")
        self.create_button.show()
        self.new_button.setDefault(False)
        self.create_button.setDefault(True)

    def _create_missing(self) -> None:
        if self._missing is not None:
            self.create_requested.emit(str(self._missing))
