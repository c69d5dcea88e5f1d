"""Mermaid's own parser (and renderer) in headless Chromium, for ```mermaid blocks in Markdown.

GitHub renders ```mermaid blocks in job summaries and comments with the browser build of the
`mermaid` npm package, so the same build checks them here: a page loads mermaid.min.js from
.ci/node_modules (installed by .ci/install-mermaid), runs `mermaid.parse` on every block in one
Chromium launch and leaves the answers in the DOM, which --dump-dom hands back.

As a developer tool, one block to a PNG (e.g. docs/gate_training_curve.png, a gate report's chart):
    python -m tests.mermaid reports/gate.md docs/gate_chart.png [--index N]
"""

import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_FLAGS, chromium_or_skip

MERMAID_JS = Path(__file__).resolve().parents[1] / ".ci/node_modules/mermaid/dist/mermaid.min.js"
INSTALL = "bash .ci/install-mermaid"

# The page: it loads Mermaid, runs a job's script (below) on the blocks, and leaves the job's
# answer as JSON in body's data-result attribute.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>body {{ margin: 0; background: {background}; }}</style>
<script src="{mermaid_js}"></script></head>
<body><div id="chart"></div>
<script id="blocks" type="application/json">{blocks}</script>
<script>
function message(e) {{ return String((e && e.message) || e); }}
(async function () {{
  var blocks = JSON.parse(document.getElementById("blocks").textContent), result;
  try {{
    mermaid.initialize({{startOnLoad: false}});
    result = await (async function () {{ {job} }})();
  }} catch (e) {{
    result = {{fatal: message(e)}};
  }}
  document.body.setAttribute("data-result", JSON.stringify(result));
}})();
</script></body></html>
"""

PARSE_JOB = """
var errors = [];
for (var i = 0; i < blocks.length; i++) {
  try { await mermaid.parse(blocks[i]); errors.push(null); }
  catch (e) { errors.push(message(e)); }
}
return {errors: errors};
"""

RENDER_JOB = """
var chart = document.getElementById("chart");
try { chart.innerHTML = (await mermaid.render("chart-svg", blocks[0])).svg; }
catch (e) { return {error: message(e)}; }
var box = chart.querySelector("svg").getBoundingClientRect();
return {width: Math.ceil(box.width), height: Math.ceil(box.height)};
"""

FENCE = re.compile(r" {0,3}(`{3,}|~{3,})\s*([^\s`]*)")


def mermaid_blocks(markdown: str) -> list[str]:
    """The text of each ```mermaid (or ~~~mermaid) fenced block of ``markdown``, in order.

    Other fenced blocks are skipped whole, so a ```mermaid line inside a ````markdown example
    is not a block; a fence left open runs to the end of the text, as in CommonMark.
    """
    blocks, fence, lines, is_mermaid = [], None, [], False
    for line in markdown.splitlines():
        if fence is None:
            opening = FENCE.match(line)
            if opening:
                fence, lines = opening.group(1), []
                is_mermaid = opening.group(2).lower() == "mermaid"
        elif re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", line):
            if is_mermaid:
                blocks.append("\n".join(lines))
            fence = None
        else:
            lines.append(line)
    if fence is not None and is_mermaid:
        blocks.append("\n".join(lines))
    return blocks


def one_line(message: str) -> str:
    """Mermaid's multi-line parse error (context line, caret line, expectation) as one line."""
    return " | ".join(line.strip() for line in message.splitlines() if line.strip())


def chromium_for_mermaid():
    """Chromium's path, as tests.browser finds it; with REQUIRE_MERMAID set, missing is a failure."""
    try:
        return chromium_or_skip()
    except pytest.skip.Exception:
        if os.environ.get("REQUIRE_MERMAID"):
            pytest.fail(
                "REQUIRE_MERMAID is set but no Chromium is installed, which runs Mermaid's "
                "parser (apt-get install chromium)"
            )
        raise


def mermaid_js_or_skip() -> Path:
    """mermaid.min.js; skips when it is missing, unless REQUIRE_MERMAID is set (CI)."""
    if MERMAID_JS.is_file():
        return MERMAID_JS
    if os.environ.get("REQUIRE_MERMAID"):
        pytest.fail(f"REQUIRE_MERMAID is set but Mermaid is not installed (run {INSTALL})")
    pytest.skip(f"Mermaid is not installed ({INSTALL} installs it; .ci/run does)")


def run_page(blocks: list[str], job: str, screenshot_flags=(), background="white"):
    """Run ``job`` on ``blocks`` in a page in one headless Chromium: (stdout, stderr).

    With ``screenshot_flags`` Chromium takes a screenshot instead of dumping the DOM.
    """
    mermaid_js = mermaid_js_or_skip()
    chromium = chromium_for_mermaid()
    page_text = PAGE.format(
        background=background,
        mermaid_js=html.escape(mermaid_js.as_uri()),
        blocks=json.dumps(blocks).replace("</", "<\\/"),  # no "</script>" inside the JSON
        job=job,
    )
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "mermaid.html"
        page.write_text(page_text, encoding="utf-8")
        flags = [f for f in CHROMIUM_FLAGS if not screenshot_flags or f != "--dump-dom"]
        flags += [*screenshot_flags, f"--user-data-dir={Path(tmp) / 'profile'}"]
        result = subprocess.run(
            [chromium, *flags, page.as_uri()], capture_output=True, text=True, timeout=120
        )
    return result.stdout, result.stderr


def page_result(stdout: str, stderr: str) -> dict:
    """The JSON the page left in body's data-result attribute (or an AssertionError)."""
    found = re.search(r'data-result="([^"]*)"', stdout)
    assert found, f"the Mermaid page never finished:\n{stderr[-2000:]}"
    result = json.loads(html.unescape(found.group(1)))
    assert "fatal" not in result, f"Mermaid did not run in the page: {result['fatal']}"
    return result


def mermaid_parse_errors(blocks: list[str]) -> list[str | None]:
    """For each block: None if ``mermaid.parse`` accepts it, else Mermaid's error in one line.

    All blocks go through one Chromium launch (about a second and a half for ten).
    """
    if not blocks:
        return []
    errors = page_result(*run_page(list(blocks), PARSE_JOB))["errors"]
    assert len(errors) == len(blocks), f"{len(blocks)} blocks but {len(errors)} answers"
    return [None if error is None else one_line(error) for error in errors]


def render_mermaid_png(block: str, out: Path, scale: float = 2, background="white") -> Path:
    """Render one Mermaid block to the PNG ``out`` with headless Chromium, cropped to the chart.

    Two launches: one renders the block and measures its SVG, the other takes the screenshot
    at that size (``scale`` device pixels per CSS pixel). A block Mermaid rejects raises
    ValueError with Mermaid's message. A developer tool (pictures for the docs), not for CI.
    """
    size = page_result(*run_page([block], RENDER_JOB, background=background))
    if "error" in size:
        raise ValueError(f"Mermaid cannot render the block: {one_line(size['error'])}")
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    flags = [
        f"--screenshot={out}",
        f"--window-size={size['width']},{size['height']}",
        f"--force-device-scale-factor={scale}",
        "--hide-scrollbars",
    ]
    _, stderr = run_page([block], RENDER_JOB, screenshot_flags=flags, background=background)
    assert out.is_file(), f"Chromium wrote no screenshot:\n{stderr[-2000:]}"
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description="Render a ```mermaid block to a PNG.")
    parser.add_argument("source", type=Path, help="a Markdown file, or a file holding one block")
    parser.add_argument("out", type=Path, help="the PNG to write")
    parser.add_argument("--index", type=int, default=0, help="which block of a Markdown file")
    parser.add_argument("--scale", type=float, default=2, help="device pixels per CSS pixel")
    args = parser.parse_args(argv)
    text = args.source.read_text(encoding="utf-8")
    blocks = mermaid_blocks(text) if args.source.suffix.lower() == ".md" else [text]
    if not -len(blocks) <= args.index < len(blocks):
        sys.exit(f"{args.source} has {len(blocks)} mermaid block(s); no index {args.index}")
    try:
        print(render_mermaid_png(blocks[args.index], args.out, scale=args.scale))
    except (pytest.skip.Exception, pytest.fail.Exception, ValueError) as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main()
