"""The benchmark's Markdown report: the targets first, then each part, then where the time goes."""

from bench.stats import growth_exponent, markdown_table, median, ratio, runs, seconds, verdict
from pipeline.cpu import NATIVE_SWITCH
from pipeline.settings import BYTES_PER_VALUE, MAX_VALUES

# The targets.
TRAINING_SPEEDUP = 5.0
COLD_RATIO = 1.0
NOOP_SECONDS = 1.5
EDIT_RATIOS = {"epochs": 0.35, "grid": 0.2}
LINEAR_EXPONENT = 1.1  # "linear, not worse", with room for timing noise
PEAK_MB = 2048
BEYOND_IMPORTS_SECONDS = 1.0
# Issue #23: after an edit, the seconds until the command ends spent outside the train stage
# (the epochs edit), or in all (the plot edit, which trains nothing).
EDIT_LOOP_SECONDS = {"epochs": 6.0, "grid": 5.0}

EDIT_LABELS = {
    "epochs": ("blobs4 `train.epochs` edited", "new `metrics/blobs4.json`"),
    "grid": ("blobs4 `plot.grid_points` edited", "new `plots/blobs4/decision_boundary.png`"),
}
VIA_LABELS = {"repro": "params.yaml edited, `dvc repro`", "exp": "`dvc exp run -S`"}


def _median(part, key="seconds"):
    return median(part[key]) if part else None


def training_speedup(training):
    return median(training["notebook_seconds"]) / median(training["pipeline_seconds"])


def scale_exponents(scale, key):
    """Each stage's growth exponent of ``key`` (seconds or peak_mb) between the two largest n."""
    n_small, n_large = sorted(scale)[-2:]
    return {
        stage: growth_exponent(
            n_small,
            median(scale[n_small]["stages"][stage][key]),
            n_large,
            median(scale[n_large]["stages"][stage][key]),
        )
        for stage in scale[n_large]["stages"]
    }


def beyond_imports(row):
    """The median over runs of a stage's wall time less its import time."""
    return median([s - i for s, i in zip(row["seconds"], row["imports"], strict=True)])


def target_rows(results):
    """(target, measured, limit, met) for every target the results can answer."""
    rows = []
    notebook = _median(results.get("notebook"))
    if "training" in results:
        training = results["training"]
        speedup = training_speedup(training)
        rows.append(
            (
                "blobs4 training, pipeline against notebook-style `model.fit`",
                f"{speedup:.1f}x faster",
                f">= {TRAINING_SPEEDUP:.0f}x",
                speedup >= TRAINING_SPEEDUP,
            )
        )
        identical = training["weights_identical"]
        rows.append(
            ("the same weights, bit for bit", "yes" if identical else "no", "identical", identical)
        )
    if notebook and "forced" in results:
        cold = _median(results["forced"]) / notebook
        rows.append(
            (
                "cold `dvc repro -f` / notebook script",
                ratio(cold),
                f"<= {COLD_RATIO}",
                cold <= COLD_RATIO,
            )
        )
    if "noop" in results:
        noop = _median(results["noop"])
        rows.append(
            ("no-op `dvc repro`", f"{noop:.2f} s", f"<= {NOOP_SECONDS} s", noop <= NOOP_SECONDS)
        )
    for edit, limit in EDIT_RATIOS.items():
        for via, part in results.get("edits", {}).get(edit, {}).items():
            if notebook:
                value = _median(part) / notebook
                what, output = EDIT_LABELS[edit]
                rows.append(
                    (
                        f"{what} ({VIA_LABELS[via]}): {output} / notebook script",
                        ratio(value),
                        f"<= {limit}",
                        value <= limit,
                    )
                )
    if len(results.get("scale", {})) >= 2:
        scale = results["scale"]
        n_small, n_large = sorted(scale)[-2:]
        exponents = scale_exponents(scale, "seconds")
        worst = max(exponents, key=exponents.get)
        rows.append(
            (
                f"time growth from n={n_small:,} to {n_large:,} (worst stage)",
                f"{worst}: n^{exponents[worst]:.2f}",
                f"<= n^{LINEAR_EXPONENT}",
                exponents[worst] <= LINEAR_EXPONENT,
            )
        )
        peaks = {stage: max(row["peak_mb"]) for stage, row in scale[n_large]["stages"].items()}
        worst = max(peaks, key=peaks.get)
        rows.append(
            (
                f"peak memory per stage at n={n_large:,} (worst stage)",
                f"{worst}: {peaks[worst]:.0f} MB",
                f"<= {PEAK_MB} MB",
                peaks[worst] <= PEAK_MB,
            )
        )
        files = ", ".join(
            f"{name.rsplit('/', 1)[-1]} {size / 1e6:.0f} MB"
            for name, size in scale[n_large]["files"].items()
            if name.startswith("data/") and size > 1e5
        )
        rows.append(
            (
                f"data files at n={n_large:,}",
                files or "-",
                "a format that stays fast (see the stage times)",
                None,
            )
        )
    for edit, limit in EDIT_LOOP_SECONDS.items():
        part = results.get("edits", {}).get(edit, {}).get("repro")
        if part:
            value = outside_training(part)
            where = "outside training" if edit == "epochs" else "until the command ends"
            rows.append(
                (
                    f"{EDIT_LABELS[edit][0]}, `dvc repro`: seconds {where}",
                    f"{value:.2f} s",
                    f"<= {limit:.0f} s",
                    value <= limit,
                )
            )
    if "budget" in results:
        extra = {stage: beyond_imports(row) for stage, row in results["budget"].items()}
        worst = max(extra, key=extra.get)
        rows.append(
            (
                "time beyond imports per stage at the notebook's size (worst stage)",
                f"{worst}: {extra[worst]:.2f} s",
                f"<= {BEYOND_IMPORTS_SECONDS} s",
                extra[worst] <= BEYOND_IMPORTS_SECONDS,
            )
        )
    return rows


def header(machine, options):
    cpu = f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']:.0f} GB RAM"
    versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
    return (
        f"# Benchmark: the pipeline against the notebook\n\n"
        f"Run on {machine['date']} on {cpu} (load average {machine['load']:.2f} at the "
        f"start); project commit {machine['commit']}. {versions}. Medians of "
        f"{options['repeats']} run(s) each, {options['scale_repeats']} per scale size"
        f"{' (quick mode)' if options['quick'] else ''}. Benchmarked: the notebook's three "
        f"experiments (blobs4, blobs2, regression)"
        + (
            f"; left out of the copies: {', '.join(machine['left_out'])}"
            if machine.get("left_out")
            else ""
        )
        + ".\n"
    )


def section_targets(results):
    rows = [
        (what, measured, limit, verdict(met)) for what, measured, limit, met in target_rows(results)
    ]
    return "## Targets\n\n" + markdown_table(["target", "measured", "limit", "met"], rows)


def section_training(training):
    notebook, pipeline = median(training["notebook_seconds"]), median(training["pipeline_seconds"])
    rows = [
        (
            "notebook-style `model.fit`: one step per call, validation every epoch",
            seconds(notebook),
            runs(training["notebook_seconds"]),
            "1.0x",
        ),
        (
            "the pipeline's `train_model`: one call per epoch (`steps_per_execution`)",
            seconds(pipeline),
            runs(training["pipeline_seconds"]),
            ratio(notebook / pipeline),
        ),
    ]
    return (
        f"## 1. blobs4 training ({training['steps']:,} SGD steps: batch "
        f"{training['batch_size']}, {training['epochs']} epochs)\n\n"
        "Build, compile and fit a fresh model, in one process; TensorFlow's import (the "
        "same for both) is not counted.\n\n"
        + markdown_table(["training", "median s", "runs", "speed-up"], rows)
        + "\nWeights bit-identical in every run: "
        f"{'yes' if training['weights_identical'] else 'NO'}; the pipeline's generate and "
        f"split give the notebook's arrays: {'yes' if training['data_identical'] else 'NO'}.\n"
    )


def section_runs(results):
    notebook = _median(results.get("notebook"))
    rows = []

    def add(label, part, key="seconds"):
        value = median(part[key])
        rows.append(
            (label, seconds(value), runs(part[key]), ratio(value / notebook) if notebook else "-")
        )

    if "notebook" in results:
        add("notebook script: the three experiments in one process", results["notebook"])
    if "first_run" in results:
        rows.append(
            (
                "first `dvc repro` of a fresh copy (empty DVC cache)",
                seconds(results["first_run"]["seconds"]),
                "1 run",
                ratio(results["first_run"]["seconds"] / notebook) if notebook else "-",
            )
        )
    if "forced" in results:
        add(
            f"cold `dvc repro -f`: {len(results['forced']['stages'])} stages, a process each",
            results["forced"],
        )
    if "noop" in results:
        add("no-op `dvc repro` (everything up to date)", results["noop"])
    for edit, by_via in results.get("edits", {}).items():
        what, output = EDIT_LABELS[edit]
        for via, part in by_via.items():
            add(f"{what}, {VIA_LABELS[via]}: until {output}", part)
            add(f"{what}, {VIA_LABELS[via]}: until the command ends", part, "done_seconds")
    notes = [
        f"{EDIT_LABELS[edit][0]} ({VIA_LABELS[via]}) ran {', '.join(part['stages'])}."
        for edit, by_via in results.get("edits", {}).items()
        for via, part in by_via.items()
    ]
    if "printed" in results.get("notebook", {}):
        notes.append(
            "The notebook script printed: " + "; ".join(results["notebook"]["printed"]) + "."
        )
    if "edits" in results:
        notes.append(
            "Each edit alternates between two values and starts from a committed "
            "workspace with DVC's run cache emptied, so every run computes its value as "
            "if it were new. Editing params.yaml and running `dvc repro` is the "
            "like-for-like loop (edit the notebook, rerun it); `dvc exp run -S` also "
            "records the run as an experiment."
        )
    text = "## 2-4. Whole runs, each command a fresh process\n\n" + markdown_table(
        ["run", "median s", "runs", "/ notebook script"], rows
    )
    if notes:
        text += "\n" + "".join(f"- {note}\n" for note in notes)
    return text


def section_scale(scale):
    sizes = sorted(scale)
    stages = list(scale[sizes[-1]]["stages"])
    time_exp = scale_exponents(scale, "seconds") if len(sizes) >= 2 else {}
    mem_exp = scale_exponents(scale, "peak_mb") if len(sizes) >= 2 else {}
    headers = (
        ["stage"]
        + [f"n={n:,} s" for n in sizes]
        + ["time ~ n^k"]
        + [f"n={n:,} peak MB" for n in sizes]
        + ["memory ~ n^k"]
    )
    rows = []
    for stage in stages:
        row = [stage] + [seconds(median(scale[n]["stages"][stage]["seconds"])) for n in sizes]
        row.append(f"{time_exp[stage]:.2f}" if stage in time_exp else "-")
        row += [f"{max(scale[n]['stages'][stage]['peak_mb']):.0f}" for n in sizes]
        row.append(f"{mem_exp[stage]:.2f}" if stage in mem_exp else "-")
        rows.append(row)
    files = scale[sizes[-1]]["files"]
    file_rows = [(name, f"{size / 1e6:.1f}") for name, size in files.items()]
    return (
        f"## 5. Scale: blobs4 with n_samples {', '.join(f'{n:,}' for n in sizes)} "
        "(batch 256, every stage on its own)\n\n"
        "Wall time (median) and peak resident memory (largest run) of each stage's process; "
        "k is the log-log slope between the two largest n (1 = linear).\n\n"
        + markdown_table(headers, rows)
        + f"\nFiles at n={sizes[-1]:,}:\n\n"
        + markdown_table(["file", "MB"], file_rows)
    )


def section_kernels(kernels):
    """Part 1 and the largest scale chain, pinned against native where both were measured."""
    sides = [side for side in ("pinned", "native") if side in kernels]
    both = len(sides) == 2

    def compare(values, show):
        cells = [show(value) for value in values]
        return cells + [ratio(values[0] / values[1])] if both else cells

    ratio_column = ["pinned / native"] if both else []
    headers = [
        "run",
        *[f"{side} s" for side in sides],
        *ratio_column,
        *[f"{side} peak MB" for side in sides],
        *ratio_column,
    ]
    rows = []
    for key, label in (
        ("pipeline", "the pipeline's `train_model`"),
        ("notebook", "notebook-style `model.fit`"),
    ):
        times = [median(kernels[side]["training"][f"{key}_seconds"]) for side in sides]
        # One process trains both ways after its imports: its peak is not one fit's.
        rows.append(
            [
                f"blobs4 training: {label}",
                *compare(times, seconds),
                *["-"] * (len(sides) + len(ratio_column)),
            ]
        )
    for stage in kernels["pinned"]["scale"]:
        times = [median(kernels[side]["scale"][stage]["seconds"]) for side in sides]
        peaks = [max(kernels[side]["scale"][stage]["peak_mb"]) for side in sides]
        rows.append(
            [
                f"`{stage}` at n={kernels['n_samples']:,}",
                *compare(times, seconds),
                *compare(peaks, "{:.0f}".format),
            ]
        )
    features = kernels["features"]
    if both:
        pinned, native = (kernels[side]["training"]["weights_sha256"] for side in sides)
        note = "The pipeline's blobs4 weights, native against pinned: " + (
            f"bit-identical in every run (SHA-256 {pinned[0][:16]}...)."
            if len(set(pinned + native)) == 1
            else f"NOT bit-identical (pinned {', '.join(d[:16] for d in pinned)}; "
            f"native {', '.join(d[:16] for d in native)})."
        )
    elif features is None:
        note = "Native not measured: this CPU's features could not be read."
    else:
        note = "Native not measured: this CPU has no AVX-512."
    found = "unknown" if features is None else "+".join(features) or "none"
    return (
        "## What pinning the CPU kernels costs\n\n"
        "blobs4's training (part 1) and the scale chain at the largest n (part 5), with the "
        "kernels pinned by `pipeline.cpu` (AVX2 + FMA, one thread: the default) and native "
        f"(`{NATIVE_SWITCH}=1`, no cap inherited). This CPU: {found}. Wall time (median) "
        "and peak resident memory (largest run); pinned / native above 1x is what the "
        "pinning costs.\n\n" + markdown_table(headers, rows) + f"\n{note}\n"
    )


def edit_loop_rows(edit, part, budget):
    """(what, import s, own work s, s in the run) for each stage an edit ran: its imports and
    own work timed on its own (the budget part), its seconds as DVC's log timed it in the edit's
    own runs; then DVC's share, what each run took beyond its stages."""
    rows = []
    for stage in part["stages"]:
        row = budget[stage]
        wall, imports = median(row["seconds"]), median(row["imports"])
        in_run = median([run[stage] for run in part["stage_seconds"]])
        rows.append((f"`{stage}`", seconds(imports), seconds(wall - imports), seconds(in_run)))
    dvc_share = beyond_stages(part, lambda stage: True)
    rows.append(("DVC, before, between and after the stages", "-", "-", seconds(dvc_share)))
    rows.append(
        (f"the command, {EDIT_LABELS[edit][0]}", "-", "-", seconds(median(part["done_seconds"])))
    )
    return rows


def beyond_stages(part, counted):
    """The median over an edit's runs of each run's seconds less its ``counted`` stages' own."""
    return median(
        [
            done - sum(s for stage, s in run.items() if counted(stage))
            for done, run in zip(part["done_seconds"], part["stage_seconds"], strict=True)
        ]
    )


def outside_training(part):
    """Seconds of an edit's `dvc repro` outside its train stages (all of it if none ran)."""
    return beyond_stages(part, lambda stage: stage.startswith("train@"))


def section_edit_loop(results):
    """Each stage an edit reran: its imports, its own work; and DVC's time around them."""
    budget, text = results["budget"], "## The edit loop, stage by stage\n\n"
    text += (
        "Each edit's `dvc repro` (params.yaml edited) with DVC's log on (`-v`), which times each "
        "stage inside the run; beside it, each stage's imports and own work timed on its own (the "
        "stage table below). DVC's share is what each run took beyond its stages; outside "
        "training is what it took beyond its train stage. Medians over the runs.\n\n"
    )
    for edit, by_via in results["edits"].items():
        part = by_via.get("repro")
        if part is None or not all(stage in budget for stage in part["stages"]):
            continue
        text += markdown_table(
            ["", "imports s (on its own)", "own work s (on its own)", "in the run s"],
            edit_loop_rows(edit, part, budget),
        )
        limit = EDIT_LOOP_SECONDS[edit]
        value = outside_training(part)
        where = "outside training" if edit == "epochs" else "in all"
        text += f"\n{where}: {value:.2f} s (target <= {limit:.0f} s: {verdict(value <= limit)})\n\n"
    return text


def section_budget(budget):
    rows = []
    for stage, row in budget.items():
        extra = beyond_imports(row)
        rows.append(
            (
                stage,
                seconds(median(row["seconds"])),
                seconds(median(row["imports"])),
                seconds(median(row["tf_imports"])),
                seconds(extra),
                verdict(extra <= BEYOND_IMPORTS_SECONDS),
            )
        )
    total = sum(median(row["seconds"]) for row in budget.values())
    return (
        "## Each stage at the notebook's size\n\n"
        "Each stage's command from dvc.yaml, run on its own under `python -X importtime`; "
        "'imports' is every import the process made (TensorFlow and Keras among them).\n\n"
        + markdown_table(
            [
                "stage",
                "wall s",
                "imports s",
                "of which TensorFlow s",
                "beyond imports s",
                f"<= {BEYOND_IMPORTS_SECONDS:.0f} s",
            ],
            rows,
        )
        + f"\nAll {len(budget)} stages one after another: {total:.2f} s.\n"
    )


def table_step_label(step, tables):
    if step == "experiment":
        return "`python -m tools.experiment` (read, check, copy, `dvc add`)"
    if step == "predict":
        return f"`python -m stages.predict` on the {tables['rows']:,} rows"
    return f"`{step}`" if step == "validate" else f"`{step}@{tables['name']}`"


def peak_cell(peaks, floor):
    """The largest of ``peaks`` in MB, or "<= floor" when it is not above the benchmark
    process's own peak, which every child's figure starts from."""
    peak = max(peaks)
    return f"<= {floor:.0f}" if peak <= floor else f"{peak:.0f}"


def section_tables(tables):
    """The large table's steps, each against the pipeline's memory bound, and the CSV read."""
    floor = tables["floor_mb"]
    bound = MAX_VALUES * BYTES_PER_VALUE
    bound_text = f"{bound / 1e9:.1f} GB"
    epochs = f"{tables['epochs']} epoch{'' if tables['epochs'] == 1 else 's'}"
    rows = [
        (
            table_step_label(step, tables),
            seconds(median(row["seconds"])),
            f"{min(row['seconds']):.2f}-{max(row['seconds']):.2f}",
            peak_cell(row["peak_mb"], floor),
            verdict(max(row["peak_mb"]) * 2**20 <= bound),
        )
        for step, row in tables["steps"].items()
    ]
    reads = tables["reads"]
    ours, theirs = reads["ours"], reads["pyarrow"]
    read_line = (
        f"The CSV read alone, a fresh process each (imports not timed), {len(reads['ratios'])} "
        f"paired runs: ours (`pipeline.user_table.read_user_file`) {median(ours['seconds']):.2f} "
        f"s, peak {peak_cell(ours['peak_mb'], floor)} MB; pyarrow's `pyarrow.csv.read_csv` "
        f"{median(theirs['seconds']):.2f} s, peak {peak_cell(theirs['peak_mb'], floor)} MB; "
        f"ours / pyarrow {ratio(median(reads['ratios']))} (median of the pairs' ratios).\n"
    )
    return (
        f"## A large table: {tables['rows']:,} rows x {tables['features']} features, from "
        "`make experiment` to `make predict`\n\n"
        f"A synthetic CSV of {tables['file_bytes'] / 1e6:.0f} MB (`bench/tables.py`: float "
        f"features at scales from 0.01 to 1000, a {tables['classes']}-class text label from a "
        "linear rule plus noise) is added to a copy of the project with `tools.experiment`; "
        "then each stage of its chain runs on its own, as dvc.yaml has it, and "
        f"`stages.predict` predicts the same file. Training is cut to {epochs} "
        f"(`train.epochs`; batch {tables['batch_size']}, `make experiment`'s choice) so it "
        f"stays short; test accuracy {median(tables['test_accuracy']):.3f}. Wall time and peak "
        "resident memory (largest run) of each step's process; the bound is "
        f"`pipeline.settings`' {MAX_VALUES:,} values x {BYTES_PER_VALUE} bytes ({bound_text}). "
        f"A peak shown as <= {floor:.0f} is at most the benchmark process's own: Linux starts "
        "a child's peak at its parent's, so a smaller one cannot be told.\n\n"
        + markdown_table(["step", "median s", "min-max s", "peak MB", f"under {bound_text}"], rows)
        + "\n"
        + read_line
    )


def where_time_goes(results):
    """The closing note: the missed targets and where each run's time goes."""
    lines = []
    missed = [what for what, _, _, met in target_rows(results) if met is False]
    lines.append(
        "Missed: " + "; ".join(missed) + "." if missed else "Every target measured was met."
    )
    if "training" in results:
        t = results["training"]
        per_step = {
            side: median(t[f"{side}_seconds"]) / t["steps"] * 1e6
            for side in ("notebook", "pipeline")
        }
        lines.append(
            f"Training: {per_step['notebook']:.0f} us per SGD step notebook-style, "
            f"{per_step['pipeline']:.0f} us in the pipeline. A step of batch "
            f"{t['batch_size']} is a few hundred flops: nearly all of it is Keras and "
            "TensorFlow overhead, per step, per call and per epoch (the validation)."
        )
    budget = results.get("budget")
    if budget:
        stage_total = sum(median(row["seconds"]) for row in budget.values())
        imports = sum(median(row["imports"]) for row in budget.values())
        tf_imports = sum(median(row["tf_imports"]) for row in budget.values())
        n_tf = sum(median(row["tf_imports"]) > 0.5 for row in budget.values())
        text = (
            f"The {len(budget)} stage processes take {stage_total:.1f} s one after another: "
            f"{imports:.1f} s importing ({tf_imports:.1f} s of it TensorFlow/Keras, in "
            f"{n_tf} process(es)) and {stage_total - imports:.1f} s of work"
        )
        if "forced" in results:
            text += (
                f"; `dvc repro -f` takes {median(results['forced']['seconds']):.1f} s, so "
                f"DVC's own work (start-up, hashing, locks, cache) is about "
                f"{median(results['forced']['seconds']) - stage_total:.1f} s"
            )
        lines.append(text + ".")
        slow = {
            s: beyond_imports(r)
            for s, r in budget.items()
            if beyond_imports(r) > BEYOND_IMPORTS_SECONDS
        }
        if slow:
            lines.append(
                "Stages over the budget beyond their imports: "
                + ", ".join(f"{s} {v:.2f} s" for s, v in slow.items())
                + "."
            )
    notebook = results.get("notebook")
    if notebook and "imports" in notebook:
        lines.append(
            f"The notebook script takes {median(notebook['seconds']):.1f} s: "
            f"{median(notebook['imports']):.1f} s importing (TensorFlow/Keras "
            f"{median(notebook['tf_imports']):.1f} s, once) and "
            f"{median(notebook['seconds']) - median(notebook['imports']):.1f} s of work."
        )
    return "## Where the time goes\n\n" + "\n".join(f"- {line}" for line in lines) + "\n"


def render(results, machine, options):
    """The whole report as Markdown."""
    parts = [header(machine, options), section_targets(results)]
    if "training" in results:
        parts.append(section_training(results["training"]))
    if any(key in results for key in ("notebook", "forced", "noop", "edits")):
        parts.append(section_runs(results))
    if results.get("scale"):
        parts.append(section_scale(results["scale"]))
    if "kernels" in results:
        parts.append(section_kernels(results["kernels"]))
    if "budget" in results and "edits" in results:
        parts.append(section_edit_loop(results))
    if "budget" in results:
        parts.append(section_budget(results["budget"]))
    if "tables" in results:
        parts.append(section_tables(results["tables"]))
    parts.append(where_time_goes(results))
    return "\n".join(parts)
