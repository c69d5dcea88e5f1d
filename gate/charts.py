"""Mermaid line charts for Markdown reports: GitHub draws them in job summaries and comments.

Mermaid's xychart has no legend and no missing values: a series may only stop early. So each
chart names its lines, in order and colour, in a caption, and a caller leaves out points it has
no value for (saying which). Numbers are written as plain decimals, which its parser requires.
"""

import json
from collections.abc import Sequence
from decimal import Decimal

# Distinct colours, in the order the lines are drawn (Mermaid's default first colour is pale).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
COLOUR_NAMES = ("blue", "orange", "green", "red", "purple", "brown", "pink", "grey")


SIGNIFICANT_DIGITS = 6  # of each plotted value: what the metrics files hold, and enough to draw


def plain(value: float) -> str:
    """A float to 6 significant digits as a plain decimal, never in scientific notation
    (``1.23e-05`` -> ``0.0000123``); ``g`` leaves no trailing zeros for ``f`` to write."""
    return format(Decimal(f"{float(value):.{SIGNIFICANT_DIGITS}g}"), "f")


def quoted(text: str) -> str:
    """A label as Mermaid reads it: in double quotes, which it cannot escape, so none inside."""
    return '"' + str(text).replace('"', "'") + '"'


def axis(x_axis: Sequence[str] | tuple[str, float, float]) -> str:
    """An x-axis line's text: ``["a", "b"]`` or ``"epoch" 0 --> 9``."""
    if isinstance(x_axis, tuple) and len(x_axis) == 3 and not isinstance(x_axis[1], str):
        name, first, last = x_axis
        return f"{quoted(name)} {plain(first)} --> {plain(last)}"
    return "[" + ", ".join(quoted(label) for label in x_axis) + "]"


def line_chart(
    title: str,
    x_axis: Sequence[str] | tuple[str, float, float],
    lines: Sequence[tuple[str, Sequence[float]]],
    y_title: str,
) -> str:
    """A fenced ```mermaid xychart-beta block and its caption naming each line's colour.

    ``x_axis`` is a list of category labels (each line's values belong to the first
    len(values) of them) or a numeric axis (title, first, last).
    """
    lines = lines[: len(PALETTE)]
    init = {"themeVariables": {"xyChart": {"plotColorPalette": ", ".join(PALETTE[: len(lines)])}}}
    body = [
        "```mermaid",
        f"%%{{init: {json.dumps(init)}}}%%",
        "xychart-beta",
        f"    title {quoted(title)}",
        f"    x-axis {axis(x_axis)}",
        f"    y-axis {quoted(y_title)}",
        *[f"    line [{', '.join(plain(value) for value in values)}]" for _, values in lines],
        "```",
    ]
    caption = "; ".join(
        f"{colour}: {name}" for (name, _), colour in zip(lines, COLOUR_NAMES, strict=False)
    )
    return "\n".join(body) + f"\n\nLines: {caption}.\n"
