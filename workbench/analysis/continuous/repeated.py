"""The mixed model for repeated measures on one data set (:func:`mmrm`).

The REML engine is :mod:`workbench.kernels.reml`, shared with
:func:`workbench.kernels.replicates.mmrm_arrays`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..._validation import check_choice
from ...exceptions import ConvergenceError, DataValidationError, InvalidParameterError
from ...kernels.reml import (
    arm_visit_column,
    bfgs_fallback,
    fisher_scoring,
    is_positive_definite,
    mmrm_design,
    reml_eval,
    start_sigma,
    vech_basis,
)
from .._common import check_conf_level
from ._data import long_data, t_inference
from .results import MMRMResult

__all__ = ["mmrm"]


def mmrm(data: pd.DataFrame, *, outcome: str, group: str, visit: str, subject: str,
         baseline: str | None = None, baseline_visit="auto", baseline_by_visit: bool = False,
         df_method: str = "residual", conf_level: float = 0.95, reference=None) -> MMRMResult:
    """MMRM: ``outcome ~ group * visit + baseline``, unstructured covariance, REML.

    Parameters
    ----------
    data : DataFrame
        Long format, one row per subject and visit; rows with a missing outcome (missed visits)
        are left out and counted; visits a subject did not attend may also simply be absent.
    outcome, group, visit, subject : str
        Columns; ``visit`` must be numeric (e.g. the week).
    baseline : str, optional
        Baseline covariate, the same on every row of a subject, no missing values.
    baseline_visit : "auto", number or None, default "auto"
        Rows at this visit are the baseline measurement and are not modelled as a response.
        ``"auto"``: the first visit, if ``baseline`` is given and the outcome there (where not
        missing) equals the baseline for more than half of the subjects (those where it differs
        are counted in ``n_baseline_differs``); ``None``: model all visits.
    baseline_by_visit : bool, default False
        Add a baseline x visit interaction (a separate baseline slope at each visit).
    df_method : {"residual", "satterthwaite"}, default "residual"
        Degrees of freedom for tests and intervals: ``N_obs - p`` as ``nlme::gls`` (the reference),
        or Satterthwaite's approximation as the ``mmrm`` package (from the observed REML
        information).
    conf_level : float in (0, 1), default 0.95
    reference : optional
        Reference group (default: first level in sorted order).

    Returns
    -------
    MMRMResult
        ``summary`` columns: ``comparison, method, visit, estimate, se, df, statistic, p_value,
        ci_lower, ci_upper, n``; one row per modelled visit.

    Raises
    ------
    DataValidationError
        Duplicate subject-visit rows, non-numeric visits, a missing baseline, too few data.
    ConvergenceError
        If neither Fisher scoring nor BFGS reaches the REML maximum; the message says what was
        tried.

    Notes
    -----
    The restricted likelihood is maximised over an unstructured covariance by Fisher scoring
    (falling back to BFGS on a log-Cholesky parametrisation), the fixed effects are the GLS
    estimates and their covariance is ``(X' V^-1 X)^-1``. Missing visits are handled by the
    likelihood (valid under MAR). Matches ``nlme::gls(..., correlation = corSymm(), weights =
    varIdent(~ 1 | visit), method = "REML")`` to better than 1e-6 in the estimate and its
    standard error (``tests/reference/continuous_analysis.json``). No Kenward-Roger adjustment.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_trial
    >>> d = simulate_trial(load_design("t7"), rng=11)
    >>> r = mmrm(d, outcome="hamd", group="arm", visit="week", subject="subject",
    ...          baseline="baseline", reference="usual_care")
    >>> r.visit, r.n_baseline_rows, r.df_method
    (12.0, 40, 'residual')
    >>> round(r.estimate, 3)
    -4.911
    """
    check_choice("df_method", df_method, ("residual", "satterthwaite"))
    conf_level = check_conf_level(conf_level)
    long = long_data(data, outcome, group, visit, subject, baseline, reference)
    fr = long.frame
    n_base_rows = n_base_differs = 0
    bv = None
    if isinstance(baseline_visit, str):
        check_choice("baseline_visit", baseline_visit, ("auto",))
        if baseline is not None:
            first = fr["visit"].min()
            at_first = fr[fr["visit"] == first]
            y_first = at_first["y"].to_numpy()
            seen = ~np.isnan(y_first)
            same = y_first[seen] == at_first["base"].to_numpy()[seen]
            if seen.any() and same.mean() > 0.5:
                bv = first
                n_base_differs = int((~same).sum())
    elif baseline_visit is not None:
        bv = float(baseline_visit)
        if not np.any(fr["visit"] == bv):
            raise InvalidParameterError(
                f"`baseline_visit` must be one of the visits {sorted(fr['visit'].unique())} or "
                f"None; got {baseline_visit!r}."
            )
    if bv is not None:
        n_base_rows = int((fr["visit"] == bv).sum())
        fr = fr[fr["visit"] != bv]
    fr = fr[~fr["y"].isna()]
    visits = np.sort(fr["visit"].unique())
    t = len(visits)
    if t < 1:
        raise DataValidationError("no post-baseline outcome values to model.")
    subjects = pd.unique(fr["subject"])
    n = len(subjects)
    s_idx = pd.Index(subjects).get_indexer(fr["subject"])
    v_idx = np.searchsorted(visits, fr["visit"].to_numpy())
    y = np.zeros((1, n, t))
    m = np.zeros((1, n, t), dtype=bool)
    y[0, s_idx, v_idx] = fr["y"].to_numpy()
    m[0, s_idx, v_idx] = True
    first_rows = fr.groupby("subject", sort=False).head(1).set_index("subject").loc[subjects]
    arm = (first_rows["group"].to_numpy() == long.comparison).astype(float)[None]
    base = first_rows["base"].to_numpy(dtype=float)[None] if baseline is not None else None
    for lv, sel in ((long.reference, arm[0] == 0), (long.comparison, arm[0] == 1)):
        seen = m[0][sel].sum(axis=0)
        if np.any(seen == 0):
            v = visits[int(np.argmin(seen))]
            raise DataValidationError(
                f"group {lv!r} has no {outcome!r} values at {visit} {v:g}; the group x visit "
                "model is not estimable."
            )
    co = np.einsum("na,nb->ab", m[0].astype(float), m[0].astype(float))
    if np.any(co == 0):
        a, b = np.argwhere(co == 0)[0]
        raise DataValidationError(
            f"no subject has {outcome!r} at both {visit} {visits[a]:g} and {visits[b]:g}: their "
            "covariance is not estimable with an unstructured covariance."
        )
    X = mmrm_design(arm, base, t, baseline_by_visit=baseline_by_visit)
    p = X.shape[-1]
    if m.sum() - p <= t * (t + 1) // 2:
        raise DataValidationError(
            f"too few observations ({int(m.sum())}) for {p} fixed effects and a {t} x {t} "
            "unstructured covariance."
        )
    XtX = np.einsum("ntp,ntq->pq", X[0] * m[0][..., None], X[0])
    if np.linalg.matrix_rank(XtX) < p:
        raise DataValidationError(
            "the MMRM fixed effects are not estimable (the baseline is constant or collinear)."
        )

    mf = m.astype(float)
    y0 = np.where(m, y, 0.0)
    basis = vech_basis(t)
    sigma, ev, conv, iters = fisher_scoring(y0, mf, X, tol=1e-12, max_iter=500)
    optimizer = f"Fisher scoring ({int(iters[0])} iterations)"
    if not conv[0]:
        start = sigma[0] if is_positive_definite(sigma)[0] else start_sigma(y0, mf, X)[0]
        S, res = bfgs_fallback(y0, mf, X, start)
        ev2 = reml_eval(S[None], y0, mf, X, basis)
        dec = float(ev2["grad"][0] @ np.linalg.solve(ev2["info"][0], ev2["grad"][0]))
        if not (np.isfinite(ev2["ll"][0]) and dec < 1e-6):
            raise ConvergenceError(
                "the MMRM did not converge: tried Fisher scoring on the unstructured covariance "
                f"({int(iters[0])} iterations with step halving, from the OLS residual covariance) "
                f"and BFGS on a log-Cholesky parametrisation ({res.nit} iterations: "
                f"{res.message}); "
                f"remaining Newton decrement {dec:.3g}. Check for visits with very few "
                "observations or an outcome with almost no variation."
            )
        sigma, ev = S[None], ev2
        optimizer = f"BFGS on log-Cholesky ({res.nit} iterations) after Fisher scoring"

    beta, A_inv = ev["beta"][0], ev["A_inv"][0]
    n_obs = int(ev["n_obs"][0])
    has_base = base is not None
    names = ["intercept", f"{group}[{long.comparison}]"]
    names += [f"{visit}[{v:g}]" for v in visits[1:]]
    if baseline is not None:  # has_base
        names.append(baseline)
    names += [f"{group}[{long.comparison}]:{visit}[{v:g}]" for v in visits[1:]]
    if has_base and baseline_by_visit:
        names += [f"{baseline}:{visit}[{v:g}]" for v in visits[1:]]
    coefs = pd.DataFrame({"term": names, "estimate": beta, "se": np.sqrt(np.diag(A_inv))})

    if df_method == "satterthwaite":
        cov_theta = _theta_covariance(sigma[0], y0, mf, X, basis)
        W = ev["W"][0]
    rows = []
    for j, v in enumerate(visits):
        L = np.zeros(p)
        L[1] = 1.0
        if j > 0:
            L[arm_visit_column(t, has_base, baseline_by_visit, j)] = 1.0
        est = float(L @ beta)
        var = float(L @ A_inv @ L)
        se = math.sqrt(var)
        if df_method == "residual":
            dfv = float(n_obs - p)
        else:
            u = A_inv @ L
            vv = np.einsum("ntp,p->nt", W @ X[0], u)
            gphi = np.einsum("na,nb,jab->j", vv, vv, basis)
            dfv = float(2 * var * var / (gphi @ cov_theta @ gphi))
        tstat, pv, lo, hi = t_inference(est, se, dfv, "two-sided", conf_level)
        rows.append({"visit": float(v), "estimate": est, "se": se, "df": dfv,
                     "statistic": float(tstat), "p_value": float(pv), "ci_lower": float(lo),
                     "ci_upper": float(hi)})
    effects = pd.DataFrame(rows)
    last = rows[-1]
    labels = [f"{visit}[{v:g}]" for v in visits]
    cov = pd.DataFrame(sigma[0], index=labels, columns=labels)
    method = "MMRM (group x visit" + (" + baseline" if has_base else "") + (
        " x visit" if has_base and baseline_by_visit else "") + ", unstructured covariance, REML)"
    return MMRMResult(
        visit=last["visit"], estimate=last["estimate"], se=last["se"], df=last["df"],
        statistic=last["statistic"], p_value=last["p_value"], ci_lower=last["ci_lower"],
        ci_upper=last["ci_upper"], effects=effects, coefficients=coefs, covariance=cov,
        loglik=float(ev["ll"][0]), n_obs=n_obs, n_subjects=n, n_missing=long.n_missing,
        n_baseline_rows=n_base_rows, n_baseline_differs=n_base_differs, reference=long.reference,
        comparison=long.comparison,
        df_method=df_method, optimizer=optimizer, conf_level=conf_level, method=method,
    )


def _theta_covariance(sigma, y0, m, X, basis) -> np.ndarray:
    """Inverse of the observed REML information over the covariance elements.

    The information is taken by central differences of the analytic score.
    """
    q = basis.shape[0]
    scale = float(np.mean(np.diag(sigma)))
    h = 1e-5 * scale
    H = np.zeros((q, q))
    for j in range(q):
        plus = reml_eval((sigma + h * basis[j])[None], y0, m, X, basis)["grad"][0]
        minus = reml_eval((sigma - h * basis[j])[None], y0, m, X, basis)["grad"][0]
        H[:, j] = (plus - minus) / (2 * h)
    H = 0.5 * (H + H.T)
    return np.linalg.inv(-H)
