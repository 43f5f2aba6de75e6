"""``workbench simulate DESIGN.yaml --seed S --out FOLDER``: one simulated trial written to files."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate one trial from a design file and write the patient-level data",
        description=(
            "Simulate one trial from a YAML or JSON design (as SurvivalDesign.to_yaml writes) and "
            "write patients.csv/.parquet, CDISC ADaM adsl.csv and adtte.csv, a data dictionary and "
            "the design with its seed into the output folder."
        ),
    )
    p.add_argument("design", help="design file (.yaml, .yml or .json); 't1' for trial T1's design")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--studyid", default=None, help="STUDYID of the ADaM tables (default: design name)")
    p.add_argument("--json", action="store_true", help="print the files written as JSON")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from pathlib import Path

    from ..design import SurvivalDesign
    from ..exceptions import InvalidParameterError
    from ..simulate import simulate
    from ..simulate.export import write_survival_dataset
    from ._common import print_json

    if args.design.lower() == "t1":
        design = SurvivalDesign.from_t1()
    else:
        path = Path(args.design)
        if not path.is_file():
            raise InvalidParameterError(f"`design` file {args.design!r} does not exist.")
        try:
            design = SurvivalDesign.from_file(path)
        except (ValueError, TypeError) as exc:
            if isinstance(exc, InvalidParameterError):
                raise
            raise InvalidParameterError(f"`design` file {args.design!r} is not valid: {exc}") from None
    df = simulate(design, rng=args.seed)
    studyid = args.studyid or (design.name.split()[0] if design.name else "STUDY")
    paths = write_survival_dataset(df, args.out, design=design, seed=args.seed, studyid=studyid)
    if args.json:
        print_json({k: str(v) for k, v in paths.items()})
    else:
        events = df.groupby("arm", sort=False)["event"].agg(["size", "sum"])
        for arm, row in events.iterrows():
            print(f"{arm}: {row['size']} patients, {row['sum']} events")
        print(f"wrote {len(paths)} files to {args.out}")
    return 0
