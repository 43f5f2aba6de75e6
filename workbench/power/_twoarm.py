"""Shared machinery of the two-arm closed forms.

Used by :mod:`~workbench.power.analytic` and :mod:`~workbench.power.continuous`: the side of the
test, argument checks, sample sizes and their rounding, and the solver.

The side of a test is ``alternative``, the alternative hypothesis about experimental (arm 1)
minus control (arm 2): ``"two-sided"``, ``"less"`` or ``"greater"``. A test statistic
``Z ~ N(drift, 1)`` oriented as experimental minus control rejects in the upper tail for
``"greater"``, in the lower tail for ``"less"`` and in both (``alpha / 2`` each) for
``"two-sided"``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from scipy import special

from .._validation import (
    check_positive,
    check_probability,
    check_real,
    is_real,
)
from ..exceptions import InvalidParameterError

#: sample sizes are rounded up after removing this much floating-point noise (as the R reference)
CEIL_TOL = 1e-9
#: the largest total sample size (or number of events) a solver returns; beyond it the requested
#: power is reported as out of reach
N_MAX = 1e7

#: the values of ``alternative``
ALTERNATIVES = ("two-sided", "less", "greater")


def ceil_size(x: float) -> int:
    """Round a sample size up, ignoring floating-point noise below 1e-9.

    >>> ceil_size(73.2381), ceil_size(74.0000000000001)
    (74, 74)
    """
    return int(math.ceil(x - CEIL_TOL))


def z_quantile(p: float) -> float:
    """The standard normal quantile ``Phi^-1(p)``."""
    return float(special.ndtri(p))


# --------------------------------------------------------------------------------------------
# the side of the test
# --------------------------------------------------------------------------------------------
def sides(alternative: str) -> int:
    """How many tails share ``alpha``: 2 for ``"two-sided"``, else 1 (the result's ``sided``)."""
    return 2 if alternative == "two-sided" else 1


def orient(effect: float, alternative: str) -> float:
    """The effect seen from the tail a one-sided test rejects in.

    ``effect`` for ``"greater"``, ``-effect`` for ``"less"``, ``|effect|`` for ``"two-sided"``.
    Positive when the assumed effect lies in the tested direction.
    """
    if alternative == "greater":
        return effect
    if alternative == "less":
        return -effect
    return abs(effect)


def normal_power(drift: float, z: float, alternative: str) -> float:
    """P(reject) for a statistic ``Z ~ N(drift, 1)`` oriented as experimental minus control.

    ``z`` is the critical value ``z_{1 - alpha / sides}``. Two-sided power counts both tails
    (rpact, pwr); a one-sided test rejects only in its own tail, so an effect in the other
    direction has power below ``alpha``.
    """
    d = orient(drift, alternative)
    p = special.ndtr(d - z)
    if alternative == "two-sided":
        p += special.ndtr(-d - z)
    return float(p)


class SidedFromAlternative:
    """Mixin of the power results: ``sided`` read from the result's ``alternative``.

    ``sided`` is 1 or 2, rpact's convention.
    """

    alternative: str

    @property
    def sided(self) -> int:
        """2 for a two-sided test, 1 for a one-sided one (rpact's ``sided``)."""
        return sides(self.alternative)


def check_direction(alternative: str, effect: float, power: float, *, h1: str,
                    assumed: str) -> None:
    """Check that a size can be solved for: the assumed effect lies in the tested direction.

    A one-sided ``alternative`` against an assumed ``effect`` in the other direction can never reach
    ``power``; say so, naming ``alternative`` and the effect.

    ``h1`` states the alternative hypothesis in words ("p1 - p2 > 0"), ``assumed`` the effect
    ("p1 - p2 = -0.2").
    """
    if alternative == "two-sided" or orient(effect, alternative) > 0:
        return
    raise InvalidParameterError(
        f"`alternative`={alternative!r} means H1: {h1}, but the assumed effect lies "
        f"the other way ({assumed}): the power to reject in that direction stays below alpha, "
        f"so no sample size reaches `power` {power:g}. Use the other one-sided alternative or "
        "'two-sided'."
    )


def check_alpha(alpha) -> float:
    return check_probability("alpha", alpha)


def check_power(power, alpha: float, alternative: str):
    """``power`` in (0, 1) above the one-tail level ``alpha / sides``; None stays None."""
    if power is None:
        return None
    power = check_probability("power", power)
    k = sides(alternative)
    if power <= alpha / k:
        raise InvalidParameterError(
            "`power` must exceed the one-tail significance level "
            f"{'alpha / 2' if k == 2 else 'alpha'} = {alpha / k:g}; got {power!r}."
        )
    return power


def check_dropout(dropout) -> float:
    """The share of enrolled patients expected to give no outcome, in [0, 1)."""
    if not is_real(dropout) or not 0 <= dropout < 1:
        raise InvalidParameterError(f"`dropout` must be in [0, 1); got {dropout!r}.")
    return dropout


# --------------------------------------------------------------------------------------------
# sizes
# --------------------------------------------------------------------------------------------
def exactly_one_none(**kw) -> str:
    """The name of the one argument left as None (the one to solve for)."""
    missing = [k for k, v in kw.items() if v is None]
    if len(missing) != 1:
        names = ", ".join(f"`{k}`" for k in kw)
        raise InvalidParameterError(
            f"leave exactly one of {names} as None (the one to solve for); "
            f"got {len(missing)} missing ({', '.join(missing) or 'none'})."
        )
    return missing[0]


def split(n_total: float, r: float) -> tuple[float, float]:
    """``n_total`` split into arms with ``n1 / n2 = r``."""
    return n_total * r / (1.0 + r), n_total / (1.0 + r)


def resolve_sizes(n1, n2, n_total, allocation_ratio):
    """(n1, n2, r) from per-arm sizes or a total; all None when no size was given."""
    if n1 is None and n2 is None and n_total is None:
        return None, None, allocation_ratio
    if n_total is not None:
        if n1 is not None or n2 is not None:
            raise InvalidParameterError(
                "give the sample size as `n1` and `n2` or as `n_total`, not both."
            )
        n_total = check_positive("n_total", n_total)
        a, b = split(n_total, allocation_ratio)
        return a, b, allocation_ratio
    if n1 is None or n2 is None:
        raise InvalidParameterError("give both `n1` and `n2` (or `n_total`).")
    n1 = check_positive("n1", n1)
    n2 = check_positive("n2", n2)
    return n1, n2, n1 / n2


def rounded_sizes(n1: float, n2: float, given: bool) -> list[int]:
    """Per-arm sizes, whole numbers.

    Given whole sizes as they are; a given whole total split by largest remainder (the sizes add up
    to it); anything else rounded up per arm.
    """
    if given:
        if float(n1).is_integer() and float(n2).is_integer():
            return [int(n1), int(n2)]
        total = n1 + n2
        if abs(total - round(total)) < 1e-9:
            a = math.floor(n1 + 1e-9)
            b = math.floor(n2 + 1e-9)
            if a + b < round(total):
                if n1 - a >= n2 - b:
                    a += 1
                else:
                    b += 1
            return [int(a), int(b)]
    return [ceil_size(n1), ceil_size(n2)]


def check_reachable(n: float, power: float, what: str) -> None:
    """A solved size beyond :data:`N_MAX` means the requested power is out of reach."""
    if not n <= N_MAX:
        need = f"{n:.3g} {what} (more than {N_MAX:g})" if math.isfinite(n) else (
            f"more than {N_MAX:g} {what}")
        raise InvalidParameterError(
            f"the requested `power` {power:g} cannot be reached within a sane size: it needs "
            f"{need}; the effect is too small to detect."
        )


def round_up(n1: float, n2: float, rounding: str) -> list[int]:
    """Round solved sizes up, per arm or in whole allocation blocks."""
    if rounding == "per-arm":
        return [ceil_size(n1), ceil_size(n2)]
    ratio = Fraction(n1 / n2).limit_denominator(1000)
    if abs(float(ratio) - n1 / n2) > 1e-9 * (n1 / n2):
        raise InvalidParameterError(
            f"`rounding`='allocation' needs an allocation ratio of whole numbers up to 1000; "
            f"got {n1 / n2!r}."
        )
    k1, k2 = ratio.numerator, ratio.denominator
    blocks = ceil_size(max(n1 / k1, n2 / k2))
    return [blocks * k1, blocks * k2]


def enrolled_sizes(n1: float, n2: float, dropout, given: bool, rounding: str = "per-arm"):
    """Per-arm sizes to enrol: the analysable ``n1``, ``n2`` inflated by ``1 / (1 - dropout)``.

    Given sizes as :func:`rounded_sizes` keeps them, solved ones rounded up (:func:`round_up`).
    """
    a, b = n1 / (1 - dropout), n2 / (1 - dropout)
    return rounded_sizes(a, b, dropout == 0) if given else round_up(a, b, rounding)


def standardised_effect(effect_size, difference, sd):
    """``effect_size``, or ``difference / sd`` (given together); None when neither is given."""
    if difference is not None or sd is not None:
        if effect_size is not None:
            raise InvalidParameterError("give `effect_size` or `difference` with `sd`, not both.")
        if difference is None or sd is None:
            raise InvalidParameterError("`difference` and `sd` go together.")
        effect_size = check_real("difference", difference) / check_positive("sd", sd)
    if effect_size is not None:
        effect_size = check_real("effect_size", effect_size)
        if effect_size == 0:
            raise InvalidParameterError(
                "`effect_size` must differ from 0 (no effect to detect); got 0."
            )
    return effect_size


def solve_increasing(f, target, lo, hi, *, name, what):
    """Root of increasing ``f(x) = target`` on [lo, hi] (brentq), with a clear error otherwise."""
    flo, fhi = f(lo) - target, f(hi) - target
    if flo > 0:
        return lo
    if fhi < 0:
        raise InvalidParameterError(
            f"the requested `{name}` cannot be reached: {what} (at most {f(hi):.4g})."
        )
    from scipy.optimize import brentq

    return brentq(lambda x: f(x) - target, lo, hi, xtol=1e-13, rtol=1e-15, maxiter=500)


def size_columns(res) -> dict:
    """The summary columns every two-arm power result has, from ``alpha`` to ``method``."""
    return {
        "alpha": res.alpha,
        "alternative": res.alternative,
        "power": res.power,
        "allocation_ratio": res.allocation_ratio,
        "n1_exact": res.n_exact[0],
        "n2_exact": res.n_exact[1],
        "n1": res.n_per_arm[0],
        "n2": res.n_per_arm[1],
        "n_total": res.n_total,
        "dropout": res.dropout,
        "method": res.method,
    }
