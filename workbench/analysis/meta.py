"""Meta-analysis of study-level summary data.

Effect sizes from summary data (:func:`effect_sizes`, :func:`smd`, :func:`log_risk_ratio`,
:func:`log_odds_ratio`, :func:`risk_difference`), pooling with a fixed-effect (inverse-variance) or
random-effects model (DerSimonian-Laird, REML or Paule-Mandel between-study variance, optional
Hartung-Knapp adjustment; :func:`meta_analysis`) or with Mantel-Haenszel for 2 x 2 tables
(:func:`mantel_haenszel`), heterogeneity (Q, I-squared, H-squared, tau-squared with its Q-profile
interval), prediction intervals, Egger's regression test (:func:`egger_test`), trim-and-fill
(:func:`trim_and_fill`), leave-one-out (:func:`leave_one_out`) and subgroups with a between-subgroup
test (:func:`subgroup_analysis`).

The computations follow R's metafor package (version 3.8: ``escalc``, ``rma.uni``, ``rma.mh``,
``predict``, ``confint``, ``regtest``, ``trimfill``, ``leave1out``) and are tested against its
output (``tests/reference/meta_analysis.json``). Iterative estimators are run to full convergence by
default; ``control=METAFOR_CONTROL`` reproduces metafor's default stopping rules (REML stops when
tau-squared changes by less than 1e-5; Paule-Mandel and the Q-profile interval use R's ``uniroot``
with tolerance ``.Machine$double.eps^0.25``), so its printed numbers can be matched digit for digit.

Effect sizes are on the analysis scale throughout: log risk ratio and log odds ratio for ``RR`` and
``OR`` (``numpy.exp`` gives ratios), risk difference for ``RD``, Hedges' g for ``SMD``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from .._rootfind import zeroin as _zeroin
from .._validation import _check_choice, _check_int, _check_probability, _label
from ..exceptions import (
    ConvergenceError,
    DataValidationError,
    InvalidParameterError,
    StatisticalWarning,
)
from ..results import Result

__all__ = [
    "METAFOR_CONTROL",
    "MEASURES",
    "METHODS",
    "smd",
    "log_risk_ratio",
    "log_odds_ratio",
    "risk_difference",
    "effect_sizes",
    "EffectSizes",
    "meta_analysis",
    "mantel_haenszel",
    "MetaAnalysisResult",
    "egger_test",
    "EggerResult",
    "trim_and_fill",
    "TrimFillResult",
    "leave_one_out",
    "LeaveOneOutResult",
    "subgroup_analysis",
    "SubgroupResult",
]

#: Effect measures: standardised mean difference (Hedges' g), log risk ratio, log odds ratio,
#: risk difference.
MEASURES = ("SMD", "RR", "OR", "RD")
#: Pooling methods: random effects with REML, DerSimonian-Laird or Paule-Mandel tau-squared,
#: fixed effect (inverse variance), Mantel-Haenszel (2 x 2 tables only).
METHODS = ("REML", "DL", "PM", "FE", "MH")

_EPS = float(np.finfo(float).eps)

#: Stopping rules of metafor 3.8's defaults: REML Fisher scoring stops when tau-squared changes by
#: less than ``threshold`` (at most ``maxiter`` steps); Paule-Mandel (``tol``) and the Q-profile
#: interval (``ci_tol``) use R's ``uniroot`` tolerance ``.Machine$double.eps^0.25``.
METAFOR_CONTROL: dict[str, float] = {
    "threshold": 1e-5,
    "maxiter": 100,
    "tol": _EPS**0.25,
    "ci_tol": _EPS**0.25,
}

#: Defaults of this module: iterate to full convergence.
_DEFAULT_CONTROL: dict[str, float] = {
    "threshold": 1e-13,
    "maxiter": 1000,
    "tol": 1e-15,
    "ci_tol": 1e-15,
}

_RATIO = ("RR", "OR")


# ==================================================================================================
# effect sizes
# ==================================================================================================

def _as_float_array(name: str, x) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise DataValidationError(f"`{name}` must be numeric; got {x!r}.") from None
    return np.atleast_1d(arr)


def _broadcast(**arrays) -> dict[str, np.ndarray]:
    out = {k: _as_float_array(k, v) for k, v in arrays.items()}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in out.values()))
    except ValueError:
        sizes = {k: a.shape for k, a in out.items()}
        raise DataValidationError(
            f"inputs must have the same length; got shapes {sizes}.") from None
    return {k: np.broadcast_to(a, shape).astype(float) for k, a in out.items()}


def _where(labels, i) -> str:
    if labels is None:
        return f"study {i + 1}"
    return f"study {labels[i]!r}"


def _check_values(name: str, arr: np.ndarray, labels=None, *, positive=False, nonnegative=False,
                  minimum=None, column=None) -> None:
    """Finite, and positive / non-negative / >= minimum; errors name the study and the column."""
    col = column or name
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.argmax(bad))
        raise DataValidationError(
            f"{_where(labels, i)}: column {col!r} must be a finite number; "
            f"got {float(arr.flat[i])!r}.")
    for cond, allowed in ((positive, "> 0"), (nonnegative, ">= 0")):
        if cond:
            bad = arr <= 0 if allowed == "> 0" else arr < 0
            if bad.any():
                i = int(np.argmax(bad))
                raise DataValidationError(
                    f"{_where(labels, i)}: column {col!r} must be {allowed}; "
                    f"got {float(arr.flat[i])!r}.")
    if minimum is not None:
        bad = arr < minimum
        if bad.any():
            i = int(np.argmax(bad))
            raise DataValidationError(
                f"{_where(labels, i)}: column {col!r} must be >= {minimum}; "
                f"got {float(arr.flat[i])!r}.")


def _hedges_j(m: np.ndarray) -> np.ndarray:
    """Exact small-sample correction J(m) = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))."""
    return np.exp(special.gammaln(m / 2.0) - 0.5 * np.log(m / 2.0)
                  - special.gammaln((m - 1.0) / 2.0))


def smd(m1, sd1, n1, m2, sd2, n2, *, _labels=None, _columns=None):
    """Standardised mean difference (Hedges' g) and its sampling variance.

    Parameters
    ----------
    m1, sd1, n1 : array_like
        Mean, standard deviation (> 0) and size (>= 2) of group 1 (experimental) in each study.
    m2, sd2, n2 : array_like
        The same for group 2 (control).

    Returns
    -------
    yi, vi : numpy.ndarray
        ``yi = J * (m1 - m2) / s_pooled`` with the exact correction
        ``J = Gamma(m/2) / (sqrt(m/2) Gamma((m-1)/2))``, ``m = n1 + n2 - 2``, and the large-sample
        variance ``vi = 1/n1 + 1/n2 + yi^2 / (2 (n1 + n2))``.

    Notes
    -----
    As metafor's ``escalc(measure="SMD")`` (default ``vtype="LS"``); checked against it.

    Examples
    --------
    >>> yi, vi = smd(10.0, 6.0, 40, 13.6, 6.2, 40)
    >>> round(float(yi[0]), 4), round(float(vi[0]), 5)
    (-0.5844, 0.05213)
    """
    cols = _columns or {}
    a = _broadcast(m1=m1, sd1=sd1, n1=n1, m2=m2, sd2=sd2, n2=n2)
    for name in ("m1", "m2"):
        _check_values(name, a[name], _labels, column=cols.get(name))
    for name in ("sd1", "sd2"):
        _check_values(name, a[name], _labels, positive=True, column=cols.get(name))
    for name in ("n1", "n2"):
        _check_values(name, a[name], _labels, minimum=2, column=cols.get(name))
    n1_, n2_ = a["n1"], a["n2"]
    sp = np.sqrt(((n1_ - 1) * a["sd1"] ** 2 + (n2_ - 1) * a["sd2"] ** 2) / (n1_ + n2_ - 2))
    yi = _hedges_j(n1_ + n2_ - 2) * (a["m1"] - a["m2"]) / sp
    vi = 1.0 / n1_ + 1.0 / n2_ + yi**2 / (2.0 * (n1_ + n2_))
    return yi, vi


def _two_by_two(events1, n1, events2, n2, add, to, labels=None, columns=None):
    cols = columns or {}
    a = _broadcast(events1=events1, n1=n1, events2=events2, n2=n2)
    for name in ("events1", "events2"):
        _check_values(name, a[name], labels, nonnegative=True, column=cols.get(name))
    for name in ("n1", "n2"):
        _check_values(name, a[name], labels, positive=True, column=cols.get(name))
    for ev, n in (("events1", "n1"), ("events2", "n2")):
        bad = a[ev] > a[n]
        if bad.any():
            i = int(np.argmax(bad))
            raise DataValidationError(
                f"{_where(labels, i)}: column {cols.get(ev, ev)!r} ({a[ev][i]:g}) exceeds column "
                f"{cols.get(n, n)!r} ({a[n][i]:g}); events cannot exceed the number of patients.")
    add = float(add)
    if not math.isfinite(add) or add < 0:
        raise InvalidParameterError(f"`add` must be a finite number >= 0; got {add!r}.")
    _check_choice("to", to, ("only0", "all", "if0all", "none"))
    ai, ci = a["events1"], a["events2"]
    bi, di = a["n1"] - ai, a["n2"] - ci
    zero = (ai == 0) | (bi == 0) | (ci == 0) | (di == 0)
    if to == "all":
        shift = np.full(ai.shape, add)
    elif to == "only0":
        shift = np.where(zero, add, 0.0)
    elif to == "if0all":
        shift = np.full(ai.shape, add if zero.any() else 0.0)
    else:
        shift = np.zeros(ai.shape)
    return ai + shift, bi + shift, ci + shift, di + shift


def log_risk_ratio(events1, n1, events2, n2, *, add=0.5, to="only0"):
    """Log risk ratio of group 1 versus group 2 and its sampling variance.

    Parameters
    ----------
    events1, n1, events2, n2 : array_like
        Events and patients in group 1 (experimental) and group 2 (control) of each study.
    add : float >= 0, default 0.5
        Continuity correction added to the four cells of a table.
    to : {"only0", "all", "if0all", "none"}, default "only0"
        Which tables get it: those with a zero cell (metafor's default), all, all if any table has
        a zero cell, none.

    Returns
    -------
    yi, vi : numpy.ndarray
        ``log((a/n1) / (c/n2))`` and ``1/a - 1/n1 + 1/c - 1/n2`` on the corrected counts.

    Notes
    -----
    As metafor's ``escalc(measure="RR")`` with its defaults ``add=1/2, to="only0"``.

    Examples
    --------
    >>> yi, vi = log_risk_ratio([5, 8], [25, 30], [0, 2], [24, 31])
    >>> [round(float(v), 4) for v in yi]
    [2.3587, 1.4191]
    """
    ai, bi, ci, di = _two_by_two(events1, n1, events2, n2, add, to)
    return _rr(ai, bi, ci, di)


def _rr(ai, bi, ci, di):
    n1, n2 = ai + bi, ci + di
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log((ai / n1) / (ci / n2))
        vi = 1.0 / ai - 1.0 / n1 + 1.0 / ci - 1.0 / n2
    return yi, vi


def _or(ai, bi, ci, di):
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = np.log((ai * di) / (bi * ci))
        vi = 1.0 / ai + 1.0 / bi + 1.0 / ci + 1.0 / di
    return yi, vi


def _rd(ai, bi, ci, di):
    n1, n2 = ai + bi, ci + di
    p1, p2 = ai / n1, ci / n2
    return p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2


def log_odds_ratio(events1, n1, events2, n2, *, add=0.5, to="only0"):
    """Log odds ratio of group 1 versus group 2 and its sampling variance.

    ``log(a d / (b c))`` and ``1/a + 1/b + 1/c + 1/d`` on the corrected counts; parameters as in
    :func:`log_risk_ratio`. As metafor's ``escalc(measure="OR")``.

    Examples
    --------
    >>> yi, vi = log_odds_ratio([24], [60], [10], [58])
    >>> round(float(yi[0]), 4), round(float(vi[0]), 4)
    (1.1632, 0.1903)
    """
    return _or(*_two_by_two(events1, n1, events2, n2, add, to))


def risk_difference(events1, n1, events2, n2, *, add=0.5, to="only0"):
    """Risk difference of group 1 minus group 2 and its sampling variance.

    ``p1 - p2`` and ``p1 (1 - p1) / n1 + p2 (1 - p2) / n2`` on the corrected counts (metafor also
    applies the continuity correction to this measure); parameters as in :func:`log_risk_ratio`.
    As metafor's ``escalc(measure="RD")``.

    Examples
    --------
    >>> yi, vi = risk_difference([24], [60], [10], [58])
    >>> round(float(yi[0]), 4)
    0.2276
    """
    return _rd(*_two_by_two(events1, n1, events2, n2, add, to))


_BINARY = {"RR": _rr, "OR": _or, "RD": _rd}


@dataclass(frozen=True, eq=False, repr=False)
class EffectSizes(Result):
    """Per-study effect sizes on the analysis scale, ready for :func:`meta_analysis`.

    Attributes
    ----------
    measure : str
        ``"SMD"``, ``"RR"`` (log scale), ``"OR"`` (log scale) or ``"RD"``.
    study : tuple of str
        Study labels.
    yi, vi : numpy.ndarray
        Effect sizes and sampling variances.
    n : numpy.ndarray
        Patients per study (both groups).
    counts : dict or None
        For binary measures the raw counts ``events1, n1, events2, n2`` (used by Mantel-Haenszel).
    add, to : float, str
        Continuity correction used for binary measures.
    """

    measure: str
    study: tuple
    yi: np.ndarray
    vi: np.ndarray
    n: np.ndarray
    counts: dict | None = None
    add: float = 0.5
    to: str = "only0"

    _title = "Effect sizes"

    @property
    def k(self) -> int:
        return len(self.yi)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per study: ``study, yi, vi, se, ci_lower, ci_upper, n, measure``."""
        se = np.sqrt(self.vi)
        z = stats.norm.isf(0.025)
        return pd.DataFrame({
            "study": list(self.study), "yi": self.yi, "vi": self.vi, "se": se,
            "ci_lower": self.yi - z * se, "ci_upper": self.yi + z * se, "n": self.n,
            "measure": self.measure,
        })

    def __repr__(self) -> str:
        shown = ", ".join(f"{v:.3g}" for v in self.yi[:6]) + (", ..." if self.k > 6 else "")
        return f"EffectSizes(measure={self.measure!r}, k={self.k}, yi=[{shown}])"


def _study_labels(df: pd.DataFrame, study: str | None) -> tuple:
    if study is None:
        return tuple(str(i + 1) for i in range(len(df)))
    if study not in df.columns:
        raise DataValidationError(
            f"column {study!r} is missing; the data has columns {list(map(str, df.columns))}.")
    if df[study].isna().any():
        i = int(np.argmax(df[study].isna().to_numpy()))
        raise DataValidationError(f"column {study!r} has a missing study label (row {i + 1}).")
    return tuple(_label(v) for v in df[study])


def _column(df: pd.DataFrame, column: str, labels: tuple, option: str) -> np.ndarray:
    """A numeric column, with errors naming the study, the column and the option."""
    if column is None:
        raise InvalidParameterError(f"`{option}` must name a column of the data; got None.")
    if column not in df.columns:
        raise DataValidationError(
            f"column {column!r} (given as `{option}`) is missing; the data has columns "
            f"{list(map(str, df.columns))}.")
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raw = df[column].iloc[i]
        what = "is missing" if pd.isna(raw) else f"must be numeric; found {raw!r}"
        raise DataValidationError(f"study {labels[i]!r}: column {column!r} {what}.")
    return values.to_numpy(dtype=float)


def effect_sizes(data: pd.DataFrame, *, measure: str, study: str | None = None,
                 m1: str | None = None, sd1: str | None = None, n1: str | None = None,
                 m2: str | None = None, sd2: str | None = None, n2: str | None = None,
                 events1: str | None = None, events2: str | None = None,
                 add: float = 0.5, to: str = "only0") -> EffectSizes:
    """Effect sizes from a study-level table of summary data.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per study.
    measure : {"SMD", "RR", "OR", "RD"}
        Standardised mean difference (needs ``m1, sd1, n1, m2, sd2, n2``) or a binary measure
        (needs ``events1, n1, events2, n2``). Group 1 is the experimental group.
    study : str, optional
        Column of study labels (default: 1, 2, ...).
    m1, sd1, n1, m2, sd2, n2, events1, events2 : str
        Column names.
    add, to : float, str
        Continuity correction for binary measures (see :func:`log_risk_ratio`).

    Returns
    -------
    EffectSizes
        ``yi`` on the analysis scale (log for RR and OR) and ``vi``; ``.summary`` lists them.

    Raises
    ------
    DataValidationError
        A missing column, a non-numeric or missing value, an SD <= 0, a group size < 2 (SMD) or
        < 1, negative events or events above the group size; the message names the study and the
        column.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["A", "B"], "e1": [24, 31], "t1": [60, 75],
    ...                    "e2": [10, 29], "t2": [58, 74]})
    >>> es = effect_sizes(df, measure="RR", study="id", events1="e1", n1="t1",
    ...                   events2="e2", n2="t2")
    >>> es.summary[["study", "yi"]].round(4).values.tolist()
    [['A', 0.8416], ['B', 0.0533]]
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    if len(data) == 0:
        raise DataValidationError("`data` is empty: it has no rows.")
    _check_choice("measure", measure, MEASURES)
    labels = _study_labels(data, study)
    if measure == "SMD":
        names = {"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2}
        cols = {k: _column(data, v, labels, k) for k, v in names.items()}
        yi, vi = smd(**cols, _labels=labels, _columns=names)
        n = cols["n1"] + cols["n2"]
        counts = None
    else:
        names = {"events1": events1, "n1": n1, "events2": events2, "n2": n2}
        cols = {k: _column(data, v, labels, k) for k, v in names.items()}
        ai, bi, ci, di = _two_by_two(cols["events1"], cols["n1"], cols["events2"], cols["n2"],
                                     add, to, labels=labels, columns=names)
        yi, vi = _BINARY[measure](ai, bi, ci, di)
        n = cols["n1"] + cols["n2"]
        counts = cols
    return EffectSizes(measure=measure, study=labels, yi=yi, vi=vi, n=n, counts=counts,
                       add=float(add), to=to)


# ==================================================================================================
# the random/fixed-effects model (rma.uni)
# ==================================================================================================

def _control(control: dict | None) -> dict:
    out = dict(_DEFAULT_CONTROL)
    if control is None:
        return out
    if not isinstance(control, dict):
        raise InvalidParameterError(f"`control` must be a dict or None; got {control!r}.")
    for key, value in control.items():
        if key not in out:
            allowed = ", ".join(repr(k) for k in out)
            raise InvalidParameterError(f"`control` keys must be among {allowed}; got {key!r}.")
        if key == "maxiter":
            out[key] = _check_int("control['maxiter']", value, minimum=1)
        else:
            if not isinstance(value, int | float) or not value >= 0 or not math.isfinite(value):
                raise InvalidParameterError(
                    f"`control[{key!r}]` must be a finite number >= 0; got {value!r}.")
            out[key] = float(value)
    return out


@dataclass
class _Fit:
    beta: np.ndarray
    vb: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    df: float
    tau2: float
    se_tau2: float
    qe: float
    qe_p: float
    i2: float
    h2: float
    vt: float
    loglik: float
    iterations: int
    weights: np.ndarray
    crit: float


def _wls(X: np.ndarray, w: np.ndarray, y: np.ndarray):
    xtw = X.T * w
    inv = np.linalg.inv(xtw @ X)
    return inv @ (xtw @ y), inv


def _pmat(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    xtw = X.T * w
    inv = np.linalg.inv(xtw @ X)
    return np.diag(w) - xtw.T @ inv @ xtw


def _qe(y: np.ndarray, vi: np.ndarray, X: np.ndarray, tau2: float) -> float:
    """Generalised Q statistic at tau2 (metafor's .QE.func with objective 0)."""
    w = 1.0 / (vi + tau2)
    beta, _ = _wls(X, w, y)
    r = y - X @ beta
    return float(np.sum(w * r * r))


def _r_mad(x: np.ndarray) -> float:
    med = np.median(x)
    return 1.4826 * float(np.median(np.abs(x - med)))


def _reml_ll(y, vi, X, tau2) -> float:
    k, p = X.shape
    w = 1.0 / (vi + tau2)
    beta, _ = _wls(X, w, y)
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    _, logdet_xx = np.linalg.slogdet(X.T @ X)
    _, logdet_xwx = np.linalg.slogdet((X.T * w) @ X)
    return (-0.5 * (k - p) * math.log(2 * math.pi) + 0.5 * logdet_xx
            - 0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * logdet_xwx - 0.5 * rss)


def _estimate_tau2(y, vi, X, method, con) -> tuple[float, float, int]:
    """tau2, its standard error (as metafor) and the number of iterations."""
    k, p = X.shape
    if method == "FE" or k == 1 or k <= p:
        return 0.0, math.nan, 0
    ymc = y - y.mean()
    if method == "DL":
        w = 1.0 / vi
        P = _pmat(X, w)
        rss = float(ymc @ P @ ymc)
        trp = float(np.trace(P))
        tau2 = max(0.0, (rss - (k - p)) / trp)
        se = math.sqrt((2 * (k - p) + 4 * tau2 * trp + 2 * tau2**2 * float(np.sum(P * P))) / trp**2)
        return tau2, se, 0
    if method == "PM":
        target = float(k - p)
        f0 = _qe(ymc, vi, X, 0.0) - target
        iters = 0
        if f0 < 0:
            tau2 = 0.0
        else:
            upper = max(100.0, 10.0 * _r_mad(y) ** 2)
            fu = _qe(ymc, vi, X, upper) - target
            while fu > 0:  # metafor stops here ('tau2.max too low'); extend the bracket instead
                upper *= 10.0
                fu = _qe(ymc, vi, X, upper) - target
                if upper > 1e15:
                    raise ConvergenceError("Paule-Mandel: no root of the Q equation below 1e15.")
            tau2 = _zeroin(lambda t: _qe(ymc, vi, X, t) - target, 0.0, upper, con["tol"],
                           int(con["maxiter"]), f_lower=f0, f_upper=fu)
        w = 1.0 / (vi + tau2)
        se = math.sqrt(2 * k**2 / (k - p) / float(np.sum(w)) ** 2)
        return float(tau2), se, iters
    if method == "REML":
        # Hedges (HE) estimate as the starting value, then Fisher scoring (metafor's algorithm)
        P0 = np.eye(k) - X @ np.linalg.inv(X.T @ X) @ X.T
        rss = float(ymc @ P0 @ ymc)
        tau2 = max(0.0, (rss - float(np.trace(P0 * vi))) / (k - p))
        threshold, maxiter = con["threshold"], int(con["maxiter"])
        change = threshold + 1.0
        it = 0
        while change > threshold * max(1.0, tau2):
            it += 1
            old = tau2
            P = _pmat(X, 1.0 / (vi + tau2))
            Py = P @ ymc
            adj = (float(Py @ Py) - float(np.trace(P))) / float(np.sum(P * P))
            while tau2 + adj < 0:
                adj /= 2.0
            tau2 = tau2 + adj
            change = abs(old - tau2)
            if it > maxiter:
                raise ConvergenceError(
                    f"REML Fisher scoring did not converge in {maxiter} iterations "
                    f"(last tau2 = {tau2:.6g}); try control={{'maxiter': ...}} or method='PM'.")
        # metafor's check: is the restricted likelihood larger at tau2 = 0?
        if _reml_ll(y, vi, X, 0.0) - _reml_ll(y, vi, X, tau2) > _EPS**0.25 and tau2 > threshold:
            tau2 = 0.0
        P = _pmat(X, 1.0 / (vi + tau2))
        se = math.sqrt(2.0 / float(np.sum(P * P)))
        return float(tau2), se, it
    raise InvalidParameterError(f"unknown method {method!r}")  # pragma: no cover


def _rma(y, vi, X, method, knha, level, con) -> _Fit:
    """metafor's rma.uni for a model matrix X (intercept-only or meta-regression)."""
    k, p = X.shape
    tau2, se_tau2, iters = _estimate_tau2(y, vi, X, method, con)
    w = 1.0 / (vi + tau2)
    beta, vb = _wls(X, w, y)
    alpha = 1.0 - level
    if knha and k > p:
        rss = float(np.sum(w * (y - X @ beta) ** 2))
        s2w = 0.0 if rss <= _EPS else rss / (k - p)
        if s2w == 0.0:
            warnings.warn("Hartung-Knapp: the weighted residual variance is 0 (all effects lie on "
                          "the fitted model), so the standard error is 0, as in metafor.",
                          StatisticalWarning, stacklevel=3)
        vb = vb * s2w
        df = float(k - p)
    else:
        df = math.nan
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = beta / se
    if knha and k > p:
        pval = 2 * stats.t.sf(np.abs(zval), df)
        crit = float(stats.t.isf(alpha / 2, df))
    else:
        pval = 2 * stats.norm.sf(np.abs(zval))
        crit = float(stats.norm.isf(alpha / 2))
    # heterogeneity (always inverse-variance weights 1/vi)
    if k > p:
        wf = 1.0 / vi
        Pf = _pmat(X, wf)
        qe = max(0.0, float(y @ Pf @ y))
        qe_p = float(stats.chi2.sf(qe, k - p))
        vt = (k - p) / float(np.trace(Pf))
        if method == "FE":
            i2 = max(0.0, 100.0 * (qe - (k - p)) / qe) if qe > 0 else 0.0
            h2 = qe / (k - p)
        else:
            i2 = 100.0 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1.0
    else:
        qe, qe_p, i2, h2, vt = 0.0, 1.0, 0.0, 1.0, 0.0
    rss_f = float(np.sum(w * (y - X @ beta) ** 2))
    if method == "REML":
        ll = _reml_ll(y, vi, X, tau2)
    else:
        ll = -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(vi + tau2))) - 0.5 * rss_f
    return _Fit(beta=beta, vb=vb, se=se, zval=zval, pval=pval, ci_lb=beta - crit * se,
                ci_ub=beta + crit * se, df=df, tau2=tau2, se_tau2=se_tau2, qe=qe, qe_p=qe_p,
                i2=i2, h2=h2, vt=vt, loglik=ll, iterations=iters, weights=100 * w / w.sum(),
                crit=crit)


def _qprofile(y, vi, X, level, con) -> tuple[float, float]:
    """Q-profile confidence interval for tau2 (metafor's confint.rma.uni, type 'qp')."""
    k, p = X.shape
    alpha = 1.0 - level
    crit_u = float(stats.chi2.isf(alpha / 2, k - p))
    crit_l = float(stats.chi2.ppf(alpha / 2, k - p))
    tol, maxiter = con["ci_tol"], int(con["maxiter"])
    q = lambda t: _qe(y, vi, X, t)  # noqa: E731
    q_min = q(0.0)
    upper = 100.0
    q_max = q(upper)

    def bracket(crit):
        nonlocal upper, q_max
        while q_max > crit:  # metafor reports '> tau2.max' here; extend instead
            upper *= 10.0
            q_max = q(upper)
            if upper > 1e15:
                raise ConvergenceError("Q-profile interval: bound above 1e15.")

    if q_min < crit_l:
        return 0.0, 0.0  # the whole interval is below zero (metafor: a null set at 0)
    bracket(crit_l)
    ub = _zeroin(lambda t: q(t) - crit_l, 0.0, upper, tol, maxiter, f_lower=q_min - crit_l,
                 f_upper=q_max - crit_l)
    if q_min < crit_u:
        lb = 0.0
    else:
        lb = _zeroin(lambda t: q(t) - crit_u, 0.0, upper, tol, maxiter, f_lower=q_min - crit_u,
                     f_upper=q_max - crit_u)
    return float(lb), float(ub)


@dataclass(frozen=True, eq=False, repr=False)
class MetaAnalysisResult(Result):
    """A pooled estimate with heterogeneity statistics and prediction intervals.

    All effects are on the analysis scale (log scale for RR and OR). ``method`` is one of
    ``"REML", "DL", "PM", "FE", "MH"``; ``test`` is ``"z"`` or ``"knha"`` (Hartung-Knapp, t on
    ``k - 1`` df).

    Attributes
    ----------
    estimate, se, statistic, p_value, ci_lower, ci_upper, df : float
        Pooled effect, its standard error, z (or t) statistic, two-sided p-value and confidence
        interval; ``df`` is NaN for z tests.
    tau2, tau, se_tau2 : float
        Between-study variance (0 for FE and MH), its square root and standard error.
    tau2_ci_lower, tau2_ci_upper : float
        Q-profile confidence interval for tau2 (NaN for FE and MH); the same for ``i2`` and ``h2``.
    i2, h2 : float
        I-squared (percent) and H-squared as metafor defines them: from tau2 and the "typical"
        within-study variance for random-effects models, from Q for FE and MH.
    q, q_df, q_p : float
        Cochran's Q (inverse-variance weights around the fixed-effect estimate; around the MH
        estimate for MH), its degrees of freedom and p-value.
    pi_lower, pi_upper : float
        Prediction interval as metafor's ``predict``: estimate +/- z * sqrt(se^2 + tau2) (t on k-1
        df with Hartung-Knapp); NaN for FE and MH.
    pi_lower_t, pi_upper_t : float
        Prediction interval with t on k-2 df (Higgins, Thompson & Spiegelhalter 2009); NaN if k < 3.
    yi, vi, weights, study : per-study effect sizes, variances, weights (percent) and labels.
    """

    method: str
    test: str
    measure: str | None
    k: int
    estimate: float
    se: float
    statistic: float
    p_value: float
    ci_lower: float
    ci_upper: float
    df: float
    tau2: float
    se_tau2: float
    tau2_ci_lower: float
    tau2_ci_upper: float
    i2: float
    i2_ci_lower: float
    i2_ci_upper: float
    h2: float
    h2_ci_lower: float
    h2_ci_upper: float
    q: float
    q_df: int
    q_p: float
    pi_lower: float
    pi_upper: float
    pi_lower_t: float
    pi_upper_t: float
    level: float
    loglik: float
    iterations: int
    yi: np.ndarray
    vi: np.ndarray
    weights: np.ndarray
    study: tuple
    control: dict = field(default_factory=dict)
    counts: dict | None = None
    mh_statistic: float = math.nan
    mh_p_value: float = math.nan
    tarone_statistic: float = math.nan
    tarone_p_value: float = math.nan

    _title = "Meta-analysis"

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    @property
    def tau_ci_lower(self) -> float:
        return math.sqrt(self.tau2_ci_lower) if self.tau2_ci_lower >= 0 else math.nan

    @property
    def tau_ci_upper(self) -> float:
        return math.sqrt(self.tau2_ci_upper) if self.tau2_ci_upper >= 0 else math.nan

    @property
    def knha(self) -> bool:
        return self.test == "knha"

    @property
    def summary(self) -> pd.DataFrame:
        """Tidy table, one row per quantity.

        Columns ``term, estimate, se, ci_lower, ci_upper, statistic, df, p_value, method, k``;
        terms ``pooled``, ``tau2``, ``tau``, ``i2`` (percent), ``h2``, ``q`` (Cochran's Q),
        ``prediction`` (metafor's interval) and ``prediction_t`` (t on k-2 df). Interval columns
        of ``tau2``, ``tau``, ``i2``, ``h2`` hold the Q-profile interval.
        """
        nan = math.nan
        rows = [
            ("pooled", self.estimate, self.se, self.ci_lower, self.ci_upper, self.statistic,
             self.df, self.p_value),
            ("tau2", self.tau2, self.se_tau2, self.tau2_ci_lower, self.tau2_ci_upper, nan, nan,
             nan),
            ("tau", self.tau, nan, self.tau_ci_lower, self.tau_ci_upper, nan, nan, nan),
            ("i2", self.i2, nan, self.i2_ci_lower, self.i2_ci_upper, nan, nan, nan),
            ("h2", self.h2, nan, self.h2_ci_lower, self.h2_ci_upper, nan, nan, nan),
            ("q", self.q, nan, nan, nan, self.q, self.q_df, self.q_p),
            ("prediction", self.estimate, nan, self.pi_lower, self.pi_upper, nan,
             self.df if self.knha else nan, nan),
            ("prediction_t", self.estimate, nan, self.pi_lower_t, self.pi_upper_t, nan,
             self.k - 2 if self.k >= 3 else nan, nan),
        ]
        if self.method == "MH" and self.measure == "OR":
            rows.append(("cmh", nan, nan, nan, nan, self.mh_statistic, 1, self.mh_p_value))
            rows.append(("tarone", nan, nan, nan, nan, self.tarone_statistic, self.k - 1,
                         self.tarone_p_value))
        df = pd.DataFrame(rows, columns=["term", "estimate", "se", "ci_lower", "ci_upper",
                                         "statistic", "df", "p_value"])
        df["method"] = self.method + ("+knha" if self.knha else "")
        df["k"] = self.k
        return df

    @property
    def studies(self) -> pd.DataFrame:
        """One row per study: ``study, yi, vi, se, ci_lower, ci_upper, weight`` (percent)."""
        se = np.sqrt(self.vi)
        z = stats.norm.isf((1 - self.level) / 2)
        return pd.DataFrame({"study": list(self.study), "yi": self.yi, "vi": self.vi, "se": se,
                             "ci_lower": self.yi - z * se, "ci_upper": self.yi + z * se,
                             "weight": self.weights})

    def __repr__(self) -> str:
        m = self.method + (" + Hartung-Knapp" if self.knha else "")
        scale = f", {self.measure}" if self.measure else ""
        if self.measure in _RATIO:
            scale += " (log scale)"
        lvl = f"{100 * self.level:g}%"
        pi = (f"; PI [{self.pi_lower:.4g}, {self.pi_upper:.4g}]" if math.isfinite(self.pi_lower)
              else "")
        return (f"MetaAnalysisResult({m}{scale}, k={self.k}: estimate {self.estimate:.4g} "
                f"[{lvl} CI {self.ci_lower:.4g}, {self.ci_upper:.4g}], p={self.p_value:.3g}; "
                f"tau2={self.tau2:.4g}, I2={self.i2:.1f}%, Q={self.q:.3g} (p={self.q_p:.3g})"
                f"{pi})")


def _yi_vi_input(data, yi, vi, study, measure):
    """Normalise the three input forms to (yi, vi, labels, measure, counts)."""
    counts = None
    if isinstance(data, EffectSizes):
        return (np.asarray(data.yi, float), np.asarray(data.vi, float), tuple(data.study),
                data.measure, data.counts)
    if isinstance(data, pd.DataFrame):
        if len(data) == 0:
            raise DataValidationError("`data` is empty: it has no rows.")
        labels = _study_labels(data, study)
        y = _column(data, yi, labels, "yi")
        v = _column(data, vi, labels, "vi")
        ycol, vcol = yi, vi
    elif data is None:
        if isinstance(yi, str) or isinstance(vi, str):
            raise InvalidParameterError(
                "`yi` and `vi` must be arrays when `data` is None (column names need `data`).")
        y = _as_float_array("yi", yi).ravel()
        v = _as_float_array("vi", vi).ravel()
        if y.shape != v.shape:
            raise DataValidationError(
                f"`yi` and `vi` must have the same length; got {y.size} and {v.size}.")
        if study is None:
            labels = tuple(str(i + 1) for i in range(y.size))
        else:
            labels = tuple(_label(s) for s in study)
            if len(labels) != y.size:
                raise DataValidationError(
                    f"`study` must have one label per study ({y.size}); got {len(labels)}.")
        ycol, vcol = "yi", "vi"
    else:
        raise DataValidationError(
            "`data` must be a DataFrame, an EffectSizes object or None (with yi and vi arrays); "
            f"got {type(data).__name__}.")
    _check_values("yi", y, labels, column=ycol)
    _check_values("vi", v, labels, positive=True, column=vcol)
    if measure is not None:
        _check_choice("measure", measure, MEASURES)
    return y, v, labels, measure, counts


def _check_k(k: int, minimum: int = 2, what: str = "a meta-analysis") -> None:
    if k < minimum:
        raise DataValidationError(f"{what} needs at least {minimum} studies; got {k}.")


def _check_unequal_variances(v: np.ndarray, what: str) -> None:
    """The regression on the standard error needs studies of different precision (metafor stops
    with 'Model matrix no longer of full rank')."""
    if np.ptp(v) <= 1e-12 * float(np.max(v)):
        raise DataValidationError(
            f"{what} needs studies of different precision; all sampling variances are equal "
            f"({float(v[0]):g}).")


def _build(y, v, labels, *, method, knha, level, measure, con, counts=None) -> MetaAnalysisResult:
    k = y.size
    X = np.ones((k, 1))
    fit = _rma(y, v, X, method, knha, level, con)
    est, se = float(fit.beta[0]), float(fit.se[0])
    nan = math.nan
    if method != "FE" and k >= 2:
        lb, ub = _qprofile(y, v, X, level, con)
        vt = fit.vt
        i2l, i2u = 100 * lb / (vt + lb), 100 * ub / (vt + ub)
        h2l, h2u = lb / vt + 1, ub / vt + 1
        alpha = 1 - level
        half = fit.crit * math.sqrt(se**2 + fit.tau2)
        pil, piu = est - half, est + half
        if k >= 3:
            half_t = float(stats.t.isf(alpha / 2, k - 2)) * math.sqrt(se**2 + fit.tau2)
            pitl, pitu = est - half_t, est + half_t
        else:
            pitl = pitu = nan
    else:
        lb = ub = i2l = i2u = h2l = h2u = pil = piu = pitl = pitu = nan
    return MetaAnalysisResult(
        method=method, test="knha" if (knha and k > 1) else "z", measure=measure, k=k,
        estimate=est, se=se, statistic=float(fit.zval[0]), p_value=float(fit.pval[0]),
        ci_lower=float(fit.ci_lb[0]), ci_upper=float(fit.ci_ub[0]), df=fit.df,
        tau2=fit.tau2, se_tau2=fit.se_tau2, tau2_ci_lower=lb, tau2_ci_upper=ub,
        i2=fit.i2, i2_ci_lower=i2l, i2_ci_upper=i2u, h2=fit.h2, h2_ci_lower=h2l, h2_ci_upper=h2u,
        q=fit.qe, q_df=k - 1, q_p=fit.qe_p, pi_lower=pil, pi_upper=piu, pi_lower_t=pitl,
        pi_upper_t=pitu, level=level, loglik=fit.loglik, iterations=fit.iterations,
        yi=y, vi=v, weights=fit.weights, study=tuple(labels), control=dict(con), counts=counts)


def meta_analysis(data=None, *, yi="yi", vi="vi", study: str | None = None, method: str = "REML",
                  knha: bool = False, level: float = 0.95, measure: str | None = None,
                  control: dict | None = None) -> MetaAnalysisResult:
    """Pool study effects with a fixed-effect or random-effects model (metafor's ``rma``).

    Parameters
    ----------
    data : pandas.DataFrame, EffectSizes or None
        A table with effect sizes and sampling variances in columns ``yi`` and ``vi``; the output
        of :func:`effect_sizes`; or None, with ``yi`` and ``vi`` given as arrays.
    yi, vi : str or array_like
        Column names (with a DataFrame) or arrays of effects and sampling variances (> 0).
    study : str or sequence, optional
        Column of study labels (DataFrame) or the labels themselves (arrays).
    method : {"REML", "DL", "PM", "FE", "MH"}, default "REML"
        Between-study variance estimator of the random-effects model (restricted maximum
        likelihood, DerSimonian-Laird, Paule-Mandel), the fixed-effect (inverse-variance) model,
        or Mantel-Haenszel (needs the counts, i.e. ``data`` from :func:`effect_sizes` with a
        binary measure; see :func:`mantel_haenszel`).
    knha : bool, default False
        Hartung-Knapp(-Sidik-Jonkman) adjustment: standard error scaled by the weighted residual
        variance, t distribution on k-1 df (metafor ``test="knha"``).
    level : float in (0, 1), default 0.95
        Confidence level of all intervals.
    measure : {"SMD", "RR", "OR", "RD"}, optional
        Label of the effect measure (taken from ``data`` for EffectSizes); used by plots.
    control : dict, optional
        ``threshold`` and ``maxiter`` (REML), ``tol`` (Paule-Mandel root), ``ci_tol`` (Q-profile
        roots). The defaults iterate to full convergence; :data:`METAFOR_CONTROL` reproduces
        metafor's default stopping rules.

    Returns
    -------
    MetaAnalysisResult
        See its attributes; ``.summary`` is a tidy table, ``.studies`` the per-study table.

    Raises
    ------
    DataValidationError
        Fewer than two studies, a missing or non-numeric value, or a variance <= 0 (the message
        names the study and the column).

    Notes
    -----
    Implements metafor 3.8 ``rma.uni``: tau2 by DL (truncated at 0), REML (Fisher scoring from the
    Hedges estimate, with metafor's check of the likelihood at tau2 = 0) or PM (root of the
    generalised Q equation, Brent's method as R's ``uniroot``); Hartung-Knapp without truncation of
    the scale factor; I2 = 100 tau2 / (tau2 + v~) and H2 = 1 + tau2 / v~ with the typical variance
    v~ = (k-1) / (sum w - sum w^2 / sum w) (from Q for FE); tau2 interval by the Q-profile method
    (``confint``); prediction interval as ``predict`` (z, or t on k-1 df with Hartung-Knapp) and
    with t on k-2 df. An estimate of tau2 = 0 is a normal result. With Hartung-Knapp and effects that
    all lie on the fitted value the scale factor is 0 and so is the standard error (as metafor;
    a StatisticalWarning says so). Checked against metafor on the
    cases in ``tests/reference/meta_analysis.json`` (relative error below 1e-6).

    Examples
    --------
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="DL")
    >>> round(res.estimate, 4), round(res.tau2, 6), round(res.i2, 2)
    (0.3995, 0.009988, 13.54)
    """
    _check_choice("method", method, METHODS)
    level = _check_probability("level", level)
    if not isinstance(knha, bool | np.bool_):
        raise InvalidParameterError(f"`knha` must be True or False; got {knha!r}.")
    con = _control(control)
    if method == "MH":
        if not isinstance(data, EffectSizes) or data.counts is None:
            raise InvalidParameterError(
                "`method` 'MH' needs event counts: pass `data` from effect_sizes() with measure "
                "'RR', 'OR' or 'RD', or call mantel_haenszel().")
        c = data.counts
        return _mh(c["events1"], c["n1"], c["events2"], c["n2"], data.measure, data.study,
                   level=level, correct=True, add=data.add, to=data.to)
    y, v, labels, meas, counts = _yi_vi_input(data, yi, vi, study, measure)
    if measure is not None:
        meas = measure
    _check_k(y.size)
    return _build(y, v, labels, method=method, knha=bool(knha), level=level, measure=meas,
                  con=con, counts=counts)


# ==================================================================================================
# Mantel-Haenszel (rma.mh)
# ==================================================================================================

def mantel_haenszel(data: pd.DataFrame, *, events1: str, n1: str, events2: str, n2: str,
                    measure: str = "OR", study: str | None = None, level: float = 0.95,
                    correct: bool = True, add: float = 0.5, to: str = "only0"
                    ) -> MetaAnalysisResult:
    """Mantel-Haenszel pooled risk ratio, odds ratio or risk difference (metafor's ``rma.mh``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per study.
    events1, n1, events2, n2 : str
        Columns of events and patients in the experimental (1) and control (2) groups.
    measure : {"OR", "RR", "RD"}, default "OR"
    study : str, optional
        Column of study labels.
    level : float in (0, 1), default 0.95
    correct : bool, default True
        Continuity correction of the Cochran-Mantel-Haenszel test (odds ratio).
    add, to : float, str
        Continuity correction of the per-study effects behind Q and I2 (the pooled estimate uses
        the raw counts), as in :func:`log_risk_ratio`.

    Returns
    -------
    MetaAnalysisResult
        With ``method="MH"``, ``tau2 = 0``, Q and I2 around the MH estimate (I2 = 100 (Q - (k-1)) /
        Q truncated at 0, H2 = Q / (k-1)); for the odds ratio also the CMH test
        (``mh_statistic``, ``mh_p_value``) and Tarone's test of homogeneity.

    Notes
    -----
    Variances: Robins-Breslow-Greenland (OR), Greenland-Robins (RR), Sato-Greenland-Robins (RD),
    as metafor. A table with no events, or only events, in both groups has no per-study effect: as
    in ``rma.mh`` (``drop00=TRUE``) it is left out of Q, I2 and H2 (and their degrees of freedom)
    and of Egger's test and trim-and-fill, but counts in ``k`` and in the pooled estimate. Checked
    against metafor ``rma.mh``.

    Examples
    --------
    >>> df = pd.DataFrame({"e1": [24, 31, 12], "t1": [60, 75, 40], "e2": [10, 29, 5],
    ...                    "t2": [58, 74, 42]})
    >>> res = mantel_haenszel(df, events1="e1", n1="t1", events2="e2", n2="t2", measure="RR")
    >>> round(float(np.exp(res.estimate)), 3)
    1.507
    """
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(f"`data` must be a pandas DataFrame; got {type(data).__name__}.")
    _check_choice("measure", measure, _BINARY.keys())
    level = _check_probability("level", level)
    es = effect_sizes(data, measure=measure, study=study, events1=events1, n1=n1,
                      events2=events2, n2=n2, add=add, to=to)
    c = es.counts
    return _mh(c["events1"], c["n1"], c["events2"], c["n2"], measure, es.study, level=level,
               correct=bool(correct), add=add, to=to, columns=(events1, events2))


def _mh(events1, n1, events2, n2, measure, labels, *, level, correct, add, to,
        columns=("events1", "events2")) -> MetaAnalysisResult:
    ai = np.asarray(events1, float)
    ci = np.asarray(events2, float)
    n1i = np.asarray(n1, float)
    n2i = np.asarray(n2, float)
    k = ai.size
    _check_k(k)
    bi, di = n1i - ai, n2i - ci
    Ni = n1i + n2i
    z = float(stats.norm.isf((1 - level) / 2))
    nan = math.nan
    mh = mhp = ta = tap = nan
    if measure == "OR":
        Pi, Qi = (ai + di) / Ni, (bi + ci) / Ni
        Ri, Si = ai * di / Ni, bi * ci / Ni
        R, S = Ri.sum(), Si.sum()
        if R == 0 or S == 0:
            raise DataValidationError(
                "the Mantel-Haenszel odds ratio is not estimable: "
                + (f"no study has events in group 1 (column {columns[0]!r}) with non-events in "
                   "group 2 (sum of a*d = 0)" if R == 0 else
                   f"no study has events in group 2 (column {columns[1]!r}) with non-events in "
                   "group 1 (sum of b*c = 0)") + ".")
        beta_exp = R / S
        beta = math.log(beta_exp)
        se = math.sqrt(0.5 * ((Pi * Ri).sum() / R**2 + (Pi * Si + Qi * Ri).sum() / (R * S)
                              + (Qi * Si).sum() / S**2))
        wts = Si
        xt, yt = ai + ci, bi + di
        if xt.sum() > 0 and yt.sum() > 0:
            num = (abs(np.sum(ai - n1i / Ni * xt)) - (0.5 if correct else 0.0)) ** 2
            mh = num / np.sum(n1i / Ni * (n2i / Ni) * (xt * (yt / (Ni - 1))))
            mhp = float(stats.chi2.sf(mh, 1))
        # Tarone's test
        if beta_exp == 1:
            n11 = n1i / Ni * xt
        else:
            A = beta_exp * (n1i + xt) + (n2i - xt)
            B = np.sqrt(A**2 - 4 * n1i * xt * beta_exp * (beta_exp - 1))
            n11 = (A - B) / (2 * (beta_exp - 1))
        pos = (n11 > 0) & (xt > 0) & (yt > 0)
        kp = int(pos.sum())
        N11 = n11[pos]
        N12 = n1i[pos] - N11
        N21 = xt[pos] - N11
        N22 = N11 - n1i[pos] - xt[pos] + Ni[pos]
        inv = 1.0 / (1 / N11 + 1 / N12 + 1 / N21 + 1 / N22)
        bd = max(0.0, float(np.sum((ai[pos] - N11) ** 2 / inv)))
        ta = max(0.0, bd - float(np.sum(ai[pos] - N11)) ** 2 / float(np.sum(inv)))
        tap = float(stats.chi2.sf(ta, kp - 1)) if kp > 1 else nan
    elif measure == "RR":
        if ai.sum() == 0 or ci.sum() == 0:
            col = columns[0] if ai.sum() == 0 else columns[1]
            raise DataValidationError(
                f"the Mantel-Haenszel risk ratio is not estimable: column {col!r} has no events "
                "in any study.")
        R = np.sum(ai * (n2i / Ni))
        S = np.sum(ci * (n1i / Ni))
        beta = math.log(R / S)
        se = math.sqrt(np.sum(n1i / Ni * (n2i / Ni) * (ai + ci) - ai / Ni * ci) / (R * S))
        wts = ci * n1i / Ni
    else:  # RD
        beta = float(np.sum(ai * (n2i / Ni) - ci * (n1i / Ni)) / np.sum(n1i * (n2i / Ni)))
        var = ((beta * np.sum(ci * (n1i / Ni) ** 2 - ai * (n2i / Ni) ** 2
                              + n1i / Ni * (n2i / Ni) * (n2i - n1i) / 2)
                + np.sum(ai * (n2i - ci) / Ni + ci * (n1i - ai) / Ni) / 2)
               / np.sum(n1i * (n2i / Ni)) ** 2)
        if not var > 0:
            raise DataValidationError(
                "the Mantel-Haenszel risk difference has no sampling variance: in every study "
                f"each group has either no events or only events (columns {columns[0]!r} and "
                f"{columns[1]!r}).")
        se = math.sqrt(var)
        wts = n1i * n2i / Ni
    cells = _two_by_two(ai, n1i, ci, n2i, add, to)
    yi, vi = _BINARY[measure](*cells)
    # As rma.mh (escalc with drop00=TRUE): a table with no events, or only events, in both groups
    # has no per-study effect, so it is left out of Q, I2 and H2 (its degrees of freedom too) and
    # of Egger's test and trim-and-fill; it still counts in k and in the MH estimate.
    used = _mh_informative(ai, n1i, ci, n2i)
    k_yi = int(used.sum())
    yu, vu = yi[used], vi[used]
    if k_yi > 1:
        qe = max(0.0, float(np.sum((yu - beta) ** 2 / vu)))
        qe_p = float(stats.chi2.sf(qe, k_yi - 1))
        i2 = max(0.0, 100 * (qe - (k_yi - 1)) / qe) if qe > 0 else 0.0
        h2 = qe / (k_yi - 1)
    else:
        qe, qe_p, i2, h2 = 0.0, 1.0, 0.0, 1.0
    zval = beta / se
    counts = {"events1": ai, "n1": n1i, "events2": ci, "n2": n2i}
    return MetaAnalysisResult(
        method="MH", test="z", measure=measure, k=k, estimate=float(beta), se=float(se),
        statistic=float(zval), p_value=float(2 * stats.norm.sf(abs(zval))),
        ci_lower=float(beta - z * se), ci_upper=float(beta + z * se), df=nan, tau2=0.0,
        se_tau2=nan, tau2_ci_lower=nan, tau2_ci_upper=nan, i2=i2, i2_ci_lower=nan,
        i2_ci_upper=nan, h2=h2, h2_ci_lower=nan, h2_ci_upper=nan, q=qe, q_df=max(k_yi - 1, 0),
        q_p=qe_p, pi_lower=nan, pi_upper=nan, pi_lower_t=nan, pi_upper_t=nan, level=level,
        loglik=float(-0.5 * k_yi * math.log(2 * math.pi) - 0.5 * np.sum(np.log(vu)) - 0.5 * qe),
        iterations=0, yi=yi, vi=vi, weights=100 * wts / wts.sum(), study=tuple(labels),
        control=dict(_DEFAULT_CONTROL), counts=counts, mh_statistic=float(mh),
        mh_p_value=float(mhp), tarone_statistic=float(ta), tarone_p_value=float(tap))


def _iv_method(result: MetaAnalysisResult) -> str:
    """The inverse-variance model behind a result (MH results are treated as FE)."""
    return "FE" if result.method == "MH" else result.method


def _mh_informative(ai, n1, ci, n2) -> np.ndarray:
    """Tables with a per-study effect in rma.mh: not (no events in both groups, or only events)."""
    return ~(((ai == 0) & (ci == 0)) | ((ai == n1) & (ci == n2)))


def _iv_data(result: MetaAnalysisResult):
    """Effects, variances and labels behind Egger's test and trim-and-fill: for Mantel-Haenszel
    results without the tables that have no per-study effect (as metafor's rma.mh)."""
    y, v, labels = np.asarray(result.yi, float), np.asarray(result.vi, float), tuple(result.study)
    if result.method == "MH" and result.counts is not None:
        c = result.counts
        keep = _mh_informative(c["events1"], c["n1"], c["events2"], c["n2"])
        y, v = y[keep], v[keep]
        labels = tuple(s for s, kp in zip(labels, keep, strict=True) if kp)
    return y, v, labels


def _check_result(result, name="result") -> MetaAnalysisResult:
    if not isinstance(result, MetaAnalysisResult):
        raise InvalidParameterError(
            f"`{name}` must be a MetaAnalysisResult (from meta_analysis or mantel_haenszel); "
            f"got {type(result).__name__}.")
    return result


# ==================================================================================================
# Egger's regression test (regtest)
# ==================================================================================================

@dataclass(frozen=True, eq=False, repr=False)
class EggerResult(Result):
    """Egger's regression test for funnel-plot asymmetry.

    Attributes
    ----------
    model : {"rma", "lm"}
        ``"rma"``: meta-regression on the standard error with the model of the input (metafor's
        default); ``"lm"``: weighted least squares with a multiplicative dispersion (the classical
        Egger test).
    statistic, p_value, df : float
        z (or t) statistic of the standard-error coefficient, two-sided p-value, df (NaN for z).
    limit_estimate, limit_ci_lower, limit_ci_upper : float
        The intercept (the effect expected in a study of infinite size) and its interval.
    slope : float
        Coefficient of the standard error.
    """

    model: str
    method: str
    k: int
    statistic: float
    p_value: float
    df: float
    slope: float
    limit_estimate: float
    limit_ci_lower: float
    limit_ci_upper: float
    level: float

    _title = "Egger's regression test"

    @property
    def summary(self) -> pd.DataFrame:
        """Columns ``test, statistic, df, p_value, slope, limit_estimate, ci_lower, ci_upper,
        method, k``."""
        return pd.DataFrame([{
            "test": f"egger ({self.model})", "statistic": self.statistic, "df": self.df,
            "p_value": self.p_value, "slope": self.slope, "limit_estimate": self.limit_estimate,
            "ci_lower": self.limit_ci_lower, "ci_upper": self.limit_ci_upper,
            "method": self.method, "k": self.k}])

    def __repr__(self) -> str:
        stat = "t" if self.model == "lm" or not math.isnan(self.df) else "z"
        dft = f", df={self.df:g}" if not math.isnan(self.df) else ""
        return (f"EggerResult({self.model}, k={self.k}: {stat}={self.statistic:.4g}{dft}, "
                f"p={self.p_value:.3g}; limit estimate {self.limit_estimate:.4g} "
                f"[{self.limit_ci_lower:.4g}, {self.limit_ci_upper:.4g}])")


def egger_test(result: MetaAnalysisResult, *, model: str = "rma") -> EggerResult:
    """Egger's regression test of small-study effects (metafor's ``regtest``, predictor "sei").

    Parameters
    ----------
    result : MetaAnalysisResult
        A fitted meta-analysis; its method (FE for Mantel-Haenszel), Hartung-Knapp setting and
        control are reused.
    model : {"rma", "lm"}, default "rma"
        ``"rma"`` adds the standard error as a moderator to the meta-analytic model (metafor's
        default); ``"lm"`` is the classical Egger regression, a weighted least-squares fit with
        weights 1/vi and a multiplicative dispersion (t on k-2 df), identical to regressing
        yi/sei on 1/sei and testing the intercept.

    Returns
    -------
    EggerResult

    Raises
    ------
    DataValidationError
        Fewer than three studies, or all sampling variances equal (the standard error cannot be
        a regressor). Mantel-Haenszel results count only the tables with a per-study effect.

    Notes
    -----
    Checked against metafor ``regtest(fit, model="rma"|"lm")``. The ``lm`` form uses
    statsmodels' WLS.

    Examples
    --------
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="FE")
    >>> eg = egger_test(res)
    >>> round(eg.statistic, 4), round(eg.p_value, 4)
    (2.1369, 0.0326)
    """
    _check_result(result)
    _check_choice("model", model, ("rma", "lm"))
    y, v, _ = _iv_data(result)
    _check_k(y.size, 3, "Egger's regression test")
    _check_unequal_variances(v, "Egger's regression test")
    k = y.size
    sei = np.sqrt(v)
    X = np.column_stack([np.ones_like(y), sei])
    if model == "rma":
        fit = _rma(y, v, X, _iv_method(result), result.knha, result.level, _control(result.control))
        return EggerResult(model="rma", method=_iv_method(result), k=k,
                           statistic=float(fit.zval[1]), p_value=float(fit.pval[1]), df=fit.df,
                           slope=float(fit.beta[1]), limit_estimate=float(fit.beta[0]),
                           limit_ci_lower=float(fit.ci_lb[0]), limit_ci_upper=float(fit.ci_ub[0]),
                           level=result.level)
    from statsmodels.regression.linear_model import WLS

    fit = WLS(y, X, weights=1.0 / v).fit()
    df = float(k - 2)
    crit = float(stats.t.isf((1 - result.level) / 2, df))
    b0, se0 = float(fit.params[0]), float(fit.bse[0])
    return EggerResult(model="lm", method=_iv_method(result), k=k,
                       statistic=float(fit.tvalues[1]), p_value=float(fit.pvalues[1]), df=df,
                       slope=float(fit.params[1]), limit_estimate=b0,
                       limit_ci_lower=b0 - crit * se0, limit_ci_upper=b0 + crit * se0,
                       level=result.level)


# ==================================================================================================
# trim and fill
# ==================================================================================================

@dataclass(frozen=True, eq=False, repr=False)
class TrimFillResult(Result):
    """Trim-and-fill analysis (Duval and Tweedie).

    Attributes
    ----------
    k0 : int
        Estimated number of missing studies.
    se_k0 : float
        Its standard error; ``p_k0`` its p-value (R0 estimator only, else NaN).
    side : {"left", "right"}
        Side of the funnel plot on which studies were imputed.
    estimator : {"L0", "R0"}
    filled_yi, filled_vi : numpy.ndarray
        The imputed studies.
    result : MetaAnalysisResult
        The meta-analysis of the observed and imputed studies (the input itself when k0 = 0).
    original : MetaAnalysisResult
        The input.
    """

    k0: int
    se_k0: float
    p_k0: float
    side: str
    estimator: str
    filled_yi: np.ndarray
    filled_vi: np.ndarray
    result: MetaAnalysisResult
    original: MetaAnalysisResult

    _title = "Trim and fill"

    @property
    def estimate(self) -> float:
        return self.result.estimate

    @property
    def filled(self) -> np.ndarray:
        """Boolean mask over ``result.yi``: True for imputed studies."""
        return np.r_[np.zeros(self.result.k - self.k0, bool), np.ones(self.k0, bool)]

    @property
    def summary(self) -> pd.DataFrame:
        """Rows ``observed`` and ``filled``: ``analysis, k, k0, side, estimate, se, ci_lower,
        ci_upper, p_value, tau2, i2, method``."""
        rows = []
        for name, r in (("observed", self.original), ("filled", self.result)):
            rows.append({"analysis": name, "k": r.k, "k0": self.k0 if name == "filled" else 0,
                         "side": self.side, "estimate": r.estimate, "se": r.se,
                         "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "p_value": r.p_value,
                         "tau2": r.tau2, "i2": r.i2, "method": r.method})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"TrimFillResult({self.estimator}, side={self.side!r}: k0={self.k0} "
                f"(se {self.se_k0:.3g}); estimate {self.original.estimate:.4g} -> "
                f"{self.result.estimate:.4g} [{self.result.ci_lower:.4g}, "
                f"{self.result.ci_upper:.4g}])")


def _pooled_beta(y, v, method, con) -> float:
    X = np.ones((y.size, 1))
    tau2, _, _ = _estimate_tau2(y, v, X, method, con)
    w = 1.0 / (v + tau2)
    return float(np.sum(w * y) / np.sum(w))


def trim_and_fill(result: MetaAnalysisResult, *, estimator: str = "L0", side: str | None = None,
                  maxiter: int = 100) -> TrimFillResult:
    """Trim-and-fill: estimate and impute studies missing from one side of the funnel plot.

    Parameters
    ----------
    result : MetaAnalysisResult
        A fitted meta-analysis; its method (FE for Mantel-Haenszel), Hartung-Knapp setting and
        control are reused.
    estimator : {"L0", "R0"}, default "L0"
        Estimator of the number of missing studies.
    side : {"left", "right"}, optional
        Side on which studies are missing. By default chosen as metafor does: "right" if the slope
        of the standard error in an Egger-type meta-regression (same method) is negative, else
        "left".
    maxiter : int, default 100
        Maximum number of trim-and-fill iterations.

    Returns
    -------
    TrimFillResult

    Raises
    ------
    DataValidationError
        Fewer than three studies, or (when ``side`` is not given) all sampling variances equal.
    ConvergenceError
        The number of missing studies did not settle within ``maxiter`` iterations.

    Notes
    -----
    Implements metafor's ``trimfill`` (iteration on the ranks of the centred effects, k0 rounded
    half to even as R, imputed effects mirrored around the trimmed estimate). The filled data are
    analysed with the method of ``result`` and keep its Hartung-Knapp setting (metafor refits with
    z tests); Mantel-Haenszel results are refitted as inverse-variance fixed-effect models (also
    when no study is imputed) on the tables that have a per-study effect (as metafor's ``rma.mh``
    keeps them). Estimated k0 is capped at k - 1. Checked against metafor ``trimfill``.

    Examples
    --------
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="FE")
    >>> tf = trim_and_fill(res)
    >>> tf.k0, tf.side, round(tf.estimate, 4)
    (2, 'left', 0.2684)
    """
    _check_result(result)
    _check_choice("estimator", estimator, ("L0", "R0"))
    maxiter = _check_int("maxiter", maxiter, minimum=1)
    y0, v0, labels0 = _iv_data(result)
    _check_k(y0.size, 3, "trim-and-fill")
    method = _iv_method(result)
    con = _control(result.control)
    if side is None:
        _check_unequal_variances(v0, "trim-and-fill (choosing the side)")
        X = np.column_stack([np.ones_like(y0), np.sqrt(v0)])
        fit = _rma(y0, v0, X, method, False, result.level, con)
        side = "right" if fit.beta[1] < 0 else "left"
    else:
        _check_choice("side", side, ("left", "right"))
    y = -y0 if side == "right" else y0.copy()
    order = np.argsort(y, kind="stable")
    y, v = y[order], v0[order]
    k = y.size
    k0_prev, k0, it = -1, 0, 0
    se_k0 = math.nan
    beta = math.nan
    yc = y
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ConvergenceError(f"trim-and-fill did not converge in {maxiter} iterations.")
        beta = _pooled_beta(y[: k - k0], v[: k - k0], method, con)
        yc = y - beta
        ranks = stats.rankdata(np.abs(yc), method="ordinal")
        signed = np.sign(yc) * ranks
        if estimator == "R0":
            neg = -signed[signed < 0]
            k0_raw = (k - (neg.max() if neg.size else 0.0)) - 1
            se_k0 = math.sqrt(2 * max(0.0, k0_raw) + 2)
        else:
            sr = float(signed[signed > 0].sum())
            k0_raw = (4 * sr - k * (k + 1)) / (2 * k - 1)
            var_sr = (k * (k + 1) * (2 * k + 1) + 10 * k0_raw**3 + 27 * k0_raw**2 + 17 * k0_raw
                      - 18 * k * k0_raw**2 - 18 * k * k0_raw + 6 * k**2 * k0_raw) / 24
            se_k0 = 4 * math.sqrt(var_sr) / (2 * k - 1) if var_sr >= 0 else math.nan
        k0 = int(min(max(0, round(k0_raw)), k - 1))
        se_k0 = max(0.0, se_k0) if not math.isnan(se_k0) else se_k0
    p_k0 = 0.5 ** (k0 + 1) if estimator == "R0" else math.nan
    if k0 > 0:
        yc = yc - beta
        if side == "right":
            yc = -yc
        fill_y = -yc[k - k0:]
        fill_v = v[k - k0:]
        labels = labels0 + tuple(f"Filled {i + 1}" for i in range(k0))
        filled = _build(np.r_[y0, fill_y], np.r_[v0, fill_v], labels, method=method,
                        knha=result.knha, level=result.level, measure=result.measure, con=con)
    else:
        fill_y = np.array([])
        fill_v = np.array([])
        # nothing imputed: the input itself (for Mantel-Haenszel, the inverse-variance
        # fixed-effect model that trim-and-fill works with)
        filled = result if result.method != "MH" else _build(
            y0, v0, labels0, method=method, knha=False, level=result.level,
            measure=result.measure, con=con)
    return TrimFillResult(k0=k0, se_k0=float(se_k0), p_k0=float(p_k0), side=side,
                          estimator=estimator, filled_yi=fill_y, filled_vi=fill_v, result=filled,
                          original=result)


# ==================================================================================================
# leave-one-out
# ==================================================================================================

@dataclass(frozen=True, eq=False, repr=False)
class LeaveOneOutResult(Result):
    """Meta-analyses with each study left out in turn (metafor's ``leave1out``).

    ``table`` has one row per omitted study: ``study, estimate, se, statistic, p_value, ci_lower,
    ci_upper, q, q_p, tau2, i2, h2``.
    """

    table: pd.DataFrame
    method: str
    full: MetaAnalysisResult

    _title = "Leave-one-out"

    @property
    def summary(self) -> pd.DataFrame:
        return self.table.copy()

    def __repr__(self) -> str:
        t = self.table
        return (f"LeaveOneOutResult({self.method}, k={len(t)}: estimates from "
                f"{t['estimate'].min():.4g} to {t['estimate'].max():.4g}; full "
                f"{self.full.estimate:.4g})")


def _subset(result: MetaAnalysisResult, keep: np.ndarray) -> MetaAnalysisResult:
    labels = tuple(s for s, kp in zip(result.study, keep, strict=True) if kp)
    if result.method == "MH":
        c = result.counts
        return _mh(c["events1"][keep], c["n1"][keep], c["events2"][keep], c["n2"][keep],
                   result.measure, labels, level=result.level, correct=True, add=0.5, to="only0")
    return _build(result.yi[keep], result.vi[keep], labels, method=result.method,
                  knha=result.knha, level=result.level, measure=result.measure,
                  con=_control(result.control))


def leave_one_out(result: MetaAnalysisResult) -> LeaveOneOutResult:
    """Refit the meta-analysis with each study omitted in turn.

    Parameters
    ----------
    result : MetaAnalysisResult
        A fitted meta-analysis (any method, including Mantel-Haenszel).

    Returns
    -------
    LeaveOneOutResult
        ``.summary``: one row per omitted study with ``study, estimate, se, statistic, p_value,
        ci_lower, ci_upper, q, q_p, tau2, i2, h2``.

    Raises
    ------
    DataValidationError
        Fewer than three studies.

    Examples
    --------
    >>> res = meta_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47], vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                     method="DL")
    >>> loo = leave_one_out(res)
    >>> loo.summary["estimate"].round(3).tolist()
    [0.363, 0.45, 0.33, 0.508, 0.403]
    """
    _check_result(result)
    _check_k(result.k, 3, "leave-one-out")
    rows = []
    for i in range(result.k):
        keep = np.ones(result.k, bool)
        keep[i] = False
        r = _subset(result, keep)
        rows.append({"study": result.study[i], "estimate": r.estimate, "se": r.se,
                     "statistic": r.statistic, "p_value": r.p_value, "ci_lower": r.ci_lower,
                     "ci_upper": r.ci_upper, "q": r.q, "q_p": r.q_p, "tau2": r.tau2,
                     "i2": r.i2, "h2": r.h2})
    return LeaveOneOutResult(table=pd.DataFrame(rows), method=result.method, full=result)


# ==================================================================================================
# subgroups
# ==================================================================================================

@dataclass(frozen=True, eq=False, repr=False)
class SubgroupResult(Result):
    """Separate meta-analyses per subgroup and a test of differences between subgroups.

    Attributes
    ----------
    groups : tuple of str
    results : tuple of MetaAnalysisResult
        One per group (a single-study group is its own estimate, with tau2 = 0).
    overall : MetaAnalysisResult
        All studies together.
    q_between, df_between, p_between : float
        Test of equal subgroup effects: Q = sum w_g (est_g - est_w)^2 with w_g = 1/se_g^2, est_w
        the w-weighted mean, chi-squared on G - 1 df.
    """

    groups: tuple
    results: tuple
    overall: MetaAnalysisResult
    q_between: float
    df_between: int
    p_between: float

    _title = "Subgroup analysis"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per subgroup, then ``overall`` and ``between``: ``subgroup, k, estimate, se,
        ci_lower, ci_upper, p_value, tau2, i2, q, q_p, statistic, df``."""
        rows = []
        for g, r in (*zip(self.groups, self.results, strict=True), ("overall", self.overall)):
            rows.append({"subgroup": g, "k": r.k, "estimate": r.estimate, "se": r.se,
                         "ci_lower": r.ci_lower, "ci_upper": r.ci_upper, "p_value": r.p_value,
                         "tau2": r.tau2, "i2": r.i2, "q": r.q, "q_p": r.q_p,
                         "statistic": math.nan, "df": math.nan})
        rows.append({"subgroup": "between", "k": self.overall.k, "estimate": math.nan,
                     "se": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                     "p_value": self.p_between, "tau2": math.nan, "i2": math.nan, "q": math.nan,
                     "q_p": math.nan, "statistic": self.q_between, "df": self.df_between})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        parts = ", ".join(f"{g}: {r.estimate:.3g} (k={r.k})"
                          for g, r in zip(self.groups, self.results, strict=True))
        return (f"SubgroupResult({parts}; Q_between={self.q_between:.3g} on "
                f"{self.df_between} df, p={self.p_between:.3g})")


def _single_study(y, v, label, level, method, measure) -> MetaAnalysisResult:
    se = math.sqrt(v)
    z = float(stats.norm.isf((1 - level) / 2))
    nan = math.nan
    return MetaAnalysisResult(
        method=method, test="z", measure=measure, k=1, estimate=y, se=se, statistic=y / se,
        p_value=float(2 * stats.norm.sf(abs(y / se))), ci_lower=y - z * se, ci_upper=y + z * se,
        df=nan, tau2=0.0, se_tau2=nan, tau2_ci_lower=nan, tau2_ci_upper=nan, i2=0.0,
        i2_ci_lower=nan, i2_ci_upper=nan, h2=1.0, h2_ci_lower=nan, h2_ci_upper=nan, q=0.0, q_df=0,
        q_p=1.0, pi_lower=nan, pi_upper=nan, pi_lower_t=nan, pi_upper_t=nan, level=level,
        loglik=nan, iterations=0, yi=np.array([y]), vi=np.array([v]), weights=np.array([100.0]),
        study=(label,))


def subgroup_analysis(data=None, *, group, yi="yi", vi="vi", study=None, method: str = "REML",
                      knha: bool = False, level: float = 0.95, measure: str | None = None,
                      control: dict | None = None) -> SubgroupResult:
    """Meta-analyses within subgroups and a test for differences between them.

    Parameters
    ----------
    data, yi, vi, study, method, knha, level, measure, control
        As in :func:`meta_analysis` (``method`` one of REML, DL, PM, FE).
    group : str or array_like
        Column (with a DataFrame) or one label per study.

    Returns
    -------
    SubgroupResult

    Notes
    -----
    Each subgroup gets its own tau2 (as RevMan and R's meta package by default); the subgroup
    estimates are compared with a fixed-effect Q test on G - 1 df. With ``method="FE"`` the total
    Q splits exactly into the within-subgroup Q's plus the between-subgroup Q.

    Examples
    --------
    >>> res = subgroup_analysis(yi=[0.62, 0.31, 0.85, 0.12, 0.47],
    ...                         vi=[0.08, 0.05, 0.11, 0.04, 0.07],
    ...                         group=["a", "a", "a", "b", "b"], method="FE")
    >>> round(res.q_between, 4), res.df_between
    (1.516, 1)
    """
    _check_choice("method", method, ("REML", "DL", "PM", "FE"))
    level = _check_probability("level", level)
    con = _control(control)
    y, v, labels, meas, _ = _yi_vi_input(data, yi, vi, study, measure)
    if measure is not None:
        meas = measure
    _check_k(y.size)
    if isinstance(group, str):
        if not isinstance(data, pd.DataFrame):
            raise InvalidParameterError("`group` names a column, so `data` must be a DataFrame.")
        if group not in data.columns:
            raise DataValidationError(
                f"column {group!r} (given as `group`) is missing; the data has columns "
                f"{list(map(str, data.columns))}.")
        if data[group].isna().any():
            i = int(np.argmax(data[group].isna().to_numpy()))
            raise DataValidationError(f"study {labels[i]!r}: column {group!r} is missing.")
        g = np.array([_label(x) for x in data[group]], dtype=object)
    else:
        g = np.array([_label(x) for x in group], dtype=object)
        if g.size != y.size:
            raise DataValidationError(
                f"`group` must have one label per study ({y.size}); got {g.size}.")
    levels = list(dict.fromkeys(g.tolist()))
    if len(levels) < 2:
        raise DataValidationError(f"`group` must have at least 2 subgroups; found {levels}.")
    results = []
    for lev in levels:
        m = g == lev
        lab = tuple(s for s, mm in zip(labels, m, strict=True) if mm)
        if m.sum() == 1:
            results.append(_single_study(float(y[m][0]), float(v[m][0]), lab[0], level, method,
                                         meas))
        else:
            results.append(_build(y[m], v[m], lab, method=method, knha=bool(knha), level=level,
                                  measure=meas, con=con))
    overall = _build(y, v, labels, method=method, knha=bool(knha), level=level, measure=meas,
                     con=con)
    est = np.array([r.estimate for r in results])
    w = 1.0 / np.array([r.se for r in results]) ** 2
    mean = float(np.sum(w * est) / np.sum(w))
    qb = float(np.sum(w * (est - mean) ** 2))
    dfb = len(levels) - 1
    return SubgroupResult(groups=tuple(levels), results=tuple(results), overall=overall,
                          q_between=qb, df_between=dfb, p_between=float(stats.chi2.sf(qb, dfb)))

