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

* :func:`t_test` - ``t.test`` (Welch by default, Student with ``equal_var=True``), on the outcome
  or, with ``baseline=``, on the change from baseline; computed by :func:`scipy.stats.ttest_ind`.
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
simulated replicates at once (no loop over replicates) for simulation power; they live in
:mod:`workbench.kernels.replicates` and are importable from here too.

The package is split by concern: :mod:`~workbench.analysis.continuous.results` (result classes),
:mod:`~workbench.analysis.continuous.endpoint` (t-test, ANCOVA, Hedges' g, LOCF),
:mod:`~workbench.analysis.continuous.repeated` (the MMRM, on the REML engine of
:mod:`workbench.kernels.reml`) and :mod:`~workbench.analysis.continuous.analyze`.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"arm": ["a"] * 5 + ["b"] * 5,
...                    "baseline": [20, 24, 22, 25, 19, 21, 23, 26, 20, 22],
...                    "hamd": [12, 15, 14, 18, 10, 9, 10, 14, 7, 8]})
>>> r = t_test(df, outcome="hamd", group="arm")
>>> round(r.estimate, 3), round(r.statistic, 4)
(-4.2, -2.312)
>>> round(ancova(df, outcome="hamd", group="arm", baseline="baseline").estimate, 4)
-4.6559
"""

from __future__ import annotations

from ...kernels.replicates import ancova_arrays, mmrm_arrays, ttest_arrays
from .analyze import analyze_continuous
from .endpoint import ancova, ancova_locf, endpoint_rows, hedges_g, locf, t_test
from .repeated import mmrm
from .results import AncovaResult, ContinuousAnalysis, HedgesGResult, MMRMResult, TTestResult

__all__ = [
    "TTestResult",
    "AncovaResult",
    "HedgesGResult",
    "MMRMResult",
    "ContinuousAnalysis",
    "t_test",
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
