"""Metric-regression gate: compare the workspace's metrics with a base revision's, by rules.

    python -m tools.gate --base HEAD --rules gate.yaml --report reports/gate.md [--plots-dir DIR]

Both sides are read through DVC, never through git directly: the metrics files that each side's
dvc.yaml declares (DVC's metrics API, the one behind `dvc metrics show/diff`, asked to return each
file's read error instead of dropping the file), the params (`dvc.api.params_show`) and the plots
(`dvc plots diff --json`). The base is any git revision or DVC experiment name; the new side is
always the workspace.

Exit codes: 0 pass; 1 a failure (a gated metric worse than its rule allows; a metrics file or a
metric missing or unreadable on either side; a NaN or infinite value); 2 a bad command line, rules
file or base revision (one line on stderr, no report).

The comparison and the report are pure functions in tools/gate_compare.py; this module reads the
two sides through DVC and runs them.
"""

import argparse
import sys
from pathlib import Path

from pipeline.files import write_text
from tools.gate_compare import (
    WORKSPACE,
    Side,
    check_rule_names,
    compare,
    describe_read_error,
    diff_params,
    render_markdown,
    side_from_dvc,
)
from tools.gate_plots import curve_charts, plots_diff, render_plots
from tools.gate_rules import GateError, Rule, load_rules, one_line
from tools.history import DEFAULT_COMMITS, history_section

EXIT_PASS, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
# The evaluate stage's per-point results sit beside its metrics file (dvc.yaml names both):
# metrics/<experiment>.json and metrics/<experiment>.points.csv.
POINTS_SUFFIX = ".points.csv"


# --- both sides, read through DVC ----------------------------------------------------------


def _params(rev):
    """``dvc.api.params_show`` for ``rev`` (None: the workspace) -> (params, error)."""
    import dvc.api
    from dvc.scm import RevError

    try:
        return dvc.api.params_show(rev=rev), None
    except RevError:
        raise
    except Exception as error:
        return None, error


def read_sides(base: str) -> tuple[Side, Side]:
    """Read the base revision and the workspace through DVC -> (base Side, workspace Side)."""
    from dvc.exceptions import NotDvcRepoError
    from dvc.repo import Repo
    from dvc.scm import RevError

    try:
        with Repo() as repo:
            shown = repo.metrics.show(revs=[base], hide_workspace=False, on_error="return")
        base_params, base_error = _params(base)
        new_params, new_error = _params(None)
    except RevError as error:
        raise GateError(
            f"--base: {base!r} is neither a git revision nor a DVC experiment ({one_line(error)})"
        ) from None
    except NotDvcRepoError as error:
        raise GateError(f"not inside a DVC project ({one_line(error)})") from None
    sides = (
        side_from_dvc(base, shown.get(base), base_params, base_error),
        side_from_dvc(WORKSPACE, shown.get(WORKSPACE), new_params, new_error),
    )
    for side, rev in zip(sides, (base, None), strict=True):
        read_points(side, rev)
    return sides


def points_path(metrics_path: str) -> str:
    """Where the evaluate stage put an experiment's per-point results."""
    return str(Path(metrics_path).with_suffix(POINTS_SUFFIX))


def read_points(side: Side, rev: str | None) -> None:
    """Read each experiment's per-point results on one side through DVC (rev None: workspace)."""
    import pandas as pd
    from dvc.api import DVCFileSystem

    files = DVCFileSystem(rev=rev)  # one view of the revision for all its files
    for experiment in side.metrics:
        path = points_path(side.paths[experiment])
        try:
            with files.open(path) as handle:
                side.points[experiment] = pd.read_csv(handle)
        except Exception as error:
            side.point_errors[experiment] = f"{path} {describe_read_error(error)}"


# --- entry point ---------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    return parser.parse_args(argv)


def history_or_note(rules: dict[str, dict[str, Rule]], base: str, commits: int) -> str | None:
    """The history section (tools.history), or one line on why there is none."""
    if commits <= 0:
        return None
    try:
        return history_section(rules, base, commits)
    except Exception as error:
        return f"## History\n\nNot shown: {one_line(error)}\n"


def main(argv: list[str] | None = None) -> int:
    """Run the gate; returns the exit code."""
    args = parse_args(argv)
    try:
        if args.base.strip() in ("", WORKSPACE):
            raise GateError(
                f"--base: got {args.base!r}, expected a git revision or DVC "
                "experiment (the workspace is always the new side)"
            )
        rules = load_rules(args.rules)
        base, new = read_sides(args.base)
        check_rule_names(rules, base, new, args.rules)
    except GateError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    comparison = compare(base, new, rules)
    plots_json, plots_error = plots_diff(args.base)
    plots = render_plots(plots_json, args.base, args.plots_dir) if args.plots_dir else None
    if plots is not None and plots_error:
        plots.notes.append(f"plots not drawn: {plots_error}")
    curves = curve_charts(plots_json, (args.base, WORKSPACE))
    history = history_or_note(rules, args.base, args.history)
    report_path = Path(args.report)
    params_rows = diff_params(base.params, new.params)
    report = render_markdown(
        comparison,
        base_name=args.base,
        rules_path=args.rules,
        params_rows=params_rows,
        plots=plots,
        report_dir=report_path.parent,
        curves=curves,
        history=history,
    )
    write_text(report_path, report)
    sys.stdout.write(report)
    count = len(comparison.failures)
    verdict = "passed" if comparison.passed else f"FAILED ({count} failure{'s' * (count != 1)})"
    print(f"gate: {verdict}; report in {report_path}", file=sys.stderr)
    return EXIT_PASS if comparison.passed else EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
