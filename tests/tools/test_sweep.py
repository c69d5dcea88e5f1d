"""tools.sweep: a bad SET is one line per problem and queues nothing; a failed run is named."""

import subprocess
import sys

import yaml

from tools import sweep

PARAMS = {"experiments": {"blobs4": {"train": {"epochs": 10}, "model": {"hidden_units": [16]}}}}


def write_params(tmp_path):
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(PARAMS))
    return tmp_path


def test_keys_are_found_through_mappings_and_list_indices():
    assert sweep.has_key(PARAMS, "experiments.blobs4.train.epochs")
    assert sweep.has_key(PARAMS, "experiments.blobs4.model.hidden_units.0")
    assert not sweep.has_key(PARAMS, "experiments.blobs4.model.hidden_units.1")
    assert not sweep.has_key(PARAMS, "experiments.blobs4.trian.epochs")
    assert not sweep.has_key(PARAMS, "experiments.blobs4.train.epochs.x")


def test_an_empty_set_asks_for_a_key_and_its_values(tmp_path):
    assert sweep.set_problems([], write_params(tmp_path)) == [
        "nothing to sweep: give a params key and its values, for example "
        "SET=experiments.blobs4.train.learning_rate=0.003,0.01,0.03"
    ]


def test_every_bad_override_gets_its_own_line(tmp_path):
    repo = write_params(tmp_path)
    overrides = [
        "experiments.blobs4.train.epochs=1,2",  # fine
        "experiments.blobs4.trian.epochs=1,2",
        "experiments.blobs4.train.epochs",
        "other.yaml:experiments.blobs4.train.epochs=3",
        "+experiments.blobs4.train.new_key=1",  # Hydra's add: DVC's to judge
    ]
    assert sweep.set_problems(overrides, repo) == [
        "'experiments.blobs4.trian.epochs' is not a key of params.yaml "
        "(a misspelling? add a new one with +)",
        "'experiments.blobs4.train.epochs' is not KEY=V1,V2,...; for example "
        "SET=experiments.blobs4.train.learning_rate=0.003,0.01,0.03",
        "'other.yaml:experiments.blobs4.train.epochs=3': other.yaml does not exist",
    ]


def test_a_named_params_file_is_read(tmp_path):
    repo = write_params(tmp_path)
    (repo / "other.yaml").write_text("a: {b: 1}\n")
    assert sweep.set_problems(["other.yaml:a.b=1,2"], repo) == []
    assert sweep.set_problems(["other.yaml:a.c=1,2"], repo) == [
        "'a.c' is not a key of other.yaml (a misspelling? add a new one with +)"
    ]


def test_params_are_read_as_dvc_reads_them_yaml_1_2(tmp_path):
    repo = write_params(tmp_path)
    (repo / "other.yaml").write_text("switch: {on: 1, no: 2}\n")  # YAML 1.1: True and False
    assert sweep.set_problems(["other.yaml:switch.on=1,2", "other.yaml:switch.no=3"], repo) == []


def test_make_sweep_without_set_is_one_line_and_no_traceback(tmp_path):
    repo = write_params(tmp_path)
    for set_value in ("", "experiments.blobs4.trian.epochs=1,2"):
        done = subprocess.run(
            [sys.executable, "-m", "tools.sweep", "--set", set_value],
            cwd=repo,
            capture_output=True,
            text=True,
            env={"PYTHONPATH": str(sweep.Path(sweep.__file__).parents[1])},
        )
        assert done.returncode == 2
        assert done.stdout == ""
        assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("sweep: ")
