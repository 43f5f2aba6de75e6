"""Fixtures shared by the test modules; the plain helpers they use are in ``tests/helpers.py``."""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path

import pytest

from tests.helpers import REFERENCE_DIR
from tests.helpers import ref_case as _ref_case
from workbench._files import STATE_DIRS

ROOT = Path(__file__).resolve().parent.parent



def _keep_state_out_of_home() -> None:
    """Point IPython, matplotlib and Jupyter (and so every notebook kernel the tests start, which
    inherits the environment) at folders outside the home folder: the ones ``python3 tasks.py``
    sets, else ``.venv/var`` of the checkout, else a folder beside pytest's own temporary ones.
    Runs when this file is imported, before any test module imports matplotlib."""
    if (ROOT / ".venv").is_dir():
        base = ROOT / ".venv" / "var"
    else:
        base = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}" / "workbench-state"
    for name, sub in STATE_DIRS.items():
        if name not in os.environ:
            path = base / sub
            path.mkdir(parents=True, exist_ok=True)
            os.environ[name] = str(path)


_keep_state_out_of_home()


def pytest_collection_modifyitems(config, items):
    """Run the long tests (notebooks, worker processes) first, so that with several workers the
    short ones fill the gaps instead of one worker finishing a long test alone at the end."""
    long_markers = ("notebook", "cluster", "slow")
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in long_markers))


@pytest.fixture
def reference_dir() -> Path:
    """``tests/reference/``: the R reference files, their data (``data/``) and scripts (``r/``)."""
    return REFERENCE_DIR


@pytest.fixture
def ref_case():
    """``ref_case(file, case_id)`` -> one case of a reference file, with a clear error when the
    file has no such case."""
    return _ref_case
