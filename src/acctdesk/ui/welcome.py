"""What a new user sees with no workspace open: what acctdesk is and the three ways in."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget, QFrame


class WelcomeView(QWidget):
    open_requested = Signal()
    new_requested = Signal()
    demo_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("WelcomeView")
        card = QFrame(self)
        card.setObjectName("welcomeCard")
        card.setMaximumWidth(520)
        title = QLabel("<h1 style='margin-bottom:0'>acctdesk</h1>")
        title.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        blurb = QLabel(
            "Your book of accounts, on your machine. Open a workspace, start a new one and "
            "drop your CRM, billing, support and usage exports on it, or look around in a "
            "demo portfolio first."
        )
        blurb.setWordWrap(True)
        blurb.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.open_button = QPushButton("Open workspace…")
        self.new_button = QPushButton("New workspace…")
        self.demo_button = QPushButton("Open the demo portfolio")
        self.demo_button.setDefault(True)
        for b in (self.open_button, self.new_button, self.demo_button):
            b.setMinimumHeight(36)
        self.open_button.clicked.connect(self.open_requested)
        self.new_button.clicked.connect(self.new_requested)
        self.demo_button.clicked.connect(self.demo_requested)
        self.message = QLabel("")
        self.message.setObjectName("welcomeMessage")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        inner = QVBoxLayout(card)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addWidget(blurb)
        inner.addSpacing(8)
        inner.addWidget(self.demo_button)
        inner.addWidget(self.open_button)
        inner.addWidget(self.new_button)
        inner.addWidget(self.message)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
