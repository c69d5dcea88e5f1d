"""Metric-regression gate: compare the workspace's metrics with a base revision's, by rules.

    python -m gate --base HEAD --rules gate.yaml --report reports/gate.md [--plots-dir DIR]

Run in a DVC project's root. Both sides are read through DVC (gate.dvc_reader): the metrics
files each side's dvc.yaml declares, the params, the per-point results and the plots. The base
is any git revision or DVC experiment name; the new side is always the workspace. What the gate
reads of the project (its experiments, metrics files, per-point columns, training curves) is the
rules file's `project:` section (gate.project).

Exit codes: 0 pass; 1 a failure (a gated metric worse than its rule allows; a metrics file or a
metric missing or unreadable on either side; a NaN or infinite value); 2 a bad command line, rules
file or base revision (one line on stderr, no report).

The comparison (gate.compare) and the report (gate.report) are pure; this module runs them.
"""

import argparse
import sys
from pathlib import Path

from gate.compare import check_rule_names, compare, diff_params
from gate.dvc_reader import plot_sources, plots_diff, read_sides
from gate.errors import GateError
from gate.history import DEFAULT_COMMITS, history_section
from gate.messages import one_line
from gate.plots import curve_charts, render_plots
from gate.project import Project
from gate.report import render_markdown, write_report
from gate.revision_metrics import WORKSPACE
from gate.rules import Rule, load_rules

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m gate", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--base",
        default="HEAD",
        help="git revision or DVC experiment to compare with (default: HEAD)",
    )
    parser.add_argument("--rules", default="gate.yaml", help="rules file (default: gate.yaml)")
    parser.add_argument(
        "--report",
        default="reports/gate.md",
        help="where to write the Markdown report (default: reports/gate.md)",
    )
    parser.add_argument(
        "--history",
        type=int,
        default=DEFAULT_COMMITS,
        help="show each gated metric over this many commits of the branch "
        f"(0: none; default {DEFAULT_COMMITS})",
    )
    parser.add_argument(
        "--plots-dir",
        help="draw DVC's plots (training curves among them) of "
        "both sides to PNGs here, linked from the report",
    )
    parser.add_argument(
        "--print-report",
        action="store_true",
        help="print the whole Markdown report (default: the verdict, each failure, and where "
        "the report is)",
    )
    return parser.parse_args(argv)


def summary(comparison, report_path: Path) -> str:
    """What the terminal shows: the verdict, each failure, and where the report is."""
    count = len(comparison.failures)
    verdict = "passed" if comparison.passed else f"FAILED ({count} failure{'s' * (count != 1)})"
    lines = [f"gate: {verdict}", *[f"- {line}" for line in comparison.failures]]
    return "\n".join([*lines, f"report: {report_path}"]) + "\n"


def history_or_note(
    rules: dict[str, dict[str, Rule]], base: str, commits: int, project: Project
) -> str | None:
    """The history section (gate.history), or one line on why there is none."""
    if commits <= 0:
        return None
    try:
        return history_section(rules, base, commits, project)
    except Exception as error:
        return f"## History\n\nNot shown: {one_line(error)}\n"


def training_curves(plots_json, base: str, project: Project) -> list[str]:
    """The training-curve charts the project's `curves` names (none without it)."""
    if project.curves is None:
        return []
    try:
        sources = plot_sources() if project.curves.file is not None else None
    except Exception as error:
        return [f"Not drawn: DVC could not list the plots' files ({one_line(error)}).\n"]
    return curve_charts(plots_json, (base, WORKSPACE), project.curves, sources)


def main(argv: list[str] | None = None) -> int:
    """Run the gate; returns the exit code."""
    args = parse_args(argv)
    try:
        if args.base.strip() in ("", WORKSPACE):
            raise GateError(
                f"--base: got {args.base!r}, expected a git revision or DVC "
                "experiment (the workspace is always the new side)"
            )
        project, rules = load_rules(args.rules)
        base, new = read_sides(args.base, project)
        check_rule_names(rules, base, new, args.rules)
    except GateError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    comparison = compare(base, new, rules, project)
    wanted = args.plots_dir or project.curves is not None
    plots_json, plots_error = plots_diff(args.base) if wanted else (None, None)
    plots = render_plots(plots_json, args.base, args.plots_dir) if args.plots_dir else None
    if plots is not None and plots_error:
        plots.notes.append(f"plots not drawn: {plots_error}")
    curves = training_curves(plots_json, args.base, project)
    history = history_or_note(rules, args.base, args.history, project)
    report_path = Path(args.report)
    report = render_markdown(
        comparison,
        base_name=args.base,
        rules_path=args.rules,
        params_rows=diff_params(base.params, new.params),
        plots=plots,
        report_dir=report_path.parent,
        curves=curves,
        history=history,
    )
    write_report(report_path, report)
    sys.stdout.write(report if args.print_report else summary(comparison, report_path))
    return EXIT_PASS if comparison.passed else EXIT_FAIL
