"""How a training shows its progress: a bar on a terminal, a few lines in a log.

Keras' own ``verbose=2`` writes a line per epoch: 420 lines for the notebook's two 100-epoch
trainings. On a terminal, tqdm's Keras callback draws one bar per training instead; anywhere
else (a CI log, a DVC queue's log file) a bar is a stream of carriage returns, so a few
evenly spaced epochs get a line each.
"""

import math
from typing import TextIO

import keras

LOG_LINES = 4  # epochs reported per training in a log


def reported_epochs(epochs: int, lines: int = LOG_LINES) -> set[int]:
    """The 1-based epochs a log reports: evenly spaced, the last one always included."""
    return {math.ceil(epochs * k / lines) for k in range(1, lines + 1)}


def format_logs(logs: dict[str, float]) -> str:
    """``loss 0.2134  accuracy 0.9300``: Keras' per-epoch values, four significant digits."""
    return "  ".join(f"{name} {value:.4g}" for name, value in logs.items())


class EpochLines(keras.callbacks.Callback):
    """A line for each of a few epochs: ``blobs4: epoch 25/100  loss 0.31  accuracy 0.93``."""

    def __init__(self, name: str, epochs: int, stream: TextIO):
        super().__init__()
        self.name, self.epochs, self.stream = name, epochs, stream
        self.report = reported_epochs(epochs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.report:
            line = f"{self.name}: epoch {epoch + 1}/{self.epochs}  {format_logs(logs or {})}"
            print(line, file=self.stream, flush=True)


def progress_callback(name: str, epochs: int, stream: TextIO) -> keras.callbacks.Callback:
    """A tqdm bar (one per training) when ``stream`` is a terminal, else EpochLines."""
    if stream.isatty():
        from tqdm import tqdm
        from tqdm.keras import TqdmCallback

        return TqdmCallback(epochs, verbose=0, tqdm_class=tqdm, file=stream, desc=name)
    return EpochLines(name, epochs, stream)
