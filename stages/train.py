"""Stage: train an experiment's Keras model on its train split."""

from pathlib import Path

from stages import cli, tables
from stages.files import write_json
from stages.settings import read_stage_settings


def targets(table, task):
    """What the model fits: one-hot labels, or the regression target as a column."""
    return tables.onehot(table) if task == "classification" else table[["y"]].to_numpy()


def main():
    args = cli.parse_paths(__doc__, "settings", "train", "test", "model", "weights", "history")
    experiment = read_stage_settings(args.settings, "train")
    train = tables.read_table(args.train, experiment.task)
    test = tables.read_table(args.test, experiment.task)
    from stages import modeling  # TensorFlow loads only once the inputs are known good

    Path(args.history).parent.mkdir(parents=True, exist_ok=True)

    print(f"{experiment.name}: training {experiment.model} with {experiment.train}", flush=True)
    model = modeling.train_model(
        tables.features(train), targets(train, experiment.task),
        tables.features(test), targets(test, experiment.task),
        experiment.task, experiment.model, experiment.train, args.history,
    )
    modeling.save_model(model, args.model)
    write_json(args.weights, modeling.export_weights(model))


if __name__ == "__main__":
    cli.run(main)
