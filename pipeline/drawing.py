"""Drawing helpers: each draws on an ``ax`` it is given and never creates or saves a figure."""

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import ListedColormap

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from pipeline.settings import Plot


def class_colors(n_classes: int) -> list[tuple[float, float, float, float]]:
    """The one palette used for every class colour: surfaces, points and legends."""
    palette = colormaps["tab10" if n_classes <= 10 else "tab20"]
    return [palette(i % palette.N) for i in range(n_classes)]


def boundary_grid(
    plot: "Plot", X_reference: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A grid_points x grid_points grid on the first two features.

    Any other features are held at their mean in ``X_reference``. Returns the two
    axes' coordinates and the grid as model inputs (grid_points**2 x d).
    """
    axis = np.linspace(plot.grid_min, plot.grid_max, plot.grid_points)
    xx, yy = np.meshgrid(axis, axis)
    n_features = X_reference.shape[1]
    X_grid = np.tile(X_reference.mean(axis=0), (xx.size, 1))
    X_grid[:, 0] = xx.ravel()
    if n_features > 1:
        X_grid[:, 1] = yy.ravel()
    return axis, axis, X_grid


def _second_feature(X):
    """A 1-feature dataset is drawn on a line (second coordinate 0)."""
    return X[:, 1] if X.shape[1] > 1 else np.zeros(len(X))


def _scatter_by_class(
    ax: "Axes", P: np.ndarray, labels: np.ndarray, n_classes: int, *, s: float, linewidths: float
) -> None:
    """Points on their first two coordinates (a second of 0 for one), coloured by class."""
    colors = np.array(class_colors(n_classes))
    ax.scatter(
        P[:, 0],
        _second_feature(P),
        c=colors[labels],
        s=s,
        edgecolors="black",
        linewidths=linewidths,
    )


def draw_points(
    ax: "Axes",
    X: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    axis_names: tuple[str, str] = ("x0", "x1"),
) -> None:
    """Scatter points on the first two features, coloured by class."""
    _scatter_by_class(ax, X, labels, n_classes, s=14, linewidths=0.3)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])


def mark_wrong(ax: "Axes", P: np.ndarray, wrong: np.ndarray) -> None:
    """A black x over each point whose predicted class is not its true class."""
    if wrong.any():
        ax.scatter(
            P[wrong, 0],
            _second_feature(P)[wrong],
            marker="x",
            color="black",
            s=30,
            linewidths=1,
            label=f"wrong ({int(wrong.sum())})",
        )


def draw_decision_boundary(
    ax: "Axes", x_axis: np.ndarray, y_axis: np.ndarray, grid_classes: np.ndarray, n_classes: int
) -> None:
    """Colour the grid by predicted class (grid_classes: len(y_axis) x len(x_axis))."""
    cmap = ListedColormap(class_colors(n_classes))
    ax.pcolormesh(
        x_axis,
        y_axis,
        grid_classes,
        cmap=cmap,
        vmin=-0.5,
        vmax=n_classes - 0.5,
        alpha=0.3,
        shading="auto",
    )
    ax.set_xlim(x_axis[0], x_axis[-1])
    ax.set_ylim(y_axis[0], y_axis[-1])


def draw_class_legend(ax: "Axes", n_classes: int, names: tuple[str, ...] | None = None) -> None:
    """One entry per class colour, by name ("class 0"... when the classes have none)."""
    colors = class_colors(n_classes)
    names = names or tuple(f"class {j}" for j in range(n_classes))
    handles = [ax.scatter([], [], color=colors[j], s=14, label=names[j]) for j in range(n_classes)]
    handles += [h for h in ax.collections if str(h.get_label()).startswith("wrong")]
    ax.legend(handles=handles, loc="upper right", fontsize="small", framealpha=0.8)


def data_grid(X: np.ndarray, grid_points: int, margin: float = 0.05) -> tuple[np.ndarray, ...]:
    """A grid_points x grid_points grid over two features' range (plus a margin): its axes and
    the grid as model inputs (grid_points**2 x 2)."""
    low, high = X.min(axis=0), X.max(axis=0)
    pad = (high - low) * margin + (high == low)
    x_axis = np.linspace(low[0] - pad[0], high[0] + pad[0], grid_points)
    y_axis = np.linspace(low[1] - pad[1], high[1] + pad[1], grid_points)
    xx, yy = np.meshgrid(x_axis, y_axis)
    return x_axis, y_axis, np.column_stack([xx.ravel(), yy.ravel()])


def draw_predicted_against_actual(
    ax: "Axes", actual: np.ndarray, predicted: np.ndarray, target: str
) -> None:
    """Each test point's prediction against its value, with the line of perfect predictions."""
    ax.scatter(actual, predicted, s=10, color="tab:blue", edgecolors="black", linewidths=0.2)
    low, high = min(actual.min(), predicted.min()), max(actual.max(), predicted.max())
    ax.plot([low, high], [low, high], color="black", linestyle="--", linewidth=1)
    ax.set_xlabel(f"actual {target}")
    ax.set_ylabel(f"predicted {target}")


def draw_residuals(ax: "Axes", actual: np.ndarray, predicted: np.ndarray, target: str) -> None:
    """Each test point's residual (actual - predicted) against its prediction."""
    ax.scatter(
        predicted, actual - predicted, s=10, color="tab:blue", edgecolors="black", linewidths=0.2
    )
    ax.axhline(0, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel(f"predicted {target}")
    ax.set_ylabel("residual (actual - predicted)")


def draw_regression(
    ax: "Axes", train: pd.DataFrame, test: pd.DataFrame, x_curve: np.ndarray, y_curve: np.ndarray
) -> None:
    """Train and test points, the noise-free function and the model's fitted curve."""
    ax.scatter(train["x0"], train["y"], s=6, color="0.7", label="train")
    ax.scatter(test["x0"], test["y"], s=8, color="tab:blue", label="test")
    truth = pd.concat([train, test]).sort_values("x0")
    ax.plot(
        truth["x0"],
        truth["y_oracle"],
        color="black",
        linestyle="--",
        linewidth=1,
        label="noise-free",
    )
    ax.plot(x_curve, y_curve, color="tab:red", linewidth=2, label="model")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper right", fontsize="small")


def draw_heatmap(
    ax: "Axes", matrix: np.ndarray, row_labels: list[str], column_labels: list[str], title: str
) -> None:
    """A matrix as a diverging heatmap with each value written in its cell."""
    limit = max(float(np.abs(matrix).max()), 1e-12)
    ax.imshow(matrix, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(matrix):
        color = "white" if abs(value) > limit / 2 else "black"  # readable on dark cells
        ax.text(j, i, f"{value:.3f}", ha="center", va="center", color=color)
    ax.set_xticks(range(matrix.shape[1]), column_labels)
    ax.set_yticks(range(matrix.shape[0]), row_labels)
    ax.set_title(title)


def draw_mapped_points(
    ax: "Axes",
    Z: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    *,
    title: str,
    bias: np.ndarray | None = None,
) -> None:
    """Points in score space (first two coordinates), optionally with the bias as an arrow."""
    _scatter_by_class(ax, Z, labels, n_classes, s=10, linewidths=0.2)
    if bias is not None:
        tip = (bias[0], bias[1] if len(bias) > 1 else 0.0)
        ax.annotate(
            "",
            xy=tip,
            xytext=(0.0, 0.0),
            arrowprops={"arrowstyle": "-|>", "color": "black", "linewidth": 2},
        )
        ax.text(*tip, "  b", fontsize="large")
    ax.axhline(0, color="0.6", linewidth=0.5)
    ax.axvline(0, color="0.6", linewidth=0.5)
    ax.set_xlabel("z0")
    ax.set_ylabel("z1")
    ax.set_title(title)


def draw_probabilities(
    ax: "Axes", probabilities: np.ndarray, labels: np.ndarray, n_classes: int
) -> None:
    """Softmax outputs p0 against p1, coloured by true class."""
    _scatter_by_class(ax, probabilities, labels, n_classes, s=10, linewidths=0.2)
    ax.set_xlabel("p0 = softmax(z)[0]")
    ax.set_ylabel("p1 = softmax(z)[1]")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(-0.05, 1.05)
    ax.set_title("softmax outputs")
