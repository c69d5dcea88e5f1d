"""The gate's Markdown report (pure): the verdict, failures, a table per experiment, the params
that differ, the training curves, history and plots; and writing it out."""

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from gate.compare import Comparison, Row, format_p, format_value
from gate.plots import Plots


def markdown_table(
    header: Sequence[str], rows: Iterable[Sequence[object]], align: Sequence[str] | None = None
) -> str:
    """A GitHub-flavoured Markdown table; ``|`` and line breaks in cells are escaped."""

    def cell(text):
        return " ".join(str(text).split()).replace("|", "\\|") or " "

    align = align or ["---"] * len(header)
    lines = [[cell(c) for c in header], list(align), *[[cell(c) for c in row] for row in rows]]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def noise_cells(row: Row) -> list[str]:
    """The interval, p-value and word of a row's noise test (blank without one)."""
    if row.test is None:
        return ["", "", ""]
    test = row.test
    return [
        f"{test.low:+.3g} to {test.high:+.3g}",
        format_p(test.p_value, row.level),
        test.word(row.level),
    ]


def render_markdown(
    comparison: Comparison,
    *,
    base_name: str,
    rules_path: str,
    params_rows: list[tuple[str, str, str]] | None,
    plots: Plots | None = None,
    report_dir: str | os.PathLike[str] = ".",
    curves: Sequence[str] = (),
    history: str | None = None,
) -> str:
    """The gate's Markdown report: verdict, failures, a table per experiment, params, the
    training curves and each gated metric's history (Mermaid charts), plots (PNG links)."""
    status = "PASS" if comparison.passed else "FAIL"
    count = len(comparison.failures)
    out = [
        f"# Metric gate: {status}",
        "",
        f"Base: `{base_name}`. New: the workspace. Rules: `{rules_path}`. "
        f"{count} failure{'' if count == 1 else 's'}.",
        "",
    ]
    if comparison.failures:
        out += ["## Failures", "", *[f"- {line}" for line in comparison.failures], ""]
    waived = [row.waived for table in comparison.tables for row in table.rows if row.waived]
    if waived:
        out += ["## Worse than a tolerance, but within noise (not failed)", ""]
        out += [f"- {line}" for line in waived] + [""]
    for table in comparison.tables:
        out += [f"## {table.experiment}", ""]
        if table.rows:
            out += [
                markdown_table(
                    ["metric", "base", "new", "change", "95 % interval", "p", "noise", "verdict"],
                    [
                        [
                            row.metric,
                            format_value(row.base),
                            format_value(row.new),
                            row.change,
                            *noise_cells(row),
                            row.verdict,
                        ]
                        for row in table.rows
                    ],
                    ["---", "---:", "---:", "---:", "---:", "---:", "---", "---"],
                ),
                "",
            ]
        out += [f"Note: {note}" for note in table.notes] + ([""] if table.notes else [])
    out += ["## Params that differ", ""]
    if params_rows is None:
        out += ["Not compared: the params of one side could not be read (see failures).", ""]
    elif params_rows:
        out += [markdown_table(["param", "base", "new"], [list(row) for row in params_rows]), ""]
    else:
        out += ["None.", ""]
    if curves:
        out += [
            "## Training curves",
            "",
            f"`{base_name}` and the workspace, from `dvc plots diff`.",
            "",
        ]
        out += list(curves)
    if history:
        out += [history]
    if plots is not None:
        out += [
            "## Plots",
            "",
            f"DVC's plots (training curves among them), `{base_name}` and the workspace overlaid.",
            "",
        ]
        for title, path in plots.images:
            relative = Path(os.path.relpath(Path(path).resolve(), Path(report_dir).resolve()))
            alt = re.sub(r"([\[\]\\])", r"\\\1", title)
            out += [f"![{alt}]({relative.as_posix()})", ""]
        out += [f"- {note}" for note in plots.notes] + ([""] if plots.notes else [])
    return "\n".join(out).rstrip() + "\n"


def write_report(path: str | os.PathLike[str], text: str) -> None:
    """Write a report, making its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
