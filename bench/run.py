"""Run the benchmark and print its Markdown report: ``python -m bench.run [--quick]``.

Every part runs in a temporary copy of the files git tracks (or, for the training, in a
process of its own), so the project's working tree and DVC cache are never touched. The raw
results go beside the report as JSON (bench/results.json), and ``--render`` renders them again.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench import pipeline, report, scale, tables
from bench.repo import run_checked
from bench.stats import import_seconds
from bench.workspace import REPO, commit_all, copy_tracked_files, keep_experiments
from pipeline.cpu import NATIVE_SWITCH, x86_features
from pipeline.files import read_yaml

NOTEBOOK_EXPERIMENTS = ("blobs4", "blobs2", "regression")  # what bench/notebook.py runs
PARTS = ("training", "runs", "edits", "budget", "scale", "kernels", "tables")
FULL_SIZES = (40_000, 400_000, 4_000_000)
QUICK_SIZES = (4_000, 40_000)
TABLE_ROWS, QUICK_TABLE_ROWS = 1_000_000, 20_000  # the tables part's CSV
PACKAGES = (
    "tensorflow-cpu",
    "keras",
    "dvc",
    "scikit-learn",
    "numpy",
    "pandas",
    "pyarrow",
    "matplotlib",
)
_START = time.perf_counter()


def log(message):
    """Progress on stderr, so the report on stdout stays clean."""
    print(f"[bench {time.perf_counter() - _START:6.0f} s] {message}", file=sys.stderr, flush=True)


def _proc_field(path, field):
    for line in Path(path).read_text().splitlines():
        if line.startswith(field):
            return line.split(":", 1)[1].strip()
    return "unknown"


def describe_machine():
    """Date, CPU, cores, memory, load, the project's commit and the packages' versions."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=REPO,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _proc_field("/proc/cpuinfo", "model name"),
        "cores": os.cpu_count(),
        "memory_gb": int(_proc_field("/proc/meminfo", "MemTotal").split()[0]) / 2**20,
        "load": os.getloadavg()[0],
        "commit": commit + (" with uncommitted changes" if dirty else ""),
        "versions": {
            "Python": platform.python_version(),
            **{name: version(name) for name in PACKAGES},
        },
    }


def run_training(workdir, repeats, native=False):
    """Part 1, in a fresh process of its own (``native``: with the CPU's own kernels)."""
    out = Path(workdir) / ("training-native.json" if native else "training.json")
    run_checked(
        [
            sys.executable,
            "-m",
            "bench.training",
            "--params",
            str(REPO / "params.yaml"),
            "--repeats",
            str(repeats),
            "--json",
            str(out),
        ],
        REPO,
        native=native,
    )
    return json.loads(out.read_text())


def time_notebook_imports(workdir, repeats):
    """The notebook script's imports alone (its ``--help`` exits right after them)."""
    imports, tf_imports = [], []
    for _ in range(repeats):
        timed = run_checked(
            [sys.executable, "-X", "importtime", str(pipeline.NOTEBOOK_SCRIPT), "--help"], workdir
        )
        imports.append(import_seconds(timed.stderr))
        tf_imports.append(import_seconds(timed.stderr, scale.TENSORFLOW))
    return {"imports": imports, "tf_imports": tf_imports}


def copy_notebook_project(repo):
    """A copy of the project with only the notebook's three experiments (others are left out,
    so the comparison with the three-experiment script stays fair); returns those left out."""
    copy_tracked_files(repo)
    left_out = keep_experiments(repo, NOTEBOOK_EXPERIMENTS)
    commit_all(repo, "the notebook's experiments only")
    return left_out


def run_whole_runs(workdir, repeats, parts, results):
    """Parts 2-4 in one repository copy: first run, then forced, no-op and edited runs."""
    repo = Path(workdir) / "pipeline"
    repo.mkdir()
    copy_notebook_project(repo)
    log("first dvc repro of a fresh copy (fills the DVC cache)")
    results["first_run"] = pipeline.first_run(repo)
    if "runs" in parts:
        notebook, forced = {"seconds": []}, {"seconds": []}
        for i in range(repeats):  # alternated, so a slow spell of the machine hits both
            log(f"notebook script, run {i + 1} of {repeats}")
            run = pipeline.time_notebook_script(workdir, 1)
            notebook["seconds"] += run["seconds"]
            notebook["printed"] = run["printed"]
            log(f"dvc repro -f, run {i + 1} of {repeats}")
            run = pipeline.time_forced_repro(repo, 1)
            forced["seconds"] += run["seconds"]
            forced["stages"] = run["stages"]
        notebook.update(time_notebook_imports(workdir, repeats))
        results["notebook"], results["forced"] = notebook, forced
        log("no-op dvc repro")
        results["noop"] = pipeline.time_noop_repro(repo, repeats)
    if "edits" in parts:
        if "notebook" not in results:
            log("notebook script (the edits' baseline)")
            results["notebook"] = pipeline.time_notebook_script(workdir, repeats)
        results["edits"] = {}
        for edit in pipeline.EDITS:
            for via in pipeline.VIAS:
                log(f"edit {edit} via {via}")
                results["edits"].setdefault(edit, {})[via] = pipeline.time_edit(
                    repo, edit, via, repeats
                )


def run_stage_parts(workdir, repeats, scale_repeats, sizes, parts, results):
    """The per-stage budget and the scale runs, in a second copy (no DVC involved)."""
    repo = Path(workdir) / "stages"
    repo.mkdir()
    copy_notebook_project(repo)
    if "budget" in parts:
        log("each stage at the notebook's size")
        results["budget"] = scale.measure_stage_budget(repo, repeats)
    if "scale" in parts:
        results["scale"] = {}
        for n in sizes:
            log(f"scale: blobs4 with n_samples={n:,}")
            results["scale"].update(scale.measure_scale(repo, [n], scale_repeats))


def run_kernels(workdir, repeats, scale_repeats, n):
    """Part 1 and the scale chain at ``n``, pinned and, on an AVX-512 CPU, native."""
    features = x86_features()
    repo = Path(workdir) / "kernels"
    repo.mkdir()
    copy_notebook_project(repo)
    results = {"features": None if features is None else sorted(features), "n_samples": n}
    # Without AVX-512 there is no kernel above the AVX2 cap for a native run to pick.
    for side in ("pinned", "native") if features and "avx512f" in features else ("pinned",):
        native = side == "native"
        log(f"kernels, {side}: blobs4 training")
        training = run_training(workdir, repeats, native)
        log(f"kernels, {side}: the scale chain with n_samples={n:,}")
        chain = scale.measure_scale(repo, [n], scale_repeats, native=native)[n]["stages"]
        results[side] = {"training": training, "scale": chain}
    return results


def save_results(path, results, machine, options):
    """The raw results a report renders, as JSON, to render them again (``load_results``)."""
    data = {"machine": machine, "options": options, "results": results}
    Path(path).write_text(json.dumps(data, indent=1) + "\n")


def load_results(path):
    """(results, machine, options) from ``save_results``' JSON, the scale sizes numbers again."""
    data = json.loads(
        Path(path).read_text(),
        object_pairs_hook=lambda pairs: {int(k) if k.isdigit() else k: v for k, v in pairs},
    )
    return data["results"], data["machine"], data["options"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measurement")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: one repeat, scale sizes 4k and 40k, a 20k-row table, no file "
        "unless --out",
    )
    parser.add_argument(
        "--scale-repeats",
        type=int,
        help="runs of each scale size (default --repeats; 4M takes minutes)",
    )
    parser.add_argument(
        "--out",
        help="where the report goes (default bench/results.md; with --render, beside the JSON); "
        "the raw results go beside it as .json",
    )
    parser.add_argument(
        "--render",
        metavar="JSON",
        help="run nothing: render a kept run's raw results (bench/results.json) again",
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"a comma-separated subset of {','.join(PARTS)}"
    )
    args = parser.parse_args()
    if args.render:
        out = args.out or Path(args.render).with_suffix(".md")
        Path(out).write_text(report.render(*load_results(args.render)))
        log(f"report written to {out}")
        return
    parts = set(args.parts.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--parts: unknown {', '.join(sorted(parts - set(PARTS)))}")
    if "kernels" in parts and os.environ.get(NATIVE_SWITCH) == "1":
        parser.error(f"--parts kernels: unset {NATIVE_SWITCH}, or its pinned side runs native")
    repeats = 1 if args.quick else args.repeats
    scale_repeats = 1 if args.quick else (args.scale_repeats or repeats)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    out = args.out or (None if args.quick else str(REPO / "bench" / "results.md"))
    machine = describe_machine()
    machine["left_out"] = [
        name
        for name in read_yaml(REPO / "params.yaml")["experiments"]
        if name not in NOTEBOOK_EXPERIMENTS
    ]
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        if "training" in parts:
            log("part 1: blobs4 training, notebook-style against the pipeline")
            results["training"] = run_training(workdir, repeats)
        if parts & {"runs", "edits"}:
            run_whole_runs(workdir, repeats, parts, results)
        if parts & {"budget", "scale"}:
            run_stage_parts(workdir, repeats, scale_repeats, sizes, parts, results)
        if "kernels" in parts:
            results["kernels"] = run_kernels(workdir, repeats, scale_repeats, sizes[-1])
        if "tables" in parts:
            rows = QUICK_TABLE_ROWS if args.quick else TABLE_ROWS
            log(f"tables: a {rows:,}-row CSV from make experiment to make predict")
            results["tables"] = tables.measure_tables(workdir, rows, repeats, copy_notebook_project)
    options = {"repeats": repeats, "scale_repeats": scale_repeats, "quick": args.quick}
    if out:  # first, so that a report that fails to render can be rendered again once fixed
        save_results(Path(out).with_suffix(".json"), results, machine, options)
    markdown = report.render(results, machine, options)
    print(markdown)
    if out:
        Path(out).write_text(markdown)
        log(f"report written to {out}")


if __name__ == "__main__":
    main()
