"""Stage: draw an experiment's pictures as PNG files (boundary, predictions, anatomy; or fit)."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from pipeline import datasets, drawing, inference
from pipeline.files import StrPath, read_json, write_atomic
from pipeline.settings import Experiment, Plot, TablePlot, read_stage_settings
from pipeline.tasks import Task
from stages import cli

if TYPE_CHECKING:
    import pandas as pd


def figure_decision_boundary(
    weights: dict[str, Any],
    test: "pd.DataFrame",
    plot_settings: Plot,
    *,
    accuracy: float,
    name: str,
) -> Figure:
    """The grid's predicted classes with the test points over it."""
    x_axis, y_axis, X_grid = drawing.boundary_grid(plot_settings, datasets.features(test))
    grid_classes = inference.predict(weights, X_grid).argmax(axis=1)
    n_classes = datasets.n_classes(test)
    fig, ax = plt.subplots(figsize=(6, 6))
    drawing.draw_decision_boundary(
        ax, x_axis, y_axis, grid_classes.reshape(len(y_axis), len(x_axis)), n_classes
    )
    drawing.draw_points(ax, datasets.features(test), test["y"].to_numpy(), n_classes)
    drawing.draw_class_legend(ax, n_classes)
    ax.set_title(f"{name}: decision boundary, test accuracy {accuracy:g}")
    return fig


def figure_predictions(
    test: "pd.DataFrame", probabilities: np.ndarray, *, accuracy: float, name: str
) -> Figure:
    """The test set coloured by predicted class beside the same points by true class."""
    X_test = datasets.features(test)
    n_classes = datasets.n_classes(test)
    predicted = probabilities.argmax(axis=1)
    fig, (ax_predicted, ax_true) = plt.subplots(1, 2, figsize=(11, 5), sharex=True, sharey=True)
    drawing.draw_points(ax_predicted, X_test, predicted, n_classes)
    ax_predicted.set_title(f"predicted class (accuracy {accuracy:g})")
    drawing.draw_points(ax_true, X_test, test["y"].to_numpy(), n_classes)
    ax_true.set_title("true class")
    drawing.draw_class_legend(ax_true, n_classes)
    fig.suptitle(f"{name}: test set")
    return fig


def figure_anatomy(
    weights: dict[str, Any], test: "pd.DataFrame", probabilities: np.ndarray, name: str
) -> Figure:
    """The anatomy of a linear classifier: W, b, and the data through W.x, W.x + b, softmax
    (``probabilities``: the model's outputs on the test set)."""
    layer = weights["layers"][0]
    W = np.asarray(layer["kernel"]).T  # Keras stores x.W; the text writes W.x
    b = np.asarray(layer["bias"])
    X_test = datasets.features(test)
    labels = test["y"].to_numpy()
    n_classes = datasets.n_classes(test)
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.5))
    classes = [f"class {j}" for j in range(len(b))]
    drawing.draw_heatmap(axes[0, 0], W, classes, [f"x{j}" for j in range(W.shape[1])], "learned W")
    drawing.draw_heatmap(axes[0, 1], b[:, None], classes, ["b"], "learned b")
    drawing.draw_points(axes[0, 2], X_test, labels, n_classes)
    axes[0, 2].set_title("test data x")
    Wx = X_test @ W.T
    drawing.draw_mapped_points(axes[1, 0], Wx, labels, n_classes, title="W.x")
    drawing.draw_mapped_points(
        axes[1, 1], Wx + b, labels, n_classes, title="W.x + b (arrow: b)", bias=b
    )
    drawing.draw_probabilities(axes[1, 2], probabilities, labels, n_classes)
    fig.suptitle(f"{name}: anatomy of a linear classifier")
    return fig


def classification_figures(
    weights: dict[str, Any],
    test: "pd.DataFrame",
    plot_settings: Plot,
    *,
    accuracy: float,
    name: str,
) -> dict[str, Figure]:
    """Every picture of a classification experiment (the anatomy only for a linear model)."""
    probabilities = inference.predict(weights, datasets.features(test))
    figures = {
        "decision_boundary": figure_decision_boundary(
            weights, test, plot_settings, accuracy=accuracy, name=name
        ),
        "predictions": figure_predictions(test, probabilities, accuracy=accuracy, name=name),
    }
    if len(weights["layers"]) == 1:
        figures["anatomy"] = figure_anatomy(weights, test, probabilities, name)
    return figures


def figure_regression(
    weights: dict[str, Any],
    train: "pd.DataFrame",
    test: "pd.DataFrame",
    plot_settings: Plot,
    *,
    mse: float,
    name: str,
) -> Figure:
    """The data and the model's fitted function over the plot range."""
    x_curve = np.linspace(plot_settings.grid_min, plot_settings.grid_max, plot_settings.grid_points)
    y_curve = inference.predict(weights, x_curve[:, None])[:, 0]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    drawing.draw_regression(ax, train, test, x_curve, y_curve)
    ax.set_title(f"{name}: fitted function, test MSE {mse:g}")
    return fig


def projection(
    train: "pd.DataFrame", test: "pd.DataFrame", schema: datasets.Schema
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The test points in two dimensions, and the axes' names: the features themselves when a
    table has two, else the first two principal components of the standardized features, both
    fitted on the train split."""
    X_train, X_test = datasets.features(train), datasets.features(test)
    if X_train.shape[1] == 2:
        return X_test, schema.features
    from sklearn.decomposition import PCA  # only for a table of more than two features
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pca = make_pipeline(StandardScaler(), PCA(n_components=2, random_state=0)).fit(X_train)
    shares = pca[-1].explained_variance_ratio_
    names = tuple(
        f"principal component {j + 1} of the standardized features ({share:.0%} of variance)"
        for j, share in enumerate(shares)
    )
    return pca.transform(X_test), names


def figure_table_classes(
    weights: dict[str, Any],
    train: "pd.DataFrame",
    test: "pd.DataFrame",
    schema: datasets.Schema,
    plot_settings: TablePlot,
    *,
    accuracy: float,
    name: str,
) -> Figure:
    """A table's test points coloured by the class the model predicts, marked where wrong.

    With two features, over the model's decision on a grid of the data's range; with more, in
    a 2-D projection, where no boundary is drawn: a boundary in a projection would not be the
    model's decision on the points drawn.
    """
    X_test = datasets.features(test)
    predicted = inference.predict(weights, X_test).argmax(axis=1)
    wrong = predicted != test["y"].to_numpy()
    n_classes = len(schema.classes)
    P, axis_names = projection(train, test, schema)
    fig, ax = plt.subplots(figsize=(7, 6))
    if X_test.shape[1] == 2:
        X_both = np.vstack([datasets.features(train), X_test])
        x_axis, y_axis, X_grid = drawing.data_grid(X_both, plot_settings.grid_points)
        grid_classes = inference.predict(weights, X_grid).argmax(axis=1)
        drawing.draw_decision_boundary(
            ax, x_axis, y_axis, grid_classes.reshape(len(y_axis), len(x_axis)), n_classes
        )
        how = "over the model's decision on a grid"
    else:
        how = f"projected from {X_test.shape[1]} features (no boundary)"
    drawing.draw_points(ax, P, predicted, n_classes, axis_names)
    drawing.mark_wrong(ax, P, wrong)
    drawing.draw_class_legend(ax, n_classes, schema.classes)
    ax.set_title(
        f"{name}: test points by predicted {schema.target}, x where wrong\n"
        f"{how}; test accuracy {accuracy:g}",
        fontsize="medium",
    )
    return fig


def figure_table_weights(weights: dict[str, Any], schema: datasets.Schema, name: str) -> Figure:
    """A linear model's weight for every feature by name, and its bias, per output."""
    layer = weights["layers"][0]
    W = np.asarray(layer["kernel"])  # features x outputs
    b = np.asarray(layer["bias"])[None, :]
    outputs = list(schema.classes) if schema.classes else [schema.target]
    standardized = "standardize" in weights
    height = 1.5 + 0.35 * len(schema.features)
    fig, (ax_w, ax_b) = plt.subplots(
        2,
        1,
        figsize=(2.5 + 1.2 * len(outputs), height + 1.2),
        gridspec_kw={"height_ratios": [len(schema.features), 1.5]},
    )
    drawing.draw_heatmap(ax_w, W, list(schema.features), outputs, "learned W (one row per feature)")
    drawing.draw_heatmap(ax_b, b, ["b"], outputs, "learned b")
    on = "standardized features" if standardized else "features as in the file"
    if "unstandardize_target" in weights:
        on += f", in standard deviations of {schema.target}"
    fig.suptitle(f"{name}: anatomy of a linear model (weights on the {on})")
    return fig


def figure_table_regression(
    weights: dict[str, Any], test: "pd.DataFrame", schema: datasets.Schema, metrics: dict, name: str
) -> Figure:
    """A table regression's predictions against the actual values, and the residuals."""
    actual = test["y"].to_numpy()
    predicted = inference.predict(weights, datasets.features(test))[:, 0]
    fig, (ax_fit, ax_residuals) = plt.subplots(1, 2, figsize=(11, 5))
    drawing.draw_predicted_against_actual(ax_fit, actual, predicted, schema.target)
    ax_fit.set_title("test points: predicted against actual")
    drawing.draw_residuals(ax_residuals, actual, predicted, schema.target)
    ax_residuals.set_title("residuals")
    fig.suptitle(
        f"{name}: test MSE {metrics['test_mse']:g}, R² {metrics['test_r2']:g} "
        f"(linear regression: R² {metrics['linreg_r2']:g})"
    )
    return fig


def table_figures(
    experiment: Experiment,
    weights: dict[str, Any],
    train: "pd.DataFrame",
    test: "pd.DataFrame",
    schema: datasets.Schema,
    metrics: dict,
) -> dict[str, Figure]:
    """Every picture of a table experiment."""
    if experiment.task == Task.CLASSIFICATION:
        figures = {
            "predicted_classes": figure_table_classes(
                weights,
                train,
                test,
                schema,
                experiment.plot,
                accuracy=metrics["test_accuracy"],
                name=experiment.name,
            )
        }
    else:
        figures = {
            "predicted_vs_actual": figure_table_regression(
                weights, test, schema, metrics, experiment.name
            )
        }
    if len(weights["layers"]) == 1:
        figures["anatomy"] = figure_table_weights(weights, schema, experiment.name)
    return figures


def synthetic_figures(
    experiment: Experiment,
    weights: dict[str, Any],
    train: "pd.DataFrame",
    test: "pd.DataFrame",
    metrics: dict,
) -> dict[str, Figure]:
    """Every picture of one of the notebook's synthetic experiments."""
    if experiment.task == Task.CLASSIFICATION:
        return classification_figures(
            weights,
            test,
            experiment.plot,
            accuracy=metrics["test_accuracy"],
            name=experiment.name,
        )
    return {
        "fitted_function": figure_regression(
            weights, train, test, experiment.plot, mse=metrics["test_mse"], name=experiment.name
        )
    }


def save_figure(fig: Figure, path: StrPath) -> None:
    """Save a PNG whose bytes depend only on the picture (no software or date stamp)."""
    write_atomic(
        path,
        lambda tmp: fig.savefig(
            tmp, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None}
        ),
    )
    plt.close(fig)


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "weights", "train", "test", "metrics", "out")
    experiment = read_stage_settings(args.settings, "plot")
    weights = inference.read_weights(args.weights)
    train = datasets.read_table(args.train, experiment.task)
    test = datasets.read_table(args.test, experiment.task)
    inference.check_fits(weights, datasets.features(test), args.weights)
    metrics = read_json(args.metrics)
    out = Path(args.out)
    if experiment.table:
        schema = datasets.read_schema(args.test, test)
        figures = table_figures(experiment, weights, train, test, schema, metrics)
    else:
        figures = synthetic_figures(experiment, weights, train, test, metrics)
    for figure_name, fig in figures.items():
        save_figure(fig, out / f"{figure_name}.png")
    print(f"{experiment.name}: drew {', '.join(figures)} in {out}")
