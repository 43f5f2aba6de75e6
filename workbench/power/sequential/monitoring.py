"""Monitoring of group-sequential trials.

Boundaries recomputed for the information actually reached, decisions and repeated confidence
intervals; event-driven looks at patient-level data.

The statistic ``z`` is given as computed (experimental minus control: for log-rank, negative when
arm 1 has fewer events than expected). The design's ``alternative`` says which side rejects:
"greater" large ``z``, "two-sided" large ``|z|``, and "less" small ``z``: for a "less" design the
sign of ``z`` is flipped before it is compared with the bounds, and the results report the
oriented statistic (large values favour the alternative), as the bounds are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ..._validation import (
    check_binary_column,
    check_bool,
    check_columns,
    check_dataframe,
    check_numeric_column,
    check_positive,
)
from ...design._boundaries import (
    alpha_spending_bounds,
    as_tuple,
    check_increasing,
    check_vector,
    crossing_two,
    spend_futility,
    spend_futility_two,
    type_one_error,
    wang_tsiatis_bounds,
)
from ...design.sequential import (
    CLASSICAL_TYPES,
    GroupSequentialDesign,
    check_design,
    spending_function,
)
from ...exceptions import DataValidationError, InvalidParameterError
from ...results import Result

__all__ = [
    "SequentialMonitoring",
    "monitor_sequential",
    "monitor_logrank",
    "data_at_events",
]

_Phi = special.ndtr


# ============================================================================================
# monitoring: boundaries for the information actually reached, decisions, repeated CIs
# ============================================================================================
_DECISIONS = ("continue", "reject H0", "stop for futility", "futility bound crossed (non-binding)",
              "do not reject H0")


@dataclass(frozen=True)
class SequentialMonitoring(Result):
    """Interim monitoring of a group-sequential trial at the looks performed so far.

    Attributes
    ----------
    design : GroupSequentialDesign
        The planned design.
    information_rates : tuple of float
        Information reached at each look, as a fraction of the planned maximum.
    z : tuple of float
        Observed test statistics oriented so that large values favour the alternative: as given
        for designs with ``alternative`` "greater" or "two-sided", with the sign flipped for
        "less".
    critical_values, futility_bounds : tuple of float
        Boundaries recomputed for the information reached (futility NaN where there is none).
    alpha_spent : tuple of float
        Cumulative type I error of the recomputed boundaries.
    decisions : tuple of str
        Per look: ``continue``, ``reject H0``, ``stop for futility``, ``futility bound crossed
        (non-binding)`` or, at the final analysis, ``do not reject H0``.
    final : bool
        Whether the last look given is the final analysis.
    estimates, rci_lower, rci_upper : tuple of float or None
        Effect estimates and repeated confidence intervals (Jennison & Turnbull 2000, ch. 9),
        on the effect scale (exponentiated for hazard ratios).
    """

    design: GroupSequentialDesign
    information_rates: tuple[float, ...]
    z: tuple[float, ...]
    critical_values: tuple[float, ...]
    futility_bounds: tuple[float, ...]
    alpha_spent: tuple[float, ...]
    decisions: tuple[str, ...]
    final: bool
    estimates: tuple[float, ...] | None = None
    rci_lower: tuple[float, ...] | None = None
    rci_upper: tuple[float, ...] | None = None
    effect: str = "effect"
    events: tuple[float, ...] | None = None

    _title = "Group-sequential monitoring"

    @property
    def looks(self) -> int:
        """Number of looks performed."""
        return len(self.z)

    @property
    def stage_levels(self) -> tuple[float, ...]:
        """One-sided nominal p-value thresholds ``1 - Phi(critical_value)``."""
        return as_tuple(_Phi(-np.asarray(self.critical_values)))

    @property
    def stopped(self) -> bool:
        """Whether a stopping boundary (efficacy, or binding futility) has been crossed."""
        return self.stop_look is not None

    @property
    def stop_look(self) -> int | None:
        """First look (1-based) at which the trial stops, if any."""
        for k, d in enumerate(self.decisions, start=1):
            if d in ("reject H0", "stop for futility"):
                return k
        return None

    @property
    def rejected(self) -> bool:
        """Whether H0 was rejected at one of the looks."""
        return "reject H0" in self.decisions

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look performed.

        Columns: ``look, information_rate, z, critical_value, futility_bound, stage_level,
        alpha_spent, p_value`` (one-sided towards the alternative, unadjusted), ``decision`` and,
        when estimates are available, ``estimate, rci_lower, rci_upper`` (and ``events`` for
        log-rank monitoring).
        """
        z = np.asarray(self.z)
        out = pd.DataFrame({
            "look": np.arange(1, self.looks + 1), "information_rate": self.information_rates,
            "z": z, "critical_value": self.critical_values, "futility_bound": self.futility_bounds,
            "stage_level": self.stage_levels, "alpha_spent": self.alpha_spent,
            "p_value": _Phi(-z), "decision": self.decisions,
        })
        if self.events is not None:
            out.insert(2, "events", self.events)
        if self.estimates is not None:
            out["estimate"] = self.estimates
            out["rci_lower"] = self.rci_lower
            out["rci_upper"] = self.rci_upper
        return out


def _monitor_boundaries(design: GroupSequentialDesign, t: np.ndarray, final: bool):
    """Critical values, futility bounds (NaN: none) and alpha spent at the rates ``t`` reached."""
    m = len(t)
    sided = design.sided
    binding = design.binding
    fixed_fut = None
    if design.futility_bounds is not None and not isinstance(design.futility, str):
        fixed_fut = np.full(m, math.nan)
        n = min(m, design.kmax - 1)
        fixed_fut[:n] = design.futility_bounds[:n]
        if final:
            fixed_fut[-1] = math.nan
    absorbing = None
    if binding and fixed_fut is not None:
        absorbing = np.where(np.isnan(fixed_fut), -math.inf, fixed_fut)
    fut = fixed_fut if fixed_fut is not None else np.full(m, math.nan)
    if design.type_of_design in CLASSICAL_TYPES:
        reached = list(t)
        if final:
            reached = list(np.asarray(reached) / reached[-1])
        else:
            reached += [r for r in design.information_rates if r > reached[-1] + 1e-12]
        rates = np.asarray(reached)
        delta = {"OF": 0.0, "P": 0.5}.get(design.type_of_design, design.delta_wt)
        assert delta is not None  # a WT design has its delta_wt
        full_abs = None
        if absorbing is not None:
            full_abs = np.full(len(rates), -math.inf)
            full_abs[:m] = absorbing
        if len(rates) == 1:
            crit = np.array([special.ndtri(1 - design.alpha / sided)])
        else:
            crit = wang_tsiatis_bounds(design.alpha, rates, delta, sided, full_abs)[:m]
    else:
        cum_alpha = spending_function(design.type_of_design, design.alpha, np.minimum(t, 1.0),
                                      alternative=design.alternative, gamma=design.gamma,
                                      rho=design.rho)
        if final:
            cum_alpha[-1] = design.alpha
        crit = alpha_spending_bounds(cum_alpha, t, sided, absorbing)
        if isinstance(design.futility, str) and sided == 2:
            cum_beta = spending_function(design.futility, design.beta, np.minimum(t, 1.0),
                                         gamma=design.futility_gamma, rho=design.futility_rho)
            cum_beta, skip = _monitor_skip(design, cum_beta, m)
            assert design.beta_spending_shift is not None  # set with futility spending
            drift = math.sqrt(design.beta_spending_shift)
            _, crit2, fut = spend_futility_two(crit, cum_alpha, cum_beta, t, drift, binding,
                                                skip, final)
            if binding:
                crit = crit2
            if final:
                fut[-1] = math.nan
            fut = np.where(fut <= 1e-5, math.nan, fut)
        elif isinstance(design.futility, str):
            cum_beta = spending_function(design.futility, design.beta, np.minimum(t, 1.0),
                                         gamma=design.futility_gamma, rho=design.futility_rho)
            if binding:
                _, crit, fut = spend_futility(crit, cum_alpha, cum_beta, t, design.drift,
                                               True, final)
            else:
                _, _, fut = spend_futility(crit, cum_alpha, cum_beta, t, design.drift, False,
                                            final)
            if final:
                fut[-1] = math.nan
    if sided == 2 and design.futility_bounds is not None:
        up, low, _ = crossing_two(crit, fut[:-1] if binding else np.full(m - 1, math.nan), t,
                                   0.0)
        alpha_spent = np.cumsum(up + low)
        return np.asarray(crit, dtype=float), np.asarray(fut, dtype=float), alpha_spent
    lower_h0 = None
    if binding:
        lower_h0 = np.where(np.isnan(fut), -math.inf, fut)[:-1]
    alpha_spent = np.cumsum(type_one_error(crit, t, sided, lower_h0))
    return np.asarray(crit, dtype=float), np.asarray(fut, dtype=float), alpha_spent


def _monitor_skip(design: GroupSequentialDesign, cum_beta, m: int):
    """Two-sided beta spending at the looks reached.

    No futility stop where the design has none (NA bound), and rpact's linear adjustment of the beta
    spent when the first looks have none.
    """
    planned = np.asarray(design.futility_bounds, dtype=float)
    skip = np.zeros(m, dtype=bool)
    n = min(m, design.kmax - 1)
    skip[:n] = np.isnan(planned[:n])
    b = np.array(cum_beta, dtype=float)
    lead = int(np.argmin(np.isnan(planned))) if not np.all(np.isnan(planned)) else 0
    k_min = min(lead, m)
    if 0 < k_min < m:
        total = design.beta
        ref = b[k_min - 1]
        b[:k_min] = 0.0
        b[k_min - 1:] = (np.asarray(cum_beta)[k_min - 1:] - ref) / (total - ref) * total
    return b, skip


def _orientation(design: GroupSequentialDesign) -> float:
    """-1 for a design with ``alternative="less"`` (the sign of z is flipped), else 1."""
    return -1.0 if design.alternative == "less" else 1.0


def _monitor(design, z, t, final, estimates=None, ses=None, exponentiate=False, effect="effect",
             events=None) -> SequentialMonitoring:
    """Decisions for the statistics ``z`` as given; they are oriented here."""
    sign = _orientation(design)
    given = z
    z = sign * np.asarray(z, dtype=float)
    m = len(t)
    if final is None:
        final = m == design.kmax or t[-1] >= 1.0 - 1e-12
    final = check_bool("final", final)
    if m > design.kmax:
        raise InvalidParameterError(
            f"`z` has {m} looks but the design plans {design.kmax} (`kmax`)."
        )
    if m == design.kmax and not final:
        raise InvalidParameterError(
            f"look {m} is the design's last (kmax={design.kmax}); it must be the final analysis "
            "(`final`=True)."
        )
    crit, fut, alpha_spent = _monitor_boundaries(design, t, final)
    decisions = []
    for k in range(m):
        if z[k] >= crit[k] or (design.sided == 2 and z[k] <= -crit[k]):
            d = "reject H0"
        elif not np.isnan(fut[k]) and (abs(z[k]) < fut[k] if design.sided == 2
                                       else z[k] <= fut[k]):
            d = "stop for futility" if design.binding else "futility bound crossed (non-binding)"
        elif k == m - 1 and final:
            d = "do not reject H0"
        else:
            d = "continue"
        if d in ("reject H0", "stop for futility") and k < m - 1:
            raise InvalidParameterError(
                f"`z`: the trial stops at look {k + 1} (z = {given[k]:.4g}, decision '{d}'); later "
                "looks cannot be monitored."
            )
        decisions.append(d)
    lo = hi = est = None
    if estimates is not None:
        est_arr = np.asarray(estimates, dtype=float)
        se_arr = np.asarray(ses, dtype=float)
        lo_arr = est_arr - crit * se_arr
        hi_arr = est_arr + crit * se_arr
        if exponentiate:
            est_arr, lo_arr, hi_arr = np.exp(est_arr), np.exp(lo_arr), np.exp(hi_arr)
        est, lo, hi = as_tuple(est_arr), as_tuple(lo_arr), as_tuple(hi_arr)
    return SequentialMonitoring(
        design=design, information_rates=as_tuple(t), z=as_tuple(z),
        critical_values=as_tuple(crit), futility_bounds=as_tuple(fut),
        alpha_spent=as_tuple(alpha_spent), decisions=tuple(decisions),
        final=final, estimates=est, rci_lower=lo, rci_upper=hi, effect=effect,
        events=as_tuple(events) if events is not None else None,
    )


def monitor_sequential(design: GroupSequentialDesign, z, information_rates, *, final=None,
                       estimates=None, standard_errors=None, exponentiate: bool = False,
                       effect: str = "effect") -> SequentialMonitoring:
    """Monitor a group-sequential trial: boundaries at the information reached and decisions.

    Parameters
    ----------
    design : GroupSequentialDesign
        The planned design; its ``alternative`` says which side rejects (for "less" the sign of
        ``z`` is flipped before the comparison with the bounds).
    z : sequence of float
        Test statistic of experimental minus control at each look performed so far (large
        values favour the alternative of a "greater" design, small values that of a "less"
        design; either sign for a two-sided design).
    information_rates : sequence of float > 0
        Information reached at each look as a fraction of the planned maximum (strictly
        increasing; may exceed 1 at an over-running final analysis).
    final : bool, optional
        Whether the last look is the final analysis (default: when it is look ``kmax`` or its
        information rate reaches 1); the final analysis spends all remaining alpha.
    estimates, standard_errors : sequence of float, optional
        Effect estimate and its standard error at each look, for repeated confidence intervals
        ``estimate -+ c_k * standard_error``.
    exponentiate : bool, default False
        Report estimates and intervals as ``exp`` of them (log hazard ratio -> hazard ratio).
    effect : str, default "effect"
        Name of the effect measure (display only).

    Returns
    -------
    SequentialMonitoring
        ``.summary`` has one row per look; ``.decisions``, ``.stopped``, ``.stop_look``.

    Notes
    -----
    Alpha-spending designs spend ``alpha(t)`` at the information actually reached (Lan & DeMets
    1983) and all remaining alpha at the final analysis; beta-spending futility bounds are
    recomputed the same way under the design's planned drift. Classical (OF, P, WT) designs are
    recomputed with the information rates reached followed by the remaining planned ones, which
    also moves bounds already used; alpha-spending designs avoid that. Repeated confidence
    intervals use the recomputed critical values, so a one-sided design at level alpha gives
    ``1 - 2 alpha`` intervals (Jennison & Turnbull 2000, ch. 9).

    Examples
    --------
    >>> from workbench.design import group_sequential_design
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF")
    >>> mon = monitor_sequential(d, z=[1.1, 2.8], information_rates=[0.35, 0.62])
    >>> mon.decisions
    ('continue', 'reject H0')
    >>> [round(c, 3) for c in mon.critical_values]
    [3.613, 2.622]
    """
    design = check_design(design)
    z = check_vector("z", z)
    t = np.asarray(check_increasing(information_rates, "information_rates"))
    if t.size != z.size:
        raise InvalidParameterError(
            f"`information_rates` has {t.size} values but `z` has {z.size}; give one per look."
        )
    if (estimates is None) != (standard_errors is None):
        raise InvalidParameterError("give both `estimates` and `standard_errors`, or neither.")
    ses = None
    if estimates is not None:
        estimates = check_vector("estimates", estimates, z.size)
        ses = check_vector("standard_errors", standard_errors, z.size)
        if np.any(ses <= 0):
            raise InvalidParameterError(f"`standard_errors` must be > 0; got {ses.tolist()!r}.")
    return _monitor(design, z, t, final, estimates, ses, check_bool("exponentiate", exponentiate),
                    str(effect))


def monitor_logrank(design: GroupSequentialDesign, z=None, events=None, *, max_events: float,
                    results=None, experimental=None, allocation_ratio: float = 1.0,
                    final=None) -> SequentialMonitoring:
    """Monitor a time-to-event trial from log-rank statistics at event-driven looks.

    Parameters
    ----------
    design : GroupSequentialDesign
        Its ``alternative`` is the side of the log hazard ratio (arm 1 over arm 2) under the
        alternative: "less" (a hazard ratio below 1, the usual; the sign of ``z`` is flipped),
        "greater" or "two-sided".
    z : sequence of float, optional
        Signed log-rank statistic ``(O1 - E1) / sqrt(V)`` of arm 1 (experimental) at each look:
        negative when arm 1 has fewer events than expected.
    events : sequence of float, optional
        Total events at each look (strictly increasing).
    max_events : float > 0
        Planned events at the final analysis; information rates are ``events / max_events``.
    results : sequence of LogRankResult, optional
        Two-group :func:`workbench.logrank_test` results instead of ``z`` and ``events``
        (``experimental`` names arm 1).
    experimental : str, optional
        Group label of arm 1 in ``results``.
    allocation_ratio : float > 0, default 1
        Planned ``n1 / n2``, for the hazard-ratio estimate.
    final : bool, optional
        As in :func:`monitor_sequential`.

    Returns
    -------
    SequentialMonitoring
        With ``estimates`` and repeated confidence intervals on the hazard-ratio scale:
        ``exp(log HR -+ c_k (1 + r) / sqrt(r D_k))`` with ``log HR = z (1 + r) / sqrt(r D_k)``
        (the approximation behind rpact's effect-scale bounds).

    Examples
    --------
    >>> from workbench.design import group_sequential_design
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    >>> mon = monitor_logrank(d, z=[-1.2, -2.9], events=[22, 41], max_events=65)
    >>> mon.decisions
    ('continue', 'reject H0')
    >>> round(mon.estimates[1], 3), round(mon.rci_upper[1], 3)
    (0.404, 0.909)
    """
    design = check_design(design)
    max_events = check_positive("max_events", max_events)
    r = check_positive("allocation_ratio", allocation_ratio)
    if results is not None:
        if z is not None or events is not None:
            raise InvalidParameterError("give `results` or `z` and `events`, not both.")
        z, events = _from_logrank_results(results, experimental)
    if z is None or events is None:
        raise InvalidParameterError("give `z` and `events` (or `results`).")
    z = check_vector("z", z)
    events = check_vector("events", events, z.size)
    if np.any(events <= 0) or np.any(events != np.round(events)):
        raise InvalidParameterError(
            f"`events` must be whole numbers > 0 (events observed by each look); got "
            f"{events.tolist()!r}.")
    check_increasing(events, "events")
    t = events / max_events
    se = (1 + r) / np.sqrt(r * events)
    log_hr = z * se
    return _monitor(design, z, t, final, log_hr, se, True, "hazard_ratio", events)


def _from_logrank_results(results, experimental):
    if isinstance(results, str) or not isinstance(results, Sequence):
        raise InvalidParameterError("`results` must be a sequence of log-rank results.")
    zs, ds = [], []
    for i, res in enumerate(results, start=1):
        groups = list(getattr(res, "groups", ()))
        if len(groups) != 2 or not hasattr(res, "observed"):
            raise InvalidParameterError(
                f"`results` item {i} must be a two-group log-rank result (workbench.logrank_test)."
            )
        if experimental is None or str(experimental) not in [str(g) for g in groups]:
            raise InvalidParameterError(
                f"`experimental` must name one of the groups {groups}; got {experimental!r}."
            )
        j = [str(g) for g in groups].index(str(experimental))
        o = float(np.asarray(res.observed)[j])
        e = float(np.asarray(res.expected)[j])
        v = float(np.asarray(res.variance)[j, j])
        zs.append((o - e) / math.sqrt(v))
        ds.append(float(np.sum(res.observed)))
    return zs, ds


# ============================================================================================
# event-driven looks at patient-level data
# ============================================================================================
def data_at_events(data: pd.DataFrame, events, *, entry_time: str = "entry_time",
                   time: str = "time", event: str = "event") -> list[tuple[float, pd.DataFrame]]:
    """The data as they would be seen at each event-driven look.

    Look ``k`` happens at the calendar time of the ``events[k]``-th event (``entry + time``);
    patients who entered by then are kept, with follow-up cut at that time.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per patient with the calendar entry time, the time from entry to event or
        censoring, and an event indicator (as made by :func:`workbench.simulate`).
    events : sequence of int
        Cumulative number of events at each look (strictly increasing).
    entry_time, time, event : str
        Column names.

    Returns
    -------
    list of (float, pandas.DataFrame)
        Calendar time of each look and the data seen then (same columns; ``time`` and ``event``
        cut; patients not yet enrolled dropped). The input is not modified.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"entry_time": [0, 1, 2, 3], "time": [5, 1, 4, 2],
    ...                    "event": [1, 1, 0, 1]})
    >>> [(t, int(d["event"].sum()), len(d)) for t, d in data_at_events(df, [1, 3])]
    [(2.0, 1, 3), (5.0, 3, 4)]
    """
    check_dataframe(data, "data")
    check_columns(data, entry_time, time, event)
    entry = check_numeric_column(data, entry_time)
    follow = check_numeric_column(data, time, nonnegative=True)
    ev = check_binary_column(data, event).astype(bool)
    targets = check_vector("events", events)
    if np.any(targets < 1) or np.any(targets != np.round(targets)):
        raise InvalidParameterError(f"`events` must be whole numbers >= 1; got {list(events)!r}.")
    check_increasing(targets, "events")
    exits = np.sort(entry[ev] + follow[ev])
    if targets[-1] > exits.size:
        raise DataValidationError(
            f"`events`: look {targets.size} needs {int(targets[-1])} events but the data have "
            f"only {exits.size}."
        )
    out = []
    exit_all = entry + follow
    for d in targets.astype(int):
        cut = float(exits[d - 1])
        seen = entry <= cut
        part = data.loc[seen].copy()
        avail = cut - entry[seen]
        part[time] = np.minimum(follow[seen], avail)
        # compare calendar times, so that the event defining the look is counted
        part[event] = (ev[seen] & (exit_all[seen] <= cut)).astype(int)
        out.append((cut, part))
    return out
