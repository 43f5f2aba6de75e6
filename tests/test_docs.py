"""Every Python example in docs/*.md runs as written (the blocks of one page share one namespace,
in order, as a reader pastes them into one session)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_python_examples_run_as_written(page, tmp_path, monkeypatch):
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("docs_example")  # a real module, as dataclasses need one
    monkeypatch.setitem(sys.modules, module.__name__, module)
    blocks = BLOCK.findall(page.read_text())
    for i, block in enumerate(blocks):
        code = compile(block, f"{page.name}, example {i + 1}", "exec")
        exec(code, module.__dict__)  # noqa: S102 - the examples are the project's own docs
