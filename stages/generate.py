"""Stage: generate an experiment's dataset (make_blobs, or a noisy logistic curve)."""

from typing import TYPE_CHECKING

import numpy as np

from pipeline import datasets
from pipeline.settings import BlobsData, CurveData, read_stage_settings
from stages import cli

if TYPE_CHECKING:
    import pandas as pd


def nearest_centre(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """The Bayes rule for equal-prior isotropic blobs with one spread: the nearest centre."""
    distances = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def generate_blobs(data: BlobsData) -> "pd.DataFrame":
    """make_blobs with the settings' own argument names; y_oracle is the Bayes label."""
    # Imported here: scikit-learn (with SciPy and pandas) takes over a second to import,
    # and the regression experiment's curve does not need it.
    from sklearn.datasets import make_blobs

    centers = data.centers if isinstance(data.centers, int) else np.array(data.centers)
    X, y, true_centers = make_blobs(
        n_samples=data.n_samples,
        n_features=data.n_features,
        centers=centers,
        cluster_std=data.cluster_std,
        random_state=data.random_state,
        return_centers=True,
    )
    return datasets.make_table(X, y, nearest_centre(X, true_centers))


def generate_curve(data: CurveData) -> "pd.DataFrame":
    """x evenly spaced on [x_min, x_max]; y = 1 / (1 + e^x) plus Gaussian noise."""
    x = np.linspace(data.x_min, data.x_max, data.n_samples)
    y_true = 1.0 / (1.0 + np.exp(x))
    rng = np.random.default_rng(data.random_state)
    y = y_true + rng.normal(0.0, data.noise_std, size=x.shape)
    return datasets.make_table(x[:, None], y, y_true)


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "out")
    experiment = read_stage_settings(args.settings, "generate")
    data = experiment.data
    table = generate_blobs(data) if isinstance(data, BlobsData) else generate_curve(data)
    datasets.write_table(table, args.out)
    print(f"{experiment.name}: generated {len(table)} samples")
