"""Estimates from the Kaplan-Meier curve, as R's ``survfit`` and its ``summary``.

The curves, median survival, restricted mean survival time and cumulative incidence.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from ..._validation import check_positive, check_probability
from ...exceptions import InvalidParameterError, StatisticalWarning
from ...results import Result
from .._common import z_critical
from ._data import (
    POOLED,
    SurvivalData,
    check_conf,
    check_reference,
    check_times,
    prepare_data,
)

__all__ = [
    "KaplanMeierResult",
    "MedianSurvivalResult",
    "RMSTResult",
    "CumulativeIncidenceResult",
    "kaplan_meier",
    "median_survival",
    "rmst",
    "cumulative_incidence",
]


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
    # distinct times from the sorted times: the first row of each run of equal times
    first = np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]])
    ut, counts = ts[first], np.diff(np.r_[first, len(ts)])
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
    """First x where the curve y drops below 0.5 (survival's ``survmean``).

    A flat stretch at exactly 0.5 gives its midpoint.
    """
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


def km_curves(prep: SurvivalData) -> dict[str, _Curve]:
    """The Kaplan-Meier curve of each group (the analyses of this module share them)."""
    masks = {lv: prep.in_group(lv) for lv in prep.levels}
    return {lv: _km_curve(prep.time[m], prep.event[m]) for lv, m in masks.items()}


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
        times = check_times(times)
        curves = {lv: _curve_from_frame(self.curve, lv) for lv in self.groups}
        return _table_at(curves, times, self.conf_type, self.conf_level)


def _curve_from_frame(curve: pd.DataFrame, group: str) -> _Curve:
    g = curve[curve["group"] == group]
    return _Curve(*(g[c].to_numpy(float) for c in
                    ("time", "n_risk", "n_event", "n_censor", "survival", "se_log")))


def _table_at(curves: dict[str, _Curve], times, conf_type, conf_level) -> pd.DataFrame:
    z = z_critical(conf_level)
    frames = [pd.DataFrame({"group": lv, **_at_times(c, times, conf_type, z)})
              for lv, c in curves.items()]
    return pd.concat(frames, ignore_index=True)


def kaplan_meier(data: pd.DataFrame, *, time: str, event: str, group: str | None = None,
                 times=None, conf_type: str = "log-log",
                 conf_level: float = 0.95) -> KaplanMeierResult:
    """Kaplan-Meier survival curves with Greenwood standard errors.

    Parameters
    ----------
    data : DataFrame
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
    conf_level = check_conf(conf_type, conf_level)
    times_arr = check_times(times)
    prep = prepare_data(data, time=time, event=event, group=group)
    return km_from_curves(prep, km_curves(prep), times_arr, conf_type, conf_level)


def km_from_curves(prep: SurvivalData, curves: dict[str, _Curve], times_arr: np.ndarray | None,
                   conf_type: str, conf_level: float) -> KaplanMeierResult:
    """:func:`kaplan_meier` from validated data and its curves (:func:`km_curves`)."""
    z = z_critical(conf_level)
    parts: dict[str, list] = {k: [] for k in ("time", "n_risk", "n_event", "n_censor", "survival",
                                              "se", "se_log", "ci_lower", "ci_upper")}
    for c in curves.values():
        lower, upper = _curve_limits(c, conf_type, z)
        with np.errstate(invalid="ignore"):
            se = c.se_log * c.surv
        for key, col in zip(parts, (c.time, c.n_risk, c.n_event, c.n_censor, c.surv, se,
                                    c.se_log, lower, upper), strict=True):
            parts[key].append(col)
    # one column at a time: no second copy of the whole table, as concatenating frames makes
    labels = np.array(list(curves), dtype=object)
    sizes = [len(c.time) for c in curves.values()]
    curve = pd.DataFrame({"group": np.repeat(labels, sizes),
                          **{k: np.concatenate(v).astype(float) for k, v in parts.items()}})
    if times_arr is not None:
        table = _table_at(curves, times_arr, conf_type, conf_level)
    else:
        table = pd.DataFrame(columns=["group", "time", "n_risk", "n_event", "survival", "se",
                                      "ci_lower", "ci_upper"])
    n = {lv: int(np.sum(prep.in_group(lv))) for lv in prep.levels}
    return KaplanMeierResult(
        groups=prep.levels, curve=curve, table=table,
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
        """The table of medians: one row per group."""
        return self.table

    def median(self, group: str = POOLED) -> float | None:
        """The median of one group, or None when it is not reached."""
        row = self.table[self.table["group"] == str(group)]
        if row.empty:
            raise InvalidParameterError(
                f"`group` must be one of {self.table['group'].tolist()}; got {group!r}.")
        v = float(row["median"].iloc[0])
        return None if math.isnan(v) else v


def median_survival(data: pd.DataFrame, *, time: str, event: str, group: str | None = None,
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
    data : DataFrame
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
    conf_level = check_conf(conf_type, conf_level)
    prep = prepare_data(data, time=time, event=event, group=group)
    return median_from_curves(prep, km_curves(prep), conf_type, conf_level)


def median_from_curves(prep: SurvivalData, curves: dict[str, _Curve], conf_type: str,
                       conf_level: float) -> MedianSurvivalResult:
    """:func:`median_survival` from validated data and its curves (:func:`km_curves`)."""
    z = z_critical(conf_level)
    rows = []
    for lv, c in curves.items():
        lower, upper = _curve_limits(c, conf_type, z)
        rows.append({"group": lv, "n": int(np.sum(prep.in_group(lv))),
                     "events": int(prep.event[prep.in_group(lv)].sum()),
                     "median": _minmin(c.surv, c.time),
                     "ci_lower": _minmin(lower, c.time), "ci_upper": _minmin(upper, c.time)})
    return MedianSurvivalResult(table=pd.DataFrame(rows), conf_type=conf_type,
                                conf_level=conf_level)


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
        """The RMST table: one row per group (the contrasts are in ``differences``)."""
        return self.table


def rmst(data: pd.DataFrame, *, time: str, event: str, group: str | None = None, tau: float,
         reference=None, conf_level: float = 0.95) -> RMSTResult:
    """Restricted mean survival time (area under the KM curve up to ``tau``).

    Parameters
    ----------
    data : DataFrame
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
    tau = check_positive("tau", tau)
    conf_level = check_probability("conf_level", conf_level)
    prep = prepare_data(data, time=time, event=event, group=group)
    ref = check_reference(reference, prep.levels)
    return rmst_from_curves(prep, km_curves(prep), tau, ref, conf_level)


def rmst_from_curves(prep: SurvivalData, curves: dict[str, _Curve], tau: float, ref: str,
                     conf_level: float) -> RMSTResult:
    """:func:`rmst` from validated data, its curves (:func:`km_curves`) and the reference."""
    z = z_critical(conf_level)
    rows = []
    for lv, c in curves.items():
        mean, se = _rmst_curve(c, tau)
        last = float(c.time[-1])
        if last < tau:
            warnings.warn(
                f"follow-up in group {lv!r} ends at {last:g} < tau = {tau:g}; the RMST extends its "
                "Kaplan-Meier curve flat from the last value.", StatisticalWarning, stacklevel=3)
        rows.append({"group": lv, "tau": tau, "rmst": mean, "se": se, "ci_lower": mean - z * se,
                     "ci_upper": mean + z * se, "last_time": last})
    table = pd.DataFrame(rows)
    diffs = []
    if prep.columns["group"] is not None:
        r0 = table.set_index("group").loc[ref]
        for lv in prep.levels:
            if lv == ref:
                continue
            r1 = table.set_index("group").loc[lv]
            d = r1["rmst"] - r0["rmst"]
            se = math.hypot(r1["se"], r0["se"])
            pv = float(2 * special.ndtr(-abs(d / se))) if se > 0 else (1.0 if d == 0 else 0.0)
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
        """The cumulative incidence table: one row per group and time."""
        return self.table


def cumulative_incidence(data: pd.DataFrame, *, time: str, event: str, group: str | None = None,
                         at: float = 48, conf_type: str = "log-log",
                         conf_level: float = 0.95) -> CumulativeIncidenceResult:
    """Cumulative incidence ``1 - S(at)`` (one event type, no competing risks).

    Parameters
    ----------
    data : DataFrame
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
    conf_level = check_conf(conf_type, conf_level)
    prep = prepare_data(data, time=time, event=event, group=group)
    return incidence_from_curves(km_curves(prep), float(at), conf_type, conf_level)


def incidence_from_curves(curves: dict[str, _Curve], at: float, conf_type: str,
                          conf_level: float) -> CumulativeIncidenceResult:
    """:func:`cumulative_incidence` at ``at`` from the Kaplan-Meier curves (:func:`km_curves`)."""
    t = _table_at(curves, check_times([at]), conf_type, conf_level)
    table = pd.DataFrame({"group": t["group"], "time": t["time"], "n_risk": t["n_risk"],
                          "cumulative_incidence": 1 - t["survival"], "se": t["se"],
                          "ci_lower": 1 - t["ci_upper"], "ci_upper": 1 - t["ci_lower"]})
    return CumulativeIncidenceResult(table=table, at=at, conf_type=conf_type,
                                     conf_level=conf_level)
