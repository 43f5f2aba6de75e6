"""Group-sequential designs: boundaries, spending functions and design characteristics.

The boundaries and the operating characteristics follow rpact (``getDesignGroupSequential``,
``getDesignCharacteristics``) and are checked against rpact 3.3.4 in
``tests/reference/group_sequential.json``. The numerical work (recursive integration, boundary
solvers) is in :mod:`workbench.design._boundaries`; sample sizes, monitoring, power and simulation
of these designs are in :mod:`workbench.power.sequential`.

The side of the test
--------------------
``alternative`` is the alternative hypothesis about experimental minus control (difference, log
hazard ratio), as everywhere in the workbench:

* ``"greater"`` (the default): one-sided, upper bounds, rpact's ``sided = 1``. The design rejects
  at look ``k`` when ``Z_k >= critical_values[k]``.
* ``"less"``: the same one-sided design mirrored: it rejects when ``Z_k <= -critical_values[k]``
  (a hazard ratio below 1 is ``"less"``). Boundaries, spending and characteristics are those of
  ``"greater"``, stated on the statistic oriented towards the alternative (``-Z``); the
  monitoring, power and simulation functions flip the sign of ``Z`` for it.
* ``"two-sided"``: symmetric bounds, rpact's ``sided = 2``; rejects when
  ``|Z_k| >= critical_values[k]``, ``alpha`` is the total of both tails.

``design.sided`` (1 or 2) is kept, read-only, for readers who think in rpact's terms.

rpact conventions kept here (so numbers agree with rpact to about 1e-9)
-----------------------------------------------------------------------
* ``stage_levels = 1 - Phi(critical_values)`` is one-sided for one- and two-sided designs.
* "No futility" is rpact's bound at ``z = -6`` around the mean of ``Z_k`` (see the engine).
* Two-sided beta spending (rpact 3.3): bounds of at most 1e-5 are reported as NA (no futility
  stop at that look). Power is the upper tail (``twoSidedPower = FALSE``).
* ``alpha_spent`` is the integrated cumulative type I error of the final boundaries. rpact stores
  the last element floored to 8 decimals (0.025 -> 0.02499999); the workbench keeps the unrounded
  value.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .._validation import (
    check_alternative,
    check_bool,
    check_choice,
    check_int,
    check_probability,
    check_real,
    type_name,
)
from ..exceptions import ConvergenceError, InvalidParameterError
from ..results import Result
from ._boundaries import (
    MIN_INFORMATION_GAP,
    alpha_spending_bounds,
    as_tuple,
    beta_spending,
    beta_spending_two,
    characteristics,
    check_increasing,
    check_information_gaps,
    crossing,
    crossing_two,
    lower_bounds,
    to_last_look,
    type_one_error,
    wang_tsiatis_bounds,
)

__all__ = [
    "MIN_INFORMATION_GAP",
    "design_type_name",
    "GroupSequentialDesign",
    "group_sequential_design",
    "boundary_crossing",
    "spending_function",
]

_Phi = special.ndtr

#: design types: Lan-DeMets alpha spending, and the classical (Wang-Tsiatis family) boundaries
ALPHA_SPENDING_TYPES = ("asOF", "asP", "asHSD", "asKD")
CLASSICAL_TYPES = ("OF", "P", "WT")
#: beta-spending futility types
BETA_SPENDING_TYPES = ("bsOF", "bsP", "bsHSD", "bsKD")
_DESIGN_TYPES = CLASSICAL_TYPES + ALPHA_SPENDING_TYPES


def _sides(alternative: str) -> int:
    """rpact's ``sided`` of an ``alternative``: 2 for ``"two-sided"``, else 1."""
    return 2 if alternative == "two-sided" else 1


def spending_function(kind: str, total: float, t, *, alternative: str = "greater",
                      gamma: float | None = None, rho: float | None = None) -> np.ndarray:
    """Cumulative error spent at information rates ``t`` (Lan & DeMets and related families).

    Parameters
    ----------
    kind : {"asOF", "asP", "asHSD", "asKD", "bsOF", "bsP", "bsHSD", "bsKD"}
        O'Brien-Fleming type ``2 s (1 - Phi(z_{1 - a / (2 s)} / sqrt(t)))`` with ``s = 2`` for
        a two-sided and ``s = 1`` for a one-sided design (the ``bs`` version always uses
        ``s = 1``), Pocock type ``a log(1 + (e - 1) t)``,
        Hwang-Shih-DeCani ``a (1 - exp(-gamma t)) / (1 - exp(-gamma))`` (``a t`` for
        ``gamma = 0``), Kim-DeMets power family ``a t**rho``.
    total : float in (0, 1)
        Error to spend by ``t = 1`` (alpha, or beta for the ``bs`` types).
    t : array_like of float in [0, 1]
        Information rates.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        The design's alternative: two-sided O'Brien-Fleming type alpha spending counts both
        tails (as rpact's ``sided = 2``); "greater" and "less" spend the same.
    gamma, rho : float, optional
        Parameters of the Hwang-Shih-DeCani and Kim-DeMets families.

    Returns
    -------
    numpy.ndarray
        Cumulative error spent at each rate.

    Examples
    --------
    >>> spending_function("asOF", 0.025, [1/3, 2/3, 1]).round(8)
    array([0.00010351, 0.00604839, 0.025     ])
    >>> spending_function("asHSD", 0.025, [0.5, 1], gamma=-4).round(6)
    array([0.00298, 0.025  ])
    """
    sided = _sides(check_alternative(alternative))
    t = np.asarray(t, dtype=float)
    base = kind[2:]
    if base == "OF":
        s = sided if kind.startswith("as") else 1
        z = special.ndtri(1.0 - total / (2.0 * s))
        with np.errstate(divide="ignore"):
            return 2.0 * s * _Phi(-z / np.sqrt(t))
    if base == "P":
        return total * np.log1p((math.e - 1.0) * t)
    if base == "HSD":
        if gamma is None:
            raise InvalidParameterError(f"`gamma` is needed for the {kind} spending function.")
        if gamma == 0:
            return total * t
        return total * np.expm1(-gamma * t) / math.expm1(-gamma)
    if base == "KD":
        return total * t**rho
    raise InvalidParameterError(f"unknown spending function {kind!r}.")


# ============================================================================================
# the design object
# ============================================================================================
#: rpact's codes of boundary and spending types, spelled out
_TYPE_NAMES = {
    "asOF": "O'Brien-Fleming type alpha spending",
    "asP": "Pocock type alpha spending",
    "asHSD": "Hwang-Shih-DeCani alpha spending",
    "asKD": "Kim-DeMets alpha spending",
    "OF": "O'Brien-Fleming boundaries",
    "P": "Pocock boundaries",
    "WT": "Wang-Tsiatis boundaries",
    "bsOF": "O'Brien-Fleming type beta spending",
    "bsP": "Pocock type beta spending",
    "bsHSD": "Hwang-Shih-DeCani beta spending",
    "bsKD": "Kim-DeMets beta spending",
}


def design_type_name(code: str, *, gamma: float | None = None, rho: float | None = None,
                     delta_wt: float | None = None) -> str:
    """The name of a boundary or spending type for a reader, from rpact's code.

    Parameters
    ----------
    code : str
        ``type_of_design`` (``"asOF"``, ``"asP"``, ``"asHSD"``, ``"asKD"``, ``"OF"``, ``"P"``,
        ``"WT"``) or a beta-spending ``futility`` (``"bsOF"``...).
    gamma, rho, delta_wt : float, optional
        The family's parameter, added in brackets when given (Hwang-Shih-DeCani gamma,
        Kim-DeMets rho, Wang-Tsiatis Delta).

    Returns
    -------
    str
        An unknown code is returned as it is.

    Examples
    --------
    >>> design_type_name("asOF")
    "O'Brien-Fleming type alpha spending"
    >>> design_type_name("asHSD", gamma=-4)
    'Hwang-Shih-DeCani alpha spending (gamma = -4)'
    """
    name = _TYPE_NAMES.get(code, code)
    base = code[2:] if code[:2] in ("as", "bs") else code
    if base == "HSD" and gamma is not None:
        name += f" (gamma = {gamma:g})"
    elif base == "KD" and rho is not None:
        name += f" (rho = {rho:g})"
    elif base == "WT" and delta_wt is not None:
        name += f" (Delta = {delta_wt:g})"
    return name


@dataclass(frozen=True)
class GroupSequentialDesign(Result):
    """A group-sequential design: boundaries and operating characteristics (rpact conventions).

    Made by :func:`group_sequential_design`; all sequences run over the looks (``futility_bounds``
    and ``futility_probabilities`` over the looks before the last).

    Attributes
    ----------
    alternative : {"greater", "less", "two-sided"}
        The side of the test (see the module docstring); ``sided`` gives rpact's 1 or 2.
    critical_values : tuple of float
        Efficacy bounds on the z scale oriented towards the alternative (for ``"less"``, bounds
        on ``-Z``).
    stage_levels : tuple of float
        One-sided nominal p-value at each look, ``1 - Phi(critical_value)``.
    alpha_spent : tuple of float
        Cumulative type I error (two-sided designs: both tails).
    futility_bounds : tuple of float or None
        Futility bounds on the z scale (``None``: no futility stopping). One-sided designs stop
        for futility when ``Z_k <= u_k``, two-sided designs when ``|Z_k| < u_k``; NaN marks a
        look without a futility stop (rpact's NA).
    beta_spent : tuple of float or None
        Cumulative type II error spent by the futility bounds (beta-spending designs).
    n_fixed : float
        Information of the fixed design, ``(z_{1-alpha/sided} + z_{1-beta})**2``.
    shift : float
        Maximum information giving power ``1 - beta`` (drift squared at full information).
    inflation_factor : float
        ``shift / n_fixed``.
    power : tuple of float
        Cumulative power by look (upper tail).
    rejection_probabilities, futility_probabilities : tuple of float
        Per-look probabilities of stopping for efficacy and for futility under the alternative.
    asn_h1, asn_h01, asn_h0 : float
        Expected information as a ratio to ``n_fixed`` under the alternative, halfway and H0.
    beta_spending_shift : float or None
        Beta-spending designs: the shift (drift squared) under which the futility bounds spend
        beta (rpact's beta-spending ``shift``); it equals ``shift`` for one-sided designs, while
        two-sided designs solve ``shift`` for the upper-tail power.
    """

    kmax: int
    alpha: float
    beta: float
    alternative: str
    information_rates: tuple[float, ...]
    type_of_design: str
    delta_wt: float | None
    gamma: float | None
    rho: float | None
    futility: str | tuple[float, ...] | None
    binding: bool
    futility_gamma: float | None
    futility_rho: float | None
    critical_values: tuple[float, ...]
    stage_levels: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    futility_bounds: tuple[float, ...] | None
    beta_spent: tuple[float, ...] | None
    n_fixed: float
    shift: float
    inflation_factor: float
    power: tuple[float, ...]
    rejection_probabilities: tuple[float, ...]
    futility_probabilities: tuple[float, ...]
    asn_h1: float
    asn_h01: float
    asn_h0: float
    beta_spending_shift: float | None = None

    _title = "Group-sequential design"

    @property
    def sided(self) -> int:
        """rpact's ``sided``: 2 for ``alternative="two-sided"``, 1 for "greater" and "less"."""
        return _sides(self.alternative)

    @property
    def drift(self) -> float:
        """Drift at full information under the alternative, ``sqrt(shift)``."""
        return math.sqrt(self.shift)

    @property
    def information(self) -> tuple[float, ...]:
        """Information at each look for the prototype drift 1 (``information_rates * shift``)."""
        return as_tuple(np.asarray(self.information_rates) * self.shift)

    @property
    def expected_information(self) -> dict[str, float]:
        """Expected information under H1, halfway (H01) and H0 (ASN ratio times ``n_fixed``)."""
        return {"h1": self.asn_h1 * self.n_fixed, "h01": self.asn_h01 * self.n_fixed,
                "h0": self.asn_h0 * self.n_fixed}

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns: ``look, information_rate, critical_value, stage_level, alpha_spent,
        futility_bound, beta_spent, rejection_probability, futility_probability,
        cumulative_power``.
        """
        k = self.kmax
        fut = to_last_look(self.futility_bounds, k)
        fprob = to_last_look(self.futility_probabilities, k)
        return pd.DataFrame({
            "look": np.arange(1, k + 1),
            "information_rate": self.information_rates,
            "critical_value": self.critical_values,
            "stage_level": self.stage_levels,
            "alpha_spent": self.alpha_spent,
            "futility_bound": fut,
            "beta_spent": self.beta_spent if self.beta_spent else [math.nan] * k,
            "rejection_probability": self.rejection_probabilities,
            "futility_probability": fprob,
            "cumulative_power": self.power,
        })

    def _heading(self) -> str:
        """The design in words: spending type, looks, alpha and its side, power, futility rule."""
        sides = ("two-sided" if self.alternative == "two-sided"
                 else f"one-sided, alternative: {self.alternative}")
        name = design_type_name(self.type_of_design, gamma=self.gamma, rho=self.rho,
                                delta_wt=self.delta_wt)
        head = (f"{name}, {self.kmax} looks, alpha {self.alpha:g} ({sides}), "
                f"power {1 - self.beta:.0%}")
        if self.futility:
            rule = (design_type_name(self.futility, gamma=self.futility_gamma)
                    if isinstance(self.futility, str) else "fixed futility bounds")
            head += f"; futility: {rule}, {'binding' if self.binding else 'non-binding'}"
        return head

    def _display_notes(self) -> list[str]:
        return [self._heading() + ".",
                f"Relative to the fixed design: inflation factor {self.inflation_factor:.4f}; "
                f"expected information {self.asn_h1:.4f} under H1, {self.asn_h01:.4f} halfway, "
                f"{self.asn_h0:.4f} under H0."]

    def _display_kinds(self) -> dict[str, str] | None:
        # a nominal level is a small probability: shown as a level, not a percentage
        return {"stage_level": "level"}

    def to_dict(self) -> dict:
        """The fields as JSON values, with rpact's ``sided`` beside ``alternative``."""
        out = super().to_dict()
        out["sided"] = self.sided
        return out

    def to_cli_dict(self) -> dict:
        """The fields printed by ``workbench design sequential --json``."""
        return {
            "critical_values": list(self.critical_values),
            "stage_levels": list(self.stage_levels),
            "alpha_spent": list(self.alpha_spent),
            "futility_bounds": list(self.futility_bounds) if self.futility_bounds else None,
            "beta_spent": list(self.beta_spent) if self.beta_spent else None,
            "inflation_factor": self.inflation_factor,
            "power": list(self.power),
            "rejection_probabilities": list(self.rejection_probabilities),
            "asn": {"h1": self.asn_h1, "h01": self.asn_h01, "h0": self.asn_h0},
        }


def _check_information_rates(information_rates, kmax: int | None) -> tuple[int, np.ndarray]:
    if information_rates is None:
        if kmax is None:
            raise InvalidParameterError("give `kmax` or `information_rates`.")
        return kmax, np.arange(1, kmax + 1) / kmax
    if isinstance(information_rates, str) or not isinstance(information_rates,
                                                            Sequence | np.ndarray):
        raise InvalidParameterError(
            f"`information_rates` must be a sequence of numbers; got {information_rates!r}."
        )
    try:
        t = np.asarray(information_rates, dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"`information_rates` must be a sequence of numbers; got {information_rates!r}."
        ) from None
    if t.ndim != 1 or t.size == 0 or not np.all(np.isfinite(t)):
        raise InvalidParameterError(
            f"`information_rates` must be a non-empty sequence of finite numbers; got "
            f"{list(np.atleast_1d(information_rates))!r}."
        )
    if kmax is not None and t.size != kmax:
        raise InvalidParameterError(
            f"`information_rates` has {t.size} values but `kmax` is {kmax}; give one rate per look."
        )
    if t[0] <= 0 or np.any(np.diff(t) <= 0):
        raise InvalidParameterError(
            f"`information_rates` must be strictly increasing and > 0; got {t.tolist()!r}."
        )
    if abs(t[-1] - 1.0) > 1e-9:
        raise InvalidParameterError(
            f"`information_rates` must end at 1 (the final analysis); got {t.tolist()!r}."
        )
    t[-1] = 1.0
    check_information_gaps(t)
    return t.size, t


#: How far a design's own characteristics may stray from alpha before it is refused: the alpha
#: spent may exceed ``alpha`` by this relative amount (the solvers reach it to about 1e-12).
_ALPHA_TOL = 1e-6


def _check_consistent(alpha: float, sided: int, binding: bool, alpha_spent, stage_levels,
                      inflation_factor: float) -> None:
    """A design whose characteristics contradict alpha is a numerical failure, never returned.

    Its maximum information is at least that of the fixed design (inflation factor >= 1), it
    spends at most ``alpha`` in all, and without binding futility no look's nominal level exceeds
    the one-sided ``alpha / sided`` (binding futility bounds may lower the critical values).
    """
    problems = []
    if not inflation_factor >= 1.0 - _ALPHA_TOL:
        problems.append(f"an inflation factor of {inflation_factor:.6g} (below 1)")
    if not alpha_spent[-1] <= alpha * (1.0 + _ALPHA_TOL):
        problems.append(f"alpha spent {alpha_spent[-1]:.6g} (above alpha = {alpha:g})")
    if not binding and not max(stage_levels) <= alpha / sided * (1.0 + _ALPHA_TOL):
        problems.append(f"a nominal level of {max(stage_levels):.6g} (above "
                        f"{'alpha' if sided == 1 else 'alpha/2'} = {alpha / sided:g})")
    if problems:
        raise ConvergenceError(
            "the boundary integration failed for this design: it gives " + " and ".join(problems)
            + "; move looks further apart or change the spending."
        )


def group_sequential_design(kmax: int | None = None, alpha: float = 0.025, beta: float = 0.2,
                            alternative: str = "greater", information_rates=None,
                            type_of_design: str = "asOF",
                            delta_wt: float | None = None, gamma: float | None = None,
                            rho: float | None = None, futility=None, binding: bool = False, *,
                            futility_gamma: float | None = None,
                            futility_rho: float | None = None) -> GroupSequentialDesign:
    """Group-sequential boundaries and design characteristics, as rpact computes them.

    Parameters
    ----------
    kmax : int >= 1, optional
        Number of looks (the last is the final analysis); by default the number of
        ``information_rates``, or 3 when they are not given.
    alpha : float in (0, 1), default 0.025
        Type I error (two-sided designs: the total of both tails).
    beta : float in (0, 1), default 0.2
        Type II error (power ``1 - beta``) used for the design characteristics and beta spending.
    alternative : {"greater", "less", "two-sided"}, default "greater"
        The alternative hypothesis about experimental minus control. "greater": one-sided, reject
        for large Z (rpact's ``sided = 1``); "less": the mirrored one-sided design, reject for
        small Z (the bounds are reported on ``-Z``, and the functions of
        :mod:`workbench.power.sequential` flip the sign of Z); "two-sided": symmetric
        boundaries (rpact's ``sided = 2``). A hazard ratio below 1 is "less".
    information_rates : sequence of float, optional
        Information fraction at each look, strictly increasing and ending at 1; equally spaced
        when omitted. Consecutive looks must be at least ``MIN_INFORMATION_GAP`` = 0.001 apart
        (below it the boundary integration is not accurate; rpact accepts closer looks with a
        warning below 0.05).
    type_of_design : {"asOF", "asP", "asHSD", "asKD", "OF", "P", "WT"}, default "asOF"
        Lan-DeMets alpha spending of O'Brien-Fleming (``asOF``) or Pocock (``asP``) type,
        Hwang-Shih-DeCani (``asHSD``, parameter ``gamma``), Kim-DeMets power family (``asKD``,
        parameter ``rho``); or the classical O'Brien-Fleming (``OF``), Pocock (``P``) and
        Wang-Tsiatis Delta-class (``WT``, parameter ``delta_wt``) boundaries.
    delta_wt : float in [-0.5, 1], optional
        Wang-Tsiatis Delta (0 is O'Brien-Fleming, 0.5 Pocock); needed for ``WT``.
    gamma : float in [-10, 5], optional
        Hwang-Shih-DeCani parameter; needed for ``asHSD`` (0 spends linearly).
    rho : float in [0.4, 8], optional
        Kim-DeMets exponent; needed for ``asKD``.
    futility : {"bsOF", "bsP", "bsHSD", "bsKD"} or sequence of float, optional
        Futility stopping: beta spending of the given type (alpha-spending designs, one- or
        two-sided), or fixed futility bounds on the z scale for the looks before the last
        (one-sided designs).
    binding : bool, default False
        Whether the futility bounds are binding (the critical values then use them).
    futility_gamma, futility_rho : float, optional
        Parameters of ``bsHSD`` and ``bsKD`` beta spending.

    Returns
    -------
    GroupSequentialDesign
        Frozen result; ``.summary`` has one row per look.

    Notes
    -----
    Boundaries are solved look by look (alpha spending) or through the Wang-Tsiatis constant, with
    crossing probabilities from recursive numerical integration (Jennison & Turnbull 2000, ch. 19).
    Matches rpact 3.3.4 ``getDesignGroupSequential`` and ``getDesignCharacteristics`` (z bounds to
    1e-7, probabilities to 1e-8; ``tests/reference/group_sequential.json``), including rpact's
    conventions listed in the module docstring.

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, alpha=0.025, beta=0.2, type_of_design="asOF")
    >>> [round(c, 4) for c in d.critical_values]
    [3.7103, 2.5114, 1.993]
    >>> round(d.inflation_factor, 5), round(d.asn_h1, 4)
    (1.01279, 0.8656)
    >>> f = group_sequential_design(kmax=3, futility="bsOF")
    >>> [round(b, 4) for b in f.futility_bounds]
    [-0.2361, 1.1704]
    """
    # ---- validation
    alpha = check_probability("alpha", alpha)
    beta = check_probability("beta", beta)
    alternative = check_alternative(alternative)
    sided = _sides(alternative)
    if sided == 1 and alpha >= 0.5:
        raise InvalidParameterError(
            f"`alpha` must be below 0.5 for a one-sided design; got {alpha!r}.")
    if beta >= 1 - alpha / sided:
        bound = "1 - alpha" if sided == 1 else "1 - alpha/2"
        raise InvalidParameterError(
            f"`beta` must be below {bound} = {1 - alpha / sided:g}; got {beta!r}."
        )
    if kmax is None and information_rates is None:
        kmax = 3
    kmax = check_int("kmax", kmax, minimum=1, allow_none=information_rates is not None)
    if kmax is not None and kmax > 20:
        raise InvalidParameterError(f"`kmax` must be at most 20; got {kmax!r}.")
    kmax, t = _check_information_rates(information_rates, kmax)
    type_of_design = check_choice("type_of_design", type_of_design, _DESIGN_TYPES)
    binding = check_bool("binding", binding)

    def _unused(name, value):
        if value is not None:
            warnings.warn(f"`{name}` ({value!r}) is ignored for type_of_design={type_of_design!r}.",
                          UserWarning, stacklevel=3)

    if type_of_design == "WT":
        if delta_wt is None:
            raise InvalidParameterError("`delta_wt` is needed for type_of_design='WT'.")
        delta_wt = check_real("delta_wt", delta_wt)
        if not -0.5 <= delta_wt <= 1.0:
            raise InvalidParameterError(f"`delta_wt` must be in [-0.5, 1]; got {delta_wt!r}.")
    else:
        _unused("delta_wt", delta_wt)
        delta_wt = None
    if type_of_design == "asHSD":
        gamma = _check_spending_parameter("gamma", gamma, -10.0, 5.0, "asHSD")
    else:
        _unused("gamma", gamma)
        gamma = None
    if type_of_design == "asKD":
        rho = _check_spending_parameter("rho", rho, 0.4, 8.0, "asKD")
    else:
        _unused("rho", rho)
        rho = None

    fixed_futility = None
    if futility is None:
        if futility_gamma is not None or futility_rho is not None:
            warnings.warn("`futility_gamma` / `futility_rho` are ignored without `futility`.",
                          UserWarning, stacklevel=2)
        futility_gamma = futility_rho = None
    elif isinstance(futility, str):
        futility = check_choice("futility", futility, BETA_SPENDING_TYPES)
        if type_of_design not in ALPHA_SPENDING_TYPES:
            raise InvalidParameterError(
                f"`futility`={futility!r} (beta spending) needs an alpha-spending design "
                f"(type_of_design in {', '.join(ALPHA_SPENDING_TYPES)}); got {type_of_design!r}."
            )
        if kmax == 1:
            raise InvalidParameterError("`futility` needs at least two looks (`kmax` >= 2).")
        futility_gamma = (_check_spending_parameter("futility_gamma", futility_gamma, -10.0, 5.0,
                                                    "bsHSD") if futility == "bsHSD" else None)
        futility_rho = (_check_spending_parameter("futility_rho", futility_rho, 0.4, 8.0, "bsKD")
                        if futility == "bsKD" else None)
    else:
        if sided != 1:
            raise InvalidParameterError(
                "`futility` bounds on the z scale are available for one-sided designs "
                f"(`alternative` 'greater' or 'less') only; got alternative={alternative!r}.")
        try:
            fixed_futility = np.asarray(futility, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"`futility` must be a beta-spending type ({', '.join(BETA_SPENDING_TYPES)}) or "
                f"{kmax - 1} futility bounds on the z scale; got {futility!r}."
            ) from None
        if fixed_futility.size != kmax - 1 or not np.all(np.isfinite(fixed_futility)):
            raise InvalidParameterError(
                f"`futility` must hold kmax - 1 = {kmax - 1} finite z values; got {futility!r}."
            )
        futility = as_tuple(fixed_futility)
        futility_gamma = futility_rho = None
    if binding and futility is None:
        warnings.warn("`binding` is ignored without futility bounds.", UserWarning, stacklevel=2)
        binding = False

    # ---- boundaries
    fut_bounds = None
    beta_spent = None
    absorbing = fixed_futility if (binding and fixed_futility is not None) else None
    if kmax == 1:
        crit = np.array([special.ndtri(1 - alpha / sided)])
    elif type_of_design in CLASSICAL_TYPES:
        delta = {"OF": 0.0, "P": 0.5}.get(type_of_design, delta_wt)
        assert delta is not None  # delta_wt is checked above for WT
        crit = wang_tsiatis_bounds(alpha, t, delta, sided, absorbing)
    else:
        cum_alpha = spending_function(type_of_design, alpha, t, alternative=alternative,
                                      gamma=gamma, rho=rho)
        crit = alpha_spending_bounds(cum_alpha, t, sided, absorbing)
    if fixed_futility is not None:
        if np.any(fixed_futility >= crit[:-1]):
            raise InvalidParameterError(
                f"`futility` bounds {fixed_futility.tolist()} must lie below the critical values "
                f"{crit[:-1].round(4).tolist()}."
            )
        fut_bounds = fixed_futility
    if isinstance(futility, str):
        cum_beta = spending_function(futility, beta, t, gamma=futility_gamma, rho=futility_rho)
        theta_fixed = float(special.ndtri(1 - alpha / sided) + special.ndtri(1 - beta))
        if sided == 1:
            theta_bs, crit, fut_bounds = beta_spending(crit, cum_alpha, cum_beta, t, binding,
                                                       theta_fixed)
        else:
            theta_bs, crit, fut_bounds, _, _ = beta_spending_two(crit, cum_alpha, cum_beta, t,
                                                                 binding, theta_fixed)
            # rpact reports bounds of (almost) zero as no futility stop (NA)
            fut_bounds = np.where(fut_bounds <= 1e-5, math.nan, fut_bounds)
    # ---- alpha spent and characteristics
    if sided == 2 and isinstance(futility, str):
        fut_h0 = fut_bounds if binding else np.full(kmax - 1, math.nan)
        up, low, _ = crossing_two(crit, fut_h0, t, 0.0)
        alpha_spent = np.cumsum(up + low)
    else:
        alpha_spent = np.cumsum(type_one_error(crit, t, sided,
                                               fut_bounds if binding else None))
    ch = characteristics(crit, fut_bounds, t, sided, alpha, beta)
    if isinstance(futility, str):
        assert fut_bounds is not None  # from the beta spending above
        if sided == 1:
            _, lo = crossing(crit, np.append(fut_bounds, crit[-1]), t, theta_bs)
        else:
            _, _, lo = crossing_two(crit, np.append(fut_bounds, crit[-1]), t, theta_bs)
        beta_spent = np.cumsum(lo)
    _check_consistent(alpha, sided, binding, alpha_spent, _Phi(-crit),
                      ch["shift"] / ch["n_fixed"])
    return GroupSequentialDesign(
        kmax=kmax, alpha=alpha, beta=beta, alternative=alternative, information_rates=as_tuple(t),
        type_of_design=type_of_design, delta_wt=delta_wt, gamma=gamma, rho=rho,
        futility=futility, binding=binding, futility_gamma=futility_gamma,
        futility_rho=futility_rho,
        critical_values=as_tuple(crit), stage_levels=as_tuple(_Phi(-crit)),
        alpha_spent=as_tuple(alpha_spent),
        futility_bounds=as_tuple(fut_bounds) if fut_bounds is not None else None,
        beta_spent=as_tuple(beta_spent) if beta_spent is not None else None,
        n_fixed=ch["n_fixed"], shift=ch["shift"], inflation_factor=ch["shift"] / ch["n_fixed"],
        power=as_tuple(ch["power"]), rejection_probabilities=as_tuple(ch["rejection"]),
        futility_probabilities=as_tuple(ch["futility"]),
        asn_h1=float(ch["asn"][0]), asn_h01=float(ch["asn"][1]), asn_h0=float(ch["asn"][2]),
        beta_spending_shift=theta_bs ** 2 if isinstance(futility, str) else None,
    )


def _check_spending_parameter(name, value, lo, hi, kind):
    if value is None:
        raise InvalidParameterError(f"`{name}` is needed for {kind} spending.")
    value = check_real(name, value)
    if not lo <= value <= hi:
        raise InvalidParameterError(f"`{name}` for {kind} spending must be in [{lo:g}, {hi:g}]; "
                                    f"got {value!r}.")
    return value


def boundary_crossing(design: GroupSequentialDesign, drift: float = 0.0, *,
                      information_rates=None) -> pd.DataFrame:
    """Per-look crossing probabilities of a design's boundaries for a given drift.

    Parameters
    ----------
    design : GroupSequentialDesign
    drift : float, default 0
        ``E[Z_K]`` at full information (0 is H0; ``design.drift`` the planned alternative), on
        the statistic oriented towards the design's alternative (``-Z`` for "less").
    information_rates : sequence of float, optional
        Information rates at which the boundaries are applied (default the design's); e.g. the
        rates actually reached, with the design's critical values kept.

    Returns
    -------
    pandas.DataFrame
        ``look, information_rate, critical_value, lower_bound, p_upper, p_lower,
        cumulative_upper``: probabilities of stopping at each look above the critical value and
        below the lower bound (futility or, two-sided, lower rejection). Two-sided designs with
        futility bounds add ``futility_bound`` and ``p_futility`` (stopping with
        ``|Z| < futility_bound``).

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> round(float(boundary_crossing(d, 0.0)["p_upper"].sum()), 6)
    0.025
    """
    design = check_design(design)
    drift = check_real("drift", drift)
    if information_rates is None:
        t = np.asarray(design.information_rates)
    else:
        t = np.asarray(check_increasing(information_rates, "information_rates"))
        check_information_gaps(t)
        if t.size != design.kmax:
            raise InvalidParameterError(
                f"`information_rates` has {t.size} values; the design has {design.kmax} looks."
            )
    crit = np.asarray(design.critical_values)
    lower = lower_bounds(crit, design.futility_bounds, design.sided)
    if design.sided == 2 and design.futility_bounds is not None:
        up, lo, fu = crossing_two(crit, np.asarray(design.futility_bounds), t, drift)
        return pd.DataFrame({
            "look": np.arange(1, design.kmax + 1), "information_rate": t, "critical_value": crit,
            "lower_bound": lower, "p_upper": up, "p_lower": lo, "cumulative_upper": np.cumsum(up),
            "futility_bound": to_last_look(design.futility_bounds, design.kmax),
            "p_futility": np.append(fu, math.nan),
        })
    up, lo = crossing(crit, lower, t, drift)
    return pd.DataFrame({
        "look": np.arange(1, design.kmax + 1), "information_rate": t, "critical_value": crit,
        "lower_bound": lower, "p_upper": up, "p_lower": lo, "cumulative_upper": np.cumsum(up),
    })


def check_design(design) -> GroupSequentialDesign:
    """``design`` itself if it is a :class:`GroupSequentialDesign`, else an error naming ``design``.

    For the functions that take one.
    """
    if not isinstance(design, GroupSequentialDesign):
        raise InvalidParameterError(
            f"`design` must be a GroupSequentialDesign (see group_sequential_design); got "
            f"{type_name(design)}."
        )
    return design
