"""Closed-form power and sample size for two-arm trials.

Three families, each with one function that solves for whichever of sample size, effect and
power is left as ``None`` (as statsmodels' ``solve_power``):

- :func:`power_rates`: two proportions, by the normal approximation as R rpact
  ``getSampleSizeRates``/``getPowerRates`` (pooled variance under H0, Farrington-Manning restricted
  variance for a non-inferiority margin), or by the arcsine transformation (Cohen's h) as R pwr
  ``pwr.2p.test``/``pwr.2p2n.test``;
- :func:`power_survival`: time to event, events by Schoenfeld (1983), Freedman (1982) or
  Hsieh-Freedman, and patients from events given accrual, follow-up and loss to follow-up, as
  rpact ``getSampleSizeSurvival``/``getPowerSurvival``;
- :func:`power_ttest`: the two-sample t-test (statsmodels ``TTestIndPower``).

Long by design: one concern, the closed-form two-arm power that rpact's ``getSampleSize*`` /
``getPower*`` compute, in three families sharing one solver convention and result layout (the
machinery they share is in :mod:`workbench.power._twoarm`).

Conventions (those of rpact): arm 1 is the experimental arm, arm 2 the control;
``allocation_ratio`` is n1 / n2; ``alpha`` is the total type I error. ``alternative`` is the
alternative hypothesis about experimental minus control (the difference p1 - p2, the log hazard
ratio, the mean difference): ``"two-sided"`` (the default; ``alpha / 2`` in each tail),
``"less"`` or ``"greater"`` (one-sided, all of ``alpha`` in that tail); a hazard ratio below 1
is ``"less"``. A one-sided test in the direction of the assumed effect gives the numbers rpact
and pwr give for ``sided = 1``; against an effect in the other direction its power is the small
probability of rejecting in the stated direction (as pwr with ``alternative = "less"`` and a
positive effect), and no sample size reaches a target power. Results keep ``sided`` (1 or 2) as
a read-only property. Sample sizes are returned unrounded (``n_exact``, ``events_exact``) and
rounded up per arm (``n_per_arm``, ``events``).

Two-sided power counts both tails, as rpact and pwr do. The sample size of the normal
approximations solves the one-tail equation (rpact's default ``twoSidedPower = FALSE``), so the
power at the returned size exceeds the target by the negligible mass of the far tail; with
``two_sided_power=True`` the sample size solves the both-tails equation instead.

Examples
--------
The T1 maintenance scenario, 27% vs 47% recurrence by 48 months, accrual over 24 months and 48
months of follow-up after the end of accrual:

>>> res = power_survival(p1=0.27, p2=0.47, at=48, accrual_time=24, follow_up=48, power=0.8)
>>> round(res.hazard_ratio, 4), res.events, res.n_per_arm, res.n_total
(0.4957, 64, [74, 74], 148)

One-sided at 2.5%: experimental lower than control, the direction of the effect:

>>> res = power_survival(0.5, power=0.8, alpha=0.025, alternative="less")
>>> res.events, res.sided
(66, 1)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import special

from .._validation import (
    check_alternative,
    check_choice,
    check_positive,
    check_probability,
    check_real,
)
from ..exceptions import InvalidParameterError
from ..kernels.score import farrington_manning_rmle
from ..results import Result
from ._twoarm import (
    N_MAX,
    SidedFromAlternative,
    ceil_size,
    check_alpha,
    check_direction,
    check_dropout,
    check_power,
    check_reachable,
    enrolled_sizes,
    exactly_one_none,
    normal_power,
    orient,
    resolve_sizes,
    rounded_sizes,
    sides,
    size_columns,
    solve_increasing,
    split,
    standardised_effect,
    z_quantile,
)

if TYPE_CHECKING:  # pandas is imported when a summary table is made
    import pandas as pd

#: Default accrual period (time units) of :func:`power_survival` and of the group-sequential
#: time-to-event sample size: rpact's ``accrualTime = c(0, 12)``. Also the command line's default
#: for ``--accrual-time`` and ``--accrual``.
DEFAULT_ACCRUAL_TIME = 12.0
#: Default time (time units) at which drop-out probabilities are given: rpact's
#: ``dropoutTime = 12``. Also the command line's default for ``--dropout-at``.
DEFAULT_DROPOUT_TIME = 12.0

__all__ = [
    "DEFAULT_ACCRUAL_TIME",
    "DEFAULT_DROPOUT_TIME",
    "RatesPower",
    "SurvivalPower",
    "TTestPower",
    "power_rates",
    "power_survival",
    "power_ttest",
    "events_schoenfeld",
    "events_freedman",
    "hazard_ratio_from_probabilities",
    "event_probability",
    "farrington_manning_rmle",
    "rates_standard_deviations",
    "ceil_size",
]


# --------------------------------------------------------------------------------------------
# two proportions
# --------------------------------------------------------------------------------------------
def rates_standard_deviations(p1: float, p2: float, r: float,
                              margin: float) -> tuple[float, float]:
    """Per-n2 standard deviations of p1_hat - p2_hat under H0 and H1 (n2 = 1, n1 = r).

    Pooled under H0 without a margin, Farrington-Manning restricted estimates with one (as rpact).

    >>> [round(s, 6) for s in rates_standard_deviations(0.27, 0.47, 1.0, 0.0)]
    [0.682788, 0.667982]
    """
    v1 = p1 * (1 - p1) / r + p2 * (1 - p2)
    if margin == 0:
        pbar = (r * p1 + p2) / (1 + r)
        v0 = pbar * (1 - pbar) * (1 + 1 / r)
    else:
        a, b = farrington_manning_rmle(p1, p2, margin, r)
        v0 = a * (1 - a) / r + b * (1 - b)
    return math.sqrt(v0), math.sqrt(v1)


def _power_rates_normal(p1, p2, n1, n2, alpha, alternative, margin):
    r = n1 / n2
    s0, s1 = rates_standard_deviations(p1, p2, r, margin)
    s0, s1 = s0 / math.sqrt(n2), s1 / math.sqrt(n2)
    z = z_quantile(1 - alpha / sides(alternative))
    # the difference seen from the rejection tail: negative when the effect lies the other way
    delta = orient(p1 - p2 - margin, alternative)
    if alternative != "two-sided":
        return float(special.ndtr((delta - z * s0) / s1))
    # rpact getPowerRates: the H0/H1 variance ratio folded into a drift, both tails counted
    drift = delta / s1 + z * (1 - s0 / s1)
    return float(special.ndtr(drift - z) + special.ndtr(-drift - z))


def _power_rates_arcsine(p1, p2, n1, n2, alpha, alternative):
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    drift = h * math.sqrt(n1 * n2 / (n1 + n2))
    return normal_power(drift, z_quantile(1 - alpha / sides(alternative)), alternative)


def _cohen_h(p1, p2):
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


@dataclass(frozen=True)
class RatesPower(SidedFromAlternative, Result):
    """Power or sample size for comparing two proportions (see :func:`power_rates`).

    ``n_exact`` are the unrounded analysable sizes per arm; ``n_per_arm`` the sizes to enrol,
    rounded up per arm after inflating for ``dropout``; ``n_total`` their sum. ``alternative``
    is the side of the test (``sided``, 1 or 2, follows from it).
    """

    p1: float
    p2: float
    power: float
    alpha: float
    alternative: str
    allocation_ratio: float
    margin: float
    method: str
    n_exact: list[float]
    n_per_arm: list[int]
    n_total: int
    dropout: float
    effect_size: float
    solved_for: str
    test: str
    reference: str

    _title = "Power for two proportions"

    @property
    def difference(self) -> float:
        """The difference ``p1 - p2``."""
        return self.p1 - self.p2

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``p1, p2, difference, margin, effect_size`` and the two-arm size columns.

        The size columns are those of every two-arm power result, ``alpha`` to ``method``.
        """
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "p1": self.p1,
                    "p2": self.p2,
                    "difference": self.difference,
                    "margin": self.margin,
                    "effect_size": self.effect_size,
                    **size_columns(self),
                }
            ]
        )


_RATES_METHODS = ("normal", "arcsine")


def power_rates(
    p1: float | None = None,
    p2: float | None = None,
    *,
    n1: float | None = None,
    n2: float | None = None,
    n_total: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    allocation_ratio: float = 1.0,
    margin: float = 0.0,
    method: str = "normal",
    dropout: float = 0.0,
    two_sided_power: bool = False,
    rounding: str = "per-arm",
) -> RatesPower:
    """Power, sample size or detectable rate for comparing two proportions.

    Leave exactly one of the sample size (``n1``/``n2`` or ``n_total``), the effect (``p1``) and
    ``power`` unset (None); it is solved for.

    Parameters
    ----------
    p1 : float in (0, 1) or None
        Event (or response) probability in arm 1, the experimental arm. None: solve for the
        ``p1`` detected with ``power``: above ``p2`` with ``alternative="greater"``, below it
        with ``"less"`` and ``"two-sided"`` (for the two-sided ``p1`` above ``p2`` use the
        complementary outcome, ``1 - power_rates(None, 1 - p2, ...).p1``: the test is the
        same); with a ``margin``, on the side the margin says is better.
    p2 : float in (0, 1)
        Probability in arm 2, the control arm.
    n1, n2 : float > 0, optional
        Analysable patients per arm (for power or the detectable ``p1``). Whole numbers; an
        unrounded size (the ``n_exact`` of a sample size, as rpact takes it) is used as it is,
        while ``n_per_arm`` shows it rounded up. The command line takes whole numbers only.
    n_total : float > 0, optional
        Total analysable patients, split by ``allocation_ratio`` (alternative to ``n1``, ``n2``).
    power : float in (0, 1) or None
    alpha : float in (0, 1), default 0.05
        Type I error (a two-sided test splits it between the tails).
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about p1 - p2 (experimental minus control). A one-sided test
        in the direction of the assumed difference gives rpact's ``sided = 1`` numbers; against
        a difference the other way the power is the small probability of rejecting in the stated
        direction, and solving for the sample size raises an error. With a non-inferiority
        ``margin`` the side follows the margin: ``"greater"`` for a negative margin (H1:
        p1 - p2 > margin), ``"less"`` for a positive one; anything else is an error.
    allocation_ratio : float > 0, default 1
        n1 / n2 (rpact's ``allocationRatioPlanned``); ignored when ``n1`` and ``n2`` are given.
    margin : float, default 0
        Non-inferiority margin on the difference p1 - p2 (rpact's ``thetaH0``): negative when
        higher rates are better (H0: p1 - p2 <= margin), positive when lower rates are better
        (H0: p1 - p2 >= margin). The variance under H0 uses the Farrington-Manning restricted
        estimates. Only with ``method="normal"``.
    method : {"normal", "arcsine"}, default "normal"
        ``"normal"``: rpact's normal approximation (pooled variance under H0, unpooled under H1).
        ``"arcsine"``: Cohen's h with variance 1/n1 + 1/n2, as R pwr.
    dropout : float in [0, 1), default 0
        Fraction of enrolled patients expected to give no outcome; ``n_per_arm`` is inflated to
        ``n_exact / (1 - dropout)`` before rounding up.
    two_sided_power : bool, default False
        rpact's ``twoSidedPower``, which is not about the side of the test: with
        ``alternative="two-sided"``, solve the sample size so that the power counting
        rejections in both tails (the wrong one included) reaches ``power``, instead of the
        one-tail equation. No effect on one-sided tests or on power at given sizes (which
        always counts both tails of a two-sided test).
    rounding : {"per-arm", "allocation"}, default "per-arm"
        How solved sizes are rounded up: each arm separately (as the rpact reference values), or
        in whole allocation blocks so that n1 : n2 stays exactly the allocation ratio (e.g. 1:2 ->
        68 and 136; the ratio must be a ratio of whole numbers up to 1000).

    Returns
    -------
    RatesPower
        ``summary`` columns: p1, p2, difference, margin, effect_size (Cohen's h or the
        difference), alpha, alternative, power, allocation_ratio, n1_exact, n2_exact, n1, n2,
        n_total, dropout, method.

    Notes
    -----
    Normal approximation: n2 = (z_a sd0 + z_b sd1)^2 / (p1 - p2 - margin)^2 with per-n2 variances
    sd0^2 = pbar(1 - pbar)(1 + 1/r) under H0 (pbar = (r p1 + p2)/(1 + r); Farrington-Manning
    restricted estimates with a margin) and sd1^2 = p1 q1 / r + p2 q2 under H1; n1 = r n2. The
    power of a two-sided test is rpact's: Phi(D - z) + Phi(-D - z) with
    D = |delta|/s1 + z (1 - s0/s1); of a one-sided test Phi((delta - z s0) / s1) with delta
    signed towards the stated alternative. Matches rpact 3.3.4
    ``getSampleSizeRates``/``getPowerRates`` and pwr 1.3 ``pwr.2p.test``/``pwr.2p2n.test`` to
    1e-6 (tests/reference/sample_size_rates.json).

    Examples
    --------
    >>> res = power_rates(0.27, 0.47, power=0.8)
    >>> [round(x, 4) for x in res.n_exact], res.n_per_arm
    ([90.2907, 90.2907], [91, 91])
    >>> round(power_rates(0.27, 0.47, n1=41, n2=51).power, 4)
    0.5015
    >>> power_rates(0.27, 0.47, power=0.8, method="arcsine").n_per_arm
    [90, 90]

    One-sided: the power to show a higher rate in arm 1 when it is in fact lower is tiny.

    >>> round(power_rates(0.27, 0.47, n1=41, n2=51, alternative="less", alpha=0.025).power, 4)
    0.5015
    >>> power_rates(0.27, 0.47, n1=41, n2=51, alternative="greater", alpha=0.025).power < 1e-4
    True
    """
    check_choice("method", method, _RATES_METHODS)
    check_choice("rounding", rounding, ("per-arm", "allocation"))
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    power = check_power(power, alpha, alternative)
    if p2 is None:
        raise InvalidParameterError("`p2` (the control arm's probability) is required.")
    p2 = check_probability("p2", p2)
    p1 = check_probability("p1", p1, allow_none=True)
    allocation_ratio = check_positive("allocation_ratio", allocation_ratio)
    margin = check_real("margin", margin)
    dropout = check_dropout(dropout)
    n1, n2, r = resolve_sizes(n1, n2, n_total, allocation_ratio)
    sizes_given = n1 is not None
    solve = exactly_one_none(n=n1, p1=p1, power=power)

    if margin != 0:
        if method != "normal":
            raise InvalidParameterError(
                "`margin` (non-inferiority) needs method='normal' (Farrington-Manning); "
                f"got method={method!r}."
            )
        need = "greater" if margin < 0 else "less"
        if alternative != need:
            raise InvalidParameterError(
                f"`alternative`: a non-inferiority margin of {margin:g} "
                f"({'higher' if margin < 0 else 'lower'} rates better, H1: p1 - p2 "
                f"{'>' if margin < 0 else '<'} {margin:g}) needs the one-sided "
                f"alternative={need!r} (usually with alpha=0.025); got {alternative!r}."
            )
        if not -1 < margin < 1:
            raise InvalidParameterError(f"`margin` must be in (-1, 1); got {margin!r}.")
        if not 0 < p2 + margin < 1:
            raise InvalidParameterError(
                f"`margin` {margin:g} puts the null boundary p2 + margin = {p2 + margin:g} "
                "outside (0, 1)."
            )
    if p1 is not None:
        if margin == 0 and p1 == p2:
            raise InvalidParameterError(
                f"`p1` equals `p2` ({p1:g}): there is no difference to detect (give a `margin` "
                "for non-inferiority)."
            )
        if margin != 0 and (p1 - p2 - margin) * margin >= 0:
            better = "higher" if margin < 0 else "lower"
            raise InvalidParameterError(
                f"`margin` has the wrong sign for p1 - p2 = {p1 - p2:g}: a margin of {margin:g} "
                "means "
                f"{better} rates are better, so the assumed difference must lie on the "
                f"{'upper' if margin < 0 else 'lower'} side of it (p1 - p2 "
                f"{'>' if margin < 0 else '<'} {margin:g})."
            )

    def power_at(q1, a, b):
        if method == "arcsine":
            return _power_rates_arcsine(q1, p2, a, b, alpha, alternative)
        return _power_rates_normal(q1, p2, a, b, alpha, alternative, margin)

    if solve == "n":
        check_direction(alternative, p1 - p2 - margin, power,
                        h1=f"p1 - p2 {'>' if alternative == 'greater' else '<'} {margin:g}",
                        assumed=f"p1 - p2 = {p1 - p2:g}")
        z_a, z_b = z_quantile(1 - alpha / sides(alternative)), z_quantile(power)
        if method == "normal" and not (two_sided_power and alternative == "two-sided"):
            s0, s1 = rates_standard_deviations(p1, p2, r, margin)
            n2 = (z_a * s0 + z_b * s1) ** 2 / (p1 - p2 - margin) ** 2
        else:
            # pwr.2p.test / twoSidedPower: both tails, solved numerically
            hi = 10.0
            while power_at(p1, r * hi, hi) < power and hi < N_MAX:
                hi *= 4
            check_reachable(hi if power_at(p1, r * hi, hi) >= power else math.inf, power,
                            "patients")
            n2 = solve_increasing(
                lambda x: power_at(p1, r * x, x), power, 1e-6, hi, name="power",
                what=f"p1 = {p1:g} vs p2 = {p2:g} needs more than {N_MAX:g} patients",
            )
        n1 = r * n2
        check_reachable(n1 + n2, power, "patients")
    elif solve == "power":
        power = power_at(p1, n1, n2)
    else:  # p1
        if margin != 0:
            lower = margin > 0
        else:
            lower = alternative != "greater"
        eps = 1e-10
        edge = (0.0 + eps) if lower else (1.0 - eps)
        start = p2 + margin
        dist = abs(edge - start)

        def f(t):
            q1 = start - t if lower else start + t
            return power_at(q1, n1, n2)

        t = solve_increasing(
            f, power, 1e-12, dist - 1e-12, name="power",
            what=f"no p1 {'below' if lower else 'above'} {start:g} reaches it with n1 = {n1:g}, "
            f"n2 = {n2:g}",
        )
        p1 = start - t if lower else start + t

    n_exact = [float(n1), float(n2)]
    n_per_arm = enrolled_sizes(n1, n2, dropout, sizes_given, rounding)
    if method == "arcsine":
        effect = _cohen_h(p1, p2)
        test = "two-proportion z-test on the arcsine scale (Cohen's h)"
        reference = "Cohen (1988); R pwr pwr.2p.test / pwr.2p2n.test"
    elif margin != 0:
        effect = p1 - p2
        test = "Farrington-Manning non-inferiority test for the difference of two proportions"
        reference = "Farrington and Manning (1990); R rpact getSampleSizeRates"
    else:
        effect = p1 - p2
        test = "two-proportion z-test (chi-square test without continuity correction)"
        reference = "normal approximation as R rpact getSampleSizeRates / getPowerRates"
    return RatesPower(
        p1=float(p1), p2=p2, power=float(power), alpha=alpha, alternative=alternative,
        allocation_ratio=float(n1 / n2), margin=margin, method=method, n_exact=n_exact,
        n_per_arm=n_per_arm, n_total=sum(n_per_arm), dropout=float(dropout),
        effect_size=float(effect), solved_for=solve, test=test, reference=reference,
    )


# --------------------------------------------------------------------------------------------
# time to event
# --------------------------------------------------------------------------------------------
_SURVIVAL_METHODS = ("schoenfeld", "freedman", "hsieh-freedman")
_SURVIVAL_REFERENCES = {
    "schoenfeld": "Schoenfeld (1983)",
    "freedman": "Freedman (1982)",
    "hsieh-freedman": "Hsieh (1992), Freedman (1982)",
}


def hazard_ratio_from_probabilities(p1: float, p2: float, at: float) -> float:
    """Hazard ratio lambda1 / lambda2 of exponential arms with event probabilities by ``at``.

    lambda_i = -log(1 - p_i) / at, as rpact derives it from ``pi1``, ``pi2`` and ``eventTime``
    (the ratio does not depend on ``at``).

    >>> round(hazard_ratio_from_probabilities(0.27, 0.47, 48), 12)
    0.495702496846
    """
    p1 = check_probability("p1", p1)
    p2 = check_probability("p2", p2)
    check_positive("at", at)
    return math.log1p(-p1) / math.log1p(-p2)


def _drift_per_sqrt_event(hr: float, r: float, method: str) -> float:
    """|E(Z)| / sqrt(D) of the log-rank statistic under each approximation."""
    if method == "schoenfeld":
        return math.sqrt(r) / (1 + r) * abs(math.log(hr))
    if method == "freedman":
        return math.sqrt(r) * abs(1 - hr) / (1 + r * hr)
    return 2 * math.sqrt(r) / (1 + r) * abs(1 - hr) / (1 + hr)


def _signed_drift(hr: float, r: float, method: str, events: float) -> float:
    """E(Z) of the log-rank statistic oriented as the log hazard ratio (negative when HR < 1)."""
    return math.copysign(_drift_per_sqrt_event(hr, r, method) * math.sqrt(events), math.log(hr))


def _events_required(hr, alpha, power, alternative, r, method, two_sided_power):
    check_direction(alternative, math.log(hr), power,
                    h1=("log(hazard ratio) < 0 (hazard ratio below 1)" if alternative == "less"
                        else "log(hazard ratio) > 0 (hazard ratio above 1)"),
                    assumed=f"hazard ratio = {hr:g}")
    c = _drift_per_sqrt_event(hr, r, method)
    z_a = z_quantile(1 - alpha / sides(alternative))
    d = ((z_a + z_quantile(power)) / c) ** 2
    if two_sided_power and alternative == "two-sided":
        d = solve_increasing(
            lambda x: normal_power(c * math.sqrt(x), z_a, "two-sided"), power, 1e-9, 4 * d + 10,
            name="power", what="numerical failure",
        )
    return d


def events_schoenfeld(hazard_ratio: float, *, alpha: float = 0.05, power: float = 0.8,
                      alternative: str = "two-sided", allocation_ratio: float = 1.0) -> float:
    """Events needed by Schoenfeld's formula (unrounded).

    D = (z_{1-alpha/k} + z_power)^2 (1 + r)^2 / (r log(HR)^2), r = n1 / n2, k = 2 for
    ``alternative="two-sided"`` and 1 for ``"less"`` (HR below 1) or ``"greater"``; a one-sided
    ``alternative`` against the direction of ``hazard_ratio`` raises an error.

    >>> round(events_schoenfeld(0.5), 6)
    65.345659
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    return _events_required(_check_hr(hazard_ratio), alpha,
                            check_probability("power", power), alternative,
                            check_positive("allocation_ratio", allocation_ratio), "schoenfeld",
                            False)


def events_freedman(hazard_ratio: float, *, alpha: float = 0.05, power: float = 0.8,
                    alternative: str = "two-sided", allocation_ratio: float = 1.0) -> float:
    """Events needed by Freedman's formula (unrounded), as rpact.

    D = (z_{1-alpha/k} + z_power)^2 (1 + r HR)^2 / (r (1 - HR)^2), r = n1 / n2, k as in
    :func:`events_schoenfeld`.

    >>> round(events_freedman(0.5), 6)
    70.639918
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    return _events_required(_check_hr(hazard_ratio), alpha,
                            check_probability("power", power), alternative,
                            check_positive("allocation_ratio", allocation_ratio), "freedman",
                            False)


def _check_hr(hr):
    hr = check_positive("hazard_ratio", hr)
    if hr == 1:
        raise InvalidParameterError(
            "`hazard_ratio` must differ from 1 (no effect to detect); got 1."
        )
    return hr


def _arm_event_probability(lam: float, gamma: float, accrual_time: float, follow_up: float,
                           follow_up_type: str) -> float:
    """P(event observed) for exponential events (hazard lam) and drop-out (hazard gamma)."""
    h = lam + gamma
    if follow_up_type == "fixed" or accrual_time == 0:
        return lam / h * -math.expm1(-h * follow_up)
    a, f = accrual_time, follow_up
    # (1/A) * integral_F^{A+F} lam/h (1 - exp(-h x)) dx
    return lam / h * (1 - (math.exp(-h * f) - math.exp(-h * (a + f))) / (h * a))


def event_probability(hazard: float, *, accrual_time: float = 12.0, follow_up: float,
                      follow_up_type: str = "calendar", dropout_rate: float = 0.0) -> float:
    """Probability that a patient's event is observed, exponential events and drop-out.

    With ``follow_up_type="calendar"`` patients enter uniformly over ``[0, accrual_time]``
    (default 12, rpact's ``accrualTime``) and the analysis is at ``accrual_time + follow_up``
    (rpact's ``followUpTime``), so P = lambda/h (1 - (exp(-h F) - exp(-h (A + F))) / (h A)),
    h = lambda + dropout_rate; ``accrual_time=0`` (everyone enters at once) gives
    P = lambda/h (1 - exp(-h F)). With ``"fixed"`` every patient is followed for ``follow_up``:
    P = lambda/h (1 - exp(-h F)), whatever the accrual.

    >>> round(event_probability(-math.log(0.53) / 48, accrual_time=24, follow_up=48), 9)
    0.545884047
    """
    check_positive("hazard", hazard)
    check_positive("accrual_time", accrual_time, allow_zero=True)
    check_positive("follow_up", follow_up)
    check_choice("follow_up_type", follow_up_type, ("calendar", "fixed"))
    check_positive("dropout_rate", dropout_rate, allow_zero=True)
    return _arm_event_probability(hazard, dropout_rate, accrual_time, follow_up, follow_up_type)


@dataclass(frozen=True)
class SurvivalPower(SidedFromAlternative, Result):
    """Power, events and sample size of a two-arm time-to-event trial (see :func:`power_survival`).

    Fields that need the control arm's event rate (event probabilities and sample sizes) are None
    when only a hazard ratio was given. ``alternative`` is the side of the test (``sided``, 1 or
    2, follows from it).
    """

    hazard_ratio: float
    power: float
    alpha: float
    alternative: str
    allocation_ratio: float
    method: str
    events_exact: float
    events: int
    p1: float | None
    p2: float | None
    at: float | None
    lambda1: float | None
    lambda2: float | None
    accrual_time: float
    follow_up: float | None
    follow_up_type: str
    dropout_rate: float
    dropout_probability: float | None
    dropout_time: float | None
    p_event: list[float] | None
    p_event_overall: float | None
    n_exact: list[float] | None
    n_per_arm: list[int] | None
    n_total: int | None
    n_total_exact: float | None
    n_total_no_dropout: int | None
    analysis_time: float | None
    solved_for: str
    test: str
    reference: str

    _title = "Power for a time-to-event comparison"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the assumptions, events, per-arm event probabilities and sizes, and method."""
        n: Sequence[float | None] = self.n_exact or [None, None]
        per: Sequence[int | None] = self.n_per_arm or [None, None]
        pe: Sequence[float | None] = self.p_event or [None, None]
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "hazard_ratio": self.hazard_ratio,
                    "p1": self.p1,
                    "p2": self.p2,
                    "at": self.at,
                    "alpha": self.alpha,
                    "alternative": self.alternative,
                    "power": self.power,
                    "allocation_ratio": self.allocation_ratio,
                    "events_exact": self.events_exact,
                    "events": self.events,
                    "p_event1": pe[0],
                    "p_event2": pe[1],
                    "n1_exact": n[0],
                    "n2_exact": n[1],
                    "n1": per[0],
                    "n2": per[1],
                    "n_total": self.n_total,
                    "accrual_time": self.accrual_time,
                    "follow_up": self.follow_up,
                    "follow_up_type": self.follow_up_type,
                    "dropout_rate": self.dropout_rate,
                    "method": self.method,
                }
            ]
        )


def power_survival(
    hazard_ratio: float | None = None,
    *,
    p1: float | None = None,
    p2: float | None = None,
    at: float | None = None,
    lambda2: float | None = None,
    events: float | None = None,
    n_total: float | None = None,
    n1: float | None = None,
    n2: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    allocation_ratio: float = 1.0,
    method: str = "schoenfeld",
    accrual_time: float = DEFAULT_ACCRUAL_TIME,
    follow_up: float | None = None,
    follow_up_type: str = "calendar",
    dropout_rate: float | None = None,
    dropout_probability: float | None = None,
    dropout_time: float | None = None,
    two_sided_power: bool = False,
) -> SurvivalPower:
    """Power, events, sample size or detectable hazard ratio of a two-arm log-rank comparison.

    Leave exactly one of the size (``events``, ``n_total`` or ``n1``/``n2``), the effect
    (``hazard_ratio``, or ``p1`` with ``p2`` and ``at``) and ``power`` unset; it is solved for.

    Parameters
    ----------
    hazard_ratio : float > 0, != 1, optional
        Hazard of arm 1 (experimental) over arm 2 (control). Alternatively give ``p1``, ``p2`` and
        ``at``: exponential hazards -log(1 - p)/at, as rpact.
    p1, p2 : float in (0, 1), optional
        Cumulative event probabilities by time ``at`` in arm 1 and arm 2. ``p2`` (or ``lambda2``)
        gives the control arm's hazard, needed to turn events into patients.
    at : float > 0, optional
        Time of ``p1``, ``p2`` (rpact's ``eventTime``).
    lambda2 : float > 0, optional
        Control hazard per time unit (alternative to ``p2`` with ``at``).
    events : float > 0, optional
        Number of events at the analysis (power, detectable hazard ratio). As for the patients,
        an unrounded number (``events_exact``) is used as it is; the command line takes whole
        numbers only.
    n_total : float > 0, optional
        Total patients; events are then ``n_total`` times the probability of an event.
    n1, n2 : float > 0, optional
        Patients per arm (alternative to ``n_total``; sets ``allocation_ratio = n1 / n2``).
    power : float in (0, 1), optional
    alpha : float in (0, 1), default 0.05
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about the log hazard ratio (experimental over control): a
        hazard ratio below 1 is ``"less"``. A one-sided test in the direction of the assumed
        hazard ratio gives rpact's ``sided = 1`` numbers; against a hazard ratio on the other
        side of 1 the power is the small probability of rejecting in the stated direction, and
        solving for events or patients raises an error. When solving for the hazard ratio:
        above 1 with ``"greater"``, below 1 with ``"less"`` and ``"two-sided"`` (for the
        two-sided hazard ratio above 1 swap the arms: ``1 / hazard_ratio`` with
        ``1 / allocation_ratio``).
    allocation_ratio : float > 0, default 1
        n1 / n2 (rpact's ``allocationRatioPlanned``).
    method : {"schoenfeld", "freedman", "hsieh-freedman"}, default "schoenfeld"
    accrual_time : float >= 0, default 12
        Uniform accrual over ``[0, accrual_time]`` (rpact's ``accrualTime``, default 12). Only
        patients (not events) depend on it, and only with ``follow_up_type="calendar"``: there
        the last patient is followed for ``follow_up`` and the first for
        ``accrual_time + follow_up``; ``accrual_time=0`` (everyone enters at once) makes
        calendar follow-up the same as fixed. The analysis is at ``accrual_time + follow_up``
        with either type.
    follow_up : float > 0, optional
        Needed for patients (not for events).
    follow_up_type : {"calendar", "fixed"}, default "calendar"
        ``"calendar"``: follow-up continues ``follow_up`` after the end of accrual (rpact's
        ``followUpTime``; analysis at ``accrual_time + follow_up``). ``"fixed"``: every patient is
        followed for ``follow_up`` from entry.
    dropout_rate : float >= 0, optional
        Hazard of loss to follow-up per time unit (both arms).
    dropout_probability, dropout_time : float, optional
        Loss to follow-up as a cumulative probability by a time (rpact ``dropoutRate1/2``,
        ``dropoutTime``); exponential.
    two_sided_power : bool, default False
        rpact's ``twoSidedPower``, which is not about the side of the test: with
        ``alternative="two-sided"``, solve the events so that the power counting rejections in
        both tails (the wrong one included) reaches ``power``, instead of the one-tail equation.
        No effect on one-sided tests or on power at given sizes (which always counts both tails
        of a two-sided test).

    Returns
    -------
    SurvivalPower

    Notes
    -----
    Events: Schoenfeld D = (z_a + z_b)^2 (1 + r)^2 / (r log(HR)^2); Freedman
    D = (z_a + z_b)^2 (1 + r HR)^2 / (r (1 - HR)^2); Hsieh-Freedman
    D = (z_a + z_b)^2 (1 + HR)^2 (1 + r)^2 / (4 r (1 - HR)^2), with z_a = z_{1 - alpha/2}
    (two-sided) or z_{1 - alpha} (one-sided).
    Patients: N = D / P(event), P(event) = (r P1 + P2) / (1 + r) with each arm's probability of
    an observed event given uniform accrual, exponential events and drop-out (see
    :func:`event_probability`); the integral rpact ``getSampleSizeSurvival`` evaluates. Power
    counts both tails of N(drift, 1) for a two-sided test, as rpact ``getPowerSurvival``.
    Matches rpact 3.3.4 to 1e-6 (tests/reference/sample_size_survival.json).

    Examples
    --------
    >>> res = power_survival(p1=0.27, p2=0.47, at=48, accrual_time=24, follow_up=48,
    ...                      dropout_probability=0.1, dropout_time=12, power=0.8)
    >>> round(res.events_exact, 4), res.n_per_arm, res.n_total_no_dropout
    (63.748, [92, 92], 148)
    >>> round(power_survival(0.5, events=66).power, 4)
    0.8039
    >>> f'{power_survival(0.5, events=66, alternative="greater", alpha=0.025).power:.1e}'
    '9.0e-07'
    """
    check_choice("method", method, _SURVIVAL_METHODS)
    check_choice("follow_up_type", follow_up_type, ("calendar", "fixed"))
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    power = check_power(power, alpha, alternative)
    allocation_ratio = check_positive("allocation_ratio", allocation_ratio)
    accrual_time = check_positive("accrual_time", accrual_time, allow_zero=True)
    follow_up = check_positive("follow_up", follow_up, allow_none=True)

    # --- effect and control hazard
    if p1 is not None or p2 is not None:
        if at is None:
            raise InvalidParameterError(
                "`at` (the time of `p1` and `p2`) is needed with `p1`/`p2`."
            )
    if at is not None:
        at = check_positive("at", at)
    if p2 is not None and lambda2 is not None:
        raise InvalidParameterError(
            "give the control arm's hazard as `p2` (with `at`) or `lambda2`, not both."
        )
    p2 = check_probability("p2", p2, allow_none=True)
    p1 = check_probability("p1", p1, allow_none=True)
    if p2 is not None:
        assert at is not None  # required with p2 above
        lambda2 = -math.log1p(-p2) / at
    elif lambda2 is not None:
        lambda2 = check_positive("lambda2", lambda2)
    if p1 is not None:
        if hazard_ratio is not None:
            raise InvalidParameterError(
                "give the effect as `hazard_ratio` or as `p1` (with `p2`, `at`), not both."
            )
        if p2 is None:
            raise InvalidParameterError("`p2` is needed with `p1`.")
        if p1 == p2:
            raise InvalidParameterError(
                f"`p1` equals `p2` ({p1:g}): the hazard ratio is 1, there is no effect to detect."
            )
        hazard_ratio = math.log1p(-p1) / math.log1p(-p2)
    elif hazard_ratio is not None:
        hazard_ratio = _check_hr(hazard_ratio)

    # --- drop-out
    if dropout_probability is not None or dropout_time is not None:
        if dropout_rate is not None:
            raise InvalidParameterError(
                "give loss to follow-up as `dropout_rate` or as `dropout_probability` with "
                "`dropout_time`, not both."
            )
        if dropout_probability is None or dropout_time is None:
            raise InvalidParameterError("`dropout_probability` and `dropout_time` go together.")
        if dropout_probability == 0:
            dropout_rate = 0.0
        else:
            dp = check_probability("dropout_probability", dropout_probability)
            dt = check_positive("dropout_time", dropout_time)
            dropout_rate = -math.log1p(-dp) / dt
    dropout_rate = check_positive("dropout_rate", dropout_rate or 0.0, allow_zero=True)

    # --- sizes
    if n1 is not None or n2 is not None:
        if n_total is not None:
            raise InvalidParameterError("give patients as `n1` and `n2` or as `n_total`, not both.")
        if n1 is None or n2 is None:
            raise InvalidParameterError("give both `n1` and `n2` (or `n_total`).")
        n1 = check_positive("n1", n1)
        n2 = check_positive("n2", n2)
        n_total = n1 + n2
        allocation_ratio = n1 / n2
    elif n_total is not None:
        n_total = check_positive("n_total", n_total)
    if events is not None:
        if n_total is not None:
            raise InvalidParameterError(
                "give the size as `events` or as patients (`n_total`, `n1`/`n2`), not both."
            )
        events = check_positive("events", events)
    size = events if events is not None else n_total
    solve = exactly_one_none(size=size, hazard_ratio=hazard_ratio, power=power)
    r = allocation_ratio

    knows_patients = lambda2 is not None and follow_up is not None
    if n_total is not None and not knows_patients:
        raise InvalidParameterError(
            "turning patients into events needs the control arm's hazard (`p2` with `at`, or "
            "`lambda2`) and `follow_up`."
        )

    def p_events(hr):
        assert lambda2 is not None  # called only when the patients are known
        l1 = hr * lambda2
        pe1 = _arm_event_probability(l1, dropout_rate, accrual_time, follow_up, follow_up_type)
        pe2 = _arm_event_probability(lambda2, dropout_rate, accrual_time, follow_up, follow_up_type)
        return pe1, pe2, (r * pe1 + pe2) / (1 + r)

    z_a = z_quantile(1 - alpha / sides(alternative))

    def power_from_events(d, hr):
        return normal_power(_signed_drift(hr, r, method, d), z_a, alternative)

    if solve == "size":
        events_exact = _events_required(hazard_ratio, alpha, power, alternative, r, method,
                                        two_sided_power)
        check_reachable(events_exact, power, "events")
    elif solve == "power":
        events_exact = events if events is not None else n_total * p_events(hazard_ratio)[2]
        power = power_from_events(events_exact, hazard_ratio)
    else:  # hazard ratio
        lower = alternative != "greater"

        def f(t):  # t = |log HR|
            hr = math.exp(-t if lower else t)
            d = events if events is not None else n_total * p_events(hr)[2]
            return power_from_events(d, hr)

        t = solve_increasing(
            f, power, 1e-10, 30.0, name="power",
            what="no hazard ratio reaches it with this size",
        )
        hazard_ratio = math.exp(-t if lower else t)
        events_exact = events if events is not None else n_total * p_events(hazard_ratio)[2]

    assert hazard_ratio is not None  # given, or solved for above
    lambda1 = hazard_ratio * lambda2 if lambda2 is not None else None
    if p2 is not None and p1 is None:
        assert lambda1 is not None and at is not None  # both follow from p2
        p1 = float(-math.expm1(-lambda1 * at))
    pe = pe_overall = n_exact = n_per_arm = n_tot = n_tot_exact = n_nodrop = None
    if knows_patients:
        assert lambda1 is not None and lambda2 is not None
        pe1, pe2, pe_overall = p_events(hazard_ratio)
        pe = [pe1, pe2]
        if n_total is None:
            n_tot_exact = events_exact / pe_overall
            check_reachable(n_tot_exact, power, "patients")
            a, b = split(n_tot_exact, r)
            n_exact = [a, b]
            n_per_arm = [ceil_size(a), ceil_size(b)]
            if dropout_rate > 0:
                q1 = _arm_event_probability(lambda1, 0.0, accrual_time, follow_up, follow_up_type)
                q2 = _arm_event_probability(lambda2, 0.0, accrual_time, follow_up, follow_up_type)
                q = (r * q1 + q2) / (1 + r)
                a0, b0 = split(events_exact / q, r)
                n_nodrop = ceil_size(a0) + ceil_size(b0)
            else:
                n_nodrop = sum(n_per_arm)
        else:
            n_tot_exact = n_total
            if n1 is not None:
                assert n2 is not None  # n1 and n2 come together
                n_exact = [n1, n2]
            else:
                n_exact = list(split(n_total, r))
            n_per_arm = rounded_sizes(n_exact[0], n_exact[1], True)
        n_tot = sum(n_per_arm)
    dropout_time_out = dropout_time if dropout_probability is not None else None
    return SurvivalPower(
        hazard_ratio=float(hazard_ratio), power=float(power), alpha=alpha,
        alternative=alternative,
        allocation_ratio=float(r), method=method, events_exact=float(events_exact),
        events=ceil_size(events_exact), p1=p1, p2=p2, at=at, lambda1=lambda1, lambda2=lambda2,
        accrual_time=accrual_time, follow_up=follow_up, follow_up_type=follow_up_type,
        dropout_rate=dropout_rate,
        dropout_probability=None if dropout_probability is None else float(dropout_probability),
        dropout_time=dropout_time_out, p_event=pe, p_event_overall=pe_overall, n_exact=n_exact,
        n_per_arm=n_per_arm, n_total=n_tot, n_total_exact=n_tot_exact, n_total_no_dropout=n_nodrop,
        analysis_time=(accrual_time + follow_up) if follow_up is not None else None,
        solved_for="events" if solve == "size" else solve,
        test="log-rank test", reference=_SURVIVAL_REFERENCES[method],
    )


# --------------------------------------------------------------------------------------------
# continuous
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TTestPower(SidedFromAlternative, Result):
    """Power or sample size of a two-sample t-test (see :func:`power_ttest`)."""

    effect_size: float
    power: float
    alpha: float
    alternative: str
    allocation_ratio: float
    n_exact: list[float]
    n_per_arm: list[int]
    n_total: int
    dropout: float
    solved_for: str
    method: str = "two-sample t-test"
    reference: str = "statsmodels TTestIndPower (noncentral t)"

    _title = "Power for a two-sample t-test"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``effect_size`` and the two-arm size columns (``alpha`` to ``method``)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "effect_size": self.effect_size,
                    **size_columns(self),
                }
            ]
        )


def power_ttest(
    effect_size: float | None = None,
    *,
    difference: float | None = None,
    sd: float | None = None,
    n1: float | None = None,
    n2: float | None = None,
    n_total: float | None = None,
    power: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    allocation_ratio: float = 1.0,
    dropout: float = 0.0,
) -> TTestPower:
    """Power, sample size or detectable standardised difference of a two-sample t-test.

    Leave exactly one of the size, ``effect_size`` and ``power`` unset. The effect is Cohen's d,
    or ``difference`` / ``sd``. Uses statsmodels ``TTestIndPower`` (noncentral t, both tails for a
    two-sided test, as R ``power.t.test(strict = TRUE)`` and pwr ``pwr.t2n.test``).

    Parameters
    ----------
    effect_size : float, optional
        Standardised difference (mean1 - mean2) / sd.
    difference, sd : float, optional
        Alternative to ``effect_size``.
    n1, n2, n_total : float, optional
        Analysable patients: counts, or expected numbers (n times a completion probability) as
        R's ``pwr.t2n.test`` takes them.
    power : float in (0, 1), optional
    alpha : float in (0, 1), default 0.05
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about mean1 - mean2 (experimental minus control), as R
        ``t.test``. One-sided in the direction of the effect: statsmodels' one-sided power; the
        other way: the small probability of rejecting in the stated direction (solving for the
        sample size then raises an error). Solving for the effect returns a negative
        ``effect_size`` with ``"less"``, a positive one otherwise.
    allocation_ratio : float > 0, default 1
        n1 / n2.
    dropout : float in [0, 1), default 0
        Inflate ``n_per_arm`` by 1 / (1 - dropout).

    Returns
    -------
    TTestPower

    Examples
    --------
    >>> res = power_ttest(0.5, power=0.8)
    >>> round(res.n_exact[0], 2), res.n_per_arm
    (63.77, [64, 64])
    >>> power_ttest(-0.5, power=0.8, alternative="less").n_per_arm
    [51, 51]
    """
    from statsmodels.stats.power import TTestIndPower

    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    power = check_power(power, alpha, alternative)
    allocation_ratio = check_positive("allocation_ratio", allocation_ratio)
    dropout = check_dropout(dropout)
    effect_size = standardised_effect(effect_size, difference, sd)
    n1, n2, r = resolve_sizes(n1, n2, n_total, allocation_ratio)
    given = n1 is not None
    solve = exactly_one_none(n=n1, effect_size=effect_size, power=power)
    if given and min(n1, n2) < 2:
        raise InvalidParameterError(
            f"each arm needs at least 2 patients; got n1 = {n1:g}, n2 = {n2:g}."
        )
    # one-sided: the upper tail of the effect seen from the stated direction
    alt = "two-sided" if alternative == "two-sided" else "larger"
    tt = TTestIndPower()

    def power_at(d, a, b):
        p = float(tt.power(effect_size=d, nobs1=a, alpha=alpha, ratio=b / a, alternative=alt))
        if not math.isfinite(p):  # scipy's nct fails far in the tail: normal limit there
            nc = d * math.sqrt(a * b / (a + b))
            crit = special.stdtrit(a + b - 2, 1 - alpha / sides(alternative))
            p = special.ndtr(nc - crit) + (
                special.ndtr(-nc - crit) if alternative == "two-sided" else 0.0)
        return float(p)

    es = orient(effect_size, alternative) if effect_size is not None else None
    if solve == "n":
        assert es is not None  # the effect size is given when solving for n
        check_direction(alternative, effect_size, power,
                        h1=f"mean1 - mean2 {'>' if alternative == 'greater' else '<'} 0",
                        assumed=f"effect_size = {effect_size:g}")
        if es < 1e-4:
            check_reachable(math.inf, power, "patients")
        n1 = float(tt.solve_power(effect_size=es, nobs1=None, alpha=alpha, power=power,
                                  ratio=1.0 / r, alternative=alt))
        n2 = n1 / r
        check_reachable(n1 + n2, power, "patients")
    elif solve == "power":
        power = power_at(es, n1, n2)
    else:
        es = solve_increasing(
            lambda d: power_at(d, n1, n2), power, 1e-9, 50.0, name="power",
            what="no effect size reaches it",
        )
        effect_size = -es if alternative == "less" else es
    n_per_arm = enrolled_sizes(n1, n2, dropout, given)
    return TTestPower(
        effect_size=float(effect_size), power=float(power), alpha=alpha,
        alternative=alternative, allocation_ratio=float(n1 / n2), n_exact=[float(n1), float(n2)],
        n_per_arm=n_per_arm, n_total=sum(n_per_arm), dropout=float(dropout), solved_for=solve,
    )
