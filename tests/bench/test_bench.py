"""bench: its helpers, a tiny training comparison, the notebook script and DVC timings."""

import subprocess
import sys

import pytest

from bench import pipeline, report, scale, stats
from bench.repo import bench_env, run_timed
from bench.workspace import REPO, get_param, set_params, stage_commands
from pipeline import cpu
from pipeline.files import read_yaml
from pipeline.params import parse_params
from tests.notebook_params import NOTEBOOK_NAMES, notebook_params, params_text, write_params

IMPORTTIME_LOG = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     tensorflow.python
import time:       200 |        300 |   tensorflow
import time:        50 |        350 | pipeline.keras_model
import time:        40 |         40 | numpy
import time:        10 |         10 |   keras.src
import time:        20 |         30 | keras
"""


MACHINE = {
    "date": "2030-01-01 00:00 UTC",
    "cpu": "cpu",
    "cores": 2,
    "memory_gb": 8.0,
    "load": 0.1,
    "commit": "abc",
    "versions": {"Python": "3.11"},
}
OPTIONS = {"repeats": 1, "scale_repeats": 1, "quick": True}


def test_median_and_growth_exponent():
    assert stats.median([3.0, 1.0, 2.0]) == 2.0
    assert stats.growth_exponent(10, 1.0, 100, 10.0) == pytest.approx(1.0)
    assert stats.growth_exponent(10, 1.0, 100, 100.0) == pytest.approx(2.0)


def test_markdown_table():
    assert stats.markdown_table(["a", "b"], [(1, "x")]) == "| a | b |\n| --- | --- |\n| 1 | x |\n"


def test_import_seconds_counts_each_package_once_wherever_it_was_imported():
    assert stats.import_seconds(IMPORTTIME_LOG) == pytest.approx((350 + 40 + 30) / 1e6)
    # TensorFlow inside pipeline.keras_model's import, and Keras at the top, are both found.
    assert stats.import_seconds(IMPORTTIME_LOG, scale.TENSORFLOW) == pytest.approx(330 / 1e6)


def test_stage_commands_come_from_dvc_yaml():
    # Whatever experiments are committed: each one's chain, as DVC resolves dvc.yaml.
    for name, experiment in read_yaml(REPO / "params.yaml")["experiments"].items():
        commands = stage_commands(REPO, name)
        source = "ingest" if "target" in experiment["data"] else "generate"
        for stage in ("validate", source, *scale.CHAIN[1:]):
            assert commands[stage][:4] == ["python3", "-m", "stages", stage]
            assert not any("${" in arg for arg in commands[stage])
        for stage in (source, *scale.CHAIN[1:]):
            assert any(f"/{name}/" in arg for arg in commands[stage]), (name, stage)


def test_stage_commands_fill_in_the_experiment_and_split_like_a_shell(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=tmp_path, check=True
    )
    (tmp_path / "params.yaml").write_text("experiments:\n  e1: {}\n  e2: {}\n")
    (tmp_path / "dvc.yaml").write_text(
        "vars:\n"
        "  - names: [e1, e2]\n"
        "stages:\n"
        "  validate:\n"
        "    cmd: python -m stages.validate --params params.yaml\n"
        "  generate:\n"
        "    foreach: ${names}\n"
        "    do:\n"
        "      cmd: python -m stages.generate --out data/${item}/raw.parquet\n"
        "  train:\n"
        "    foreach: ${experiments}\n"
        "    do:\n"
        "      cmd: >-\n"
        "        python -m stages.train --settings 'data/${key} x/train.json'\n"
        "        --model models/${key}/model.keras\n"
    )
    (tmp_path / "table.csv").write_text(
        "x,y\n1,2\n"
    )  # a table of one's own, as `dvc add` tracks it
    subprocess.run(
        [sys.executable, "-m", "dvc", "add", "-q", "table.csv"], cwd=tmp_path, check=True
    )
    assert stage_commands(tmp_path, "e1") == {
        "validate": ["python", "-m", "stages.validate", "--params", "params.yaml"],
        "generate": ["python", "-m", "stages.generate", "--out", "data/e1/raw.parquet"],
        "train": [
            "python",
            "-m",
            "stages.train",
            "--settings",
            "data/e1 x/train.json",
            "--model",
            "models/e1/model.keras",
        ],
    }


def test_set_params_changes_one_value(tmp_path):
    write_params(tmp_path / "params.yaml", notebook_params())
    set_params(tmp_path, {"experiments.blobs4.train.epochs": 11})
    assert get_param(tmp_path, "experiments.blobs4.train.epochs") == 11
    assert get_param(tmp_path, "experiments.blobs2.train.epochs") == 100
    with pytest.raises(KeyError, match="experiments.blobs4.train.epoch"):
        set_params(tmp_path, {"experiments.blobs4.train.epoch": 1})


def test_run_timed_reports_peak_memory_and_when_a_file_changed(tmp_path):
    code = (
        "import time, pathlib; block = b'x' * (200 * 2**20); time.sleep(0.3); "
        "pathlib.Path('out.txt').write_text('new'); time.sleep(0.3)"
    )
    (tmp_path / "out.txt").write_text("old")
    timed = run_timed(
        [sys.executable, "-c", code],
        tmp_path,
        watch=lambda: (tmp_path / "out.txt").read_text() == "new",
    )
    assert timed.returncode == 0 and timed.peak_rss_mb > 200
    assert 0.25 < timed.watched_seconds < timed.seconds - 0.2


def test_native_env_drops_the_inherited_caps(monkeypatch):
    caps = cpu.kernel_caps("x86_64", {"avx2", "fma"})
    for name, value in caps.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(cpu.NATIVE_SWITCH, raising=False)
    assert caps.items() <= bench_env().items() and cpu.NATIVE_SWITCH not in bench_env()
    native = bench_env(native=True)
    assert native[cpu.NATIVE_SWITCH] == "1" and not set(caps) & set(native)


def test_training_comparison_gives_identical_weights():
    from bench import training

    # The notebook's blobs4 (bench/notebook.py's values), not params.yaml's, which users change.
    experiment = training.shrink(parse_params(notebook_params())["blobs4"], n_samples=200, epochs=1)
    results = training.compare_training(experiment, repeats=1)
    assert results["weights_identical"] and results["data_identical"]
    assert [len(digest) for digest in results["weights_sha256"]] == [64]
    assert results["steps"] == 40  # 160 training points in batches of 4


def test_notebook_script_draws_its_pictures(tmp_path):
    from bench import notebook

    notebook.run_blobs4(tmp_path, n_samples=200, epochs=1)
    notebook.run_blobs2(tmp_path, n_samples=200, epochs=1)
    notebook.run_regression(tmp_path, n_samples=100, epochs=1)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "blobs2_anatomy.png",
        "blobs2_weights.png",
        "blobs4_decision_boundary.png",
        "blobs4_predictions.png",
        "regression_fit.png",
    ]


@pytest.mark.e2e
def test_noop_and_edit_timings_on_a_small_pipeline(small_pipeline):
    assert len(pipeline.time_noop_repro(small_pipeline, 1)["seconds"]) == 1
    epochs = pipeline.time_edit(small_pipeline, "epochs", "repro", 1)
    assert epochs["stages"] == ["evaluate@blobs4", "plot@blobs4", "train@blobs4", "validate"]
    assert 0 < epochs["seconds"][0] < epochs["done_seconds"][0]
    grid = pipeline.time_edit(small_pipeline, "grid", "exp", 1)
    assert grid["stages"] == ["plot@blobs4", "validate"]


@pytest.mark.e2e
def test_scale_runs_every_stage_of_the_chain(small_pipeline):
    results = scale.measure_scale(small_pipeline, [400], 1)
    stages = results[400]["stages"]
    assert list(stages) == list(scale.CHAIN)
    assert all(row["seconds"][0] > 0 and row["peak_mb"][0] > 10 for row in stages.values())
    assert "data/blobs4/raw.parquet" in results[400]["files"]


def test_the_benchmark_copies_only_the_notebooks_experiments(tmp_path, monkeypatch):
    from bench import run, workspace

    def copy_with_an_extra_experiment(target):
        workspace.copy_tracked_files(target)
        params = notebook_params()
        params["experiments"]["mine"] = params["experiments"]["blobs2"]
        (target / "params.yaml").write_text("# Every hyperparameter\n" + params_text(params))

    monkeypatch.setattr(run, "copy_tracked_files", copy_with_an_extra_experiment)
    repo = tmp_path / "repo"
    repo.mkdir()
    assert run.copy_notebook_project(repo) == ["mine"]
    assert list(read_yaml(repo / "params.yaml")["experiments"]) == list(NOTEBOOK_NAMES)
    assert "# Every hyperparameter" in (repo / "params.yaml").read_text()  # comments kept
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True
    )
    assert status.stdout == ""


def test_the_report_says_what_it_benchmarked():
    options = {"repeats": 3, "scale_repeats": 1, "quick": False}
    assert "Benchmarked: the notebook's three experiments (blobs4, blobs2, regression).\n" in (
        report.header(MACHINE, options)
    )
    header = report.header({**MACHINE, "left_out": ["mine", "big"]}, options)
    assert "(blobs4, blobs2, regression); left out of the copies: mine, big.\n" in header


def test_the_table_writer_is_deterministic_with_the_stated_shape_and_labels(tmp_path, monkeypatch):
    from bench import tables
    from pipeline import user_table
    from pipeline.tasks import Task

    first, again = tmp_path / "first.csv", tmp_path / "again.csv"
    size = tables.write_table(first, 300)
    assert size == first.stat().st_size
    tables.write_table(again, 300)
    assert first.read_bytes() == again.read_bytes()
    # Written in blocks, the same rows: a shorter table is the first rows of a longer one.
    monkeypatch.setattr(tables, "CHUNK_ROWS", 64)
    tables.write_table(again, 300)
    assert again.read_bytes() == first.read_bytes()
    tables.write_table(again, 100)
    assert again.read_text().splitlines() == first.read_text().splitlines()[:101]

    lines = first.read_text().splitlines()
    assert lines[0] == ",".join([*(f"f{j:02d}" for j in range(1, 21)), "label"])
    assert '"' not in first.read_text()  # a plain CSV, as people write them
    frame = user_table.read_user_file(first)
    assert frame.shape == (300, 21)
    assert set(frame["label"]) == {"alpha", "beta", "gamma"}
    assert user_table.guess_task(frame, "label")[0] == Task.CLASSIFICATION
    spreads = frame.drop(columns="label").std().to_numpy()
    assert tables.SCALES[0] == pytest.approx(0.01) and tables.SCALES[-1] == pytest.approx(1000)
    assert list(spreads / tables.SCALES) == pytest.approx([1.0] * 20, abs=0.25)


def test_the_tables_part_is_listed_with_its_sizes():
    from bench import run

    assert "tables" in run.PARTS
    assert (run.TABLE_ROWS, run.QUICK_TABLE_ROWS) == (1_000_000, 20_000)


def test_the_two_readers_read_the_same_table(tmp_path):
    from bench import tables

    table = tmp_path / "table.csv"
    tables.write_table(table, 50)
    reads = tables.measure_reads(table, 1, 50)
    assert [len(reads[side]["seconds"]) for side in ("ours", "pyarrow")] == [1, 1]
    assert len(reads["ratios"]) == 1
    with pytest.raises(RuntimeError, match="read 50 x 21"):
        tables.measure_reads(table, 1, 49)


def test_dvc_s_verbose_log_times_each_stage_it_ran():
    output = "\n".join(
        [
            "2026-12-01 19:55:45,100 DEBUG: stage: 'validate' changed.",
            "2026-12-01 19:55:45,120 DEBUG: {'params.yaml': 'modified'}",
            "Running stage 'validate':",
            "> python3 -m stages.validate --out data/settings",
            "2026-12-01 19:55:45,480 DEBUG: Computed stage: 'validate' md5: 'ef20'",
            "Updating lock file 'dvc.lock'",
            "2026-12-01 19:55:45,544 DEBUG: {'data/settings/blobs4/train.json': 'modified'}",
            "Running stage 'train@blobs4':",
            "> python3 -m stages.train --settings data/settings/blobs4/train.json",
            "blobs4: epoch 10/10, loss 0.17",
            "2026-12-01 19:55:51,426 DEBUG: Computed stage: 'train@blobs4' md5: 'f960'",
            "Stage 'plot@blobs2' didn't change, skipping",
        ]
    )
    assert pipeline.stage_seconds(output) == {"validate": 0.36, "train@blobs4": 5.882}


# The report: a run's raw results, as bench.run keeps them (each part's figures made up).
def edit_run(stages, seconds, done_seconds, stage_seconds):
    return {
        "stages": stages,
        "seconds": seconds,
        "done_seconds": done_seconds,
        "stage_seconds": stage_seconds,
    }


def budget_row(wall, imports, tf_imports=0.0):
    return {"seconds": [wall], "imports": [imports], "tf_imports": [tf_imports]}


def scale_size(train, plot, files):
    """One scale size: (seconds, peak MB) of two stages, and the files they wrote."""
    stages = {
        name: {"seconds": [s], "peak_mb": [mb]}
        for name, (s, mb) in (("train", train), ("plot", plot))
    }
    return {"stages": stages, "files": files}


def kernels_side(pipeline_seconds, notebook_seconds, digests, train_seconds, train_peaks):
    return {
        "training": {
            "pipeline_seconds": pipeline_seconds,
            "notebook_seconds": notebook_seconds,
            "weights_sha256": digests,
        },
        "scale": {"train": {"seconds": train_seconds, "peak_mb": train_peaks}},
    }


EPOCHS_STAGES = ["validate", "train@blobs4", "evaluate@blobs4"]
RESULTS = {
    "training": {
        "notebook_seconds": [10.0, 12.0, 11.0],
        "pipeline_seconds": [1.9, 2.1, 2.0],
        "weights_identical": True,
        "weights_sha256": ["ab" * 32] * 3,
        "data_identical": True,
        "steps": 8000,
        "batch_size": 4,
        "epochs": 10,
    },
    "notebook": {
        "seconds": [30.0, 32.0, 31.0],
        "printed": ["blobs4: test loss 0.1758, test accuracy 0.9300"],
        "imports": [3.0, 3.4, 3.2],
        "tf_imports": [3.0, 3.1, 2.9],
    },
    "first_run": {"seconds": 40.5, "stages": EPOCHS_STAGES},
    "forced": {"seconds": [40.3, 41.1, 39.9], "stages": EPOCHS_STAGES + ["plot@blobs4"]},
    "noop": {"seconds": [0.9, 0.8, 1.0]},
    "edits": {  # two runs of the epochs edit: each run's own stage times, as DVC's log gave them
        "epochs": {
            "repro": edit_run(
                EPOCHS_STAGES,
                [11.0, 10.0],
                [12.0, 11.0],
                [
                    {"validate": 0.5, "train@blobs4": 8.0, "evaluate@blobs4": 1.0},
                    {"validate": 0.7, "train@blobs4": 6.0, "evaluate@blobs4": 1.2},
                ],
            ),
            "exp": edit_run(EPOCHS_STAGES, [12.0], [13.0], [dict.fromkeys(EPOCHS_STAGES, 1.0)]),
        },
        "grid": {
            "repro": edit_run(["plot@blobs4"], [4.0], [5.5], [{"plot@blobs4": 2.0}]),
            "exp": edit_run(["plot@blobs4"], [5.0], [6.0], [{"plot@blobs4": 2.0}]),
        },
    },
    "budget": {
        "validate": budget_row(0.5, 0.3),
        "train@blobs4": budget_row(7.0, 6.0, 2.5),
        "evaluate@blobs4": budget_row(1.0, 0.7),
        "plot@blobs4": budget_row(2.1, 1.0),
    },
    "scale": {
        4_000: scale_size((1.0, 100.0), (2.0, 200.0), {}),
        40_000: scale_size(
            (10.0, 1000.0),
            (40.0, 400.0),
            {"data/blobs4/raw.parquet": 2_000_000, "models/blobs4/model.keras": 30_000},
        ),
    },
    "kernels": {
        "features": ["avx2", "avx512f", "fma"],
        "n_samples": 40_000,
        "pinned": kernels_side([3.0, 5.0, 4.0], [20.0], ["ab" * 32] * 3, [60.0], [1100.0, 1200.0]),
        "native": kernels_side([2.0], [16.0], ["ab" * 32], [40.0], [1600.0]),
    },
    "tables": {
        "name": "bigtable",
        "rows": 1_000_000,
        "features": 20,
        "classes": 3,
        "file_bytes": 383_400_000,
        "epochs": 1,
        "batch_size": 1024,
        "steps": {
            "experiment": {"seconds": [12.0, 14.0, 13.0], "peak_mb": [950.0, 1000.4, 990.0]},
            "validate": {"seconds": [0.8], "peak_mb": [150.0]},
            "train": {"seconds": [21.1], "peak_mb": [4900.0]},
            "predict": {"seconds": [17.2], "peak_mb": [920.0]},
        },
        "test_accuracy": [0.8766],
        "reads": {
            "ours": {"seconds": [2.0, 3.0, 2.5], "peak_mb": [1500.0, 1400.0, 1450.0]},
            "pyarrow": {"seconds": [1.0, 1.0, 1.25], "peak_mb": [700.0, 650.0, 100.0]},
            "ratios": [2.0, 3.0, 2.0],
        },
        "floor_mb": 160.4,
    },
}
# bench.run's parts, each as the results keys it fills (edits time the notebook script too).
PART_KEYS = {
    "training": ["training"],
    "runs": ["notebook", "first_run", "forced", "noop"],
    "edits": ["notebook", "first_run", "edits"],
    "budget": ["budget"],
    "scale": ["scale"],
    "kernels": ["kernels"],
    "tables": ["tables"],
}


def tables(markdown):
    """{heading: [table, ...]} of a report: each table its rows of cells, the header row first."""
    found = {}
    for block in markdown.split("\n## ")[1:]:
        heading, *lines = block.splitlines()
        found[heading], in_table = [], False
        for line in lines:
            if line.startswith("|") and not in_table:
                found[heading].append([])
            in_table = line.startswith("|")
            if in_table and "| --- |" not in line:
                found[heading][-1].append([cell.strip() for cell in line.strip("|").split("|")])
    return found


def test_the_targets_table_judges_each_target():
    edited = {
        edit: "blobs4 `train.epochs` edited"
        if edit == "epochs"
        else "blobs4 `plot.grid_points` edited"
        for edit in report.EDIT_LABELS
    }
    assert report.gather(RESULTS)["target"] == [
        (
            "blobs4 training, pipeline against notebook-style `model.fit`",
            "5.5x faster",
            ">= 5x",
            True,
        ),
        ("the same weights, bit for bit", "yes", "identical", True),
        ("cold `dvc repro -f` / notebook script", "1.30x", "<= 1", False),
        ("no-op `dvc repro`", "0.90 s", "<= 1.5 s", True),
        (
            f"{edited['epochs']} (params.yaml edited, `dvc repro`): new `metrics/blobs4.json` / notebook script",
            "0.34x",
            "<= 0.35",
            True,
        ),
        (
            f"{edited['epochs']} (`dvc exp run -S`): new `metrics/blobs4.json` / notebook script",
            "0.39x",
            "<= 0.35",
            False,
        ),
        # outside training is each run less its own training: 4.0 and 5.0, median 4.5
        (f"{edited['epochs']}, `dvc repro`: seconds outside training", "4.50 s", "<= 6 s", True),
        (
            f"{edited['grid']} (params.yaml edited, `dvc repro`): new `plots/blobs4/decision_boundary.png` / notebook script",
            "0.13x",
            "<= 0.2",
            True,
        ),
        (
            f"{edited['grid']} (`dvc exp run -S`): new `plots/blobs4/decision_boundary.png` / notebook script",
            "0.16x",
            "<= 0.2",
            True,
        ),
        (
            f"{edited['grid']}, `dvc repro`: seconds until the command ends",
            "5.50 s",
            "<= 5 s",
            False,
        ),
        ("time growth from n=4,000 to 40,000 (worst stage)", "plot: n^1.30", "<= n^1.1", False),
        ("peak memory per stage at n=40,000 (worst stage)", "train: 1000 MB", "<= 2048 MB", True),
        (
            "data files at n=40,000",
            "raw.parquet 2 MB",
            "a format that stays fast (see the stage times)",
            None,
        ),
        (
            "time beyond imports per stage at the notebook's size (worst stage)",
            "plot@blobs4: 1.10 s",
            "<= 1 s",
            False,
        ),
    ]
    targets = tables(report.render(RESULTS, MACHINE, OPTIONS))["Targets"][0]
    assert targets[0] == ["target", "measured", "limit", "met"]
    assert [row[3] for row in targets[1:]] == ["yes", "yes", "**no**", "yes", "yes", "**no**"] + [
        "yes",
        "yes",
        "yes",
        "**no**",
        "**no**",
        "yes",
        "-",
        "**no**",
    ]


def test_each_part_s_table_holds_its_numbers():
    found = tables(report.render(RESULTS, MACHINE, OPTIONS))
    assert found["1. blobs4 training (8,000 SGD steps: batch 4, 10 epochs)"] == [
        [
            ["training", "median s", "runs", "speed-up"],
            ["notebook-style `model.fit`", "11.00", "10.00, 12.00, 11.00", "1.00x"],
            ["the pipeline's `train_model`", "2.00", "1.90, 2.10, 2.00", "5.50x"],
        ]
    ]
    assert found["2-3. Whole runs"][0][1:] == [
        [
            "notebook script: the three experiments in one process",
            "31.00",
            "30.00, 32.00, 31.00",
            "1.00x",
        ],
        ["first `dvc repro` of a fresh copy (empty DVC cache)", "40.50", "40.50", "1.31x"],
        ["cold `dvc repro -f`: 4 stages, a process each", "40.30", "40.30, 41.10, 39.90", "1.30x"],
        ["no-op `dvc repro` (everything up to date)", "0.90", "0.90, 0.80, 1.00", "0.03x"],
    ]
    assert found["4. Edits"][0][1:3] == [
        [
            "blobs4 `train.epochs` edited, params.yaml edited, `dvc repro`: until new `metrics/blobs4.json`",
            "10.50",
            "11.00, 10.00",
            "0.34x",
        ],
        [
            "blobs4 `train.epochs` edited, params.yaml edited, `dvc repro`: until the command ends",
            "11.50",
            "12.00, 11.00",
            "0.37x",
        ],
    ]
    assert found["The edit loop, stage by stage: blobs4 `train.epochs` edited, `dvc repro`"] == [
        [
            ["stage", "imports s (on its own)", "own work s (on its own)", "in the run s"],
            ["`validate`", "0.30", "0.20", "0.60"],
            ["`train@blobs4`", "6.00", "1.00", "7.00"],
            ["`evaluate@blobs4`", "0.70", "0.30", "1.10"],
            ["DVC, before, between and after the stages", "-", "-", "2.80"],  # 2.5 and 3.1
            ["the command", "-", "-", "11.50"],
        ]
    ]
    assert found["5. Scale: blobs4 with n_samples 4,000, 40,000"][0][1:] == [
        ["train", "1.00", "10.00", "1.00", "100", "1000", "1.00"],
        ["plot", "2.00", "40.00", "1.30", "200", "400", "0.30"],
    ]
    assert found["Each stage at the notebook's size"][0][-1] == [
        "plot@blobs4",
        "2.10",
        "1.00",
        "0.00",
        "1.10",
        "**no**",
    ]
    assert found["Where the time goes"] == [
        [
            ["", "measured"],
            ["training, per SGD step", "notebook-style 1375 us, the pipeline 250 us"],
            [
                "the notebook script",
                "31.0 s: 3.2 s importing (TensorFlow/Keras 3.0 s, once), 27.8 s of work",
            ],
            [
                "the 4 stage processes, one after another",
                "10.6 s: 8.0 s importing (TensorFlow/Keras 2.5 s, in 1 processes), 2.6 s of work",
            ],
            ["DVC's own work in `dvc repro -f` (40.3 s)", "about 29.7 s"],
        ]
    ]


def test_the_kernels_table_puts_pinned_against_native():
    markdown = report.render({"kernels": RESULTS["kernels"]}, MACHINE, OPTIONS)
    assert tables(markdown)["What pinning the CPU kernels costs"] == [
        [
            [
                "run",
                "pinned s",
                "native s",
                "pinned / native",
                "pinned peak MB",
                "native peak MB",
                "pinned / native",
            ],
            [
                "blobs4 training: the pipeline's `train_model`",
                "4.00",
                "2.00",
                "2.00x",
                "-",
                "-",
                "-",
            ],
            [
                "blobs4 training: notebook-style `model.fit`",
                "20.00",
                "16.00",
                "1.25x",
                "-",
                "-",
                "-",
            ],
            ["`train` at n=40,000", "60.00", "40.00", "1.50x", "1200", "1600", "0.75x"],
        ]
    ]
    assert "\nThis CPU: avx2+avx512f+fma.\n" in markdown
    assert "weights, bit-identical: pinned abababababababab, " in markdown
    native = {
        **RESULTS["kernels"]["native"],
        "training": {**RESULTS["kernels"]["native"]["training"], "weights_sha256": ["cd" * 32]},
    }
    markdown = report.render(
        {"kernels": {**RESULTS["kernels"], "native": native}}, MACHINE, OPTIONS
    )
    assert "weights, NOT bit-identical: pinned abababababababab, " in markdown
    assert "; native cdcdcdcdcdcdcdcd." in markdown


def test_without_avx512_the_native_side_is_left_blank():
    kernels = {key: value for key, value in RESULTS["kernels"].items() if key != "native"}
    found = tables(
        report.render({"kernels": kernels | {"features": ["avx2", "fma"]}}, MACHINE, OPTIONS)
    )
    assert found["What pinning the CPU kernels costs"][0][1:] == [
        ["blobs4 training: the pipeline's `train_model`", "4.00", "-", "-", "-", "-", "-"],
        ["blobs4 training: notebook-style `model.fit`", "20.00", "-", "-", "-", "-", "-"],
        ["`train` at n=40,000", "60.00", "-", "-", "1200", "-", "-"],
    ]


def test_the_tables_part_shows_each_step_against_the_memory_bound():
    found = tables(report.render({"tables": RESULTS["tables"]}, MACHINE, OPTIONS))
    steps, reads = found[
        "A large table: 1,000,000 rows x 20 features, from `make experiment` to `make predict`"
    ]
    assert steps == [
        ["step", "median s", "min-max s", "peak MB", "under 4.8 GB"],
        ["`tools.experiment`", "13.00", "12.00-14.00", "1000", "yes"],
        ["`validate`", "0.80", "0.80-0.80", "<= 160", "yes"],  # not above the benchmark's own
        ["`train@bigtable`", "21.10", "21.10-21.10", "4900", "**no**"],
        ["`stages.predict`", "17.20", "17.20-17.20", "920", "yes"],
    ]
    assert reads == [
        ["the CSV read alone, 3 paired runs", "median s", "peak MB"],
        ["ours (`read_user_file`)", "2.50", "1500"],
        ["`pyarrow.csv.read_csv`", "1.00", "700"],
        ["ours / pyarrow: the median of the pairs' ratios", "2.00x", "-"],
    ]


def test_a_part_that_did_not_run_is_left_out():
    every = {
        part: report.render({k: RESULTS[k] for k in keys}, MACHINE, OPTIONS)
        for part, keys in PART_KEYS.items()
    }
    assert {part: list(tables(markdown)) for part, markdown in every.items()} == {
        "training": [
            "Targets",
            "1. blobs4 training (8,000 SGD steps: batch 4, 10 epochs)",
            "Where the time goes",
        ],
        "runs": ["Targets", "2-3. Whole runs", "Where the time goes"],
        "edits": ["Targets", "4. Edits"],  # the notebook script only as the edits' baseline
        "budget": ["Targets", "Each stage at the notebook's size", "Where the time goes"],
        "scale": ["Targets", "5. Scale: blobs4 with n_samples 4,000, 40,000"],
        "kernels": ["What pinning the CPU kernels costs"],  # no target of its own
        "tables": [
            "A large table: 1,000,000 rows x 20 features, from `make experiment` to `make predict`"
        ],
    }
    both = report.render({k: RESULTS[k] for k in PART_KEYS["edits"] + ["budget"]}, MACHINE, OPTIONS)
    assert [h for h in tables(both) if h.startswith("The edit loop")] == [
        "The edit loop, stage by stage: blobs4 `train.epochs` edited, `dvc repro`",
        "The edit loop, stage by stage: blobs4 `plot.grid_points` edited, `dvc repro`",
    ]
    assert report.render({}, MACHINE, OPTIONS) == report.header(MACHINE, OPTIONS)


def test_a_kept_run_renders_again_from_its_json(tmp_path, monkeypatch):
    from bench import run

    run.save_results(tmp_path / "results.json", RESULTS, MACHINE, OPTIONS)
    results, machine, options = run.load_results(tmp_path / "results.json")
    assert (results, machine, options) == (RESULTS, MACHINE, OPTIONS)  # the scale sizes are ints
    monkeypatch.setattr(sys, "argv", ["bench.run", "--render", str(tmp_path / "results.json")])
    run.main()
    assert (tmp_path / "results.md").read_text() == report.render(RESULTS, MACHINE, OPTIONS)
