"""gate.yaml's `project:` section (gate.project): what the gate reads of a project, its checks."""

import pytest

from gate import project as gate_project
from gate.errors import GateError
from gate.project import Curves, Points, Project, parse_project
from tests.gate.helpers import PROJECT

POINTS = {"suffix": ".points.csv", "metrics": {"test_loss": "loss"}}


def test_this_projects_section_reads_as_its_layout():
    assert (
        Project(
            experiments_param="experiments",
            metrics_file="metrics/{experiment}.json",
            points=Points(
                suffix=".points.csv",
                metrics={
                    "test_accuracy": "correct",
                    "test_loss": "loss",
                    "test_mse": "squared_error",
                },
                actual="actual",
                predicted="predicted",
                paired_params=("data", "split"),
                paired_columns=("x", "actual"),
                paired=True,
            ),
            curves=Curves(x="epoch", file="history.csv"),
        )
        == PROJECT
    )


def test_a_section_left_out_reads_nothing_of_the_project():
    assert parse_project(None) == Project(None, None, None, None)
    assert parse_project({}) == Project()
    assert parse_project({"experiments_param": None, "points": None, "curves": None}) == Project()
    assert parse_project({"curves": {"x": "step"}}) == Project(curves=Curves("step", None))


def test_points_without_paired_when_are_never_paired_and_need_no_actual_column():
    assert parse_project({"points": POINTS}).points == Points(
        ".points.csv", {"test_loss": "loss"}, None, None, (), (), False
    )
    section = {**POINTS, "paired_when": {"columns": ["id"]}}
    assert parse_project({"points": section}).points == Points(
        ".points.csv", {"test_loss": "loss"}, paired_columns=("id",), paired=True
    )
    section = {**POINTS, "paired_when": {"params": ["data.seed"]}}
    assert parse_project({"points": section}).points.paired_params == ("data.seed",)


def bad(section):
    with pytest.raises(GateError) as error:
        parse_project(section, "g.yaml")
    return str(error.value)


ONCE = "project.metrics_file: got '{}', expected a path with {{experiment}} in it once"
POINTS_ALLOWED = "suffix, metrics, actual, predicted, paired_when"


@pytest.mark.parametrize(
    "section, message",
    [
        (
            ["points"],
            "project: got ['points'], expected a mapping of "
            "experiments_param, metrics_file, points, curves",
        ),
        (
            {"metric_file": "m/{experiment}.json"},
            "project.metric_file: unknown key; did you mean metrics_file? allowed: "
            "experiments_param, metrics_file, points, curves",
        ),
        ({"experiments_param": 3}, "project.experiments_param: got 3, expected a non-empty string"),
        ({"experiments_param": " "}, "project.experiments_param: got ' ', expected a non-empty"),
        (
            {"metrics_file": "metrics/exp.json"},
            "project.metrics_file: got 'metrics/exp.json', expected a path with {experiment} in it "
            "once",
        ),
        (
            {"metrics_file": "{experiment}/{experiment}.json"},
            ONCE.format("{experiment}/{experiment}.json"),
        ),
        ({"metrics_file": "{experiment}/{name}.json"}, ONCE.format("{experiment}/{name}.json")),
        ({"metrics_file": "{experiment}}.json"}, ONCE.format("{experiment}}.json")),
        ({"metrics_file": "{experiment}{.json"}, ONCE.format("{experiment}{.json")),
        ({"metrics_file": "m/{experimen}.json"}, ONCE.format("m/{experimen}.json")),
        ({"metrics_file": ""}, "project.metrics_file: got '', expected a non-empty string"),
        (
            {"points": "a.csv"},
            f"project.points: got 'a.csv', expected a mapping of {POINTS_ALLOWED}",
        ),
        ({"points": {"metrics": {"a": "b"}}}, "project.points.suffix: missing"),
        ({"points": {"suffix": ".p.csv"}}, "project.points.metrics: missing"),
        (
            {"points": {**POINTS, "sufix": "x"}},
            f"project.points.sufix: unknown key; did you mean suffix? allowed: {POINTS_ALLOWED}",
        ),
        (
            {"points": {**POINTS, "suffix": "/p.csv"}},
            "project.points.suffix: got '/p.csv', expected a file name's ending, such as "
            ".points.csv",
        ),
        ({"points": {**POINTS, "suffix": 1}}, "project.points.suffix: got 1, expected a non-empty"),
        (
            {"points": {**POINTS, "metrics": {}}},
            "project.points.metrics: got {}, expected a mapping of metric -> column",
        ),
        (
            {"points": {**POINTS, "metrics": ["loss"]}},
            "project.points.metrics: got ['loss'], expected a mapping of metric -> column",
        ),
        (
            {"points": {**POINTS, "metrics": {"test_loss": None}}},
            "project.points.metrics.test_loss: got None, expected a non-empty string",
        ),
        (
            {"points": {**POINTS, "metrics": {"acc": "correct"}, "predicted": "p"}},
            "project.points.actual: missing; a metric whose column is correct compares the "
            "actual and predicted columns",
        ),
        (
            {"points": {**POINTS, "metrics": {"acc": "correct"}, "actual": "a"}},
            "project.points.predicted: missing; a metric whose column is correct compares",
        ),
        (
            {"points": {**POINTS, "actual": ""}},
            "project.points.actual: got '', expected a non-empty string",
        ),
        (
            {"points": {**POINTS, "predicted": 0}},
            "project.points.predicted: got 0, expected a non-empty string",
        ),
        (
            {"points": {**POINTS, "paired_when": ["data"]}},
            "project.points.paired_when: got ['data'], expected a mapping of params, columns",
        ),
        (
            {"points": {**POINTS, "paired_when": {"param": ["data"]}}},
            "project.points.paired_when.param: unknown key; did you mean params? allowed: "
            "params, columns",
        ),
        (
            {"points": {**POINTS, "paired_when": {"params": "data"}}},
            "project.points.paired_when.params: got 'data', expected a list of names",
        ),
        (
            {"points": {**POINTS, "paired_when": {"columns": ["x", 2]}}},
            "project.points.paired_when.columns[1]: got 2, expected a non-empty string",
        ),
        (
            {"points": {**POINTS, "paired_when": {"params": [], "columns": []}}},
            "project.points.paired_when: got {'params': [], 'columns': []}, expected a list of "
            "params or columns",
        ),
        ({"curves": {"file": "h.csv"}}, "project.curves.x: missing"),
        ({"curves": "epoch"}, "project.curves: got 'epoch', expected a mapping of x, file"),
        (
            {"curves": {"x": "epoch", "files": "h.csv"}},
            "project.curves.files: unknown key; did you mean file? allowed: x, file",
        ),
        ({"curves": {"x": "epoch", "file": 3}}, "project.curves.file: got 3, expected a non-empty"),
        ({"curves": {"x": None}}, "project.curves.x: got None, expected a non-empty string"),
    ],
)
def test_a_bad_section_is_one_line_naming_the_file_key_value_and_what_is_allowed(section, message):
    assert bad(section).startswith(f"g.yaml: {message}")


def test_errors_name_the_default_source():
    with pytest.raises(GateError, match="^gate.yaml: project.curves.x: missing$"):
        parse_project({"curves": {}})


# --- what the section says about the project --------------------------------------------------


@pytest.mark.parametrize(
    "path, experiment",
    [
        ("metrics/blobs4.json", "blobs4"),
        ("metrics/blobs4.points.json", "blobs4.points"),
        ("metrics/sub/blobs4.json", None),  # an experiment's name has no slash
        ("other/blobs4.json", None),
        ("metrics/blobs4.json.bak", None),
        ("metricsXblobs4Xjson", None),  # the pattern's dots are dots
        ("metrics/.json", None),
        ("xmetrics/blobs4.json", None),
    ],
)
def test_a_metrics_file_belongs_to_the_experiment_its_pattern_names(path, experiment):
    assert PROJECT.experiment_of(path) == experiment


def test_a_pattern_may_hold_any_other_text():
    project = parse_project({"metrics_file": "X/[a]+.{experiment}.Json"})
    assert project.metrics_file == "X/[a]+.{experiment}.Json"
    assert project.experiment_of("X/[a]+.m1.Json") == "m1"
    assert project.experiment_of("X/a+.m1.Json") is None


def test_without_a_pattern_each_metrics_file_is_the_experiment_of_its_name():
    assert Project().experiment_of("a/b/blobs4.json") == "blobs4"
    assert Project().experiment_of("summary.yaml") == "summary"
    nested = Project(metrics_file="results/{experiment}/metrics.json")
    assert nested.experiment_of("results/m1/metrics.json") == "m1"
    assert nested.experiment_of("results/m1/other.json") is None


@pytest.mark.parametrize(
    "paths, names",
    [
        (  # DVCLive's layout: each stage's folder tells the files apart
            ["results/train/metrics.json", "results/evaluate/metrics.json"],
            ["train", "evaluate"],
        ),
        (["metrics/blobs4.json", "metrics/regression.json"], ["blobs4", "regression"]),
        (["metrics/blobs4.json"], ["blobs4"]),  # one file: its file name
        (["results/train/metrics.json"], ["metrics"]),
        (["summary.yaml"], ["summary"]),
        (["a.json", "b.yaml"], ["a", "b"]),
        (["a/b/m.json", "a/c/m.json", "a/b/n.json"], ["b/m", "c/m", "b/n"]),
        (["a/x/d/m.json", "b/x/d/m.json"], ["a", "b"]),
        (["r/a/x/d/m.json", "r/b/x/d/m.json"], ["a", "b"]),
        (["dvclive/metrics.json", "eval/dvclive/metrics.json"], ["dvclive", "eval/dvclive"]),
        (["dvclive/metrics.json", "dvclive/eval/metrics.json"], ["metrics", "eval/metrics"]),
        (["x/v1.2/m.json", "x/v1.3/m.json"], ["v1.2", "v1.3"]),  # a folder keeps its dots
        (["a/s.1/m.json", "b/s.1/m.json"], ["a", "b"]),
        (["r/a.b.json", "r/c.json"], ["a.b", "c"]),
        (["m/a.json", "m/a.yaml"], ["a", "a"]),  # the same name: side_from_dvc says so
        ([], []),
    ],
)
def test_without_a_pattern_the_experiment_is_what_tells_the_metrics_files_apart(paths, names):
    assert gate_project.default_names(paths) == dict(zip(paths, names, strict=True))
    assert Project().experiment_names(iter(paths)) == dict(zip(paths, names, strict=True))


def test_with_a_pattern_the_experiments_are_the_files_it_names_whatever_the_others():
    paths = ["metrics/blobs4.json", "metrics/sub/x.json", "plots/a.json", "metrics/blobs2.json"]
    assert PROJECT.experiment_names(iter(paths)) == {
        "metrics/blobs4.json": "blobs4",
        "metrics/blobs2.json": "blobs2",
    }
    nested = Project(metrics_file="results/{experiment}/metrics.json")
    assert nested.experiment_names(["results/train/metrics.json"]) == {
        "results/train/metrics.json": "train"
    }


def test_the_experiments_are_the_params_entries_in_order_or_none_without_the_param():
    params = {"experiments": {"b": {}, "a": {}}, "models": ["x"]}
    assert PROJECT.experiments(params) == ("b", "a")
    assert Project(experiments_param="models").experiments(params) == ()
    assert Project(experiments_param="absent").experiments(params) == ()
    assert Project().experiments(params) is None


def test_an_experiments_params_are_its_entry_or_all_without_the_param():
    params = {"experiments": {"b": {"data": 1}, "c": None}, "seed": 2}
    assert PROJECT.experiment_params(params, "b") == {"data": 1}
    assert PROJECT.experiment_params(params, "c") == {}
    assert PROJECT.experiment_params(params, "zzz") == {}
    assert PROJECT.experiment_params({"seed": 2}, "b") == {}
    assert PROJECT.experiment_params(None, "b") == {}
    assert Project().experiment_params(params, "b") == params
    assert Project().experiment_params(None, "b") == {}


def test_the_per_point_file_is_the_metrics_file_with_the_suffix_for_its_extension():
    assert PROJECT.points_path("metrics/blobs4.json") == "metrics/blobs4.points.csv"
    other = Project(points=Points("_points.tsv", {}))
    assert other.points_path("results/m1/metrics.json") == "results/m1/metrics_points.tsv"


def test_a_dotted_param_is_looked_up_and_a_missing_one_is_none():
    params = {"data": {"seed": 3, "n": None}, "split": 0.2}
    assert gate_project.lookup(params, "data.seed") == 3
    assert gate_project.lookup(params, "data") == {"seed": 3, "n": None}
    assert gate_project.lookup(params, "split") == 0.2
    assert gate_project.lookup(params, "data.size") is None
    assert gate_project.lookup(params, "split.seed") is None  # 0.2 has no keys
    assert gate_project.lookup({}, "data.seed") is None


@pytest.mark.parametrize(
    "curves, x, files, match",
    [
        (Curves("epoch"), "epoch", [], True),
        (Curves("epoch"), "step", [], False),
        (Curves("epoch", "history.csv"), "epoch", ["models/a/history.csv"], True),
        (Curves("epoch", "history.csv"), "epoch", ["m.csv", "models/history.csv"], True),
        (Curves("epoch", "history.csv"), "epoch", ["models/history.csv.bak"], False),
        (Curves("epoch", "history.csv"), "epoch", ["history.csv/x.csv"], False),
        (Curves("epoch", "history.csv"), "epoch", [], False),
        (Curves("epoch", "history.csv"), "step", ["history.csv"], False),
        (Curves("step", "train_*.csv"), "step", ["logs/train_log.csv"], True),
        (Curves("step", "train_*.csv"), "step", ["logs/Train_log.csv"], False),  # case counts
    ],
)
def test_a_training_curve_is_a_plot_of_the_x_column_and_a_named_file(curves, x, files, match):
    assert curves.match(x, files) is match
