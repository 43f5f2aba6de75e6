"""Brent's root finder in the form of R's ``R_zeroin2`` (the engine of ``uniroot``).

A line-by-line port: the same iterates as R, so that a root R finds at a given tolerance (such as
``fisher.test``'s conditional MLE, or metafor's Paule-Mandel and Q-profile roots at
``.Machine$double.eps^0.25``) is reproduced to rounding, converged or not.
"""

from __future__ import annotations

import numpy as np

from .exceptions import ConvergenceError

_EPS = float(np.finfo(float).eps)

#: R's ``uniroot()`` default tolerance, ``.Machine$double.eps^0.25``.
R_UNIROOT_TOL = _EPS**0.25


def zeroin(f, lower: float, upper: float, tol: float = R_UNIROOT_TOL, maxiter: int = 1000, *,
           f_lower: float | None = None, f_upper: float | None = None) -> float:
    """Root of ``f`` in ``[lower, upper]`` by R's ``uniroot`` (Brent's zeroin, ``R_zeroin2``).

    Parameters
    ----------
    f : callable float -> float
        The function; ``f(lower)`` and ``f(upper)`` must not have the same sign.
    lower, upper : float
        The bracket.
    tol : float > 0, default ``.Machine$double.eps^0.25``
        R's ``tol``: the search stops when the bracket is narrower than about ``tol``.
    maxiter : int, default 1000
        R's ``maxiter``.
    f_lower, f_upper : float, optional
        ``f(lower)`` and ``f(upper)`` when the caller has them already (R's ``f.lower``,
        ``f.upper``); computed otherwise.

    Returns
    -------
    float
        The root, to the tolerance asked for (the same not fully converged value R returns).

    Raises
    ------
    ConvergenceError
        No sign change over the bracket, or no convergence in ``maxiter`` iterations.

    Examples
    --------
    >>> round(zeroin(lambda x: x * x - 2.0, 0.0, 2.0, tol=1e-12), 10)
    1.4142135624
    """
    a, b = float(lower), float(upper)
    fa = f(a) if f_lower is None else f_lower
    fb = f(b) if f_upper is None else f_upper
    if fa * fb > 0:
        raise ConvergenceError(f"no sign change of the function between {lower} and {upper}.")
    c, fc = a, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2.0 * _EPS * abs(b) + tol / 2.0
        new_step = (c - b) / 2.0
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2.0) and p < abs(prev_step * q / 2.0):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise ConvergenceError(
        f"root search did not converge in {maxiter} iterations (last value {b}).")
