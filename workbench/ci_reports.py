"""Reports for continuous integration: a JUnit XML file and a Markdown summary of notebook runs.

JUnit XML is the test report that GitHub Actions, GitLab, Jenkins and Azure Pipelines display:
one ``<testcase>`` per pipeline case (per notebook for ``run-notebook``), named by its notebook and
parameters, with its duration; a failed case holds a ``<failure>`` with the cell, the exception,
the last lines of the traceback and the path of the executed notebook; an up-to-date case that was
not run again is ``<skipped>``. The file follows the common JUnit schema (Jenkins'
``junit-10.xsd``): ``<testsuites>`` with ``tests``, ``failures``, ``errors`` and ``time``, one
``<testsuite>`` with the same counts, ``skipped`` and ``<properties>``, then the test cases; a case
holds at most one ``<failure>`` or ``<skipped>`` and a ``<system-out>`` with its files.

The Markdown summary is a table of the cases (status, duration, key recorded results) and the
failures below it, for GitHub's job summary or a merge-request comment.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._files import check_output_file, write_text_atomic
from .exceptions import InvalidParameterError
from .results import jsonable

if TYPE_CHECKING:
    from .exceptions import NotebookRunError
    from .pipelines import PipelineReport

__all__ = ["ReportCase", "report_cases", "notebook_case", "case_name", "display_path", "junit_xml",
           "markdown_summary", "summary_columns", "check_report_path", "write_report",
           "KEY_RESULTS"]

#: Recorded results shown in the Markdown summary when a pipeline names none (``summary:``),
#: besides those it has expectations on.
KEY_RESULTS = ("power", "hazard_ratio", "type1_error", "p_value", "estimate", "n_total", "events")
_MAX_COLUMNS = 8


@dataclasses.dataclass(frozen=True)
class ReportCase:
    """One case (one notebook run) as the reports show it.

    ``status`` is ``ok``, ``failed`` or ``skipped``; ``kind`` is the exception's name, or
    ``ExpectationFailed`` when the notebook ran but a recorded result broke an expectation.
    """

    name: str
    classname: str
    status: str
    seconds: float
    message: str | None = None
    kind: str | None = None
    details: str = ""
    files: Mapping[str, str] = dataclasses.field(default_factory=dict)
    results: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def display_path(path: str | os.PathLike) -> str:
    """``path`` relative to the current folder when it lies below it, else absolute."""
    p = Path(path).absolute()
    try:
        return p.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(p)


def _value_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(jsonable(value))


def case_name(notebook: str | os.PathLike, parameters: Mapping[str, Any]) -> str:
    """A test case's name: the notebook's stem and its parameters.

    Examples
    --------
    >>> case_name("notebooks/03_power.ipynb", {"n_total": 150, "label": "a"})
    '03_power[n_total=150, label=a]'
    """
    text = ", ".join(f"{k}={_value_text(v)}" for k, v in parameters.items())
    return f"{Path(notebook).stem}[{text}]"


def report_cases(report: PipelineReport) -> list[ReportCase]:
    """The cases of a pipeline run, in the pipeline's order, as the reports show them."""
    out = []
    for o in report.outcomes:
        c = o.case
        files = {}
        if o.notebook_output:
            files["executed notebook"] = display_path(c.directory / o.notebook_output)
        if o.html:
            files["html"] = display_path(c.directory / o.html)
        status = "skipped" if o.status == "skipped" else o.status
        kind = message = None
        lines = [f"case: {c.name}", f"notebook: {display_path(c.notebook)}"]
        if o.status == "failed":
            message = o.failure
            if o.ename is None and o.failed_checks:
                kind = "ExpectationFailed"
                lines += [ch.describe() for ch in o.checks]
            else:
                kind = o.ename or "Error"
                lines.append(f"{message}")
                if o.traceback:
                    lines += ["", "traceback (last lines):", o.traceback]
        elif o.checks:
            lines += [ch.describe() for ch in o.checks]
        if o.status == "skipped":
            message = "up to date: not run again, its earlier results were used"
        lines += [f"{k}: {v}" for k, v in files.items()]
        out.append(ReportCase(
            name=case_name(c.notebook, c.parameters),
            classname=f"{report.pipeline.name}.{c.notebook.stem}",
            status=status, seconds=0.0 if o.reused or o.seconds is None else float(o.seconds),
            message=message, kind=kind, details="\n".join(lines), files=files,
            results=dict(o.results)))
    return out


def notebook_case(notebook: str | os.PathLike, parameters: Mapping[str, Any],
                  output: str | os.PathLike, *, seconds: float,
                  results: Mapping[str, Any] | None = None,
                  error: NotebookRunError | None = None) -> ReportCase:
    """One notebook run (``workbench pipeline run-notebook``) as the reports show it.

    Parameters
    ----------
    notebook : path-like
        The notebook that ran.
    parameters : mapping
        The parameters it was given (they name the case).
    output : path-like
        The executed notebook (partly executed after a failure).
    seconds : float
        How long the run took.
    results : mapping, optional
        What it recorded (:func:`workbench.notebooks.run_notebook`'s return value).
    error : NotebookRunError, optional
        The failure, when a cell raised.
    """
    from .notebooks import traceback_tail
    from .pipelines import flat_results

    notebook, output = Path(notebook), Path(output)
    files = {"executed notebook": display_path(output)} if output.exists() else {}
    lines = [f"notebook: {display_path(notebook)}"]
    message = kind = None
    if error is not None:
        where = f"cell {error.cell_index}" if error.cell_index is not None else "no cell"
        message, kind = f"{where}: {error.ename}: {error.evalue}", error.ename or "Error"
        tail = traceback_tail(getattr(error, "traceback", []))
        lines += [message, *(["", "traceback (last lines):", tail] if tail else [])]
    lines += [f"{k}: {v}" for k, v in files.items()]
    return ReportCase(name=case_name(notebook, parameters),
                      classname=f"run-notebook.{notebook.stem}",
                      status="ok" if error is None else "failed", seconds=seconds,
                      message=message, kind=kind, details="\n".join(lines), files=files,
                      results=flat_results(results or {}))


def _clean(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold (terminal escapes and the like)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20)


def junit_xml(name: str, cases: Sequence[ReportCase], *, seconds: float | None = None,
              properties: Mapping[str, str] | None = None) -> str:
    """The cases as a JUnit XML document (one ``<testsuite>`` named ``name``).

    Parameters
    ----------
    name : str
        Name of the test suite (the pipeline's name).
    cases : sequence of ReportCase
        The cases, e.g. from :func:`report_cases`.
    seconds : float, optional
        Duration of the whole run; default the sum of the cases'.
    properties : mapping, optional
        ``name -> value`` pairs written as ``<properties>`` of the suite.

    Returns
    -------
    str
        The XML text with its declaration.

    Examples
    --------
    >>> cases = [ReportCase("nb[n=1]", "demo.nb", "ok", 1.5),
    ...          ReportCase("nb[n=2]", "demo.nb", "failed", 2.0, "boom", "ValueError")]
    >>> xml = junit_xml("demo", cases)
    >>> print(xml.splitlines()[1])
    <testsuites name="demo" tests="2" failures="1" errors="0" time="3.500">
    """
    total = sum(c.seconds for c in cases) if seconds is None else seconds
    counts = {"tests": str(len(cases)),
              "failures": str(sum(c.status == "failed" for c in cases)),
              "errors": "0",
              "skipped": str(sum(c.status == "skipped" for c in cases)),
              "time": f"{total:.3f}"}
    # junit-10.xsd allows `skipped` on <testsuite> only
    root = ET.Element("testsuites", {"name": name, **{k: v for k, v in counts.items()
                                                      if k != "skipped"}})
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts})
    if properties:
        props = ET.SubElement(suite, "properties")
        for k, v in properties.items():
            ET.SubElement(props, "property", {"name": k, "value": _clean(str(v))})
    for c in cases:
        case = ET.SubElement(suite, "testcase", {"name": _clean(c.name), "classname": c.classname,
                                                 "time": f"{c.seconds:.3f}"})
        if c.status == "failed":
            failure = ET.SubElement(case, "failure", {"message": _clean(c.message or "failed"),
                                                      "type": c.kind or "Error"})
            failure.text = _clean(c.details)
        elif c.status == "skipped":
            ET.SubElement(case, "skipped", {"message": _clean(c.message or "skipped")})
        if c.status != "failed" and c.details:
            ET.SubElement(case, "system-out").text = _clean(c.details)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True).replace(
        "<?xml version='1.0' encoding='utf-8'?>", '<?xml version="1.0" encoding="UTF-8"?>') + "\n"


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


_MARK = {"ok": "✅ ok", "failed": "❌ failed", "skipped": "⏭️ up to date"}


def summary_columns(cases: Sequence[ReportCase], wanted: Sequence[str] = (),
                    first: Sequence[str] = ()) -> list[str]:
    """The recorded results a summary shows.

    ``wanted`` when given (a pipeline's ``summary:``), else ``first`` (the names a pipeline has
    expectations on) and then the recorded results named as in :data:`KEY_RESULTS` (the last part
    of ``name.key`` counts), at most 8 columns.
    """
    if wanted:
        return list(wanted)
    present: list[str] = []
    for c in cases:
        present += [k for k, v in c.results.items() if k not in present and _cell(v)]
    keys = [k for k in present if k.split(".")[-1] in KEY_RESULTS]
    return list(dict.fromkeys([*first, *keys]))[:_MAX_COLUMNS]


def markdown_summary(title: str, cases: Sequence[ReportCase], *,
                     columns: Sequence[str] = (), seconds: float | None = None) -> str:
    """A Markdown table of the cases (status, duration, key results) and their failures.

    Parameters
    ----------
    title : str
        Heading (the pipeline's name).
    cases : sequence of ReportCase
    columns : sequence of str, optional
        Recorded results to show (default: see :func:`summary_columns`).
    seconds : float, optional
        Duration of the whole run, shown in the heading.

    Examples
    --------
    >>> md = markdown_summary("demo", [ReportCase("nb[n=1]", "demo.nb", "ok", 1.5,
    ...                                           results={"power": 0.8123})])
    >>> print(md.splitlines()[4])
    | nb[n=1] | ✅ ok | 1.5 | 0.8123 |
    """
    cols = summary_columns(cases, columns)
    counts: dict[str, int] = {}
    for c in cases:
        counts[c.status] = counts.get(c.status, 0) + 1
    said = ", ".join(f"{n} {'up to date' if s == 'skipped' else s}" for s, n in counts.items())
    took = "" if seconds is None else f" in {seconds:.1f} s"
    lines = [f"## {title}: {len(cases)} case{'s' * (len(cases) != 1)} ({said}){took}", "",
             "| " + " | ".join(["case", "status", "seconds", *cols]) + " |",
             "|---|---|---:|" + "---:|" * len(cols)]
    for c in cases:
        cells = [_cell(c.name), _MARK.get(c.status, c.status), f"{c.seconds:.1f}"]
        cells += [_cell(c.results.get(k)) for k in cols]
        lines.append("| " + " | ".join(cells) + " |")
    failed = [c for c in cases if c.status == "failed"]
    if failed:
        lines += ["", "### Failures", ""]
        for c in failed:
            lines += [f"**{_cell(c.name)}**: {_cell(c.message)}", "", "```text", c.details, "```",
                      ""]
    return "\n".join(lines).rstrip() + "\n"


def check_report_path(path: str | os.PathLike, option: str) -> Path:
    """Check before a run that a report file can be written at ``path`` (folders are created).

    Raises
    ------
    InvalidParameterError
        Naming ``option`` and the path: it is a folder, or its folder cannot be made or written.
    """
    return check_output_file(path, option)


def write_report(path: str | os.PathLike, text: str, option: str) -> None:
    """Write a report file whole (atomically), or raise naming ``option``."""
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        raise InvalidParameterError(
            f"`{option}` {str(path)!r} cannot be written: {exc.strerror or exc}.") from None
