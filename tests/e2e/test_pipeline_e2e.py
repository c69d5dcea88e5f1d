"""End to end: the real `dvc` commands on a small copy of the pipeline in a temporary repo."""

import json
import os
import re
import stat
import sys

import numpy as np
import pandas as pd
import pytest

from bench.workspace import ran_stages, stage_commands
from tests.conftest import run
from tests.notebook_params import NOTEBOOK_NAMES

pytestmark = pytest.mark.e2e

ALL_STAGES = sorted(
    ["fingerprint", "validate"]
    + [
        f"{stage}@{name}"
        for stage in ("generate", "split", "train", "evaluate", "plot")
        for name in NOTEBOOK_NAMES  # the small pipeline's experiments (tests/conftest.py)
    ]
)


def metrics_of(repo):
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], repo).stdout)
    return {path: values for path, values in shown[""]["data"].items()}


def test_cold_run_runs_every_stage_and_writes_the_metrics(small_pipeline_template):
    repo, output = small_pipeline_template
    assert ran_stages(output) == ALL_STAGES
    metrics = metrics_of(repo)
    for name in ("blobs4", "blobs2"):
        values = metrics[f"metrics/{name}.json"]["data"]
        scored = ("accuracy", "balanced_accuracy", "macro_f1")
        expected = {"test_loss", "test_precision", "test_recall"} | {
            f"{who}_{score}" for who in ("test", "bayes", "logreg", "majority") for score in scored
        }
        two_classes = {"test_roc_auc", "logreg_roc_auc"} if name == "blobs2" else set()
        assert set(values) == expected | two_classes
        classes = {"blobs4": ["0", "1", "2", "3"], "blobs2": ["0", "1"]}[name]
        assert sorted(values["test_precision"]) == sorted(values["test_recall"]) == classes
        assert 0.25 <= values["test_accuracy"] <= 1 and values["test_loss"] > 0
        assert 0.8 <= values["bayes_accuracy"] <= 1  # 40 test points, well-separated blobs
    regression = metrics["metrics/regression.json"]["data"]
    assert set(regression) == {"noise_floor_mse"} | {
        f"{who}_{score}"
        for who in ("test", "linreg", "mean")
        for score in ("mse", "rmse", "mae", "r2")
    }
    assert regression["test_rmse"] == pytest.approx(regression["test_mse"] ** 0.5, rel=1e-5)
    assert 0.001 < regression["noise_floor_mse"] < 0.03  # noise_std 0.1 on 40 points
    for name in ("blobs4", "blobs2"):
        for picture in ("decision_boundary", "predictions", "anatomy"):
            assert (repo / "plots" / name / f"{picture}.png").stat().st_size > 10_000
    assert (repo / "plots" / "regression" / "fitted_function.png").exists()
    assert (repo / "models" / "blobs4" / "model.keras").exists()


def test_a_run_without_a_terminal_shows_a_few_lines_per_training(small_pipeline_template):
    # Issue #20: Keras wrote a line per epoch (420 lines for the notebook's two trainings).
    _, output = small_pipeline_template
    assert "Epoch 1/" not in output and "step - loss" not in output
    assert "absl::InitializeLog" not in output and "NodeDef" not in output  # TensorFlow's C++ log
    for name in NOTEBOOK_NAMES:
        lines = [line for line in output.splitlines() if line.startswith(f"{name}: epoch ")]
        assert [line.split()[2] for line in lines] == ["1/2", "2/2"]  # SMALL: 2 epochs
        assert re.fullmatch(rf"{name}: epoch 2/2  (\w+ [-\d.e]+  )*val_loss [-\d.e]+", lines[-1])


def test_rerun_is_up_to_date(small_pipeline):
    output = run(["dvc", "repro"], small_pipeline).stdout
    assert ran_stages(output) == []
    assert "Data and pipelines are up to date." in output
    assert "up to date" in run(["dvc", "status"], small_pipeline).stdout


def test_forced_rerun_reproduces_every_output_bit_for_bit(small_pipeline):
    # One experiment's whole chain (CI forces all three at full size: .ci/run).
    output = run(["dvc", "repro", "-f", "plot@blobs2"], small_pipeline).stdout
    assert ran_stages(output) == [
        "evaluate@blobs2",
        "fingerprint",
        "generate@blobs2",
        "plot@blobs2",
        "split@blobs2",
        "train@blobs2",
        "validate",
    ]
    assert run(["git", "status", "--porcelain"], small_pipeline).stdout == ""


def test_changing_a_plot_setting_reruns_only_plotting(small_pipeline):
    output = run(
        ["dvc", "exp", "run", "-S", "experiments.blobs2.plot.grid_points=30"], small_pipeline
    ).stdout
    assert ran_stages(output) == ["plot@blobs2", "validate"]


def test_a_new_experiment_with_more_classes_and_features_runs(small_pipeline):
    params = (small_pipeline / "params.yaml").read_text()
    params += """
  blobs5d:
    task: classification
    data: {n_samples: 150, n_features: 5, centers: 3, cluster_std: 1.0, random_state: 1}
    split: {test_size: 0.2, random_state: 0}
    model: {hidden_units: [8], hidden_activation: tanh, output_activation: softmax}
    train: {optimizer: adam, learning_rate: 0.05, batch_size: 16, epochs: 3, seed: 1}
    plot: {grid_min: -15, grid_max: 15, grid_points: 20}
"""
    (small_pipeline / "params.yaml").write_text(params)
    # Without its name in dvc.yaml's vars, validate says where it goes, and nothing runs.
    refused = run(["dvc", "repro"], small_pipeline, check=False)
    assert refused.returncode != 0
    assert (
        "error: experiments.blobs5d: not in dvc.yaml's vars; expected its name under "
        "`synthetic` (the data make_blobs makes)"
    ) in refused.stdout + refused.stderr
    pipeline = (small_pipeline / "dvc.yaml").read_text()
    synthetic = re.search(r"- synthetic: \[(.*)\]", pipeline)
    (small_pipeline / "dvc.yaml").write_text(
        pipeline.replace(synthetic.group(0), f"- synthetic: [{synthetic.group(1)}, blobs5d]")
    )
    output = run(["dvc", "repro"], small_pipeline).stdout
    assert ran_stages(output) == sorted(
        ["validate"]
        + [f"{stage}@blobs5d" for stage in ("generate", "split", "train", "evaluate", "plot")]
    )
    metrics = json.loads((small_pipeline / "metrics" / "blobs5d.json").read_text())
    assert metrics["test_accuracy"] >= 0.9  # three well-separated 5-d blobs
    assert (small_pipeline / "plots" / "blobs5d" / "decision_boundary.png").exists()
    assert not (small_pipeline / "plots" / "blobs5d" / "anatomy.png").exists()  # not linear


def test_every_output_gets_the_mode_of_the_users_umask(small_pipeline_template):
    repo, _ = small_pipeline_template
    mask = os.umask(0)
    os.umask(mask)
    outputs = [
        p
        for folder in ("data", "models", "metrics", "plots")
        for p in (repo / folder).rglob("*")
        if p.is_file()
    ]
    modes = {str(p.relative_to(repo)): stat.S_IMODE(p.stat().st_mode) for p in outputs}
    assert len(modes) > 30 and set(modes.values()) == {0o666 & ~mask}, modes


def test_the_metrics_loss_is_the_loss_keras_reported(small_pipeline_template):
    # Keras' last val_loss is on the same test split with the final weights: both must agree.
    repo, _ = small_pipeline_template
    for name in ("blobs4", "blobs2"):
        rows = (repo / "models" / name / "history.csv").read_text().splitlines()
        header, last = rows[0].split(","), rows[-1].split(",")
        val_loss = float(last[header.index("val_loss")])
        test_loss = json.loads((repo / "metrics" / f"{name}.json").read_text())["test_loss"]
        assert test_loss == pytest.approx(val_loss, rel=1e-4), name


# Runs a stage's module as `python -m` does, then prints the scikit-learn modules it loaded.
LOADED_SKLEARN = """
import runpy, sys
sys.argv = sys.argv[1:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
print(sorted(name for name, module in sys.modules.items()
             if name.split(".")[0] == "sklearn" and module is not None))
"""


@pytest.mark.parametrize("stage", ["train", "evaluate", "plot"])
def test_after_a_model_edit_no_stage_but_split_loads_scikit_learn(small_pipeline, stage):
    # Issue #23: the baselines depend on the split alone; the split stage fits them, once.
    # Keras would load scikit-learn for wrappers the pipeline does not use.
    command = stage_commands(small_pipeline, "blobs4")[stage]
    module_and_args = command[2:]  # after python3 -m
    done = run([sys.executable, "-c", LOADED_SKLEARN, *module_and_args], small_pipeline)
    assert done.stdout.splitlines()[-1] == "[]"


def test_model_keras_loads_in_keras_and_predicts_what_evaluate_predicted(small_pipeline):
    # The README's export: keras.saving.load_model on the file, the test split's features in.
    import keras

    for name in ("blobs4", "regression"):
        model = keras.saving.load_model(small_pipeline / "models" / name / "model.keras")
        test = pd.read_parquet(small_pipeline / "data" / name / "test.parquet")
        features = test[[column for column in test if column.startswith("x")]].to_numpy()
        points = pd.read_csv(small_pipeline / "metrics" / f"{name}.points.csv")
        outputs = model.predict(features, verbose=0)
        if name == "blobs4":
            assert (outputs.argmax(axis=1) == points["predicted"]).all()
            p_true = outputs[np.arange(len(test)), points["actual"]]
            np.testing.assert_allclose(-np.log(p_true), points["loss"], rtol=1e-4, atol=1e-6)
        else:
            np.testing.assert_allclose(outputs[:, 0], points["predicted"], rtol=1e-5, atol=1e-6)
