"""tools.experiment (make experiment): a table of your own added to a copy of the project, or
refused with one line per problem and nothing changed."""

import hashlib
import shutil
import subprocess
import sys

import pytest

from bench.workspace import pipeline_env
from pipeline.files import read_yaml
from pipeline.params import load_params
from pipeline.tasks import Task
from tests.conftest import copy_project, run
from tests.test_dvc_yaml import expected_charts
from tools import experiment

FLOWERS = (
    "petal length,petal width,kind\n"
    "1.4,0.2,setosa\n4.7,1.4,versicolor\n1.3,0.2,setosa\n4.5,1.5,versicolor\n"
    "6.0,2.5,virginica\n5.9,2.1,virginica\n1.5,0.1,setosa\n4.0,1.3,versicolor\n"
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    repo = tmp_path_factory.mktemp("experiment") / "repo"
    repo.mkdir()
    copy_project(repo)
    return repo


@pytest.fixture
def repo(template, tmp_path, monkeypatch):
    """A private copy of the project (a git repo with .dvc), `dvc` on PATH as make gives it."""
    monkeypatch.setenv("PATH", pipeline_env()["PATH"])
    copy = tmp_path / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


def user_file(tmp_path, text, name="flowers.csv"):
    """The user's file, outside the project."""
    path = tmp_path / "downloads" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def snapshot(repo):
    """params.yaml's and dvc.yaml's bytes and every file under data/tables."""
    files = {name: (repo / name).read_bytes() for name in ("params.yaml", "dvc.yaml")}
    tables = {
        str(path.relative_to(repo)): path.read_bytes()
        for path in sorted((repo / "data" / "tables").rglob("*"))
    }
    return files, tables


def refused(repo, *args):
    """add_experiment's InputError lines, after checking that nothing was changed."""
    before = snapshot(repo)
    with pytest.raises(experiment.InputError) as raised:
        experiment.add_experiment(*args[:4], repo, *args[4:])
    assert snapshot(repo) == before
    assert run(["git", "status", "--porcelain"], repo).stdout == ""
    assert not (repo / ".dvc" / "cache").exists()
    return str(raised.value).split("\n")


def test_a_bad_file_is_refused_with_one_line_per_problem_and_nothing_changed(repo, tmp_path):
    data = user_file(
        tmp_path,
        "id,petal length,petal width,kind\n"
        "r1,1.4,,setosa\nr2,4.7,1.4,versicolor\nr3,1.3,0.2,setosa\nr4,inf,1.5,versicolor\n"
        "r5,6.0,2.5,virginica\n",
    )
    assert refused(repo, "flowers", data, "kind", None) == [
        f"{data}: column 'id': not a number at rows 1, 2, 3 and 2 more (first: 'r1'); "
        "a text column can be left out with data.drop_columns: [id]",
        f"{data}: column 'petal length': infinite value at row 4",
        f"{data}: column 'petal width': missing value at row 1 "
        "(data.missing: drop_rows drops such rows)",
        f"{data}: column 'kind': classes with fewer than 2 rows, too few to split: "
        "'setosa' (1), 'virginica' (1)",
        "make experiment takes DROP=<column>,<column> for data.drop_columns and "
        "MISSING=drop_rows for data.missing",
    ]


def test_drop_and_missing_are_taken_into_the_experiment(repo, tmp_path):
    data = user_file(
        tmp_path,
        "id,petal length,petal width,kind\n"
        "r1,1.4,,setosa\nr2,4.7,1.4,versicolor\nr3,1.3,0.2,setosa\nr4,4.5,1.5,versicolor\n"
        "r5,6.0,2.5,virginica\nr6,5.9,2.1,virginica\nr7,1.5,0.1,setosa\n",
    )
    printed = experiment.add_experiment("flowers", data, "kind", None, repo, ("id",), "drop_rows")

    assert printed.startswith("flowers: classification")
    flowers = load_params(repo / "params.yaml")["flowers"]
    assert flowers.data.drop_columns == ("id",)
    assert flowers.data.missing == "drop_rows"


def test_a_bad_missing_option_is_refused(repo, tmp_path):
    data = user_file(tmp_path, FLOWERS)
    assert refused(repo, "flowers", data, "kind", None, (), "skip") == [
        "MISSING: got 'skip', expected one of error, drop_rows"
    ]


def test_an_absent_target_is_one_line_naming_the_columns(repo, tmp_path):
    data = user_file(tmp_path, FLOWERS)
    assert refused(repo, "flowers", data, "species", None) == [
        f"{data}: data.target: no column 'species' (columns: petal length, petal width, kind)"
    ]


def test_an_unreadable_file_is_refused(repo, tmp_path):
    data = user_file(tmp_path, FLOWERS, name="flowers.xlsx")
    assert refused(repo, "flowers", data, "kind", None) == [
        f"{data}: expected a .csv or .parquet file"
    ]


@pytest.mark.parametrize(
    "name, task, line",
    [
        (
            "my flowers",
            None,
            "NAME: got 'my flowers', expected letters, digits, _ and -, a letter or digit "
            "first and last (a folder and a model's name)",
        ),
        (
            "../up",
            None,
            "NAME: got '../up', expected letters, digits, _ and -, a letter or digit first "
            "and last (a folder and a model's name)",
        ),
        (
            "flowers_",
            None,
            "NAME: got 'flowers_', expected letters, digits, _ and -, a letter or digit first "
            "and last (a folder and a model's name)",
        ),
        (
            "flowers",
            "clustering",
            "TASK: got 'clustering', expected one of classification, regression",
        ),
        ("project", None, "NAME: 'project' is gate.yaml's section of the project's layout"),
    ],
)
def test_a_bad_request_is_refused(repo, tmp_path, name, task, line):
    assert refused(repo, name, user_file(tmp_path, FLOWERS), "kind", task) == [line]


def test_the_name_of_an_existing_experiment_is_refused(repo, tmp_path):
    existing = next(iter(read_yaml(repo / "params.yaml")["experiments"]))  # whichever it is
    assert refused(repo, existing, user_file(tmp_path, FLOWERS), "kind", None) == [
        f"NAME: an experiment {existing!r} exists already in params.yaml"
    ]


def test_a_name_with_rules_in_gate_yaml_already_is_refused(repo, tmp_path):
    with (repo / "gate.yaml").open("a") as rules:
        rules.write("\nflowers:\n  test_accuracy: {better: higher, min: 0.9}\n")
    run(["git", "commit", "-qam", "rules first"], repo)
    assert refused(repo, "flowers", user_file(tmp_path, FLOWERS), "kind", None) == [
        "NAME: gate.yaml has rules for 'flowers' already; remove them first"
    ]


def test_a_good_csv_becomes_an_experiment(repo, tmp_path):
    data = user_file(tmp_path, FLOWERS)
    params_before = (repo / "params.yaml").read_text()
    text_before = (repo / "dvc.yaml").read_text()
    tables_before = dict(read_yaml(repo / "dvc.yaml")["vars"][1]["tables"] or {})
    gate_before = (repo / "gate.yaml").read_text()
    printed = experiment.add_experiment("flowers", data, "kind", None, repo)
    assert printed == (
        "flowers: classification (the target 'kind' holds text labels; TASK=regression for a "
        "regression); data/tables/flowers.csv is tracked by DVC\n"
        "gate.yaml: flowers must beat always predicting the most common class and stay within 0.05 of "
        "scikit-learn's linear model\n"
        "next: dvc repro   (then: git add params.yaml dvc.yaml gate.yaml "
        "data/tables/flowers.csv.dvc data/tables/.gitignore dvc.lock metrics plots && git commit)"
    )
    # gate.yaml: the experiment's rules after the others, whose comments stay.
    assert (repo / "gate.yaml").read_text().startswith(gate_before.rstrip("\n"))
    assert read_yaml(repo / "gate.yaml")["flowers"] == {
        "test_accuracy": {
            "better": "higher",
            "beats": "majority_accuracy",
            "within": {"logreg_accuracy": 0.05},
            "significant_at": 0.05,
        },
        "test_balanced_accuracy": {"better": "higher", "beats": "majority_balanced_accuracy"},
    }
    # params.yaml: the experiment added after the others, whose comments stay; and valid.
    params_after = (repo / "params.yaml").read_text()
    assert params_after.startswith(params_before)
    assert read_yaml(repo / "params.yaml")["experiments"]["flowers"] == (
        experiment.experiment_params(Task.CLASSIFICATION, "kind", n_rows=8)
    )
    # 8 rows: 6 to train on, one batch of all 6 an epoch, 500 epochs.
    assert (flowers_batch := read_yaml(repo / "params.yaml")["experiments"]["flowers"]["train"])[
        "batch_size"
    ] == 6 and flowers_batch["epochs"] == 500
    flowers = load_params(repo / "params.yaml")["flowers"]
    assert (flowers.task, flowers.table, flowers.data.target) == ("classification", True, "kind")
    assert flowers.split.stratify is True and flowers.model.preprocessing == "standardize"
    # dvc.yaml: the file named under vars' tables (the blank line still before `stages:`).
    pipeline = read_yaml(repo / "dvc.yaml")
    assert pipeline["vars"][1]["tables"] == {
        **tables_before,
        "flowers": "data/tables/flowers.csv",
    }
    text = (repo / "dvc.yaml").read_text()
    assert "      flowers: data/tables/flowers.csv\n" in text  # block style, as written by hand
    if "\n\nstages:\n" in text_before:
        assert "      flowers: data/tables/flowers.csv\n\nstages:\n" in text
    # ... and the charts tests/test_dvc_yaml.py expects of every experiment, no more.
    declared = {title: chart["y"] for entry in pipeline["plots"] for title, chart in entry.items()}
    assert declared == expected_charts(read_yaml(repo / "params.yaml")["experiments"])
    # The copy, under DVC: its .dvc file holds the copy's hash and git ignores the file.
    copy = repo / "data" / "tables" / "flowers.csv"
    assert copy.read_bytes() == data.read_bytes()
    tracked = read_yaml(repo / "data" / "tables" / "flowers.csv.dvc")
    assert tracked["outs"][0]["md5"] == hashlib.md5(data.read_bytes()).hexdigest()
    assert tracked["outs"][0]["path"] == "flowers.csv"
    assert "/flowers.csv" in (repo / "data" / "tables" / ".gitignore").read_text().splitlines()
    # DVC reads the new pipeline: the experiment's whole chain is there.
    stages = run(["dvc", "stage", "list", "--all"], repo).stdout
    for stage in ("ingest", "split", "train", "evaluate", "plot"):
        assert f"{stage}@flowers" in stages


def test_two_experiments_in_turn_both_land_in_the_tables(repo, tmp_path):
    before = set(load_params(repo / "params.yaml"))
    experiment.add_experiment("flowers", user_file(tmp_path, FLOWERS), "kind", None, repo)
    experiment.add_experiment("petals", user_file(tmp_path, FLOWERS, "p.csv"), "kind", None, repo)
    assert ("      flowers: data/tables/flowers.csv\n      petals: data/tables/petals.csv\n") in (
        repo / "dvc.yaml"
    ).read_text()
    assert set(load_params(repo / "params.yaml")) == before | {"flowers", "petals"}


def test_a_numeric_target_with_many_values_is_guessed_a_regression(repo, tmp_path):
    rows = "\n".join(f"{i},{i * 0.5 + 0.25}" for i in range(30))
    data = user_file(tmp_path, f"rooms,price\n{rows}\n", name="houses.csv")
    printed = experiment.add_experiment("houses", data, "price", None, repo)
    assert printed.splitlines()[0] == (
        "houses: regression (the target 'price' holds 30 distinct numbers; TASK=classification "
        "for a classification); data/tables/houses.csv is tracked by DVC"
    )
    houses = load_params(repo / "params.yaml")["houses"]
    assert houses.task == "regression" and houses.split.stratify is False
    assert houses.model.output_activation == "linear"
    # The target in its own units, learnt standardized.
    assert houses.model.standardize_target is True
    # 24 train rows in one batch: 1 step an epoch, so the most epochs allowed.
    assert (houses.train.optimizer, houses.train.learning_rate) == ("adam", 0.01)
    assert (houses.train.batch_size, houses.train.epochs) == (24, 500)
    assert read_yaml(repo / "gate.yaml")["houses"] == {
        "test_r2": {"better": "higher", "beats": "mean_r2", "within": {"linreg_r2": 0.05}},
        "test_mse": {"better": "lower", "significant_at": 0.05},
    }


@pytest.mark.parametrize(
    "n_rows, size",
    [
        (178, (64, 334)),  # wine: 142 train rows, 3 steps an epoch
        (442, (64, 167)),  # diabetes: 353 train rows, 6 steps an epoch
        (569, (64, 125)),  # breast cancer: 8 steps an epoch
        (20_190, (64, 4)),  # 16,152 train rows: 253 steps an epoch
        (1_000_000, (1024, 2)),  # 800,000 train rows: batches grow until an epoch is <= 1000
        (2, (1, 500)),  # one train row
    ],
)
def test_training_size_makes_about_1000_steps(n_rows, size):
    assert experiment.training_size(n_rows) == size


def test_a_task_given_is_taken_as_asked(repo, tmp_path):
    rows = "\n".join(f"{i},{i % 3}" for i in range(12))
    data = user_file(tmp_path, f"x,grade\n{rows}\n")
    printed = experiment.add_experiment("grades", data, "grade", "regression", repo)
    assert printed.splitlines()[0] == (
        "grades: regression (as asked); data/tables/grades.csv is tracked by DVC"
    )
    assert load_params(repo / "params.yaml")["grades"].task == "regression"


def test_the_command_prints_one_error_line_per_problem_and_exits_2(repo, tmp_path):
    data = user_file(tmp_path, "a,kind\n1,p\n2,p\n")
    result = subprocess.run(
        [sys.executable, "-m", "tools.experiment", "--name", "one", "--data", str(data)]
        + ["--target", "kind", "--task", ""],
        cwd=repo,
        env=pipeline_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: {data}: column 'kind': 1 class, a classification needs at least 2"
    ]
    assert run(["git", "status", "--porcelain"], repo).stdout == ""


@pytest.mark.parametrize("task", list(Task))
def test_charts_are_those_tests_test_dvc_yaml_expects(task):
    charts = experiment.charts("mine", task)
    declared = {title: chart["y"] for entry in charts for title, chart in entry.items()}
    assert declared == expected_charts({"mine": {"task": task.value}})
    for entry in charts:
        (chart,) = entry.values()
        assert chart["template"] in ("linear_points", "confusion", "scatter")
        if chart["x"] == "epoch":
            assert chart["template"] == "linear_points"
