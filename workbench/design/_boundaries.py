"""Boundary engine of the group-sequential designs: recursive numerical integration and solvers.

Shared by :mod:`workbench.design.sequential` (boundaries and design characteristics) and
:mod:`workbench.power.sequential` (sample sizes, monitoring, power). The names without a leading
underscore are what those modules use; the rest is internal. The engine works on the statistic
oriented so that large values favour the alternative and speaks rpact's ``sided`` (1 or 2, the
number of tails); the public functions take ``alternative`` and map it.

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
  linearly to reach ``beta`` at the end (rpact's ``betaAdjustment = TRUE``).
* Design characteristics: futility bounds count as stopping in the power (binding or not);
  ``n_fixed = (z_{1-alpha/sided} + z_{1-beta})**2``; power is the upper tail only
  (rpact's ``twoSidedPower = FALSE``); the expected information (ASN) is given as a ratio to
  ``n_fixed`` under ``theta``, ``theta / 2`` and 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.legendre import leggauss
from scipy import special

from ..exceptions import ConvergenceError, InvalidParameterError

__all__ = [
    "MIN_INFORMATION_GAP",
    "alpha_spending_bounds",
    "as_tuple",
    "beta_spending",
    "beta_spending_two",
    "brentq",
    "characteristics",
    "check_increasing",
    "check_information_gaps",
    "check_vector",
    "crossing",
    "crossing_two",
    "lower_bounds",
    "spend_futility",
    "spend_futility_two",
    "to_last_look",
    "type_one_error",
    "wang_tsiatis_bounds",
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
_GRID_R_MAX = 150  # the finest grid per look (6r - 1 points) the engine builds

#: The smallest step between consecutive information rates the engine computes: 0.001.
#:
#: Carrying the density from look ``k`` (information ``t``) to look ``k + 1`` (``t + gap``) is a
#: normal kernel of standard deviation ``sqrt(gap / t)`` on the z scale, which the grid must
#: resolve with about four points per standard deviation: ``r = 4 / sqrt(gap / t)``, at most
#: ``_GRID_R_MAX`` = 150, holds down to ``gap / t = (4 / 150)**2 = 7.1e-4``, so for every ``t <= 1``
#: when ``gap >= 0.001``. Closer looks are refused: a kernel narrower than the grid makes the
#: integration lose or invent mass (two looks 1e-8 apart gave an inflation factor of 0.50 and a
#: final nominal level of 0.097 > alpha = 0.025). Looks that close carry no new information
#: anyway; rpact accepts any strictly increasing rates but warns below a gap of 0.05 ("outside
#: validated range").
MIN_INFORMATION_GAP = 1e-3

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
    parts: list[np.ndarray | list[float]] = []
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
    """Sub-density of Z at information ``t`` on the continuation region.

    Nodes ``z`` and ``f = quadrature weight * density``. The start (``t = 0``) is a point mass at 0.
    """

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


def _grid_r(t: float, t_next: float) -> int:
    """The grid parameter for the step from ``t`` to ``t_next``; a step too small is refused."""
    if not t_next - t >= MIN_INFORMATION_GAP * (1.0 - 1e-9):
        raise InvalidParameterError(
            f"information rates {t:.10g} and {t_next:.10g} of consecutive looks are closer than "
            f"{MIN_INFORMATION_GAP:g} (the smallest gap the boundary integration computes "
            "accurately): merge the two looks or move them apart."
        )
    return int(min(max(_GRID_R, math.ceil(4.0 / math.sqrt((t_next - t) / t))), _GRID_R_MAX))


def check_information_gaps(t, name: str = "information_rates") -> None:
    """Consecutive information rates at least :data:`MIN_INFORMATION_GAP` apart.

    The error names ``name``, the two looks and the rule.

    >>> check_information_gaps([0.5, 0.5005, 1.0])
    Traceback (most recent call last):
    ...
    workbench.exceptions.InvalidParameterError: `information_rates` of looks 1 and 2 (0.5 and \
0.5005) are 0.0005 apart; consecutive looks must be at least 0.001 apart (MIN_INFORMATION_GAP: \
the boundary integration is not accurate below it; rpact warns below 0.05); got [0.5, 0.5005, 1.0].
    """
    arr = np.asarray(t, dtype=float).ravel()
    gaps = np.diff(arr)
    small = gaps < MIN_INFORMATION_GAP * (1.0 - 1e-9)
    if np.any(small):
        k = int(np.argmax(small))
        raise InvalidParameterError(
            f"`{name}` of looks {k + 1} and {k + 2} ({arr[k]:.10g} and {arr[k + 1]:.10g}) are "
            f"{gaps[k]:.3g} apart; consecutive looks must be at least {MIN_INFORMATION_GAP:g} "
            "apart (MIN_INFORMATION_GAP: the boundary integration is not accurate below it; "
            f"rpact warns below 0.05); got {arr.tolist()!r}."
        )


def _advance(st: _Density, a: float, b: float, t: float, theta: float,
             t_next: float | None = None) -> _Density:
    """Sub-density of Z(t) on the continuation region (a, b), from the one at the previous look.

    ``t_next`` (the next look) sets how fine the new grid must be: the kernel of the next step has
    standard deviation sqrt((t_next - t) / t) on the z scale.
    """
    lo, hi = _window(a, b, t, theta)
    r = _GRID_R
    if t_next is not None:
        r = _grid_r(t, t_next)
    if st.f.size == 0 or hi <= lo:
        return _Density(np.empty(0), np.empty(0), t)
    z, w = _nodes(theta * math.sqrt(t), lo, hi, r)
    if z.size == 0:
        return _Density(z, w, t)
    m, sd = _means(st, t, theta)
    x = (z[:, None] * math.sqrt(t) - m[None, :]) / sd
    dens = (np.exp(-0.5 * x * x) @ st.f) * (_INV_SQRT_2PI * math.sqrt(t) / sd)
    return _Density(z, w * dens, t)


def crossing(upper, lower, t, theta: float) -> tuple[np.ndarray, np.ndarray]:
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
    r = _grid_r(t, t_next)
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


def crossing_two(crit, fut, t, theta: float):
    """Per-look probabilities of a two-sided design with inner futility bounds ``fut``.

    The probabilities of rejecting upwards, rejecting downwards and stopping for futility (``|Z_k| <
    u_k``); ``fut`` holds the looks before the last, or all looks (NaN: no futility stop at that
    look).
    """
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


def brentq(f, a: float, b: float) -> float:
    """scipy's brentq at the engine's tolerance (``xtol`` 1e-13)."""
    from scipy import optimize  # imported when a boundary is solved, not with the designs

    try:
        return optimize.brentq(f, a, b, xtol=_ROOT_TOL, rtol=4 * np.finfo(float).eps,
                               maxiter=500)
    except RuntimeError as exc:  # no convergence: a clear error, not a traceback
        raise ConvergenceError(
            f"a boundary of this design could not be solved in [{a:.6g}, {b:.6g}] ({exc}); "
            "try other information rates or another spending function."
        ) from None


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
    return brentq(spent, lo_b, _HIGH_CUT)


def _solve_lower(st: _Density, target: float, t: float, theta: float, cap: float) -> float:
    """Futility bound at ``t`` spending ``target`` under the drift ``theta`` (capped at ``cap``)."""
    floor = theta * math.sqrt(t) + _LOW_CUT

    def spent(a):
        return _lower(st, a, t, theta) - target

    if spent(cap) <= 0:
        return cap
    if spent(floor) >= 0:
        return floor
    return brentq(spent, floor, cap)



# ============================================================================================
# boundaries
# ============================================================================================
def alpha_spending_bounds(cum_alpha, t, sided: int, futility=None) -> np.ndarray:
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


def type_one_error(crit, t, sided: int, futility=None) -> np.ndarray:
    """Per-look probability of rejecting H0 (both tails for two-sided designs)."""
    k_max = len(t)
    if sided == 2:
        lower = -np.asarray(crit)
    elif futility is not None:
        lower = np.append(futility, -math.inf)
    else:
        lower = np.full(k_max, -math.inf)
    up, lo = crossing(crit, lower, t, 0.0)
    return up + lo if sided == 2 else up


def wang_tsiatis_bounds(alpha: float, t, delta: float, sided: int, futility=None) -> np.ndarray:
    """Wang & Tsiatis boundaries ``C t**(delta - 1/2)`` with overall level ``alpha``."""
    shape = np.asarray(t) ** (delta - 0.5)

    def excess(c):
        return type_one_error(c * shape, t, sided, futility).sum() - alpha

    hi = 8.0
    while excess(hi) > 0:
        hi *= 2.0
    c = brentq(excess, 1e-6, hi)
    return c * shape


def spend_futility(crit_nonbinding, cum_alpha, cum_beta, t, theta: float, binding: bool,
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


def beta_spending(crit_nonbinding, cum_alpha, cum_beta, t, binding: bool, theta_guess: float):
    """Futility bounds by beta spending and the drift where they meet the critical values."""

    def run(theta):
        return spend_futility(crit_nonbinding, cum_alpha, cum_beta, t, theta, binding)

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
    theta = brentq(lambda x: run(x)[0], lo, hi)
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
    return brentq(spent, 0.0, _HIGH_CUT)


def _solve_inner(st: _Density, target: float, t: float, theta: float, cap: float) -> float:
    """Two-sided futility bound u in [0, cap] with P(continue, |Z(t)| < u) = ``target``."""
    if target <= 0:
        return 0.0

    def spent(u):
        return _inner(st, u, t, theta) - target

    if spent(cap) <= 0:
        return cap
    return brentq(spent, 0.0, cap)


def spend_futility_two(crit_nonbinding, cum_alpha, cum_beta, t, theta: float, binding: bool,
                        skip, final: bool = True):
    """Two-sided futility bounds (stop when ``|Z_k| < u_k``) spending ``cum_beta`` under ``theta``.

    The earlier bounds are absorbing (rpact 3.3's two-sided beta spending). ``skip[k]`` sets ``u_k =
    0`` (no futility stop at look ``k``: the one-sided futility bound of the half-alpha design is
    negative there). Binding: each critical value is solved under H0 with the earlier futility
    regions absorbing (``cum_alpha`` two-sided, cumulative). Returns ``(residual, critical values,
    futility bounds)`` as :func:`spend_futility`.
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
    """rpact's preparation of two-sided beta spending: the looks to skip and the beta to spend.

    The one-sided beta-spending design at half the alpha gives the looks whose futility bound is
    negative (no two-sided futility stop there, ``skip``); when the first looks are skipped the beta
    spending values are set to 0 there and rescaled linearly, ``beta(t_k) - beta(t_m)) / (beta(1) -
    beta(t_m)) * beta(1)`` from the last skipped look ``m`` on (rpact's ``betaAdjustment = TRUE``).
    """
    _, _, fut1 = beta_spending(crit_nonbinding, np.asarray(cum_alpha) / 2.0, cum_beta, t,
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


def beta_spending_two(crit_nonbinding, cum_alpha, cum_beta, t, binding: bool,
                       theta_guess: float):
    """Two-sided futility bounds by beta spending, and the drift that closes the design.

    The drift is where the last futility bound meets the last critical value.
    """
    b, skip = _two_sided_beta_values(crit_nonbinding, cum_alpha, cum_beta, t, binding,
                                     theta_guess)

    def run(theta):
        return spend_futility_two(crit_nonbinding, cum_alpha, b, t, theta, binding, skip)

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
    theta = brentq(lambda x: run(x)[0], lo, hi)
    _, crit, fut = run(theta)
    return theta, crit, fut[:-1], b, skip


def characteristics(crit, fut, t, sided: int, alpha: float, beta: float):
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
        return crossing(crit, lower, t, theta)[0].sum() - (1 - beta)

    lo_th = 0.0
    hi_th = 2.0 * math.sqrt(n_fixed) + 1.0
    while power_gap(hi_th) < 0:
        hi_th *= 2.0
    theta = brentq(power_gap, lo_th, hi_th)
    shift = theta * theta

    def asn(th):
        up, lo = crossing(crit, lower, t, th)
        stop = (up + lo)[:-1]
        return (shift - np.sum(stop * (1.0 - np.asarray(t[:-1])) * shift)) / n_fixed

    up1, lo1 = crossing(crit, lower, t, theta)
    futility = lo1[:-1] if (sided == 1 and fut is not None) else np.zeros(k_max - 1)
    return dict(n_fixed=n_fixed, shift=shift, power=np.cumsum(up1), rejection=up1,
                futility=futility, asn=(asn(theta), asn(theta / 2.0), asn(0.0)))


def _characteristics_two(crit, fut, t, n_fixed: float, beta: float):
    """getDesignCharacteristics of a two-sided design with inner futility bounds.

    The drift gives upper-tail power ``1 - beta`` with the futility regions ``|Z_k| < u_k``
    absorbing (NaN: no stop); stopping at a look (ASN) counts both rejections and futility.
    """

    def power_gap(theta):
        return crossing_two(crit, fut, t, theta)[0].sum() - (1 - beta)

    hi_th = 2.0 * math.sqrt(n_fixed) + 1.0
    while power_gap(hi_th) < 0:
        hi_th *= 2.0
    theta = brentq(power_gap, 0.0, hi_th)
    shift = theta * theta

    def asn(th):
        up, low, fu = crossing_two(crit, fut, t, th)
        stop = up[:-1] + low[:-1] + fu
        return (shift - np.sum(stop * (1.0 - t[:-1])) * shift) / n_fixed

    up1, _, fu1 = crossing_two(crit, fut, t, theta)
    return dict(n_fixed=n_fixed, shift=shift, power=np.cumsum(up1), rejection=up1,
                futility=fu1, asn=(asn(theta), asn(theta / 2.0), asn(0.0)))


# ============================================================================================
# small helpers shared by the design and power layers
# ============================================================================================
def as_tuple(x) -> tuple[float, ...]:
    """``x`` (scalar or array-like) as a flat tuple of floats."""
    return tuple(float(v) for v in np.asarray(x, dtype=float).ravel())


def to_last_look(values, k: int) -> list[float]:
    """A sequence over the looks before the last, with NaN at the last look (all NaN if None)."""
    return list(values) + [math.nan] if values else [math.nan] * k


def lower_bounds(critical_values, futility_bounds, sided: int) -> np.ndarray:
    """The lower stopping bound at each look.

    ``-critical_values`` for two-sided designs, the futility bounds (``-inf`` at the last look) for
    one-sided designs with futility, else ``-inf`` (two-sided inner futility regions ``|Z| < u`` are
    handled by :func:`crossing_two`).
    """
    crit = np.asarray(critical_values, dtype=float)
    if sided == 2:
        return -crit
    if futility_bounds:
        return np.append(futility_bounds, -math.inf)
    return np.full(crit.size, -math.inf)


def check_increasing(values, name: str) -> list[float]:
    """``values`` as a list of finite numbers > 0, strictly increasing.

    The error names ``name`` and the first look that breaks the order.
    """
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


def check_vector(name: str, values, length: int | None = None) -> np.ndarray:
    """``values`` as a 1-d float array of finite numbers.

    ``length`` of them, one per look, when given; the error names ``name``.
    """
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
