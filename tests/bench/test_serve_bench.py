"""bench.serve's pure parts: percentiles, the request bodies and the malformed mix (checked
against serve.app's own answers), the figures of a client level, the goals' verdicts, what
fails the run, and the report. No timing: the speed targets live in the benchmark alone."""

import json
import subprocess
import sys

import pytest

from bench import serve as bench
from pipeline import inference, predictions
from serve import app
from tests.pipeline.test_predictions import CLASSIFIER, ROWS

ODD_NAMES = {**CLASSIFIER, "features": ["length, in cm", 'the "width"']}


def served(weights):
    schema = predictions.schema_of(weights)
    return app.Served(lambda X: inference.predict(weights, X), schema, {"experiment": "t"})


def status_of(model, body, content_type):
    try:
        app.answer(model, body, content_type, wants_csv=False)
    except app.Refused as refused:
        return refused.status
    return 200


def test_percentile_is_the_nearest_rank():
    values = list(range(100, 0, -1))  # 1..100, unsorted
    assert bench.percentile(values, 50) == 50
    assert bench.percentile(values, 99) == 99
    assert bench.percentile(values, 100) == 100
    assert bench.percentile(values, 0.5) == 1
    assert bench.percentile([7.0], 99) == 7.0
    assert bench.percentile([1, 2, 3, 4], 50) == 2  # the rank ceil(0.5 * 4) = 2, not 2.5


def test_spread_is_the_median_then_the_range():
    assert bench.spread([3.0, 1.0, 2.0]) == "2.00 (1.00-3.00)"
    assert bench.spread([0.2, 0.1], scale=1e3, digits=0) == "150 (100-200)"


def test_json_and_csv_bodies_are_the_same_rows_to_the_server_odd_names_and_all():
    model, names = served(ODD_NAMES), ODD_NAMES["features"]
    as_json = app.answer(model, bench.rows_json(names, ROWS), bench.JSON, wants_csv=False)
    as_csv = app.answer(model, bench.rows_csv(names, ROWS), bench.CSV, wants_csv=False)
    assert as_json == as_csv
    assert len(json.loads(as_json[0])["predictions"]) == len(ROWS)
    assert json.loads(bench.rows_json(names, ROWS[:1])) == [
        {"length, in cm": 1.0, 'the "width"': 2.0}
    ]


def test_one_request_in_ten_is_malformed_each_kind_in_turn():
    mix = bench.request_mix({"a": 1.0, "b": 2.0}, 80)
    kinds = [kind for kind, _, _ in mix]
    assert [i for i, kind in enumerate(kinds) if kind != "good"] == list(range(9, 80, 10))
    assert kinds[9::10] == list(bench.KINDS)[1:] * 2
    assert kinds.count("good") == 72
    assert bench.request_mix({"a": 1.0}, 3, every=2) == [
        ("good", b'[{"a": 1.0}]', bench.JSON),
        ("malformed JSON", b'[{"a": 1.0', bench.JSON),
        ("good", b'[{"a": 1.0}]', bench.JSON),
    ]


def test_each_kind_of_request_gets_its_expected_status_from_the_server():
    model = served(CLASSIFIER)
    row = dict(zip(CLASSIFIER["features"], map(float, ROWS[0]), strict=True))
    mix = bench.request_mix(row, 50)
    seen = {kind: status_of(model, body, kind_of) for kind, body, kind_of in mix}
    assert seen == bench.KINDS
    assert set(bench.KINDS.values()) == {200, 400, 415, 422}


def test_tally_counts_answers_by_kind_and_status():
    mix = bench.request_mix({"a": 1.0}, 20, every=10)
    answers = [(0, 200, 0.1), (1, 200, 0.1), (9, 400, 0.1), (19, 0, 5.0), (2, 500, 0.1)]
    assert bench.tally(mix, answers) == {
        "good": {"200": 2, "500": 1},
        "malformed JSON": {"400": 1},
        "a missing feature": {"0": 1},
    }


def test_a_level_s_figures():
    answers = [(0, 200, s / 1000) for s in range(1, 101)] + [(0, 0, 0.5)]
    figures = bench.level(8, answers, wall=2.0, client_cpu=0.0101, server_cpu=1.01)
    assert figures["clients"] == 8 and figures["requests"] == 101
    assert figures["rps"] == 50.5
    assert figures["p50_ms"] == pytest.approx(51.0)
    assert figures["p99_ms"] == pytest.approx(100.0)
    assert figures["not_200"] == 1
    assert figures["server_cpu_us"] == pytest.approx(10_000)
    assert figures["client_cpu_us"] == pytest.approx(100)
    assert figures["server_cores"] == pytest.approx(0.505)
    assert figures["client_cores"] == pytest.approx(0.00505)


def level(clients, rps, p99, not_200=0):
    return dict(
        clients=clients, requests=1000, rps=rps, p50_ms=1.0, p99_ms=p99, not_200=not_200,
        server_cpu_us=900.0, client_cpu_us=150.0, server_cores=0.9, client_cores=0.15,
    )  # fmt: skip


def side(startup=1.0, rps=1000.0, p99=19.9, rows_s=0.1, grown=0.0, load=None, not_200=0):
    return {
        "startup_s": [startup + 0.5, startup, startup - 0.5],
        "levels": [level(1, rps, 1.0), level(8, rps, p99, not_200), level(32, rps, 40.0)],
        "json": [rows_s] * 3,
        "csv": [rows_s / 2] * 3,
        "rss_mb": {
            "after start-up": 150.0,
            "after the single rows": 160.0,
            "after the 10,000 rows": 200.0,
            "after the load": 200.0 + grown,
        },
        "load": load or {"good": {"200": 9}, "malformed JSON": {"400": 1}},
    }


def results(**server):
    return {"server": side(**server), "anchor": side(startup=6.0, rps=15.0, p99=700.0, grown=-9)}


def test_goals_are_met_at_their_limits_as_the_issue_words_them():
    rows = bench.goal_rows(results(startup=1.99, rps=1000.0, p99=19.99, rows_s=0.1999))
    assert [row[3] for row in rows] == ["met"] * 5
    assert rows[1] == [
        "requests per second at 8 clients",
        "at least 1,000",
        "1,000.00",
        "met",
        "15.00",
    ]
    rows = bench.goal_rows(results(startup=2.0, rps=999.9, p99=20.0, rows_s=0.3))
    assert [row[3] for row in rows] == ["**missed**"] * 4 + ["met"]  # CSV: 0.15 s
    assert rows[0][1:3] == ["under 2", "2.00"]


def test_the_run_fails_on_an_unexpected_answer_or_the_server_s_growth_only():
    assert bench.failures(results(grown=bench.RSS_BOUND_MB)) == []
    assert bench.failures(results(grown=bench.RSS_BOUND_MB + 0.1)) == [
        f"the server's resident set grew by more than {bench.RSS_BOUND_MB} MB"
    ]
    wrong = {"good": {"200": 8, "500": 1}, "a text value": {"422": 1, "400": 2}}
    assert bench.failures(results(load=wrong, not_200=3)) == [
        "server (NumPy), 8 clients: 3 single rows not answered 200",
        "server (NumPy): 1 answers to 'good' were 500, not 200",
        "server (NumPy): 2 answers to 'a text value' were 400, not 422",
    ]


def test_the_report_shows_both_sides_the_goals_the_counts_and_the_verdict():
    machine = {
        "date": "2030-01-01 00:00 UTC", "cpu": "cpu", "cores": 2, "memory_gb": 8.0, "load": 0.1,
        "commit": "abc", "versions": {"Python": "3.11", "fastapi": "1"},
    }  # fmt: skip
    options = {**bench.QUICK, "quick": True}
    text = bench.render({"machine": machine, "options": options, "results": results()})
    assert "2 cores, 8 GB, load 0.10 at the start, commit abc; Python 3.11, fastapi 1)" in text
    assert "A `--quick` run" in text
    assert "| start-up until /health is 200, s | 1.00 (0.50-1.50) | 6.00 (5.50-6.50) |" in text
    assert "| 8 clients: p50 / p99, ms | 1.0 / 19.9 | 1.0 / 700.0 |" in text
    assert "| 8 clients: cores kept busy, server / client | 0.90 / 0.15 | 0.90 / 0.15 |" in text
    assert "| 10,000 rows as CSV, ms | 50 (50-50) | 50 (50-50) |" in text
    assert "| resident set after the load, MB | 200.0 | 191.0 |" in text
    assert "| malformed JSON | 400 | 400: 1 | 400: 1 |" in text
    assert "| a wrong content type | 415 | - | - |" in text
    assert "grew 0.0 MB over this load (the bound: 20 MB)" in text
    assert "Every answer was as expected." in text
    assert "## Method" in text and "nearest rank" in text
    failed = bench.render({"machine": machine, "options": options, "results": results(grown=50)})
    assert "**The run failed**: the server's resident set grew by more than 20 MB." in failed


def test_the_anchor_s_process_loads_no_numpy_before_it_pins_the_kernels():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bench.serve; print('numpy' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "False"
