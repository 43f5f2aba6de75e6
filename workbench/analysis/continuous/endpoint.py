"""End-point analyses of a continuous outcome: t-test, ANCOVA, Hedges' g, and LOCF.

LOCF is a labelled sensitivity analysis.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special, stats

from ..._validation import (
    check_alternative,
    check_choice,
    check_columns,
    check_dataframe,
    check_no_missing,
    check_numeric_column,
)
from ...exceptions import DataValidationError, InvalidParameterError
from .._common import check_conf_level
from ._data import CrossSection, cross_section, outcome_values, t_inference
from .results import AncovaResult, HedgesGResult, TTestResult

__all__ = ["t_test", "ancova", "hedges_g", "endpoint_rows", "locf", "ancova_locf"]


def t_test(data: pd.DataFrame, *, outcome: str, group: str, baseline: str | None = None,
           equal_var: bool = False, alternative: str = "two-sided", conf_level: float = 0.95,
           reference=None) -> TTestResult:
    """Welch or Student two-sample t-test on the outcome or on its change from baseline.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    outcome, group : str
        Columns of the score and of the two groups.
    baseline : str, optional
        If given, the test is on the change ``outcome - baseline``.
    equal_var : bool, default False
        False: Welch's test (R's ``t.test`` default); True: Student's pooled-variance test.
    alternative : {"two-sided", "greater", "less"}
        For the difference comparison minus reference.
    conf_level : float in (0, 1), default 0.95
    reference : optional
        Reference group (default: first level in sorted order).

    Returns
    -------
    TTestResult
        ``summary`` columns: ``comparison, variable, method, estimate, se, ci_lower, ci_upper,
        statistic, df, p_value, n``.

    Notes
    -----
    Uses :func:`scipy.stats.ttest_ind`; matches R ``t.test(x1, x0, var.equal=)`` (checked to 1e-6
    relative in ``tests/reference/continuous_analysis.json``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": [0] * 4 + [1] * 4, "y": [14, 16, 12, 18, 10, 9, 13, 8]})
    >>> r = t_test(df, outcome="y", group="arm", equal_var=True)
    >>> round(r.statistic, 4), r.df
    (-2.9704, 6.0)
    """
    check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    d = cross_section(data, outcome, group, baseline, reference)
    y = d.y - d.base if d.base is not None else d.y
    x1, x0 = y[d.is_comp], y[~d.is_comp]
    if equal_var:
        m = len(x1) + len(x0) - 2
        sd_diff = math.sqrt(((len(x1) - 1) * x1.var(ddof=1) + (len(x0) - 1) * x0.var(ddof=1))
                            / m * (1 / len(x1) + 1 / len(x0)))
    else:
        sd_diff = math.sqrt(x1.var(ddof=1) / len(x1) + x0.var(ddof=1) / len(x0))
    if sd_diff <= 10 * np.finfo(float).eps * max(abs(x1.mean()), abs(x0.mean())):
        what = "its change from baseline" if baseline is not None else repr(outcome)
        raise DataValidationError(
            f"the t-test is undefined: {what} is constant within both groups (standard error "
            f"{sd_diff:g}), as R's t.test 'data are essentially constant'."
        )
    # scipy-stubs type `alternative` as a Literal; check_alternative has checked the string
    res = stats.ttest_ind(x1, x0, equal_var=bool(equal_var),
                          alternative=alternative)  # type: ignore[call-overload]
    ci = res.confidence_interval(conf_level)
    est = float(x1.mean() - x0.mean())
    stat = float(res.statistic)
    se = est / stat if stat != 0 else float(
        math.sqrt(x1.var(ddof=1) / len(x1) + x0.var(ddof=1) / len(x0)))
    return TTestResult(
        estimate=est, se=float(se), statistic=stat, df=float(res.df), p_value=float(res.pvalue),
        ci_lower=float(ci.low), ci_upper=float(ci.high), mean_reference=float(x0.mean()),
        mean_comparison=float(x1.mean()), n_reference=len(x0), n_comparison=len(x1),
        n_missing=d.n_missing, reference=d.reference, comparison=d.comparison,
        variable="change from baseline" if baseline is not None else "outcome",
        method="Student t-test (pooled variance)" if equal_var else "Welch t-test",
        alternative=alternative, conf_level=conf_level,
    )


def ancova(data: pd.DataFrame, *, outcome: str, group: str, baseline: str,
           alternative: str = "two-sided", conf_level: float = 0.95,
           reference=None) -> AncovaResult:
    """Analysis of covariance: ``outcome ~ group + baseline`` by least squares.

    Parameters
    ----------
    data : DataFrame
        One row per patient.
    outcome, group, baseline : str
        Columns; ``baseline`` must have no missing values.
    alternative : {"two-sided", "greater", "less"}
    conf_level : float in (0, 1), default 0.95
    reference : optional
        Reference group (default: first level in sorted order).

    Returns
    -------
    AncovaResult
        ``summary`` columns: ``term, method, estimate, se, ci_lower, ci_upper, statistic, df,
        p_value, n`` (one row for the group difference, one for the baseline slope).

    Notes
    -----
    Fitted with :class:`statsmodels.regression.linear_model.OLS`; matches R
    ``lm(week12 ~ arm + baseline)`` and ``confint`` (1e-6 relative). The analysis of the change
    from baseline on the same terms gives the same group difference.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["pdt"] * 4 + ["tau"] * 4, "b": [20, 24, 22, 25, 21, 23, 26, 20],
    ...                    "y": [9, 12, 10, 14, 14, 15, 18, 12]})
    >>> r = ancova(df, outcome="y", group="arm", baseline="b", reference="tau")
    >>> round(r.estimate, 4), r.df
    (-3.736, 5.0)
    """
    import statsmodels.api as sm

    check_alternative(alternative)
    conf_level = check_conf_level(conf_level)
    if baseline is None:
        raise InvalidParameterError("`baseline` is required for an ANCOVA; got None.")
    d = cross_section(data, outcome, group, baseline, reference)
    return _ancova_fit(d, sm, alternative, conf_level, "ANCOVA (outcome ~ group + baseline)")


def _ancova_fit(d: CrossSection, sm, alternative, conf_level, method, n_imputed=0) -> AncovaResult:
    n = len(d.y)
    if n < 4:
        raise DataValidationError(f"an ANCOVA needs at least 4 patients with an outcome; got {n}.")
    assert d.base is not None  # every caller requires `baseline`
    X = np.column_stack([np.ones(n), d.is_comp.astype(float), d.base])
    if np.linalg.matrix_rank(X) < 3:
        raise DataValidationError(
            "the ANCOVA model is not estimable: the baseline is constant or collinear with the "
            "group."
        )
    fit = sm.OLS(d.y, X).fit()
    est, se = float(fit.params[1]), float(fit.bse[1])
    dfr = float(fit.df_resid)
    t, p, lo, hi = t_inference(est, se, dfr, alternative, conf_level)
    mb = float(d.base.mean())
    adj0 = float(fit.params[0] + fit.params[2] * mb)
    return AncovaResult(
        estimate=est, se=se, statistic=float(t), df=dfr, p_value=float(p), ci_lower=float(lo),
        ci_upper=float(hi), baseline_slope=float(fit.params[2]), baseline_se=float(fit.bse[2]),
        adjusted_mean_reference=adj0, adjusted_mean_comparison=adj0 + est, mean_baseline=mb,
        sigma=float(math.sqrt(fit.scale)), r_squared=float(fit.rsquared), n=n,
        n_missing=d.n_missing, reference=d.reference, comparison=d.comparison, method=method,
        alternative=alternative, conf_level=conf_level, n_imputed=n_imputed,
    )


def hedges_g(data: pd.DataFrame, *, outcome: str, group: str, baseline: str | None = None,
             correction: str = "approx", conf_level: float = 0.95,
             reference=None) -> HedgesGResult:
    """Hedges' g for the difference comparison minus reference, with its interval.

    Parameters
    ----------
    data : DataFrame
    outcome, group : str
    baseline : str, optional
        If given, g is computed on the change ``outcome - baseline``.
    correction : {"approx", "exact"}, default "approx"
        Small-sample factor J: ``1 - 3 / (4 m - 1)`` with ``m = N - 2`` (Hedges 1981, as pingouin
        and the reference computation) or the exact ``Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``
        (metafor ``escalc("SMD")``).
    conf_level : float in (0, 1), default 0.95
    reference : optional

    Returns
    -------
    HedgesGResult
        ``summary`` columns: ``comparison, variable, method, estimate, se, ci_lower, ci_upper,
        cohens_d, n``.

    Notes
    -----
    ``se = sqrt(N / (n1 n0) + g^2 / (2 N))`` (Hedges & Olkin large-sample variance) and the
    interval is ``g +/- z se``; checked against the reference values and metafor's ``escalc``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": [0] * 4 + [1] * 4, "y": [14, 16, 12, 18, 10, 9, 13, 8]})
    >>> round(hedges_g(df, outcome="y", group="arm").estimate, 4)
    -1.8265
    """
    check_choice("correction", correction, ("approx", "exact"))
    conf_level = check_conf_level(conf_level)
    d = cross_section(data, outcome, group, baseline, reference)
    y = d.y - d.base if d.base is not None else d.y
    x1, x0 = y[d.is_comp], y[~d.is_comp]
    n1, n0 = len(x1), len(x0)
    big_n = n1 + n0
    m = big_n - 2
    sp = math.sqrt(((n1 - 1) * x1.var(ddof=1) + (n0 - 1) * x0.var(ddof=1)) / m)
    if sp == 0:
        raise DataValidationError(
            f"Hedges' g is undefined: {outcome!r} has no variation within the groups."
        )
    dd = (x1.mean() - x0.mean()) / sp
    if correction == "approx":
        j = 1 - 3 / (4 * m - 1)
    else:
        j = math.exp(special.gammaln(m / 2) - 0.5 * math.log(m / 2) - special.gammaln((m - 1) / 2))
    g = j * dd
    se = math.sqrt(big_n / (n1 * n0) + g * g / (2 * big_n))
    z = stats.norm.ppf(0.5 + conf_level / 2)
    return HedgesGResult(
        estimate=float(g), se=se, ci_lower=float(g - z * se), ci_upper=float(g + z * se),
        cohens_d=float(dd), correction=float(j), sd_pooled=sp, n_reference=n0, n_comparison=n1,
        n_missing=d.n_missing, reference=d.reference, comparison=d.comparison,
        variable="change from baseline" if baseline is not None else "outcome",
        method=f"Hedges' g ({correction} J), normal interval", conf_level=conf_level,
    )


def endpoint_rows(data: pd.DataFrame, *, visit: str, at=None) -> pd.DataFrame:
    """The rows of long data at one visit (default: the last visit), for end-point analyses.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2], "week": [0, 12, 0, 12], "y": [20, 10, 22, 15]})
    >>> endpoint_rows(d, visit="week")["y"].tolist()
    [10, 15]
    """
    check_dataframe(data)
    check_columns(data, visit)
    v = check_numeric_column(data, visit)
    target = v.max() if at is None else float(at)
    if not np.any(v == target):
        raise InvalidParameterError(f"`at` must be one of the visits {sorted(set(v))}; got {at!r}.")
    return data.loc[v == target]


def locf(data: pd.DataFrame, *, outcome: str, visit: str, subject: str) -> pd.DataFrame:
    """Last observation carried forward: fill each subject's missing outcomes from earlier visits.

    Subjects who left the trial early also get rows for the visits they missed (taken from the
    visits anybody attended), so that every subject has an end-point value. A column
    ``imputed`` (bool) marks the filled-in values. For sensitivity analyses only: LOCF assumes
    that nothing changes after drop-out, which is rarely plausible.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"id": [1, 1, 1, 2, 2], "week": [0, 4, 8, 0, 4],
    ...                   "arm": ["a", "a", "a", "b", "b"], "y": [20, 15, 12, 22, None]})
    >>> locf(d, outcome="y", visit="week", subject="id")[["id", "week", "y", "imputed"]]
       id  week     y  imputed
    0   1     0  20.0    False
    1   1     4  15.0    False
    2   1     8  12.0    False
    3   2     0  22.0    False
    4   2     4  22.0     True
    5   2     8  22.0     True
    """
    check_dataframe(data)
    check_columns(data, outcome, visit, subject)
    check_no_missing(data, subject)
    check_numeric_column(data, visit)
    y, _ = outcome_values(data, outcome)
    d = data.copy()
    d[visit] = pd.to_numeric(data[visit])
    d[outcome] = y
    if d.duplicated([subject, visit]).any():
        raise DataValidationError(f"each subject may have one row per {visit!r}; found duplicates.")
    visits = np.sort(d[visit].unique())
    full = pd.MultiIndex.from_product([pd.unique(d[subject]), visits], names=[subject, visit])
    d = d.set_index([subject, visit]).reindex(full)
    imputed = d[outcome].isna()
    other = [c for c in d.columns if c != outcome]
    d[other] = d.groupby(level=0)[other].transform(lambda s: s.ffill().bfill())
    d[outcome] = d.groupby(level=0)[outcome].ffill()
    d["imputed"] = imputed & d[outcome].notna()
    return d.reset_index()


def ancova_locf(data: pd.DataFrame, *, outcome: str, group: str, baseline: str, visit: str,
                subject: str, conf_level: float = 0.95, reference=None) -> AncovaResult:
    """SENSITIVITY ANALYSIS: ANCOVA at the last visit after last observation carried forward.

    The result's ``method`` says "LOCF sensitivity analysis"; do not report it as the primary
    analysis (see :func:`mmrm`). ``n_imputed`` counts the end-point values carried forward.

    Examples
    --------
    >>> import dataclasses
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_trial
    >>> d = simulate_trial(dataclasses.replace(load_design("t7"), dropout=(0.1, 0.1, 0.1)), rng=5)
    >>> r = ancova_locf(d, outcome="hamd", group="arm", baseline="baseline", visit="week",
    ...                 subject="subject", reference="usual_care")
    >>> r.method
    'ANCOVA at the last visit after LOCF (sensitivity analysis)'
    >>> r.n_imputed
    10
    """
    import statsmodels.api as sm

    conf_level = check_conf_level(conf_level)
    filled = locf(data, outcome=outcome, visit=visit, subject=subject)
    end = filled[filled[visit] == filled[visit].max()]
    d = cross_section(end, outcome, group, baseline, reference)
    return _ancova_fit(d, sm, "two-sided", conf_level,
                       "ANCOVA at the last visit after LOCF (sensitivity analysis)",
                       n_imputed=int(end["imputed"].sum()))
