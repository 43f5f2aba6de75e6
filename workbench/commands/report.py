"""``workbench report t1 --out FOLDER``: the T1 job end to end.

Simulate, analyse, execute the notebook, write the report.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` verb to the command's subparsers."""
    p = sub.add_parser(
        "report",
        help=("run a trial's job end to end: simulate, analyse, execute its notebook, "
              "write a report"),
        description=(
            "Simulate trial T1, analyse it, execute notebooks/01_recurrence_followup.ipynb with "
            "papermill, and write the data, the executed notebook, its HTML and the results (JSON "
            "and CSV) under one folder."
        ),
    )
    p.add_argument("trial", choices=["t1"], help="the trial (t1: recurrence follow-up)")
    p.add_argument("--out", default="output/t1", help="output folder (default output/t1)")
    p.add_argument("--seed", type=int, default=11, help="simulation seed (default 11)")
    p.add_argument("--design", default=None, help="design file (YAML/JSON) replacing T1's defaults")
    p.add_argument("--json", action="store_true", help="print the paths written as JSON")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from .._files import check_output_folder
    from ..design import SurvivalDesign
    from ..jobs import run_t1_job
    from ._common import print_json

    design = SurvivalDesign.from_file(args.design) if args.design else None
    check_output_folder(args.out, "--out", create=False)  # before the job's long work
    paths = run_t1_job(args.out, seed=args.seed, design=design)
    if args.json:
        print_json({k: str(v) for k, v in paths.items()})
        return 0
    res = __import__("json").loads(paths["results_json"].read_text())["analysis"]
    lr, cox = res["logrank"], res["cox"][0]
    print(f"T1 (seed {args.seed}): log-rank chi-square {lr['statistic']:.3f}, "
          f"p = {lr['p_value']:.4g}; "
          f"hazard ratio {cox['level']} vs {cox['reference']} {cox['hazard_ratio']:.3f} "
          f"(95% CI {cox['ci_lower']:.3f} to {cox['ci_upper']:.3f})")
    print(f"Output in {paths['folder'].resolve()}:")
    for key in ("notebook", "html", "results_json", "results_csv", "km_csv"):
        print(f"  {key.replace('_', ' '):13s} {paths[key]}")
    print(f"  {'data':13s} {paths['folder'] / 'data'}")
    return 0
