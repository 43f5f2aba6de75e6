"""The fixed- and random-effects model and Mantel-Haenszel pooling.

:func:`meta_analysis` (metafor's ``rma.uni``) and :func:`mantel_haenszel` (``rma.mh``).

tau-squared and the weighted least squares come from :mod:`workbench.analysis.meta.tau2`; the
helpers here (``fit_model``, ``build_result``, ``mh_result``, ``effects_input`` and the checks) are
shared with Egger's test, trim-and-fill, leave-one-out and the subgroup analysis.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..._rootfind import zeroin as _zeroin
from ..._validation import check_choice, check_int, check_probability, label_text
from ...exceptions import (
    ConvergenceError,
    DataValidationError,
    InvalidParameterError,
    StatisticalWarning,
)
from .escalc import (
    BINARY_MEASURES,
    MEASURES,
    as_float_array,
    check_values,
    effect_sizes,
    numeric_column,
    study_labels,
    two_by_two,
)
from .results import EffectSizes, MetaAnalysisResult
from .tau2 import (
    estimate_tau2,
    generalized_q,
    p_traces,
    reml_loglik,
    tau2_cap,
    weighted_residuals,
)

__all__ = [
    "METHODS",
    "METAFOR_CONTROL",
    "DEFAULT_CONTROL",
    "meta_analysis",
    "mantel_haenszel",
    "control_settings",
    "ModelFit",
    "single_tau2",
    "fit_model",
    "effects_input",
    "YI_MAX",
    "VI_RANGE",
    "VI_RATIO_MAX",
    "check_extremes",
    "tau2_scale",
    "tau2_cap",
    "check_k",
    "check_unequal_variances",
    "build_result",
    "mh_result",
    "iv_method",
    "mh_informative",
    "iv_data",
    "check_result",
]

#: fixed effect (inverse variance), Mantel-Haenszel (2 x 2 tables only).
METHODS = ("REML", "DL", "PM", "FE", "MH")

_EPS = float(np.finfo(float).eps)

#: Stopping rules of metafor 3.8's defaults: REML Fisher scoring stops when tau-squared changes by
#: less than ``threshold`` (at most ``maxiter`` steps); Paule-Mandel (``tol``) and the Q-profile
#: interval (``ci_tol``) use R's ``uniroot`` tolerance ``.Machine$double.eps^0.25``.
METAFOR_CONTROL: dict[str, float] = {
    "threshold": 1e-5,
    "maxiter": 100,
    "tol": _EPS**0.25,
    "ci_tol": _EPS**0.25,
}

#: Defaults of this module: iterate to full convergence.
DEFAULT_CONTROL: dict[str, float] = {
    "threshold": 1e-13,
    "maxiter": 1000,
    "tol": 1e-15,
    "ci_tol": 1e-15,
}


#: The largest |yi| taken: squares of effects beyond it (and their products with the weights)
#: overflow double precision. Effects that large are in the wrong unit: rescale them.
YI_MAX = 1e100
#: The sampling variances taken: the weights 1/vi, their squares and cubes (in the traces of the
#: models) stay finite and above underflow only inside this range.
VI_RANGE = (1e-100, 1e100)
#: The largest ratio of the largest to the smallest sampling variance taken. The intercept-only
#: model sums positive terms only and stays exact beyond it, but the meta-regressions (Egger's
#: test, reported with every meta-analysis on the command line) subtract terms of the size of the
#: largest weight to get one of the size of the others and lose about twice ``log10(ratio)``
#: digits in the standard error of tau-squared; far beyond it the weights cannot even be summed
#: (vi = 1e-20 among vi = 0.04 gave tau-squared 0 with DL). metafor warns from the same ratio
#: ("Ratio of largest to smallest sampling variance extremely large. May not be able to obtain
#: stable results.") and goes on; here it is refused.
VI_RATIO_MAX = 1e7


def check_extremes(y: np.ndarray, v: np.ndarray, labels=None, *, ycol: str = "yi",
                   vcol: str = "vi") -> None:
    """Refuse effects and variances that double precision cannot weigh (one clear error).

    ``|yi| <= YI_MAX``, ``vi`` in ``VI_RANGE`` and ``max(vi) / min(vi) <= VI_RATIO_MAX``; the
    error names the study, the column, the value and the rule.
    """
    def where(i):
        return f"study {labels[i]!r}" if labels is not None else f"study {i + 1}"

    big = np.abs(y) > YI_MAX
    if big.any():
        i = int(np.argmax(big))
        raise DataValidationError(
            f"{where(i)}: column {ycol!r} must be within +-{YI_MAX:g}; got {float(y[i])!r} "
            "(its square overflows double precision: give the effects in another unit).")
    lo, hi = VI_RANGE
    out = (v < lo) | (v > hi)
    if out.any():
        i = int(np.argmax(out))
        raise DataValidationError(
            f"{where(i)}: column {vcol!r} must be in [{lo:g}, {hi:g}]; got {float(v[i])!r} "
            "(its weight 1/vi and the weight's powers overflow or underflow double precision: "
            "give the effects in another unit).")
    if v.size > 1:
        i, j = int(np.argmin(v)), int(np.argmax(v))
        ratio = float(v[j] / v[i])
        if ratio > VI_RATIO_MAX:
            raise DataValidationError(
                f"{where(i)}: column {vcol!r} = {float(v[i])!r} is {ratio:.3g} times smaller than "
                f"the largest ({where(j)}: {float(v[j])!r}); the ratio of the largest to the "
                f"smallest sampling variance must be at most {VI_RATIO_MAX:g}, beyond which the "
                "heterogeneity statistics lose their precision (metafor warns from 1e7 that it "
                "may not obtain stable results): check the variance or leave the study out.")


def control_settings(control: dict | None) -> dict:
    """The control settings: :data:`DEFAULT_CONTROL` updated by ``control`` (checked)."""
    out = dict(DEFAULT_CONTROL)
    if control is None:
        return out
    if not isinstance(control, dict):
        raise InvalidParameterError(f"`control` must be a dict or None; got {control!r}.")
    for key, value in control.items():
        if key not in out:
            allowed = ", ".join(repr(k) for k in out)
            raise InvalidParameterError(f"`control` keys must be among {allowed}; got {key!r}.")
        if key == "maxiter":
            out[key] = check_int("control['maxiter']", value, minimum=1)
        else:
            if not isinstance(value, int | float) or not value >= 0 or not math.isfinite(value):
                raise InvalidParameterError(
                    f"`control[{key!r}]` must be a finite number >= 0; got {value!r}.")
            out[key] = float(value)
    return out


@dataclass
class ModelFit:
    """One fitted meta-analytic model (metafor's ``rma.uni`` object, the parts used here)."""

    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    df: float
    tau2: float
    se_tau2: float
    qe: float
    qe_p: float
    i2: float
    h2: float
    vt: float
    loglik: float
    iterations: int
    weights: np.ndarray
    crit: float


def tau2_scale(y, vi) -> float:
    """The power of two ``c`` by which the tau-squared problem of ``y``, ``vi`` is solved.

    The stopping rules of the estimators (REML's ``threshold * max(1, tau2)``, the root
    tolerances, the brackets from 100) are absolute, as metafor's: data whose sampling variances
    or spread of effects are far from 1 (variances of 1e-20 or 1e40, effects of 1e99) are solved
    as ``y / sqrt(c)``, ``vi / c`` and the results scaled back (exactly: ``c`` is a power of two).
    ``c`` is near the geometric mean of the median variance and the variance of the effects (the
    median variance when the effects vary less), so that neither the weights nor tau-squared
    leave the range of double precision. Data where it lies within [2^-20, 2^20] are solved as
    they are, so that results there agree with metafor's step for step.
    """
    a = float(np.median(vi))
    med = math.sqrt(a) * math.sqrt(max(a, float(np.var(y))))
    if 2.0**-20 <= med <= 2.0**20:
        return 1.0
    return 2.0 ** (2 * round(math.log2(med) / 2))


def single_tau2(y, vi, X, method, con) -> tuple[float, float, int]:
    """tau2 of one data set, its standard error and the iterations.

    The 1-row case of :func:`~workbench.analysis.meta.tau2.estimate_tau2`, solved at the scale of
    :func:`tau2_scale`; an error if REML does not converge.
    """
    c = tau2_scale(y, vi)
    est = estimate_tau2(y / math.sqrt(c), vi / c, None, X, method=method, control=con)
    if not est.converged[0]:
        raise ConvergenceError(
            f"REML Fisher scoring did not converge in {int(con['maxiter'])} iterations "
            f"(last tau2 = {c * est.tau2[0]:.6g}); try control={{'maxiter': ...}} or method='PM'.")
    return c * float(est.tau2[0]), c * float(est.se[0]), int(est.iterations[0])


def fit_model(y, vi, X, method, knha, conf_level, con) -> ModelFit:
    """metafor's rma.uni for a model matrix X (intercept-only or meta-regression)."""
    k, p = X.shape
    tau2, se_tau2, iters = single_tau2(y, vi, X, method, con)
    w = 1.0 / (vi + tau2)
    r, beta, vb = (a[0] for a in weighted_residuals(y[None], w[None], X[None]))
    alpha = 1.0 - conf_level
    if knha and k > p:
        rss = float(np.sum(w * r**2))
        s2w = 0.0 if rss <= _EPS else rss / (k - p)
        if s2w == 0.0:
            warnings.warn("Hartung-Knapp: the weighted residual variance is 0 (all effects lie on "
                          "the fitted model), so the standard error is 0, as in metafor.",
                          StatisticalWarning, stacklevel=3)
        vb = vb * s2w
        df = float(k - p)
    else:
        df = math.nan
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = beta / se
    if knha and k > p:
        pval = 2 * stats.t.sf(np.abs(zval), df)
        crit = float(stats.t.isf(alpha / 2, df))
    else:
        pval = 2 * stats.norm.sf(np.abs(zval))
        crit = float(stats.norm.isf(alpha / 2))
    # heterogeneity (always inverse-variance weights 1/vi)
    if k > p:
        qe = max(0.0, float(generalized_q(y[None], vi[None], X[None], 0.0)[0]))
        qe_p = float(stats.chi2.sf(qe, k - p))
        vt = (k - p) / float(p_traces((1.0 / vi)[None], X[None])[0][0])
        if method == "FE":
            i2 = max(0.0, 100.0 * (qe - (k - p)) / qe) if qe > 0 else 0.0
            h2 = qe / (k - p)
        else:
            i2 = 100.0 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1.0
    else:
        qe, qe_p, i2, h2, vt = 0.0, 1.0, 0.0, 1.0, 0.0
    rss_f = float(np.sum(w * r**2))
    if method == "REML":
        ll = float(reml_loglik(y[None], vi[None], X[None], tau2)[0])
    else:
        ll = -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * rss_f
    return ModelFit(beta=beta, vb=vb, se=se, zval=zval, pval=pval, ci_lb=beta - crit * se,
                    ci_ub=beta + crit * se, df=df, tau2=tau2, se_tau2=se_tau2, qe=qe, qe_p=qe_p,
                    i2=i2, h2=h2, vt=vt, loglik=ll, iterations=iters, weights=100 * w / w.sum(),
                    crit=crit)


def _qprofile(y, vi, X, conf_level, con) -> tuple[float, float]:
    """Q-profile confidence interval for tau2 (metafor's confint.rma.uni, type 'qp').

    Solved at the scale of :func:`tau2_scale`.
    """
    c = tau2_scale(y, vi)
    if c != 1.0:
        lb, ub = _qprofile(y / math.sqrt(c), vi / c, X, conf_level, con)
        return c * lb, c * ub
    cap = tau2_cap(y, vi)
    k, p = X.shape
    alpha = 1.0 - conf_level
    crit_u = float(stats.chi2.isf(alpha / 2, k - p))
    crit_l = float(stats.chi2.ppf(alpha / 2, k - p))
    tol, maxiter = con["ci_tol"], int(con["maxiter"])
    def q(t):
        return float(generalized_q(y[None], vi[None], X[None], t)[0])

    q_min = q(0.0)
    upper = 100.0
    q_max = q(upper)

    def bracket(crit):
        nonlocal upper, q_max
        while q_max > crit:  # metafor reports '> tau2.max' here; extend instead
            upper *= 10.0
            q_max = q(upper)
            if upper > cap:
                raise ConvergenceError(f"Q-profile interval: bound above {cap:.3g}.")

    if q_min < crit_l:
        return 0.0, 0.0  # the whole interval is below zero (metafor: a null set at 0)
    bracket(crit_l)
    ub = _zeroin(lambda t: q(t) - crit_l, 0.0, upper, tol, maxiter, f_lower=q_min - crit_l,
                 f_upper=q_max - crit_l)
    if q_min < crit_u:
        lb = 0.0
    else:
        lb = _zeroin(lambda t: q(t) - crit_u, 0.0, upper, tol, maxiter, f_lower=q_min - crit_u,
                     f_upper=q_max - crit_u)
    return float(lb), float(ub)


def effects_input(data, yi, vi, study, measure):
    """Normalise the three input forms to (yi, vi, labels, measure, counts)."""
    counts = None
    if isinstance(data, EffectSizes):
        y, v = np.asarray(data.yi, float), np.asarray(data.vi, float)
        check_extremes(y, v, tuple(data.study))
        return y, v, tuple(data.study), data.measure, data.counts
    if isinstance(data, pd.DataFrame):
        if len(data) == 0:
            raise DataValidationError("`data` is empty: it has no rows.")
        labels = study_labels(data, study)
        y = numeric_column(data, yi, labels, "yi")
        v = numeric_column(data, vi, labels, "vi")
        ycol, vcol = yi, vi
    elif data is None:
        if isinstance(yi, str) or isinstance(vi, str):
            raise InvalidParameterError(
                "`yi` and `vi` must be arrays when `data` is None (column names need `data`).")
        y = as_float_array("yi", yi).ravel()
        v = as_float_array("vi", vi).ravel()
        if y.shape != v.shape:
            raise DataValidationError(
                f"`yi` and `vi` must have the same length; got {y.size} and {v.size}.")
        if study is None:
            labels = tuple(str(i + 1) for i in range(y.size))
        else:
            labels = tuple(label_text(s) for s in study)
            if len(labels) != y.size:
                raise DataValidationError(
                    f"`study` must have one label per study ({y.size}); got {len(labels)}.")
        ycol, vcol = "yi", "vi"
    else:
        raise DataValidationError(
            "`data` must be a DataFrame, an EffectSizes object or None (with yi and vi arrays); "
            f"got {type(data).__name__}.")
    check_values("yi", y, labels, column=ycol)
    check_values("vi", v, labels, positive=True, column=vcol)
    check_extremes(y, v, labels, ycol=str(ycol), vcol=str(vcol))
    if measure is not None:
        check_choice("measure", measure, MEASURES)
    return y, v, labels, measure, counts


def check_k(k: int, minimum: int = 2, what: str = "a meta-analysis") -> None:
    """An error when there are fewer than ``minimum`` studies."""
    if k < minimum:
        raise DataValidationError(f"{what} needs at least {minimum} studies; got {k}.")


def check_unequal_variances(v: np.ndarray, what: str) -> None:
    """Check that the studies differ in precision, as the regression on the standard error needs.

    metafor stops with 'Model matrix no longer of full rank' otherwise.
    """
    if np.ptp(v) <= 1e-12 * float(np.max(v)):
        raise DataValidationError(
            f"{what} needs studies of different precision; all sampling variances are equal "
            f"({float(v[0]):g}).")


def build_result(y, v, labels, *, method, knha, conf_level, measure, con,
                 counts=None) -> MetaAnalysisResult:
    """The meta-analysis of effects ``y`` with variances ``v`` (intercept-only model)."""
    k = y.size
    X = np.ones((k, 1))
    fit = fit_model(y, v, X, method, knha, conf_level, con)
    est, se = float(fit.beta[0]), float(fit.se[0])
    if not (math.isfinite(est) and math.isfinite(se) and math.isfinite(fit.tau2)):
        # never a table of NA for finite input: say so (check_extremes keeps inputs far from it)
        raise ConvergenceError(
            f"the {method} model could not be computed in double precision (estimate {est!r}, "
            f"standard error {se!r}, tau2 {fit.tau2!r}); check the effects and variances.")
    nan = math.nan
    if method != "FE" and k >= 2:
        lb, ub = _qprofile(y, v, X, conf_level, con)
        vt = fit.vt
        i2l, i2u = 100 * lb / (vt + lb), 100 * ub / (vt + ub)
        h2l, h2u = lb / vt + 1, ub / vt + 1
        alpha = 1 - conf_level
        half = fit.crit * math.sqrt(se**2 + fit.tau2)
        pil, piu = est - half, est + half
        if k >= 3:
            half_t = float(stats.t.isf(alpha / 2, k - 2)) * math.sqrt(se**2 + fit.tau2)
            pitl, pitu = est - half_t, est + half_t
        else:
            pitl = pitu = nan
    else:
        lb = ub = i2l = i2u = h2l = h2u = pil = piu = pitl = pitu = nan
    return MetaAnalysisResult(
        method=method, test="knha" if (knha and k > 1) else "z", measure=measure, k=k,
        estimate=est, se=se, statistic=float(fit.zval[0]), p_value=float(fit.pval[0]),
        ci_lower=float(fit.ci_lb[0]), ci_upper=float(fit.ci_ub[0]), df=fit.df,
        tau2=fit.tau2, se_tau2=fit.se_tau2, tau2_ci_lower=lb, tau2_ci_upper=ub,
        i2=fit.i2, i2_ci_lower=i2l, i2_ci_upper=i2u, h2=fit.h2, h2_ci_lower=h2l, h2_ci_upper=h2u,
        q=fit.qe, q_df=k - 1, q_p=fit.qe_p, pi_lower=pil, pi_upper=piu, pi_lower_t=pitl,
        pi_upper_t=pitu, conf_level=conf_level, loglik=fit.loglik, iterations=fit.iterations,
        yi=y, vi=v, weights=fit.weights, study=tuple(labels), control=dict(con), counts=counts)


def meta_analysis(data=None, *, yi="yi", vi="vi", study: str | None = None, method: str = "REML",
                  knha: bool = False, conf_level: float = 0.95, measure: str | None = None,
                  control: dict | None = None) -> MetaAnalysisResult:
    """Pool study effects with a fixed-effect or random-effects model (metafor's ``rma``).

    Parameters
    ----------
    data : pandas.DataFrame, EffectSizes or None
        A table with effect sizes and sampling variances in columns ``yi`` and ``vi``; the output
        of :func:`effect_sizes`; or None, with ``yi`` and ``vi`` given as arrays.
    yi, vi : str or array_like
        Column names (with a DataFrame) or arrays of effects and sampling variances (> 0).
    study : str or sequence, optional
        Column of study labels (DataFrame) or the labels themselves (arrays).
    method : {"REML", "DL", "PM", "FE", "MH"}, default "REML"
        Between-study variance estimator of the random-effects model (restricted maximum
        likelihood, DerSimonian-Laird, Paule-Mandel), the fixed-effect (inverse-variance) model,
        or Mantel-Haenszel (needs the counts, i.e. ``data`` from :func:`effect_sizes` with a
        binary measure; see :func:`mantel_haenszel`).
    knha : bool, default False
        Hartung-Knapp(-Sidik-Jonkman) adjustment: standard error scaled by the weighted residual
        variance, t distribution on k-1 df (metafor ``test="knha"``).
    conf_level : float in (0, 1), default 0.95
        Confidence level of all intervals.
    measure : {"SMD", "RR", "OR", "RD"}, optional
        Label of the effect measure (taken from ``data`` for EffectSizes); used by plots.
    control : dict, optional
        ``threshold`` and ``maxiter`` (REML), ``tol`` (Paule-Mandel root), ``ci_tol`` (Q-profile
        roots). The defaults iterate to full convergence; :data:`METAFOR_CONTROL` reproduces
        metafor's default stopping rules.

    Returns
    -------
    MetaAnalysisResult
        See its attributes; ``.summary`` is a tidy table, ``.studies`` the per-study table.

    Raises
    ------
    DataValidationError
        Fewer than two studies, a missing or non-numeric value, or a variance <= 0 (the message
        names the study and the column).

    Notes
    -----
    Implements metafor 3.8 ``rma.uni``: tau2 by DL (truncated at 0), REML (Fisher scoring from the
    Hedges estimate, with metafor's check of the likelihood at tau2 = 0) or PM (root of the
    generalised Q equation, Brent's method as R's ``uniroot``); Hartung-Knapp without truncation of
    the scale factor; I2 = 100 tau2 / (tau2 + v~) and H2 = 1 + tau2 / v~ with the typical variance
    v~ = (k-1) / (sum w - sum w^2 / sum w) (from Q for FE); tau2 interval by the Q-profile method
    (``confint``); prediction interval as ``predict`` (z, or t on k-1 df with Hartung-Knapp) and
    with t on k-2 df. An estimate of tau2 = 0 is a normal result. With Hartung-Knapp and effects
    that all lie on the fitted value the scale factor is 0 and so is the standard error (as metafor;
    a StatisticalWarning says so). Checked against metafor on the
    cases in ``tests/reference/meta_analysis.json`` (relative error below 1e-6).

    Examples
    --------
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="DL")
    >>> round(res.estimate, 4), round(res.tau2, 6), round(res.i2, 2)
    (0.3995, 0.009988, 13.54)
    """
    check_choice("method", method, METHODS)
    conf_level = check_probability("conf_level", conf_level)
    if not isinstance(knha, bool | np.bool_):
        raise InvalidParameterError(f"`knha` must be True or False; got {knha!r}.")
    con = control_settings(control)
    if method == "MH":
        if not isinstance(data, EffectSizes) or data.counts is None:
            raise InvalidParameterError(
                "`method` 'MH' needs event counts: pass `data` from effect_sizes() with measure "
                "'RR', 'OR' or 'RD', or call mantel_haenszel().")
        c = data.counts
        return mh_result(c["events1"], c["n1"], c["events2"], c["n2"], data.measure, data.study,
                   conf_level=conf_level, correct=True, add=data.add, to=data.to)
    y, v, labels, meas, counts = effects_input(data, yi, vi, study, measure)
    if measure is not None:
        meas = measure
    check_k(y.size)
    return build_result(y, v, labels, method=method, knha=bool(knha), conf_level=conf_level,
                        measure=meas, con=con, counts=counts)


# ==================================================================================================
# Mantel-Haenszel (rma.mh)
# ==================================================================================================

def mantel_haenszel(data: pd.DataFrame, *, events1: str, n1: str, events2: str, n2: str,
                    measure: str = "OR", study: str | None = None, conf_level: float = 0.95,
                    correct: bool = True, add: float = 0.5, to: str = "only0"
                    ) -> MetaAnalysisResult:
    """Mantel-Haenszel pooled risk ratio, odds ratio or risk difference (metafor's ``rma.mh``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per study.
    events1, n1, events2, n2 : str
        Columns of events and patients in the experimental (1) and control (2) groups.
    measure : {"OR", "RR", "RD"}, default "OR"
    study : str, optional
        Column of study labels.
    conf_level : float in (0, 1), default 0.95
    correct : bool, default True
        Continuity correction of the Cochran-Mantel-Haenszel test (odds ratio).
    add, to : float, str
        Continuity correction of the per-study effects behind Q and I2 (the pooled estimate uses
        the raw counts), as in :func:`rr_effect_sizes`.

    Returns
    -------
    MetaAnalysisResult
        With ``method="MH"``, ``tau2 = 0``, Q and I2 around the MH estimate (I2 = 100 (Q - (k-1)) /
        Q truncated at 0, H2 = Q / (k-1)); for the odds ratio also the CMH test
        (``mh_statistic``, ``mh_p_value``) and Tarone's test of homogeneity.

    Notes
    -----
    Variances: Robins-Breslow-Greenland (OR), Greenland-Robins (RR), Sato-Greenland-Robins (RD),
    as metafor. A table with no events, or only events, in both groups has no per-study effect: as
    in ``rma.mh`` (``drop00=TRUE``) it is left out of Q, I2 and H2 (and their degrees of freedom)
    and of Egger's test and trim-and-fill, but counts in ``k`` and in the pooled estimate. Checked
    against metafor ``rma.mh``.

    Examples
    --------
    >>> df = pd.DataFrame({"e1": [24, 31, 12], "t1": [60, 75, 40], "e2": [10, 29, 5],
    ...                    "t2": [58, 74, 42]})
    >>> res = mantel_haenszel(df, events1="e1", n1="t1", events2="e2", n2="t2", measure="RR")
    >>> round(float(np.exp(res.estimate)), 3)
    1.507
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    check_choice("measure", measure, BINARY_MEASURES.keys())
    conf_level = check_probability("conf_level", conf_level)
    es = effect_sizes(data, measure=measure, study=study, events1=events1, n1=n1,
                      events2=events2, n2=n2, add=add, to=to)
    c = es.counts
    assert c is not None  # binary measures keep their counts
    return mh_result(c["events1"], c["n1"], c["events2"], c["n2"], measure, es.study,
                     conf_level=conf_level, correct=bool(correct), add=add, to=to,
                     columns=(events1, events2))


def mh_result(events1, n1, events2, n2, measure, labels, *, conf_level, correct, add, to,
              columns=("events1", "events2")) -> MetaAnalysisResult:
    """The Mantel-Haenszel meta-analysis (metafor's ``rma.mh``) of the counts."""
    ai = np.asarray(events1, float)
    ci = np.asarray(events2, float)
    n1i = np.asarray(n1, float)
    n2i = np.asarray(n2, float)
    k = ai.size
    check_k(k)
    bi, di = n1i - ai, n2i - ci
    Ni = n1i + n2i
    z = float(stats.norm.isf((1 - conf_level) / 2))
    nan = math.nan
    mh = mhp = ta = tap = nan
    if measure == "OR":
        Pi, Qi = (ai + di) / Ni, (bi + ci) / Ni
        Ri, Si = ai * di / Ni, bi * ci / Ni
        R, S = Ri.sum(), Si.sum()
        if R == 0 or S == 0:
            raise DataValidationError(
                "the Mantel-Haenszel odds ratio is not estimable: "
                + (f"no study has events in group 1 (column {columns[0]!r}) with non-events in "
                   "group 2 (sum of a*d = 0)" if R == 0 else
                   f"no study has events in group 2 (column {columns[1]!r}) with non-events in "
                   "group 1 (sum of b*c = 0)") + ".")
        beta_exp = R / S
        beta = math.log(beta_exp)
        se = math.sqrt(0.5 * ((Pi * Ri).sum() / R**2 + (Pi * Si + Qi * Ri).sum() / (R * S)
                              + (Qi * Si).sum() / S**2))
        wts = Si
        xt, yt = ai + ci, bi + di
        if xt.sum() > 0 and yt.sum() > 0:
            num = (abs(np.sum(ai - n1i / Ni * xt)) - (0.5 if correct else 0.0)) ** 2
            mh = num / np.sum(n1i / Ni * (n2i / Ni) * (xt * (yt / (Ni - 1))))
            mhp = float(stats.chi2.sf(mh, 1))
        # Tarone's test
        if beta_exp == 1:
            n11 = n1i / Ni * xt
        else:
            A = beta_exp * (n1i + xt) + (n2i - xt)
            B = np.sqrt(A**2 - 4 * n1i * xt * beta_exp * (beta_exp - 1))
            n11 = (A - B) / (2 * (beta_exp - 1))
        pos = (n11 > 0) & (xt > 0) & (yt > 0)
        kp = int(pos.sum())
        N11 = n11[pos]
        N12 = n1i[pos] - N11
        N21 = xt[pos] - N11
        N22 = N11 - n1i[pos] - xt[pos] + Ni[pos]
        inv = 1.0 / (1 / N11 + 1 / N12 + 1 / N21 + 1 / N22)
        bd = max(0.0, float(np.sum((ai[pos] - N11) ** 2 / inv)))
        ta = max(0.0, bd - float(np.sum(ai[pos] - N11)) ** 2 / float(np.sum(inv)))
        tap = float(stats.chi2.sf(ta, kp - 1)) if kp > 1 else nan
    elif measure == "RR":
        if ai.sum() == 0 or ci.sum() == 0:
            col = columns[0] if ai.sum() == 0 else columns[1]
            raise DataValidationError(
                f"the Mantel-Haenszel risk ratio is not estimable: column {col!r} has no events "
                "in any study.")
        R = np.sum(ai * (n2i / Ni))
        S = np.sum(ci * (n1i / Ni))
        beta = math.log(R / S)
        se = math.sqrt(np.sum(n1i / Ni * (n2i / Ni) * (ai + ci) - ai / Ni * ci) / (R * S))
        wts = ci * n1i / Ni
    else:  # RD
        beta = float(np.sum(ai * (n2i / Ni) - ci * (n1i / Ni)) / np.sum(n1i * (n2i / Ni)))
        var = ((beta * np.sum(ci * (n1i / Ni) ** 2 - ai * (n2i / Ni) ** 2
                              + n1i / Ni * (n2i / Ni) * (n2i - n1i) / 2)
                + np.sum(ai * (n2i - ci) / Ni + ci * (n1i - ai) / Ni) / 2)
               / np.sum(n1i * (n2i / Ni)) ** 2)
        if not var > 0:
            raise DataValidationError(
                "the Mantel-Haenszel risk difference has no sampling variance: in every study "
                f"each group has either no events or only events (columns {columns[0]!r} and "
                f"{columns[1]!r}).")
        se = math.sqrt(var)
        wts = n1i * n2i / Ni
    cells = two_by_two(ai, n1i, ci, n2i, add, to)
    yi, vi = BINARY_MEASURES[measure](*cells)
    # As rma.mh (escalc with drop00=TRUE): a table with no events, or only events, in both groups
    # has no per-study effect, so it is left out of Q, I2 and H2 (its degrees of freedom too) and
    # of Egger's test and trim-and-fill; it still counts in k and in the MH estimate.
    used = mh_informative(ai, n1i, ci, n2i)
    k_yi = int(used.sum())
    yu, vu = yi[used], vi[used]
    if k_yi > 1:
        qe = max(0.0, float(np.sum((yu - beta) ** 2 / vu)))
        qe_p = float(stats.chi2.sf(qe, k_yi - 1))
        i2 = max(0.0, 100 * (qe - (k_yi - 1)) / qe) if qe > 0 else 0.0
        h2 = qe / (k_yi - 1)
    else:
        qe, qe_p, i2, h2 = 0.0, 1.0, 0.0, 1.0
    zval = beta / se
    counts = {"events1": ai, "n1": n1i, "events2": ci, "n2": n2i}
    return MetaAnalysisResult(
        method="MH", test="z", measure=measure, k=k, estimate=float(beta), se=float(se),
        statistic=float(zval), p_value=float(2 * stats.norm.sf(abs(zval))),
        ci_lower=float(beta - z * se), ci_upper=float(beta + z * se), df=nan, tau2=0.0,
        se_tau2=nan, tau2_ci_lower=nan, tau2_ci_upper=nan, i2=i2, i2_ci_lower=nan,
        i2_ci_upper=nan, h2=h2, h2_ci_lower=nan, h2_ci_upper=nan, q=qe, q_df=max(k_yi - 1, 0),
        q_p=qe_p, pi_lower=nan, pi_upper=nan, pi_lower_t=nan, pi_upper_t=nan, conf_level=conf_level,
        loglik=float(-0.5 * k_yi * math.log(2 * math.pi) - 0.5 * np.sum(np.log(vu)) - 0.5 * qe),
        iterations=0, yi=yi, vi=vi, weights=100 * wts / wts.sum(), study=tuple(labels),
        control=dict(DEFAULT_CONTROL), counts=counts, mh_statistic=float(mh),
        mh_p_value=float(mhp), tarone_statistic=float(ta), tarone_p_value=float(tap))


def iv_method(result: MetaAnalysisResult) -> str:
    """The inverse-variance model behind a result (MH results are treated as FE)."""
    return "FE" if result.method == "MH" else result.method


def mh_informative(ai, n1, ci, n2) -> np.ndarray:
    """Tables with a per-study effect in rma.mh: not (no events in both groups, or only events)."""
    return ~(((ai == 0) & (ci == 0)) | ((ai == n1) & (ci == n2)))


def iv_data(result: MetaAnalysisResult):
    """Effects, variances and labels behind Egger's test and trim-and-fill.

    For Mantel-Haenszel results, without the tables that have no per-study effect (as metafor's
    rma.mh).
    """
    y, v, labels = np.asarray(result.yi, float), np.asarray(result.vi, float), tuple(result.study)
    if result.method == "MH" and result.counts is not None:
        c = result.counts
        keep = mh_informative(c["events1"], c["n1"], c["events2"], c["n2"])
        y, v = y[keep], v[keep]
        labels = tuple(s for s, kp in zip(labels, keep, strict=True) if kp)
    return y, v, labels


def check_result(result, name="result") -> MetaAnalysisResult:
    """``result`` if it is a MetaAnalysisResult, else an error naming ``name``."""
    if not isinstance(result, MetaAnalysisResult):
        raise InvalidParameterError(
            f"`{name}` must be a MetaAnalysisResult (from meta_analysis or mantel_haenszel); "
            f"got {type(result).__name__}.")
    return result
