"""Benchmark: the accounts table at 100k rows, lazy model vs QStandardItemModel (offscreen).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_ui_table.py [ROWS]
        [--synthetic] [--workspace PATH]

Times, in one run and on one machine:

* open to paint: the app's window, showing the Accounts view, is told to open a ROWS-account
  workspace file (``MainWindow.open_workspace``: the file opened and read in the task runner,
  the rows handed to the table) until the table has painted its rows. The workspace is the
  demo generator's (``PATH``, created when missing: about a minute for 100k accounts). Five
  opens, each in a new window; the first also pays for importing the modules it needs;
* first paint: ``AccountsView.set_data`` (the frame handed to the model) until the window is
  painted (a synchronous ``repaint()``);
* sort by ARR (a click on the header) and again descending, each until painted;
* a text filter on the account name, a number-range filter on ARR and a quick search, each
  until painted;
* scrolling 100 pages, one page per step, each step until painted (max and median).

The same rows in a ``QStandardItemModel`` (sorted by the view, filtered through a
``QSortFilterProxyModel``) are measured the same way, and the ratio is printed.
Targets (issue 7): open to paint < 1 s, sort and filter < 300 ms, no scroll step > 50 ms.
"""
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ACCTDESK_CONFIG_DIR", tempfile.mkdtemp(prefix="acctdesk-bench-"))

import numpy as np
import pandas as pd
from PySide6.QtCore import QPoint, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QTableView

from acctdesk.ui.accounts_view import ACCOUNT_COLUMNS, AccountsView
from acctdesk.ui.table_model import make_formatter

TARGETS = {"open to paint (max of 5)": 1.0, "sort": 0.3, "filter": 0.3,
           "scroll step (max)": 0.05}


def _workspace(n: int, path: str | None) -> str:
    """A demo workspace of ``n`` accounts at ``path`` (default: in the temp dir), made once."""
    from pathlib import Path

    from acctdesk.models.demo import create_demo_workspace

    target = Path(path or Path(tempfile.gettempdir()) / f"acctdesk-bench-{n}.acctdesk")
    if not target.exists():
        t = time.perf_counter()
        print(f"creating {target} ({n:,} accounts)…", flush=True)
        create_demo_workspace(target, n_accounts=n, data_date="2026-10-31").close()
        print(f"  created in {time.perf_counter() - t:.0f} s", flush=True)
    return str(target)


def bench_open(app, path: str, times: int = 5) -> list[float]:
    """Seconds from ``MainWindow.open_workspace(path)`` to the accounts table painted."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    from acctdesk.ui import settings as app_settings
    from acctdesk.ui.main_window import MainWindow

    app_settings.settings().setValue("window/view", "accounts")   # reopen on Accounts
    out = []
    for _ in range(times):
        window = MainWindow()
        window.resize(1280, 800)
        window.show()
        app.processEvents()
        table = window.accounts_view.table
        loop = QEventLoop()
        done: list[float] = []

        class Painted(QObject):
            def eventFilter(self, obj, event):   # noqa: N802 (Qt name)
                if event.type() == QEvent.Type.Paint and table.model().rowCount() and \
                        not done:
                    # the paint runs after this filter returns: stamp when it is over
                    QTimer.singleShot(0, lambda: (done.append(time.perf_counter()),
                                                  loop.quit()))
                return False

        spy = Painted()
        table.viewport().installEventFilter(spy)
        QTimer.singleShot(120_000, loop.quit)
        t = time.perf_counter()
        window.open_workspace(path)
        loop.exec()
        if not done:
            raise SystemExit(f"the accounts table never painted after opening {path}")
        out.append(done[0] - t)
        table.viewport().removeEventFilter(spy)
        window.runner.cancel()
        window.runner.wait(120_000)
        window.close_workspace()
        window.close()
        window.deleteLater()
        app.processEvents()
    return out


def _accounts(n: int, synthetic: bool) -> pd.DataFrame:
    if not synthetic:
        from acctdesk.models.demo import generate_demo

        return generate_demo(n).accounts
    rng = np.random.default_rng(7)
    words = np.array(["Acme", "Apex", "Arbor", "Atlas", "Beacon", "Birch", "Cobalt", "Delta",
                      "Ember", "Flint", "Granite", "Harbor", "Iris", "Juniper", "Kestrel"])
    kinds = np.array(["Labs", "Systems", "Tech", "Health", "Retail", "Bank", "Media"])
    days = rng.integers(0, 900, n)
    return pd.DataFrame({
        "account_id": [f"A{i:07d}" for i in range(n)],
        "name": [f"{a} {b} {i}" for i, (a, b) in
                 enumerate(zip(rng.choice(words, n), rng.choice(kinds, n)))],
        "owner": rng.choice([f"CSM {i}" for i in range(40)], n),
        "segment": rng.choice(["SMB", "Mid-Market", "Enterprise"], n),
        "arr": rng.lognormal(10, 1.2, n).round(0),
        "renewal_date": (pd.Timestamp("2026-06-01") + pd.to_timedelta(days, "D"))
        .strftime("%Y-%m-%d").to_numpy(dtype=object),
        "status": rng.choice(["active", "churned", "past_due"], n, p=[0.85, 0.1, 0.05]),
        "seats": rng.integers(1, 2000, n),
        "industry": rng.choice(["Retail", "FinTech", "Software", "Media"], n),
        "region": rng.choice(["EMEA", "APAC", "North America", "LATAM"], n),
    })


def _scores(accounts: pd.DataFrame) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = len(accounts)
    score = rng.uniform(0, 100, n)
    return pd.DataFrame({
        "health_score": score,
        "health_band": np.where(score < 40, "Red", np.where(score < 70, "Yellow", "Green")),
        "health_trend": rng.normal(0, 5, n),
        "churn_risk": rng.uniform(0, 1, n),
        "whitespace_value": rng.uniform(0, 90_000, n).round(-2),
    }, index=accounts["account_id"].to_numpy())


def _timed(fn, paint) -> float:
    t = time.perf_counter()
    fn()
    paint()
    return time.perf_counter() - t


def _scroll(table: QTableView, paint, pages: int = 100) -> list[float]:
    bar = table.verticalScrollBar()
    bar.setValue(0)
    paint()
    steps = []
    for _ in range(pages):
        t = time.perf_counter()
        bar.setValue(bar.value() + bar.pageStep())
        paint()
        steps.append(time.perf_counter() - t)
    return steps


def _click_header(table: QTableView, col: int) -> None:
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def bench_lazy(app, frame: pd.DataFrame, scores: pd.DataFrame) -> dict[str, float]:
    view = AccountsView()
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    paint = view.repaint            # the whole view: summary, search, filter bar, table
    summary = {"accounts": len(frame), "active_accounts": len(frame), "churned_accounts": 0,
               "arr_active": float(frame["arr"].sum()), "data_date": "2026-10-31",
               "currency": "USD"}
    out = {}
    out["first paint"] = _timed(lambda: view.set_data(frame, summary), paint)
    out["set scores"] = _timed(lambda: view.set_scores(scores), paint)
    arr = view.model.column_index("arr")
    out["sort"] = _timed(lambda: _click_header(view.table, arr), paint)
    out["sort (again, descending)"] = _timed(lambda: _click_header(view.table, arr), paint)
    grid = view.grid

    def name_filter():
        grid.filter_editor("name").setText("tech")
        grid.apply_filters()

    out["filter"] = _timed(name_filter, paint)
    out["filter rows"] = view.model.rowCount()
    grid.clear_filters()
    paint()

    def arr_filter():
        grid.filter_editor("arr").setText("10k..50k")
        grid.apply_filters()

    out["number filter"] = _timed(arr_filter, paint)
    grid.clear_filters()
    paint()

    def search():
        grid.search_box.setText("harbor")
        grid.apply_filters()

    out["quick search"] = _timed(search, paint)
    grid.clear_filters()
    paint()
    # the table (with its frozen column and headers), like the plain QTableView below
    steps = _scroll(view.table, view.table.repaint)
    out["scroll step (max)"] = max(steps)
    out["scroll step (p95)"] = float(np.percentile(steps, 95))
    out["scroll step (median)"] = statistics.median(steps)
    view.close()
    view.deleteLater()
    app.processEvents()
    return out


def bench_standard(app, frame: pd.DataFrame, scores: pd.DataFrame) -> dict[str, float]:
    """The same rows in QStandardItemModel: one item per cell, sort role holds the value."""
    cols = ACCOUNT_COLUMNS
    full = frame.join(scores, on="account_id")
    view = QTableView()
    view.setSortingEnabled(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    paint = view.repaint
    out = {}
    sort_role = Qt.ItemDataRole.UserRole + 1

    def build():
        model = QStandardItemModel(0, len(cols))
        model.setHorizontalHeaderLabels([c.title for c in cols])
        model.setSortRole(sort_role)
        columns = []
        for c in cols:
            fmt = make_formatter(c.kind)
            values = full[c.key].tolist()
            columns.append((fmt, values))
        for r in range(len(full)):
            row = []
            for fmt, values in columns:
                v = values[r]
                item = QStandardItem(fmt(v))
                item.setData(v, sort_role)
                row.append(item)
            model.appendRow(row)
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setSortRole(sort_role)
        proxy.setFilterKeyColumn(0)
        proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        view.setModel(proxy)
        view._keep = (model, proxy)

    out["first paint"] = _timed(build, paint)
    proxy = view._keep[1]
    arr = next(i for i, c in enumerate(cols) if c.key == "arr")
    out["sort"] = _timed(lambda: _click_header(view, arr), paint)
    out["sort (again, descending)"] = _timed(lambda: _click_header(view, arr), paint)
    out["filter"] = _timed(lambda: proxy.setFilterFixedString("tech"), paint)
    out["filter rows"] = proxy.rowCount()
    proxy.setFilterFixedString("")
    paint()
    steps = _scroll(view, paint)
    out["scroll step (max)"] = max(steps)
    out["scroll step (p95)"] = float(np.percentile(steps, 95))
    out["scroll step (median)"] = statistics.median(steps)
    view.close()
    return out


def main(argv: list[str]) -> None:
    n = next((int(a) for a in argv if a.isdigit()), 100_000)
    synthetic = "--synthetic" in argv
    app = QApplication.instance() or QApplication([])
    path = _workspace(n, argv[argv.index("--workspace") + 1] if "--workspace" in argv
                      else None)
    t = time.perf_counter()
    frame = _accounts(n, synthetic)
    print(f"{len(frame):,} accounts ({'synthetic' if synthetic else 'generate_demo'}) "
          f"built in {time.perf_counter() - t:.1f} s; platform {app.platformName()}")
    scores = _scores(frame)
    lazy = bench_lazy(app, frame, scores)
    print("measuring QStandardItemModel (one item per cell)…", flush=True)
    std = bench_standard(app, frame, scores)
    print(f"opening {path} five times…", flush=True)
    opens = bench_open(app, path)      # last: five app windows stay in memory afterwards
    lazy = {"open to paint (max of 5)": max(opens), "  first open": opens[0],
            "  median of 5": statistics.median(opens), **lazy}
    print()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other work on the machine inflates every figure)")
    print(f"{'step':<26}{'lazy model':>14}{'QStandardItem':>16}{'ratio':>9}{'target':>10}")
    for key, value in lazy.items():
        if key == "filter rows":
            print(f"{'  rows after filter':<26}{value:>14,}{std.get(key, 0):>16,}")
            continue
        other = std.get(key)
        ratio = f"{other / value:>8.1f}x" if other else " " * 9
        target = TARGETS.get(key)
        mark = "" if target is None else ("  ok" if value < target else "  MISSED")
        tgt = f"<{target * 1000:.0f} ms" if target else ""
        other_s = f"{other * 1000:>13.1f} ms" if other is not None else " " * 16
        print(f"{key:<26}{value * 1000:>11.1f} ms{other_s}{ratio}{tgt:>10}{mark}")


if __name__ == "__main__":
    main(sys.argv[1:])
