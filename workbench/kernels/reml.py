"""REML for the mixed model for repeated measures (MMRM), batched over data sets.

The engine behind :func:`workbench.analysis.continuous.mmrm` (one data set) and
:func:`workbench.kernels.replicates.mmrm_arrays` (many simulated replicates at once): the design
matrix ``group x visit (+ baseline)``, the restricted log-likelihood with its exact score and the ML
expected information over the elements of an unstructured covariance, batched Fisher scoring with
per-replicate step halving, and a BFGS fallback on a log-Cholesky parametrisation for one data set.

Arrays are batched over a leading replicate axis ``R``: outcomes ``y0`` (R, n, T) with 0 where not
observed, the observation mask ``m`` (R, n, T), the design ``X`` (R, n, T, p) and the covariance
``sigma`` (R, T, T).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = [
    "vech_basis",
    "reml_eval",
    "is_positive_definite",
    "start_sigma",
    "fisher_scoring",
    "bfgs_fallback",
    "mmrm_design",
    "arm_visit_column",
    "fit_contrasts",
]

_LOG_2PI = math.log(2 * math.pi)


def vech_basis(t: int) -> np.ndarray:
    """Symmetric basis matrices D_j for the free elements (a <= b) of a t x t covariance."""
    pairs = [(a, b) for a in range(t) for b in range(a, t)]
    basis = np.zeros((len(pairs), t, t))
    for j, (a, b) in enumerate(pairs):
        basis[j, a, b] = basis[j, b, a] = 1.0
    return basis


def reml_eval(sigma, y0, m, X, basis, *, info=True):
    """REML log-likelihood, GLS fit, gradient and (ML) information at ``sigma`` (batched).

    sigma (R,T,T); y0 (R,n,T) with 0 where missing; m (R,n,T) 0/1; X (R,n,T,p).
    """
    t = y0.shape[-1]
    p = X.shape[-1]
    mm = m[..., :, None] * m[..., None, :]
    M = sigma[:, None] * mm + (1.0 - m)[..., None] * np.eye(t)
    W = np.linalg.inv(M) * mm
    logdet = np.linalg.slogdet(M)[1].sum(axis=1)
    WX = W @ X
    A = np.einsum("rntp,rntq->rpq", X, WX)
    b = np.einsum("rntp,rnt->rp", WX, y0)
    A_inv = np.linalg.inv(A)
    beta = np.einsum("rpq,rq->rp", A_inv, b)
    r = (y0 - np.einsum("rntp,rp->rnt", X, beta)) * m
    Wr = np.einsum("rnst,rnt->rns", W, r)
    quad = np.einsum("rnt,rnt->r", r, Wr)
    n_obs = m.sum(axis=(1, 2))
    logdet_a = np.linalg.slogdet(A)[1]
    ll = -0.5 * ((n_obs - p) * _LOG_2PI + logdet + logdet_a + quad)
    out = {"ll": ll, "beta": beta, "A_inv": A_inv, "n_obs": n_obs}
    if not info:
        return out
    WXA = WX @ A_inv[:, None]
    H = np.einsum("rntp,rnsp->rts", WXA, WX)
    G = -0.5 * (W.sum(axis=1) - np.einsum("rns,rnt->rst", Wr, Wr) - H)
    out["grad"] = np.einsum("rab,jab->rj", G, basis)
    K4 = np.einsum("rnab,rncd->rabcd", W, W)
    out["info"] = 0.5 * np.einsum("rpqst,jqs,ktp->rjk", K4, basis, basis)
    out["W"] = W
    return out


def _take(ev: dict, idx) -> dict:
    return {k: v[idx] for k, v in ev.items()}


def _put(ev: dict, idx, new: dict) -> None:
    for k in ev:
        ev[k][idx] = new[k]


def is_positive_definite(sigma) -> np.ndarray:
    """Per replicate, whether the (R, T, T) covariance is positive definite, relative to scale."""
    return np.linalg.eigvalsh(sigma)[:, 0] > 1e-10 * np.maximum(
        np.abs(np.diagonal(sigma, axis1=1, axis2=2)).max(axis=1), 1e-300)


def start_sigma(y0, m, X) -> np.ndarray:
    """Covariance of OLS residuals (pairwise available), diagonal if not positive definite."""
    mX = X * m[..., None]
    A = np.einsum("rntp,rntq->rpq", mX, X)
    b = np.einsum("rntp,rnt->rp", mX, y0)
    beta = np.linalg.solve(A, b[..., None])[..., 0]
    r = (y0 - np.einsum("rntp,rp->rnt", X, beta)) * m
    cnt = np.einsum("rna,rnb->rab", m, m)
    s = np.einsum("rna,rnb->rab", r, r) / np.maximum(cnt - 1, 1)
    diag = np.diagonal(s, axis1=1, axis2=2)
    diag = np.where(diag > 0, diag, 1.0)
    s = np.where(is_positive_definite(s)[:, None, None], s, diag[:, :, None] * np.eye(s.shape[-1]))
    return s


def fisher_scoring(y0, m, X, *, tol=1e-10, max_iter=200, max_halving=40):
    """Batched Fisher scoring for the REML covariance; returns (sigma, ev, converged, iters).

    A replicate stops when its Newton decrement ``g' I^-1 g`` falls below ``tol``; one where no
    step (down to 2^-40) increases the likelihood counts as converged only if the decrement is
    below 1e-6.
    """
    R, _, t = y0.shape
    basis = vech_basis(t)
    sigma = start_sigma(y0, m, X)
    ev = reml_eval(sigma, y0, m, X, basis)
    converged = np.zeros(R, dtype=bool)
    done = np.zeros(R, dtype=bool)
    iters = np.zeros(R, dtype=int)
    for _ in range(max_iter):
        delta = np.linalg.solve(ev["info"], ev["grad"][..., None])[..., 0]
        dec = np.einsum("rj,rj->r", ev["grad"], delta)
        newly = ~done & (dec < tol)
        converged |= newly
        done |= newly
        active = np.flatnonzero(~done)
        if active.size == 0:
            break
        iters[active] += 1
        step = np.ones(active.size)
        pending = np.ones(active.size, dtype=bool)
        for _ in range(max_halving):
            idx = active[pending]
            cand = sigma[idx] + step[pending, None, None] * np.einsum(
                "rj,jab->rab", delta[idx], basis)
            ok = is_positive_definite(cand)
            if ok.any():
                sub = idx[ok]
                new = reml_eval(cand[ok], y0[sub], m[sub], X[sub], basis)
                better = new["ll"] >= ev["ll"][sub] - 1e-12 * np.abs(ev["ll"][sub])
                acc = sub[better]
                sigma[acc] = cand[ok][better]
                _put(ev, acc, _take(new, better))
                pending &= ~np.isin(active, acc)
            if not pending.any():
                break
            step[pending] /= 2
        stuck = active[pending]
        converged[stuck] = dec[stuck] < 1e-6
        done[stuck] = True
    return sigma, ev, converged, iters


def _log_chol_to_sigma(theta, t):
    L = np.zeros((t, t))
    L[np.tril_indices(t)] = theta
    L[np.diag_indices(t)] = np.exp(np.diag(L))
    return L @ L.T, L


def bfgs_fallback(y0, m, X, start):
    """Single data set: maximise the REML over a log-Cholesky Sigma with scipy's BFGS."""
    t = y0.shape[-1]
    basis = vech_basis(t)
    L0 = np.linalg.cholesky(start)
    th0 = L0[np.tril_indices(t)].copy()
    diag_pos = [i for i, (a, b) in enumerate(zip(*np.tril_indices(t), strict=True)) if a == b]
    th0[diag_pos] = np.log(np.diag(L0))

    def fun(th):
        S, L = _log_chol_to_sigma(th, t)
        ev = reml_eval(S[None], y0, m, X, basis)
        g = ev["grad"][0]
        G = np.einsum("j,jab->ab", g, basis) / np.where(np.eye(t) > 0, 1.0, 2.0)
        dL = 2 * G @ L
        gt = dL[np.tril_indices(t)]
        gt[diag_pos] *= np.diag(L)
        return -ev["ll"][0], -gt

    from scipy import optimize  # only the MMRM of one data set needs it: imported then

    res = optimize.minimize(fun, th0, jac=True, method="BFGS", options={"gtol": 1e-8,
                                                                        "maxiter": 2000})
    S, _ = _log_chol_to_sigma(res.x, t)
    return S, res


def mmrm_design(arm, base, t, *, baseline_by_visit):
    """Design (R, n, T, p): intercept, arm, visit dummies, baseline, arm:visit[, baseline:visit]."""
    R, n = arm.shape
    eye = np.eye(t)[1:].T  # (T, T-1) dummies for visits 2..T
    cols = [np.ones((R, n, t)), np.broadcast_to(arm[..., None], (R, n, t))]
    cols += [np.broadcast_to(eye[:, j], (R, n, t)) for j in range(t - 1)]
    if base is not None:
        cols.append(np.broadcast_to(base[..., None], (R, n, t)))
    cols += [arm[..., None] * eye[:, j] for j in range(t - 1)]
    if base is not None and baseline_by_visit:
        cols += [base[..., None] * eye[:, j] for j in range(t - 1)]
    return np.stack(cols, axis=-1)


def arm_visit_column(t, has_base, by_visit, visit_index) -> int:
    """Column of the arm:visit interaction for ``visit_index`` (>= 1)."""
    return 2 + (t - 1) + int(has_base) + visit_index - 1


def fit_contrasts(y, m, X, contrasts, conf_level, tol, max_iter):
    """Fit every replicate and return, per contrast ``L``, a dict of arrays (R,).

    The keys are ``estimate, se, df, statistic, p_value, ci_lower, ci_upper, loglik, converged``
    (NaN where not estimable or not converged); ``df`` is the residual ``N_obs - p``.
    """
    R, n, t = y.shape
    p = X.shape[-1]
    mf = m.astype(float)
    y0 = np.where(m, y, 0.0)
    # estimable: full-rank X'X over observed rows, and N - p > 0
    XtX = np.einsum("rntp,rntq->rpq", X * mf[..., None], X)
    ev_min = np.linalg.eigvalsh(XtX)
    ok = (ev_min[:, 0] > 1e-8 * ev_min[:, -1]) & (mf.sum(axis=(1, 2)) > p + t * (t + 1) / 2)
    results = [{k: np.full(R, np.nan) for k in ("estimate", "se", "df", "statistic", "p_value",
                                                "ci_lower", "ci_upper", "loglik")}
               for _ in contrasts]
    for res in results:
        res["converged"] = np.zeros(R, dtype=bool)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return results
    sigma, ev, conv, _ = fisher_scoring(y0[idx], mf[idx], X[idx], tol=tol, max_iter=max_iter)
    for L, res in zip(contrasts, results, strict=True):
        est = ev["beta"] @ L
        se = np.sqrt(np.einsum("p,rpq,q->r", L, ev["A_inv"], L))
        dfr = ev["n_obs"] - p
        tstat = est / se
        pv = 2 * special.stdtr(dfr, -np.abs(tstat))
        qt = special.stdtrit(dfr, 0.5 + conf_level / 2)
        for key, val in (("estimate", est), ("se", se), ("df", dfr), ("statistic", tstat),
                         ("p_value", pv), ("ci_lower", est - qt * se),
                         ("ci_upper", est + qt * se), ("loglik", ev["ll"])):
            res[key][idx] = np.where(conv, val, np.nan)
        res["converged"][idx] = conv
    return results
