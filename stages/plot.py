"""Stage: draw an experiment's pictures as PNG files (boundary, predictions, anatomy; or fit)."""

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from pipeline import drawing, inference, tables
from pipeline.files import StrPath, read_json, write_atomic
from pipeline.settings import Plot, read_stage_settings
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
    x_axis, y_axis, X_grid = drawing.boundary_grid(plot_settings, tables.features(test))
    grid_classes = inference.predict(weights, X_grid).argmax(axis=1)
    n_classes = tables.n_classes(test)
    fig, ax = plt.subplots(figsize=(6, 6))
    drawing.draw_decision_boundary(
        ax, x_axis, y_axis, grid_classes.reshape(len(y_axis), len(x_axis)), n_classes
    )
    drawing.draw_points(ax, tables.features(test), test["y"].to_numpy(), n_classes)
    drawing.draw_class_legend(ax, n_classes)
    ax.set_title(f"{name}: decision boundary, test accuracy {accuracy:g}")
    return fig


def figure_predictions(
    test: "pd.DataFrame", probabilities: np.ndarray, *, accuracy: float, name: str
) -> Figure:
    """The test set coloured by predicted class beside the same points by true class."""
    X_test = tables.features(test)
    n_classes = tables.n_classes(test)
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
    X_test = tables.features(test)
    labels = test["y"].to_numpy()
    n_classes = tables.n_classes(test)
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
    probabilities = inference.predict(weights, tables.features(test))
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
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    inference.check_fits(weights, tables.features(test), args.weights)
    metrics = read_json(args.metrics)
    out = Path(args.out)
    if experiment.task == "classification":
        figures = classification_figures(
            weights,
            test,
            experiment.plot,
            accuracy=metrics["test_accuracy"],
            name=experiment.name,
        )
    else:
        figures = {
            "fitted_function": figure_regression(
                weights,
                train,
                test,
                experiment.plot,
                mse=metrics["test_mse"],
                name=experiment.name,
            )
        }
    for figure_name, fig in figures.items():
        save_figure(fig, out / f"{figure_name}.png")
    print(f"{experiment.name}: drew {', '.join(figures)} in {out}")


if __name__ == "__main__":
    cli.run(main)
