"""The Scorecards editor, driven as a user drives it (offscreen, real widgets, real demo)."""
from __future__ import annotations

import json

import pytest

from acctdesk.engine import read_data
from acctdesk.analytics.scorecards import ScoringData, score_accounts
from acctdesk.models import Workspace
from acctdesk.engine.scorecards import load_scorecards
from acctdesk.ui.scorecard_editor import NO_SCORE, ScorecardView

from .conftest import open_in, with_own_runner


@pytest.fixture
def view(qtbot):
    with with_own_runner(qtbot, ScorecardView) as v:
        yield v


@pytest.fixture
def ws(demo_copy):
    w = Workspace(demo_copy)
    yield w
    w.close()


def _expected_counts(ws, card) -> dict[str, int]:
    scores = score_accounts(card, read_data(ws), ws.data_date())
    counts = {b.label: int((scores["band"] == b.label).sum()) for b in card.bands}
    if scores["band"].isna().any():
        counts[NO_SCORE] = int(scores["band"].isna().sum())
    return counts


def test_empty_state_without_a_workspace(view):
    assert view.pages.currentWidget() is view.empty
    assert "Open a workspace" in view.empty.text()


def test_opens_the_default_card_with_a_preview(qtbot, view, ws):
    open_in(qtbot, view, ws)
    assert view.pages.currentWidget() is view.editor
    assert view.card.id == "health"
    assert view.band_counts() == _expected_counts(ws, view.card)
    assert view.auc_label.text() not in ("", "—")
    assert view.save_button.isEnabled()
    assert view.shares()["Product usage"] == "30.0%"


def test_changing_a_weight_updates_shares_and_preview(qtbot, view, ws):
    open_in(qtbot, view, ws)
    before = view.band_counts()
    with qtbot.waitSignal(view.preview_updated, timeout=60_000):
        view.weight_spin("Product usage").setValue(105)    # 105 of 175 in total
    shares = view.shares()
    assert shares["Product usage"] == "60.0%"
    assert shares["Support"] == f"{100 * 20 / 175:.1f}%"
    # seat utilisation: 10 of the group's 30 -> a third of 60%
    assert shares["seat_utilisation"] == "20.0%"
    assert view.card.groups[0].weight == 105
    counts = view.band_counts()
    assert counts == _expected_counts(ws, view.card)
    assert counts != before
    assert "Product usage: 60.0%" in view.tree.topLevelItem(0).toolTip(2)


def test_an_invalid_threshold_shows_its_problem_and_disables_save(qtbot, view, ws):
    open_in(qtbot, view, ws)
    view.select_measure("last_touch")
    assert view.mapping_pages.currentIndex() == 0
    view.set_threshold(1, "20")          # 31, 20, 91: not increasing
    assert not view.save_button.isEnabled()
    assert "thresholds must increase" in view.problems_label.text()
    assert "Fix the problems" in view.preview_state.text()
    view.set_threshold(1, "61")
    assert view.save_button.isEnabled()
    assert "valid" in view.problems_label.text()


def test_a_bad_linear_range_and_band_are_reported(qtbot, view, ws):
    open_in(qtbot, view, ws)
    view.select_measure("seat_utilisation")
    assert view.mapping_pages.currentIndex() == 1
    view.full_edit.setText("0.05")
    view.full_edit.textEdited.emit("0.05")
    assert "full_at (0.05) must be above zero_at (0.1)" in view.problems_label.text()
    assert not view.save_button.isEnabled()


def test_save_then_load_scorecards_returns_the_edited_card(qtbot, view, ws, demo_copy):
    open_in(qtbot, view, ws)
    view.weight_spin("nps").setValue(20)
    view.id_edit.setText("my_health")
    view.id_edit.textEdited.emit("my_health")
    view.name_edit.setText("My health")
    view.name_edit.textEdited.emit("My health")
    with qtbot.waitSignal(view.saved, timeout=5_000) as blocker:
        view.save_button.click()
    assert blocker.args == ["my_health"]
    with Workspace(demo_copy) as other:
        stored = load_scorecards(other)
    assert stored["my_health"].to_dict() == view.card.to_dict()
    assert stored["my_health"].measure("nps").weight == 20
    assert view.card_combo.currentData() == "my_health"
    assert "saved in this workspace" in view.card_combo.currentText()


def test_band_colour_through_the_non_modal_dialog(qtbot, view, ws):
    open_in(qtbot, view, ws)
    dialog = view.pick_band_colour(0)
    assert not dialog.isModal()
    with qtbot.waitSignal(view.preview_updated, timeout=60_000):
        dialog.colorSelected.emit(dialog.currentColor().fromRgb(0x11, 0x22, 0x33))
    assert view.card.bands[0].color == "#112233"
    assert view.bands_table.cellWidget(0, 2).text() == "#112233"
    dialog.close()


def test_export_import_round_trip(qtbot, view, ws, tmp_path):
    open_in(qtbot, view, ws)
    view.weight_spin("Support").setValue(35)
    path = tmp_path / "card.json"
    view.ask_save_path = lambda *a: str(path)
    view.export_button.click()
    assert json.loads(path.read_text())["format"] == "acctdesk-scorecard"
    edited = view.card.to_dict()
    view.select_card("health_gap")
    assert view.card.id == "health_gap"
    view.ask_open_path = lambda *a: str(path)
    with qtbot.waitSignal(view.preview_updated, timeout=60_000):
        view.import_button.click()
    assert view.card.to_dict() == edited
    assert view.is_dirty()
    assert "Save keeps it" in view.status.text()


def test_importing_a_broken_file_says_why(qtbot, view, ws, tmp_path):
    open_in(qtbot, view, ws)
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    view.ask_open_path = lambda *a: str(bad)
    view.import_button.click()
    assert "not valid JSON" in view.status.text()
    assert view.card.id == "health"


def test_assignment_rules_are_shown_and_saved(qtbot, view, ws, demo_copy):
    open_in(qtbot, view, ws)
    assert view.rules_table.rowCount() == 1
    assert view.rules_table.cellWidget(0, 4).currentData() == "onboarding"
    assert "Accounts per card" in view.assignment_status.text()
    view.rules_table.item(0, 2).setText("120")
    assert view.save_assignment()
    from acctdesk.engine.scorecards import load_assignment

    with Workspace(demo_copy) as other:
        assert load_assignment(other).rules[0].max_tenure_days == 120


def test_clearing_the_workspace(qtbot, view, ws):
    open_in(qtbot, view, ws)
    view.set_workspace(None)
    assert view.pages.currentWidget() is view.empty


def test_empty_workspace_has_cards_but_no_preview(qtbot, view, workspace):
    open_in(qtbot, view, workspace)
    assert view.card is not None
    assert view.band_counts() is None
    assert "No accounts to preview" in view.preview_caption.text()
