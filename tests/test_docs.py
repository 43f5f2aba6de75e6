"""Every example in README.md and docs/*.md runs as written.

Each fenced block names its kind in the info string:

- ``python``: executed; the blocks of one page share one namespace, in order, as a reader pastes
  them into one session;
- ``bash``: each command runs, in the same folder as the page's Python; a ``workbench ...`` line
  goes through the command line in-process and must exit with 0, and any other command must be
  marked not to run;
- ``yaml``: parsed; one whose first line is ``# path/in/the/repository.yaml`` must equal that file;
- ``text``: not code (diagrams, output, templates), never run.

A block that must not run here (it starts a server, installs the environment, runs this test
suite) is marked on the line before its fence with ``<!-- not run: the reason -->``.

The examples run in a fresh folder in which the repository's ``synthetic_data``, ``notebooks``,
``tests``, ``workbench`` and ``pyproject.toml`` are linked and ``pipelines`` copied, so that they
name real files and write only there.
The parameter tables of docs/notebooks.md are generated from the notebooks' parameters cells;
``python -m tests.test_docs --write`` rewrites them.
"""

from __future__ import annotations

import io
import re
import shlex
import shutil
import sys
import tokenize
import types
from pathlib import Path

import matplotlib
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINKED = ("synthetic_data", "notebooks", "workbench", "tests", "pyproject.toml")
COPIED = ("pipelines",)  # a pipeline writes under the root of its YAML file: here, not the checkout
#: pages whose examples execute notebooks (the notebook tier)
NOTEBOOK_PAGES = {"notebooks.md", "command-line.md"}
KINDS = {"python", "bash", "yaml", "text"}
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>.+?)\s*-->\s*$")
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.S | re.M)


def blocks(page: Path) -> list[dict]:
    """The fenced blocks of a page: kind, body, line number and whether it is marked not to run."""
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = NOT_RUN.search(before)
        found.append({"kind": match["info"].strip().split(" ")[0], "body": match["body"],
                      "line": line, "skip": skip["reason"] if skip else None})
    return found


def commands(body: str) -> list[str]:
    """The commands of a shell block: continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    out = []
    for line in joined.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            out.append(words)
    return out


def _page_params():
    params = []
    for page in PAGES:
        marks = [pytest.mark.notebook] if page.name in NOTEBOOK_PAGES else []
        params.append(pytest.param(page, marks=marks, id=page.name))
    return params


@pytest.fixture
def example_dir(tmp_path, monkeypatch):
    for name in LINKED:
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=(ROOT / name).is_dir())
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_block_names_its_kind(page):
    for block in blocks(page):
        assert block["kind"] in KINDS, (
            f"{page.name}, line {block['line']}: a code block needs one of {sorted(KINDS)} "
            f"after its fence; got {block['kind']!r}")


def test_few_blocks_are_marked_not_to_run():
    skipped = [(p.name, b["line"], b["skip"]) for p in PAGES for b in blocks(p) if b["skip"]]
    assert len(skipped) <= 8, skipped


@pytest.mark.parametrize("page", _page_params())
def test_examples_run_as_written(page, example_dir, capsys, monkeypatch):
    from workbench.cli import main

    matplotlib.use("Agg")
    module = types.ModuleType("docs_example")  # a real module, as dataclasses need one
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for block in blocks(page):
        where = f"{page.name}, line {block['line']}"
        if block["skip"] or block["kind"] == "text":
            continue
        if block["kind"] == "python":
            exec(compile(block["body"], where, "exec"), module.__dict__)  # noqa: S102
        elif block["kind"] == "yaml":
            data = yaml.safe_load(block["body"])
            first = block["body"].splitlines()[0]
            if first.startswith("# ") and first.endswith((".yaml", ".yml")):
                assert data == yaml.safe_load((ROOT / first[2:].strip()).read_text()), where
        elif block["kind"] == "bash":
            for words in commands(block["body"]):
                assert words[0] == "workbench", (
                    f"{where}: only `workbench` commands run here; mark a block with other "
                    f"commands `<!-- not run: reason -->`, got {shlex.join(words)!r}")
                try:
                    code = main(words[1:])
                except SystemExit as stop:  # --help and --version exit through argparse
                    code = stop.code or 0
                out = capsys.readouterr()
                assert code == 0, f"{where}: {shlex.join(words)} exited {code}:\n{out.err}"


# --------------------------------------------------------------------------------------------------
# the notebooks' parameter tables in docs/notebooks.md
# --------------------------------------------------------------------------------------------------

TABLE = re.compile(r"(<!-- parameters of (?P<nb>\S+\.ipynb) -->\n)(?P<table>.*?)(<!-- end -->)",
                   re.S)


def _comments(source: str) -> dict[str, str]:
    """``name -> comment`` of the lines ``name = value  # comment`` of a parameters cell."""
    out: dict[str, str] = {}
    name = None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NAME and tok.start[1] == 0:
            name = tok.string
        elif tok.type == tokenize.COMMENT and name:
            out.setdefault(name, tok.string.lstrip("# ").strip())
        elif tok.type == tokenize.NEWLINE:
            name = None
    return out


def parameter_table(notebook: str) -> str:
    """The Markdown table of a notebook's parameters: name, default and the cell's comment."""
    import nbformat

    from workbench.notebooks import notebook_parameters

    path = ROOT / notebook
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", []))
    comments = _comments(cell.source)
    rows = ["| parameter | default | meaning |", "|---|---|---|"]
    for name, default in notebook_parameters(path).items():
        shown = repr(default).replace("|", "\\|")
        rows.append(f"| `{name}` | `{shown}` | {comments.get(name, '').replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def _regenerated(text: str) -> str:
    return TABLE.sub(lambda m: m[1] + parameter_table(m["nb"]) + m[4], text)


def test_notebook_parameter_tables_match_the_notebooks():
    page = ROOT / "docs" / "notebooks.md"
    text = page.read_text()
    documented = {m["nb"] for m in TABLE.finditer(text)}
    assert documented == {f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert text == _regenerated(text), (
        "docs/notebooks.md lists other parameters than the notebooks declare; "
        "rewrite the tables with `python -m tests.test_docs --write`")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        page = ROOT / "docs" / "notebooks.md"
        page.write_text(_regenerated(page.read_text()))
        print(f"rewrote the parameter tables in {page.relative_to(ROOT)}")
