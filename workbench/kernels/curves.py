"""Kaplan-Meier summaries for many replicates at once: RMST and survival at a milestone per arm.

Each row's patients are sorted once (:func:`~workbench.kernels.replicates.sorted_keys`); the
Kaplan-Meier curve of an arm is then a cumulative sum of ``log(1 - 1/n)`` over its events in
sorted order (tied events one at a time, which gives the same curve, and by telescoping the same
Greenwood sums, as grouping them), all on dense (replicates x patients) arrays. The formulas are
those of R's ``survfit``: Greenwood's variance for the survival at a time
(``summary(fit, times, extend=TRUE)``), and for the restricted mean ``sum A_j^2 d_j / (n_j (n_j -
d_j))`` with ``A_j`` the area under the curve from ``t_j`` to ``tau`` (``rmean``, ``se(rmean)``);
a curve that ends before ``tau`` is extended flat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import InvalidParameterError
from ..results import Result
from .replicates import key_fields, replicate_arrays, sorted_keys

__all__ = ["ArmCurveArrays", "km_arrays"]


@dataclass(frozen=True)
class ArmCurveArrays(Result):
    """Per replicate and arm (column 0: arm 1, the arm coded True; column 1: arm 2).

    Attributes
    ----------
    tau : float or None
    rmst, rmst_se : float arrays (n_reps, 2) or None
        Restricted mean survival time to ``tau`` and its standard error.
    at : float or None
    survival, survival_se : float arrays (n_reps, 2) or None
        Kaplan-Meier survival at ``at`` and its Greenwood standard error.
    """

    tau: float | None
    rmst: np.ndarray | None
    rmst_se: np.ndarray | None
    at: float | None
    survival: np.ndarray | None
    survival_se: np.ndarray | None
    _title = "Kaplan-Meier summaries (one row per replicate)"

    @property
    def summary(self) -> pd.DataFrame:
        """One row per replicate: ``rmst1, rmst2, rmst_se1, rmst_se2, survival1, ...``."""
        out = {}
        for name in ("rmst", "rmst_se", "survival", "survival_se"):
            v = getattr(self, name)
            if v is not None:
                out[f"{name}1"], out[f"{name}2"] = v[:, 0], v[:, 1]
        return pd.DataFrame(out)


def km_arrays(time, event, group, *, tau: float | None = None,
              at: float | None = None) -> ArmCurveArrays:
    """RMST to ``tau`` and survival at ``at`` of both arms, for every row.

    Parameters
    ----------
    time : float array (n_reps, n) or (n,)
    event : bool array like ``time``
    group : bool array (n,) or (n_reps, n)
        True for arm 1.
    tau, at : float > 0, optional
        RMST horizon and milestone time (either or both).

    Returns
    -------
    ArmCurveArrays

    Notes
    -----
    Matches R ``survfit`` (``rmean=tau`` and ``summary(fit, times=at, extend=TRUE)``) and this
    package's :func:`~workbench.analysis.survival.rmst` and
    :func:`~workbench.analysis.survival.kaplan_meier` (``tests/test_nph.py``).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([2, 3, 3, 5, 8, 9, 1, 4, 6, 7, 10, 12], dtype=float)
    >>> e = np.array([1, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0], dtype=bool)
    >>> res = km_arrays(t, e, np.arange(12) < 6, tau=6, at=4)
    >>> res.rmst.round(4)   # arm 1 as in R: 4.6111
    array([[4.6111, 4.8333]])
    """
    if tau is None and at is None:
        raise InvalidParameterError("give `tau` or `at` (or both); got neither.")
    for name, v in (("tau", tau), ("at", at)):
        if v is not None and not (np.isfinite(v) and v > 0):
            raise InvalidParameterError(f"`{name}` must be a finite number > 0; got {v!r}.")
    t, e, g = replicate_arrays(time, event, group)
    key = sorted_keys(t, e, g)
    ts, ev, g1 = key_fields(key)
    n_reps = key.shape[0]
    rm = np.full((n_reps, 2), np.nan) if tau is not None else None
    rm_se = np.full((n_reps, 2), np.nan) if tau is not None else None
    sv = np.full((n_reps, 2), np.nan) if at is not None else None
    sv_se = np.full((n_reps, 2), np.nan) if at is not None else None
    for col, in_arm in enumerate((g1, ~g1)):
        n_arm = np.count_nonzero(in_arm, axis=1)[:, None]
        risk = n_arm - (np.cumsum(in_arm, axis=1) - in_arm)  # arm patients at or after each slot
        dead = ev & in_arm
        with np.errstate(divide="ignore", invalid="ignore"):
            logf = np.where(dead, np.log1p(-1.0 / np.where(dead, risk, 2.0)), 0.0)
            green = np.where(dead & (risk > 1), 1.0 / (risk * (risk - 1.0)), 0.0)
        cum = np.cumsum(logf, axis=1)
        surv_after = np.exp(cum)
        if at is not None:
            upto = ts <= at
            s = np.exp(np.sum(np.where(upto, logf, 0.0), axis=1))
            gw = np.sum(np.where(upto, green, 0.0), axis=1)
            sv[:, col] = s  # type: ignore[index]
            sv_se[:, col] = s * np.sqrt(gw)  # type: ignore[index]
        if tau is not None:
            surv_before = np.concatenate([np.ones((n_reps, 1)), surv_after[:, :-1]], axis=1)
            clipped = np.minimum(ts, tau)
            prev = np.concatenate([np.zeros((n_reps, 1)), clipped[:, :-1]], axis=1)
            pieces = surv_before * (clipped - prev)
            area_to = np.cumsum(pieces, axis=1)  # area from 0 to each slot's time
            total = area_to[:, -1] + surv_after[:, -1] * (tau - clipped[:, -1])
            after = total[:, None] - area_to  # area from each slot's time to tau
            use = dead & (ts <= tau)
            var = np.sum(np.where(use, after**2 * green, 0.0), axis=1)
            rm[:, col] = total  # type: ignore[index]
            rm_se[:, col] = np.sqrt(var)  # type: ignore[index]
    return ArmCurveArrays(tau=tau, rmst=rm, rmst_se=rm_se, at=at, survival=sv, survival_se=sv_se)
