#!/usr/bin/env python3
"""Set up the project environment and run its jobs, with nothing but Python 3.11+.

    python3 tasks.py run     # set up .venv, run the T1 job (simulate, analyse, notebook, report)
    python3 tasks.py test    # set up .venv, run the whole test suite on every core (what CI runs)
    python3 tasks.py quick   # the quick tier: no slow, notebook or cluster tests (under a minute)
    python3 tasks.py lint    # set up .venv, run ruff (style, docstrings) and mypy (types)
    python3 tasks.py lab     # open the notebooks in JupyterLab with the project kernel
    python3 tasks.py calculator   # the power calculator as a local web page; prints its address
    python3 tasks.py setup   # only create or update .venv

Extra arguments go to the tool: `python3 tasks.py test -m slow -k power` to pytest, for example.

Everything is installed into ``.venv`` inside the checkout, the Jupyter kernel included
(``--sys-prefix``). The installer is uv (installed into .venv by pip; it downloads and installs in
parallel), with plain pip as the fall-back (``WORKBENCH_INSTALLER=pip`` chooses pip). The
environment is reinstalled when ``pyproject.toml`` changes. The jobs keep IPython, matplotlib and
Jupyter files in ``.venv/var``, so nothing is written to the home folder.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"
VAR = VENV / "var"  # IPython, matplotlib and Jupyter state of the jobs
TASKS = ("run", "test", "quick", "lint", "lab", "calculator", "setup")
QUICK = "not slow and not notebook and not cluster"
HEARTBEAT = 15.0  # seconds between "still working" lines when the output is not a terminal


def _say(text: str) -> None:
    print(text, flush=True)


def _run(*cmd, heartbeat: bool = False, **kw) -> None:
    """Run a command from the checkout's root.

    With ``heartbeat``, say every few seconds that it is still working when the output is not a
    terminal (where installers show no progress bars).
    """
    _say("+ " + " ".join(str(c) for c in cmd))
    done = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        while not done.wait(HEARTBEAT):
            _say(f"  ... still working ({time.monotonic() - start:.0f} s)")

    if heartbeat and not sys.stdout.isatty():
        threading.Thread(target=beat, daemon=True).start()
    try:
        subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)
    finally:
        done.set()


def _cache_dir(tool: str) -> Path:
    """Where an installer keeps its downloads.

    The usual per-user cache folder when the home folder has one (so that a second checkout
    installs from it), else inside .venv (a home folder without one stays untouched).
    """
    home_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return home_cache / tool if home_cache.is_dir() else VENV / "cache" / tool


def _install_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("PIP_CACHE_DIR", str(_cache_dir("pip")))
    env.setdefault("UV_CACHE_DIR", str(_cache_dir("uv")))
    return env


def _keep_rustup_out_of_home() -> None:
    """pip asks ``rustc --version`` for its user agent (ensurepip too, while the venv is made); a
    rustup proxy answering would write its settings into a home folder that has none, so there
    rustup keeps that state in .venv during set-up."""
    if not (Path.home() / ".rustup").exists():
        os.environ.setdefault("RUSTUP_HOME", str(VAR / "rustup"))


def _install_with_uv(env: dict[str, str]) -> None:
    _run(PY, "-m", "pip", "install", "--progress-bar", "off", "uv", env=env, heartbeat=True)
    # --link-mode=copy: the cache may sit on another file system than the checkout;
    # --compile-bytecode, as pip does: with PYTHONDONTWRITEBYTECODE set (CI sets it) nothing is
    # ever compiled later, and every notebook kernel would compile its imports again at start
    _run(PY, "-m", "uv", "pip", "install", "--python", PY, "--link-mode", "copy",
         "--compile-bytecode", "-e", ".[test]", env=env, heartbeat=True)


def _install_with_pip(env: dict[str, str]) -> None:
    _run(PY, "-m", "pip", "install", "--upgrade", "pip", env=env, heartbeat=True)
    _run(PY, "-m", "pip", "install", "-e", ".[test]", env=env, heartbeat=True)


def setup() -> None:
    """Create ``.venv`` and install the project into it, unless ``pyproject.toml`` is unchanged."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    began = time.monotonic()
    _keep_rustup_out_of_home()
    installer = os.environ.get("WORKBENCH_INSTALLER", "uv")
    if installer not in ("uv", "pip"):
        sys.exit(f"WORKBENCH_INSTALLER must be uv or pip; got {installer!r}.")
    step = 0

    def announce(text: str) -> None:
        nonlocal step
        step += 1
        _say(f"[setup {step}/3, {time.monotonic() - began:.0f} s] {text}")

    if not PY.exists():
        announce(f"creating the virtual environment {VENV.relative_to(ROOT)}/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    else:
        announce(f"updating the virtual environment {VENV.relative_to(ROOT)}/ "
                 "(pyproject.toml changed)")
    env = _install_env()
    announce(f"installing the workbench and its dependencies with {installer}")
    if installer == "uv":
        try:
            _install_with_uv(env)
        except subprocess.CalledProcessError:
            _say("uv failed; installing with pip instead")
            _install_with_pip(env)
    else:
        _install_with_pip(env)
    announce("registering the Jupyter kernel inside .venv")
    _run(PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
         "--display-name", "Python 3 (workbench)", env=project_env())
    STAMP.write_text(wanted + "\n")
    _say(f"[setup done in {time.monotonic() - began:.0f} s]")


def project_env() -> dict[str, str]:
    """The environment of the jobs.

    IPython, matplotlib, Jupyter (and npm, which JupyterLab calls) keep their files in
    ``.venv/var`` instead of the home folder (the notebook kernels inherit it); a variable already
    set is kept.
    """
    env = dict(os.environ)
    places = {
        "IPYTHONDIR": VAR / "ipython",
        "MPLCONFIGDIR": VAR / "matplotlib",
        "JUPYTER_CONFIG_DIR": VAR / "jupyter" / "config",
        "JUPYTER_DATA_DIR": VAR / "jupyter" / "data",
        "JUPYTER_RUNTIME_DIR": VAR / "jupyter" / "runtime",
        # JupyterLab asks npm for its global prefix at start-up; npm logs that under its cache
        "npm_config_cache": VAR / "npm",
    }
    for name, path in places.items():
        if name not in env:
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
    # the kernel registered inside .venv wins over any "python3" kernel in the user's folders
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    return env


def _workers() -> int:
    """pytest-xdist workers: one per core, at most 2 (more only adds start-up to a short run)."""
    return max(1, min(2, os.cpu_count() or 1))


def _pytest(rest: list[str], env: dict[str, str]) -> None:
    parallel = "-n" not in rest and not any(a.startswith(("-n", "--numprocesses")) for a in rest)
    workers = ["-n", str(_workers())] if parallel and _workers() > 1 else []
    _run(PY, "-m", "pytest", "-q", *workers, *rest, env=env)


def usage(file=sys.stdout) -> None:
    """Print the tasks."""
    print(__doc__.strip(), file=file)


def main(argv: list[str]) -> int:
    """Run a task; returns the exit code (0 for help, 2 for an unknown task)."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        usage()
        return 0
    task, rest = argv[0], argv[1:]
    if task not in TASKS:
        print(f"Unknown task {task!r}; the tasks are: {', '.join(TASKS)}.\n", file=sys.stderr)
        usage(sys.stderr)
        return 2
    setup()
    env = project_env()
    try:
        if task == "run":
            _run(PY, "-m", "workbench", "report", "t1", "--out", "output/t1", *rest, env=env)
        elif task == "test":
            _pytest(rest, env)
        elif task == "quick":
            _pytest(["-m", QUICK, *rest], env)
        elif task == "lint":
            # both run, so that one report shows every finding; the task fails if either does
            checks = [[PY, "-m", "ruff", "check", "workbench", "tests", *rest], [PY, "-m", "mypy"]]
            failed = 0
            for cmd in checks:
                try:
                    _run(*cmd, env=env)
                except subprocess.CalledProcessError as exc:
                    failed = failed or exc.returncode or 1
            return failed
        elif task == "lab":
            root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
            _run(BIN / "jupyter", "lab", *root, "notebooks/", *rest, env=env)
        elif task == "calculator":
            _run(PY, "-m", "workbench", "calculator", *rest, env=env)
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
