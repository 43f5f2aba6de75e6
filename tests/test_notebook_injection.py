"""Parameter values reach a notebook as literals of their default's type, never as code.

Every value given with ``-p`` or in a pipeline grid is converted against the default of the
``parameters`` cell and written into the injected cell as a Python literal. Hostile strings
(quotes, backslashes, newlines, ``__import__``, unicode) must arrive as the very same value and
must never run: each test checks that no file ``pwned`` appears.
"""

from __future__ import annotations

import ast
import math
import os
from pathlib import Path

import nbformat
import pytest

from workbench import InvalidParameterError
from workbench.notebooks import check_parameters, parameter_cell_source

HOSTILE = [
    'x"; __import__("os").system("touch pwned"); z = "',
    "x'; __import__('os').system('touch pwned'); z = '",
    'x\\"; __import__("os").system("touch pwned"); z = \\"',
    "a\nimport os; os.system('touch pwned')\n",
    "back\\slash\\n\\\\ and \\x00 and \\u2603",
    "unicode ☃ é 漢字 \u2028 \u0000 end",
    '"""; __import__("os").system("touch pwned"); """',
    "{__import__('os').system('touch pwned')}",
    "}); __import__('os').system('touch pwned') #",
    "",
]

PARAMETERS_CELL = """\
n = 10
ratio = 0.5
flag = True
label = "demo"
maybe = None
nullable: str | None = "x"
grid = [1, 2]
labels = ("a", "b")
pair = (1, 2.5)
options = {"a": 1}
words = ["u", "v"]
"""


def _notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(PARAMETERS_CELL, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(
            "import workbench\n"
            "names = ['n', 'ratio', 'flag', 'label', 'maybe', 'nullable', 'grid', 'labels',\n"
            "         'pair', 'options', 'words']\n"
            "workbench.record('reprs', {k: repr(globals()[k]) for k in names})\n"),
    ])
    path = folder / "types.ipynb"
    nbformat.write(nb, path)
    return path


def _hostile_parameters(text: str) -> dict:
    """One hostile string in every parameter that can hold a string, in the form each accepts."""
    return {
        "label": text,
        "maybe": text,
        "nullable": text,
        "labels": [text, "b"],
        "words": repr([text, text + "!"]),  # a list given as command-line text
        "options": {text: text, "k": [text]},
    }


def _run_cell(source: str, folder: Path) -> dict:
    """Execute an injected cell in ``folder`` and return the names it set."""
    namespace: dict = {}
    here = os.getcwd()
    os.chdir(folder)
    try:
        exec(compile(source, "<injected>", "exec"), namespace)  # noqa: S102 - the point of the test
    finally:
        os.chdir(here)
    namespace.pop("__builtins__", None)
    return namespace


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_arrive_as_the_same_value_and_never_run(text, tmp_path):
    nb = _notebook(tmp_path)
    params = check_parameters(nb, _hostile_parameters(text))
    assert params["labels"] == (text, "b") and type(params["labels"]) is tuple
    assert params["words"] == [text, text + "!"]
    source = parameter_cell_source(params)
    # every assignment is a plain literal: it evaluates without running anything
    tree = ast.parse(source)
    for node in tree.body:
        assert isinstance(node, ast.Assign)
        assert ast.literal_eval(node.value) == params[node.targets[0].id]
    got = _run_cell(source, tmp_path)
    assert got == params
    assert {k: type(v) for k, v in got.items()} == {k: type(v) for k, v in params.items()}
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(("name", "given", "expected"), [
    ("n", "12", 12),
    ("n", 2**80, 2**80),
    ("ratio", "1e-300", 1e-300),
    ("ratio", "-0.0", -0.0),
    ("ratio", "inf", math.inf),
    ("ratio", "-inf", -math.inf),
    ("flag", "no", False),
    ("maybe", "(1, 'a')", (1, "a")),
    ("maybe", "{1: 'x', (2, 3): [None, True]}", {1: "x", (2, 3): [None, True]}),
    ("nullable", None, None),
    ("grid", "[1, 2.5]", [1, 2.5]),
    ("labels", "('p', 'q', 'r')", ("p", "q", "r")),
    ("labels", ["p"], ("p",)),
    ("pair", "[3, 'x']", (3, "x")),
    ("options", {"k": (1, 2)}, {"k": (1, 2)}),
    ("options", {2: 3.5}, {2: 3.5}),
])
def test_every_type_arrives_as_a_literal_of_the_defaults_type(name, given, expected, tmp_path):
    params = check_parameters(_notebook(tmp_path), {name: given})
    assert params[name] == expected and type(params[name]) is type(expected)
    got = _run_cell(parameter_cell_source(params), tmp_path)[name]
    assert got == expected and type(got) is type(expected)
    if isinstance(expected, float):
        assert math.copysign(1, got) == math.copysign(1, expected)


def test_nan_arrives_as_a_float(tmp_path):
    params = check_parameters(_notebook(tmp_path), {"ratio": "nan"})
    got = _run_cell(parameter_cell_source(params), tmp_path)["ratio"]
    assert isinstance(got, float) and math.isnan(got)


@pytest.mark.parametrize(("name", "given"), [
    ("labels", "__import__('os').system('touch pwned')"),
    ("maybe", object()),
    ("options", {"f": print}),
    ("maybe", b"bytes"),
])
def test_values_that_are_not_plain_literals_are_refused(name, given, tmp_path):
    nb = _notebook(tmp_path)
    with pytest.raises(InvalidParameterError, match=rf"`{name}"):
        parameter_cell_source(check_parameters(nb, {name: given}))
    assert not (tmp_path / "pwned").exists()


@pytest.mark.notebook
def test_a_kernel_receives_hostile_values_unchanged(tmp_path):
    """The attack as it was found: a tuple parameter given on the command line."""
    from workbench.cli import main

    nb = _notebook(tmp_path)
    attack = "['x\"; __import__(\"os\").system(\"touch pwned\"); z = \"', 'b']"
    out = tmp_path / "out.ipynb"
    argv = ["pipeline", "run-notebook", str(nb), "-o", str(out), "-p", "labels", attack,
            "--cwd", str(tmp_path)]
    for name, value in _hostile_parameters(HOSTILE[3] + HOSTILE[5]).items():
        if name != "labels":
            argv += ["-p", name, value if isinstance(value, str) else repr(value)]
    assert main(argv) == 0
    assert not (tmp_path / "pwned").exists()
    from workbench import read_results

    reprs = read_results(out)["reprs"]
    expected = check_parameters(nb, {"labels": attack, **{
        k: v for k, v in _hostile_parameters(HOSTILE[3] + HOSTILE[5]).items() if k != "labels"}})
    assert reprs["labels"] == repr(('x"; __import__("os").system("touch pwned"); z = "', "b"))
    for name, value in expected.items():
        assert reprs[name] == repr(value), name
    assert reprs["n"] == "10"  # the others keep their defaults


def test_a_set_is_refused_with_the_types_allowed(tmp_path):
    with pytest.raises(InvalidParameterError, match=r"`maybe` must be made of numbers"):
        check_parameters(_notebook(tmp_path), {"maybe": "{1, 2}"})
