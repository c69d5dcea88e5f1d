"""Stage: read a table of the user's own (CSV or Parquet), check it, write the pipeline's table."""

from pipeline import datasets, user_table
from pipeline.errors import InputError
from pipeline.settings import read_stage_settings
from stages import cli


def main() -> None:
    args = cli.parse_paths(__doc__, "settings", "table", "out")
    experiment = read_stage_settings(args.settings, "ingest")
    data = experiment.data
    frame = user_table.read_user_file(args.table)
    problems = user_table.table_problems(
        frame,
        target=data.target,
        drop_columns=data.drop_columns,
        missing=data.missing,
        task=experiment.task,
    )
    if problems:
        raise InputError("\n".join(f"{args.table}: {problem}" for problem in problems))
    table, schema = user_table.to_table(
        frame, target=data.target, drop_columns=data.drop_columns, task=experiment.task
    )
    datasets.write_table(table, args.out, schema)
    dropped = len(frame) - len(table)
    note = f" ({dropped} rows with missing values dropped)" if dropped else ""
    print(f"{experiment.name}: {len(table)} rows, {len(schema.features)} features{note}")
