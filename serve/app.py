"""`make serve NAME=<exp> [STAGE=prod | REV=<git rev>] [HOST=127.0.0.1] [PORT=8000]`: a model
version over HTTP, answering as `make predict` does.

The model is the version's weights file (read through DVC at its commit, serve.version) and
pipeline.inference's NumPy forward pass, never TensorFlow, so the server answers /health
1.3 s after it starts, where Keras behind the same app takes 4.3 s (bench/serve.md):

- ``POST /predict``: rows as JSON (a list of objects keyed by feature name) or CSV
  (``text/csv``) -> ``{"predictions": [...]}``, each row's columns as `make predict` writes
  them; with ``Accept: text/csv``, the very bytes `make predict` writes.
- ``GET /health``, ``GET /metadata`` (the experiment, version, stage or revision, features,
  classes, the model's hash in dvc.lock, its metrics); ``GET /docs``: the OpenAPI page.

Every request is untrusted: a body over ``--max-body`` bytes is 413, a content
type other than JSON or CSV 415, a body that is neither 400, and rows that `make
predict` would refuse 422, with one line per problem in its words; none reaches the model.
It binds 127.0.0.1 unless ``--host`` says otherwise.
"""

import argparse
import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from pipeline import inference, predictions
from pipeline.datasets import Schema
from pipeline.errors import InputError, PipelineError
from pipeline.user_table import read_csv_bytes
from serve.version import model_files
from tools.promotion import RegistryError

MAX_BODY = 16 * 1024 * 1024  # bytes: 10,000 rows of the cancer table are 7.8 MiB as JSON
# Past these a request is refused before a table is built: a 16 MiB body of short rows (4M of
# them) or of keys (1M columns) would otherwise take gigabytes and seconds.
MAX_ROWS, MAX_COLUMNS = 100_000, 10_000
MAX_LINES = 20  # problem lines in one answer
JSON, CSV = "application/json", "text/csv"
STOP_SECONDS = 3  # on SIGTERM, what a request under way gets to finish (a stalled one is cut)
SOURCE = "body"  # how problem lines name the request's rows (`make predict` names the file)


@dataclass(frozen=True)
class Served:
    """A model version as the server holds it: its outputs for a feature matrix (class
    probabilities, or n x 1 values), its names, and what /metadata says of it."""

    model: Callable[[Any], Any]
    schema: Schema
    metadata: dict[str, Any]


class Refused(Exception):
    """A request answered with a 4xx status and one line per problem."""

    def __init__(self, status: int, lines: list[str]):
        super().__init__("\n".join(lines))
        self.status, self.lines = status, lines


def load(name: str, stage: str | None, rev: str | None) -> Served:
    """A version of ``name`` in ``stage`` (or at git ``rev``) with the NumPy forward pass."""
    weights, metadata = model_files(name, stage, rev)
    schema = predictions.schema_of(weights)
    return Served(lambda X: inference.predict(weights, X), schema, metadata)


def media_type(header: str | None) -> str:
    """A Content-Type header's media type, lower case, without parameters (charset)."""
    return (header or "").split(";", 1)[0].strip().lower()


def answer(served: Served, body: bytes, content_type: str, wants_csv: bool) -> tuple[bytes, str]:
    """A request's answer (bytes, media type), or Refused: the same checks and predictions as
    `make predict` (pipeline.predictions)."""
    kind = media_type(content_type)
    if kind not in (JSON, CSV):
        given = f"content type {kind!r}" if kind else "no content type"
        raise Refused(415, [f"{given}: expected {JSON} or {CSV}"])
    if not body.strip():
        raise Refused(400, [f"{SOURCE}: empty, expected rows as JSON or CSV"])
    if kind == CSV:
        check_size(csv_rows(body), csv_columns(body))
    try:  # a body that is not JSON or CSV: 400; rows that make predict refuses: 422
        rows = predictions.json_rows(body, SOURCE) if kind == JSON else read_csv_bytes(body, SOURCE)
    except InputError as error:
        raise Refused(400, str(error).splitlines()) from None
    if kind == JSON:
        check_size(len(rows), len(set().union(*rows)))
    try:
        if kind == JSON:
            X = predictions.json_features(rows, served.schema, SOURCE)
        else:
            X = predictions.features(rows, served.schema, SOURCE)
    except InputError as error:
        raise Refused(422, shortened(str(error).splitlines())) from None
    outputs = served.model(X)
    if wants_csv:
        return predictions.table(outputs, served.schema).to_csv(index=False).encode(), CSV
    return orjson.dumps({"predictions": predictions.records(outputs, served.schema)}), JSON


def csv_rows(body: bytes) -> int:
    """How many rows a CSV body has at most: its lines after the header (a quoted field may
    span lines, so never fewer)."""
    return body.count(b"\n") - (1 if body.endswith(b"\n") else 0)


def csv_columns(body: bytes) -> int:
    """How many columns a CSV header has at most, by its widest separator."""
    header = body.split(b"\n", 1)[0]
    return 1 + max(header.count(separator) for separator in (b",", b";", b"\t"))


def check_size(rows: int, columns: int) -> None:
    """Refused (413) past MAX_ROWS rows or MAX_COLUMNS columns, before any table is built."""
    if rows > MAX_ROWS:
        raise Refused(413, [f"{SOURCE}: {rows:,} rows, more than the server's {MAX_ROWS:,}"])
    if columns > MAX_COLUMNS:
        raise Refused(
            413, [f"{SOURCE}: {columns:,} columns, more than the server's {MAX_COLUMNS:,}"]
        )


def shortened(lines: list[str]) -> list[str]:
    """At most MAX_LINES problem lines, then how many more there are."""
    if len(lines) <= MAX_LINES:
        return lines
    return [*lines[:MAX_LINES], f"{SOURCE}: and {len(lines) - MAX_LINES:,} more problems"]


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, or Refused (413) as soon as it is known to exceed ``limit`` bytes:
    from its Content-Length, else while it streams in (chunked). FastAPI's own max_body_size
    answers 413 in plain text, not in this server's one line per problem."""
    too_large = Refused(413, [f"{SOURCE}: larger than the server's limit of {limit} bytes"])
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:  # the client left: nobody reads the answer, nothing to log
        raise Refused(400, [f"{SOURCE}: the client left before sending it whole"]) from None
    return b"".join(chunks)


def request_schema(schema: Schema) -> dict[str, Any]:
    """The OpenAPI description of /predict's body, with the model's feature names."""
    row = {
        "type": "object",
        "properties": {name: {"type": "number"} for name in schema.features},
        "required": list(schema.features),
    }
    header = ",".join(schema.features)
    return {
        "requestBody": {
            "required": True,
            "content": {
                JSON: {"schema": {"type": "array", "items": row, "minItems": 1}},
                CSV: {"schema": {"type": "string", "example": f"{header}\n"}},
            },
        }
    }


def create_app(served: Served, max_body: int = MAX_BODY) -> FastAPI:
    """The FastAPI application serving one model version."""
    described = served.metadata.get("version") or served.metadata.get("revision", "")
    app = FastAPI(
        title=f"{served.metadata['experiment']} {described}".strip(),
        description=f"Predictions of `{served.metadata['experiment']}`, as `make predict` makes",
    )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        # An unknown path (404) or method (405): one line, as every refusal here.
        lines = [f"{request.method} {request.url.path}: {error.detail}"]
        return JSONResponse({"detail": lines}, status_code=error.status_code, headers=error.headers)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metadata")
    async def metadata() -> dict[str, Any]:
        return served.metadata

    @app.post("/predict", openapi_extra=request_schema(served.schema))
    async def predict(request: Request) -> Response:
        try:
            body = await read_body(request, max_body)
            content, kind = answer(
                served,
                body,
                request.headers.get("content-type"),
                media_type(request.headers.get("accept")) == CSV,
            )
        except Refused as refused:
            return JSONResponse({"detail": refused.lines}, status_code=refused.status)
        return Response(content, media_type=kind)

    return app


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="the experiment (dvc.yaml's artifact)")
    parser.add_argument("--stage", default="", help="the version in this stage (default prod)")
    parser.add_argument("--rev", default="", help="else the model at this git revision")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--max-body", default=str(MAX_BODY), help="bytes")
    return parser.parse_args(argv)


def number(key: str, text: str, low: int, high: int) -> int:
    """A whole number from the command line in [low, high], or one line naming the key."""
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise InputError(f"{key}: got {text!r}, expected a whole number from {low} to {high}")
    return int(text)


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port for uvicorn, or one line: taken port, unknown host."""
    bound = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        bound = socket.socket(family, kind, proto)
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        bound.bind(address)
    except (OSError, UnicodeError, ValueError) as error:  # a host name too long: UnicodeError
        if bound is not None:
            bound.close()
        reason = getattr(error, "strerror", None) or error
        raise InputError(f"HOST/PORT: cannot listen on {host}:{port} ({reason})") from None
    return bound


class CutAtShutdown(logging.Filter):
    """Drop the traceback of a request cut when the server stops (uvicorn logs the cut itself,
    in one line): the task was cancelled as asked, it did not fail."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


def stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        port = number("PORT", args.port, 1, 65535)
        max_body = number("--max-body", args.max_body, 1, 2**40)
        served = load(args.name, args.stage or None, args.rev or None)
        bound = listening_socket(args.host, port)
    except (PipelineError, RegistryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # On Ctrl-C or SIGTERM uvicorn stops taking connections, gives the requests under way
    # STOP_SECONDS, then raises the signal again to the handler it found: this one, so that
    # the server ends with exit code 0, not the signal's.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopped)
    logging.getLogger("uvicorn.error").addFilter(CutAtShutdown())
    config = uvicorn.Config(
        create_app(served, max_body),
        # httptools parses HTTP in C, where h11 is Python; asyncio,
        # named, so that an installed uvloop is never picked up without a measurement.
        http="httptools",
        loop="asyncio",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=STOP_SECONDS,
    )
    meta = served.metadata
    shown = meta["version"] or meta["commit"][:7]
    held = f" ({meta['stage']})" if meta["stage"] else ""
    print(f"Serving {meta['experiment']} {shown}{held} on http://{args.host}:{port}", flush=True)
    uvicorn.Server(config).run(sockets=[bound])
    return 0


if __name__ == "__main__":
    sys.exit(main())
