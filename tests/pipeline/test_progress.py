"""pipeline.progress: a bar on a terminal, a few lines in a log, never a line per epoch."""

import io

import pytest
from tqdm.keras import TqdmCallback

from pipeline import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize(
    "epochs, expected",
    [(100, {25, 50, 75, 100}), (10, {3, 5, 8, 10}), (3, {1, 2, 3}), (1, {1})],
)
def test_a_log_reports_a_few_evenly_spaced_epochs_and_the_last(epochs, expected):
    assert progress.reported_epochs(epochs) == expected


def test_a_log_gets_one_line_per_reported_epoch():
    stream = io.StringIO()
    callback = progress.progress_callback("blobs4", 100, stream)
    for epoch in range(100):
        callback.on_epoch_end(epoch, {"loss": 1 / (epoch + 1), "accuracy": 0.5})
    assert stream.getvalue().splitlines() == [
        "blobs4: epoch 25/100  loss 0.04  accuracy 0.5",
        "blobs4: epoch 50/100  loss 0.02  accuracy 0.5",
        "blobs4: epoch 75/100  loss 0.01333  accuracy 0.5",
        "blobs4: epoch 100/100  loss 0.01  accuracy 0.5",
    ]


def test_a_terminal_gets_one_tqdm_bar_named_after_the_experiment():
    stream = Terminal()
    callback = progress.progress_callback("blobs4", 100, stream)
    assert isinstance(callback, TqdmCallback)
    for epoch in range(100):
        callback.on_epoch_end(epoch, {"loss": 0.25})
    callback.epoch_bar.close()
    shown = stream.getvalue()
    assert "blobs4: 100%" in shown and "100/100" in shown and "loss=0.25" in shown
    assert "\n" not in shown.rstrip("\n")  # one bar redrawn in place, not a line per epoch
