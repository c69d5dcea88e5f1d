"""bench: its helpers, a tiny training comparison, the notebook script and DVC timings."""

import subprocess
import sys

import pytest

from bench import pipeline, report, scale, stats
from bench.repo import bench_env, run_timed
from pipeline import cpu
from pipeline.files import read_yaml
from pipeline.settings import parse_params
from tests.notebook_params import NOTEBOOK_NAMES, notebook_params, params_text, write_params
from tools.workspace import REPO, get_param, set_params, stage_commands

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
            assert commands[stage][:3] == ["python3", "-m", f"stages.{stage}"]
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


def test_report_names_a_missed_target():
    results = {
        "training": {
            "notebook_seconds": [10.0],
            "pipeline_seconds": [4.0],
            "steps": 8000,
            "weights_identical": True,
            "data_identical": True,
            "batch_size": 4,
            "epochs": 10,
        },
        "notebook": {"seconds": [20.0]},
        "noop": {"seconds": [0.9]},
    }
    rows = {what: met for what, _, _, met in report.target_rows(results)}
    assert rows == {
        "blobs4 training, pipeline against notebook-style `model.fit`": False,
        "the same weights, bit for bit": True,
        "no-op `dvc repro`": True,
    }
    markdown = report.render(results, MACHINE, OPTIONS)
    assert "| 2.5x faster | >= 5x | **no** |" in markdown
    assert "Missed: blobs4 training" in markdown


def test_native_env_drops_the_inherited_caps(monkeypatch):
    caps = cpu.kernel_caps("x86_64", {"avx2", "fma"})
    for name, value in caps.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(cpu.NATIVE_SWITCH, raising=False)
    assert caps.items() <= bench_env().items() and cpu.NATIVE_SWITCH not in bench_env()
    native = bench_env(native=True)
    assert native[cpu.NATIVE_SWITCH] == "1" and not set(caps) & set(native)


def kernels_side(pipeline_seconds, notebook_seconds, digests, train_seconds, train_peaks):
    return {
        "training": {
            "pipeline_seconds": pipeline_seconds,
            "notebook_seconds": notebook_seconds,
            "weights_sha256": digests,
        },
        "scale": {"train": {"seconds": train_seconds, "peak_mb": train_peaks}},
    }


def test_kernels_section_puts_pinned_against_native():
    kernels = {
        "features": ["avx2", "avx512f", "fma"],
        "n_samples": 4_000_000,
        "pinned": kernels_side([3.0, 5.0, 4.0], [20.0], ["ab" * 32] * 3, [60.0], [1100.0, 1200.0]),
        "native": kernels_side([2.0], [16.0], ["ab" * 32], [40.0], [1600.0]),
    }
    markdown = report.render({"kernels": kernels}, MACHINE, OPTIONS)
    assert "## What pinning the CPU kernels costs" in markdown
    assert "This CPU: avx2+avx512f+fma." in markdown
    assert (
        "| run | pinned s | native s | pinned / native | pinned peak MB | native peak MB "
        "| pinned / native |"
    ) in markdown
    assert (
        "| blobs4 training: the pipeline's `train_model` | 4.00 | 2.00 | 2.00x | - | - | - |"
        in markdown
    )
    assert "| blobs4 training: notebook-style `model.fit` | 20.00 | 16.00 | 1.25x |" in markdown
    assert "| `train` at n=4,000,000 | 60.00 | 40.00 | 1.50x | 1200 | 1600 | 0.75x |" in markdown
    assert (
        "native against pinned: bit-identical in every run (SHA-256 abababababababab...)"
        in markdown
    )
    kernels["native"]["training"]["weights_sha256"] = ["cd" * 32]
    assert (
        "native against pinned: NOT bit-identical (pinned abababababababab, "
        in report.section_kernels(kernels)
    )


def test_kernels_section_without_avx512_shows_the_pinned_side_only():
    kernels = {
        "features": ["avx2", "fma"],
        "n_samples": 40_000,
        "pinned": kernels_side([3.0], [20.0], ["ab" * 32], [6.0], [700.0]),
    }
    markdown = report.section_kernels(kernels)
    assert "| run | pinned s | pinned peak MB |" in markdown
    assert "| blobs4 training: the pipeline's `train_model` | 3.00 | - |" in markdown
    assert "| `train` at n=40,000 | 6.00 | 700 |" in markdown
    assert markdown.endswith("\nNative not measured: this CPU has no AVX-512.\n")


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
    from bench import run
    from tools import workspace

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


def test_the_tables_section_renders_its_steps_and_the_read_ratio():
    steps = {
        "experiment": {"seconds": [12.0, 14.0, 13.0], "peak_mb": [950.0, 1000.4, 990.0]},
        "validate": {"seconds": [0.8], "peak_mb": [150.0]},
        "train": {"seconds": [21.1], "peak_mb": [4900.0]},
        "predict": {"seconds": [17.2], "peak_mb": [920.0]},
    }
    results = {
        "tables": {
            "name": "bigtable",
            "rows": 1_000_000,
            "features": 20,
            "classes": 3,
            "file_bytes": 383_400_000,
            "epochs": 1,
            "batch_size": 1024,
            "steps": steps,
            "test_accuracy": [0.8766],
            "reads": {
                "ours": {"seconds": [2.0, 3.0, 2.5], "peak_mb": [1500.0, 1400.0, 1450.0]},
                "pyarrow": {"seconds": [1.0, 1.0, 1.25], "peak_mb": [700.0, 650.0, 100.0]},
                "ratios": [2.0, 3.0, 2.0],
            },
            "floor_mb": 160.4,
        }
    }
    markdown = report.render(results, MACHINE, OPTIONS)
    lines = markdown.splitlines()
    assert (
        "## A large table: 1,000,000 rows x 20 features, from `make experiment` to `make predict`"
    ) in lines
    assert "Run on 2030-01-01 00:00 UTC on cpu, 2 cores, 8 GB RAM" in markdown  # the machine
    section = report.section_tables(results["tables"])
    assert "A synthetic CSV of 383 MB (`bench/tables.py`" in section
    assert "Training is cut to 1 epoch (`train.epochs`; batch 1024," in section
    assert "test accuracy 0.877." in section
    assert "20,000,000 values x 240 bytes (4.8 GB). A peak shown as <= 160 " in section
    table = [
        line for line in section.splitlines() if line.startswith("| ") and "| --- |" not in line
    ]
    assert table == [
        "| step | median s | min-max s | peak MB | under 4.8 GB |",
        "| `python -m tools.experiment` (read, check, copy, `dvc add`) | 13.00 | 12.00-14.00 "
        "| 1000 | yes |",
        "| `validate` | 0.80 | 0.80-0.80 | <= 160 | yes |",
        "| `train@bigtable` | 21.10 | 21.10-21.10 | 4900 | **no** |",
        "| `python -m stages.predict` on the 1,000,000 rows | 17.20 | 17.20-17.20 | 920 | yes |",
    ]
    assert (
        "The CSV read alone, a fresh process each (imports not timed), 3 paired runs: ours "
        "(`pipeline.user_table.read_user_file`) 2.50 s, peak 1500 MB; pyarrow's "
        "`pyarrow.csv.read_csv` 1.00 s, peak 700 MB; ours / pyarrow 2.00x (median of the "
        "pairs' ratios)."
    ) in lines


def test_the_two_readers_read_the_same_table(tmp_path):
    from bench import tables

    table = tmp_path / "table.csv"
    tables.write_table(table, 50)
    reads = tables.measure_reads(table, 1, 50)
    assert [len(reads[side]["seconds"]) for side in ("ours", "pyarrow")] == [1, 1]
    assert len(reads["ratios"]) == 1
    with pytest.raises(RuntimeError, match="read 50 x 21"):
        tables.measure_reads(table, 1, 49)


def test_the_edit_loop_splits_each_edit_into_its_stages_and_dvc():
    def stage(wall, imports):
        return {"seconds": [wall], "imports": [imports], "tf_imports": [0.0]}

    # Two runs of the epochs edit: each run's own stage times, as DVC's log gave them.
    results = {
        "edits": {
            "epochs": {
                "repro": {
                    "stages": ["validate", "train@blobs4", "evaluate@blobs4"],
                    "seconds": [11.0, 10.0],
                    "done_seconds": [12.0, 11.0],
                    "stage_seconds": [
                        {"validate": 0.5, "train@blobs4": 8.0, "evaluate@blobs4": 1.0},
                        {"validate": 0.7, "train@blobs4": 6.0, "evaluate@blobs4": 1.2},
                    ],
                }
            },
            "grid": {
                "repro": {
                    "stages": ["plot@blobs4"],
                    "seconds": [4.0],
                    "done_seconds": [5.5],
                    "stage_seconds": [{"plot@blobs4": 2.0}],
                }
            },
        },
        "budget": {
            "validate": stage(0.5, 0.3),
            "train@blobs4": stage(7.0, 6.0),
            "evaluate@blobs4": stage(1.0, 0.75),
            "plot@blobs4": stage(2.0, 1.0),
        },
    }
    assert report.edit_loop_rows(
        "epochs", results["edits"]["epochs"]["repro"], results["budget"]
    ) == [
        ("`validate`", "0.30", "0.20", "0.60"),
        ("`train@blobs4`", "6.00", "1.00", "7.00"),
        ("`evaluate@blobs4`", "0.75", "0.25", "1.10"),
        ("DVC, before, between and after the stages", "-", "-", "2.80"),
        ("the command, blobs4 `train.epochs` edited", "-", "-", "11.50"),
    ]
    # Outside training is each run less its own training: 4.0 and 5.0, median 4.5.
    rows = {what: (value, met) for what, value, _, met in report.target_rows(results)}
    assert rows["blobs4 `train.epochs` edited, `dvc repro`: seconds outside training"] == (
        "4.50 s",
        True,
    )
    assert rows[
        "blobs4 `plot.grid_points` edited, `dvc repro`: seconds until the command ends"
    ] == (
        "5.50 s",
        False,
    )
    section = report.section_edit_loop(results)
    assert "outside training: 4.50 s (target <= 6 s" in section
    assert "in all: 5.50 s (target <= 5 s" in section


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
