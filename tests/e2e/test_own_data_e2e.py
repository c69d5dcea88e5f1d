"""End to end, your own data: scikit-learn's wine table exported as a CSV, added with
`make experiment` (no TASK), reproduced with `dvc repro`, and its test rows predicted with
`make predict`'s command, in a temporary copy of the project."""

import json
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from bench.workspace import pipeline_env, ran_stages, set_params
from pipeline import datasets
from tests.conftest import copy_project, run

pytestmark = pytest.mark.e2e


def python(repo, *args):
    """``python -m ...`` in the copy (whose own modules it imports), as make runs it."""
    return run([sys.executable, "-m", *args], repo)


def test_a_csv_of_your_own_from_make_experiment_to_make_predict(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_project(repo)
    wine = tmp_path / "wine.csv"
    # The README's commands: `python -m stages example ...`, and `make predict`'s runner.
    exported = python(repo, "stages", "example", "--dataset", "wine", "--out", str(wine))
    assert exported.stdout == f"{wine}: 178 rows of scikit-learn's wine\n"

    added = python(
        repo, "tools.experiment", "--name", "wine", "--data", str(wine), "--target", "cultivar"
    )
    assert added.stdout.splitlines()[0] == (
        "wine: classification (the target 'cultivar' holds text labels; TASK=regression for a "
        "regression); data/tables/wine.csv is tracked by DVC"
    )

    # make experiment's own defaults (Adam at 0.01 for about 1000 steps).
    output = run(["dvc", "repro", "plot@wine"], repo).stdout
    assert ran_stages(output) == sorted(
        ["fingerprint", "validate"]
        + [f"{stage}@wine" for stage in ("evaluate", "ingest", "plot", "split", "train")]
    )

    metrics = json.loads((repo / "metrics" / "wine.json").read_text())
    scored = ("accuracy", "balanced_accuracy", "macro_f1")
    assert set(metrics) == {"test_loss", "test_precision", "test_recall"} | {
        f"{who}_{score}" for who in ("test", "logreg", "majority") for score in scored
    }
    assert sorted(metrics["test_recall"]) == ["class_0", "class_1", "class_2"]
    assert metrics["test_accuracy"] >= metrics["logreg_accuracy"] - 0.02, metrics
    assert metrics["majority_accuracy"] < 0.45 < metrics["test_accuracy"]  # 3 classes, 40% most
    for picture in ("predicted_classes", "anatomy"):
        assert (repo / "plots" / "wine" / f"{picture}.png").stat().st_size > 10_000

    points = pd.read_csv(repo / "metrics" / "wine.points.csv")
    assert list(points.columns) == ["actual", "predicted", "correct", "loss"]
    assert len(points) == 36  # ceil(0.2 * 178)
    assert set(points["actual"]) == {"class_0", "class_1", "class_2"}  # stratified: all three
    assert set(points["predicted"]) <= {"class_0", "class_1", "class_2"}
    assert points["correct"].mean() == pytest.approx(metrics["test_accuracy"], abs=1e-6)

    # The test rows as a user would have them: the file's column names, the target as text.
    test_path = repo / "data" / "wine" / "test.parquet"
    test = pd.read_parquet(test_path)
    schema = datasets.read_schema(test_path, test)
    assert schema.target == "cultivar" and schema.classes == ("class_0", "class_1", "class_2")
    assert schema.features[:2] == ("alcohol", "malic_acid") and len(schema.features) == 13
    rows = pd.DataFrame(datasets.features(test), columns=list(schema.features))
    rows["cultivar"] = np.asarray(schema.classes)[test["y"].to_numpy()]
    rows_csv = tmp_path / "rows.csv"
    rows.to_csv(rows_csv, index=False)
    assert (rows["cultivar"] == points["actual"]).all()

    out = tmp_path / "p.csv"
    predicted = python(
        repo,
        "stages",
        "predict",
        "--weights",
        "models/wine/weights.json",
        "--rows",
        str(rows_csv),
        "--out",
        str(out),
    )
    assert predicted.stdout == f"{out}: 36 predictions\n"
    result = pd.read_csv(out)
    assert list(result.columns) == ["class_0", "class_1", "class_2", "predicted_cultivar"]
    np.testing.assert_allclose(result.iloc[:, :3].sum(axis=1), 1.0, rtol=1e-9)
    assert result["predicted_cultivar"].tolist() == points["predicted"].tolist()

    # The rows with a column renamed are refused, naming it.
    rows.rename(columns={"alcohol": "alcohol %"}).to_csv(rows_csv, index=False)
    refused = subprocess.run(
        [sys.executable, "-m", "stages", "predict", "--weights", "models/wine/weights.json"]
        + ["--rows", str(rows_csv), "--out", str(tmp_path / "refused.csv")],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert refused.stderr.splitlines() == [
        f"error: {rows_csv}: column 'alcohol %': not a feature of the training file "
        f"(features: {', '.join(schema.features)})",
        f"error: {rows_csv}: column 'alcohol': missing, the model was trained with it",
    ]

    # The gate guards it: committed, then compared with itself, paired on the class names.
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "wine"], repo)
    gate = python(repo, "gate", "--base", "HEAD", "--history", "0", "--report", "gate.md")
    assert gate.stdout == "gate: passed\nreport: gate.md\n"
    report = (repo / "gate.md").read_text()
    assert "## wine" in report
    assert "Paired: both sides scored the same 36 test points" in report

    # make share sends the table and every output; another clone pulls them and runs nothing.
    remote = tmp_path / "remote"
    run(["dvc", "remote", "modify", "--local", "storage", "url", str(remote)], repo)
    python(repo, "tools.share")
    there = tmp_path / "there"
    run(["git", "clone", "-q", str(repo), str(there)], tmp_path)
    run(["dvc", "remote", "modify", "--local", "storage", "url", str(remote)], there)
    # (this copy's dvc.lock also names the other experiments, never run here: pull wine's)
    run(["dvc", "pull", "data/tables/wine.csv.dvc"], there)
    run(["dvc", "pull", "--with-deps", "plot@wine"], there)
    pulled = run(["dvc", "repro", "plot@wine"], there)
    assert ran_stages(pulled.stdout) == [], pulled.stdout
    assert "Data and pipelines are up to date." in pulled.stdout
    assert (there / "data/tables/wine.csv").read_bytes() == (
        repo / "data/tables/wine.csv"
    ).read_bytes()
    assert (there / "models/wine/weights.json").read_bytes() == (
        repo / "models/wine/weights.json"
    ).read_bytes()


def test_a_regression_table_in_its_own_units_and_a_model_worse_than_the_mean_fails(tmp_path):
    """Issue #28: scikit-learn's diabetes table as the README walks through it (its target from
    25 to 346) comes within 0.05 of linear regression's R²; trained into a model worse than
    predicting the train mean, evaluate says so and the gate fails it in one line."""
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_project(repo)
    data = tmp_path / "diabetes.csv"
    python(repo, "stages", "example", "--dataset", "diabetes", "--out", str(data))
    added = python(
        repo, "tools.experiment", "--name", "sugar", "--data", str(data), "--target", "progression"
    )
    assert added.stdout.splitlines()[0] == (
        "sugar: regression (the target 'progression' holds 214 distinct integers; "
        "TASK=classification for a classification); data/tables/sugar.csv is tracked by DVC"
    )
    run(["dvc", "repro", "plot@sugar"], repo)
    metrics = json.loads((repo / "metrics" / "sugar.json").read_text())
    assert metrics["test_r2"] >= metrics["linreg_r2"] - 0.05, metrics
    assert metrics["test_mse"] <= 1.05 * metrics["linreg_mse"], metrics
    assert metrics["mean_r2"] < 0 < metrics["test_r2"]
    assert metrics["test_rmse"] == pytest.approx(metrics["test_mse"] ** 0.5, rel=1e-5)

    # make predict answers in the file's units, value for value as evaluate scored them.
    points = pd.read_csv(repo / "metrics" / "sugar.points.csv")
    test = pd.read_parquet(repo / "data" / "sugar" / "test.parquet")
    schema = datasets.read_schema(repo / "data" / "sugar" / "test.parquet", test)
    rows = tmp_path / "rows.csv"
    pd.DataFrame(datasets.features(test), columns=list(schema.features)).to_csv(rows, index=False)
    out = tmp_path / "predicted.csv"
    weights = "models/sugar/weights.json"
    python(repo, "stages", "predict", "--weights", weights, "--rows", str(rows), "--out", str(out))
    predicted = pd.read_csv(out)["predicted_progression"]
    np.testing.assert_array_equal(predicted.to_numpy(), points["predicted"].to_numpy())
    assert 25 < predicted.mean() < 346  # the target's units, not standard deviations

    # Committed, then trained into a worse model: one epoch at a tiny learning rate.
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", "sugar"], repo)
    worse = {"experiments.sugar.train.epochs": 1, "experiments.sugar.train.learning_rate": 1e-5}
    set_params(repo, worse)
    trained = run(["dvc", "repro", "plot@sugar"], repo)
    warnings = [
        line
        for line in (trained.stdout + trained.stderr).splitlines()
        if line.startswith("warning: sugar: test_mse")
    ]
    assert len(warnings) == 1 and "predicting the train mean" in warnings[0], trained.stderr
    gate = subprocess.run(
        [sys.executable, "-m", "gate", "--base", "HEAD", "--history", "0", "--report", "gate.md"],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    assert gate.returncode == 1, gate.stdout + gate.stderr
    worse_r2 = json.loads((repo / "metrics" / "sugar.json").read_text())["test_r2"]
    reasons = [line for line in gate.stdout.splitlines() if "sugar test_r2:" in line]

    # One line per reference lost to, each saying by how much (exact decimals, as written).
    def gap(reference):
        return format(
            (Decimal(repr(metrics[reference])) - Decimal(repr(worse_r2))).normalize(), "f"
        )

    assert [reason.split("(workspace): ")[1].split(" [rule")[0] for reason in reasons] == [
        f"not above mean_r2 {metrics['mean_r2']!r} (the reference is better by {gap('mean_r2')})",
        f"{gap('linreg_r2')} below linreg_r2 {metrics['linreg_r2']!r}, more than within 0.05",
    ], gate.stdout
