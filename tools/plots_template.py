"""Write the offline HTML template that `dvc plots show` / `dvc plots diff` fill in.

DVC's default page loads Vega from a CDN, so with no network its charts stay blank.
This template inlines Vega, Vega-Lite 5 (the version DVC's chart templates target) and
Vega-Embed from the pinned vl-convert-python package. `make` writes it at set-up and names
it as `plots.html_template` in the untracked `.dvc/config.local`; it is
generated, not committed.
"""

import argparse
from pathlib import Path

import vl_convert

from pipeline.files import write_text

VEGA_LITE_VERSION = "5.21"

PAGE = """<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8">
  <title>DVC plots</title>
  <script type="text/javascript">
{bundle}
  </script>
  <style>
    body {{ font-family: sans-serif; }}
    table {{ border-spacing: 15px; }}
  </style>
</head>
<body>
{{plot_divs}}
</body>
</html>
"""


def offline_template() -> str:
    """The page, with every script inlined and DVC's {plot_divs} placeholder."""
    bundle = vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)
    return PAGE.format(bundle=bundle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True)
    out = Path(parser.parse_args().out)
    write_text(out, offline_template())
    print(f"wrote {out} (Vega-Lite {VEGA_LITE_VERSION}, no network needed)")


if __name__ == "__main__":
    main()
