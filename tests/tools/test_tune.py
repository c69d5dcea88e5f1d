"""tools.tune's parts that decide the study: its name, the metric it reads, and the checks
made before anything runs (in a repository of the notebook's params, not today's)."""

import math
import shutil
import subprocess

import pytest

from bench.workspace import REPO
from tests.notebook_params import notebook_params, params_text
from tools.gather import Order
from tools.tune import (
    StudyError,
    check,
    check_read_back,
    main,
    metric_value,
    parse_args,
    sampler_study,
    study_name,
)

RATE = "experiments.blobs4.train.learning_rate"
ORDER = Order("blobs4", "test_accuracy", higher=True)


def test_the_study_is_named_by_what_decides_its_proposals():
    items = [f"{RATE}=tag(log,interval(1e-4,1e-1))"]
    name = study_name(items, 4, 0, ORDER)
    assert name.startswith("tune-") and len(name) == len("tune-") + 8
    assert study_name(list(items), 4, 0, Order("blobs4", "test_accuracy", True)) == name
    others = {
        study_name(items, 2, 0, ORDER),
        study_name(items, 4, 1, ORDER),
        study_name(items, 4, 0, Order("blobs4", "test_loss", False)),
        study_name([f"{RATE}=interval(1e-4,1e-1)"], 4, 0, ORDER),
    }
    assert name not in others and len(others) == 4


@pytest.mark.parametrize(
    "values, expected",
    [
        ({("metrics", "blobs4", "test_accuracy"): 0.5}, 0.5),
        ({("metrics", "blobs4", "test_accuracy"): 1}, 1.0),
        ({("metrics", "blobs4", "test_accuracy"): math.nan}, None),
        ({("metrics", "blobs4", "test_accuracy"): True}, None),
        ({("metrics", "blobs4", "test_accuracy"): "0.5"}, None),
        ({("metrics", "blobs4", "test_loss"): 0.5}, None),
        (None, None),
    ],
)
def test_only_a_finite_number_is_a_trials_result(values, expected):
    assert metric_value(values, ORDER) == expected


def test_the_sampler_proposes_the_same_batches_when_told_the_same_results_in_order():
    from optuna.distributions import FloatDistribution

    space = {RATE: FloatDistribution(1e-4, 1e-1, log=True)}

    def proposals():
        study, seen = sampler_study(seed=3, higher=True), []
        for _ in range(3):
            batch = [study.ask(space) for _ in range(2)]
            for trial in batch:
                study.tell(trial, -abs(math.log10(trial.params[RATE]) + 2))
            seen += [trial.params[RATE] for trial in batch]
        return seen

    assert proposals() == proposals()
    assert len(set(proposals())) == 6


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A git repository with the notebook's params and the project's gate rules, as cwd."""
    (tmp_path / "params.yaml").write_text(params_text(notebook_params()))
    shutil.copy(REPO / "gate.yaml", tmp_path / "gate.yaml")
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "start"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
            cwd=tmp_path,
            check=True,
        )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_problem_is_one_line_before_anything_runs(project, capsys):
    (project / "params.yaml").write_text((project / "params.yaml").read_text() + "\n")
    argv = ["--space", f"{RATE}=interval(0.2,0.1)", "--trials", "0", "--batch", "0"]
    assert main([*argv, "--workers", "0", "--seed", "-1", "--by", "blobs4"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "tune: TRIALS=0: expected a whole number >= 1",
        "tune: BATCH=0: expected a whole number >= 1",
        "tune: WORKERS=0: expected a whole number >= 1",
        "tune: SEED=-1: expected a whole number from 0 to 2**32 - 1",
        f"tune: '{RATE}=interval(0.2,0.1)': the interval is empty: LOW must be below HIGH",
        "tune: --by: got 'blobs4', expected EXP.METRIC, or EXP.METRIC:higher/:lower",
        "tune: the trials run at HEAD, without your changes to params.yaml: commit them (or "
        "stash them) first",
    ]
    assert not (project / "reports").exists()


def test_by_defaults_to_the_first_rule_of_the_searched_experiment(project):
    space, order, _, rules, problems = check(parse_args(["--space", f"{RATE}=choice(0.01,0.1)"]))
    assert problems == []
    metric, rule = next(iter(rules["blobs4"].items()))
    assert order == Order("blobs4", metric, rule.better == "higher")
    assert list(space) == [RATE]


def test_a_metric_heads_metrics_file_lacks_is_one_line(project):
    (project / "metrics").mkdir()
    (project / "metrics" / "blobs4.json").write_text('{"test_accuracy": 0.9, "a": {"b": 1}}')
    space = ["--space", f"{RATE}=choice(0.01,0.1)"]
    assert check(parse_args([*space, "--by", "blobs4.a.b:higher"]))[-1] == []
    problems = check(parse_args([*space, "--by", "blobs4.accurcy:higher"]))[-1]
    assert problems == [
        "BY: metrics/blobs4.json has no metric accurcy; the trials could not be ranked"
    ]


def test_a_trial_read_back_must_have_the_params_the_study_proposes():
    values = {("params", "blobs4", "train", "learning_rate"): 0.01}
    check_read_back("tune-x-3", values, {RATE: 0.01})
    with pytest.raises(StudyError) as caught:
        check_read_back("tune-x-3", values, {RATE: 0.02})
    assert str(caught.value).startswith(
        f"the experiment tune-x-3 has {RATE}=0.01, but the study now proposes 0.02"
    )
