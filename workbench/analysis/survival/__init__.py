"""Time-to-event analysis: Kaplan-Meier, medians, log-rank, Cox PH, RMST and cumulative incidence.

Every function takes a DataFrame first and names its columns with keyword-only ``time=``,
``event=``, ``group=`` (and ``strata=`` where it applies). Group values are compared as the
strings a user would type in a CSV (``1.0`` -> ``"1"``); the reference level of a comparison is the
first in sorted order of those strings unless ``reference=`` says otherwise.

The numbers reproduce R's survival package (checked against survival 3.5-3 in
``tests/reference/logrank_cox.json``):

* :func:`kaplan_meier` - ``survfit`` with Greenwood standard errors, ``conf.type`` "log-log",
  "log" or "plain", and ``summary(fit, times, extend=TRUE)`` at chosen times.
* :func:`median_survival` - the median and its interval from ``summary(fit)$table``.
* :func:`logrank_test` - ``survdiff`` (k groups, strata, ``rho`` for the Fleming-Harrington
  G-rho family; ``rho=1`` is Peto & Peto).
* :func:`cox_ph` - ``coxph`` with one indicator per non-reference group, fitted by the
  Newton-Raphson iteration of survival's ``coxfit6`` (Efron or Breslow ties; exact ties via the
  discrete partial likelihood of ``coxexact``), including its convergence rule and the warning for a
  coefficient that may be infinite.
* :func:`rmst` - restricted mean survival time and its standard error as
  ``summary(fit, rmean=tau)``, with between-group differences.
* :func:`cumulative_incidence` - ``1 - S(t)`` at a horizon with the interval from the KM interval.
* :func:`analyze_survival` - all of the above in one call (used by ``workbench survival``).
* Non-proportional hazards (:mod:`~workbench.analysis.survival.nph`):
  :func:`fleming_harrington_test`, :func:`magirr_burman_test`, :func:`maxcombo_test`,
  :func:`rmst_difference_test`, :func:`milestone_test` (R definitions in
  ``tests/reference/r/nph_tests.R``).

The package is split by concern: :mod:`~workbench.analysis.survival.curves` (Kaplan-Meier, medians,
RMST, cumulative incidence), :mod:`~workbench.analysis.survival.logrank`,
:mod:`~workbench.analysis.survival.cox` and :mod:`~workbench.analysis.survival.analyze`; every
public name is importable from :mod:`workbench.analysis.survival`.

Examples
--------
>>> import pandas as pd
>>> from workbench.analysis.survival import logrank_test, cox_ph
>>> df = pd.DataFrame({
...     "time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
...     "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
...     "arm": ["a"] * 6 + ["b"] * 6})
>>> round(logrank_test(df, time="time", event="event", group="arm").statistic, 4)
2.8019
>>> round(float(cox_ph(df, time="time", event="event", group="arm").hazard_ratio[0]), 4)
0.1851
"""

from __future__ import annotations

from ._data import CONF_TYPES, DEFAULT_TIMES, POOLED, TIES
from .analyze import SurvivalAnalysis, analyze_survival, default_tau, default_times
from .cox import CoxPHResult, cox_ph
from .curves import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    MedianSurvivalResult,
    RMSTResult,
    cumulative_incidence,
    kaplan_meier,
    median_survival,
    rmst,
)
from .logrank import LogRankResult, logrank_test
from .nph import (
    MaxComboResult,
    SurvivalDifferenceResult,
    WeightedLogRankResult,
    fleming_harrington_test,
    magirr_burman_test,
    maxcombo_test,
    milestone_test,
    rmst_difference_test,
)

__all__ = [
    "CONF_TYPES",
    "TIES",
    "DEFAULT_TIMES",
    "POOLED",
    "KaplanMeierResult",
    "MedianSurvivalResult",
    "LogRankResult",
    "CoxPHResult",
    "RMSTResult",
    "CumulativeIncidenceResult",
    "SurvivalAnalysis",
    "kaplan_meier",
    "median_survival",
    "logrank_test",
    "cox_ph",
    "rmst",
    "cumulative_incidence",
    "analyze_survival",
    "default_times",
    "default_tau",
    "WeightedLogRankResult",
    "MaxComboResult",
    "SurvivalDifferenceResult",
    "fleming_harrington_test",
    "magirr_burman_test",
    "maxcombo_test",
    "rmst_difference_test",
    "milestone_test",
]
