"""`make tune`'s report of a study: a CSV row per trial, and a Markdown page with its picture.

The CSV holds only what the study decides (the trial's number, params, metric, experiment and
state), so the same study writes the same bytes on any machine and any number of workers. The
page adds the best trial, the gate's verdict of it against HEAD, each failed trial's error
line, and a picture: the metric per trial with the best so far, and the metric against each
searched param.
"""

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from gate.report import markdown_table
from pipeline.files import write_atomic

COMPLETE, FAILED = "complete", "failed"


@dataclass(frozen=True)
class Trial:
    """One trial of a study: its number, params, metric (None when it failed), experiment."""

    number: int
    params: dict
    value: float | None
    experiment: str
    error: str | None = None

    @property
    def state(self) -> str:
        return COMPLETE if self.error is None else FAILED


def cell(value) -> str:
    """A value as the CSV holds it: floats by repr (the shortest that reads back the same)."""
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


def csv_text(trials: list[Trial], space: dict, order) -> str:
    """A row per trial: number, each searched param, the metric, experiment, state."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["number", *space, f"{order.experiment}.{order.metric}", "experiment", "state"])
    for t in trials:
        params = [cell(t.params[key]) for key in space]
        writer.writerow([t.number, *params, cell(t.value), t.experiment, t.state])
    return out.getvalue()


def write_csv(path: Path, trials: list[Trial], space: dict, order) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: Path(tmp).write_text(csv_text(trials, space, order)))


def ranked(trials: list[Trial], higher: bool) -> list[Trial]:
    """The finished trials, best metric first (the first of equals first)."""
    done = [t for t in trials if t.value is not None]
    return sorted(done, key=lambda t: (-t.value if higher else t.value, t.number))


def best_of(trials: list[Trial], higher: bool) -> Trial | None:
    """The finished trial with the best metric (the first of equals)."""
    return next(iter(ranked(trials, higher)), None)


def draw(path: Path, trials: list[Trial], space: dict, order) -> None:
    """The metric per trial with the best so far, then the metric against each param."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(4 * (1 + len(space)), 3.4), layout="constrained")
    axes = figure.subplots(1, 1 + len(space), squeeze=False)[0]
    done = [t for t in trials if t.value is not None]
    metric = f"{order.experiment} {order.metric}"
    best, running = [], None
    for t in done:
        better = running is None or (t.value > running if order.higher else t.value < running)
        running = t.value if better else running
        best.append(running)
    axes[0].plot([t.number for t in done], [t.value for t in done], "o", label="trial")
    axes[0].step([t.number for t in done], best, where="post", label="best so far")
    for t in trials:
        if t.value is None:
            axes[0].axvline(t.number, color="tab:red", alpha=0.3, lw=1)
    axes[0].set(xlabel="trial", ylabel=metric, title="metric per trial (red: failed)")
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0].legend(loc="best", fontsize="small")
    for ax, (key, dist) in zip(axes[1:], space.items(), strict=True):
        values, scores = [t.params[key] for t in done], [t.value for t in done]
        ax.plot([str(v) for v in values] if _categorical(dist) else values, scores, "o")
        if getattr(dist, "log", False):
            ax.set_xscale("log")
        ax.set(xlabel=key, ylabel=metric, title=f"search space: {key.split('.')[-1]}")
    write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", metadata={"Software": None}))


def _categorical(dist) -> bool:
    return hasattr(dist, "choices")


def report_text(name, space_text, trials, space, order, verdicts, picture) -> str:
    """The Markdown page (see the module's text)."""
    metric = f"{order.experiment}.{order.metric}"
    header = ["trial", *[key.split(".")[-1] for key in space], metric, "experiment", "state"]
    rows = [
        [t.number, *[cell(t.params[k]) for k in space], cell(t.value), t.experiment, t.state]
        for t in trials
    ]
    best = best_of(trials, order.higher)
    lines = [
        f"# Study {name}",
        "",
        f"`make tune SPACE='{space_text}'`: {len(trials)} trials, "
        f"{sum(t.value is not None for t in trials)} finished; "
        f"{'higher' if order.higher else 'lower'} {metric} is better.",
        "",
        markdown_table(header, rows),
        "",
    ]
    if best is None:
        lines += ["No trial finished.", ""]
    else:
        judged, failures = verdicts.get(best.experiment, ("not judged", []))
        lines += [
            f"Best: trial {best.number} (`{best.experiment}`), {metric} = {cell(best.value)}; "
            f"the gate against HEAD: {judged}.",
            "",
            *[f"- {line}" for line in failures],
            "",
        ]
    failed = [t for t in trials if t.error]
    if failed:
        lines += ["## Failed trials", "", *[f"- {t.experiment}: {t.error}" for t in failed], ""]
    lines += [f"![the metric per trial, and against each param]({picture})", ""]
    return "\n".join(lines)


def write_report(folder: Path, name, space_text, trials, space, order, verdicts) -> Path:
    """S.md and S.png in ``folder``; the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    picture = folder / f"{name}.png"
    draw(picture, trials, space, order)
    page = folder / f"{name}.md"
    text = report_text(name, space_text, trials, space, order, verdicts, picture.name)
    write_atomic(page, lambda tmp: Path(tmp).write_text(text))
    return page
