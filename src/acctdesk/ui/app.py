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
    app.setDesktopFileName("acctdesk")
    from .about import app_icon

    app.setWindowIcon(app_icon())
    apply_palette(app)
    from .passphrase import install_passphrase_dialog

    install_passphrase_dialog(app)
    return app


def apply_palette(app: QApplication) -> None:
    """Fusion style with a light or dark palette following the system's colour scheme."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    scheme = app.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Dark:
        app.setPalette(app.style().standardPalette())
        return
    p = QPalette()
    role = QPalette.ColorRole
    for r, c in ((role.Window, "#2b2b2b"), (role.WindowText, "#e6e6e6"), (role.Base, "#1e1e1e"),
                 (role.AlternateBase, "#262626"), (role.Text, "#e6e6e6"),
                 (role.Button, "#333333"), (role.ButtonText, "#e6e6e6"),
                 (role.Highlight, "#2f6fb3"), (role.HighlightedText, "#ffffff"),
                 (role.ToolTipBase, "#333333"), (role.ToolTipText, "#e6e6e6"),
                 (role.PlaceholderText, "#8a8a8a")):
        p.setColor(r, QColor(c))
    app.setPalette(p)


def start_window(workspace: Path | None = None, demo: bool = False, files=()):
    """Create and show the main window and schedule what it should open."""
    from . import settings
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    install_crash_handler(window)
    if files:
        window._pending_imports = [Path(f) for f in files]
    if demo:
        QTimer.singleShot(0, window.open_demo)
    elif workspace is not None:
        QTimer.singleShot(0, lambda: window.open_workspace(workspace))
    else:
        last = settings.last_workspace()
        if last and Path(last).exists():
            QTimer.singleShot(0, lambda: window.open_workspace(last))
    return window


def run_app(workspace: Path | None = None, demo: bool = False, files=()) -> int:
    app = make_app()
    window = start_window(workspace, demo, files)  # noqa: F841 (kept alive until exec returns)
    return app.exec()


def install_crash_handler(window) -> None:
    """Unexpected errors (UI thread or any worker thread) open a dialog with the details."""
    import threading
    import traceback

    from .crash import CrashReporter

    reporter = CrashReporter(window)
    window._crash_reporter = reporter

    def hook(exc_type, exc, tb):
        reporter.report.emit("".join(traceback.format_exception(exc_type, exc, tb)))

    def thread_hook(args):
        hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
