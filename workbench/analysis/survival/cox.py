"""Cox proportional hazards model of the group, as R's ``coxph``.

A step-by-step port of survival's ``coxfit6`` Newton-Raphson iteration (with its Cholesky routines
``cholesky2``, ``chsolve2``, ``chinv2``, its convergence and step-halving rules) and of ``coxexact``
for exact ties, so that a diverging coefficient stops where R's does.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ..._validation import check_choice, check_probability
from ...exceptions import StatisticalWarning
from ...results import Result
from .._common import z_critical
from ._data import TIES, check_reference, prepare_data, require_events

__all__ = ["CoxPHResult", "cox_ph"]

# R's coxph.control() defaults
_EPS = 1e-9
_TOLER_CHOL = np.finfo(float).eps ** 0.75
_TOLER_INF = math.sqrt(_EPS)
_ITER_MAX = 20


# ============================================================================================
# Cox proportional hazards
# ============================================================================================
def _cholesky2(m: np.ndarray, toler: float):
    """survival's cholesky2: LDL' in the lower triangle, D on the diagonal; returns rank."""
    a = m.copy()
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            a[j, i] = a[i, j]
    eps = max([a[i, i] for i in range(n)] + [0.0])
    if eps == 0:
        return a, 0
    eps *= toler
    rank, nonneg = 0, 1
    for i in range(n):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            a[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
        else:
            rank += 1
            for j in range(i + 1, n):
                temp = a[j, i] / pivot
                a[j, i] = temp
                a[j, j] -= temp * temp * pivot
                for k in range(j + 1, n):
                    a[k, j] -= temp * a[k, i]
    return a, rank * nonneg


def _chsolve2(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = y.astype(float).copy()
    n = len(y)
    for i in range(n):
        y[i] -= sum(y[j] * a[i, j] for j in range(i))
    for i in range(n - 1, -1, -1):
        if a[i, i] == 0:
            y[i] = 0.0
        else:
            temp = y[i] / a[i, i]
            for j in range(i + 1, n):
                temp -= y[j] * a[j, i]
            y[i] = temp
    return y


def _chinv2(a: np.ndarray) -> np.ndarray:
    """Inverse from the cholesky2 factor (singular rows and columns are zero)."""
    m = a.copy()
    n = m.shape[0]
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                for k in range(i):
                    m[j, k] += m[j, i] * m[i, k]
    for i in range(n):
        if m[i, i] == 0:
            for j in range(i):
                m[j, i] = 0
            for j in range(i, n):
                m[i, j] = 0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                for k in range(i, j):
                    m[i, k] += temp * m[j, k]
    upper = np.triu(m)
    return upper + np.triu(upper, 1).T


class _CoxData:
    """Data sorted by (stratum, time) with the blocks of tied times within strata."""

    def __init__(self, time, status, x, strata_codes):
        if len(strata_codes) and np.all(strata_codes == strata_codes[0]):
            order = np.argsort(time, kind="stable")  # the same order as lexsort, faster
        else:
            order = np.lexsort((time, strata_codes))
        self.time = time[order]
        self.status = status[order].astype(float)
        self.x = x[order]
        self.strata = strata_codes[order]
        new = np.r_[True, (np.diff(self.time) != 0) | (np.diff(self.strata) != 0)]
        self.start = np.flatnonzero(new)
        self.block = np.cumsum(new) - 1
        self.block_stratum = self.strata[self.start]
        self.nblock = len(self.start)
        self.deaths = np.add.reduceat(self.status, self.start)
        self.n = len(time)
        self.order = order


def _rev_cumsum_by_stratum(blocks: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    if len(stratum) == 0 or stratum[0] == stratum[-1]:  # sorted by stratum: only one
        return np.cumsum(blocks[::-1], axis=0)[::-1]
    out = np.empty_like(blocks)
    for s in np.unique(stratum):
        m = np.flatnonzero(stratum == s)
        out[m] = np.cumsum(blocks[m][::-1], axis=0)[::-1]
    return out


def _risk_set_sums(cd: _CoxData, beta: np.ndarray):
    """Risk scores and their risk-set sums at ``beta``, with the log partial likelihood and score.

    Returns ``(r, rx, rxx, s0, s1, s2, loglik, u)``: ``r = exp(x beta)``, ``rx``, ``rxx`` its
    products with x and x x'; ``s0, s1, s2`` their sums over the risk set of each block of tied
    times (within strata); ``loglik`` and ``u`` the event terms of the log partial likelihood and
    the score.
    """
    x = cd.x
    eta = x @ beta
    r = np.exp(eta)
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]
    s0 = _rev_cumsum_by_stratum(np.add.reduceat(r, cd.start), cd.block_stratum)
    s1 = _rev_cumsum_by_stratum(np.add.reduceat(rx, cd.start, axis=0), cd.block_stratum)
    s2 = _rev_cumsum_by_stratum(np.add.reduceat(rxx, cd.start, axis=0), cd.block_stratum)
    dead = cd.status
    loglik = float(np.sum(dead * eta))
    u = (dead[:, None] * x).sum(axis=0)
    return r, rx, rxx, s0, s1, s2, loglik, u


def _cox_iter(cd: _CoxData, beta: np.ndarray, efron: bool):
    """Log partial likelihood, score and information at ``beta`` (survival's coxfit6_iter)."""
    p = cd.x.shape[1]
    r, rx, rxx, s0, s1, s2, loglik, u = _risk_set_sums(cd, beta)
    dead = cd.status
    imat = np.zeros((p, p))
    nd = cd.deaths.astype(int)
    bl = np.repeat(np.arange(cd.nblock), nd)  # one row per death
    if bl.size:
        if efron:
            e0 = np.add.reduceat(r * dead, cd.start)
            e1 = np.add.reduceat(rx * dead[:, None], cd.start, axis=0)
            e2 = np.add.reduceat(rxx * dead[:, None, None], cd.start, axis=0)
            kk = np.arange(bl.size) - np.repeat(np.cumsum(nd) - nd, nd)
            frac = kk / nd[bl]
        else:
            e0 = np.zeros(cd.nblock)
            e1 = np.zeros((cd.nblock, p))
            e2 = np.zeros((cd.nblock, p, p))
            frac = np.zeros(bl.size)
        d2 = s0[bl] - frac * e0[bl]
        a = s1[bl] - frac[:, None] * e1[bl]
        c = s2[bl] - frac[:, None, None] * e2[bl]
        loglik -= float(np.sum(np.log(d2)))
        mean = a / d2[:, None]
        u = u - mean.sum(axis=0)
        imat = np.sum((c - mean[:, :, None] * a[:, None, :]) / d2[:, None, None], axis=0)
    return loglik, u, imat


def _cox_exact_iter(cd: _CoxData, beta: np.ndarray):
    """Exact (discrete) partial likelihood, score and information (survival's coxexact).

    A time with one death contributes the usual term; with d tied deaths the denominator is the
    sum over all d-subsets of the risk set, computed by the recursion of Gail et al. (1981)
    together with its first and second derivatives.
    """
    x = cd.x
    p = x.shape[1]
    r, _, _, s0, s1, s2, loglik, u = _risk_set_sums(cd, beta)
    single = cd.deaths == 1
    mean = s1[single] / s0[single][:, None]
    loglik -= float(np.sum(np.log(s0[single])))
    u = u - mean.sum(axis=0)
    imat = np.sum(s2[single] / s0[single][:, None, None]
                  - mean[:, :, None] * mean[:, None, :], axis=0)
    idx = np.arange(cd.n)
    for b in np.flatnonzero(cd.deaths > 1):
        d = int(cd.deaths[b])
        risk = np.flatnonzero((cd.strata == cd.block_stratum[b]) & (idx >= cd.start[b]))
        f = np.zeros(d + 1)
        f1 = np.zeros((d + 1, p))
        f2 = np.zeros((d + 1, p, p))
        f[0] = 1.0
        for i in risk:
            ri, xi = r[i], x[i]
            f2[1:] = f2[1:] + ri * (f2[:-1] + xi[None, :, None] * f1[:-1, None, :]
                                    + f1[:-1, :, None] * xi[None, None, :]
                                    + f[:-1, None, None] * np.outer(xi, xi)[None])
            f1[1:] = f1[1:] + ri * (f1[:-1] + f[:-1, None] * xi[None, :])
            f[1:] = f[1:] + ri * f[:-1]
        den, g, h = f[d], f1[d] / f[d], f2[d] / f[d]
        loglik -= math.log(den)
        u = u - g
        imat = imat + h - np.outer(g, g)
    return loglik, u, imat


def _coxfit(cd: _CoxData, method: str, maxiter: int = _ITER_MAX, eps: float = _EPS,
            toler: float = _TOLER_CHOL):
    """Newton-Raphson of R's coxph.

    Efron and Breslow follow ``coxfit6``: covariates coded -1/0/1 are neither centred nor scaled
    (coxph's default ``nocenter``), others are centred and scaled by their mean absolute
    deviation; step halving averages with the last good beta. ``"exact"`` follows ``coxexact``:
    covariates are standardised (``scale()``), and halving goes half-way back.
    """
    p = cd.x.shape[1]
    x_orig = cd.x
    xs = cd.x.copy()
    scale = np.ones(p)
    if method == "exact":
        mu = xs.mean(axis=0)
        sd = xs.std(axis=0, ddof=1)
        sd = np.where(sd > 0, sd, 1.0)
        xs = (xs - mu) / sd
        scale = 1 / sd
    else:
        for i in range(p):
            if np.all(np.isin(xs[:, i], (-1, 0, 1))):
                continue
            xs[:, i] -= xs[:, i].mean()
            tot = np.abs(xs[:, i]).sum()
            scale[i] = cd.n / tot if tot > 0 else 1.0
            xs[:, i] *= scale[i]
    cd.x = xs
    try:
        if method == "exact":
            def it(b):
                return _cox_exact_iter(cd, b)
        else:
            def it(b):
                return _cox_iter(cd, b, method == "efron")

        beta = np.zeros(p)
        loglik0, u, imat = it(beta)
        chol, flag = _cholesky2(imat, toler)
        a = _chsolve2(chol, u)
        sctest = float(u @ a)
        best = loglik0
        newbeta = beta + a
        halving = 0
        converged = False
        it_used = maxiter
        for iteration in range(1, maxiter + 1):
            newlk, u, imat = it(newbeta)
            chol, flag = _cholesky2(imat, toler)
            if method == "exact":
                if abs(1 - best / newlk) <= eps and halving == 0:
                    best, beta, converged, it_used = newlk, newbeta, True, iteration
                    break
                if iteration == maxiter:
                    best, beta = newlk, newbeta
                    break
                if newlk < best:
                    halving = 1
                    newbeta = (beta + newbeta) / 2
                else:
                    halving = 0
                    best = newlk
                    step = _chsolve2(chol, u)
                    beta = newbeta
                    newbeta = newbeta + step
                continue
            notfinite = (not np.all(np.isfinite(u)) or not np.all(np.isfinite(imat))
                         or not math.isfinite(newlk))
            if not notfinite and abs(1 - best / newlk) <= eps:
                best, beta, converged, it_used = newlk, newbeta, True, iteration
                if halving:
                    flag = -2
                break
            if notfinite or newlk < best:
                halving += 1
                newbeta = (newbeta + halving * beta) / (halving + 1.0)
            else:
                halving = 0
                best = newlk
                step = _chsolve2(chol, u)
                beta = newbeta
                newbeta = newbeta + step
        if not converged:
            if method != "exact":
                best, u, imat = it(beta)
                chol, flag = _cholesky2(imat, toler)
            flag = 1000
        var = _chinv2(chol)
    finally:
        cd.x = x_orig
    return {"coef": beta * scale, "var": var * np.outer(scale, scale), "u": u / scale,
            "loglik": (loglik0, best), "score": sctest, "iter": it_used, "flag": flag,
            "converged": converged}


@dataclass(frozen=True)
class CoxPHResult(Result):
    """Cox proportional hazards fit of group indicators.

    Attributes
    ----------
    coefficients : DataFrame
        One row per non-reference level: ``level, reference, coef, se, hazard_ratio, ci_lower,
        ci_upper, z, p_value`` (Wald).
    levels : tuple of str
        Non-reference levels, in the order of ``coef``.
    reference : str
    coef, se, hazard_ratio : ndarray
    variance : ndarray
        Variance matrix of ``coef`` (inverse information).
    wald_test, score_test, lr_test : dict
        ``{"statistic", "df", "p_value"}`` of the global tests.
    loglik_null, loglik : float
        Log partial likelihood at 0 and at the estimate.
    iterations : int
    converged : bool
    ties : {"efron", "breslow", "exact"}
    n, n_events : int
    strata : tuple of str or None
    conf_level : float
    warnings : tuple of str
        Messages also issued as :class:`~workbench.exceptions.StatisticalWarning`.
    """

    coefficients: pd.DataFrame
    levels: tuple
    reference: str
    coef: np.ndarray
    se: np.ndarray
    hazard_ratio: np.ndarray
    variance: np.ndarray
    wald_test: dict
    score_test: dict
    lr_test: dict
    loglik_null: float
    loglik: float
    iterations: int
    converged: bool
    ties: str
    n: int
    n_events: int
    conf_level: float
    strata: tuple | None = None
    warnings: tuple = ()
    _title = "Cox proportional hazards model"

    @property
    def summary(self) -> pd.DataFrame:
        """The coefficient table: one row per term."""
        return self.coefficients

    @property
    def tests(self) -> pd.DataFrame:
        """Global tests: ``test, statistic, df, p_value``."""
        return pd.DataFrame([
            {"test": "wald", **self.wald_test},
            {"test": "score", **self.score_test},
            {"test": "likelihood_ratio", **self.lr_test},
        ])


def _test(stat: float, df: int) -> dict:
    return {"statistic": float(stat), "df": int(df), "p_value": float(special.chdtrc(df, stat))}


def cox_ph(data: pd.DataFrame, *, time: str, event: str, group: str, reference=None,
           strata: str | None = None, ties: str = "efron",
           conf_level: float = 0.95) -> CoxPHResult:
    """Cox proportional hazards model of the group, giving hazard ratios against a reference.

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator (0/1) and group label (>= 2 groups).
    reference : str, optional
        Reference level; default the first group in sorted order of the labels as strings.
    strata : str, optional
        Column of strata (separate baseline hazards, R's ``strata()`` term).
    ties : {"efron", "breslow", "exact"}, default "efron"
        Handling of tied event times; "exact" is the discrete partial likelihood (R's
        ``ties="exact"`` for right-censored data).
    conf_level : float in (0, 1), default 0.95
        Level of the Wald intervals ``exp(coef +- z se)``.

    Returns
    -------
    CoxPHResult
        Coefficients, hazard ratios with intervals and Wald p-values, the Wald, score and
        likelihood-ratio tests and the log partial likelihoods.

    Warns
    -----
    StatisticalWarning
        When the likelihood converged before a coefficient did (typically a group with no
        events: the coefficient "may be infinite", its standard error is huge and its Wald test
        meaningless; use the score or likelihood-ratio test), or when the iteration did not
        converge in 20 steps.

    Notes
    -----
    Re-implements R ``coxph`` (survival 3.5-3): Newton-Raphson as in ``coxfit6`` with step
    halving, convergence when ``|1 - loglik_old/loglik_new| <= 1e-9``, at most 20 iterations,
    0/1 covariates neither centred nor scaled, survival's Cholesky routines, and its rule for
    flagging infinite coefficients (``|U var| > eps`` and ``> sqrt(eps)|coef|``). Because the
    iteration is replicated step by step, a diverging coefficient stops where R's does. Checked
    against R on four data sets including one where an arm has no events.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> fit = cox_ph(df, time="time", event="event", group="arm", ties="breslow")
    >>> fit.coefficients[["level", "reference"]].to_dict("records")
    [{'level': 'b', 'reference': 'a'}]
    >>> round(fit.lr_test["statistic"], 4)
    2.8865
    """
    check_choice("ties", ties, TIES)
    conf_level = check_probability("conf_level", conf_level)
    prep = prepare_data(data, time=time, event=event, group=group, strata=strata, need_group=True)
    require_events(prep, "a Cox model")
    ref = check_reference(reference, prep.levels)
    levels = tuple(lv for lv in prep.levels if lv != ref)
    x = np.column_stack([prep.in_group(lv).astype(float) for lv in levels])
    if prep.strata is None:
        scodes, slevels = np.zeros(len(prep.time), dtype=int), None
    else:
        slevels = tuple(sorted(set(prep.strata.tolist())))
        scodes = np.searchsorted(np.array(slevels, dtype=object), prep.strata)
    cd = _CoxData(prep.time, prep.event, x, scodes)
    fit = _coxfit(cd, ties)
    coef, var, u = fit["coef"], fit["var"], fit["u"]
    p = len(coef)
    msgs = []
    infs = np.abs(u @ var)
    if not fit["converged"]:
        msgs.append("Ran out of iterations and did not converge.")
        lp = x @ coef
        if np.max(lp) > 500 or not np.all(np.isfinite(infs)):
            msgs.append("One or more coefficients may be infinite.")
    else:
        bad = ~np.isfinite(u) | ((infs > _EPS) & (infs > _TOLER_INF * np.abs(coef)))
        if bad.any():
            which = ", ".join(repr(levels[i]) for i in np.flatnonzero(bad))
            msgs.append(
                f"Loglik converged before the coefficient of group {which} (vs {ref!r}); "
                "coefficient may be infinite (a group with no events?). Its standard error and "
                "Wald test are not meaningful; use the score or likelihood-ratio test.")
    if fit["flag"] < p:
        sing = np.diag(var) == 0
        coef = np.where(sing, np.nan, coef)
    for m in msgs:
        warnings.warn(m, StatisticalWarning, stacklevel=2)
    se = np.sqrt(np.diag(var))
    z = z_critical(conf_level)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        hr = np.exp(coef)
        lo = np.exp(coef - z * se)
        hi = np.exp(coef + z * se)
        zstat = coef / se
    pval = 2 * special.ndtr(-np.abs(zstat))
    ok = ~np.isnan(coef)
    nok = int(ok.sum())
    if nok:
        vv = var[np.ix_(ok, ok)]
        chol, _ = _cholesky2(vv, _TOLER_CHOL)
        wald = float(coef[ok] @ _chsolve2(chol, coef[ok]))
    else:
        wald = 0.0
    ll0, ll1 = fit["loglik"]
    table = pd.DataFrame({"level": list(levels), "reference": ref, "coef": coef, "se": se,
                          "hazard_ratio": hr, "ci_lower": lo, "ci_upper": hi, "z": zstat,
                          "p_value": pval, "method": f"Cox PH ({ties} ties)"})
    return CoxPHResult(
        coefficients=table, levels=levels, reference=ref, coef=coef, se=se, hazard_ratio=hr,
        variance=var, wald_test=_test(wald, nok), score_test=_test(fit["score"], nok),
        lr_test=_test(2 * (ll1 - ll0), nok), loglik_null=float(ll0), loglik=float(ll1),
        iterations=int(fit["iter"]), converged=bool(fit["converged"]), ties=ties,
        n=int(len(prep.time)), n_events=int(prep.event.sum()), conf_level=conf_level,
        strata=slevels, warnings=tuple(msgs))
