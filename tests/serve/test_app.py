"""serve.app's request handling without a server: status, lines and answers."""

import asyncio
import io
import json

import pandas as pd
import pytest
from starlette.requests import Request

from pipeline import inference, predictions
from serve import app as serve
from tests.pipeline.test_predictions import CLASSIFIER, PROBABILITIES, REGRESSOR

ROWS_CSV = b"petal length,petal width\n1,2\n3,2\n1,2.5\n"


def served(weights):
    return serve.Served(
        lambda X: inference.predict(weights, X),
        predictions.schema_of(weights),
        {"experiment": "flowers", "version": "v1.0.0"},
    )


FLOWERS = served(CLASSIFIER)


def refused(body, content_type=serve.JSON):
    with pytest.raises(serve.Refused) as raised:
        serve.answer(FLOWERS, body, content_type, wants_csv=False)
    return raised.value.status, raised.value.lines


def test_json_rows_get_each_class_probability_and_the_predicted_class():
    body = json.dumps(
        [{"petal length": 1, "petal width": 2}, {"petal width": 2, "petal length": 3}]
    )
    content, kind = serve.answer(FLOWERS, body.encode(), "application/json", wants_csv=False)
    assert kind == serve.JSON
    answer = json.loads(content)["predictions"]
    assert list(answer[0]) == ["setosa", "versicolor", "virginica", "predicted_species"]
    assert [row["predicted_species"] for row in answer] == ["virginica", "setosa"]
    assert [[row[name] for name in ("setosa", "versicolor", "virginica")] for row in answer] == [
        pytest.approx(list(p), rel=1e-12) for p in PROBABILITIES[:2]
    ]


def test_csv_rows_answered_as_csv_are_the_bytes_make_predict_writes():
    content, kind = serve.answer(FLOWERS, ROWS_CSV, "text/csv; charset=utf-8", wants_csv=True)
    frame = predictions.predictions(
        CLASSIFIER, pd.read_csv(io.BytesIO(ROWS_CSV)).to_numpy(), predictions.schema_of(CLASSIFIER)
    )
    assert kind == serve.CSV and content == frame.to_csv(index=False).encode()


def test_a_regression_answers_its_predicted_value():
    regressor = served(REGRESSOR)
    body = json.dumps([{"rooms": 3, "age": 10}]).encode()
    content, _ = serve.answer(regressor, body, serve.JSON, wants_csv=False)
    assert json.loads(content) == {"predictions": [{"predicted_price": -3.5}]}


@pytest.mark.parametrize(
    "body, content_type, status, lines",
    [
        (b"[]", "text/plain", 415, ["content type 'text/plain': expected application/json or text/csv"]),
        (b"[]", None, 415, ["no content type: expected application/json or text/csv"]),
        (b"  \n", serve.JSON, 400, ["body: empty, expected rows as JSON or CSV"]),
        (b"[{", serve.JSON, 400, ["body: not valid JSON (Expecting property name enclosed in double quotes: line 1 column 3 (char 2))"]),
        (b"a,b\n1,2,3\n", serve.CSV, 400, None),
        (b'[{"petal length": 1, "petal width": "wide"}]', serve.JSON, 422, ["body: column 'petal width': not a number at row 1 (first: 'wide')"]),
        (b"petal length,colour\n1,red\n", serve.CSV, 422, [
            "body: column 'colour': not a feature of the training file (features: petal length, petal width)",
            "body: column 'petal width': missing, the model was trained with it",
        ]),
        (b"petal length,petal width\n1,\n", serve.CSV, 422, ["body: column 'petal width': missing value at row 1 (a model needs every value)"]),
    ],
    ids=["text-plain", "no-type", "empty", "bad-json", "bad-csv", "text-value", "columns", "missing"],
)  # fmt: skip
def test_bad_requests_get_a_4xx_and_one_line_per_problem(body, content_type, status, lines):
    got_status, got_lines = refused(body, content_type)
    assert got_status == status
    if lines is None:  # pyarrow's own words for a broken CSV: one line naming the body
        assert len(got_lines) == 1 and got_lines[0].startswith("body: not a readable table (")
    else:
        assert got_lines == lines


def request_with(body: bytes, headers: dict[str, str]) -> Request:
    """A request whose body arrives in chunks of 4 bytes, as ASGI servers hand them over."""
    chunks = [body[i : i + 4] for i in range(0, len(body), 4)] or [b""]

    async def receive():
        chunk = chunks.pop(0) if chunks else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    headers = [(key.encode(), value.encode()) for key, value in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": headers}, receive)


def test_a_body_within_the_limit_is_read_whole():
    request = request_with(b"0123456789", {})
    assert asyncio.run(serve.read_body(request, 10)) == b"0123456789"


@pytest.mark.parametrize("headers", [{"content-length": "11"}, {}], ids=["declared", "chunked"])
def test_a_body_over_the_limit_is_413_declared_or_not(headers):
    with pytest.raises(serve.Refused) as raised:
        asyncio.run(serve.read_body(request_with(b"0123456789a", headers), 10))
    assert raised.value.status == 413
    assert raised.value.lines == ["body: larger than the server's limit of 10 bytes"]


def test_the_openapi_request_schema_names_the_models_features():
    body = serve.request_schema(FLOWERS.schema)["requestBody"]["content"]
    row = body[serve.JSON]["schema"]["items"]
    assert row["required"] == ["petal length", "petal width"]
    assert set(row["properties"]) == {"petal length", "petal width"}
    assert body[serve.CSV]["schema"]["example"] == "petal length,petal width\n"


@pytest.mark.parametrize(
    "header, expected",
    [("Text/CSV; charset=utf-8", "text/csv"), (None, ""), (" application/json ", serve.JSON)],
)
def test_media_type_drops_parameters_and_case(header, expected):
    assert serve.media_type(header) == expected


@pytest.mark.parametrize("text", ["0", "65536", "80a", "-1", ""])
def test_a_bad_port_is_one_line_naming_the_key(text):
    with pytest.raises(serve.InputError) as raised:
        serve.number("PORT", text, 1, 65535)
    assert str(raised.value) == f"PORT: got {text!r}, expected a whole number from 1 to 65535"


@pytest.mark.parametrize(
    "body, content_type, status, first",
    [
        (b'[{"petal length": "\\ud800", "petal width": 1}]', serve.JSON, 422,
         "body: a value nested too deeply, or text that is not Unicode"),
        (b'[{"petal length": ' + b"[" * 990 + b"]" * 990 + b', "petal width": 1}]', serve.JSON,
         422, "body: a value nested too deeply, or text that is not Unicode"),
        (b"petal length,petal width\n" + b"1,2\n" * (serve.MAX_ROWS + 1), serve.CSV, 413,
         f"body: {serve.MAX_ROWS + 1:,} rows, more than the server's {serve.MAX_ROWS:,}"),
        (b"[" + b"{}," * serve.MAX_ROWS + b"{}]", serve.JSON, 413,
         f"body: {serve.MAX_ROWS + 1:,} rows, more than the server's {serve.MAX_ROWS:,}"),
        (",".join(f"c{i}" for i in range(serve.MAX_COLUMNS + 1)).encode() + b"\n", serve.CSV,
         413, f"body: {serve.MAX_COLUMNS + 1:,} columns, more than the server's "
         f"{serve.MAX_COLUMNS:,}"),
    ],
    ids=["lone-surrogate", "nested-cell", "csv-rows", "json-rows", "csv-columns"],
)  # fmt: skip
def test_bodies_that_would_crash_or_swamp_the_server_get_one_line(
    body, content_type, status, first
):
    got_status, got_lines = refused(body, content_type)
    assert (got_status, got_lines) == (status, [first])


def test_problem_lines_stop_at_twenty_and_say_how_many_more():
    row = {"petal length": 1, "petal width": 2, **{f"k{i}": 1 for i in range(25)}}
    status, lines = refused(json.dumps([row]).encode())
    assert status == 422 and len(lines) == serve.MAX_LINES + 1
    assert lines[-1] == "body: and 5 more problems"
