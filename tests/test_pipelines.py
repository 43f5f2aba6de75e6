"""Tests of workbench.pipelines and ``workbench pipeline run``.

The notebook-executing tests (marked ``notebook``) use the tiny notebooks in tests/notebooks/ and
run the project's smoke pipeline, which executes every notebook in notebooks/ with tiny parameters.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from workbench import InvalidParameterError
from workbench.notebooks import read_results
from workbench.pipelines import load_pipeline, run_pipeline

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"
DEMO = "tests/notebooks/params_demo.ipynb"
BROKEN = "tests/notebooks/broken.ipynb"

# columns that legitimately differ between two runs of the same cases
_RUN_COLUMNS = ["seconds", "reused"]


def _spec(tmp_path, **extra) -> dict:
    spec = {"name": "demo", "notebook": DEMO, "output": str(tmp_path / "out"),
            "parameters": {"label": "grid"}, "grid": {"n": [1, 2]},
            "case_dir": "n{n}"}
    spec.update(extra)
    return spec


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*") if "tmp" in p.name)


# ---------------------------------------------------------------- loading (no kernel) ----

def test_grid_and_cases_expand_to_their_product(tmp_path):
    spec = _spec(tmp_path, grid={"n": [1, 2, 3], "hazard_ratio": [0.5, 0.7]},
                 cases=[{"flag": True}, {"flag": False}],
                 case_dir="f{flag}/n{n}_hr{hazard_ratio}")
    p = load_pipeline(spec=spec, root=ROOT)
    assert len(p.cases) == 12
    assert p.cases[0].parameters == {"label": "grid", "flag": True, "n": 1, "hazard_ratio": 0.5}
    assert p.cases[-1].case_id == "fFalse/n3_hr0.7"
    assert all(type(c.parameters["hazard_ratio"]) is float for c in p.cases)


def test_output_folder_is_a_template_of_the_pipeline_name(tmp_path):
    p = load_pipeline(spec=_spec(tmp_path, output=str(tmp_path / "runs" / "{name}")), root=ROOT)
    assert p.output == tmp_path / "runs" / "demo"
    assert p.cases[0].directory == tmp_path / "runs" / "demo" / "n1"
    assert load_pipeline(spec={"notebook": str(ROOT / DEMO)}, root=tmp_path).output == (
        tmp_path / "output" / "pipelines" / "pipeline")
    with pytest.raises(InvalidParameterError, match="output"):
        load_pipeline(spec=_spec(tmp_path, output="out/{n}"), root=ROOT)


def test_spec_errors_name_the_problem(tmp_path):
    with pytest.raises(InvalidParameterError, match="sample_size"):
        load_pipeline(spec=_spec(tmp_path, grid={"sample_size": [1]}), root=ROOT)
    with pytest.raises(InvalidParameterError, match=r"`n` must be an integer"):
        load_pipeline(spec=_spec(tmp_path, grid={"n": [1.5]}), root=ROOT)
    with pytest.raises(InvalidParameterError, match="same folder"):
        load_pipeline(spec=_spec(tmp_path, case_dir="all"), root=ROOT)
    with pytest.raises(InvalidParameterError, match="unknown key"):
        load_pipeline(spec=_spec(tmp_path, workerz=2), root=ROOT)
    with pytest.raises(InvalidParameterError, match="does not exist"):
        load_pipeline(spec=_spec(tmp_path, notebook="notebooks/none.ipynb"), root=ROOT)
    with pytest.raises(InvalidParameterError, match="case_dir"):
        load_pipeline(spec=_spec(tmp_path, case_dir="{missing}"), root=ROOT)


def test_dry_run_sees_a_changed_notebook(tmp_path):
    nb_copy = tmp_path / "demo.ipynb"
    shutil.copy(ROOT / DEMO, nb_copy)
    spec = _spec(tmp_path, notebook=str(nb_copy))
    report = run_pipeline(load_pipeline(spec=spec, root=ROOT), dry_run=True)
    assert [o.status for o in report.outcomes] == ["would-run", "would-run"]
    assert report.exit_code == 0 and not (tmp_path / "out").exists()


def test_a_bad_scheduler_is_a_one_line_error(tmp_path, capsys):
    from workbench.cli import main

    with pytest.raises(InvalidParameterError, match="scheduler"):
        load_pipeline(spec=_spec(tmp_path, scheduler=8786), root=ROOT)
    spec_file = tmp_path / "p.yaml"
    spec_file.write_text(yaml.safe_dump({**_spec(tmp_path), "root": str(ROOT)}))
    assert main(["pipeline", "run", str(spec_file), "--scheduler", "localhost"]) == 2
    err = capsys.readouterr().err
    assert "`scheduler` 'localhost'" in err and len(err.strip().splitlines()) == 1


def test_an_interrupt_stops_at_once_and_leaves_no_half_written_file(tmp_path, monkeypatch,
                                                                    capsys):
    """Ctrl-C in the middle of a case: the later cases do not start, the interrupted case leaves
    nothing behind, the command says so and exits with 130; a rerun runs only what is missing."""
    import workbench.notebooks
    from workbench.cli import main
    from workbench.notebooks import results_path

    started = []

    def run_notebook(input_path, output_path, *, parameters=None, **kwargs):
        started.append(parameters["n"])
        output_path = Path(output_path)
        if parameters["n"] == 2:  # Ctrl-C while this notebook is being written
            output_path.write_text('{"cells": [')
            results_path(output_path).write_text('{"results": ')
            raise KeyboardInterrupt
        nbformat.write(nbformat.v4.new_notebook(), output_path)
        return {}

    monkeypatch.setattr(workbench.notebooks, "run_notebook", run_notebook)
    spec_file = tmp_path / "p.yaml"
    spec_file.write_text(yaml.safe_dump({**_spec(tmp_path, grid={"n": [1, 2, 3]}),
                                         "root": str(ROOT), "workers": 1}))
    assert main(["pipeline", "run", str(spec_file)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert started == [1, 2]
    out = tmp_path / "out"
    assert _leftovers(out) == []
    assert sorted(p.name for p in (out / "n2").iterdir()) == []
    assert (out / "n1" / "case.json").is_file()
    assert [o.status for o in run_pipeline(load_pipeline(spec_file), dry_run=True).outcomes] == [
        "would-skip", "would-run", "would-run"]


# ---------------------------------------------------------------- shipped pipelines ----

def test_every_notebook_is_in_the_smoke_pipeline():
    spec = yaml.safe_load((PIPELINES / "ci_smoke.yaml").read_text())
    listed = {Path(c["notebook"]).name for c in spec["cases"]}
    present = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    missing = sorted(present - listed)
    assert not missing, f"notebooks missing from pipelines/ci_smoke.yaml: {missing}"
    # and the spec is valid: names and types of the tiny parameters are checked against the
    # parameters cell of each notebook
    load_pipeline(PIPELINES / "ci_smoke.yaml")


def test_power_grid_pipeline_is_valid():
    p = load_pipeline(PIPELINES / "t1_power_grid.yaml")
    assert len(p.cases) >= 8
    assert len({c.case_id for c in p.cases}) == len(p.cases)


# ---------------------------------------------------------------- executed pipelines ----

@pytest.mark.notebook
def test_rerun_after_a_kill_runs_only_the_missing_cases(tmp_path):
    out = tmp_path / "out"
    first = run_pipeline(load_pipeline(spec=_spec(tmp_path), root=ROOT), workers=1)
    assert [o.status for o in first.outcomes] == ["ok", "ok"]
    mtime_n2 = (out / "n2" / "params_demo.ipynb").stat().st_mtime_ns

    # a run killed part way: case n1 was renamed but its case.json never written, case n2 is
    # complete but a stale temporary file lies next to it, case n3 died while executing
    (out / "n1" / "case.json").unlink()
    (out / "n2" / ".params_demo.999.tmp.ipynb").write_text("{half")
    (out / "n3").mkdir()
    (out / "n3" / ".params_demo.998.tmp.ipynb").write_text("{half")
    (out / ".results.csv.997.tmp").write_text("half")

    spec = _spec(tmp_path, grid={"n": [1, 2, 3]})
    assert [o.status for o in run_pipeline(load_pipeline(spec=spec, root=ROOT),
                                           dry_run=True).outcomes] == [
        "would-run", "would-skip", "would-run"]
    second = run_pipeline(load_pipeline(spec=spec, root=ROOT), workers=1)
    assert [o.status for o in second.outcomes] == ["ok", "skipped", "ok"]
    assert (out / "n2" / "params_demo.ipynb").stat().st_mtime_ns == mtime_n2  # not rerun
    assert _leftovers(out) == []

    results = pd.read_csv(out / "results.csv")
    assert results["n"].tolist() == [1, 2, 3]
    assert results["params.n"].tolist() == [1, 2, 3]  # what each notebook recorded
    assert results["reused"].tolist() == [False, True, False]
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), second.results,
                                  check_dtype=False)
    tables = pd.read_csv(out / "tables" / "table.csv")  # the recorded tables, stacked
    assert tables.groupby("case.n")["n"].agg(list).tolist() == [[1, 2], [2, 4], [3, 6]]
    for n in (1, 2, 3):
        assert (out / f"n{n}" / "params_demo.html").is_file()
        assert f'href="n{n}/params_demo.html"' in (out / "index.html").read_text()


@pytest.mark.notebook
def test_a_failing_case_is_reported_and_the_others_finish(tmp_path, capsys):
    from workbench.cli import main

    spec = {"name": "mixed", "output": str(tmp_path / "out"), "case_dir": "{name}",
            "workers": 1, "html": {"hide_code": True},
            "cases": [{"name": "good", "notebook": DEMO, "parameters": {"n": 3}},
                      {"name": "bad", "notebook": BROKEN, "parameters": {"steps": 5}}]}
    spec_file = tmp_path / "mixed.yaml"
    spec_file.write_text(yaml.safe_dump({**spec, "root": str(ROOT)}))
    code = main(["pipeline", "run", str(spec_file)])
    assert code == 1
    captured = capsys.readouterr()
    assert "bad [broken.ipynb] cell 3: ValueError: deliberate failure after 5 steps" in captured.err
    assert "1 ok, 1 failed" in captured.out

    out = tmp_path / "out"
    results = pd.read_csv(out / "results.csv").set_index("case")
    assert results.loc["good", "status"] == "ok" and results.loc["good", "params.n"] == 3
    assert results.loc["bad", "status"] == "failed"
    assert "cell 3" in results.loc["bad", "error"]
    # the partly executed notebook is kept for inspection, with what it recorded before failing
    assert read_results(out / "bad" / "broken.failed.ipynb") == {"before_failure": 5}
    manifest = json.loads((out / "bad" / "case.json").read_text())
    assert manifest["status"] == "failed" and manifest["cell_index"] == 3
    # HTML without the code cells
    page = (out / "good" / "params_demo.html").read_text()
    assert "workbench.record(" not in page and "params_demo" in (out / "index.html").read_text()
    assert _leftovers(out) == []
    # a failed case is run again next time; the good one is not
    again = run_pipeline(load_pipeline(spec_file), workers=1)
    assert [o.status for o in again.outcomes] == ["skipped", "failed"]
    assert again.exit_code == 1


@pytest.mark.notebook
def test_dask_cluster_run_equals_local_run(tmp_path):
    from dask.distributed import LocalCluster

    local = run_pipeline(load_pipeline(spec=_spec(tmp_path), root=ROOT), workers=1)
    # dashboard on any free port: None would still try 8787, which another cluster may hold
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster:
        remote = run_pipeline(load_pipeline(spec=_spec(tmp_path), root=ROOT),
                              scheduler=cluster.scheduler_address, output=tmp_path / "dask")
    assert [o.status for o in remote.outcomes] == ["ok", "ok"]
    a = pd.read_csv(tmp_path / "out" / "results.csv").drop(columns=_RUN_COLUMNS)
    b = pd.read_csv(tmp_path / "dask" / "results.csv").drop(columns=_RUN_COLUMNS)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(local.results.drop(columns=_RUN_COLUMNS),
                                  remote.results.drop(columns=_RUN_COLUMNS))
    ta = pd.read_parquet(tmp_path / "out" / "tables" / "table.parquet")
    tb = pd.read_parquet(tmp_path / "dask" / "tables" / "table.parquet")
    pd.testing.assert_frame_equal(ta.drop(columns=_RUN_COLUMNS, errors="ignore"),
                                  tb.drop(columns=_RUN_COLUMNS, errors="ignore"))


@pytest.mark.notebook
def test_smoke_pipeline_runs_every_notebook(tmp_path):
    """CI runs this: every notebook in notebooks/ executes with tiny parameters."""
    spec = load_pipeline(PIPELINES / "ci_smoke.yaml")
    report = run_pipeline(spec, output=tmp_path / "smoke", workers=2)
    failures = [o.describe_failure() for o in report.failed]
    assert not failures, "\n".join(failures)
    for o in report.outcomes:
        nb = nbformat.read(o.case.directory / o.notebook_output, as_version=4)
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
