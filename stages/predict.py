"""Predict new rows (CSV or Parquet) with an experiment's trained model: the notebook's fifth
step. Each row gets every class's probability (a column per class, by name) and the predicted
class, or the predicted value; the model's own preprocessing is applied (it is in the model).
`make serve` answers requests with the same checks and predictions (pipeline.predictions).

    make predict NAME=<experiment> IN=<rows.csv|rows.parquet> OUT=<predictions.csv>
"""

from pipeline import inference, predictions, user_table
from pipeline.files import write_atomic
from stages import cli


def main() -> None:
    args = cli.parse_paths(__doc__.splitlines()[0], "weights", "rows", "out")
    weights = inference.read_weights(args.weights)
    schema = predictions.schema_of(weights)
    frame = user_table.read_user_file(args.rows, min_columns=1)
    X = predictions.features(frame, schema, args.rows)
    result = predictions.predictions(weights, X, schema)
    write_atomic(args.out, lambda tmp: result.to_csv(tmp, index=False))
    print(f"{args.out}: {len(result)} predictions")
