"""``workbench simulate DESIGN.yaml --seed S --out FOLDER``: one simulated trial, to files."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` verb to the command's subparsers."""
    p = sub.add_parser(
        "simulate",
        help="simulate one trial from a design file and write the patient-level data",
        description=(
            "Simulate one trial from a YAML or JSON design (as SurvivalDesign.to_yaml writes) and "
            "write patients.csv/.parquet, CDISC ADaM adsl.csv and adtte.csv, a data dictionary and "
            "the design with its seed into the output folder."
        ),
    )
    p.add_argument("design", help="design file (.yaml, .yml or .json) of any design type, or the "
                   "name of a design in the catalogue (t1 ... t8, m1 ... m3)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--studyid", default=None,
                   help="STUDYID of the ADaM tables (default: design name)")
    p.add_argument("--json", action="store_true", help="print the files written as JSON")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from .._files import check_output_folder, staged_folder
    from .._validation import type_name
    from ..design import SurvivalDesign, load_design
    from ..simulate import simulate_trial
    from ..simulate.export import write_csv_atomic, write_design_file, write_survival_dataset
    from ._common import print_json

    design = load_design(args.design)
    check_output_folder(args.out, "--out", create=False)  # a bad path costs no work
    df = simulate_trial(design, rng=args.seed)
    out = Path(args.out)
    # the whole set is written into a temporary folder beside --out and moved into place at the
    # end, so a failure part-way leaves the previous set (or nothing), never a mixture
    with staged_folder(out, "--out") as tmp:
        if isinstance(design, SurvivalDesign):
            studyid = args.studyid or (design.name.split()[0] if design.name else "STUDY")
            written = write_survival_dataset(df, tmp, design=design, seed=args.seed,
                                             studyid=studyid)
        else:  # binary, continuous and meta-analysis designs: the tidy table and the design
            written = {"patients": tmp / "patients.csv"}
            write_csv_atomic(df, written["patients"], float_format="%.6f")
            written["design"] = write_design_file(design, args.seed, tmp / "design.yaml")
    paths = {k: out / Path(v).name for k, v in written.items()}
    if args.json:
        print_json({k: str(v) for k, v in paths.items()})
    else:
        print(f"{type_name(design)}: {len(df)} rows")
        print(f"wrote {len(paths)} files to {args.out}")
    return 0
