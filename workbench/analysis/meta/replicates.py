"""Meta-analyses of many simulated bodies of trials at once (no Python loop per replicate).

:func:`pool_replicates` pools every row of ``(n_reps, k)`` arrays with the tau-squared estimators of
:mod:`workbench.analysis.meta.tau2` (the same implementation :func:`meta_analysis` uses for one data
set), and :func:`egger_replicates` runs the classical Egger regression on every row; the simulation
of the trials is :func:`workbench.simulate.meta.simulate_meta_arrays`, their use for power and bias
:func:`workbench.power.meta.publication_bias`.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..._validation import check_choice, check_int, check_positive, check_probability
from ...exceptions import InvalidParameterError
from .tau2 import as_batch, estimate_tau2

__all__ = ["POOL_METHODS", "pool_replicates", "egger_replicates"]

#: Pooling methods of :func:`pool_replicates`.
POOL_METHODS = ("DL", "REML", "FE")


def _arrays(yi, vi, mask):
    y = np.atleast_2d(np.asarray(yi, float))
    v = np.atleast_2d(np.asarray(vi, float))
    m = np.ones(y.shape, bool) if mask is None else np.atleast_2d(np.asarray(mask, bool))
    if not (y.shape == v.shape == m.shape):
        raise InvalidParameterError(
            f"`yi`, `vi` and `mask` must have the same shape; got {y.shape}, {v.shape}, {m.shape}.")
    return y, v, m


def pool_replicates(yi, vi, mask=None, *, method: str = "DL", conf_level: float = 0.95,
                    tol: float = 1e-10, maxiter: int = 500) -> dict[str, np.ndarray]:
    """Pool every row of ``(n_reps, k)`` arrays at once (fixed effect, DerSimonian-Laird or REML).

    Parameters
    ----------
    yi, vi : array_like, shape (n_reps, k)
        Effects and sampling variances.
    mask : array_like of bool, optional
        Which trials enter each row's meta-analysis (e.g. the published ones).
    method : {"DL", "REML", "FE"}, default "DL"
    conf_level : float in (0, 1), default 0.95
    tol, maxiter : float > 0, int >= 1
        REML stopping rule: tau2 changes by less than ``tol * max(1, tau2)``, at most ``maxiter``
        Fisher-scoring steps (a row that has not converged keeps its last iterate).

    Returns
    -------
    dict of arrays of shape (n_reps,)
        ``estimate, se, ci_lower, ci_upper, tau2, k``; NaN where fewer than two trials enter.

    Notes
    -----
    The tau-squared estimators are those of :func:`~workbench.analysis.meta.meta_analysis`
    (:func:`workbench.analysis.meta.tau2.estimate_tau2`, including metafor's check of the REML
    likelihood at tau2 = 0), so each row equals ``meta_analysis`` of its trials with
    ``control={"threshold": tol, "maxiter": maxiter}``; the interval is the z interval.

    Examples
    --------
    >>> res = pool_replicates([[0.62, 0.31, 0.85, 0.12, 0.47]], [[0.08, 0.05, 0.11, 0.04, 0.07]])
    >>> round(float(res["estimate"][0]), 4)
    0.3995
    """
    check_choice("method", method, POOL_METHODS)
    conf_level = check_probability("conf_level", conf_level)
    tol = check_positive("tol", tol)
    maxiter = check_int("maxiter", maxiter, minimum=1)
    y, v, m = _arrays(yi, vi, mask)
    y, v, mf, _ = as_batch(y, v, m)
    kk = mf.sum(1)
    ok = kk >= 2
    tau2 = estimate_tau2(y, v, mf > 0, method=method,
                         control={"threshold": tol, "maxiter": maxiter}).tau2
    with np.errstate(divide="ignore", invalid="ignore"):
        w = mf / (v + tau2[:, None])
        sw = w.sum(1)
        est = (w * y).sum(1) / sw
        se = 1 / np.sqrt(sw)
    z = stats.norm.isf((1 - conf_level) / 2)
    nan = np.nan
    est = np.where(ok, est, nan)
    se = np.where(ok, se, nan)
    return {"estimate": est, "se": se, "ci_lower": est - z * se, "ci_upper": est + z * se,
            "tau2": np.where(ok, tau2, nan), "k": kk.astype(int)}


def egger_replicates(yi, vi, mask=None) -> dict[str, np.ndarray]:
    """Classical Egger test for every row at once.

    Weighted regression of ``yi`` on its standard error with weights ``1 / vi`` and a multiplicative
    dispersion (metafor ``regtest(model="lm")``).

    Parameters
    ----------
    yi, vi : array_like, shape (n_reps, k)
    mask : array_like of bool, optional
        Which trials enter each row's regression.

    Returns
    -------
    dict of arrays of shape (n_reps,)
        ``statistic`` (t of the standard-error coefficient), ``p_value`` (two-sided, t on k-2 df),
        ``df``, ``slope``, ``intercept`` (the limit estimate of a study of infinite size) and
        ``intercept_se``, and ``k``; NaN where fewer than three trials enter.

    Notes
    -----
    The closed-form two-parameter weighted least squares;
    :func:`~workbench.analysis.meta.egger_test` with ``model="lm"`` is its one-row case.

    Examples
    --------
    >>> res = egger_replicates([[0.62, 0.31, 0.85, 0.12, 0.47]], [[0.08, 0.05, 0.11, 0.04, 0.07]])
    >>> round(float(res["statistic"][0]), 4)
    15.0652
    """
    y, v, m = _arrays(yi, vi, mask)
    w = np.where(m, 1.0 / np.where(m, v, 1.0), 0.0)
    s = np.sqrt(np.where(m, v, 1.0))
    y = np.where(m, y, 0.0)
    kk = m.sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s0, s1, s2 = w.sum(1), (w * s).sum(1), (w * s * s).sum(1)
        ty, tsy = (w * y).sum(1), (w * s * y).sum(1)
        det = s0 * s2 - s1**2
        b0 = (s2 * ty - s1 * tsy) / det
        b1 = (s0 * tsy - s1 * ty) / det
        rss = (w * (y - b0[:, None] - b1[:, None] * s) ** 2).sum(1)
        sigma2 = rss / (kk - 2)
        tval = b1 / np.sqrt(sigma2 * s0 / det)
        se0 = np.sqrt(sigma2 * s2 / det)
        p = 2 * stats.t.sf(np.abs(tval), kk - 2)
    ok = kk >= 3
    nan = np.nan
    return {"statistic": np.where(ok, tval, nan), "p_value": np.where(ok, p, nan),
            "df": np.where(ok, kk - 2.0, nan), "slope": np.where(ok, b1, nan),
            "intercept": np.where(ok, b0, nan), "intercept_se": np.where(ok, se0, nan), "k": kk}
