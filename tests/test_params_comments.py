"""params.yaml's comments stay true whatever values a user sets (`exp apply` keeps comments)."""

import re

from bench.workspace import REPO

VALUE_LINE = re.compile(r"^\s*[\w-]+:\s*[^#\s][^#]*#(?P<comment>.*)$")


def value_comments(text):
    """The comment beside each value (``key: value  # comment``)."""
    return [m["comment"] for line in text.splitlines() if (m := VALUE_LINE.match(line))]


def test_no_comment_beside_a_value_says_what_the_notebook_used():
    # Issue #20: "the notebook ran 0.01, Keras' default for SGD" stayed beside a changed rate.
    text = (REPO / "params.yaml").read_text()
    for comment in value_comments(text):
        assert "notebook" not in comment.lower(), comment
    if "notebook" in text.lower():
        assert "tests/notebook_params.py" in text  # where the notebook's values are kept


def test_the_pattern_tells_value_comments_from_section_comments():
    text = "a:   # a section\n  b: 1  # the notebook's\n  c: x\n  # d: 2 # commented out\n"
    assert value_comments(text) == [" the notebook's"]
