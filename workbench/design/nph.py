"""Planned tests for non-proportional hazards in simulated time-to-event trials.

Besides ``"logrank"`` and ``"cox"``, a :class:`~workbench.design.SurvivalDesign` accepts these
test names (``design.planned_tests`` resolves them; the numbers are part of the name):

* ``"fh:RHO:GAMMA"`` - Fleming-Harrington weighted log-rank FH(rho, gamma), e.g. ``"fh:0:1"``;
* ``"mb:T_STAR"`` - Magirr-Burman modestly weighted log-rank with threshold ``t*``;
* ``"maxcombo"`` - the maximum of FH(0,0), FH(0,1), FH(1,0), FH(1,1) with its joint-normal
  p-value;
* ``"rmst:TAU"`` - difference in restricted mean survival time to ``tau``;
* ``"milestone:TIME"`` - difference in Kaplan-Meier survival at a time.

Every statistic is oriented as the design protocol says: experimental minus control on the scale
of events, negative when the experimental arm does better (fewer weighted events than expected;
a longer restricted mean survival; a higher survival at the milestone). The RMST and milestone
statistics are NaN (never a rejection) in a replicate where an arm's follow-up ends before the
horizon, as it can at an early interim look. MaxCombo's statistic is
the normal quantile of its p-value for the alternative being simulated (``options["alternative"]``),
so the usual normal rejection rule applies to it exactly. All run on whole blocks of replicates
(:mod:`workbench.kernels.replicates`, :mod:`workbench.kernels.curves`,
:mod:`workbench.kernels.maxcombo`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from scipy.special import ndtri

from ..exceptions import InvalidParameterError
from ..kernels.curves import km_arrays
from ..kernels.maxcombo import MAXCOMBO_TESTS, maxcombo_p_one_sided, maxcombo_p_two_sided
from ..kernels.replicates import weighted_logrank_arrays
from .protocol import PlannedTest

__all__ = ["NPH_TEST_PATTERNS", "PlannedTestTable", "parse_nph_test"]

#: the parameterised test names a survival design accepts besides its fixed ones
NPH_TEST_PATTERNS = ("fh:RHO:GAMMA", "mb:T_STAR", "maxcombo", "rmst:TAU", "milestone:TIME")


def _arm1(design, sims) -> np.ndarray:
    return sims.arm == design.experimental_index


def _events(sims) -> np.ndarray:
    return sims.event.sum(axis=1).astype(float)


def _weighted(design, sims, options, *, weight) -> dict[str, np.ndarray]:
    res = weighted_logrank_arrays(sims.time, sims.event, _arm1(design, sims), weights=[weight])
    return {"z": res.z[:, 0], "events": res.events.astype(float)}


def _maxcombo(design, sims, options) -> dict[str, np.ndarray]:
    res = weighted_logrank_arrays(sims.time, sims.event, _arm1(design, sims),
                                  weights=[("fh", r, g) for r, g in MAXCOMBO_TESTS])
    z, corr = res.z, res.correlation
    alternative = options.get("alternative", "two-sided")
    with np.errstate(invalid="ignore", divide="ignore"):
        if alternative == "less":
            stat = ndtri(maxcombo_p_one_sided(-z, corr))
        elif alternative == "greater":
            stat = -ndtri(maxcombo_p_one_sided(z, corr))
        else:
            p2 = maxcombo_p_two_sided(z, corr)
            sign = np.sign(np.take_along_axis(z, np.argmax(np.abs(z), axis=1)[:, None], 1)[:, 0])
            stat = np.where(sign < 0, -1.0, 1.0) * -ndtri(p2 / 2)
    return {"z": stat, "events": res.events.astype(float)}


def _difference(kind, value, design, sims, options) -> dict[str, np.ndarray]:
    if kind == "rmst":
        res = km_arrays(sims.time, sims.event, _arm1(design, sims), tau=value)
        est, se = res.rmst, res.rmst_se
    else:
        res = km_arrays(sims.time, sims.event, _arm1(design, sims), at=value)
        est, se = res.survival, res.survival_se
    assert est is not None and se is not None
    diff = est[:, 0] - est[:, 1]  # experimental minus control: > 0 is a benefit
    s = np.hypot(se[:, 0], se[:, 1])
    # undefined (NaN, never a rejection) where an arm's follow-up ends before the horizon,
    # as at an early interim look
    arm1 = np.broadcast_to(_arm1(design, sims), sims.time.shape)
    last = np.minimum(np.max(np.where(arm1, sims.time, -np.inf), axis=1),
                      np.max(np.where(arm1, -np.inf, sims.time), axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where((s > 0) & (last >= value), -diff / s, np.nan)
    return {"z": z, "events": _events(sims), "estimate": diff}


def parse_nph_test(name: str) -> PlannedTest | None:
    """The planned-test function of a parameterised name, None when ``name`` is not one.

    >>> parse_nph_test("fh:0:1").keywords["weight"]
    ('fh', 0.0, 1.0)
    >>> parse_nph_test("logrank") is None
    True
    """
    if not isinstance(name, str):
        return None
    parts = name.strip().split(":")
    head, args = parts[0].lower(), parts[1:]
    if head == "maxcombo" and not args:
        return _maxcombo
    want = {"fh": 2, "mb": 1, "rmst": 1, "milestone": 1}.get(head)
    if want is None:
        return None
    try:
        values = [float(a) for a in args]
    except ValueError:
        values = []
    ok = len(values) == want and all(math.isfinite(v) for v in values)
    ok = ok and (all(v >= 0 for v in values) if head == "fh" else all(v > 0 for v in values))
    if not ok:
        pattern = next(p for p in NPH_TEST_PATTERNS if p.startswith(head + ":"))
        what = "RHO >= 0 and GAMMA >= 0" if head == "fh" else "a time > 0"
        raise InvalidParameterError(f"`test` {name!r} must be {pattern} with {what}.")
    if head == "fh":
        return functools.partial(_weighted, weight=("fh", values[0], values[1]))
    if head == "mb":
        return functools.partial(_weighted, weight=("mb", values[0]))
    return functools.partial(_difference, head, values[0])


class PlannedTestTable(Mapping):
    """Named planned tests plus the parameterised ones of :data:`NPH_TEST_PATTERNS`.

    Iterating gives the fixed names only (the first is the default); ``name in table`` and
    ``table[name]`` also accept ``"fh:0:1"``, ``"mb:12"``, ``"maxcombo"``, ``"rmst:30"``,
    ``"milestone:24"``.
    """

    patterns = NPH_TEST_PATTERNS

    def __init__(self, fixed: dict[str, PlannedTest]):
        self._fixed = dict(fixed)

    def __getitem__(self, name: Any) -> PlannedTest:
        if name in self._fixed:
            return self._fixed[name]
        fn = parse_nph_test(name)
        if fn is None:
            raise KeyError(name)
        return fn

    def __contains__(self, name: object) -> bool:
        try:
            self[name]
        except (KeyError, InvalidParameterError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._fixed)

    def __len__(self) -> int:
        return len(self._fixed)

    def __repr__(self) -> str:
        return f"PlannedTestTable({list(self._fixed)} + {list(self.patterns)})"
