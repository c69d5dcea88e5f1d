"""Pure helpers of the benchmark: medians, growth exponents, Markdown tables, import times."""

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


def runs(values):
    """Every run's duration, for the 'runs' column."""
    return ", ".join(f"{v:.2f}" for v in values)


def ratio(value):
    return "-" if value is None else f"{value:.2f}x"


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
