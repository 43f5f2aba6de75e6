"""Group-sequential designs: boundaries, design characteristics, sample sizes and monitoring.

The boundaries and the operating characteristics follow rpact (``getDesignGroupSequential``,
``getDesignCharacteristics``, ``getSampleSizeSurvival``, ``getSampleSizeRates``) and are checked
against rpact 3.3.4 in ``tests/reference/group_sequential.json``.

Model
-----
The canonical joint distribution of Jennison & Turnbull (2000, ch. 3): at information rates
``0 < t_1 < ... < t_K = 1`` the standardised statistics ``Z_k`` are multivariate normal with
``E[Z_k] = theta * sqrt(t_k)`` and ``cov(Z_j, Z_k) = sqrt(t_j / t_k)`` (``j <= k``). ``theta``
is the drift at full information; rpact calls ``theta**2`` the *shift*. Crossing probabilities are
computed by the recursive numerical integration of Armitage, McPherson & Rowe (1969) in the form of
Jennison & Turnbull (2000, ch. 19): the sub-density of ``Z_k`` on the continuation region is carried
from look to look on a grid (their ``6r - 1`` point grid around ``theta * sqrt(t_k)``, here with
4-point Gauss-Legendre panels between the grid points), one matrix-vector product per look.

rpact conventions kept here (so numbers agree with rpact to about 1e-9)
-----------------------------------------------------------------------
* One-sided designs reject at look ``k`` when ``Z_k >= critical_values[k]``, two-sided designs when
  ``|Z_k| >= critical_values[k]``; ``stage_levels = 1 - Phi(critical_values)`` is one-sided for
  both.
* "No futility" is rpact's bound at ``z = -6`` (on the scale centred at the mean of ``Z_k``): the
  continuation region is always cut to ``[mean - 6, mean + 8]``, and the (about 1e-9) mass below
  ``mean - 6`` counts as stopping in the expected information, as in rpact.
* Beta spending (one-sided): the futility bound at look ``k`` spends ``beta(t_k) - beta(t_{k-1})``
  under the alternative with the earlier futility bounds absorbing; the drift is solved so that the
  last futility bound meets the last critical value. Non-binding futility leaves the critical values
  of the design without futility; binding futility solves each critical value under H0 with the
  earlier futility bounds absorbing.
* Beta spending (two-sided, rpact 3.3): the trial stops for futility when ``|Z_k| < u_k``; looks
  where the one-sided beta-spending design at ``alpha / 2`` has a negative futility bound get none
  (NA), and when the first looks get none the beta spending values are set to 0 there and rescaled
  linearly to reach ``beta`` at the end (rpact's ``betaAdjustment = TRUE``); bounds of at most
  1e-5 are reported as NA. Power is the upper tail (``twoSidedPower = FALSE``).
* Design characteristics: futility bounds count as stopping in the power (binding or not);
  ``n_fixed = (z_{1-alpha/sided} + z_{1-beta})**2``; power is the upper tail only
  (rpact's ``twoSidedPower = FALSE``); the expected information (ASN) is given as a ratio to
  ``n_fixed`` under ``theta``, ``theta / 2`` and 0.
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
from numpy.polynomial.legendre import leggauss
from scipy import optimize, special

from .._validation import (
    _check_bool,
    _check_choice,
    _check_int,
    _check_positive,
    _check_probability,
    _check_real,
)
from ..exceptions import ConvergenceError, InvalidParameterError
from ..results import Result
from .analytic import _rates_sd, event_probability, events_freedman, events_schoenfeld

__all__ = [
    "GroupSequentialDesign",
    "group_sequential_design",
    "boundary_crossing",
    "spending_function",
    "SequentialSampleSizeSurvival",
    "sample_size_survival_sequential",
    "SequentialSampleSizeRates",
    "sample_size_rates_sequential",
    "SequentialMonitoring",
    "monitor_sequential",
    "monitor_logrank",
    "SequentialPower",
    "power_survival_sequential",
    "data_at_events",
    "SequentialSimulation",
    "simulate_survival_sequential",
]

# ============================================================================================
# numerical core: recursive integration (Armitage, McPherson & Rowe; Jennison & Turnbull ch. 19)
# ============================================================================================
_GRID_R = 24  # Jennison & Turnbull grid parameter r (6r - 1 points per look before trimming)
_GL_X, _GL_W = leggauss(4)  # Gauss-Legendre nodes and weights on each grid panel
_LOW_CUT = -6.0  # rpact's "no futility" bound, relative to the mean of Z_k
_HIGH_CUT = 8.0  # rpact's cap of the upper bound, relative to the mean of Z_k
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_ROOT_TOL = 1e-13

_Phi = special.ndtr


def _grid_points(mu: float, lo: float, hi: float, r: int) -> np.ndarray:
    """Jennison & Turnbull's grid around ``mu`` trimmed to ``[lo, hi]`` (bounds included)."""
    i = np.arange(1, 6 * r, dtype=float)
    x = np.empty_like(i)
    left, mid, right = i < r, (i >= r) & (i <= 5 * r), i > 5 * r
    x[left] = -3.0 - 4.0 * np.log(r / i[left])
    x[mid] = -3.0 + 3.0 * (i[mid] - r) / (2.0 * r)
    x[right] = 3.0 + 4.0 * np.log(r / (6.0 * r - i[right]))
    x += mu
    inside = x[(x > lo) & (x < hi)]
    parts = []
    if lo > x[0]:
        parts.append([lo])
    parts.append(inside)
    if hi < x[-1]:
        parts.append([hi])
    return np.concatenate(parts)


def _nodes(mu: float, lo: float, hi: float, r: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on the panels between the grid points."""
    pts = _grid_points(mu, lo, hi, r)
    if pts.size < 2:
        return np.empty(0), np.empty(0)
    h = np.diff(pts)
    c = 0.5 * (pts[1:] + pts[:-1])
    z = (c[:, None] + 0.5 * h[:, None] * _GL_X[None, :]).ravel()
    w = (0.5 * h[:, None] * _GL_W[None, :]).ravel()
    return z, w


@dataclass
class _Density:
    """Sub-density of Z at information ``t`` on the continuation region: nodes ``z`` and
    ``f = quadrature weight * density``. The start (``t = 0``) is a point mass at 0."""

    z: np.ndarray
    f: np.ndarray
    t: float


def _start() -> _Density:
    return _Density(np.zeros(1), np.ones(1), 0.0)


def _window(a: float, b: float, t: float, theta: float) -> tuple[float, float]:
    """rpact's cut of the continuation region to [mean - 6, mean + 8] of Z at ``t``."""
    mu = theta * math.sqrt(t)
    return max(a, mu + _LOW_CUT), min(b, mu + _HIGH_CUT)


def _means(st: _Density, t: float, theta: float) -> tuple[np.ndarray, float]:
    """Mean of S(t) = Z(t) sqrt(t) given each node, and the sd of the increment."""
    dt = t - st.t
    return st.z * math.sqrt(st.t) + theta * dt, math.sqrt(dt)


def _upper(st: _Density, b: float, t: float, theta: float) -> float:
    """P(continued through the earlier looks and Z(t) >= b)."""
    if st.f.size == 0:
        return 0.0
    b = _window(-math.inf, b, t, theta)[1]
    m, sd = _means(st, t, theta)
    return float(np.dot(st.f, _Phi((m - b * math.sqrt(t)) / sd)))


def _lower(st: _Density, a: float, t: float, theta: float) -> float:
    """P(continued through the earlier looks and Z(t) <= a)."""
    if st.f.size == 0:
        return 0.0
    a = _window(a, math.inf, t, theta)[0]
    m, sd = _means(st, t, theta)
    return float(np.dot(st.f, _Phi((a * math.sqrt(t) - m) / sd)))


def _advance(st: _Density, a: float, b: float, t: float, theta: float,
             t_next: float | None = None) -> _Density:
    """Sub-density of Z(t) on the continuation region (a, b), from the one at the previous look.

    ``t_next`` (the next look) sets how fine the new grid must be: the kernel of the next step has
    standard deviation sqrt((t_next - t) / t) on the z scale.
    """
    lo, hi = _window(a, b, t, theta)
    r = _GRID_R
    if t_next is not None and t_next > t:
        r = int(min(max(r, math.ceil(4.0 / math.sqrt((t_next - t) / t))), 150))
    if st.f.size == 0 or hi <= lo:
        return _Density(np.empty(0), np.empty(0), t)
    z, w = _nodes(theta * math.sqrt(t), lo, hi, r)
    if z.size == 0:
        return _Density(z, w, t)
    m, sd = _means(st, t, theta)
    x = (z[:, None] * math.sqrt(t) - m[None, :]) / sd
    dens = (np.exp(-0.5 * x * x) @ st.f) * (_INV_SQRT_2PI * math.sqrt(t) / sd)
    return _Density(z, w * dens, t)


def _crossing(upper, lower, t, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-look probabilities of crossing the upper and the lower bound (having continued so far).

    ``lower`` may hold ``-inf`` (no lower bound: rpact's -6 cut applies).
    """
    k_max = len(t)
    up, lo = np.zeros(k_max), np.zeros(k_max)
    st = _start()
    for k in range(k_max):
        up[k] = _upper(st, upper[k], t[k], theta)
        lo[k] = _lower(st, lower[k], t[k], theta)
        if k < k_max - 1:
            st = _advance(st, lower[k], upper[k], t[k], theta, t[k + 1])
    return up, lo


# ---- two-sided designs with futility: the continuation region is (-c, -u) U (u, c) ----------
_WIDE = 8.0  # rpact's cut of two-part continuation regions, +-8 around the mean of Z_k


def _below(st: _Density, x: float, t: float, theta: float) -> float:
    """P(continued through the earlier looks and Z(t) < x), ``x`` cut to the mean +- 8."""
    if st.f.size == 0:
        return 0.0
    mu = theta * math.sqrt(t)
    x = min(max(x, mu - _WIDE), mu + _WIDE)
    m, sd = _means(st, t, theta)
    return float(np.dot(st.f, _Phi((x * math.sqrt(t) - m) / sd)))


def _above(st: _Density, x: float, t: float, theta: float) -> float:
    """P(continued through the earlier looks and Z(t) >= x), ``x`` cut to the mean +- 8."""
    if st.f.size == 0:
        return 0.0
    mu = theta * math.sqrt(t)
    x = min(max(x, mu - _WIDE), mu + _WIDE)
    m, sd = _means(st, t, theta)
    return float(np.dot(st.f, _Phi((m - x * math.sqrt(t)) / sd)))


def _inner(st: _Density, u: float, t: float, theta: float) -> float:
    """P(continued through the earlier looks and -u < Z(t) < u)."""
    return _below(st, u, t, theta) - _below(st, -u, t, theta)


def _advance_two(st: _Density, c: float, u: float, t: float, theta: float,
                 t_next: float) -> _Density:
    """Sub-density of Z(t) on the two-part continuation region (-c, -u) U (u, c)."""
    mu = theta * math.sqrt(t)
    r = int(min(max(_GRID_R, math.ceil(4.0 / math.sqrt((t_next - t) / t))), 150))
    zs, ws = [], []
    for a, b in ((-c, -u), (u, c)):
        lo, hi = max(a, mu - _WIDE), min(b, mu + _WIDE)
        if hi > lo and st.f.size:
            z, w = _nodes(mu, lo, hi, r)
            zs.append(z)
            ws.append(w)
    if not zs:
        return _Density(np.empty(0), np.empty(0), t)
    z, w = np.concatenate(zs), np.concatenate(ws)
    m, sd = _means(st, t, theta)
    x = (z[:, None] * math.sqrt(t) - m[None, :]) / sd
    dens = (np.exp(-0.5 * x * x) @ st.f) * (_INV_SQRT_2PI * math.sqrt(t) / sd)
    return _Density(z, w * dens, t)


def _crossing_two(crit, fut, t, theta: float):
    """Per-look probabilities of rejecting upwards, rejecting downwards and stopping for futility
    (``|Z_k| < u_k``) of a two-sided design with inner futility bounds ``fut`` (the looks before
    the last, or all looks; NaN: no futility stop at that look)."""
    k_max = len(t)
    up, low, fu = np.zeros(k_max), np.zeros(k_max), np.zeros(len(fut))
    st = _start()
    for k in range(k_max):
        up[k] = _above(st, crit[k], t[k], theta)
        low[k] = _below(st, -crit[k], t[k], theta)
        u = 0.0 if k >= len(fut) or math.isnan(fut[k]) else float(fut[k])
        if k < len(fut):
            fu[k] = _inner(st, u, t[k], theta)
        if k < k_max - 1:
            st = _advance_two(st, crit[k], u, t[k], theta, t[k + 1])
    return up, low, fu


def _brentq(f, a: float, b: float) -> float:
    return optimize.brentq(f, a, b, xtol=_ROOT_TOL, rtol=4 * np.finfo(float).eps, maxiter=500)


class _Unspendable(InvalidParameterError):
    """More type I error asked for at a look than is left to spend."""


def _solve_upper(st: _Density, target: float, t: float, sided: int) -> float:
    """Critical value at information ``t`` that spends ``target`` under H0."""
    if target <= 0:
        return math.inf
    if st.t == 0:  # first look: closed form (upper quantile, accurate for tiny targets)
        return float(-special.ndtri(target / sided))

    def spent(b):
        p = _upper(st, b, t, 0.0)
        if sided == 2:
            p += _lower(st, -b, t, 0.0)
        return p - target

    lo_b = 0.0 if sided == 2 else -_HIGH_CUT
    if spent(_HIGH_CUT) >= 0:  # nothing left to spend inside rpact's window: bound at its cap
        return _HIGH_CUT
    if spent(lo_b) <= 0:
        raise _Unspendable(
            f"the spending function asks for {target:.3g} at information rate {t:.4g}, more than "
            "can be spent there; check `alpha` and the spending parameters."
        )
    return _brentq(spent, lo_b, _HIGH_CUT)


def _solve_lower(st: _Density, target: float, t: float, theta: float, cap: float) -> float:
    """Futility bound at ``t`` spending ``target`` under the drift ``theta`` (capped at ``cap``)."""
    floor = theta * math.sqrt(t) + _LOW_CUT

    def spent(a):
        return _lower(st, a, t, theta) - target

    if spent(cap) <= 0:
        return cap
    if spent(floor) >= 0:
        return floor
    return _brentq(spent, floor, cap)


# ============================================================================================
# spending functions
# ============================================================================================
_ALPHA_SPENDING = ("asOF", "asP", "asHSD", "asKD")
_BETA_SPENDING = ("bsOF", "bsP", "bsHSD", "bsKD")
_CLASSICAL = ("OF", "P", "WT")
_DESIGN_TYPES = _CLASSICAL + _ALPHA_SPENDING


def spending_function(kind: str, total: float, t, *, sided: int = 1, gamma: float | None = None,
                      rho: float | None = None) -> np.ndarray:
    """Cumulative error spent at information rates ``t`` (Lan & DeMets and related families).

    Parameters
    ----------
    kind : {"asOF", "asP", "asHSD", "asKD", "bsOF", "bsP", "bsHSD", "bsKD"}
        O'Brien-Fleming type ``2 sided (1 - Phi(z_{1 - a / (2 sided)} / sqrt(t)))`` (the ``bs``
        version always uses ``sided = 1``), Pocock type ``a log(1 + (e - 1) t)``,
        Hwang-Shih-DeCani ``a (1 - exp(-gamma t)) / (1 - exp(-gamma))`` (``a t`` for
        ``gamma = 0``), Kim-DeMets power family ``a t**rho``.
    total : float in (0, 1)
        Error to spend by ``t = 1`` (alpha, or beta for the ``bs`` types).
    t : array_like of float in [0, 1]
        Information rates.
    sided : {1, 2}, default 1
        Two-sided O'Brien-Fleming type spending counts both tails (as rpact).
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
        if gamma == 0:
            return total * t
        return total * np.expm1(-gamma * t) / math.expm1(-gamma)
    if base == "KD":
        return total * t**rho
    raise InvalidParameterError(f"unknown spending function {kind!r}.")


# ============================================================================================
# boundaries
# ============================================================================================
def _alpha_spending_bounds(cum_alpha, t, sided: int, futility=None) -> np.ndarray:
    """Critical values spending ``cum_alpha`` (cumulative) at rates ``t`` under H0.

    ``futility`` (one-sided, binding) holds absolute futility bounds for the looks before the
    last, absorbing under H0.
    """
    k_max = len(t)
    crit = np.empty(k_max)
    st = _start()
    spent = 0.0
    for k in range(k_max):
        crit[k] = _solve_upper(st, cum_alpha[k] - spent, t[k], sided)
        low = -crit[k] if sided == 2 else (futility[k] if futility is not None and k < k_max - 1
                                            else -math.inf)
        spent += _upper(st, crit[k], t[k], 0.0)
        if sided == 2:
            spent += _lower(st, -crit[k], t[k], 0.0)
        if k < k_max - 1:
            st = _advance(st, low, crit[k], t[k], 0.0, t[k + 1])
    return crit


def _type_one_error(crit, t, sided: int, futility=None) -> np.ndarray:
    """Per-look probability of rejecting H0 (both tails for two-sided designs)."""
    k_max = len(t)
    if sided == 2:
        lower = -np.asarray(crit)
    elif futility is not None:
        lower = np.append(futility, -math.inf)
    else:
        lower = np.full(k_max, -math.inf)
    up, lo = _crossing(crit, lower, t, 0.0)
    return up + lo if sided == 2 else up


def _wang_tsiatis_bounds(alpha: float, t, delta: float, sided: int, futility=None) -> np.ndarray:
    """Wang & Tsiatis boundaries ``C t**(delta - 1/2)`` with overall level ``alpha``."""
    shape = np.asarray(t) ** (delta - 0.5)

    def excess(c):
        return _type_one_error(c * shape, t, sided, futility).sum() - alpha

    hi = 8.0
    while excess(hi) > 0:
        hi *= 2.0
    c = _brentq(excess, 1e-6, hi)
    return c * shape


def _spend_futility(crit_nonbinding, cum_alpha, cum_beta, t, theta: float, binding: bool,
                    final: bool = True):
    """Futility bounds spending ``cum_beta`` under the drift ``theta`` (earlier bounds absorbing).

    Non-binding: the critical values ``crit_nonbinding`` are kept. Binding: each critical value is
    solved under H0 with the earlier futility bounds absorbing (``cum_alpha`` cumulative).
    With ``final`` the last look has no futility bound and the residual
    ``P(continue, Z_K < c_K) - (beta left)`` is returned (zero for the design's drift);
    otherwise a futility bound is solved at the last look too and the residual is NaN.
    Returns ``(residual, critical values, futility bounds)``; a residual of -1 flags a drift so
    large that the binding futility bounds leave no type I error to spend.
    """
    k_max = len(t)
    st1 = _start()
    st0 = _start()
    crit = np.array(crit_nonbinding, dtype=float)
    fut = np.full(k_max, math.nan)
    spent_b = 0.0
    spent_a = 0.0
    for k in range(k_max):
        if binding:
            try:
                crit[k] = _solve_upper(st0, cum_alpha[k] - spent_a, t[k], 1)
            except _Unspendable:
                return -1.0, crit, fut
            spent_a += _upper(st0, crit[k], t[k], 0.0)
        if k == k_max - 1 and final:
            resid = _lower(st1, crit[k], t[k], theta) - (cum_beta[k] - spent_b)
            fut[k] = crit[k]
            return resid, crit, fut
        fut[k] = _solve_lower(st1, cum_beta[k] - spent_b, t[k], theta, crit[k])
        if k == k_max - 1:
            return math.nan, crit, fut
        spent_b += _lower(st1, fut[k], t[k], theta)
        st1 = _advance(st1, fut[k], crit[k], t[k], theta, t[k + 1])
        if binding:
            st0 = _advance(st0, fut[k], crit[k], t[k], 0.0, t[k + 1])
    raise AssertionError  # pragma: no cover


def _beta_spending(crit_nonbinding, cum_alpha, cum_beta, t, binding: bool, theta_guess: float):
    """Futility bounds by beta spending and the drift where they meet the critical values."""

    def run(theta):
        return _spend_futility(crit_nonbinding, cum_alpha, cum_beta, t, theta, binding)

    lo, hi = 0.9 * theta_guess, 1.3 * theta_guess
    f_lo, f_hi = run(lo)[0], run(hi)[0]
    tries = 0
    while f_lo * f_hi > 0 and tries < 40:
        if f_lo > 0 and f_hi > 0:  # too much beta left even at the high drift
            lo, hi = hi, hi * 1.5
        else:
            lo, hi = lo / 1.5, lo
        f_lo, f_hi = run(lo)[0], run(hi)[0]
        tries += 1
    if f_lo * f_hi > 0:  # pragma: no cover - spending functions are monotone
        raise ConvergenceError("could not bracket the drift of the beta-spending design.")
    theta = _brentq(lambda x: run(x)[0], lo, hi)
    _, crit, fut = run(theta)
    return theta, crit, fut[:-1]


def _solve_upper_two(st: _Density, target: float, t: float) -> float:
    """Two-sided critical value at ``t`` spending ``target`` (both tails) under H0."""
    if target <= 0:
        return math.inf
    if st.t == 0:
        return float(-special.ndtri(target / 2.0))

    def spent(b):
        return _above(st, b, t, 0.0) + _below(st, -b, t, 0.0) - target

    if spent(_HIGH_CUT) >= 0:
        return _HIGH_CUT
    if spent(0.0) <= 0:
        raise _Unspendable(
            f"the spending function asks for {target:.3g} at information rate {t:.4g}, more than "
            "can be spent there; check `alpha` and the spending parameters."
        )
    return _brentq(spent, 0.0, _HIGH_CUT)


def _solve_inner(st: _Density, target: float, t: float, theta: float, cap: float) -> float:
    """Two-sided futility bound u in [0, cap] with P(continue, |Z(t)| < u) = ``target``."""
    if target <= 0:
        return 0.0

    def spent(u):
        return _inner(st, u, t, theta) - target

    if spent(cap) <= 0:
        return cap
    return _brentq(spent, 0.0, cap)


def _spend_futility_two(crit_nonbinding, cum_alpha, cum_beta, t, theta: float, binding: bool,
                        skip, final: bool = True):
    """Two-sided futility bounds (stop for futility when ``|Z_k| < u_k``) spending ``cum_beta``
    under the drift ``theta`` with the earlier bounds absorbing (rpact 3.3's two-sided beta
    spending). ``skip[k]`` sets ``u_k = 0`` (no futility stop at look ``k``: the one-sided futility
    bound of the half-alpha design is negative there). Binding: each critical value is solved under
    H0 with the earlier futility regions absorbing (``cum_alpha`` two-sided, cumulative). Returns
    ``(residual, critical values, futility bounds)`` as :func:`_spend_futility`.
    """
    k_max = len(t)
    st1 = _start()
    st0 = _start()
    crit = np.array(crit_nonbinding, dtype=float)
    fut = np.full(k_max, math.nan)
    spent_b = 0.0
    spent_a = 0.0
    for k in range(k_max):
        if binding:
            try:
                crit[k] = _solve_upper_two(st0, cum_alpha[k] - spent_a, t[k])
            except _Unspendable:
                return -1.0, crit, fut
            spent_a += _above(st0, crit[k], t[k], 0.0) + _below(st0, -crit[k], t[k], 0.0)
        if k == k_max - 1 and final:
            resid = _inner(st1, crit[k], t[k], theta) - (cum_beta[k] - spent_b)
            fut[k] = crit[k]
            return resid, crit, fut
        if k < len(skip) and skip[k]:
            fut[k] = 0.0
        else:
            fut[k] = _solve_inner(st1, cum_beta[k] - spent_b, t[k], theta, crit[k])
        if k == k_max - 1:
            return math.nan, crit, fut
        spent_b += _inner(st1, fut[k], t[k], theta)
        st1 = _advance_two(st1, crit[k], fut[k], t[k], theta, t[k + 1])
        if binding:
            st0 = _advance_two(st0, crit[k], fut[k], t[k], 0.0, t[k + 1])
    raise AssertionError  # pragma: no cover


def _two_sided_beta_values(crit_nonbinding, cum_alpha, cum_beta, t, binding: bool,
                           theta_guess: float):
    """rpact's preparation of two-sided beta spending: the one-sided beta-spending design at
    half the alpha gives the looks whose futility bound is negative (no two-sided futility stop
    there, ``skip``); when the first looks are skipped the beta spending values are set to 0
    there and rescaled linearly, ``beta(t_k) - beta(t_m)) / (beta(1) - beta(t_m)) * beta(1)``
    from the last skipped look ``m`` on (rpact's ``betaAdjustment = TRUE``)."""
    _, _, fut1 = _beta_spending(crit_nonbinding, np.asarray(cum_alpha) / 2.0, cum_beta, t,
                                binding, theta_guess)
    skip = np.asarray(fut1) < 0
    positive = np.flatnonzero(np.asarray(fut1) > 0)
    b = np.array(cum_beta, dtype=float)
    k_min = int(positive[0]) if positive.size else -1
    if k_min > 0:
        adj = b.copy()
        adj[:k_min] = 0.0
        adj[k_min - 1:] = (b[k_min - 1:] - b[k_min - 1]) / (b[-1] - b[k_min - 1]) * b[-1]
        b = adj
    return b, skip


def _beta_spending_two(crit_nonbinding, cum_alpha, cum_beta, t, binding: bool,
                       theta_guess: float):
    """Two-sided futility bounds by beta spending and the drift where the last one meets the
    last critical value."""
    b, skip = _two_sided_beta_values(crit_nonbinding, cum_alpha, cum_beta, t, binding,
                                     theta_guess)

    def run(theta):
        return _spend_futility_two(crit_nonbinding, cum_alpha, b, t, theta, binding, skip)

    lo, hi = 0.9 * theta_guess, 1.3 * theta_guess
    f_lo, f_hi = run(lo)[0], run(hi)[0]
    tries = 0
    while f_lo * f_hi > 0 and tries < 40:
        if f_lo > 0 and f_hi > 0:
            lo, hi = hi, hi * 1.5
        else:
            lo, hi = lo / 1.5, lo
        f_lo, f_hi = run(lo)[0], run(hi)[0]
        tries += 1
    if f_lo * f_hi > 0:  # pragma: no cover - spending functions are monotone
        raise ConvergenceError("could not bracket the drift of the beta-spending design.")
    theta = _brentq(lambda x: run(x)[0], lo, hi)
    _, crit, fut = run(theta)
    return theta, crit, fut[:-1], b, skip


def _characteristics(crit, fut, t, sided: int, alpha: float, beta: float):
    """rpact's getDesignCharacteristics: drift for power 1 - beta, power, ASN ratios."""
    k_max = len(t)
    crit = np.asarray(crit, dtype=float)
    n_fixed = float((special.ndtri(1 - alpha / sided) + special.ndtri(1 - beta)) ** 2)
    if sided == 2:
        lower = -crit
    elif fut is not None:
        lower = np.append(fut, -math.inf)
    else:
        lower = np.full(k_max, -math.inf)
    if k_max == 1:
        return dict(n_fixed=n_fixed, shift=n_fixed, power=np.array([1 - beta]),
                    rejection=np.array([1 - beta]), futility=np.zeros(0),
                    asn=(1.0, 1.0, 1.0))
    if sided == 2 and fut is not None:
        return _characteristics_two(np.asarray(crit, dtype=float), np.asarray(fut, dtype=float),
                                    np.asarray(t, dtype=float), n_fixed, beta)

    def power_gap(theta):
        return _crossing(crit, lower, t, theta)[0].sum() - (1 - beta)

    lo_th = 0.0
    hi_th = 2.0 * math.sqrt(n_fixed) + 1.0
    while power_gap(hi_th) < 0:
        hi_th *= 2.0
    theta = _brentq(power_gap, lo_th, hi_th)
    shift = theta * theta

    def asn(th):
        up, lo = _crossing(crit, lower, t, th)
        stop = (up + lo)[:-1]
        return (shift - np.sum(stop * (1.0 - np.asarray(t[:-1])) * shift)) / n_fixed

    up1, lo1 = _crossing(crit, lower, t, theta)
    futility = lo1[:-1] if (sided == 1 and fut is not None) else np.zeros(k_max - 1)
    return dict(n_fixed=n_fixed, shift=shift, power=np.cumsum(up1), rejection=up1,
                futility=futility, asn=(asn(theta), asn(theta / 2.0), asn(0.0)))


def _characteristics_two(crit, fut, t, n_fixed: float, beta: float):
    """getDesignCharacteristics of a two-sided design with inner futility bounds: the drift gives
    upper-tail power ``1 - beta`` with the futility regions ``|Z_k| < u_k`` absorbing (NaN: no
    stop); stopping at a look (ASN) counts both rejections and futility."""

    def power_gap(theta):
        return _crossing_two(crit, fut, t, theta)[0].sum() - (1 - beta)

    hi_th = 2.0 * math.sqrt(n_fixed) + 1.0
    while power_gap(hi_th) < 0:
        hi_th *= 2.0
    theta = _brentq(power_gap, 0.0, hi_th)
    shift = theta * theta

    def asn(th):
        up, low, fu = _crossing_two(crit, fut, t, th)
        stop = up[:-1] + low[:-1] + fu
        return (shift - np.sum(stop * (1.0 - t[:-1])) * shift) / n_fixed

    up1, _, fu1 = _crossing_two(crit, fut, t, theta)
    return dict(n_fixed=n_fixed, shift=shift, power=np.cumsum(up1), rejection=up1,
                futility=fu1, asn=(asn(theta), asn(theta / 2.0), asn(0.0)))


# ============================================================================================
# the design object
# ============================================================================================
def _tuple(x) -> tuple[float, ...]:
    return tuple(float(v) for v in np.asarray(x, dtype=float).ravel())


def _to_last_look(values, k: int) -> list[float]:
    """A sequence over the looks before the last, with NaN at the last look (all NaN if None)."""
    return list(values) + [math.nan] if values else [math.nan] * k


@dataclass(frozen=True)
class GroupSequentialDesign(Result):
    """A group-sequential design: boundaries and operating characteristics (rpact conventions).

    Made by :func:`group_sequential_design`; all sequences run over the looks (``futility_bounds``
    and ``futility_probabilities`` over the looks before the last).

    Attributes
    ----------
    critical_values : tuple of float
        Efficacy bounds on the z scale.
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
    sided: int
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
    def drift(self) -> float:
        """Drift at full information under the alternative, ``sqrt(shift)``."""
        return math.sqrt(self.shift)

    @property
    def information(self) -> tuple[float, ...]:
        """Information at each look for the prototype drift 1 (``information_rates * shift``)."""
        return _tuple(np.asarray(self.information_rates) * self.shift)

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
        fut = _to_last_look(self.futility_bounds, k)
        fprob = _to_last_look(self.futility_probabilities, k)
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

    def __str__(self) -> str:
        head = (f"Group-sequential design ({self.type_of_design}, kmax={self.kmax}, "
                f"alpha={self.alpha:g}, sided={self.sided}, beta={self.beta:g}"
                + (f", futility={self.futility if isinstance(self.futility, str) else 'fixed'}"
                   f"{' binding' if self.binding else ' non-binding'}" if self.futility else "")
                + ")")
        tail = (f"inflation factor {self.inflation_factor:.4f}; expected information / fixed: "
                f"H1 {self.asn_h1:.4f}, H01 {self.asn_h01:.4f}, H0 {self.asn_h0:.4f}")
        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
            return f"{head}\n{self.summary.to_string(index=False)}\n{tail}"

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
    return t.size, t


def group_sequential_design(kmax: int | None = None, alpha: float = 0.025, beta: float = 0.2,
                            sided: int = 1, information_rates=None, type_of_design: str = "asOF",
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
    sided : {1, 2}, default 1
        One-sided (reject for large Z) or two-sided symmetric boundaries.
    information_rates : sequence of float, optional
        Information fraction at each look, strictly increasing and ending at 1; equally spaced
        when omitted.
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
    alpha = _check_probability("alpha", alpha)
    beta = _check_probability("beta", beta)
    if sided not in (1, 2) or isinstance(sided, bool):
        raise InvalidParameterError(f"`sided` must be 1 or 2; got {sided!r}.")
    sided = int(sided)
    if sided == 1 and alpha >= 0.5:
        raise InvalidParameterError(
            f"`alpha` must be below 0.5 for a one-sided design; got {alpha!r}.")
    if beta >= 1 - alpha / sided:
        raise InvalidParameterError(
            f"`beta` must be below 1 - alpha/sided = {1 - alpha / sided:g}; got {beta!r}."
        )
    if kmax is None and information_rates is None:
        kmax = 3
    kmax = _check_int("kmax", kmax, minimum=1, allow_none=information_rates is not None)
    if kmax is not None and kmax > 20:
        raise InvalidParameterError(f"`kmax` must be at most 20; got {kmax!r}.")
    kmax, t = _check_information_rates(information_rates, kmax)
    type_of_design = _check_choice("type_of_design", type_of_design, _DESIGN_TYPES)
    binding = _check_bool("binding", binding)

    def _unused(name, value):
        if value is not None:
            warnings.warn(f"`{name}` ({value!r}) is ignored for type_of_design={type_of_design!r}.",
                          UserWarning, stacklevel=3)

    if type_of_design == "WT":
        if delta_wt is None:
            raise InvalidParameterError("`delta_wt` is needed for type_of_design='WT'.")
        delta_wt = _check_real("delta_wt", delta_wt)
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
        futility = _check_choice("futility", futility, _BETA_SPENDING)
        if type_of_design not in _ALPHA_SPENDING:
            raise InvalidParameterError(
                f"`futility`={futility!r} (beta spending) needs an alpha-spending design "
                f"(type_of_design in {', '.join(_ALPHA_SPENDING)}); got {type_of_design!r}."
            )
        if kmax == 1:
            raise InvalidParameterError("`futility` needs at least two looks (`kmax` >= 2).")
        futility_gamma = (_check_spending_parameter("futility_gamma", futility_gamma, -10.0, 5.0,
                                                    "bsHSD") if futility == "bsHSD" else None)
        futility_rho = (_check_spending_parameter("futility_rho", futility_rho, 0.4, 8.0, "bsKD")
                        if futility == "bsKD" else None)
    else:
        if sided != 1:
            raise InvalidParameterError("`futility` bounds are available for one-sided designs "
                                        "(sided=1) only.")
        try:
            fixed_futility = np.asarray(futility, dtype=float).ravel()
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"`futility` must be a beta-spending type ({', '.join(_BETA_SPENDING)}) or "
                f"{kmax - 1} futility bounds on the z scale; got {futility!r}."
            ) from None
        if fixed_futility.size != kmax - 1 or not np.all(np.isfinite(fixed_futility)):
            raise InvalidParameterError(
                f"`futility` must hold kmax - 1 = {kmax - 1} finite z values; got {futility!r}."
            )
        futility = _tuple(fixed_futility)
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
    elif type_of_design in _CLASSICAL:
        delta = {"OF": 0.0, "P": 0.5}.get(type_of_design, delta_wt)
        crit = _wang_tsiatis_bounds(alpha, t, delta, sided, absorbing)
    else:
        cum_alpha = spending_function(type_of_design, alpha, t, sided=sided, gamma=gamma, rho=rho)
        crit = _alpha_spending_bounds(cum_alpha, t, sided, absorbing)
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
            theta_bs, crit, fut_bounds = _beta_spending(crit, cum_alpha, cum_beta, t, binding,
                                                        theta_fixed)
        else:
            theta_bs, crit, fut_bounds, _, _ = _beta_spending_two(crit, cum_alpha, cum_beta, t,
                                                                  binding, theta_fixed)
            # rpact reports bounds of (almost) zero as no futility stop (NA)
            fut_bounds = np.where(fut_bounds <= 1e-5, math.nan, fut_bounds)
    # ---- alpha spent and characteristics
    if sided == 2 and isinstance(futility, str):
        fut_h0 = fut_bounds if binding else np.full(kmax - 1, math.nan)
        up, low, _ = _crossing_two(crit, fut_h0, t, 0.0)
        alpha_spent = np.cumsum(up + low)
    else:
        alpha_spent = np.cumsum(_type_one_error(crit, t, sided,
                                                fut_bounds if binding else None))
    ch = _characteristics(crit, fut_bounds, t, sided, alpha, beta)
    if isinstance(futility, str):
        if sided == 1:
            _, lo = _crossing(crit, np.append(fut_bounds, crit[-1]), t, theta_bs)
        else:
            _, _, lo = _crossing_two(crit, np.append(fut_bounds, crit[-1]), t, theta_bs)
        beta_spent = np.cumsum(lo)
    return GroupSequentialDesign(
        kmax=kmax, alpha=alpha, beta=beta, sided=sided, information_rates=_tuple(t),
        type_of_design=type_of_design, delta_wt=delta_wt, gamma=gamma, rho=rho,
        futility=futility, binding=binding, futility_gamma=futility_gamma,
        futility_rho=futility_rho,
        critical_values=_tuple(crit), stage_levels=_tuple(_Phi(-crit)),
        alpha_spent=_tuple(alpha_spent),
        futility_bounds=_tuple(fut_bounds) if fut_bounds is not None else None,
        beta_spent=_tuple(beta_spent) if beta_spent is not None else None,
        n_fixed=ch["n_fixed"], shift=ch["shift"], inflation_factor=ch["shift"] / ch["n_fixed"],
        power=_tuple(ch["power"]), rejection_probabilities=_tuple(ch["rejection"]),
        futility_probabilities=_tuple(ch["futility"]),
        asn_h1=float(ch["asn"][0]), asn_h01=float(ch["asn"][1]), asn_h0=float(ch["asn"][2]),
        beta_spending_shift=theta_bs ** 2 if isinstance(futility, str) else None,
    )


def _check_spending_parameter(name, value, lo, hi, kind):
    if value is None:
        raise InvalidParameterError(f"`{name}` is needed for {kind} spending.")
    value = _check_real(name, value)
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
        ``E[Z_K]`` at full information (0 is H0; ``design.drift`` the planned alternative).
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
    if not isinstance(design, GroupSequentialDesign):
        raise InvalidParameterError(
            f"`design` must be a GroupSequentialDesign; got {type(design).__name__}."
        )
    drift = _check_real("drift", drift)
    if information_rates is None:
        t = np.asarray(design.information_rates)
    else:
        t = np.asarray(_check_rates_monitoring(information_rates, "information_rates"))
        if t.size != design.kmax:
            raise InvalidParameterError(
                f"`information_rates` has {t.size} values; the design has {design.kmax} looks."
            )
    crit = np.asarray(design.critical_values)
    lower = _lower_bounds(design)
    if _two_sided_futility(design):
        up, lo, fu = _crossing_two(crit, np.asarray(design.futility_bounds), t, drift)
        return pd.DataFrame({
            "look": np.arange(1, design.kmax + 1), "information_rate": t, "critical_value": crit,
            "lower_bound": lower, "p_upper": up, "p_lower": lo, "cumulative_upper": np.cumsum(up),
            "futility_bound": _to_last_look(design.futility_bounds, design.kmax),
            "p_futility": np.append(fu, math.nan),
        })
    up, lo = _crossing(crit, lower, t, drift)
    return pd.DataFrame({
        "look": np.arange(1, design.kmax + 1), "information_rate": t, "critical_value": crit,
        "lower_bound": lower, "p_upper": up, "p_lower": lo, "cumulative_upper": np.cumsum(up),
    })


def _two_sided_futility(design: GroupSequentialDesign) -> bool:
    """Two-sided design with inner futility bounds (stop for futility when |Z_k| < u_k)."""
    return design.sided == 2 and design.futility_bounds is not None


def _lower_bounds(design: GroupSequentialDesign) -> np.ndarray:
    crit = np.asarray(design.critical_values)
    if design.sided == 2:
        return -crit
    if design.futility_bounds:
        return np.append(design.futility_bounds, -math.inf)
    return np.full(design.kmax, -math.inf)


def _check_rates_monitoring(values, name) -> list[float]:
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InvalidParameterError(f"`{name}` must be a sequence of numbers; got {values!r}.") \
            from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or arr[0] <= 0:
        raise InvalidParameterError(f"`{name}` must hold finite numbers > 0; got {values!r}.")
    if np.any(np.diff(arr) <= 0):
        bad = int(np.argmax(np.diff(arr) <= 0)) + 1
        raise InvalidParameterError(
            f"`{name}` must be strictly increasing: look {bad + 1} has {arr[bad]:g}, not more "
            f"than look {bad} ({arr[bad - 1]:g}); got {arr.tolist()!r}."
        )
    return arr.tolist()


# ============================================================================================
# sample size: time to event (Schoenfeld or Freedman events, uniform accrual, exponential drop-out)
# ============================================================================================
def _check_design(design) -> GroupSequentialDesign:
    if not isinstance(design, GroupSequentialDesign):
        raise InvalidParameterError(
            f"`design` must be a GroupSequentialDesign (see group_sequential_design); got "
            f"{type(design).__name__}."
        )
    return design


def _hazard(name_rate, rate, name_pi, pi, name_median, median, event_time) -> float | None:
    given = [(n, v) for n, v in ((name_rate, rate), (name_pi, pi), (name_median, median))
             if v is not None]
    if len(given) > 1:
        names = " and ".join(f"`{n}`" for n, _ in given)
        raise InvalidParameterError(f"give only one of {names}.")
    if not given:
        return None
    name, value = given[0]
    if name == name_rate:
        return _check_positive(name, value)
    if name == name_pi:
        p = _check_probability(name, value)
        return -math.log1p(-p) / event_time
    return math.log(2.0) / _check_positive(name, value)


def _event_probability(time: float, accrual_time: float, hazards, dropout,
                       allocation_ratio: float) -> float:
    """Expected fraction of all subjects with an event by calendar ``time``.

    Uniform accrual over ``[0, accrual_time]``, exponential event hazards ``hazards`` (arm 1,
    arm 2) and exponential drop-out hazards ``dropout``; arms weighted ``r / (1 + r)`` and
    ``1 / (1 + r)`` with ``r = allocation_ratio``. After the end of accrual this is
    :func:`workbench.power.analytic.event_probability`; before it, only the subjects accrued so
    far contribute: ``lambda / h * (t - (1 - exp(-h t)) / h) / A``, ``h = lambda + drop-out``.
    """
    weights = (allocation_ratio / (1.0 + allocation_ratio), 1.0 / (1.0 + allocation_ratio))
    a = accrual_time
    out = 0.0
    for w, lam, phi in zip(weights, hazards, dropout, strict=True):
        if time > a:
            p = event_probability(lam, accrual_time=a, follow_up=time - a, dropout_rate=phi)
        else:
            h = lam + phi
            p = (lam / h) * (time + math.expm1(-h * time) / h) / a
        out += w * p
    return out


def _time_for_events(fraction: float, accrual_time, hazards, dropout, r, upper: float) -> float:
    """Calendar time at which the expected event fraction reaches ``fraction``."""
    def gap(x):
        return _event_probability(x, accrual_time, hazards, dropout, r) - fraction

    hi = upper
    while gap(hi) < 0:
        hi *= 2.0
        if hi > 1e9:
            raise InvalidParameterError(
                "the expected number of events never reaches the number needed: too few "
                "subjects (or too much drop-out) for the design."
            )
    return _brentq(gap, 0.0, hi)


class _SubjectsCeiling:
    """``max_subjects_ceiling`` of the group-sequential sample sizes."""

    @property
    def max_subjects_ceiling(self) -> int:
        """Subjects rounded up in each arm, then added."""
        return int(math.ceil(self.max_subjects1 - 1e-9) + math.ceil(self.max_subjects2 - 1e-9))


def _sample_size_fields(design: GroupSequentialDesign, n_max: float, r: float, es, es_other,
                        fut_es) -> dict:
    """The fields every group-sequential sample size has: the maximum subjects split by the
    allocation ratio ``r``, per-look stopping probabilities, and the bounds on the effect scale
    (``es``, ``es_other`` for the other tail, ``fut_es``; None where there are none) and the
    p-value scale."""
    reject = np.asarray(design.rejection_probabilities)
    futil = np.asarray(design.futility_probabilities)
    return dict(
        inflation_factor=design.inflation_factor, max_subjects=n_max,
        max_subjects1=n_max * r / (1 + r), max_subjects2=n_max / (1 + r),
        reject_per_look=_tuple(reject), futility_per_look=_tuple(futil),
        early_stop=float(reject[:-1].sum() + futil.sum()),
        critical_values_effect_scale=_tuple(es),
        critical_values_effect_scale_other=_tuple(es_other) if es_other is not None else None,
        futility_bounds_effect_scale=_tuple(fut_es) if fut_es is not None else None,
        critical_values_p_scale=design.stage_levels,
    )


@dataclass(frozen=True)
class SequentialSampleSizeSurvival(_SubjectsCeiling, Result):
    """Group-sequential sample size for a time-to-event end point (rpact getSampleSizeSurvival).

    Sequences run over the looks; ``events_per_look`` is cumulative. Event counts and subject
    numbers are unrounded (see ``events_per_look_ceiling`` and ``max_subjects_ceiling``).
    Effect-scale bounds are hazard ratios (arm 1 over arm 2).
    """

    design: GroupSequentialDesign
    method: str
    hazard_ratio: float
    theta_h0: float
    lambda1: float
    lambda2: float
    allocation_ratio: float
    direction_upper: bool
    accrual_time: float
    follow_up_time: float
    dropout_rate1: float
    dropout_rate2: float
    dropout_time: float
    events_fixed: float
    inflation_factor: float
    max_events: float
    events_per_look: tuple[float, ...]
    max_subjects: float
    max_subjects1: float
    max_subjects2: float
    accrual_intensity: float
    analysis_times: tuple[float, ...]
    subjects_per_look: tuple[float, ...]
    reject_per_look: tuple[float, ...]
    futility_per_look: tuple[float, ...]
    early_stop: float
    expected_events_h1: float
    expected_events_h01: float
    expected_events_h0: float
    expected_subjects_h1: float
    study_duration_h1: float
    max_study_duration: float
    critical_values_effect_scale: tuple[float, ...]
    critical_values_effect_scale_other: tuple[float, ...] | None
    futility_bounds_effect_scale: tuple[float, ...] | None
    critical_values_p_scale: tuple[float, ...]

    _title = "Group-sequential sample size (time to event)"

    @property
    def events_per_look_ceiling(self) -> tuple[int, ...]:
        """Events per look rounded up (cumulative)."""
        return tuple(int(math.ceil(e - 1e-9)) for e in self.events_per_look)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns: ``look, information_rate, events, analysis_time, subjects, critical_value,
        hazard_ratio_bound, p_value_bound, futility_bound, futility_hazard_ratio_bound,
        reject_probability, futility_probability``.
        """
        d = self.design
        k = d.kmax
        fut = _to_last_look(d.futility_bounds, k)
        fut_es = _to_last_look(self.futility_bounds_effect_scale, k)
        return pd.DataFrame({
            "look": np.arange(1, k + 1), "information_rate": d.information_rates,
            "events": self.events_per_look, "analysis_time": self.analysis_times,
            "subjects": self.subjects_per_look, "critical_value": d.critical_values,
            "hazard_ratio_bound": self.critical_values_effect_scale,
            "p_value_bound": self.critical_values_p_scale, "futility_bound": fut,
            "futility_hazard_ratio_bound": fut_es, "reject_probability": self.reject_per_look,
            "futility_probability": _to_last_look(self.futility_per_look, k),
        })


def _expected_under_h1(design: GroupSequentialDesign, values) -> float:
    """rpact's expected value under H1: per-look values weighted by the stopping probabilities
    (rejection + futility; the last look takes the rest)."""
    stop = np.asarray(design.rejection_probabilities, dtype=float).copy()
    stop[:-1] += np.asarray(design.futility_probabilities)
    stop[-1] = 1.0 - stop[:-1].sum()
    return float(np.dot(stop, values))


def sample_size_survival_sequential(design: GroupSequentialDesign, *, pi1=None, pi2=None,
                                    event_time: float = 12.0, lambda1=None, lambda2=None,
                                    median1=None, median2=None, hazard_ratio=None,
                                    accrual_time: float = 12.0, follow_up_time=None,
                                    max_number_of_subjects=None, dropout_rate1: float = 0.0,
                                    dropout_rate2: float = 0.0, dropout_time: float = 12.0,
                                    allocation_ratio: float = 1.0, theta_h0: float = 1.0,
                                    method: str = "schoenfeld") -> SequentialSampleSizeSurvival:
    """Events, subjects and look times of a group-sequential time-to-event trial.

    Parameters
    ----------
    design : GroupSequentialDesign
    pi1, pi2 : float in (0, 1), optional
        Probability of an event by ``event_time`` in arm 1 (experimental) and arm 2 (control);
        exponential event times. Alternatives: ``lambda1``/``lambda2`` (hazards),
        ``median1``/``median2``, or ``hazard_ratio`` with the control arm's hazard.
    event_time : float > 0, default 12
        Time at which ``pi1``/``pi2`` are given.
    accrual_time : float > 0, default 12
        Uniform accrual over ``[0, accrual_time]``.
    follow_up_time : float >= 0, optional
        Follow-up after the end of accrual (the final analysis is at
        ``accrual_time + follow_up_time``); the number of subjects is solved. Give this or
        ``max_number_of_subjects`` (the follow-up is then solved).
    max_number_of_subjects : float > 0, optional
    dropout_rate1, dropout_rate2 : float in [0, 1), default 0
        Probability of dropping out by ``dropout_time`` (exponential).
    dropout_time : float > 0, default 12
    allocation_ratio : float > 0, default 1
        ``n1 / n2``.
    theta_h0 : float > 0, default 1
        Hazard ratio under H0 (not 1 for non-inferiority; Schoenfeld only).
    method : {"schoenfeld", "freedman"}, default "schoenfeld"
        Fixed-design event count; the group-sequential maximum is it times the inflation factor.

    Returns
    -------
    SequentialSampleSizeSurvival

    Notes
    -----
    rpact ``getSampleSizeSurvival`` with a group-sequential design: ``max_events = events_fixed *
    inflation_factor``, looks at ``max_events * information_rates`` events, each at the calendar
    time when the expected number of events reaches it; expected events are the design's ASN
    ratios times ``events_fixed``; expected subjects and study duration under H1 weight the looks
    by the stopping probabilities. Hazard-ratio bounds are ``theta_h0 * exp(-+ c_k (1 + r) /
    sqrt(r D_k))``. Checked against rpact 3.3.4 (``tests/reference/group_sequential.json``).

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> s = sample_size_survival_sequential(d, pi1=0.27, pi2=0.47, event_time=48,
    ...                                     accrual_time=24, follow_up_time=48)
    >>> round(s.max_events, 2), s.events_per_look_ceiling, s.max_subjects_ceiling
    (64.56, (22, 44, 65), 150)
    >>> [round(x, 2) for x in s.analysis_times]
    [28.25, 47.6, 72.0]
    """
    design = _check_design(design)
    method = _check_choice("method", method, ("schoenfeld", "freedman"))
    event_time = _check_positive("event_time", event_time)
    accrual_time = _check_positive("accrual_time", accrual_time)
    dropout_time = _check_positive("dropout_time", dropout_time)
    r = _check_positive("allocation_ratio", allocation_ratio)
    theta_h0 = _check_positive("theta_h0", theta_h0)
    d1 = _check_probability("dropout_rate1", dropout_rate1, closed=True)
    d2 = _check_probability("dropout_rate2", dropout_rate2, closed=True)
    if d1 >= 1 or d2 >= 1:
        raise InvalidParameterError("`dropout_rate1` and `dropout_rate2` must be below 1.")
    lam2 = _hazard("lambda2", lambda2, "pi2", pi2, "median2", median2, event_time)
    lam1 = _hazard("lambda1", lambda1, "pi1", pi1, "median1", median1, event_time)
    if hazard_ratio is not None:
        hr_given = _check_positive("hazard_ratio", hazard_ratio)
        if lam1 is not None and lam2 is not None:
            raise InvalidParameterError("give `hazard_ratio` or both arms' hazards, not all three.")
        if lam2 is None and lam1 is None:
            raise InvalidParameterError("`hazard_ratio` needs the control arm's hazard "
                                        "(`lambda2`, `pi2` or `median2`).")
        if lam1 is None:
            lam1 = hr_given * lam2
        else:
            lam2 = lam1 / hr_given
    if lam1 is None or lam2 is None:
        raise InvalidParameterError(
            "give the event rates of both arms: `pi1` and `pi2` (with `event_time`), `lambda1` and "
            "`lambda2`, `median1` and `median2`, or `hazard_ratio` with the control arm's rate."
        )
    hr = lam1 / lam2
    if abs(math.log(hr) - math.log(theta_h0)) < 1e-12:
        raise InvalidParameterError(
            f"the hazard ratio ({hr:g}) equals `theta_h0` ({theta_h0:g}): no effect to detect."
        )
    if method == "freedman" and theta_h0 != 1.0:
        raise InvalidParameterError("`method`='freedman' needs `theta_h0` = 1.")
    if (follow_up_time is None) == (max_number_of_subjects is None):
        raise InvalidParameterError(
            "give exactly one of `follow_up_time` and `max_number_of_subjects`."
        )
    phi = (-math.log1p(-d1) / dropout_time, -math.log1p(-d2) / dropout_time)
    hazards = (lam1, lam2)
    fixed = dict(alpha=design.alpha, power=1 - design.beta, sided=design.sided,
                 allocation_ratio=r)
    if method == "schoenfeld":  # depends on the hazard ratio through log(HR / theta_h0) only
        events_fixed = events_schoenfeld(hr / theta_h0, **fixed)
    else:
        events_fixed = events_freedman(hr, **fixed)
    max_events = events_fixed * design.inflation_factor
    t = np.asarray(design.information_rates)
    events = max_events * t
    if follow_up_time is not None:
        follow_up_time = _check_positive("follow_up_time", follow_up_time, allow_zero=True)
        total = accrual_time + follow_up_time
        n_max = max_events / _event_probability(total, accrual_time, hazards, phi, r)
    else:
        n_max = _check_positive("max_number_of_subjects", max_number_of_subjects)
        if n_max <= max_events:
            raise InvalidParameterError(
                f"`max_number_of_subjects` ({n_max:g}) must exceed the maximum number of events "
                f"({max_events:.2f})."
            )
        total = _time_for_events(max_events / n_max, accrual_time, hazards, phi, r,
                                 2.0 * accrual_time)
        follow_up_time = total - accrual_time
        if follow_up_time < 0:
            raise InvalidParameterError(
                f"the {max_events:.1f} events are expected before the end of accrual with "
                f"{n_max:g} subjects; give fewer subjects or a shorter `accrual_time`."
            )
    times = np.array([_time_for_events(e / n_max, accrual_time, hazards, phi, r, total)
                      for e in events[:-1]] + [total])
    subjects = np.minimum(n_max, n_max * times / accrual_time)
    direction_upper = hr > theta_h0
    sign = 1.0 if direction_upper else -1.0
    crit = np.asarray(design.critical_values)
    scale = (1 + r) / np.sqrt(r * events)
    es = theta_h0 * np.exp(sign * crit * scale)
    es_other = theta_h0 * np.exp(-sign * crit * scale) if design.sided == 2 else None
    fut_es = None
    if design.futility_bounds:
        fut_es = theta_h0 * np.exp(sign * np.asarray(design.futility_bounds) * scale[:-1])
    return SequentialSampleSizeSurvival(
        design=design, method=method, hazard_ratio=hr, theta_h0=theta_h0, lambda1=lam1,
        lambda2=lam2, allocation_ratio=r, direction_upper=bool(direction_upper),
        accrual_time=accrual_time, follow_up_time=float(follow_up_time), dropout_rate1=d1,
        dropout_rate2=d2, dropout_time=dropout_time, events_fixed=events_fixed,
        max_events=max_events, events_per_look=_tuple(events),
        accrual_intensity=n_max / accrual_time, analysis_times=_tuple(times),
        subjects_per_look=_tuple(subjects),
        expected_events_h1=design.asn_h1 * events_fixed,
        expected_events_h01=design.asn_h01 * events_fixed,
        expected_events_h0=design.asn_h0 * events_fixed,
        expected_subjects_h1=_expected_under_h1(design, subjects),
        study_duration_h1=_expected_under_h1(design, times), max_study_duration=float(total),
        **_sample_size_fields(design, n_max, r, es, es_other, fut_es),
    )


# ============================================================================================
# sample size: two proportions (normal approximation, Farrington-Manning under H0)
# ============================================================================================
@dataclass(frozen=True)
class SequentialSampleSizeRates(_SubjectsCeiling, Result):
    """Group-sequential sample size for two proportions (rpact getSampleSizeRates).

    Subject numbers are cumulative over the looks and unrounded (see the ``*_ceiling``
    properties); effect-scale bounds are risk differences ``pi1 - pi2``.
    """

    design: GroupSequentialDesign
    pi1: float
    pi2: float
    theta_h0: float
    allocation_ratio: float
    direction_upper: bool
    n_fixed: float
    n_fixed1: float
    n_fixed2: float
    inflation_factor: float
    max_subjects: float
    max_subjects1: float
    max_subjects2: float
    subjects_per_look: tuple[float, ...]
    subjects_per_look1: tuple[float, ...]
    subjects_per_look2: tuple[float, ...]
    reject_per_look: tuple[float, ...]
    futility_per_look: tuple[float, ...]
    early_stop: float
    expected_subjects_h1: float
    expected_subjects_h01: float
    expected_subjects_h0: float
    critical_values_effect_scale: tuple[float, ...]
    critical_values_effect_scale_other: tuple[float, ...] | None
    futility_bounds_effect_scale: tuple[float, ...] | None
    critical_values_p_scale: tuple[float, ...]

    _title = "Group-sequential sample size (two proportions)"

    @property
    def subjects_per_look1_ceiling(self) -> tuple[int, ...]:
        """Arm-1 subjects per look rounded up."""
        return tuple(int(math.ceil(n - 1e-9)) for n in self.subjects_per_look1)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns: ``look, information_rate, subjects, subjects1, subjects2, critical_value,
        risk_difference_bound, p_value_bound, futility_bound, futility_risk_difference_bound,
        reject_probability, futility_probability``.
        """
        d = self.design
        k = d.kmax
        fut = _to_last_look(d.futility_bounds, k)
        fut_es = _to_last_look(self.futility_bounds_effect_scale, k)
        return pd.DataFrame({
            "look": np.arange(1, k + 1), "information_rate": d.information_rates,
            "subjects": self.subjects_per_look, "subjects1": self.subjects_per_look1,
            "subjects2": self.subjects_per_look2, "critical_value": d.critical_values,
            "risk_difference_bound": self.critical_values_effect_scale,
            "p_value_bound": self.critical_values_p_scale, "futility_bound": fut,
            "futility_risk_difference_bound": fut_es, "reject_probability": self.reject_per_look,
            "futility_probability": _to_last_look(self.futility_per_look, k),
        })


def _rate_bound(z: float, p2: float, theta0: float, r: float, n1: float, n2: float) -> float:
    """Risk difference pi1 - pi2 at which the Farrington-Manning z statistic equals ``z``,
    the control rate held at ``pi2``."""
    def stat(x):  # n1 = r n2: the standard error under H0 is sd0 / sqrt(n2)
        return (x - p2 - theta0) / (_rates_sd(x, p2, r, theta0)[0] / math.sqrt(n2)) - z

    eps = 1e-12
    try:
        return _brentq(stat, eps, 1 - eps) - p2
    except ValueError:
        return math.nan


def sample_size_rates_sequential(design: GroupSequentialDesign, *, pi1: float, pi2: float,
                                 allocation_ratio: float = 1.0,
                                 theta_h0: float = 0.0) -> SequentialSampleSizeRates:
    """Subjects per look of a group-sequential comparison of two proportions.

    Parameters
    ----------
    design : GroupSequentialDesign
    pi1, pi2 : float in (0, 1)
        Response probabilities in arm 1 (experimental) and arm 2 (control) under H1.
    allocation_ratio : float > 0, default 1
        ``n1 / n2``.
    theta_h0 : float in (-1, 1), default 0
        Risk difference ``pi1 - pi2`` under H0 (non-zero for non-inferiority or for superiority
        by a margin: Farrington-Manning variance under H0); the test is one-sided in the
        direction of ``pi1 - pi2 - theta_h0``, as rpact's ``directionUpper``.

    Returns
    -------
    SequentialSampleSizeRates

    Notes
    -----
    rpact ``getSampleSizeRates`` (``normalApproximation = TRUE``, ``riskRatio = FALSE``): fixed
    design ``n = (z_a sqrt(v0) + z_b sqrt(v1))**2 / (pi1 - pi2 - theta_h0)**2`` with the
    Farrington-Manning variance under H0, maximum ``n_fixed * inflation_factor``, expected
    numbers the design's ASN ratios times ``n_fixed``; risk-difference bounds solve the
    Farrington-Manning z statistic for ``pi1`` with ``pi2`` held fixed. Checked against rpact
    3.3.4.

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> s = sample_size_rates_sequential(d, pi1=0.27, pi2=0.47)
    >>> round(s.max_subjects, 2), s.subjects_per_look1_ceiling
    (182.89, (31, 61, 92))
    """
    design = _check_design(design)
    p1 = _check_probability("pi1", pi1)
    p2 = _check_probability("pi2", pi2)
    r = _check_positive("allocation_ratio", allocation_ratio)
    theta0 = _check_real("theta_h0", theta_h0)
    if not -1 < theta0 < 1:
        raise InvalidParameterError(f"`theta_h0` must be in (-1, 1); got {theta_h0!r}.")
    if abs(p1 - p2 - theta0) < 1e-12:
        raise InvalidParameterError(
            f"`pi1` - `pi2` ({p1 - p2:g}) equals `theta_h0` ({theta0:g}): no effect to detect."
        )
    if not 0 < p2 + theta0 < 1:
        raise InvalidParameterError(
            f"`theta_h0` {theta0:g} puts the null boundary pi2 + theta_h0 = {p2 + theta0:g} "
            "outside (0, 1)."
        )
    # rpact's fixed design, also for a superiority margin (pi1 - pi2 beyond theta_h0 on the far
    # side from 0): n2 = (z_a sd0 + z_b sd1)**2 / (pi1 - pi2 - theta_h0)**2, sd0 the
    # Farrington-Manning (pooled when theta_h0 = 0) and sd1 the unrestricted standard deviation
    sd0, sd1 = _rates_sd(p1, p2, r, theta0)
    z_a = float(-special.ndtri(design.alpha / design.sided))
    z_b = float(-special.ndtri(design.beta))
    n2f = ((z_a * sd0 + z_b * sd1) / (p1 - p2 - theta0)) ** 2
    n1f = r * n2f
    n_fixed = n1f + n2f
    n_max = n_fixed * design.inflation_factor
    t = np.asarray(design.information_rates)
    n_look = n_max * t
    n1_look = n_look * r / (1 + r)
    n2_look = n_look / (1 + r)
    direction_upper = p1 - p2 > theta0
    sign = 1.0 if direction_upper else -1.0
    crit = np.asarray(design.critical_values)
    es = [_rate_bound(sign * c, p2, theta0, r, a, b) for c, a, b in zip(crit, n1_look, n2_look,
                                                                         strict=True)]
    es_other = ([_rate_bound(-sign * c, p2, theta0, r, a, b)
                 for c, a, b in zip(crit, n1_look, n2_look, strict=True)]
                if design.sided == 2 else None)
    fut_es = None
    if design.futility_bounds:
        fut_es = [_rate_bound(sign * f, p2, theta0, r, a, b) for f, a, b in
                  zip(design.futility_bounds, n1_look[:-1], n2_look[:-1], strict=True)]
    return SequentialSampleSizeRates(
        design=design, pi1=p1, pi2=p2, theta_h0=theta0, allocation_ratio=r,
        direction_upper=bool(direction_upper), n_fixed=n_fixed, n_fixed1=n1f, n_fixed2=n2f,
        subjects_per_look=_tuple(n_look), subjects_per_look1=_tuple(n1_look),
        subjects_per_look2=_tuple(n2_look),
        expected_subjects_h1=design.asn_h1 * n_fixed,
        expected_subjects_h01=design.asn_h01 * n_fixed,
        expected_subjects_h0=design.asn_h0 * n_fixed,
        **_sample_size_fields(design, n_max, r, es, es_other, fut_es),
    )


# ============================================================================================
# monitoring: boundaries for the information actually reached, decisions, repeated CIs
# ============================================================================================
_DECISIONS = ("continue", "reject H0", "stop for futility", "futility bound crossed (non-binding)",
              "do not reject H0")


@dataclass(frozen=True)
class SequentialMonitoring(Result):
    """Interim monitoring of a group-sequential trial at the looks performed so far.

    Attributes
    ----------
    design : GroupSequentialDesign
        The planned design.
    information_rates : tuple of float
        Information reached at each look, as a fraction of the planned maximum.
    z : tuple of float
        Observed test statistics (oriented so that large values favour the alternative).
    critical_values, futility_bounds : tuple of float
        Boundaries recomputed for the information reached (futility NaN where there is none).
    alpha_spent : tuple of float
        Cumulative type I error of the recomputed boundaries.
    decisions : tuple of str
        Per look: ``continue``, ``reject H0``, ``stop for futility``, ``futility bound crossed
        (non-binding)`` or, at the final analysis, ``do not reject H0``.
    final : bool
        Whether the last look given is the final analysis.
    estimates, rci_lower, rci_upper : tuple of float or None
        Effect estimates and repeated confidence intervals (Jennison & Turnbull 2000, ch. 9),
        on the effect scale (exponentiated for hazard ratios).
    """

    design: GroupSequentialDesign
    information_rates: tuple[float, ...]
    z: tuple[float, ...]
    critical_values: tuple[float, ...]
    futility_bounds: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    decisions: tuple[str, ...]
    final: bool
    estimates: tuple[float, ...] | None = None
    rci_lower: tuple[float, ...] | None = None
    rci_upper: tuple[float, ...] | None = None
    effect: str = "effect"
    events: tuple[float, ...] | None = None

    _title = "Group-sequential monitoring"

    @property
    def looks(self) -> int:
        return len(self.z)

    @property
    def stage_levels(self) -> tuple[float, ...]:
        """One-sided nominal p-value thresholds ``1 - Phi(critical_value)``."""
        return _tuple(_Phi(-np.asarray(self.critical_values)))

    @property
    def stopped(self) -> bool:
        """Whether a stopping boundary (efficacy, or binding futility) has been crossed."""
        return self.stop_look is not None

    @property
    def stop_look(self) -> int | None:
        """First look (1-based) at which the trial stops, if any."""
        for k, d in enumerate(self.decisions, start=1):
            if d in ("reject H0", "stop for futility"):
                return k
        return None

    @property
    def rejected(self) -> bool:
        return "reject H0" in self.decisions

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look performed.

        Columns: ``look, information_rate, z, critical_value, futility_bound, stage_level,
        alpha_spent, p_value`` (one-sided, unadjusted), ``decision`` and, when estimates are
        available, ``estimate, rci_lower, rci_upper`` (and ``events`` for log-rank monitoring).
        """
        z = np.asarray(self.z)
        out = pd.DataFrame({
            "look": np.arange(1, self.looks + 1), "information_rate": self.information_rates,
            "z": z, "critical_value": self.critical_values, "futility_bound": self.futility_bounds,
            "stage_level": self.stage_levels, "alpha_spent": self.alpha_spent,
            "p_value": _Phi(-z), "decision": self.decisions,
        })
        if self.events is not None:
            out.insert(2, "events", self.events)
        if self.estimates is not None:
            out["estimate"] = self.estimates
            out["rci_lower"] = self.rci_lower
            out["rci_upper"] = self.rci_upper
        return out


def _monitor_boundaries(design: GroupSequentialDesign, t: np.ndarray, final: bool):
    """Critical values, futility bounds (NaN: none) and alpha spent at the rates ``t`` reached."""
    m = len(t)
    sided = design.sided
    binding = design.binding
    fixed_fut = None
    if design.futility_bounds is not None and not isinstance(design.futility, str):
        fixed_fut = np.full(m, math.nan)
        n = min(m, design.kmax - 1)
        fixed_fut[:n] = design.futility_bounds[:n]
        if final:
            fixed_fut[-1] = math.nan
    absorbing = None
    if binding and fixed_fut is not None:
        absorbing = np.where(np.isnan(fixed_fut), -math.inf, fixed_fut)
    fut = fixed_fut if fixed_fut is not None else np.full(m, math.nan)
    if design.type_of_design in _CLASSICAL:
        rates = list(t)
        if final:
            rates = list(np.asarray(rates) / rates[-1])
        else:
            rates += [r for r in design.information_rates if r > rates[-1] + 1e-12]
        rates = np.asarray(rates)
        delta = {"OF": 0.0, "P": 0.5}.get(design.type_of_design, design.delta_wt)
        full_abs = None
        if absorbing is not None:
            full_abs = np.full(len(rates), -math.inf)
            full_abs[:m] = absorbing
        if len(rates) == 1:
            crit = np.array([special.ndtri(1 - design.alpha / sided)])
        else:
            crit = _wang_tsiatis_bounds(design.alpha, rates, delta, sided, full_abs)[:m]
    else:
        cum_alpha = spending_function(design.type_of_design, design.alpha, np.minimum(t, 1.0),
                                      sided=sided, gamma=design.gamma, rho=design.rho)
        if final:
            cum_alpha[-1] = design.alpha
        crit = _alpha_spending_bounds(cum_alpha, t, sided, absorbing)
        if isinstance(design.futility, str) and sided == 2:
            cum_beta = spending_function(design.futility, design.beta, np.minimum(t, 1.0),
                                         gamma=design.futility_gamma, rho=design.futility_rho)
            cum_beta, skip = _monitor_skip(design, cum_beta, m)
            drift = math.sqrt(design.beta_spending_shift)
            _, crit2, fut = _spend_futility_two(crit, cum_alpha, cum_beta, t, drift, binding,
                                                skip, final)
            if binding:
                crit = crit2
            if final:
                fut[-1] = math.nan
            fut = np.where(fut <= 1e-5, math.nan, fut)
        elif isinstance(design.futility, str):
            cum_beta = spending_function(design.futility, design.beta, np.minimum(t, 1.0),
                                         gamma=design.futility_gamma, rho=design.futility_rho)
            if binding:
                _, crit, fut = _spend_futility(crit, cum_alpha, cum_beta, t, design.drift,
                                               True, final)
            else:
                _, _, fut = _spend_futility(crit, cum_alpha, cum_beta, t, design.drift, False,
                                            final)
            if final:
                fut[-1] = math.nan
    if sided == 2 and design.futility_bounds is not None:
        up, low, _ = _crossing_two(crit, fut[:-1] if binding else np.full(m - 1, math.nan), t,
                                   0.0)
        alpha_spent = np.cumsum(up + low)
        return np.asarray(crit, dtype=float), np.asarray(fut, dtype=float), alpha_spent
    lower_h0 = None
    if binding:
        lower_h0 = np.where(np.isnan(fut), -math.inf, fut)[:-1]
    alpha_spent = np.cumsum(_type_one_error(crit, t, sided, lower_h0))
    return np.asarray(crit, dtype=float), np.asarray(fut, dtype=float), alpha_spent


def _monitor_skip(design: GroupSequentialDesign, cum_beta, m: int):
    """Two-sided beta spending at the looks reached: no futility stop where the design has none
    (NA bound), and rpact's linear adjustment of the beta spent when the first looks have none."""
    planned = np.asarray(design.futility_bounds, dtype=float)
    skip = np.zeros(m, dtype=bool)
    n = min(m, design.kmax - 1)
    skip[:n] = np.isnan(planned[:n])
    b = np.array(cum_beta, dtype=float)
    lead = int(np.argmin(np.isnan(planned))) if not np.all(np.isnan(planned)) else 0
    k_min = min(lead, m)
    if 0 < k_min < m:
        total = design.beta
        ref = b[k_min - 1]
        b[:k_min] = 0.0
        b[k_min - 1:] = (np.asarray(cum_beta)[k_min - 1:] - ref) / (total - ref) * total
    return b, skip


def _monitor(design, z, t, final, estimates=None, ses=None, exponentiate=False, effect="effect",
             events=None) -> SequentialMonitoring:
    m = len(t)
    if final is None:
        final = m == design.kmax or t[-1] >= 1.0 - 1e-12
    final = _check_bool("final", final)
    if m > design.kmax:
        raise InvalidParameterError(
            f"`z` has {m} looks but the design plans {design.kmax} (`kmax`)."
        )
    if m == design.kmax and not final:
        raise InvalidParameterError(
            f"look {m} is the design's last (kmax={design.kmax}); it must be the final analysis "
            "(`final`=True)."
        )
    crit, fut, alpha_spent = _monitor_boundaries(design, t, final)
    decisions = []
    for k in range(m):
        if z[k] >= crit[k] or (design.sided == 2 and z[k] <= -crit[k]):
            d = "reject H0"
        elif not np.isnan(fut[k]) and (abs(z[k]) < fut[k] if design.sided == 2
                                       else z[k] <= fut[k]):
            d = "stop for futility" if design.binding else "futility bound crossed (non-binding)"
        elif k == m - 1 and final:
            d = "do not reject H0"
        else:
            d = "continue"
        if d in ("reject H0", "stop for futility") and k < m - 1:
            raise InvalidParameterError(
                f"`z`: the trial stops at look {k + 1} (z = {z[k]:.4g}, decision '{d}'); later "
                "looks cannot be monitored."
            )
        decisions.append(d)
    lo = hi = est = None
    if estimates is not None:
        est_arr = np.asarray(estimates, dtype=float)
        se_arr = np.asarray(ses, dtype=float)
        lo_arr = est_arr - crit * se_arr
        hi_arr = est_arr + crit * se_arr
        if exponentiate:
            est_arr, lo_arr, hi_arr = np.exp(est_arr), np.exp(lo_arr), np.exp(hi_arr)
        est, lo, hi = _tuple(est_arr), _tuple(lo_arr), _tuple(hi_arr)
    return SequentialMonitoring(
        design=design, information_rates=_tuple(t), z=_tuple(z), critical_values=_tuple(crit),
        futility_bounds=_tuple(fut), alpha_spent=_tuple(alpha_spent), decisions=tuple(decisions),
        final=final, estimates=est, rci_lower=lo, rci_upper=hi, effect=effect,
        events=_tuple(events) if events is not None else None,
    )


def _check_vector(name: str, values, length: int | None = None) -> np.ndarray:
    if isinstance(values, str) or values is None:
        raise InvalidParameterError(f"`{name}` must be a sequence of numbers; got {values!r}.")
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    except (TypeError, ValueError):
        raise InvalidParameterError(f"`{name}` must be a sequence of numbers; got {values!r}.") \
            from None
    if arr.size == 0 or not np.all(np.isfinite(arr)):
        raise InvalidParameterError(f"`{name}` must hold finite numbers; got {values!r}.")
    if length is not None and arr.size != length:
        raise InvalidParameterError(
            f"`{name}` has {arr.size} values; expected one per look ({length})."
        )
    return arr


def monitor_sequential(design: GroupSequentialDesign, z, information_rates, *, final=None,
                       estimates=None, standard_errors=None, exponentiate: bool = False,
                       effect: str = "effect") -> SequentialMonitoring:
    """Monitor a group-sequential trial: boundaries at the information reached and decisions.

    Parameters
    ----------
    design : GroupSequentialDesign
        The planned design.
    z : sequence of float
        Test statistic at each look performed so far, large values favouring the alternative
        (two-sided designs: either sign).
    information_rates : sequence of float > 0
        Information reached at each look as a fraction of the planned maximum (strictly
        increasing; may exceed 1 at an over-running final analysis).
    final : bool, optional
        Whether the last look is the final analysis (default: when it is look ``kmax`` or its
        information rate reaches 1); the final analysis spends all remaining alpha.
    estimates, standard_errors : sequence of float, optional
        Effect estimate and its standard error at each look, for repeated confidence intervals
        ``estimate -+ c_k * standard_error``.
    exponentiate : bool, default False
        Report estimates and intervals as ``exp`` of them (log hazard ratio -> hazard ratio).
    effect : str, default "effect"
        Name of the effect measure (display only).

    Returns
    -------
    SequentialMonitoring
        ``.summary`` has one row per look; ``.decisions``, ``.stopped``, ``.stop_look``.

    Notes
    -----
    Alpha-spending designs spend ``alpha(t)`` at the information actually reached (Lan & DeMets
    1983) and all remaining alpha at the final analysis; beta-spending futility bounds are
    recomputed the same way under the design's planned drift. Classical (OF, P, WT) designs are
    recomputed with the information rates reached followed by the remaining planned ones, which
    also moves bounds already used; alpha-spending designs avoid that. Repeated confidence
    intervals use the recomputed critical values, so a one-sided design at level alpha gives
    ``1 - 2 alpha`` intervals (Jennison & Turnbull 2000, ch. 9).

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> mon = monitor_sequential(d, z=[1.1, 2.8], information_rates=[0.35, 0.62])
    >>> mon.decisions
    ('continue', 'reject H0')
    >>> [round(c, 3) for c in mon.critical_values]
    [3.613, 2.622]
    """
    design = _check_design(design)
    z = _check_vector("z", z)
    t = np.asarray(_check_rates_monitoring(information_rates, "information_rates"))
    if t.size != z.size:
        raise InvalidParameterError(
            f"`information_rates` has {t.size} values but `z` has {z.size}; give one per look."
        )
    if (estimates is None) != (standard_errors is None):
        raise InvalidParameterError("give both `estimates` and `standard_errors`, or neither.")
    ses = None
    if estimates is not None:
        estimates = _check_vector("estimates", estimates, z.size)
        ses = _check_vector("standard_errors", standard_errors, z.size)
        if np.any(ses <= 0):
            raise InvalidParameterError(f"`standard_errors` must be > 0; got {ses.tolist()!r}.")
    return _monitor(design, z, t, final, estimates, ses, _check_bool("exponentiate", exponentiate),
                    str(effect))


def monitor_logrank(design: GroupSequentialDesign, z=None, events=None, *, max_events: float,
                    results=None, experimental=None, allocation_ratio: float = 1.0,
                    alternative: str = "less", final=None) -> SequentialMonitoring:
    """Monitor a time-to-event trial from log-rank statistics at event-driven looks.

    Parameters
    ----------
    design : GroupSequentialDesign
    z : sequence of float, optional
        Signed log-rank statistic ``(O1 - E1) / sqrt(V)`` of arm 1 (experimental) at each look:
        negative when arm 1 has fewer events than expected.
    events : sequence of float, optional
        Total events at each look (strictly increasing).
    max_events : float > 0
        Planned events at the final analysis; information rates are ``events / max_events``.
    results : sequence of LogRankResult, optional
        Two-group :func:`workbench.logrank_test` results instead of ``z`` and ``events``
        (``experimental`` names arm 1).
    experimental : str, optional
        Group label of arm 1 in ``results``.
    allocation_ratio : float > 0, default 1
        Planned ``n1 / n2``, for the hazard-ratio estimate.
    alternative : {"less", "greater"}, default "less"
        Hazard ratio (arm 1 over arm 2) below 1 (the usual) or above 1 under the alternative.
    final : bool, optional
        As in :func:`monitor_sequential`.

    Returns
    -------
    SequentialMonitoring
        With ``estimates`` and repeated confidence intervals on the hazard-ratio scale:
        ``exp(log HR -+ c_k (1 + r) / sqrt(r D_k))`` with ``log HR = z (1 + r) / sqrt(r D_k)``
        (the approximation behind rpact's effect-scale bounds).

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> mon = monitor_logrank(d, z=[-1.2, -2.9], events=[22, 41], max_events=65)
    >>> mon.decisions
    ('continue', 'reject H0')
    >>> round(mon.estimates[1], 3), round(mon.rci_upper[1], 3)
    (0.404, 0.909)
    """
    design = _check_design(design)
    max_events = _check_positive("max_events", max_events)
    r = _check_positive("allocation_ratio", allocation_ratio)
    alternative = _check_choice("alternative", alternative, ("less", "greater"))
    if results is not None:
        if z is not None or events is not None:
            raise InvalidParameterError("give `results` or `z` and `events`, not both.")
        z, events = _from_logrank_results(results, experimental)
    if z is None or events is None:
        raise InvalidParameterError("give `z` and `events` (or `results`).")
    z = _check_vector("z", z)
    events = _check_vector("events", events, z.size)
    if np.any(events <= 0):
        raise InvalidParameterError(f"`events` must be > 0; got {events.tolist()!r}.")
    _check_rates_monitoring(events, "events")
    t = events / max_events
    sign = -1.0 if alternative == "less" else 1.0
    se = (1 + r) / np.sqrt(r * events)
    log_hr = z * se
    return _monitor(design, sign * z, t, final, log_hr, se, True, "hazard_ratio", events)


def _from_logrank_results(results, experimental):
    if isinstance(results, str) or not isinstance(results, Sequence):
        raise InvalidParameterError("`results` must be a sequence of log-rank results.")
    zs, ds = [], []
    for i, res in enumerate(results, start=1):
        groups = list(getattr(res, "groups", ()))
        if len(groups) != 2 or not hasattr(res, "observed"):
            raise InvalidParameterError(
                f"`results` item {i} must be a two-group log-rank result (workbench.logrank_test)."
            )
        if experimental is None or str(experimental) not in [str(g) for g in groups]:
            raise InvalidParameterError(
                f"`experimental` must name one of the groups {groups}; got {experimental!r}."
            )
        j = [str(g) for g in groups].index(str(experimental))
        o = float(np.asarray(res.observed)[j])
        e = float(np.asarray(res.expected)[j])
        v = float(np.asarray(res.variance)[j, j])
        zs.append((o - e) / math.sqrt(v))
        ds.append(float(np.sum(res.observed)))
    return zs, ds


# ============================================================================================
# power of a group-sequential time-to-event trial with a given number of events
# ============================================================================================
@dataclass(frozen=True)
class SequentialPower(Result):
    """Power and expected size of a group-sequential trial at a given maximum information.

    Attributes
    ----------
    design : GroupSequentialDesign
    drift : float
        ``E[Z]`` at the final look under the assumed effect.
    information_per_look : tuple of float
        Cumulative events (or subjects) at each look.
    reject_per_look, lower_per_look : tuple of float
        Per-look probabilities of crossing the efficacy bound, and of stopping below the lower
        bound (futility; two-sided designs: rejection in the other direction, plus stopping for
        futility with ``|Z| < u_k`` when the design has futility bounds).
    power : float
        Probability of rejecting H0 in the direction of the alternative.
    expected_information : float
        Expected events (or subjects) at stopping.
    """

    design: GroupSequentialDesign
    drift: float
    hazard_ratio: float
    information_per_look: tuple[float, ...]
    reject_per_look: tuple[float, ...]
    lower_per_look: tuple[float, ...]
    power: float
    early_stop: float
    expected_information: float

    _title = "Group-sequential power"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look: ``look, information_rate, events, critical_value,
        reject_probability, lower_probability, cumulative_power``."""
        d = self.design
        return pd.DataFrame({
            "look": np.arange(1, d.kmax + 1), "information_rate": d.information_rates,
            "events": self.information_per_look, "critical_value": d.critical_values,
            "reject_probability": self.reject_per_look, "lower_probability": self.lower_per_look,
            "cumulative_power": np.cumsum(self.reject_per_look),
        })


def power_survival_sequential(design: GroupSequentialDesign, *, max_events: float,
                              hazard_ratio: float, allocation_ratio: float = 1.0,
                              theta_h0: float = 1.0, alternative: str = "less") -> SequentialPower:
    """Power of a group-sequential log-rank test with looks at ``max_events * information_rates``.

    Parameters
    ----------
    design : GroupSequentialDesign
    max_events : float > 0
        Events at the final analysis.
    hazard_ratio : float > 0
        Assumed hazard ratio (arm 1 over arm 2).
    allocation_ratio : float > 0, default 1
    theta_h0 : float > 0, default 1
    alternative : {"less", "greater"}, default "less"
        Direction of the alternative: hazard ratio below (the usual) or above ``theta_h0``.

    Returns
    -------
    SequentialPower

    Notes
    -----
    Schoenfeld's approximation: the log-rank statistic at ``D`` events is normal with mean
    ``log(theta_h0 / HR) sqrt(r D) / (1 + r)`` (sign for ``alternative="less"``). Matches rpact
    ``getPowerSurvival`` with ``maxNumberOfEvents`` (``tests/reference/group_sequential.json``).

    Examples
    --------
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> p = power_survival_sequential(d, max_events=65, hazard_ratio=0.4957)
    >>> round(p.power, 4), round(p.expected_information, 2)
    (0.8026, 55.48)
    """
    design = _check_design(design)
    max_events = _check_positive("max_events", max_events)
    hr = _check_positive("hazard_ratio", hazard_ratio)
    r = _check_positive("allocation_ratio", allocation_ratio)
    theta_h0 = _check_positive("theta_h0", theta_h0)
    alternative = _check_choice("alternative", alternative, ("less", "greater"))
    sign = 1.0 if alternative == "greater" else -1.0
    drift = sign * math.log(hr / theta_h0) * math.sqrt(r * max_events) / (1 + r)
    t = np.asarray(design.information_rates)
    if _two_sided_futility(design):
        up, lo, fu = _crossing_two(np.asarray(design.critical_values),
                                   np.asarray(design.futility_bounds), t, drift)
        lo = lo + np.append(fu, 0.0)
    else:
        up, lo = _crossing(np.asarray(design.critical_values), _lower_bounds(design), t, drift)
    stop = (up + lo)[:-1]
    events = max_events * t
    expected = max_events * (1.0 - float(np.sum(stop * (1.0 - t[:-1]))))
    return SequentialPower(
        design=design, drift=drift, hazard_ratio=hr, information_per_look=_tuple(events),
        reject_per_look=_tuple(up), lower_per_look=_tuple(lo), power=float(up.sum()),
        early_stop=float(stop.sum()), expected_information=expected,
    )


# ============================================================================================
# event-driven looks at patient-level data
# ============================================================================================
def data_at_events(df: pd.DataFrame, events, *, entry_time: str = "entry_time", time: str = "time",
                   event: str = "event") -> list[tuple[float, pd.DataFrame]]:
    """The data as they would be seen at each event-driven look.

    Look ``k`` happens at the calendar time of the ``events[k]``-th event (``entry + time``);
    patients who entered by then are kept, with follow-up cut at that time.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient with the calendar entry time, the time from entry to event or
        censoring, and an event indicator (as made by :func:`workbench.simulate`).
    events : sequence of int
        Cumulative number of events at each look (strictly increasing).
    entry_time, time, event : str
        Column names.

    Returns
    -------
    list of (float, pandas.DataFrame)
        Calendar time of each look and the data seen then (same columns; ``time`` and ``event``
        cut; patients not yet enrolled dropped). The input is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"entry_time": [0, 1, 2, 3], "time": [5, 1, 4, 2],
    ...                    "event": [1, 1, 0, 1]})
    >>> [(t, int(d["event"].sum()), len(d)) for t, d in data_at_events(df, [1, 3])]
    [(2.0, 1, 3), (5.0, 3, 4)]
    """
    from .._validation import _binary_column, _check_columns, _check_dataframe, _numeric_column
    from ..exceptions import DataValidationError

    _check_dataframe(df, "df")
    _check_columns(df, entry_time, time, event)
    entry = _numeric_column(df, entry_time)
    follow = _numeric_column(df, time, nonnegative=True)
    ev = _binary_column(df, event).astype(bool)
    targets = _check_vector("events", events)
    if np.any(targets < 1) or np.any(targets != np.round(targets)):
        raise InvalidParameterError(f"`events` must be whole numbers >= 1; got {list(events)!r}.")
    _check_rates_monitoring(targets, "events")
    exits = np.sort(entry[ev] + follow[ev])
    if targets[-1] > exits.size:
        raise DataValidationError(
            f"`events`: look {targets.size} needs {int(targets[-1])} events but the data have "
            f"only {exits.size}."
        )
    out = []
    exit_all = entry + follow
    for d in targets.astype(int):
        cut = float(exits[d - 1])
        seen = entry <= cut
        part = df.loc[seen].copy()
        avail = cut - entry[seen]
        part[time] = np.minimum(follow[seen], avail)
        # compare calendar times, so that the event defining the look is counted
        part[event] = (ev[seen] & (exit_all[seen] <= cut)).astype(int)
        out.append((cut, part))
    return out


# ============================================================================================
# simulation of event-driven group-sequential survival trials
# ============================================================================================
@dataclass(frozen=True)
class SequentialSimulation(Result):
    """Simulated operating characteristics of an event-driven group-sequential survival trial.

    Per-look sequences run over the looks. Probabilities come with their Monte Carlo standard
    error ``sqrt(p (1 - p) / n_reps)``; means with ``sd / sqrt(n_reps)``.

    Attributes
    ----------
    power, power_mcse : float
        Probability of rejecting H0 at some look.
    reject_per_look, futility_per_look : tuple of float
        Probability of stopping at each look for efficacy and for futility (Monte Carlo errors
        ``reject_per_look_mcse`` and the properties ``futility_per_look_mcse``,
        ``early_stop_mcse``).
    reached : tuple of int
        Replicates reaching each look (rpact's ``iterations``).
    analysis_times : tuple of float
        Mean calendar time of each look among the replicates reaching it.
    expected_events, expected_subjects, study_duration : float
        Means at stopping (events analysed, subjects enrolled, calendar time), with ``*_mcse``.
    events_not_achieved : tuple of float
        Share of replicates in which a look's planned events never occur (the look is then
        taken at the last event).
    type1_error, type1_mcse : float
        Rejection rate of the same procedure when both arms follow the control arm (NaN unless
        simulated).
    """

    design: GroupSequentialDesign
    events: tuple[int, ...]
    n_reps: int
    power: float
    power_mcse: float
    reject_per_look: tuple[float, ...]
    reject_per_look_mcse: tuple[float, ...]
    futility_per_look: tuple[float, ...]
    early_stop: float
    reached: tuple[int, ...]
    analysis_times: tuple[float, ...]
    expected_events: float
    expected_events_mcse: float
    expected_subjects: float
    expected_subjects_mcse: float
    study_duration: float
    study_duration_mcse: float
    events_not_achieved: tuple[float, ...]
    type1_error: float
    type1_mcse: float
    n_total: int
    seed: int

    _title = "Simulated group-sequential trial"

    @property
    def futility_per_look_mcse(self) -> tuple[float, ...]:
        """Monte Carlo standard errors of ``futility_per_look``."""
        p = np.asarray(self.futility_per_look, dtype=float)
        return _tuple(np.sqrt(p * (1 - p) / self.n_reps))

    @property
    def early_stop_mcse(self) -> float:
        """Monte Carlo standard error of ``early_stop``."""
        return math.sqrt(self.early_stop * (1 - self.early_stop) / self.n_reps)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look: ``look, events, reached, analysis_time, reject_probability,
        reject_mcse, futility_probability, futility_mcse, cumulative_power,
        events_not_achieved``."""
        k = self.design.kmax
        return pd.DataFrame({
            "look": np.arange(1, k + 1), "events": self.events, "reached": self.reached,
            "analysis_time": self.analysis_times, "reject_probability": self.reject_per_look,
            "reject_mcse": self.reject_per_look_mcse,
            "futility_probability": _to_last_look(self.futility_per_look, k),
            "futility_mcse": _to_last_look(self.futility_per_look_mcse, k),
            "cumulative_power": np.cumsum(self.reject_per_look),
            "events_not_achieved": self.events_not_achieved,
        })

    def __str__(self) -> str:
        tail = (f"power {self.power:.4f} (MC SE {self.power_mcse:.4f}); expected events "
                f"{self.expected_events:.2f}, subjects {self.expected_subjects:.2f}, duration "
                f"{self.study_duration:.2f}; {self.n_reps} replicates")
        if not math.isnan(self.type1_error):
            tail += f"; type I error {self.type1_error:.4f} (MC SE {self.type1_mcse:.4f})"
        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 120):
            return f"{self._title}\n{self.summary.to_string(index=False)}\n{tail}"


def _sequential_block(task) -> dict[str, np.ndarray]:
    """Worker: simulate and analyse the blocks of one chunk (module level, picklable)."""
    trial, crit, fut, events, direction, grid, blocks = task
    from ..analysis.replicates import logrank_arrays
    from ..simulate.survival import simulate_survival_arrays

    parts = []
    k_max = len(events)
    for seed, size in blocks:
        sims = simulate_survival_arrays(trial, size, rng=seed)
        group = sims.arm == 0  # the experimental arm is the trial's first arm
        entry, et, dt = sims.entry, sims.event_time, sims.dropout_time
        if grid:
            entry = np.broadcast_to(_grid_entry(trial), entry.shape)
        observed = et <= dt
        ev_cal = np.where(observed, entry + et, np.inf)
        kth = np.partition(ev_cal, np.asarray(events) - 1, axis=1)[:, np.asarray(events) - 1]
        last = np.max(np.where(np.isfinite(ev_cal), ev_cal, -np.inf), axis=1)
        short = ~np.isfinite(kth)
        look_time = np.where(short, last[:, None], kth)
        stop = np.full(size, k_max, dtype=int)
        rejected = np.zeros(size, dtype=bool)
        active = np.ones(size, dtype=bool)
        n_events = np.zeros((size, k_max))
        n_subj = np.zeros((size, k_max))
        for k in range(k_max):
            cut = look_time[:, k][:, None]
            avail = cut - entry
            enrolled = avail >= 0
            t = np.clip(np.minimum(np.minimum(et, dt), avail), 0.0, None)
            e = enrolled & (ev_cal <= cut)  # calendar times: the event that defines the look counts
            z = direction * logrank_arrays(t, e, group).z
            n_events[:, k] = e.sum(axis=1)
            n_subj[:, k] = enrolled.sum(axis=1)
            rej = active & (z >= crit[k])
            fut_k = active & ~rej & (z <= fut[k]) if k < k_max - 1 else np.zeros(size, bool)
            stopping = rej | fut_k
            stop[stopping] = k + 1
            rejected |= rej
            active &= ~stopping
        idx = stop - 1
        rows = np.arange(size)
        parts.append({
            "stop": stop, "rejected": rejected, "events": n_events[rows, idx],
            "subjects": n_subj[rows, idx], "duration": look_time[rows, idx],
            "look_time": look_time, "short": short,
        })
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _grid_entry(trial) -> np.ndarray:
    """rpact's recruitment: patients enter at ``A k / N`` (k = 1..N), the arms interleaved in
    proportion to their sizes (alternating for 1:1); patients in the trial's arm order."""
    positions = np.concatenate([(np.arange(n) + 0.5) / n for n in trial.n_per_arm])
    arm = np.repeat(np.arange(len(trial.arms)), trial.n_per_arm)
    order = np.lexsort((arm, positions))
    slot = np.empty(trial.n_total)
    slot[order] = np.arange(1, trial.n_total + 1)
    return trial.accrual_time * slot / trial.n_total


def _run_sequential(trial, crit, fut, events, direction, grid, n_reps, root, *, chunk_size,
                    workers, client, progress) -> dict[str, np.ndarray]:
    from .._parallel import chunk_seeds, map_chunks
    from .simulation import BLOCK

    blocks = chunk_seeds(root, n_reps, chunk_size=BLOCK)
    per = max(1, chunk_size // BLOCK)
    tasks = [(trial, crit, fut, events, direction, grid, blocks[i:i + per])
             for i in range(0, len(blocks), per)]
    if progress is None:
        long_run = n_reps * trial.n_total * len(events) >= 20_000_000 or len(tasks) > 20
        progress = None if long_run else False
    parts = map_chunks(_sequential_block, tasks, workers=workers, client=client,
                       progress=progress)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def simulate_survival_sequential(design: GroupSequentialDesign, trial, *, events,
                                 n_reps: int = 1000,
                                 type1: bool = False, entry: str = "uniform", rng=None,
                                 chunk_size: int = 10_000,
                                 workers: int | None = None, client=None,
                                 progress: bool | None = None) -> SequentialSimulation:
    """Simulate an event-driven group-sequential survival trial (rpact getSimulationSurvival).

    Each replicate of ``trial`` is analysed with the log-rank test at the calendar times when the
    cumulative numbers of events in ``events`` are reached, and stops at the first look whose
    statistic crosses the design's efficacy bound (or futility bound); the design's critical
    values are used as they are.

    Parameters
    ----------
    design : GroupSequentialDesign
        One-sided design (the test rejects in the direction of the trial's effect).
    trial : SurvivalDesign
        Two arms, the experimental arm first; its accrual, event-time distributions, cure
        fractions and loss to follow-up are simulated. Looks are event-driven: the trial's
        follow-up setting is not used, patients are followed until the last planned event.
    events : sequence of int
        Cumulative events at each look (``kmax`` values, strictly increasing).
    n_reps : int >= 1, default 1000
    type1 : bool, default False
        Also simulate the trial with both arms following the control arm (type I error).
    entry : {"uniform", "grid"}, default "uniform"
        Entry times drawn uniformly over the accrual period (as :func:`workbench.simulate`), or
        rpact's deterministic recruitment: patient ``k`` of ``N`` enters at ``A k / N``, the arms
        interleaved (alternating for 1:1), the same in every replicate.
    rng : int seed, numpy Generator, SeedSequence or None
    chunk_size, workers, client, progress :
        As in :func:`workbench.power.simulation.simulate_power`: the same seed gives the same
        numbers whatever ``chunk_size``, ``workers`` or ``client``.

    Returns
    -------
    SequentialSimulation

    Notes
    -----
    Vectorised over replicates (blocks of :data:`workbench.power.simulation.BLOCK`, one log-rank
    per look per block, no loop per replicate). Compared in the tests with rpact 3.3.4
    ``getSimulationSurvival`` (10,000 and 100,000 iterations) within Monte Carlo error.

    Examples
    --------
    >>> from workbench.design import SurvivalDesign
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> trial = SurvivalDesign.from_probabilities({"combination": 0.27, "pharmacotherapy": 0.47},
    ...     at=48, n_total=150, accrual_time=24)
    >>> sim = simulate_survival_sequential(d, trial, events=[22, 44, 65], n_reps=500, rng=1)
    >>> round(sim.power, 2), sim.reached[0]
    (0.8, 500)
    """
    from ..design.survival import SurvivalDesign
    from .simulation import _direction, _entropy, _null_design

    design = _check_design(design)
    if design.sided != 1:
        raise InvalidParameterError("`design` must be one-sided (sided=1) for the simulation.")
    if not isinstance(trial, SurvivalDesign):
        raise InvalidParameterError(
            f"`trial` must be a SurvivalDesign; got {type(trial).__name__}."
        )
    if len(trial.arms) != 2:
        raise InvalidParameterError(
            f"`trial` must have two arms (experimental first); got {len(trial.arms)}."
        )
    ev = _check_vector("events", events, design.kmax)
    if np.any(ev < 1) or np.any(ev != np.round(ev)):
        raise InvalidParameterError(f"`events` must be whole numbers >= 1; got {list(events)!r}.")
    _check_rates_monitoring(ev, "events")
    if ev[-1] > trial.n_total:
        raise InvalidParameterError(
            f"`events`: {int(ev[-1])} events cannot occur among {trial.n_total} patients."
        )
    n_reps = _check_int("n_reps", n_reps, minimum=1)
    chunk_size = _check_int("chunk_size", chunk_size, minimum=1)
    type1 = _check_bool("type1", type1)
    grid = _check_choice("entry", entry, ("uniform", "grid")) == "grid"
    entropy = _entropy(rng)
    events_t = tuple(int(x) for x in ev)
    crit = np.asarray(design.critical_values)
    fut = (np.append(design.futility_bounds, -math.inf) if design.futility_bounds
           else np.full(design.kmax, -math.inf))
    direction = _direction(trial)
    kw = dict(chunk_size=chunk_size, workers=workers, client=client, progress=progress)
    out = _run_sequential(trial, crit, fut, events_t, direction, grid, n_reps,
                          np.random.SeedSequence(entropy, spawn_key=(0,)), **kw)
    type1_error = type1_mcse = math.nan
    if type1:
        out0 = _run_sequential(_null_design(trial), crit, fut, events_t, direction, grid, n_reps,
                               np.random.SeedSequence(entropy, spawn_key=(1,)), **kw)
        type1_error = float(out0["rejected"].mean())
        type1_mcse = math.sqrt(type1_error * (1 - type1_error) / n_reps)

    k_max = design.kmax
    looks = np.arange(1, k_max + 1)
    stop_at = out["stop"][:, None] == looks[None, :]
    rej = (stop_at & out["rejected"][:, None]).mean(axis=0)
    futil = (stop_at & ~out["rejected"][:, None]).mean(axis=0)[:-1]
    reached_mask = out["stop"][:, None] >= looks[None, :]
    reached = reached_mask.sum(axis=0)
    with np.errstate(invalid="ignore"):
        times = np.where(reached_mask, out["look_time"], 0.0).sum(axis=0) / reached

    def _mean(x):
        return float(x.mean()), float(x.std(ddof=1) / math.sqrt(n_reps)) if n_reps > 1 else math.nan

    power = float(out["rejected"].mean())
    e_mean, e_se = _mean(out["events"])
    s_mean, s_se = _mean(out["subjects"])
    d_mean, d_se = _mean(out["duration"])
    return SequentialSimulation(
        design=design, events=events_t, n_reps=n_reps, power=power,
        power_mcse=math.sqrt(power * (1 - power) / n_reps), reject_per_look=_tuple(rej),
        reject_per_look_mcse=_tuple(np.sqrt(rej * (1 - rej) / n_reps)),
        futility_per_look=_tuple(futil), early_stop=float((out["stop"] < k_max).mean()),
        reached=tuple(int(x) for x in reached), analysis_times=_tuple(times),
        expected_events=e_mean, expected_events_mcse=e_se, expected_subjects=s_mean,
        expected_subjects_mcse=s_se, study_duration=d_mean, study_duration_mcse=d_se,
        events_not_achieved=_tuple(out["short"].mean(axis=0)), type1_error=type1_error,
        type1_mcse=type1_mcse, n_total=trial.n_total, seed=entropy,
    )
