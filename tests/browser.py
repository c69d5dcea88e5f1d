"""Load a `dvc plots` page in headless Chromium and report what actually rendered."""

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# Runs in the page once it has loaded: for every Vega chart, whether a canvas or SVG
# holds drawn pixels or marks; for every image, whether it decoded.
CHECK_SCRIPT = """
<script>
function dataMarks(el) {
  var svg = el.querySelector("svg"), canvas = el.querySelector("canvas");
  if (svg) { return svg.querySelectorAll("g.role-mark > *").length; }  // data, not axes
  if (!canvas || canvas.width === 0) { return 0; }
  var pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  var drawn = 0;
  for (var i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { drawn++; } }
  return drawn;
}
var expected = EXPECTED_CHARTS;
var polls = 0;
var timer = setInterval(function () {
  var charts = Array.from(document.querySelectorAll(".vega-embed")).map(function (el) {
    return {id: el.id, marks: dataMarks(el)};
  });
  var images = Array.from(document.images).map(function (img) {
    return {src: img.getAttribute("src"), width: img.naturalWidth, complete: img.complete};
  });
  var done = charts.length === expected && charts.every(function (c) { return c.marks > 0; })
    && images.every(function (img) { return img.complete; });
  if (done || ++polls > 100) {
    clearInterval(timer);
    document.body.setAttribute("data-check", JSON.stringify(
      {expected: expected, charts: charts, images: images}));
  }
}, 100);
</script>
"""

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
    "--virtual-time-budget=20000",
    "--dump-dom",
]


def chromium_or_skip():
    """Chromium's path; skips the test when it is missing, unless REQUIRE_BROWSER is set (CI)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(
            "REQUIRE_BROWSER is set but no Chromium is installed (apt-get install chromium)"
        )
    pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")


def render_page(page):
    """Open ``page`` (an index.html written by dvc plots) and return {charts, images}."""
    chromium = chromium_or_skip()
    page = Path(page)
    checked = page.with_name("checked.html")
    text = page.read_text()
    expected = text.count('<div id = "')  # how DVC writes each chart's placeholder
    head, tail = text.rsplit("</body>", 1)  # the last one: the inlined scripts quote it too
    script = CHECK_SCRIPT.replace("EXPECTED_CHARTS", str(expected))
    checked.write_text(head + script + "</body>" + tail)
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", checked.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
        )
    found = re.search(r'data-check="([^"]*)"', result.stdout)
    assert found, f"the page never finished rendering:\n{result.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))
