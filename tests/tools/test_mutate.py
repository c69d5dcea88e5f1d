"""tools.mutate: the covered modules' tests, and the report's scores and classification."""

import tomllib

from bench.workspace import REPO
from pipeline.files import read_yaml
from tools import mutate


def test_each_covered_module_has_its_mirrored_unit_test_file():
    covered = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]
    assert "pipeline/settings.py" in covered
    assert mutate.mirrored_test("pipeline/files.py") == "tests/pipeline/test_files.py"
    assert mutate.mirrored_test("gate/rules.py") == "tests/gate/test_rules.py"
    assert [m for m in covered if not (REPO / mutate.mirrored_test(m)).is_file()] == []


def test_every_recorded_equivalent_names_a_covered_mutant_and_a_reason():
    equivalents = read_yaml(mutate.EQUIVALENTS)
    assert equivalents, "the file parses to a non-empty list"
    for entry in equivalents:
        assert set(entry) == {"module", "function", "line", "mutant", "reason"}, entry
        assert entry["line"] != entry["mutant"] and entry["reason"].strip(), entry


EQUIVALENT = {"module": "m.py", "function": "f", "line": "a = 1", "mutant": "a = 2", "reason": "r"}
STALE = {**EQUIVALENT, "mutant": "a = 3"}


def test_the_report_scores_non_equivalent_mutants_and_lists_each_survivor():
    survivors = [(("f", "a = 1", "a = 2"), "survived", "r"), (("g", "b = 1", ""), "no tests", None)]
    results = {"m.py": (8, 10, survivors), "n.py": (9, 10, [])}
    text, failing = mutate.report(results, [EQUIVALENT, STALE], minutes=1.5)
    # m.py: 10 mutants, one equivalent, so 8 killed of 9 (88.9%): under 90%. n.py: 9 of 10.
    assert failing == ["m.py"]
    assert "| `m.py` | 8 / 9 | 88.9% | 1 | 1 |" in text
    assert "| `n.py` | 9 / 10 | 90.0% | 0 | 0 |" in text
    assert "- `f`: `` a = 1 `` -> `` a = 2 ``: equivalent: r" in text
    assert "- `g`: `` b = 1 `` -> (deleted): **gap** (no tests)" in text
    assert ", in 1.5 min." in text
    # An entry that matches no survivor any more is listed for removal.
    assert text.endswith(
        "## Equivalents that match no survivor (remove them)\n\n- `m.py` `f`: `` a = 1 `` -> `` a = 3 ``\n"
    )
