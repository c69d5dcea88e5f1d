"""Stage: write one of scikit-learn's bundled real tables as a CSV with a header, as a person
would export it (named columns, classes as text): the own-data example, offline."""

import argparse

import pandas as pd

from pipeline.files import write_atomic

# name: (scikit-learn's loader, the target column's name); each ships inside the package.
DATASETS = {
    "breast_cancer": ("load_breast_cancer", "diagnosis"),
    "wine": ("load_wine", "cultivar"),
    "iris": ("load_iris", "species"),
    "diabetes": ("load_diabetes", "progression"),
}


def example_table(dataset: str) -> pd.DataFrame:
    """The dataset as one frame: its features by name, then the target (class names as text)."""
    from sklearn import datasets

    loader, target = DATASETS[dataset]
    options = {"scaled": False} if loader == "load_diabetes" else {}  # as measured, not centred
    bunch = getattr(datasets, loader)(as_frame=True, **options)
    frame = bunch.frame.rename(columns={"target": target})
    if "target_names" in bunch:
        frame[target] = bunch.target_names[bunch.target.to_numpy()]
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True, choices=sorted(DATASETS))
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    frame = example_table(args.dataset)
    write_atomic(args.out, lambda tmp: frame.to_csv(tmp, index=False))
    print(f"{args.out}: {len(frame)} rows of scikit-learn's {args.dataset}")
