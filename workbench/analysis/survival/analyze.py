"""Everything at once: :func:`analyze_survival` (used by ``workbench survival``).

With the default reporting times and RMST horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..._validation import check_choice, check_positive
from ...exceptions import DataValidationError
from ...results import Result, jsonable
from ._data import (
    DEFAULT_TIMES,
    TIES,
    check_conf,
    check_reference,
    check_times,
    prepare_data,
    prepared_frame,
)
from .cox import CoxPHResult, cox_ph
from .curves import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    MedianSurvivalResult,
    RMSTResult,
    incidence_from_curves,
    km_curves,
    km_from_curves,
    median_from_curves,
    rmst_from_curves,
)
from .logrank import LogRankResult, logrank_test

__all__ = ["SurvivalAnalysis", "analyze_survival", "default_times", "default_tau"]


# ============================================================================================
# everything at once
# ============================================================================================
def default_times(max_time: float) -> list[float]:
    """Reporting times when none are given.

    The months 6, 12, 24, 36 and 48 that are not after the last follow-up time; if none is
    (follow-up shorter than 6), the quarters of the follow-up: ``max_time * (1/4, 1/2, 3/4, 1)``.

    >>> default_times(30)
    [6.0, 12.0, 24.0]
    >>> default_times(2)
    [0.5, 1.0, 1.5, 2.0]
    """
    out = [t for t in DEFAULT_TIMES if t <= max_time]
    if not out:
        out = [float(max_time) * q for q in (0.25, 0.5, 0.75, 1.0)]
        out = sorted({t for t in out if t > 0}) or [float(max_time)]
    return out


def default_tau(data: pd.DataFrame, *, time: str, event: str, group: str | None = None) -> float:
    """Default RMST horizon: the largest follow-up time in the data, over all groups.

    This is R survival's default (``rmean = "common"`` in ``print.survfit`` and
    ``summary.survfit``): one upper limit for every curve, a curve that ends earlier being
    extended flat to it (with a :class:`~workbench.exceptions.StatisticalWarning`). Give ``tau``
    explicitly for a pre-specified horizon.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"t": [5, 9, 4, 7], "e": [1, 0, 1, 1], "g": ["a", "a", "b", "b"]})
    >>> default_tau(df, time="t", event="e", group="g")
    9.0
    """
    prep = prepare_data(data, time=time, event=event, group=group)
    return float(prep.time.max())


@dataclass(frozen=True)
class SurvivalAnalysis(Result):
    """Everything :func:`analyze_survival` computes, with :meth:`to_json` for the command line."""

    km: KaplanMeierResult
    median: MedianSurvivalResult
    logrank: LogRankResult
    cox: CoxPHResult
    rmst: RMSTResult
    cumulative_incidence: CumulativeIncidenceResult
    times: tuple
    tau: float
    conf_type: str
    settings: dict
    _title = "Survival analysis"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per comparison: log-rank and the Cox hazard ratios."""
        rows = [{"comparison": "all groups", "method": self.logrank.method,
                 "estimate": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                 "statistic": self.logrank.statistic, "p_value": self.logrank.p_value}]
        for r in self.cox.coefficients.itertuples():
            rows.append({"comparison": f"{r.level} vs {r.reference}",
                         "method": f"hazard ratio (Cox, {self.cox.ties})",
                         "estimate": r.hazard_ratio, "ci_lower": r.ci_lower,
                         "ci_upper": r.ci_upper, "statistic": r.z, "p_value": r.p_value})
        for r in self.rmst.differences.itertuples():
            rows.append({"comparison": f"{r.level} vs {r.reference}",
                         "method": f"RMST difference (tau={self.tau:g})",
                         "estimate": r.difference, "ci_lower": r.ci_lower,
                         "ci_upper": r.ci_upper, "statistic": r.difference / r.se
                         if r.se > 0 else np.nan, "p_value": r.p_value})
        return pd.DataFrame(rows)

    def to_json(self) -> dict:
        """The command line's ``--json`` object (non-existent values are None)."""
        lr = self.logrank
        cox = [{"level": r.level, "reference": r.reference, "hazard_ratio": r.hazard_ratio,
                "coef": r.coef, "se": r.se, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper,
                "p_value": r.p_value} for r in self.cox.coefficients.itertuples()]
        km = [{"group": r.group, "time": r.time, "n_risk": int(r.n_risk),
               "n_event": int(r.n_event), "survival": r.survival, "se": r.se,
               "ci_lower": r.ci_lower, "ci_upper": r.ci_upper}
              for r in self.km.table.itertuples()]
        med = [{"group": r.group, "median": r.median, "ci_lower": r.ci_lower,
                "ci_upper": r.ci_upper, "n": int(r.n), "events": int(r.events)}
               for r in self.median.table.itertuples()]
        rm = [{"group": r.group, "tau": r.tau, "rmst": r.rmst, "se": r.se,
               "ci_lower": r.ci_lower, "ci_upper": r.ci_upper}
              for r in self.rmst.table.itertuples()]
        rmd = [{"level": r.level, "reference": r.reference, "difference": r.difference,
                "se": r.se, "ci_lower": r.ci_lower, "ci_upper": r.ci_upper,
                "p_value": r.p_value} for r in self.rmst.differences.itertuples()]
        out = {
            "logrank": {"statistic": lr.statistic, "df": lr.df, "p_value": lr.p_value,
                        "method": lr.method},
            "cox": cox,
            "km": km,
            "median": med,
            "rmst": rm,
            "rmst_difference": rmd,
            "cox_tests": {"wald": self.cox.wald_test, "score": self.cox.score_test,
                          "likelihood_ratio": self.cox.lr_test},
            "warnings": list(self.cox.warnings),
            "settings": self.settings,
        }
        return jsonable(out)


def analyze_survival(data: pd.DataFrame, *, time: str, event: str, group: str,
                     strata: str | None = None, times=None, tau: float | None = None,
                     ties: str = "efron", conf_type: str = "log-log", reference=None,
                     conf_level: float = 0.95) -> SurvivalAnalysis:
    """Kaplan-Meier, medians, log-rank, Cox, RMST and cumulative incidence in one call.

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator and group label (>= 2 groups).
    strata : str, optional
        Stratify the log-rank test and the Cox model (KM, medians and RMST stay per group).
    times : sequence of float, optional
        KM reporting times; default :func:`default_times` of the last follow-up time.
    tau : float > 0, optional
        RMST horizon (also the cumulative-incidence horizon); default :func:`default_tau`,
        the largest follow-up time in the data (R's ``rmean = "common"``).
    ties : {"efron", "breslow", "exact"}, default "efron"
    conf_type : {"log-log", "log", "plain"}, default "log-log"
    reference : str, optional
        Reference group for hazard ratios and RMST differences (default first in sorted order).
    conf_level : float in (0, 1), default 0.95

    Returns
    -------
    SurvivalAnalysis
        Attributes ``km, median, logrank, cox, rmst, cumulative_incidence``; ``summary`` lists the
        comparisons and :meth:`SurvivalAnalysis.to_json` gives the command line's JSON object.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = analyze_survival(df, time="time", event="event", group="arm", tau=12)
    >>> res.times, res.tau
    ((6.0, 12.0), 12.0)
    >>> round(float(res.rmst.differences["difference"][0]), 3)
    2.667
    """
    check_choice("ties", ties, TIES)
    conf_level = check_conf(conf_type, conf_level)
    prep = prepare_data(data, time=time, event=event, group=group, strata=strata, need_group=True)
    times_arr = check_times(times)
    if times_arr is None:
        times_arr = np.asarray(default_times(float(prep.time.max())))
    if tau is None:
        tau = float(prep.time.max())  # as default_tau: R's rmean = "common"
        if tau <= 0:
            raise DataValidationError(
                f"column {time!r}: no follow-up beyond time 0, so there is no default `tau`; "
                "give `tau` explicitly.")
    else:
        tau = check_positive("tau", tau)
    ref = check_reference(reference, prep.levels)
    # validated once: the curves are computed once and shared, and the tests below read the
    # validated columns again cheaply
    curves = km_curves(prep)
    km = km_from_curves(prep, curves, times_arr, conf_type, conf_level)
    med = median_from_curves(prep, curves, conf_type, conf_level)
    data = prepared_frame(prep)
    kw: dict[str, Any] = {"time": time, "event": event}
    lr = logrank_test(data, **kw, group=group, strata=strata)
    cox = cox_ph(data, **kw, group=group, reference=reference, strata=strata, ties=ties,
                 conf_level=conf_level)
    rm = rmst_from_curves(prep, curves, tau, ref, conf_level)
    ci = incidence_from_curves(curves, float(tau), conf_type, conf_level)
    settings = {"time": time, "event": event, "group": group, "strata": strata,
                "times": [float(t) for t in times_arr], "tau": float(tau), "ties": ties,
                "conf_type": conf_type, "conf_level": conf_level, "reference": cox.reference,
                "n": int(len(prep.time)), "events": int(prep.event.sum())}
    return SurvivalAnalysis(km=km, median=med, logrank=lr, cox=cox, rmst=rm,
                            cumulative_incidence=ci, times=tuple(float(t) for t in times_arr),
                            tau=float(tau), conf_type=conf_type, settings=settings)
