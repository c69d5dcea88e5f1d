"""End to end, your own data: scikit-learn's wine table exported as a CSV, added with
`make experiment` (no TASK), reproduced with `dvc repro`, and its test rows predicted with
`make predict`'s command, in a temporary copy of the project."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from pipeline import tables
from tests.conftest import copy_project, run
from tools.workspace import pipeline_env, ran_stages

pytestmark = pytest.mark.e2e


def python(repo, *args):
    """``python -m ...`` in the copy (whose own modules it imports), as make runs it."""
    return run([sys.executable, "-m", *args], repo)


def test_a_csv_of_your_own_from_make_experiment_to_make_predict(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    copy_project(repo)
    wine = tmp_path / "wine.csv"
    exported = python(repo, "stages.example", "--dataset", "wine", "--out", str(wine))
    assert exported.stdout == f"{wine}: 178 rows of scikit-learn's wine\n"

    added = python(
        repo, "tools.experiment", "--name", "wine", "--data", str(wine), "--target", "cultivar"
    )
    assert added.stdout.splitlines()[0] == (
        "wine: classification (the target 'cultivar' holds text labels); "
        "data/tables/wine.csv is tracked by DVC"
    )

    # make experiment's own defaults (Adam at 0.01 for about 3000 steps).
    output = run(["dvc", "repro", "plot@wine"], repo).stdout
    assert ran_stages(output) == ["code"] + [
        f"{stage}@wine" for stage in ("evaluate", "ingest", "plot", "split", "train")
    ] + ["validate"]

    metrics = json.loads((repo / "metrics" / "wine.json").read_text())
    assert set(metrics) == {
        "test_accuracy",
        "test_loss",
        "logreg_accuracy",
        "majority_accuracy",
    }
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
    schema = tables.read_schema(test_path, test)
    assert schema.target == "cultivar" and schema.classes == ("class_0", "class_1", "class_2")
    assert schema.features[:2] == ("alcohol", "malic_acid") and len(schema.features) == 13
    rows = pd.DataFrame(tables.features(test), columns=list(schema.features))
    rows["cultivar"] = np.asarray(schema.classes)[test["y"].to_numpy()]
    rows_csv = tmp_path / "rows.csv"
    rows.to_csv(rows_csv, index=False)
    assert (rows["cultivar"] == points["actual"]).all()

    out = tmp_path / "p.csv"
    predicted = python(
        repo,
        "stages.predict",
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
        [sys.executable, "-m", "stages.predict", "--weights", "models/wine/weights.json"]
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
