"""pipeline.drawing: the palette, the boundary grid and the drawing helpers (on Agg axes)."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from pipeline import drawing
from pipeline.settings import Plot
from stages import plot  # noqa: F401  (selects the Agg backend before pyplot loads)


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


# --- class_colors ---


@pytest.mark.parametrize("n", [1, 2, 4, 10, 11, 20])
def test_class_colors_length_and_distinct(n):
    colors = drawing.class_colors(n)
    assert len(colors) == n
    assert len({to_hex(c) for c in colors}) == n
    assert all(len(c) == 4 and all(0 <= v <= 1 for v in c) for c in colors)


TAB10 = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #7f7f7f #bcbd22 #17becf"
TAB20 = (
    "#1f77b4 #aec7e8 #ff7f0e #ffbb78 #2ca02c #98df8a #d62728 #ff9896 #9467bd #c5b0d5 "
    "#8c564b #c49c94 #e377c2 #f7b6d2 #7f7f7f #c7c7c7 #bcbd22 #dbdb8d #17becf #9edae5"
)


@pytest.mark.parametrize(
    "n, palette", [(1, TAB10), (4, TAB10), (10, TAB10), (11, TAB20), (12, TAB20), (20, TAB20)]
)
def test_class_colors_are_tab10_then_tab20(n, palette):
    # Up to 10 classes: tab10's colours in order; from 11, tab20's (its pairs of light and dark).
    assert [to_hex(c) for c in drawing.class_colors(n)] == palette.split()[:n]


# --- boundary_grid ---


def test_boundary_grid_two_features():
    settings = Plot(grid_min=-2.0, grid_max=2.0, grid_points=5)
    X_reference = np.array([[0.0, 10.0], [4.0, 20.0]])

    x_axis, y_axis, X_grid = drawing.boundary_grid(settings, X_reference)

    np.testing.assert_array_equal(x_axis, [-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(y_axis, x_axis)
    assert X_grid.shape == (25, 2)
    xx, yy = np.meshgrid(x_axis, y_axis)
    np.testing.assert_array_equal(X_grid[:, 0], xx.ravel())
    np.testing.assert_array_equal(X_grid[:, 1], yy.ravel())
    # Row-major: the first row of the grid walks along x at y = grid_min.
    np.testing.assert_array_equal(X_grid[:5], [[-2, -2], [-1, -2], [0, -2], [1, -2], [2, -2]])


def test_boundary_grid_holds_other_features_at_their_mean():
    settings = Plot(grid_min=0.0, grid_max=1.0, grid_points=4)
    X_reference = np.array([[5.0, 5.0, 1.0], [7.0, 9.0, 3.0], [0.0, 1.0, 8.0]])

    x_axis, y_axis, X_grid = drawing.boundary_grid(settings, X_reference)

    assert X_grid.shape == (16, 3)
    xx, yy = np.meshgrid(x_axis, y_axis)
    np.testing.assert_array_equal(X_grid[:, 0], xx.ravel())
    np.testing.assert_array_equal(X_grid[:, 1], yy.ravel())
    np.testing.assert_allclose(X_grid[:, 2], 4.0)


def test_boundary_grid_one_feature():
    settings = Plot(grid_min=-1.0, grid_max=1.0, grid_points=3)
    x_axis, y_axis, X_grid = drawing.boundary_grid(settings, np.array([[0.3], [0.5]]))
    assert X_grid.shape == (9, 1)
    np.testing.assert_array_equal(X_grid[:, 0], np.tile([-1.0, 0.0, 1.0], 3))
    np.testing.assert_array_equal(y_axis, [-1.0, 0.0, 1.0])


# --- drawing helpers ---


def test_draw_points_colours_by_class(ax):
    X = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    drawing.draw_points(ax, X, np.array([2, 0, 2]), 3)

    (points,) = ax.collections
    np.testing.assert_array_equal(points.get_offsets(), X)
    colors = drawing.class_colors(3)
    assert [to_hex(c) for c in points.get_facecolors()] == [to_hex(colors[j]) for j in (2, 0, 2)]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x0", "x1")


def test_draw_points_one_feature_on_a_line(ax):
    drawing.draw_points(ax, np.array([[1.0], [2.0]]), np.array([0, 1]), 2)
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), [[1.0, 0.0], [2.0, 0.0]])


def test_draw_decision_boundary(ax):
    x_axis = np.array([0.0, 1.0, 2.0])
    y_axis = np.array([10.0, 20.0])
    classes = np.array([[0, 1, 2], [2, 2, 1]])
    drawing.draw_decision_boundary(ax, x_axis, y_axis, classes, 3)

    (mesh,) = ax.collections
    np.testing.assert_array_equal(np.asarray(mesh.get_array()).reshape(2, 3), classes)
    assert mesh.get_clim() == (-0.5, 2.5)
    assert ax.get_xlim() == (0.0, 2.0) and ax.get_ylim() == (10.0, 20.0)


def test_draw_class_legend(ax):
    drawing.draw_class_legend(ax, 3)
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["class 0", "class 1", "class 2"]


def test_draw_regression(ax):
    train = pd.DataFrame({"x0": [2.0, 0.0], "y": [0.1, 0.6], "y_oracle": [0.12, 0.5]})
    test = pd.DataFrame({"x0": [1.0], "y": [0.3], "y_oracle": [0.27]})
    drawing.draw_regression(ax, train, test, np.array([0.0, 1.0, 2.0]), np.array([0.5, 0.3, 0.1]))

    assert [len(c.get_offsets()) for c in ax.collections] == [2, 1]
    truth, model = ax.lines
    # The noise-free curve is drawn in x order across both splits.
    np.testing.assert_array_equal(truth.get_xdata(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(truth.get_ydata(), [0.5, 0.27, 0.12])
    np.testing.assert_array_equal(model.get_ydata(), [0.5, 0.3, 0.1])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "train",
        "test",
        "noise-free",
        "model",
    ]


def test_draw_heatmap_writes_each_value(ax):
    matrix = np.array([[1.0, -2.0], [0.5, 0.25]])
    drawing.draw_heatmap(ax, matrix, ["r0", "r1"], ["c0", "c1"], "W")
    assert [t.get_text() for t in ax.texts] == ["1.000", "-2.000", "0.500", "0.250"]
    assert ax.get_title() == "W"
    assert ax.images[0].get_clim() == (-2.0, 2.0)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["r0", "r1"]


def test_draw_mapped_points_and_probabilities(ax):
    Z = np.array([[1.0, 2.0], [-1.0, 0.5]])
    drawing.draw_mapped_points(
        ax, Z, np.array([0, 1]), 2, title="W.x + b", bias=np.array([0.3, -0.2])
    )
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), Z)
    assert ax.get_title() == "W.x + b"
    # The bias arrow (an empty annotation from the origin to b) and its label.
    arrow, label = ax.texts
    assert arrow.xy == (0.3, -0.2) and arrow.xyann == (0.0, 0.0)
    assert label.get_text() == "  b" and label.get_position() == (0.3, -0.2)

    fig, other = plt.subplots()
    drawing.draw_probabilities(other, np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 1]), 2)
    np.testing.assert_array_equal(other.collections[0].get_offsets(), [[0.9, 0.1], [0.2, 0.8]])
    assert other.get_title() == "softmax outputs"
    plt.close(fig)
