"""The skeleton every analysis view shares: load the engine's figures in the background,
then show them; recompute in the background when the user changes a filter.

A view (Portfolio, Renewals, Whitespace) says which parts of the analysis it needs
(:attr:`AnalysisView.PARTS`, see :func:`acctdesk.engine.portfolio.portfolio_inputs`), what
the user picked (:meth:`choice`), how to compute what it shows from the inputs and the
choice on a worker thread (:meth:`compute`), and how to show it (:meth:`show_result`). The
base runs the work in the task runner (one load and one refresh at a time, a newer one
cancelling the older), shows the empty states, and fills the filters.

Also the pieces the analysis views (and the Today and Account views) share: their tables'
columns (:func:`table_columns`, :func:`make_grid`), an Excel sheet of a frame
(:func:`sheet_for`) and the save dialog of an export (:func:`choose_export_path`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import pandas as pd
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from . import charts
from .table_model import Column
from .table_view import DataTableView
from .tasks import TaskRunner, TaskState


class AnalysisView(charts.EmptyStateView, QWidget):
    """Base of the views over the engine's analysis (see the module docstring).

    Signals: ``loaded`` (figures shown, or the empty state), ``account_activated(account_id)``
    (a row opened)."""

    loaded = Signal()
    account_activated = Signal(str)

    LOAD_KIND = ""
    REFRESH_KIND = ""
    LOAD_TITLE = "Loading"
    REFRESH_TITLE = "Updating"
    #: the parts of the analysis the view needs
    PARTS: tuple[str, ...] = ("health", "risk")
    NO_WORKSPACE_TEXT = "<h3>No workspace open</h3>Open a workspace (or the demo)."
    EMPTY_TEXT = "<h3>Nothing to show yet</h3>Import your CRM and billing exports."

    def __init__(self, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.workspace = None
        self.inputs = None

    # ------------------------------------------------------------------ what a view defines
    def choice(self) -> Any:
        """What the user picked (filters, sort...), read on the UI thread."""
        return None

    def compute(self, inputs, choice) -> Any:
        """Worker: what the view shows for ``choice``; None when there is nothing to show."""
        raise NotImplementedError

    def show_result(self, result, choice) -> None:
        """Show what :meth:`compute` returned (UI thread); emit ``loaded`` when shown."""
        raise NotImplementedError

    def options(self, inputs) -> Any:
        """Worker: the values the filters offer."""
        return {}

    def fill_options(self, options) -> None:
        """Put :meth:`options` in the filters (empty options clear them)."""

    def prepare(self, inputs) -> None:
        """Once per load, before the first :meth:`show_result` (colours, currency)."""

    def clear(self) -> None:
        """Forget what is shown (a new workspace, or none)."""

    def set_status(self, text: str) -> None:
        self.subtitle.setText(text)

    # ------------------------------------------------------------------ the skeleton
    def set_workspace(self, ws) -> None:
        """Show ``ws`` (None clears the view); the figures load in the runner."""
        self.runner.cancel(self.LOAD_KIND)
        self.runner.cancel(self.REFRESH_KIND)
        self.workspace = ws
        self.inputs = None
        self.clear()
        if ws is None:
            self.fill_options({})
            self.show_empty(self.NO_WORKSPACE_TEXT)
            return
        self.set_status("Loading…")
        choice = self.choice()
        self.runner.start(self.LOAD_KIND, self.LOAD_TITLE,
                          lambda state: self._load(ws, choice, state), self._loaded)

    def _load(self, ws, choice, state: TaskState):
        from ..engine import Engine
        from ..engine.portfolio import portfolio_inputs

        inputs = portfolio_inputs(Engine(ws).analysis(), self.PARTS,
                                  progress=lambda f, t: state.progress(0.8 * f, t),
                                  check=state.check)
        if inputs.empty:
            return inputs, None, {}, choice
        state.check()
        state.progress(0.85, self.LOAD_TITLE)
        return inputs, self.compute(inputs, choice), self.options(inputs), choice

    def _loaded(self, payload) -> None:
        inputs, result, options, choice = payload
        self.inputs = inputs
        self.fill_options(options)
        if result is None:
            self.clear()
            self.show_empty(self.EMPTY_TEXT)
            self.set_status("")
            self.loaded.emit()
            return
        self.prepare(inputs)
        self.show_result(result, choice)

    def refresh(self, *_: Any) -> None:
        """Compute again for the user's choice, in the background, and show it."""
        inputs = self.inputs
        if inputs is None or inputs.empty:
            return
        choice = self.choice()
        self.set_status("Updating…")
        self.runner.start(self.REFRESH_KIND, self.REFRESH_TITLE,
                          lambda state: (self.compute(inputs, choice), choice),
                          lambda payload: self._refreshed(*payload))

    def _refreshed(self, result, choice) -> None:
        if result is not None:
            self.show_result(result, choice)


def table_columns(cols: Sequence[tuple[str, str, str]], widths: dict[str, int] | None = None
                  ) -> list[Column]:
    """(key, title, kind) -> table columns with sensible widths."""
    default = {"text": 120, "currency": 104, "percent": 84, "int": 64, "date": 96,
               "band": 76, "number": 80}
    widths = {"expected_renewed_arr": 132, "whitespace_arr": 124, "segment": 100,
              "name": 210, "product": 150, "kind": 84, "propensity": 104, **(widths or {})}
    out = []
    for key, title, kind in cols:
        w = widths.get(key) or (420 if key in ("drivers", "reason") else
                                default.get(kind, 110))
        out.append(Column(key, title, kind, width=w))
    return out


def sheet_for(name: str, frame: pd.DataFrame, cols: Sequence[tuple[str, str, str]], *,
              title: str | None = None, subtitle: str | None = None,
              band_colours: dict[str, str] | None = None):
    """A SheetSpec of ``frame`` with the columns (key, title, kind) that exist in it."""
    from ..export.tables import ColumnSpec, SheetSpec
    from .table_model import EXPORT_KINDS, tint_hex

    specs = []
    for key, t, kind in cols:
        if key not in frame.columns:
            continue
        k = EXPORT_KINDS.get(kind, "text")
        colours = {b: tint_hex(c) for b, c in band_colours.items()} \
            if k == "band" and band_colours else None
        specs.append(ColumnSpec(key, t, k, band_colours=colours))
    data = frame[[s.key for s in specs]].copy()
    for s in specs:     # lists (e.g. drivers) as text
        if s.kind == "text":
            data[s.key] = data[s.key].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    return SheetSpec(name=name, frame=data.reset_index(drop=True), columns=specs,
                     title=title, subtitle=subtitle)


def choose_export_path(parent: QWidget, default_name: str, on_path,
                       title: str = "Export") -> QFileDialog:
    """A non-modal save dialog for an Excel workbook (``.open()``, deleted when closed);
    ``on_path(path)`` when the user picks a file."""
    dialog = QFileDialog(parent, title, str(Path.home() / default_name),
                         "Excel workbook (*.xlsx)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix("xlsx")
    dialog.fileSelected.connect(lambda p: on_path(p) if p else None)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def make_grid(columns: list[Column], view_id: str, parent, *, noun: str, empty: str,
              currency: str = "USD", band_colours: dict[str, str] | None = None
              ) -> DataTableView:
    grid = DataTableView(columns, view_id, parent, noun=noun, empty_text=empty,
                         currency=currency)
    charts.install_full_text_tooltips(grid)
    if band_colours and any(c.kind == "band" for c in columns):
        for c in columns:
            if c.kind == "band":
                grid.set_band_colours(c.key, band_colours)
    return grid
