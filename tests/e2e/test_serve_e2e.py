"""`make serve` end to end (serve/app.py): real servers on a free port, in a copy of the small
pipeline, answer /predict with `make predict`'s very values and bytes (JSON and CSV, blobs4's
classes and the regression's values), describe the version in /metadata and /openapi.json,
refuse every bad request with `make predict`'s words and keep serving, stop on SIGTERM and
Ctrl-C, refuse to start in one line, and serve the version GTO's tags put in prod."""

import contextlib
import csv
import hashlib
import http.client
import io
import json
import math
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from ruamel.yaml import YAML

from bench.workspace import pipeline_env
from tests.conftest import run

pytestmark = pytest.mark.e2e

START_SECONDS = 60  # the server answers /health in about 1.5 s on 2 cores
STOP_SECONDS = 5
MAX_BODY = 8192  # blobs4's server's --max-body: its test split is about 2 kB as JSON
JSON, CSV = "application/json", "text/csv"
FORM = "application/x-www-form-urlencoded; charset=utf-8"  # curl -d's type, with a parameter
EXPERIMENTS = ("blobs4", "regression")  # a 4-class classifier and a regression


# --- HTTP, with http.client alone -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes

    def json(self):
        assert self.content_type == JSON, (self.content_type, self.body)
        return json.loads(self.body)


def request(port, method, path, body=None, headers=None) -> Answer:
    """One request on its own connection (a bytes body gets a Content-Length, an iterator of
    bytes is sent chunked)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


def unfinished_request(port, headers, sent: list[bytes], chunked: bool) -> Answer:
    """A POST /predict whose body never ends: the headers, then only ``sent`` (as chunks, with
    no last chunk, when ``chunked``); the answer the server gives without the rest."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("POST", "/predict")
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        for part in sent:
            connection.send(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


@dataclass
class Server:
    """A `make serve` process and its port; its output goes to files, read on failure."""

    process: subprocess.Popen
    port: int
    log: Path

    def get(self, path) -> Answer:
        return request(self.port, "GET", path)

    def post(self, body, content_type: str | None = JSON, accept: str | None = None) -> Answer:
        headers = {"Content-Type": content_type} if content_type else {}
        if accept:
            headers["Accept"] = accept
        return request(self.port, "POST", "/predict", body, headers)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start(repo, log: Path, *args) -> Server:
    """`make serve`'s command in ``repo`` on a free port, once /health answers."""
    port = free_port()
    command = [sys.executable, "-m", "serve", *args, "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=repo, env=pipeline_env(), stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process, port, log)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited {process.returncode}:\n{server.output()}"
        try:
            if server.get("/health").status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError(f"no answer on /health within {START_SECONDS} s:\n{server.output()}")


@contextlib.contextmanager
def serving(repo, log: Path, *args) -> Iterator[Server]:
    server = start(repo, log, *args)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
        server.process.wait()


# --- The test split, and what `make predict` writes for it --------------------------------------


@dataclass(frozen=True)
class Split:
    """An experiment's test split (data/<exp>/test.parquet) as rows to predict, and `make
    predict`'s answer for them."""

    table: pd.DataFrame  # every column of the split
    features: list[str]  # x0, x1...: pipeline.datasets' feature columns
    n_classes: int  # its one-hot columns; 0 for a regression
    rows_csv: Path  # the feature columns, as a user's CSV
    predicted: bytes  # what `python -m stages predict` writes for rows_csv
    header: list[str]  # its columns: every class by name, then predicted_<target>
    expected: list[dict]  # its rows, values typed as JSON would give them

    def rows(self, count: int | None = None) -> list[dict]:
        """The first ``count`` rows (all when None) as JSON objects of feature: value."""
        frame = self.table[self.features].head(count) if count else self.table[self.features]
        return [{name: float(row[name]) for name in self.features} for _, row in frame.iterrows()]

    @property
    def target(self) -> str:
        return self.header[-1].removeprefix("predicted_")


def make_predict(repo, weights: str, rows: Path, out: Path, check=True):
    """`make predict`'s command, as the Makefile runs it."""
    command = ["stages", "predict", "--weights", weights, "--rows", str(rows), "--out", str(out)]
    return run([sys.executable, "-m", *command], repo, check=check)


def typed_rows(predicted: bytes, n_classes: int) -> tuple[list[str], list[dict]]:
    """make predict's CSV as {column: value}: numbers as floats (exactly: pandas writes each
    float's shortest repr), a classifier's predicted class as its name."""
    header, *lines = list(csv.reader(io.StringIO(predicted.decode())))
    rows = [
        {
            name: text if n_classes and name == header[-1] else float(text)
            for name, text in zip(header, line, strict=True)
        }
        for line in lines
    ]
    return header, rows


def load_split(repo, name: str, folder: Path) -> Split:
    table = pd.read_parquet(repo / "data" / name / "test.parquet")
    features = [column for column in table.columns if column.startswith("x")]
    n_classes = sum(column.startswith("onehot_") for column in table.columns)
    rows_csv = folder / f"{name}-rows.csv"
    table[features].to_csv(rows_csv, index=False)
    out = folder / f"{name}-predicted.csv"
    make_predict(repo, f"models/{name}/weights.json", rows_csv, out)
    predicted = out.read_bytes()
    header, expected = typed_rows(predicted, n_classes)
    assert len(expected) == len(table) > 0
    return Split(table, features, n_classes, rows_csv, predicted, header, expected)


def csv_of(rows: list[dict], columns: list[str]) -> bytes:
    """Rows as a user's CSV: floats as their repr, None (or a key left out) as an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        cells = [row.get(column) for column in columns]
        writer.writerow(["" if cell is None else cell for cell in cells])
    return out.getvalue().encode()


def json_of(rows: list[dict]) -> bytes:
    return json.dumps(rows).encode()  # inf as Infinity, as Python's json reads it back


# --- Fixtures: one repo copy, and one server per experiment, for the module --------------------


@pytest.fixture(scope="module")
def repo(small_pipeline_template, tmp_path_factory):
    """A private copy of the small pipeline (as small_pipeline, for the whole module)."""
    template, _ = small_pipeline_template
    copy = tmp_path_factory.mktemp("serve") / "repo"
    shutil.copytree(template, copy, symlinks=True)
    return copy


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return tmp_path_factory.mktemp("serve-files")


@pytest.fixture(scope="module")
def splits(repo, files) -> Callable[[str], Split]:
    cache: dict[str, Split] = {}

    def split(name: str) -> Split:
        if name not in cache:
            cache[name] = load_split(repo, name, files)
        return cache[name]

    return split


@pytest.fixture(scope="module")
def servers(repo, files) -> Iterator[Callable[[str], Server]]:
    """Each experiment's server at `--rev HEAD`, started once for the module when first asked
    for: blobs4's with --max-body MAX_BODY, the regression's with the default limit."""
    with contextlib.ExitStack() as stack:
        started: dict[str, Server] = {}

        def server(name: str) -> Server:
            if name not in started:
                limit = ["--max-body", str(MAX_BODY)] if name == "blobs4" else []
                args = ["--name", name, "--rev", "HEAD", *limit]
                started[name] = stack.enter_context(serving(repo, files / f"{name}.log", *args))
            assert started[name].process.poll() is None, started[name].output()
            return started[name]

        yield server


def git_head(repo) -> str:
    return run(["git", "rev-parse", "HEAD"], repo).stdout.strip()


def lock_md5(lock_text: str, path: str) -> str:
    """The md5 dvc.lock records for the output ``path``."""
    lock = yaml.safe_load(lock_text)
    (md5,) = [
        out["md5"]
        for stage in lock["stages"].values()
        for out in stage.get("outs", [])
        if out["path"] == path
    ]
    return md5


# --- 1. Predictions: make predict's values and bytes ---------------------------------------------


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_json_and_csv_rows_get_make_predicts_values(name, servers, splits):
    server, split = servers(name), splits(name)
    if split.n_classes:  # every class by name, then the predicted class
        assert len(split.header) == split.n_classes + 1
        assert {row[split.header[-1]] for row in split.expected} <= set(split.header[:-1])
    else:
        assert split.header == [f"predicted_{split.target}"]

    by_json = server.post(json_of(split.rows()), JSON)
    by_csv = server.post(split.rows_csv.read_bytes(), CSV)
    for answer in (by_json, by_csv):
        assert answer.status == 200, answer.body
        predictions = answer.json()["predictions"]
        assert [list(row) for row in predictions] == [split.header] * len(split.expected)
        assert predictions == split.expected  # floats compared exactly

    # The target column may come with the rows, in any column order: the same predictions.
    columns = [split.target, *reversed(split.features)]
    reordered = split.table[columns].to_csv(index=False).encode()
    answer = server.post(reordered, "text/csv; charset=utf-8")
    assert answer.status == 200, answer.body
    assert answer.json()["predictions"] == split.expected

    # No rows, as make predict with a file of a header alone: no predictions, not an error.
    header_only = ",".join(split.features).encode() + b"\n"
    for body, kind in ((b"[]", JSON), (header_only, CSV)):
        answer = server.post(body, kind)
        assert (answer.status, answer.json()) == (200, {"predictions": []})


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_accept_csv_answers_make_predicts_bytes(name, servers, splits):
    server, split = servers(name), splits(name)
    for body, kind in ((json_of(split.rows()), JSON), (split.rows_csv.read_bytes(), CSV)):
        answer = server.post(body, kind, accept=CSV)
        assert answer.status == 200, answer.body
        assert answer.content_type.split(";")[0] == CSV
        assert answer.body == split.predicted


# --- 2. What the server says of the version it serves -------------------------------------------


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_metadata_names_the_commit_the_weights_and_their_metrics(name, repo, servers, splits):
    server, split = servers(name), splits(name)
    answer = server.get("/metadata")
    assert answer.status == 200
    metadata = answer.json()
    path = yaml.safe_load((repo / "dvc.yaml").read_text())["artifacts"][name]["path"]
    assert path == f"models/{name}/weights.json"
    md5 = lock_md5((repo / "dvc.lock").read_text(), path)
    assert md5 == hashlib.md5((repo / path).read_bytes()).hexdigest()
    metrics = json.loads((repo / "metrics" / f"{name}.json").read_text())
    classes = split.header[:-1] if split.n_classes else None
    assert metadata == {
        "experiment": name,
        "version": None,  # no version of HEAD is registered
        "stage": None,
        "revision": "HEAD",
        "commit": git_head(repo),
        "features": [{"name": feature, "type": "number"} for feature in split.features],
        "target": split.target,
        "classes": classes,
        "model": {"path": path, "md5": md5},
        "metrics": metrics,
    }
    assert split.target in split.table.columns
    # The weights' own shapes agree: one input per feature, one output per class (or one value).
    weights = json.loads((repo / path).read_text())
    assert len(weights["layers"][0]["kernel"]) == len(split.features)
    assert len(weights["layers"][-1]["bias"]) == (split.n_classes or 1)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_openapi_describes_predict_rows_by_feature_name(name, servers, splits):
    server, split = servers(name), splits(name)
    assert server.get("/health") == Answer(200, JSON, b'{"status":"ok"}')
    answer = server.get("/openapi.json")
    assert answer.status == 200
    body = answer.json()["paths"]["/predict"]["post"]["requestBody"]
    assert body["required"] is True
    rows = body["content"][JSON]["schema"]
    assert rows["type"] == "array" and rows["items"]["type"] == "object"
    assert list(rows["items"]["properties"]) == split.features
    assert rows["items"]["required"] == split.features
    assert body["content"][CSV]["schema"]["example"] == ",".join(split.features) + "\n"


# --- 3. Bad requests: refused in make predict's words, and the server goes on ------------------


@dataclass(frozen=True)
class Bad:
    """A refused request: its body, content type, status and detail lines; ``as_csv``: the
    same rows as a CSV file, which `make predict` must refuse with the same lines."""

    body: bytes
    content_type: str | None
    status: int
    lines: list[str] | None  # None: make predict's own (a parser's message)
    as_csv: bytes | None = None


def json_error(body: bytes) -> str:
    """Python's own words for a body json.loads refuses."""
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        return str(error)
    raise AssertionError(f"{body!r} is valid JSON")


def bad_requests(split: Split) -> dict[str, Bad]:
    first, last = split.features[0], split.features[-1]
    listed = ", ".join(split.features)
    rows = split.rows(4)

    def changed(**values) -> list[dict]:
        """The first 4 rows with values changed: {f"{feature}_{row}": value} (rows from 1)."""
        out = [dict(row) for row in rows]
        for key, value in values.items():
            feature, number = key.rsplit("_", 1)
            out[int(number) - 1][feature] = value
        return out

    def both(rows: list[dict], status: int, lines: list[str]) -> tuple[Bad, Bad]:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        as_csv = csv_of(rows, columns)
        return Bad(json_of(rows), JSON, status, lines, as_csv), Bad(as_csv, CSV, status, lines)

    def not_a_feature(column: str) -> str:
        return f"body: column {column!r}: not a feature of the training file (features: {listed})"

    truncated = json_of(rows)[:-7]
    not_utf8 = b'[{"' + first.encode() + b'": "\xff"}]'
    unquoted = csv_of(rows, split.features).replace(b"\n", b'\n"', 1)  # a quote never closed
    no_header = csv_of(rows, split.features).split(b"\n", 1)[1]
    first_values = [str(value) for value in rows[0].values()][:3]

    def wrong_type(kind: str) -> list[str]:
        return [f"content type {kind!r}: expected {JSON} or {CSV}"]

    all_columns = [
        {column: float(value) for column, value in row.items()}
        for _, row in split.table.head(4).iterrows()
    ]
    others = [c for c in split.table.columns if c not in split.features and c != split.target]
    missing = f"body: column {last!r}: missing value at row 2 (a model needs every value)"
    several = changed(**{f"{first}_1": "abc", f"{last}_2": None, f"{last}_3": math.inf})
    several[3][first] = "def"
    cases = {
        "empty JSON body": Bad(b"", JSON, 400, ["body: empty, expected rows as JSON or CSV"]),
        "blank CSV body": Bad(b" \r\n", CSV, 400, ["body: empty, expected rows as JSON or CSV"]),
        "malformed JSON": Bad(
            truncated, JSON, 400, [f"body: not valid JSON ({json_error(truncated)})"]
        ),
        "JSON not UTF-8": Bad(
            not_utf8, JSON, 400, [f"body: not valid JSON ({json_error(not_utf8)})"]
        ),
        "a JSON object, not a list": Bad(
            json.dumps(rows[0]).encode(),
            JSON,
            400,
            ["body: expected a JSON list of rows, each an object of feature: value"],
        ),
        "a JSON list of numbers": Bad(
            json.dumps(list(rows[0].values())).encode(),
            JSON,
            400,
            ["body: expected a JSON list of rows, each an object of feature: value"],
        ),
        "malformed CSV": Bad(unquoted, CSV, 400, None, as_csv=unquoted),
        "CSV without a header": Bad(
            no_header,
            CSV,
            400,
            [f"body: no header row (the first line holds values: {first_values!r}...)"],
            as_csv=no_header,
        ),
        "text/plain": Bad(json_of(rows), "text/plain", 415, wrong_type("text/plain")),
        "a form": Bad(json_of(rows), FORM, 415, wrong_type("application/x-www-form-urlencoded")),
        "no content type": Bad(
            json_of(rows), None, 415, [f"no content type: expected {JSON} or {CSV}"]
        ),
        "JSON integer past float": Bad(
            json_of(rows).replace(repr(rows[0][first]).encode(), b"1" + b"0" * 400, 1),
            JSON,
            422,
            [f"body: column {first!r}: infinite value at row 1"],
        ),
        "JSON key left out of a row": Bad(
            json_of([rows[0], {first: rows[1][first]}, *rows[2:]]), JSON, 422, [missing]
        ),
    }
    for case, (as_json, as_csv) in {
        "a feature missing": both(
            [{k: v for k, v in row.items() if k != last} for row in rows],
            422,
            [f"body: column {last!r}: missing, the model was trained with it"],
        ),
        "an unknown column": both(
            [{**row, "colour": "red"} for row in rows], 422, [not_a_feature("colour")]
        ),
        "the split's other columns": both(
            all_columns, 422, [not_a_feature(column) for column in others]
        ),
        "a text value": both(
            changed(**{f"{first}_2": "abc"}),
            422,
            [f"body: column {first!r}: not a number at row 2 (first: 'abc')"],
        ),
        "a null value": both(changed(**{f"{last}_2": None}), 422, [missing]),
        "an infinite value": both(
            changed(**{f"{first}_3": -math.inf}),
            422,
            [f"body: column {first!r}: infinite value at row 3"],
        ),
        "several problems": both(
            several,
            422,
            [
                f"body: column {first!r}: not a number at rows 1, 4 (first: 'abc')",
                missing,
                f"body: column {last!r}: infinite value at row 3",
            ],
        ),
    }.items():
        cases[f"{case} (JSON)"], cases[f"{case} (CSV)"] = as_json, as_csv
    return cases


BAD_REQUESTS = [
    "empty JSON body",
    "blank CSV body",
    "malformed JSON",
    "JSON not UTF-8",
    "a JSON object, not a list",
    "a JSON list of numbers",
    "malformed CSV",
    "CSV without a header",
    "text/plain",
    "a form",
    "no content type",
    "JSON integer past float",
    "JSON key left out of a row",
    *[
        f"{case} ({kind})"
        for case in (
            "a feature missing",
            "an unknown column",
            "the split's other columns",
            "a text value",
            "a null value",
            "an infinite value",
            "several problems",
        )
        for kind in ("JSON", "CSV")
    ],
]


def make_predicts_lines(repo, folder: Path, table: bytes) -> list[str]:
    """`make predict`'s error lines for ``table`` as a CSV file, the file named as the server
    names a request's rows (``body``)."""
    rows = folder / "refused.csv"
    rows.write_bytes(table)
    refused = make_predict(
        repo, "models/blobs4/weights.json", rows, folder / "never.csv", check=False
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    prefix = f"error: {rows}: "
    lines = refused.stderr.splitlines()
    assert all(line.startswith(prefix) for line in lines), refused.stderr
    assert not (folder / "never.csv").exists()
    return [f"body: {line.removeprefix(prefix)}" for line in lines]


def predicted(answer: Answer, split: Split) -> list:
    """The predicted class (or value) of each row of a 200 answer; for a classifier, the
    classes `make predict` predicts for the same rows (its exact values:
    test_json_and_csv_rows_get_make_predicts_values)."""
    assert answer.status == 200, answer.body
    column = split.header[-1]
    found = [row[column] for row in answer.json()["predictions"]]
    if split.n_classes:
        assert found == [row[column] for row in split.expected[: len(found)]]
    return found


def good_answer(server: Server, split: Split) -> bytes:
    """The server's answer to the split's first 3 rows."""
    answer = server.post(json_of(split.rows(3)))
    assert len(predicted(answer, split)) == 3
    return answer.body


def assert_still_serving(server: Server, split: Split, before: bytes) -> None:
    """A refused request stopped nothing: /health answers, and good rows get the very answer
    they got ``before`` it."""
    assert server.process.poll() is None, server.output()
    assert server.get("/health") == Answer(200, JSON, b'{"status":"ok"}')
    assert good_answer(server, split) == before


def test_the_bad_requests_are_the_listed_ones(splits):
    assert sorted(bad_requests(splits("blobs4"))) == sorted(BAD_REQUESTS)
    assert len(splits("blobs4").features) >= 2  # the cases need a first and a last feature


@pytest.mark.parametrize("case", BAD_REQUESTS)
def test_a_bad_request_is_refused_in_make_predicts_words(case, repo, files, servers, splits):
    server, split = servers("blobs4"), splits("blobs4")
    before = good_answer(server, split)
    bad = bad_requests(split)[case]
    lines = bad.lines
    if bad.as_csv is not None:  # make predict refuses the same rows in the same words
        said = make_predicts_lines(repo, files, bad.as_csv)
        if lines is None:
            assert len(said) == 1 and said[0].startswith("body: not a readable table ("), said
            lines = said
        assert said == lines
    answer = server.post(bad.body, bad.content_type)
    assert (answer.status, answer.json()) == (bad.status, {"detail": lines})
    assert_still_serving(server, split, before)


def padded(body: bytes, size: int) -> bytes:
    """A JSON body made exactly ``size`` bytes long with trailing spaces (still valid JSON)."""
    assert len(body) < size
    return body + b" " * (size - len(body))


def test_a_body_over_max_body_is_413_however_it_comes(servers, splits):
    server, split = servers("blobs4"), splits("blobs4")
    before = good_answer(server, split)
    good = json_of(split.rows())
    answer = server.post(good)
    assert len(predicted(answer, split)) == len(split.expected)
    unpadded = answer.body
    too_large = (413, {"detail": [f"body: larger than the server's limit of {MAX_BODY} bytes"]})

    # At the limit, with a Content-Length and chunked: predicted.
    at_limit = padded(good, MAX_BODY)
    for body in (at_limit, iter([at_limit[:1000], at_limit[1000:]])):
        answer = server.post(body)
        assert (answer.status, answer.body) == (200, unpadded)

    # One byte over: by its Content-Length, and chunked without one.
    over = padded(good, MAX_BODY + 1)
    for body in (over, iter([over[:1000], over[1000:]])):
        answer = server.post(body)
        assert (answer.status, answer.json()) == too_large
        assert_still_serving(server, split, before)

    # Known before the body is there: a Content-Length over the limit, nothing sent after it...
    declared = {"Content-Type": JSON, "Content-Length": str(10 * MAX_BODY)}
    answer = unfinished_request(server.port, declared, [good[:100]], chunked=False)
    assert (answer.status, answer.json()) == too_large
    # ...and chunks past the limit, the last chunk never sent.
    chunked = {"Content-Type": JSON, "Transfer-Encoding": "chunked"}
    answer = unfinished_request(server.port, chunked, [over[:4096], over[4096:]], chunked=True)
    assert (answer.status, answer.json()) == too_large
    assert_still_serving(server, split, before)


# --- 4. Stopping --------------------------------------------------------------------------------


def port_is_free(port: int) -> bool:
    """Nothing listens on ``port``, and a new server may bind it (as uvicorn does: with
    SO_REUSEADDR, past the closed connections' TIME_WAIT)."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    return True


def stopped(server: Server, sent: signal.Signals) -> None:
    """Send ``sent``: the server must exit 0 within STOP_SECONDS, without a traceback."""
    server.process.send_signal(sent)
    try:
        code = server.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"still running {STOP_SECONDS} s after {sent.name}:\n{server.output()}"
        ) from None
    output = server.output()
    assert code == 0, f"{sent.name}: exit code {code}\n{output}"
    assert "Traceback" not in output, output


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_it_stops_on_sigterm_and_ctrl_c(sent, repo, tmp_path, splits):
    split = splits("blobs4")
    with serving(repo, tmp_path / "server.log", "--name", "blobs4", "--rev", "HEAD") as server:
        # A client that keeps its connection open after an answer (HTTP/1.1 keep-alive).
        idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        idle.request("POST", "/predict", json_of(split.rows(3)), {"Content-Type": JSON})
        response = idle.getresponse()
        answered = Answer(response.status, response.getheader("Content-Type"), response.read())
        assert len(predicted(answered, split)) == 3
        try:
            stopped(server, sent)
        finally:
            idle.close()
        assert server.output().splitlines()[0] == (
            f"Serving blobs4 {git_head(repo)[:7]} on http://127.0.0.1:{server.port}"
        )
        assert port_is_free(server.port)


def test_it_stops_on_sigterm_while_a_client_stalls_mid_request(repo, tmp_path):
    with serving(repo, tmp_path / "server.log", "--name", "blobs4", "--rev", "HEAD") as server:
        stalled = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        stalled.putrequest("POST", "/predict")
        stalled.putheader("Content-Type", JSON)
        stalled.putheader("Transfer-Encoding", "chunked")
        stalled.endheaders()
        stalled.send(b"2\r\n[{\r\n")  # a first chunk, then nothing: the body never ends
        time.sleep(0.5)  # the server has the request under way
        try:
            stopped(server, signal.SIGTERM)
        finally:
            stalled.close()
        assert port_is_free(server.port)


# --- 5. Start-up errors -------------------------------------------------------------------------


def refused_start(repo, *args) -> str:
    """`make serve`'s command that must not start: exit code 2 and one `error:` line."""
    command = [sys.executable, "-m", "serve", *args]
    try:
        done = subprocess.run(
            command, cwd=repo, env=pipeline_env(), capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{' '.join(args)}: serving instead of refusing to start") from None
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert done.stdout == "", done.stdout  # no "Serving ..." line: it never served
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: "), line
    return line


def test_startup_errors_are_one_line_and_exit_2(repo):
    artifacts = ", ".join(yaml.safe_load((repo / "dvc.yaml").read_text())["artifacts"])
    stages = ", ".join(yaml.safe_load((repo / ".gto").read_text())["stages"])
    head = ["--rev", "HEAD"]
    cases = [
        (
            ["--name", "nosuch", *head],
            f"error: NAME: 'nosuch' is not an artifact in dvc.yaml (artifacts: {artifacts})",
        ),
        (
            ["--name", "blobs4", "--stage", "prod", *head],
            "error: STAGE=prod and REV=HEAD: give one of them",
        ),
        (
            ["--name", "blobs4", "--stage", "prod"],
            "error: no version of blobs4 in prod: make promote NAME=blobs4 first, or REV=HEAD",
        ),
        (  # no STAGE: prod's version, of which there is none
            ["--name", "blobs4"],
            "error: no version of blobs4 in prod: make promote NAME=blobs4 first, or REV=HEAD",
        ),
        (
            ["--name", "blobs4", "--stage", "live"],
            f"error: STAGE: got 'live', expected one of {stages} (.gto)",
        ),
        (
            ["--name", "blobs4", "--rev", "nosuch"],
            "error: REV: 'nosuch' is not a git revision of this repository",
        ),
        *[
            (
                ["--name", "blobs4", *head, "--port", port],
                f"error: PORT: got {port!r}, expected a whole number from 1 to 65535",
            )
            for port in ("0", "65536", "http")
        ],
    ]
    for args, line in cases:
        assert refused_start(repo, *args) == line


def test_a_port_in_use_is_one_line_and_exit_2(repo):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = refused_start(repo, "--name", "blobs4", "--rev", "HEAD", "--port", str(port))
    assert "PORT" in line and str(port) in line and "in use" in line, line


# --- 6. The version in prod ---------------------------------------------------------------------


def test_stage_prod_serves_the_promoted_version_not_head(small_pipeline, tmp_path, servers, splits):
    repo, split = small_pipeline, splits("blobs4")
    # The test's own rule (gate.yaml's values are the user's): one that any first version passes.
    gate_yaml = YAML()
    rules = gate_yaml.load(repo / "gate.yaml")
    rules["blobs4"] = {"test_accuracy": {"better": "higher", "min": 0}}
    gate_yaml.dump(rules, repo / "gate.yaml")
    run(["git", "commit", "-qam", "the test's rule for blobs4"], repo)  # promote tags HEAD
    promoted = git_head(repo)
    done = run([sys.executable, "-m", "tools.registry", "promote", "--name", "blobs4"], repo)
    assert done.stdout.splitlines()[0] == (
        f"promoted: blobs4 v1.0.0 ({promoted[:7]}) is in prod, was no version in prod"
    )
    promoted_md5 = lock_md5((repo / "dvc.lock").read_text(), "models/blobs4/weights.json")

    # HEAD moves on to other weights: prod must still be v1.0.0's, read through DVC at its tag.
    path = repo / "models" / "blobs4" / "weights.json"
    weights = json.loads(path.read_text())
    weights["layers"][-1]["bias"] = [b + j for j, b in enumerate(weights["layers"][-1]["bias"])]
    path.write_text(json.dumps(weights))
    run(["dvc", "commit", "-f", "-q"], repo)
    run(["git", "commit", "-qam", "other weights"], repo)
    assert lock_md5((repo / "dvc.lock").read_text(), str(path.relative_to(repo))) != promoted_md5
    make_predict(repo, str(path), split.rows_csv, tmp_path / "head.csv")
    assert (tmp_path / "head.csv").read_bytes() != split.predicted  # the change matters

    with serving(repo, tmp_path / "prod.log", "--name", "blobs4", "--stage", "prod") as server:
        metadata = server.get("/metadata").json()
        assert (metadata["version"], metadata["stage"], metadata["revision"]) == (
            "v1.0.0",
            "prod",
            None,
        )
        assert metadata["commit"] == promoted != git_head(repo)
        assert metadata["model"] == {"path": "models/blobs4/weights.json", "md5": promoted_md5}
        assert server.output().splitlines()[0] == (
            f"Serving blobs4 v1.0.0 (prod) on http://127.0.0.1:{server.port}"
        )
        # The same model and answers as `--rev HEAD` in a copy whose HEAD has the promoted
        # weights (the promoted commit is that HEAD and the test's gate.yaml rule).
        rev_head = servers("blobs4")
        described = rev_head.get("/metadata").json()
        for key in ("revision", "version", "stage", "commit"):
            del metadata[key], described[key]
        assert metadata == described
        for body, kind in ((json_of(split.rows()), JSON), (split.rows_csv.read_bytes(), CSV)):
            answer = server.post(body, kind)
            assert len(predicted(answer, split)) == len(split.expected)  # make predict's classes
            assert answer.body == rev_head.post(body, kind).body
            as_csv = server.post(body, kind, accept=CSV)
            assert (as_csv.status, as_csv.body) == (200, rev_head.post(body, kind, CSV).body)
