"""Stage: draw an experiment's pictures as PNG files (decision boundary, or fitted curve)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from stages import cli, inference, plotting, tables  # noqa: E402
from stages.files import read_json, write_atomic  # noqa: E402
from stages.settings import read_stage_settings  # noqa: E402


def figure_decision_boundary(weights, test, plot_settings, accuracy, name):
    """The grid's predicted classes with the test points over it."""
    x_axis, y_axis, X_grid = plotting.boundary_grid(plot_settings, tables.features(test))
    grid_classes = inference.predict(weights, X_grid).argmax(axis=1)
    n_classes = tables.n_classes(test)
    fig, ax = plt.subplots(figsize=(6, 6))
    plotting.draw_decision_boundary(ax, x_axis, y_axis,
                                    grid_classes.reshape(len(y_axis), len(x_axis)), n_classes)
    plotting.draw_points(ax, tables.features(test), test["y"].to_numpy(), n_classes)
    plotting.draw_class_legend(ax, n_classes)
    ax.set_title(f"{name}: decision boundary, test accuracy {accuracy:.4f}")
    return fig


def figure_regression(weights, train, test, plot_settings, mse, name):
    """The data and the model's fitted function over the plot range."""
    x_curve = np.linspace(plot_settings.grid_min, plot_settings.grid_max, plot_settings.grid_points)
    y_curve = inference.predict(weights, x_curve[:, None])[:, 0]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plotting.draw_regression(ax, train, test, x_curve, y_curve)
    ax.set_title(f"{name}: fitted function, test MSE {mse:.5f}")
    return fig


def save_figure(fig, path):
    """Save a PNG whose bytes depend only on the picture (no software or date stamp)."""
    write_atomic(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight",
                                               metadata={"Software": None}))
    plt.close(fig)


def main():
    args = cli.parse_paths(__doc__, "settings", "weights", "train", "test", "metrics", "out")
    experiment = read_stage_settings(args.settings, "plot")
    weights = inference.read_weights(args.weights)
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    metrics = read_json(args.metrics)
    out = Path(args.out)
    if experiment.task == "classification":
        figures = {"decision_boundary": figure_decision_boundary(
            weights, test, experiment.plot, metrics["test_accuracy"], experiment.name)}
    else:
        figures = {"fitted_function": figure_regression(
            weights, train, test, experiment.plot, metrics["test_mse"], experiment.name)}
    for figure_name, fig in figures.items():
        save_figure(fig, out / f"{figure_name}.png")
    print(f"{experiment.name}: drew {', '.join(figures)} in {out}")


if __name__ == "__main__":
    cli.run(main)
