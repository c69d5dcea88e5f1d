"""Each side, one revision's metrics as DVC returns them (gate.revision_metrics): metrics files
to experiments, errors, params."""

import pytest
from dvc.exceptions import PathMissingError

from gate import revision_metrics
from gate.project import Project
from gate.revision_metrics import MISSING_FILE, Side, side_from_dvc
from tests.gate.helpers import PROJECT, side_without_params

BY_NAME = Project(experiments_param="experiments")  # each file the experiment of its name


def test_nested_metrics_are_flattened_like_dvc_names_them():
    assert revision_metrics.flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {
        "a.b": 1,
        "a.c.d": 2,
        "e": 3,
    }
    assert revision_metrics.flatten({1: {2: "x"}}) == {"1.2": "x"}
    assert revision_metrics.flatten(0.5) == {"": 0.5}
    assert revision_metrics.flatten({}) == {}


def test_two_files_of_one_experiment_are_a_problem_and_the_rest_is_still_read():
    result = {
        "data": {
            "metrics/blobs4.yaml": {"data": {"test_accuracy": 0.5}},
            "metrics/blobs4.json": {"data": {"test_accuracy": 0.9}},
            "metrics/regression.json": {"data": {"test_mse": 0.01}},
        }
    }
    built = side_from_dvc("HEAD", result, {"experiments": {"blobs4": {}}}, project=BY_NAME)
    assert built.problems == [
        "metrics/blobs4.json and metrics/blobs4.yaml both map to experiment blobs4"
    ]
    assert built.paths == {
        "blobs4": "metrics/blobs4.json",
        "regression": "metrics/regression.json",
    }
    assert built.metrics == {"blobs4": {"test_accuracy": 0.9}, "regression": {"test_mse": 0.01}}


DVCLIVE = {
    "data": {
        "results/train/metrics.json": {"data": {"loss": 0.2}},
        "results/evaluate/metrics.json": {"data": {"avg_prec": {"test": 0.9}}},
    }
}


def test_without_a_pattern_dvclives_files_are_the_experiments_of_their_folders():
    built = side_from_dvc("HEAD", DVCLIVE, {"train": {"lr": 0.1}}, project=Project())
    assert built.problems == []
    assert built.paths == {
        "evaluate": "results/evaluate/metrics.json",
        "train": "results/train/metrics.json",
    }
    assert built.metrics == {"evaluate": {"avg_prec.test": 0.9}, "train": {"loss": 0.2}}


def test_the_names_of_every_side_compared_name_a_side_that_lists_one_file():
    one = {"data": {"results/train/metrics.json": {"data": {"loss": 0.3}}}}
    assert side_from_dvc("HEAD", one, {}, project=Project()).metrics == {"metrics": {"loss": 0.3}}
    names = Project().experiment_names(revision_metrics.metrics_files([one, DVCLIVE, None]))
    built = side_from_dvc("HEAD", one, {}, project=Project(), names=names)
    assert built.metrics == {"train": {"loss": 0.3}}
    assert built.paths == {"train": "results/train/metrics.json"}


def test_the_metrics_files_are_those_of_every_result_that_lists_some():
    assert revision_metrics.metrics_files([DVCLIVE, {"error": OSError()}, None, {}]) == {
        "results/train/metrics.json",
        "results/evaluate/metrics.json",
    }
    assert revision_metrics.metrics_files([{"data": None}]) == set()
    assert revision_metrics.metrics_files([]) == set()


def test_a_file_that_is_no_experiments_metrics_file_is_left_out():
    result = {
        "data": {
            "a/blobs4.json": {"data": {"test_accuracy": 0.5}},
            "metrics/blobs4.json": {"data": {"test_accuracy": 0.9}},
            "metrics/sub/x.json": {"error": ValueError("bad")},
        }
    }
    built = side_from_dvc("HEAD", result, {"experiments": {"blobs4": {}}}, project=PROJECT)
    assert (built.problems, built.errors) == ([], {})
    assert built.paths == {"blobs4": "metrics/blobs4.json"}
    assert built.metrics == {"blobs4": {"test_accuracy": 0.9}}


def test_a_revision_dvc_could_not_collect_is_a_problem_naming_the_reason():
    built = side_from_dvc(
        "v1",
        {"error": OSError("no such\nrevision")},
        {"experiments": {"blobs4": {}}},
        project=PROJECT,
    )
    assert built.problems == ["DVC could not collect its metrics: no such revision"]
    assert (built.metrics, built.experiments) == ({}, ("blobs4",))


def test_a_revision_dvc_found_nothing_at_is_a_problem():
    built = side_from_dvc("v1", None, {"experiments": {}}, project=PROJECT)
    assert built == Side(
        "v1",
        experiments=(),
        params={"experiments": {}},
        problems=["DVC found no metrics there (is it a revision of this DVC project?)"],
    )


@pytest.mark.parametrize("params", [None, {}, {"seed": 1}, {"experiments": ["blobs4"]}])
def test_params_without_an_experiments_mapping_list_no_experiment(params):
    built = side_from_dvc("HEAD", {"data": {}}, params, project=PROJECT)
    assert built.experiments == () and built.params == (params or {})


def test_without_an_experiments_param_each_metrics_file_is_an_experiment():
    result = {"data": {"m/a.json": {"data": {"x": 1}}, "m/b.json": {"data": {"nested": {"y": 2}}}}}
    built = side_from_dvc("HEAD", result, {"experiments": {"c": {}}}, project=Project())
    assert built.experiments is None and built.params == {"experiments": {"c": {}}}
    assert built.metrics == {"a": {"x": 1}, "b": {"nested.y": 2}}
    assert built.expects("a") and not built.expects("c")


def test_a_side_without_params_expects_only_the_files_dvc_lists():
    base = side_without_params()
    assert base.experiments is None and base.params is None
    assert base.problems == ["cannot read its params: bad params"]
    assert base.expects("blobs4") and not base.expects("regression")


def test_a_side_with_params_expects_what_they_list_file_or_not():
    built = side_from_dvc(
        "HEAD",
        {"data": {"metrics/zeta.json": {"data": {"a": 1}}}},
        {"experiments": {"blobs4": {}}},
        project=PROJECT,
    )
    assert built.expects("blobs4") and not built.expects("zeta")


def test_a_file_dvc_could_not_read_is_an_error_and_one_without_data_holds_no_metric():
    result = {
        "data": {
            "metrics/blobs4.json": {"error": FileNotFoundError(2, "gone")},
            "metrics/blobs2.json": {"data": None},
            "metrics/regression.json": {},
        }
    }
    built = side_from_dvc("HEAD", result, {}, project=PROJECT)
    assert built.errors == {"blobs4": MISSING_FILE}
    assert built.metrics == {"blobs2": {}, "regression": {}}
    assert built.paths == {
        "blobs2": "metrics/blobs2.json",
        "blobs4": "metrics/blobs4.json",
        "regression": "metrics/regression.json",
    }


@pytest.mark.parametrize(
    "error, words",
    [
        (FileNotFoundError(2, "No such file"), "is missing"),
        (PathMissingError("metrics/a.json", "repo"), "is missing"),
        (
            ValueError("unable to read: '../../m/a.json', JSON file structure is corrupted"),
            "is unreadable (ValueError: JSON file structure is corrupted)",
        ),
        (
            ValueError("unable to read: 'a.json',JSON\n  broken"),
            "is unreadable (ValueError: JSON broken)",
        ),
        (OSError("unable to read: 'a'"), "is unreadable (OSError: unable to read: 'a')"),
        (KeyError(), "is unreadable (KeyError: KeyError)"),
        (
            ValueError("bad: unable to read: 'x', y"),
            "is unreadable (ValueError: bad: unable to read: 'x', y)",
        ),
    ],
)
def test_a_read_error_is_described_in_words(error, words):
    assert revision_metrics.describe_read_error(error) == words


def test_the_workspace_is_in_and_a_revision_is_on():
    assert revision_metrics.where("workspace") == "in the workspace"
    assert revision_metrics.where("HEAD~1") == "on HEAD~1"
