"""Power for continuous (HAM-D) outcomes: closed forms.

* :func:`power_ttest` - the two-sample t-test (statsmodels ``TTestIndPower``; the function of
  :mod:`workbench.power.analytic`, re-exported here).
* :func:`power_ancova` - ANCOVA on a baseline covariate with correlation ``rho`` to the end point:
  the residual variance shrinks by ``1 - rho^2`` and one degree of freedom goes to the slope
  (noncentral t with ``n1 + n2 - 3`` df).

Simulated power of a :class:`~workbench.design.ContinuousDesign` with drop-out (the MMRM, the
completers' t-test and ANCOVA, ANCOVA after LOCF) is :func:`workbench.simulate_power` with its
planned ``test``; :func:`workbench.compare_tests` puts them side by side.

Conventions as :mod:`workbench.power.analytic` (those of rpact): arm 1 is the experimental arm,
arm 2 the control, ``allocation_ratio = n1 / n2``, ``alternative`` the alternative hypothesis
about experimental minus control (``"two-sided"``, ``"less"``, ``"greater"``) with ``alpha`` the
total type I error, two-sided power counting both tails.

Examples
--------
>>> res = power_ancova(difference=-4, sd=6, rho=0.5, power=0.8)
>>> res.n_per_arm
[28, 28]
>>> power_ttest(difference=-4, sd=6, power=0.8).n_per_arm
[37, 37]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from scipy import stats

from .._validation import check_alternative, check_positive, check_real
from ..exceptions import InvalidParameterError
from ..results import Result
from ._twoarm import (
    SidedFromAlternative,
    check_alpha,
    check_direction,
    check_dropout,
    check_power,
    enrolled_sizes,
    exactly_one_none,
    orient,
    resolve_sizes,
    sides,
    size_columns,
    solve_increasing,
    standardised_effect,
)
from .analytic import TTestPower, power_ttest

__all__ = [
    "AncovaPower",
    "TTestPower",
    "power_ancova",
    "power_ttest",
]


# --------------------------------------------------------------------------------------------
# ANCOVA, closed form
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AncovaPower(SidedFromAlternative, Result):
    """Power or sample size of an ANCOVA on a baseline covariate (see :func:`power_ancova`).

    ``alternative`` is the side of the test; ``sided`` (1 or 2) follows from it.
    """

    effect_size: float
    rho: float
    power: float
    alpha: float
    alternative: str
    allocation_ratio: float
    n_exact: list[float]
    n_per_arm: list[int]
    n_total: int
    dropout: float
    solved_for: str
    method: str = "ANCOVA on baseline (noncentral t, n1 + n2 - 3 df, variance x (1 - rho^2))"

    _title = "Power for an ANCOVA"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``effect_size``, ``rho`` and the two-arm size columns, alpha to method."""
        return pd.DataFrame([{
            "effect_size": self.effect_size, "rho": self.rho, **size_columns(self),
        }])


def _ancova_power(d: float, rho: float, n1: float, n2: float, alpha: float,
                  alternative: str) -> float:
    """Power of the ANCOVA t-test (noncentral t).

    Both tails when two-sided, else the tail of ``alternative`` (small when the effect ``d`` lies
    the other way).
    """
    df = n1 + n2 - 3
    if df <= 0:
        return float("nan")
    two = alternative == "two-sided"
    nc = orient(d, alternative) / math.sqrt(1 - rho * rho) * math.sqrt(n1 * n2 / (n1 + n2))
    crit = stats.t.ppf(1 - alpha / sides(alternative), df)
    p = stats.nct.sf(crit, df, nc)
    if two:
        p += stats.nct.cdf(-crit, df, nc)
    if not math.isfinite(p):  # scipy's nct fails far in the tail: normal limit there
        p = stats.norm.cdf(nc - crit) + (stats.norm.cdf(-nc - crit) if two else 0.0)
    return float(min(p, 1.0))


def power_ancova(
    effect_size: float | None = None,
    *,
    difference: float | None = None,
    sd: float | None = None,
    rho: float,
    n1: float | None = None,
    n2: float | None = None,
    n_total: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    allocation_ratio: float = 1.0,
    dropout: float = 0.0,
) -> AncovaPower:
    """Power, sample size or detectable difference of an ANCOVA adjusting for baseline.

    Leave exactly one of the size (``n1``/``n2`` or ``n_total``), the effect
    (``effect_size`` or ``difference``/``sd``) and ``power`` unset.

    Parameters
    ----------
    effect_size : float, optional
        Standardised difference at the end point, (mean1 - mean2) / sd, with the unadjusted
        end-point sd.
    difference, sd : float, optional
        Alternative to ``effect_size``.
    rho : float in (-1, 1)
        Correlation between baseline and end point within an arm.
    n1, n2, n_total : float, optional
        Evaluable patients per arm (or in all).
    power : float in (0, 1), optional
    alpha : float in (0, 1), default 0.05
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about mean1 - mean2 (experimental minus control). Against an
        effect in the other direction a one-sided test has the small power of rejecting in the
        stated direction, and solving for the sample size raises an error. Solving for the
        effect returns a negative ``effect_size`` with ``"less"``, a positive one otherwise.
    allocation_ratio : float > 0, default 1
        n1 / n2.
    dropout : float in [0, 1), default 0
        ``n_per_arm`` is inflated by ``1 / (1 - dropout)`` (the ``n_exact`` stay evaluable).

    Returns
    -------
    AncovaPower
        ``n_exact`` unrounded, ``n_per_arm`` rounded up per arm.

    Notes
    -----
    The adjusted difference has variance ``sigma^2 (1 - rho^2) (1/n1 + 1/n2)`` (ignoring the
    chance imbalance of baseline means, negligible beyond very small trials), tested by a t test
    on ``n1 + n2 - 3`` df; power is the noncentral-t probability of both tails when two-sided, of
    the stated tail when one-sided (Borm, Fransen &
    Lemmens 2007, J Clin Epidemiol 60:1234, with the exact t instead of the normal). With
    ``rho = 0`` this is the t-test with one df fewer. Checked against simulation
    (``tests/test_continuous.py``).

    Examples
    --------
    >>> round(power_ancova(0.5, rho=0.6, n1=40, n2=40).power, 4)
    0.7882
    >>> round(power_ancova(rho=0.6, n1=40, n2=40, power=0.9).effect_size, 4)
    0.5872
    >>> power_ancova(difference=-4, sd=6, rho=0.5, power=0.8, alternative="less").n_per_arm
    [22, 22]
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    power = check_power(power, alpha, alternative)
    rho = check_real("rho", rho)
    if not -1 < rho < 1:
        raise InvalidParameterError(f"`rho` must be in (-1, 1); got {rho!r}.")
    allocation_ratio = check_positive("allocation_ratio", allocation_ratio)
    dropout = check_dropout(dropout)
    effect_size = standardised_effect(effect_size, difference, sd)
    n1, n2, r = resolve_sizes(n1, n2, n_total, allocation_ratio)
    given = n1 is not None
    solve = exactly_one_none(n=n1, effect_size=effect_size, power=power)
    if given and n1 + n2 < 4:
        raise InvalidParameterError(
            f"an ANCOVA needs at least 4 patients in all; got n1 = {n1:g}, n2 = {n2:g}.")
    if solve == "n":
        assert effect_size is not None  # given when solving for n
        check_direction(alternative, effect_size, power,
                        h1=f"mean1 - mean2 {'>' if alternative == 'greater' else '<'} 0",
                        assumed=f"effect_size = {effect_size:g}")
        assumed = effect_size

        def f(n2_):
            return _ancova_power(assumed, rho, r * n2_, n2_, alpha, alternative)
        lo = max(2.0, 4.0 / (1 + r)) + 1e-9
        z = stats.norm.ppf(1 - alpha / sides(alternative)) + stats.norm.ppf(power)
        guess = z * z * (1 - rho * rho) * (1 + 1 / r) / effect_size ** 2
        n2 = solve_increasing(f, power, lo, 10 * guess + 100, name="power",
                              what="no sample size reaches it")
        n1 = r * n2
    elif solve == "power":
        power = _ancova_power(effect_size, rho, n1, n2, alpha, alternative)
    else:
        # the detectable effect in the tested direction: negative for "less"
        sign = -1.0 if alternative == "less" else 1.0
        effect_size = sign * solve_increasing(
            lambda d: _ancova_power(sign * d, rho, n1, n2, alpha, alternative), power, 1e-9,
            50.0, name="power", what="no effect size reaches it")
    n_per_arm = enrolled_sizes(n1, n2, dropout, given)
    return AncovaPower(
        effect_size=float(effect_size), rho=rho, power=float(power), alpha=alpha,
        alternative=alternative, allocation_ratio=float(n1 / n2), n_exact=[float(n1), float(n2)],
        n_per_arm=n_per_arm, n_total=sum(n_per_arm), dropout=float(dropout), solved_for=solve,
    )
