"""stages.train: what the stage says besides training (pipeline.keras_model trains)."""

from pipeline.settings import Experiment, Train
from pipeline.tasks import Task
from stages import train

EXPERIMENT = Experiment(
    name="wine",
    task=Task.CLASSIFICATION,
    train=Train(optimizer="adam", learning_rate=0.01, batch_size=64, epochs=30, seed=0),
)


def test_a_converged_training_says_nothing():
    assert train.not_converged(EXPERIMENT, None) is None


def test_a_training_still_falling_says_so_in_one_line_with_the_key():
    assert train.not_converged(EXPERIMENT, (0.0312, 3)) == (
        "warning: wine: its last 3 epochs still made 3.1% of the training loss's fall: not "
        "converged; more experiments.wine.train.epochs (now 30) or a larger learning rate may "
        "fit better"
    )


def test_one_epoch_back_is_singular():
    assert "its last 1 epoch still made 50.0%" in train.not_converged(EXPERIMENT, (0.5, 1))
