"""A failed DVC command or run in one line, and the lines that report a sweep's failed runs.

Shared by `make sweep` (tools.sweep, and tools.shard for its SHARD=k/n path) and `make runs`.
"""

import sys


def error_line(log: str) -> str:
    """The line of a run's log that says why it failed: a stage's own first ``error:`` line,
    else DVC's last ``ERROR:`` line, else the last line."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    stage_errors = [line for line in lines if line.startswith("error:")]
    dvc_errors = [line for line in lines if line.startswith("ERROR:")]
    return (stage_errors[:1] or dvc_errors[-1:] or lines[-1:] or ["no output"])[0]


def report_failures(failed: list[tuple[str, str]], total: int) -> int:
    """A line per failed run (what it is, why it failed), then how many; the exit code."""
    for name, why in failed:
        print(f"sweep: run '{name}' failed: {why}", file=sys.stderr)
    if failed:
        print(f"sweep: {len(failed)} of {total} runs failed", file=sys.stderr)
    return 1 if failed else 0
