"""`make tune SCHEDULER=...` on a Dask cluster started by hand (`dask scheduler`, `dask worker`),
as docs/tune.md starts one: the workers share no disk with the machine that asks, they clone
the git remote and pull from the S3 remote (moto's server); the study is the same as one run on
this machine's own workers. Also `make sweep WORKERS=2`, the grid on the same runner."""

import json
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from bench.workspace import pipeline_env
from tests.conftest import run
from tests.e2e.test_shard_e2e import machines
from tests.e2e.test_tune_e2e import experiments, study_csv
from tools.grid import plan

pytestmark = pytest.mark.e2e

RATE = "experiments.blobs4.train.learning_rate"
STUDY = ["--space", f"{RATE}=tag(log,interval(1e-3,3e-1))", "--trials", "2", "--batch", "2"]
START_SECONDS = 60


@contextmanager
def cluster(tmp_path, project):
    """A scheduler and one worker of two single-threaded processes, each started by hand in
    its own folder (not a clone: the runs clone the git remote), the project importable."""
    scheduler_file = tmp_path / "scheduler.json"
    env = dict(pipeline_env(), PYTHONPATH=str(project))
    folder = tmp_path / "cluster"
    folder.mkdir()

    def start(module, *args):  # `dask scheduler ...`, `dask worker ...`
        command = [sys.executable, "-m", f"distributed.cli.{module}", *args, "--no-dashboard"]
        out = subprocess.DEVNULL
        return subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=out)

    scheduler = ["--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--port", "0"]
    processes = [start("dask_scheduler", *scheduler)]
    deadline = time.monotonic() + START_SECONDS
    while not scheduler_file.exists():
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.5)
    address = json.loads(scheduler_file.read_text())["address"]
    processes.append(start("dask_worker", address, "--nworkers", "2", "--nthreads", "1"))
    try:
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=60)


def tune(repo, *args, check=True):
    return run([sys.executable, "-m", "tools.tune", *STUDY, *args], repo, check=check)


def test_a_study_on_a_cluster_is_the_study_on_this_machine(small_pipeline, s3, tmp_path):
    remote, _, (asking, alone) = machines(small_pipeline, tmp_path, s3, 2)
    with cluster(tmp_path, asking) as address:
        on_cluster = tune(asking, "--scheduler", address)
    name = study_csv(asking)[0]
    assert experiments(asking) == [f"{name}-0", f"{name}-1"]  # pulled from the git remote
    listed = run(["git", "for-each-ref", "--format=%(refname)", "refs/exps"], remote).stdout
    assert sorted(ref.rsplit("/", 1)[1] for ref in listed.split()) == [f"{name}-0", f"{name}-1"]
    assert "Running stage" not in on_cluster.stdout  # nothing trained on the asking machine

    tune(alone)  # the same study on this machine's own worker
    assert study_csv(alone) == study_csv(asking)


def test_a_cluster_needs_the_commit_on_the_git_remote_and_a_scheduler(small_pipeline, s3, tmp_path):
    _, _, (asking,) = machines(small_pipeline, tmp_path, s3, 1)
    folder = ["dvc", "remote", "add", "--local", "--default", "folder", str(tmp_path / "st")]
    run(folder, asking)
    refused = tune(asking, "--scheduler", "tcp://127.0.0.1:9", check=False)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("tune: the DVC remote 'folder' is a folder of this machine")
    run(["dvc", "remote", "default", "--local", "storage"], asking)

    run(["git", "commit", "-q", "--allow-empty", "-m", "not pushed"], asking)
    refused = tune(asking, "--scheduler", "tcp://127.0.0.1:9", check=False)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("tune: the cluster's workers clone the git remote 'origin', which")
    assert line.endswith("git push origin first")

    run(["git", "push", "-q", "origin", "HEAD"], asking)
    refused = tune(asking, "--scheduler", "tcp://127.0.0.1:9", check=False)
    assert refused.returncode == 2
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith("tune: ") and "127.0.0.1:9" in line
    assert experiments(asking) == []


def test_a_grid_on_two_local_workers(small_pipeline, tmp_path):
    run(
        ["dvc", "remote", "modify", "--local", "storage", "url", str(tmp_path / "st")],
        small_pipeline,
    )
    rates = "experiments.blobs2.train.learning_rate=0.01,0.03"
    run([sys.executable, "-m", "tools.sweep", "--set", rates, "--workers", "2"], small_pipeline)
    assert experiments(small_pipeline) == sorted(r.name for r in plan([rates], 1))
