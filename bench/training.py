"""Part 1: blobs4's training, the notebook's model.fit against the pipeline's, in one process.

Both sides build, compile and train a fresh model on the same data with the same seed;
TensorFlow is imported once beforehand, so its import counts on neither side. Runs in a
process of its own: ``python -m bench.training --params params.yaml --json out.json``.
"""

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from stages import generate, split  # first: stages pins the CPU kernels before anything loads

# isort: split
from pipeline import datasets, keras_model  # keras_model sets TensorFlow's env, then imports it
from pipeline.params import load_params

# isort: split
from bench import notebook  # after keras_model, so TensorFlow is configured the same way


def pipeline_data(experiment):
    """blobs4's train and test arrays, made by the pipeline's generate and split functions."""
    train, test = split.split_table(
        generate.generate_blobs(experiment.data), experiment.split, experiment.task
    )
    return (
        datasets.features(train),
        datasets.onehot(train),
        datasets.features(test),
        datasets.onehot(test),
    )


def notebook_data(experiment):
    """The same arrays, made the notebook's way."""
    X_train, X_test, _, _, Y_train, Y_test = notebook.make_classification_data(
        experiment.data.n_samples, experiment.data.centers, experiment.data.cluster_std
    )
    return X_train, Y_train, X_test, Y_test


def train_pipeline(data, experiment):
    """The pipeline's train_model (its per-epoch log silenced); returns (seconds, weights)."""
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        start = time.perf_counter()
        model = keras_model.train_model(
            *data,
            task=experiment.task,
            model_settings=experiment.model,
            train_settings=experiment.train,
            history_path=str(Path(tmp) / "history.csv"),
        )
        seconds = time.perf_counter() - start
    return seconds, model.get_weights()


def train_notebook(data, experiment):
    """The notebook's build, compile and fit, seeded as the pipeline; returns (seconds, weights)."""
    X_train, Y_train, X_test, Y_test = data
    start = time.perf_counter()
    notebook.seed_everything(experiment.train.seed)
    model = notebook.build_blobs4_model(Y_train.shape[1])
    notebook.fit_notebook_style(
        model,
        X_train,
        Y_train,
        X_test,
        Y_test,
        experiment.train.batch_size,
        experiment.train.epochs,
    )
    return time.perf_counter() - start, model.get_weights()


def same_arrays(a, b):
    """Whether two lists of arrays are equal bit for bit, array by array."""
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def weights_digest(weights):
    """The SHA-256 of a list of arrays' bytes, in order."""
    digest = hashlib.sha256()
    for array in weights:
        digest.update(array.tobytes())
    return digest.hexdigest()


def shrink(experiment, n_samples=None, epochs=None):
    """The experiment with fewer samples or epochs (for smoke tests)."""
    data = dataclasses.replace(experiment.data, n_samples=n_samples or experiment.data.n_samples)
    train = dataclasses.replace(experiment.train, epochs=epochs or experiment.train.epochs)
    return dataclasses.replace(experiment, data=data, train=train)


def compare_training(experiment, repeats):
    """Time both ways ``repeats`` times, alternating, and check every run's weights match."""
    pipeline_arrays, notebook_arrays = pipeline_data(experiment), notebook_data(experiment)
    data_identical = same_arrays(pipeline_arrays, notebook_arrays)
    warm_up = shrink(experiment, n_samples=40, epochs=1)  # TensorFlow's one-off start-up costs
    train_pipeline(pipeline_data(warm_up), warm_up)
    train_notebook(notebook_data(warm_up), warm_up)
    notebook_seconds, pipeline_seconds, digests, identical = [], [], [], True
    for _ in range(repeats):
        seconds, notebook_weights = train_notebook(notebook_arrays, experiment)
        notebook_seconds.append(seconds)
        seconds, pipeline_weights = train_pipeline(pipeline_arrays, experiment)
        pipeline_seconds.append(seconds)
        digests.append(weights_digest(pipeline_weights))
        identical = identical and same_arrays(notebook_weights, pipeline_weights)
    n_train = len(pipeline_arrays[0])
    return {
        "notebook_seconds": notebook_seconds,
        "pipeline_seconds": pipeline_seconds,
        "weights_identical": identical,
        "weights_sha256": digests,  # the pipeline's, per run: compared across processes
        "data_identical": data_identical,
        "steps": -(-n_train // experiment.train.batch_size) * experiment.train.epochs,
        "batch_size": experiment.train.batch_size,
        "epochs": experiment.train.epochs,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", required=True)
    parser.add_argument("--experiment", default="blobs4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", required=True, help="where the results go")
    args = parser.parse_args()
    experiment = load_params(args.params)[args.experiment]
    results = compare_training(experiment, args.repeats)
    Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
