"""`make serve` measured: start-up, single rows, 10,000 rows, memory; Keras as the anchor.

``python -m bench.serve [--quick]`` (`make bench-serve`), about 3 minutes on 2 cores, from the
repository's root after `make repro`: writes bench/serve.json and bench/serve.md.

The committed `cancer` experiment (30 features, 2 classes) at HEAD, served two ways, one after
the other, each a process of its own on a free port of 127.0.0.1, driven over loopback by a
client in the benchmark's own process:

- **the server**: `python -m serve --name cancer --rev HEAD`, NumPy's forward pass;
- **the anchor**: Keras' `model.predict` on the `models/cancer/model.keras` of the same commit
  (read through DVC) behind the very same FastAPI app (`python -m bench.serve --anchor`).

For each, in this order:

1. **Start-up**: from starting the process until GET /health answers 200 (polled every 10 ms),
   5 starts (2 with `--quick`); the last process is kept for what follows.
2. **Single rows**: POST /predict of one row of data/cancer/test.parquet as JSON, keyed by the
   feature names of the version's weights (as /metadata lists them), by 1, 8 and 32 clients:
   threads, each with its own persistent `http.client.HTTPConnection`, sending its next request
   when the last is answered, for 10 s (2 s) after a 1 s warm-up. Requests per second, p50 and
   p99 latency (nearest rank). What the client costs: its threads' CPU time per request
   (`time.thread_time`), beside the server process's (psutil); both share the machine's cores.
3. **10,000 rows** resampled from the test split (seed 0) in one request, as JSON and as CSV:
   the time to the complete answer over an open connection, 5 runs (2) after one not counted.
4. **Memory and malformed requests**: the process's resident set (psutil) after start-up and
   each phase; then 10,000 requests (2,000) by 8 clients, one in ten malformed (in turn:
   malformed JSON, a missing feature, a text value, a wrong content type), answers counted by
   status. The run fails (exit 1) if a good request got other than 200 or a bad one other than
   its 4xx, on either side, or if the server's resident set grew by more than RSS_BOUND_MB over
   the load. Keras takes about 50 ms a request, so the anchor's load is 1,000 requests (200);
   its memory is shown, not bound: it is TensorFlow's, not the server's.

The goals are the issue's, on 2 cores: a missed one is reported, it does not fail the run.
``--render`` renders a kept run's JSON again, running nothing.
"""

import argparse
import http.client
import itertools
import json
import math
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from pipeline.cpu import pin_kernels  # loads no NumPy: the anchor pins before NumPy loads

NAME, HOST, SEED, ROWS, LOAD_CLIENTS, BAD_EVERY = "cancer", "127.0.0.1", 0, 10_000, 8, 10
CLIENTS = (1, 8, 32)
RSS_BOUND_MB = 20  # how much the server's resident set may grow over the malformed load
JSON, CSV = "application/json", "text/csv"
FULL = dict(starts=5, seconds=10.0, warmup=1.0, runs=5, load=10_000, anchor_load=1_000)
QUICK = dict(starts=2, seconds=2.0, warmup=1.0, runs=2, load=2_000, anchor_load=200)
KINDS = {  # each kind of request in the malformed load, and the status it must get
    "good": 200,
    "malformed JSON": 400,
    "a missing feature": 422,
    "a text value": 422,
    "a wrong content type": 415,
}
GOALS = (  # (goal, limit, True: under it, else at least it, its figure; levels[1]: 8 clients)
    ("start-up (median), s", 2.0, True, lambda r: statistics.median(r["startup_s"])),
    ("requests per second at 8 clients", 1000, False, lambda r: r["levels"][1]["rps"]),
    ("p99 latency at 8 clients, ms", 20.0, True, lambda r: r["levels"][1]["p99_ms"]),
    ("10,000 rows as JSON (median), ms", 200, True, lambda r: statistics.median(r["json"]) * 1e3),
    ("10,000 rows as CSV (median), ms", 200, True, lambda r: statistics.median(r["csv"]) * 1e3),
)
LEVEL_ROWS = (  # the side-by-side rows of each client level: (what, its cell from level())
    ("requests/s", "{rps:,.0f}"),
    ("p50 / p99, ms", "{p50_ms:.1f} / {p99_ms:.1f}"),
    ("CPU us/request, server / client", "{server_cpu_us:,.0f} / {client_cpu_us:,.0f}"),
    ("cores kept busy, server / client", "{server_cores:.2f} / {client_cores:.2f}"),
)
SIDES = {"server": "server (NumPy)", "anchor": "anchor (Keras predict)"}
REPORT = """# `make serve`, measured

Written by `python -m bench.serve` ({machine}).{note} The method is at the end.

## The goals (the issue's, on 2 cores)

{goals}
## Side by side

{sides}
## The malformed load: {load:,} requests to the server, {anchor_load:,} to the anchor

By {LOAD_CLIENTS} clients, one request in {BAD_EVERY} malformed; the answers by status:

{kinds}
The server's resident set grew {growth:.1f} MB over this load (the bound: {RSS_BOUND_MB} MB);
the anchor's {anchor_growth:.1f} MB (not bound). {verdict}

## Method

{method}
"""


def percentile(values, q):
    """The nearest-rank q-th percentile (0 < q <= 100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def spread(values, scale=1.0, digits=2):
    """'median (min-max)' of values times ``scale``."""
    low, mid, high = (v * scale for v in (min(values), statistics.median(values), max(values)))
    return f"{mid:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def rows_json(names, X):
    """Rows as /predict takes JSON: a list of objects keyed by feature name."""
    return json.dumps([dict(zip(names, map(float, row), strict=True)) for row in X]).encode()


def rows_csv(names, X):
    """Rows as CSV under a header of the names, quoted (a name may hold a comma)."""
    lines = [",".join('"' + name.replace('"', '""') + '"' for name in names)]
    return "\n".join(lines + [",".join(map(repr, map(float, row))) for row in X]).encode() + b"\n"


def request_mix(row, count, every=BAD_EVERY):
    """``count`` requests of one row as (kind, body, content type): every ``every``-th is
    malformed, KINDS' malformed kinds in turn."""
    first, good = next(iter(row)), json.dumps([row]).encode()
    missing = json.dumps([{k: v for k, v in row.items() if k != first}]).encode()
    text = json.dumps([{**row, first: "n/a"}]).encode()
    bad = [(good[:-2], JSON), (missing, JSON), (text, JSON), (good, "text/plain")]
    bad = [(kind, *request) for kind, request in zip(list(KINDS)[1:], bad, strict=True)]
    return [
        bad[i // every % 4] if i % every == every - 1 else ("good", good, JSON)
        for i in range(count)
    ]


def tally(mix, answers):
    """{kind: {status: count}} of (index in mix, status, seconds) answers; status 0: none."""
    counts = {}
    for index, status, _ in answers:
        seen = counts.setdefault(mix[index][0], {})
        seen[str(status)] = seen.get(str(status), 0) + 1
    return counts


def level(clients, answers, wall, client_cpu, server_cpu):
    """A client level's figures: its answers, and the CPU seconds each side spent on them."""
    seconds, n = [s for _, _, s in answers], len(answers)
    return dict(
        clients=clients,
        requests=n,
        rps=n / wall,
        p50_ms=percentile(seconds, 50) * 1e3,
        p99_ms=percentile(seconds, 99) * 1e3,
        not_200=sum(status != 200 for _, status, _ in answers),
        server_cpu_us=server_cpu / n * 1e6,
        client_cpu_us=client_cpu / n * 1e6,
        server_cores=server_cpu / wall,
        client_cores=client_cpu / wall,
    )


def goal_rows(results):
    """[goal, limit, the server's figure, met or missed, the anchor's figure] per goal."""
    rows = []
    for goal, limit, under, figure in GOALS:
        server, anchor = figure(results["server"]), figure(results["anchor"])
        met = "met" if (server < limit if under else server >= limit) else "**missed**"
        limit = f"{'under' if under else 'at least'} {limit:,g}"
        rows.append([goal, limit, f"{server:,.2f}", met, f"{anchor:,.2f}"])
    return rows


def growth(side):
    """How many MB a side's resident set grew over the malformed load."""
    return side["rss_mb"]["after the load"] - side["rss_mb"]["after the 10,000 rows"]


def failures(results):
    """The lines that fail the run: unexpected answers (either side), the server's growth."""
    lines = [
        f"{SIDES[side]}, {at['clients']} clients: {at['not_200']:,} single rows not answered 200"
        for side, found in results.items()
        for at in found["levels"]
        if at["not_200"]
    ]
    lines += [
        f"{SIDES[side]}: {n:,} answers to {kind!r} were {status}, not {KINDS[kind]}"
        for side, found in results.items()
        for kind, seen in found["load"].items()
        for status, n in seen.items()
        if status != str(KINDS[kind])
    ]
    if growth(results["server"]) > RSS_BOUND_MB:
        lines.append(f"the server's resident set grew by more than {RSS_BOUND_MB} MB")
    return lines


def side_rows(server, anchor):
    """The side-by-side table: [measure, the server's, the anchor's]."""
    both = (server, anchor)
    rows = [["start-up until /health is 200, s", *(spread(r["startup_s"]) for r in both)]]
    for i, n in enumerate(CLIENTS):
        rows += [
            [f"{n} client{'s' * (n > 1)}: {what}", *(cell.format(**r["levels"][i]) for r in both)]
            for what, cell in LEVEL_ROWS
        ]
    rows += [
        [f"10,000 rows as {k.upper()}, ms", *(spread(r[k], 1e3, 0) for r in both)]
        for k in ("json", "csv")
    ]
    return rows + [
        [f"resident set {p}, MB", *(f"{r['rss_mb'][p]:.1f}" for r in both)]
        for p in server["rss_mb"]
    ]


def kind_rows(results):
    """[kind, expected status, each side's answers by status] per kind of the load."""
    return [
        [
            kind,
            str(status),
            *(
                ", ".join(f"{s}: {n:,}" for s, n in r["load"].get(kind, {}).items()) or "-"
                for r in results.values()
            ),
        ]
        for kind, status in KINDS.items()
    ]


def render(data):
    """The Markdown report of a run's data (bench/serve.json)."""
    from bench.stats import markdown_table as table

    results, m, options = data["results"], data["machine"], data["options"]
    fails = failures(results)
    return REPORT.format(
        machine=f"{m['date']}, {m['cpu']}, {m['cores']} cores, {m['memory_gb']:.0f} GB, load "
        f"{m['load']:.2f} at the start, commit {m['commit']}; "
        + ", ".join(f"{name} {v}" for name, v in m["versions"].items()),
        note=" A `--quick` run: short phases, few runs; no figures to quote." * options["quick"],
        goals=table(["goal", "limit", SIDES["server"], "", SIDES["anchor"]], goal_rows(results)),
        sides=table(["", *SIDES.values()], side_rows(results["server"], results["anchor"])),
        kinds=table(["kind", "expected", *SIDES.values()], kind_rows(results)),
        growth=growth(results["server"]),
        anchor_growth=growth(results["anchor"]),
        verdict=f"**The run failed**: {'; '.join(fails)}."
        if fails
        else "Every answer was as expected.",
        method=__doc__.split("\n\n", 1)[1].strip(),
        RSS_BOUND_MB=RSS_BOUND_MB,
        LOAD_CLIENTS=LOAD_CLIENTS,
        BAD_EVERY=BAD_EVERY,
        **options,
    )


def start(command):
    """A server process, its port, and the seconds until its GET /health answered 200."""
    with socket.socket() as probe:  # a free port
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    began = time.perf_counter()
    process = subprocess.Popen([*command, "--port", str(port)], stdout=subprocess.DEVNULL)
    while process.poll() is None and time.perf_counter() - began < 120:
        connection = http.client.HTTPConnection(HOST, port, timeout=1)
        try:
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process, port, time.perf_counter() - began
        except OSError:
            time.sleep(0.01)
        finally:
            connection.close()
    process.kill()
    sys.exit(f"error: {' '.join(command)} did not answer GET /health (exit code {process.wait()})")


def drive(port, clients, mix, seconds=None):
    """``clients`` threads, each with its own persistent connection, sending the mix's requests
    once each or, for ``seconds``, its first again and again. Every answer as (index in mix,
    status, seconds), the threads' CPU seconds, and the wall time."""
    counter, ready, answers, cpu = itertools.count(), threading.Barrier(clients + 1), [], []

    def client():
        connection, mine = http.client.HTTPConnection(HOST, port, timeout=300), []
        connection.connect()
        ready.wait()
        began = time.thread_time()
        while (i := 0 if seconds else next(counter)) < len(mix) and time.perf_counter() < end:
            _, body, kind = mix[i]
            sent = time.perf_counter()
            try:
                connection.request("POST", "/predict", body, {"Content-Type": kind})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0  # no answer; the connection opens again for the next request
                connection.close()
            mine.append((i, status, time.perf_counter() - sent))
        cpu.append(time.thread_time() - began)
        answers.extend(mine)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    end = began + seconds if seconds else math.inf
    ready.wait()
    for thread in threads:
        thread.join()
    return answers, sum(cpu), time.perf_counter() - began


def measure(command, options, mix, rows, load):
    """Phases 1-4 (the module's docstring) of one side."""
    startup = []
    for run in range(options["starts"]):
        process, port, seconds = start(command)
        startup.append(seconds)
        if run < options["starts"] - 1:
            process.terminate()
            process.wait()
    found, server = {"startup_s": startup, "levels": []}, psutil.Process(process.pid)
    rss = found["rss_mb"] = {"after start-up": server.memory_info().rss / 2**20}
    try:
        for clients in CLIENTS:
            drive(port, clients, mix[:1], options["warmup"])
            before = sum(server.cpu_times()[:2])  # user and system
            answers, client_cpu, wall = drive(port, clients, mix[:1], options["seconds"])
            server_cpu = sum(server.cpu_times()[:2]) - before
            found["levels"].append(level(clients, answers, wall, client_cpu, server_cpu))
        rss["after the single rows"] = server.memory_info().rss / 2**20
        for kind, request in rows.items():  # one run not counted, then the runs
            answers = drive(port, 1, [request] * (options["runs"] + 1))[0]
            if {status for _, status, _ in answers} != {200}:
                sys.exit(f"error: {ROWS:,} rows as {kind}: {[a[1] for a in answers]}, not 200")
            found[kind] = [seconds for _, _, seconds in answers[1:]]
        rss["after the 10,000 rows"] = server.memory_info().rss / 2**20
        found["load"] = tally(mix, drive(port, LOAD_CLIENTS, mix[:load])[0])
        rss["after the load"] = server.memory_info().rss / 2**20
    finally:
        process.terminate()
        process.wait()
    return found


def run(options):
    """Both sides' results, and the machine they ran on."""
    from importlib.metadata import version

    import numpy as np
    import pandas as pd

    from bench.run import describe_machine
    from pipeline.datasets import features
    from serve.version import model_files

    machine = describe_machine()
    machine["versions"].update({name: version(name) for name in ("fastapi", "uvicorn", "psutil")})
    names = [feature["name"] for feature in model_files(NAME, None, "HEAD")[1]["features"]]
    X = features(pd.read_parquet(f"data/{NAME}/test.parquet"))
    many = X[np.random.default_rng(SEED).integers(0, len(X), ROWS)]
    rows = {
        "json": ("rows", rows_json(names, many), JSON),
        "csv": ("rows", rows_csv(names, many), CSV),
    }
    mix = request_mix(dict(zip(names, map(float, X[0]), strict=True)), options["load"])
    commands = {
        "server": ([sys.executable, "-m", "serve", "--rev", "HEAD"], options["load"]),
        "anchor": ([sys.executable, "-m", "bench.serve", "--anchor"], options["anchor_load"]),
    }
    results = {}
    for side, (command, load) in commands.items():
        print(f"bench.serve: the {SIDES[side]}", file=sys.stderr, flush=True)
        results[side] = measure([*command, "--name", NAME], options, mix, rows, load)
    return {"machine": machine, "options": options, "results": results}


def serve_anchor(name, port):
    """The anchor: Keras' model.predict of HEAD's model.keras, behind serve.app's own app."""
    pin_kernels()  # before NumPy and TensorFlow load, as serve/__main__.py does
    import tempfile

    import keras
    import uvicorn
    from dvc.api import DVCFileSystem

    from pipeline.predictions import schema_of
    from serve.app import Served, create_app
    from serve.version import model_files

    weights, metadata = model_files(name, None, "HEAD")
    stored = str(Path(metadata["model"]["path"]).with_name("model.keras"))
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / "model.keras"
        local.write_bytes(DVCFileSystem(".", rev=metadata["commit"]).read_bytes(stored))
        model = keras.saving.load_model(local)
    served = Served(lambda X: model.predict(X, verbose=0), schema_of(weights), metadata)
    uvicorn.run(create_app(served), host=HOST, port=port, log_level="warning", access_log=False)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run; no file unless --out")
    parser.add_argument("--out", help="the report (bench/serve.md); its raw numbers beside, .json")
    parser.add_argument(
        "--render", nargs="?", const="bench/serve.json", help="run nothing: render a kept JSON"
    )
    parser.add_argument("--anchor", action="store_true", help="be the anchor's server")
    parser.add_argument("--name", default=NAME)
    parser.add_argument("--port", type=int)
    args = parser.parse_args(argv)
    if args.anchor:
        return serve_anchor(args.name, args.port)
    if args.render:
        data = json.loads(Path(args.render).read_text())
        out = args.out or Path(args.render).with_suffix(".md")
    else:
        data = run({**(QUICK if args.quick else FULL), "quick": args.quick})
        out = args.out or (None if args.quick else "bench/serve.md")
        if out:  # the JSON first: a report that fails to render can be rendered again
            Path(out).with_suffix(".json").write_text(json.dumps(data, indent=1) + "\n")
    markdown = render(data)
    print(markdown)
    if out:
        Path(out).write_text(markdown)
    for line in failures(data["results"]):
        print(f"error: {line}", file=sys.stderr)
    return 1 if failures(data["results"]) else 0


if __name__ == "__main__":
    sys.exit(main())
