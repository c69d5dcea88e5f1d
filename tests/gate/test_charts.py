"""Mermaid line charts (gate.charts): plain numbers, named lines and colours, safe labels."""

import math

import pytest

from gate import charts


def test_values_are_plain_decimals_as_mermaid_requires():
    assert charts.plain(1.5e-05) == "0.000015"
    assert charts.plain(0.175801) == "0.175801"
    assert charts.plain(0.1234567891) == "0.123457"
    assert charts.plain(12.0) == "12"
    assert charts.plain(-0.25) == "-0.25"


def test_a_chart_names_each_line_and_its_colour():
    block = charts.line_chart("t", ("epoch", 0, 2), [("HEAD loss", [3, 2, 1]), ("new", [1])], "y")
    assert '    x-axis "epoch" 0 --> 2' in block
    assert block.endswith("Lines: blue: HEAD loss; orange: new.\n")
    assert '"plotColorPalette": "#1f77b4, #ff7f0e"' in block


def test_a_quote_in_a_label_cannot_end_it_early():
    assert charts.quoted('say "hi"') == "\"say 'hi'\""


def test_numbers_in_any_notation_are_written_as_plain_decimals_of_six_digits():
    assert charts.plain(1.5e-07) == "0.00000015"  # str(Decimal) would write 1.5E-7
    assert charts.plain(1234567.0) == "1234570"  # ... and 1.23457E+6
    assert charts.plain(1e6) == "1000000"
    assert charts.plain(10) == "10"
    assert charts.plain(0) == "0"
    assert charts.plain(2.50) == "2.5"


def test_non_finite_values_are_written_as_decimal_writes_them():
    # Callers draw finite values; these show what a NaN or infinite one would look like.
    assert [charts.plain(value) for value in (math.nan, math.inf, -math.inf)] == [
        "NaN",
        "Infinity",
        "-Infinity",
    ]


@pytest.mark.parametrize(
    "x_axis, text",
    [
        (("epoch", 0, 9.5), '"epoch" 0 --> 9.5'),
        (["a", "b"], '["a", "b"]'),
        (("a", "b"), '["a", "b"]'),  # a tuple of labels is labels
        (("a", "b", "c"), '["a", "b", "c"]'),
        ([1, 2, 3], '["1", "2", "3"]'),  # so is a list of three numbers
        (['say "x"'], "[\"say 'x'\"]"),
        ([], "[]"),
    ],
)
def test_an_x_axis_is_a_numeric_range_or_a_list_of_labels(x_axis, text):
    assert charts.axis(x_axis) == text


def test_a_whole_chart_block_as_mermaid_reads_it():
    block = charts.line_chart(
        'a "b"', ["x1", "x2"], [("first", [0.5, 1e-07]), ("second", [2])], "y title"
    )
    assert block == (
        "```mermaid\n"
        '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#1f77b4, #ff7f0e"}}}}%%\n'
        "xychart-beta\n"
        "    title \"a 'b'\"\n"
        '    x-axis ["x1", "x2"]\n'
        '    y-axis "y title"\n'
        "    line [0.5, 0.0000001]\n"
        "    line [2]\n"
        "```\n"
        "\n"
        "Lines: blue: first; orange: second.\n"
    )


def test_more_lines_than_colours_are_cut_to_the_palette():
    lines = [(f"l{i}", [i]) for i in range(10)]
    block = charts.line_chart("t", ("x", 0, 1), lines, "y")
    assert block.count("    line [") == len(charts.PALETTE) == 8
    assert "    line [7]\n```" in block
    assert block.endswith(
        "Lines: blue: l0; orange: l1; green: l2; red: l3; purple: l4; brown: l5; pink: l6; "
        "grey: l7.\n"
    )
    assert f'"plotColorPalette": "{", ".join(charts.PALETTE)}"' in block
