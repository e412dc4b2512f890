"""``acctdesk screenshots PATH -o DIR``: render every view of the desktop app to PNG files.

Builds the real main window offscreen (``QT_QPA_PLATFORM=offscreen`` when there is no
display), opens the workspace, waits for it and for every view that has a ``loaded`` signal,
then selects each sidebar item in turn and grabs the window at 1440x900 into
``DIR/<view>.png``. Also: the import dialog over the window (``import-dialog.png``, on a
golden file from ``tests/data/importers`` when the source tree is at hand, else a generated
CSV), an account's 360 view when the window can open one (``account.png``) and the scorecard
editor (``scorecard-editor.png``) and simulator when the sidebar does not have them yet.
Waiting uses a ``QEventLoop`` with a timeout, never a hand-pumped event loop. Qt is imported
only when the command runs, and settings go to a throwaway folder so the user's window
layout and recent files are untouched.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

NAME = "screenshots"
HELP = "render every view of the desktop app to PNG files (offscreen, 1440x900)"
DESCRIPTION = ("Open a workspace in the desktop app offscreen and save a 1440x900 PNG of "
               "every view, the import dialog and the scorecard editor.")
WIDTH, HEIGHT = 1440, 900
#: views of this command's own making, shown when the sidebar does not have them yet.
EXTRA_VIEWS = [("scorecard-editor", "scorecards", "acctdesk.ui.scorecard_editor",
                "ScorecardView"),
               ("simulator", "simulator", "acctdesk.ui.simulator_view", "SimulatorView")]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="workspace file (e.g. a demo workspace)")
    parser.add_argument("-o", "--output", type=Path, required=True,
                        help="folder for the PNG files (created if missing)")
    parser.add_argument("--size", type=_size, default=(WIDTH, HEIGHT), metavar="WxH",
                        help=f"window size in pixels (default {WIDTH}x{HEIGHT})")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the workspace and each view (default 120)")
    parser.add_argument("--json", action="store_true", help="print the files written as JSON")


def _size(text: str) -> tuple[int, int]:
    """argparse type: a window size such as 1280x800."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size like 1280x800") from None
    if w < 400 or h < 300:
        raise argparse.ArgumentTypeError("the window needs at least 400x300 pixels")
    return w, h


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "view"


def _golden_import_file() -> Path | None:
    """A small real export from the source tree's golden files, if present."""
    root = Path(__file__).resolve().parents[3] / "tests" / "data" / "importers"
    for rel in ("hubspot/companies.csv", "salesforce/accounts_details.csv"):
        if (root / rel).is_file():
            return root / rel
    found = sorted(root.glob("*/*.csv")) if root.is_dir() else []
    return found[0] if found else None


def _generated_csv(folder: Path, ws) -> Path:
    """A small account export made from the workspace's own accounts."""
    path = folder / "accounts-export.csv"
    acc = ws.accounts().head(25)
    cols = [c for c in ("name", "domain", "owner", "segment", "arr", "renewal_date")
            if c in acc]
    header = {"name": "Account Name", "domain": "Website", "owner": "Account Owner",
              "segment": "Segment", "arr": "ARR", "renewal_date": "Renewal Date"}
    acc[cols].rename(columns=header).to_csv(path, index=False)
    return path


def run(args) -> int:
    from . import UsageError

    if not args.path.is_file():
        raise UsageError(f"{args.path}: no such workspace file")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") \
            and sys.platform.startswith("linux"):
        if not os.environ.get("QT_QPA_PLATFORM"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["ACCTDESK_NO_DIALOGS"] = "1"
    args.output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="acctdesk-shots-") as tmp:
        # a throwaway profile: the window's remembered layout and recent files stay untouched
        os.environ["ACCTDESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        os.environ.setdefault("ACCTDESK_DATA_DIR", str(Path(tmp) / "data"))
        written = _render(args.path.resolve(), args.output, args.timeout, Path(tmp),
                          size=args.size)
    if args.json:
        print(json.dumps({"workspace": str(args.path), "files": [str(p) for p in written]},
                         indent=2))
    else:
        for p in written:
            print(p)
    return 0 if written else 1


def _render(path: Path, out: Path, timeout: float, tmp: Path,
            size: tuple[int, int] = (WIDTH, HEIGHT)) -> list[Path]:
    from ..ui.app import make_app

    app = make_app([])
    shooter = _Shooter(out, timeout, size)
    try:
        shooter.open(path)
        keys = shooter.sidebar_views()
        shooter.account_view()
        shooter.extra_views(keys)
        shooter.import_dialog(tmp)
    finally:
        shooter.close()
    del app
    return shooter.written


class _Shooter:
    """The main window offscreen, and the PNG files grabbed from it."""

    def __init__(self, out: Path, timeout: float, size: tuple[int, int]):
        from ..ui.main_window import MainWindow

        self.out, self.timeout = out, timeout
        self.width, self.height = size
        self.written: list[Path] = []
        self.window = window = MainWindow()
        window.resize(self.width, self.height)
        window.show()
        self.failures: list[str] = []
        window.runner.failed.connect(
            lambda kind, msg, _d: self.failures.append(f"{kind}: {msg}"))
        window.load_failed.connect(self.failures.append)
        # every view with a `loaded` signal: remember when it fires, before anything loads
        self.done: set[int] = set()
        for w in (window.stack.widget(i) for i in range(window.stack.count())):
            if hasattr(w, "loaded"):
                w.loaded.connect(lambda w=w: self.done.add(id(w)))

    # ------------------------------------------------------------------ waiting
    def wait(self, signal, what: str, condition=None) -> None:
        """Run the event loop until ``signal`` (one or a list) fires and ``condition()``
        holds."""
        from PySide6.QtCore import QEventLoop, QTimer

        signals = signal if isinstance(signal, (list, tuple)) else [signal]
        if condition is not None and condition():
            return
        loop = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timed_out = []
        timer.timeout.connect(lambda: (timed_out.append(True), loop.quit()))

        def fired(*_):
            if condition is None or condition():
                loop.quit()
        for sig in signals:
            sig.connect(fired)
        timer.start(int(self.timeout * 1000))
        loop.exec()
        timer.stop()
        for sig in signals:
            try:
                sig.disconnect(fired)
            except (RuntimeError, TypeError):
                pass
        if timed_out:
            raise TimeoutError(f"timed out after {self.timeout:g} s waiting for {what}")

    @staticmethod
    def settle(msecs: int = 250) -> None:
        """Let queued paints and layout run (a short timed event loop)."""
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(msecs, loop.quit)
        loop.exec()

    def wait_shown(self, view, what: str) -> None:
        """Wait for ``view`` to have loaded (views load when they are first shown)."""
        if hasattr(view, "loaded") and id(view) not in self.done:
            self.wait(view.loaded, what, lambda: id(view) in self.done)

    def save(self, pixmap, name: str) -> None:
        target = self.out / f"{name}.png"
        if not pixmap.save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
        self.written.append(target)

    # ------------------------------------------------------------------ the shots
    def open(self, path: Path) -> None:
        window = self.window
        window.open_workspace(path)
        self.wait([window.workspace_loaded, window.load_failed], "the workspace")
        if window.workspace is None:
            raise RuntimeError(f"could not open {path}: {self.failures[0]}")
        window.resize(self.width, self.height)

    def sidebar_views(self) -> list[str]:
        """Each sidebar item; returns their keys."""
        from PySide6.QtCore import Qt

        sidebar = self.window.sidebar
        keys = []
        for row in range(sidebar.count()):
            item = sidebar.item(row)
            key = item.data(Qt.ItemDataRole.UserRole) or item.text()
            keys.append(key)
            sidebar.setCurrentRow(row)
            if key == "account":
                continue   # shown on a real account (empty until one is picked)
            self.wait_shown(self.window.stack.currentWidget(), f"the {item.text()} view")
            self.settle()
            self.save(self.window.grab(), slug(key))
        return keys

    def account_view(self) -> None:
        """An account's 360 view, when the window has one."""
        window = self.window
        opener = getattr(window, "open_account", None)
        if not callable(opener) or window.workspace is None:
            return
        ids = window.workspace.accounts()["account_id"]
        if not len(ids):
            return
        opener(str(ids.iloc[0]))
        try:
            self.wait_shown(window.stack.currentWidget(), "the account view")
        except TimeoutError:
            pass
        self.settle()
        self.save(window.grab(), "account")

    def extra_views(self, keys: list[str]) -> None:
        """Views not in the sidebar yet, shown inside the window; the scorecard editor
        under its own name as well."""
        import importlib

        from PySide6.QtCore import Qt

        window, sidebar = self.window, self.window.sidebar
        for name, key, module, cls in EXTRA_VIEWS:
            if key in keys or (name == "scorecard-editor" and "scorecards" in keys):
                continue
            view = getattr(importlib.import_module(module), cls)(window.runner)
            window.stack.addWidget(view)
            sidebar.setCurrentRow(-1)
            window.stack.setCurrentWidget(view)
            view.set_workspace(window.workspace)
            flag: list[bool] = []
            view.loaded.connect(lambda flag=flag: flag.append(True))
            self.wait(view.loaded, f"the {cls}", lambda flag=flag: bool(flag))
            self.settle()
            self.save(window.grab(), name)
        if "scorecards" in keys:
            for row in range(sidebar.count()):
                if sidebar.item(row).data(Qt.ItemDataRole.UserRole) == "scorecards":
                    sidebar.setCurrentRow(row)
                    self.settle()
                    self.save(window.grab(), "scorecard-editor")

    def import_dialog(self, tmp: Path) -> None:
        """The import dialog over the window, dimmed behind it."""
        from PySide6.QtGui import QColor, QPainter

        window = self.window
        if window.sidebar.count():
            window.sidebar.setCurrentRow(0)
        self.settle()
        source = _golden_import_file() or _generated_csv(tmp, window.workspace)
        dialogs: list = []
        window.import_dialog_opened.connect(dialogs.append)
        window.open_import_dialog([source])
        if not dialogs:
            return
        dialog = dialogs[0]
        dialog.resize(min(1200, self.width - 80), min(760, self.height - 80))
        try:
            self.wait(dialog.preview_ready, "the import preview")
        except TimeoutError:
            pass
        self.settle(400)
        shot = window.grab()
        painter = QPainter(shot)
        painter.fillRect(shot.rect(), QColor(0, 0, 0, 70))
        pix = dialog.grab()
        painter.drawPixmap((shot.width() - pix.width()) // 2,
                           (shot.height() - pix.height()) // 2, pix)
        painter.end()
        self.save(shot, "import-dialog")
        dialog.reject()

    def close(self) -> None:
        self.window.runner.cancel()
        self.window.runner.wait(30_000)
        self.window.close()
