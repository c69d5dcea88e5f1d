"""How each gated metric moved over the last commits of the current branch, read through DVC.

    python -m gate.history [--commits 20] [--rules gate.yaml] [--base HEAD]
                           [--report reports/history.md]

The committed metrics files of each commit (first parents only: the branch's own line) and of
the workspace, as `dvc metrics show` reads them, one table and one Mermaid line chart per gated
metric, with the base and the workspace marked. A commit without a metrics file, or with an
older layout (no such experiment or metric), is a gap, not an error.
"""

import argparse
import math
import subprocess
import sys
from dataclasses import dataclass

from gate import charts
from gate.compare import format_value
from gate.dvc_reader import show_metrics
from gate.errors import GateError
from gate.messages import one_line
from gate.project import Project
from gate.report import markdown_table, write_report
from gate.revision_metrics import WORKSPACE, metrics_files, side_from_dvc
from gate.rules import load_rules

DEFAULT_COMMITS = 20


@dataclass
class Point:
    """One commit (or the workspace) and the metrics DVC read there."""

    label: str  # short hash, or "workspace"
    subject: str
    metrics: dict  # experiment -> {metric: value}; empty where nothing could be read


def git_lines(*args: str) -> list[str]:
    result = subprocess.run(["git", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise GateError(f"git {' '.join(args)}: {one_line(result.stderr)}")
    return result.stdout.splitlines()


def branch_commits(count: int) -> list[tuple[str, str]]:
    """The last ``count`` commits of the current branch, oldest first -> [(hash, subject)]."""
    lines = git_lines("log", "--first-parent", f"-n{count}", "--format=%H %s", "HEAD")
    return [tuple(line.split(" ", 1)) if " " in line else (line, "") for line in reversed(lines)]


def resolve(revision: str) -> str | None:
    """A revision's commit hash, or None (a DVC experiment name, or unknown)."""
    try:
        return git_lines("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")[0]
    except (GateError, IndexError):
        return None


def read_history(commits: list[tuple[str, str]], project: Project) -> list[Point]:
    """Each commit's metrics and the workspace's, through DVC's metrics API."""
    shown = show_metrics([sha for sha, _ in commits])
    names = project.experiment_names(metrics_files(shown.values()))
    points = []
    for sha, subject in [*commits, (WORKSPACE, "")]:
        side = side_from_dvc(sha, shown.get(sha), params={}, project=project, names=names)
        label = sha if sha == WORKSPACE else sha[:7]
        points.append(Point(label, subject, side.metrics))
    return points


def value_of(point: Point, experiment: str, metric: str) -> float | None:
    """A finite number, or None for a gap."""
    value = point.metrics.get(experiment, {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def history_markdown(
    points: list[Point], gated: dict[str, list[str]], base_label: str | None, heading: str = "##"
) -> str:
    """A table per experiment and a chart per gated metric; ``base_label`` marks the base."""

    def marked(point):
        if point.label == base_label:
            return f"{point.label} (base)"
        return point.label

    commits = len(points) - 1
    out = [
        f"{heading} History: the last {commits} commit{'s' * (commits != 1)} and the workspace",
        "",
    ]
    if base_label is None:
        out += ["The base is not among these commits.", ""]
    for experiment, metrics in gated.items():
        out += [f"{heading}# {experiment}", ""]
        values = {
            metric: [value_of(point, experiment, metric) for point in points] for metric in metrics
        }
        rows = [
            [
                marked(point),
                point.subject if len(point.subject) <= 60 else point.subject[:59] + "…",
                *[
                    "—"
                    if values[metric][i] is None
                    else format_value(point.metrics[experiment][metric])
                    for metric in metrics
                ],
            ]
            for i, point in enumerate(points)
        ]
        out += [markdown_table(["commit", "subject", *metrics], rows), ""]
        for metric in metrics:
            present = [
                (marked(point), value)
                for point, value in zip(points, values[metric], strict=True)
                if value is not None
            ]
            gaps = [
                point.label
                for point, value in zip(points, values[metric], strict=True)
                if value is None
            ]
            if not present:
                out += [f"{experiment} {metric}: no commit has a value.", ""]
                continue
            out.append(
                charts.line_chart(
                    f"{experiment} {metric}",
                    [label for label, _ in present],
                    [(metric, [value for _, value in present])],
                    metric,
                )
            )
            if gaps:
                out += [f"Gaps (no metrics file, or no such metric): {', '.join(gaps)}.", ""]
    return "\n".join(out).rstrip() + "\n"


def gated_metrics(rules: dict) -> dict[str, list[str]]:
    """The metrics gate.yaml has rules for, per experiment."""
    return {experiment: list(metrics) for experiment, metrics in rules.items()}


def history_section(
    rules: dict, base: str, count: int, project: Project, heading: str = "##"
) -> str:
    """The history as Markdown, for the gate's report and for `make history`."""
    points = read_history(branch_commits(count), project)
    base_sha = resolve(base)
    base_label = base_sha[:7] if base_sha else None
    if base_label not in {point.label for point in points}:
        base_label = None
    return history_markdown(points, gated_metrics(rules), base_label, heading)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--commits", type=int, default=DEFAULT_COMMITS, help=f"default: {DEFAULT_COMMITS}"
    )
    parser.add_argument("--rules", default="gate.yaml", help="whose metrics to show")
    parser.add_argument("--base", default="HEAD", help="the commit to mark as the base")
    parser.add_argument("--report", default="reports/history.md")
    args = parser.parse_args(argv)
    try:
        if args.commits < 1:
            raise GateError(f"--commits: got {args.commits}, expected an integer >= 1")
        project, rules = load_rules(args.rules)
        report = history_section(rules, args.base, args.commits, project, heading="#")
    except GateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_report(args.report, report)
    sys.stdout.write(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
