"""stages.plot: each experiment's figures, and PNG files whose bytes depend only on the picture."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.figure import Figure

from pipeline import datasets, drawing, inference
from pipeline.settings import Plot, TablePlot
from stages import plot

# A linear softmax classifier on 2 features, 3 classes: class j wins in its own third of the plane.
LINEAR = {
    "layers": [
        {
            "name": "wx_b",
            "kernel": [[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]],
            "bias": [0.0, 0.0, 0.0],
            "activation": "linear",
        }
    ],
    "output_activation": "softmax",
}
TWO_LAYER = {
    "layers": [
        {
            "name": "hidden_0",
            "kernel": [[1.0, -1.0], [0.5, 2.0]],
            "bias": [0.0, 0.1],
            "activation": "relu",
        },
        {
            "name": "wx_b",
            "kernel": [[1.0, -1.0, 0.0], [0.0, 0.5, -0.5]],
            "bias": [0.0, 0.0, 0.1],
            "activation": "linear",
        },
    ],
    "output_activation": "softmax",
}
# One sigmoid unit: prediction 1 / (1 + e^x), the regression experiment's target.
SIGMOID = {
    "layers": [{"name": "wx_b", "kernel": [[-1.0]], "bias": [0.0], "activation": "linear"}],
    "output_activation": "sigmoid",
}
GRID = Plot(grid_min=-3.0, grid_max=3.0, grid_points=7)


def classification_test_table(n=12, n_classes=3):
    rng = np.random.default_rng(0)
    y = np.arange(n) % n_classes
    return datasets.make_table(
        rng.normal(size=(n, 2)), y, y, np.eye(n_classes, dtype=np.float32)[y]
    )


def regression_tables():
    x = np.linspace(-3.0, 3.0, 16)
    y_true = 1.0 / (1.0 + np.exp(x))
    y = y_true + np.random.default_rng(1).normal(0.0, 0.05, 16)
    table = datasets.make_table(x[:, None], y, y_true)
    return table.iloc[::2].reset_index(drop=True), table.iloc[1::2].reset_index(drop=True)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_uses_agg():
    import matplotlib

    assert matplotlib.get_backend().lower() == "agg"


def test_figure_decision_boundary():
    test = classification_test_table()
    fig = plot.figure_decision_boundary(LINEAR, test, GRID, accuracy=0.87654, name="blobs3")

    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert (
        ax.get_title() == "blobs3: decision boundary, test accuracy 0.87654"
    )  # as the metrics file has it
    mesh = [c for c in ax.collections if isinstance(c, QuadMesh)]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    # The grid, the test points, and one (empty) legend handle per class.
    assert len(mesh) == 1 and len(points) == 1 + 3
    assert len(ax.collections) == 2 + 3
    _, _, X_grid = drawing.boundary_grid(GRID, datasets.features(test))
    expected = inference.predict(LINEAR, X_grid).argmax(axis=1)
    np.testing.assert_array_equal(np.asarray(mesh[0].get_array()).ravel(), expected)
    assert set(expected) == {0, 1, 2}
    np.testing.assert_array_equal(points[0].get_offsets(), datasets.features(test))
    assert ax.get_xlim() == (-3.0, 3.0)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]


def test_figure_predictions():
    test = classification_test_table()
    probabilities = inference.predict(LINEAR, datasets.features(test))
    fig = plot.figure_predictions(test, probabilities, accuracy=0.5, name="blobs3")
    ax_predicted, ax_true = fig.axes
    assert fig.get_suptitle() == "blobs3: test set"
    assert ax_predicted.get_title() == "predicted class (accuracy 0.5)"
    assert ax_true.get_title() == "true class"
    assert len(ax_predicted.collections) == 1 and len(ax_true.collections) == 1 + 3


def test_figure_anatomy():
    test = classification_test_table()
    probabilities = inference.predict(LINEAR, datasets.features(test))
    fig = plot.figure_anatomy(LINEAR, test, probabilities, "blobs3")
    assert len(fig.axes) == 6
    assert fig.get_suptitle() == "blobs3: anatomy of a linear classifier"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == [
        "learned W",
        "learned b",
        "test data x",
        "W.x",
        "W.x + b (arrow: b)",
        "softmax outputs",
    ]
    # W is shown as the text writes it (classes x features): kernel transposed.
    assert [t.get_text() for t in fig.axes[0].texts] == [
        "1.000",
        "0.000",
        "-1.000",
        "0.000",
        "0.000",
        "1.000",
    ]


def test_classification_figures_anatomy_only_for_a_linear_model():
    test = classification_test_table()
    assert sorted(plot.classification_figures(LINEAR, test, GRID, accuracy=0.9, name="a")) == [
        "anatomy",
        "decision_boundary",
        "predictions",
    ]
    assert sorted(plot.classification_figures(TWO_LAYER, test, GRID, accuracy=0.9, name="b")) == [
        "decision_boundary",
        "predictions",
    ]


def test_figure_regression():
    train, test = regression_tables()
    settings = Plot(grid_min=-4.0, grid_max=4.0, grid_points=9)
    fig = plot.figure_regression(SIGMOID, train, test, settings, mse=0.0123456, name="regression")

    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_title() == "regression: fitted function, test MSE 0.0123456"
    assert len(ax.collections) == 2  # train and test points
    assert [len(c.get_offsets()) for c in ax.collections] == [8, 8]
    truth, model = ax.lines
    np.testing.assert_array_equal(model.get_xdata(), np.linspace(-4.0, 4.0, 9))
    np.testing.assert_allclose(model.get_ydata(), 1.0 / (1.0 + np.exp(np.linspace(-4.0, 4.0, 9))))
    assert len(truth.get_xdata()) == 16


def test_save_figure_twice_gives_identical_png(tmp_path):
    paths = [tmp_path / "a" / "boundary.png", tmp_path / "b" / "boundary.png"]
    for path in paths:
        fig = plot.figure_decision_boundary(
            LINEAR, classification_test_table(), GRID, accuracy=0.9, name="x"
        )
        plot.save_figure(fig, path)
        assert not plt.fignum_exists(fig.number)  # closed once saved

    first = paths[0].read_bytes()
    assert first.startswith(b"\x89PNG\r\n\x1a\n")
    assert first == paths[1].read_bytes()
    assert b"Software" not in first
    assert [p.name for p in paths[0].parent.iterdir()] == ["boundary.png"]


def test_save_regression_figure_twice_gives_identical_png(tmp_path):
    train, test = regression_tables()
    data = []
    for name in ("a.png", "b.png"):
        fig = plot.figure_regression(SIGMOID, train, test, GRID, mse=0.01, name="regression")
        plot.save_figure(fig, tmp_path / name)
        data.append((tmp_path / name).read_bytes())
    assert data[0] == data[1]


# --- a table's pictures ---

# A linear softmax on 4 standardized features, 3 classes, and the names a table's file gives.
TABLE_WEIGHTS = {
    "layers": [
        {
            "name": "wx_b",
            "kernel": [[2.0, -1.0, 0.0], [0.0, 1.5, -1.0], [0.5, 0.0, 1.0], [-1.0, 0.3, 0.2]],
            "bias": [0.1, 0.0, -0.1],
            "activation": "linear",
        }
    ],
    "output_activation": "softmax",
    "standardize": {
        "mean": [10.0, 0.0, 5.0, 100.0],
        "variance": [4.0, 1.0, 9.0, 400.0],
        "epsilon": 1e-7,
    },
}
TABLE_SCHEMA = datasets.Schema(("a", "b", "c", "d"), "kind", ("setosa", "versicolor", "virginica"))


def table_parts(n_features=4, n=60):
    rng = np.random.default_rng(3)
    X = (
        rng.normal(size=(n, n_features)) * [2.0, 1.0, 3.0, 20.0][:n_features]
        + [10, 0, 5, 100][:n_features]
    )
    y = rng.integers(0, 3, size=n)  # labels unrelated to the model: many points are wrong
    table = datasets.make_table(X, y, None, np.eye(3, dtype=np.float32)[y])
    return table.iloc[:40].reset_index(drop=True), table.iloc[40:].reset_index(drop=True)


def drawn_points(ax):
    """The scatter of class-coloured points (the first collection with one colour per point)."""
    return next(c for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets()))


def test_a_tables_points_have_the_colour_of_the_class_the_model_predicts():
    train, test = table_parts()
    fig = plot.figure_table_classes(
        TABLE_WEIGHTS, train, test, TABLE_SCHEMA, TablePlot(grid_points=10), accuracy=0.5, name="t"
    )
    ax = fig.axes[0]
    predicted = inference.predict(TABLE_WEIGHTS, datasets.features(test)).argmax(axis=1)
    colours = np.array(drawing.class_colors(3))[predicted]
    drawn = drawn_points(ax).get_facecolors()
    # Agreement of the colours drawn with the model's own predictions on those points: 100 %.
    assert np.mean(np.all(np.isclose(drawn, colours), axis=1)) == 1.0
    # The wrong ones are marked, as many as there are.
    wrong = predicted != test["y"].to_numpy()
    [marks] = [c for c in ax.collections if str(c.get_label()).startswith("wrong")]
    assert len(marks.get_offsets()) == wrong.sum() > 0
    # Four features: a projection named on the axes, and no boundary drawn.
    assert ax.get_xlabel().startswith("principal component 1 of the standardized features")
    assert not [c for c in ax.collections if isinstance(c, QuadMesh)]
    assert [t.get_text() for t in ax.get_legend().get_texts()][:3] == list(TABLE_SCHEMA.classes)


def test_a_two_feature_tables_boundary_is_the_models_decision_on_the_points_drawn():
    train, test = table_parts(n_features=2)
    weights = {**LINEAR}
    schema = datasets.Schema(("height", "width"), "kind", ("p", "q", "r"))
    fig = plot.figure_table_classes(
        weights, train, test, schema, TablePlot(grid_points=40), accuracy=0.5, name="t"
    )
    ax = fig.axes[0]
    [mesh] = [c for c in ax.collections if isinstance(c, QuadMesh)]
    predicted = inference.predict(weights, datasets.features(test)).argmax(axis=1)
    drawn = drawn_points(ax).get_facecolors()
    assert np.all(np.isclose(drawn, np.array(drawing.class_colors(3))[predicted]))
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("height", "width")
    assert mesh.get_array().size == 40 * 40


def test_a_table_regression_draws_predicted_against_actual_and_residuals():
    train, test = regression_tables()
    metrics = {"test_mse": 0.01, "test_r2": 0.9, "linreg_r2": 0.8}
    schema = datasets.Schema(("x",), "y", None)
    fig = plot.figure_table_regression(SIGMOID, test, schema, metrics, "r")
    fit, residuals = fig.axes
    predicted = inference.predict(SIGMOID, datasets.features(test))[:, 0]
    np.testing.assert_allclose(fit.collections[0].get_offsets()[:, 1], predicted)
    np.testing.assert_allclose(
        residuals.collections[0].get_offsets()[:, 1], test["y"].to_numpy() - predicted
    )
    assert fig._suptitle.get_text() == "r: test MSE 0.01, R² 0.9 (linear regression: R² 0.8)"


def test_a_linear_tables_anatomy_names_every_feature():
    fig = plot.figure_table_weights(TABLE_WEIGHTS, TABLE_SCHEMA, "t")
    ax_w = fig.axes[0]
    assert [t.get_text() for t in ax_w.get_yticklabels()] == ["a", "b", "c", "d"]
    assert [t.get_text() for t in ax_w.get_xticklabels()] == list(TABLE_SCHEMA.classes)
