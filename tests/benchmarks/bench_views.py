"""Benchmark: every view of the app on a big workspace — time to loaded and the longest
pauses of the window's event loop while it loads (issue 8: "without freezing").

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_views.py PATH [VIEW ...]

``PATH`` is a workspace (e.g. ``acctdesk demo big.acctdesk --accounts 100000``); ``VIEW``s
limit the run to those views (keys: today, portfolio, accounts, account, whitespace,
renewals, scorecards, simulator, imports, audit). The app's window is opened on the
workspace, then each view is shown in sidebar order (the 360 view on the first account) and
the script waits for its ``loaded`` signal. A 10 ms timer on the UI thread records the gaps
between its ticks: the longest gaps are how long the window could not paint or answer
input. When a gap passes 150 ms a watchdog thread notes where the UI thread and the workers
were (the ``MAIN``/``worker`` lines: a UI-thread line means work in a result hand-off, a
worker line a long call holding Python's interpreter lock). Peak memory is printed last.
"""
from __future__ import annotations

import collections
import os
import resource
import sys
import tempfile
import threading
import time
import traceback

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("ACCTDESK_CONFIG_DIR", tempfile.mkdtemp(prefix="acctdesk-bench-"))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402

from acctdesk.ui.app import make_app  # noqa: E402
from acctdesk.ui.main_window import MainWindow  # noqa: E402


def _where(frame) -> str:
    out = []
    for fs in traceback.extract_stack(frame)[::-1]:
        if "acctdesk" in fs.filename and "benchmarks" not in fs.filename:
            out.append(f"{os.path.basename(fs.filename)}:{fs.lineno} {fs.name}")
            if len(out) == 3:
                break
    return " < ".join(out) or "(outside acctdesk code)"


def main(argv: list[str]) -> None:
    if not argv:
        raise SystemExit(__doc__)
    path, only = argv[0], set(argv[1:])
    app = make_app()
    window = MainWindow()
    window.resize(1440, 900)
    window.show()
    main_thread = threading.get_ident()
    beat = [time.perf_counter()]
    gaps: list[float] = []

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - beat[0])
        beat[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    samples: collections.Counter = collections.Counter()
    stop = threading.Event()

    def watch() -> None:
        me = threading.get_ident()
        while not stop.wait(0.02):
            if time.perf_counter() - beat[0] > 0.15:
                for tid, frame in sys._current_frames().items():
                    if tid == me:
                        continue
                    who = "MAIN  " if tid == main_thread else "worker"
                    samples[f"{who} {_where(frame)}"] += 1

    threading.Thread(target=watch, daemon=True).start()
    fired: dict[str, float] = {}
    for key, view in window.views.items():
        if hasattr(view, "loaded"):
            view.loaded.connect(lambda k=key: fired.__setitem__(k, time.perf_counter()))

    def pump(seconds: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()

    def report(label: str, started: float) -> None:
        worst = sorted(gaps, reverse=True)[:3]
        print(f"{label:<12}{time.perf_counter() - started:8.1f} s   longest pauses "
              f"{', '.join(f'{g * 1000:.0f}' for g in worst)} ms", flush=True)
        for where, n in samples.most_common(4):
            print(f"{'':14}{n:3d} x {where}", flush=True)
        samples.clear()

    started = time.perf_counter()
    loop = QEventLoop()
    window.workspace_loaded.connect(loop.quit)
    window.open_workspace(path)
    loop.exec()
    pump(0.3)
    report("open", started)
    for key, title in window.VIEWS:
        if only and key not in only:
            continue
        view = window.views[key]
        gaps.clear()
        beat[0] = started = time.perf_counter()
        fired.pop(key, None)
        if key == "account":
            window.open_account(str(window.accounts_view._ids[0]))
        else:
            window.show_view(key)
        if hasattr(view, "loaded"):
            end = time.perf_counter() + 900
            while key not in fired and time.perf_counter() < end:
                pump(0.05)
        pump(0.5)
        report(title, started)
    stop.set()
    window.runner.cancel()
    window.runner.wait(120_000)
    window.close()
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    main(sys.argv[1:])
