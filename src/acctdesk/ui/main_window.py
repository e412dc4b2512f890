"""The main window: a sidebar of views, the welcome state, a status bar with task progress.

The window paints first; the workspace (and with it pandas) is loaded on a worker thread.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow, QMessageBox,
    QProgressBar, QPushButton, QStackedWidget, QWidget,
)

from .. import APP_NAME
from . import settings as app_settings
from .accounts_view import AccountsView
from .imports_view import ImportsView
from .tasks import TaskRunner, TaskState
from .welcome import WelcomeView

WORKSPACE_FILTER = "acctdesk workspaces (*.acctdesk);;All files (*)"
#: a rotating backup is made when a workspace is opened and the newest is older than this
BACKUP_EVERY_S = 12 * 3600
KEEP_BACKUPS = 5
IMPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".ods")
IMPORT_FILTER = ("Exports (*.csv *.tsv *.txt *.xlsx *.xlsm *.xls *.ods);;CSV (*.csv *.tsv *.txt);;"
                 "Excel (*.xlsx *.xlsm *.xls);;OpenDocument (*.ods);;All files (*)")


def dropped_files(mime) -> list[Path]:
    """Local files with an importable suffix from a drop (file managers send text/uri-list)."""
    out = []
    for url in mime.urls() if mime.hasUrls() else []:
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.suffix.lower() in IMPORT_SUFFIXES and path.is_file():
            out.append(path)
    return out


#: ms between showing a workspace and starting its background work (integrity check, backup,
#: scores): the first paint of a 100k-row table should not share the interpreter with them
START_DELAY_MS = 300


def _read_accounts(ws, sort=None) -> tuple[Any, dict[str, Any]]:
    """The accounts table's rows, prepared for the table sorted by ``sort`` (its model's
    ``sort_state()``), and the summary line: read in storage order as plain Python values
    (the table sorts on its own, and building typed pandas columns for 100k rows of text
    costs more than reading them), the summary computed from the same rows."""
    from .accounts_view import ACCOUNT_COLUMNS, prepare_accounts

    needed = {c.key for c in ACCOUNT_COLUMNS} | {"account_id", "churn_date", "contract_start"}
    accounts = ws.accounts(ordered=False, objects=True, columns=needed)
    return prepare_accounts(accounts, sort), ws.account_summary(accounts)


def _load_workspace(path: Path, state: TaskState, sort=None) -> dict[str, Any]:
    """Worker: open the workspace and read what the views show (pandas loads here)."""
    from ..models.crypto import open_workspace

    from ..models.workspace import WorkspaceDamagedError

    state.progress(0.1, f"Opening {path.name}…")
    # integrity checked on open; rotating backups kept (an encrypted workspace asks for its
    # passphrase through the dialog installed by the app, unless its key is in the keychain)
    # the full integrity check and the daily backup run in the background after the first
    # paint (MainWindow._check_workspace): a 100k-account file takes seconds to read through
    try:
        ws = open_workspace(path, check=False)
    except WorkspaceDamagedError as exc:
        return _damaged(path, str(exc), state)
    try:
        state.check()
        state.progress(0.5, "Reading accounts…")
        accounts, summary = _read_accounts(ws, sort)
    except BaseException:
        ws.close()
        raise
    return {"workspace": ws, "accounts": accounts, "summary": summary}


def _damaged(path: Path, message: str, state: TaskState) -> dict[str, Any]:
    """Worker: a workspace refused as damaged; find its newest good backup to offer."""
    from ..models.restore import newest_good_backup

    state.progress(0.5, "Checking the backups…")
    good, checked = newest_good_backup(path)
    return {"damaged": path, "message": message, "backup": good, "checked": checked}


def _restore(path: Path, backup: Path, state: TaskState, sort=None) -> dict[str, Any]:
    from ..models.restore import restore_backup

    state.progress(0.1, f"Restoring {backup.name}…")
    result = restore_backup(path, backup)
    loaded = _load_workspace(path, state, sort)
    loaded["restored"] = result
    return loaded


def _make_demo(path: Path, state: TaskState) -> dict[str, Any]:
    from ..models.demo import create_demo_workspace

    state.progress(0.05, "Generating the demo portfolio…")
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        p.unlink(missing_ok=True)
    ws = create_demo_workspace(path)
    ws.close()
    state.check()
    return _load_workspace(path, state)


def _new_workspace(path: Path, state: TaskState) -> dict[str, Any]:
    from ..models import Workspace

    if path.exists():
        raise FileExistsError(f"{path} already exists; choose another name")
    Workspace(path, create=True).close()
    return _load_workspace(path, state)


def health_trend(figures):
    """Points of health change per account since the baseline the worklist uses too (so
    Today's "health down N points" and the Accounts table's Trend agree), rounded to 0.1;
    +inf ("new") where the account has a score now and none before."""
    import numpy as np

    from .table_model import NEW_TREND

    now = figures["health_score"].to_numpy(dtype=float)
    old = figures["health_before"].to_numpy(dtype=float)
    return np.where(np.isnan(old) & ~np.isnan(now), NEW_TREND,
                    np.round(figures["health_delta"].to_numpy(dtype=float), 1))


class MainWindow(QMainWindow):
    workspace_loaded = Signal(str)   # path
    load_failed = Signal(str)        # message

    #: sidebar order; views not built yet are not listed
    VIEWS = [("today", "Today"), ("portfolio", "Portfolio"), ("accounts", "Accounts"),
             ("account", "Account"), ("whitespace", "Whitespace"), ("renewals", "Renewals"),
             ("scorecards", "Scorecards"), ("simulator", "Simulator"), ("imports", "Imports"),
             ("audit", "Audit")]
    START_VIEW = "today"
    import_dialog_opened = Signal(object)   # the ImportDialog
    data_reloaded = Signal()

    def __init__(self):
        super().__init__()
        self.workspace = None
        self._retiring: list = []        # closed workspaces waiting for their tasks to end
        self._pending_imports: list = []
        self.import_dialog = None
        self.setWindowTitle(APP_NAME)
        self.setMinimumSize(QSize(760, 520))
        self.runner = TaskRunner(self)

        self._build_views()
        self._build_central()
        self._build_status_bar()

        self.welcome.open_requested.connect(self.choose_workspace)
        self.welcome.new_requested.connect(self.choose_new_workspace)
        self.welcome.demo_requested.connect(self.open_demo)
        self.welcome.create_requested.connect(self.create_workspace)
        self._build_menus()
        from .table_view import DataTableView

        for grid in self.findChildren(DataTableView):
            grid.find_shortcut.setEnabled(False)   # Edit > Find (Ctrl+F) serves every view
        self._show_welcome()
        self._restore_geometry()

    def _build_views(self):
        """The sidebar, every view and the stack that shows one at a time."""
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(170)
        for key, title in self.VIEWS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setSizeHint(QSize(150, 34))
            self.sidebar.addItem(item)
        self.welcome = WelcomeView()
        from .account_view import AccountView
        from .today_view import TodayView
        from .undo import EditHistory

        self.edit_history = EditHistory(self)
        self.today_view = TodayView(self.runner, history=self.edit_history)
        self.accounts_view = AccountsView()
        self.account_view = AccountView(self.runner, history=self.edit_history)
        from .portfolio_view import PortfolioView
        from .renewals_view import RenewalsView
        from .scorecard_editor import ScorecardView
        from .simulator_view import SimulatorView
        from .whitespace_view import WhitespaceView

        self.portfolio_view = PortfolioView(self.runner)
        self.whitespace_view = WhitespaceView(self.runner)
        self.renewals_view = RenewalsView(self.runner)

        self.scorecards_view = ScorecardView(self.runner)
        self.simulator_view = SimulatorView(self.runner)
        self.scorecards_view.saved.connect(lambda _id: self.reload())
        from .audit_view import AuditView

        self.audit_view = AuditView(self.runner)
        self.imports_view = ImportsView()
        self.imports_view.undo_requested.connect(self.undo_batch)
        self.views: dict[str, QWidget] = {
            "audit": self.audit_view,
            "today": self.today_view, "accounts": self.accounts_view,
            "account": self.account_view, "scorecards": self.scorecards_view,
            "portfolio": self.portfolio_view, "whitespace": self.whitespace_view,
            "renewals": self.renewals_view,
            "simulator": self.simulator_view, "imports": self.imports_view,
        }
        #: views that have not been shown the current workspace yet (loaded when first shown)
        self._stale: set[str] = set()
        from .first_run import FirstRunGuide

        self.first_run = FirstRunGuide()
        self.first_run.import_requested.connect(self.choose_import_files)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.first_run)
        for key, _title in self.VIEWS:
            self.stack.addWidget(self.views[key])
        for view in (self.today_view, self.accounts_view, self.portfolio_view,
                     self.whitespace_view, self.renewals_view):
            view.account_activated.connect(self.open_account)
        self.edit_history.failed.connect(self.status_label_message)
        self.setAcceptDrops(True)
        self.sidebar.currentRowChanged.connect(self._show_view)

    def _build_central(self):
        """The sidebar beside the stack."""
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)

    def _build_status_bar(self):
        """Status text, the running task's progress and its Cancel button."""
        self.status_label = QLabel("No workspace open")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setRange(0, 100)
        self.progress.hide()
        self.progress_text = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.cancel_button.clicked.connect(lambda: self.runner.cancel())
        bar = self.statusBar()
        bar.addWidget(self.status_label, 1)
        bar.addPermanentWidget(self.progress_text)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.runner.started.connect(self._task_started)
        self.runner.progress.connect(self._task_progress)
        self.runner.idle.connect(self._task_idle)
        self.runner.failed.connect(self._task_failed)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.action_new = QAction("&New Workspace…", self, shortcut=QKeySequence.StandardKey.New,
                                  triggered=self.choose_new_workspace)
        self.action_open = QAction("&Open Workspace…", self,
                                   shortcut=QKeySequence.StandardKey.Open,
                                   triggered=self.choose_workspace)
        self.action_demo = QAction("Open &Demo Portfolio", self, triggered=self.open_demo)
        self.action_import = QAction("&Import Files…", self, shortcut=QKeySequence("Ctrl+I"),
                                     triggered=self.choose_import_files)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        self.action_close = QAction("&Close Workspace", self,
                                    shortcut=QKeySequence.StandardKey.Close,
                                    triggered=self.close_workspace)
        self.action_quit = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit,
                                   triggered=self.close)
        file_menu.insertAction(self.recent_menu.menuAction(), self.action_new)
        file_menu.insertAction(self.recent_menu.menuAction(), self.action_open)
        file_menu.insertAction(self.recent_menu.menuAction(), self.action_demo)
        file_menu.addSeparator()
        file_menu.addAction(self.action_import)
        file_menu.addSeparator()
        file_menu.addAction(self.action_close)
        file_menu.addSeparator()
        file_menu.addAction(self.action_quit)
        file_menu.aboutToShow.connect(self._fill_recent)
        edit_menu = self.menuBar().addMenu("&Edit")
        undo_edit = self.edit_history.stack.createUndoAction(self, "&Undo")
        undo_edit.setShortcut(QKeySequence.StandardKey.Undo)
        redo_edit = self.edit_history.stack.createRedoAction(self, "&Redo")
        redo_edit.setShortcut(QKeySequence.StandardKey.Redo)
        edit_menu.addAction(undo_edit)
        edit_menu.addAction(redo_edit)
        edit_menu.addSeparator()
        self.action_undo = QAction("Undo Last &Import…", self, triggered=self.undo_last_import)
        edit_menu.addAction(self.action_undo)
        edit_menu.addSeparator()
        self.action_find = QAction("&Find", self, shortcut=QKeySequence.StandardKey.Find,
                                   triggered=self.find_in_view)
        self.action_export = QAction("&Export View…", self, shortcut=QKeySequence("Ctrl+E"),
                                     triggered=self.export_view)
        edit_menu.addAction(self.action_find)
        edit_menu.addAction(self.action_export)
        edit_menu.addSeparator()
        self.action_prefs = QAction("&Preferences…", self,
                                    shortcut=QKeySequence.StandardKey.Preferences,
                                    triggered=self.show_preferences)
        if self.action_prefs.shortcut().isEmpty():
            self.action_prefs.setShortcut(QKeySequence("Ctrl+,"))
        edit_menu.addAction(self.action_prefs)
        view_menu = self.menuBar().addMenu("&View")
        for n, (key, title) in enumerate(self.VIEWS):
            view_menu.addAction(QAction(title, self, shortcut=QKeySequence(f"Ctrl+{n + 1}"),
                                        triggered=lambda _=False, r=n: self.sidebar.setCurrentRow(r)))
        help_menu = self.menuBar().addMenu("&Help")
        self.action_guide = QAction("&What to Export From Which System", self,
                                    triggered=self.show_first_run_guide)
        help_menu.addAction(self.action_guide)
        help_menu.addAction(QAction("&About acctdesk", self, triggered=self.show_about))

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in app_settings.recent_workspaces() if Path(p).exists()]
        for p in recent:
            self.recent_menu.addAction(Path(p).name, lambda p=p: self.open_workspace(p)
                                       ).setToolTip(p)
        self.recent_menu.setEnabled(bool(recent))

    def _grid_of(self, view):
        return getattr(view, "grid", None)

    def find_in_view(self) -> None:
        grid = self._grid_of(self.stack.currentWidget())
        if grid is not None and hasattr(grid, "focus_search"):
            grid.focus_search()

    def export_view(self) -> None:
        """Export what the current view shows (its table, as filtered and sorted)."""
        view = self.stack.currentWidget()
        grid = self._grid_of(view)
        if grid is not None and hasattr(grid, "choose_export"):
            grid.choose_export()
            return
        if hasattr(view, "export_to"):
            path, _ = QFileDialog.getSaveFileName(self, "Export", str(Path.home() / "export.xlsx"),
                                                  "Excel workbook (*.xlsx);;CSV (*.csv)")
            if path:
                view.export_to(path)

    def show_preferences(self) -> None:
        if self.workspace is None:
            return
        from .preferences import PreferencesDialog

        dialog = PreferencesDialog(self.workspace, self)
        dialog.accepted.connect(self.reload)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preferences_dialog = dialog
        dialog.open()

    def show_about(self) -> None:
        from .about import AboutDialog

        self._about = AboutDialog(self)
        self._about.open()

    # ------------------------------------------------------------------ views
    def show_first_run_guide(self) -> None:
        """What to export from which system, with a button to import: where an empty
        workspace opens, and Help > What to Export any time a workspace is open."""
        if self.workspace is None:
            return
        name = self.workspace.get_meta("name") or self.workspace.path.stem
        self.first_run.set_workspace_name(name)
        # the page that had focus goes away: focus would fall to the sidebar, which then
        # selects its first row (and shows Today instead of the guide)
        self.sidebar.blockSignals(True)
        try:
            self.stack.setCurrentWidget(self.first_run)
            self.first_run.import_button.setFocus()
            self.sidebar.setCurrentRow(-1)
        finally:
            self.sidebar.blockSignals(False)

    def _show_welcome(self) -> None:
        self.sidebar.hide()
        self.stack.setCurrentWidget(self.welcome)
        self.action_guide.setEnabled(False)
        self.action_close.setEnabled(False)
        self.action_import.setEnabled(False)
        self.action_undo.setEnabled(False)
        self.action_prefs.setEnabled(False)

    def _show_view(self, row: int) -> None:
        if row < 0 or self.workspace is None:
            return
        key = self.sidebar.item(row).data(Qt.ItemDataRole.UserRole)
        view = self.views[key]
        if key in self._stale:
            self._stale.discard(key)
            view.set_workspace(self.workspace)
        self.stack.setCurrentWidget(view)
        if key != "account":        # the 360 view needs an account: not a place to reopen on
            app_settings.settings().setValue("window/view", key)

    def start_view(self) -> str:
        """The view a workspace opens on: the one last used, else :attr:`START_VIEW`."""
        key = app_settings.settings().value("window/view", "") or ""
        return key if key in self.views and key != "account" else self.START_VIEW

    def _start_background_work(self) -> None:
        """After a workspace is shown: the integrity check, the daily backup and the scores
        of the Accounts table."""
        if self.workspace is None:
            return
        self._check_workspace()
        self._score_accounts()

    def show_view(self, key: str) -> None:
        """Switch to a view by key (as if its sidebar item was clicked)."""
        row = next(i for i, (k, _t) in enumerate(self.VIEWS) if k == key)
        self.sidebar.setCurrentRow(row)
        self._show_view(row)

    def current_view_key(self) -> str | None:
        widget = self.stack.currentWidget()
        return next((k for k, v in self.views.items() if v is widget), None)

    def open_account(self, account_id: str) -> None:
        """Open an account's 360 view (from Today, Accounts or anywhere else)."""
        if self.workspace is None:
            return
        if "account" in self._stale:
            self._stale.discard("account")
            self.account_view.set_workspace(self.workspace)
        self.account_view.show_account(account_id)
        self.show_view("account")

    def status_label_message(self, text: str) -> None:
        self.status_label.setText(text)

    # ------------------------------------------------------------------ workspaces
    def choose_workspace(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open workspace", str(Path.home()),
                                              WORKSPACE_FILTER)
        if path:
            self.open_workspace(path)

    def choose_new_workspace(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New workspace",
                                              str(Path.home() / "accounts.acctdesk"),
                                              WORKSPACE_FILTER)
        if not path:
            return
        if not path.endswith(".acctdesk"):
            path += ".acctdesk"
        self.create_workspace(path)

    def create_workspace(self, path: str | os.PathLike) -> None:
        """Create an empty workspace at ``path`` and open it (on the first-run guide)."""
        path = Path(path)
        self.runner.start("open", "Creating workspace",
                          lambda st: _new_workspace(path, st), self._loaded)

    def open_workspace(self, path: str | os.PathLike) -> None:
        path = Path(path)
        if not path.exists():
            # a typo, a moved file, or `acctdesk new-name.acctdesk`: offer an empty one there
            message = f"There is no workspace at {path}."
            self.status_label.setText(message)
            if self.workspace is None:
                self._show_welcome()
                self.welcome.offer_create(path)
            self.load_failed.emit(message)
            return
        sort = self.accounts_view.model.sort_state()
        self.runner.start("open", f"Opening {path.name}",
                          lambda st: _load_workspace(path, st, sort), self._loaded)

    def open_demo(self) -> None:
        from ..paths import data_dir

        path = data_dir() / "demo.acctdesk"
        self.runner.start("open", "Creating the demo portfolio",
                          lambda st: _make_demo(path, st), self._loaded)

    def close_workspace(self) -> None:
        self.runner.cancel()
        for key, view in self.views.items():
            if hasattr(view, "set_workspace") and key not in ("imports",):
                view.set_workspace(None)
        if self.workspace is not None:
            self._retire(self.workspace)
            self.workspace = None
        self.setWindowTitle(APP_NAME)
        self.status_label.setText("No workspace open")
        self.welcome.show_message("")
        self._show_welcome()

    def _loaded(self, result: dict[str, Any]) -> None:
        if "damaged" in result:
            self._offer_restore(result)
            return
        if self.workspace is not None and self.workspace is not result["workspace"]:
            self.runner.cancel()        # the old workspace's tasks: their results are stale
            self._retire(self.workspace)
        ws = result["workspace"]
        self.workspace = ws
        self._show_data(result)
        name = result["summary"].get("name") or ws.path.stem
        self.setWindowTitle(f"{name} — {APP_NAME}")
        self.sidebar.show()
        self._stale = {k for k in self.views if k not in ("accounts", "imports")}
        if result["summary"]["accounts"]:
            self.show_view(self.start_view())
        else:       # a new, empty workspace: how to get your data in, not empty tables
            self.show_first_run_guide()
        # the first paint comes before the background work that would compete with it
        QTimer.singleShot(START_DELAY_MS, self._start_background_work)
        self.action_close.setEnabled(True)
        self.action_import.setEnabled(True)
        self.action_undo.setEnabled(True)
        self.action_prefs.setEnabled(True)
        self.action_guide.setEnabled(True)
        app_settings.remember_workspace(str(ws.path))
        if result.get("restored") is not None:
            r = result["restored"]
            self.status_label.setText(
                f"Restored {ws.path.name} from {r.backup.path.name}"
                + (f"; the damaged file is kept as {r.kept_as.name}" if r.kept_as else ""))
        self.workspace_loaded.emit(str(ws.path))
        if self._pending_imports:
            files, self._pending_imports = self._pending_imports, []
            self.open_import_dialog(files)

    def _offer_restore(self, found: dict[str, Any]) -> None:
        """A workspace was refused as damaged: offer its newest good backup."""
        path, message, good = found["damaged"], found["message"], found["backup"]
        if self.workspace is None:
            self._show_welcome()
        self.status_label.setText(message)
        if good is None:
            text = (f"{message}\n\nNo good backup was found beside it ("
                    f"{len(found['checked'])} checked). Re-import the exports into a new "
                    "workspace.")
            self.welcome.show_message(text)
            self.load_failed.emit(text)
            if os.environ.get("ACCTDESK_NO_DIALOGS") != "1":
                QMessageBox(QMessageBox.Icon.Critical, "acctdesk", text,
                            QMessageBox.StandardButton.Ok, self).open()
            return
        if not self.confirm_restore(Path(path), message, good, found["checked"]):
            self.welcome.show_message(message)
            self.load_failed.emit(message)
            return
        sort = self.accounts_view.model.sort_state()
        self.runner.start("open", f"Restoring {Path(path).name}",
                          lambda st: _restore(Path(path), good.path, st, sort), self._loaded)

    def confirm_restore(self, path: Path, message: str, good, checked) -> bool:
        """Ask whether to restore the newest good backup (tests replace this method)."""
        if os.environ.get("ACCTDESK_NO_DIALOGS") == "1":
            return False
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Workspace damaged")
        box.setText(f"{path.name} is damaged and cannot be opened.")
        box.setInformativeText(
            f"The newest good backup is {good.path.name}, made "
            f"{good.made:%Y-%m-%d %H:%M} (checked: sound). Restore it? The damaged file is "
            "kept beside it; changes made after the backup are not in it.")
        box.setDetailedText(message + "\n\nBackups checked:\n"
                            + "\n".join(b.describe() for b in checked))
        restore = box.addButton("Restore Backup", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is restore

    def _retire(self, ws) -> None:
        """Close ``ws`` once no background task can still be reading it.

        Its tasks were cancelled (they stop at their next check) and their SQL is interrupted;
        closing a connection while a worker thread is inside it would crash the app, so the
        file is closed when the task runner has no thread busy. Its kept analysis results
        leave memory now.
        """
        from .. import engine

        engine.forget(ws)
        ws.interrupt()
        self._retiring.append(ws)
        self._close_retired()

    def _close_retired(self) -> None:
        if not self._retiring:
            return
        if self.runner.pool.activeThreadCount():
            QTimer.singleShot(100, self._close_retired)
            return
        retiring, self._retiring = self._retiring, []
        for ws in retiring:
            ws.close()
            if ws.close_problem:            # e.g. a full disk: the changes wait in the -wal
                self.status_label.setText(ws.close_problem)

    def _show_data(self, result: dict[str, Any]) -> None:
        ws = self.workspace
        summary = result["summary"]
        self.accounts_view.set_data(result["accounts"], summary)
        self.imports_view.set_workspace(ws)
        size = sum(p.stat().st_size for p in (ws.path, Path(f"{ws.path}-wal"))
                   if p.exists()) / 1e6
        last = ""
        batches = self.imports_view._frame
        if len(batches):
            top = batches.iloc[0]
            last = f" · last import: {top['file_name']} ({str(top['finished_at'])[:16]})"
        lock = ""
        if getattr(ws, "encrypted", False):
            from ..models.crypto import key_location

            where = ws.key_location or key_location(ws.path)
            lock = " · encrypted" + (f"; key in {where.describe()}" if where else "")
        self.status_label.setText(
            f"{ws.path.name} · {summary['accounts']:,} accounts · data as of "
            f"{summary['data_date'] or '—'} · {size:.1f} MB{lock}{last}")

    def reload(self) -> None:
        """Read the workspace again after a change (import, undo)."""
        ws = self.workspace
        if ws is None:
            return

        sort = self.accounts_view.model.sort_state()

        def work(state: TaskState):
            accounts, summary = _read_accounts(ws, sort)
            return {"accounts": accounts, "summary": summary}

        def done(result):
            self._show_data(result)
            current = self.current_view_key()
            self._stale = {k for k in self.views if k not in ("accounts", "imports")}
            if self.stack.currentWidget() is self.first_run and result["summary"]["accounts"]:
                self.show_view(self.start_view())      # the first accounts are in
            elif current in self._stale:
                self._stale.discard(current)
                self.views[current].set_workspace(ws)
            self._score_accounts()
            self.data_reloaded.emit()

        self.runner.start("reload", "Refreshing", work, done)

    integrity_checked = Signal(list)   # problems found ([] when the file is sound)

    def _check_workspace(self) -> None:
        """Integrity check and the daily rotating backup, in the background after loading."""
        ws = self.workspace

        def work(state: TaskState):
            problems = ws.integrity_check()
            if not problems:
                backups = ws.list_backups("auto")
                if not backups or time.time() - backups[-1].stat().st_mtime > BACKUP_EVERY_S:
                    state.progress(0.8, "Backing up…")
                    ws.rotate_backups(keep=KEEP_BACKUPS)
            return problems

        def done(problems):
            if problems:
                message = (f"{ws.path.name} is damaged ({problems[0]}). Close it and open it "
                           "again to restore its newest good backup (or run 'acctdesk "
                           f"restore {ws.path.name}'); avoid changing it until then.")
                self.status_label.setText(message)
                if os.environ.get("ACCTDESK_NO_DIALOGS") != "1":
                    QMessageBox(QMessageBox.Icon.Critical, "acctdesk", message,
                                QMessageBox.StandardButton.Ok, self).open()
            self.integrity_checked.emit(list(problems))

        self.runner.start("integrity", "Checking the workspace", work, done)

    def _score_accounts(self) -> None:
        """Health, churn risk and whitespace for the Accounts table, in the background."""
        ws = self.workspace
        if ws is None:
            return

        ids = self.accounts_view._ids
        if not len(ids):
            return      # nothing to score: an empty workspace is a normal state

        def work(state: TaskState):
            import pandas as pd

            from ..engine import Engine

            a = Engine(ws).analysis()
            a.prepare(progress=state.progress, check=state.check)
            if a.empty:      # accounts without any date yet: nothing to score on
                return None
            f = a.figures.set_index(a.figures["account_id"].astype(str))
            frame = pd.DataFrame({"health_score": f["health_score"], "health_band": f["band"],
                                  "health_trend": health_trend(f),
                                  "churn_risk": f["churn_probability"],
                                  "priority": f["priority"],
                                  "whitespace_value": f["whitespace_arr"]}, index=f.index)
            colours = {label: colour for label, _, colour in a.health.bands()}
            # in the table's row order here, so the UI thread only swaps the columns in
            return (frame.reindex(pd.Index(ids, dtype=object).astype(str)), colours,
                    a.health.baseline)

        self.runner.start("accounts:scores", "Scoring accounts", work,
                          lambda r: r is not None and self.accounts_view.set_scores(
                              r[0], r[1], trend_basis=r[2]))

    # ------------------------------------------------------------------ importing
    def choose_import_files(self) -> None:
        if self.workspace is None:
            return
        files, _ = QFileDialog.getOpenFileNames(self, "Import exports", str(Path.home()),
                                                IMPORT_FILTER)
        if files:
            self.open_import_dialog(files)

    def open_import_dialog(self, files) -> None:
        if self.workspace is None:
            self._pending_imports = list(files)
            self.welcome.show_message(
                "Open or create a workspace first; the dropped files will be imported into it.")
            return
        from .import_dialog import ImportDialog

        dialog = ImportDialog(self.workspace, [Path(f) for f in files], self.runner, self)
        dialog.import_finished.connect(lambda _results: self.reload())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_dialog = dialog
        dialog.open()
        self.import_dialog_opened.emit(dialog)

    def dragEnterEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        files = dropped_files(event.mimeData())
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_import_dialog(files)

    def undo_batch(self, batch_id: int, force: bool = False) -> None:
        ws = self.workspace
        if ws is None:
            return

        def work(state: TaskState):
            from ..models.batch_undo import UndoNeedsConfirmation, undo_batch

            try:
                return undo_batch(ws, batch_id, force=force)
            except UndoNeedsConfirmation as exc:   # nothing changed: ask, then undo anyway
                return exc

        def done(result) -> None:
            from ..models.batch_undo import UndoNeedsConfirmation

            if isinstance(result, UndoNeedsConfirmation):
                text = str(result).split(" To go ahead:")[0]
                if self.imports_view.confirm_undo_anyway(batch_id, text):
                    self.undo_batch(batch_id, force=True)
                else:
                    self.status_label.setText(f"Batch {batch_id} was not undone; nothing "
                                              "changed.")
                return
            self.reload()

        self.runner.start("undo", f"Undoing batch {batch_id}", work, done)

    def undo_last_import(self) -> None:
        if self.workspace is None:
            return
        frame = self.imports_view._frame
        applied = frame[frame["status"] == "applied"] if len(frame) else frame
        if not len(applied):
            self.status_label.setText("Nothing to undo: no import batch is applied.")
            return
        top = applied.iloc[0]
        if self.imports_view.confirm_undo(int(top["batch_id"]), str(top["file_name"])):
            self.undo_batch(int(top["batch_id"]))

    # ------------------------------------------------------------------ tasks
    def _task_started(self, kind: str, title: str) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.progress_text.setText(title)
        self.cancel_button.show()

    def _task_progress(self, kind: str, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 100))
        if text:
            self.progress_text.setText(text)

    def _task_idle(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.progress_text.setText("")

    def _task_failed(self, kind: str, message: str, details: str) -> None:
        if kind in ("undo", "reload", "import"):
            self.status_label.setText(message)
        on_welcome = False
        if kind == "open":
            if self.workspace is None:
                self._show_welcome()
                self.welcome.show_message(message)
                on_welcome = True      # the message is on the screen, in full: no dialog
            self.status_label.setText(message)
        self.load_failed.emit(message)
        if not on_welcome and os.environ.get("ACCTDESK_NO_DIALOGS") != "1":
            box = QMessageBox(QMessageBox.Icon.Warning, "acctdesk", message,
                              QMessageBox.StandardButton.Ok, self)
            box.setDetailedText(details)
            box.open()

    # ------------------------------------------------------------------ state
    def _restore_geometry(self) -> None:
        s = app_settings.settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def save_state(self) -> None:
        s = app_settings.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.sync()

    def closeEvent(self, event) -> None:
        self.save_state()
        self.runner.cancel()
        for ws in [self.workspace, *self._retiring]:
            if ws is not None:
                ws.interrupt()
        idle = self.runner.wait(30_000)
        if idle:   # a worker still inside SQLite after that: leave the files to process exit
            for ws in [self.workspace, *self._retiring]:
                if ws is not None:
                    ws.close()
            self._retiring = []
        self.workspace = None
        super().closeEvent(event)
