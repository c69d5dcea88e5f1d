"""The metric gate's pictures: DVC's plots of both sides (`dvc plots diff --json`,
gate.dvc_reader), drawn to PNG with vl-convert for local use and CI artifacts, and the training
curves (the plots that gate.yaml's project.curves names) as Mermaid charts for places that show
Markdown only (job summaries, pull-request comments)."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate import charts
from gate.messages import one_line
from gate.project import Curves


@dataclass
class Plots:
    """The rendered plots (title, PNG path) and anything worth telling about them."""

    images: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def vega_specs(
    plots_json: dict[str, Any], base: str
) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
    """The filled Vega-Lite specs of `dvc plots diff --json` output -> ([(title, spec)], notes)."""
    specs, notes = [], []
    for title, items in (plots_json.get("data") or {}).items():  # in dvc.yaml's order
        for item in items:
            if item.get("type") != "vega":
                continue
            specs.append((title, item["content"]))
            if base not in item.get("revisions", []):
                notes.append(
                    f"{title}: no data from {base} (its outputs are not in the local "
                    f"DVC cache, or its dvc.yaml does not define this plot)"
                )
    for error in plots_json.get("errors") or []:
        place = " ".join(str(error[key]) for key in ("name", "rev") if error.get(key))
        notes.append(f"{place}: {error.get('msg') or error.get('type')}")
    if not specs:
        notes.append(
            "nothing drawn: no data-series (Vega) plot has data on either side"
            if plots_json.get("data")
            else "nothing drawn: dvc.yaml defines no data-series (Vega) plots"
        )
    return specs, notes


def slug(title: str) -> str:
    """A file name for a plot title."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", title).strip("_") or "plot"


def render_plots(plots_json: dict[str, Any] | None, base: str, out_dir: str | Path) -> Plots:
    """Draw each Vega plot of `dvc plots diff BASE` (both sides overlaid) to a PNG in out_dir."""
    plots = Plots()
    if plots_json is None:
        plots.notes.append("plots not drawn: DVC gave no plot data")
        return plots
    try:
        import vl_convert
    except ImportError:
        plots.notes.append("plots not drawn: vl-convert-python is not installed")
        return plots
    try:
        specs, plots.notes = vega_specs(plots_json, base)
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        plots.notes.append(f"plots not drawn: unexpected dvc plots diff output ({error!r})")
        return plots
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    for title, spec in specs:
        path = Path(out_dir) / f"{slug(title)}.png"
        try:
            path.write_bytes(vl_convert.vegalite_to_png(spec, scale=2))
        except Exception as error:
            plots.notes.append(f"{title}: not drawn ({one_line(error)})")
            continue
        plots.images.append((title, path))
    return plots


def y_encoding(spec: dict[str, Any]) -> dict[str, Any]:
    """A filled Vega-Lite spec's y encoding: at the top (DVC's simple template) or in its first
    layer (the linear ones)."""
    y_axis = spec.get("encoding", {}).get("y")
    return y_axis or spec.get("layer", [{}])[0].get("encoding", {}).get("y") or {}


def curve_charts(
    plots_json: dict[str, Any] | None,
    revisions: tuple[str, str],
    curves: Curves,
    sources: dict[str, list[str]] | None = None,
) -> list[str]:
    """Each training-curve plot as a Mermaid chart: one line per side and field, the base's
    first (revisions are (base, workspace) as DVC names them). A plot is a training curve when
    ``curves`` matches its x field and the data files ``sources`` gives for its name."""
    out = []
    for title, items in ((plots_json or {}).get("data") or {}).items():
        for item in items:
            spec = item.get("content") if item.get("type") == "vega" else None
            x = (spec or {}).get("encoding", {}).get("x", {}).get("field")
            if not spec or not curves.match(x, (sources or {}).get(title, [])):
                continue
            y_axis = y_encoding(spec)
            # DVC names the y values dvc_inferred_y_value, and each row's y field, only when the
            # plot has several y fields; with one, they are under its name, and that is all.
            y_field = y_axis.get("field")
            series = {}
            for row in spec.get("data", {}).get("values", []):
                key = (row.get("rev"), row.get("field", y_field))
                series.setdefault(key, []).append((float(row[curves.x]), float(row[y_field])))
            lines = [
                (f"{rev} {field}", [y for _, y in sorted(values)])
                for rev in revisions
                for (side, field), values in series.items()
                if side == rev
            ]
            if not lines:
                continue
            steps = sorted({step for values in series.values() for step, _ in values})
            x_axis = (curves.x, steps[0], steps[-1])
            out.append(charts.line_chart(title, x_axis, lines, y_axis.get("title") or ""))
    return out
