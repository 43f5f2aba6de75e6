"""Result objects of the continuous-outcome analyses (frozen dataclasses, tidy ``summary``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ...results import Result, jsonable

__all__ = ["TTestResult", "AncovaResult", "HedgesGResult", "MMRMResult", "ContinuousAnalysis"]


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
        """One row: the difference in means with its interval and test.

        Columns ``comparison, variable, method, estimate, se, ci_lower, ci_upper, statistic, df,
        p_value, n``.
        """
        return pd.DataFrame([{
            "comparison": f"{self.comparison} - {self.reference}", "variable": self.variable,
            "method": self.method, "estimate": self.estimate, "se": self.se,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "statistic": self.statistic,
            "df": self.df, "p_value": self.p_value,
            "n": self.n_reference + self.n_comparison,
        }])


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
        """Rows for the group difference and the baseline slope.

        Columns ``term, method, estimate, se, ci_lower, ci_upper, statistic, df, p_value, n``; the
        baseline row has no interval.
        """
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
        """One row: Hedges' g with its interval.

        Columns ``comparison, variable, method, estimate, se, ci_lower, ci_upper, cohens_d, n``.
        """
        return pd.DataFrame([{
            "comparison": f"{self.comparison} - {self.reference}", "variable": self.variable,
            "method": self.method, "estimate": self.estimate, "se": self.se,
            "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "cohens_d": self.cohens_d,
            "n": self.n_reference + self.n_comparison,
        }])


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
        """The ``effects`` table with ``comparison`` and ``method`` in front and subjects ``n``."""
        out = self.effects.copy()
        out.insert(0, "comparison", f"{self.comparison} - {self.reference}")
        out.insert(1, "method", self.method)
        out["n"] = self.n_subjects
        return out


@dataclass(frozen=True)
class ContinuousAnalysis(Result):
    """Everything :func:`~workbench.analysis.continuous.analyze_continuous` computes.

    :meth:`to_json` gives the command line's object.

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
        """One row per analysis: t-test, ANCOVA, Hedges' g and MMRM (those that were run).

        Columns ``analysis, method, estimate, se, ci_lower, ci_upper, statistic, df, p_value``.
        """
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
