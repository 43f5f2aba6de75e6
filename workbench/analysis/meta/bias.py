"""Small-study effects: Egger's regression test and trim-and-fill.

As metafor's ``regtest`` and ``trimfill``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from ..._validation import check_choice, check_int
from ...exceptions import ConvergenceError
from .model import (
    build_result,
    check_k,
    check_result,
    check_unequal_variances,
    control_settings,
    fit_model,
    iv_data,
    iv_method,
    single_tau2,
)
from .replicates import egger_replicates
from .results import EggerResult, MetaAnalysisResult, TrimFillResult

__all__ = ["egger_test", "trim_and_fill"]


def egger_test(result: MetaAnalysisResult, *, model: str = "rma") -> EggerResult:
    """Egger's regression test of small-study effects (metafor's ``regtest``, predictor "sei").

    Parameters
    ----------
    result : MetaAnalysisResult
        A fitted meta-analysis; its method (FE for Mantel-Haenszel), Hartung-Knapp setting and
        control are reused.
    model : {"rma", "lm"}, default "rma"
        ``"rma"`` adds the standard error as a moderator to the meta-analytic model (metafor's
        default); ``"lm"`` is the classical Egger regression, a weighted least-squares fit with
        weights 1/vi and a multiplicative dispersion (t on k-2 df), identical to regressing
        yi/sei on 1/sei and testing the intercept.

    Returns
    -------
    EggerResult

    Raises
    ------
    DataValidationError
        Fewer than three studies, or all sampling variances equal (the standard error cannot be
        a regressor). Mantel-Haenszel results count only the tables with a per-study effect.

    Notes
    -----
    Checked against metafor ``regtest(fit, model="rma"|"lm")``. The ``lm`` form is the one-row
    case of :func:`~workbench.analysis.meta.egger_replicates` (closed-form weighted least
    squares).

    Examples
    --------
    >>> from workbench.analysis.meta import meta_analysis
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="FE")
    >>> eg = egger_test(res)
    >>> round(eg.statistic, 4), round(eg.p_value, 4)
    (2.1369, 0.0326)
    """
    check_result(result)
    check_choice("model", model, ("rma", "lm"))
    y, v, _ = iv_data(result)
    check_k(y.size, 3, "Egger's regression test")
    check_unequal_variances(v, "Egger's regression test")
    k = y.size
    if model == "rma":
        X = np.column_stack([np.ones_like(y), np.sqrt(v)])
        fit = fit_model(y, v, X, iv_method(result), result.knha, result.conf_level,
                        control_settings(result.control))
        return EggerResult(model="rma", method=iv_method(result), k=k,
                           statistic=float(fit.zval[1]), p_value=float(fit.pval[1]), df=fit.df,
                           slope=float(fit.beta[1]), limit_estimate=float(fit.beta[0]),
                           limit_ci_lower=float(fit.ci_lb[0]), limit_ci_upper=float(fit.ci_ub[0]),
                           conf_level=result.conf_level)
    lm = {key: float(val[0]) for key, val in egger_replicates(y[None], v[None]).items()}
    df = float(k - 2)
    crit = float(stats.t.isf((1 - result.conf_level) / 2, df))
    b0, se0 = lm["intercept"], lm["intercept_se"]
    return EggerResult(model="lm", method=iv_method(result), k=k, statistic=lm["statistic"],
                       p_value=lm["p_value"], df=df, slope=lm["slope"], limit_estimate=b0,
                       limit_ci_lower=b0 - crit * se0, limit_ci_upper=b0 + crit * se0,
                       conf_level=result.conf_level)


def _pooled_beta(y, v, method, con) -> float:
    X = np.ones((y.size, 1))
    tau2, _, _ = single_tau2(y, v, X, method, con)
    w = 1.0 / (v + tau2)
    return float(np.sum(w * y) / np.sum(w))


def trim_and_fill(result: MetaAnalysisResult, *, estimator: str = "L0", side: str | None = None,
                  maxiter: int = 100) -> TrimFillResult:
    """Trim-and-fill: estimate and impute studies missing from one side of the funnel plot.

    Parameters
    ----------
    result : MetaAnalysisResult
        A fitted meta-analysis; its method (FE for Mantel-Haenszel), Hartung-Knapp setting and
        control are reused.
    estimator : {"L0", "R0"}, default "L0"
        Estimator of the number of missing studies.
    side : {"left", "right"}, optional
        Side of the funnel plot (effects below or above the pooled estimate) on which studies are
        missing, metafor's ``side``. This is not the side of a test (trim-and-fill tests nothing;
        the sides of tests are ``alternative`` elsewhere). By default chosen as metafor does:
        "right" if the slope of the standard error in an Egger-type meta-regression (same method)
        is negative, else "left".
    maxiter : int, default 100
        Maximum number of trim-and-fill iterations.

    Returns
    -------
    TrimFillResult

    Raises
    ------
    DataValidationError
        Fewer than three studies, or (when ``side`` is not given) all sampling variances equal.
    ConvergenceError
        The number of missing studies did not settle within ``maxiter`` iterations.

    Notes
    -----
    Implements metafor's ``trimfill`` (iteration on the ranks of the centred effects, k0 rounded
    half to even as R, imputed effects mirrored around the trimmed estimate). The filled data are
    analysed with the method of ``result`` and keep its Hartung-Knapp setting (metafor refits with
    z tests); Mantel-Haenszel results are refitted as inverse-variance fixed-effect models (also
    when no study is imputed) on the tables that have a per-study effect (as metafor's ``rma.mh``
    keeps them). Estimated k0 is capped at k - 1. Checked against metafor ``trimfill``.

    Examples
    --------
    >>> from workbench.analysis.meta import meta_analysis
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="FE")
    >>> tf = trim_and_fill(res)
    >>> tf.k0, tf.side, round(tf.estimate, 4)
    (2, 'left', 0.2684)
    """
    check_result(result)
    check_choice("estimator", estimator, ("L0", "R0"))
    maxiter = check_int("maxiter", maxiter, minimum=1)
    y0, v0, labels0 = iv_data(result)
    check_k(y0.size, 3, "trim-and-fill")
    method = iv_method(result)
    con = control_settings(result.control)
    if side is None:
        check_unequal_variances(v0, "trim-and-fill (choosing the side)")
        X = np.column_stack([np.ones_like(y0), np.sqrt(v0)])
        fit = fit_model(y0, v0, X, method, False, result.conf_level, con)
        side = "right" if fit.beta[1] < 0 else "left"
    else:
        check_choice("side", side, ("left", "right"))
    y = -y0 if side == "right" else y0.copy()
    order = np.argsort(y, kind="stable")
    y, v = y[order], v0[order]
    k = y.size
    k0_prev, k0, it = -1, 0, 0
    se_k0 = math.nan
    beta = math.nan
    yc = y
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ConvergenceError(f"trim-and-fill did not converge in {maxiter} iterations.")
        beta = _pooled_beta(y[: k - k0], v[: k - k0], method, con)
        yc = y - beta
        ranks = stats.rankdata(np.abs(yc), method="ordinal")
        signed = np.sign(yc) * ranks
        if estimator == "R0":
            neg = -signed[signed < 0]
            k0_raw = (k - (neg.max() if neg.size else 0.0)) - 1
            se_k0 = math.sqrt(2 * max(0.0, k0_raw) + 2)
        else:
            sr = float(signed[signed > 0].sum())
            k0_raw = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0_raw**3 + 27 * k0_raw**2 + 17 * k0_raw
                      - 18 * k * k0_raw**2 - 18 * k * k0_raw + 6 * k**2 * k0_raw) / 24
            se_k0 = 4 * math.sqrt(var_sr) / (2 * k - 1) if var_sr >= 0 else math.nan
        k0 = int(min(max(0, round(k0_raw)), k - 1))
        se_k0 = max(0.0, se_k0) if not math.isnan(se_k0) else se_k0
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else math.nan
    if k0 > 0:
        yc = yc - beta
        if side == "right":
            yc = -yc
        fill_y = -yc[k - k0:]
        fill_v = v[k - k0:]
        labels = labels0 + tuple(f"Filled {i + 1}" for i in range(k0))
        filled = build_result(np.r_[y0, fill_y], np.r_[v0, fill_v], labels, method=method,
                              knha=result.knha, conf_level=result.conf_level,
                              measure=result.measure, con=con)
    else:
        fill_y = np.array([])
        fill_v = np.array([])
        # nothing imputed: the input itself (for Mantel-Haenszel, the inverse-variance
        # fixed-effect model that trim-and-fill works with)
        filled = result if result.method != "MH" else build_result(
            y0, v0, labels0, method=method, knha=False, conf_level=result.conf_level,
            measure=result.measure, con=con)
    return TrimFillResult(k0=k0, se_k0=float(se_k0), p_k0=float(p_k0), side=side,
                          estimator=estimator, filled_yi=fill_y, filled_vi=fill_v, result=filled,
                          original=result)
