"""The gate's message helpers (gate.messages): one line per error, and the closest name."""

from gate import messages


def test_an_error_without_a_message_is_named_by_its_type():
    assert messages.one_line(ValueError()) == "ValueError"
    assert messages.one_line(OSError("two\n  lines")) == "two lines"
    assert messages.one_line("  spaced \t out\n") == "spaced out"


def test_the_closest_name_is_suggested_with_a_trailing_space():
    assert (
        messages.did_you_mean("max_dorp", ["min", "max_drop", "max"]) == "did you mean max_drop? "
    )
    assert messages.did_you_mean("blobs5", {"blobs4", "regression"}) == "did you mean blobs4? "


def test_nothing_close_is_no_suggestion():
    assert messages.did_you_mean("zzz", ["max_drop", "min"]) == ""
    assert messages.did_you_mean("anything", []) == ""


def test_a_name_that_is_not_a_string_is_compared_as_written():
    assert messages.did_you_mean(12, ["123", "x"]) == "did you mean 123? "
