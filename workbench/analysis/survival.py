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
* :func:`cox_ph` - ``coxph`` with one indicator per non-reference group, fitted by the Newton-Raphson
  iteration of survival's ``coxfit6`` (Efron or Breslow ties; exact ties via the discrete
  partial likelihood of ``coxexact``), including its convergence rule and the warning for a
  coefficient that may be infinite.
* :func:`rmst` - restricted mean survival time and its standard error as
  ``summary(fit, rmean=tau)``, with between-group differences.
* :func:`cumulative_incidence` - ``1 - S(t)`` at a horizon with the interval from the KM interval.
* :func:`analyze_survival` - all of the above in one call (used by ``workbench survival``).

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

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import (
    _sorted_levels,
    _check_choice,
    _check_columns,
    _check_dataframe,
    _check_increasing,
    _check_positive,
    _check_probability,
    _check_real,
    _binary_column,
    _group_labels,
    _label,
    _no_missing,
    _numeric_column,
)
from ..exceptions import DataValidationError, InvalidParameterError, StatisticalWarning
from ..results import Result, jsonable

__all__ = [
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
]

CONF_TYPES = ("log-log", "log", "plain")
TIES = ("efron", "breslow", "exact")
#: Default reporting times (months) before clipping to the follow-up; see :func:`default_times`.
DEFAULT_TIMES = (6.0, 12.0, 24.0, 36.0, 48.0)
#: Label of the single curve when no ``group`` is given.
POOLED = "all"

# R's coxph.control() defaults
_EPS = 1e-9
_TOLER_CHOL = np.finfo(float).eps ** 0.75
_TOLER_INF = math.sqrt(_EPS)
_ITER_MAX = 20


# ============================================================================================
# input handling
# ============================================================================================
@dataclass(frozen=True)
class _Data:
    time: np.ndarray
    event: np.ndarray
    group: np.ndarray  # str labels (object array)
    levels: tuple[str, ...]
    strata: np.ndarray | None
    columns: dict[str, Any]


def _prepare(df, *, time, event, group=None, strata=None, need_group=False,
             min_groups=2) -> _Data:
    if time is None:
        raise InvalidParameterError("`time` must name the column of follow-up times; got None.")
    if event is None:
        raise InvalidParameterError("`event` must name the column of event indicators; got None.")
    if need_group and group is None:
        raise InvalidParameterError("`group` must name the column of group labels; got None.")
    df = _check_dataframe(df)
    _check_columns(df, time, event, group, strata)
    t = _numeric_column(df, time, nonnegative=True)
    e = _binary_column(df, event)
    if group is not None:
        g = _group_labels(df, group, min_groups=min_groups).to_numpy(dtype=object)
    else:
        g = np.full(len(df), POOLED, dtype=object)
    s = None
    if strata is not None:
        _no_missing(df, strata)
        s = df[strata].map(_label).to_numpy(dtype=object)
    levels = tuple(_sorted_levels(g))
    return _Data(time=t, event=e, group=g, levels=levels, strata=s,
                 columns={"time": time, "event": event, "group": group, "strata": strata})


def _require_events(data: _Data, what: str) -> None:
    if data.event.sum() == 0:
        raise DataValidationError(
            f"column {data.columns['event']!r} has no events (every value is 0); "
            f"{what} needs at least one event."
        )


def _z(conf_level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - conf_level) / 2))


def _check_conf(conf_type, conf_level):
    _check_choice("conf_type", conf_type, CONF_TYPES)
    return _check_probability("conf_level", conf_level)


def _check_times(times, name="times") -> np.ndarray | None:
    if times is None:
        return None
    if np.isscalar(times):
        times = [times]
    try:
        arr = np.asarray(list(times), dtype=float)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"`{name}` must be a list of numbers; got {times!r}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InvalidParameterError(
            f"`{name}` must be a non-empty list of finite times >= 0; got {list(times)!r}."
        )
    return _check_increasing(name, arr)


def _check_reference(reference, levels):
    if reference is None:
        return levels[0]
    ref = _label(reference)
    if ref not in levels:
        raise InvalidParameterError(
            f"`reference` must be one of the groups {list(levels)}; got {reference!r}."
        )
    return ref


# ============================================================================================
# Kaplan-Meier
# ============================================================================================
@dataclass(frozen=True)
class _Curve:
    """One KM curve in R's survfit0 form: a time-0 row first, then every distinct time."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    se_log: np.ndarray  # Greenwood se of log S (= R's std.err with logse=TRUE)


def _km_curve(t: np.ndarray, e: np.ndarray) -> _Curve:
    order = np.argsort(t, kind="stable")
    ts, es = t[order], e[order]
    ut, first, counts = np.unique(ts, return_index=True, return_counts=True)
    n_event = np.add.reduceat(es, first).astype(float)
    n_censor = counts - n_event
    n_risk = (len(ts) - first).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    se_log = np.sqrt(np.cumsum(term))
    # survfit0: add the starting row (time 0, S = 1) unless the first time is 0 already
    t0 = min(0.0, float(ut[0]))
    if ut[0] != t0:
        ut = np.r_[t0, ut]
        n_risk = np.r_[n_risk[0], n_risk]
        n_event = np.r_[0.0, n_event]
        n_censor = np.r_[0.0, n_censor]
        surv = np.r_[1.0, surv]
        se_log = np.r_[0.0, se_log]
    return _Curve(ut.astype(float), n_risk, n_event, n_censor, surv, se_log)


def _confint(p, se_log, conf_type: str, z: float):
    """R survival's ``survfit_confint`` (se on the log scale, upper limit capped at 1)."""
    p = np.asarray(p, dtype=float)
    se = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se * p * z
            return np.maximum(p - se2, 0.0), np.minimum(p + se2, 1.0)
        if conf_type == "log":
            xx = np.where(p == 0, np.nan, p)
            se2 = z * se
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        xx = np.where((p == 0) | (p == 1), np.nan, p)
        se2 = z * se / np.log(xx)
        lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
        upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
        return lower, upper


def _curve_limits(c: _Curve, conf_type: str, z: float):
    lower, upper = _confint(c.surv, c.se_log, conf_type, z)
    if c.time[0] == 0 and c.n_event[0] == 0 and c.surv[0] == 1:
        lower[0] = upper[0] = 1.0  # survfit0's starting row
    return lower, upper


def _at_times(c: _Curve, times: np.ndarray, conf_type: str, z: float) -> dict[str, np.ndarray]:
    """``summary(survfit, times, extend=TRUE)`` for one curve."""
    lower, upper = _curve_limits(c, conf_type, z)
    idx1 = np.searchsorted(c.time, times, side="right")  # findInterval
    row = np.maximum(idx1, 1) - 1
    idx2 = np.searchsorted(c.time, times, side="left")  # rows with time < t
    n_risk = np.r_[c.n_risk, 0.0][idx2]
    cum = np.r_[0.0, np.cumsum(c.n_event)][idx1]
    n_event = np.diff(np.r_[0.0, cum])
    surv = c.surv[row]
    with np.errstate(invalid="ignore"):
        se = c.se_log[row] * surv
    return {"time": np.asarray(times, float), "n_risk": n_risk, "n_event": n_event,
            "survival": surv, "se": se, "ci_lower": lower[row], "ci_upper": upper[row]}


def _minmin(y: np.ndarray, x: np.ndarray) -> float:
    """First x where the curve y drops below 0.5 (survival's ``survmean``; midpoint of a flat at 0.5)."""
    tol = np.finfo(float).eps ** 0.5
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return math.nan
    x, y = x[keep], y[keep]
    if abs(y[0] - 0.5) < tol and np.any(y < y[0]):
        return float((x[0] + x[np.argmax(y < y[0])]) / 2)
    return float(x[0])


def _rmst_curve(c: _Curve, tau: float) -> tuple[float, float]:
    """Restricted mean to ``tau`` and its standard error, as survival's ``survmean``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hh = np.where(c.n_risk - c.n_event == 0, 0.0,
                      c.n_event / (c.n_risk * (c.n_risk - c.n_event)))
    keep = c.time <= tau
    start = min(0.0, float(c.time[0]))
    if not keep.any():
        temptime, tempsurv, h = np.array([tau]), np.array([1.0]), np.array([0.0])
    else:
        temptime = np.r_[c.time[keep], tau]
        tempsurv = np.r_[c.surv[keep], c.surv[keep][-1]]
        h = np.r_[hh[keep], 0.0]
    delta = np.diff(np.r_[start, temptime])
    rect = delta * np.r_[1.0, tempsurv[:-1]]
    varmean = float(np.sum(np.cumsum(rect[1:][::-1]) ** 2 * h[::-1][1:]))
    return float(rect.sum() + start), math.sqrt(varmean)


def _curves(data: _Data) -> dict[str, _Curve]:
    return {lv: _km_curve(data.time[data.group == lv], data.event[data.group == lv])
            for lv in data.levels}


@dataclass(frozen=True)
class KaplanMeierResult(Result):
    """Kaplan-Meier curves per group.

    Attributes
    ----------
    groups : tuple of str
        Group labels in sorted order (``("all",)`` without a group column).
    curve : DataFrame
        The full step functions: ``group, time, n_risk, n_event, n_censor, survival, se, se_log,
        ci_lower, ci_upper``; the first row of each group is the starting point (time 0, S = 1),
        then one row per distinct time (events and censorings). ``se`` is the Greenwood standard
        error of S(t), ``se_log`` that of log S(t) (R's ``std.err`` in a ``survfit`` object).
    table : DataFrame
        The curves at ``times`` (empty when ``times`` is None): ``group, time, n_risk, n_event,
        survival, se, ci_lower, ci_upper``; ``n_event`` counts events since the previous time.
    times : tuple of float or None
    conf_type : {"log-log", "log", "plain"}
    conf_level : float
    """

    groups: tuple
    curve: pd.DataFrame
    table: pd.DataFrame
    times: tuple | None
    conf_type: str
    conf_level: float
    n: dict = field(default_factory=dict)
    _title = "Kaplan-Meier estimate"

    @property
    def summary(self) -> pd.DataFrame:
        """``table`` when times were given, otherwise ``curve``."""
        return self.table if self.times is not None else self.curve

    def at(self, times) -> pd.DataFrame:
        """The curves at other ``times`` (same columns as ``table``)."""
        times = _check_times(times)
        return _table_at(self.curve, self.groups, times, self.conf_type, self.conf_level)


def _curve_from_frame(curve: pd.DataFrame, group: str) -> _Curve:
    g = curve[curve["group"] == group]
    return _Curve(*(g[c].to_numpy(float) for c in
                    ("time", "n_risk", "n_event", "n_censor", "survival", "se_log")))


def _table_at(curve, groups, times, conf_type, conf_level) -> pd.DataFrame:
    z = _z(conf_level)
    frames = []
    for lv in groups:
        d = _at_times(_curve_from_frame(curve, lv), times, conf_type, z)
        frames.append(pd.DataFrame({"group": lv, **d}))
    return pd.concat(frames, ignore_index=True)


def kaplan_meier(df: pd.DataFrame, *, time: str, event: str, group: str | None = None,
                 times=None, conf_type: str = "log-log",
                 conf_level: float = 0.95) -> KaplanMeierResult:
    """Kaplan-Meier survival curves with Greenwood standard errors.

    Parameters
    ----------
    df : DataFrame
        One row per patient.
    time, event : str
        Columns of follow-up time (numbers >= 0) and event indicator (0/1 or true/false).
    group : str, optional
        Column of group labels; without it one pooled curve (labelled ``"all"``).
    times : sequence of float >= 0, strictly increasing, optional
        Times at which to report the curves (``table``). A time past a group's last observation
        carries the last S forward with ``n_risk`` 0, as R's ``summary(fit, times, extend=TRUE)``.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
        Scale of the pointwise interval: log-log ``S^exp(+-z se/log S)``, log
        ``S exp(+-z se)`` (upper limit capped at 1), plain ``S +- z se(S)`` (clipped to [0, 1]);
        ``se`` is the Greenwood standard error of log S. Limits that do not exist (log-log at S = 0
        or 1, log at S = 0) are NaN, except at the start of a curve where both limits are 1.
    conf_level : float in (0, 1), default 0.95

    Returns
    -------
    KaplanMeierResult
        ``curve`` (full step functions) and ``table`` (at ``times``); ``summary`` is ``table`` when
        times were given.

    Notes
    -----
    Matches R ``survfit(Surv(time, event) ~ group, conf.type=...)`` and
    ``summary(fit, times, extend=TRUE)`` (survival 3.5-3): the reported ``se`` is the Greenwood
    standard error of S(t) (survival >= 3 summary scale). Checked in
    ``tests/test_survival_analysis.py`` against ``tests/reference/logrank_cox.json``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2, 3, 3, 5, 8, 9], "event": [1, 1, 0, 1, 0, 1]})
    >>> km = kaplan_meier(df, time="time", event="event", times=[4], conf_type="log")
    >>> km.table[["time", "n_risk", "survival"]].round(4).to_dict("records")
    [{'time': 4.0, 'n_risk': 3.0, 'survival': 0.6667}]
    """
    conf_level = _check_conf(conf_type, conf_level)
    times_arr = _check_times(times)
    data = _prepare(df, time=time, event=event, group=group)
    z = _z(conf_level)
    frames = []
    for lv, c in _curves(data).items():
        lower, upper = _curve_limits(c, conf_type, z)
        with np.errstate(invalid="ignore"):
            se = c.se_log * c.surv
        frames.append(pd.DataFrame({
            "group": lv, "time": c.time, "n_risk": c.n_risk, "n_event": c.n_event,
            "n_censor": c.n_censor, "survival": c.surv, "se": se, "se_log": c.se_log,
            "ci_lower": lower, "ci_upper": upper}))
    curve = pd.concat(frames, ignore_index=True)
    if times_arr is not None:
        table = _table_at(curve, data.levels, times_arr, conf_type, conf_level)
    else:
        table = pd.DataFrame(columns=["group", "time", "n_risk", "n_event", "survival", "se",
                                      "ci_lower", "ci_upper"])
    n = {lv: int(np.sum(data.group == lv)) for lv in data.levels}
    return KaplanMeierResult(
        groups=data.levels, curve=curve, table=table,
        times=None if times_arr is None else tuple(float(x) for x in times_arr),
        conf_type=conf_type, conf_level=conf_level, n=n)


# ============================================================================================
# median
# ============================================================================================
@dataclass(frozen=True)
class MedianSurvivalResult(Result):
    """Median survival per group with its confidence interval.

    ``table`` columns: ``group, n, events, median, ci_lower, ci_upper``; a value that is not
    reached is NaN (``None`` in :meth:`to_dict` and in JSON).
    """

    table: pd.DataFrame
    conf_type: str
    conf_level: float
    _title = "Median survival"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table

    def median(self, group: str = POOLED) -> float | None:
        """The median of one group, or None when it is not reached."""
        row = self.table[self.table["group"] == str(group)]
        if row.empty:
            raise InvalidParameterError(
                f"`group` must be one of {self.table['group'].tolist()}; got {group!r}.")
        v = float(row["median"].iloc[0])
        return None if math.isnan(v) else v


def median_survival(df: pd.DataFrame, *, time: str, event: str, group: str | None = None,
                    conf_type: str = "log-log",
                    conf_level: float = 0.95) -> MedianSurvivalResult:
    """Median survival time per group with the interval of Brookmeyer & Crowley type.

    The median is the first time at which the KM curve drops below 0.5; when the curve is
    exactly 0.5 over an interval (within ``sqrt(machine eps)``) the midpoint of that flat
    stretch is used. The limits are the same points for the lower and upper pointwise
    confidence bands (``conf_type`` as in :func:`kaplan_meier`). A median or limit that is not
    reached is NaN.

    Parameters
    ----------
    df : DataFrame
    time, event, group : str
        Columns as in :func:`kaplan_meier` (``group`` optional).
    conf_type : {"log-log", "log", "plain"}, default "log-log"
    conf_level : float in (0, 1), default 0.95

    Returns
    -------
    MedianSurvivalResult
        ``table`` with columns ``group, n, events, median, ci_lower, ci_upper``.

    Notes
    -----
    Matches the ``median``, ``0.95LCL`` and ``0.95UCL`` columns of R
    ``summary(survfit(...))$table`` (survival's ``survmean``), checked against
    ``tests/reference/logrank_cox.json``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2, 3, 3, 5, 8, 9], "event": [1, 1, 0, 1, 0, 1]})
    >>> median_survival(df, time="time", event="event").median()
    5.0
    """
    conf_level = _check_conf(conf_type, conf_level)
    data = _prepare(df, time=time, event=event, group=group)
    z = _z(conf_level)
    rows = []
    for lv, c in _curves(data).items():
        lower, upper = _curve_limits(c, conf_type, z)
        rows.append({"group": lv, "n": int(np.sum(data.group == lv)),
                     "events": int(data.event[data.group == lv].sum()),
                     "median": _minmin(c.surv, c.time),
                     "ci_lower": _minmin(lower, c.time), "ci_upper": _minmin(upper, c.time)})
    return MedianSurvivalResult(table=pd.DataFrame(rows), conf_type=conf_type,
                                conf_level=conf_level)


# ============================================================================================
# log-rank
# ============================================================================================
@dataclass(frozen=True)
class LogRankResult(Result):
    """k-sample log-rank (or Fleming-Harrington G-rho) test.

    Attributes
    ----------
    statistic, df, p_value : float, int, float
        Chi-square statistic on ``df`` = (groups with expected > 0) - 1 degrees of freedom.
    groups : tuple of str
    observed, expected : ndarray
        (Weighted) observed and expected events per group, summed over strata.
    variance : ndarray (k x k)
        Variance matrix of observed - expected.
    observed_by_stratum, expected_by_stratum : ndarray (k x strata) or None
    n : dict
        Patients per group.
    rho : float
    strata : tuple of str or None
    """

    statistic: float
    df: int
    p_value: float
    groups: tuple
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    n: dict
    rho: float = 0.0
    strata: tuple | None = None
    observed_by_stratum: np.ndarray | None = None
    expected_by_stratum: np.ndarray | None = None
    _title = "Log-rank test"

    @property
    def method(self) -> str:
        name = "log-rank" if self.rho == 0 else (
            "Peto-Peto" if self.rho == 1 else f"Fleming-Harrington G-rho (rho={self.rho:g})")
        return ("stratified " + name) if self.strata is not None else name

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame([{"statistic": self.statistic, "df": self.df,
                              "p_value": self.p_value, "method": self.method,
                              "n": int(sum(self.n.values()))}])

    @property
    def table(self) -> pd.DataFrame:
        """Per group: ``group, n, observed, expected, o_minus_e, variance``."""
        return pd.DataFrame({"group": list(self.groups),
                             "n": [self.n[g] for g in self.groups],
                             "observed": self.observed, "expected": self.expected,
                             "o_minus_e": self.observed - self.expected,
                             "variance": np.diag(self.variance)})


def _survdiff(time, event, gidx, k, sidx, rho):
    """R survival's survdiff2: observed, expected (per stratum) and the variance matrix."""
    strata_ids = np.unique(sidx)
    obs = np.zeros((k, len(strata_ids)))
    exp = np.zeros((k, len(strata_ids)))
    var = np.zeros((k, k))
    for j, s in enumerate(strata_ids):
        m = sidx == s
        ut, inv = np.unique(time[m], return_inverse=True)
        d = np.zeros((len(ut), k))
        c = np.zeros((len(ut), k))
        np.add.at(d, (inv, gidx[m]), event[m])
        np.add.at(c, (inv, gidx[m]), 1.0)
        nrisk_k = np.cumsum(c[::-1], axis=0)[::-1]
        dd = d.sum(axis=1)
        nn = nrisk_k.sum(axis=1)
        if rho != 0:
            km = np.cumprod((nn - dd) / nn)
            w = np.r_[1.0, km[:-1]] ** rho  # left-continuous pooled KM of the stratum
        else:
            w = np.ones(len(ut))
        obs[:, j] = (w[:, None] * d).sum(axis=0)
        exp[:, j] = ((w * dd / nn)[:, None] * nrisk_k).sum(axis=0)
        use = (dd > 0) & (nn > 1)
        f = (w[use] ** 2) * dd[use] * (nn[use] - dd[use]) / (nn[use] * (nn[use] - 1))
        r = nrisk_k[use]
        var += np.diag(f @ r)
        var -= np.einsum("t,tj,tk->jk", f / nn[use], r, r)
    return obs, exp, var


def logrank_test(df: pd.DataFrame, *, time: str, event: str, group: str,
                 strata: str | None = None, rho: float = 0) -> LogRankResult:
    """Log-rank test of equal survival across k groups, optionally stratified.

    Parameters
    ----------
    df : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator (0/1) and group label (>= 2 groups).
    strata : str, optional
        Column of strata: observed and expected events are computed within strata and summed.
    rho : float >= 0, default 0
        Weight ``S(t-)^rho`` (pooled left-continuous KM within stratum): 0 is the log-rank test,
        1 the Peto & Peto modification of the Gehan-Wilcoxon test.

    Returns
    -------
    LogRankResult
        ``statistic, df, p_value``, observed, expected and the variance matrix.

    Notes
    -----
    Implements R ``survdiff`` (survival's ``survdiff2`` routine); groups whose expected count is 0
    are dropped from the test, as R does. Checked against R for rho = 0 and 1, with and without
    strata (``tests/reference/logrank_cox.json``), and with k = 3 groups against statsmodels'
    ``survdiff`` (``tests/test_cli_survival.py``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = logrank_test(df, time="time", event="event", group="arm", rho=1)
    >>> res.df, round(res.p_value, 4)
    (1, 0.1293)
    """
    rho = _check_real("rho", rho)
    if rho < 0:
        raise InvalidParameterError(f"`rho` must be >= 0; got {rho!r}.")
    data = _prepare(df, time=time, event=event, group=group, strata=strata, need_group=True)
    _require_events(data, "a log-rank test")
    k = len(data.levels)
    gidx = pd.Series(data.group).map({lv: i for i, lv in enumerate(data.levels)}).to_numpy(int)
    if data.strata is None:
        sidx, slevels = np.zeros(len(data.time), dtype=int), None
    else:
        slevels = tuple(sorted(set(data.strata.tolist())))
        sidx = np.searchsorted(np.array(slevels, dtype=object), data.strata)
    obs_s, exp_s, var = _survdiff(data.time, data.event.astype(float), gidx, k, sidx, rho)
    obs, exp = obs_s.sum(axis=1), exp_s.sum(axis=1)
    keep = exp > 0
    dof = int(keep.sum()) - 1
    if dof < 1:
        chi = 0.0
    else:
        diff = (obs - exp)[keep][1:]
        vv = var[np.ix_(keep, keep)][1:, 1:]
        try:
            chi = float(diff @ np.linalg.solve(vv, diff))
        except np.linalg.LinAlgError:
            chi = float(diff @ np.linalg.pinv(vv) @ diff)
    p = float(stats.chi2.sf(chi, dof)) if dof >= 1 else 1.0
    return LogRankResult(
        statistic=chi, df=dof, p_value=p, groups=data.levels, observed=obs, expected=exp,
        variance=var, n={lv: int(np.sum(data.group == lv)) for lv in data.levels},
        rho=float(rho), strata=slevels,
        observed_by_stratum=obs_s if slevels is not None else None,
        expected_by_stratum=exp_s if slevels is not None else None)


# ============================================================================================
# Cox proportional hazards
# ============================================================================================
def _cholesky2(m: np.ndarray, toler: float):
    """survival's cholesky2: LDL' in the lower triangle, D on the diagonal; returns rank."""
    a = m.copy()
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            a[j, i] = a[i, j]
    eps = max([a[i, i] for i in range(n)] + [0.0])
    if eps == 0:
        return a, 0
    eps *= toler
    rank, nonneg = 0, 1
    for i in range(n):
        pivot = a[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            a[i, i] = 0.0
            if pivot < -8 * eps:
                nonneg = -1
        else:
            rank += 1
            for j in range(i + 1, n):
                temp = a[j, i] / pivot
                a[j, i] = temp
                a[j, j] -= temp * temp * pivot
                for k in range(j + 1, n):
                    a[k, j] -= temp * a[k, i]
    return a, rank * nonneg


def _chsolve2(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    y = y.astype(float).copy()
    n = len(y)
    for i in range(n):
        y[i] -= sum(y[j] * a[i, j] for j in range(i))
    for i in range(n - 1, -1, -1):
        if a[i, i] == 0:
            y[i] = 0.0
        else:
            temp = y[i] / a[i, i]
            for j in range(i + 1, n):
                temp -= y[j] * a[j, i]
            y[i] = temp
    return y


def _chinv2(a: np.ndarray) -> np.ndarray:
    """Inverse from the cholesky2 factor (singular rows and columns are zero)."""
    m = a.copy()
    n = m.shape[0]
    for i in range(n):
        if m[i, i] > 0:
            m[i, i] = 1 / m[i, i]
            for j in range(i + 1, n):
                m[j, i] = -m[j, i]
                for k in range(i):
                    m[j, k] += m[j, i] * m[i, k]
    for i in range(n):
        if m[i, i] == 0:
            for j in range(i):
                m[j, i] = 0
            for j in range(i, n):
                m[i, j] = 0
        else:
            for j in range(i + 1, n):
                temp = m[j, i] * m[j, j]
                m[i, j] = temp
                for k in range(i, j):
                    m[i, k] += temp * m[j, k]
    upper = np.triu(m)
    return upper + np.triu(upper, 1).T


class _CoxData:
    """Data sorted by (stratum, time) with the blocks of tied times within strata."""

    def __init__(self, time, status, x, strata_codes):
        order = np.lexsort((time, strata_codes))
        self.time = time[order]
        self.status = status[order].astype(float)
        self.x = x[order]
        self.strata = strata_codes[order]
        new = np.r_[True, (np.diff(self.time) != 0) | (np.diff(self.strata) != 0)]
        self.start = np.flatnonzero(new)
        self.block = np.cumsum(new) - 1
        self.block_stratum = self.strata[self.start]
        self.nblock = len(self.start)
        self.deaths = np.add.reduceat(self.status, self.start)
        self.n = len(time)
        self.order = order


def _rev_cumsum_by_stratum(blocks: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    out = np.empty_like(blocks)
    for s in np.unique(stratum):
        m = np.flatnonzero(stratum == s)
        out[m] = np.cumsum(blocks[m][::-1], axis=0)[::-1]
    return out


def _risk_set_sums(cd: _CoxData, beta: np.ndarray):
    """Risk scores and their risk-set sums at ``beta``, with the event terms of the log partial
    likelihood and the score: ``(r, rx, rxx, s0, s1, s2, loglik, u)``. ``r = exp(x beta)``,
    ``rx``, ``rxx`` its products with x and x x'; ``s0, s1, s2`` their sums over the risk set of
    each block of tied times (within strata)."""
    x = cd.x
    eta = x @ beta
    r = np.exp(eta)
    rx = r[:, None] * x
    rxx = rx[:, :, None] * x[:, None, :]
    s0 = _rev_cumsum_by_stratum(np.add.reduceat(r, cd.start), cd.block_stratum)
    s1 = _rev_cumsum_by_stratum(np.add.reduceat(rx, cd.start, axis=0), cd.block_stratum)
    s2 = _rev_cumsum_by_stratum(np.add.reduceat(rxx, cd.start, axis=0), cd.block_stratum)
    dead = cd.status
    loglik = float(np.sum(dead * eta))
    u = (dead[:, None] * x).sum(axis=0)
    return r, rx, rxx, s0, s1, s2, loglik, u


def _cox_iter(cd: _CoxData, beta: np.ndarray, efron: bool):
    """Log partial likelihood, score and information at ``beta`` (survival's coxfit6_iter)."""
    p = cd.x.shape[1]
    r, rx, rxx, s0, s1, s2, loglik, u = _risk_set_sums(cd, beta)
    dead = cd.status
    imat = np.zeros((p, p))
    nd = cd.deaths.astype(int)
    bl = np.repeat(np.arange(cd.nblock), nd)  # one row per death
    if bl.size:
        if efron:
            e0 = np.add.reduceat(r * dead, cd.start)
            e1 = np.add.reduceat(rx * dead[:, None], cd.start, axis=0)
            e2 = np.add.reduceat(rxx * dead[:, None, None], cd.start, axis=0)
            kk = np.arange(bl.size) - np.repeat(np.cumsum(nd) - nd, nd)
            frac = kk / nd[bl]
        else:
            e0 = np.zeros(cd.nblock)
            e1 = np.zeros((cd.nblock, p))
            e2 = np.zeros((cd.nblock, p, p))
            frac = np.zeros(bl.size)
        d2 = s0[bl] - frac * e0[bl]
        a = s1[bl] - frac[:, None] * e1[bl]
        c = s2[bl] - frac[:, None, None] * e2[bl]
        loglik -= float(np.sum(np.log(d2)))
        mean = a / d2[:, None]
        u = u - mean.sum(axis=0)
        imat = np.sum((c - mean[:, :, None] * a[:, None, :]) / d2[:, None, None], axis=0)
    return loglik, u, imat


def _cox_exact_iter(cd: _CoxData, beta: np.ndarray):
    """Exact (discrete) partial likelihood, score and information (survival's coxexact).

    A time with one death contributes the usual term; with d tied deaths the denominator is the
    sum over all d-subsets of the risk set, computed by the recursion of Gail et al. (1981)
    together with its first and second derivatives.
    """
    x = cd.x
    p = x.shape[1]
    r, _, _, s0, s1, s2, loglik, u = _risk_set_sums(cd, beta)
    single = cd.deaths == 1
    mean = s1[single] / s0[single][:, None]
    loglik -= float(np.sum(np.log(s0[single])))
    u = u - mean.sum(axis=0)
    imat = np.sum(s2[single] / s0[single][:, None, None]
                  - mean[:, :, None] * mean[:, None, :], axis=0)
    idx = np.arange(cd.n)
    for b in np.flatnonzero(cd.deaths > 1):
        d = int(cd.deaths[b])
        risk = np.flatnonzero((cd.strata == cd.block_stratum[b]) & (idx >= cd.start[b]))
        f = np.zeros(d + 1)
        f1 = np.zeros((d + 1, p))
        f2 = np.zeros((d + 1, p, p))
        f[0] = 1.0
        for i in risk:
            ri, xi = r[i], x[i]
            f2[1:] = f2[1:] + ri * (f2[:-1] + xi[None, :, None] * f1[:-1, None, :]
                                    + f1[:-1, :, None] * xi[None, None, :]
                                    + f[:-1, None, None] * np.outer(xi, xi)[None])
            f1[1:] = f1[1:] + ri * (f1[:-1] + f[:-1, None] * xi[None, :])
            f[1:] = f[1:] + ri * f[:-1]
        den, g, h = f[d], f1[d] / f[d], f2[d] / f[d]
        loglik -= math.log(den)
        u = u - g
        imat = imat + h - np.outer(g, g)
    return loglik, u, imat


def _coxfit(cd: _CoxData, method: str, maxiter: int = _ITER_MAX, eps: float = _EPS,
            toler: float = _TOLER_CHOL):
    """Newton-Raphson of R's coxph.

    Efron and Breslow follow ``coxfit6``: covariates coded -1/0/1 are neither centred nor scaled
    (coxph's default ``nocenter``), others are centred and scaled by their mean absolute
    deviation; step halving averages with the last good beta. ``"exact"`` follows ``coxexact``:
    covariates are standardised (``scale()``), and halving goes half-way back.
    """
    p = cd.x.shape[1]
    x_orig = cd.x
    xs = cd.x.copy()
    scale = np.ones(p)
    if method == "exact":
        mu = xs.mean(axis=0)
        sd = xs.std(axis=0, ddof=1)
        sd = np.where(sd > 0, sd, 1.0)
        xs = (xs - mu) / sd
        scale = 1 / sd
    else:
        for i in range(p):
            if np.all(np.isin(xs[:, i], (-1, 0, 1))):
                continue
            xs[:, i] -= xs[:, i].mean()
            tot = np.abs(xs[:, i]).sum()
            scale[i] = cd.n / tot if tot > 0 else 1.0
            xs[:, i] *= scale[i]
    cd.x = xs
    try:
        if method == "exact":
            def it(b):
                return _cox_exact_iter(cd, b)
        else:
            def it(b):
                return _cox_iter(cd, b, method == "efron")

        beta = np.zeros(p)
        loglik0, u, imat = it(beta)
        chol, flag = _cholesky2(imat, toler)
        a = _chsolve2(chol, u)
        sctest = float(u @ a)
        best = loglik0
        newbeta = beta + a
        halving = 0
        converged = False
        it_used = maxiter
        for iteration in range(1, maxiter + 1):
            newlk, u, imat = it(newbeta)
            chol, flag = _cholesky2(imat, toler)
            if method == "exact":
                if abs(1 - best / newlk) <= eps and halving == 0:
                    best, beta, converged, it_used = newlk, newbeta, True, iteration
                    break
                if iteration == maxiter:
                    best, beta = newlk, newbeta
                    break
                if newlk < best:
                    halving = 1
                    newbeta = (beta + newbeta) / 2
                else:
                    halving = 0
                    best = newlk
                    step = _chsolve2(chol, u)
                    beta = newbeta
                    newbeta = newbeta + step
                continue
            notfinite = (not np.all(np.isfinite(u)) or not np.all(np.isfinite(imat))
                         or not math.isfinite(newlk))
            if not notfinite and abs(1 - best / newlk) <= eps:
                best, beta, converged, it_used = newlk, newbeta, True, iteration
                if halving:
                    flag = -2
                break
            if notfinite or newlk < best:
                halving += 1
                newbeta = (newbeta + halving * beta) / (halving + 1.0)
            else:
                halving = 0
                best = newlk
                step = _chsolve2(chol, u)
                beta = newbeta
                newbeta = newbeta + step
        if not converged:
            if method != "exact":
                best, u, imat = it(beta)
                chol, flag = _cholesky2(imat, toler)
            flag = 1000
        var = _chinv2(chol)
    finally:
        cd.x = x_orig
    return {"coef": beta * scale, "var": var * np.outer(scale, scale), "u": u / scale,
            "loglik": (loglik0, best), "score": sctest, "iter": it_used, "flag": flag,
            "converged": converged}


@dataclass(frozen=True)
class CoxPHResult(Result):
    """Cox proportional hazards fit of group indicators.

    Attributes
    ----------
    coefficients : DataFrame
        One row per non-reference level: ``level, reference, coef, se, hazard_ratio, ci_lower,
        ci_upper, z, p_value`` (Wald).
    levels : tuple of str
        Non-reference levels, in the order of ``coef``.
    reference : str
    coef, se, hazard_ratio : ndarray
    variance : ndarray
        Variance matrix of ``coef`` (inverse information).
    wald_test, score_test, lr_test : dict
        ``{"statistic", "df", "p_value"}`` of the global tests.
    loglik_null, loglik : float
        Log partial likelihood at 0 and at the estimate.
    iterations : int
    converged : bool
    ties : {"efron", "breslow", "exact"}
    n, n_events : int
    strata : tuple of str or None
    conf_level : float
    warnings : tuple of str
        Messages also issued as :class:`~workbench.exceptions.StatisticalWarning`.
    """

    coefficients: pd.DataFrame
    levels: tuple
    reference: str
    coef: np.ndarray
    se: np.ndarray
    hazard_ratio: np.ndarray
    variance: np.ndarray
    wald_test: dict
    score_test: dict
    lr_test: dict
    loglik_null: float
    loglik: float
    iterations: int
    converged: bool
    ties: str
    n: int
    n_events: int
    conf_level: float
    strata: tuple | None = None
    warnings: tuple = ()
    _title = "Cox proportional hazards model"

    @property
    def summary(self) -> pd.DataFrame:
        return self.coefficients

    @property
    def tests(self) -> pd.DataFrame:
        """Global tests: ``test, statistic, df, p_value``."""
        return pd.DataFrame([
            {"test": "wald", **self.wald_test},
            {"test": "score", **self.score_test},
            {"test": "likelihood_ratio", **self.lr_test},
        ])


def _test(stat: float, df: int) -> dict:
    return {"statistic": float(stat), "df": int(df), "p_value": float(stats.chi2.sf(stat, df))}


def cox_ph(df: pd.DataFrame, *, time: str, event: str, group: str, reference=None,
           strata: str | None = None, ties: str = "efron",
           conf_level: float = 0.95) -> CoxPHResult:
    """Cox proportional hazards model of the group, giving hazard ratios against a reference.

    Parameters
    ----------
    df : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator (0/1) and group label (>= 2 groups).
    reference : str, optional
        Reference level; default the first group in sorted order of the labels as strings.
    strata : str, optional
        Column of strata (separate baseline hazards, R's ``strata()`` term).
    ties : {"efron", "breslow", "exact"}, default "efron"
        Handling of tied event times; "exact" is the discrete partial likelihood (R's
        ``ties="exact"`` for right-censored data).
    conf_level : float in (0, 1), default 0.95
        Level of the Wald intervals ``exp(coef +- z se)``.

    Returns
    -------
    CoxPHResult
        Coefficients, hazard ratios with intervals and Wald p-values, the Wald, score and
        likelihood-ratio tests and the log partial likelihoods.

    Warns
    -----
    StatisticalWarning
        When the likelihood converged before a coefficient did (typically a group with no
        events: the coefficient "may be infinite", its standard error is huge and its Wald test
        meaningless; use the score or likelihood-ratio test), or when the iteration did not
        converge in 20 steps.

    Notes
    -----
    Re-implements R ``coxph`` (survival 3.5-3): Newton-Raphson as in ``coxfit6`` with step
    halving, convergence when ``|1 - loglik_old/loglik_new| <= 1e-9``, at most 20 iterations,
    0/1 covariates neither centred nor scaled, survival's Cholesky routines, and its rule for
    flagging infinite coefficients (``|U var| > eps`` and ``> sqrt(eps)|coef|``). Because the
    iteration is replicated step by step, a diverging coefficient stops where R's does. Checked
    against R on four data sets including one where an arm has no events.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> fit = cox_ph(df, time="time", event="event", group="arm", ties="breslow")
    >>> fit.coefficients[["level", "reference"]].to_dict("records")
    [{'level': 'b', 'reference': 'a'}]
    >>> round(fit.lr_test["statistic"], 4)
    2.8865
    """
    _check_choice("ties", ties, TIES)
    conf_level = _check_probability("conf_level", conf_level)
    data = _prepare(df, time=time, event=event, group=group, strata=strata, need_group=True)
    _require_events(data, "a Cox model")
    ref = _check_reference(reference, data.levels)
    levels = tuple(lv for lv in data.levels if lv != ref)
    x = np.column_stack([(data.group == lv).astype(float) for lv in levels])
    if data.strata is None:
        scodes, slevels = np.zeros(len(data.time), dtype=int), None
    else:
        slevels = tuple(sorted(set(data.strata.tolist())))
        scodes = np.searchsorted(np.array(slevels, dtype=object), data.strata)
    cd = _CoxData(data.time, data.event, x, scodes)
    fit = _coxfit(cd, ties)
    coef, var, u = fit["coef"], fit["var"], fit["u"]
    p = len(coef)
    msgs = []
    infs = np.abs(u @ var)
    if not fit["converged"]:
        msgs.append("Ran out of iterations and did not converge.")
        lp = x @ coef
        if np.max(lp) > 500 or not np.all(np.isfinite(infs)):
            msgs.append("One or more coefficients may be infinite.")
    else:
        bad = ~np.isfinite(u) | ((infs > _EPS) & (infs > _TOLER_INF * np.abs(coef)))
        if bad.any():
            which = ", ".join(repr(levels[i]) for i in np.flatnonzero(bad))
            msgs.append(
                f"Loglik converged before the coefficient of group {which} (vs {ref!r}); "
                "coefficient may be infinite (a group with no events?). Its standard error and "
                "Wald test are not meaningful; use the score or likelihood-ratio test.")
    if fit["flag"] < p:
        sing = np.diag(var) == 0
        coef = np.where(sing, np.nan, coef)
    for m in msgs:
        warnings.warn(m, StatisticalWarning, stacklevel=2)
    se = np.sqrt(np.diag(var))
    z = _z(conf_level)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        hr = np.exp(coef)
        lo = np.exp(coef - z * se)
        hi = np.exp(coef + z * se)
        zstat = coef / se
    pval = 2 * stats.norm.sf(np.abs(zstat))
    ok = ~np.isnan(coef)
    nok = int(ok.sum())
    if nok:
        vv = var[np.ix_(ok, ok)]
        chol, _ = _cholesky2(vv, _TOLER_CHOL)
        wald = float(coef[ok] @ _chsolve2(chol, coef[ok]))
    else:
        wald = 0.0
    ll0, ll1 = fit["loglik"]
    table = pd.DataFrame({"level": list(levels), "reference": ref, "coef": coef, "se": se,
                          "hazard_ratio": hr, "ci_lower": lo, "ci_upper": hi, "z": zstat,
                          "p_value": pval, "method": f"Cox PH ({ties} ties)"})
    return CoxPHResult(
        coefficients=table, levels=levels, reference=ref, coef=coef, se=se, hazard_ratio=hr,
        variance=var, wald_test=_test(wald, nok), score_test=_test(fit["score"], nok),
        lr_test=_test(2 * (ll1 - ll0), nok), loglik_null=float(ll0), loglik=float(ll1),
        iterations=int(fit["iter"]), converged=bool(fit["converged"]), ties=ties,
        n=int(len(data.time)), n_events=int(data.event.sum()), conf_level=conf_level,
        strata=slevels, warnings=tuple(msgs))


# ============================================================================================
# RMST
# ============================================================================================
@dataclass(frozen=True)
class RMSTResult(Result):
    """Restricted mean survival time to ``tau`` per group and differences between groups.

    Attributes
    ----------
    table : DataFrame
        ``group, tau, rmst, se, ci_lower, ci_upper, last_time`` (``last_time``: the group's last
        follow-up; when it is before ``tau`` the curve was extended flat).
    differences : DataFrame
        ``level, reference, difference, se, ci_lower, ci_upper, p_value`` (level minus
        reference; empty without groups).
    tau : float
    conf_level : float
    """

    table: pd.DataFrame
    differences: pd.DataFrame
    tau: float
    conf_level: float
    _title = "Restricted mean survival time"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table


def rmst(df: pd.DataFrame, *, time: str, event: str, group: str | None = None, tau: float,
         reference=None, conf_level: float = 0.95) -> RMSTResult:
    """Restricted mean survival time (area under the KM curve up to ``tau``).

    Parameters
    ----------
    df : DataFrame
    time, event : str
        Columns of follow-up time and event indicator.
    group : str, optional
        Column of group labels; without it, one pooled estimate.
    tau : float > 0
        Truncation time. If a group's follow-up ends before ``tau`` its curve is extended flat
        from the last value (as R does) and a :class:`StatisticalWarning` says so.
    reference : str, optional
        Reference level for the differences (default: first in sorted order).
    conf_level : float in (0, 1), default 0.95

    Returns
    -------
    RMSTResult
        ``table`` per group and ``differences`` (each level minus the reference, with a normal
        interval and two-sided p-value from the independent-groups variance).

    Notes
    -----
    RMST and its standard error are those of R ``summary(survfit(...), rmean=tau)$table``
    (``rmean``, ``se(rmean)``: survival's ``survmean``, Miller 1981). Checked against
    ``tests/reference/logrank_cox.json``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2, 3, 3, 5, 8, 9], "event": [1, 1, 0, 1, 0, 1]})
    >>> res = rmst(df, time="time", event="event", tau=6)
    >>> round(float(res.table["rmst"][0]), 4)
    4.6111
    """
    tau = _check_positive("tau", tau)
    conf_level = _check_probability("conf_level", conf_level)
    data = _prepare(df, time=time, event=event, group=group)
    ref = _check_reference(reference, data.levels)
    z = _z(conf_level)
    rows = []
    for lv, c in _curves(data).items():
        mean, se = _rmst_curve(c, tau)
        last = float(c.time[-1])
        if last < tau:
            warnings.warn(
                f"follow-up in group {lv!r} ends at {last:g} < tau = {tau:g}; the RMST extends its "
                "Kaplan-Meier curve flat from the last value.", StatisticalWarning, stacklevel=2)
        rows.append({"group": lv, "tau": tau, "rmst": mean, "se": se, "ci_lower": mean - z * se,
                     "ci_upper": mean + z * se, "last_time": last})
    table = pd.DataFrame(rows)
    diffs = []
    if group is not None:
        r0 = table.set_index("group").loc[ref]
        for lv in data.levels:
            if lv == ref:
                continue
            r1 = table.set_index("group").loc[lv]
            d = r1["rmst"] - r0["rmst"]
            se = math.hypot(r1["se"], r0["se"])
            pv = float(2 * stats.norm.sf(abs(d / se))) if se > 0 else (1.0 if d == 0 else 0.0)
            diffs.append({"level": lv, "reference": ref, "difference": d, "se": se,
                          "ci_lower": d - z * se, "ci_upper": d + z * se, "p_value": pv})
    differences = pd.DataFrame(diffs, columns=["level", "reference", "difference", "se",
                                               "ci_lower", "ci_upper", "p_value"])
    return RMSTResult(table=table, differences=differences, tau=tau, conf_level=conf_level)


# ============================================================================================
# cumulative incidence
# ============================================================================================
@dataclass(frozen=True)
class CumulativeIncidenceResult(Result):
    """``1 - S(at)`` per group with the interval ``1 - (KM upper, KM lower)``.

    ``table`` columns: ``group, time, n_risk, cumulative_incidence, se, ci_lower, ci_upper``.
    """

    table: pd.DataFrame
    at: float
    conf_type: str
    conf_level: float
    _title = "Cumulative incidence"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table


def cumulative_incidence(df: pd.DataFrame, *, time: str, event: str, group: str | None = None,
                         at: float = 48, conf_type: str = "log-log",
                         conf_level: float = 0.95) -> CumulativeIncidenceResult:
    """Cumulative incidence ``1 - S(at)`` (one event type, no competing risks).

    Parameters
    ----------
    df : DataFrame
    time, event, group : str
        As in :func:`kaplan_meier` (``group`` optional).
    at : float >= 0, default 48
        Horizon (in the units of ``time``). Past a group's last observation the last value is
        carried forward.
    conf_type : {"log-log", "log", "plain"}, default "log-log"
    conf_level : float in (0, 1), default 0.95

    Returns
    -------
    CumulativeIncidenceResult
        ``table`` with ``group, time, n_risk, cumulative_incidence, se, ci_lower, ci_upper``;
        ``se`` is the Greenwood standard error, the limits are one minus the KM limits.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [2, 3, 3, 5, 8, 9], "event": [1, 1, 0, 1, 0, 1]})
    >>> ci = cumulative_incidence(df, time="time", event="event", at=4)
    >>> round(float(ci.table["cumulative_incidence"][0]), 4)
    0.3333
    """
    if at is None or not isinstance(at, int | float | np.integer | np.floating) or \
            isinstance(at, bool) or not math.isfinite(float(at)) or at < 0:
        raise InvalidParameterError(f"`at` must be a finite time >= 0; got {at!r}.")
    km = kaplan_meier(df, time=time, event=event, group=group, times=[float(at)],
                      conf_type=conf_type, conf_level=conf_level)
    t = km.table
    table = pd.DataFrame({"group": t["group"], "time": t["time"], "n_risk": t["n_risk"],
                          "cumulative_incidence": 1 - t["survival"], "se": t["se"],
                          "ci_lower": 1 - t["ci_upper"], "ci_upper": 1 - t["ci_lower"]})
    return CumulativeIncidenceResult(table=table, at=float(at), conf_type=conf_type,
                                     conf_level=km.conf_level)


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


def default_tau(df: pd.DataFrame, *, time: str, event: str, group: str | None = None) -> float:
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
    data = _prepare(df, time=time, event=event, group=group)
    return float(data.time.max())


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


def analyze_survival(df: pd.DataFrame, *, time: str, event: str, group: str,
                     strata: str | None = None, times=None, tau: float | None = None,
                     ties: str = "efron", conf_type: str = "log-log", reference=None,
                     conf_level: float = 0.95) -> SurvivalAnalysis:
    """Kaplan-Meier, medians, log-rank, Cox, RMST and cumulative incidence in one call.

    Parameters
    ----------
    df : DataFrame
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
    _check_choice("ties", ties, TIES)
    conf_level = _check_conf(conf_type, conf_level)
    data = _prepare(df, time=time, event=event, group=group, strata=strata, need_group=True)
    times_arr = _check_times(times)
    if times_arr is None:
        times_arr = np.asarray(default_times(float(data.time.max())))
    if tau is None:
        tau = float(data.time.max())  # as default_tau: R's rmean = "common"
        if tau <= 0:
            raise DataValidationError(
                f"column {time!r}: no follow-up beyond time 0, so there is no default `tau`; "
                "give `tau` explicitly.")
    else:
        tau = _check_positive("tau", tau)
    _check_reference(reference, data.levels)
    kw = {"time": time, "event": event}
    km = kaplan_meier(df, **kw, group=group, times=times_arr, conf_type=conf_type,
                      conf_level=conf_level)
    med = median_survival(df, **kw, group=group, conf_type=conf_type, conf_level=conf_level)
    lr = logrank_test(df, **kw, group=group, strata=strata)
    cox = cox_ph(df, **kw, group=group, reference=reference, strata=strata, ties=ties,
                 conf_level=conf_level)
    rm = rmst(df, **kw, group=group, tau=tau, reference=reference, conf_level=conf_level)
    ci = cumulative_incidence(df, **kw, group=group, at=tau, conf_type=conf_type,
                              conf_level=conf_level)
    settings = {"time": time, "event": event, "group": group, "strata": strata,
                "times": [float(t) for t in times_arr], "tau": float(tau), "ties": ties,
                "conf_type": conf_type, "conf_level": conf_level, "reference": cox.reference,
                "n": int(len(data.time)), "events": int(data.event.sum())}
    return SurvivalAnalysis(km=km, median=med, logrank=lr, cox=cox, rmst=rm,
                            cumulative_incidence=ci, times=tuple(float(t) for t in times_arr),
                            tau=float(tau), conf_type=conf_type, settings=settings)
