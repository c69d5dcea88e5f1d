"""Mermaid line charts (gate.charts): plain numbers, named lines and colours, safe labels."""

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
