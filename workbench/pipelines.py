"""Pipelines: run a notebook over a grid of parameters and collect what it recorded.

A pipeline is a YAML file::

    name: t1_power_grid
    notebook: notebooks/03_power_analysis.ipynb   # relative to the project root
    parameters:                                   # fixed for every case
      n_sim: 2000
    grid:                                         # every combination of these lists
      n_per_arm: [50, 100, 150]
      hazard_ratio: [0.6, 0.7]
    output: output/pipelines/{name}               # folder for everything the pipeline writes
    case_dir: "n{n_per_arm}_hr{hazard_ratio}"     # optional: one sub-folder per case
    workers: 2                                    # optional: parallel processes
    scheduler: tcp://127.0.0.1:8786               # optional: run on a Dask cluster instead
    timeout: 600                                  # optional: seconds a cell may run
    html: {hide_code: true}                       # optional: HTML without the code cells
    expect: {power: ">= 0.8"}                     # optional: bounds on recorded results
    summary: [power, hazard_ratio]                # optional: results shown in the summary

Instead of (or besides) ``grid``, ``cases`` lists the cases, each a mapping of parameters or, to
run several notebooks, ``{notebook: ..., parameters: {...}, name: ...}``; with both, every case is
combined with every grid point. Paths are relative to the project root (the nearest folder above
the YAML file that holds ``pyproject.toml``; ``root:`` overrides it).

Each case runs in its own folder ``<output>/<case_dir>/``: the notebook is executed into a
temporary file and renamed when done, then rendered to HTML, and a ``case.json`` holding the
parameters and a content hash (the notebook, the parameters and the workbench source) is written
last. A case whose ``case.json`` says it succeeded with the same hash is skipped when the pipeline
runs again, so a run that was killed resumes where it stopped. At the end the results recorded by
all cases are collected into ``results.csv`` and ``results.parquet`` (one row per case: its
parameters, then the recorded scalars; dicts are flattened to ``name.key``, lists kept as JSON text;
recorded tables go to ``tables/<name>.csv`` and ``.parquet`` with the case columns in front), and an
``index.html`` links every rendered notebook.

``expect:`` (for every case, or inside a case of ``cases`` for that case; see
:mod:`workbench.expectations`) sets bounds on recorded results: a case whose recorded number
breaks one is reported as failed, naming the result, the bound and the value, although its
notebook ran. Up-to-date cases are checked from their saved results before anything runs, the
others as each finishes; an expectation on a result that a successful case did not record is an
input error that stops the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import os
import re
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ._files import atomic_path, write_text_atomic
from ._progress import show_progress
from .exceptions import InvalidParameterError, WorkbenchError
from .expectations import CheckResult, Expectation, check_expectations, parse_expectations
from .results import jsonable

__all__ = ["Pipeline", "Case", "CaseOutcome", "PipelineReport", "load_pipeline", "run_pipeline",
           "library_hash", "flat_results", "folder_name", "OutputFolderBusyError", "LOCK_FILE",
           "output_lock"]

_SPEC_KEYS = {"name", "notebook", "parameters", "grid", "cases", "output", "case_dir", "workers",
              "scheduler", "timeout", "html", "root", "description", "expect", "summary"}
_CASE_KEYS = {"name", "notebook", "parameters", "expect"}
#: Lines of a failing cell's traceback kept in the outcome (and the JUnit report).
TRACEBACK_LINES = 12
_DEFAULT_CASE_DIR = "{notebook}/{case_id}"


# --------------------------------------------------------------------------------------------------
# spec
# --------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """One notebook run of a pipeline."""

    name: str
    notebook: Path
    parameters: dict
    directory: Path
    case_id: str  # the case's folder relative to the output folder
    expectations: tuple[Expectation, ...] = ()

    @property
    def label(self) -> str:
        """The notebook's stem and the case's name, e.g. ``params_demo, n=1``."""
        stem = self.notebook.stem
        return stem if self.name == stem else f"{stem}, {self.name}"


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """A loaded pipeline spec: the cases to run and where to write them."""

    name: str
    path: Path | None
    root: Path
    output: Path
    cases: tuple[Case, ...]
    workers: int | None = None
    scheduler: str | None = None
    timeout: float | None = None
    hide_code: bool = False
    summary: tuple[str, ...] = ()  # recorded results shown in the Markdown summary

    @property
    def notebooks(self) -> list[Path]:
        """The distinct notebooks the cases run, sorted."""
        return sorted({c.notebook for c in self.cases})


def _project_root(start: Path) -> Path:
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").is_file():
            return folder
    return start


def _expand_grid(grid: Any, where: str) -> list[dict]:
    if grid is None:
        return [{}]
    if not isinstance(grid, Mapping) or not grid:
        raise InvalidParameterError(
            f"`grid` of {where} must be a mapping of name -> list of values.")
    names, values = [], []
    for k, v in grid.items():
        if not isinstance(v, list) or not v:
            raise InvalidParameterError(
                f"`grid.{k}` of {where} must be a non-empty list of values; got {v!r}.")
        names.append(str(k))
        values.append(v)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _format_value(v: Any) -> str:
    if isinstance(v, float):
        text = repr(v)
    elif isinstance(v, list | tuple):
        text = "-".join(_format_value(x) for x in v)
    elif isinstance(v, dict):
        text = "-".join(f"{k}{_format_value(x)}" for k, x in v.items())
    else:
        text = str(v)
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_") or "_"


def folder_name(text: str) -> str:
    """``text`` as a single folder name: the characters of case folder names, no leading dot.

    >>> folder_name("../../elsewhere"), folder_name(".."), folder_name("t1 power grid")
    ('elsewhere', '_', 't1_power_grid')
    """
    return _format_value(str(text)).lstrip("._") or "_"


def _short_hash(obj: Any) -> str:
    text = json.dumps(jsonable(obj), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def load_pipeline(path: str | os.PathLike | None = None, *, spec: Mapping | None = None,
                  root: str | os.PathLike | None = None) -> Pipeline:
    r"""Read a pipeline YAML (or a spec mapping) and check every case's parameters.

    Parameters
    ----------
    path : path-like, optional
        The YAML file.
    spec : mapping, optional
        The spec itself instead of a file (``root`` then defaults to the current folder).
    root : path-like, optional
        Folder that relative paths start from; default the spec's ``root:``, else the nearest
        folder above the YAML file holding ``pyproject.toml``.

    Returns
    -------
    Pipeline

    Raises
    ------
    InvalidParameterError
        A missing notebook, an unknown key, an unknown parameter or a value of the wrong type
        (naming the case), two cases writing to the same folder.

    Examples
    --------
    >>> import tempfile, nbformat
    >>> root = Path(tempfile.mkdtemp())
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("n = 10\nhr = 0.7", metadata={"tags": ["parameters"]})])
    >>> nbformat.write(nb, root / "power.ipynb")
    >>> spec = {"notebook": "power.ipynb", "grid": {"n": [50, 100], "hr": [0.6, 0.7]},
    ...         "case_dir": "n{n}_hr{hr}"}
    >>> p = load_pipeline(spec=spec, root=root)
    >>> [c.case_id for c in p.cases]
    ['n50_hr0.6', 'n50_hr0.7', 'n100_hr0.6', 'n100_hr0.7']
    >>> print(run_pipeline(p, dry_run=True).describe().splitlines()[0])  # doctest: +ELLIPSIS
    pipeline pipeline: 4 cases (4 would-run) in ... s
    """
    import yaml

    from .notebooks import check_parameters

    if (path is None) == (spec is None):
        raise InvalidParameterError("give exactly one of `path` and `spec`.")
    where = "the pipeline"
    if path is not None:
        path = Path(path)
        where = str(path)
        if not path.is_file():
            raise InvalidParameterError(f"pipeline file {str(path)!r} does not exist.")
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise InvalidParameterError(
                f"pipeline file {str(path)!r} is not valid YAML: {exc}") from None
    if not isinstance(spec, Mapping):
        raise InvalidParameterError(f"{where} must be a YAML mapping; got {type(spec).__name__}.")
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise InvalidParameterError(
            f"unknown key(s) {unknown} in {where}; allowed: {sorted(_SPEC_KEYS)}.")
    if root is None:
        if spec.get("root") is not None:
            base = path.parent if path is not None else Path.cwd()
            root = (base / str(spec["root"])).resolve()
        else:
            root = _project_root(path.resolve().parent) if path is not None else Path.cwd()
    root = Path(root).resolve()
    name = str(spec.get("name") or (path.stem if path is not None else "pipeline"))
    out_template = str(spec.get("output") or "output/pipelines/{name}")
    try:
        # the name becomes one folder name, cleaned as case folders are: `../x` cannot escape
        out_text = out_template.format(name=folder_name(name))
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidParameterError(
            f"`output` {out_template!r} of {where} may use only {{name}}; got {exc}.") from None
    output = (root / out_text).resolve()
    fixed = spec.get("parameters") or {}
    if not isinstance(fixed, Mapping):
        raise InvalidParameterError(f"`parameters` of {where} must be a mapping of name -> value.")
    default_nb = spec.get("notebook")

    raw_cases = spec.get("cases")
    if raw_cases is None:
        raw_cases = [{}]
    if not isinstance(raw_cases, list):
        raise InvalidParameterError(f"`cases` of {where} must be a list of mappings.")
    grid = _expand_grid(spec.get("grid"), where)
    template = str(spec.get("case_dir") or _DEFAULT_CASE_DIR)
    expect_all = parse_expectations(spec.get("expect"), where=where)

    cases: list[Case] = []
    seen: dict[Path, str] = {}
    for i, raw in enumerate(raw_cases):
        if not isinstance(raw, Mapping):
            raise InvalidParameterError(f"case {i} of {where} must be a mapping; got {raw!r}.")
        structured = "parameters" in raw or "notebook" in raw
        if structured and set(raw) - _CASE_KEYS:
            raise InvalidParameterError(
                f"unknown key(s) {sorted(set(raw) - _CASE_KEYS)} in case {i} of {where}; "
                f"allowed: {sorted(_CASE_KEYS)}.")
        case_params = dict(raw.get("parameters") or {}) if structured else dict(raw)
        expect_case = parse_expectations(raw.get("expect") if structured else None,
                                         where=f"case {i} of {where}")
        own = {e.name for e in expect_case}
        expectations = tuple(e for e in expect_all if e.name not in own) + expect_case
        notebook = raw.get("notebook", default_nb) if structured else default_nb
        label = raw.get("name") if structured else None
        if not notebook:
            raise InvalidParameterError(f"case {i} of {where} names no `notebook`.")
        nb_path = (root / str(notebook)).resolve()
        if not nb_path.is_file():
            raise InvalidParameterError(f"notebook {str(notebook)!r} of {where} does not exist "
                                        f"(looked in {str(nb_path)!r}).")
        for point in grid:
            merged = {**fixed, **case_params, **point}
            try:
                params = check_parameters(nb_path, merged)
            except InvalidParameterError as exc:
                raise InvalidParameterError(
                    f"case {len(cases)} of {where} ({nb_path.name}, {merged}): {exc}") from None
            short = _short_hash({"notebook": nb_path.name, "parameters": params})
            fields = {**{k: _format_value(v) for k, v in params.items()},
                      "notebook": nb_path.stem, "case_id": short, "index": len(cases),
                      "name": _format_value(label) if label else short}
            try:
                rel = template.format(**fields)
            except (KeyError, IndexError, ValueError) as exc:
                raise InvalidParameterError(
                    f"`case_dir` {template!r} of {where} uses {exc} which case {len(cases)} "
                    f"does not have; available: {sorted(fields)}.") from None
            directory = (output / rel).resolve()
            if not directory.is_relative_to(output) or directory == output:
                raise InvalidParameterError(
                    f"`case_dir` {template!r} of {where} must name a sub-folder of the output "
                    f"folder; got {rel!r}.")
            if directory in seen:
                raise InvalidParameterError(
                    f"two cases of {where} write to the same folder {rel!r} ({seen[directory]} and "
                    f"{merged}); make `case_dir` distinguish them.")
            seen[directory] = str(merged)
            case_label = label or ", ".join(f"{k}={v!r}" for k, v in point.items()) or nb_path.stem
            if label and point:
                case_label = f"{label}: " + ", ".join(f"{k}={v!r}" for k, v in point.items())
            cases.append(Case(name=str(case_label), notebook=nb_path, parameters=params,
                              directory=directory,
                              case_id=directory.relative_to(output).as_posix(),
                              expectations=expectations))

    workers = spec.get("workers")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InvalidParameterError(
            f"`workers` of {where} must be an integer >= 1; got {workers!r}.")
    timeout = spec.get("timeout")
    if timeout is not None and not (isinstance(timeout, int | float) and timeout > 0):
        raise InvalidParameterError(f"`timeout` of {where} must be seconds > 0; got {timeout!r}.")
    scheduler = spec.get("scheduler")
    if scheduler is not None and not isinstance(scheduler, str):
        raise InvalidParameterError(
            f"`scheduler` of {where} must be an address such as 'tcp://HOST:8786'; "
            f"got {scheduler!r}.")
    html = spec.get("html") or {}
    if not isinstance(html, Mapping) or set(html) - {"hide_code"}:
        raise InvalidParameterError(f"`html` of {where} takes only `hide_code: true/false`.")
    summary = spec.get("summary") or []
    if not isinstance(summary, list) or not all(isinstance(x, str) and x for x in summary):
        raise InvalidParameterError(
            f"`summary` of {where} must be a list of recorded result names; got {summary!r}.")
    return Pipeline(name=name, path=path, root=root, output=output, cases=tuple(cases),
                    workers=workers, scheduler=scheduler, timeout=timeout,
                    hide_code=bool(html.get("hide_code", False)), summary=tuple(summary))


# --------------------------------------------------------------------------------------------------
# content hashes
# --------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def library_hash() -> str:
    """Hash of the workbench version and the source of every module of the package.

    Any change to the library gives a new hash, so pipeline cases run with an older library are
    run again. It is computed once per process (the modules a process has imported do not change
    either).
    """
    from ._version import __version__

    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    for p in sorted(package.rglob("*.py")):
        h.update(str(p.relative_to(package)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _case_hash(case: Case, lib: str) -> str:
    h = hashlib.sha256()
    h.update(case.notebook.read_bytes())
    h.update(json.dumps(jsonable(case.parameters), sort_keys=True).encode())
    h.update(lib.encode())
    return h.hexdigest()


def _manifest_path(case: Case) -> Path:
    return case.directory / "case.json"


def _read_manifest(case: Case) -> dict | None:
    try:
        return json.loads(_manifest_path(case).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _is_up_to_date(case: Case, digest: str) -> bool:
    m = _read_manifest(case)
    if not (m and m.get("status") == "ok" and m.get("hash") == digest
            and m.get("case_id", case.case_id) == case.case_id
            and isinstance(m.get("notebook_output"), str)):
        return False
    notebook = case.directory / m["notebook_output"]
    try:
        if notebook.stat().st_size == 0:
            return False
    except OSError:
        return False
    return _results_intact(notebook, m)


def _file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes; None when it does not exist."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def _results_intact(notebook: Path, manifest: dict) -> bool:
    """Whether the results file beside a finished case's notebook is the one the case wrote.

    The case's manifest holds the digest of its results file (None when the notebook recorded
    nothing); a missing, emptied, cut-short or swapped file does not match, so the case runs again.
    A manifest written before digests were kept is trusted when its results file reads back.
    """
    from .notebooks import read_results, results_path

    rp = results_path(notebook)
    if "results_sha256" in manifest:
        return _file_digest(rp) == manifest["results_sha256"]
    if not rp.exists():
        return True
    try:
        read_results(rp)
    except InvalidParameterError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# running one case (in a worker process)
# --------------------------------------------------------------------------------------------------

def _clean_temporary_files(folder: Path) -> None:
    for p in folder.glob(".*.tmp*"):
        p.unlink(missing_ok=True)


def _run_case(task: dict) -> dict:
    """Run one case; never raises for a failure of the case (the outcome says what happened).

    The same in this process and in a worker: a case folder that cannot be written, or any other
    error of this case, makes a failed case and the others go on.
    """
    from ._parallel import task_running

    with task_running():  # a worker whose run was killed stops the case cleanly, then exits
        try:
            return _run_case_here(task)
        except Exception as exc:
            return _failed_case(task, type(exc).__name__, str(exc),
                                f"{type(exc).__name__}: {exc}")


def _failed_case(task: dict, ename: str, evalue: str, error: str) -> dict:
    """The outcome of a case that failed before or outside its notebook."""
    return {"case_id": task["case_id"], "status": "failed", "cell_index": None,
            "ename": ename, "evalue": evalue, "error": error}


def _run_case_here(task: dict) -> dict:
    from .exceptions import NotebookRunError
    from .notebooks import render_html, results_path, run_notebook, traceback_tail

    folder = Path(task["directory"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _clean_temporary_files(folder)
    except OSError as exc:  # e.g. a file where the case's folder should be: this case fails
        why = f"cannot write the case folder {str(folder)!r}: {exc.strerror or exc}"
        return _failed_case(task, type(exc).__name__, why, why)
    stem = Path(task["notebook"]).stem
    final_nb = folder / f"{stem}.ipynb"
    failed_nb = folder / f"{stem}.failed.ipynb"
    html = folder / f"{stem}.html"
    manifest = folder / "case.json"
    manifest.unlink(missing_ok=True)  # the case is not done until a new manifest is written
    for stale in (failed_nb, results_path(failed_nb)):
        stale.unlink(missing_ok=True)
    tmp_nb = folder / f".{stem}.{os.getpid()}.tmp.ipynb"
    started = time.perf_counter()
    outcome = {"case_id": task["case_id"], "status": "ok", "error": None}
    try:
        run_notebook(task["notebook"], tmp_nb, parameters=task["parameters"],
                     timeout=task["timeout"], progress=False, cwd=task.get("cwd"))
    except NotebookRunError as exc:
        outcome.update(status="failed", cell_index=exc.cell_index, ename=exc.ename,
                       evalue=exc.evalue, error=str(exc),
                       traceback=traceback_tail(getattr(exc, "traceback", []),
                                                lines=TRACEBACK_LINES))
    except Exception as exc:  # anything else is reported for this case; the others go on
        outcome.update(status="failed", cell_index=None, ename=type(exc).__name__,
                       evalue=str(exc), error=f"{type(exc).__name__}: {exc}")
    except BaseException:  # interrupted (Ctrl-C): no half-written file; a rerun runs the case
        _clean_temporary_files(folder)
        raise
    seconds = time.perf_counter() - started
    try:
        if outcome["status"] == "ok":
            if results_path(tmp_nb).exists():
                os.replace(results_path(tmp_nb), results_path(final_nb))
            else:
                results_path(final_nb).unlink(missing_ok=True)
            os.replace(tmp_nb, final_nb)
            kept = final_nb
        else:
            kept = None
            if tmp_nb.exists():
                os.replace(tmp_nb, failed_nb)
                kept = failed_nb
                if results_path(tmp_nb).exists():
                    os.replace(results_path(tmp_nb), results_path(failed_nb))
        if kept is not None:
            render_html(kept, html, hide_code=task["hide_code"])
        elif html.exists():
            html.unlink()
    finally:
        _clean_temporary_files(folder)
    outcome.update(
        seconds=seconds, notebook_output=kept.name if kept else None,
        html=html.name if kept else None)
    record = {
        "format": "workbench-pipeline-case", "hash": task["hash"], "name": task["name"],
        "notebook": task["notebook_rel"], "parameters": task["parameters"], **outcome,
        "results_sha256": _file_digest(results_path(kept)) if kept else None,
    }
    write_text_atomic(manifest, json.dumps(jsonable(record), indent=2, allow_nan=False))
    return outcome


# --------------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class CaseOutcome:
    """What happened to one case.

    ``status`` is ok, skipped (up to date), failed, or, for a dry run, would-run / would-skip. A
    case whose notebook ran but whose recorded results break an expectation is failed too: its
    ``checks`` say which (``cell_index`` and ``ename`` are then None). ``reused`` is true when the
    notebook was not run again (its earlier results were read). ``results`` holds the numbers and
    texts the notebook recorded, as :func:`flat_results` gives them (empty for a failed notebook).
    """

    case: Case
    status: str
    seconds: float | None = None
    cell_index: int | None = None
    ename: str | None = None
    evalue: str | None = None
    notebook_output: str | None = None
    html: str | None = None
    traceback: str | None = None
    checks: tuple[CheckResult, ...] = ()
    reused: bool = False
    results: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def failed_checks(self) -> list[CheckResult]:
        """The expectations that the case's recorded results break."""
        return [c for c in self.checks if not c.passed]

    @property
    def failure(self) -> str | None:
        """Why the case failed, in one line without the case's name; None when it did not."""
        if self.status != "failed":
            return None
        if self.ename is None and self.failed_checks:
            return "; ".join(c.describe() for c in self.failed_checks)
        where = f"cell {self.cell_index}" if self.cell_index is not None else "no cell"
        return f"{where}: {self.ename}: {self.evalue}"

    def describe_failure(self) -> str:
        """One line about a failed case: its notebook, cell, error and executed notebook."""
        nb = self.case.directory / self.notebook_output if self.notebook_output else "-"
        return f"{self.case.name} [{self.case.notebook.name}] {self.failure} (notebook: {nb})"

    def to_dict(self) -> dict:
        """The case's outcome as a JSON-ready dictionary."""
        return jsonable({"case_id": self.case.case_id, "case": self.case.name,
                         "notebook": self.case.notebook.name,
                         "parameters": self.case.parameters, "status": self.status,
                         "reused": self.reused,
                         "seconds": self.seconds, "cell_index": self.cell_index,
                         "ename": self.ename, "evalue": self.evalue,
                         "traceback": self.traceback,
                         "checks": [c.to_dict() for c in self.checks],
                         "directory": str(self.case.directory),
                         "notebook_output": self.notebook_output, "html": self.html})


@dataclasses.dataclass(frozen=True)
class PipelineReport:
    """Outcome of :func:`run_pipeline`.

    One :class:`CaseOutcome` per case and the collected results (one row per case).
    """

    pipeline: Pipeline
    outcomes: tuple[CaseOutcome, ...]
    results: pd.DataFrame
    seconds: float
    dry_run: bool = False

    @property
    def failed(self) -> list[CaseOutcome]:
        """The outcomes of the cases that failed."""
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def exit_code(self) -> int:
        """0 when every case succeeded, 1 when one or more failed (the report counts them)."""
        return 1 if self.failed else 0

    @property
    def summary(self) -> pd.DataFrame:
        """One row per case, the columns of :meth:`CaseOutcome.to_dict`."""
        return pd.DataFrame([o.to_dict() for o in self.outcomes])

    def counts(self) -> dict[str, int]:
        """Number of cases per status."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            out[o.status] = out.get(o.status, 0) + 1
        return out

    def describe(self) -> str:
        """A readable account of the run: the counts, then one line per failed case."""
        counts = ", ".join(f"{v} {k}" for k, v in self.counts().items())
        lines = [f"pipeline {self.pipeline.name}: {len(self.outcomes)} cases ({counts}) "
                 f"in {self.seconds:.1f} s"]
        if self.dry_run:
            lines += [f"  {o.status:10s} {o.case.name}  [{o.case.notebook.name}] -> "
                      f"{o.case.directory}" for o in self.outcomes]
        else:
            lines.append(f"results: {self.pipeline.output / 'results.csv'}")
            lines.append(f"index:   {self.pipeline.output / 'index.html'}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """The report as a JSON-ready dictionary, one entry per case under ``cases``."""
        return {"pipeline": self.pipeline.name, "output": str(self.pipeline.output),
                "seconds": self.seconds, "dry_run": self.dry_run, "counts": self.counts(),
                "exit_code": self.exit_code, "cases": [o.to_dict() for o in self.outcomes]}

    def __str__(self) -> str:
        return self.describe()


# --------------------------------------------------------------------------------------------------
# running a pipeline
# --------------------------------------------------------------------------------------------------

def _task(case: Case, pipeline: Pipeline, digest: str) -> dict:
    try:
        rel = str(case.notebook.relative_to(pipeline.root))
    except ValueError:
        rel = str(case.notebook)
    return {"case_id": case.case_id, "name": case.name, "notebook": str(case.notebook),
            "notebook_rel": rel, "parameters": case.parameters, "directory": str(case.directory),
            "hash": digest, "timeout": pipeline.timeout, "hide_code": pipeline.hide_code}


def _execute(tasks: list[dict], *, workers: int, scheduler, progress: bool | None):
    """Yield the outcome of each task as it finishes."""
    from ._parallel import lazy_progress_bar

    def make_bar():
        return lazy_progress_bar(progress, total=len(tasks), unit="case", desc="pipeline")

    bar = None
    try:
        if scheduler is not None:
            bar = make_bar()
            yield from _execute_dask(tasks, scheduler, bar)
        elif workers <= 1 or len(tasks) <= 1:
            bar = make_bar()
            for t in tasks:
                outcome = _run_case(t)
                bar.update()
                yield outcome
        else:
            import concurrent.futures as cf

            from ._parallel import end_with_parent, process_context

            ctx = process_context()
            if ctx.get_start_method() == "fork":  # prepare once here rather than in each worker
                import nbformat
                import papermill  # noqa: F401

                from .notebooks import html_exporter

                for hide in {t["hide_code"] for t in tasks}:
                    html_exporter(hide).from_notebook_node(nbformat.v4.new_notebook())
            size = min(workers, len(tasks))
            with cf.ProcessPoolExecutor(max_workers=size, mp_context=ctx,
                                        initializer=end_with_parent,
                                        initargs=(os.getpid(),)) as pool:
                # Only as many cases are handed out as there are workers, so an interrupt
                # (Ctrl-C) leaves no queued case that would still run before the pool stops.
                waiting = iter(tasks)
                running: dict = {}

                def hand_out() -> None:
                    t = next(waiting, None)
                    if t is None:
                        return
                    try:
                        fut = pool.submit(_run_case, t)
                    except RuntimeError as exc:  # the pool broke (a worker was killed)
                        fut = cf.Future()
                        fut.set_exception(exc)
                    running[fut] = t

                for _ in range(size):  # the workers start here, before the bar's thread exists
                    hand_out()
                bar = make_bar()
                try:
                    while running:
                        done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                        for fut in done:
                            t = running.pop(fut)
                            hand_out()
                            bar.update()
                            yield _outcome_or_crash(fut, t)
                except BaseException:
                    # interrupted: the cases not handed out are not run (a rerun runs them);
                    # the running ones stop with the same Ctrl-C or finish
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        if bar is not None:
            bar.close()


def _outcome_or_crash(fut, task: dict) -> dict:
    try:
        return fut.result()
    except Exception as exc:  # the worker process died (e.g. killed): report, do not stop
        return {"case_id": task["case_id"], "status": "failed", "cell_index": None,
                "ename": type(exc).__name__, "evalue": str(exc), "error": str(exc)}


def _execute_dask(tasks: list[dict], scheduler, bar):
    from dask.distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler) if own else scheduler
    except (OSError, ValueError, TypeError) as exc:  # unreachable or not an address
        raise InvalidParameterError(
            f"`scheduler` {scheduler!r}: cannot connect to a Dask scheduler: {exc}") from None
    try:
        import uuid

        token = uuid.uuid4().hex[:8]
        futures = client.map(_run_case, tasks, pure=False,
                             key=[f"workbench-case-{token}-{t['case_id']}" for t in tasks])
        by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
        try:
            for fut in as_completed(futures):
                bar.update()
                yield _outcome_or_crash(fut, by_key[fut.key])
        except BaseException:  # interrupted: the cases not started yet are not run
            client.cancel(futures)
            raise
    finally:
        if own:
            client.close()


def run_pipeline(pipeline: Pipeline | str | os.PathLike, *, workers: int | None = None,
                 scheduler: Any = None, output: str | os.PathLike | None = None,
                 dry_run: bool = False, force: bool = False,
                 progress: bool | None = None, wait: bool = False) -> PipelineReport:
    """Run every case of a pipeline, skipping those that are up to date, and collect the results.

    Parameters
    ----------
    pipeline : Pipeline or path-like
        A spec from :func:`load_pipeline`, or the path of its YAML file.
    workers : int, optional
        Parallel processes; default the spec's ``workers``, else the number of CPUs. 1 runs the
        cases one after the other in this process.
    scheduler : str or dask.distributed.Client, optional
        Run the cases on a Dask distributed cluster: a scheduler address such as
        ``"tcp://127.0.0.1:8786"`` or a connected client. Default the spec's ``scheduler``, else
        local processes. The workers must see the same file system (the notebooks and the output
        folder) and have the workbench installed.
    output : path-like, optional
        Write to this folder instead of the spec's ``output``.
    dry_run : bool, default False
        Only report which cases would run (``would-run``) or be skipped (``would-skip``).
    force : bool, default False
        Run cases even when they are up to date.
    progress : bool, optional
        Progress bar over the cases; default only on a terminal.
    wait : bool, default False
        When another run holds the output folder (see :func:`output_lock`), wait until it ends
        instead of stopping with :class:`OutputFolderBusyError`.

    Returns
    -------
    PipelineReport
        ``outcomes`` (one per case), ``results`` (the table written to ``results.csv``),
        ``failed`` and ``exit_code`` (1 when a case failed, else 0). A failing case does not stop
        the others. When no bar is drawn and ``progress`` is not False (output is not a terminal,
        as on CI), a line per finished case goes to standard error:
        ``case 3/12 ok (03_power_analysis, n_total=150) 12.4 s``.

    Raises
    ------
    InvalidParameterError
        Besides bad arguments: an output folder that cannot be written; an expectation on a
        result that a successful case did not record, or that is not a number. Up-to-date cases
        are checked before anything runs, the others as each finishes; the run stops there (the
        finished cases are kept).
    OutputFolderBusyError
        Another run is writing to the same output folder (and ``wait`` is False).

    Notes
    -----
    A case counts as up to date when its ``case.json`` says it succeeded with the same content
    hash and its notebook and results file are the ones it wrote (the results file's SHA-256 is
    kept in ``case.json``); otherwise it runs again.
    """
    started = time.perf_counter()
    if not isinstance(pipeline, Pipeline):
        pipeline = load_pipeline(pipeline)
    if output is not None:
        pipeline = _relocate(pipeline, Path(output))
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InvalidParameterError(f"`workers` must be an integer >= 1; got {workers!r}.")
    workers = workers or pipeline.workers or os.cpu_count() or 1
    scheduler = scheduler if scheduler is not None else pipeline.scheduler

    lib = library_hash()
    digests = {c.case_id: _case_hash(c, lib) for c in pipeline.cases}
    if dry_run:
        todo_ids = {c.case_id for c in pipeline.cases
                    if force or not _is_up_to_date(c, digests[c.case_id])}
        planned = tuple(CaseOutcome(c, "would-run" if c.case_id in todo_ids else "would-skip")
                        for c in pipeline.cases)
        return PipelineReport(pipeline, planned, pd.DataFrame(), time.perf_counter() - started,
                              dry_run=True)
    with output_lock(pipeline.output, wait=wait):
        return _run_locked(pipeline, digests, workers=workers, scheduler=scheduler,
                           force=force, progress=progress, started=started)


def _run_locked(pipeline: Pipeline, digests: dict[str, str], *, workers: int, scheduler,
                force: bool, progress: bool | None, started: float) -> PipelineReport:
    """Run the cases that are not up to date; the output folder is locked by this run."""
    todo = [c for c in pipeline.cases if force or not _is_up_to_date(c, digests[c.case_id])]
    todo_ids = {c.case_id for c in todo}
    # leftovers of a run that was killed: no half-written file survives a rerun
    _clean_temporary_files(pipeline.output)
    for c in pipeline.cases:
        if c.case_id not in todo_ids and c.directory.is_dir():
            _clean_temporary_files(c.directory)
    # up-to-date cases first: their saved results are checked before anything runs
    done: dict[str, tuple[CaseOutcome, dict[str, Any]]] = {}
    for c in pipeline.cases:
        if c.case_id not in todo_ids:
            done[c.case_id] = _finish(c, _read_manifest(c) or {}, "skipped", pipeline)
    tasks = [_task(c, pipeline, digests[c.case_id]) for c in todo]
    lines = progress is None and not show_progress(None)
    by_id = {c.case_id: c for c in todo}
    running = _execute(tasks, workers=workers, scheduler=scheduler, progress=progress)
    try:
        for i, raw in enumerate(running, start=1):
            o, _ = done[raw["case_id"]] = _finish(by_id[raw["case_id"]], raw, raw["status"],
                                                  pipeline)
            if lines and i == 1:  # not before: an error starting the run stays one line
                _log(f"pipeline {pipeline.name}: running {len(tasks)} of "
                     f"{len(pipeline.cases)} cases ({len(pipeline.cases) - len(tasks)} up to date)")
            if lines:
                took = "" if o.seconds is None else f" {o.seconds:.1f} s"
                _log(f"case {i}/{len(tasks)} {o.status} ({o.case.label}){took}")
    finally:  # stopped by an input error: the cases not started yet are not run
        running.close()

    outcomes = [done[c.case_id][0] for c in pipeline.cases]
    results = _collect(pipeline, outcomes, {k: v[1] for k, v in done.items()})
    _write_index(pipeline, outcomes, results)
    return PipelineReport(pipeline, tuple(outcomes), results, time.perf_counter() - started)


#: The file in a pipeline's output folder that a run holds locked (it names the run's pid).
LOCK_FILE = ".pipeline.lock"


class OutputFolderBusyError(WorkbenchError):
    """Another run of a pipeline is writing to the same output folder."""


@contextlib.contextmanager
def output_lock(folder: str | os.PathLike, *, wait: bool = False):
    """Hold the output folder of a pipeline for this run (a lock on ``<folder>/.pipeline.lock``).

    The folder is created. Two runs writing to one folder would lose each other's results, so a
    second run stops at once with :class:`OutputFolderBusyError` naming the folder and the pid of
    the run that holds it, or with ``wait=True`` waits until that run ends. The lock goes with
    the process: a run that is killed holds nothing. Where ``fcntl`` is missing (Windows) nothing
    is locked.

    Raises
    ------
    InvalidParameterError
        The folder cannot be created or written (a file is in the way, no permission).
    OutputFolderBusyError
        Another run holds the folder and ``wait`` is False.
    """
    folder = Path(folder)
    lock = folder / LOCK_FILE
    try:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as exc:
        raise InvalidParameterError(
            f"output folder {str(folder)!r} cannot be written: {exc.strerror or exc}.") from None
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            fcntl = None  # type: ignore[assignment]
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    other = _lock_holder(lock)
                    who = f"pid {other}" if other else "another process"
                    raise OutputFolderBusyError(
                        f"output folder {str(folder)!r} is in use by another run of a pipeline "
                        f"({who}); wait until it ends (or add --wait), or give another "
                        f"--output.") from None
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield folder
    finally:
        os.close(fd)  # releases the lock; the file stays (removing it would race a waiting run)


def _lock_holder(lock: Path) -> int | None:
    try:
        text = lock.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def _finish(case: Case, o: dict, status: str,
            pipeline: Pipeline) -> tuple[CaseOutcome, dict[str, Any]]:
    """A finished (or up-to-date) case's outcome, its expectations checked, and its results."""
    outcome = CaseOutcome(
        case, status, seconds=o.get("seconds"), cell_index=o.get("cell_index"),
        ename=o.get("ename"), evalue=o.get("evalue"),
        notebook_output=o.get("notebook_output"), html=o.get("html"),
        traceback=o.get("traceback"), reused=status == "skipped")
    recorded = _recorded(outcome)
    outcome = dataclasses.replace(outcome, results=flat_results(recorded))
    return _check(outcome, pipeline), recorded


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _recorded(o: CaseOutcome) -> dict[str, Any]:
    """The results a case whose notebook ran recorded (none for a failed notebook)."""
    from .notebooks import read_results, results_path

    if not o.notebook_output or o.status not in ("ok", "skipped"):
        return {}
    rp = results_path(o.case.directory / o.notebook_output)
    return read_results(rp) if rp.exists() else {}


def _check(o: CaseOutcome, pipeline: Pipeline) -> CaseOutcome:
    """The outcome with its expectations checked; failed when one is broken."""
    if not o.case.expectations or o.status not in ("ok", "skipped"):
        return o
    where = str(pipeline.path) if pipeline.path is not None else "the pipeline"
    checks = check_expectations(o.case.expectations, o.results, where=where,
                                case=f"case {o.case.name!r} ({o.case.notebook.name})")
    status = "failed" if any(not c.passed for c in checks) else o.status
    return dataclasses.replace(o, status=status, checks=checks)


def _relocate(pipeline: Pipeline, output: Path) -> Pipeline:
    output = output.resolve()
    cases = tuple(dataclasses.replace(c, directory=output / c.directory.relative_to(
        pipeline.output)) for c in pipeline.cases)
    return dataclasses.replace(pipeline, output=output, cases=cases)


# --------------------------------------------------------------------------------------------------
# collecting results
# --------------------------------------------------------------------------------------------------

def _flatten(name: str, value: Any, row: dict) -> None:
    if isinstance(value, dict):
        if not value:
            row[name] = "{}"
        for k, v in value.items():
            _flatten(f"{name}.{k}", v, row)
    elif isinstance(value, list):
        row[name] = json.dumps(jsonable(value))
    else:
        row[name] = value


def flat_results(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded results as the columns of ``results.csv``: dicts flattened, tables left out.

    Examples
    --------
    >>> flat_results({"power": 0.8, "ci": {"lower": 0.7, "upper": 0.9}, "grid": [1, 2]})
    {'power': 0.8, 'ci.lower': 0.7, 'ci.upper': 0.9, 'grid': '[1, 2]'}
    """
    flat: dict[str, Any] = {}
    for name, value in recorded.items():
        if not isinstance(value, pd.DataFrame | pd.Series):
            _flatten(name, value, flat)
    return flat


def _collect(pipeline: Pipeline, outcomes: list[CaseOutcome],
             recorded: dict[str, dict[str, Any]]) -> pd.DataFrame:
    rows: list[dict] = []
    tables: dict[str, list[pd.DataFrame]] = {}
    order: dict[str, list[str]] = {"case": [], "parameters": [], "results": []}

    def note(group: str, keys) -> None:
        order[group] += [k for k in keys if k not in order[group]]

    for o in outcomes:
        c = o.case
        front = {"case_id": c.case_id, "case": c.name, "notebook": c.notebook.name,
                 "status": "ok" if o.status == "skipped" else o.status,
                 "reused": o.reused}
        note("case", front)
        params: dict[str, Any] = {}
        for k, v in c.parameters.items():
            _flatten(k, v, params)
        note("parameters", params)
        front.update(params)
        row = dict(front)
        row["error"] = None if o.status != "failed" else o.describe_failure()
        # a notebook that failed in a cell contributes no results
        results = recorded[c.case_id] if o.ename is None else {}
        for name, value in results.items():
            key = name if name not in front else f"result.{name}"
            if isinstance(value, pd.DataFrame):
                t = value.reset_index(drop=isinstance(value.index, pd.RangeIndex))
                for i, (k, v) in enumerate(front.items()):
                    col = k if k not in t.columns else f"case.{k}"
                    t.insert(i, col, [v] * len(t))
                tables.setdefault(name, []).append(t)
            else:
                values: dict[str, Any] = {}
                _flatten(key, value, values)
                note("results", values)
                row.update(values)
        row["seconds"] = o.seconds
        row["html"] = str(Path(c.directory.relative_to(pipeline.output)) / o.html) if o.html \
            else None
        rows.append(row)
    tail = ["error", "seconds", "html"]
    columns = order["case"] + order["parameters"] + [
        k for k in order["results"] if k not in order["parameters"]] + tail
    df = _integer_columns(rows)[columns] if rows else pd.DataFrame(columns=columns)
    _write_table(df, pipeline.output / "results")
    for name, parts in tables.items():
        folder = pipeline.output / "tables"
        folder.mkdir(exist_ok=True)
        _write_table(pd.concat(parts, ignore_index=True), folder / _format_value(name))
    return df


def _integer_columns(rows: list[dict]) -> pd.DataFrame:
    """The rows as a table, whole-number columns kept as integers.

    Whole-number columns with gaps (e.g. parameters of another notebook's cases) become nullable
    integers, so they stay integers in the CSV instead of floats.
    """
    df = pd.DataFrame(rows)
    for col in df.columns:
        values = [r[col] for r in rows if r.get(col) is not None]
        if values and len(values) < len(rows) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in values):
            df[col] = pd.array([r.get(col) for r in rows], dtype="Int64")
    return df


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col] if v is not None and not (
                isinstance(v, float) and v != v)}
            if len(kinds) > 1 or kinds - {str, bool, int, float}:
                out[col] = [None if v is None else str(v) for v in out[col]]
    return out


def _write_table(df: pd.DataFrame, stem: Path) -> None:
    csv = stem.with_suffix(".csv")
    write_text_atomic(csv, df.to_csv(index=False))
    with atomic_path(stem.with_suffix(".parquet")) as tmp:
        _parquet_safe(df).to_parquet(tmp, index=False)


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(jsonable(value))


def _write_index(pipeline: Pipeline, outcomes: list[CaseOutcome], results: pd.DataFrame) -> None:
    import html as h

    param_names: list[str] = []
    for c in pipeline.cases:
        param_names += [k for k in c.parameters if k not in param_names]
    head = "".join(f"<th>{h.escape(n)}</th>" for n in ["case", "notebook", "status", *param_names,
                                                      "seconds", "error"])
    body = []
    for o in outcomes:
        c = o.case
        link = h.escape(c.name)
        if o.html:
            href = (c.directory / o.html).relative_to(pipeline.output).as_posix()
            link = f'<a href="{h.escape(href)}">{link}</a>'
        cells = [link, h.escape(c.notebook.name),
                 f'<span class="{h.escape(o.status)}">{h.escape(o.status)}</span>']
        cells += [h.escape(_show(c.parameters[n]) if n in c.parameters else "")
                  for n in param_names]
        cells.append("" if o.seconds is None else f"{o.seconds:.1f}")
        cells.append(h.escape(o.failure or ""))
        body.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    from .reports import html_page

    css = (".failed { color: #b00; font-weight: bold; } .ok { color: #070; } "
           "table.cases td, table.cases th { border: 1px solid #ccc; padding: .3em .6em; } "
           "table.cases th { background: #f3f3f3; }")
    page = html_page(f"Pipeline {pipeline.name}", f"""<h1>Pipeline {h.escape(pipeline.name)}</h1>
<p>{len(outcomes)} cases. Collected results: <a href="results.csv">results.csv</a>,
<a href="results.parquet">results.parquet</a>.</p>
<table class="cases"><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table>""", css=css)
    write_text_atomic(pipeline.output / "index.html", page)
