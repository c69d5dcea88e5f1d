"""End to end: DVC plots pages render offline in a real browser, and the experiment loop."""

import json
import re
import sys

import pytest

from bench.workspace import ran_stages
from tests.browser import render_page
from tests.conftest import run
from tests.notebook_params import NOTEBOOK_EXPERIMENTS
from tests.test_dvc_yaml import expected_charts

pytestmark = pytest.mark.e2e

# The top-level plots of dvc.yaml for the small pipeline's experiments (tests/conftest.py): 8.
N_CHARTS = len(expected_charts(NOTEBOOK_EXPERIMENTS))
PICTURES = [
    "blobs2/anatomy",
    "blobs2/decision_boundary",
    "blobs2/predictions",
    "blobs4/anatomy",
    "blobs4/decision_boundary",
    "blobs4/predictions",
    "regression/fitted_function",
]


def assert_page_rendered(page, n_revisions):
    text = page.read_text()
    assert "cdn.jsdelivr" not in text and "<script src=" not in text  # nothing from the network
    rendered = render_page(page)
    charts, images = rendered["charts"], rendered["images"]
    assert rendered["expected"] == N_CHARTS
    assert len(charts) == N_CHARTS, charts
    assert all(chart["marks"] > 0 for chart in charts), charts  # data drawn, not just axes
    assert len(images) == len(PICTURES) * n_revisions, images
    assert all(image["complete"] and image["width"] > 100 for image in images), images
    for picture in PICTURES:
        assert any(picture.replace("/", "_") in image["src"] for image in images), picture


def test_plots_show_renders_every_chart_and_image_offline(small_pipeline, tmp_path):
    run(["dvc", "plots", "show", "-o", str(tmp_path / "show")], small_pipeline)
    assert_page_rendered(tmp_path / "show" / "index.html", n_revisions=1)


def test_experiment_loop(small_pipeline, tmp_path):
    """exp run -S, exp show, metrics diff and plots diff against the experiment, offline."""
    output = run(
        ["dvc", "exp", "run", "-n", "fast-lr", "-S", "experiments.blobs4.train.learning_rate=0.03"],
        small_pipeline,
    ).stdout
    # Only blobs4's training and what follows it reran: nothing of blobs2 or regression.
    assert ran_stages(output) == ["evaluate@blobs4", "plot@blobs4", "train@blobs4", "validate"]
    shown = json.loads(run(["dvc", "exp", "show", "--json"], small_pipeline).stdout)
    experiments = [exp for rev in shown for exp in (rev.get("experiments") or [])]
    fast = next(e["revs"][0]["data"] for e in experiments if e["name"] == "fast-lr")
    params = fast["params"]["params.yaml"]["data"]["experiments"]["blobs4"]["train"]
    assert params["learning_rate"] == 0.03
    assert 0 < fast["metrics"]["metrics/blobs4.json"]["data"]["test_accuracy"] <= 1

    diff = json.loads(run(["dvc", "metrics", "diff", "HEAD", "--json"], small_pipeline).stdout)
    assert "metrics/blobs4.json" in diff  # the workspace holds the experiment's results
    assert "metrics/blobs2.json" not in diff  # untouched experiments did not change
    assert run(["dvc", "params", "diff", "--json"], small_pipeline).stdout.count("learning_rate")

    run(["dvc", "exp", "apply", "fast-lr"], small_pipeline)
    run(["dvc", "plots", "diff", "HEAD", "-o", str(tmp_path / "diff")], small_pipeline)
    assert_page_rendered(tmp_path / "diff" / "index.html", n_revisions=2)


def test_the_sweep_command_runs_every_value_and_leaves_no_dvc_process(small_pipeline):
    import psutil

    from tools import sweep

    # What `make sweep SET=... JOBS=2` runs: queued, run two at a time, waited for.
    rates = "experiments.blobs4.train.learning_rate=0.003,0.01,0.03"
    run([sys.executable, "-m", "tools.sweep", "--set", rates, "--jobs", "2"], small_pipeline)
    shown = json.loads(run(["dvc", "exp", "show", "--json"], small_pipeline).stdout)
    results = {}
    for rev in shown:
        for exp in rev.get("experiments") or []:
            data = exp["revs"][0]["data"]
            params = data["params"]["params.yaml"]["data"]["experiments"]["blobs4"]
            results[params["train"]["learning_rate"]] = data["metrics"]["metrics/blobs4.json"][
                "data"
            ]["test_accuracy"]
    assert sorted(results) == [0.003, 0.01, 0.03]
    assert all(0 < accuracy <= 1 for accuracy in results.values())
    assert len(set(results.values())) > 1  # each run trained with its own rate
    assert (
        sweep.leftover_dvc_processes(small_pipeline.resolve(), exclude=psutil.Process().pid) == []
    )


def test_a_sweep_with_a_failed_run_exits_1_naming_it_after_the_others_finish(small_pipeline):
    # Issue #20: `make sweep SET=experiments.blobs4.train.epochs=-1,1` used to exit 0.
    epochs = "experiments.blobs4.train.epochs=-1,1"
    done = run([sys.executable, "-m", "tools.sweep", "--set", epochs], small_pipeline, check=False)
    assert done.returncode == 1
    failures = [
        line for line in done.stderr.splitlines() if line.startswith(("sweep: run", "sweep: 1"))
    ]
    assert len(failures) == 2, done.stderr
    assert re.fullmatch(r"sweep: run '[\w-]+' failed: error: .*epochs.*-1.*", failures[0])
    assert failures[1] == "sweep: 1 of 2 runs failed"
    shown = json.loads(run(["dvc", "exp", "show", "--json"], small_pipeline).stdout)
    runs = [exp["revs"][0] for rev in shown for exp in rev.get("experiments") or []]
    errors = {
        run["data"]["params"]["params.yaml"]["data"]["experiments"]["blobs4"]["train"]["epochs"]: (
            run.get("error")
        )
        for run in runs
    }
    # The good run finished after the bad one failed.
    assert errors == {1: None, -1: {"msg": "Experiment run failed", "type": ""}}


def test_dvc_plots_show_works_before_make(small_pipeline, tmp_path):
    # A fresh clone has neither the generated offline template nor the local config naming it.
    (small_pipeline / ".dvc" / "config.local").unlink()
    (small_pipeline / ".dvc" / "plots-template.html").unlink()
    run(["dvc", "plots", "show", "-o", str(tmp_path / "page")], small_pipeline)
    page = (tmp_path / "page" / "index.html").read_text()
    assert "blobs4 loss" in page and "vega" in page.lower()
