"""The notebook's three experiments as one plain script: the benchmark's baseline.

Faithful to "Math behind Deep Learning and Introduction to Keras" (see REFERENCE.md):
the same data, models, hyperparameters and pictures, one Keras fit per experiment with
one training step per call and validation every epoch, in one process that imports
TensorFlow once. Run as ``python bench/notebook.py --out DIR``; the pictures go to DIR.
It imports nothing from the pipeline, so it measures the notebook and only the notebook.
"""

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no screen
import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf
from sklearn.datasets import make_blobs
from sklearn.model_selection import train_test_split

SEED = 0  # the notebook had none; seeded so the benchmark can compare weights bit for bit
GRID_POINTS = 100  # the decision-boundary grid: 100 x 100 points on [-20, 20]^2
GRID_LIMIT = 20


def seed_everything(seed=SEED):
    """Seed Keras, NumPy and Python and make TensorFlow's kernels deterministic."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def make_classification_data(n_samples, centers, cluster_std):
    """make_blobs, the 4:1 split and one-hot labels, as the notebook did them."""
    X, y = make_blobs(
        n_samples=n_samples,
        n_features=2,
        centers=centers,
        cluster_std=cluster_std,
        random_state=101,
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
    Y_train = keras.utils.to_categorical(y_train, centers)
    Y_test = keras.utils.to_categorical(y_test, centers)
    return X_train, X_test, y_train, y_test, Y_train, Y_test


def build_blobs4_model(n_classes=4):
    """Experiment 1's model: one softmax Dense layer on the two inputs."""
    model = keras.Sequential(
        [keras.Input(shape=(2,)), keras.layers.Dense(n_classes, activation="softmax")]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def fit_notebook_style(model, X_train, Y_train, X_test, Y_test, batch_size, epochs):
    """The notebook's fit: one step per call, the test split validated every epoch."""
    return model.fit(
        X_train,
        Y_train,
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
        validation_data=(X_test, Y_test),
    )


def plot_blobs4(model, X_test, y_test, out):
    """Predicted beside true classes, and the decision boundary on the 100 x 100 grid."""
    predicted = model.predict(X_test, verbose=0).argmax(axis=1)
    fig, (ax_predicted, ax_true) = plt.subplots(1, 2, figsize=(11, 5))
    ax_predicted.scatter(X_test[:, 0], X_test[:, 1], c=predicted, cmap="viridis", s=10)
    ax_predicted.set_title("predicted class")
    ax_true.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="viridis", s=10)
    ax_true.set_title("true class")
    fig.savefig(out / "blobs4_predictions.png")
    plt.close(fig)

    axis = np.linspace(-GRID_LIMIT, GRID_LIMIT, GRID_POINTS)
    xx, yy = np.meshgrid(axis, axis)
    grid = np.c_[xx.ravel(), yy.ravel()]  # (10000, 2), as the notebook printed
    grid_classes = model.predict(grid, verbose=0).argmax(axis=1)
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.scatter(grid[:, 0], grid[:, 1], c=grid_classes, cmap="viridis", s=4, alpha=0.3)
    ax.scatter(X_test[:, 0], X_test[:, 1], c=y_test, cmap="viridis", s=10, edgecolors="k")
    ax.set_title("decision boundary")
    fig.savefig(out / "blobs4_decision_boundary.png")
    plt.close(fig)


def run_blobs4(out, n_samples=4000, epochs=10):
    """Experiment 1: four blobs, a linear softmax classifier, batch 4, 10 epochs."""
    X_train, X_test, y_train, y_test, Y_train, Y_test = make_classification_data(n_samples, 4, 2.0)
    seed_everything()
    model = build_blobs4_model()
    fit_notebook_style(model, X_train, Y_train, X_test, Y_test, batch_size=4, epochs=epochs)
    loss, accuracy = model.evaluate(X_test, Y_test, verbose=0)
    print(f"blobs4: test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    plot_blobs4(model, X_test, y_test, out)
    return model


def plot_anatomy(model, X_test, y_test, out):
    """Learned W and b, the data, W.x, W.x + b (b as an arrow) and the softmax outputs."""
    kernel, b = model.get_layer("wx_b").get_weights()
    W = kernel.T
    fig, (ax_w, ax_b) = plt.subplots(1, 2, figsize=(8, 4))
    ax_w.imshow(W, cmap="RdBu_r")
    ax_w.set_title("W")
    ax_b.imshow(b[:, None], cmap="RdBu_r")
    ax_b.set_title("b")
    fig.savefig(out / "blobs2_weights.png")
    plt.close(fig)

    Wx = X_test @ W.T
    Wx_b = Wx + b
    probabilities = model.predict(X_test, verbose=0)
    fig, axes = plt.subplots(1, 4, figsize=(20, 5))
    for ax, points, title in zip(
        axes,
        (X_test, Wx, Wx_b, probabilities),
        ("data", "W.x", "W.x + b", "softmax: p0 against p1"),
        strict=True,
    ):
        ax.scatter(points[:, 0], points[:, 1], c=y_test, cmap="coolwarm", s=10)
        ax.set_title(title)
    axes[2].arrow(0, 0, b[0], b[1], width=0.2, color="k")
    fig.savefig(out / "blobs2_anatomy.png")
    plt.close(fig)


def run_blobs2(out, n_samples=4000, epochs=100):
    """Experiment 2: two blobs, Dense(2) named wx_b then softmax, batch 128, 100 epochs."""
    X_train, X_test, y_train, y_test, Y_train, Y_test = make_classification_data(n_samples, 2, 2.5)
    seed_everything()
    model = keras.Sequential(
        [
            keras.Input(shape=(2,)),
            keras.layers.Dense(2, name="wx_b"),
            keras.layers.Activation("softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    # The same fit call as experiment 1, validation every epoch (the pipeline does it too).
    fit_notebook_style(model, X_train, Y_train, X_test, Y_test, batch_size=128, epochs=epochs)
    loss, accuracy = model.evaluate(X_test, Y_test, verbose=0)
    print(f"blobs2: test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    plot_anatomy(model, X_test, y_test, out)
    return model


def run_regression(out, n_samples=1000, epochs=100):
    """Experiment 3: y = 1 / (1 + e^x) + noise, one sigmoid unit, MSE, batch 128, 100 epochs."""
    x = np.linspace(-20, 20, n_samples)
    y = 1.0 / (1.0 + np.exp(x)) + np.random.default_rng(0).normal(0.0, 0.1, size=x.shape)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=42)
    seed_everything()
    # The notebook reused the two-class model, which cannot take 1-D input (REFERENCE.md).
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="mean_squared_error")
    fit_notebook_style(
        model, x_train[:, None], y_train, x_test[:, None], y_test, batch_size=128, epochs=epochs
    )
    loss = model.evaluate(x_test[:, None], y_test, verbose=0)
    print(f"regression: test loss (MSE) {loss:.4f}")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.scatter(x, y, s=4, color="0.6")
    ax.plot(x, model.predict(x[:, None], verbose=0)[:, 0], color="tab:red")
    ax.set_title("regression: data and fitted function")
    fig.savefig(out / "regression_fit.png")
    plt.close(fig)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the pictures")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    run_blobs4(out)
    run_blobs2(out)
    run_regression(out)


if __name__ == "__main__":
    main()
