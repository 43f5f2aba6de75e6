"""The MaxCombo p-value: the maximum of FH(0,0), FH(0,1), FH(1,0), FH(1,1) under the joint normal.

The four Fleming-Harrington statistics of a MaxCombo test are linearly dependent: their weights
satisfy ``w00 = 1 = S + (1 - S) = w10 + w01`` at every event time, so ``U00 = U01 + U10`` and the
correlation matrix of the four z statistics has rank 3. General multivariate normal integrators
(R's ``mvtnorm::pmvnorm`` with Miwa's algorithm) refuse a singular matrix, and Monte Carlo
integration (Genz-Bretz) is accurate to about 1e-6 only. Here the dependence is used instead:
``Z00 = a Z01 + b Z10`` with ``(a, b)`` solved from the correlations, and

``P(max_k Z_k <= m) = int phi(x) P(Z01 <= min(m, (m - b x) / a), Z11 <= m | Z10 = x) dx``,

a one-dimensional integral (Gauss-Legendre, split where the bound on ``Z01`` changes form) of a
bivariate normal probability, computed in closed form with Owen's T function. Everything is
vectorised over any number of replicates (one correlation matrix each), so simulated power of
MaxCombo costs a few array operations. The two-sided probability ``P(max_k |Z_k| <= m)`` is the
same integral over ``-m <= x <= m`` with a rectangle for ``(Z01, Z11)``. Accuracy: about 1e-12
absolute (checked against R's Genz-Bretz values in ``tests/reference/nph_tests.json`` and against
scipy's multivariate normal with a small ridge in ``tests/test_nph.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, owens_t

from ..exceptions import InvalidParameterError

__all__ = ["MAXCOMBO_TESTS", "bivariate_normal_cdf", "maxcombo_p_values", "maxcombo_p_one_sided",
           "maxcombo_p_two_sided"]

#: The (rho, gamma) of the four Fleming-Harrington tests of MaxCombo, in this order.
MAXCOMBO_TESTS = ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0))

_BIG = 40.0  # |bound| beyond which a normal probability is 0 or 1 in double precision
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)


def bivariate_normal_cdf(h, k, r) -> np.ndarray:
    """``P(X <= h, Y <= k)`` for standard normal X, Y with correlation ``r`` (arrays broadcast).

    Owen's (1956) formula with :func:`scipy.special.owens_t`; infinite bounds are allowed and
    ``|r|`` is kept below 1 - 1e-12.

    Examples
    --------
    >>> float(bivariate_normal_cdf(0.0, 0.0, 0.5).round(6))   # 1/4 + asin(0.5) / (2 pi)
    0.333333
    """
    h = np.clip(np.asarray(h, dtype=float), -_BIG, _BIG)
    k = np.clip(np.asarray(k, dtype=float), -_BIG, _BIG)
    r = np.clip(np.asarray(r, dtype=float), -1 + 1e-12, 1 - 1e-12)
    h = np.where(h == 0, 1e-15, h)
    k = np.where(k == 0, 1e-15, k)
    s = np.sqrt((1 - r) * (1 + r))
    beta = np.where(h * k > 0, 0.0, 0.5)
    out = (0.5 * ndtr(h) + 0.5 * ndtr(k) - owens_t(h, (k - r * h) / (h * s))
           - owens_t(k, (h - r * k) / (k * s)) - beta)
    return np.clip(out, 0.0, 1.0)


def _gauss(lo, hi):
    """Gauss-Legendre nodes (..., 64) and weights on [lo, hi] (arrays of limits)."""
    half = (hi - lo)[..., None] / 2
    mid = (hi + lo)[..., None] / 2
    return mid + half * _NODES, half * _WEIGHTS


def _parts(corr):
    c = np.asarray(corr, dtype=float)
    r12, r32, r13 = c[..., 1, 2], c[..., 3, 2], c[..., 1, 3]
    det = 1 - r12**2
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (c[..., 0, 1] - r12 * c[..., 0, 2]) / det
        b = (c[..., 0, 2] - r12 * c[..., 0, 1]) / det
        s1 = np.sqrt(np.maximum(1 - r12**2, 0.0))
        s3 = np.sqrt(np.maximum(1 - r32**2, 0.0))
        rc = (r13 - r12 * r32) / (s1 * s3)
    return a, b, r12, r32, s1, s3, rc


def _pieces(lo, hi, cuts):
    """Limits of the sub-intervals of [lo, hi] split at ``cuts`` (clipped into the interval)."""
    limits = [lo] + [np.clip(c, lo, hi) for c in cuts] + [hi]
    pts = np.sort(np.stack(limits, axis=-1), axis=-1)
    return [(pts[..., i], pts[..., i + 1]) for i in range(pts.shape[-1] - 1)]


def maxcombo_p_values(z, corr) -> tuple[np.ndarray, np.ndarray]:
    """One- and two-sided MaxCombo p-values from the four z statistics and their correlation.

    Parameters
    ----------
    z : float array (..., 4)
        The z statistics of FH(0,0), FH(0,1), FH(1,0), FH(1,1), in this order
        (:data:`MAXCOMBO_TESTS`).
    corr : float array (..., 4, 4)
        Their correlation matrix (singular: ``Z00`` is a combination of ``Z01`` and ``Z10``).

    Returns
    -------
    p_one_sided, p_two_sided : float arrays (...)
        ``P(max_k Z_k >= max_k z_k)`` (large z: the first group has more events than expected)
        and ``P(max_k |Z_k| >= max_k |z_k|)`` under the joint normal with that correlation. NaN
        where a statistic is undefined.

    Notes
    -----
    The dependence ``Z00 = a Z01 + b Z10`` (see the module docstring) must hold, as it does for
    the four MaxCombo statistics computed from the same data; the integral is then exact up to
    the 64-point Gauss-Legendre rule on each piece (about 1e-12).

    Examples
    --------
    >>> import numpy as np
    >>> corr = np.array([[1, 0.862, 0.9472, 0.9362], [0.862, 1, 0.6539, 0.9493],
    ...                  [0.9472, 0.6539, 1, 0.7967], [0.9362, 0.9493, 0.7967, 1]])
    >>> one, two = maxcombo_p_values([0.0, 0.0, 0.0, 0.0], corr)
    >>> bool(0.5 < one < 0.75), bool(two > one)
    (True, True)
    """
    return maxcombo_p_one_sided(z, corr), maxcombo_p_two_sided(z, corr)


def _checked(z, corr):
    z = np.asarray(z, dtype=float)
    if z.shape[-1] != 4:
        raise InvalidParameterError(f"`z` must hold 4 statistics per row; got shape {z.shape}.")
    parts = _parts(corr)
    a, b = parts[0], parts[1]
    bad = ~np.all(np.isfinite(z), axis=-1) | ~np.isfinite(a) | ~np.isfinite(b)
    return z, parts, bad


def maxcombo_p_one_sided(z, corr) -> np.ndarray:
    """``P(max_k Z_k >= max_k z_k)`` alone (see :func:`maxcombo_p_values`)."""
    z, (a, b, r12, r32, s1, s3, rc), bad = _checked(z, corr)
    m1 = np.max(z, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = (1 - a) / b
        q1 = np.zeros(m1.shape)
        lo = np.minimum(-9.0 + np.minimum(m1, 0), m1)
        for p_lo, p_hi in _pieces(lo, m1, [m1 * cut]):
            x, w = _gauss(p_lo, p_hi)
            m = m1[..., None]
            u1 = np.minimum(m, (m - b[..., None] * x) / a[..., None])
            h = (u1 - r12[..., None] * x) / s1[..., None]
            k = (m - r32[..., None] * x) / s3[..., None]
            f = np.exp(-x * x / 2) / np.sqrt(2 * np.pi) * bivariate_normal_cdf(h, k, rc[..., None])
            q1 = q1 + np.sum(w * f, axis=-1)
    return np.where(bad, np.nan, np.clip(1 - q1, 0.0, 1.0))


def maxcombo_p_two_sided(z, corr) -> np.ndarray:
    """``P(max_k |Z_k| >= max_k |z_k|)`` alone (see :func:`maxcombo_p_values`)."""
    z, (a, b, r12, r32, s1, s3, rc), bad = _checked(z, corr)
    m2 = np.max(np.abs(z), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cut = (1 - a) / b
        q2 = np.zeros(m2.shape)
        for p_lo, p_hi in _pieces(-m2, m2, [m2 * cut, -m2 * cut]):
            x, w = _gauss(p_lo, p_hi)
            m = m2[..., None]
            aa, bb = a[..., None], b[..., None]
            hi1 = np.minimum(m, (m - bb * x) / aa)
            lo1 = np.maximum(-m, (-m - bb * x) / aa)
            mu1, mu3 = r12[..., None] * x, r32[..., None] * x
            sa, sb, r = s1[..., None], s3[..., None], rc[..., None]
            H, L = (hi1 - mu1) / sa, (lo1 - mu1) / sa
            K, KL = (m - mu3) / sb, (-m - mu3) / sb
            rect = (bivariate_normal_cdf(H, K, r) - bivariate_normal_cdf(L, K, r)
                    - bivariate_normal_cdf(H, KL, r) + bivariate_normal_cdf(L, KL, r))
            rect = np.where(hi1 > lo1, np.maximum(rect, 0.0), 0.0)
            f = np.exp(-x * x / 2) / np.sqrt(2 * np.pi) * rect
            q2 = q2 + np.sum(w * f, axis=-1)
    return np.where(bad, np.nan, np.clip(1 - q2, 0.0, 1.0))
