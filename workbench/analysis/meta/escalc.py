"""Per-study effect sizes from summary data, as metafor's ``escalc``.

:func:`effect_sizes` reads a study-level table; :func:`smd_effect_sizes`, :func:`rr_effect_sizes`,
:func:`or_effect_sizes` and :func:`rd_effect_sizes` compute one measure from arrays. Effects are on
the analysis scale: Hedges' g, log risk ratio, log odds ratio, risk difference.

The input checks here (``as_float_array``, ``check_values``, ``study_labels``, ``numeric_column``,
``two_by_two``) are shared by the other meta-analysis modules.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from ..._validation import check_choice, label_text
from ...exceptions import DataValidationError, InvalidParameterError
from .results import EffectSizes

__all__ = [
    "MEASURES",
    "BINARY_MEASURES",
    "effect_sizes",
    "smd_effect_sizes",
    "rr_effect_sizes",
    "or_effect_sizes",
    "rd_effect_sizes",
    "as_float_array",
    "check_values",
    "two_by_two",
    "study_labels",
    "numeric_column",
]

#: Effect measures: standardised mean difference (Hedges' g), log risk ratio, log odds ratio,
#: risk difference.
MEASURES = ("SMD", "RR", "OR", "RD")
#: Pooling methods: random effects with REML, DerSimonian-Laird or Paule-Mandel tau-squared,


def as_float_array(name: str, x) -> np.ndarray:
    """``x`` as a 1-d (at least) float array, or an error naming ``name``."""
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise DataValidationError(f"`{name}` must be numeric; got {x!r}.") from None
    return np.atleast_1d(arr)


def _broadcast(**arrays) -> dict[str, np.ndarray]:
    out = {k: as_float_array(k, v) for k, v in arrays.items()}
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


def check_values(name: str, arr: np.ndarray, labels=None, *, positive=False, nonnegative=False,
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


def smd_effect_sizes(m1, sd1, n1, m2, sd2, n2, *, _labels=None, _columns=None):
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
    >>> yi, vi = smd_effect_sizes(10.0, 6.0, 40, 13.6, 6.2, 40)
    >>> round(float(yi[0]), 4), round(float(vi[0]), 5)
    (-0.5844, 0.05213)
    """
    cols = _columns or {}
    a = _broadcast(m1=m1, sd1=sd1, n1=n1, m2=m2, sd2=sd2, n2=n2)
    for name in ("m1", "m2"):
        check_values(name, a[name], _labels, column=cols.get(name))
    for name in ("sd1", "sd2"):
        check_values(name, a[name], _labels, positive=True, column=cols.get(name))
    for name in ("n1", "n2"):
        check_values(name, a[name], _labels, minimum=2, column=cols.get(name))
    n1_, n2_ = a["n1"], a["n2"]
    sp = np.sqrt(((n1_ - 1) * a["sd1"] ** 2 + (n2_ - 1) * a["sd2"] ** 2) / (n1_ + n2_ - 2))
    yi = _hedges_j(n1_ + n2_ - 2) * (a["m1"] - a["m2"]) / sp
    vi = 1.0 / n1_ + 1.0 / n2_ + yi**2 / (2.0 * (n1_ + n2_))
    return yi, vi


def two_by_two(events1, n1, events2, n2, add, to, labels=None, columns=None):
    """The four cells ``(a, b, c, d)`` of each study's 2 x 2 table, checked and corrected."""
    cols = columns or {}
    a = _broadcast(events1=events1, n1=n1, events2=events2, n2=n2)
    for name in ("events1", "events2"):
        check_values(name, a[name], labels, nonnegative=True, column=cols.get(name))
    for name in ("n1", "n2"):
        check_values(name, a[name], labels, positive=True, column=cols.get(name))
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
    check_choice("to", to, ("only0", "all", "if0all", "none"))
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


def rr_effect_sizes(events1, n1, events2, n2, *, add=0.5, to="only0"):
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
    >>> yi, vi = rr_effect_sizes([5, 8], [25, 30], [0, 2], [24, 31])
    >>> [round(float(v), 4) for v in yi]
    [2.3587, 1.4191]
    """
    ai, bi, ci, di = two_by_two(events1, n1, events2, n2, add, to)
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


def or_effect_sizes(events1, n1, events2, n2, *, add=0.5, to="only0"):
    """Log odds ratio of group 1 versus group 2 and its sampling variance.

    ``log(a d / (b c))`` and ``1/a + 1/b + 1/c + 1/d`` on the corrected counts; parameters as in
    :func:`rr_effect_sizes`. As metafor's ``escalc(measure="OR")``.

    Examples
    --------
    >>> yi, vi = or_effect_sizes([24], [60], [10], [58])
    >>> round(float(yi[0]), 4), round(float(vi[0]), 4)
    (1.1632, 0.1903)
    """
    return _or(*two_by_two(events1, n1, events2, n2, add, to))


def rd_effect_sizes(events1, n1, events2, n2, *, add=0.5, to="only0"):
    """Risk difference of group 1 minus group 2 and its sampling variance.

    ``p1 - p2`` and ``p1 (1 - p1) / n1 + p2 (1 - p2) / n2`` on the corrected counts (metafor also
    applies the continuity correction to this measure); parameters as in :func:`rr_effect_sizes`.
    As metafor's ``escalc(measure="RD")``.

    Examples
    --------
    >>> yi, vi = rd_effect_sizes([24], [60], [10], [58])
    >>> round(float(yi[0]), 4)
    0.2276
    """
    return _rd(*two_by_two(events1, n1, events2, n2, add, to))


#: Binary measure -> function of the four cells returning ``(yi, vi)``.
BINARY_MEASURES = {"RR": _rr, "OR": _or, "RD": _rd}


def study_labels(data: pd.DataFrame, study: str | None) -> tuple:
    """Study labels from a column (default 1, 2, ...)."""
    if study is None:
        return tuple(str(i + 1) for i in range(len(data)))
    if study not in data.columns:
        raise DataValidationError(
            f"column {study!r} is missing; the data has columns {list(map(str, data.columns))}.")
    if data[study].isna().any():
        i = int(np.argmax(data[study].isna().to_numpy()))
        raise DataValidationError(
            f"column {study!r} has a missing study label (data row {i + 1}).")
    return tuple(label_text(v) for v in data[study])


def numeric_column(data: pd.DataFrame, column: str | None, labels: tuple,
                   option: str) -> np.ndarray:
    """A numeric column, with errors naming the study, the column and the option."""
    if column is None:
        raise InvalidParameterError(f"`{option}` must name a column of the data; got None.")
    if column not in data.columns:
        raise DataValidationError(
            f"column {column!r} (given as `{option}`) is missing; the data has columns "
            f"{list(map(str, data.columns))}.")
    values = pd.to_numeric(data[column], errors="coerce")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raw = data[column].iloc[i]
        what = ("is missing a value (empty or NaN)" if pd.isna(raw)
                else f"must be numeric; found {raw!r}")
        raise DataValidationError(f"study {labels[i]!r}: column {column!r} {what} "
                                  f"(data row {i + 1}).")
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
        Continuity correction for binary measures (see :func:`rr_effect_sizes`).

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
    check_choice("measure", measure, MEASURES)
    labels = study_labels(data, study)
    if measure == "SMD":
        names = {"m1": m1, "sd1": sd1, "n1": n1, "m2": m2, "sd2": sd2, "n2": n2}
        cols = {k: numeric_column(data, v, labels, k) for k, v in names.items()}
        yi, vi = smd_effect_sizes(**cols, _labels=labels, _columns=names)
        n = cols["n1"] + cols["n2"]
        counts = None
    else:
        names = {"events1": events1, "n1": n1, "events2": events2, "n2": n2}
        cols = {k: numeric_column(data, v, labels, k) for k, v in names.items()}
        ai, bi, ci, di = two_by_two(cols["events1"], cols["n1"], cols["events2"], cols["n2"],
                                    add, to, labels=labels, columns=names)
        yi, vi = BINARY_MEASURES[measure](ai, bi, ci, di)
        n = cols["n1"] + cols["n2"]
        counts = cols
    return EffectSizes(measure=measure, study=labels, yi=yi, vi=vi, n=n, counts=counts,
                       add=float(add), to=to)
