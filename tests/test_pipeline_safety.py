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


# ---------------------------------------------------------------- one run at a time ----

GATED_CELL = """\
import os, pathlib, time
import workbench
pathlib.Path(gate).with_name(f"started{n}").touch()
while not os.path.exists(gate):  # waits for the test to open the gate, however long that takes
    time.sleep(0.02)
workbench.record("n", n)
"""


def _gated_pipeline(tmp_path: Path, grid: list[int], **extra) -> Path:
    """A pipeline whose cases each wait until the file ``gate`` exists."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(f"n = 1\ngate = {str(tmp_path / 'gate')!r}",
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(GATED_CELL)])
    nbformat.write(nb, tmp_path / "gated.ipynb")
    spec = {"name": "gated", "notebook": "gated.ipynb", "root": str(tmp_path),
            "output": str(tmp_path / "out"), "grid": {"n": grid}, "case_dir": "n{n}", **extra}
    path = tmp_path / "gated.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def _command(*args: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "workbench", *args]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}


def _wait_for(condition, what: str, proc=None) -> None:
    """Wait until ``condition()`` holds; fail at once if ``proc`` exits first."""
    import time

    for _ in range(6000):  # a generous bound for a loaded machine; normally a few seconds
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"the run ended (exit {proc.returncode}) before {what}: {err}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.notebook
def test_a_second_run_into_the_same_folder_is_refused_or_waits(tmp_path):
    import subprocess

    spec = _gated_pipeline(tmp_path, [1, 2], workers=1)
    first = subprocess.Popen(_command("pipeline", "run", str(spec)), cwd=tmp_path, env=_env(),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: (tmp_path / "started1").exists(), "the first case started", first)
        second = subprocess.run(_command("pipeline", "run", str(spec)), cwd=tmp_path,
                                env=_env(), capture_output=True, text=True, timeout=300)
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert str(tmp_path / "out") in lines[0] and f"pid {first.pid}" in lines[0]
        waiting = subprocess.Popen(_command("pipeline", "run", str(spec), "--wait"),
                                   cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        assert waiting.poll() is None  # cannot finish while the first run holds the folder
        (tmp_path / "gate").touch()
        out, err = first.communicate(timeout=600)
        assert first.returncode == 0, err
        assert "2 ok" in out
        out, err = waiting.communicate(timeout=600)
        assert waiting.returncode == 0, err
        assert "2 skipped" in out  # it waited, then found every case done
    finally:
        (tmp_path / "gate").touch()
        first.kill()
    results = (tmp_path / "out" / "results.csv").read_text().splitlines()
    assert results[0].split(",")[:4] == ["case_id", "case", "notebook", "status"]
    assert [r.split(",")[0] for r in results[1:]] == ["n1", "n2"]


def test_resume_reruns_cases_whose_results_file_is_missing_or_wrong(tmp_path, monkeypatch):
    import pandas as pd

    from workbench.notebooks import results_path

    _fake_run_notebook(monkeypatch)
    spec = {"name": "demo", "notebook": str(DEMO), "output": str(tmp_path / "out"),
            "grid": {"n": [1, 2, 3, 4, 5]}, "case_dir": "n{n}"}
    p = load_pipeline(spec=spec, root=ROOT)
    assert [o.status for o in run_pipeline(p, workers=1).outcomes] == ["ok"] * 5
    out = tmp_path / "out"
    res = {n: results_path(out / f"n{n}" / "params_demo.ipynb") for n in range(1, 6)}
    res[1].unlink()                                   # missing
    res[2].write_text("")                             # empty
    res[3].write_text('{"results": {"n": ')           # cut short
    shutil.copy(res[5], res[4])                       # another case's results
    again = run_pipeline(load_pipeline(spec=spec, root=ROOT), workers=1)
    assert [o.status for o in again.outcomes] == ["ok", "ok", "ok", "ok", "skipped"]
    table = pd.read_csv(out / "results.csv")
    assert table["result.n"].tolist() == [1, 2, 3, 4, 5]
    assert table.notna().all(axis=None) or table.drop(columns=["error"]).notna().all(axis=None)


# ---------------------------------------------------------------- paths that cannot be written ----

def _bad_outputs(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("not a folder")
    return {"an existing file": a_file, "a path under a file": a_file / "sub",
            "a path under /proc": Path("/proc/workbench-test/out")}


@pytest.mark.parametrize("kind", ["an existing file", "a path under a file", "a path under /proc"])
def test_an_output_folder_that_cannot_be_written_is_one_line(kind, tmp_path, capsys):
    from workbench.cli import main

    bad = _bad_outputs(tmp_path)[kind]
    spec_file = tmp_path / "p.yaml"
    spec_file.write_text(yaml.safe_dump({"name": "demo", "notebook": str(DEMO),
                                         "root": str(ROOT), "grid": {"n": [1]},
                                         "output": str(tmp_path / "out")}))
    assert main(["pipeline", "run", str(spec_file), "--output", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and "Traceback" not in err
    with pytest.raises(InvalidParameterError, match="cannot be written"):
        run_pipeline(load_pipeline(spec_file), output=bad)


@pytest.mark.parametrize("kind", ["a path under a file", "a path under /proc"])
def test_a_notebook_output_that_cannot_be_written_is_one_line(kind, tmp_path, capsys):
    from workbench import run_notebook
    from workbench.cli import main

    bad = _bad_outputs(tmp_path)[kind] / "run.ipynb"
    assert main(["pipeline", "run-notebook", str(DEMO), "-o", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(bad) in err and "Traceback" not in err
    with pytest.raises(InvalidParameterError, match="output_path"):
        run_notebook(DEMO, bad)


def test_a_notebook_output_that_is_a_folder_is_one_line(tmp_path, capsys):
    from workbench.cli import main

    assert main(["pipeline", "run-notebook", str(DEMO), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(tmp_path) in err and "folder" in err


@pytest.mark.cluster
def test_a_case_folder_blocked_by_a_file_fails_that_case_alike_for_any_workers(tmp_path,
                                                                               monkeypatch):
    _fake_run_notebook(monkeypatch)
    found = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        out.mkdir()
        (out / "n2").write_text("a file where the case's folder should be")
        spec = {"name": "demo", "notebook": str(DEMO), "output": str(out),
                "grid": {"n": [1, 2, 3]}, "case_dir": "n{n}"}
        report = run_pipeline(load_pipeline(spec=spec, root=ROOT), workers=workers)
        assert report.exit_code == 1
        found[workers] = [(o.status, o.ename, o.evalue and o.evalue.replace(str(out), "OUT"))
                          for o in report.outcomes]
        assert [s for s, _, _ in found[workers]] == ["ok", "failed", "ok"]
        assert "n2" in found[workers][1][2]
    assert found[1] == found[2]


# ---------------------------------------------------------------- Ctrl-C ----

SLOW_KERNEL_START = """\
import os, pathlib, sys, time
if os.environ.get("WORKBENCH_KERNEL_PYTHON"):  # set for the kernels the workbench starts
    here = pathlib.Path(__file__).parent
    (here / "kernel-starting").touch()
    while not (here / "gate").exists():  # held until the test has interrupted the run
        time.sleep(0.02)
"""


@pytest.mark.notebook
def test_ctrl_c_while_the_kernel_starts_is_one_line_naming_the_output(tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) while the kernel is
    still starting: exit 130, one line naming the output, and no kernel traceback afterwards."""
    import signal
    import subprocess

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SLOW_KERNEL_START)
    out = tmp_path / "custom" / "run.ipynb"
    env = {**_env(), "PYTHONPATH": os.pathsep.join([str(ROOT), str(hook)]),
           "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen(_command("pipeline", "run-notebook", str(DEMO), "-o", str(out)),
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(lambda: (hook / "kernel-starting").exists(), "the kernel started", proc)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=120) == 130
    finally:
        (hook / "gate").touch()  # a kernel left running would now go on and fail loudly
    out_text, err = proc.communicate(timeout=120)  # until every writer of stderr has gone
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "interrupted" in lines[0] and str(out) in lines[0]
    assert not list(tmp_path.glob("wbk*"))  # the kernel's socket folder is gone


def test_ctrl_c_names_the_output_folder_given_on_the_command_line(tmp_path, monkeypatch,
                                                                   capsys):
    import workbench.notebooks
    from workbench.cli import main

    def run_notebook(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(workbench.notebooks, "run_notebook", run_notebook)
    spec_file = tmp_path / "p.yaml"
    spec_file.write_text(yaml.safe_dump({"name": "demo", "notebook": str(DEMO),
                                         "root": str(ROOT), "grid": {"n": [1]},
                                         "output": str(tmp_path / "from_yaml")}))
    other = tmp_path / "from_command_line"
    assert main(["pipeline", "run", str(spec_file), "--output", str(other), "--workers",
                 "1"]) == 130
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(other) in err and "from_yaml" not in err


# ---------------------------------------------------------------- kill -9 ----

def _children(pid: int) -> set[int]:
    """Ids of the living child processes of ``pid`` (read from /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


@pytest.mark.cluster
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_kill_9_of_a_run_leaves_no_worker_kernel_or_socket_folder(tmp_path):
    """SIGKILL of ``pipeline run --workers 2`` while both workers run a case: the workers and
    their kernels end within seconds (three tries), no socket folder is left, and the run then
    resumes to complete results."""
    import signal
    import subprocess
    import time

    spec = _gated_pipeline(tmp_path, [1, 2])
    env = {**_env(), "TMPDIR": str(tmp_path)}
    for attempt in range(3):
        for f in tmp_path.glob("started*"):
            f.unlink()
        run = subprocess.Popen(_command("pipeline", "run", str(spec), "--workers", "2"),
                               cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
        _wait_for(lambda: len(list(tmp_path.glob("started*"))) == 2,
                  "both workers started a case", run)
        workers = _children(run.pid)
        kernels = set().union(*(_children(w) for w in workers))
        assert len(workers) >= 2 and len(kernels) >= 2, (workers, kernels)
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 20  # each worker exits within about a second
        while time.monotonic() < deadline and any(_alive(p) for p in workers | kernels):
            time.sleep(0.05)
        left = sorted(p for p in workers | kernels if _alive(p))
        for pid in left:  # so that a failure of this test leaves nothing running either
            os.kill(pid, signal.SIGKILL)
        assert not left, f"try {attempt + 1}: processes left running: {left}"
        assert not list(tmp_path.glob("wbk*")), f"try {attempt + 1}: socket folder left"
        assert not list((tmp_path / "out").rglob(".*.tmp*"))
        run.stderr.close()
    (tmp_path / "gate").touch()
    done = subprocess.run(_command("pipeline", "run", str(spec), "--workers", "2"),
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "2 ok" in done.stdout
