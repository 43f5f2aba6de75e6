"""Tests of workbench.notebooks: parameters, the kernel, failures and recorded results.

Only three tests start a kernel (marked ``notebook``); everything else is checked without one.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import workbench
from workbench import InvalidParameterError, NotebookRunError, read_results, record, run_notebook
from workbench.notebooks import (
    RECORD_ENV,
    RECORD_MIMETYPE,
    check_parameters,
    notebook_parameters,
    results_path,
)

HERE = Path(__file__).parent
DEMO = HERE / "notebooks" / "params_demo.ipynb"
BROKEN = HERE / "notebooks" / "broken.ipynb"


# ---------------------------------------------------------------- parameters (no kernel) ----

def test_declared_parameters_are_read_from_the_tagged_cell():
    assert notebook_parameters(DEMO) == {
        "n": 10, "hazard_ratio": 0.7, "flag": True, "label": "demo", "grid": [1, 2],
        "options": {"a": 1}, "maybe": None,
    }


def test_unknown_parameter_is_an_error_listing_the_valid_names(tmp_path):
    with pytest.raises(InvalidParameterError, match="hazard_rate") as info:
        run_notebook(DEMO, tmp_path / "out.ipynb", parameters={"hazard_rate": 0.5})
    message = str(info.value)
    for name in ("n", "hazard_ratio", "flag", "label", "grid", "options", "maybe"):
        assert f"{name} (" in message
    assert "did you mean `hazard_ratio`" in message
    assert not (tmp_path / "out.ipynb").exists()  # checked before any kernel starts


def test_parameters_to_a_notebook_without_parameters_cell_are_an_error(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "plain.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(InvalidParameterError, match="no cell tagged 'parameters'"):
        check_parameters(path, {"x": 2})


@pytest.mark.parametrize(("name", "given", "expected"), [
    ("grid", "[1, 2]", [1, 2]),             # a list on the command line is a list, not a string
    ("grid", "3, 4.5", [3, 4.5]),           # numbers in a list of whole numbers
    ("grid", (5, 6), [5, 6]),
    ("grid", np.array([7, 8]), [7, 8]),
    ("n", "20", 20),
    ("n", 20.0, 20),
    ("n", np.int64(5), 5),
    ("hazard_ratio", "1", 1.0),
    ("hazard_ratio", 1, 1.0),
    ("hazard_ratio", "inf", math.inf),
    ("flag", "false", False),
    ("flag", "Yes", True),
    ("label", "123", "123"),                # a string default keeps strings as they are
    ("options", "{'b': [1, 2]}", {"b": [1, 2]}),
    ("options", '{"x": true, "y": null}', {"x": True, "y": None}),  # JSON from the shell
    ("maybe", "[true, 1]", [True, 1]),
    ("maybe", "[1, 'a']", [1, "a"]),        # None default: literals are parsed ...
    ("maybe", "some text", "some text"),    # ... anything else stays a string
    ("maybe", None, None),
])
def test_values_are_converted_to_the_type_of_the_default(name, given, expected):
    value = check_parameters(DEMO, {name: given})[name]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(("name", "given", "allowed"), [
    ("n", 1.5, "integer"),
    ("n", "ten", "integer"),
    ("n", True, "integer"),
    ("n", None, "int"),
    ("hazard_ratio", "fast", "number"),
    ("flag", "maybe", "bool"),
    ("label", 3, "string"),
    ("grid", "abc", "list"),
    ("grid", "[1, 'a']", "number"),
    ("options", "[1]", "dict"),
])
def test_values_of_the_wrong_type_are_an_error_naming_the_parameter(name, given, allowed):
    with pytest.raises(InvalidParameterError, match=rf"`{name}(\[\d\])?` must be .*{allowed}"):
        check_parameters(DEMO, {name: given})


def test_yaml_parameters_file_is_read_and_overridden_by_parameters(tmp_path):
    f = tmp_path / "params.yaml"
    f.write_text("n: 40\ngrid: [10, 20, 30]\nflag: no\nhazard_ratio: 1\n")
    out = check_parameters(DEMO, {"n": 50}, parameters_file=f)
    assert out == {"n": 50, "grid": [10, 20, 30], "flag": False, "hazard_ratio": 1.0}
    assert type(out["hazard_ratio"]) is float

    f.write_text("- n\n- 3\n")
    with pytest.raises(InvalidParameterError, match="parameters_file"):
        check_parameters(DEMO, parameters_file=f)
    f.write_text("typo: 1\n")
    with pytest.raises(InvalidParameterError, match="typo"):
        check_parameters(DEMO, parameters_file=f)


def test_cli_reads_the_parameters_file_and_checks_it_before_any_kernel_starts(tmp_path, capsys):
    from workbench.cli import main

    f = tmp_path / "params.yaml"
    out = tmp_path / "out.ipynb"
    f.write_text("stepz: 2\n")
    assert main(["pipeline", "run-notebook", str(BROKEN), "-f", str(f), "-o", str(out)]) == 2
    assert "did you mean `steps`" in capsys.readouterr().err
    f.write_text("steps: [1, 2]\n")
    assert main(["pipeline", "run-notebook", str(BROKEN), "-f", str(f), "-o", str(out)]) == 2
    assert "`steps` must be an integer" in capsys.readouterr().err
    # -p overrides the file, and its value is checked too
    assert main(["pipeline", "run-notebook", str(BROKEN), "-f", str(f), "-p", "steps", "x",
                 "-o", str(out)]) == 2
    assert "got 'x'" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------- record (no kernel) ----

def test_record_outside_a_kernel_writes_only_the_results_file(tmp_path, monkeypatch, capsys):
    target = tmp_path / "run.results.json"
    monkeypatch.setenv(RECORD_ENV, str(target))
    table = pd.DataFrame({"n": [100, 200], "power": [0.51, np.nan], "arm": ["a", "b"],
                          "ok": [True, False], "z": [np.inf, -1.0]})
    record("power", np.float64(0.8))
    record("grid", {"n": np.array([1, 2]), "nan": float("nan")})
    record("table", table)
    record("power", 0.9)  # recording a name again replaces it
    record("infinite", float("inf"))
    assert capsys.readouterr().out == ""
    out = read_results(target)
    assert list(out) == ["power", "grid", "table", "infinite"]
    assert out["power"] == 0.9
    assert out["grid"] == {"n": [1, 2], "nan": None}
    assert out["infinite"] == math.inf
    pd.testing.assert_frame_equal(out["table"], table)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.results.json"]  # no temp files left


def test_record_rejects_bad_names_and_values(tmp_path, monkeypatch):
    monkeypatch.setenv(RECORD_ENV, str(tmp_path / "r.results.json"))
    with pytest.raises(InvalidParameterError, match="name"):
        record("", 1)
    with pytest.raises(InvalidParameterError, match="value"):
        record("obj", object())


def test_read_results_of_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(InvalidParameterError, match="path"):
        read_results(tmp_path / "nothing.ipynb")


# ---------------------------------------------------------------- executed notebooks ----

@pytest.mark.notebook
def test_run_notebook_round_trip_in_the_projects_own_python(tmp_path, monkeypatch, capfd):
    # A kernel registered by hand under the usual name that cannot start: it must not be used.
    kernels = tmp_path / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "stale", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.delenv(RECORD_ENV, raising=False)
    params = tmp_path / "params.yaml"
    params.write_text("n: 40\nlabel: from yaml\n")
    out = tmp_path / "out" / "demo.ipynb"

    results = run_notebook(DEMO, out, parameters={"n": "6", "grid": "[3, 4]", "flag": "false"},
                           parameters_file=params, progress=None, timeout=60)

    assert results["kernel_python"] == sys.executable
    assert results["cwd"] == str(DEMO.parent)  # the kernel runs in the notebook's folder
    assert results["params"] == {"n": 6, "hazard_ratio": 0.7, "flag": False,
                                 "label": "from yaml", "grid": [3, 4], "options": {"a": 1},
                                 "maybe": None}
    assert results["types"] == {"n": "int", "hazard_ratio": "float", "flag": "bool",
                                "label": "str", "grid": "list", "options": "dict",
                                "maybe": "NoneType"}
    expected = pd.DataFrame({"n": [6, 12], "power": [0.5, np.nan], "arm": ["a", "b"]})
    pd.testing.assert_frame_equal(results["table"], expected)
    # the same values are in the notebook (display outputs) and in the results file beside it
    from_nb = read_results(out)
    from_file = read_results(results_path(out))
    pd.testing.assert_frame_equal(from_nb.pop("table"), from_file.pop("table"))
    assert from_nb == from_file
    nb = nbformat.read(out, as_version=4)
    mimes = [o["data"] for c in nb.cells for o in c.get("outputs", []) if "data" in o]
    assert sum(RECORD_MIMETYPE in d for d in mimes) == 5
    # not a terminal: no progress bar in the log
    log = capfd.readouterr().err
    assert "Executing" not in log and "demo.ipynb:" not in log and "cell/s" not in log


@pytest.mark.notebook
def test_failing_cell_raises_with_cell_index_and_keeps_the_partial_notebook(tmp_path):
    out = tmp_path / "broken_out.ipynb"
    with pytest.raises(NotebookRunError, match="cell 3: ValueError") as info:
        run_notebook(BROKEN, out, parameters={"steps": 4})
    err = info.value
    assert err.cell_index == 3
    assert nbformat.read(BROKEN, as_version=4).cells[3].source.startswith("raise ValueError")
    assert err.ename == "ValueError"
    assert err.evalue == "deliberate failure after 4 steps"
    assert err.notebook == str(out)
    assert "raise ValueError" in err.source
    assert out.exists()
    # the cells before the failure ran and their results are kept; the ones after did not run
    assert read_results(out) == {"before_failure": 4}
    nb = nbformat.read(out, as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells for o in c.get("outputs", []))


@pytest.mark.notebook
def test_cli_runs_a_notebook_and_reports_failures_in_one_line(tmp_path, capsys):
    from workbench.cli import main

    out = tmp_path / "cli.ipynb"
    code = main(["pipeline", "run-notebook", str(BROKEN), "-p", "steps", "2", "-o", str(out)])
    assert code == 1  # a cell failed: the notebook found a problem
    err = capsys.readouterr().err
    assert "cell 3" in err and "ValueError" in err and len(err.strip().splitlines()) == 1
    code = main(["pipeline", "run-notebook", str(BROKEN), "-p", "stepz", "2", "-o", str(out)])
    assert code == 2 and "steps" in capsys.readouterr().err


def test_exports():
    assert workbench.record is record
    assert workbench.run_notebook is run_notebook


@pytest.mark.notebook
def test_a_cell_that_times_out_is_reported_with_its_index(tmp_path):
    # the third cell waits for an event that never comes: it times out however fast the machine
    # is, and the cells before it do nothing that a loaded machine could slow to the timeout
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("label = 'started'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print(label)"),
        nbformat.v4.new_code_cell("import threading\nthreading.Event().wait()"),
    ])
    path = tmp_path / "blocked.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(NotebookRunError, match="cell 2: CellTimeoutError") as info:
        run_notebook(path, tmp_path / "blocked_out.ipynb", timeout=5)
    assert info.value.cell_index == 2
    done = nbformat.read(tmp_path / "blocked_out.ipynb", as_version=4)
    printed = [o for c in done.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]
    assert [o["text"] for o in printed] == ["started\n"]
