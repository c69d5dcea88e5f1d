"""The gate's pictures (gate.plots): DVC's plot data to PNGs, and training curves to Mermaid."""

import pytest

from gate import plots as gate_plots
from gate.project import Curves

EPOCH = Curves("epoch")


def test_vega_specs_note_each_error_by_name_revision_and_message():
    output = {
        "data": {
            "p.png": [{"type": "image"}],
            "both": [
                {"type": "image", "revisions": ["HEAD"]},
                {"type": "vega", "revisions": ["HEAD"], "content": {"mark": "bar"}},
            ],
            "no revisions": [{"type": "vega", "content": {"mark": "dot"}}],
        },
        "errors": [
            {"name": "a.csv", "rev": "v1", "type": "ParseError", "msg": "bad row 3"},
            {"rev": "v2", "type": "RevError"},
            {"name": "b.csv", "msg": ""},
        ],
    }
    specs, notes = gate_plots.vega_specs(output, "HEAD")
    assert specs == [("both", {"mark": "bar"}), ("no revisions", {"mark": "dot"})]
    assert notes == [
        "no revisions: no data from HEAD (its outputs are not in the local DVC cache, or its "
        "dvc.yaml does not define this plot)",
        "a.csv v1: bad row 3",
        "v2: RevError",
        "b.csv: None",
    ]
    images_only = {"data": {"p.png": [{"type": "image", "revisions": ["HEAD"]}]}}
    assert gate_plots.vega_specs(images_only, "HEAD") == (
        [],
        ["nothing drawn: no data-series (Vega) plot has data on either side"],
    )
    assert gate_plots.vega_specs({"data": None, "errors": None}, "HEAD") == (
        [],
        ["nothing drawn: dvc.yaml defines no data-series (Vega) plots"],
    )


def test_vega_specs_are_taken_from_dvc_plots_json_and_gaps_noted():
    output = {
        "data": {
            "loss": [{"type": "vega", "revisions": ["workspace"], "content": {"mark": "line"}}],
            "picture.png": [{"type": "image", "revisions": ["HEAD"], "url": "x.png"}],
        },
        "errors": [{"name": "loss", "rev": "HEAD", "type": "FileNotFoundError", "msg": ""}],
    }
    specs, notes = gate_plots.vega_specs(output, "HEAD")
    assert specs == [("loss", {"mark": "line"})]
    assert notes[0].startswith("loss: no data from HEAD")
    assert notes[1] == "loss HEAD: FileNotFoundError"
    assert gate_plots.vega_specs({}, "HEAD")[1] == [
        "nothing drawn: dvc.yaml defines no data-series (Vega) plots"
    ]


def test_a_plot_title_becomes_a_file_name():
    assert gate_plots.slug("blobs4 loss (MSE)") == "blobs4_loss_MSE"
    assert gate_plots.slug("a/b.c-d_e") == "a_b.c-d_e"
    assert gate_plots.slug("???") == "plot"
    assert gate_plots.slug("X marks ") == "X_marks"


def linear(rows, y_title="loss"):
    """A filled linear-template spec as `dvc plots diff --json` gives it (several y fields)."""
    return {
        "encoding": {"x": {"field": "epoch", "title": "epoch"}},
        "layer": [{"encoding": {"y": {"field": "dvc_inferred_y_value", "title": y_title}}}],
        "data": {"values": rows},
    }


def curve_rows(rev, field, values):
    return [
        {
            "epoch": str(epoch),
            field: str(y),
            "dvc_inferred_y_value": str(y),
            "rev": rev,
            "field": field,
        }
        for epoch, y in enumerate(values)
    ]


def diff_json(title, spec, kind="vega"):
    return {"data": {title: [{"type": kind, "revisions": ["HEAD", "workspace"], "content": spec}]}}


def test_a_training_curve_is_one_line_per_side_and_field_the_base_first():
    rows = [
        *curve_rows("workspace", "loss", [0.5, 0.25]),
        *curve_rows("HEAD", "val_loss", [0.75, 0.5]),
        *curve_rows("HEAD", "loss", [0.5, 0.375]),
        *curve_rows("other", "loss", [9, 9]),
    ]
    [chart] = gate_plots.curve_charts(
        diff_json("m loss", linear(rows)), ("HEAD", "workspace"), EPOCH
    )
    assert chart.startswith("```mermaid\n")
    assert '    title "m loss"\n    x-axis "epoch" 0 --> 1\n    y-axis "loss"\n' in chart
    assert "    line [0.75, 0.5]\n    line [0.5, 0.375]\n    line [0.5, 0.25]\n```" in chart
    assert chart.endswith("Lines: blue: HEAD val_loss; orange: HEAD loss; green: workspace loss.\n")


def test_a_curve_with_one_y_field_reads_it_by_name_from_the_simple_template():
    spec = {
        "encoding": {"x": {"field": "step"}, "y": {"field": "loss", "title": "train loss"}},
        "data": {
            "values": [
                {"step": "20", "loss": "0.5", "rev": "HEAD"},
                {"step": "10", "loss": "1", "rev": "HEAD"},
                {"step": "10", "loss": "0.75", "rev": "workspace"},
            ]
        },
    }
    [chart] = gate_plots.curve_charts(diff_json("t", spec), ("HEAD", "workspace"), Curves("step"))
    assert '    x-axis "step" 10 --> 20\n    y-axis "train loss"\n' in chart
    assert "    line [1, 0.5]\n    line [0.75]\n```" in chart
    assert chart.endswith("Lines: blue: HEAD loss; orange: workspace loss.\n")


def test_only_plots_of_the_curves_x_and_file_are_charts():
    rows = curve_rows("HEAD", "loss", [1, 2])
    output = {
        "data": {
            "a": [{"type": "vega", "content": linear(rows)}],
            "b": [{"type": "vega", "content": linear(rows, "b's")}],
            "c": [
                {
                    "type": "vega",
                    "content": {**linear(rows), "encoding": {"x": {"field": "actual"}}},
                }
            ],
            "d": [{"type": "image", "content": linear(rows)}],
            "e": [{"type": "vega"}],
        }
    }
    revisions = ("HEAD", "workspace")
    charts = gate_plots.curve_charts(output, revisions, EPOCH)
    assert [block.splitlines()[3] for block in charts] == ['    title "a"', '    title "b"']
    sources = {"a": ["models/a/history.csv"], "b": ["b.csv"], "c": ["history.csv"]}
    by_file = gate_plots.curve_charts(output, revisions, Curves("epoch", "history.csv"), sources)
    assert [block.splitlines()[3] for block in by_file] == ['    title "a"']
    assert gate_plots.curve_charts(output, revisions, Curves("epoch", "history.csv")) == []


def test_every_item_of_a_plot_is_looked_at():
    rows = curve_rows("HEAD", "loss", [1, 2])
    output = {
        "data": {
            "a": [
                {"type": "image", "content": linear(rows)},
                {"type": "vega", "content": linear(curve_rows("v9", "loss", [3]))},
                {"type": "vega", "content": linear(rows, "a's")},
            ],
            "b": [{"type": "vega", "content": linear(rows, "b's")}],
        }
    }
    charts = gate_plots.curve_charts(output, ("HEAD", "workspace"), EPOCH)
    assert [block.splitlines()[5] for block in charts] == ['    y-axis "a\'s"', '    y-axis "b\'s"']


def test_a_curve_without_data_is_no_chart():
    no_data = {"encoding": {"x": {"field": "epoch"}, "y": {"field": "loss"}}}
    no_values = {**no_data, "data": {}}
    revisions = ("HEAD", "workspace")
    for spec in (no_data, no_values):
        assert gate_plots.curve_charts(diff_json("a", spec), revisions, EPOCH) == []


def test_no_plot_data_or_no_side_named_is_no_chart():
    revisions = ("HEAD", "workspace")
    assert gate_plots.curve_charts(None, revisions, EPOCH) == []
    assert gate_plots.curve_charts({"data": None}, revisions, EPOCH) == []
    rows = curve_rows("v1", "loss", [1, 2])
    assert gate_plots.curve_charts(diff_json("a", linear(rows)), revisions, EPOCH) == []
    no_title = linear(curve_rows("HEAD", "loss", [1]), None)
    [chart] = gate_plots.curve_charts(diff_json("a", no_title), revisions, EPOCH)
    assert '    y-axis ""\n' in chart


@pytest.mark.parametrize(
    "spec, y_axis",
    [
        (
            {"encoding": {"y": {"field": "a"}}, "layer": [{"encoding": {"y": {"field": "b"}}}]},
            {"field": "a"},
        ),
        ({"encoding": {"x": {}}, "layer": [{"encoding": {"y": {"field": "b"}}}]}, {"field": "b"}),
        ({"encoding": {"y": {}}, "layer": [{"encoding": {}}]}, {}),
        ({}, {}),
    ],
)
def test_the_y_axis_is_at_the_top_or_in_the_first_layer(spec, y_axis):
    assert gate_plots.y_encoding(spec) == y_axis


class FakeVlConvert:
    """vl_convert as render_plots calls it: a PNG for each spec, an error for a broken one.
    (Drawing for real, as the end-to-end tests do, takes seconds a process.)"""

    def __init__(self):
        self.calls = []

    def vegalite_to_png(self, spec, scale):
        self.calls.append((spec, scale))
        if spec.get("mark") == "broken":
            raise ValueError("cannot draw\n  this")
        return b"\x89PNG" + spec["mark"].encode()


@pytest.fixture
def vl_convert(monkeypatch):
    import sys

    fake = FakeVlConvert()
    monkeypatch.setitem(sys.modules, "vl_convert", fake)
    return fake


def test_each_vega_plot_is_drawn_to_a_png_named_after_its_title(tmp_path, vl_convert):
    output = {
        "data": {
            "a loss": [
                {"type": "vega", "revisions": ["HEAD", "workspace"], "content": {"mark": "line"}}
            ],
            "picture.png": [{"type": "image", "revisions": ["HEAD"], "url": "x.png"}],
            "broken": [{"type": "vega", "revisions": ["HEAD"], "content": {"mark": "broken"}}],
            "b": [{"type": "vega", "revisions": ["workspace"], "content": {"mark": "point"}}],
        }
    }
    out = tmp_path / "new" / "plots"
    out.mkdir(parents=True)  # a folder that is there already is drawn into
    plots = gate_plots.render_plots(output, "HEAD", out)
    assert plots.images == [("a loss", out / "a_loss.png"), ("b", out / "b.png")]
    assert (out / "a_loss.png").read_bytes() == b"\x89PNGline"
    assert (out / "b.png").read_bytes() == b"\x89PNGpoint"
    assert sorted(path.name for path in out.iterdir()) == ["a_loss.png", "b.png"]
    assert vl_convert.calls == [({"mark": mark}, 2) for mark in ("line", "broken", "point")]
    assert plots.notes == [
        "b: no data from HEAD (its outputs are not in the local DVC cache, or its dvc.yaml does "
        "not define this plot)",
        "broken: not drawn (cannot draw this)",
    ]


def test_plots_not_drawn_say_why(tmp_path, vl_convert):
    assert gate_plots.render_plots(None, "HEAD", tmp_path).notes == [
        "plots not drawn: DVC gave no plot data"
    ]
    odd = gate_plots.render_plots({"data": {"a": [3]}}, "HEAD", tmp_path / "out")
    assert odd == gate_plots.Plots(
        [],
        [
            "plots not drawn: unexpected dvc plots diff output (AttributeError(\"'int' object "
            "has no attribute 'get'\"))"
        ],
    )
    assert not (tmp_path / "out").exists() and vl_convert.calls == []
    none = gate_plots.render_plots({"data": {}}, "HEAD", tmp_path / "none" / "deep")
    assert none.notes == ["nothing drawn: dvc.yaml defines no data-series (Vega) plots"]
    assert none.images == [] and list((tmp_path / "none" / "deep").iterdir()) == []


@pytest.mark.parametrize(
    "output, error",
    [
        ({"data": {"a": [{"type": "vega"}]}}, "KeyError('content')"),
        ({"data": {}, "errors": [1]}, "AttributeError(\"'int' object has no attribute 'get'\")"),
        ({"data": [1]}, "AttributeError(\"'list' object has no attribute 'items'\")"),
        ({"data": {"a": [{"type": "vega", "content": {}, "revisions": 1}]}}, "TypeError("),
    ],
)
def test_unexpected_dvc_output_is_a_note_not_a_crash(tmp_path, vl_convert, output, error):
    [note] = gate_plots.render_plots(output, "HEAD", tmp_path).notes
    assert note.startswith(f"plots not drawn: unexpected dvc plots diff output ({error}")


def test_without_vl_convert_plots_are_not_drawn(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "vl_convert", None)
    assert gate_plots.render_plots({"data": {}}, "HEAD", tmp_path).notes == [
        "plots not drawn: vl-convert-python is not installed"
    ]
