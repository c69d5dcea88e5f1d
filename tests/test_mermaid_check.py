"""tests.mermaid: Mermaid's own parser accepts good blocks, rejects bad ones with its message."""

import pytest

from tests import mermaid
from tests.mermaid import mermaid_blocks, mermaid_parse_errors

VALID_XYCHART = """xychart-beta
  title "val_loss per epoch"
  x-axis "epoch" [1, 2, 3]
  y-axis "loss"
  line [0.9, 0.5, 0.42]
  line [0.95, 0.61, 0.5]"""
BROKEN_XYCHART = "xychart-beta\n  line [1, oops]"
FLOWCHART = "flowchart LR\n  A[base] --> B{regression?}"


@pytest.fixture(scope="module")
def answers():
    """One Chromium launch for all three blocks."""
    return mermaid_parse_errors([VALID_XYCHART, BROKEN_XYCHART, FLOWCHART])


def test_a_valid_xychart_is_accepted(answers):
    assert answers[0] is None


def test_a_broken_xychart_is_rejected_with_mermaids_message_in_one_line(answers):
    error = answers[1]
    assert error.startswith("Parse error on line 2:")
    assert "Expecting 'NUMBER_WITH_DECIMAL', got 'ALPHA'" in error
    assert "\n" not in error


def test_a_flowchart_is_accepted(answers):
    assert answers[2] is None


def test_no_blocks_need_no_browser():
    assert mermaid_parse_errors([]) == []


def test_the_blocks_of_a_markdown_text_are_its_mermaid_fences_only():
    markdown = "\n".join(
        [
            "# Gate",
            "```mermaid",
            FLOWCHART,
            "```",
            "```python",
            "print('not a chart')",
            "```",
            "````markdown",  # an example of a block is not a block
            "```mermaid",
            "flowchart TD",
            "```",
            "````",
            "~~~mermaid",
            BROKEN_XYCHART,
            "~~~",
        ]
    )
    assert mermaid_blocks(markdown) == [FLOWCHART, BROKEN_XYCHART]


def test_a_missing_install_skips_or_with_require_mermaid_fails_naming_the_install(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(mermaid, "MERMAID_JS", tmp_path / "mermaid.min.js")
    monkeypatch.delenv("REQUIRE_MERMAID", raising=False)
    with pytest.raises(pytest.skip.Exception, match="install-mermaid"):
        mermaid_parse_errors([FLOWCHART])
    monkeypatch.setenv("REQUIRE_MERMAID", "1")
    with pytest.raises(pytest.fail.Exception) as failure:
        mermaid_parse_errors([FLOWCHART])
    assert str(failure.value) == (
        "REQUIRE_MERMAID is set but Mermaid is not installed (run bash .ci/install-mermaid)"
    )


def test_with_require_mermaid_a_missing_chromium_fails_too(monkeypatch, tmp_path):
    installed = tmp_path / "mermaid.min.js"  # Mermaid present (or not, on this machine) ...
    installed.write_text("")
    monkeypatch.setattr(mermaid, "MERMAID_JS", installed)
    monkeypatch.setattr("tests.browser.shutil.which", lambda name: None)  # ... Chromium not
    monkeypatch.delenv("REQUIRE_BROWSER", raising=False)
    monkeypatch.setenv("REQUIRE_MERMAID", "1")
    with pytest.raises(pytest.fail.Exception, match="no Chromium is installed"):
        mermaid_parse_errors([FLOWCHART])
