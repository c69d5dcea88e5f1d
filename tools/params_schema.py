"""Write params.schema.json, the JSON Schema of params.yaml, from pipeline.params' models.

params.yaml names it in its first line, so an editor with a YAML language server checks
keys and values as they are typed and shows each key's description. The file is committed;
a test fails when it differs from what the models give. Regenerate it with

    python -m tools.params_schema --out params.schema.json
"""

import argparse
import json
from pathlib import Path

from pipeline.files import write_text
from pipeline.params import Params

COMMAND = "python -m tools.params_schema --out params.schema.json"


def schema_text() -> str:
    """The schema file's content: the models' JSON Schema, indented, with its draft named."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    return json.dumps(schema | Params.model_json_schema(), indent=2) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    out = Path(parser.parse_args().out)
    write_text(out, schema_text())
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
