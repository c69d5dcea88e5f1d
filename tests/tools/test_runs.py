"""tools.runs: `dvc exp show --json` as a table of changed params and metrics that fits."""

from tools import runs


def commit(rev, name, params, metrics, experiments=()):
    return {
        "rev": rev,
        "name": name,
        "data": {
            "params": {"params.yaml": {"data": {"experiments": params}}},
            "metrics": {f"metrics/{exp}.json": {"data": values} for exp, values in metrics.items()},
        },
        "error": None,
        "experiments": [{"name": e["name"], "revs": [e]} for e in experiments],
    }


def blobs4(rate, accuracy):
    return {"blobs4": {"train": {"learning_rate": rate, "epochs": 10}, "data": {"seed": 1}}}, {
        "blobs4": {"test_accuracy": accuracy, "test_loss": 0.2}
    }


SHOWN = [
    commit("workspace", None, *blobs4(0.01, 0.93)),
    commit(
        "b" * 40,
        "main",
        *blobs4(0.01, 0.93),
        experiments=[
            commit("c" * 40, "fast-lr", *blobs4(0.03, 0.94)),
            {**commit("d" * 40, "broken", *blobs4(-1, 0.5)), "error": {"msg": "failed"}},
        ],
    ),
    commit("e" * 40, None, *blobs4(0.01, 0.93)),
]


def test_every_run_with_data_is_found_by_name_and_failed_ones_are_left_out():
    found = runs.runs(SHOWN)
    assert list(found) == ["workspace", "main", "fast-lr", "eeeeeee"]
    assert found["fast-lr"][("params", "blobs4", "train", "learning_rate")] == 0.03
    assert found["fast-lr"][("metrics", "blobs4", "test_accuracy")] == 0.94


def test_the_table_keeps_changed_params_and_changed_metrics_under_short_names():
    table = runs.runs_table(runs.runs(SHOWN))
    assert list(table.columns) == ["blobs4 learning_rate", "blobs4 test_accuracy"]
    assert table.loc["fast-lr"].tolist() == [0.03, 0.94]
    every = runs.runs_table(runs.runs(SHOWN), every_metric=True)
    assert list(every.columns) == [
        "blobs4 learning_rate",
        "blobs4 test_accuracy",
        "blobs4 test_loss",
    ]


def test_with_nothing_changed_every_metric_is_shown():
    table = runs.runs_table(runs.runs(SHOWN[:1]))
    assert list(table.columns) == ["blobs4 test_accuracy", "blobs4 test_loss"]


def test_a_label_is_the_shortest_unique_ending_of_its_key():
    keys = [
        ("params", "blobs4", "data", "random_state"),
        ("params", "blobs4", "split", "random_state"),
        ("params", "blobs4", "train", "epochs"),
        ("params", "blobs2", "train", "epochs"),
    ]
    assert [runs.label(key, keys) for key in keys] == [
        "blobs4 data.random_state",
        "blobs4 split.random_state",
        "blobs4 epochs",
        "blobs2 epochs",
    ]


def test_a_wide_table_continues_below_within_the_width():
    found = {
        f"run-{i}": {("metrics", "exp", f"metric_number_{j}"): i / 3 + j for j in range(12)}
        for i in range(3)
    }
    text = runs.render(runs.runs_table(found), width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert text.count("run-2") == len(text.split("\n\n"))  # each block names the runs
    assert "exp metric_number_11" in text and "11.67" in text and "…" not in text


def test_no_runs_says_what_to_do():
    assert runs.render(runs.runs_table({}), 120) == (
        "no runs with params or metrics yet: run `make repro`"
    )


def test_outside_a_dvc_repository_it_says_dvc_s_reason_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert runs.main(["--width", "80"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("runs: dvc exp show failed: ERROR: ")
    assert "not inside of a DVC repository" in err
    assert err.count("\n") == 1
