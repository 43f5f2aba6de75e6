"""Pipelines stay inside their output folder, one run at a time, and survive bad paths and kills.

The tests that start worker processes or kernels are marked ``cluster`` or ``notebook``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
import yaml

from workbench import InvalidParameterError
from workbench.pipelines import load_pipeline, run_pipeline

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "tests" / "notebooks" / "params_demo.ipynb"


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


def _fake_run_notebook(monkeypatch):
    """Replace the kernel by a function that writes an empty notebook and records ``n``."""
    import workbench.notebooks
    from workbench.notebooks import results_path

    def run_notebook(input_path, output_path, *, parameters=None, **kwargs):
        output_path = Path(output_path)
        nbformat.write(nbformat.v4.new_notebook(), output_path)
        results_path(output_path).write_text(json.dumps({
            "format": "workbench-record", "version": 1,
            "results": {"n": {"name": "n", "kind": "json", "data": parameters["n"],
                              "version": 1}}}))
        return {"n": parameters["n"]}

    monkeypatch.setattr(workbench.notebooks, "run_notebook", run_notebook)


# ---------------------------------------------------------------- the pipeline's name ----

@pytest.mark.parametrize("name", ["../../../../elsewhere", "..", ".", "a/../../b", "/etc/x",
                                  "..\\..\\x", "ok name"])
def test_the_name_cannot_lead_the_output_out_of_its_folder(name, tmp_path, monkeypatch):
    root = tmp_path / "a" / "b" / "project"
    root.mkdir(parents=True)
    shutil.copy(DEMO, root / "demo.ipynb")
    spec = {"name": name, "notebook": "demo.ipynb", "grid": {"n": [1, 2]}, "case_dir": "n{n}"}
    p = load_pipeline(spec=spec, root=root)
    base = root / "output" / "pipelines"
    assert p.output.parent == base, p.output
    assert p.output.name not in ("", ".", "..")
    assert p.name == name  # the name itself is still shown as written
    before = _files(tmp_path)
    _fake_run_notebook(monkeypatch)
    report = run_pipeline(p, workers=1)
    assert report.exit_code == 0
    new = _files(tmp_path) - before
    assert new and all(f.is_relative_to(p.output) or f == base or f == base.parent for f in new)
