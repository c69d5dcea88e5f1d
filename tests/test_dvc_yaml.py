"""dvc.yaml against the truth: each stage's code dep, and the charts.

A stage depends on its fingerprint from the fingerprint stage (pipeline.fingerprint: every
file it imports, transitively, hashed), so no list of modules can drift from the code; the charts are
derived from params.yaml (the experiments).
"""

import json
import re
import shlex
import subprocess

import pytest

from bench.workspace import REPO, pipeline_env
from pipeline import fingerprint
from pipeline.files import read_yaml
from tests.mermaid import mermaid_blocks, mermaid_parse_errors


def read_project_yaml(name):
    return read_yaml(REPO / name)


def code_files(stage):
    """Every project file that running ``python3 -m stages <stage>`` executes."""
    return set(fingerprint.code_files("stages.__main__", f"stages.{stage}"))


def stage_definitions():
    """Each stage of dvc.yaml but the fingerprint stage: the stage it runs, its deps."""
    for name, stage in read_project_yaml("dvc.yaml")["stages"].items():
        body = stage.get("do", stage)
        command = shlex.split(body["cmd"])
        if name != "fingerprint":
            yield name, command[command.index("stages") + 1], set(body["deps"])


def fingerprint_stage():
    """The fingerprint stage: the stages its command fingerprints, its folder, its deps."""
    stage = read_project_yaml("dvc.yaml")["stages"]["fingerprint"]
    command = shlex.split(stage["cmd"])
    folder = command[command.index("--out") + 1]
    return command[command.index("--out") + 2 :], folder, stage["deps"], stage["outs"]


@pytest.mark.parametrize("name, stage, deps", list(stage_definitions()))
def test_each_stage_depends_on_the_fingerprint_of_the_code_it_runs(name, stage, deps):
    # A stage's code dep is its fingerprint (the files it runs, hashed); a .py listed
    # beside it would only lengthen dvc.lock, which DVC rewrites after every stage.
    fingerprinted, folder, _, _ = fingerprint_stage()
    assert stage in fingerprinted, f"the fingerprint stage does not fingerprint {stage}"
    assert f"{folder}/{stage}.json" in deps, f"dvc.yaml stage {name}: no dep on its fingerprint"
    assert not [dep for dep in deps if dep.endswith(".py")], f"dvc.yaml stage {name}"


def test_the_fingerprint_stage_depends_on_every_package_a_stage_runs_code_from():
    fingerprinted, folder, deps, outs = fingerprint_stage()
    assert outs == [folder]
    packages = {path.split("/")[0] for stage in fingerprinted for path in code_files(stage)}
    assert packages == set(fingerprint.PROJECT_PACKAGES) == set(deps)


def test_each_stage_runs_python3_which_every_install_has():
    # Issue #20: `python` is missing on Debian without python-is-python3 (exit 127).
    for name, stage in read_project_yaml("dvc.yaml")["stages"].items():
        assert shlex.split(stage.get("do", stage)["cmd"])[:2] == ["python3", "-m"], name


def test_the_import_walk_finds_lazy_and_package_imports():
    files = code_files("train")
    # keras_model is imported inside main(), after the inputs are checked; the runner pins cpu.
    assert {
        "stages/__init__.py",
        "stages/__main__.py",
        "stages/train.py",
        "pipeline/keras_model.py",
        "pipeline/cpu.py",
        "pipeline/__init__.py",
    } <= files
    assert "pipeline/drawing.py" not in files


def experiment_outputs(pipeline, name):
    """Every path dvc.yaml's stages write for the experiment ``name`` (``${key}`` filled in)."""
    paths = set()
    for stage in pipeline["stages"].values():
        if "foreach" in stage:
            for section in ("outs", "metrics", "plots"):
                for out in stage["do"].get(section) or []:
                    path = out if isinstance(out, str) else next(iter(out))
                    paths.add(path.replace("${key}", name))
    return paths


def expected_charts(experiments, pipeline=None):
    """The history and confusion (or predicted-vs-actual) charts each experiment gets, drawn
    from the files dvc.yaml's stages write for it (the committed dvc.yaml's, by default)."""
    pipeline = pipeline or read_project_yaml("dvc.yaml")
    charts = {}
    for name, experiment in experiments.items():
        outputs = experiment_outputs(pipeline, name)
        [history] = [path for path in outputs if path.endswith("/history.csv")]
        [predictions] = [path for path in outputs if path.endswith(".points.csv")]
        if experiment["task"] == "classification":
            charts[f"{name} loss"] = {history: ["loss", "val_loss"]}
            charts[f"{name} accuracy"] = {history: ["accuracy", "val_accuracy"]}
            charts[f"{name} confusion"] = {predictions: "predicted"}
        else:
            charts[f"{name} loss (MSE)"] = {history: ["loss", "val_loss"]}
            charts[f"{name} predicted vs actual"] = {predictions: "predicted"}
    return charts


def test_the_expected_charts_draw_the_files_the_stages_write():
    # Wherever dvc.yaml puts them ("where a file goes" is the user's choice).
    pipeline = {
        "stages": {
            "validate": {"cmd": "v", "outs": ["data/settings"]},
            "train": {
                "foreach": "${experiments}",
                "do": {"cmd": "t", "outs": ["runs/${key}/model.keras", "runs/${key}/history.csv"]},
            },
            "evaluate": {
                "foreach": "${experiments}",
                "do": {
                    "cmd": "e",
                    "outs": [{"out/${key}.points.csv": {"cache": False}}],
                    "metrics": [{"out/${key}.json": {"cache": False}}],
                },
            },
        }
    }
    experiments = {"a": {"task": "classification"}, "b": {"task": "regression"}}
    assert experiment_outputs(pipeline, "a") == {
        "runs/a/model.keras",
        "runs/a/history.csv",
        "out/a.points.csv",
        "out/a.json",
    }
    assert expected_charts(experiments, pipeline) == {
        "a loss": {"runs/a/history.csv": ["loss", "val_loss"]},
        "a accuracy": {"runs/a/history.csv": ["accuracy", "val_accuracy"]},
        "a confusion": {"out/a.points.csv": "predicted"},
        "b loss (MSE)": {"runs/b/history.csv": ["loss", "val_loss"]},
        "b predicted vs actual": {"out/b.points.csv": "predicted"},
    }


def test_every_experiment_has_its_charts_and_no_chart_is_left_over():
    declared = {
        title: chart["y"]
        for entry in read_project_yaml("dvc.yaml")["plots"]
        for title, chart in entry.items()
    }
    expected = expected_charts(read_project_yaml("params.yaml")["experiments"])
    missing = sorted(set(expected) - set(declared))
    assert not missing, f"dvc.yaml plots: no entry for {missing} (copy another experiment's)"
    assert not set(declared) - set(expected), (
        f"dvc.yaml plots: {sorted(set(declared) - set(expected))} belong to no experiment"
    )
    assert declared == expected


def test_every_experiment_has_its_model_in_artifacts_and_no_artifact_is_left_over():
    # The registry (tools.registry) and `dvc artifacts get` know a model only from here.
    pipeline = read_project_yaml("dvc.yaml")
    artifacts = pipeline["artifacts"]
    experiments = read_project_yaml("params.yaml")["experiments"]
    assert sorted(artifacts) == sorted(experiments), "dvc.yaml artifacts: one per experiment"
    train_outs = set(pipeline["stages"]["train"]["do"]["outs"])
    for name, artifact in artifacts.items():
        assert artifact["path"] == f"models/{name}/weights.json"
        assert artifact["type"] == "model"
        assert artifact["path"].replace(name, "${key}") in train_outs


def test_the_readme_draws_the_dag_dvc_draws():
    readme = (REPO / "README.md").read_text()
    [target] = re.findall(r"`dvc dag --mermaid (\S+)`", readme)  # the stage the README draws
    dag = subprocess.run(
        ["dvc", "dag", "--mermaid", target],
        cwd=REPO,
        env=pipeline_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert dag in mermaid_blocks(readme)
    assert mermaid_parse_errors([dag]) == [None]


def symbols_drawn(template_name, epochs):
    """How many marks the largest symbol layer draws for a training curve of ``epochs``."""
    import vl_convert
    from dvc_render.vega import VegaRenderer
    from dvc_render.vega_templates import get_template

    template = get_template(template_name, str(REPO / ".dvc" / "plots"))
    rows = [
        {"epoch": str(epoch), "loss": str(1 / (epoch + 1)), "rev": "workspace", "field": "loss"}
        for epoch in range(epochs)
    ]
    spec = VegaRenderer(rows, "loss", template=template, x="epoch", y="loss")
    svg = vl_convert.vegalite_to_svg(spec.get_filled_template())
    groups = re.findall(r'<g class="mark-symbol role-mark[^"]*"[^>]*>(.*?)</g>', svg, re.S)
    return max(group.count("<path") for group in groups)


def test_training_curves_mark_every_epoch_so_one_epoch_is_a_visible_point():
    from dvc_render.vega_templates import LinearTemplate

    template = json.loads((REPO / ".dvc" / "plots" / "linear_points.json").read_text())
    points_layer = template["layer"].pop(2)
    assert template == LinearTemplate.DEFAULT_CONTENT  # DVC's own linear template, plus ...
    assert points_layer["mark"] == {"type": "point", "filled": True, "size": 40}  # ... marks
    assert symbols_drawn("linear_points", 3) == 3
    assert symbols_drawn("linear", 3) < 3  # DVC's own marks only some epochs
    # Every experiment's training curves (its charts of history.csv), whatever the experiments.
    curves = {
        title: chart
        for entry in read_project_yaml("dvc.yaml")["plots"]
        for title, chart in entry.items()
        if chart.get("x") == "epoch"
    }
    expected = expected_charts(read_project_yaml("params.yaml")["experiments"])
    histories = {
        title
        for title, data in expected.items()
        if any(path.endswith("/history.csv") for path in data)
    }
    assert histories and set(curves) == histories
    assert all(chart.get("template") == "linear_points" for chart in curves.values())


def test_the_readme_says_how_long_reading_train_end_to_end_is():
    # "One stage end to end": the files and lines train's own fingerprint counts.
    files = code_files("train")
    lines = sum(len((REPO / name).read_text().splitlines()) for name in files)
    readme = " ".join((REPO / "README.md").read_text().split())
    assert f"counts everything it runs: {len(files)} files, {lines:,} lines." in readme
