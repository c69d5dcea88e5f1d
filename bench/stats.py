"""Pure helpers of the benchmark: medians, growth exponents, Markdown tables, import times,
and the figures the report derives from the raw results."""

import math
import statistics

from gate import report as gate_report


def median(values):
    """The median of a non-empty list of numbers."""
    return statistics.median(values)


def growth_exponent(n_small, value_small, n_large, value_large):
    """The log-log slope between two sizes: 1 is linear growth, 2 quadratic."""
    return math.log(value_large / value_small) / math.log(n_large / n_small)


def markdown_table(headers, rows):
    """The gate's Markdown table, as a block of the report (ending its last line)."""
    return gate_report.markdown_table(headers, rows) + "\n"


def seconds(value):
    """A duration for a table: two decimals, or a dash when it was not measured."""
    return "-" if value is None else f"{value:.2f}"


def megabytes(value):
    """A peak memory for a table: whole MB, or a dash when it was not measured."""
    return "-" if value is None else f"{value:.0f}"


def peak_cell(peaks, floor):
    """The largest of ``peaks`` in MB, or "<= floor" when it is not above the benchmark
    process's own peak, which every child's figure starts from."""
    return f"<= {floor:.0f}" if max(peaks) <= floor else megabytes(max(peaks))


def runs(values):
    """Every run's duration, for the 'runs' column."""
    return ", ".join(f"{v:.2f}" for v in values)


def ratio(value):
    return "-" if value is None else f"{value:.2f}x"


def timed_rows(timed, baseline, speedup=False):
    """(label, median s, runs, / baseline or, for a ``speedup``, baseline /) for each (label,
    every run's seconds or one run's)."""
    rows = []
    for label, v in timed:
        v = v if isinstance(v, list) else [v]
        x = baseline / median(v) if speedup else median(v) / baseline
        rows.append((label, seconds(median(v)), runs(v), ratio(x)))
    return rows


def verdict(met):
    """A target's cell: yes, a bold no, or a dash when the report cannot judge it alone."""
    return "-" if met is None else "yes" if met else "**no**"


def parse_importtime(importtime_log):
    """``python -X importtime``'s report as (depth, module, cumulative microseconds), in order.

    Python prints a module after everything it imported, one level less indented.
    """
    entries = []
    for line in importtime_log.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or "cumulative" in line:
            continue
        name_field = parts[2].rstrip()
        depth = len(name_field) - len(name_field.lstrip(" "))
        entries.append((depth, name_field.strip(), int(parts[1])))
    return entries


def import_seconds(importtime_log, packages=None):
    """Seconds a process spent importing, from ``python -X importtime``'s report.

    With ``packages``, only the imports of those packages (and their submodules), wherever
    they happened: at the top of the script or inside another module's import.
    """
    total_us = 0
    ancestors = []  # (depth, counted) of the modules enclosing the current one
    for depth, name, cumulative in reversed(parse_importtime(importtime_log)):
        while ancestors and ancestors[-1][0] >= depth:
            ancestors.pop()
        inside_counted = any(counted for _, counted in ancestors)
        wanted = packages is None or name.split(".")[0] in packages
        if wanted and not inside_counted:
            total_us += cumulative  # its cumulative time covers everything it imported
        ancestors.append((depth, inside_counted or wanted))
    return total_us / 1e6


def scale_exponents(scale, key):
    """Each stage's growth exponent of ``key`` (seconds or peak_mb) between the two largest n of
    a scale part (``{n: {"stages": {stage: {key: [...]}}}}``)."""
    (n_small, small), (n_large, large) = [(n, scale[n]["stages"]) for n in sorted(scale)[-2:]]
    return {
        stage: growth_exponent(n_small, median(small[stage][key]), n_large, median(row[key]))
        for stage, row in large.items()
    }


def beyond_imports(row):
    """The median over runs of a stage's wall time less its import time."""
    return median([s - i for s, i in zip(row["seconds"], row["imports"], strict=True)])


def beyond_stages(edit, counted=bool):
    """The median over an edit's runs of each run's seconds less its ``counted`` stages' own."""
    pairs = zip(edit["done_seconds"], edit["stage_seconds"], strict=True)
    return median([done - sum(s for st, s in run.items() if counted(st)) for done, run in pairs])


def outside_training(edit):
    """Seconds of an edit's `dvc repro` outside its train stages (all of it if none ran)."""
    return beyond_stages(edit, lambda stage: stage.startswith("train@"))


def stage_total(budget, key="seconds"):
    """The stages' medians of ``key`` added up: all of them one after another."""
    return sum(median(row[key]) for row in budget.values())
