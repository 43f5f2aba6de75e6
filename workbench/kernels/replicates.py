"""Tests and models computed for many replicates at once (no Python loop per replicate).

Simulation power needs the planned analysis on thousands of simulated trials. These functions take
arrays with one row per replicate and return one result per row:

- :func:`logrank_arrays`: the log-rank test (R ``survival::survdiff``, rho = 0);
- :func:`weighted_logrank_arrays`: weighted log-rank tests (Fleming-Harrington FH(rho, gamma),
  Magirr-Burman) and the MaxCombo combination, several weights from one pass;
- :func:`cox_arrays`: the Cox model with the arm as the only covariate, Newton-Raphson on all rows
  together, Efron or Breslow ties; Wald and score statistics;
- :func:`rates_arrays`: the two-proportion z (chi-square) test from per-replicate counts;
- :func:`ttest_arrays`: Welch or Student two-sample t-tests;
- :func:`ancova_arrays`: the ANCOVA ``y ~ arm + baseline`` by batched least squares;
- :func:`mmrm_arrays`: the MMRM (unstructured covariance, REML) by batched Fisher scoring
  (:mod:`workbench.kernels.reml`).

Pooling of simulated bodies of trials lives with the meta-analysis
(:func:`workbench.analysis.meta.pool_replicates`, :func:`workbench.analysis.meta.egger_replicates`).

Degenerate replicates
---------------------
A statistic that is undefined for a replicate (no variation, too few observations, a model that
cannot be estimated) is NaN, and so is its p-value; a NaN p-value is never a rejection
(``p < alpha`` is False). The survival and rates functions keep their documented conventions (a
statistic of 0 where its variance is 0).

How the survival statistics are vectorised
------------------------------------------
Each row's times are sorted once with ``np.sort`` along axis 1 on a packed 64-bit key: the bit
pattern of the (non-negative) float time with its two lowest bits replaced by the censoring flag
and the arm. Sorting values is several times faster than ``argsort`` followed by gathers, and
within a tie events come before censorings. Times whose bit patterns differ only in those two
bits (within 4 units in the last place, a relative 1e-15) count as tied. From the sorted rows,
cumulative sums give the numbers at risk in each arm at every event; tied event times are grouped
(the risk set of a tie group is the one at its first member). Everything after the sort works on
the flat list of events, so the cost is one sort plus a few passes over the events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from .._validation import check_alternative, check_bool, check_probability
from ..exceptions import DataValidationError, InvalidParameterError
from ..results import Result
from .reml import arm_visit_column, fit_contrasts, mmrm_design
from .score import difference_variance
from .workspace import work_array

__all__ = ["EventTable", "event_table", "sorted_keys", "replicate_arrays", "key_fields",
           "logrank_arrays", "weighted_logrank_arrays",
           "WeightedLogRankArrays", "pooled_km_before", "cox_arrays", "rates_arrays",
           "LogRankArrays", "CoxArrays", "RatesArrays", "ttest_arrays", "ancova_arrays",
           "mmrm_arrays"]

_MASK = ~np.int64(3)


@dataclass(frozen=True)
class EventTable:
    """Risk-set summaries at every event of every replicate (flat arrays, one entry per event).

    Attributes
    ----------
    n_reps : int
    row : int array
        Replicate of each event (non-decreasing).
    x : float array
        1.0 if the event is in the arm coded True (arm 1), else 0.0.
    at_risk : float array
        Patients at risk at the event's time (both arms).
    at_risk1 : float array
        Patients of arm 1 at risk.
    ties : float array
        Events tied at that time in that replicate (1 without ties).
    ties1 : float array
        Of those, events in arm 1.
    rank : float array
        0, 1, ..., ties - 1 within a tie group (Efron's correction).
    has_ties : bool
    time : float array or None
        The event's time (to 1e-15 relative: read back from the packed sort key).
    """

    n_reps: int
    row: np.ndarray
    x: np.ndarray
    at_risk: np.ndarray
    at_risk1: np.ndarray
    ties: np.ndarray
    ties1: np.ndarray
    rank: np.ndarray
    has_ties: bool
    time: np.ndarray | None = None

    def per_row(self, values) -> np.ndarray:
        """Sum of per-event ``values`` within each replicate."""
        return np.bincount(self.row, weights=values, minlength=self.n_reps)

    @property
    def events(self) -> np.ndarray:
        """Number of events per replicate."""
        return np.bincount(self.row, minlength=self.n_reps)

    @property
    def events1(self) -> np.ndarray:
        """Number of events in arm 1 per replicate."""
        return self.per_row(self.x)


def replicate_arrays(time, event, group):
    """``time``, ``event``, ``group`` as checked 2-d arrays (one row per replicate)."""
    t = np.asarray(time, dtype=np.float64)
    if t.ndim == 1:
        t = t[None, :]
    if t.ndim != 2:
        raise InvalidParameterError(
            f"`time` must be a 1-d or 2-d array; got shape {np.shape(time)}."
        )
    e = np.asarray(event)
    if e.shape != t.shape and e.shape != t.shape[1:]:
        raise InvalidParameterError(
            f"`event` must have the shape of `time` {t.shape}; got {e.shape}."
        )
    e = np.broadcast_to(e.astype(bool, copy=False), t.shape)
    g = np.asarray(group)
    if g.shape != t.shape and g.shape != t.shape[1:]:
        raise InvalidParameterError(
            f"`group` must have the shape of `time` {t.shape} or one entry per patient; "
            f"got {g.shape}."
        )
    g = np.broadcast_to(g.astype(bool, copy=False), t.shape)
    if t.size and not (t.min() >= 0):  # NaN fails too
        raise DataValidationError("`time` must hold non-negative numbers (no NaN).")
    return t, e, g


def sorted_keys(t, e, g) -> np.ndarray:
    """Each row's packed (time, censored, arm) keys, sorted: events first within tied times."""
    key = work_array("keys.key", t.shape, np.int64)
    np.add(t, 0.0, out=key.view(np.float64))  # + 0.0 turns -0.0 into 0.0
    key &= _MASK
    flag = work_array("keys.flag", t.shape, np.int64)
    np.subtract(2, np.left_shift(e, 1, out=flag, dtype=np.int64), out=flag)  # 2 if censored
    key |= flag
    key |= g
    key.sort(axis=1)
    return key


def key_fields(key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time (to 1e-15 relative), event flag and arm-1 flag of sorted keys (:func:`sorted_keys`)."""
    return (key & _MASK).view(np.float64), (key & 2) == 0, (key & 1) == 1


def _event_ties(key: np.ndarray, ev: np.ndarray) -> bool:
    """Whether any event shares its time with the event sorted just before it."""
    shape = (key.shape[0], key.shape[1] - 1)
    diff = np.bitwise_xor(key[:, 1:], key[:, :-1], out=work_array("ties.diff", shape, np.int64))
    same = np.less(diff, 4, out=work_array("ties.same", shape, bool))
    same &= ev[:, 1:]
    return bool(same.any())


def event_table(time, event, group) -> EventTable:
    """Risk sets at every event of every replicate.

    Parameters
    ----------
    time : float array (n_reps, n) or (n,)
        Observed times, >= 0 (``inf`` allowed for never-censored, never-failing patients).
    event : bool array, same shape as ``time`` (or (n,))
    group : bool array (n,) or (n_reps, n)
        True for arm 1 (the experimental arm; the Cox covariate), False for arm 2.

    Returns
    -------
    EventTable
    """
    t, e, g = replicate_arrays(time, event, group)
    return _table_from_keys(sorted_keys(t, e, g))


def _table_from_keys(key: np.ndarray) -> EventTable:
    n_reps, n = key.shape
    gs = np.bitwise_and(key, 1, out=work_array("tab.gs", key.shape, np.int32), casting="same_kind")
    ev = np.bitwise_and(key, 2, out=work_array("tab.cg", key.shape, np.int32), casting="same_kind")
    ev = np.equal(ev, 0, out=work_array("tab.ev", key.shape, bool))
    cg = np.cumsum(gs, axis=1, dtype=np.int32, out=work_array("tab.cg", key.shape, np.int32))
    n1_row = cg[:, -1].copy() if n else np.zeros(n_reps, np.int32)
    cg -= gs  # arm-1 patients strictly before each position
    flat_idx = np.flatnonzero(ev)
    rows, cols = np.divmod(flat_idx, n) if n else (flat_idx, flat_idx)
    x = gs.ravel()[flat_idx].astype(np.float64)
    has_ties = _event_ties(key, ev) if n > 1 else False
    if has_ties:
        start = work_array("tab.start", (n_reps, n), bool)
        start[:, :1] = True
        np.greater_equal(key[:, 1:] ^ key[:, :-1], 4, out=start[:, 1:])
        idx = np.multiply(start, np.arange(n, dtype=np.int32),
                          out=work_array("tab.idx", (n_reps, n), np.int32))
        np.maximum.accumulate(idx, axis=1, out=idx)
        s = idx.ravel()[flat_idx]
    else:
        s = cols
    at_risk = (n - s).astype(np.float64)
    at_risk1 = (n1_row[rows] - cg.ravel()[rows * n + s]).astype(np.float64)
    if has_ties:
        flat = rows.astype(np.int64) * n + s
        new = np.empty(flat.size, dtype=bool)
        new[:1] = True
        np.not_equal(flat[1:], flat[:-1], out=new[1:])
        gid = np.cumsum(new) - 1
        first = np.flatnonzero(new)
        size = np.diff(np.append(first, flat.size))
        ties = size[gid].astype(np.float64)
        rank = (np.arange(flat.size) - first[gid]).astype(np.float64)
        ties1 = np.bincount(gid, weights=x)[gid]
    else:
        ties = np.ones(rows.size)
        rank = np.zeros(rows.size)
        ties1 = x
    time = (key.ravel()[flat_idx] & _MASK).view(np.float64)
    return EventTable(n_reps, rows, x, at_risk, at_risk1, ties, ties1, rank, has_ties, time)


def _logrank_dense(key: np.ndarray):
    """O1, E1, V and events per row from sorted keys (no flattening); None with tied events."""
    n_reps, n = key.shape
    ev = np.bitwise_and(key, 2, out=work_array("lr.cg", key.shape, np.int32), casting="same_kind")
    ev = np.equal(ev, 0, out=work_array("lr.ev", key.shape, bool))
    if n > 1 and _event_ties(key, ev):
        return None
    gs = np.bitwise_and(key, 1, out=work_array("lr.gs", key.shape, np.int32), casting="same_kind")
    cg = np.cumsum(gs, axis=1, dtype=np.int32, out=work_array("lr.cg", key.shape, np.int32))
    n1 = cg[:, -1:].astype(np.float64)
    cg -= gs
    frac = np.subtract(n1, cg, out=work_array("lr.frac", key.shape))
    frac /= np.arange(n, 0, -1, dtype=np.float64)
    both = np.logical_and(ev, gs, out=work_array("lr.ev1", key.shape, bool))
    o1 = np.count_nonzero(both, axis=1).astype(np.float64)
    frac *= ev  # 0 where censored (frac >= 0, so exactly 0.0)
    e1 = frac.sum(axis=1)
    tmp = np.subtract(1.0, frac, out=work_array("lr.tmp", key.shape))
    frac *= tmp
    v = frac.sum(axis=1)
    return o1, e1, v, np.count_nonzero(ev, axis=1)


@dataclass(frozen=True)
class LogRankArrays(Result):
    """Log-rank statistics, one per replicate.

    ``z = (O1 - E1) / sqrt(V)`` for arm 1 (negative when arm 1 has fewer events than expected,
    i.e. a hazard ratio below 1); ``chisq = z ** 2`` (R survdiff's chi-square for two groups). With
    no events (V = 0) ``z`` is 0.
    """

    z: np.ndarray
    observed1: np.ndarray
    expected1: np.ndarray
    variance: np.ndarray
    events: np.ndarray

    _title = "Log-rank tests (one per replicate)"

    @property
    def chisq(self) -> np.ndarray:
        """The log-rank chi-square statistic per replicate, ``z ** 2``."""
        return self.z**2

    @property
    def p_value(self) -> np.ndarray:
        """Two-sided p-value per replicate (chi-square on 1 df)."""
        from scipy.special import chdtrc

        return chdtrc(1, self.chisq)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per replicate: the log-rank test and its parts.

        Columns ``statistic, z, p_value, observed1, expected1, variance, events``.
        """
        return pd.DataFrame({"statistic": self.chisq, "z": self.z, "p_value": self.p_value,
                             "observed1": self.observed1, "expected1": self.expected1,
                             "variance": self.variance, "events": self.events})


def logrank_arrays(time, event, group, *, table: EventTable | None = None) -> LogRankArrays:
    """The two-sample log-rank test for every row of ``time``/``event``.

    Parameters
    ----------
    time : float array (n_reps, n) or (n,)
    event : bool array like ``time``
    group : bool array (n,) or (n_reps, n)
        True for arm 1.
    table : EventTable, optional
        Reuse risk sets already computed by :func:`event_table`.

    Returns
    -------
    LogRankArrays

    Notes
    -----
    O1 - E1 = sum over event times of d1 - d n1 / n and
    V = sum of d (n1 / n)(1 - n1 / n)(n - d)/(n - 1): the hypergeometric variance of R
    ``survival::survdiff``, whose chi-square it reproduces to 1e-10 on the reference datasets
    (tests/reference/logrank_cox.json).

    Examples
    --------
    >>> import numpy as np
    >>> time = np.array([[6, 7, 10, 15, 19, 25], [1, 2, 3, 4, 5, 6]], dtype=float)
    >>> event = np.array([[1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1]], dtype=bool)
    >>> res = logrank_arrays(time, event, [True, True, True, False, False, False])
    >>> res.chisq.round(4)   # lifelines logrank_test: 3.5714 and 5.0517
    array([3.5714, 5.0517])
    """
    if table is None:
        t, e, g = replicate_arrays(time, event, group)
        key = sorted_keys(t, e, g)
        dense = _logrank_dense(key)
        if dense is not None:
            return _logrank_result(*dense)
        table = _table_from_keys(key)
    tab = table
    frac = tab.at_risk1 / tab.at_risk
    o1 = tab.events1
    e1 = tab.per_row(frac)
    n = tab.at_risk
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(n > 1, (n - tab.ties) / (n - 1), 0.0) if tab.has_ties else 1.0
    v = tab.per_row(frac * (1 - frac) * corr)
    return _logrank_result(o1, e1, v, tab.events)


def _logrank_result(o1, e1, v, events) -> LogRankArrays:
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(v > 0, (o1 - e1) / np.sqrt(np.where(v > 0, v, 1.0)), 0.0)
    return LogRankArrays(z, o1, e1, v, events)


def pooled_km_before(table: EventTable) -> np.ndarray:
    """The pooled Kaplan-Meier estimate just before each event, ``S(t-)``, per replicate.

    One entry per event of ``table`` (tied events share their value; the first event time of a
    replicate has 1). Computed as a cumulative sum of ``log(1 - d / n)`` over the tie groups of
    each replicate; a tie group that ends the curve (``d = n``) contributes ``-745`` (S = 0 in
    double precision).
    """
    nev = table.row.size
    if nev == 0:
        return np.ones(0)
    with np.errstate(divide="ignore"):
        lf = np.maximum(np.log1p(-table.ties / table.at_risk), -745.0) / table.ties
    before = np.cumsum(lf) - lf  # sum over the events before each one (all replicates)
    first = np.arange(nev) - table.rank.astype(np.int64)  # first event of each tie group
    starts = np.minimum(np.concatenate(([0], np.cumsum(table.events)[:-1])), nev - 1)
    return np.exp(before[first] - before[starts][table.row])


def _weights(spec, table: EventTable, s_minus: np.ndarray) -> np.ndarray:
    """Per-event weights of one spec: ``("fh", rho, gamma)`` or ``("mb", t_star)``."""
    if spec[0] == "fh":
        rho, gamma = float(spec[1]), float(spec[2])
        return s_minus**rho * (1.0 - s_minus) ** gamma
    if spec[0] == "mb":
        if table.time is None:
            raise InvalidParameterError("a Magirr-Burman weight needs the event times of `table`.")
        s_after = s_minus * (1.0 - table.ties / table.at_risk)
        s_star = np.ones(table.n_reps)
        np.minimum.at(s_star, table.row, np.where(table.time <= float(spec[1]), s_after, 1.0))
        return 1.0 / np.maximum(s_minus, s_star[table.row])
    raise InvalidParameterError(
        f"a weight must be ('fh', rho, gamma) or ('mb', t_star); got {spec!r}.")


@dataclass(frozen=True)
class WeightedLogRankArrays(Result):
    """Weighted log-rank statistics, one row per replicate and one column per weight.

    ``z[:, k] = U_k / sqrt(V_k)`` with ``U_k = sum w_k (d1 - d n1 / n)`` and
    ``V_k = sum w_k^2 V_j`` (hypergeometric ``V_j``): negative when arm 1 has fewer (weighted)
    events than expected. ``covariance[:, k, l] = sum w_k w_l V_j``. With no events (V = 0) ``z``
    is 0.
    """

    weights: tuple
    z: np.ndarray
    u: np.ndarray
    covariance: np.ndarray
    events: np.ndarray

    _title = "Weighted log-rank tests (one row per replicate)"

    @property
    def variance(self) -> np.ndarray:
        """``V_k`` per replicate and weight."""
        return np.diagonal(self.covariance, axis1=1, axis2=2)

    @property
    def correlation(self) -> np.ndarray:
        """Correlation matrix of the statistics per replicate (n_reps, k, k)."""
        sd = np.sqrt(self.variance)
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.covariance / (sd[:, :, None] * sd[:, None, :])

    @property
    def p_value(self) -> np.ndarray:
        """Two-sided p-value of each statistic (normal reference)."""
        from scipy.special import ndtr

        return 2 * ndtr(-np.abs(self.z))

    @property
    def summary(self) -> pd.DataFrame:
        """One row per replicate and weight.

        Columns ``replicate, weight, statistic, u, variance, p_value``.
        """
        n_reps, k = self.z.shape
        return pd.DataFrame({"replicate": np.repeat(np.arange(n_reps), k),
                             "weight": [str(w) for w in self.weights] * n_reps,
                             "statistic": self.z.ravel(), "u": self.u.ravel(),
                             "variance": self.variance.ravel(), "p_value": self.p_value.ravel()})


def weighted_logrank_arrays(time, event, group, *, weights=(("fh", 0, 0),),
                            table: EventTable | None = None) -> WeightedLogRankArrays:
    """Weighted two-sample log-rank tests for every row of ``time``/``event``, several weights.

    Parameters
    ----------
    time : float array (n_reps, n) or (n,)
    event : bool array like ``time``
    group : bool array (n,) or (n_reps, n)
        True for arm 1.
    weights : sequence of tuples, default ``(("fh", 0, 0),)``
        ``("fh", rho, gamma)``: Fleming-Harrington ``S(t-)^rho (1 - S(t-))^gamma``;
        ``("mb", t_star)``: Magirr-Burman ``1 / max(S(t-), S(t_star))``; ``S`` is the pooled
        Kaplan-Meier estimate of the replicate (just before each event time).
    table : EventTable, optional
        Reuse risk sets already computed by :func:`event_table`.

    Returns
    -------
    WeightedLogRankArrays
        ``z``, ``u`` (n_reps, k) and ``covariance`` (n_reps, k, k): the MaxCombo correlation.

    Notes
    -----
    ``FH(0, 0)`` is :func:`logrank_arrays`; ``FH(rho, 0)`` is R ``survival::survdiff(rho=)``.
    Checked against the R definitions of ``tests/reference/r/nph_tests.R`` (``nph_tests.json``).

    Examples
    --------
    >>> import numpy as np
    >>> time = np.array([[6, 7, 10, 15, 19, 25], [1, 2, 3, 4, 5, 6]], dtype=float)
    >>> event = np.array([[1, 0, 1, 1, 0, 1], [1, 1, 1, 1, 1, 1]], dtype=bool)
    >>> res = weighted_logrank_arrays(time, event, [True, True, True, False, False, False],
    ...                               weights=[("fh", 0, 0), ("fh", 1, 0)])
    >>> (res.z[:, 0] ** 2).round(4)   # the log-rank chi-square
    array([3.5714, 5.0517])
    """
    specs = tuple(tuple(w) for w in weights)
    if not specs:
        raise InvalidParameterError("`weights` must name at least one weight; got none.")
    tab = event_table(time, event, group) if table is None else table
    s_minus = pooled_km_before(tab)
    frac = tab.at_risk1 / tab.at_risk
    n = tab.at_risk
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(n > 1, (n - tab.ties) / (n - 1), 0.0) if tab.has_ties else 1.0
    base = frac * (1 - frac) * corr
    o_e = tab.x - frac
    w = [_weights(spec, tab, s_minus) for spec in specs]
    k = len(specs)
    u = np.stack([tab.per_row(wk * o_e) for wk in w], axis=1)
    cov = np.empty((tab.n_reps, k, k))
    for i in range(k):
        for j in range(i, k):
            cov[:, i, j] = cov[:, j, i] = tab.per_row(w[i] * w[j] * base)
    v = np.diagonal(cov, axis1=1, axis2=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(v > 0, u / np.sqrt(np.where(v > 0, v, 1.0)), 0.0)
    return WeightedLogRankArrays(specs, z, u, cov, tab.events)


@dataclass(frozen=True)
class CoxArrays(Result):
    """Cox model ``log h = beta * arm1`` fitted to every replicate.

    Attributes
    ----------
    beta : float array
        Log hazard ratio of arm 1 vs arm 2.
    se : float array
        Standard error from the information at ``beta``.
    z : float array
        Wald statistic beta / se (0 where the information vanishes).
    score_z : float array
        Score statistic at beta = 0, U(0) / sqrt(I(0)).
    converged : bool array
        False where the estimate diverges (all events in one arm, or an arm with no events at
        risk: the monotone likelihood of R coxph's "coefficient may be infinite" warning); there
        ``beta`` is the value reached (|beta| > 20) and ``z`` is about 0, as R reports it.
    iterations : int
    ties : str
    """

    beta: np.ndarray
    se: np.ndarray
    z: np.ndarray
    score_z: np.ndarray
    converged: np.ndarray
    iterations: int
    ties: str

    _title = "Cox models (one per replicate)"

    @property
    def hazard_ratio(self) -> np.ndarray:
        """Hazard ratio per replicate, ``exp(beta)``."""
        return np.exp(self.beta)

    @property
    def p_value(self) -> np.ndarray:
        """Two-sided Wald p-value per replicate."""
        from scipy.special import ndtr

        return 2 * ndtr(-np.abs(self.z))

    @property
    def summary(self) -> pd.DataFrame:
        """One row per replicate: the Cox estimate, its test and convergence.

        Columns ``estimate, se, hazard_ratio, statistic, p_value, score_z, converged``.
        """
        return pd.DataFrame({"estimate": self.beta, "se": self.se,
                             "hazard_ratio": self.hazard_ratio,
                             "statistic": self.z, "p_value": self.p_value,
                             "score_z": self.score_z, "converged": self.converged})


_BETA_MAX = 20.0


def cox_arrays(time, event, group, *, ties: str = "efron", tol: float = 1e-10, max_iter: int = 50,
               table: EventTable | None = None) -> CoxArrays:
    """Cox proportional hazards with the arm as covariate, for every row at once.

    Parameters
    ----------
    time, event, group : arrays as :func:`logrank_arrays` (``group`` True = arm 1, covariate 1)
    ties : {"efron", "breslow"}, default "efron"
    tol : float, default 1e-10
        Newton-Raphson stops when every row's step is below ``tol``.
    max_iter : int, default 50
    table : EventTable, optional

    Returns
    -------
    CoxArrays

    Notes
    -----
    With one binary covariate the partial likelihood depends on the data only through the risk
    sets at the events: with a = exp(beta), Efron's denominator for the l-th of d tied events is
    S0 = n0 + n1 a - (l/d)(d0 + d1 a) and S1 = n1 a - (l/d) d1 a; the score is
    U = sum(x - S1/S0) and the information I = sum p(1 - p) with p = S1/S0 (Breslow: l = 0).
    Newton steps run on all rows together (step halving where the log-likelihood would fall).
    Matches lifelines ``CoxPHFitter`` (Efron) to 1e-6 and R ``coxph`` (Efron and Breslow) on the
    reference datasets.

    Examples
    --------
    >>> import numpy as np
    >>> time = np.array([[6, 7, 10, 15, 19, 25, 3, 12]], dtype=float)
    >>> event = np.array([[1, 0, 1, 1, 0, 1, 1, 1]], dtype=bool)
    >>> fit = cox_arrays(time, event, [1, 1, 1, 0, 0, 0, 0, 1])
    >>> fit.beta.round(4), fit.converged   # lifelines CoxPHFitter: 1.4681
    (array([1.4681]), array([ True]))
    """
    if ties not in ("efron", "breslow"):
        raise InvalidParameterError(f"`ties` must be one of 'efron', 'breslow'; got {ties!r}.")
    tab = event_table(time, event, group) if table is None else table
    n_reps = tab.n_reps
    n, n1 = tab.at_risk, tab.at_risk1
    n0 = n - n1
    d, d1 = tab.ties, tab.ties1
    frac = tab.rank / d if (ties == "efron" and tab.has_ties) else None
    d0 = d - d1
    sum_x = tab.events1

    def evaluate(beta):
        a = np.exp(beta)[tab.row]
        if frac is None:
            s1 = n1 * a
            s0 = n0 + s1
        else:
            s1 = n1 * a - frac * d1 * a
            s0 = n0 + n1 * a - frac * (d0 + d1 * a)
        p = s1 / s0
        u = sum_x - tab.per_row(p)
        info = tab.per_row(p * (1 - p))
        loglik = sum_x * beta - tab.per_row(np.log(s0))
        return u, info, loglik

    beta = np.zeros(n_reps)
    u, info, ll = evaluate(beta)
    score_z = np.where(info > 0, u / np.sqrt(np.where(info > 0, info, 1.0)), 0.0)
    active = info > 0
    converged = ~active  # rows without information (no events or one arm empty) stop at 0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - `it`, the last iteration, is returned
        if not active.any():
            break
        step = np.where(active, u / np.where(info > 0, info, 1.0), 0.0)
        new = beta + step
        u_new, info_new, ll_new = evaluate(new)
        worse = active & (ll_new < ll - 1e-12 * np.abs(ll))
        halvings = 0
        while worse.any() and halvings < 30:
            step = np.where(worse, step / 2, step)
            new = beta + step
            u_new, info_new, ll_new = evaluate(new)
            worse = active & (ll_new < ll - 1e-12 * np.abs(ll))
            halvings += 1
        beta, u, info, ll = new, u_new, info_new, ll_new
        done = active & (np.abs(step) < tol * (1 + np.abs(beta)))
        converged |= done
        diverged = active & (np.abs(beta) > _BETA_MAX)
        active &= ~done & ~diverged
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(info > 0, 1 / np.sqrt(np.where(info > 0, info, 1.0)), np.inf)
        z = np.where(np.isfinite(se), beta / se, 0.0)
    return CoxArrays(beta, se, z, score_z, converged, it, ties)


@dataclass(frozen=True)
class RatesArrays(Result):
    """Two-proportion z statistics, one per replicate (see :func:`rates_arrays`)."""

    z: np.ndarray
    difference: np.ndarray

    _title = "Two-proportion tests (one per replicate)"

    @property
    def chisq(self) -> np.ndarray:
        """The chi-square statistic per replicate, ``z ** 2``."""
        return self.z**2

    @property
    def summary(self) -> pd.DataFrame:
        """One row per replicate: ``difference, z, statistic``."""
        return pd.DataFrame({"difference": self.difference, "z": self.z, "statistic": self.chisq})


def rates_arrays(x1, n1, x2, n2, *, margin: float = 0.0, pooled: bool = True) -> RatesArrays:
    """The two-proportion z-test for many replicates.

    ``z = (p1_hat - p2_hat - margin) / se``. With ``margin = 0`` and ``pooled=True`` the standard
    error uses the pooled proportion and ``z**2`` is the Pearson chi-square of the 2 x 2 table
    without continuity correction (R ``prop.test(correct = FALSE)``); with ``pooled=False`` the
    unpooled (Wald) standard error. A non-zero ``margin`` uses the Farrington-Manning restricted
    estimates. Rows where the standard error is 0 (no events or all events in both arms) get z = 0.

    Examples
    --------
    >>> res = rates_arrays([11, 20], 41, [24, 10], 51)
    >>> res.chisq.round(4)   # scipy chi2_contingency(correction=False): 3.9461 and 8.8020
    array([3.9461, 8.802 ])
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    diff, var = difference_variance(x1, n1, x2, n2, margin, pooled)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var > 0, (diff - margin) / np.sqrt(np.where(var > 0, var, 1.0)), 0.0)
    return RatesArrays(z, diff)


# ============================================================================================
# continuous outcomes: t-test, ANCOVA, MMRM
# ============================================================================================
_EPS = np.finfo(float).eps


def _t_pvalue(t, df, alternative: str) -> np.ndarray:
    """p-values of t statistics on ``df`` degrees of freedom; NaN stays NaN."""
    if alternative == "two-sided":
        return 2 * special.stdtr(df, -np.abs(t))
    if alternative == "greater":
        return special.stdtr(df, -t)
    return special.stdtr(df, t)


def ttest_arrays(y, observed, arm, *, equal_var: bool = False,
                 alternative: str = "two-sided") -> dict[str, np.ndarray]:
    """Two-sample t-tests of many data sets at once: arm 1 minus arm 0, complete cases.

    Parameters
    ----------
    y : float array (n_reps, n)
        Outcomes; values where ``observed`` is False are ignored.
    observed : bool array (n_reps, n)
        Which outcomes enter the test.
    arm : array (n,) or (n_reps, n) of 0/1
        1 for the experimental (comparison) arm, 0 for the reference arm.
    equal_var : bool, default False
        False: Welch's test with Welch-Satterthwaite degrees of freedom (R's ``t.test`` default);
        True: Student's pooled-variance test on ``n1 + n0 - 2`` degrees of freedom.
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about the difference arm 1 minus arm 0.

    Returns
    -------
    dict of float arrays (n_reps,)
        ``estimate`` (difference in means), ``se``, ``df``, ``statistic`` (t) and ``p_value``.

    Notes
    -----
    Degenerate replicates: where an arm has fewer than 2 observed values every entry is NaN. Where
    the standard error is 0 up to rounding (``se <= 10 eps max(|mean1|, |mean0|)``: the outcome is
    constant within both arms, R's "data are essentially constant") the t statistic is undefined:
    ``statistic`` and ``p_value`` are NaN (``estimate`` and ``se`` are kept, and ``df`` where it is
    defined). A NaN p-value never counts as a rejection. Otherwise each row equals
    :func:`scipy.stats.ttest_ind` (``equal_var`` as here) on its observed values.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[14., 16, 12, 18, 10, 9, 13, 8]])
    >>> out = ttest_arrays(y, np.ones_like(y, bool), np.repeat([0, 1], 4), equal_var=True)
    >>> round(float(out["statistic"][0]), 4)
    -2.9704
    >>> flat = ttest_arrays(np.full((1, 8), 5.0), np.ones((1, 8), bool), np.repeat([0, 1], 4))
    >>> float(flat["estimate"][0]), float(flat["statistic"][0]), float(flat["p_value"][0])
    (0.0, nan, nan)
    """
    check_bool("equal_var", equal_var)
    check_alternative(alternative)
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise InvalidParameterError(f"`y` must have shape (n_reps, n); got {y.shape}.")
    w = np.asarray(observed, dtype=bool)
    if w.shape != y.shape:
        raise InvalidParameterError(f"`observed` must have shape {y.shape}; got {w.shape}.")
    arm = np.broadcast_to(np.asarray(arm), y.shape).astype(bool)
    stats_g = []
    for sel in (~arm, arm):
        k = (w & sel).sum(axis=1).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(w & sel, y, 0).sum(axis=1) / k
            ss = np.where(w & sel, (y - mean[:, None]) ** 2, 0).sum(axis=1)
        stats_g.append((k, mean, ss))
    (k0, m0, ss0), (k1, m1, ss1) = stats_g
    with np.errstate(invalid="ignore", divide="ignore"):
        est = m1 - m0
        if equal_var:
            dfv = k0 + k1 - 2
            sp2 = (ss0 + ss1) / dfv
            se = np.sqrt(sp2 * (1 / k0 + 1 / k1))
        else:
            v0, v1 = ss0 / (k0 - 1) / k0, ss1 / (k1 - 1) / k1
            se = np.sqrt(v0 + v1)
            dfv = (v0 + v1) ** 2 / (v0 ** 2 / (k0 - 1) + v1 ** 2 / (k1 - 1))
        tstat = est / se
    bad = (k0 < 2) | (k1 < 2)
    undefined = bad | ~(se > 10 * _EPS * np.maximum(np.abs(m0), np.abs(m1)))
    out = {"estimate": np.where(bad, np.nan, est), "se": np.where(bad, np.nan, se),
           "df": np.where(bad, np.nan, dfv), "statistic": np.where(undefined, np.nan, tstat)}
    out["p_value"] = _t_pvalue(out["statistic"], out["df"], alternative)
    return out


def ancova_arrays(y, observed, arm, baseline, *,
                  alternative: str = "two-sided") -> dict[str, np.ndarray]:
    """ANCOVA (``y ~ arm + baseline``) of many data sets at once by batched least squares.

    Parameters
    ----------
    y : float array (n_reps, n)
        Outcomes; values where ``observed`` is False are ignored (complete cases).
    observed : bool array (n_reps, n)
    arm : array (n,) or (n_reps, n) of 0/1
        1 for the experimental (comparison) arm, 0 for the reference arm.
    baseline : float array (n_reps, n) or (n,)
        The baseline covariate.
    alternative : {"two-sided", "less", "greater"}, default "two-sided"
        The alternative hypothesis about the adjusted difference arm 1 minus arm 0.

    Returns
    -------
    dict of float arrays (n_reps,)
        ``estimate`` (the arm coefficient), ``se``, ``df`` (``n_observed - 3``), ``statistic`` (t)
        and ``p_value``.

    Notes
    -----
    Degenerate replicates: where the model is not estimable (``X'X`` singular relative to its
    scale, e.g. a constant baseline or an empty arm, or ``n_observed <= 3``) every entry is NaN.
    Where the residual variance is 0 up to rounding (the model fits exactly: residual SD
    ``<= 10 eps max|y|``) the t statistic is undefined: ``statistic`` and ``p_value`` are NaN
    (``estimate``, ``se`` and ``df`` are kept). A NaN p-value never counts as a rejection.
    Otherwise each row equals statsmodels OLS of ``y ~ 1 + arm + baseline`` on its observed rows.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([[9., 12, 10, 14, 14, 15, 18, 12]])
    >>> b = np.array([[20., 24, 22, 25, 21, 23, 26, 20]])
    >>> out = ancova_arrays(y, np.ones_like(y, bool), np.repeat([1, 0], 4), b)
    >>> round(float(out["estimate"][0]), 4)
    -3.736
    """
    check_alternative(alternative)
    y = np.asarray(y, dtype=float)
    if y.ndim != 2:
        raise InvalidParameterError(f"`y` must have shape (n_reps, n); got {y.shape}.")
    w = np.asarray(observed, dtype=float)
    if w.shape != y.shape:
        raise InvalidParameterError(f"`observed` must have shape {y.shape}; got {w.shape}.")
    R, n = y.shape
    arm = np.broadcast_to(np.asarray(arm, dtype=float), (R, n))
    X = np.stack([np.ones((R, n)), arm, np.broadcast_to(np.asarray(baseline, dtype=float), (R, n))],
                 axis=-1)
    y0 = np.where(w > 0, y, 0.0)
    A = np.einsum("rnp,rn,rnq->rpq", X, w, X)
    b = np.einsum("rnp,rn,rn->rp", X, w, y0)
    det = np.linalg.det(A)
    good = np.abs(det) > 1e-9 * np.abs(A).max(axis=(1, 2)) ** 3
    A = np.where(good[:, None, None], A, np.eye(3))
    A_inv = np.linalg.inv(A)
    beta = np.einsum("rpq,rq->rp", A_inv, b)
    resid = (y0 - np.einsum("rnp,rp->rn", X, beta)) * w
    dfr = w.sum(axis=1) - 3
    good &= dfr > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = (resid ** 2).sum(axis=1) / dfr
        se = np.sqrt(s2 * A_inv[:, 1, 1])
        tstat = beta[:, 1] / se
    scale = np.abs(y0).max(axis=1) if n else np.zeros(R)
    defined = good & (np.sqrt(np.where(good, s2, 0.0)) > 10 * _EPS * scale)
    nan = np.nan
    out = {"estimate": np.where(good, beta[:, 1], nan), "se": np.where(good, se, nan),
           "df": np.where(good, dfr, nan), "statistic": np.where(defined, tstat, nan)}
    out["p_value"] = _t_pvalue(out["statistic"], out["df"], alternative)
    return out


def mmrm_arrays(y, observed, arm, *, baseline=None, conf_level: float = 0.95, tol: float = 1e-10,
                max_iter: int = 200) -> dict[str, np.ndarray]:
    """Fit the MMRM to many data sets at once and return the arm effect at the last visit.

    Parameters
    ----------
    y : float array (n_reps, n, T)
        Post-baseline scores at ``T`` visits (values where not observed are ignored).
    observed : bool array (n_reps, n, T)
        Which scores were observed (any pattern, not only monotone).
    arm : array (n,) or (n_reps, n)
        0 = reference, 1 = comparison.
    baseline : float array (n_reps, n), optional
        Baseline covariate.
    conf_level : float in (0, 1), default 0.95
    tol, max_iter :
        Fisher-scoring stopping rule (Newton decrement ``g' I^-1 g < tol``) and iteration cap.

    Returns
    -------
    dict of arrays (n_reps,)
        ``estimate, se, df, statistic, p_value, ci_lower, ci_upper, loglik, converged``; the test
        is two-sided. Replicates that cannot be fitted (an arm with no data at a visit, too few
        data) or do not converge have ``converged`` False and NaN results (a NaN p-value never
        counts as a rejection). ``df`` is the residual ``N_obs - p`` as in ``nlme::gls``.

    Notes
    -----
    All replicates are fitted together by Fisher scoring on the elements of the unstructured
    covariance (:func:`workbench.kernels.reml.fisher_scoring`), with per-replicate step halving;
    the gradient is the exact REML score and the information is the ML expected information (the
    REML correction is left out of the step, which changes the path, not the optimum). One
    iteration costs a few batched ``numpy.linalg`` calls over ``n_reps x n`` small matrices.

    Examples
    --------
    >>> from workbench.design import load_design
    >>> from workbench.simulate import simulate_arrays
    >>> s = simulate_arrays(load_design("t7"), 20, rng=3)
    >>> out = mmrm_arrays(s.y[..., 1:], s.observed[..., 1:], s.arm, baseline=s.y[..., 0])
    >>> out["estimate"].shape, bool(out["converged"].all())
    ((20,), True)
    """
    conf_level = check_probability("conf_level", conf_level)
    y = np.asarray(y, dtype=float)
    if y.ndim != 3:
        raise InvalidParameterError(f"`y` must have shape (n_reps, n, T); got {y.shape}.")
    R, n, t = y.shape
    m = np.asarray(observed, dtype=bool)
    if m.shape != y.shape:
        raise InvalidParameterError(f"`observed` must have shape {y.shape}; got {m.shape}.")
    arm = np.broadcast_to(np.asarray(arm, dtype=float), (R, n))
    base = None if baseline is None else np.broadcast_to(np.asarray(baseline, float), (R, n))
    X = mmrm_design(arm, base, t, baseline_by_visit=False)
    L = np.zeros(X.shape[-1])
    L[1] = 1.0
    if t > 1:
        L[arm_visit_column(t, base is not None, False, t - 1)] = 1.0
    return fit_contrasts(y, m, X, [L], conf_level, tol, max_iter)[0]
