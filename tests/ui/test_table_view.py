"""DataTableView driven as a user drives it: filter, search, sort, copy, columns, export."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from acctdesk.ui.table_model import (
    Column, FrameTableModel, RangeFilter, SetFilter, TextFilter, parse_filter,
)
from acctdesk.ui.table_view import DataTableView

COLUMNS = [
    Column("name", "Account", width=160),
    Column("owner", "Owner", width=120),
    Column("arr", "ARR", "currency", width=100),
    Column("risk", "Churn risk", "percent", width=90),
    Column("renewal", "Renewal", "date", width=100),
    Column("band", "Band", "band", width=80),
    Column("status", "Status", "status", width=100),
    Column("seats", "Seats", "int", width=70),
    Column("city", "City", width=140),
]
BANDS = {"Red": "#d64545", "Yellow": "#e0b000", "Green": "#2e9d5b"}


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "name": ["Acme GmbH", "Beta Labs", "acme retail", "Delta Co", "=cmd|calc", "Gamma Inc"],
        "owner": ["Ada", "Bo", "Ada", "Cy", "Bo", None],
        "arr": [12000.0, 55000.5, 30000.0, np.nan, 8000.0, 47000.0],
        "risk": [0.12, 0.5, 0.33, 0.9, np.nan, 0.05],
        "renewal": ["2026-11-05", "2027-01-20", "2026-12-31", None, "2026-10-01", "2027-03-15"],
        "band": ["Green", "Red", "Yellow", "Red", None, "Green"],
        "status": ["active", "past_due", "active", "churned", "active", "non_renewing"],
        "seats": [10, 250, 40, 5, 1, 99],
        "city": ["Berlin", "Austin", "Munich", "Lagos", "Oslo", "Berlin Hbf"],
    })


def _make(qtbot, view_id="accounts", width=1100) -> DataTableView:
    view = DataTableView(COLUMNS, view_id, noun="accounts", noun_one="account",
                         empty_text="No accounts yet.")
    qtbot.addWidget(view)
    view.set_band_colours("band", BANDS)
    view.resize(width, 420)
    view.show()
    qtbot.waitExposed(view)
    view.set_frame(_frame())
    return view


def _names(view) -> list:
    m = view.model
    return [m.index(r, 0).data() for r in range(m.rowCount())]


def _click_header(qtbot, view, key):
    header = view.table.horizontalHeader()
    col = view.model.column_index(key)
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def _row_center(view, row, col=2) -> QPoint:
    return view.table.visualRect(view.model.index(row, col)).center()


def _click_menu(qtbot, menu, text):
    act = next(a for a in menu.actions() if a.text() == text)
    qtbot.waitUntil(menu.isVisible)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(act).center())
    return act


# ---------------------------------------------------------------------- filtering
def test_typing_in_a_column_filter_keeps_matching_rows(qtbot):
    view = _make(qtbot)
    assert view.count_label.text() == "6 accounts"
    qtbot.keyClicks(view.filter_editor("name"), "ACME")
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    assert sorted(_names(view)) == ["Acme GmbH", "acme retail"]
    assert view.count_label.text() == "2 of 6 accounts"
    assert view.clear_button.isVisible()
    qtbot.mouseClick(view.clear_button, Qt.MouseButton.LeftButton)
    assert view.model.rowCount() == 6
    assert view.filter_editor("name").text() == ""
    assert view.count_label.text() == "6 accounts"


def test_number_and_percent_ranges(qtbot):
    view = _make(qtbot)
    arr = view.filter_editor("arr")
    qtbot.keyClicks(arr, "10k..50k")
    qtbot.keyClick(arr, Qt.Key.Key_Return)
    assert sorted(_names(view)) == ["Acme GmbH", "Gamma Inc", "acme retail"]
    arr.clear()
    qtbot.keyClicks(arr, ">$47,000")
    qtbot.keyClick(arr, Qt.Key.Key_Return)
    assert _names(view) == ["Beta Labs"]              # > is strict; missing ARR never matches
    arr.clear()
    qtbot.keyClicks(view.filter_editor("risk"), ">=33%")
    qtbot.keyClick(view.filter_editor("risk"), Qt.Key.Key_Return)
    assert sorted(_names(view)) == ["Beta Labs", "Delta Co", "acme retail"]


def test_unreadable_filter_is_marked_and_ignored(qtbot):
    view = _make(qtbot)
    seats = view.filter_editor("seats")
    qtbot.keyClicks(seats, "lots")
    qtbot.keyClick(seats, Qt.Key.Key_Return)
    assert view.model.rowCount() == 6
    assert "seats" in view.filter_bar.errors
    assert "not a number" in seats.toolTip()
    seats.clear()
    qtbot.keyClicks(seats, "40")                      # a bare number: equal to what is shown
    qtbot.keyClick(seats, Qt.Key.Key_Return)
    assert _names(view) == ["acme retail"]
    assert "seats" not in view.filter_bar.errors


def test_date_range_filter(qtbot):
    view = _make(qtbot)
    ed = view.filter_editor("renewal")
    qtbot.keyClicks(ed, "2026-11..2026-12")
    qtbot.keyClick(ed, Qt.Key.Key_Return)
    assert sorted(_names(view)) == ["Acme GmbH", "acme retail"]
    ed.clear()
    qtbot.keyClicks(ed, ">=2027")
    qtbot.keyClick(ed, Qt.Key.Key_Return)
    assert sorted(_names(view)) == ["Beta Labs", "Gamma Inc"]


def test_band_filter_picks_labels_from_a_menu_and_cells_are_coloured(qtbot):
    view = _make(qtbot)
    button = view.filter_editor("band")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _click_menu(qtbot, button.menu_, "Red")
    assert sorted(_names(view)) == ["Beta Labs", "Delta Co"]
    assert button.text().startswith("Red")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    _click_menu(qtbot, button.menu_, "Green")
    assert sorted(_names(view)) == ["Acme GmbH", "Beta Labs", "Delta Co", "Gamma Inc"]
    band = view.model.column_index("band")
    colour = view.model.index(0, band).data(Qt.ItemDataRole.BackgroundRole)
    label = view.model.index(0, band).data()
    assert colour.name() == BANDS[label]
    assert colour.alpha() < 255                         # a tint: the text stays legible


def test_filter_and_sort_compose(qtbot):
    view = _make(qtbot)
    qtbot.keyClicks(view.filter_editor("city"), "berlin")
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    _click_header(qtbot, view, "arr")
    first = _names(view)
    _click_header(qtbot, view, "arr")
    second = _names(view)
    assert {tuple(first), tuple(second)} == {("Acme GmbH", "Gamma Inc"),
                                            ("Gamma Inc", "Acme GmbH")}
    view.filter_editor("city").clear()
    qtbot.waitUntil(lambda: view.model.rowCount() == 6)
    arr = view.model.column_index("arr")
    values = [view.model.value(r, arr) for r in range(5)]
    assert values == sorted(values) or values == sorted(values, reverse=True)
    assert np.isnan(view.model.value(5, arr))          # missing stays last either way


def test_ctrl_f_focuses_the_quick_search_which_searches_text_columns(qtbot):
    view = _make(qtbot)
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.search_box.hasFocus()
    qtbot.keyClicks(view.search_box, "ada")           # matches the owner column
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    assert sorted(_names(view)) == ["Acme GmbH", "acme retail"]
    view.search_box.clear()
    qtbot.keyClicks(view.search_box, "past due")      # status as shown, not "past_due"
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    assert _names(view) == ["Beta Labs"]


def test_empty_states(qtbot):
    view = _make(qtbot)
    qtbot.keyClicks(view.filter_editor("name"), "zzz")
    qtbot.waitUntil(lambda: view.model.rowCount() == 0)
    assert view.empty_label.isVisible()
    assert "No accounts match the filters" in view.empty_label.text()
    view.set_frame(_frame().iloc[:0])
    view.clear_filters()
    assert view.empty_label.isVisible() and view.empty_label.text() == "No accounts yet."
    assert view.count_label.text() == "0 accounts"
    view.set_frame(_frame())
    assert not view.empty_label.isVisible()


# ---------------------------------------------------------------------- clipboard
def test_selected_rows_copy_as_tab_separated_cells_with_raw_numbers(qtbot):
    view = _make(qtbot)
    _click_header(qtbot, view, "name")      # =cmd|calc, Acme GmbH, acme retail, Beta Labs…
    vp = view.table.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=_row_center(view, 1))
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ShiftModifier,
                     pos=_row_center(view, 3))
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == [c.title for c in COLUMNS]
    assert len(lines) == 4
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[0] for r in rows] == ["Acme GmbH", "acme retail", "Beta Labs"]
    assert rows[0][2] == "12000" and rows[1][2] == "30000" and rows[2][2] == "55000.5"
    assert rows[0][3] == "0.12"                          # percent as its raw fraction
    assert rows[0][4] == "2026-11-05"
    assert rows[1][6] == "Active" and rows[2][6] == "Past due"
    assert all(len(r) == len(COLUMNS) for r in rows)


def test_copy_neutralises_formulas_and_follows_hidden_columns(qtbot):
    view = _make(qtbot, view_id="clip")
    view.set_column_hidden("owner", True)
    qtbot.keyClicks(view.filter_editor("name"), "cmd")
    qtbot.waitUntil(lambda: view.model.rowCount() == 1)
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=_row_center(view, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    header, row = QApplication.clipboard().text().splitlines()
    assert "Owner" not in header.split("\t")
    assert row.split("\t")[0] == "'=cmd|calc"
    cells = dict(zip(header.split("\t"), row.split("\t")))
    assert cells["Churn risk"] == ""                     # missing percent: an empty cell
    assert cells["ARR"] == "8000" and cells["Renewal"] == "2026-10-01"


# ---------------------------------------------------------------------- columns
def test_hidden_column_from_the_header_menu_is_remembered_per_view_id(qtbot):
    view = _make(qtbot)
    header = view.table.horizontalHeader()
    owner = view.model.column_index("owner")
    pos = QPoint(header.sectionViewportPosition(owner) + 10, 5)
    QApplication.sendEvent(header.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, header.viewport().mapToGlobal(pos)))
    menu = view.column_menu
    act = _click_menu(qtbot, menu, "Owner")
    assert not act.isChecked()
    assert view.table.isColumnHidden(owner)
    assert "Owner" not in view.visible_frame()[0].columns.tolist() + \
        [s.title for s in view.visible_frame()[1]]
    # reorder and resize: drag-free API of the header, as the mouse would do
    header.moveSection(header.visualIndex(view.model.column_index("city")), 1)
    header.resizeSection(view.model.column_index("arr"), 133)
    view.save_state()

    again = _make(qtbot)
    h2 = again.table.horizontalHeader()
    assert again.table.isColumnHidden(owner)
    assert h2.visualIndex(again.model.column_index("city")) == 1
    assert h2.sectionSize(again.model.column_index("arr")) == 133
    other = _make(qtbot, view_id="somewhere-else")
    assert not other.table.isColumnHidden(owner)


def test_the_last_visible_column_cannot_be_hidden(qtbot):
    view = _make(qtbot, view_id="few")
    for c in COLUMNS[1:]:
        view.set_column_hidden(c.key, True)
    view.set_column_hidden("name", True)
    assert view.visible_columns() == [0]


def test_first_column_stays_visible_while_scrolling_sideways(qtbot):
    view = _make(qtbot, width=520)
    bar = view.table.horizontalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum())
    header = view.table.horizontalHeader()
    assert header.sectionViewportPosition(0) < 0        # the main view's copy scrolled away
    frozen = view.frozen_view
    assert frozen.isVisible()
    assert [c for c in range(len(COLUMNS)) if not frozen.isColumnHidden(c)] == [0]
    assert frozen.geometry().x() <= view.table.frameWidth()
    assert frozen.width() == view.table.columnWidth(0)
    assert frozen.visualRect(view.model.index(0, 0)).x() == 0
    # the frozen column's filter editor stays over it, too
    ed = view.filter_editor("name")
    assert ed.isVisible() and ed.x() <= view.table.frameWidth() + 2
    # clicking a row in the frozen column selects that row in the table
    qtbot.mouseClick(frozen.viewport(), Qt.MouseButton.LeftButton,
                     pos=frozen.visualRect(view.model.index(3, 0)).center())
    assert view.selected_view_rows().tolist() == [3]
    # hiding the first column freezes the next one
    view.set_column_hidden("name", True)
    assert view.table.frozen_column == view.model.column_index("owner")


def test_double_click_and_enter_activate_the_row(qtbot):
    view = _make(qtbot)
    _click_header(qtbot, view, "seats")
    vp = view.table.viewport()
    with qtbot.waitSignal(view.row_activated) as blocker:
        # a real double-click: press/release, then the double-click event
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=_row_center(view, 0))
        qtbot.mouseDClick(vp, Qt.MouseButton.LeftButton, pos=_row_center(view, 0))
    assert blocker.args == [4]                         # 1 seat: frame row 4
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=_row_center(view, 1))
    with qtbot.waitSignal(view.row_activated) as blocker:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert blocker.args == [3]                         # 5 seats: frame row 3


# ---------------------------------------------------------------------- export
def test_export_visible_rows_and_columns_to_xlsx(qtbot, tmp_path):
    view = _make(qtbot, view_id="export")
    view.set_column_hidden("city", True)
    header = view.table.horizontalHeader()
    header.moveSection(header.visualIndex(view.model.column_index("arr")), 1)
    qtbot.keyClicks(view.filter_editor("owner"), "b")   # Bo x2
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    _click_header(qtbot, view, "arr")
    shown = _names(view)
    path = tmp_path / "visible.xlsx"
    report = view.export_visible(path)
    assert report.rows == 2
    ws = load_workbook(path, read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    titles = [view.model.columns[i].title for i in view.visible_columns()]
    assert rows[0] == titles
    assert titles[:2] == ["Account", "ARR"] and "City" not in titles
    assert [r[0] for r in rows[1:]] == shown
    arrs = {r[0]: r[1] for r in rows[1:]}
    assert arrs == {"Beta Labs": 55000.5, "=cmd|calc": 8000}  # numbers, formula kept as text
    status = titles.index("Status")
    assert rows[1][status] in ("Past due", "Active")


def test_export_visible_to_csv(qtbot, tmp_path):
    view = _make(qtbot, view_id="csv")
    qtbot.keyClicks(view.search_box, "berlin")
    qtbot.waitUntil(lambda: view.model.rowCount() == 2)
    path = tmp_path / "visible.csv"
    view.export_visible(path)
    text = path.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].split(",")[:3] == ["Account", "Owner", "ARR"]
    assert len(text) == 3 and text[1].startswith("Acme GmbH,Ada,12000")


# ---------------------------------------------------------------------- model and parser
def test_parse_filter_reads_what_users_type():
    assert parse_filter("text", "  Acme ") == TextFilter("acme")
    assert parse_filter("currency", "") is None
    assert parse_filter("currency", "10k-50k") == RangeFilter(10_000, 50_000)
    assert parse_filter("currency", "<= 2.5m") == RangeFilter(hi=2_500_000)
    assert parse_filter("percent", ">50%") == RangeFilter(lo=0.5, lo_strict=True)
    r = parse_filter("date", "2026-11")
    assert (r.hi - r.lo) == 30 and r.hi_strict
    with pytest.raises(ValueError):
        parse_filter("date", "next week")


def test_model_filters_are_masks_and_keep_the_sort():
    model = FrameTableModel(COLUMNS)
    model.set_frame(_frame())
    model.sort(model.column_index("seats"), Qt.SortOrder.DescendingOrder)
    model.set_filter("band", SetFilter(frozenset({"Green", "Red"})))
    assert [model.value(r, 0) for r in range(model.rowCount())] == \
        ["Beta Labs", "Gamma Inc", "Acme GmbH", "Delta Co"]
    assert model.total_rows() == 6 and model.row_count() == 4
    model.set_frame(_frame().iloc[::-1].reset_index(drop=True))   # new rows: same sort, filter
    assert [model.value(r, 0) for r in range(model.rowCount())] == \
        ["Beta Labs", "Gamma Inc", "Acme GmbH", "Delta Co"]
    model.sort(-1)                                                  # back to frame order
    assert model.source_row(0) == 0 and model.value(0, 0) == "Gamma Inc"


@pytest.mark.parametrize("sort", [(0, Qt.SortOrder.AscendingOrder),
                                  (2, Qt.SortOrder.DescendingOrder),
                                  (4, Qt.SortOrder.AscendingOrder), None])
def test_a_frame_prepared_on_a_worker_shows_what_the_frame_shows(qtbot, sort):
    """The app prepares big tables off the UI thread (prepare_frame); the model must show
    exactly what set_frame(frame) shows, also when the sort changed in between."""
    from acctdesk.ui.table_model import prepare_frame

    def shown(model):
        return [[model.index(r, c).data() for c in range(model.columnCount())]
                for r in range(model.rowCount())]

    plain, adopted = FrameTableModel(COLUMNS), FrameTableModel(COLUMNS)
    for m in (plain, adopted):
        if sort is not None:
            m.sort(*sort)
    plain.set_frame(_frame())
    prepared = prepare_frame(COLUMNS, _frame(), adopted.sort_state())
    adopted.set_frame(prepared)
    assert adopted._values is prepared.values          # taken over, not rebuilt
    assert shown(adopted) == shown(plain)
    assert shown(plain)[0][0] == {None: "Acme GmbH", 0: "=cmd|calc", 2: "Beta Labs",
                                  4: "=cmd|calc"}[sort[0] if sort else None]
    stale = FrameTableModel(COLUMNS)                   # sorted differently since preparing
    stale.sort(7, Qt.SortOrder.DescendingOrder)
    stale.set_frame(prepared)
    assert [r[0] for r in shown(stale)][:2] == ["Beta Labs", "Gamma Inc"]   # by seats


def test_big_text_columns_become_python_values_in_pieces():
    from acctdesk.ui.table_model import _PIECE, column_array

    n = 2 * _PIECE + 3
    text = pd.Series([None if i % 9 == 0 else f"reason {i}" for i in range(n)],
                     dtype=pd.Series(["x"]).dtype)
    got = column_array("text", text)
    assert got.dtype == object and len(got) == n
    assert got.tolist() == text.to_numpy(dtype=object, na_value=None).tolist()
    assert got[9] is None and got[-1] == f"reason {n - 1}"
