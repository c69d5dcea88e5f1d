"""The benchmark's Markdown report: the targets, each part's numbers, where the time goes.

It computes and tabulates; how each figure is taken, and why, is bench/README.md's. Each part
of the report names the results it reads (``@part``), and a run without them leaves it out.
"""

from bench import stats
from bench.stats import markdown_table, median, megabytes, ratio, seconds, verdict
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
EDIT_LOOP_WHERE = {"epochs": "outside training", "grid": "until the command ends"}

EDIT_LABELS = {
    "epochs": ("blobs4 `train.epochs` edited", "new `metrics/blobs4.json`"),
    "grid": ("blobs4 `plot.grid_points` edited", "new `plots/blobs4/decision_boundary.png`"),
}
VIA_LABELS = {"repro": "params.yaml edited, `dvc repro`", "exp": "`dvc exp run -S`"}
TRAINING = {"notebook": "notebook-style `model.fit`", "pipeline": "the pipeline's `train_model`"}
WHOLE_RUNS = {
    "notebook": "notebook script: the three experiments in one process",
    "first_run": "first `dvc repro` of a fresh copy (empty DVC cache)",
    "forced": "cold `dvc repro -f`: {} stages, a process each",
    "noop": "no-op `dvc repro` (everything up to date)",
}
STEPS = dict(experiment="`tools.experiment`", validate="`validate`", predict="`stages.predict`")
READERS = {"ours": "ours (`read_user_file`)", "pyarrow": "`pyarrow.csv.read_csv`"}
FORMAT_LIMIT = "a format that stays fast (see the stage times)"
KERNELS = "run|pinned s|native s|pinned / native|pinned peak MB|native peak MB|pinned / native"
IMPORT_KEYS = ("seconds", "imports", "tf_imports")  # a stage's wall time, its imports, TensorFlow's
PARTS = []  # (the results a part reads, a generator of its ("target" | "section" | "time", item))


def part(*keys):
    """Register a part of the report, rendered when the results hold every one of ``keys``."""
    return lambda function: PARTS.append((keys, function)) or function


def section(title, headers, rows, *after):
    """A section: its heading, its table ("a|b" headers) and lines after it; none without rows."""
    text = f"## {title}\n\n{markdown_table(headers.split('|'), rows)}"
    text += "".join(f"\n{line.rstrip()}\n" for line in after if line)
    return "section", text if rows else ""


def target(what, measured, value, limit, unit="", prefix=""):
    """A target's row: (what, measured, limit, met), met at or under the limit."""
    return "target", (what, measured, f"<= {prefix}{limit:g}{unit}", value <= limit)


def time_split(wall, imports, tf, tf_text):
    """Seconds in all, importing (TensorFlow/Keras's ``tf_text``) and working, for a row."""
    work = f"{wall - imports:.1f} s of work"
    return f"{wall:.1f} s: {imports:.1f} s importing (TensorFlow/Keras {tf_text}), {work}"


def header(machine, options):
    cpu = f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']:.0f} GB RAM"
    versions = ", ".join(f"{name} {version}" for name, version in machine["versions"].items())
    left_out = ", ".join(machine.get("left_out", []))
    return (
        f"# Benchmark: the pipeline against the notebook\n\nRun on {machine['date']} on {cpu} "
        f"(load average {machine['load']:.2f} at the start); project commit {machine['commit']}. "
        f"{versions}. Medians of {options['repeats']} run(s) each, {options['scale_repeats']} "
        f"per scale size{' (quick mode)' if options['quick'] else ''}. Benchmarked: the notebook's "
        "three experiments (blobs4, blobs2, regression)"
        f"{f'; left out of the copies: {left_out}' if left_out else ''}.\n\n"
        "How each figure is taken, and why: [bench/README.md](README.md).\n"
    )


@part("training")
def training_part(r):
    t, yes = r["training"], {True: "yes", False: "NO"}
    timed = [(label, t[f"{side}_seconds"]) for side, label in TRAINING.items()]
    notebook, pipeline = (median(v) for _, v in timed)
    speedup, same = notebook / pipeline, t["weights_identical"]
    what = "blobs4 training, pipeline against notebook-style `model.fit`"
    limit = f">= {TRAINING_SPEEDUP:g}x"
    yield "target", (what, f"{speedup:.1f}x faster", limit, speedup >= TRAINING_SPEEDUP)
    yield "target", ("the same weights, bit for bit", yes[same].lower(), "identical", same)
    title = f"1. blobs4 training ({t['steps']:,} SGD steps: batch {t['batch_size']}, "
    arrays = f"generate and split give the notebook's arrays: {yes[t['data_identical']]}"
    checks = f"Weights bit-identical in every run: {yes[same]}; the pipeline's {arrays}."
    rows = stats.timed_rows(timed, notebook, speedup=True)
    yield section(f"{title}{t['epochs']} epochs)", "training|median s|runs|speed-up", rows, checks)
    us = [f"{value / t['steps'] * 1e6:.0f} us" for value in (notebook, pipeline)]
    yield "time", ("training, per SGD step", f"notebook-style {us[0]}, the pipeline {us[1]}")


@part("notebook", "first_run", "forced", "noop")
def runs_part(r):
    """Parts 2 and 3 (bench.run's runs part, which times the notebook script's imports too)."""
    notebook, noop = median(r["notebook"]["seconds"]), median(r["noop"]["seconds"])
    cold = median(r["forced"]["seconds"]) / notebook
    yield target("cold `dvc repro -f` / notebook script", ratio(cold), cold, COLD_RATIO)
    yield target("no-op `dvc repro`", f"{noop:.2f} s", noop, NOOP_SECONDS, " s")
    stages = len(r["forced"]["stages"])
    timed = [(label.format(stages), r[key]["seconds"]) for key, label in WHOLE_RUNS.items()]
    rows = stats.timed_rows(timed, notebook)
    printed = f"The notebook script printed: {'; '.join(r['notebook']['printed'])}."
    yield section("2-3. Whole runs", "run|median s|runs|/ notebook script", rows, printed)
    wall, imports, tf = (median(r["notebook"][key]) for key in IMPORT_KEYS)
    yield "time", ("the notebook script", time_split(wall, imports, tf, f"{tf:.1f} s, once"))


@part("notebook", "edits")
def edits_part(r):
    notebook, timed, ran = median(r["notebook"]["seconds"]), [], []
    for edit, by_via in r["edits"].items():
        what, output = EDIT_LABELS[edit]
        for via, p in by_via.items():
            how, value = VIA_LABELS[via], median(p["seconds"]) / notebook
            label = f"{what} ({how}): {output} / notebook script"
            yield target(label, ratio(value), value, EDIT_RATIOS[edit])
            timed += [(f"{what}, {how}: until {output}", p["seconds"])]
            timed += [(f"{what}, {how}: until the command ends", p["done_seconds"])]
            ran.append(f"- {what} ({how}) ran {', '.join(p['stages'])}.")
        value, label = stats.outside_training(by_via["repro"]), f"{what}, `dvc repro`: seconds"
        limit = EDIT_LOOP_SECONDS[edit]
        yield target(f"{label} {EDIT_LOOP_WHERE[edit]}", f"{value:.2f} s", value, limit, " s")
    headers, rows = "edit|median s|runs|/ notebook script", stats.timed_rows(timed, notebook)
    yield section("4. Edits", headers, rows, "\n".join(ran))


@part("edits", "budget")
def edit_loop_part(r):
    """For each edit's `dvc repro`, each stage it ran (imports and own work timed on their own,
    seconds in the run), then DVC's share (each run's time beyond its stages) and the command."""
    headers = "stage|imports s (on its own)|own work s (on its own)|in the run s"
    for edit, by_via in r["edits"].items():
        p, rows = by_via["repro"], []
        for stage in p["stages"]:
            wall, imports = (median(r["budget"][stage][key]) for key in ("seconds", "imports"))
            in_run = median([run[stage] for run in p["stage_seconds"]])
            rows.append((f"`{stage}`", seconds(imports), seconds(wall - imports), seconds(in_run)))
        dvc, command = stats.beyond_stages(p), median(p["done_seconds"])
        rows += [("DVC, before, between and after the stages", "-", "-", seconds(dvc))]
        rows += [("the command", "-", "-", seconds(command))]
        title = f"The edit loop, stage by stage: {EDIT_LABELS[edit][0]}, `dvc repro`"
        yield section(title, headers, rows)


@part("scale")
def scale_part(r):
    scale, sizes = r["scale"], sorted(r["scale"])
    stages, files, n = scale[sizes[-1]]["stages"], scale[sizes[-1]]["files"], f"n={sizes[-1]:,}"
    time_k, memory_k = (stats.scale_exponents(scale, key) for key in ("seconds", "peak_mb"))
    worst, value = max(time_k.items(), key=lambda item: item[1])
    what = f"time growth from n={sizes[-2]:,} to {sizes[-1]:,} (worst stage)"
    yield target(what, f"{worst}: n^{value:.2f}", value, LINEAR_EXPONENT, prefix="n^")
    worst, value = max(((s, max(row["peak_mb"])) for s, row in stages.items()), key=lambda i: i[1])
    what = f"peak memory per stage at {n} (worst stage)"
    yield target(what, f"{worst}: {value:.0f} MB", value, PEAK_MB, " MB")
    big = {k.rsplit("/", 1)[-1]: v for k, v in files.items() if k.startswith("data/") and v > 1e5}
    data = ", ".join(f"{k} {v / 1e6:.0f} MB" for k, v in big.items()) or "-"
    yield "target", (f"data files at {n}", data, FORMAT_LIMIT, None)
    headers = "|".join(["stage", *[f"n={n:,} s" for n in sizes], "time ~ n^k"])
    headers += "".join(f"|n={n:,} peak MB" for n in sizes) + "|memory ~ n^k"
    rows = []
    for stage in stages:
        times = [seconds(median(scale[n]["stages"][stage]["seconds"])) for n in sizes]
        peaks = [megabytes(max(scale[n]["stages"][stage]["peak_mb"])) for n in sizes]
        rows.append([stage, *times, f"{time_k[stage]:.2f}", *peaks, f"{memory_k[stage]:.2f}"])
    files = markdown_table(["file", "MB"], [(k, f"{v / 1e6:.1f}") for k, v in files.items()])
    title = f"5. Scale: blobs4 with n_samples {', '.join(f'{n:,}' for n in sizes)}"
    yield section(title, headers, rows, f"Files at {n}:\n\n{files.rstrip()}")


@part("kernels")
def kernels_part(r):
    """Part 1 and the largest scale chain, pinned against native where both were measured."""
    k, sides = r["kernels"], ("pinned", "native")

    def cells(figure, show=seconds):
        pinned, native = (figure(k[side]) if side in k else None for side in sides)
        return [show(pinned), show(native), ratio(native and pinned / native)]

    rows = []  # one process trains both ways after its imports: its peak is not one fit's
    for key in ("pipeline", "notebook"):
        times = cells(lambda s, key=key: median(s["training"][f"{key}_seconds"]))
        rows.append([f"blobs4 training: {TRAINING[key]}", *times, "-", "-", "-"])
    for stage in k["pinned"]["scale"]:
        rows.append(
            [f"`{stage}` at n={k['n_samples']:,}"]
            + cells(lambda s, stage=stage: median(s["scale"][stage]["seconds"]))
            + cells(lambda s, stage=stage: max(s["scale"][stage]["peak_mb"]), megabytes)
        )
    digests = {side: k[side]["training"]["weights_sha256"] for side in sides if side in k}
    same = "" if len({d for ds in digests.values() for d in ds}) == 1 else "NOT "
    listed = "; ".join(f"{side} {', '.join(d[:16] for d in ds)}" for side, ds in digests.items())
    weights = f"The pipeline's blobs4 weights, {same}bit-identical: {listed}."
    found = "unknown" if k["features"] is None else "+".join(k["features"]) or "none"
    title = "What pinning the CPU kernels costs"
    yield section(title, KERNELS, rows, f"This CPU: {found}.", weights)


@part("budget")
def budget_part(r):
    budget, limit = r["budget"], BEYOND_IMPORTS_SECONDS
    extra = {stage: stats.beyond_imports(row) for stage, row in budget.items()}
    worst = max(extra, key=extra.get)
    what = "time beyond imports per stage at the notebook's size (worst stage)"
    yield target(what, f"{worst}: {extra[worst]:.2f} s", extra[worst], limit, " s")
    rows = [
        (stage, *[seconds(median(row[key])) for key in IMPORT_KEYS])
        + (seconds(extra[stage]), verdict(extra[stage] <= limit))
        for stage, row in budget.items()
    ]
    headers = f"stage|wall s|imports s|of which TensorFlow s|beyond imports s|<= {limit:g} s"
    line = f"All {len(budget)} stages one after another: {stats.stage_total(budget):.2f} s."
    yield section("Each stage at the notebook's size", headers, rows, line)
    n_tf = sum(median(row["tf_imports"]) > 0.5 for row in budget.values())
    totals = [stats.stage_total(budget, key) for key in IMPORT_KEYS]
    what = f"the {len(budget)} stage processes, one after another"
    yield "time", (what, time_split(*totals, f"{totals[2]:.1f} s, in {n_tf} processes"))


@part("budget", "forced")
def dvc_part(r):
    forced = median(r["forced"]["seconds"])
    what = f"DVC's own work in `dvc repro -f` ({forced:.1f} s)"
    yield "time", (what, f"about {forced - stats.stage_total(r['budget']):.1f} s")


@part("tables")
def tables_part(r):
    """The large table's steps, each against the pipeline's memory bound, and the CSV read."""
    t, bound = r["tables"], MAX_VALUES * BYTES_PER_VALUE
    floor, reads, peak = t["floor_mb"], t["reads"], stats.peak_cell
    rows = [
        (STEPS.get(step, f"`{step}@{t['name']}`"),)
        + (seconds(median(row["seconds"])), f"{min(row['seconds']):.2f}-{max(row['seconds']):.2f}")
        + (peak(row["peak_mb"], floor), verdict(max(row["peak_mb"]) * 2**20 <= bound))
        for step, row in t["steps"].items()
    ]
    read = [
        (v, seconds(median(reads[k]["seconds"])), peak(reads[k]["peak_mb"], floor))
        for k, v in READERS.items()
    ]
    read += [("ours / pyarrow: the median of the pairs' ratios", ratio(median(reads["ratios"])))]
    headers = f"the CSV read alone, {len(reads['ratios'])} paired runs|median s|peak MB"
    read = markdown_table(headers.split("|"), [(*row, "-")[:3] for row in read])
    line = (
        f"A {t['file_bytes'] / 1e6:.0f} MB CSV, {t['classes']} classes; {t['epochs']} epoch(s) of "
        f"batch {t['batch_size']}: test accuracy {median(t['test_accuracy']):.3f}. The benchmark "
        f"process's own peak, the least a step's can show: {floor:.0f} MB."
    )
    title = f"A large table: {t['rows']:,} rows x {t['features']} features, "
    headers = f"step|median s|min-max s|peak MB|under {bound / 1e9:.1f} GB"
    yield section(f"{title}from `make experiment` to `make predict`", headers, rows, line, read)


def gather(results):
    """What the parts whose results are there yield: "target" rows, "section" texts and "time"
    rows, each kind in the parts' order."""
    found = [x for keys, part in PARTS if all(k in results for k in keys) for x in part(results)]
    return {kind: [x for k, x in found if k == kind] for kind in ("target", "section", "time")}


def render(results, machine, options):
    """The whole report: the header, the targets, each part's sections, where the time goes."""
    kinds = gather(results)
    targets = [(what, value, limit, verdict(met)) for what, value, limit, met in kinds["target"]]
    sections = [
        section("Targets", "target|measured|limit|met", targets)[1],
        *kinds["section"],
        section("Where the time goes", "|measured", kinds["time"])[1],
    ]
    return "\n".join([header(machine, options), *filter(None, sections)])
