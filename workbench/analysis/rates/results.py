"""Result objects of the rates analysis (frozen dataclasses with a tidy ``summary``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...results import Result, format_p_value, jsonable

__all__ = [
    "ArmRates",
    "EffectEstimate",
    "NumberNeeded",
    "ChiSquareTest",
    "FisherTest",
    "PairwiseTests",
    "NonInferiorityTest",
    "EquivalenceTest",
    "LogisticRegressionResult",
    "RatesAnalysis",
    "RatesSensitivity",
]


@dataclass(frozen=True)
class ArmRates(Result):
    """Rate of the outcome in each arm with a confidence interval.

    ``summary`` columns: ``group, events, n, rate, ci_lower, ci_upper, method, conf_level``.
    """

    groups: tuple[str, ...]
    events: tuple[int, ...]
    totals: tuple[int, ...]
    rate: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    method: str
    conf_level: float
    _title = "Rates per arm"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per arm: ``group, events, n, rate, ci_lower, ci_upper, method, conf_level``."""
        return pd.DataFrame(
            {
                "group": list(self.groups),
                "events": list(self.events),
                "n": list(self.totals),
                "rate": list(self.rate),
                "ci_lower": list(self.ci_lower),
                "ci_upper": list(self.ci_upper),
                "method": self.method,
                "conf_level": self.conf_level,
            }
        )


@dataclass(frozen=True)
class EffectEstimate(Result):
    """A two-arm effect (risk difference, relative risk or odds ratio), group vs reference.

    ``se`` is on the scale the interval is built on (RD; log RR; log OR) and NaN where the method
    has none. ``correction`` says whether a zero cell was corrected.
    ``summary`` columns: ``measure, group, reference, estimate, ci_lower, ci_upper, se, method,
    correction, conf_level``.
    """

    measure: str
    group: str
    reference: str
    estimate: float
    ci_lower: float
    ci_upper: float
    se: float
    method: str
    correction: str
    conf_level: float
    _title = "Effect estimate"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the effect estimate and its interval.

        Columns ``measure, group, reference, estimate, ci_lower, ci_upper, se, method, correction,
        conf_level``.
        """
        return self._one_row("measure", "group", "reference", "estimate", "ci_lower", "ci_upper",
                             "se", "method", "correction", "conf_level")


@dataclass(frozen=True)
class NumberNeeded(Result):
    """Number needed to treat (benefit) or harm, from a risk difference and its interval.

    Attributes
    ----------
    nnt : float
        ``1 / RD`` (signed as the risk difference: positive when the group has the higher rate;
        ``inf`` when RD = 0). This is R's ``1/rd``.
    kind : {"NNTB", "NNTH", "none"}
        Whether treating with ``group`` instead of ``reference`` benefits (NNTB) or harms (NNTH),
        given ``higher_is_better``; ``"none"`` when RD = 0.
    nnt_abs : float
        ``1 / |RD|``, the number reported with ``kind``.
    ci_lower, ci_upper : float
        Interval for the signed ``nnt`` when the RD interval excludes 0 (``1/rd_upper`` and
        ``1/rd_lower`` sorted); NaN otherwise, because the confidence set is then two disjoint rays
        (Altman 1998).
    ci_excludes_zero : bool
    nntb_limit, nnth_limit : float
        Altman's limits, always defined: the interval runs from ``NNTH nnth_limit`` through infinity
        to ``NNTB nntb_limit`` when the RD interval includes 0; when it excludes 0 these are the two
        ends of the single interval (the other kind is NaN).
    text : str
        The interval as Altman writes it, e.g. ``"NNTB 10.0 (95% CI NNTH 21.3 to inf to NNTB
        4.2)"``.
    """

    group: str
    reference: str
    risk_difference: float
    rd_ci_lower: float
    rd_ci_upper: float
    rd_method: str
    higher_is_better: bool
    nnt: float
    kind: str
    nnt_abs: float
    ci_lower: float
    ci_upper: float
    ci_excludes_zero: bool
    nntb_limit: float
    nnth_limit: float
    text: str
    conf_level: float
    _title = "Number needed to treat"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the number needed to treat and its interval.

        Columns ``group, reference, risk_difference, nnt, kind, nnt_abs, ci_lower, ci_upper,
        ci_excludes_zero, text``.
        """
        return self._one_row("group", "reference", "risk_difference", "nnt", "kind", "nnt_abs",
                             "ci_lower", "ci_upper", "ci_excludes_zero", "text")


@dataclass(frozen=True)
class ChiSquareTest(Result):
    """Pearson chi-square test of equal rates in k arms.

    ``correction`` is ``"yates"`` when the continuity correction was applied (2 x 2 only).
    ``summary`` columns: ``statistic, df, p_value, correction, n_arms``.
    """

    statistic: float
    df: int
    p_value: float
    correction: str
    expected: tuple[tuple[float, float], ...]
    n_arms: int
    _title = "Chi-square test"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``statistic, df, p_value, correction, n_arms``."""
        return self._one_row("statistic", "df", "p_value", "correction", "n_arms")


@dataclass(frozen=True)
class FisherTest(Result):
    """Fisher's exact test (two-sided); for 2 x 2 tables also the conditional MLE odds ratio.

    ``summary`` columns: ``p_value, odds_ratio, ci_lower, ci_upper, n_arms`` (odds ratio and
    interval NaN for more than two arms).
    """

    p_value: float
    odds_ratio: float
    ci_lower: float
    ci_upper: float
    n_arms: int
    conf_level: float
    _title = "Fisher's exact test"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``p_value, odds_ratio, ci_lower, ci_upper, n_arms``."""
        return self._one_row("p_value", "odds_ratio", "ci_lower", "ci_upper", "n_arms")


@dataclass(frozen=True)
class PairwiseTests(Result):
    """Pairwise comparisons of rates with adjusted p-values.

    ``table`` columns: ``group, reference, p_value, p_adjusted, test, adjust``.
    """

    table: pd.DataFrame
    test: str
    adjust: str
    _title = "Pairwise comparisons"

    @property
    def summary(self) -> pd.DataFrame:
        """The pairwise table (a copy): one row per pair of arms."""
        return self.table.copy()


@dataclass(frozen=True)
class NonInferiorityTest(Result):
    """Score test of non-inferiority of ``group`` to ``reference`` on the risk-difference scale.

    With ``higher_is_better``: H0: RD <= margin vs H1: RD > margin (margin < 0),
    ``p = 1 - Phi(z)``; otherwise H0: RD >= margin vs H1: RD < margin (margin > 0), ``p = Phi(z)``;
    ``z = (RD - margin) / sqrt(p1~(1 - p1~)/n1 + p2~(1 - p2~)/n2)`` with the restricted MLEs p~
    (times N/(N-1) for Miettinen-Nurminen). ``ci_lower, ci_upper`` is the two-sided
    ``1 - 2 alpha`` score interval.
    """

    group: str
    reference: str
    margin: float
    higher_is_better: bool
    estimate: float
    statistic: float
    p_value: float
    alpha: float
    conclusion: str
    method: str
    p_group_restricted: float
    p_reference_restricted: float
    ci_lower: float
    ci_upper: float
    _title = "Non-inferiority test"

    @property
    def noninferior(self) -> bool:
        """Whether non-inferiority is shown: ``p_value < alpha``."""
        return bool(self.p_value < self.alpha)

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the test against the margin and its conclusion.

        Columns ``group, reference, margin, estimate, statistic, p_value, alpha, ci_lower, ci_upper,
        conclusion, method``.
        """
        return self._one_row("group", "reference", "margin", "estimate", "statistic", "p_value",
                             "alpha", "ci_lower", "ci_upper", "conclusion", "method")


@dataclass(frozen=True)
class EquivalenceTest(Result):
    """Two one-sided score tests (TOST) of equivalence within ``(lower, upper)`` on the RD scale.

    ``p_value`` is the larger of the two one-sided p-values; ``ci_lower, ci_upper`` the
    ``1 - 2 alpha`` score interval, which lies inside the margins exactly when equivalence is shown.
    """

    group: str
    reference: str
    lower: float
    upper: float
    estimate: float
    statistic_lower: float
    p_lower: float
    statistic_upper: float
    p_upper: float
    p_value: float
    alpha: float
    conclusion: str
    method: str
    ci_lower: float
    ci_upper: float
    _title = "Equivalence test"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: the two one-sided tests and their conclusion.

        Columns ``group, reference, lower, upper, estimate, p_lower, p_upper, p_value, ci_lower,
        ci_upper, conclusion, method``.
        """
        return self._one_row("group", "reference", "lower", "upper", "estimate", "p_lower",
                             "p_upper", "p_value", "ci_lower", "ci_upper", "conclusion", "method")


@dataclass(frozen=True)
class LogisticRegressionResult(Result):
    """Logistic regression of the outcome on group (and baseline covariates).

    ``table`` columns: ``term, estimate (log odds), se, statistic (z), p_value, odds_ratio,
    ci_lower, ci_upper`` (interval on the odds-ratio scale). ``group_effects`` holds only the
    group terms (one per non-reference group), labelled by group.
    """

    table: pd.DataFrame
    group_effects: pd.DataFrame
    reference: str
    covariates: tuple[str, ...]
    n: int
    conf_level: float
    converged: bool
    _title = "Logistic regression"

    @property
    def summary(self) -> pd.DataFrame:
        """The coefficient table (a copy): one row per model term."""
        return self.table.copy()


@dataclass(frozen=True)
class RatesAnalysis(Result):
    """Everything :func:`compare_rates` computes.

    Attributes
    ----------
    arms : ArmRates
    comparisons : pandas.DataFrame
        One row per comparison (group vs reference, or every pair with ``all_pairs``) with
        ``group, reference, risk_difference, rd_ci_lower, rd_ci_upper, relative_risk, rr_ci_lower,
        rr_ci_upper, odds_ratio, or_ci_lower, or_ci_upper, nnt, p_chisq, p_chisq_yates, p_fisher,
        p_holm`` and more (methods, corrections, NNT kind and interval, non-inferiority fields).
    overall : ChiSquareTest
        Pearson chi-square over all arms, without continuity correction.
    fisher_overall : FisherTest
    noninferiority : tuple of NonInferiorityTest
        One per comparison when a margin was given, else empty.
    logistic : LogisticRegressionResult or None
    settings : dict
        Methods, confidence level, margin and reference used.
    """

    arms: ArmRates
    comparisons: pd.DataFrame
    overall: ChiSquareTest
    fisher_overall: FisherTest
    noninferiority: tuple = ()
    logistic: LogisticRegressionResult | None = None
    settings: dict = field(default_factory=dict)
    _title = "Comparison of rates"

    @property
    def summary(self) -> pd.DataFrame:
        """The comparisons table (a copy): one row per arm against the reference."""
        return self.comparisons.copy()

    def to_json_dict(self) -> dict:
        """The object ``workbench rates --json`` prints (see the module documentation).

        Keys ``arms``, ``comparisons``, ``overall`` and, with a margin, ``noninferiority``
        (``margin, statistic, p_value, conclusion`` plus details). With more than two arms the
        non-inferiority object is the intersection-union test that every group is non-inferior
        (the smallest z, the largest p-value); each comparison carries its own ``ni_*`` fields.
        """
        arms = [
            {k: r[k] for k in ("group", "events", "n", "rate", "ci_lower", "ci_upper")}
            for r in self.arms.summary.to_dict(orient="records")
        ]
        out = {
            "arms": arms,
            "comparisons": self.comparisons.to_dict(orient="records"),
            "overall": {
                "statistic": self.overall.statistic,
                "df": self.overall.df,
                "p_value": self.overall.p_value,
                "test": "pearson chi-square, no continuity correction",
            },
        }
        if self.noninferiority:
            out["noninferiority"] = _ni_overall(self.noninferiority)
        return jsonable(out)

    def _display_tables(self) -> list[tuple[str | None, pd.DataFrame]]:
        cols = ["group", "reference", "risk_difference", "rd_ci_lower", "rd_ci_upper",
                "relative_risk", "rr_ci_lower", "rr_ci_upper", "odds_ratio", "or_ci_lower",
                "or_ci_upper", "nnt_text", "p_chisq", "p_chisq_yates", "p_fisher", "p_holm"]
        shown = self.comparisons[[c for c in cols if c in self.comparisons.columns]]
        return [("Rates per arm", self.arms.summary),
                ("Comparisons with the reference arm", shown)]

    def _display_notes(self) -> list[str]:
        notes = [f"Overall chi-square {self.overall.statistic:.2f} on {self.overall.df} df, "
                 f"p = {format_p_value(self.overall.p_value)}."]
        if self.noninferiority:
            ni = _ni_overall(self.noninferiority)
            notes.append(
                f"Non-inferiority (margin {100 * ni['margin']:+g} percentage points): "
                f"z = {ni['statistic']:.2f}, p = {format_p_value(ni['p_value'])}: "
                f"{ni['conclusion']}.")
        return notes


def _ni_overall(tests: tuple) -> dict:
    if len(tests) == 1:
        t = tests[0]
        return {
            "margin": t.margin,
            "statistic": t.statistic,
            "p_value": t.p_value,
            "conclusion": t.conclusion,
            "group": t.group,
            "reference": t.reference,
            "estimate": t.estimate,
            "ci_lower": t.ci_lower,
            "ci_upper": t.ci_upper,
            "alpha": t.alpha,
            "method": t.method,
        }
    worst = max(tests, key=lambda t: t.p_value)
    allni = all(t.p_value < t.alpha for t in tests)
    return {
        "margin": worst.margin,
        "statistic": worst.statistic,
        "p_value": worst.p_value,
        "conclusion": ("all groups non-inferior" if allni
                       else "non-inferiority not shown for all groups"),
        "alpha": worst.alpha,
        "method": worst.method + " (intersection-union over comparisons)",
    }


@dataclass(frozen=True)
class RatesSensitivity(Result):
    """:func:`compare_rates` under non-responder imputation and under complete cases.

    ``summary`` stacks both comparison tables with a ``missing`` column.
    """

    nri: RatesAnalysis
    complete_case: RatesAnalysis
    n_missing: tuple[int, ...]
    _title = "Missing-outcome sensitivity analysis"

    @property
    def summary(self) -> pd.DataFrame:
        """The comparisons of both analyses stacked, with a ``missing`` column.

        ``missing`` is ``nri`` or ``complete_case``.
        """
        a = self.nri.comparisons.assign(missing="nri")
        b = self.complete_case.comparisons.assign(missing="complete_case")
        return pd.concat([a, b], ignore_index=True)
