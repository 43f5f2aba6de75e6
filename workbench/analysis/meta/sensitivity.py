"""Sensitivity and subgroups: leave-one-out and separate meta-analyses per subgroup.

Leave-one-out as metafor's ``leave1out``; the subgroup analyses come with a test of differences
between them.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..._validation import check_choice, check_probability, label_text
from ...exceptions import DataValidationError, InvalidParameterError
from .model import build_result, check_k, check_result, control_settings, effects_input, mh_result
from .results import LeaveOneOutResult, MetaAnalysisResult, SubgroupResult

__all__ = ["leave_one_out", "subgroup_analysis"]


def _subset(result: MetaAnalysisResult, keep: np.ndarray) -> MetaAnalysisResult:
    labels = tuple(s for s, kp in zip(result.study, keep, strict=True) if kp)
    if result.method == "MH":
        c = result.counts
        assert c is not None  # Mantel-Haenszel results keep their counts
        return mh_result(c["events1"][keep], c["n1"][keep], c["events2"][keep], c["n2"][keep],
                         result.measure, labels, conf_level=result.conf_level, correct=True,
                         add=0.5, to="only0")
    return build_result(result.yi[keep], result.vi[keep], labels, method=result.method,
                        knha=result.knha, conf_level=result.conf_level, measure=result.measure,
                        con=control_settings(result.control))


def leave_one_out(result: MetaAnalysisResult) -> LeaveOneOutResult:
    """Refit the meta-analysis with each study omitted in turn.

    Parameters
    ----------
    result : MetaAnalysisResult
        A fitted meta-analysis (any method, including Mantel-Haenszel).

    Returns
    -------
    LeaveOneOutResult
        ``.summary``: one row per omitted study with ``study, estimate, se, statistic, p_value,
        ci_lower, ci_upper, q, q_p, tau2, i2, h2``.

    Raises
    ------
    DataValidationError
        Fewer than three studies.

    Examples
    --------
    >>> from workbench.analysis.meta import meta_analysis
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="DL")
    >>> loo = leave_one_out(res)
    >>> loo.summary["estimate"].round(3).tolist()
    [0.363, 0.45, 0.33, 0.508, 0.403]
    """
    check_result(result)
    check_k(result.k, 3, "leave-one-out")
    rows = []
    for i in range(result.k):
        keep = np.ones(result.k, bool)
        keep[i] = False
        r = _subset(result, keep)
        rows.append({"study": result.study[i], "estimate": r.estimate, "se": r.se,
                     "statistic": r.statistic, "p_value": r.p_value, "ci_lower": r.ci_lower,
                     "ci_upper": r.ci_upper, "q": r.q, "q_p": r.q_p, "tau2": r.tau2,
                     "i2": r.i2, "h2": r.h2})
    return LeaveOneOutResult(table=pd.DataFrame(rows), method=result.method, full=result)


def _single_study(y, v, label, conf_level, method, measure) -> MetaAnalysisResult:
    se = math.sqrt(v)
    z = float(stats.norm.isf((1 - conf_level) / 2))
    nan = math.nan
    return MetaAnalysisResult(
        method=method, test="z", measure=measure, k=1, estimate=y, se=se, statistic=y / se,
        p_value=float(2 * stats.norm.sf(abs(y / se))), ci_lower=y - z * se, ci_upper=y + z * se,
        df=nan, tau2=0.0, se_tau2=nan, tau2_ci_lower=nan, tau2_ci_upper=nan, i2=0.0,
        i2_ci_lower=nan, i2_ci_upper=nan, h2=1.0, h2_ci_lower=nan, h2_ci_upper=nan, q=0.0, q_df=0,
        q_p=1.0, pi_lower=nan, pi_upper=nan, pi_lower_t=nan, pi_upper_t=nan, conf_level=conf_level,
        loglik=nan, iterations=0, yi=np.array([y]), vi=np.array([v]), weights=np.array([100.0]),
        study=(label,))


def subgroup_analysis(data=None, *, group, yi="yi", vi="vi", study=None, method: str = "REML",
                      knha: bool = False, conf_level: float = 0.95, measure: str | None = None,
                      control: dict | None = None) -> SubgroupResult:
    """Meta-analyses within subgroups and a test for differences between them.

    Parameters
    ----------
    data, yi, vi, study, method, knha, conf_level, measure, control
        As in :func:`meta_analysis` (``method`` one of REML, DL, PM, FE).
    group : str or array_like
        Column (with a DataFrame) or one label per study.

    Returns
    -------
    SubgroupResult

    Notes
    -----
    Each subgroup gets its own tau2 (as RevMan and R's meta package by default); the subgroup
    estimates are compared with a fixed-effect Q test on G - 1 df. With ``method="FE"`` the total
    Q splits exactly into the within-subgroup Q's plus the between-subgroup Q.

    Examples
    --------
    >>> res = subgroup_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47],
    ...                         vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                         group=["a", "a", "a", "b", "b"], method="FE")
    >>> round(res.q_between, 4), res.df_between
    (1.516, 1)
    """
    check_choice("method", method, ("REML", "DL", "PM", "FE"))
    conf_level = check_probability("conf_level", conf_level)
    con = control_settings(control)
    y, v, labels, meas, _ = effects_input(data, yi, vi, study, measure)
    if measure is not None:
        meas = measure
    check_k(y.size)
    if isinstance(group, str):
        if not isinstance(data, pd.DataFrame):
            raise InvalidParameterError("`group` names a column, so `data` must be a DataFrame.")
        if group not in data.columns:
            raise DataValidationError(
                f"column {group!r} (given as `group`) is missing; the data has columns "
                f"{list(map(str, data.columns))}.")
        if data[group].isna().any():
            i = int(np.argmax(data[group].isna().to_numpy()))
            raise DataValidationError(f"study {labels[i]!r}: column {group!r} is missing a value "
                                      f"(empty or NaN; data row {i + 1}).")
        g = np.array([label_text(x) for x in data[group]], dtype=object)
    else:
        g = np.array([label_text(x) for x in group], dtype=object)
        if g.size != y.size:
            raise DataValidationError(
                f"`group` must have one label per study ({y.size}); got {g.size}.")
    levels = list(dict.fromkeys(g.tolist()))
    if len(levels) < 2:
        raise DataValidationError(f"`group` must have at least 2 subgroups; found {levels}.")
    results = []
    for lev in levels:
        m = g == lev
        lab = tuple(s for s, mm in zip(labels, m, strict=True) if mm)
        if m.sum() == 1:
            results.append(_single_study(float(y[m][0]), float(v[m][0]), lab[0], conf_level,
                                         method, meas))
        else:
            results.append(build_result(y[m], v[m], lab, method=method, knha=bool(knha),
                                        conf_level=conf_level, measure=meas, con=con))
    overall = build_result(y, v, labels, method=method, knha=bool(knha), conf_level=conf_level,
                           measure=meas, con=con)
    est = np.array([r.estimate for r in results])
    w = 1.0 / np.array([r.se for r in results]) ** 2
    mean = float(np.sum(w * est) / np.sum(w))
    qb = float(np.sum(w * (est - mean) ** 2))
    dfb = len(levels) - 1
    return SubgroupResult(groups=tuple(levels), results=tuple(results), overall=overall,
                          q_between=qb, df_between=dfb, p_between=float(stats.chi2.sf(qb, dfb)))
