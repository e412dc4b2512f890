"""One task runner for the app: long work runs on a worker thread, results come back by signal.

Starting a task of a kind that is already running cancels the old one (cooperatively, through
its ``TaskState``) and disconnects it, so a stale result never lands. The event loop is never re-entered by hand:
progress travels as queued signals to the UI thread.
"""
from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class TaskCancelled(Exception):
    """Raised inside a task when the user (or a newer task of its kind) cancelled it."""


@dataclass
class TaskState:
    """Handed to the task function: report progress, check for cancellation."""

    _cancel: threading.Event = field(default_factory=threading.Event)
    _emit: Callable[[float, str], None] | None = None

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise TaskCancelled()

    def progress(self, fraction: float, text: str = "") -> None:
        if self._emit is not None:
            self._emit(fraction, text)


class _Signals(QObject):
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str, str)      # message, details (traceback)
    cancelled = Signal()


class _Job(QRunnable):
    def __init__(self, fn: Callable[[TaskState], Any], state: TaskState, signals: _Signals):
        super().__init__()
        self.fn, self.state, self.signals = fn, state, signals
        self.setAutoDelete(True)

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn(self.state)
        except TaskCancelled:
            self.signals.cancelled.emit()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # reported to the UI as a readable message (a Rust
            # panic in a reader arrives as a BaseException: it must not end the app either)
            self.signals.failed.emit(str(exc) or type(exc).__name__, traceback.format_exc())
        else:
            if self.state.cancelled:
                self.signals.cancelled.emit()
            else:
                self.signals.finished.emit(result)


class TaskRunner(QObject):
    """Runs one task per ``kind`` at a time on a thread pool.

    Signals carry the kind so one progress bar can show whatever is running.
    """

    started = Signal(str, str)              # kind, title
    progress = Signal(str, float, str)      # kind, fraction 0..1, text
    finished = Signal(str, object)          # kind, result
    failed = Signal(str, str, str)          # kind, message, details
    cancelled = Signal(str)                 # kind
    idle = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self._running: dict[str, tuple[TaskState, _Signals]] = {}

    def is_running(self, kind: str | None = None) -> bool:
        return bool(self._running) if kind is None else kind in self._running

    def start(self, kind: str, title: str, fn: Callable[[TaskState], Any],
              on_done: Callable[[Any], None] | None = None) -> TaskState:
        self.cancel(kind)
        signals = _Signals()
        state = TaskState()
        state._emit = signals.progress.emit
        self._running[kind] = (state, signals)
        signals.progress.connect(lambda f, t: self.progress.emit(kind, f, t))

        def _finish(result: Any) -> None:
            if self._drop(kind, state):
                if on_done is not None:
                    on_done(result)
                self.finished.emit(kind, result)

        def _fail(message: str, details: str) -> None:
            if self._drop(kind, state):
                self.failed.emit(kind, message, details)

        def _cancel() -> None:
            if self._drop(kind, state):
                self.cancelled.emit(kind)

        signals.finished.connect(_finish)
        signals.failed.connect(_fail)
        signals.cancelled.connect(_cancel)
        self.started.emit(kind, title)
        self.pool.start(_Job(fn, state, signals))
        return state

    def _drop(self, kind: str, state: TaskState) -> bool:
        current = self._running.get(kind)
        if current is None or current[0] is not state:
            return False  # a newer task replaced this one: its result is stale
        del self._running[kind]
        if not self._running:
            self.idle.emit()
        return True

    def cancel(self, kind: str | None = None) -> None:
        kinds = list(self._running) if kind is None else [kind]
        for k in kinds:
            entry = self._running.pop(k, None)
            if entry is None:
                continue
            state, signals = entry
            state.cancel()
            signals.disconnect(self)  # nothing connected to self; guard for safety
            for sig in (signals.finished, signals.failed, signals.cancelled, signals.progress):
                try:
                    sig.disconnect()
                except (RuntimeError, TypeError):
                    pass
            self.cancelled.emit(k)
        if kind is None or not self._running:
            if not self._running:
                self.idle.emit()

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every worker has returned (used at shutdown and in tests)."""
        return self.pool.waitForDone(msecs)
