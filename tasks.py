#!/usr/bin/env python3
"""Set up the project environment and run its jobs, with nothing but Python 3.11+ and pip.

    python3 tasks.py run    # create .venv, install, run the T1 job (simulate, analyse, notebook, report)
    python3 tasks.py test   # create .venv, install, run the test suite (extra args go to pytest)
    python3 tasks.py lint   # create .venv, install, run ruff (style, docstrings) and mypy (types)
    python3 tasks.py lab    # open the notebooks in JupyterLab from the project environment
    python3 tasks.py setup  # only create/update .venv

Everything is installed into ``.venv`` inside the checkout; the Jupyter kernel is registered inside
that environment (``--sys-prefix``), nothing outside the checkout is touched. The environment is
reinstalled when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed"


def _run(*cmd, **kw) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, **kw)


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    _run(PY, "-m", "pip", "install", "--quiet", "-e", ".[test]")
    _run(PY, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3",
         "--display-name", "Python 3 (workbench)")
    STAMP.write_text(wanted + "\n")


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "test"
    rest = argv[1:]
    setup()
    env = dict(os.environ)
    try:
        if task == "setup":
            pass
        elif task == "run":
            _run(PY, "-m", "workbench", "report", "t1", "--out", "output/t1", *rest, env=env)
        elif task == "test":
            _run(PY, "-m", "pytest", "-q", *rest, env=env)
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
            # the kernel registered inside .venv wins over any "python3" kernel in the user's folders
            env["JUPYTER_PREFER_ENV_PATH"] = "1"
            _run(BIN / "jupyter", "lab", "notebooks/", *rest, env=env)
        else:
            print(__doc__)
            return 2
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
