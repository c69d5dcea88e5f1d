"""tools.runner on a real Dask LocalCluster: results in the order given whatever order the
workers finish in, and a worker killed during a run: the run starts again on another worker,
and what had finished is not run again.

The task here stands for tools.runner.run_in_clone: it "trains" (a file per training) unless
its name was "pushed" (a file), as run_in_clone skips a name the git remote has."""

import os
import signal
import time
from pathlib import Path

import pytest

from tools.runner import dask_client, run_all


def slow_first(name, overrides, origin):
    """Sleeps longer the earlier it was given: the last given finishes first."""
    time.sleep(overrides[0])
    return f"{name} ran with {overrides}"


def train_once(name, overrides, origin):
    """Skips a pushed name; else trains and pushes it. ``overrides[0]``: kill the worker
    during the first attempt (before pushing), as a lost machine would."""
    folder = Path(origin)
    if (folder / f"{name}.pushed").exists():
        return None
    attempts = len(list(folder.glob(f"{name}.attempt*")))
    (folder / f"{name}.attempt{attempts}").touch()
    if overrides[0] == "die" and attempts == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    (folder / f"{name}.trained{attempts}").touch()
    (folder / f"{name}.pushed").touch()
    return None


def raises(name, overrides, origin):
    """A run whose task raises, as a worker without git would."""
    if overrides[0] == "raise":
        raise FileNotFoundError(2, "No such file or directory", "git")
    return None


@pytest.fixture(scope="module")
def client():
    with dask_client(workers=2, scheduler=None) as client:
        yield client


def test_results_come_in_the_order_given(client):
    runs = [("a", (1.5,)), ("b", (0.75,)), ("c", (0.0,))]
    assert run_all(client, runs, None, task=slow_first) == [
        "a ran with (1.5,)",
        "b ran with (0.75,)",
        "c ran with (0.0,)",
    ]


def test_a_killed_worker_s_run_starts_again_and_the_finished_ones_do_not(client, tmp_path):
    runs = [("done", ("live",)), ("lost", ("die",)), ("after", ("live",))]
    assert run_all(client, runs, str(tmp_path), task=train_once) == [None, None, None]
    trained = sorted(path.name for path in tmp_path.glob("*.trained*"))
    assert trained == ["after.trained0", "done.trained0", "lost.trained1"]
    assert sorted(path.name for path in tmp_path.glob("lost.attempt*")) == [
        "lost.attempt0",
        "lost.attempt1",
    ]


def test_a_run_that_raises_is_a_failed_run_and_the_others_finish(client):
    runs = [("fine", ("ok",)), ("broken", ("raise",)), ("after", ("ok",))]
    assert run_all(client, runs, None, task=raises) == [
        None,
        "FileNotFoundError: [Errno 2] No such file or directory: 'git'",
        None,
    ]
