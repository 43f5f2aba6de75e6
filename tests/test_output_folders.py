"""Output folders: a simulated set is written whole or not at all, and a bad ``--out`` is one line.

``workbench simulate`` writes its set of files into a temporary folder beside ``--out`` and moves it
into place at the end, so a failure part-way leaves the previous set (or nothing), never new files
beside old ones. An existing file, a path under a file, a place where nothing can be written
(``/proc/...``) or a folder without write permission given as ``--out`` (``simulate``, ``report``)
is refused before any work: exit 2, one line naming the path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import workbench.simulate.export as export
from tests.helpers import run_cli, run_error
from workbench._files import check_output_folder, staged_folder
from workbench.exceptions import InvalidParameterError
from workbench.jobs import run_t1_job

SET = ["adsl.csv", "adtte.csv", "design.yaml", "dictionary.csv", "patients.csv",
       "patients.parquet"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.endswith(".tmp"))


def _fail_on_third_csv(monkeypatch):
    """Make the third CSV of the set (``adtte.csv``) fail as a full disk would."""
    real = export.write_csv_atomic
    calls = []

    def write(df, path, **kwargs):
        calls.append(Path(path).name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device", str(path))
        return real(df, path, **kwargs)

    monkeypatch.setattr(export, "write_csv_atomic", write)
    return calls


def test_simulate_writes_the_whole_set(capsys, tmp_path):
    code, out, err = run_cli(capsys, "simulate", "t1", "--seed", "3", "--out",
                             str(tmp_path / "a" / "b"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == SET
    assert _leftovers(tmp_path / "a") == []


def test_a_failed_later_file_leaves_no_partial_set(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out"
    calls = _fail_on_third_csv(monkeypatch)
    err = run_error(capsys, "simulate", "t1", "--seed", "3", "--out", str(out))
    assert calls == ["patients.csv", "adsl.csv", "adtte.csv"]  # the first two were written
    assert "No space left on device" in err and str(out) in err
    assert not out.exists()  # nothing of the new set
    assert _leftovers(tmp_path) == []


def test_a_failed_rerun_keeps_the_previous_set(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert run_cli(capsys, "simulate", "t1", "--seed", "3", "--out", str(out))[0] == 0
    before = _files(out)
    _fail_on_third_csv(monkeypatch)
    run_error(capsys, "simulate", "t1", "--seed", "4", "--out", str(out))
    assert _files(out) == before  # the seed-3 set, byte for byte
    assert _leftovers(tmp_path) == []
    monkeypatch.undo()
    assert run_cli(capsys, "simulate", "t1", "--seed", "4", "--out", str(out))[0] == 0
    after = _files(out)
    assert sorted(after) == SET and after["patients.csv"] != before["patients.csv"]


def test_other_files_in_the_folder_stay(capsys, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    _fail_on_third_csv(monkeypatch)
    run_error(capsys, "simulate", "t1", "--seed", "3", "--out", str(out))
    assert _files(out) == {"notes.txt": b"mine"}
    monkeypatch.undo()
    assert run_cli(capsys, "simulate", "t1", "--seed", "3", "--out", str(out))[0] == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*SET, "notes.txt"])
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("before", [[], ["notes.txt"]])
def test_out_may_be_the_working_folder(capsys, tmp_path, monkeypatch, before):
    """``--out .``: the files go into the folder; the folder itself is never replaced."""
    work = tmp_path / "work"
    work.mkdir()
    for name in before:
        (work / name).write_text("mine")
    monkeypatch.chdir(work)
    inode = work.stat().st_ino
    assert run_cli(capsys, "simulate", "t1", "--seed", "3", "--out", ".")[0] == 0
    assert sorted(p.name for p in work.iterdir()) == sorted([*SET, *before])
    assert work.stat().st_ino == inode and _leftovers(tmp_path) == []


def test_a_binary_design_set_is_staged_too(capsys, tmp_path):
    code, _, err = run_cli(capsys, "simulate", "t2", "--seed", "1", "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["design.yaml", "patients.csv"]


def test_staged_folder_failure_removes_the_temporary_folder(tmp_path):
    target = tmp_path / "set"
    with pytest.raises(RuntimeError), staged_folder(target) as tmp:
        (tmp / "a.csv").write_text("1")
        raise RuntimeError("stop")
    assert not target.exists() and _leftovers(tmp_path) == []


def test_staged_folder_refuses_a_folder_where_a_file_goes(tmp_path):
    target = tmp_path / "set"
    (target / "a.csv").mkdir(parents=True)
    (target / "old.txt").write_text("x")
    with pytest.raises(InvalidParameterError, match=r"`out`.*'a.csv' in it is a folder"):
        with staged_folder(target) as tmp:
            (tmp / "b.csv").write_text("2")
            (tmp / "a.csv").write_text("1")
    assert sorted(p.name for p in target.iterdir()) == ["a.csv", "old.txt"]  # b.csv not moved


# ----------------------------------------------------------------------------------------------
# bad output paths: one line, exit 2, naming the path
# ----------------------------------------------------------------------------------------------
def _bad_paths(tmp_path: Path) -> dict[str, tuple[str, str]]:
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    return {"existing file": (str(afile), "it is a file"),
            "under a file": (str(afile / "sub"), "it is under the file"),
            "/proc": ("/proc/workbench-out", "cannot write there")}


@pytest.mark.parametrize("case", ["existing file", "under a file", "/proc"])
@pytest.mark.parametrize("verb", [["simulate", "t1", "--seed", "1"], ["report", "t1"]])
def test_bad_out_is_one_line(capsys, tmp_path, case, verb):
    if case == "/proc" and not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    path, why = _bad_paths(tmp_path)[case]
    err = run_error(capsys, *verb, "--out", path)
    assert "`--out`" in err and repr(path) in err and why in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not bind root (the test runs as root here)")
@pytest.mark.parametrize("verb", [["simulate", "t1", "--seed", "1"], ["report", "t1"]])
def test_out_without_write_permission(capsys, tmp_path, verb):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for path in (locked, locked / "new"):
            err = run_error(capsys, *verb, "--out", str(path))
            assert repr(str(path)) in err and "Permission denied" in err
    finally:
        locked.chmod(0o755)


def test_run_t1_job_checks_out_before_the_work(tmp_path):
    afile = tmp_path / "afile.txt"
    afile.write_text("x")
    with pytest.raises(InvalidParameterError, match="`out`.*it is a file"):
        run_t1_job(afile)
    with pytest.raises(InvalidParameterError, match="`out`.*under the file"):
        run_t1_job(afile / "t1")


def test_check_output_folder_without_create_makes_nothing(tmp_path):
    target = tmp_path / "a" / "b"
    assert check_output_folder(target, create=False) == target
    assert not (tmp_path / "a").exists()
    assert check_output_folder(target).is_dir()
