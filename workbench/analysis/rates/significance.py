"""Tests of rates, and vectorised p-values for simulated replicates.

Chi-square, Fisher's exact, pairwise with adjustment, non-inferiority and equivalence
(Farrington-Manning score tests).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..._validation import check_bool, check_choice, check_probability, is_real
from ...exceptions import InvalidParameterError, StatisticalWarning
from ...kernels.score import (
    difference_variance,
    farrington_manning_rmle,
    score_interval,
    score_statistic,
)
from .._common import check_conf_level
from ._counts import (
    FISHER_ENUM_LIMIT,
    NI_METHODS,
    PAIRWISE_TESTS,
    arm_pairs,
    check_margin,
    count_table,
    two_arm_counts,
)
from .effects import fisher_odds_ratio
from .results import (
    ChiSquareTest,
    EquivalenceTest,
    FisherTest,
    NonInferiorityTest,
    PairwiseTests,
)

__all__ = [
    "chi_square_test",
    "fisher_exact_test",
    "pairwise_rate_tests",
    "noninferiority_test",
    "equivalence_test",
    "two_proportion_pvalues",
    "chisq_result",
    "pair_p_value",
    "adjust_p_values",
    "noninferiority_result",
]


def chisq_result(x: np.ndarray, n: np.ndarray, correction: bool) -> ChiSquareTest:
    """Pearson chi-square of the 2 x k table of events ``x`` among ``n`` per arm."""
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
    check_bool("correction", correction)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    missing=missing, higher_is_better=higher_is_better)
    return chisq_result(t.x, t.n, correction)


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
    if size > FISHER_ENUM_LIMIT:
        raise InvalidParameterError(
            f"Fisher's exact test for {k} arms of sizes {n.tolist()} needs {size:.3g} tables, more "
            f"than {FISHER_ENUM_LIMIT:,}; use the chi-square test."
        )

    def log_choose(nj, xj):
        return gammaln(nj + 1) - gammaln(xj + 1) - gammaln(nj - xj + 1)

    grids = np.meshgrid(*[np.arange(int(nj) + 1) for nj in n[:-1]], indexing="ij", sparse=True)
    logp = np.zeros([1] * (k - 1))
    rest = np.full([1] * (k - 1), total_x, dtype=np.int64)
    for nj, g in zip(n[:-1], grids, strict=True):
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
                      labels=None, reference=None, conf_level: float = 0.95, missing=None,
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
    conf_level = check_conf_level(conf_level)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    if t.k == 2:
        x1, n1, x2, n2 = two_arm_counts(t, "fisher_exact_test()")
        # scipy-stubs ask for an array; fisher_exact takes any 2 x 2 array-like
        table = [[x1, n1 - x1], [x2, n2 - x2]]
        p = float(stats.fisher_exact(table).pvalue)  # type: ignore[arg-type]
        est, lo, hi = fisher_odds_ratio(x1, n1, x2, n2, conf_level)
        return FisherTest(min(1.0, p), est, lo, hi, 2, conf_level)
    return FisherTest(_fisher_2xk_p(t.x, t.n), math.nan, math.nan, math.nan, t.k, conf_level)


def pair_p_value(x1, n1, x2, n2, test: str) -> float:
    """Two-sided p-value of one pair of arms by ``test`` (one of :data:`PAIRWISE_TESTS`)."""
    if test == "fisher":
        table = [[x1, n1 - x1], [x2, n2 - x2]]  # an array-like, as fisher_exact takes
        return min(1.0, float(stats.fisher_exact(table).pvalue))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        return chisq_result(np.array([x1, x2]), np.array([n1, n2]), test == "chisq-yates").p_value


def adjust_p_values(p: Sequence[float], method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values (statsmodels ``multipletests`` names); NaN stays NaN."""
    from statsmodels.stats.multitest import multipletests

    arr = np.asarray(p, dtype=float)
    if method == "none" or len(arr) == 0:
        return arr.copy()
    ok = ~np.isnan(arr)
    out = np.full(len(arr), np.nan)
    if ok.any():
        out[ok] = multipletests(arr[ok], method=method)[1]
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
    test = check_choice("test", test, PAIRWISE_TESTS)
    check_choice("adjust", adjust, tuple(_ADJUST))
    check_bool("all_pairs", all_pairs)
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    pairs = arm_pairs(t, all_pairs)
    p = [pair_p_value(int(t.x[g]), int(t.n[g]), int(t.x[r]), int(t.n[r]), test) for g, r in pairs]
    padj = adjust_p_values(p, _ADJUST[adjust])
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


def noninferiority_result(group, reference, x1, n1, x2, n2, margin, higher_is_better, method,
                          alpha) -> NonInferiorityTest:
    """The non-inferiority score test of group (1) against reference (2) from counts."""
    mn = method == "miettinen-nurminen"
    z = score_statistic(x1, n1, x2, n2, margin, mn)
    p = float(stats.norm.sf(z)) if higher_is_better else float(stats.norm.cdf(z))
    p1t, p2t = farrington_manning_rmle(x1 / n1, x2 / n2, margin, n1 / n2)
    lo, hi = score_interval(x1, n1, x2, n2, 1 - 2 * alpha, mn)
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
    check_bool("higher_is_better", higher_is_better)
    margin = check_margin(margin, higher_is_better)
    method = check_choice("method", method, NI_METHODS)
    alpha = check_probability("alpha", alpha)
    if alpha >= 0.5:
        raise InvalidParameterError(f"`alpha` (one-sided) must be in (0, 0.5); got {alpha!r}.")
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = two_arm_counts(t, "noninferiority_test()")
    return noninferiority_result(t.labels[1 - t.ref], t.labels[t.ref], x1, n1, x2, n2, margin,
                                 higher_is_better, method, alpha)


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
    method = check_choice("method", method, NI_METHODS)
    if np.ndim(margin) == 0:
        if not is_real(margin) or not 0 < float(margin) < 1:
            raise InvalidParameterError(
                f"`margin` must be in (0, 1) or a (lower, upper) pair; got {margin!r}.")
        lower, upper = -float(margin), float(margin)
    else:
        vals = list(margin)
        if (len(vals) != 2 or not all(is_real(v) for v in vals)
                or not -1 < vals[0] < 0 < vals[1] < 1):
            raise InvalidParameterError(
                f"`margin` as (lower, upper) needs -1 < lower < 0 < upper < 1; got {margin!r}."
            )
        lower, upper = float(vals[0]), float(vals[1])
    alpha = check_probability("alpha", alpha)
    if alpha >= 0.5:
        raise InvalidParameterError(f"`alpha` must be in (0, 0.5); got {alpha!r}.")
    t = count_table(data, outcome=outcome, group=group, events=events, totals=totals, labels=labels,
                    reference=reference, missing=missing, higher_is_better=higher_is_better)
    x1, n1, x2, n2 = two_arm_counts(t, "equivalence_test()")
    mn = method == "miettinen-nurminen"
    z_lo = score_statistic(x1, n1, x2, n2, lower, mn)
    z_hi = score_statistic(x1, n1, x2, n2, upper, mn)
    p_lo, p_hi = float(stats.norm.sf(z_lo)), float(stats.norm.cdf(z_hi))
    p = max(p_lo, p_hi)
    lo, hi = score_interval(x1, n1, x2, n2, 1 - 2 * alpha, mn)
    return EquivalenceTest(
        group=t.labels[1 - t.ref], reference=t.labels[t.ref], lower=lower, upper=upper,
        estimate=x1 / n1 - x2 / n2, statistic_lower=z_lo, p_lower=p_lo, statistic_upper=z_hi,
        p_upper=p_hi, p_value=p, alpha=alpha,
        conclusion="equivalent" if p < alpha else "equivalence not shown", method=method,
        ci_lower=lo, ci_upper=hi,
    )


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
    check_choice("test", test, ("chisq", "chisq-yates", "farrington-manning"))
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    x1, n1, x2, n2 = np.broadcast_arrays(x1, n1, x2, n2)
    if test == "farrington-manning":
        if margin is None:
            raise InvalidParameterError("`margin` is needed for the Farrington-Manning test.")
        m = check_margin(margin, higher_is_better)
        diff, var = difference_variance(x1, n1, x2, n2, m)
        diff = diff - m
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(var > 0, diff / np.sqrt(var), np.sign(diff) * np.inf)
        return stats.norm.sf(z) if higher_is_better else stats.norm.cdf(z)
    diff, var = difference_variance(x1, n1, x2, n2)
    if test == "chisq-yates":
        yates = np.minimum(0.5, np.abs(diff) / (1 / n1 + 1 / n2))
        num = np.maximum(np.abs(diff) - yates * (1 / n1 + 1 / n2), 0.0)
    else:
        num = np.abs(diff)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(var > 0, num**2 / var, 0.0)
    return stats.chi2.sf(stat, 1)
