"""The model registry end to end (docs/registry.md): `make promote` tags a model only when the
gate finds it significantly better than the version in the stage, refuses a worse one and a
reseeded one (within noise), rolls back in one command, and `make serve STAGE=prod` serves
the version the tags say, answering as `make predict` does."""

import http.client
import json
import socket
import subprocess
import sys
import time

import pytest
from ruamel.yaml import YAML

from bench.workspace import pipeline_env
from tests.conftest import run

pytestmark = pytest.mark.e2e

# The test's own rules for blobs4 (gate.yaml is the user's file: never its values of today).
RULES = {
    "test_accuracy": {
        "better": "higher",
        "max_drop": 0.01,
        "significant_at": 0.05,
        "beats": "majority_accuracy",
    }
}
# 200 test points: enough for McNemar's test to tell 1 epoch from 20.
DATA = ["-S", "experiments.blobs4.data.n_samples=1000"]


def registry(repo, *args, check=True):
    return run([sys.executable, "-m", "tools.registry", *args], repo, check=check)


def promote(repo, *args):
    return registry(repo, "promote", "--name", "blobs4", *args, check=False)


def train(repo, message, *settings):
    """A run of blobs4 with ``settings`` (dvc exp run -S), committed."""
    run(["dvc", "exp", "run", *DATA, *[arg for s in settings for arg in ("-S", s)]], repo)
    run(["git", "add", "-A"], repo)
    run(["git", "commit", "-qm", message], repo)
    return run(["git", "rev-parse", "HEAD"], repo).stdout.strip()


def tags(repo) -> list[str]:
    return run(["git", "tag", "--list"], repo).stdout.split()


def with_rules(repo) -> None:
    yaml = YAML()
    gate = yaml.load(repo / "gate.yaml")
    gate["blobs4"] = RULES
    yaml.dump(gate, repo / "gate.yaml")
    run(["git", "commit", "-qam", "the test's rules for blobs4"], repo)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(port, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def served(repo, *args):
    """`make serve`'s command in ``repo``, once /health answers."""
    port = free_port()
    command = [sys.executable, "-m", "serve", "--name", "blobs4", "--port", str(port)]
    server = subprocess.Popen([*command, *args], cwd=repo, env=pipeline_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(port, "GET", "/health")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise AssertionError("the server did not answer /health within 60 s")


def test_promote_refuse_rollback_and_serve_the_stage(small_pipeline, tmp_path):
    repo = small_pipeline
    with_rules(repo)
    weak = train(repo, "blobs4 for 1 epoch", "experiments.blobs4.train.epochs=1")

    # The first version is judged by the rules that need no base: it beats the majority class.
    first = promote(repo)
    assert first.returncode == 0, first.stderr
    assert "promoted: blobs4 v1.0.0" in first.stdout and "no version in prod" in first.stdout
    assert {"blobs4@v1.0.0", "blobs4#prod#1"} <= set(tags(repo))

    trained = train(repo, "blobs4 for 20 epochs", "experiments.blobs4.train.epochs=20")
    better = promote(repo)
    assert better.returncode == 0, better.stderr
    assert "promoted: blobs4 v1.1.0" in better.stdout and "significantly better" in better.stdout

    # A new training seed alone: a change within noise is no improvement, and no tag is written.
    before = tags(repo)
    train(repo, "blobs4 reseeded", "experiments.blobs4.train.seed=1")
    reseeded = promote(repo)
    assert reseeded.returncode == 1
    (line,) = reseeded.stderr.splitlines()
    assert line.startswith("refused, v1.1.0 in prod stays: blobs4 test_accuracy: ")
    assert "not significantly better" in line
    assert tags(repo) == before

    # Back to one epoch: the gate's own failure line, and no tag.
    train(repo, "blobs4 for 1 epoch again", "experiments.blobs4.train.epochs=1")
    worse = promote(repo)
    assert worse.returncode == 1
    assert "more than max_drop 0.01" in worse.stderr
    assert tags(repo) == before

    # The rollback: v1.0.0 was in prod before, so it goes back without a judgement.
    rollback = promote(repo, "--version", "v1.0.0")
    assert rollback.returncode == 0, rollback.stderr
    assert "rolled back: blobs4 v1.0.0 is in prod again, was v1.1.0 in prod" in rollback.stdout
    shown = registry(repo, "show").stdout.splitlines()
    assert max(len(line) for line in shown) <= 120
    rows = {line.split()[1]: line for line in shown if line.startswith("blobs4 ")}
    assert rows["v1.0.0"].split()[2:4] == ["prod", weak[:7]]
    assert rows["v1.1.0"].split()[2] == trained[:7]
    # Every assignment in the tags was allowed by the gate (what CI checks on pushed tags).
    checked = registry(repo, "check").stdout.strip()
    assert checked == "registry: 2 promotions judged, 0 not allowed by the gate"

    # make serve STAGE=prod serves v1.0.0, answering as make predict does with its weights.
    run(["dvc", "get", ".", "models/blobs4/weights.json", "--rev", "blobs4@v1.0.0", "-o",
         str(tmp_path / "v1.json")], repo)  # fmt: skip
    rows_csv = tmp_path / "rows.csv"
    rows_csv.write_text("x0,x1\n0.5,-1.25\n3,4\n-2.5,0\n")
    out = tmp_path / "predicted.csv"
    run([sys.executable, "-m", "stages", "predict", "--weights", str(tmp_path / "v1.json"),
         "--rows", str(rows_csv), "--out", str(out)], repo)  # fmt: skip
    server, port = served(repo, "--stage", "prod")
    try:
        status, metadata = request(port, "GET", "/metadata")
        assert status == 200
        metadata = json.loads(metadata)
        assert (metadata["version"], metadata["stage"], metadata["commit"]) == (
            "v1.0.0",
            "prod",
            weak,
        )
        headers = {"Content-Type": "text/csv", "Accept": "text/csv"}
        status, answer = request(port, "POST", "/predict", rows_csv.read_bytes(), headers)
        assert status == 200 and answer == out.read_bytes()
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0


def test_promotion_errors_are_one_line_and_write_no_tag(small_pipeline):
    repo = small_pipeline
    cases = [
        (["--name", "nosuch"], "error: NAME: 'nosuch' is not an artifact in dvc.yaml"),
        (["--name", "blobs4", "--stage", "production"], "error: STAGE: got 'production'"),
        (["--name", "blobs4", "--version", "v9.0.0"], "error: VERSION: blobs4 has no version"),
    ]
    for args, start in cases:
        done = registry(repo, "promote", *args, check=False)
        assert done.returncode == 2 and done.stderr.startswith(start), done.stderr
        assert len(done.stderr.splitlines()) == 1
    # A run not committed yet: HEAD is what would be judged and tagged, so say so.
    metrics = repo / "metrics" / "blobs4.json"
    metrics.write_text(metrics.read_text().replace("{", '{"touched": 1, ', 1))
    done = registry(repo, "promote", "--name", "blobs4", check=False)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: the promotion judges and tags the model at HEAD, without your changes to "
        "metrics/blobs4.json: commit them (or stash them) first"
    )
    assert tags(repo) == []


def test_a_tag_written_past_the_gate_fails_the_check(small_pipeline):
    repo = small_pipeline
    with_rules(repo)
    train(repo, "blobs4 for 20 epochs", "experiments.blobs4.train.epochs=20")
    assert promote(repo).returncode == 0
    train(repo, "blobs4 for 1 epoch", "experiments.blobs4.train.epochs=1")
    # By hand, as `gto assign` would do it: the worse model into prod.
    run(["gto", "assign", "blobs4", "HEAD", "--stage", "prod"], repo)
    checked = registry(repo, "check", check=False)
    assert checked.returncode == 1
    assert "blobs4#prod#" in checked.stderr and "not allowed by the gate" in checked.stderr
    assert "more than max_drop 0.01" in checked.stderr
