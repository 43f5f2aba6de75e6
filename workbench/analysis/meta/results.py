"""Result objects of the meta-analysis (frozen dataclasses with a tidy ``summary``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ...results import Result

__all__ = ["EffectSizes", "MetaAnalysisResult", "EggerResult", "TrimFillResult",
           "LeaveOneOutResult", "SubgroupResult"]

_RATIO = ("RR", "OR")


@dataclass(frozen=True, eq=False, repr=False)
class EffectSizes(Result):
    """Per-study effect sizes on the analysis scale, ready for :func:`meta_analysis`.

    Attributes
    ----------
    measure : str
        ``"SMD"``, ``"RR"`` (log scale), ``"OR"`` (log scale) or ``"RD"``.
    study : tuple of str
        Study labels.
    yi, vi : numpy.ndarray
        Effect sizes and sampling variances.
    n : numpy.ndarray
        Patients per study (both groups).
    counts : dict or None
        For binary measures the raw counts ``events1, n1, events2, n2`` (used by Mantel-Haenszel).
    add, to : float, str
        Continuity correction used for binary measures.
    """

    measure: str
    study: tuple
    yi: np.ndarray
    vi: np.ndarray
    n: np.ndarray
    counts: dict | None = None
    add: float = 0.5
    to: str = "only0"

    _title = "Effect sizes"

    @property
    def k(self) -> int:
        """Number of studies."""
        return len(self.yi)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per study: ``study, yi, vi, se, ci_lower, ci_upper, n, measure``."""
        se = np.sqrt(self.vi)
        z = stats.norm.isf(0.025)
        return pd.DataFrame({
            "study": list(self.study), "yi": self.yi, "vi": self.vi, "se": se,
            "ci_lower": self.yi - z * se, "ci_upper": self.yi + z * se, "n": self.n,
            "measure": self.measure,
        })

    def __repr__(self) -> str:
        shown = ", ".join(f"{v:.3g}" for v in self.yi[:6]) + (", ..." if self.k > 6 else "")
        return f"EffectSizes(measure={self.measure!r}, k={self.k}, yi=[{shown}])"


@dataclass(frozen=True, eq=False, repr=False)
class MetaAnalysisResult(Result):
    """A pooled estimate with heterogeneity statistics and prediction intervals.

    All effects are on the analysis scale (log scale for RR and OR). ``method`` is one of
    ``"REML", "DL", "PM", "FE", "MH"``; ``test`` is ``"z"`` or ``"knha"`` (Hartung-Knapp, t on
    ``k - 1`` df).

    Attributes
    ----------
    estimate, se, statistic, p_value, ci_lower, ci_upper, df : float
        Pooled effect, its standard error, z (or t) statistic, two-sided p-value and confidence
        interval; ``df`` is NaN for z tests.
    tau2, tau, se_tau2 : float
        Between-study variance (0 for FE and MH), its square root and standard error.
    tau2_ci_lower, tau2_ci_upper : float
        Q-profile confidence interval for tau2 (NaN for FE and MH); the same for ``i2`` and ``h2``.
    i2, h2 : float
        I-squared (percent) and H-squared as metafor defines them: from tau2 and the "typical"
        within-study variance for random-effects models, from Q for FE and MH.
    q, q_df, q_p : float
        Cochran's Q (inverse-variance weights around the fixed-effect estimate; around the MH
        estimate for MH), its degrees of freedom and p-value.
    pi_lower, pi_upper : float
        Prediction interval as metafor's ``predict``: estimate +/- z * sqrt(se^2 + tau2) (t on k-1
        df with Hartung-Knapp); NaN for FE and MH.
    pi_lower_t, pi_upper_t : float
        Prediction interval with t on k-2 df (Higgins, Thompson & Spiegelhalter 2009); NaN if k < 3.
    yi, vi, weights, study : per-study effect sizes, variances, weights (percent) and labels.
    """

    method: str
    test: str
    measure: str | None
    k: int
    estimate: float
    se: float
    statistic: float
    p_value: float
    ci_lower: float
    ci_upper: float
    df: float
    tau2: float
    se_tau2: float
    tau2_ci_lower: float
    tau2_ci_upper: float
    i2: float
    i2_ci_lower: float
    i2_ci_upper: float
    h2: float
    h2_ci_lower: float
    h2_ci_upper: float
    q: float
    q_df: int
    q_p: float
    pi_lower: float
    pi_upper: float
    pi_lower_t: float
    pi_upper_t: float
    conf_level: float
    loglik: float
    iterations: int
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    study: tuple
    control: dict = field(default_factory=dict)
    counts: dict | None = None
    mh_statistic: float = math.nan
    mh_p_value: float = math.nan
    tarone_statistic: float = math.nan
    tarone_p_value: float = math.nan

    _title = "Meta-analysis"

    @property
    def tau(self) -> float:
        """Between-study standard deviation, the square root of ``tau2``."""
        return math.sqrt(self.tau2)

    @property
    def tau_ci_lower(self) -> float:
        """Lower confidence limit of ``tau`` (NaN when ``tau2_ci_lower`` is not available)."""
        return math.sqrt(self.tau2_ci_lower) if self.tau2_ci_lower >= 0 else math.nan

    @property
    def tau_ci_upper(self) -> float:
        """Upper confidence limit of ``tau`` (NaN when ``tau2_ci_upper`` is not available)."""
        return math.sqrt(self.tau2_ci_upper) if self.tau2_ci_upper >= 0 else math.nan

    @property
    def knha(self) -> bool:
        """Whether the Hartung-Knapp adjustment was used (``test == "knha"``)."""
        return self.test == "knha"

    @property
    def summary(self) -> pd.DataFrame:
        """Tidy table, one row per quantity.

        Columns ``term, estimate, se, ci_lower, ci_upper, statistic, df, p_value, method, k``;
        terms ``pooled``, ``tau2``, ``tau``, ``i2`` (percent), ``h2``, ``q`` (Cochran's Q),
        ``prediction`` (metafor's interval) and ``prediction_t`` (t on k-2 df). Interval columns
        of ``tau2``, ``tau``, ``i2``, ``h2`` hold the Q-profile interval.
        """
        nan = math.nan
        rows = [
            ("pooled", self.estimate, self.se, self.ci_lower, self.ci_upper, self.statistic,
             self.df, self.p_value),
            ("tau2", self.tau2, self.se_tau2, self.tau2_ci_lower, self.tau2_ci_upper, nan, nan,
             nan),
            ("tau", self.tau, nan, self.tau_ci_lower, self.tau_ci_upper, nan, nan, nan),
            ("i2", self.i2, nan, self.i2_ci_lower, self.i2_ci_upper, nan, nan, nan),
            ("h2", self.h2, nan, self.h2_ci_lower, self.h2_ci_upper, nan, nan, nan),
            ("q", self.q, nan, nan, nan, self.q, self.q_df, self.q_p),
            ("prediction", self.estimate, nan, self.pi_lower, self.pi_upper, nan,
             self.df if self.knha else nan, nan),
            ("prediction_t", self.estimate, nan, self.pi_lower_t, self.pi_upper_t, nan,
             self.k - 2 if self.k >= 3 else nan, nan),
        ]
        if self.method == "MH" and self.measure == "OR":
            rows.append(("cmh", nan, nan, nan, nan, self.mh_statistic, 1, self.mh_p_value))
            rows.append(("tarone", nan, nan, nan, nan, self.tarone_statistic, self.k - 1,
                         self.tarone_p_value))
        df = pd.DataFrame(rows, columns=["term", "estimate", "se", "ci_lower", "ci_upper",
                                         "statistic", "df", "p_value"])
        df["method"] = self.method + ("+knha" if self.knha else "")
        df["k"] = self.k
        return df

    @property
    def studies(self) -> pd.DataFrame:
        """One row per study: ``study, yi, vi, se, ci_lower, ci_upper, weight`` (percent)."""
        se = np.sqrt(self.vi)
        z = stats.norm.isf((1 - self.conf_level) / 2)
        return pd.DataFrame({"study": list(self.study), "yi": self.yi, "vi": self.vi, "se": se,
                             "ci_lower": self.yi - z * se, "ci_upper": self.yi + z * se,
                             "weight": self.weights})

    def __repr__(self) -> str:
        m = self.method + (" + Hartung-Knapp" if self.knha else "")
        scale = f", {self.measure}" if self.measure else ""
        if self.measure in _RATIO:
            scale += " (log scale)"
        lvl = f"{100 * self.conf_level:g}%"
        pi = (f"; PI [{self.pi_lower:.4g}, {self.pi_upper:.4g}]" if math.isfinite(self.pi_lower)
              else "")
        return (f"MetaAnalysisResult({m}{scale}, k={self.k}: estimate {self.estimate:.4g} "
                f"[{lvl} CI {self.ci_lower:.4g}, {self.ci_upper:.4g}], p={self.p_value:.3g}; "
                f"tau2={self.tau2:.4g}, I2={self.i2:.1f}%, Q={self.q:.3g} (p={self.q_p:.3g})"
                f"{pi})")


@dataclass(frozen=True, eq=False, repr=False)
class EggerResult(Result):
    """Egger's regression test for funnel-plot asymmetry.

    Attributes
    ----------
    model : {"rma", "lm"}
        ``"rma"``: meta-regression on the standard error with the model of the input (metafor's
        default); ``"lm"``: weighted least squares with a multiplicative dispersion (the classical
        Egger test).
    statistic, p_value, df : float
        z (or t) statistic of the standard-error coefficient, two-sided p-value, df (NaN for z).
    limit_estimate, limit_ci_lower, limit_ci_upper : float
        The intercept (the effect expected in a study of infinite size) and its interval.
    slope : float
        Coefficient of the standard error.
    """

    model: str
    method: str
    k: int
    statistic: float
    p_value: float
    df: float
    slope: float
    limit_estimate: float
    limit_ci_lower: float
    limit_ci_upper: float
    conf_level: float

    _title = "Egger's regression test"

    @property
    def summary(self) -> pd.DataFrame:
        """One row of the Egger test and the limit estimate.

        Columns ``test, statistic, df, p_value, slope, limit_estimate, ci_lower, ci_upper, method,
        k``.
        """
        return pd.DataFrame([{
            "test": f"egger ({self.model})", "statistic": self.statistic, "df": self.df,
            "p_value": self.p_value, "slope": self.slope, "limit_estimate": self.limit_estimate,
            "ci_lower": self.limit_ci_lower, "ci_upper": self.limit_ci_upper,
            "method": self.method, "k": self.k}])

    def __repr__(self) -> str:
        stat = "t" if self.model == "lm" or not math.isnan(self.df) else "z"
        dft = f", df={self.df:g}" if not math.isnan(self.df) else ""
        return (f"EggerResult({self.model}, k={self.k}: {stat}={self.statistic:.4g}{dft}, "
                f"p={self.p_value:.3g}; limit estimate {self.limit_estimate:.4g} "
                f"[{self.limit_ci_lower:.4g}, {self.limit_ci_upper:.4g}])")


@dataclass(frozen=True, eq=False, repr=False)
class TrimFillResult(Result):
    """Trim-and-fill analysis (Duval and Tweedie).

    Attributes
    ----------
    k0 : int
        Estimated number of missing studies.
    se_k0 : float
        Its standard error; ``p_k0`` its p-value (R0 estimator only, else NaN).
    side : {"left", "right"}
        Side of the funnel plot on which studies were imputed (below or above the pooled
        estimate); not the side of a test.
    estimator : {"L0", "R0"}
    filled_yi, filled_vi : numpy.ndarray
        The imputed studies.
    result : MetaAnalysisResult
        The meta-analysis of the observed and imputed studies (the input itself when k0 = 0).
    original : MetaAnalysisResult
        The input.
    """

    k0: int
    se_k0: float
    p_k0: float
    side: str
    estimator: str
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    result: MetaAnalysisResult
    original: MetaAnalysisResult

    _title = "Trim and fill"

    @property
    def estimate(self) -> float:
        """Pooled estimate after filling in the missing studies."""
        return self.result.estimate

    @property
    def filled(self) -> np.ndarray:
        """Boolean mask over ``result.yi``: True for imputed studies."""
        return np.r_[np.zeros(self.result.k - self.k0, bool), np.ones(self.k0, bool)]

    @property
    def summary(self) -> pd.DataFrame:
        """Rows ``observed`` and ``filled``.

        Columns ``analysis, k, k0, side, estimate, se, ci_lower, ci_upper, p_value, tau2, i2,
        method``.
        """
        rows = []
        for name, r in (("observed", self.original), ("filled", self.result)):
            rows.append({"analysis": name, "k": r.k, "k0": self.k0 if name == "filled" else 0,
                         "side": self.side, "estimate": r.estimate, "se": r.se,
                         "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "p_value": r.p_value,
                         "tau2": r.tau2, "i2": r.i2, "method": r.method})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"TrimFillResult({self.estimator}, side={self.side!r}: k0={self.k0} "
                f"(se {self.se_k0:.3g}); estimate {self.original.estimate:.4g} -> "
                f"{self.result.estimate:.4g} [{self.result.ci_lower:.4g}, "
                f"{self.result.ci_upper:.4g}])")


@dataclass(frozen=True, eq=False, repr=False)
class LeaveOneOutResult(Result):
    """Meta-analyses with each study left out in turn (metafor's ``leave1out``).

    ``table`` has one row per omitted study: ``study, estimate, se, statistic, p_value, ci_lower,
    ci_upper, q, q_p, tau2, i2, h2``.
    """

    table: pd.DataFrame
    method: str
    full: MetaAnalysisResult

    _title = "Leave-one-out"

    @property
    def summary(self) -> pd.DataFrame:
        """The leave-one-out table (a copy): one row per omitted study."""
        return self.table.copy()

    def __repr__(self) -> str:
        t = self.table
        return (f"LeaveOneOutResult({self.method}, k={len(t)}: estimates from "
                f"{t['estimate'].min():.4g} to {t['estimate'].max():.4g}; full "
                f"{self.full.estimate:.4g})")


@dataclass(frozen=True, eq=False, repr=False)
class SubgroupResult(Result):
    """Separate meta-analyses per subgroup and a test of differences between subgroups.

    Attributes
    ----------
    groups : tuple of str
    results : tuple of MetaAnalysisResult
        One per group (a single-study group is its own estimate, with tau2 = 0).
    overall : MetaAnalysisResult
        All studies together.
    q_between, df_between, p_between : float
        Test of equal subgroup effects: Q = sum w_g (est_g - est_w)^2 with w_g = 1/se_g^2, est_w
        the w-weighted mean, chi-squared on G - 1 df.
    """

    groups: tuple
    results: tuple
    overall: MetaAnalysisResult
    q_between: float
    df_between: int
    p_between: float

    _title = "Subgroup analysis"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per subgroup, then ``overall`` and ``between``.

        Columns ``subgroup, k, estimate, se, ci_lower, ci_upper, p_value, tau2, i2, q, q_p,
        statistic, df``.
        """
        rows = []
        for g, r in (*zip(self.groups, self.results, strict=True), ("overall", self.overall)):
            rows.append({"subgroup": g, "k": r.k, "estimate": r.estimate, "se": r.se,
                         "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "p_value": r.p_value,
                         "tau2": r.tau2, "i2": r.i2, "q": r.q, "q_p": r.q_p,
                         "statistic": math.nan, "df": math.nan})
        rows.append({"subgroup": "between", "k": self.overall.k, "estimate": math.nan,
                     "se": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                     "p_value": self.p_between, "tau2": math.nan, "i2": math.nan, "q": math.nan,
                     "q_p": math.nan, "statistic": self.q_between, "df": self.df_between})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        parts = ", ".join(f"{g}: {r.estimate:.3g} (k={r.k})"
                          for g, r in zip(self.groups, self.results, strict=True))
        return (f"SubgroupResult({parts}; Q_between={self.q_between:.3g} on "
                f"{self.df_between} df, p={self.p_between:.3g})")
