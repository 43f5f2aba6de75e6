"""The first minutes of a new user: tasks.py answers without installing, the notebook kernels keep
their files out of the home folder, and the notebooks name the kernel that tasks.py installs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

import workbench
from tests.conftest import STATE_DIRS
from workbench import run_notebook
from workbench.notebooks import KERNEL_NAME

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "tests" / "notebooks").glob("*.ipynb"))


def _tasks():
    spec = importlib.util.spec_from_file_location("workbench_tasks", ROOT / "tasks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv", [[], ["--help"], ["-h"], ["help"]])
def test_tasks_help_lists_the_tasks_without_installing(argv, capsys, monkeypatch):
    tasks = _tasks()
    monkeypatch.setattr(tasks, "setup", lambda: pytest.fail("help must not install"))
    assert tasks.main(argv) == 0
    out = capsys.readouterr().out
    for task in ("run", "test", "quick", "lint", "lab", "setup"):
        assert f"python3 tasks.py {task}" in out


def test_an_unknown_task_is_an_error_listing_the_tasks(capsys, monkeypatch):
    tasks = _tasks()
    monkeypatch.setattr(tasks, "setup", lambda: pytest.fail("an unknown task must not install"))
    assert tasks.main(["tset"]) == 2
    err = capsys.readouterr().err
    assert "Unknown task 'tset'" in err and "python3 tasks.py test" in err


def test_the_jobs_keep_their_state_inside_the_venv(monkeypatch, tmp_path):
    tasks = _tasks()
    for name in STATE_DIRS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tasks, "VAR", tmp_path / ".venv" / "var")
    env = tasks.project_env()
    for name in STATE_DIRS:
        assert Path(env[name]).is_relative_to(tasks.VAR)
    assert env["JUPYTER_PREFER_ENV_PATH"] == "1"


def test_lab_runs_as_root_with_allow_root(monkeypatch):
    tasks = _tasks()
    ran = []
    monkeypatch.setattr(tasks, "setup", lambda: None)
    monkeypatch.setattr(tasks, "_run", lambda *cmd, **kw: ran.append([str(c) for c in cmd]))
    monkeypatch.setattr(tasks.os, "geteuid", lambda: 0, raising=False)
    assert tasks.main(["lab"]) == 0
    assert "--allow-root" in ran[0] and "notebooks/" in ran[0]
    monkeypatch.setattr(tasks.os, "geteuid", lambda: 1000, raising=False)
    ran.clear()
    assert tasks.main(["lab"]) == 0
    assert "--allow-root" not in ran[0]


def test_the_test_task_uses_the_cores_and_the_quick_task_its_tier(monkeypatch):
    tasks = _tasks()
    ran = []
    monkeypatch.setattr(tasks, "setup", lambda: None)
    monkeypatch.setattr(tasks, "_run", lambda *cmd, **kw: ran.append([str(c) for c in cmd]))
    monkeypatch.setattr(tasks.os, "cpu_count", lambda: 2)
    tasks.main(["test"])
    tasks.main(["quick", "-k", "power"])
    tasks.main(["test", "-n", "0"])
    assert ran[0][-3:] == ["-q", "-n", "2"]
    assert ran[1][-6:] == ["-n", "2", "-m", tasks.QUICK, "-k", "power"]
    assert ran[2][-2:] == ["-n", "0"] and ran[2].count("-n") == 1


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_notebooks_name_the_installed_kernel(path):
    # JupyterLab rewrites a kernelspec or language_info that differs from the kernel's, and so
    # marks the notebook modified on open; tasks.py installs "python3" as "Python 3 (workbench)"
    spec = json.loads(path.read_text())["metadata"]["kernelspec"]
    tasks_source = (ROOT / "tasks.py").read_text()
    assert spec["name"] == KERNEL_NAME == "python3"
    assert f'"--display-name", "{spec["display_name"]}"' in tasks_source
    assert spec["language"] == "python"
    # ... and so does the language_info the kernel reports (the Python version aside)
    from ipykernel.ipkernel import IPythonKernel

    info = json.loads(path.read_text())["metadata"]["language_info"]
    kernel_info = dict(IPythonKernel.language_info)
    assert info.pop("version").split(".")[0] == kernel_info.pop("version").split(".")[0]
    assert info == kernel_info


def test_workbench_version(capsys):
    from workbench.cli import main

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"workbench {workbench.__version__}"


@pytest.mark.notebook
def test_a_notebook_run_writes_nothing_to_the_home_folder(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    # what the project's notebooks do: IPython, matplotlib, a plot, a recorded result
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import matplotlib.pyplot as plt\nimport workbench\n"
        "plt.plot([1, 2], [3, 4])\nplt.show()\nworkbench.record('done', True)")])
    nbformat.write(nb, tmp_path / "plot.ipynb")
    assert run_notebook(tmp_path / "plot.ipynb", tmp_path / "out.ipynb", cwd=tmp_path) == {
        "done": True}
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []
