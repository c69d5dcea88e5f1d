"""stages.generate: make_blobs with its own arguments, and the noisy logistic curve."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from pipeline import datasets
from pipeline.settings import BlobsData, CurveData
from stages import generate


def blobs(**overrides):
    values = dict(n_samples=60, n_features=2, centers=3, cluster_std=1.5, random_state=7)
    values.update(overrides)
    return BlobsData(**values)


def curve(**overrides):
    values = dict(n_samples=21, x_min=-5.0, x_max=5.0, noise_std=0.1, random_state=3)
    values.update(overrides)
    return CurveData(**values)


# --- nearest_centre ---


def test_nearest_centre_hand_made():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    X = np.array([[1.0, 1.0], [9.0, -2.0], [-1.0, 7.0], [4.9, 0.0], [5.1, 0.0], [6.0, 6.1]])
    assert generate.nearest_centre(X, centers).tolist() == [0, 1, 2, 0, 1, 2]


def test_nearest_centre_one_dimension():
    centers = np.array([[-1.0], [2.0]])
    X = np.array([[-3.0], [0.4], [0.6], [5.0]])
    assert generate.nearest_centre(X, centers).tolist() == [0, 0, 1, 1]


# --- generate_blobs ---


@pytest.mark.parametrize(
    "data",
    [
        blobs(),
        blobs(n_samples=41, n_features=3, centers=4, cluster_std=0.5, random_state=0),
        blobs(n_samples=30, n_features=1, centers=2, cluster_std=2.0, random_state=101),
    ],
)
def test_generate_blobs_matches_make_blobs(data):
    X, y, centers = make_blobs(
        n_samples=data.n_samples,
        n_features=data.n_features,
        centers=data.centers,
        cluster_std=data.cluster_std,
        random_state=data.random_state,
        return_centers=True,
    )

    table = generate.generate_blobs(data)

    assert list(table.columns) == [f"x{j}" for j in range(data.n_features)] + ["y", "y_oracle"]
    assert len(table) == data.n_samples
    np.testing.assert_array_equal(datasets.features(table), X)
    np.testing.assert_array_equal(table["y"].to_numpy(), y)
    np.testing.assert_array_equal(table["y_oracle"].to_numpy(), generate.nearest_centre(X, centers))
    assert set(table["y"]) == set(range(data.centers))


def test_generate_blobs_oracle_is_mostly_the_label():
    # With well separated blobs the Bayes rule labels (almost) every point by its blob.
    table = generate.generate_blobs(blobs(cluster_std=0.3))
    assert (table["y"] == table["y_oracle"]).mean() >= 0.95


def test_generate_blobs_with_explicit_centers():
    centers = ((-10.0, 0.0), (10.0, 0.0), (0.0, 15.0))
    data = blobs(n_samples=30, centers=centers, cluster_std=1.0, random_state=1)
    X, y = make_blobs(n_samples=30, centers=np.array(centers), cluster_std=1.0, random_state=1)

    table = generate.generate_blobs(data)

    np.testing.assert_array_equal(datasets.features(table), X)
    np.testing.assert_array_equal(table["y"].to_numpy(), y)
    np.testing.assert_array_equal(
        table["y_oracle"].to_numpy(), generate.nearest_centre(X, np.array(centers))
    )
    # Centres this far apart: every point is nearest its own centre, and near it.
    np.testing.assert_array_equal(table["y_oracle"].to_numpy(), y)
    for label, centre in enumerate(centers):
        np.testing.assert_allclose(X[y == label].mean(axis=0), centre, atol=1.5)


def test_generate_blobs_same_seed_identical_other_seed_different():
    first = generate.generate_blobs(blobs())
    assert first.equals(generate.generate_blobs(blobs()))
    assert not np.array_equal(
        datasets.features(first), datasets.features(generate.generate_blobs(blobs(random_state=8)))
    )


# --- generate_curve ---


def test_generate_curve_x_evenly_spaced_and_oracle_logistic():
    table = generate.generate_curve(curve())

    assert list(table.columns) == ["x0", "y", "y_oracle"]
    x = table["x0"].to_numpy()
    np.testing.assert_allclose(x, np.arange(-5.0, 5.5, 0.5), rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.diff(x), 0.5, rtol=0, atol=1e-12)
    assert x[0] == -5.0 and x[-1] == 5.0
    np.testing.assert_allclose(table["y_oracle"].to_numpy(), 1.0 / (1.0 + np.exp(x)), rtol=1e-15)
    # Spot values of 1 / (1 + e^x).
    assert table["y_oracle"].iloc[10] == pytest.approx(0.5)  # x = 0
    assert table["y_oracle"].iloc[0] == pytest.approx(1.0 / (1.0 + np.exp(-5.0)))


def test_generate_curve_noise_has_the_requested_spread():
    table = generate.generate_curve(curve(n_samples=20000, noise_std=0.1))
    noise = table["y"].to_numpy() - table["y_oracle"].to_numpy()
    assert noise.std() == pytest.approx(0.1, rel=0.03)
    assert abs(noise.mean()) < 0.005


def test_generate_curve_noise_is_numpy_default_rng():
    data = curve()
    table = generate.generate_curve(data)
    expected = np.random.default_rng(data.random_state).normal(0.0, data.noise_std, data.n_samples)
    np.testing.assert_allclose(table["y"] - table["y_oracle"], expected, rtol=0, atol=1e-15)


def test_generate_curve_seed():
    first = generate.generate_curve(curve())
    assert first.equals(generate.generate_curve(curve()))
    other = generate.generate_curve(curve(random_state=4))
    np.testing.assert_array_equal(other["x0"], first["x0"])
    np.testing.assert_array_equal(other["y_oracle"], first["y_oracle"])
    assert not np.array_equal(other["y"], first["y"])
