r"""``workbench pipeline``: run one notebook, or a YAML pipeline of notebook runs.

workbench pipeline run-notebook notebooks/06_group_sequential.ipynb -p kmax 2 \
        -p information_rates "[0.5, 1.0]" -o out.ipynb
workbench pipeline run pipelines/t1_power_grid.yaml --workers 2
workbench pipeline run pipelines/ci_smoke.yaml --dry-run
workbench pipeline run pipelines/t1_power_grid.yaml --scheduler tcp://127.0.0.1:8786
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    """Add the ``pipeline`` verb to the command's subparsers."""
    parser = subparsers.add_parser(
        "pipeline", help="run notebooks and pipelines of notebooks",
        description="Run a notebook with checked parameters, or every case of a YAML pipeline.")
    sub = parser.add_subparsers(dest="pipeline_command", metavar="COMMAND", required=True)

    one = sub.add_parser(
        "run-notebook", help="run one notebook with parameters",
        description="Run one notebook in the project's own Python. Values given with -p are read "
                    "as Python literals when the parameter's default is not a string "
                    "('[1, 2]' is a list). Unknown names are an error that lists the valid ones.")
    one.add_argument("notebook", help="the notebook to run")
    one.add_argument("-p", "--parameter", nargs=2, action="append", default=[],
                     metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    one.add_argument("-f", "--parameters-file", metavar="YAML",
                     help="YAML file of name: value (the -p values override it)")
    one.add_argument("-o", "--output", metavar="OUT",
                     help="executed notebook to write (default output/notebooks/<name>.ipynb)")
    one.add_argument("--cwd", help="working directory of the kernel (default: the notebook's)")
    one.add_argument("--timeout", type=float, help="seconds a single cell may run")
    one.add_argument("--kernel", dest="kernel_name",
                     help="run in this registered kernel instead of the project's own Python")
    one.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar (default: only on a terminal)")
    one.add_argument("--json", action="store_true", help="print the recorded results as JSON")
    one.set_defaults(func=_run_notebook)

    run = sub.add_parser(
        "run", help="run every case of a pipeline YAML",
        description="Run every case of a pipeline (a notebook, fixed parameters and a grid or a "
                    "list of cases). Finished cases are skipped. Results are collected into "
                    "results.csv and results.parquet, each notebook is rendered to HTML with an "
                    "index page. The exit code is the number of failed cases (at most 100).")
    run.add_argument("spec", help="pipeline YAML, e.g. pipelines/t1_power_grid.yaml")
    run.add_argument("--workers", type=int, default=None,
                     help="parallel processes (default: the spec's, else the number of CPUs)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="run the cases on this Dask distributed scheduler, e.g. "
                          "tcp://127.0.0.1:8786 (default: the spec's `scheduler:`, else local)")
    run.add_argument("--output", metavar="DIR", help="override the spec's output folder")
    run.add_argument("--dry-run", action="store_true",
                     help="list the cases and whether each would run or be skipped")
    run.add_argument("--force", action="store_true", help="rerun cases that are up to date")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar over cases (default: only on a terminal)")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.set_defaults(func=_run_pipeline)


def _run_notebook(args) -> int:
    from ..notebooks import run_notebook
    from ._common import print_json

    notebook = Path(args.notebook)
    output = Path(args.output) if args.output else Path("output") / "notebooks" / notebook.name
    params = dict(args.parameter)
    results = run_notebook(notebook, output, parameters=params,
                           parameters_file=args.parameters_file, kernel_name=args.kernel_name,
                           progress=args.progress, cwd=args.cwd, timeout=args.timeout)
    if args.json:
        print_json({"notebook": str(output), "results": results})
    else:
        print(f"wrote {output} ({len(results)} recorded result{'s' * (len(results) != 1)})")
    return 0


def _run_pipeline(args) -> int:
    from ..pipelines import load_pipeline, run_pipeline
    from ._common import print_json

    spec = load_pipeline(args.spec)
    try:
        report = run_pipeline(spec, workers=args.workers, scheduler=args.scheduler,
                              output=args.output, dry_run=args.dry_run, force=args.force,
                              progress=args.progress)
    except KeyboardInterrupt:
        print(f"workbench pipeline: interrupted; finished cases are kept in {spec.output}, run the "
              "same command again to run the others", file=sys.stderr)
        return 130
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.describe())
    if report.failed:
        for case in report.failed:
            print(f"failed: {case.describe_failure()}", file=sys.stderr)
    return report.exit_code
