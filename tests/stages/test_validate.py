"""stages.validate: one settings file per experiment and stage, byte-stable, stale ones removed."""

import copy
import json

import pytest

from pipeline import settings
from pipeline.params import parse_params
from stages import validate
from tests.notebook_params import notebook_params


@pytest.fixture
def raw_params():
    """The tests' own params (the notebook's three experiments), as params.yaml is read."""
    return notebook_params()


def snapshot(out_dir):
    """{relative path: bytes} of every file under out_dir."""
    return {
        str(path.relative_to(out_dir)): path.read_bytes()
        for path in sorted(out_dir.rglob("*"))
        if path.is_file()
    }


def test_writes_one_file_per_experiment_and_stage(raw_params, tmp_path):
    experiments = parse_params(raw_params)
    out = tmp_path / "settings"

    validate.write_settings(experiments, out)

    # A synthetic experiment's data stage is generate (a table's is ingest: see below).
    stages = [stage for stage in settings.STAGE_SECTIONS if stage != "ingest"]
    assert sorted(snapshot(out)) == sorted(
        f"{name}/{stage}.json" for name in experiments for stage in stages
    )
    for name, experiment in experiments.items():
        for stage in stages:
            path = out / name / f"{stage}.json"
            assert json.loads(path.read_text()) == json.loads(
                json.dumps(settings.stage_settings(experiment, stage))
            )
            assert path.read_text().endswith("}\n")
            # What the stage reads back is the validated experiment's sections.
            assert settings.read_stage_settings(path, stage) == settings.Experiment(
                name=name,
                task=experiment.task,
                **{s: getattr(experiment, s) for s in settings.STAGE_SECTIONS[stage]},
            )


def test_train_file_content(raw_params, tmp_path):
    validate.write_settings(parse_params(raw_params), tmp_path)
    assert json.loads((tmp_path / "blobs2" / "train.json").read_text()) == {
        "name": "blobs2",
        "task": "classification",
        "model": {
            "hidden_units": [],
            "hidden_activation": "relu",
            "output_activation": "softmax",
            "preprocessing": "none",
            "standardize_target": False,
        },
        "train": {
            "optimizer": "sgd",
            "learning_rate": 0.01,
            "batch_size": 128,
            "epochs": 100,
            "seed": 0,
        },
    }


def test_rewriting_the_same_settings_is_byte_identical(raw_params, tmp_path):
    out = tmp_path / "settings"
    validate.write_settings(parse_params(raw_params), out)
    before = snapshot(out)

    validate.write_settings(parse_params(copy.deepcopy(raw_params)), out)

    assert snapshot(out) == before
    # No temporary files are left beside the settings.
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_changing_one_train_section_changes_only_that_train_file(raw_params, tmp_path):
    out = tmp_path / "settings"
    validate.write_settings(parse_params(raw_params), out)
    before = snapshot(out)

    raw_params["experiments"]["blobs2"]["train"]["epochs"] = 7
    validate.write_settings(parse_params(raw_params), out)
    after = snapshot(out)

    changed = sorted(path for path in after if after[path] != before.get(path))
    assert changed == ["blobs2/train.json"]
    assert sorted(after) == sorted(before)
    assert json.loads(after["blobs2/train.json"])["train"]["epochs"] == 7


def test_removed_experiment_folder_is_deleted(raw_params, tmp_path):
    out = tmp_path / "settings"
    validate.write_settings(parse_params(raw_params), out)
    assert (out / "blobs2").is_dir()

    del raw_params["experiments"]["blobs2"]
    validate.write_settings(parse_params(raw_params), out)

    assert sorted(p.name for p in out.iterdir()) == ["blobs4", "regression"]
    assert sorted(p.name for p in (out / "blobs4").iterdir()) == sorted(
        f"{stage}.json" for stage in settings.STAGE_SECTIONS if stage != "ingest"
    )


def test_added_experiment_gets_its_files(raw_params, tmp_path):
    out = tmp_path / "settings"
    validate.write_settings(parse_params(raw_params), out)
    before = snapshot(out)

    raw_params["experiments"]["blobs3"] = copy.deepcopy(raw_params["experiments"]["blobs4"])
    raw_params["experiments"]["blobs3"]["data"]["centers"] = 3
    validate.write_settings(parse_params(raw_params), out)
    after = snapshot(out)

    assert sorted(set(after) - set(before)) == sorted(
        f"blobs3/{stage}.json" for stage in settings.STAGE_SECTIONS if stage != "ingest"
    )
    assert all(after[path] == before[path] for path in before)
    assert json.loads(after["blobs3/generate.json"])["data"]["centers"] == 3


TABLE = {
    "task": "classification",
    "data": {"target": "kind", "drop_columns": ["id"], "missing": "error"},
    "split": {"test_size": 0.2, "random_state": 42, "stratify": True},
    "model": {
        "hidden_units": [],
        "hidden_activation": "relu",
        "output_activation": "softmax",
        "preprocessing": "standardize",
    },
    "train": {"optimizer": "adam", "learning_rate": 0.01, "batch_size": 16, "epochs": 3, "seed": 0},
    "plot": {"grid_points": 20},
}


def test_a_table_gets_an_ingest_file_and_no_generate_file(raw_params, tmp_path):
    raw_params["experiments"]["flowers"] = copy.deepcopy(TABLE)
    out = tmp_path / "settings"
    validate.write_settings(parse_params(raw_params), out)

    assert sorted(p.name for p in (out / "flowers").iterdir()) == [
        "evaluate.json",
        "ingest.json",
        "plot.json",
        "split.json",
        "train.json",
    ]
    ingest = json.loads((out / "flowers" / "ingest.json").read_text())
    assert ingest == {
        "name": "flowers",
        "task": "classification",
        "table": True,
        "data": {"target": "kind", "drop_columns": ["id"], "missing": "error"},
    }
    # The plot stage's file says it is a table's, though it holds no data section.
    plot = settings.read_stage_settings(out / "flowers" / "plot.json", "plot")
    assert plot.table is True and plot.plot == settings.TablePlot(grid_points=20)


def test_a_stage_file_that_no_longer_applies_is_removed(raw_params, tmp_path):
    out = tmp_path / "settings"
    (out / "blobs4").mkdir(parents=True)
    (out / "blobs4" / "ingest.json").write_text("{}")
    validate.write_settings(parse_params(raw_params), out)
    assert not (out / "blobs4" / "ingest.json").exists()
    assert (out / "blobs4" / "generate.json").exists()


def test_each_experiment_needs_its_data_stage_in_the_vars(raw_params):
    raw_params["experiments"]["flowers"] = copy.deepcopy(TABLE)
    experiments = parse_params(raw_params)
    synthetic = ["blobs4", "blobs2", "regression"]

    assert validate.source_problems(experiments, synthetic, {"flowers": "f.csv"}) == []
    assert validate.source_problems(experiments, synthetic[:2], {"blobs2": "b.csv"}) == [
        "experiments.blobs2.data: dvc.yaml lists blobs2 under `tables`, so its data section "
        "needs target, drop_columns and missing (a table's keys)",
        "experiments.regression: not in dvc.yaml's vars; expected its name under `synthetic` "
        "(the data make_blobs makes)",
        "experiments.flowers: not in dvc.yaml's vars; expected its name under `tables` "
        "(make experiment adds one)",
    ]
    assert validate.source_problems(experiments, [*synthetic, "flowers", "gone"], {}) == [
        "experiments.flowers.data: dvc.yaml lists flowers under `synthetic`, so its data "
        "section needs the keys of generated data (copy blobs4's or regression's)",
        "dvc.yaml vars: gone is not an experiment in params.yaml",
    ]


def test_the_pipeline_vars_are_read_from_dvc_yaml(tmp_path):
    (tmp_path / "dvc.yaml").write_text(
        "vars:\n  - synthetic: [a, b]\n  - tables:\n      c: data/tables/c.csv\nstages: {}\n"
    )
    assert validate.pipeline_vars(tmp_path / "dvc.yaml") == (["a", "b"], {"c": "data/tables/c.csv"})
