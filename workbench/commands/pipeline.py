r"""``workbench pipeline``: run one notebook, or a YAML pipeline of notebook runs.

workbench pipeline run-notebook notebooks/06_group_sequential.ipynb -p kmax 2 \
        -p information_rates "[0.5, 1.0]" -o out.ipynb
workbench pipeline run pipelines/t1_power_grid.yaml --workers 2
workbench pipeline run pipelines/ci_smoke.yaml --dry-run
workbench pipeline run pipelines/t1_power_grid.yaml --scheduler tcp://127.0.0.1:8786
workbench pipeline run pipelines/ci_smoke.yaml --junit junit.xml --summary summary.md

Exit codes (the same on every verb, see :mod:`workbench.commands`): 0 all ok, 1 one or more cases
failed (a cell raised or an expectation was broken), 2 usage or input error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

_EXIT_HELP = ("exit codes: 0 all ok; 1 one or more cases failed (a cell raised or an expectation "
              "was broken); 2 usage or input error; 130 interrupted")


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
                    "('[1, 2]' is a list). Unknown names are an error that lists the valid ones.",
        epilog=_EXIT_HELP)
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
    _report_options(one)
    one.add_argument("--json", action="store_true", help="print the recorded results as JSON")
    one.set_defaults(func=_run_notebook)

    run = sub.add_parser(
        "run", help="run every case of a pipeline YAML",
        description="Run every case of a pipeline (a notebook, fixed parameters and a grid or a "
                    "list of cases). Finished cases are skipped. Results are collected into "
                    "results.csv and results.parquet, each notebook is rendered to HTML with an "
                    "index page. Expectations (`expect:`) on recorded results are checked as each "
                    "case finishes.",
        epilog=_EXIT_HELP)
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
    run.add_argument("--wait", action="store_true",
                     help="when another run is writing to the same output folder, wait until it "
                          "ends (default: stop at once with exit code 2)")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress bar over cases (default: on a terminal; elsewhere, as on CI, "
                          "a line per finished case)")
    _report_options(run)
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    run.set_defaults(func=_run_pipeline)


def _report_options(parser) -> None:
    parser.add_argument("--junit", metavar="FILE.xml",
                        help="write a JUnit XML report (one test case per notebook run) for CI")
    parser.add_argument("--summary", metavar="FILE.md",
                        help="write a Markdown summary (table of cases, key results, failures) "
                             "for a CI job summary or merge-request comment")


def _check_report_paths(args) -> None:
    from ..ci_reports import check_report_path

    for option in ("junit", "summary"):
        if getattr(args, option):
            check_report_path(getattr(args, option), f"--{option}")


def _write_reports(args, title: str, cases, seconds: float, properties: dict, columns=()) -> None:
    from ..ci_reports import junit_xml, markdown_summary, write_report

    if args.junit:
        write_report(args.junit, junit_xml(title, cases, seconds=seconds, properties=properties),
                     "--junit")
    if args.summary:
        write_report(args.summary, markdown_summary(title, cases, columns=columns,
                                                    seconds=seconds), "--summary")


def _run_notebook(args) -> int:
    import time

    from ..ci_reports import check_report_path, display_path, notebook_case
    from ..exceptions import NotebookRunError
    from ..notebooks import check_parameters, notebook_parameters, run_notebook
    from ._common import print_json

    notebook = Path(args.notebook)
    output = Path(args.output) if args.output else Path("output") / "notebooks" / notebook.name
    params = dict(args.parameter)
    reports = bool(args.junit or args.summary)
    # input errors first: nothing runs and no report is written
    checked = check_parameters(notebook, params, parameters_file=args.parameters_file)
    notebook_parameters(notebook)  # a notebook that does not exist is named before any folder
    check_report_path(output, "--output")
    if reports:
        _check_report_paths(args)
    started = time.perf_counter()
    try:
        results = run_notebook(notebook, output, parameters=params,
                               parameters_file=args.parameters_file, kernel_name=args.kernel_name,
                               progress=args.progress, cwd=args.cwd, timeout=args.timeout)
        error = None
    except NotebookRunError as exc:
        results, error = {}, exc
    except KeyboardInterrupt:
        kept = (f"the notebook as far as it ran is kept in {output}" if output.exists()
                else f"nothing was written to {output}")
        print(f"workbench pipeline: interrupted; {kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    seconds = time.perf_counter() - started
    if reports:
        case = notebook_case(notebook, checked, output, seconds=seconds, results=results,
                             error=error)
        _write_reports(args, notebook.stem, [case], seconds,
                       {"notebook": display_path(notebook)})
    if error is not None:
        if args.json:
            print_json({"notebook": str(output), "status": "failed", "seconds": seconds,
                        "cell_index": error.cell_index, "ename": error.ename,
                        "evalue": error.evalue, "error": str(error), "results": results,
                        "exit_code": EXIT_FAILED})
        print(f"workbench pipeline: failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print_json({"notebook": str(output), "status": "ok", "seconds": seconds,
                    "results": results, "exit_code": EXIT_OK})
    else:
        print(f"wrote {output} ({len(results)} recorded result{'s' * (len(results) != 1)})")
    return EXIT_OK


def _run_pipeline(args) -> int:
    from ..ci_reports import display_path, report_cases, summary_columns
    from ..exceptions import InvalidParameterError
    from ..pipelines import load_pipeline, run_pipeline
    from ._common import print_json

    spec = load_pipeline(args.spec)
    if args.dry_run and (args.junit or args.summary):
        raise InvalidParameterError("`--junit` and `--summary` report a run; a `--dry-run` runs "
                                    "nothing, so leave them out.")
    _check_report_paths(args)
    try:
        report = run_pipeline(spec, workers=args.workers, scheduler=args.scheduler,
                              output=args.output, dry_run=args.dry_run, force=args.force,
                              progress=args.progress, wait=args.wait)
    except KeyboardInterrupt:
        output = Path(args.output).resolve() if args.output else spec.output
        print(f"workbench pipeline: interrupted; finished cases are kept in {output}, run the "
              "same command again to run the others", file=sys.stderr)
        return EXIT_INTERRUPTED
    if args.junit or args.summary:
        output = report.pipeline.output
        props = {"pipeline": display_path(spec.path) if spec.path else spec.name,
                 "output": display_path(output), "index": display_path(output / "index.html"),
                 "results": display_path(output / "results.csv")}
        cases = report_cases(report)
        columns = summary_columns(cases, spec.summary,
                                  first=[e.name for c in spec.cases for e in c.expectations])
        _write_reports(args, spec.name, cases, report.seconds, props, columns)
    if args.json:
        print_json(report.to_dict())
    else:
        print(report.describe())
    if report.failed:
        for case in report.failed:
            print(f"failed: {case.describe_failure()}", file=sys.stderr)
    return report.exit_code
