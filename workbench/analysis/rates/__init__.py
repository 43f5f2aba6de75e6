"""Remission and response rates: per-arm intervals, two-arm effects and tests, k-arm comparisons.

Every public function takes either a DataFrame (``data`` with an ``outcome`` column of 0/1 or
true/false values and a ``group`` column) or counts (``events`` and ``totals``, one per arm, with
optional ``labels``). Differences are *group minus reference*; the reference is the first arm (the
first group in sorted order for a DataFrame, numeric order when every group is a number, the first
count otherwise) unless ``reference`` names another.

========================================  ==========================================================
function                                  what it computes
========================================  ==========================================================
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
:func:`farrington_manning_rmle`           restricted estimates of two proportions under a margin
========================================  ==========================================================

Zero cells are legal. Rates, Newcombe and score intervals and the exact methods need no correction;
for the relative risk and the Woolf odds ratio 0.5 is added to all four cells of a table with a zero
cell (Haldane-Anscombe, as metafor's ``escalc``), and the result's ``correction`` field says so.

The package is split by concern: :mod:`~workbench.analysis.rates.results` (result classes),
:mod:`~workbench.analysis.rates.effects` (rates and two-arm effects),
:mod:`~workbench.analysis.rates.significance` (tests), :mod:`~workbench.kernels.score`
(the Farrington-Manning score machinery, also used by the replicate tests and by power),
:mod:`~workbench.analysis.rates.regression` and :mod:`~workbench.analysis.rates.compare`; every
public name is importable from :mod:`workbench.analysis.rates`.

Checked against R 4.2.2 (``tests/reference/rates_analysis.json``): ``prop.test``, ``binom.test``,
``fisher.test``, ``chisq.test``, ``pairwise.prop.test`` and the hand formulas of
``reference/r/lib_rates.R`` (Newcombe, RR, Woolf OR, NNT, Farrington-Manning), to 1e-6 relative.
"""

from __future__ import annotations

from ...kernels.score import farrington_manning_rmle
from ._counts import (
    MISSING,
    NI_METHODS,
    OR_CI_METHODS,
    PAIRWISE_TESTS,
    RATE_CI_METHODS,
    RD_CI_METHODS,
    RR_CI_METHODS,
)
from .compare import compare_rates, rates_sensitivity
from .effects import arm_rates, number_needed_to_treat, odds_ratio, relative_risk, risk_difference
from .regression import logistic_regression
from .results import (
    ArmRates,
    ChiSquareTest,
    EffectEstimate,
    EquivalenceTest,
    FisherTest,
    LogisticRegressionResult,
    NonInferiorityTest,
    NumberNeeded,
    PairwiseTests,
    RatesAnalysis,
    RatesSensitivity,
)
from .significance import (
    chi_square_test,
    equivalence_test,
    fisher_exact_test,
    noninferiority_test,
    pairwise_rate_tests,
    two_proportion_pvalues,
)

__all__ = [
    "RATE_CI_METHODS",
    "RD_CI_METHODS",
    "RR_CI_METHODS",
    "OR_CI_METHODS",
    "PAIRWISE_TESTS",
    "NI_METHODS",
    "MISSING",
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
