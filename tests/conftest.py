"""Fixtures shared by the test modules; the plain helpers they use are in ``tests/helpers.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REFERENCE_DIR
from tests.helpers import ref_case as _ref_case


@pytest.fixture
def reference_dir() -> Path:
    """``tests/reference/``: the R reference files, their data (``data/``) and scripts (``r/``)."""
    return REFERENCE_DIR


@pytest.fixture
def ref_case():
    """``ref_case(file, case_id)`` -> one case of a reference file, with a clear error when the
    file has no such case."""
    return _ref_case
