"""End to end: bad params, bad inputs, divergence and interruptions never lose what was there."""

import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest

from bench.workspace import ran_stages, set_params
from tests.conftest import dvc_env, run

pytestmark = pytest.mark.e2e

OUTPUT_DIRS = ("data", "models", "metrics", "plots")


def snapshot(repo):
    """Every output file's content hash (and the params), to prove nothing changed."""
    files = [p for d in OUTPUT_DIRS for p in sorted((repo / d).rglob("*")) if p.is_file()]
    return {str(p.relative_to(repo)): hashlib.md5(p.read_bytes()).hexdigest() for p in files}


@pytest.mark.parametrize(
    "dotted, value, message",
    [
        (
            "experiments.blobs4.train.epochs",
            -5,
            "error: experiments.blobs4.train.epochs: got -5, expected an integer >= 1",
        ),
        (
            "experiments.blobs2.split.test_size",
            1.5,
            "error: experiments.blobs2.split.test_size: got 1.5, expected a number strictly between 0 and 1",
        ),
        (
            "experiments.blobs4.train.optimizer",
            "sgdd",
            "error: experiments.blobs4.train.optimizer: got 'sgdd', expected one of sgd, adam, adamw, "
            "rmsprop, adagrad, adadelta, adamax, nadam",
        ),
        (
            "experiments.blobs4.train.epoch",
            5,
            "error: experiments.blobs4.train.epoch: unknown key; did you mean 'epochs'? "
            "allowed: optimizer, learning_rate, batch_size, epochs, seed",
        ),
    ],
)
def test_a_rejected_value_leaves_the_workspace_as_it_was(small_pipeline, dotted, value, message):
    before = snapshot(small_pipeline)
    original = (small_pipeline / "params.yaml").read_text()
    set_params(small_pipeline, {dotted: value}, new_keys=True)
    result = run(["dvc", "repro"], small_pipeline, check=False)
    assert result.returncode != 0
    assert ran_stages(result.stdout) == ["validate"]
    assert message in result.stderr.splitlines()
    assert snapshot(small_pipeline) == before
    (small_pipeline / "params.yaml").write_text(original)  # the fix
    assert "Data and pipelines are up to date." in run(["dvc", "status"], small_pipeline).stdout


def test_diverging_training_stops_naming_the_learning_rate(small_pipeline):
    metrics_before = (small_pipeline / "metrics" / "regression.json").read_text()
    set_params(
        small_pipeline, {"experiments.regression.model.output_activation": "linear"}, new_keys=True
    )
    set_params(small_pipeline, {"experiments.regression.train.learning_rate": 1e10})
    result = run(["dvc", "repro"], small_pipeline, check=False)
    assert result.returncode != 0
    assert "train@regression" in ran_stages(result.stdout)
    assert "evaluate@regression" not in ran_stages(result.stdout)
    assert any(
        line.startswith("error: training diverged") and "learning_rate=10000000000.0" in line
        for line in result.stderr.splitlines()
    ), result.stderr
    # No NaN metrics: the evaluate stage never ran, the committed metrics are intact.
    assert (small_pipeline / "metrics" / "regression.json").read_text() == metrics_before


def run_stage(repo, stage, *args):
    return subprocess.run(
        [sys.executable, "-m", "stages", stage, *args],
        cwd=repo,
        env=dvc_env(),
        capture_output=True,
        text=True,
    )


def test_stages_run_by_hand_on_bad_files_name_the_file(small_pipeline, tmp_path):
    settings = "data/settings/blobs4"
    raw = small_pipeline / "data" / "blobs4" / "raw.parquet"
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(raw.read_bytes()[: raw.stat().st_size // 2])
    result = run_stage(
        small_pipeline,
        "split",
        "--settings",
        f"{settings}/split.json",
        "--data",
        str(truncated),
        "--train",
        str(tmp_path / "a.parquet"),
        "--test",
        str(tmp_path / "b.parquet"),
        "--baselines",
        str(tmp_path / "c.json"),
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {truncated}: not a readable Parquet table")
    assert len(result.stderr.strip().splitlines()) == 1

    weights = tmp_path / "weights.json"
    weights.write_text(
        json.dumps(
            {
                "layers": [{"kernel": [[1.0]], "bias": [0.0, 1.0], "activation": "linear"}],
                "output_activation": "softmax",
            }
        )
    )
    result = run_stage(
        small_pipeline,
        "evaluate",
        "--settings",
        f"{settings}/evaluate.json",
        "--weights",
        str(weights),
        "--test",
        "data/blobs4/test.parquet",
        "--baselines",
        "data/blobs4/baselines.json",
        "--metrics",
        str(tmp_path / "m.json"),
        "--points",
        str(tmp_path / "p.csv"),
        "--worked-example",
        str(tmp_path / "w.md"),
    )
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: {weights}: not a weights file written by the train stage"
    )
    assert not (tmp_path / "m.json").exists()


def test_an_interrupted_repro_completes_with_the_same_results(small_pipeline):
    set_params(small_pipeline, {"experiments.blobs4.train.epochs": 4})
    process = subprocess.Popen(
        ["dvc", "repro"],
        cwd=small_pipeline,
        env=dvc_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    for line in process.stdout:
        if line.startswith("Running stage 'train@blobs4'"):
            break
    os.killpg(process.pid, signal.SIGKILL)  # the harshest interruption: no clean-up at all
    process.wait()
    # Nothing half-done was recorded: DVC still sees blobs4's training as to be run.
    assert "train@blobs4" in run(["dvc", "status"], small_pipeline).stdout
    rerun = run(["dvc", "repro"], small_pipeline)
    assert "train@blobs4" in ran_stages(rerun.stdout)
    assert "Data and pipelines are up to date." in run(["dvc", "status"], small_pipeline).stdout
    lock, metrics = (small_pipeline / "dvc.lock").read_text(), snapshot(small_pipeline)
    run(["dvc", "repro", "-f", "-s", "train@blobs4"], small_pipeline)
    run(["dvc", "repro"], small_pipeline)
    assert (small_pipeline / "dvc.lock").read_text() == lock
    assert snapshot(small_pipeline) == metrics


def test_dvc_repro_from_an_unactivated_venv_says_what_to_do(small_pipeline, tmp_path):
    # Issue #20: `.venv/bin/dvc repro` on a machine with only `python3` (Debian) ended in
    # `python: command not found`. The stages run `python3`, which checks it is the project's.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "bare"], check=True)
    path = tmp_path / "path"
    path.mkdir()
    (path / "dvc").symlink_to(os.path.join(os.path.dirname(sys.executable), "dvc"))
    (path / "python3").symlink_to(tmp_path / "bare" / "bin" / "python3")
    set_params(small_pipeline, {"experiments.blobs4.train.epochs": 3})
    before = snapshot(small_pipeline)
    done = subprocess.run(
        ["dvc", "repro"],
        cwd=small_pipeline,
        env={**dvc_env(), "PATH": str(path)},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "command not found" not in done.stderr
    assert f"error: {path / 'python3'} is not the project's Python (" in done.stderr
    assert "`source .venv/bin/activate` and then the dvc command" in done.stderr
    assert snapshot(small_pipeline) == before
