"""Remission and response rates: per-arm intervals, two-arm effects and tests, k-arm comparisons.

Every public function takes either a DataFrame (``data`` with an ``outcome`` column of 0/1 or
true/false values and a ``group`` column) or counts (``events`` and ``totals``, one per arm, with
optional ``labels``). Differences are *group minus reference*; the reference is the first arm (the
first group in sorted order for a DataFrame, numeric order when every group is a number, the first
count otherwise) unless ``reference`` names another.

========================================  ===========================================================
function                                  what it computes
========================================  ===========================================================
:func:`arm_rates`                         rate per arm, Wilson / Clopper-Pearson / Wilson-cc CI
:func:`risk_difference`                   RD with Newcombe hybrid-score, Wald, Wald-cc or score CI
:func:`relative_risk`                     RR with log-scale (Katz) interval
:func:`odds_ratio`                        OR, Woolf or Fisher conditional MLE with exact interval
:func:`number_needed_to_treat`            NNT / NNH from the RD interval (Altman 1998)
:func:`chi_square_test`                   Pearson chi-square, with or without Yates (2 x 2)
:func:`fisher_exact_test`                 Fisher's exact test (2 x 2 and 2 x k)
:func:`pairwise_rate_tests`               pairwise tests with Holm (or other) adjustment
:func:`noninferiority_test`               Farrington-Manning (or Miettinen-Nurminen) score test
:func:`equivalence_test`                  two one-sided Farrington-Manning tests
:func:`logistic_regression`               odds ratio adjusted for baseline covariates
:func:`compare_rates`                     everything above for k arms against a reference
:func:`rates_sensitivity`                 :func:`compare_rates` under NRI and complete cases
:func:`two_proportion_pvalues`            vectorised two-arm p-values for simulated replicates
========================================  ===========================================================

Zero cells are legal. Rates, Newcombe and score intervals and the exact methods need no correction;
for the relative risk and the Woolf odds ratio 0.5 is added to all four cells of a table with a zero
cell (Haldane-Anscombe, as metafor's ``escalc``), and the result's ``correction`` field says so.

Checked against R 4.2.2 (``tests/reference/rates_analysis.json``): ``prop.test``, ``binom.test``,
``fisher.test``, ``chisq.test``, ``pairwise.prop.test`` and the hand formulas of
``reference/r/lib_rates.R`` (Newcombe, RR, Woolf OR, NNT, Farrington-Manning), to 1e-6 relative.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._rootfind import zeroin as _r_zeroin
from .._validation import (
    _sorted_levels,
    _check_bool,
    _check_choice,
    _check_dataframe,
    _check_probability,
    _is_real,
    _label,
)
from ..exceptions import (
    ConvergenceError,
    DataValidationError,
    InvalidParameterError,
    StatisticalWarning,
)
from ..results import Result, jsonable
from .replicates import _difference_variance, _fm_rmle_arrays

__all__ = [
    "RATE_CI_METHODS",
    "RD_CI_METHODS",
    "RR_CI_METHODS",
    "OR_CI_METHODS",
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
    "arm_rates",
    "risk_difference",
    "relative_risk",
    "odds_ratio",
    "number_needed_to_treat",
    "chi_square_test",
    "fisher_exact_test",
    "pairwise_rate_tests",
    "noninferiority_test",
    "equivalence_test",
    "logistic_regression",
    "compare_rates",
    "rates_sensitivity",
    "farrington_manning_rmle",
    "two_proportion_pvalues",
]

#: interval methods for a single rate
RATE_CI_METHODS = ("wilson", "clopper-pearson", "wilson-cc", "agresti-coull", "jeffreys", "wald")
#: interval methods for the risk difference
RD_CI_METHODS = ("newcombe", "wald", "wald-cc", "farrington-manning", "miettinen-nurminen")
#: interval methods for the relative risk
RR_CI_METHODS = ("log",)
#: interval methods for the odds ratio
OR_CI_METHODS = ("woolf", "fisher")
#: tests the pairwise comparisons and Holm adjustment can use
PAIRWISE_TESTS = ("chisq-yates", "chisq", "fisher")
#: score tests for non-inferiority and equivalence
NI_METHODS = ("farrington-manning", "miettinen-nurminen")
#: handling of missing outcomes in a DataFrame
MISSING = ("nri", "complete_case")

_HALDANE = "haldane-anscombe: 0.5 added to all four cells (a cell was zero)"
_FISHER_ENUM_LIMIT = 5_000_000


# --------------------------------------------------------------------------------------------
# input: a DataFrame or counts
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Table:
    labels: tuple[str, ...]
    x: np.ndarray  # events per arm (int)
    n: np.ndarray  # patients per arm (int)
    ref: int  # index of the reference arm
    n_missing: tuple[int, ...] = ()  # missing outcomes per arm (DataFrame input)
    missing: str | None = None

    @property
    def k(self) -> int:
        return len(self.labels)

    def pair(self, g: int, r: int | None = None) -> _Table:
        r = self.ref if r is None else r
        idx = [g, r]
        return _Table(
            tuple(self.labels[i] for i in idx), self.x[idx], self.n[idx], 1,
            tuple(self.n_missing[i] for i in idx) if self.n_missing else (), self.missing,
        )

    @property
    def others(self) -> list[int]:
        return [i for i in range(self.k) if i != self.ref]


def _int_counts(name: str, values) -> np.ndarray:
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray | pd.Series):
        raise InvalidParameterError(f"`{name}` must be a sequence of counts, one per arm; got {values!r}.")
    out = []
    for i, v in enumerate(list(values)):
        if isinstance(v, bool | np.bool_) or not _is_real(v) or not math.isfinite(float(v)) or (
            float(v) != int(float(v))
        ):
            raise InvalidParameterError(f"`{name}[{i}]` must be a whole number; got {v!r}.")
        out.append(int(float(v)))
    return np.asarray(out, dtype=np.int64)


def _table(data=None, *, outcome="outcome", group="arm", events=None, totals=None, labels=None,
           reference=None, missing=None, higher_is_better=True, min_arms=2) -> _Table:
    """Turn the accepted inputs into counts, with clear errors."""
    if data is not None and (events is not None or totals is not None):
        raise InvalidParameterError("give either `data` or `events` with `totals`, not both.")
    if data is None:
        if events is None or totals is None:
            raise InvalidParameterError(
                "give `data` (a DataFrame with outcome and group columns) or both `events` and "
                "`totals` (one count per arm)."
            )
        x = _int_counts("events", events)
        n = _int_counts("totals", totals)
        if len(x) != len(n):
            raise InvalidParameterError(
                f"`events` and `totals` must have one count per arm each; got {len(x)} and {len(n)}."
            )
        for i in range(len(x)):
            if n[i] < 1:
                raise InvalidParameterError(f"`totals[{i}]` must be at least 1; got {n[i]}.")
            if x[i] < 0:
                raise InvalidParameterError(f"`events[{i}]` must be >= 0; got {x[i]}.")
            if x[i] > n[i]:
                raise InvalidParameterError(
                    f"`events[{i}]` ({x[i]}) must not exceed `totals[{i}]` ({n[i]})."
                )
        if labels is None:
            labs = tuple(f"arm{i + 1}" for i in range(len(x)))
        else:
            if isinstance(labels, str):
                raise InvalidParameterError(f"`labels` must be a sequence of names; got {labels!r}.")
            labs = tuple(str(v) for v in labels)
            if len(labs) != len(x):
                raise InvalidParameterError(
                    f"`labels` must give one name per arm ({len(x)}); got {len(labs)}: {list(labs)}."
                )
            if len(set(labs)) != len(labs):
                raise InvalidParameterError(f"`labels` must be unique; got {list(labs)}.")
        nmiss: tuple[int, ...] = ()
    else:
        df = _check_dataframe(data)
        for role, col in (("outcome", outcome), ("group", group)):
            if col not in df.columns:
                raise DataValidationError(
                    f"`{role}` column {col!r} is missing; the data has columns "
                    f"{list(map(str, df.columns))}."
                )
        if missing is not None:
            _check_choice("missing", missing, MISSING)
        if df[group].isna().any():
            rows = list(df.index[df[group].isna()][:5])
            raise DataValidationError(f"column {group!r} has missing values (rows {rows}).")
        grp = df[group].map(_label)
        y = df[outcome]
        na = y.isna().to_numpy()
        if na.any() and missing is None:
            rows = list(df.index[na][:5])
            raise DataValidationError(
                f"column {outcome!r} has {int(na.sum())} missing value(s) (rows {rows}); pass "
                "missing='nri' (count them as failures) or missing='complete_case'."
            )
        values = np.zeros(len(df), dtype=int)
        if (~na).any():
            values[~na] = _binary_values(y[~na], outcome)
        if na.any():
            if missing == "nri":
                values[na] = 0 if higher_is_better else 1
                keep = np.ones(len(df), dtype=bool)
            else:
                keep = ~na
        else:
            keep = np.ones(len(df), dtype=bool)
        levels = _sorted_levels(grp.unique())
        labs = tuple(levels)
        x = np.array([int(values[keep & (grp == g).to_numpy()].sum()) for g in levels], dtype=np.int64)
        n = np.array([int((keep & (grp == g).to_numpy()).sum()) for g in levels], dtype=np.int64)
        nmiss = tuple(int((na & (grp == g).to_numpy()).sum()) for g in levels)
        if np.any(n == 0):
            g = levels[int(np.argmax(n == 0))]
            raise DataValidationError(
                f"group {g!r} of column {group!r} has no patient with an observed {outcome!r}."
            )
    if len(labs) < min_arms:
        what = "group" if data is not None else "arm"
        raise (DataValidationError if data is not None else InvalidParameterError)(
            f"need at least {min_arms} {what}s to compare; got {len(labs)} ({list(labs)})."
        )
    if reference is None:
        ref = 0
    else:
        ref_label = _label(reference)
        if ref_label not in labs:
            raise InvalidParameterError(f"`reference` must be one of {list(labs)}; got {reference!r}.")
        ref = labs.index(ref_label)
    return _Table(labs, x, n, ref, nmiss, missing)


def _binary_values(s: pd.Series, column: str) -> np.ndarray:
    if s.dtype == bool:
        return s.to_numpy(dtype=int)
    if pd.api.types.is_numeric_dtype(s):
        v = s.to_numpy(dtype=float)
        bad = ~np.isin(v, (0.0, 1.0))
        if bad.any():
            i = int(np.argmax(bad))
            raise DataValidationError(
                f"column {column!r} must be 0/1 or true/false; found {_label(float(v[i]))} "
                f"(row {s.index[i]})."
            )
        return v.astype(int)
    out = np.empty(len(s), dtype=int)
    for i, v in enumerate(s.to_numpy()):
        key = str(v).strip().lower()
        if isinstance(v, bool | np.bool_):
            out[i] = int(v)
        elif key in ("1", "1.0", "true"):
            out[i] = 1
        elif key in ("0", "0.0", "false"):
            out[i] = 0
        else:
            raise DataValidationError(
                f"column {column!r} must be 0/1 or true/false; found {str(v)!r} (row {s.index[i]})."
            )
    return out


def _two_arm(t: _Table, what: str) -> tuple[int, int, int, int]:
    """(x_group, n_group, x_reference, n_reference) of a two-arm table."""
    if t.k != 2:
        raise InvalidParameterError(
            f"{what} compares two arms; got {t.k} ({list(t.labels)}). Use compare_rates() for "
            "k arms, or pass the two arms' counts."
        )
    g = 1 - t.ref
    return int(t.x[g]), int(t.n[g]), int(t.x[t.ref]), int(t.n[t.ref])


def _z(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def _level(level) -> float:
    return _check_probability("level", level)


# --------------------------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArmRates(Result):
    """Rate of the outcome in each arm with a confidence interval.

    ``summary`` columns: ``group, events, n, rate, ci_lower, ci_upper, method, level``.
    """

    groups: tuple[str, ...]
    events: tuple[int, ...]
    totals: tuple[int, ...]
    rate: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    method: str
    level: float
    _title = "Rates per arm"

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "group": list(self.groups),
                "events": list(self.events),
                "n": list(self.totals),
                "rate": list(self.rate),
                "ci_lower": list(self.ci_lower),
                "ci_upper": list(self.ci_upper),
                "method": self.method,
                "level": self.level,
            }
        )


@dataclass(frozen=True)
class EffectEstimate(Result):
    """A two-arm effect (risk difference, relative risk or odds ratio), group vs reference.

    ``se`` is on the scale the interval is built on (RD; log RR; log OR) and NaN where the method
    has none. ``correction`` says whether a zero cell was corrected.
    ``summary`` columns: ``measure, group, reference, estimate, ci_lower, ci_upper, se, method,
    correction, level``.
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
    level: float
    _title = "Effect estimate"

    @property
    def summary(self) -> pd.DataFrame:
        return self._one_row("measure", "group", "reference", "estimate", "ci_lower", "ci_upper",
                             "se", "method", "correction", "level")


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
        Altman's limits, always defined: the interval runs from ``NNTH nnth_limit`` through
        infinity to ``NNTB nntb_limit`` when the RD interval includes 0; when it excludes 0 these are
        the two ends of the single interval (the other kind is NaN).
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
    level: float
    _title = "Number needed to treat"

    @property
    def summary(self) -> pd.DataFrame:
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
    level: float
    _title = "Fisher's exact test"

    @property
    def summary(self) -> pd.DataFrame:
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
        return bool(self.p_value < self.alpha)

    @property
    def summary(self) -> pd.DataFrame:
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
    level: float
    converged: bool
    _title = "Logistic regression"

    @property
    def summary(self) -> pd.DataFrame:
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
        Methods, level, margin and reference used.
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

    def _repr_html_(self) -> str:
        parts = [
            f"<div><strong>{self._title}</strong>",
            self.arms.summary.to_html(index=False, float_format=lambda x: f"{x:.4g}"),
            self.comparisons.to_html(index=False, float_format=lambda x: f"{x:.4g}", na_rep="–"),
            f"<p>Overall chi-square {self.overall.statistic:.4g} on {self.overall.df} df, "
            f"p = {self.overall.p_value:.4g}</p></div>",
        ]
        return "".join(parts)

    def __str__(self) -> str:
        with pd.option_context("display.float_format", "{:.4g}".format, "display.width", 160,
                               "display.max_columns", 30):
            cols = ["group", "reference", "risk_difference", "rd_ci_lower", "rd_ci_upper",
                    "relative_risk", "odds_ratio", "nnt", "p_chisq", "p_fisher", "p_holm"]
            text = (
                f"{self._title}\n{self.arms.summary.to_string(index=False)}\n\n"
                f"{self.comparisons[cols].to_string(index=False)}\n\n"
                f"overall chi-square {self.overall.statistic:.4g} on {self.overall.df} df, "
                f"p = {self.overall.p_value:.4g}"
            )
            if self.noninferiority:
                ni = _ni_overall(self.noninferiority)
                text += (
                    f"\nnon-inferiority (margin {ni['margin']:+g}): z = {ni['statistic']:.4g}, "
                    f"p = {ni['p_value']:.4g}: {ni['conclusion']}"
                )
            return text


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
        "conclusion": "all groups non-inferior" if allni else "non-inferiority not shown for all groups",
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
        a = self.nri.comparisons.assign(missing="nri")
        b = self.complete_case.comparisons.assign(missing="complete_case")
        return pd.concat([a, b], ignore_index=True)


# --------------------------------------------------------------------------------------------
# per-arm rates
# --------------------------------------------------------------------------------------------
def _wilson_cc(x: int, n: int, z: float) -> tuple[float, float]:
    """R's ``prop.test(x, n, correct = TRUE)$conf.int`` (Wilson score with continuity correction)."""
    p = x / n
    yates = min(0.5, abs(x - n * 0.5))
    z22n = z * z / (2 * n)
    pc = p + yates / n
    upper = 1.0 if pc >= 1 else (pc + z22n + z * math.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n)
    pc = p - yates / n
    lower = 0.0 if pc <= 0 else (pc + z22n - z * math.sqrt(pc * (1 - pc) / n + z22n / (2 * n))) / (1 + 2 * z22n)
    return lower, upper


def _rate_ci(x: int, n: int, method: str, level: float) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    alpha = 1 - level
    if method == "wilson-cc":
        return _wilson_cc(x, n, _z(level))
    sm = {"wilson": "wilson", "clopper-pearson": "beta", "agresti-coull": "agresti_coull",
          "jeffreys": "jeffreys", "wald": "normal"}[method]
    lo, hi = proportion_confint(x, n, alpha=alpha, method=sm)
    lo, hi = float(lo), float(hi)
    if method == "clopper-pearson":  # exact limits at the boundaries
        lo = 0.0 if x == 0 else lo
        hi = 1.0 if x == n else hi
    return max(0.0, lo), min(1.0, hi)


def arm_rates(data=None, *, outcome="outcome", group="arm", events=None, totals=None, labels=None,
              method: str = "wilson", level: float = 0.95, missing=None,
              higher_is_better: bool = True) -> ArmRates:
    """Rate of the outcome in each arm with a confidence interval.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per patient with the ``outcome`` (0/1 or true/false) and ``group`` columns.
    outcome, group : str
        Column names in ``data``.
    events, totals : sequence of int, optional
        Counts per arm instead of ``data``.
    labels : sequence of str, optional
        Arm names for counts (default ``arm1, arm2, ...``).
    method : {"wilson", "clopper-pearson", "wilson-cc", "agresti-coull", "jeffreys", "wald"}
        ``"wilson"`` is R's ``prop.test(x, n, correct = FALSE)`` interval, ``"wilson-cc"`` R's
        default ``prop.test`` interval with continuity correction, ``"clopper-pearson"``
        ``binom.test``.
    level : float in (0, 1), default 0.95
    missing : {None, "nri", "complete_case"}
        How to treat missing outcomes in ``data`` (``None``: they are an error). ``"nri"`` counts
        them as treatment failures (0, or 1 when ``higher_is_better`` is False).
    higher_is_better : bool, default True

    Returns
    -------
    ArmRates
        ``summary`` columns ``group, events, n, rate, ci_lower, ci_upper, method, level``.

    Notes
    -----
    Wilson and Clopper-Pearson come from :func:`statsmodels.stats.proportion.proportion_confint`;
    the continuity-corrected Wilson interval follows R's ``prop.test``. All match R 4.2.2.

    Examples
    --------
    >>> r = arm_rates(events=[14, 18], totals=[25, 26], labels=["pdt", "fluoxetine"])
    >>> r.summary[["group", "rate", "ci_lower", "ci_upper"]].round(4)
            group    rate  ci_lower  ci_upper
    0         pdt  0.5600    0.3707    0.7333
    1  fluoxetine  0.6923    0.5001    0.8350
    """
    method = _check_choice("method", method, RATE_CI_METHODS)
    level = _level(level)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               missing=missing, higher_is_better=higher_is_better, min_arms=1)
    lo, hi = zip(*(_rate_ci(int(x), int(n), method, level) for x, n in zip(t.x, t.n)))
    return ArmRates(
        groups=t.labels,
        events=tuple(int(v) for v in t.x),
        totals=tuple(int(v) for v in t.n),
        rate=tuple(float(x / n) for x, n in zip(t.x, t.n)),
        ci_lower=tuple(lo),
        ci_upper=tuple(hi),
        method=method,
        level=level,
    )


# --------------------------------------------------------------------------------------------
# Farrington-Manning restricted MLE and score statistic
# --------------------------------------------------------------------------------------------
def farrington_manning_rmle(x1: int, n1: int, x2: int, n2: int, delta: float) -> tuple[float, float]:
    """Restricted MLEs ``(p1~, p2~)`` of two binomial proportions under ``p1 - p2 = delta``.

    Closed-form root of the cubic of Farrington & Manning (1990) (the same as Miettinen &
    Nurminen 1985), with ``theta = n2 / n1``, as in ``reference/r/lib_rates.R``.

    Notes
    -----
    ``statsmodels.stats.proportion.score_test_proportions_2indep`` (0.14-0.15) has a wrong linear
    coefficient in this cubic for ``value != 0`` (statsmodels issue #10269), so it is not used.

    >>> p1, p2 = farrington_manning_rmle(27, 117, 27, 116, -0.10)
    >>> round(p1, 9), round(p2, 9)
    (0.189095456, 0.289095456)
    """
    p1t, p2t = _fm_rmle_arrays(x1 / n1, x2 / n2, delta, n2 / n1)
    return float(p1t), float(p2t)


def _fm_z(x1, n1, x2, n2, delta, mn=False) -> float:
    p1t, p2t = farrington_manning_rmle(x1, n1, x2, n2, delta)
    var = p1t * (1 - p1t) / n1 + p2t * (1 - p2t) / n2
    if mn:
        var *= (n1 + n2) / (n1 + n2 - 1)
    diff = x1 / n1 - x2 / n2 - delta
    if var <= 0:
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return diff / math.sqrt(var)


def _score_ci(x1, n1, x2, n2, level, mn=False) -> tuple[float, float]:
    """Score interval: the risk differences d with |z(d)| < z_(1 - (1 - level)/2).

    z(d) decreases in d; each limit is the root of z(d) = +/- z_crit (brentq to 1e-14), or the
    boundary -1 / 1 when z never reaches the critical value.
    """
    from scipy.optimize import brentq

    zc = _z(level)
    rd = x1 / n1 - x2 / n2
    eps = 1e-10

    def z(s):
        return _fm_z(x1, n1, x2, n2, s, mn)

    lo_end, hi_end = -1 + eps, 1 - eps
    if rd <= lo_end or z(lo_end) <= zc:
        lo = -1.0
    else:
        lo = brentq(lambda s: z(s) - zc, lo_end, rd, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    if rd >= hi_end or z(hi_end) >= -zc:
        hi = 1.0
    else:
        hi = brentq(lambda s: z(s) + zc, rd, hi_end, xtol=1e-14, rtol=4 * np.finfo(float).eps)
    return float(lo), float(hi)


# --------------------------------------------------------------------------------------------
# two-arm effects
# --------------------------------------------------------------------------------------------
def _rd(x1, n1, x2, n2, method, level) -> tuple[float, float, float, float]:
    """(rd, lower, upper, se) for group (1) minus reference (2)."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    p1, p2 = x1 / n1, x2 / n2
    rd = p1 - p2
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = _z(level)
    if method == "wald":
        lo, hi = rd - z * se, rd + z * se
    elif method == "wald-cc":  # R prop.test(correct = TRUE)$conf.int
        yates = min(0.5, abs(rd) / (1 / n1 + 1 / n2))
        width = z * se + yates * (1 / n1 + 1 / n2)
        lo, hi = max(rd - width, -1.0), min(rd + width, 1.0)
    elif method == "newcombe":
        lo, hi = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff",
                                            alpha=1 - level)
        lo, hi = float(lo), float(hi)
    else:
        lo, hi = _score_ci(x1, n1, x2, n2, level, mn=method == "miettinen-nurminen")
    return rd, float(lo), float(hi), se


def risk_difference(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                    labels=None, reference=None, method: str = "newcombe", level: float = 0.95,
                    missing=None, higher_is_better: bool = True) -> EffectEstimate:
    """Risk difference (group minus reference) with a confidence interval.

    Parameters
    ----------
    data, outcome, group, events, totals, labels, missing, higher_is_better
        As in :func:`arm_rates`; exactly two arms.
    reference : str, optional
        The reference arm (default: the first).
    method : {"newcombe", "wald", "wald-cc", "farrington-manning", "miettinen-nurminen"}
        Newcombe's (1998) hybrid score interval (method 10, from the Wilson limits of each arm),
        the Wald interval, the Wald interval with ``prop.test``'s continuity correction, or the
        score interval inverted from the Farrington-Manning / Miettinen-Nurminen test.
    level : float in (0, 1), default 0.95

    Returns
    -------
    EffectEstimate
        ``measure="risk_difference"``; ``se`` is the unpooled Wald standard error.

    Notes
    -----
    Newcombe uses :func:`statsmodels.stats.proportion.confint_proportions_2indep` (``newcomb``);
    checked against ``reference/r/lib_rates.R``.

    Examples
    --------
    >>> rd = risk_difference(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"],
    ...                      reference="fluoxetine")
    >>> round(rd.estimate, 4), round(rd.ci_lower, 4), round(rd.ci_upper, 4)
    (-0.1323, -0.3694, 0.1265)
    """
    method = _check_choice("method", method, RD_CI_METHODS)
    level = _level(level)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = _two_arm(t, "risk_difference()")
    rd, lo, hi, se = _rd(x1, n1, x2, n2, method, level)
    return EffectEstimate("risk_difference", t.labels[1 - t.ref], t.labels[t.ref], rd, lo, hi, se,
                          method, "none", level)


def _rr(x1, n1, x2, n2, level, zero_correction):
    cells = (x1, n1 - x1, x2, n2 - x2)
    correction = "none"
    a, b, c, d = (float(v) for v in cells)
    if min(cells) == 0 and zero_correction == "haldane":
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        correction = _HALDANE
    z = _z(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        rr = (a / (a + b)) / (c / (c + d)) if c > 0 else (math.inf if a > 0 else math.nan)
        se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)) if a > 0 and c > 0 else math.nan
    if math.isfinite(se) and rr > 0:
        lo, hi = math.exp(math.log(rr) - z * se), math.exp(math.log(rr) + z * se)
    else:
        lo = hi = math.nan
    return rr, lo, hi, se, correction


def _or_woolf(x1, n1, x2, n2, level, zero_correction):
    cells = (x1, n1 - x1, x2, n2 - x2)
    correction = "none"
    a, b, c, d = (float(v) for v in cells)
    if min(cells) == 0 and zero_correction == "haldane":
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
        correction = _HALDANE
    z = _z(level)
    num, den = a * d, b * c
    orr = num / den if den > 0 else (math.inf if num > 0 else math.nan)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d) if min(a, b, c, d) > 0 else math.nan
    if math.isfinite(se) and orr > 0:
        lo, hi = math.exp(math.log(orr) - z * se), math.exp(math.log(orr) + z * se)
    else:
        lo = hi = math.nan
    return orr, lo, hi, se, correction


def relative_risk(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                  labels=None, reference=None, method: str = "log", level: float = 0.95,
                  zero_correction: str = "haldane", missing=None,
                  higher_is_better: bool = True) -> EffectEstimate:
    """Relative risk (group / reference) with a log-scale (Katz) interval.

    ``se(log RR) = sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2)``; interval ``exp(log RR +/- z se)``.

    Parameters
    ----------
    method : {"log"}
    zero_correction : {"haldane", "none"}, default "haldane"
        With a zero cell, ``"haldane"`` adds 0.5 to all four cells (so each arm's total grows by
        1), as metafor's ``escalc``; ``"none"`` returns the raw ratio (0, inf or NaN) and a NaN
        interval. The result's ``correction`` says which was used.
    Other parameters as in :func:`risk_difference`.

    Examples
    --------
    >>> rr = relative_risk(events=[3, 10], totals=[37, 37], labels=["pdt_clomipramine",
    ...                    "clomipramine"], reference="clomipramine")
    >>> round(rr.estimate, 4), round(rr.ci_lower, 4), round(rr.ci_upper, 4), rr.correction
    (0.3, 0.0897, 1.0031, 'none')
    """
    _check_choice("method", method, RR_CI_METHODS)
    _check_choice("zero_correction", zero_correction, ("haldane", "none"))
    level = _level(level)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = _two_arm(t, "relative_risk()")
    rr, lo, hi, se, corr = _rr(x1, n1, x2, n2, level, zero_correction)
    return EffectEstimate("relative_risk", t.labels[1 - t.ref], t.labels[t.ref], rr, lo, hi, se,
                          method, corr, level)


# ---- Fisher's conditional MLE and exact interval, as R's fisher.test ------------------------
class _NoncentralHypergeometric:
    """R's ``fisher.test`` helpers (dnhyper, mnhyper, pnhyper) for the 2 x 2 table."""

    def __init__(self, x1, n1, x2, n2):
        m = x1 + x2  # first column total (events)
        nn = (n1 - x1) + (n2 - x2)
        k = n1  # first row total
        self.x = x1
        self.lo = max(0, k - nn)
        self.hi = min(k, m)
        self.support = np.arange(self.lo, self.hi + 1)
        self.logdc = stats.hypergeom.logpmf(self.support, m + nn, m, k)
        self.M, self.m, self.k = m + nn, m, k

    def d(self, ncp):
        dd = self.logdc + math.log(ncp) * self.support
        dd = np.exp(dd - dd.max())
        return dd / dd.sum()

    def mean(self, ncp):
        if ncp == 0:
            return float(self.lo)
        if math.isinf(ncp):
            return float(self.hi)
        return float(np.sum(self.support * self.d(ncp)))

    def p(self, q, ncp, upper_tail=False):
        if ncp == 1:
            if upper_tail:
                return float(stats.hypergeom.sf(self.x - 1, self.M, self.m, self.k))
            return float(stats.hypergeom.cdf(self.x, self.M, self.m, self.k))
        if ncp == 0:
            return float(q <= self.lo if upper_tail else q >= self.lo)
        if math.isinf(ncp):
            return float(q <= self.hi if upper_tail else q >= self.hi)
        d = self.d(ncp)
        sel = self.support >= q if upper_tail else self.support <= q
        return float(d[sel].sum())

    def mle(self):
        x = self.x
        if x == self.lo:
            return 0.0
        if x == self.hi:
            return math.inf
        mu = self.mean(1.0)
        if mu > x:
            return _r_zeroin(lambda t: self.mean(t) - x, 0.0, 1.0)
        if mu < x:
            return 1.0 / _r_zeroin(lambda t: self.mean(1 / t) - x, np.finfo(float).eps, 1.0)
        return 1.0

    def upper(self, alpha):
        x = self.x
        if x == self.hi:
            return math.inf
        p = self.p(x, 1.0)
        if p < alpha:
            return _r_zeroin(lambda t: self.p(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1.0 / _r_zeroin(lambda t: self.p(x, 1 / t) - alpha, np.finfo(float).eps, 1.0)
        return 1.0

    def lower(self, alpha):
        x = self.x
        if x == self.lo:
            return 0.0
        p = self.p(x, 1.0, upper_tail=True)
        if p > alpha:
            return _r_zeroin(lambda t: self.p(x, t, upper_tail=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1.0 / _r_zeroin(
                lambda t: self.p(x, 1 / t, upper_tail=True) - alpha, np.finfo(float).eps, 1.0
            )
        return 1.0


def _fisher_or(x1, n1, x2, n2, level):
    """Conditional MLE odds ratio and exact interval, computed as R's ``fisher.test``."""
    h = _NoncentralHypergeometric(x1, n1, x2, n2)
    alpha = (1 - level) / 2
    return h.mle(), h.lower(alpha), h.upper(alpha)


def odds_ratio(data=None, *, outcome="outcome", group="arm", events=None, totals=None, labels=None,
               reference=None, method: str = "woolf", level: float = 0.95,
               zero_correction: str = "haldane", missing=None,
               higher_is_better: bool = True) -> EffectEstimate:
    """Odds ratio (group vs reference): Woolf's log-scale interval, or Fisher's conditional MLE.

    Parameters
    ----------
    method : {"woolf", "fisher"}, default "woolf"
        ``"woolf"``: the sample odds ratio with ``se(log OR) = sqrt(1/a + 1/b + 1/c + 1/d)``.
        ``"fisher"``: the conditional maximum-likelihood estimate with the exact interval from the
        noncentral hypergeometric distribution, as R's ``fisher.test`` (no zero correction
        needed: a zero cell gives an estimate of 0 or inf and a one-sided-open interval).
    zero_correction : {"haldane", "none"}, default "haldane"
        For ``"woolf"`` only; see :func:`relative_risk`.
    Other parameters as in :func:`risk_difference`.

    Notes
    -----
    For ``"fisher"`` the roots are found with a port of R's ``uniroot`` at R's default tolerance
    (about 1.2e-4), so the values equal ``fisher.test``'s; they can differ from the exact root
    (as :func:`scipy.stats.contingency.odds_ratio` finds it) by up to about 1e-5 relative.

    Examples
    --------
    >>> o = odds_ratio(events=[3, 10], totals=[37, 37], reference="arm2", method="fisher")
    >>> round(o.estimate, 5), round(o.ci_lower, 5), round(o.ci_upper, 5)
    (0.24275, 0.03908, 1.06712)
    """
    method = _check_choice("method", method, OR_CI_METHODS)
    _check_choice("zero_correction", zero_correction, ("haldane", "none"))
    level = _level(level)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = _two_arm(t, "odds_ratio()")
    if method == "woolf":
        est, lo, hi, se, corr = _or_woolf(x1, n1, x2, n2, level, zero_correction)
    else:
        est, lo, hi = _fisher_or(x1, n1, x2, n2, level)
        se, corr = math.nan, "none (exact conditional method)"
    return EffectEstimate("odds_ratio", t.labels[1 - t.ref], t.labels[t.ref], est, lo, hi, se,
                          method, corr, level)


# ---- number needed to treat ----------------------------------------------------------------
def _fmt_nnt(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.1f}"


def _nnt(group, reference, rd, lo, hi, rd_method, level, higher_is_better) -> NumberNeeded:
    with np.errstate(divide="ignore"):
        nnt = math.inf if rd == 0 else 1.0 / rd
    # benefit scale: positive = the group does better than the reference
    sign = 1.0 if higher_is_better else -1.0
    b, bl, bu = sign * rd, *sorted((sign * lo, sign * hi))
    kind = "none" if b == 0 else ("NNTB" if b > 0 else "NNTH")
    excl = (lo > 0 and hi > 0) or (lo < 0 and hi < 0)
    if excl:
        ci_lo, ci_hi = sorted((1.0 / lo, 1.0 / hi))
    else:
        ci_lo = ci_hi = math.nan
    pct = f"{level:.0%}"
    head = f"{kind} {_fmt_nnt(abs(nnt))}" if kind != "none" else "NNT inf (no difference)"
    if bl > 0:  # benefit throughout
        nntb_limit, nnth_limit = 1.0 / bu, math.nan
        ci = f"{pct} CI NNTB {_fmt_nnt(1 / bu)} to NNTB {_fmt_nnt(1 / bl)}"
    elif bu < 0:  # harm throughout
        nntb_limit, nnth_limit = math.nan, 1.0 / abs(bl)
        ci = f"{pct} CI NNTH {_fmt_nnt(1 / abs(bl))} to NNTH {_fmt_nnt(1 / abs(bu))}"
    else:  # includes 0: two disjoint rays through infinity (Altman 1998)
        nntb_limit = 1.0 / bu if bu > 0 else math.inf
        nnth_limit = 1.0 / abs(bl) if bl < 0 else math.inf
        ci = f"{pct} CI NNTH {_fmt_nnt(nnth_limit)} to inf to NNTB {_fmt_nnt(nntb_limit)}"
    return NumberNeeded(
        group=group, reference=reference, risk_difference=rd, rd_ci_lower=lo, rd_ci_upper=hi,
        rd_method=rd_method, higher_is_better=bool(higher_is_better), nnt=nnt, kind=kind,
        nnt_abs=abs(nnt), ci_lower=ci_lo, ci_upper=ci_hi, ci_excludes_zero=bool(excl),
        nntb_limit=nntb_limit, nnth_limit=nnth_limit, text=f"{head} ({ci})", level=level,
    )


def number_needed_to_treat(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                           labels=None, reference=None, rd_method: str = "newcombe",
                           level: float = 0.95, higher_is_better: bool = True,
                           missing=None) -> NumberNeeded:
    """Number needed to treat for one more benefit (NNTB) or harm (NNTH), with its interval.

    ``NNT = 1 / RD`` (RD = group minus reference). The interval inverts the RD interval
    (``rd_method``). When the RD interval includes 0 the confidence set for the NNT is two disjoint
    rays; following Altman (1998, BMJ 317:1309) it is reported as "NNTH a to infinity to NNTB b"
    and ``ci_lower``/``ci_upper`` are NaN.

    Parameters
    ----------
    higher_is_better : bool, default True
        Whether the outcome is good (remission: a higher rate in the group is a benefit) or bad
        (still depressed: a lower rate is a benefit).
    rd_method : one of :data:`RD_CI_METHODS`, default "newcombe"
    Other parameters as in :func:`risk_difference`.

    Returns
    -------
    NumberNeeded

    Examples
    --------
    Trial T2, still depressed at week 10 (a bad outcome), combination vs clomipramine alone:

    >>> r = number_needed_to_treat(events=[3, 10], totals=[37, 37], labels=["combo", "clomi"],
    ...                            reference="clomi", higher_is_better=False)
    >>> r.kind, round(r.nnt_abs, 2), r.text
    ('NNTB', 5.29, 'NNTB 5.3 (95% CI NNTB 2.8 to NNTB 75.1)')
    """
    rd_method = _check_choice("rd_method", rd_method, RD_CI_METHODS)
    level = _level(level)
    _check_bool("higher_is_better", higher_is_better)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = _two_arm(t, "number_needed_to_treat()")
    rd, lo, hi, _ = _rd(x1, n1, x2, n2, rd_method, level)
    return _nnt(t.labels[1 - t.ref], t.labels[t.ref], rd, lo, hi, rd_method, level, higher_is_better)


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------
def _chisq(x: np.ndarray, n: np.ndarray, correction: bool) -> ChiSquareTest:
    table = np.column_stack([x, n - x]).astype(float)
    k = len(x)
    df = k - 1
    col = table.sum(axis=0)
    expected = np.outer(table.sum(axis=1), col) / table.sum()
    if np.any(col == 0):
        warnings.warn(
            "every patient has the same outcome; the chi-square test is not defined (NaN).",
            StatisticalWarning, stacklevel=3,
        )
        return ChiSquareTest(math.nan, df, math.nan, "none", tuple(map(tuple, expected)), k)
    stat, p, dof, exp = stats.chi2_contingency(table, correction=correction)
    used = "yates" if (correction and dof == 1) else "none"
    return ChiSquareTest(float(stat), int(dof), float(p), used, tuple(map(tuple, exp.tolist())), k)


def chi_square_test(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                    labels=None, correction: bool = False, missing=None,
                    higher_is_better: bool = True) -> ChiSquareTest:
    """Pearson chi-square test of equal rates across k >= 2 arms.

    Parameters
    ----------
    correction : bool, default False
        Yates' continuity correction; applied to 2 x 2 tables only (as R's ``chisq.test`` and
        ``prop.test``), and never by more than the difference between observed and expected.
    Other parameters as in :func:`arm_rates`.

    Returns
    -------
    ChiSquareTest
        NaN statistic and p-value (with a :class:`StatisticalWarning`) when every patient has the
        same outcome, as R gives NA.

    Notes
    -----
    :func:`scipy.stats.chi2_contingency`; equals R's ``prop.test(x, n, correct = ...)``.

    Examples
    --------
    >>> r = chi_square_test(events=[11, 13, 11], totals=[51, 52, 53])
    >>> round(r.statistic, 6), r.df, round(r.p_value, 6)
    (0.304581, 2, 0.858739)
    """
    _check_bool("correction", correction)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               missing=missing, higher_is_better=higher_is_better)
    return _chisq(t.x, t.n, correction)


def _fisher_2xk_p(x: np.ndarray, n: np.ndarray) -> float:
    """Two-sided exact p-value of a 2 x k table (sum of the probabilities <= the observed one).

    Enumerates every table with the observed margins: the events of the first k - 1 arms on a
    grid, the last arm taking the rest. Table probabilities are multivariate hypergeometric.
    """
    from scipy.special import gammaln

    x = np.asarray(x, dtype=np.int64)
    n = np.asarray(n, dtype=np.int64)
    total_x, k = int(x.sum()), len(x)
    size = float(np.prod(n[:-1] + 1, dtype=float))
    if size > _FISHER_ENUM_LIMIT:
        raise InvalidParameterError(
            f"Fisher's exact test for {k} arms of sizes {n.tolist()} needs {size:.3g} tables, more "
            f"than {_FISHER_ENUM_LIMIT:,}; use the chi-square test."
        )

    def log_choose(nj, xj):
        return gammaln(nj + 1) - gammaln(xj + 1) - gammaln(nj - xj + 1)

    grids = np.meshgrid(*[np.arange(int(nj) + 1) for nj in n[:-1]], indexing="ij", sparse=True)
    logp = np.zeros([1] * (k - 1))
    rest = np.full([1] * (k - 1), total_x, dtype=np.int64)
    for nj, g in zip(n[:-1], grids):
        logp = logp + log_choose(float(nj), g)
        rest = rest - g
    ok = (rest >= 0) & (rest <= n[-1])
    rest = np.clip(rest, 0, n[-1])
    logp = np.where(ok, logp + log_choose(float(n[-1]), rest), -np.inf)
    norm = float(log_choose(float(n.sum()), total_x))
    probs = np.exp(logp - norm)
    p_obs = math.exp(float(np.sum(log_choose(n.astype(float), x.astype(float)))) - norm)
    return float(min(1.0, probs[probs <= p_obs * (1 + 1e-7)].sum()))


def fisher_exact_test(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                      labels=None, reference=None, level: float = 0.95, missing=None,
                      higher_is_better: bool = True) -> FisherTest:
    """Fisher's exact test of equal rates (two-sided), for 2 or more arms.

    For two arms the p-value is :func:`scipy.stats.fisher_exact`'s and the conditional MLE odds
    ratio (group vs reference) with its exact interval is computed as R's ``fisher.test``. For k
    arms the 2 x k table is enumerated (up to 5 million tables) and the p-value sums the
    probabilities of tables no more likely than the observed one (relative tolerance 1e-7, as R).

    Examples
    --------
    >>> round(fisher_exact_test(events=[11, 13, 11], totals=[51, 52, 53]).p_value, 6)
    0.886948
    """
    level = _level(level)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    if t.k == 2:
        x1, n1, x2, n2 = _two_arm(t, "fisher_exact_test()")
        p = float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue)
        est, lo, hi = _fisher_or(x1, n1, x2, n2, level)
        return FisherTest(min(1.0, p), est, lo, hi, 2, level)
    return FisherTest(_fisher_2xk_p(t.x, t.n), math.nan, math.nan, math.nan, t.k, level)


def _pair_p(x1, n1, x2, n2, test: str) -> float:
    if test == "fisher":
        return min(1.0, float(stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]]).pvalue))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return _chisq(np.array([x1, x2]), np.array([n1, n2]), test == "chisq-yates").p_value


def _adjust(p: Sequence[float], method: str) -> np.ndarray:
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p, dtype=float)
    if method == "none" or len(p) == 0:
        return p.copy()
    ok = ~np.isnan(p)
    out = np.full(len(p), np.nan)
    if ok.any():
        out[ok] = multipletests(p[ok], method=method)[1]
    return out


_ADJUST = {"holm": "holm", "bonferroni": "bonferroni", "hochberg": "simes-hochberg",
           "fdr_bh": "fdr_bh", "none": "none"}


def pairwise_rate_tests(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                        labels=None, reference=None, test: str = "chisq-yates",
                        adjust: str = "holm", all_pairs: bool = True, missing=None,
                        higher_is_better: bool = True) -> PairwiseTests:
    """Pairwise comparisons of rates with adjusted p-values (as R's ``pairwise.prop.test``).

    Parameters
    ----------
    test : {"chisq-yates", "chisq", "fisher"}, default "chisq-yates"
        Two-arm test per pair: chi-square with (R's default) or without Yates' correction, or
        Fisher's exact test.
    adjust : {"holm", "bonferroni", "hochberg", "fdr_bh", "none"}, default "holm"
        Multiplicity adjustment (:func:`statsmodels.stats.multitest.multipletests`).
    all_pairs : bool, default True
        Every pair (arm j vs arm i for i < j, in arm order) or only each arm vs ``reference``.
    Other parameters as in :func:`risk_difference`.

    Returns
    -------
    PairwiseTests
        ``summary`` columns ``group, reference, p_value, p_adjusted, test, adjust``.

    Examples
    --------
    >>> r = pairwise_rate_tests(events=[11, 13, 11], totals=[51, 52, 53], adjust="none")
    >>> r.summary[["group", "reference", "p_value"]].round(6)
      group reference   p_value
    0  arm2      arm1  0.858113
    1  arm3      arm1  1.000000
    2  arm3      arm2  0.775231
    """
    test = _check_choice("test", test, PAIRWISE_TESTS)
    _check_choice("adjust", adjust, tuple(_ADJUST))
    _check_bool("all_pairs", all_pairs)
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    pairs = _pairs(t, all_pairs)
    p = [_pair_p(int(t.x[g]), int(t.n[g]), int(t.x[r]), int(t.n[r]), test) for g, r in pairs]
    padj = _adjust(p, _ADJUST[adjust])
    table = pd.DataFrame(
        {
            "group": [t.labels[g] for g, _ in pairs],
            "reference": [t.labels[r] for _, r in pairs],
            "p_value": p,
            "p_adjusted": padj,
            "test": test,
            "adjust": adjust,
        }
    )
    return PairwiseTests(table, test, adjust)


def _pairs(t: _Table, all_pairs: bool) -> list[tuple[int, int]]:
    if all_pairs:
        return [(j, i) for i in range(t.k) for j in range(i + 1, t.k)]
    return [(g, t.ref) for g in t.others]


def _check_margin(margin, higher_is_better: bool) -> float:
    if not _is_real(margin) or not math.isfinite(float(margin)) or not 0 < abs(float(margin)) < 1:
        raise InvalidParameterError(
            f"`margin` must be a risk difference with 0 < |margin| < 1; got {margin!r}."
        )
    m = float(margin)
    if higher_is_better and m >= 0:
        raise InvalidParameterError(
            f"`margin` must be negative when higher rates are better (non-inferiority: group minus "
            f"reference > margin); got {margin!r}. For a bad outcome pass higher_is_better=False."
        )
    if not higher_is_better and m <= 0:
        raise InvalidParameterError(
            f"`margin` must be positive when lower rates are better (non-inferiority: group minus "
            f"reference < margin); got {margin!r}."
        )
    return m


def _ni(group, reference, x1, n1, x2, n2, margin, higher_is_better, method, alpha):
    mn = method == "miettinen-nurminen"
    z = _fm_z(x1, n1, x2, n2, margin, mn)
    p = float(stats.norm.sf(z)) if higher_is_better else float(stats.norm.cdf(z))
    p1t, p2t = farrington_manning_rmle(x1, n1, x2, n2, margin)
    lo, hi = _score_ci(x1, n1, x2, n2, 1 - 2 * alpha, mn)
    concl = "non-inferior" if p < alpha else "non-inferiority not shown"
    return NonInferiorityTest(
        group=group, reference=reference, margin=margin, higher_is_better=bool(higher_is_better),
        estimate=x1 / n1 - x2 / n2, statistic=z, p_value=p, alpha=alpha, conclusion=concl,
        method=method, p_group_restricted=p1t, p_reference_restricted=p2t, ci_lower=lo, ci_upper=hi,
    )


def noninferiority_test(data=None, *, margin: float, outcome="outcome", group="arm", events=None,
                        totals=None, labels=None, reference=None, higher_is_better: bool = True,
                        method: str = "farrington-manning", alpha: float = 0.025,
                        missing=None) -> NonInferiorityTest:
    """Farrington-Manning score test that ``group`` is non-inferior to ``reference``.

    Parameters
    ----------
    margin : float
        Non-inferiority margin for the risk difference group minus reference: negative when
        higher rates are better (H1: RD > margin), positive when lower rates are better (H1: RD <
        margin). A margin of the wrong sign is an error.
    higher_is_better : bool, default True
    method : {"farrington-manning", "miettinen-nurminen"}
        Miettinen-Nurminen multiplies the restricted variance by N / (N - 1).
    alpha : float in (0, 0.5), default 0.025
        One-sided level; ``conclusion`` is ``"non-inferior"`` when ``p_value < alpha``.
    Other parameters as in :func:`risk_difference`.

    Returns
    -------
    NonInferiorityTest

    Notes
    -----
    Restricted MLEs by the closed form of Farrington & Manning (1990, Stat Med 9:1447); matches
    the R reference (``lib_rates.R``) and rpact's ``getAnalysisResults(..., thetaH0 = margin,
    normalApproximation = TRUE)``.

    Examples
    --------
    Trial T5, PDT (27/117) vs CBT (27/116) with a margin of -0.10:

    >>> r = noninferiority_test(events=[27, 27], totals=[117, 116], labels=["pdt", "cbt"],
    ...                         reference="cbt", margin=-0.10)
    >>> round(r.statistic, 6), round(r.p_value, 6), r.conclusion
    (1.765369, 0.038751, 'non-inferiority not shown')
    """
    _check_bool("higher_is_better", higher_is_better)
    margin = _check_margin(margin, higher_is_better)
    method = _check_choice("method", method, NI_METHODS)
    alpha = _check_probability("alpha", alpha)
    if alpha >= 0.5:
        raise InvalidParameterError(f"`alpha` (one-sided) must be in (0, 0.5); got {alpha!r}.")
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = _two_arm(t, "noninferiority_test()")
    return _ni(t.labels[1 - t.ref], t.labels[t.ref], x1, n1, x2, n2, margin, higher_is_better,
               method, alpha)


def equivalence_test(data=None, *, margin, outcome="outcome", group="arm", events=None,
                     totals=None, labels=None, reference=None, method: str = "farrington-manning",
                     alpha: float = 0.05, missing=None,
                     higher_is_better: bool = True) -> EquivalenceTest:
    """Equivalence of two rates by two one-sided score tests (TOST) on the risk-difference scale.

    Parameters
    ----------
    margin : float > 0, or (lower, upper) with lower < 0 < upper
        Equivalence region for the risk difference group minus reference: ``(-margin, margin)``
        or the given bounds.
    alpha : float in (0, 0.5), default 0.05
        Level of each one-sided test; equivalence is shown when both reject, i.e. when
        ``p_value = max(p_lower, p_upper) < alpha``.
    method : {"farrington-manning", "miettinen-nurminen"}
    Other parameters as in :func:`risk_difference`.

    Examples
    --------
    >>> r = equivalence_test(events=[27, 27], totals=[117, 116], margin=0.15)
    >>> round(r.p_value, 4), r.conclusion
    (0.0039, 'equivalent')
    """
    method = _check_choice("method", method, NI_METHODS)
    if np.ndim(margin) == 0:
        if not _is_real(margin) or not 0 < float(margin) < 1:
            raise InvalidParameterError(f"`margin` must be in (0, 1) or a (lower, upper) pair; got {margin!r}.")
        lower, upper = -float(margin), float(margin)
    else:
        vals = list(margin)
        if len(vals) != 2 or not all(_is_real(v) for v in vals) or not -1 < vals[0] < 0 < vals[1] < 1:
            raise InvalidParameterError(
                f"`margin` as (lower, upper) needs -1 < lower < 0 < upper < 1; got {margin!r}."
            )
        lower, upper = float(vals[0]), float(vals[1])
    alpha = _check_probability("alpha", alpha)
    if alpha >= 0.5:
        raise InvalidParameterError(f"`alpha` must be in (0, 0.5); got {alpha!r}.")
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = _two_arm(t, "equivalence_test()")
    mn = method == "miettinen-nurminen"
    z_lo = _fm_z(x1, n1, x2, n2, lower, mn)
    z_hi = _fm_z(x1, n1, x2, n2, upper, mn)
    p_lo, p_hi = float(stats.norm.sf(z_lo)), float(stats.norm.cdf(z_hi))
    p = max(p_lo, p_hi)
    lo, hi = _score_ci(x1, n1, x2, n2, 1 - 2 * alpha, mn)
    return EquivalenceTest(
        group=t.labels[1 - t.ref], reference=t.labels[t.ref], lower=lower, upper=upper,
        estimate=x1 / n1 - x2 / n2, statistic_lower=z_lo, p_lower=p_lo, statistic_upper=z_hi,
        p_upper=p_hi, p_value=p, alpha=alpha,
        conclusion="equivalent" if p < alpha else "equivalence not shown", method=method,
        ci_lower=lo, ci_upper=hi,
    )


# --------------------------------------------------------------------------------------------
# adjusted analysis
# --------------------------------------------------------------------------------------------
def logistic_regression(data, *, outcome="outcome", group="arm", covariates: Sequence[str] = (),
                        reference=None, level: float = 0.95, missing=None,
                        higher_is_better: bool = True) -> LogisticRegressionResult:
    """Logistic regression of the outcome on group, adjusted for baseline covariates.

    Parameters
    ----------
    data : pandas.DataFrame
    outcome, group : str
    covariates : sequence of str
        Baseline covariates; numeric columns enter linearly, other columns as indicator
        variables (first level as reference).
    reference : str, optional
        Reference group (default: the first in sorted order).
    level : float in (0, 1), default 0.95
    missing : {None, "nri", "complete_case"}
        Missing outcomes, as in :func:`arm_rates`. Missing covariates are an error.

    Returns
    -------
    LogisticRegressionResult
        Wald intervals ``exp(b +/- z se)`` for the odds ratios.

    Notes
    -----
    Fitted by :class:`statsmodels.api.Logit` (Newton). Without covariates the group odds ratio
    and its interval are exactly Woolf's. Complete separation raises :class:`ConvergenceError`.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["a"] * 25 + ["b"] * 26,
    ...                    "outcome": [1] * 14 + [0] * 11 + [1] * 18 + [0] * 8})
    >>> r = logistic_regression(df, reference="b")
    >>> round(float(r.group_effects["odds_ratio"].iloc[0]), 4)
    0.5657
    """
    import statsmodels.api as sm

    df = _check_dataframe(data)
    level = _level(level)
    if isinstance(covariates, str):
        covariates = (covariates,)
    covariates = tuple(covariates)
    for c in (outcome, group, *covariates):
        if c not in df.columns:
            raise DataValidationError(
                f"column {c!r} is missing; the data has columns {list(map(str, df.columns))}."
            )
    t = _table(df, outcome=outcome, group=group, reference=reference, missing=missing,
               higher_is_better=higher_is_better)
    y_raw = df[outcome]
    na = y_raw.isna().to_numpy()
    keep = ~na if missing == "complete_case" else np.ones(len(df), dtype=bool)
    y = np.zeros(len(df), dtype=float)
    if (~na).any():
        y[~na] = _binary_values(y_raw[~na], outcome)
    y[na] = 0.0 if higher_is_better else 1.0
    sub = df.loc[keep]
    y = y[keep]
    grp = sub[group].map(_label)
    ref = t.labels[t.ref]
    X = pd.DataFrame({"const": 1.0}, index=sub.index)
    group_terms = []
    for g in t.labels:
        if g != ref:
            name = f"{group}[{g}]"
            X[name] = (grp == g).astype(float)
            group_terms.append((name, g))
    for c in covariates:
        col = sub[c]
        if col.isna().any():
            raise DataValidationError(f"covariate column {c!r} has missing values.")
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            X[c] = col.astype(float)
        else:
            levels = sorted(col.map(_label).unique())
            for lev in levels[1:]:
                X[f"{c}[{lev}]"] = (col.map(_label) == lev).astype(float)
    from statsmodels.tools.sm_exceptions import PerfectSeparationError, PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            fit = sm.Logit(y, X).fit(disp=0, method="newton", maxiter=100)
        except (PerfectSeparationError, PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
            raise ConvergenceError(
                f"logistic regression could not be fitted ({exc}); a group or covariate level has "
                "only one outcome (separation). Use odds_ratio(method='fisher') or fewer covariates."
            ) from None
    converged = bool(fit.mle_retvals.get("converged", True))
    z = _z(level)
    b, se = fit.params, fit.bse
    table = pd.DataFrame(
        {
            "term": list(X.columns),
            "estimate": b.to_numpy(),
            "se": se.to_numpy(),
            "statistic": fit.tvalues.to_numpy(),
            "p_value": fit.pvalues.to_numpy(),
            "odds_ratio": np.exp(b.to_numpy()),
            "ci_lower": np.exp(b.to_numpy() - z * se.to_numpy()),
            "ci_upper": np.exp(b.to_numpy() + z * se.to_numpy()),
        }
    )
    ge = table.set_index("term").loc[[n for n, _ in group_terms]].reset_index()
    ge.insert(0, "group", [g for _, g in group_terms])
    ge.insert(1, "reference", ref)
    return LogisticRegressionResult(table, ge, ref, covariates, int(len(y)), level, converged)


# --------------------------------------------------------------------------------------------
# everything at once
# --------------------------------------------------------------------------------------------
def compare_rates(data=None, *, outcome="outcome", group="arm", events=None, totals=None,
                  labels=None, reference=None, rate_ci: str = "wilson", rd_ci: str = "newcombe",
                  rr_ci: str = "log", or_ci: str = "woolf", level: float = 0.95,
                  margin: float | None = None, higher_is_better: bool = True,
                  ni_method: str = "farrington-manning", ni_alpha: float = 0.025,
                  holm_test: str = "chisq-yates", all_pairs: bool = False,
                  covariates: Sequence[str] = (), zero_correction: str = "haldane",
                  missing=None) -> RatesAnalysis:
    """Rates per arm and every comparison with the reference arm, in one call.

    Parameters
    ----------
    data, outcome, group, events, totals, labels, missing
        As in :func:`arm_rates`; two or more arms.
    reference : str, optional
        Reference arm (default: the first). Differences are group minus reference.
    rate_ci, rd_ci, rr_ci, or_ci : str
        Interval methods: one of :data:`RATE_CI_METHODS` (default Wilson),
        :data:`RD_CI_METHODS` (Newcombe), :data:`RR_CI_METHODS` (log), :data:`OR_CI_METHODS`
        (Woolf).
    level : float in (0, 1), default 0.95
    margin : float, optional
        Non-inferiority margin on the RD scale (negative when ``higher_is_better``); adds a
        Farrington-Manning test per comparison.
    higher_is_better : bool, default True
        Outcome direction (NNTB vs NNTH; sign of the margin; NRI imputation).
    ni_method : {"farrington-manning", "miettinen-nurminen"}
    ni_alpha : float, default 0.025
        One-sided level of the non-inferiority test.
    holm_test : {"chisq-yates", "chisq", "fisher"}, default "chisq-yates"
        Which p-values the Holm adjustment (``p_holm``) is applied to. The family is every pair of
        arms, as R's ``pairwise.prop.test``, also when only the comparisons with the reference are
        listed (with two arms ``p_holm`` is the unadjusted p-value).
    all_pairs : bool, default False
        List every pair of arms instead of each arm against the reference.
    covariates : sequence of str
        With ``data``, also fit :func:`logistic_regression` adjusted for these (adds columns
        ``adjusted_or, adjusted_or_ci_lower, adjusted_or_ci_upper, adjusted_p``).
    zero_correction : {"haldane", "none"}

    Returns
    -------
    RatesAnalysis
        ``comparisons`` has the columns listed there; ``to_json_dict()`` gives the command line's
        JSON object.

    Examples
    --------
    >>> r = compare_rates(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"])
    >>> row = r.comparisons.iloc[0]
    >>> row["group"], row["reference"], round(float(row["risk_difference"]), 4)
    ('pdt', 'fluoxetine', -0.1323)
    >>> round(float(row["p_fisher"]), 4)
    0.3929
    """
    rate_ci = _check_choice("rate_ci", rate_ci, RATE_CI_METHODS)
    rd_ci = _check_choice("rd_ci", rd_ci, RD_CI_METHODS)
    rr_ci = _check_choice("rr_ci", rr_ci, RR_CI_METHODS)
    or_ci = _check_choice("or_ci", or_ci, OR_CI_METHODS)
    holm_test = _check_choice("holm_test", holm_test, PAIRWISE_TESTS)
    ni_method = _check_choice("ni_method", ni_method, NI_METHODS)
    _check_choice("zero_correction", zero_correction, ("haldane", "none"))
    _check_bool("higher_is_better", higher_is_better)
    _check_bool("all_pairs", all_pairs)
    level = _level(level)
    if margin is not None:
        margin = _check_margin(margin, higher_is_better)
        ni_alpha = _check_probability("ni_alpha", ni_alpha)
    if covariates and data is None:
        raise InvalidParameterError("`covariates` need patient-level `data`, not counts.")
    t = _table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
               reference=reference, missing=missing, higher_is_better=higher_is_better)
    arms = arm_rates(events=t.x, totals=t.n, labels=t.labels, method=rate_ci, level=level)
    rows, nis = [], []
    for g, r in _pairs(t, all_pairs):
        x1, n1, x2, n2 = int(t.x[g]), int(t.n[g]), int(t.x[r]), int(t.n[r])
        rd, rd_lo, rd_hi, rd_se = _rd(x1, n1, x2, n2, rd_ci, level)
        rr, rr_lo, rr_hi, _, rr_corr = _rr(x1, n1, x2, n2, level, zero_correction)
        if or_ci == "woolf":
            orr, or_lo, or_hi, _, or_corr = _or_woolf(x1, n1, x2, n2, level, zero_correction)
        else:
            (orr, or_lo, or_hi), or_corr = _fisher_or(x1, n1, x2, n2, level), "none (exact)"
        nnt = _nnt(t.labels[g], t.labels[r], rd, rd_lo, rd_hi, rd_ci, level, higher_is_better)
        row = {
            "group": t.labels[g],
            "reference": t.labels[r],
            "risk_difference": rd,
            "rd_ci_lower": rd_lo,
            "rd_ci_upper": rd_hi,
            "relative_risk": rr,
            "rr_ci_lower": rr_lo,
            "rr_ci_upper": rr_hi,
            "odds_ratio": orr,
            "or_ci_lower": or_lo,
            "or_ci_upper": or_hi,
            "nnt": nnt.nnt,
            "p_chisq": _pair_p(x1, n1, x2, n2, "chisq"),
            "p_chisq_yates": _pair_p(x1, n1, x2, n2, "chisq-yates"),
            "p_fisher": _pair_p(x1, n1, x2, n2, "fisher"),
            "p_holm": math.nan,
            "nnt_kind": nnt.kind,
            "nnt_ci_lower": nnt.ci_lower,
            "nnt_ci_upper": nnt.ci_upper,
            "nnt_text": nnt.text,
            "rd_method": rd_ci,
            "rr_method": rr_ci,
            "or_method": or_ci,
            "rr_correction": rr_corr,
            "or_correction": or_corr,
            "holm_test": holm_test,
        }
        if margin is not None:
            ni = _ni(t.labels[g], t.labels[r], x1, n1, x2, n2, margin, higher_is_better, ni_method,
                     ni_alpha)
            nis.append(ni)
            row.update(ni_statistic=ni.statistic, ni_p_value=ni.p_value, ni_conclusion=ni.conclusion)
        rows.append(row)
    comp = pd.DataFrame(rows)
    # Holm over every pair of arms, as R's pairwise.prop.test, whichever comparisons are listed
    family = _pairs(t, True)
    adjusted = _adjust([_pair_p(int(t.x[g]), int(t.n[g]), int(t.x[r]), int(t.n[r]), holm_test)
                        for g, r in family], "holm")
    holm = {frozenset(pair): p for pair, p in zip(family, adjusted)}
    comp["p_holm"] = [holm[frozenset(pair)] for pair in _pairs(t, all_pairs)]
    logistic = None
    if covariates:
        logistic = logistic_regression(data, outcome=outcome, group=group, covariates=covariates,
                                       reference=t.labels[t.ref], level=level, missing=missing,
                                       higher_is_better=higher_is_better)
        ge = logistic.group_effects.set_index("group")
        for col, src in (("adjusted_or", "odds_ratio"), ("adjusted_or_ci_lower", "ci_lower"),
                         ("adjusted_or_ci_upper", "ci_upper"), ("adjusted_p", "p_value")):
            comp[col] = [
                float(ge.loc[g, src]) if r == t.labels[t.ref] and g in ge.index else math.nan
                for g, r in zip(comp["group"], comp["reference"])
            ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        overall = _chisq(t.x, t.n, False)
    fisher = (
        fisher_exact_test(events=t.x, totals=t.n, labels=t.labels, reference=t.labels[t.ref],
                          level=level)
        if int(np.prod(t.n[:-1] + 1, dtype=float)) <= _FISHER_ENUM_LIMIT
        else FisherTest(math.nan, math.nan, math.nan, math.nan, t.k, level)
    )
    settings = {
        "reference": t.labels[t.ref], "rate_ci": rate_ci, "rd_ci": rd_ci, "rr_ci": rr_ci,
        "or_ci": or_ci, "level": level, "margin": margin, "higher_is_better": higher_is_better,
        "ni_method": ni_method if margin is not None else None, "holm_test": holm_test,
        "all_pairs": all_pairs, "missing": missing, "n_missing": list(t.n_missing),
        "covariates": list(covariates),
    }
    return RatesAnalysis(arms, comp, overall, fisher, tuple(nis), logistic, settings)


def rates_sensitivity(data, *, outcome="outcome", group="arm", **kwargs) -> RatesSensitivity:
    """:func:`compare_rates` under non-responder imputation and under complete cases.

    The sensitivity analysis of ``BinaryDesign(missing="both")``: the same comparisons with missing
    outcomes counted as failures and with them left out. Keyword arguments go to
    :func:`compare_rates` (except ``missing``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4,
    ...                    "outcome": [1, 1, np.nan, 0, 1, 0, 0, np.nan]})
    >>> s = rates_sensitivity(df)
    >>> s.summary[["missing", "risk_difference"]].round(4)
             missing  risk_difference
    0            nri          -0.2500
    1  complete_case          -0.3333
    """
    if "missing" in kwargs:
        raise InvalidParameterError("rates_sensitivity() runs both missing-data analyses; drop `missing`.")
    nri = compare_rates(data, outcome=outcome, group=group, missing="nri", **kwargs)
    cc = compare_rates(data, outcome=outcome, group=group, missing="complete_case", **kwargs)
    return RatesSensitivity(nri, cc, tuple(nri.settings["n_missing"]))


# --------------------------------------------------------------------------------------------
# vectorised p-values for simulated replicates
# --------------------------------------------------------------------------------------------
def two_proportion_pvalues(x1, n1, x2, n2, *, test: str = "chisq", margin: float | None = None,
                           higher_is_better: bool = True) -> np.ndarray:
    """P-values of many two-arm comparisons at once (arrays broadcast together).

    Parameters
    ----------
    x1, n1, x2, n2 : array_like of int
        Events and patients of the group (1) and the reference (2).
    test : {"chisq", "chisq-yates", "farrington-manning"}
        Pearson chi-square (= two-sided pooled z-test), with Yates' correction, or the one-sided
        Farrington-Manning non-inferiority test (needs ``margin``).
    margin, higher_is_better
        For ``"farrington-manning"``, as in :func:`noninferiority_test`.

    Returns
    -------
    numpy.ndarray of float
        P-values; 1 where every patient has the same outcome (no evidence of a difference).

    Examples
    --------
    >>> two_proportion_pvalues([3, 10], 37, [10, 10], 37).round(6)
    array([0.032489, 1.      ])
    """
    _check_choice("test", test, ("chisq", "chisq-yates", "farrington-manning"))
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    if test == "farrington-manning":
        if margin is None:
            raise InvalidParameterError("`margin` is needed for the Farrington-Manning test.")
        m = _check_margin(margin, higher_is_better)
        diff, var = _difference_variance(x1, n1, x2, n2, m)
        diff = diff - m
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, diff / np.sqrt(var), np.sign(diff) * np.inf)
        return stats.norm.sf(z) if higher_is_better else stats.norm.cdf(z)
    diff, var = _difference_variance(x1, n1, x2, n2)
    if test == "chisq-yates":
        yates = np.minimum(0.5, np.abs(diff) / (1 / n1 + 1 / n2))
        num = np.maximum(np.abs(diff) - yates * (1 / n1 + 1 / n2), 0.0)
    else:
        num = np.abs(diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(var > 0, num**2 / var, 0.0)
    return stats.chi2.sf(stat, 1)
