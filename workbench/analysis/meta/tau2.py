"""Between-study variance (tau-squared) and weighted least squares of meta-analytic models.

Vectorised over replicates.

This is the one implementation of the tau-squared estimators: :func:`meta_analysis` fits one data
set as a single row, Egger's test and trim-and-fill fit their meta-regressions with it, and
:func:`pool_replicates` pools thousands of simulated bodies of trials at once.

Inputs are ``(R, k)`` arrays of effects ``y`` and sampling variances ``v``, an ``(R, k)`` mask of
the studies that enter each row's model (masked-out studies get weight 0) and a model matrix ``X``
of shape ``(k, p)`` or ``(R, k, p)`` (default: an intercept). With ``W = diag(w)`` and
``A = X' W X`` every quantity is computed from ``(R, k, p)`` and ``(R, p, p)`` arrays, never from a
``k x k`` matrix per row: the residual projection ``P = W - W X A^-1 X' W`` enters only through
``y' P y = sum w r^2`` (``r`` the weighted least-squares residuals), ``P y = W r``,
``tr P = sum w - tr(A^-1 X' W^2 X)`` and
``tr(P P) = sum w^2 - 2 tr(A^-1 X' W^3 X) + tr(A^-1 X' W^2 X A^-1 X' W^2 X)``.

The estimators follow metafor 3.8's ``rma.uni``: DerSimonian-Laird (truncated at 0), REML by Fisher
scoring from the Hedges estimate with step halving and metafor's check of the likelihood at
tau2 = 0, Paule-Mandel as the root of the generalised Q equation (R's ``uniroot``, one row at a
time), and the standard errors metafor reports.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..._rootfind import zeroin
from ...exceptions import ConvergenceError

__all__ = [
    "TAU2_METHODS",
    "Tau2Estimate",
    "as_batch",
    "wls",
    "weighted_residuals",
    "generalized_q",
    "p_traces",
    "reml_loglik",
    "estimate_tau2",
    "tau2_cap",
]

#: Estimators of tau-squared: REML, DerSimonian-Laird, Paule-Mandel, and 0 for the fixed effect.
TAU2_METHODS = ("REML", "DL", "PM", "FE")

_EPS = float(np.finfo(float).eps)
_LOG_2PI = math.log(2 * math.pi)


def tau2_cap(y, vi) -> float:
    """The largest tau2 the root finders look at: 1e15 times the squared spread of the data."""
    return 1e15 * max(1.0, float(np.ptp(y)) ** 2, float(np.max(vi)))


@dataclass(frozen=True)
class Tau2Estimate:
    """tau-squared per row with its standard error, iterations and convergence.

    The standard error is NaN where metafor reports none; the iterations are Fisher-scoring
    iterations, and the flag says whether the iteration converged within ``maxiter``.
    """

    tau2: np.ndarray
    se: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray


def as_batch(yi, vi, mask=None, X=None):
    """``(y, v, m, X)`` as float arrays of shapes ``(R, k)``, ``(R, k)``, ``(R, k)``, ``(R, k, p)``.

    ``m`` is 1.0 for a study in the model, 0.0 otherwise; masked entries of ``y`` are 0 and of ``v``
    are 1, so that they are finite and carry no weight.
    """
    y = np.atleast_2d(np.asarray(yi, dtype=float))
    v = np.atleast_2d(np.asarray(vi, dtype=float))
    m = np.ones(y.shape) if mask is None else np.atleast_2d(np.asarray(mask, dtype=bool)) * 1.0
    y = np.where(m > 0, y, 0.0)
    v = np.where(m > 0, v, 1.0)
    if X is None:
        X = np.ones(y.shape + (1,))
    else:
        X = np.asarray(X, dtype=float)
        X = np.broadcast_to(X, y.shape + X.shape[-1:]) if X.ndim == 2 else X
    return y, v, m, X


def wls(y, w, X):
    """Weighted least squares per row: ``beta`` (R, p) and ``A^-1 = (X' W X)^-1`` (R, p, p)."""
    xtw = np.swapaxes(X, 1, 2) * w[:, None, :]
    inv = np.linalg.inv(xtw @ X)
    beta = np.einsum("rpq,rq->rp", inv, np.einsum("rpk,rk->rp", xtw, y))
    return beta, inv


def weighted_residuals(y, w, X):
    """Residuals ``y - X beta`` of the weighted fit, with ``beta`` and ``A^-1``."""
    beta, inv = wls(y, w, X)
    return y - np.einsum("rkp,rp->rk", X, beta), beta, inv


def generalized_q(y, v, X, tau2, m=None):
    """The generalised Q statistic ``sum w r^2`` with ``w = m / (v + tau2)``, one value per row.

    As metafor's ``.QE.func``.
    """
    m = np.ones(y.shape) if m is None else m
    w = m / (v + np.asarray(tau2, dtype=float).reshape(-1, 1))
    r, _, _ = weighted_residuals(y, w, X)
    return np.sum(w * r * r, axis=1)


def _leave_one_out_sums(a):
    """``sum_{j != i} a_j`` per row, from prefix and suffix sums (no subtraction of a total)."""
    prefix = np.concatenate([np.zeros(a.shape[:1] + (1,)), np.cumsum(a, axis=1)[:, :-1]], axis=1)
    suffix = np.concatenate([np.cumsum(a[:, ::-1], axis=1)[:, ::-1][:, 1:],
                             np.zeros(a.shape[:1] + (1,))], axis=1)
    return prefix + suffix


def _intercept_traces(w):
    """``(tr P, tr(P P))`` of the intercept-only model, as sums of positive terms.

    ``P = W - w w' / S``: ``P_ii = w_i S_-i / S`` and ``P_ij = -w_i w_j / S``, with ``S_-i`` the
    sum of the other weights. The textbook forms (``sum w - sum w^2 / S``) subtract terms of the
    size of the largest weight and lose ``log10(max w / min w)`` digits (twice that for
    ``tr(P P)``); these lose none.
    """
    total = w.sum(axis=1)
    others = _leave_one_out_sums(w)
    others2 = _leave_one_out_sums(w * w)
    tr_p = np.sum(w * others, axis=1) / total
    tr_pp = (np.sum((w * others) ** 2, axis=1) + np.sum(w * w * others2, axis=1)) / total**2
    return tr_p, tr_pp


def p_traces(w, X, inv=None):
    """``(tr P, tr(P P))`` per row for weights ``w`` (``inv`` = ``(X' W X)^-1`` if known).

    The intercept-only model uses sums of positive terms (exact to rounding whatever the spread
    of the weights); a meta-regression the traces of ``A^-1 X' W^j X``.
    """
    # the traces are homogeneous in w (degrees 1 and 2): computed for w / max(w), so that the
    # powers of weights up to 1e100 neither overflow nor underflow
    c = np.max(w, axis=1)
    c = np.where(c > 0, c, 1.0)
    w = w / c[:, None]
    if X.shape[-1] == 1 and np.all(X == 1.0):
        tr_p, tr_pp = _intercept_traces(w)
        return tr_p * c, tr_pp * c * c
    if inv is not None:
        inv = inv * c[:, None, None]
    xt = np.swapaxes(X, 1, 2)
    if inv is None:
        inv = np.linalg.inv((xt * w[:, None, :]) @ X)
    b2 = (xt * (w * w)[:, None, :]) @ X
    b3 = (xt * (w ** 3)[:, None, :]) @ X
    ib2 = inv @ b2
    tr_p = w.sum(axis=1) - np.trace(ib2, axis1=1, axis2=2)
    tr_pp = ((w * w).sum(axis=1) - 2 * np.trace(inv @ b3, axis1=1, axis2=2)
             + np.einsum("rij,rji->r", ib2, ib2))
    return tr_p * c, tr_pp * c * c


def reml_loglik(y, v, X, tau2, m=None):
    """Restricted log-likelihood of the model at ``tau2`` per row (metafor's, with constants)."""
    m = np.ones(y.shape) if m is None else m
    k = m.sum(axis=1)
    p = X.shape[-1]
    w = m / (v + np.asarray(tau2, dtype=float).reshape(-1, 1))
    r, _, _ = weighted_residuals(y, w, X)
    xt = np.swapaxes(X, 1, 2)
    logdet_xx = np.linalg.slogdet((xt * m[:, None, :]) @ X)[1]
    logdet_xwx = np.linalg.slogdet((xt * w[:, None, :]) @ X)[1]
    log_v = np.sum(np.where(m > 0, np.log(v + np.asarray(tau2, float).reshape(-1, 1)), 0.0),
                   axis=1)
    return (-0.5 * (k - p) * _LOG_2PI + 0.5 * logdet_xx - 0.5 * log_v - 0.5 * logdet_xwx
            - 0.5 * np.sum(w * r * r, axis=1))


def _r_mad(x: np.ndarray) -> float:
    med = np.median(x)
    return 1.4826 * float(np.median(np.abs(x - med)))


def _paule_mandel(y, v, m, X, ymc, con) -> tuple[float, float]:
    """Paule-Mandel tau2 of one row (root of Q(tau2) = k - p) and its standard error."""
    k, p = float(m.sum()), X.shape[-1]
    target = k - p

    def q(t):
        return float(generalized_q(ymc[None], v[None], X[None], t, m[None])[0]) - target

    f0 = q(0.0)
    if f0 < 0:
        tau2 = 0.0
    else:
        upper = max(100.0, 10.0 * _r_mad(y[m > 0]) ** 2)
        fu = q(upper)
        cap = tau2_cap(y[m > 0], v[m > 0])
        while fu > 0:  # metafor stops here ('tau2.max too low'); extend the bracket instead
            upper *= 10.0
            fu = q(upper)
            if upper > cap:
                raise ConvergenceError(
                    f"Paule-Mandel: no root of the Q equation below {cap:.3g}.")
        tau2 = zeroin(q, 0.0, upper, con["tol"], int(con["maxiter"]), f_lower=f0, f_upper=fu)
    w = m / (v + tau2)
    return float(tau2), math.sqrt(2 * k**2 / (k - p) / float(np.sum(w)) ** 2)


def estimate_tau2(yi, vi, mask=None, X=None, *, method: str, control: dict) -> Tau2Estimate:
    """tau-squared of every row's (meta-regression) model.

    Parameters
    ----------
    yi, vi : array_like (R, k) or (k,)
        Effects and sampling variances (> 0 where they enter).
    mask : bool array_like (R, k), optional
        The studies in each row's model (default all).
    X : array_like (k, p) or (R, k, p), optional
        Model matrix (default an intercept); it must contain an intercept column.
    method : {"REML", "DL", "PM", "FE"}
    control : dict
        ``threshold`` and ``maxiter`` (REML: stop when tau2 changes by less than
        ``threshold * max(1, tau2)``), ``tol`` and ``maxiter`` (Paule-Mandel root).

    Returns
    -------
    Tau2Estimate
        Rows with ``k <= p`` studies, and every row for ``FE``, get tau2 = 0 with a NaN standard
        error. REML rows that did not converge within ``maxiter`` iterations have ``converged``
        False (the caller decides whether that is an error).

    Notes
    -----
    As metafor's ``rma.uni``. DL: ``max(0, (y' P y - (k - p)) / tr P)`` at ``w = 1 / v``. REML:
    Fisher scoring ``tau2 += (|P y|^2 - tr P) / tr(P P)`` from the Hedges estimate
    ``max(0, (y' P0 y - tr(P0 V)) / (k - p))``, halving a step that would make tau2 negative; then
    tau2 is set to 0 when the restricted likelihood at 0 is larger by more than
    ``eps^0.25`` (metafor's check). PM: one row at a time by R's ``uniroot``.
    """
    y, v, m, X = as_batch(yi, vi, mask, X)
    R = y.shape[0]
    k = m.sum(axis=1)
    p = X.shape[-1]
    tau2 = np.zeros(R)
    se = np.full(R, np.nan)
    iters = np.zeros(R, dtype=int)
    converged = np.ones(R, dtype=bool)
    fit = (k > p) & (k > 1)
    if method == "FE" or not fit.any():
        return Tau2Estimate(tau2, se, iters, converged)
    rows = np.flatnonzero(fit)
    y, v, m = y[rows], v[rows], m[rows]
    X = X[rows]
    k = k[rows]
    ybar = (m * y).sum(axis=1) / k
    ymc = np.where(m > 0, y - ybar[:, None], 0.0)
    if method == "DL":
        w = m / v
        r, _, inv = weighted_residuals(ymc, w, X)
        rss = np.sum(w * r * r, axis=1)
        trp, trpp = p_traces(w, X, inv)
        t2 = np.maximum(0.0, (rss - (k - p)) / trp)
        # (2 (k - p) + 4 t2 tr P + 2 t2^2 tr PP) / (tr P)^2, divided term by term (no overflow)
        s = np.sqrt(2 * (k - p) / trp / trp + 4 * t2 / trp + 2 * (t2 / trp) * (t2 * (trpp / trp)))
        tau2[rows], se[rows] = t2, s
        return Tau2Estimate(tau2, se, iters, converged)
    if method == "PM":
        for j, row in enumerate(rows):
            tau2[row], se[row] = _paule_mandel(y[j], v[j], m[j], X[j], ymc[j], control)
        return Tau2Estimate(tau2, se, iters, converged)
    if method != "REML":  # pragma: no cover
        raise ValueError(f"unknown method {method!r}")
    # REML: the Hedges (HE) estimate as the starting value, then Fisher scoring (metafor's)
    r0, _, inv0 = weighted_residuals(ymc, m, X)
    rss0 = np.sum(m * r0 * r0, axis=1)
    lev = np.einsum("rkp,rpq,rkq->rk", X, inv0, X)
    t2 = np.maximum(0.0, (rss0 - np.sum(m * v * (1 - lev), axis=1)) / (k - p))
    threshold, maxiter = float(control["threshold"]), int(control["maxiter"])
    active = (threshold + 1.0) > threshold * np.maximum(1.0, t2)
    n_it = np.zeros(t2.size, dtype=int)
    conv = ~active
    for _ in range(maxiter):
        if not active.any():
            break
        a = np.flatnonzero(active)
        w = m[a] / (v[a] + t2[a, None])
        r, _, inv = weighted_residuals(ymc[a], w, X[a])
        py2 = np.sum((w * r) ** 2, axis=1)
        trp, trpp = p_traces(w, X[a], inv)
        adj = (py2 - trp) / trpp
        for _ in range(2000):  # step halving while tau2 would become negative (as metafor)
            neg = t2[a] + adj < 0
            if not neg.any():
                break
            adj = np.where(neg, adj / 2.0, adj)
        new = t2[a] + adj
        change = np.abs(t2[a] - new)
        t2[a] = new
        n_it[a] += 1
        done = ~(change > threshold * np.maximum(1.0, new))
        conv[a[done]] = True
        active[a[done]] = False
    # metafor's check: is the restricted likelihood larger at tau2 = 0?
    check = conv & (t2 > threshold)
    if check.any():
        c = np.flatnonzero(check)
        gain = (reml_loglik(y[c], v[c], X[c], 0.0, m[c])
                - reml_loglik(y[c], v[c], X[c], t2[c], m[c]))
        t2[c[gain > _EPS**0.25]] = 0.0
    w = m / (v + t2[:, None])
    _, trpp = p_traces(w, X)
    tau2[rows], se[rows] = t2, np.sqrt(2.0 / trpp)
    iters[rows], converged[rows] = n_it, conv
    return Tau2Estimate(tau2, se, iters, converged)
