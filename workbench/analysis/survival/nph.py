"""Tests for non-proportional hazards: weighted log-rank, MaxCombo, RMST and milestone differences.

Two groups; "group 1" is the first group in sorted order (as everywhere in the package and in R's
``survdiff``). At each distinct event time ``t_j`` (pooled): ``d_j`` events among ``n_j`` at risk,
``d_1j`` of ``n_1j`` in group 1, ``E_1j = d_j n_1j / n_j`` and the hypergeometric variance
``V_j``; ``S(t_j-)`` is the pooled Kaplan-Meier estimate just before ``t_j``.

* :func:`fleming_harrington_test` - ``w_j = S(t_j-)^rho (1 - S(t_j-))^gamma``;
* :func:`magirr_burman_test` - ``w_j = 1 / max(S(t_j-), S(t*))`` (Magirr and Burman 2019);
* :func:`maxcombo_test` - the largest of FH(0,0), FH(0,1), FH(1,0), FH(1,1), with p-values from
  their joint normal distribution (singular correlation, see :mod:`workbench.kernels.maxcombo`);
* :func:`rmst_difference_test` - restricted mean survival time, group 2 minus group 1, z-test;
* :func:`milestone_test` - Kaplan-Meier survival at a time, group 2 minus group 1, z-test.

``U = sum w_j (d_1j - E_1j)``, ``Var = sum w_j^2 V_j``, ``z = U / sqrt(Var)``: ``z > 0`` means more
events than expected in group 1; ``chisq = z^2`` and the p-value is two-sided. With ``strata``,
``U`` and ``Var`` are summed over strata, each with its own Kaplan-Meier weights (as R's
``survdiff`` stratifies). Everything matches the R definitions of
``tests/reference/r/nph_tests.R`` (``tests/reference/nph_tests.json``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..._validation import check_positive, check_real
from ...exceptions import DataValidationError, InvalidParameterError, StatisticalWarning
from ...kernels.maxcombo import MAXCOMBO_TESTS, maxcombo_p_values
from ...kernels.replicates import weighted_logrank_arrays
from ...results import Result
from ._data import SurvivalData, prepare_data, require_events
from .curves import kaplan_meier, rmst

__all__ = ["WeightedLogRankResult", "MaxComboResult", "SurvivalDifferenceResult",
           "fleming_harrington_test", "magirr_burman_test", "maxcombo_test",
           "rmst_difference_test", "milestone_test", "check_follow_up_time", "follow_up_end"]


def _two_p(z: float) -> float:
    return float(2 * ndtr(-abs(z))) if math.isfinite(z) else math.nan


@dataclass(frozen=True)
class WeightedLogRankResult(Result):
    """A weighted log-rank test of two groups.

    Attributes
    ----------
    method : str
        ``"FH(rho, gamma)"`` or ``"MB(t*)"``, with "stratified" in front when stratified.
    rho, gamma : float or None
        The Fleming-Harrington exponents (None for Magirr-Burman).
    t_star : float or None
        The Magirr-Burman threshold (None for Fleming-Harrington).
    u, variance : float
        Weighted observed minus expected events in group 1 and its variance.
    z : float
        ``u / sqrt(variance)``: > 0 when group 1 has more events than expected.
    statistic : float
        ``chisq = z ** 2`` (chi-square on 1 df, as R's ``survdiff``).
    p_value : float
        Two-sided.
    groups : tuple of str
    strata : tuple of str or None
    """

    method: str
    rho: float | None
    gamma: float | None
    t_star: float | None
    u: float
    variance: float
    z: float
    statistic: float
    p_value: float
    groups: tuple
    strata: tuple | None = None
    _title = "Weighted log-rank test"

    @property
    def chisq(self) -> float:
        """The chi-square statistic ``z ** 2``."""
        return self.statistic

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``method, u, variance, z, statistic, p_value``."""
        return self._one_row("method", "u", "variance", "z", "statistic", "p_value")


@dataclass(frozen=True)
class MaxComboResult(Result):
    """MaxCombo: the largest of FH(0,0), FH(0,1), FH(1,0), FH(1,1).

    Attributes
    ----------
    tests : tuple of (rho, gamma)
    z : tuple of float
        The four z statistics (> 0: more events than expected in group 1).
    correlation : ndarray (4 x 4)
        Their correlation (rank 3).
    max_z, p_value_one_sided : float
        ``max z`` and ``P(max Z >= max z)``: the one-sided test that group 1 has more events.
    max_abs_z, p_value_two_sided : float
        ``max |z|`` and ``P(max |Z| >= max |z|)``.
    statistic, p_value : float
        ``max_abs_z`` and ``p_value_two_sided``.
    groups : tuple of str
    strata : tuple of str or None
    """

    tests: tuple
    z: tuple
    correlation: np.ndarray
    max_z: float
    p_value_one_sided: float
    max_abs_z: float
    p_value_two_sided: float
    groups: tuple
    strata: tuple | None = None
    _title = "MaxCombo test"

    @property
    def statistic(self) -> float:
        """The two-sided statistic ``max |z|``."""
        return self.max_abs_z

    @property
    def p_value(self) -> float:
        """The two-sided p-value."""
        return self.p_value_two_sided

    @property
    def summary(self) -> pd.DataFrame:
        """One row per component: ``rho, gamma, z``, then the MaxCombo row (``max_z`` ...)."""
        return pd.DataFrame([{"rho": r, "gamma": g, "z": z} for (r, g), z in
                             zip(self.tests, self.z, strict=True)]
                            + [{"rho": math.nan, "gamma": math.nan, "z": self.max_z,
                                "max_abs_z": self.max_abs_z,
                                "p_value_one_sided": self.p_value_one_sided,
                                "p_value_two_sided": self.p_value_two_sided}])


@dataclass(frozen=True)
class SurvivalDifferenceResult(Result):
    """A difference between two groups' survival summaries (group 2 minus group 1) and its z-test.

    Attributes
    ----------
    method : str
        ``"RMST difference"`` or ``"milestone difference"``.
    at : float
        ``tau`` (RMST) or the milestone time.
    group1, group2 : str
    estimate1, estimate2, se1, se2 : float
        RMST or Kaplan-Meier survival per group, with its standard error.
    difference, se, z, p_value : float
        ``estimate2 - estimate1``, ``sqrt(se1^2 + se2^2)``, their ratio and the two-sided p-value.
    """

    method: str
    at: float
    group1: str
    group2: str
    estimate1: float
    estimate2: float
    se1: float
    se2: float
    difference: float
    se: float
    z: float
    p_value: float
    _title = "Difference between groups"

    @property
    def statistic(self) -> float:
        """The z statistic."""
        return self.z

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``method, at, difference, se, z, p_value``."""
        return self._one_row("method", "at", "difference", "se", "z", "p_value")


# ============================================================================================
# input
# ============================================================================================
def check_follow_up_time(name: str, value, follow_up: float) -> float:
    """A time > 0 and not after the last follow-up time (``t_star``, ``tau``, ``milestone``)."""
    v = check_positive(name, value)
    if v > follow_up:
        raise InvalidParameterError(
            f"`{name}` must be > 0 and not beyond the data's follow-up ({follow_up:g}); "
            f"got {value!r}.")
    return v


def follow_up_end(data: pd.DataFrame, *, time: str, event: str, group: str | None = None) -> float:
    """The last follow-up time in the data: the limit for ``t_star``, ``tau`` and ``milestone``."""
    return float(prepare_data(data, time=time, event=event, group=group).time.max())


def _two_groups(data, time, event, group, strata) -> SurvivalData:
    prep = prepare_data(data, time=time, event=event, group=group, strata=strata, need_group=True)
    if len(prep.levels) != 2:
        raise DataValidationError(
            f"column {group!r} must hold exactly 2 groups for this test; got {len(prep.levels)} "
            f"({list(prep.levels)}).")
    return prep


def _weighted(prep: SurvivalData, weights) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """U (k) and covariance (k x k) summed over strata."""
    g1 = prep.in_group(prep.levels[0])
    if prep.strata is None:
        parts = [np.ones(len(prep.time), dtype=bool)]
        slevels = None
    else:
        slevels = tuple(sorted(set(prep.strata.tolist())))
        parts = [prep.strata == s for s in slevels]
    k = len(weights)
    u, cov = np.zeros(k), np.zeros((k, k))
    for m in parts:
        res = weighted_logrank_arrays(prep.time[m], prep.event[m].astype(bool), g1[m],
                                      weights=weights)
        u += res.u[0]
        cov += res.covariance[0]
    return u, cov, slevels


def _result(prep, u, var, method, slevels, rho=None, gamma=None, t_star=None):
    z = u / math.sqrt(var) if var > 0 else math.nan
    if slevels is not None:
        method = "stratified " + method
    return WeightedLogRankResult(method=method, rho=rho, gamma=gamma, t_star=t_star, u=float(u),
                                 variance=float(var), z=float(z), statistic=float(z * z),
                                 p_value=_two_p(z), groups=prep.levels, strata=slevels)


# ============================================================================================
# the tests
# ============================================================================================
def fleming_harrington_test(data: pd.DataFrame, *, time: str, event: str, group: str,
                            strata: str | None = None, rho: float = 0.0,
                            gamma: float = 0.0) -> WeightedLogRankResult:
    """Fleming-Harrington weighted log-rank test FH(rho, gamma) of two groups.

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator (0/1) and group label (exactly 2 groups).
    strata : str, optional
        Column of strata: weights, U and Var within strata, summed.
    rho, gamma : float >= 0, default 0
        Weight ``S(t-)^rho (1 - S(t-))^gamma`` with the pooled Kaplan-Meier ``S`` just before each
        event time: FH(0, 0) is the log-rank test, FH(0, 1) emphasises late differences.

    Returns
    -------
    WeightedLogRankResult
        ``z`` (> 0: more events than expected in the first group), ``statistic`` (chi-square)
        and the two-sided ``p_value``.

    Notes
    -----
    FH(rho, 0) equals R ``survival::survdiff(rho=)``. Checked against R for FH(0,0), (0,1),
    (1,0), (1,1), (0.5,0.5) and (2,0) on three data sets (``tests/reference/nph_tests.json``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = fleming_harrington_test(df, time="time", event="event", group="arm", rho=1)
    >>> round(float(res.statistic), 4), round(res.p_value, 4)    # R survdiff(rho = 1)
    (2.3008, 0.1293)
    """
    rho = check_real("rho", rho)
    gamma = check_real("gamma", gamma)
    for name, v in (("rho", rho), ("gamma", gamma)):
        if not (v >= 0 and math.isfinite(v)):
            raise InvalidParameterError(f"`{name}` must be a finite number >= 0; got {v!r}.")
    prep = _two_groups(data, time, event, group, strata)
    require_events(prep, "a weighted log-rank test")
    u, cov, slevels = _weighted(prep, [("fh", rho, gamma)])
    return _result(prep, u[0], cov[0, 0], f"FH({rho:g}, {gamma:g})", slevels, rho=float(rho),
                   gamma=float(gamma))


def magirr_burman_test(data: pd.DataFrame, *, time: str, event: str, group: str,
                       t_star: float, strata: str | None = None) -> WeightedLogRankResult:
    """Magirr-Burman modestly weighted log-rank test of two groups.

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator and group label (exactly 2 groups).
    t_star : float > 0
        Threshold time, not beyond the last follow-up time: weights ``1 / max(S(t-), S(t*))``
        grow until ``t*`` and stay constant after it.
    strata : str, optional
        Column of strata (weights within strata, sums over strata).

    Returns
    -------
    WeightedLogRankResult

    Notes
    -----
    Magirr and Burman (2019), Statistics in Medicine 38:5287. Checked against the R definition in
    ``tests/reference/r/nph_tests.R``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = magirr_burman_test(df, time="time", event="event", group="arm", t_star=8)
    >>> res.method, bool(res.z > 0)
    ('MB(8)', True)
    """
    prep = _two_groups(data, time, event, group, strata)
    t_star = check_follow_up_time("t_star", t_star, float(prep.time.max()))
    require_events(prep, "a weighted log-rank test")
    u, cov, slevels = _weighted(prep, [("mb", t_star)])
    return _result(prep, u[0], cov[0, 0], f"MB({t_star:g})", slevels, t_star=t_star)


def maxcombo_test(data: pd.DataFrame, *, time: str, event: str, group: str,
                  strata: str | None = None) -> MaxComboResult:
    """MaxCombo test: the largest of FH(0,0), FH(0,1), FH(1,0) and FH(1,1).

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator and group label (exactly 2 groups).
    strata : str, optional
        Column of strata (each statistic and the covariance summed over strata).

    Returns
    -------
    MaxComboResult
        The four z statistics, their correlation, ``max_z`` with its one-sided p-value
        (alternative: more events in the first group) and ``max_abs_z`` with its two-sided
        p-value.

    Notes
    -----
    The p-values integrate the joint normal distribution of the four statistics, whose
    correlation matrix is singular (``U00 = U01 + U10``), as a one-dimensional integral of a
    bivariate normal probability (:func:`workbench.kernels.maxcombo.maxcombo_p_values`, accurate
    to about 1e-12). R's ``mvtnorm::pmvnorm`` (Genz-Bretz) agrees to its own error, a few 1e-6
    (``tests/reference/nph_tests.json``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = maxcombo_test(df, time="time", event="event", group="arm")
    >>> bool(res.p_value_one_sided < res.p_value_two_sided)
    True
    """
    prep = _two_groups(data, time, event, group, strata)
    require_events(prep, "a MaxCombo test")
    u, cov, slevels = _weighted(prep, [("fh", r, g) for r, g in MAXCOMBO_TESTS])
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = u / sd
        corr = cov / np.outer(sd, sd)
    p1, p2 = maxcombo_p_values(z, corr)
    return MaxComboResult(tests=MAXCOMBO_TESTS, z=tuple(float(x) for x in z), correlation=corr,
                          max_z=float(np.max(z)), p_value_one_sided=float(p1),
                          max_abs_z=float(np.max(np.abs(z))), p_value_two_sided=float(p2),
                          groups=prep.levels, strata=slevels)


def _difference(method, at, levels, e1, e2, se1, se2) -> SurvivalDifferenceResult:
    d = e2 - e1
    se = math.hypot(se1, se2)
    z = d / se if se > 0 else math.nan
    return SurvivalDifferenceResult(method=method, at=float(at), group1=levels[0],
                                    group2=levels[1], estimate1=float(e1), estimate2=float(e2),
                                    se1=float(se1), se2=float(se2), difference=float(d),
                                    se=float(se), z=float(z), p_value=_two_p(z))


def rmst_difference_test(data: pd.DataFrame, *, time: str, event: str, group: str,
                         tau: float) -> SurvivalDifferenceResult:
    """Difference in restricted mean survival time to ``tau`` (group 2 minus group 1), z-test.

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator and group label (exactly 2 groups).
    tau : float > 0
        Horizon, not beyond the last follow-up time in the data (a group whose follow-up ends
        earlier has its curve extended flat, as R does, with a warning).

    Returns
    -------
    SurvivalDifferenceResult
        ``estimate1``, ``estimate2`` (RMST per group), ``difference``, ``se``
        (``sqrt(se1^2 + se2^2)``), ``z`` and the two-sided ``p_value``.

    Notes
    -----
    RMST and its standard error as R ``summary(survfit(...), rmean=tau)$table`` (see
    :func:`~workbench.analysis.survival.rmst`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = rmst_difference_test(df, time="time", event="event", group="arm", tau=12)
    >>> res.group2, round(res.difference, 4)
    ('b', 2.6667)
    """
    prep = _two_groups(data, time, event, group, None)
    tau = check_follow_up_time("tau", tau, float(prep.time.max()))
    res = rmst(data, time=time, event=event, group=group, tau=tau)
    tab = res.table.set_index("group")
    r1, r2 = tab.loc[prep.levels[0]], tab.loc[prep.levels[1]]
    return _difference("RMST difference", tau, prep.levels, r1["rmst"], r2["rmst"], r1["se"],
                       r2["se"])


def milestone_test(data: pd.DataFrame, *, time: str, event: str, group: str,
                   milestone: float) -> SurvivalDifferenceResult:
    """Difference in Kaplan-Meier survival at a time (group 2 minus group 1), z-test.

    Parameters
    ----------
    data : DataFrame
    time, event, group : str
        Columns of follow-up time, event indicator and group label (exactly 2 groups).
    milestone : float > 0
        The time, not beyond the last follow-up time in the data.

    Returns
    -------
    SurvivalDifferenceResult
        ``estimate1``, ``estimate2`` (survival per group), ``difference``, ``se`` from the
        Greenwood standard errors, ``z`` and the two-sided ``p_value``.

    Notes
    -----
    As R ``summary(survfit(...), times=milestone, extend=TRUE)`` (``surv``, ``std.err``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"time": [3, 5, 6, 8, 10, 12, 4, 9, 14, 15, 18, 20],
    ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    ...                    "arm": ["a"] * 6 + ["b"] * 6})
    >>> res = milestone_test(df, time="time", event="event", group="arm", milestone=9)
    >>> round(res.estimate1, 4), round(res.estimate2, 4)
    (0.4444, 0.8333)
    """
    prep = _two_groups(data, time, event, group, None)
    at = check_follow_up_time("milestone", milestone, float(prep.time.max()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        km = kaplan_meier(data, time=time, event=event, group=group, times=[at])
    tab = km.table.set_index("group")
    s1, s2 = tab.loc[prep.levels[0]], tab.loc[prep.levels[1]]
    se1 = 0.0 if np.isnan(s1["se"]) else s1["se"]
    se2 = 0.0 if np.isnan(s2["se"]) else s2["se"]
    return _difference("milestone difference", at, prep.levels, s1["survival"], s2["survival"],
                       se1, se2)
