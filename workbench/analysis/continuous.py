"""Continuous outcomes (HAM-D): t-tests, ANCOVA, Hedges' g, MMRM and an LOCF sensitivity analysis.

Every function takes a DataFrame first and names its columns with keyword-only ``outcome=``,
``group=`` (and ``baseline=``, ``visit=``, ``subject=`` where they apply). Exactly two groups are
compared; group values are compared as the strings a user would type in a CSV (``1.0`` -> ``"1"``)
and every difference is the other group minus the reference group, the reference being the first
level in sorted order (numeric order if every label is a number, as R's ``factor``) unless
``reference=`` says otherwise. Rows with a missing outcome are left
out and counted (``n_missing`` of each result); a missing group, baseline, visit or subject is an
error.

The numbers reproduce R (``tests/reference/continuous_analysis.json``):

* :func:`ttest` - ``t.test`` (Welch by default, Student with ``equal_var=True``), on the outcome or,
  with ``baseline=``, on the change from baseline; computed by :func:`scipy.stats.ttest_ind`.
* :func:`ancova` - ``lm(outcome ~ group + baseline)``, fitted by statsmodels OLS.
* :func:`hedges_g` - Hedges' g with the large-sample standard error of Hedges & Olkin and a normal
  interval, as in the reference's hand computation (metafor's ``escalc("SMD")`` uses the exact
  correction factor: ``correction="exact"``).
* :func:`mmrm` - mixed model for repeated measures: ``group x visit`` plus baseline, unstructured
  covariance between visits, REML; as ``nlme::gls(y ~ arm * factor(visit) + baseline,
  correlation = corSymm(), weights = varIdent(~ 1 | visit), method = "REML")``.
* :func:`locf` / :func:`ancova_locf` - last observation carried forward, for a labelled
  sensitivity analysis only.
* :func:`analyze_continuous` - the end-point analyses and the MMRM in one call (used by
  ``workbench continuous``).

The array functions :func:`ttest_arrays`, :func:`ancova_arrays` and :func:`mmrm_arrays` analyse many
simulated replicates at once (no loop over replicates) for simulation power.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"arm": ["a"] * 5 + ["b"] * 5,
...                    "baseline": [20, 24, 22, 25, 19, 21, 23, 26, 20, 22],
...                    "hamd": [12, 15, 14, 18, 10, 9, 10, 14, 7, 8]})
>>> r = ttest(df, outcome="hamd", group="arm")
>>> round(r.estimate, 3), round(r.statistic, 4)
(-4.2, -2.312)
>>> round(ancova(df, outcome="hamd", group="arm", baseline="baseline").estimate, 4)
-4.6559
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .._validation import (
    _sorted_levels,
    _check_alternative,
    _check_choice,
    _check_columns,
    _check_dataframe,
    _check_probability,
    _group_labels,
    _label,
    _no_missing,
    _numeric_column,
)
from ..exceptions import ConvergenceError, DataValidationError, InvalidParameterError
from ..results import Result, jsonable

__all__ = [
    "TTestResult",
    "AncovaResult",
    "HedgesGResult",
    "MMRMResult",
    "ContinuousAnalysis",
    "ttest",
    "ancova",
    "hedges_g",
    "mmrm",
    "locf",
    "ancova_locf",
    "analyze_continuous",
    "endpoint_rows",
    "ttest_arrays",
    "ancova_arrays",
    "mmrm_arrays",
]

_LOG_2PI = math.log(2 * math.pi)


# ============================================================================================
# input handling
# ============================================================================================
def _levels(labels: pd.Series, group: str, reference) -> tuple[str, str]:
    levels = _sorted_levels(labels)
    if len(levels) != 2:
        raise DataValidationError(
            f"column {group!r} must have exactly two groups; found {len(levels)} ({levels})."
        )
    if reference is None:
        return levels[0], levels[1]
    ref = _label(reference)
    if ref not in levels:
        raise InvalidParameterError(f"`reference` must be one of {levels}; got {reference!r}.")
    return ref, [lv for lv in levels if lv != ref][0]


def _outcome_values(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as float with nan for missing, missing mask); non-numeric entries are an error."""
    raw = df[column]
    missing = raw.isna().to_numpy()
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() & ~missing
    if bad.any():
        i = int(np.argmax(bad))
        raise DataValidationError(
            f"column {column!r} must be numeric; found {raw.iloc[i]!r} (row {df.index[i]})."
        )
    arr = values.to_numpy(dtype=float)
    if not np.all(np.isfinite(arr[~missing])):
        raise DataValidationError(f"column {column!r} must hold finite numbers; found inf.")
    return arr, missing


@dataclass(frozen=True)
class _Cross:
    """Cross-sectional data of two groups, missing outcomes removed."""

    y: np.ndarray
    base: np.ndarray | None
    is_comp: np.ndarray  # bool: other group
    reference: str
    comparison: str
    n_missing: int


def _cross_data(df, outcome, group, baseline, reference) -> _Cross:
    _check_dataframe(df)
    _check_columns(df, outcome, group, baseline)
    labels = _group_labels(df, group)
    ref, comp = _levels(labels, group, reference)
    y, missing = _outcome_values(df, outcome)
    base = _numeric_column(df, baseline) if baseline is not None else None
    keep = ~missing
    is_comp = (labels == comp).to_numpy()
    for lv, sel in ((ref, ~is_comp), (comp, is_comp)):
        if (keep & sel).sum() < 2:
            raise DataValidationError(
                f"group {lv!r} of column {group!r} has {(keep & sel).sum()} non-missing "
                f"value(s) of {outcome!r}; at least 2 are needed."
            )
    return _Cross(y[keep], None if base is None else base[keep], is_comp[keep], ref, comp,
                  int(missing.sum()))


def _check_conf_level(conf_level) -> float:
    return _check_probability("conf_level", conf_level)


# ============================================================================================
# t-tests
# ============================================================================================
@dataclass(frozen=True)
class TTestResult(Result):
    """Two-sample t-test of ``comparison - reference``.

    Attributes
    ----------
    estimate : float
        Difference in means, comparison minus reference.
    se, statistic, df, p_value : float
        Standard error of the difference, t statistic, degrees of freedom (Welch-Satterthwaite or
        ``n1 + n2 - 2``) and p-value.
    ci_lower, ci_upper : float
        Confidence interval of the difference (one-sided alternatives give an infinite bound).
    mean_reference, mean_comparison : float
    n_reference, n_comparison, n_missing : int
        Group sizes used and rows left out for a missing outcome.
    variable : str
        ``"outcome"`` or ``"change from baseline"``.
    """

    estimate: float
    se: float
    statistic: float
    df: float
    p_value: float
    ci_lower: float
    ci_upper: float
    mean_reference: float
    mean_comparison: float
    n_reference: int
    n_comparison: int
    n_missing: int
    reference: str
    comparison: str
    variable: str
    method: str
    alternative: str
    conf_level: float
    _title = "Two-sample t-test"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "comparison": f"{self.comparison} - {self.reference}", "variable": self.variable,
            "method": self.method, "estimate": self.estimate, "se": self.se,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "statistic": self.statistic,
            "df": self.df, "p_value": self.p_value,
            "n": self.n_reference + self.n_comparison,
        }])


def ttest(df: pd.DataFrame, *, outcome: str, group: str, baseline: str | None = None,
          equal_var: bool = False, alternative: str = "two-sided", conf_level: float = 0.95,
          reference=None) -> TTestResult:
    """Welch or Student two-sample t-test on the outcome or on its change from baseline.

    Parameters
    ----------
    df : DataFrame
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
    >>> r = ttest(df, outcome="y", group="arm", equal_var=True)
    >>> round(r.statistic, 4), r.df
    (-2.9704, 6.0)
    """
    _check_alternative(alternative)
    conf_level = _check_conf_level(conf_level)
    d = _cross_data(df, outcome, group, baseline, reference)
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
    res = stats.ttest_ind(x1, x0, equal_var=bool(equal_var), alternative=alternative)
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


# ============================================================================================
# ANCOVA
# ============================================================================================
@dataclass(frozen=True)
class AncovaResult(Result):
    """ANCOVA of the outcome on group and baseline: the adjusted difference between groups.

    Attributes
    ----------
    estimate, se, statistic, df, p_value, ci_lower, ci_upper : float
        Group coefficient (comparison minus reference, adjusted for baseline), its standard error,
        t statistic on ``df = n - 3`` residual degrees of freedom, p-value and interval.
    baseline_slope, baseline_se : float
    adjusted_mean_reference, adjusted_mean_comparison : float
        Model means at the overall mean baseline.
    mean_baseline, sigma, r_squared : float
    n, n_missing : int
    n_imputed : int
        Outcomes filled in by LOCF (only for :func:`ancova_locf`, else 0).
    """

    estimate: float
    se: float
    statistic: float
    df: float
    p_value: float
    ci_lower: float
    ci_upper: float
    baseline_slope: float
    baseline_se: float
    adjusted_mean_reference: float
    adjusted_mean_comparison: float
    mean_baseline: float
    sigma: float
    r_squared: float
    n: int
    n_missing: int
    reference: str
    comparison: str
    method: str
    alternative: str
    conf_level: float
    n_imputed: int = 0
    _title = "ANCOVA"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"term": f"{self.comparison} - {self.reference}", "method": self.method,
             "estimate": self.estimate, "se": self.se, "ci_lower": self.ci_lower,
             "ci_upper": self.ci_upper, "statistic": self.statistic, "df": self.df,
             "p_value": self.p_value, "n": self.n},
            {"term": "baseline", "method": self.method, "estimate": self.baseline_slope,
             "se": self.baseline_se, "ci_lower": np.nan, "ci_upper": np.nan,
             "statistic": self.baseline_slope / self.baseline_se, "df": self.df,
             "p_value": float(2 * stats.t.sf(abs(self.baseline_slope / self.baseline_se),
                                             self.df)), "n": self.n},
        ])


def _t_inference(est, se, df, alternative, conf_level):
    t = est / se
    if alternative == "two-sided":
        p = 2 * stats.t.sf(abs(t), df)
        q = stats.t.ppf(0.5 + conf_level / 2, df)
        return t, p, est - q * se, est + q * se
    q = stats.t.ppf(conf_level, df)
    if alternative == "greater":
        return t, stats.t.sf(t, df), est - q * se, math.inf
    return t, stats.t.cdf(t, df), -math.inf, est + q * se


def ancova(df: pd.DataFrame, *, outcome: str, group: str, baseline: str,
           alternative: str = "two-sided", conf_level: float = 0.95,
           reference=None) -> AncovaResult:
    """Analysis of covariance: ``outcome ~ group + baseline`` by least squares.

    Parameters
    ----------
    df : DataFrame
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

    _check_alternative(alternative)
    conf_level = _check_conf_level(conf_level)
    if baseline is None:
        raise InvalidParameterError("`baseline` is required for an ANCOVA; got None.")
    d = _cross_data(df, outcome, group, baseline, reference)
    return _ancova_fit(d, sm, alternative, conf_level, "ANCOVA (outcome ~ group + baseline)")


def _ancova_fit(d: _Cross, sm, alternative, conf_level, method, n_imputed=0) -> AncovaResult:
    n = len(d.y)
    if n < 4:
        raise DataValidationError(f"an ANCOVA needs at least 4 patients with an outcome; got {n}.")
    X = np.column_stack([np.ones(n), d.is_comp.astype(float), d.base])
    if np.linalg.matrix_rank(X) < 3:
        raise DataValidationError(
            "the ANCOVA model is not estimable: the baseline is constant or collinear with the "
            "group."
        )
    fit = sm.OLS(d.y, X).fit()
    est, se = float(fit.params[1]), float(fit.bse[1])
    dfr = float(fit.df_resid)
    t, p, lo, hi = _t_inference(est, se, dfr, alternative, conf_level)
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


# ============================================================================================
# Hedges' g
# ============================================================================================
@dataclass(frozen=True)
class HedgesGResult(Result):
    """Standardised mean difference (comparison minus reference) with small-sample correction.

    Attributes
    ----------
    estimate : float
        Hedges' g = J * d.
    se, ci_lower, ci_upper : float
        Large-sample standard error ``sqrt(N/(n1 n0) + g^2/(2N))`` and the normal interval.
    cohens_d, correction, sd_pooled : float
        Uncorrected d, the factor J and the pooled SD (``n1 + n0 - 2`` df).
    """

    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    cohens_d: float
    correction: float
    sd_pooled: float
    n_reference: int
    n_comparison: int
    n_missing: int
    reference: str
    comparison: str
    variable: str
    method: str
    conf_level: float
    _title = "Hedges' g"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "comparison": f"{self.comparison} - {self.reference}", "variable": self.variable,
            "method": self.method, "estimate": self.estimate, "se": self.se,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "cohens_d": self.cohens_d,
            "n": self.n_reference + self.n_comparison,
        }])


def hedges_g(df: pd.DataFrame, *, outcome: str, group: str, baseline: str | None = None,
             correction: str = "approx", conf_level: float = 0.95,
             reference=None) -> HedgesGResult:
    """Hedges' g for the difference comparison minus reference, with its interval.

    Parameters
    ----------
    df : DataFrame
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
    _check_choice("correction", correction, ("approx", "exact"))
    conf_level = _check_conf_level(conf_level)
    d = _cross_data(df, outcome, group, baseline, reference)
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


# ============================================================================================
# long data: end point and LOCF
# ============================================================================================
@dataclass(frozen=True)
class _Long:
    frame: pd.DataFrame  # columns: subject, group (labels), visit (float), y (nan = missing), base
    reference: str
    comparison: str
    n_missing: int


def _long_data(df, outcome, group, visit, subject, baseline, reference) -> _Long:
    _check_dataframe(df)
    _check_columns(df, outcome, group, visit, subject, baseline)
    labels = _group_labels(df, group)
    ref, comp = _levels(labels, group, reference)
    _no_missing(df, subject)
    _no_missing(df, visit)
    vis = pd.to_numeric(df[visit], errors="coerce")
    if vis.isna().any():
        i = int(np.argmax(vis.isna().to_numpy()))
        raise DataValidationError(
            f"column {visit!r} (the visit) must be numeric, e.g. the week; found "
            f"{df[visit].iloc[i]!r} (row {df.index[i]})."
        )
    y, missing = _outcome_values(df, outcome)
    frame = pd.DataFrame({"subject": df[subject].map(_label).to_numpy(),
                          "group": labels.to_numpy(), "visit": vis.to_numpy(dtype=float),
                          "y": y})
    if baseline is not None:
        frame["base"] = _numeric_column(df, baseline)
    dup = frame.duplicated(["subject", "visit"], keep=False).to_numpy()
    if dup.any():
        i = int(np.argmax(dup))
        s, v = frame["subject"].iloc[i], frame["visit"].iloc[i]
        k = int(((frame["subject"] == s) & (frame["visit"] == v)).sum())
        raise DataValidationError(
            f"subject {s!r} (column {subject!r}) has {k} rows at {visit} {v:g}; each subject may "
            "have one row per visit."
        )
    for col, what in (("group", group), ("base", baseline)):
        if col in frame and (frame.groupby("subject")[col].nunique() > 1).any():
            bad = frame.groupby("subject")[col].nunique()
            s = bad.index[bad.to_numpy() > 1][0]
            raise DataValidationError(
                f"column {what!r} must be the same on every row of a subject; subject {s!r} has "
                f"{sorted(frame.loc[frame['subject'] == s, col].unique().tolist())}."
            )
    return _Long(frame, ref, comp, int(missing.sum()))


def endpoint_rows(df: pd.DataFrame, *, visit: str, at=None) -> pd.DataFrame:
    """The rows of long data at one visit (default: the last visit), for end-point analyses.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"id": [1, 1, 2, 2], "week": [0, 12, 0, 12], "y": [20, 10, 22, 15]})
    >>> endpoint_rows(d, visit="week")["y"].tolist()
    [10, 15]
    """
    _check_dataframe(df)
    _check_columns(df, visit)
    v = _numeric_column(df, visit)
    target = v.max() if at is None else float(at)
    if not np.any(v == target):
        raise InvalidParameterError(f"`at` must be one of the visits {sorted(set(v))}; got {at!r}.")
    return df.loc[v == target]


def locf(df: pd.DataFrame, *, outcome: str, visit: str, subject: str) -> pd.DataFrame:
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
    _check_dataframe(df)
    _check_columns(df, outcome, visit, subject)
    _no_missing(df, subject)
    _numeric_column(df, visit)
    y, _ = _outcome_values(df, outcome)
    d = df.copy()
    d[visit] = pd.to_numeric(df[visit])
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


def ancova_locf(df: pd.DataFrame, *, outcome: str, group: str, baseline: str, visit: str,
                subject: str, conf_level: float = 0.95, reference=None) -> AncovaResult:
    """SENSITIVITY ANALYSIS: ANCOVA at the last visit after last observation carried forward.

    The result's ``method`` says "LOCF sensitivity analysis"; do not report it as the primary
    analysis (see :func:`mmrm`). ``n_imputed`` counts the end-point values carried forward.

    Examples
    --------
    >>> import dataclasses
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate
    >>> d = simulate(dataclasses.replace(load_design("t7"), dropout=(0.1, 0.1, 0.1)), rng=5)
    >>> r = ancova_locf(d, outcome="hamd", group="arm", baseline="baseline", visit="week",
    ...                 subject="subject", reference="usual_care")
    >>> r.method
    'ANCOVA at the last visit after LOCF (sensitivity analysis)'
    >>> r.n_imputed
    10
    """
    import statsmodels.api as sm

    conf_level = _check_conf_level(conf_level)
    filled = locf(df, outcome=outcome, visit=visit, subject=subject)
    end = filled[filled[visit] == filled[visit].max()]
    d = _cross_data(end, outcome, group, baseline, reference)
    return _ancova_fit(d, sm, "two-sided", conf_level,
                       "ANCOVA at the last visit after LOCF (sensitivity analysis)",
                       n_imputed=int(end["imputed"].sum()))


# ============================================================================================
# MMRM: REML with an unstructured covariance, vectorised over data sets
# ============================================================================================
def _vech_basis(t: int) -> np.ndarray:
    """Symmetric basis matrices D_j for the free elements (a <= b) of a t x t covariance."""
    pairs = [(a, b) for a in range(t) for b in range(a, t)]
    basis = np.zeros((len(pairs), t, t))
    for j, (a, b) in enumerate(pairs):
        basis[j, a, b] = basis[j, b, a] = 1.0
    return basis


def _reml_eval(sigma, y0, m, X, basis, *, info=True):
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


def _is_pd(sigma) -> np.ndarray:
    return np.linalg.eigvalsh(sigma)[:, 0] > 1e-10 * np.maximum(
        np.abs(np.diagonal(sigma, axis1=1, axis2=2)).max(axis=1), 1e-300)


def _start_sigma(y0, m, X) -> np.ndarray:
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
    s = np.where(_is_pd(s)[:, None, None], s, diag[:, :, None] * np.eye(s.shape[-1]))
    return s


def _fisher_scoring(y0, m, X, *, tol=1e-10, max_iter=200, max_halving=40):
    """Batched Fisher scoring for the REML covariance; returns (sigma, ev, converged, iters).

    A replicate stops when its Newton decrement ``g' I^-1 g`` falls below ``tol``; one where no
    step (down to 2^-40) increases the likelihood counts as converged only if the decrement is
    below 1e-6.
    """
    R, _, t = y0.shape
    basis = _vech_basis(t)
    sigma = _start_sigma(y0, m, X)
    ev = _reml_eval(sigma, y0, m, X, basis)
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
            ok = _is_pd(cand)
            if ok.any():
                sub = idx[ok]
                new = _reml_eval(cand[ok], y0[sub], m[sub], X[sub], basis)
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


def _bfgs_fallback(y0, m, X, start):
    """Single data set: maximise the REML over a log-Cholesky Sigma with scipy's BFGS."""
    t = y0.shape[-1]
    basis = _vech_basis(t)
    L0 = np.linalg.cholesky(start)
    th0 = L0[np.tril_indices(t)].copy()
    diag_pos = [i for i, (a, b) in enumerate(zip(*np.tril_indices(t), strict=True)) if a == b]
    th0[diag_pos] = np.log(np.diag(L0))

    def fun(th):
        S, L = _log_chol_to_sigma(th, t)
        ev = _reml_eval(S[None], y0, m, X, basis)
        g = ev["grad"][0]
        G = np.einsum("j,jab->ab", g, basis) / np.where(np.eye(t) > 0, 1.0, 2.0)
        dL = 2 * G @ L
        gt = dL[np.tril_indices(t)]
        gt[diag_pos] *= np.diag(L)
        return -ev["ll"][0], -gt

    res = optimize.minimize(fun, th0, jac=True, method="BFGS", options={"gtol": 1e-8,
                                                                        "maxiter": 2000})
    S, _ = _log_chol_to_sigma(res.x, t)
    return S, res


def mmrm_arrays(y: np.ndarray, observed: np.ndarray, arm: np.ndarray, *,
                baseline: np.ndarray | None = None, conf_level: float = 0.95,
                tol: float = 1e-10, max_iter: int = 200) -> dict[str, np.ndarray]:
    """Fit the MMRM to many data sets at once and return the arm effect at the last visit.

    Parameters
    ----------
    y : float array (n_reps, n, T)
        Post-baseline scores at ``T`` visits (values where not observed are ignored).
    observed : bool array (n_reps, n, T)
        Which scores were observed (any pattern, not only monotone).
    arm : array (n,) or (n_reps, n)
        0 = reference, 1 = comparison.
    baseline : float array (n_reps, n), optional
        Baseline covariate.
    conf_level : float in (0, 1)
    tol, max_iter :
        Fisher-scoring stopping rule (Newton decrement ``g' I^-1 g < tol``) and iteration cap.

    Returns
    -------
    dict of arrays (n_reps,)
        ``estimate, se, df, statistic, p_value, ci_lower, ci_upper, loglik, converged``;
        replicates that cannot be fitted (an arm with no data at a visit, too few data) have
        ``converged`` False and ``nan`` results. ``df`` is the residual ``N_obs - p`` as in
        ``nlme::gls``.

    Notes
    -----
    All replicates are fitted together by Fisher scoring on the elements of the unstructured
    covariance, with per-replicate step halving; the gradient is the exact REML score and the
    information is the ML expected information (the REML correction is left out of the step,
    which changes the path, not the optimum). One iteration costs a few batched ``numpy.linalg``
    calls over ``n_reps x n`` small matrices.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_arrays
    >>> s = simulate_arrays(load_design("t7"), 20, rng=3)
    >>> out = mmrm_arrays(s.y[..., 1:], s.observed[..., 1:], s.arm, baseline=s.y[..., 0])
    >>> out["estimate"].shape, bool(out["converged"].all())
    ((20,), True)
    """
    conf_level = _check_conf_level(conf_level)
    y = np.asarray(y, dtype=float)
    if y.ndim != 3:
        raise InvalidParameterError(f"`y` must have shape (n_reps, n, T); got {y.shape}.")
    R, n, t = y.shape
    m = np.asarray(observed, dtype=bool)
    if m.shape != y.shape:
        raise InvalidParameterError(f"`observed` must have shape {y.shape}; got {m.shape}.")
    arm = np.broadcast_to(np.asarray(arm, dtype=float), (R, n))
    base = None if baseline is None else np.broadcast_to(np.asarray(baseline, float), (R, n))
    X = _mmrm_design(arm, base, t, baseline_by_visit=False)
    L = np.zeros(X.shape[-1])
    L[1] = 1.0
    if t > 1:
        L[_arm_visit_col(t, base is not None, False, t - 1)] = 1.0
    return _mmrm_fit_batch(y, m, X, [L], conf_level, tol, max_iter)[0]


def _mmrm_design(arm, base, t, *, baseline_by_visit):
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


def _arm_visit_col(t, has_base, by_visit, visit_index) -> int:
    """Column of the arm:visit interaction for ``visit_index`` (>= 1)."""
    return 2 + (t - 1) + int(has_base) + visit_index - 1


def _mmrm_fit_batch(y, m, X, contrasts, conf_level, tol, max_iter):
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
    sigma, ev, conv, _ = _fisher_scoring(y0[idx], mf[idx], X[idx], tol=tol, max_iter=max_iter)
    for L, res in zip(contrasts, results, strict=True):
        est = ev["beta"] @ L
        se = np.sqrt(np.einsum("p,rpq,q->r", L, ev["A_inv"], L))
        dfr = ev["n_obs"] - p
        tstat = est / se
        pv = 2 * stats.t.sf(np.abs(tstat), dfr)
        qt = stats.t.ppf(0.5 + conf_level / 2, dfr)
        for key, val in (("estimate", est), ("se", se), ("df", dfr), ("statistic", tstat),
                         ("p_value", pv), ("ci_lower", est - qt * se),
                         ("ci_upper", est + qt * se), ("loglik", ev["ll"])):
            res[key][idx] = np.where(conv, val, np.nan)
        res["converged"][idx] = conv
    return results


@dataclass(frozen=True)
class MMRMResult(Result):
    """Mixed model for repeated measures: group effect at each visit, unstructured covariance.

    Attributes
    ----------
    visit : float
        The last visit; ``estimate`` ... ``ci_upper`` are the group effect there.
    estimate, se, df, statistic, p_value, ci_lower, ci_upper : float
        Comparison minus reference at the last visit; t inference on ``df``.
    effects : DataFrame
        The same for every modelled visit: ``visit, estimate, se, df, statistic, p_value,
        ci_lower, ci_upper``.
    coefficients : DataFrame
        ``term, estimate, se`` of the fixed effects.
    covariance : DataFrame
        Estimated covariance between visits (REML).
    loglik : float
        Restricted log-likelihood, including the ``-(N - p)/2 log(2 pi)`` constant (as nlme).
    n_obs, n_subjects, n_missing, n_baseline_rows : int
        Observations modelled, subjects with at least one modelled observation (a subject seen
        only at baseline adds nothing to the likelihood), rows left out for a missing outcome and
        baseline rows not modelled as a response.
    n_baseline_differs : int
        Subjects whose outcome at the baseline visit is not the ``baseline`` value (the column is
        the covariate all the same).
    df_method : str
        ``"residual"`` (``N_obs - p``, as ``nlme::gls``) or ``"satterthwaite"``.
    optimizer : str
        How the REML was maximised.
    """

    visit: float
    estimate: float
    se: float
    df: float
    statistic: float
    p_value: float
    ci_lower: float
    ci_upper: float
    effects: pd.DataFrame
    coefficients: pd.DataFrame
    covariance: pd.DataFrame
    loglik: float
    n_obs: int
    n_subjects: int
    n_missing: int
    n_baseline_rows: int
    reference: str
    comparison: str
    df_method: str
    optimizer: str
    conf_level: float
    method: str = "MMRM (group x visit + baseline, unstructured covariance, REML)"
    n_baseline_differs: int = 0
    _title = "MMRM"

    @property
    def summary(self) -> pd.DataFrame:
        out = self.effects.copy()
        out.insert(0, "comparison", f"{self.comparison} - {self.reference}")
        out.insert(1, "method", self.method)
        out["n"] = self.n_subjects
        return out


def mmrm(df: pd.DataFrame, *, outcome: str, group: str, visit: str, subject: str,
         baseline: str | None = None, baseline_visit="auto", baseline_by_visit: bool = False,
         df_method: str = "residual", conf_level: float = 0.95, reference=None) -> MMRMResult:
    """MMRM: ``outcome ~ group * visit + baseline``, unstructured covariance, REML.

    Parameters
    ----------
    df : DataFrame
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
    >>> from workbench.simulate import simulate
    >>> d = simulate(load_design("t7"), rng=11)
    >>> r = mmrm(d, outcome="hamd", group="arm", visit="week", subject="subject",
    ...          baseline="baseline", reference="usual_care")
    >>> r.visit, r.n_baseline_rows, r.df_method
    (12.0, 40, 'residual')
    >>> round(r.estimate, 3)
    -4.911
    """
    _check_choice("df_method", df_method, ("residual", "satterthwaite"))
    conf_level = _check_conf_level(conf_level)
    data = _long_data(df, outcome, group, visit, subject, baseline, reference)
    fr = data.frame
    n_base_rows = n_base_differs = 0
    bv = None
    if isinstance(baseline_visit, str):
        _check_choice("baseline_visit", baseline_visit, ("auto",))
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
    arm = (first_rows["group"].to_numpy() == data.comparison).astype(float)[None]
    base = first_rows["base"].to_numpy(dtype=float)[None] if baseline is not None else None
    for lv, sel in ((data.reference, arm[0] == 0), (data.comparison, arm[0] == 1)):
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
    X = _mmrm_design(arm, base, t, baseline_by_visit=baseline_by_visit)
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
    basis = _vech_basis(t)
    sigma, ev, conv, iters = _fisher_scoring(y0, mf, X, tol=1e-12, max_iter=500)
    optimizer = f"Fisher scoring ({int(iters[0])} iterations)"
    if not conv[0]:
        start = sigma[0] if _is_pd(sigma)[0] else _start_sigma(y0, mf, X)[0]
        S, res = _bfgs_fallback(y0, mf, X, start)
        ev2 = _reml_eval(S[None], y0, mf, X, basis)
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
    names = ["intercept", f"{group}[{data.comparison}]"]
    names += [f"{visit}[{v:g}]" for v in visits[1:]]
    if has_base:
        names.append(baseline)
    names += [f"{group}[{data.comparison}]:{visit}[{v:g}]" for v in visits[1:]]
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
            L[_arm_visit_col(t, has_base, baseline_by_visit, j)] = 1.0
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
        tstat, pv, lo, hi = _t_inference(est, se, dfv, "two-sided", conf_level)
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
        loglik=float(ev["ll"][0]), n_obs=n_obs, n_subjects=n, n_missing=data.n_missing,
        n_baseline_rows=n_base_rows, n_baseline_differs=n_base_differs, reference=data.reference, comparison=data.comparison,
        df_method=df_method, optimizer=optimizer, conf_level=conf_level, method=method,
    )


def _theta_covariance(sigma, y0, m, X, basis) -> np.ndarray:
    """Inverse of the observed REML information over the covariance elements (central
    differences of the analytic score)."""
    q = basis.shape[0]
    scale = float(np.mean(np.diag(sigma)))
    h = 1e-5 * scale
    H = np.zeros((q, q))
    for j in range(q):
        plus = _reml_eval((sigma + h * basis[j])[None], y0, m, X, basis)["grad"][0]
        minus = _reml_eval((sigma - h * basis[j])[None], y0, m, X, basis)["grad"][0]
        H[:, j] = (plus - minus) / (2 * h)
    H = 0.5 * (H + H.T)
    return np.linalg.inv(-H)


# ============================================================================================
# vectorised end-point analyses for simulation
# ============================================================================================
def ttest_arrays(y: np.ndarray, observed: np.ndarray, arm: np.ndarray, *,
                 equal_var: bool = False) -> dict[str, np.ndarray]:
    """Two-sample t-tests of many data sets at once (arm 1 minus arm 0, two-sided).

    ``y``, ``observed``: (n_reps, n); ``arm``: (n,) or (n_reps, n) of 0/1. Returns a dict of
    arrays ``estimate, se, df, statistic, p_value`` (``nan`` where a group has < 2 values).

    >>> import numpy as np
    >>> y = np.array([[14., 16, 12, 18, 10, 9, 13, 8]])
    >>> out = ttest_arrays(y, np.ones_like(y, bool), np.repeat([0, 1], 4), equal_var=True)
    >>> round(float(out["statistic"][0]), 4)
    -2.9704
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(observed, dtype=bool)
    arm = np.broadcast_to(np.asarray(arm), y.shape).astype(bool)
    out = {}
    stats_g = []
    for sel in (~arm, arm):
        k = (w & sel).sum(axis=1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(w & sel, y, 0).sum(axis=1) / k
            ss = np.where(w & sel, (y - mean[:, None]) ** 2, 0).sum(axis=1)
        stats_g.append((k, mean, ss))
    (k0, m0, ss0), (k1, m1, ss1) = stats_g
    with np.errstate(invalid="ignore", divide="ignore"):
        est = m1 - m0
        if equal_var:
            dfv = k0 + k1 - 2
            sp2 = (ss0 + ss1) / dfv
            se = np.sqrt(sp2 * (1 / k0 + 1 / k1))
        else:
            v0, v1 = ss0 / (k0 - 1) / k0, ss1 / (k1 - 1) / k1
            se = np.sqrt(v0 + v1)
            dfv = (v0 + v1) ** 2 / (v0 ** 2 / (k0 - 1) + v1 ** 2 / (k1 - 1))
        tstat = est / se
    bad = (k0 < 2) | (k1 < 2)
    out["estimate"] = np.where(bad, np.nan, est)
    out["se"] = np.where(bad, np.nan, se)
    out["df"] = np.where(bad, np.nan, dfv)
    out["statistic"] = np.where(bad, np.nan, tstat)
    out["p_value"] = 2 * stats.t.sf(np.abs(out["statistic"]), out["df"])
    return out


def ancova_arrays(y: np.ndarray, observed: np.ndarray, arm: np.ndarray,
                  baseline: np.ndarray) -> dict[str, np.ndarray]:
    """ANCOVA (``y ~ arm + baseline``) of many data sets at once by batched least squares.

    ``y``, ``observed``, ``baseline``: (n_reps, n); ``arm``: (n,) or (n_reps, n) of 0/1. Returns a
    dict of arrays ``estimate, se, df, statistic, p_value`` for the arm coefficient (``nan`` where
    not estimable).

    >>> import numpy as np
    >>> y = np.array([[9., 12, 10, 14, 14, 15, 18, 12]])
    >>> b = np.array([[20., 24, 22, 25, 21, 23, 26, 20]])
    >>> out = ancova_arrays(y, np.ones_like(y, bool), np.repeat([1, 0], 4), b)
    >>> round(float(out["estimate"][0]), 4)
    -3.736
    """
    y = np.asarray(y, dtype=float)
    w = np.asarray(observed, dtype=float)
    R, n = y.shape
    arm = np.broadcast_to(np.asarray(arm, dtype=float), (R, n))
    X = np.stack([np.ones((R, n)), arm, np.asarray(baseline, dtype=float)], axis=-1)
    y0 = np.where(w > 0, y, 0.0)
    A = np.einsum("rnp,rn,rnq->rpq", X, w, X)
    b = np.einsum("rnp,rn,rn->rp", X, w, y0)
    det = np.linalg.det(A)
    good = np.abs(det) > 1e-9 * np.abs(A).max(axis=(1, 2)) ** 3
    A = np.where(good[:, None, None], A, np.eye(3))
    A_inv = np.linalg.inv(A)
    beta = np.einsum("rpq,rq->rp", A_inv, b)
    resid = (y0 - np.einsum("rnp,rp->rn", X, beta)) * w
    dfr = w.sum(axis=1) - 3
    good &= dfr > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (resid ** 2).sum(axis=1) / dfr
        se = np.sqrt(s2 * A_inv[:, 1, 1])
        tstat = beta[:, 1] / se
    nan = np.nan
    out = {"estimate": np.where(good, beta[:, 1], nan), "se": np.where(good, se, nan),
           "df": np.where(good, dfr, nan), "statistic": np.where(good, tstat, nan)}
    out["p_value"] = 2 * stats.t.sf(np.abs(out["statistic"]), out["df"])
    return out


# ============================================================================================
# everything at once
# ============================================================================================
@dataclass(frozen=True)
class ContinuousAnalysis(Result):
    """Everything :func:`analyze_continuous` computes, with :meth:`to_json` for the command line.

    ``ancova`` is None without a baseline, ``mmrm`` None without ``visit`` and ``subject``.
    """

    ttest: TTestResult
    hedges_g: HedgesGResult
    ancova: AncovaResult | None = None
    mmrm: MMRMResult | None = None
    endpoint_visit: float | None = None
    n_endpoint_missing: int = 0
    settings: dict = field(default_factory=dict)
    _title = "Continuous outcome analysis"

    @property
    def summary(self) -> pd.DataFrame:
        rows = []
        t = self.ttest
        rows.append({"analysis": "t-test", "method": t.method, "estimate": t.estimate,
                     "se": t.se, "ci_lower": t.ci_lower, "ci_upper": t.ci_upper,
                     "statistic": t.statistic, "df": t.df, "p_value": t.p_value})
        if self.ancova is not None:
            a = self.ancova
            rows.append({"analysis": "ANCOVA", "method": a.method, "estimate": a.estimate,
                         "se": a.se, "ci_lower": a.ci_lower, "ci_upper": a.ci_upper,
                         "statistic": a.statistic, "df": a.df, "p_value": a.p_value})
        g = self.hedges_g
        rows.append({"analysis": "Hedges' g", "method": g.method, "estimate": g.estimate,
                     "se": g.se, "ci_lower": g.ci_lower, "ci_upper": g.ci_upper,
                     "statistic": np.nan, "df": np.nan, "p_value": np.nan})
        if self.mmrm is not None:
            r = self.mmrm
            rows.append({"analysis": f"MMRM at visit {r.visit:g}", "method": r.method,
                         "estimate": r.estimate, "se": r.se, "ci_lower": r.ci_lower,
                         "ci_upper": r.ci_upper, "statistic": r.statistic, "df": r.df,
                         "p_value": r.p_value})
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, Any]:
        """The command line's ``--json`` object."""
        t, g = self.ttest, self.hedges_g
        out: dict[str, Any] = {
            "ttest": {"statistic": t.statistic, "df": t.df, "p_value": t.p_value,
                      "ci_lower": t.ci_lower, "ci_upper": t.ci_upper},
            "ancova": None,
            "hedges_g": {"estimate": g.estimate, "ci_lower": g.ci_lower,
                         "ci_upper": g.ci_upper},
        }
        if self.ancova is not None:
            a = self.ancova
            out["ancova"] = {"estimate": a.estimate, "se": a.se, "statistic": a.statistic,
                             "p_value": a.p_value, "ci_lower": a.ci_lower,
                             "ci_upper": a.ci_upper}
        if self.mmrm is not None:
            r = self.mmrm
            out["mmrm"] = {"visit": r.visit, "estimate": r.estimate, "se": r.se, "df": r.df,
                           "p_value": r.p_value, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper}
        return jsonable(out)


def analyze_continuous(df: pd.DataFrame, *, outcome: str, group: str,
                       baseline: str | None = None, visit: str | None = None,
                       subject: str | None = None, equal_var: bool = False,
                       df_method: str = "residual", conf_level: float = 0.95,
                       reference=None) -> ContinuousAnalysis:
    """t-test, ANCOVA, Hedges' g on the end point and, for long data, the MMRM.

    Parameters
    ----------
    df : DataFrame
        One row per patient, or long data (one row per subject and visit) with ``visit``.
    outcome, group : str
    baseline : str, optional
        Baseline covariate for the ANCOVA and the MMRM (no missing values).
    visit : str, optional
        With ``visit``, the end-point analyses use the rows at the last visit, and with
        ``subject`` too the MMRM is fitted on all visits.
    subject : str, optional
    equal_var : bool, default False
        Student instead of Welch t-test.
    df_method : {"residual", "satterthwaite"}
        MMRM degrees of freedom.
    conf_level : float in (0, 1)
    reference : optional

    Returns
    -------
    ContinuousAnalysis

    Examples
    --------
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate
    >>> d = simulate(load_design("t7"), rng=11)
    >>> res = analyze_continuous(d, outcome="hamd", group="arm", baseline="baseline",
    ...                          visit="week", subject="subject")
    >>> sorted(res.to_json())
    ['ancova', 'hedges_g', 'mmrm', 'ttest']
    >>> res.n_endpoint_missing
    7
    """
    _check_dataframe(df)
    _check_columns(df, outcome, group, baseline, visit, subject)
    end = df
    at = None
    n_end_missing = 0
    if visit is not None:
        if subject is not None:
            _long_data(df, outcome, group, visit, subject, baseline, reference)  # validate
        else:  # the rows before the last visit are not analysed, but must be valid too
            _levels(_group_labels(df, group), group, reference)
            _outcome_values(df, outcome)
            if baseline is not None:
                _numeric_column(df, baseline)
        end = endpoint_rows(df, visit=visit)
        at = float(pd.to_numeric(end[visit]).iloc[0])
        n_end_missing = int(end[outcome].isna().sum())
        if subject is not None:
            n_end_missing += int(df[subject].nunique() - end[subject].nunique())
    elif subject is not None and df[subject].duplicated().any():
        s = df[subject][df[subject].duplicated()].iloc[0]
        raise DataValidationError(
            f"subject {s!r} has more than one row; for long data give the visit column too."
        )
    tt = ttest(end, outcome=outcome, group=group, equal_var=equal_var, conf_level=conf_level,
               reference=reference)
    g = hedges_g(end, outcome=outcome, group=group, conf_level=conf_level, reference=reference)
    an = None
    if baseline is not None:
        an = ancova(end, outcome=outcome, group=group, baseline=baseline,
                    conf_level=conf_level, reference=reference)
    mm = None
    if visit is not None and subject is not None:
        mm = mmrm(df, outcome=outcome, group=group, visit=visit, subject=subject,
                  baseline=baseline, df_method=df_method, conf_level=conf_level,
                  reference=reference)
    settings = {"outcome": outcome, "group": group, "baseline": baseline, "visit": visit,
                "subject": subject, "reference": tt.reference, "comparison": tt.comparison,
                "equal_var": equal_var, "df_method": df_method, "conf_level": conf_level}
    return ContinuousAnalysis(ttest=tt, hedges_g=g, ancova=an, mmrm=mm, endpoint_visit=at,
                              n_endpoint_missing=n_end_missing, settings=settings)
