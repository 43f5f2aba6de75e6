"""Helpers shared by the test modules: the R reference files, comparisons with R values, and the
``workbench`` command line run in-process.

The reference files are ``tests/reference/*.json`` (``REFERENCE_DIR``), each
``{"meta": ..., "cases": [{"id", "inputs", "outputs", "source"}]}``; ``tests/reference/README.md``
names the R script in ``tests/reference/r/`` that wrote each one.

Tolerances are part of the tests. The defaults here (``RTOL`` relative, ``ATOL`` absolute) are the
ones most modules compare at; a module that compares differently says how where it imports the
helper (``functools.partial`` with the module's parameters).

Examples
--------
>>> case = ref_case("logrank_cox", "ds1_maintenance_n92_ties")
>>> case["inputs"]["csv"]
'data/ds1_maintenance_n92_ties.csv'
>>> reference_path(case["inputs"]["csv"]).is_file()
True
>>> close(0.1 + 0.2, 0.3), close(float("nan"), None), close(1.0, "Inf")
(True, True, False)
"""

from __future__ import annotations

import functools
import json
import math
import numbers
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent
REFERENCE_DIR = TESTS_DIR / "reference"
R_SCRIPT_DIR = REFERENCE_DIR / "r"

RTOL = 1e-6
ATOL = 1e-12


# ------------------------------------------------------------------------------ reference files
class MissingCaseError(KeyError):
    """A case id that the reference file does not have (the message lists the ids it has)."""

    def __str__(self) -> str:
        return str(self.args[0])


class ReferenceCases(dict):
    """The cases of one reference file by id, in file order.

    A missing id raises :class:`MissingCaseError` naming the file and the ids it has; ``in``,
    ``get``, iteration and ``items`` work as for any dict.
    """

    def __init__(self, name: str, cases: Iterable[dict]):
        super().__init__()
        self.name = name
        for case in cases:
            if case["id"] in self:
                raise ValueError(f"case id {case['id']!r} appears twice in tests/reference/{name}")
            self[case["id"]] = case

    def __missing__(self, case_id):
        raise MissingCaseError(f"no case {case_id!r} in tests/reference/{self.name}; "
                               f"its cases are: {', '.join(self)}")


def _file_name(name: str) -> str:
    return name if name.endswith(".json") else f"{name}.json"


@functools.cache
def _read(file: str) -> str:
    path = REFERENCE_DIR / file
    if not path.is_file():
        have = ", ".join(sorted(p.name for p in REFERENCE_DIR.glob("*.json")))
        raise FileNotFoundError(f"no reference file tests/reference/{file}; there are: {have}")
    return path.read_text()


def reference(name: str) -> dict:
    """One reference file, parsed afresh on every call (a caller may change what it gets).

    ``name`` is the file name in ``tests/reference/``, with or without ``.json``.
    """
    return json.loads(_read(_file_name(name)))


def reference_cases(name: str) -> ReferenceCases:
    """The cases of a reference file as ``{id: case}``, with a clear error for a missing id."""
    return ReferenceCases(_file_name(name), reference(name)["cases"])


def ref_case(name: str, case_id: str) -> dict:
    """One case (``{"id", "inputs", "outputs", "source"}``) of a reference file, by id."""
    return reference_cases(name)[case_id]


def reference_params(name: str, prefix: str = "") -> list:
    """The cases of a reference file whose id starts with ``prefix``, as ``pytest.param``s with
    the case id as test id (for ``pytest.mark.parametrize``)."""
    return [pytest.param(c, id=c["id"]) for c in reference(name)["cases"]
            if c["id"].startswith(prefix)]


def reference_path(*parts: str) -> Path:
    """A path inside ``tests/reference/``, e.g. ``reference_path(case["inputs"]["csv"])``."""
    return REFERENCE_DIR.joinpath(*parts)


# ------------------------------------------------------------------------- comparing with R
def r_value(v: Any) -> float:
    """A reference JSON value as a float: null (R's NA) -> nan, "Inf"/"-Inf"/"NaN" -> inf/-inf/nan.

    >>> r_value(None), r_value("-Inf"), r_value(2)
    (nan, -inf, 2.0)
    """
    if v is None:
        return math.nan
    if isinstance(v, str):
        return float(v.replace("Inf", "inf"))
    return float(v)


def approx(expected, rel: float = RTOL, abs: float = ATOL):
    """``pytest.approx`` at the reference tolerances: ``x == approx(r_number)``."""
    return pytest.approx(expected, rel=rel, abs=abs)


def close(actual, expected, rel: float = RTOL,
          abs: float | Callable[[float], float] = ATOL,
          *, na_is_nan: bool = True, symmetric: bool = False) -> bool:
    """Whether ``actual`` agrees with the reference value ``expected`` (True/False, no assert).

    Parameters
    ----------
    actual : float or array-like
        The workbench's number.
    expected : float, array-like, str or None
        The R number. ``None`` (R's NA) matches ``None``, and NaN too when ``na_is_nan``; the
        strings "Inf", "-Inf", "NaN" are read as those floats.
    rel : float, default RTOL (1e-6)
        Relative tolerance.
    abs : float or callable, default ATOL (1e-12)
        Absolute tolerance, or a function of ``rel`` that gives it (for modules whose absolute
        tolerance follows the relative one).
    na_is_nan : bool, default True
        Whether NaN in ``actual`` matches R's NA.
    symmetric : bool, default False
        False: ``pytest.approx`` (tolerance relative to ``expected``). True: ``math.isclose``
        (relative to the larger of the two), infinities equal to themselves; scalars only.
    """
    if expected is None:
        return actual is None or (na_is_nan and isinstance(actual, numbers.Real)
                                  and math.isnan(actual))
    if isinstance(expected, str):
        expected = r_value(expected)
    atol = abs(rel) if callable(abs) else abs
    if symmetric:
        return (math.isclose(actual, expected, rel_tol=rel, abs_tol=atol)
                or (math.isinf(actual) and actual == expected))
    return actual == pytest.approx(expected, rel=rel, abs=atol)


def assert_close(actual, expected, rel: float = RTOL, abs: float = ATOL) -> None:
    """Assert elementwise agreement with reference values: both NA (None or NaN), equal
    infinities, or within ``rel`` (``abs`` near zero). ``expected`` may hold R's null and the
    strings "Inf", "-Inf", "NaN"; its elements are compared with ``actual`` flattened.
    """
    got = np.atleast_1d(np.asarray(actual, dtype=float))
    exp = np.atleast_1d(np.asarray([r_value(v)
                                    for v in np.ravel(np.asarray(expected, dtype=object))]))
    assert got.shape == exp.shape, (got, exp)
    for g, e in zip(got, exp, strict=True):
        if math.isnan(e):
            assert math.isnan(g), (got, exp)
        elif math.isinf(e):
            assert g == e, (got, exp)
        else:
            assert g == pytest.approx(e, rel=rel, abs=abs), (got, exp)


# -------------------------------------------------------------------------------- command line
def _argv(args: Iterable, split: bool) -> list:
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(a)
        elif split and isinstance(a, str):
            out.extend(a.split())
        else:
            out.append(a)
    return out


def run_cli(capsys, *argv, command: Iterable[str] = (), split: bool = False):
    """Run the ``workbench`` command line in-process on ``command + argv`` and return
    ``(exit code, stdout, stderr)``.

    Each of ``argv`` is one argument or a list of them (``run_cli(capsys, ["rates", "--p1",
    "0.3"])`` and ``run_cli(capsys, "rates", "--p1", "0.3")`` are the same call); with
    ``split=True`` a string is split at white space (``"rates --p1 0.3"``).
    """
    from workbench.cli import main

    code = main([*command, *_argv(argv, split)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys, *argv, command: Iterable[str] = (), split: bool = False,
             add_json: bool = False, keys: Iterable[str] | None = None, with_err: bool = False):
    """Run the command line (as :func:`run_cli`), check exit code 0, and parse stdout as exactly
    one JSON document (``json.loads`` fails on anything extra).

    ``add_json`` appends ``--json``; ``keys`` must all be in the output; ``with_err`` returns
    ``(output, stderr)`` instead of the output alone.
    """
    extra = ["--json"] if add_json else []
    code, out, err = run_cli(capsys, *argv, *extra, command=command, split=split)
    assert code == 0, err
    data = json.loads(out)
    if keys is not None:
        assert set(keys) <= set(data), sorted(set(keys) - set(data))
    return (data, err) if with_err else data


def run_error(capsys, *argv, command: Iterable[str] = (), split: bool = False,
              prefix: str | None = None, stdout_empty: bool = True) -> str:
    """Run the command line on bad input and return stderr, checking exit code 2, exactly one line
    on stderr and no traceback, nothing on stdout (unless ``stdout_empty=False``), and that stderr
    starts with ``prefix`` when one is given."""
    code, out, err = run_cli(capsys, *argv, command=command, split=split)
    assert code == 2, err
    if stdout_empty:
        assert out == "", out
    assert err.count("\n") == 1 and "Traceback" not in err, err
    if prefix is not None:
        assert err.startswith(prefix), err
    return err
