"""`make tune` end to end (docs/tune.md): the same study, byte for byte, with one worker or two,
after an interruption, with a worker lost during a trial, and in a second clone; each trial a
DVC experiment; bad SPACEs and an unreachable remote refused before anything runs."""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import psutil
import pytest
import yaml

from bench.workspace import commit_all, get_param, pipeline_env, set_params
from tests.conftest import run
from tools.runs import runs

pytestmark = pytest.mark.e2e

RATE = "experiments.blobs2.train.learning_rate"
SPACE = f"{RATE}=tag(log,interval(1e-3,3e-1))"
STUDY = ["--space", SPACE, "--trials", "3", "--batch", "2", "--seed", "7"]
KILL_AFTER_SECONDS = 600


def tune(repo, *args, check=True):
    return run([sys.executable, "-m", "tools.tune", *args], repo, check=check)


def with_remote(repo, tmp_path, name):
    """The repo with its own folder as the DVC remote (not the user's default one)."""
    run(["dvc", "remote", "modify", "--local", "storage", "url", str(tmp_path / name)], repo)
    return repo


def experiments(repo) -> list[str]:
    """The names of the experiments of HEAD in ``repo``."""
    listed = run(["dvc", "exp", "list", "--name-only"], repo).stdout
    return sorted(line.strip() for line in listed.splitlines() if line.strip())


def study_csv(repo) -> tuple[str, bytes]:
    (path,) = (repo / "reports" / "tune").glob("*.csv")
    return path.stem, path.read_bytes()


def interrupt_after_first_trial(repo) -> None:
    """Start the study, and press Ctrl-C (SIGINT to its process group) once trial 0 is an
    experiment of the repo, while trial 1 trains."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.tune", *STUDY],
        cwd=repo,
        env=pipeline_env(),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + KILL_AFTER_SECONDS
    while (
        "/tune-"
        not in subprocess.run(
            ["git", "for-each-ref", "--format=%(refname)", "refs/exps"],
            cwd=repo,
            capture_output=True,
            text=True,
        ).stdout
    ):
        assert process.poll() is None, process.stdout.read()
        assert time.monotonic() < deadline
        time.sleep(1)
    os.killpg(process.pid, signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert "run the same command to resume" in output, output


def kill_the_worker_running(run_name: str, repo, *args) -> str:
    """Run the study, and kill the Dask worker that runs ``run_name`` once its `dvc exp run`
    started, with everything it started (as a lost machine would); the study's output."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.tune", *args],
        cwd=repo,
        env=pipeline_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + KILL_AFTER_SECONDS
    killed = None
    while killed is None:
        assert process.poll() is None and time.monotonic() < deadline, process.stdout.read()
        for child in psutil.Process(process.pid).children(recursive=True):
            try:
                if run_name in child.cmdline() and "exp" in child.cmdline():
                    killed = child.parent()  # the worker: run_one's Popen is its child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    for victim in [killed, *killed.children(recursive=True)]:
        victim.kill()
    output, _ = process.communicate(timeout=KILL_AFTER_SECONDS)
    assert process.returncode == 0, output
    return output


def test_the_same_study_after_an_interruption_with_a_lost_worker_and_in_a_clone(
    small_pipeline, tmp_path
):
    one = with_remote(small_pipeline, tmp_path, "storage-one")
    two = with_remote(shutil.copytree(one, tmp_path / "two", symlinks=True), tmp_path, "st-two")

    interrupt_after_first_trial(one)
    (first,) = experiments(one)
    resumed = tune(one, *STUDY)  # WORKERS=1, the default
    name = first.rsplit("-", 1)[0]
    assert first == f"{name}-0"
    assert f"running {name}-1" in resumed.stdout  # trial 0 read back, not trained again
    assert f"{name}-0" not in resumed.stdout.split("running", 1)[1].split("\n")[0]

    # Two workers, one of them lost while it runs trial 1: Dask gives the trial to the other.
    kill_the_worker_running(f"{name}-1", two, *STUDY, "--workers", "2")
    assert study_csv(one) == study_csv(two)
    assert experiments(one) == experiments(two) == [f"{name}-{n}" for n in range(3)]

    rows = list(csv.DictReader(study_csv(one)[1].decode().splitlines()))
    assert [row["number"] for row in rows] == ["0", "1", "2"]
    assert [row["experiment"] for row in rows] == [f"{name}-{n}" for n in range(3)]
    assert {row["state"] for row in rows} == {"complete"}
    rates = [float(row[RATE]) for row in rows]
    assert len(set(rates)) == 3 and all(1e-3 <= rate <= 3e-1 for rate in rates)
    # Each row's metric is its experiment's, as `dvc exp show` (and `make runs`) reads it.
    shown = runs(json.loads(run(["dvc", "exp", "show", "--json"], one).stdout))
    for row in rows:
        values = shown[row["experiment"]]
        assert float(row["blobs2.test_accuracy"]) == values[("metrics", "blobs2", "test_accuracy")]
        assert float(row[RATE]) == values[("params", "blobs2", "train", "learning_rate")]
    page = (one / "reports" / "tune" / f"{name}.md").read_text()
    assert "the gate against HEAD:" in page
    assert (one / "reports" / "tune" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # APPLY=1, the study read back: the gate refuses every trial of these tiny runs (gate.yaml's
    # minimums), then, by rules that any trial passes, the best is applied.
    refused = tune(one, *STUDY, "--apply", check=False)
    assert refused.returncode == 1 and "no run passed the gate: nothing applied" in refused.stderr
    rules = yaml.safe_load((one / "gate.yaml").read_text())
    rule = {"better": "higher", "max_drop": 1.0}
    lenient = {"project": rules["project"], "blobs2": {"test_accuracy": rule}}
    (tmp_path / "lenient.yaml").write_text(yaml.safe_dump(lenient))
    applied = tune(one, *STUDY, "--rules", str(tmp_path / "lenient.yaml"), "--apply")
    best = max(rows, key=lambda row: (float(row["blobs2.test_accuracy"]), -int(row["number"])))
    assert f"tune: applied {best['experiment']}" in applied.stdout
    assert "Running stage" not in applied.stdout  # read back, not trained again
    assert get_param(one, RATE) == float(best[RATE])


@pytest.mark.parametrize(
    "space, line",
    [
        (f"{RATE}x=interval(0.1,0.2)", f"'{RATE}x' is not a key of params.yaml"),
        (f"{RATE}=interval(0.2,0.1)", "the interval is empty"),
        (f"{RATE}=tag(log,interval(0,0.1))", "a log interval must lie above 0"),
        (f"{RATE}=interval(-1,0.1)", f"{RATE}: got -1.0, expected a finite number > 0"),
    ],
)
def test_a_bad_space_is_one_line_and_nothing_runs(small_pipeline, space, line):
    refused = tune(small_pipeline, "--space", space, check=False)
    assert refused.returncode == 2, refused.stderr
    (only,) = refused.stderr.strip().splitlines()
    assert only.startswith("tune: ") and line in only
    assert experiments(small_pipeline) == []
    assert not (small_pipeline / "reports" / "tune").exists()


def test_an_unreachable_s3_remote_is_one_line_and_nothing_runs(small_pipeline):
    for setting in (["url", "s3://bucket/path"], ["endpointurl", "http://127.0.0.1:9"]):
        run(["dvc", "remote", "modify", "--local", "storage", *setting], small_pipeline)
    refused = tune(small_pipeline, *STUDY, check=False)
    assert refused.returncode == 2, refused.stderr
    (only,) = refused.stderr.strip().splitlines()
    assert only.startswith("tune: the DVC remote 'storage'") and "cannot be" in only
    assert experiments(small_pipeline) == []


def test_a_diverging_trial_is_a_failed_trial_named_with_its_error_line(small_pipeline, tmp_path):
    repo = with_remote(small_pipeline, tmp_path, "storage")
    output = "experiments.regression.model.output_activation"
    set_params(repo, {output: "linear"}, new_keys=True)
    commit_all(repo, "a linear output, which a huge learning rate makes diverge")
    space = "experiments.regression.train.learning_rate=choice(10000000000.0)"
    result = tune(repo, "--space", space, "--trials", "1")
    name, text = study_csv(repo)
    assert f"tune: trial {name}-0 failed: error: training diverged" in result.stderr
    (row,) = csv.DictReader(text.decode().splitlines())
    assert (row["state"], row["regression.test_mse"], row["experiment"]) == (
        "failed",
        "",
        f"{name}-0",
    )
    page = (repo / "reports" / "tune" / f"{name}.md").read_text()
    assert f"- {name}-0: error: training diverged" in page and "No trial finished." in page
    assert experiments(repo) == []
