"""Undo and redo of the user's edits (activities logged, worklist items done or snoozed).

One :class:`EditHistory` per window holds a :class:`QUndoStack`; each edit is a
:class:`QUndoCommand` that calls :mod:`acctdesk.models.edits` (one transaction and one audit
entry per do, undo or redo). Views push commands and listen to :attr:`EditHistory.edited` to
refresh what they show. The main window adds Edit > Undo/Redo with
``history.stack.createUndoAction(self)`` / ``createRedoAction``.

The commands hold the workspace they changed: :meth:`EditHistory.set_workspace` clears the
stack when another workspace is opened.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..models import edits

__all__ = ["EditHistory", "AddActivityCommand", "WorklistStateCommand"]


KIND_LABELS = {"call": "call", "email": "email", "qbr": "QBR", "meeting": "meeting",
               "workshop": "workshop", "note": "note"}


class EditHistory(QObject):
    """The undo stack of one window and a signal telling views what changed."""

    #: (what, account_id): what is "activity" or "worklist_state"
    edited = Signal(str, str)
    #: a command failed (message); the stack is left as it was
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.stack = QUndoStack(self)
        self.workspace = None

    def set_workspace(self, ws) -> None:
        if ws is not self.workspace:
            self.stack.clear()
            self.workspace = ws

    def push(self, command: "_EditCommand") -> bool:
        """Do ``command`` and put it on the stack; False (and ``failed``) if it was refused.

        The edit runs here, before the push, so a refused edit raises in Python (not inside
        Qt's call of ``redo``) and never reaches the stack; ``push`` then skips the first
        ``redo``.
        """
        try:
            command.apply()
        except Exception as exc:   # EditError, a busy workspace: nothing was changed
            self.failed.emit(str(exc))
            return False
        command.skip_redo = True
        self.stack.push(command)
        command.notify()
        return True

    def log_activity(self, ws, account_id: str, kind: str, text: str, date: Any = None,
                     author: str | None = None) -> str | None:
        """Log an activity (undoable); returns its id, None when refused."""
        cmd = AddActivityCommand(self, ws, account_id, kind, text, date, author)
        return cmd.activity_id if self.push(cmd) else None

    def set_state(self, ws, account_id: str, state: str | None, until: Any = None,
                  as_of: str | None = None) -> bool:
        """Mark done / snooze (state None: back on the list), undoably."""
        return self.push(WorklistStateCommand(self, ws, account_id, state, until, as_of))


class _EditCommand(QUndoCommand):
    """A command whose ``apply``/``revert`` do the edit; Qt's redo/undo call them and report
    a failure through :attr:`EditHistory.failed` instead of raising into Qt."""

    what = "edit"

    def __init__(self, text: str, history: EditHistory, account_id: str):
        super().__init__(text)
        self.history, self.account_id = history, str(account_id)
        self.skip_redo = False

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def notify(self) -> None:
        self.history.edited.emit(self.what, self.account_id)

    def redo(self) -> None:
        if self.skip_redo:          # already done by EditHistory.push
            self.skip_redo = False
            return
        self._run(self.apply)

    def undo(self) -> None:
        self._run(self.revert)

    def _run(self, fn) -> None:
        try:
            fn()
        except Exception as exc:
            self.setObsolete(True)
            self.history.failed.emit(f"{self.text()} could not be undone or redone: {exc}")
        self.notify()


class AddActivityCommand(_EditCommand):
    """Log an activity; undo removes it, redo logs it again with the same id."""

    def __init__(self, history: EditHistory, ws, account_id: str, kind: str, text: str,
                 date: Any = None, author: str | None = None):
        label = KIND_LABELS.get((kind or "").lower(), kind or "activity")
        super().__init__(f"Log {label}", history, account_id)
        self.ws = ws
        self.kind, self.note, self.date, self.author = kind, text, date, author
        self.activity_id: str | None = None

    what = "activity"

    def apply(self) -> None:
        self.activity_id = edits.add_activity(
            self.ws, self.account_id, self.kind, self.note, self.date, self.author,
            activity_id=self.activity_id)

    def revert(self) -> None:
        if self.activity_id is not None:
            row = edits.delete_activity(self.ws, self.activity_id)
            # redo re-creates exactly what was logged (date and author included)
            self.date, self.author = row["date"], row["author"]


class WorklistStateCommand(_EditCommand):
    """Mark an item done or snoozed (or put it back); undo restores the previous state."""

    def __init__(self, history: EditHistory, ws, account_id: str, state: str | None,
                 until: Any = None, as_of: str | None = None):
        text = {"done": "Mark done", "snoozed": "Snooze", None: "Put back on the list"}
        super().__init__(text.get(state, "Change worklist item"), history, account_id)
        self.ws = ws
        self.state, self.until, self.as_of = state, until, as_of
        self.previous: dict | None = None

    what = "worklist_state"

    def apply(self) -> None:
        if self.state is None:
            self.previous = edits.clear_worklist_state(self.ws, self.account_id)
        else:
            self.previous = edits.set_worklist_state(self.ws, self.account_id, self.state,
                                                     self.until, as_of=self.as_of)

    def revert(self) -> None:
        edits.restore_worklist_state(self.ws, self.account_id, self.previous)
