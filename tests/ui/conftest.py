"""Fixtures shared by the view tests."""
import shutil

import pytest

from acctdesk.ui.tasks import TaskRunner


@pytest.fixture
def runner():
    """The app's task runner; every job is cancelled and waited for at the end of a test."""
    r = TaskRunner()
    yield r
    r.cancel()
    r.wait()


@pytest.fixture(scope="module")
def demo_path(demo_file, tmp_path_factory):
    """One writable copy of the demo per test module (a view may store its churn model)."""
    path = tmp_path_factory.mktemp("view_demo") / "demo.acctdesk"
    shutil.copy(demo_file, path)
    return path


@pytest.fixture(scope="module")
def trained_demo(demo_path):
    """The module's demo copy with its churn model trained and stored once (copies reuse it)."""
    from acctdesk.models import Workspace
    from acctdesk.models.model_store import risk_for_workspace

    with Workspace(demo_path) as ws:
        risk_for_workspace(ws)
    return demo_path
