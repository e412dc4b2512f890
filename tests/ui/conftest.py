"""Fixtures shared by the view tests."""
import pytest

from acctdesk.ui.tasks import TaskRunner


@pytest.fixture
def runner():
    """The app's task runner; every job is cancelled and waited for at the end of a test."""
    r = TaskRunner()
    yield r
    r.cancel()
    r.wait()
