"""Pipelines in CI: JUnit XML and Markdown reports, exit codes, expectations, the example configs.

Most tests replace the notebook run by a fake that records the numbers it is given (no kernel);
the tests marked ``notebook`` run real notebooks from tests/notebooks/ with papermill.
"""

from __future__ import annotations

import os
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest
import yaml

from tests.helpers import run_cli, run_error
from workbench import InvalidParameterError
from workbench.ci_reports import ReportCase, junit_xml, markdown_summary
from workbench.expectations import parse_expectation, parse_expectations
from workbench.pipelines import load_pipeline, run_pipeline

ROOT = Path(__file__).resolve().parent.parent
CI_DEMO = "tests/notebooks/ci_demo.ipynb"
BROKEN = "tests/notebooks/broken.ipynb"
EXAMPLES = sorted((ROOT / "ci-examples").glob("*.yml"))


# ----------------------------------------------------------------------------- expectations ----

@pytest.mark.parametrize(("text", "inside", "outside"), [
    (">= 0.8", [0.8, 0.95], [0.79]),
    ("> 0.8", [0.81], [0.8]),
    ("<= 1.2", [1.2, 0.5], [1.21]),
    ("< 1.2", [1.19], [1.2]),
    ("== 3", [3], [3.001]),
    ("!= 0", [1e-9], [0]),
    ("between 0.4 and 0.7", [0.4, 0.55, 0.7], [0.39, 0.71]),
    ("BETWEEN -1e-3 AND 2E-3", [0.0], [0.01]),
    ([0.4, 0.7], [0.4, 0.7], [0.3, 0.8]),
    ([None, 0.7], [-5.0, 0.7], [0.71]),
    ([0.4, None], [0.4, 9.0], [0.39]),
])
def test_expectation_grammar(text, inside, outside):
    e = parse_expectation("x", text)
    assert all(e.holds(v) for v in inside)
    assert not any(e.holds(v) for v in outside)
    assert not e.holds(float("nan"))


def test_a_list_of_conditions_must_all_hold():
    checks = parse_expectations({"events": [">= 100", "< 400"], "power": ">= 0.8"})
    assert [(e.name, e.text) for e in checks] == [
        ("events", ">= 100"), ("events", "< 400"), ("power", ">= 0.8")]


@pytest.mark.parametrize("bad", ["=> 0.8", ">= ", "about 0.8", "between 0.7 and 0.4", 0.8, True,
                                 [None, None], [1, 2, 3], {"min": 0.8}, "between 0.4 and x"])
def test_a_malformed_expectation_names_its_key(bad):
    with pytest.raises(InvalidParameterError, match=r"`expect\.power`"):
        parse_expectations({"power": bad})


def _spec_file(tmp_path, **spec) -> Path:
    base = {"name": "checks", "root": str(ROOT), "output": str(tmp_path / "out"),
            "case_dir": "{name}", "workers": 1}
    path = tmp_path / "checks.yaml"
    path.write_text(yaml.safe_dump({**base, **spec}, sort_keys=False))
    return path


def _three_cases(**expect) -> dict:
    """One passing case, one whose cell raises, one whose numbers drift."""
    return {"expect": {"power": ">= 0.8", **expect}, "cases": [
        {"name": "passing", "notebook": CI_DEMO, "parameters": {"power": 0.85}},
        {"name": "failing", "notebook": BROKEN, "parameters": {"steps": 5}},
        {"name": "drifting", "notebook": CI_DEMO,
         "parameters": {"power": 0.62, "hazard_ratio": 0.9},
         "expect": {"hazard_ratio": "between 0.6 and 0.8"}}]}


def test_expectations_are_checked_when_the_pipeline_is_loaded(tmp_path, monkeypatch, capsys):
    ran = _fake_notebooks(monkeypatch)
    spec = _spec_file(tmp_path, notebook=CI_DEMO, expect={"power": "=> 0.8"})
    err = run_error(capsys, "pipeline", "run", str(spec), "--junit", str(tmp_path / "j.xml"))
    assert "`expect.power`" in err and "'=> 0.8'" in err
    spec = _spec_file(tmp_path, cases=[{"notebook": CI_DEMO, "expect": {"power": "high"}}])
    assert "`expect.power`" in run_error(capsys, "pipeline", "run", str(spec))
    assert ran == [] and not (tmp_path / "j.xml").exists() and not (tmp_path / "out").exists()
    p = load_pipeline(_spec_file(tmp_path, **_three_cases()))
    assert [[e.text for e in c.expectations] for c in p.cases] == [
        [">= 0.8"], [">= 0.8"], [">= 0.8", "between 0.6 and 0.8"]]


# ----------------------------------------------------------------- fake notebook runs ----

def _fake_notebooks(monkeypatch) -> list:
    """Replace the kernel: a case records its parameters; `broken` raises in cell 3."""
    import workbench.notebooks
    from workbench.exceptions import NotebookRunError
    from workbench.notebooks import RECORD_ENV, record, results_path

    ran: list = []

    def run_notebook(input_path, output_path, *, parameters=None, **kwargs):
        ran.append((Path(input_path).name, parameters))
        output_path = Path(output_path)
        nbformat.write(nbformat.v4.new_notebook(), output_path)
        monkeypatch.setenv(RECORD_ENV, str(results_path(output_path)))
        try:
            if Path(input_path).stem == "broken":
                record("before_failure", parameters["steps"])
                err = NotebookRunError(output_path, 3, "ValueError",
                                       f"deliberate failure after {parameters['steps']} steps")
                err.traceback = ["\x1b[0;31mValueError\x1b[0m                 Traceback",
                                 "----> 1 raise ValueError(...)",
                                 f"ValueError: deliberate failure after {parameters['steps']} "
                                 "steps"]
                raise err
            for name in ("power", "hazard_ratio", "label"):
                record(name, parameters.get(name, {"power": 0.85, "hazard_ratio": 0.72,
                                                   "label": "demo"}[name]))
        finally:
            monkeypatch.delenv(RECORD_ENV)
        return {}

    monkeypatch.setattr(workbench.notebooks, "run_notebook", run_notebook)
    return ran


# Jenkins' junit-10.xsd, the schema the CI systems read: allowed attributes and child order
_SUITES_ATTRS = {"name", "time", "tests", "failures", "disabled", "errors"}
_SUITE_ATTRS = {"name", "tests", "failures", "errors", "group", "time", "disabled", "skipped",
                "timestamp", "hostname", "id", "package", "file", "log", "url", "version"}
_CASE_ATTRS = {"name", "assertions", "time", "classname", "status", "class", "file", "line",
               "log", "group", "url"}
_SUITE_ORDER = ["properties", "testcase", "system-out", "system-err"]
_CASE_ORDER = ["skipped", "error", "failure", "system-out", "system-err"]


def _in_order(children: list[str], order: list[str], once: set[str]) -> bool:
    ranks = [order.index(c) for c in children]
    return ranks == sorted(ranks) and all(children.count(c) <= 1 for c in once)


def check_junit10(root: ET.Element) -> None:
    """Assert that a JUnit document keeps to junit-10.xsd."""
    assert root.tag == "testsuites" and set(root.attrib) <= _SUITES_ATTRS
    for suite in root:
        assert suite.tag == "testsuite" and {"name", "tests"} <= set(suite.attrib)
        assert set(suite.attrib) <= _SUITE_ATTRS, set(suite.attrib) - _SUITE_ATTRS
        assert _in_order([c.tag for c in suite], _SUITE_ORDER,
                         {"properties", "system-out", "system-err"})
        for prop in suite.iterfind("properties/property"):
            assert set(prop.attrib) == {"name", "value"}
        cases = suite.findall("testcase")
        for case in cases:
            assert "name" in case.attrib and set(case.attrib) <= _CASE_ATTRS
            assert _in_order([c.tag for c in case], _CASE_ORDER, {"skipped"})
            for result in case:
                if result.tag in ("skipped", "error", "failure"):
                    assert set(result.attrib) <= {"type", "message"}
            assert float(case.get("time", "0")) >= 0
        counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
        assert counts == {"tests": len(cases),
                          "failures": sum(c.find("failure") is not None for c in cases),
                          "errors": sum(c.find("error") is not None for c in cases),
                          "skipped": sum(c.find("skipped") is not None for c in cases)}
        assert float(suite.get("time", "0")) >= 0
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key)) == sum(int(s.get(key)) for s in root)


def _junit(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text)
    check_junit10(root)
    (suite,) = root.findall("testsuite")
    return suite, {c.get("name"): c for c in suite.findall("testcase")}


def test_passing_failing_and_drifting_cases_in_the_reports(tmp_path, monkeypatch, capsys):
    _fake_notebooks(monkeypatch)
    spec = _spec_file(tmp_path, **_three_cases())
    junit, summary = tmp_path / "reports" / "junit.xml", tmp_path / "reports" / "summary.md"
    code, out, err = run_cli(capsys, "pipeline", "run", str(spec), "--junit", str(junit),
                             "--summary", str(summary))
    assert code == 1, err  # two failed cases still exit 1 (2 is a usage error)
    assert "3 cases (1 ok, 2 failed)" in out
    assert "failed: drifting [ci_demo.ipynb] expectation failed: power >= 0.8, recorded " \
           "power = 0.62" in err

    suite, cases = _junit(junit)
    assert {k: suite.get(k) for k in ("name", "tests", "failures", "errors", "skipped")} == {
        "name": "checks", "tests": "3", "failures": "2", "errors": "0", "skipped": "0"}
    assert list(cases) == ["ci_demo[power=0.85]", "broken[steps=5]",
                           "ci_demo[power=0.62, hazard_ratio=0.9]"]
    assert all(float(c.get("time")) >= 0 for c in cases.values())
    assert cases["ci_demo[power=0.85]"].find("failure") is None
    crash = cases["broken[steps=5]"].find("failure")
    assert crash.get("type") == "ValueError"
    assert crash.get("message") == "cell 3: ValueError: deliberate failure after 5 steps"
    assert "----> 1 raise ValueError" in crash.text and "\x1b" not in crash.text
    assert "failing/broken.failed.ipynb" in crash.text  # the partly executed notebook
    drift = cases["ci_demo[power=0.62, hazard_ratio=0.9]"].find("failure")
    assert drift.get("type") == "ExpectationFailed"
    assert drift.get("message") == (
        "expectation failed: power >= 0.8, recorded power = 0.62; expectation failed: "
        "hazard_ratio between 0.6 and 0.8, recorded hazard_ratio = 0.9")

    md = summary.read_text()
    assert md.startswith("## checks: 3 cases (1 ok, 2 failed)")
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert table[0] == "| case | status | seconds | power | hazard_ratio |"
    assert re.fullmatch(r"\| ci_demo\[power=0\.85\] \| ✅ ok \| [\d.]+ \| 0\.85 \| 0\.72 \|",
                        table[1])
    assert "| broken[steps=5] | ❌ failed |" in table[2]
    assert table[3].endswith("| 0.62 | 0.9 |")
    assert "### Failures" in md and "cell 3: ValueError: deliberate failure after 5 steps" in md

    # a rerun: the up-to-date cases are skipped (the drifting one is still checked and fails)
    code, _, _ = run_cli(capsys, "pipeline", "run", str(spec), "--junit", str(junit))
    assert code == 1
    suite, cases = _junit(junit)
    assert (suite.get("skipped"), suite.get("failures")) == ("1", "2")
    skipped = cases["ci_demo[power=0.85]"].find("skipped")
    assert skipped is not None and "up to date" in skipped.get("message")
    assert cases["ci_demo[power=0.62, hazard_ratio=0.9]"].find("failure") is not None


def test_the_report_reads_with_a_junit_parser(tmp_path, monkeypatch, capsys):
    junitparser = pytest.importorskip("junitparser")
    _fake_notebooks(monkeypatch)
    junit = tmp_path / "junit.xml"
    run_cli(capsys, "pipeline", "run", str(_spec_file(tmp_path, **_three_cases())),
            "--junit", str(junit))
    xml = junitparser.JUnitXml.fromfile(str(junit))
    (suite,) = list(xml)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 2, 0, 0)
    results = {case.name: [(type(r).__name__, r.type, r.message) for r in case.result]
               for case in suite}
    assert results["ci_demo[power=0.85]"] == []
    assert results["broken[steps=5]"] == [
        ("Failure", "ValueError", "cell 3: ValueError: deliberate failure after 5 steps")]
    assert results["ci_demo[power=0.62, hazard_ratio=0.9]"][0][:2] == (
        "Failure", "ExpectationFailed")


def test_all_ok_exits_0_and_the_json_says_so(tmp_path, monkeypatch, capsys):
    import json

    _fake_notebooks(monkeypatch)
    spec = _spec_file(tmp_path, notebook=CI_DEMO, grid={"power": [0.8, 0.9]},
                      case_dir="p{power}", expect={"power": [0.8, 0.9]})
    code, out, _ = run_cli(capsys, "pipeline", "run", str(spec), "--json")
    report = json.loads(out)
    assert code == 0 and report["exit_code"] == 0 and report["counts"] == {"ok": 2}
    assert report["cases"][0]["checks"] == [
        {"name": "power", "expect": "between 0.8 and 0.9", "value": 0.8, "passed": True}]


def test_an_expectation_on_a_result_never_recorded_is_an_input_error(tmp_path, monkeypatch,
                                                                     capsys):
    ran = _fake_notebooks(monkeypatch)
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    spec = _spec_file(tmp_path, notebook=CI_DEMO, grid={"power": [0.8, 0.9]},
                      case_dir="p{power}", expect={"powr": ">= 0.8"})
    err = run_error(capsys, "pipeline", "run", str(spec), "--junit", str(junit), "--summary",
                    str(summary), "--no-progress")
    assert "`expect.powr`" in err and "recorded no result `powr`" in err and "power" in err
    assert not junit.exists() and not summary.exists()
    assert len(ran) == 1  # the run stops at the first case that lacks the result
    # a recorded text is not a number
    spec = _spec_file(tmp_path, notebook=CI_DEMO, expect={"label": ">= 1"})
    err = run_error(capsys, "pipeline", "run", str(spec), "--junit", str(junit), "--no-progress")
    assert "`expect.label`" in err and "not a number" in err and not junit.exists()


@pytest.mark.parametrize("option", ["--junit", "--summary"])
def test_a_report_path_that_cannot_be_written_is_a_usage_error(tmp_path, monkeypatch, capsys,
                                                               option):
    ran = _fake_notebooks(monkeypatch)
    spec = _spec_file(tmp_path, notebook=CI_DEMO)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for bad in (blocker / "report.out", tmp_path):  # below a file; a folder
        err = run_error(capsys, "pipeline", "run", str(spec), option, str(bad))
        assert f"`{option}`" in err and str(bad) in err
        err = run_error(capsys, "pipeline", "run-notebook", str(ROOT / CI_DEMO), "-o",
                        str(tmp_path / "nb.ipynb"), option, str(bad))
        assert f"`{option}`" in err
    assert ran == [] and not (tmp_path / "out").exists() and not (tmp_path / "nb.ipynb").exists()
    assert "--dry-run" in run_error(capsys, "pipeline", "run", str(spec), "--dry-run", option,
                                    str(tmp_path / "r.txt"))


def test_a_line_per_finished_case_when_output_is_not_a_terminal(tmp_path, monkeypatch, capsys):
    _fake_notebooks(monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    spec = _spec_file(tmp_path, notebook=CI_DEMO, grid={"power": [0.8, 0.9, 0.95]},
                      case_dir="p{power}")
    run_pipeline(load_pipeline(spec))  # pytest's stderr is not a terminal
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "pipeline checks: running 3 of 3 cases (0 up to date)"
    assert [re.sub(r"[\d.]+ s$", "T s", line) for line in lines[1:]] == [
        "case 1/3 ok (ci_demo, power=0.8) T s", "case 2/3 ok (ci_demo, power=0.9) T s",
        "case 3/3 ok (ci_demo, power=0.95) T s"]
    run_pipeline(load_pipeline(spec), progress=False)
    assert capsys.readouterr().err == ""


# ------------------------------------------------------------------- report writers ----

def test_junit_xml_escapes_text_and_follows_the_schema():
    cases = [ReportCase("nb[label=a<b & \"c\"]", "p.nb", "failed", 1.25, "cell 1: E: <x>", "E",
                        "tb line \x1b[31mred\x1b[0m\nlast"),
             ReportCase("nb[label=b]", "p.nb", "skipped", 0.0, "up to date"),
             ReportCase("nb[label=c]", "p.nb", "ok", 2.0, details="files")]
    root = ET.fromstring(junit_xml("p", cases, seconds=4.0, properties={"output": "out"}))
    check_junit10(root)
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "time")} == {
        "tests": "3", "failures": "1", "errors": "0", "time": "4.000"}
    suite = root.find("testsuite")
    assert suite.get("skipped") == "1" and suite.find("properties/property").get("value") == "out"
    first, second, third = suite.findall("testcase")
    assert first.get("name") == "nb[label=a<b & \"c\"]" and first.get("time") == "1.250"
    assert first.find("failure").get("message") == "cell 1: E: <x>"
    assert "\x1b" not in first.find("failure").text  # no character XML 1.0 cannot hold
    assert [child.tag for child in second] == ["skipped"]
    assert [child.tag for child in third] == ["system-out"]


def test_markdown_summary_escapes_cells_and_lists_failures():
    md = markdown_summary("p", [ReportCase("a|b", "p.nb", "failed", 1.0, "boom", "E", "trace"),
                                ReportCase("c", "p.nb", "ok", 2.0, results={"power": 0.81234})],
                          seconds=3.0)
    lines = md.splitlines()
    assert lines[0] == "## p: 2 cases (1 failed, 1 ok) in 3.0 s"
    assert lines[2:6] == ["| case | status | seconds | power |", "|---|---|---:|---:|",
                          "| a\\|b | ❌ failed | 1.0 |  |", "| c | ✅ ok | 2.0 | 0.8123 |"]
    assert "**a\\|b**: boom" in md and "```text\ntrace\n```" in md


# ------------------------------------------------------------------------- exit codes ----

def test_every_verb_exits_130_when_interrupted(tmp_path, monkeypatch, capsys):
    import pandas as pd

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd, "read_csv", interrupted)
    data = tmp_path / "d.csv"
    data.write_text("time,event,arm\n1,1,a\n")
    code, _, err = run_cli(capsys, "survival", str(data), "--time", "time", "--event", "event",
                           "--group", "arm")
    assert code == 130 and err.strip() == "workbench survival: interrupted"


def test_a_usage_error_exits_2():
    from workbench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["pipeline", "run", "x.yaml", "--junitt", "j.xml"])
    assert exc.value.code == 2


# ------------------------------------------------------------------ the example configs ----

def _commands(example: Path) -> list[str]:
    """The shell commands an example CI file runs."""
    doc = yaml.safe_load(example.read_text())
    scripts: list[str] = []
    if "jobs" in doc:  # GitHub Actions
        for job in doc["jobs"].values():
            scripts += [step["run"] for step in job["steps"] if "run" in step]
    else:  # GitLab CI: every mapping with a script
        for job in doc.values():
            if isinstance(job, dict):
                for key in ("before_script", "script", "after_script"):
                    scripts += job.get(key, [])
    commands = []
    for script in scripts:
        for line in script.replace("\\\n", " ").splitlines():
            commands += [part.strip() for part in re.split(r"&&|\|\||;|\|", line) if part.strip()]
    return commands


def test_there_are_github_and_gitlab_examples():
    assert {p.name for p in EXAMPLES} == {"github-actions.yml", "gitlab-ci.yml"}


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_ci_runs_commands_that_exist_with_their_flags(example, tmp_path):
    from workbench.cli import build_parser

    commands = _commands(example)
    declared = re.search(r"^TASKS = \((.*?)\)", (ROOT / "tasks.py").read_text(), re.M)
    assert declared, "tasks.py declares its tasks in TASKS"
    tasks = set(re.findall(r'"(\w+)"', declared.group(1)))
    parser = build_parser()
    ran = []
    for command in commands:
        argv = shlex.split(command)
        if argv[:2] == ["python3", "tasks.py"]:
            assert argv[2] in tasks, f"{example.name}: tasks.py has no task {argv[2]!r}"
            ran.append("setup")
        elif argv[0].endswith("workbench"):
            args = parser.parse_args(argv[1:])  # an unknown verb or flag exits here
            if args.verb == "pipeline" and args.pipeline_command == "run":
                assert (ROOT / args.spec).is_file(), args.spec
                load_pipeline(ROOT / args.spec)
                ran.append((args.spec, bool(args.junit), bool(args.summary)))
    assert ran == ["setup", ("pipelines/ci_smoke.yaml", True, True)], (example.name, commands)
    text = example.read_text()
    assert "output/pipelines/ci_smoke/" in text  # the HTML index is kept as an artifact
    assert "cache" in text


def test_github_example_reads_as_a_workflow():
    doc = yaml.safe_load((ROOT / "ci-examples" / "github-actions.yml").read_text())
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "pull_request" in triggers
    steps = doc["jobs"]["notebooks"]["steps"]
    uses = [s.get("uses", "").split("@")[0] for s in steps]
    assert {"actions/checkout", "actions/setup-python", "actions/cache",
            "actions/upload-artifact"} <= set(uses)
    after = steps[[i for i, s in enumerate(steps) if "pipeline run" in s.get("run", "")][0] + 1:]
    assert all("cancelled()" in s.get("if", "") for s in after)  # reports also after a failure


def test_gitlab_example_publishes_the_junit_report():
    doc = yaml.safe_load((ROOT / "ci-examples" / "gitlab-ci.yml").read_text())
    artifacts = doc["notebooks"]["artifacts"]
    assert artifacts["when"] == "always" and artifacts["reports"]["junit"] == "reports/junit.xml"


# ------------------------------------------------------------------ real notebooks ----

@pytest.mark.notebook
def test_real_notebooks_pass_fail_and_drift(tmp_path, capsys):
    spec = _spec_file(tmp_path, **_three_cases())
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    code, _, err = run_cli(capsys, "pipeline", "run", str(spec), "--junit", str(junit),
                           "--summary", str(summary))
    assert code == 1, err
    suite, cases = _junit(junit)
    assert (suite.get("tests"), suite.get("failures")) == ("3", "2")
    crash = cases["broken[steps=5]"].find("failure")
    assert crash.get("message") == "cell 3: ValueError: deliberate failure after 5 steps"
    assert 'raise ValueError(f"deliberate failure after {steps} steps")' in crash.text
    assert "broken.failed.ipynb" in crash.text
    assert (tmp_path / "out" / "failing" / "broken.failed.ipynb").is_file()
    drift = cases["ci_demo[power=0.62, hazard_ratio=0.9]"].find("failure")
    assert "recorded power = 0.62" in drift.get("message")
    assert "| 0.85 | 0.72 |" in summary.read_text()


@pytest.mark.notebook
def test_run_notebook_writes_the_reports_and_exits_1_on_a_failing_cell(tmp_path, capsys):
    junit, summary = tmp_path / "junit.xml", tmp_path / "summary.md"
    code, _, err = run_cli(capsys, "pipeline", "run-notebook", str(ROOT / BROKEN), "-p", "steps",
                           "2", "-o", str(tmp_path / "b.ipynb"), "--junit", str(junit),
                           "--summary", str(summary))
    assert code == 1 and "cell 3" in err and len(err.strip().splitlines()) == 1
    suite, cases = _junit(junit)
    assert list(cases) == ["broken[steps=2]"] and suite.get("failures") == "1"
    failure = cases["broken[steps=2]"].find("failure")
    assert failure.get("type") == "ValueError" and "b.ipynb" in failure.text
    assert "❌ failed" in summary.read_text()

    code, _, _ = run_cli(capsys, "pipeline", "run-notebook", str(ROOT / CI_DEMO), "-p", "power",
                         "0.9", "-o", str(tmp_path / "ok.ipynb"), "--junit", str(junit),
                         "--summary", str(summary))
    assert code == 0
    suite, cases = _junit(junit)
    assert list(cases) == ["ci_demo[power=0.9]"]  # the parameters given
    assert suite.get("failures") == "0"
    assert "| 0.9 | 0.72 |" in summary.read_text()
    assert os.path.getsize(junit) > 0
