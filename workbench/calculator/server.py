"""Serve the power calculator as a local web page with Voila.

Voila runs the notebook shipped beside this module (:data:`NOTEBOOK`, one cell calling
:func:`~workbench.calculator.power_calculator`) in a Jupyter kernel and shows only its widgets;
it serves the widgets' JavaScript itself. The page listens on 127.0.0.1 only. IPython,
matplotlib and Jupyter keep their files outside the home folder: variables already set are kept
(``python3 tasks.py`` and the test session set them), otherwise ``var/`` of the Python
environment (``.venv/var`` for the project's environment) holds them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .._files import STATE_DIRS
from .._validation import check_int, check_positive
from ..exceptions import WorkbenchError

__all__ = ["NOTEBOOK", "free_port", "serve", "server_env", "voila_command", "wait_for"]

#: the notebook Voila serves (package data)
NOTEBOOK = Path(__file__).resolve().parent / "calculator.ipynb"
#: a Jupyter data folder holding the page's Voila template (``voila/templates/calculator``: the
#: lab template without stylesheets from a CDN, so that the page works offline)
TEMPLATE_ROOT = Path(__file__).resolve().parent / "jupyter"
TEMPLATE = "calculator"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(base: dict[str, str] | None = None, state_dir: str | os.PathLike | None = None
               ) -> dict[str, str]:
    """The environment of the Voila server and its kernel.

    Jupyter, IPython and matplotlib state goes to ``state_dir`` (default ``var/`` of
    ``sys.prefix``) unless the variables are already set; the kernel imports the same
    ``workbench`` package as this process (its folder leads ``PYTHONPATH``); the page's template
    folder leads ``JUPYTER_PATH``.
    """
    env = dict(os.environ if base is None else base)
    root = Path(state_dir) if state_dir is not None else Path(sys.prefix) / "var"
    for name, sub in STATE_DIRS.items():
        if not env.get(name):
            path = root / sub
            path.mkdir(parents=True, exist_ok=True)
            env[name] = str(path)
    env["JUPYTER_PREFER_ENV_PATH"] = "1"
    paths = [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p]
    env["JUPYTER_PATH"] = os.pathsep.join([str(TEMPLATE_ROOT)] + [p for p in paths
                                                                 if p != str(TEMPLATE_ROOT)])
    package_parent = str(Path(__file__).resolve().parents[2])
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([package_parent] + [p for p in parts
                                                           if p != package_parent])
    env.setdefault("MPLBACKEND", "Agg")
    return env


def voila_command(port: int, *, notebook: str | os.PathLike = NOTEBOOK,
                  python: str | None = None) -> list[str]:
    """The command that starts Voila on ``127.0.0.1:port`` without opening a browser."""
    port = check_int("port", port, minimum=1)
    return [python or sys.executable, "-m", "voila", str(notebook), f"--port={port}",
            "--no-browser", "--Voila.ip=127.0.0.1", "--theme=light", f"--template={TEMPLATE}"]


def wait_for(url: str, process: subprocess.Popen | None = None, timeout: float = 120.0) -> None:
    """Wait until ``url`` answers (or the server process ends, or ``timeout`` seconds pass)."""
    timeout = check_positive("timeout", timeout)
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise WorkbenchError(
                f"the calculator server stopped with exit code {process.returncode} before "
                f"answering at {url}.")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise WorkbenchError(f"the calculator server did not answer at {url} within "
                                 f"{timeout:g} s.")
        time.sleep(0.2)


def serve(port: int | None = None, *, wait: bool = True, timeout: float = 120.0,
          env: dict[str, str] | None = None, **popen_kw) -> tuple[subprocess.Popen, str]:
    """Start the calculator page; returns the server process and the page's address.

    Parameters
    ----------
    port : int, optional
        The port on 127.0.0.1 (default: a free one).
    wait : bool, default True
        Return only once the page answers.
    timeout : float, default 120
        Seconds to wait for the page.
    env : dict, optional
        The server's environment (default :func:`server_env`).
    **popen_kw
        Passed to :class:`subprocess.Popen` (``stdout``, ``stderr``...).

    The caller stops the server: ``process.terminate()``.
    """
    port = free_port() if port is None else check_int("port", port, minimum=1)
    url = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen(voila_command(port), env=env or server_env(), **popen_kw)
    if wait:
        try:
            wait_for(url, process, timeout)
        except BaseException:
            process.terminate()
            process.wait(10)
            raise
    return process, url
