"""Expectations on the results a notebook records: bounds a pipeline checks after every case.

A pipeline (or one of its cases) declares them under ``expect:``, one per recorded result::

    expect:
      power: ">= 0.8"
      hazard_ratio: "between 0.6 and 0.8"
      n_total: "== 200"
      type1_error: [0.03, 0.07]        # the same as "between 0.03 and 0.07"
      events: [">= 100", "< 400"]      # several conditions, all must hold

A name is a recorded result, or ``name.key`` for an entry of a recorded dictionary (the columns of
``results.csv``). The grammar, checked when the pipeline is loaded:

- ``OP NUMBER`` with ``OP`` one of ``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=``;
- ``between LOW and HIGH`` (both ends included, ``LOW <= HIGH``);
- a list ``[LOW, HIGH]`` of two numbers (``null`` for an open end), both ends included;
- a list of strings of the forms above, all of which must hold.
"""

from __future__ import annotations

import dataclasses
import math
import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .exceptions import InvalidParameterError

__all__ = ["Expectation", "CheckResult", "parse_expectation", "parse_expectations",
           "check_expectations"]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
        "==": operator.eq, "!=": operator.ne}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_COMPARE = re.compile(rf"^\s*(>=|<=|==|!=|>|<)\s*({_NUMBER})\s*$")
_BETWEEN = re.compile(rf"^\s*between\s+({_NUMBER})\s+and\s+({_NUMBER})\s*$", re.I)
_GRAMMAR = "'>= 0.8', '< 1.2', '== 3', 'between 0.4 and 0.7' or a list [low, high]"


@dataclasses.dataclass(frozen=True)
class Expectation:
    """One condition on a recorded number: ``op`` compared with ``bound`` (``between`` has two).

    Examples
    --------
    >>> e = parse_expectation("power", ">= 0.8")
    >>> e.holds(0.83), e.holds(0.79), e.text
    (True, False, '>= 0.8')
    """

    name: str
    op: str
    bound: float
    upper: float | None = None  # only for "between"

    @property
    def text(self) -> str:
        """The condition as written in the grammar (``>= 0.8``, ``between 0.4 and 0.7``)."""
        if self.op == "between":
            return f"between {self.bound:g} and {self.upper:g}"
        return f"{self.op} {self.bound:g}"

    def holds(self, value: float) -> bool:
        """Whether ``value`` satisfies the condition (never for NaN)."""
        if math.isnan(value):
            return False
        if self.op == "between":
            return self.upper is not None and self.bound <= value <= self.upper
        return bool(_OPS[self.op](value, self.bound))


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """An expectation checked against the value a case recorded."""

    expectation: Expectation
    value: float
    passed: bool

    def describe(self) -> str:
        """One line naming the result, the bound and the value.

        Examples
        --------
        >>> e = parse_expectation("power", ">= 0.8")
        >>> CheckResult(e, 0.62, False).describe()
        'expectation failed: power >= 0.8, recorded power = 0.62'
        """
        state = "met" if self.passed else "failed"
        return (f"expectation {state}: {self.expectation.name} {self.expectation.text}, "
                f"recorded {self.expectation.name} = {self.value:.6g}")

    def to_dict(self) -> dict:
        """JSON-ready: ``name``, ``expect``, ``value``, ``passed``."""
        return {"name": self.expectation.name, "expect": self.expectation.text,
                "value": self.value, "passed": self.passed}


def _number(text: Any, name: str, where: str) -> float:
    if isinstance(text, bool) or not isinstance(text, int | float | str):
        raise InvalidParameterError(
            f"`expect.{name}` of {where}: bound {text!r} is not a number; write {_GRAMMAR}.")
    try:
        value = float(text)
    except ValueError:
        raise InvalidParameterError(
            f"`expect.{name}` of {where}: bound {text!r} is not a number; write {_GRAMMAR}."
        ) from None
    if math.isnan(value):
        raise InvalidParameterError(f"`expect.{name}` of {where}: a bound may not be NaN.")
    return value


def parse_expectation(name: str, spec: Any, *, where: str = "the pipeline") -> Expectation:
    """One condition from its text (``">= 0.8"``, ``"between 0.4 and 0.7"``) or a ``[low, high]``.

    Raises
    ------
    InvalidParameterError
        Naming ``expect.<name>``, the value and the grammar.

    Examples
    --------
    >>> parse_expectation("hazard_ratio", "between 0.6 and 0.8").holds(0.7)
    True
    >>> parse_expectation("hazard_ratio", [None, 0.8]).text
    '<= 0.8'
    """
    if isinstance(spec, list | tuple) and len(spec) == 2 and not any(
            isinstance(x, str) for x in spec):
        low, high = spec
        if low is None and high is None:
            raise InvalidParameterError(
                f"`expect.{name}` of {where}: [null, null] bounds nothing; write {_GRAMMAR}.")
        if low is None:
            return Expectation(name, "<=", _number(high, name, where))
        if high is None:
            return Expectation(name, ">=", _number(low, name, where))
        spec = f"between {_number(low, name, where)!r} and {_number(high, name, where)!r}"
    if not isinstance(spec, str):
        raise InvalidParameterError(
            f"`expect.{name}` of {where} must be {_GRAMMAR}; got {spec!r}.")
    m = _COMPARE.match(spec)
    if m:
        return Expectation(name, m.group(1), _number(m.group(2), name, where))
    m = _BETWEEN.match(spec)
    if m:
        low, high = float(m.group(1)), float(m.group(2))
        if low > high:
            raise InvalidParameterError(
                f"`expect.{name}` of {where}: {spec!r} has its low bound above its high bound.")
        return Expectation(name, "between", low, high)
    raise InvalidParameterError(f"`expect.{name}` of {where} must be {_GRAMMAR}; got {spec!r}.")


def parse_expectations(spec: Any, *, where: str = "the pipeline") -> tuple[Expectation, ...]:
    """All conditions of an ``expect:`` mapping, checked (a malformed one raises).

    Examples
    --------
    >>> [e.text for e in parse_expectations({"power": ">= 0.8", "events": [">= 100", "< 400"]})]
    ['>= 0.8', '>= 100', '< 400']
    """
    if spec is None:
        return ()
    if not isinstance(spec, Mapping):
        raise InvalidParameterError(
            f"`expect` of {where} must be a mapping of result name -> condition; got {spec!r}.")
    out: list[Expectation] = []
    for name, cond in spec.items():
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(
                f"`expect` of {where}: result names must be non-empty strings; got {name!r}.")
        conds = cond if isinstance(cond, list) and cond and all(
            isinstance(c, str) for c in cond) else [cond]
        out += [parse_expectation(name, c, where=where) for c in conds]
    return tuple(out)


def check_expectations(expectations: Sequence[Expectation], results: Mapping[str, Any], *,
                       where: str = "the pipeline",
                       case: str = "the case") -> tuple[CheckResult, ...]:
    """Check each expectation against the recorded ``results`` (flattened: ``name.key``).

    Raises
    ------
    InvalidParameterError
        An expectation on a name that is not in ``results`` (the message lists those that are) or
        on a value that is not a number: an input error, not a failed check.

    Examples
    --------
    >>> checks = check_expectations(parse_expectations({"power": ">= 0.8"}), {"power": 0.62})
    >>> [c.describe() for c in checks]
    ['expectation failed: power >= 0.8, recorded power = 0.62']
    """
    out = []
    for e in expectations:
        if e.name not in results:
            names = ", ".join(sorted(results)) or "nothing"
            raise InvalidParameterError(
                f"`expect.{e.name}` of {where}: {case} recorded no result `{e.name}`; it "
                f"recorded: {names}.")
        value = results[e.name]
        if value is None:
            value = float("nan")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidParameterError(
                f"`expect.{e.name}` of {where}: {case} recorded {e.name} = {value!r}, not a "
                "number.")
        out.append(CheckResult(e, float(value), e.holds(float(value))))
    return tuple(out)
