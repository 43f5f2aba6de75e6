"""Farrington-Manning score machinery for two proportions.

The restricted maximum-likelihood estimates under ``p1 - p2 = margin``, the variance of the
difference a two-proportion test uses, the score statistic and the interval that inverts it. This is
the one home of these computations: the rates analysis, the vectorised replicate tests
(:func:`workbench.kernels.replicates.rates_arrays`) and the power layer use them.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from ..exceptions import InvalidParameterError

__all__ = ["farrington_manning_rmle", "difference_variance", "score_statistic", "score_interval",
           "z_critical"]


def z_critical(conf_level: float) -> float:
    """The two-sided normal quantile ``z_(1 - (1 - conf_level) / 2)``."""
    return float(special.ndtri(1 - (1 - conf_level) / 2))


def _rmle(p1, p2, margin, th):
    """Farrington-Manning restricted estimates of (p1, p2) under ``p1 - p2 = margin``, elementwise.

    ``th = n2 / n1``. The closed-form root of Farrington & Manning's (1990) cubic, as R's
    ``farrington.manning`` / rpact; the estimates are clipped to [0, 1] against rounding, and a
    triple root (``u = 0``) is taken directly.
    """
    a = 1.0 + th
    b = -(1.0 + th + p1 + th * p2 + margin * (th + 2.0))
    c = margin * margin + margin * (2.0 * p1 + th + 1.0) + p1 + th * p2
    d = -p1 * margin * (1.0 + margin)
    v = b**3 / (3 * a) ** 3 - b * c / (6 * a * a) + d / (2 * a)
    u = np.where(v >= 0, 1.0, -1.0) * np.sqrt(np.maximum(b * b / (3 * a) ** 2 - c / (3 * a), 0.0))
    u3 = u**3
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u3 != 0, np.clip(v / np.where(u3 != 0, u3, 1.0), -1.0, 1.0), 0.0)
    w = (np.pi + np.arccos(ratio)) / 3.0
    p1t = np.clip(2.0 * u * np.cos(w) - b / (3.0 * a), 0.0, 1.0)
    return p1t, np.clip(p1t - margin, 0.0, 1.0)


def _check_range(name: str, x, lo: float, hi: float, *, open_lo: bool = False) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    ok = np.isfinite(arr) & (arr > lo if open_lo else arr >= lo) & (arr <= hi)
    if not np.all(ok):
        bad = arr.flat[int(np.argmin(ok.ravel()))]
        allowed = f"({lo:g}, {hi:g}]" if open_lo else f"[{lo:g}, {hi:g}]"
        if math.isinf(hi):
            allowed = f"> {lo:g}" if open_lo else f">= {lo:g}"
        raise InvalidParameterError(f"`{name}` must be in {allowed}; got {bad!r}.")
    return arr


def farrington_manning_rmle(p1, p2, margin, allocation_ratio=1.0):
    """Restricted maximum-likelihood estimates of two proportions under ``p1 - p2 = margin``.

    Parameters
    ----------
    p1, p2 : float or array_like in [0, 1]
        Observed (or assumed) proportions of group 1 (experimental) and group 2 (control).
    margin : float or array_like in (-1, 1)
        The difference ``p1 - p2`` under the null hypothesis (rpact's ``thetaH0``).
    allocation_ratio : float > 0 or array_like, default 1
        ``n1 / n2``.

    Returns
    -------
    (float, float) or (numpy.ndarray, numpy.ndarray)
        The restricted estimates ``(p1~, p2~)``, with ``p1~ - p2~ = margin``; floats when every
        input is a scalar, otherwise arrays broadcast together.

    Notes
    -----
    The closed-form root of the cubic of Farrington & Manning (1990) (the same as Miettinen &
    Nurminen 1985), with ``theta = n2 / n1``, as in ``reference/r/lib_rates.R`` and rpact; used for
    the variance under H0 of a non-inferiority test. Estimates are clipped to [0, 1] against
    rounding. ``statsmodels.stats.proportion.score_test_proportions_2indep`` (0.14-0.15) has a wrong
    linear coefficient in this cubic for ``value != 0`` (statsmodels issue #10269), so it is not
    used.

    Examples
    --------
    Trial T5, PDT 27/117 vs CBT 27/116, margin -0.10:

    >>> p1, p2 = farrington_manning_rmle(27 / 117, 27 / 116, -0.10, 117 / 116)
    >>> round(p1, 9), round(p2, 9)
    (0.189095456, 0.289095456)
    >>> [round(x, 9) for x in farrington_manning_rmle(0.23, 0.23, -0.10)]
    [0.187356217, 0.287356217]
    """
    scalar = all(np.ndim(v) == 0 for v in (p1, p2, margin, allocation_ratio))
    p1 = _check_range("p1", p1, 0.0, 1.0)
    p2 = _check_range("p2", p2, 0.0, 1.0)
    margin = np.asarray(margin, dtype=float)
    if not np.all(np.isfinite(margin) & (np.abs(margin) < 1)):
        bad = margin.flat[int(np.argmin((np.isfinite(margin) & (np.abs(margin) < 1)).ravel()))]
        raise InvalidParameterError(f"`margin` must be in (-1, 1); got {bad!r}.")
    ratio = _check_range("allocation_ratio", allocation_ratio, 0.0, math.inf, open_lo=True)
    p1t, p2t = _rmle(p1, p2, margin, 1.0 / ratio)
    if scalar:
        return float(p1t), float(p2t)
    return p1t, p2t


def difference_variance(x1, n1, x2, n2, margin: float = 0.0, pooled: bool = True):
    """``p1_hat - p2_hat`` and the variance its test uses, elementwise.

    Parameters
    ----------
    x1, n1, x2, n2 : float arrays (broadcast together)
        Events and patients of group 1 and group 2.
    margin : float, default 0
        With ``margin != 0`` the variance uses the Farrington-Manning restricted estimates under
        ``p1 - p2 = margin``.
    pooled : bool, default True
        With ``margin = 0``: the pooled proportion (``z**2`` is Pearson's chi-square) or the
        unpooled (Wald) variance.

    Returns
    -------
    difference, variance : numpy.ndarray
    """
    p1, p2 = x1 / n1, x2 / n2
    if margin != 0:
        q1, q2 = _rmle(p1, p2, margin, n2 / n1)
        var = q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2
    elif pooled:
        pbar = (x1 + x2) / (n1 + n2)
        var = pbar * (1 - pbar) * (1 / n1 + 1 / n2)
    else:
        var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    return p1 - p2, var


def score_statistic(x1, n1, x2, n2, margin, mn=False) -> float:
    """Farrington-Manning (``mn=True``: Miettinen-Nurminen) z for ``H0: p1 - p2 = margin``.

    ``z = (p1_hat - p2_hat - margin) / sqrt(p1~(1 - p1~)/n1 + p2~(1 - p2~)/n2)`` with the restricted
    estimates (times ``N / (N - 1)`` for Miettinen-Nurminen); +/-inf when that variance is 0.
    """
    p1t, p2t = (float(v) for v in _rmle(x1 / n1, x2 / n2, margin, n2 / n1))
    var = p1t * (1 - p1t) / n1 + p2t * (1 - p2t) / n2
    if mn:
        var *= (n1 + n2) / (n1 + n2 - 1)
    diff = x1 / n1 - x2 / n2 - margin
    if var <= 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / math.sqrt(var)


def score_interval(x1, n1, x2, n2, conf_level, mn=False) -> tuple[float, float]:
    """Score interval: the risk differences d with |z(d)| < z_(1 - (1 - conf_level)/2).

    z(d) decreases in d; each limit is the root of z(d) = +/- z_crit (brentq to 1e-14), or the
    boundary -1 / 1 when z never reaches the critical value.
    """
    from scipy.optimize import brentq

    zc = z_critical(conf_level)
    rd = x1 / n1 - x2 / n2
    eps = 1e-10

    def z(s):
        return score_statistic(x1, n1, x2, n2, s, mn)

    lo_end, hi_end = -1 + eps, 1 - eps
    if rd <= lo_end or z(lo_end) <= zc:
        lo = -1.0
    else:
        lo = brentq(lambda s: z(s) - zc, lo_end, rd, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    if rd >= hi_end or z(hi_end) >= -zc:
        hi = 1.0
    else:
        hi = brentq(lambda s: z(s) + zc, rd, hi_end, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    return float(lo), float(hi)
