"""Start the desktop app: the window paints first, then the workspace loads on a worker."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from .. import APP_NAME, __version__


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(APP_NAME)
    return app


def start_window(workspace: Path | None = None, demo: bool = False):
    """Create and show the main window and schedule what it should open."""
    from . import settings
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    if demo:
        QTimer.singleShot(0, window.open_demo)
    elif workspace is not None:
        QTimer.singleShot(0, lambda: window.open_workspace(workspace))
    else:
        last = settings.last_workspace()
        if last and Path(last).exists():
            QTimer.singleShot(0, lambda: window.open_workspace(last))
    return window


def run_app(workspace: Path | None = None, demo: bool = False) -> int:
    app = make_app()
    window = start_window(workspace, demo)  # noqa: F841 (kept alive until exec returns)
    return app.exec()
