"""Group-sequential sample sizes and the hazard-ratio scale of the boundaries.

Time to event (rpact getSampleSizeSurvival) and two proportions (rpact getSampleSizeRates).

The test's side is the design's ``alternative`` (see :mod:`workbench.design.sequential`): a
one-sided design must point the way of the effect (a hazard ratio below ``theta_h0``, or
``p1 - p2`` below ``margin``, is "less"); a two-sided design takes the direction of the effect,
as rpact's ``directionUpper``. Checked against rpact 3.3.4 in
``tests/reference/group_sequential.json``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from ..._validation import check_choice, check_positive, check_probability, check_real
from ...design._boundaries import as_tuple, brentq, to_last_look
from ...design.sequential import GroupSequentialDesign, check_design
from ...exceptions import InvalidParameterError
from ...results import Result
from ..analytic import (
    DEFAULT_ACCRUAL_TIME,
    DEFAULT_DROPOUT_TIME,
    event_probability,
    events_freedman,
    events_schoenfeld,
    rates_standard_deviations,
)

__all__ = [
    "DEFAULT_ACCRUAL_TIME",
    "DEFAULT_DROPOUT_TIME",
    "SequentialSampleSizeSurvival",
    "sample_size_survival_sequential",
    "SequentialSampleSizeRates",
    "sample_size_rates_sequential",
    "hazard_ratio_bounds",
]

def _direction_check(design: GroupSequentialDesign, upper: bool, what: str) -> None:
    """A one-sided design must point the way of the effect (``upper``: "greater")."""
    if design.alternative == "two-sided":
        return
    side = "greater" if upper else "less"
    if design.alternative != side:
        raise InvalidParameterError(
            f"{what} is on the side {side!r}, but the design's `alternative` is "
            f"{design.alternative!r}: no sample size reaches the power of a one-sided test in "
            f"the other direction. Make the design with alternative={side!r} (or 'two-sided')."
        )


def hazard_ratio_bounds(z, events, *, alternative: str, allocation_ratio: float = 1.0,
                        theta_h0: float = 1.0) -> np.ndarray:
    """Hazard ratios at which a log-rank test reaches the z bounds ``z`` at ``events`` events.

    Parameters
    ----------
    z : sequence of float
        Bounds on the z scale oriented towards the alternative (a design's ``critical_values``
        or ``futility_bounds``).
    events : sequence of float > 0
        Cumulative events at each look (as many as ``z``).
    alternative : {"less", "greater"}
        Direction of the alternative on the hazard ratio: "less" (below ``theta_h0``, the usual)
        gives bounds below ``theta_h0``.
    allocation_ratio : float > 0, default 1
        Planned ``n1 / n2``.
    theta_h0 : float > 0, default 1
        Hazard ratio under H0.

    Returns
    -------
    numpy.ndarray
        ``theta_h0 * exp(-+ z_k (1 + r) / sqrt(r D_k))`` (minus for "less"): Schoenfeld's
        approximation, rpact's ``criticalValuesEffectScale``.

    Examples
    --------
    >>> hazard_ratio_bounds([2.0], [64], alternative="less").round(6)
    array([0.606531])
    """
    alternative = check_choice("alternative", alternative, ("less", "greater"))
    r = check_positive("allocation_ratio", allocation_ratio)
    theta_h0 = check_positive("theta_h0", theta_h0)
    z = np.asarray(z, dtype=float)
    events = np.asarray(events, dtype=float)
    if z.shape != events.shape:
        raise InvalidParameterError(
            f"`events` has {events.size} values but `z` has {z.size}; give one per look.")
    if np.any(events <= 0):
        raise InvalidParameterError(f"`events` must be > 0; got {events.tolist()!r}.")
    sign = 1.0 if alternative == "greater" else -1.0
    scale = (1 + r) / np.sqrt(r * events)
    return theta_h0 * np.exp(sign * z * scale)


# ============================================================================================
# time to event (Schoenfeld or Freedman events, uniform accrual, exponential drop-out)
# ============================================================================================
def _hazard(name_rate, rate, name_pi, pi, name_median, median, event_time) -> float | None:
    given = [(n, v) for n, v in ((name_rate, rate), (name_pi, pi), (name_median, median))
             if v is not None]
    if len(given) > 1:
        names = " and ".join(f"`{n}`" for n, _ in given)
        raise InvalidParameterError(f"give only one of {names}.")
    if not given:
        return None
    name, value = given[0]
    if name == name_rate:
        return check_positive(name, value)
    if name == name_pi:
        p = check_probability(name, value)
        return -math.log1p(-p) / event_time
    return math.log(2.0) / check_positive(name, value)


def _event_probability(time: float, accrual_time: float, hazards, dropout,
                       allocation_ratio: float) -> float:
    """Expected fraction of all subjects with an event by calendar ``time``.

    Uniform accrual over ``[0, accrual_time]``, exponential event hazards ``hazards`` (arm 1,
    arm 2) and exponential drop-out hazards ``dropout``; arms weighted ``r / (1 + r)`` and
    ``1 / (1 + r)`` with ``r = allocation_ratio``. After the end of accrual this is
    :func:`workbench.power.analytic.event_probability`; before it, only the subjects accrued so
    far contribute: ``lambda / h * (t - (1 - exp(-h t)) / h) / A``, ``h = lambda + drop-out``.
    """
    weights = (allocation_ratio / (1.0 + allocation_ratio), 1.0 / (1.0 + allocation_ratio))
    a = accrual_time
    out = 0.0
    for w, lam, phi in zip(weights, hazards, dropout, strict=True):
        if time > a:
            p = event_probability(lam, accrual_time=a, follow_up=time - a, dropout_rate=phi)
        else:
            h = lam + phi
            p = (lam / h) * (time + math.expm1(-h * time) / h) / a
        out += w * p
    return out


def _time_for_events(fraction: float, accrual_time, hazards, dropout, r, upper: float) -> float:
    """Calendar time at which the expected event fraction reaches ``fraction``."""
    def gap(x):
        return _event_probability(x, accrual_time, hazards, dropout, r) - fraction

    hi = upper
    while gap(hi) < 0:
        hi *= 2.0
        if hi > 1e9:
            raise InvalidParameterError(
                "the expected number of events never reaches the number needed: too few "
                "subjects (or too much drop-out) for the design."
            )
    return brentq(gap, 0.0, hi)


class _SubjectsCeiling:
    """``max_subjects_ceiling`` of the group-sequential sample sizes."""

    max_subjects1: float
    max_subjects2: float

    @property
    def max_subjects_ceiling(self) -> int:
        """Subjects rounded up in each arm, then added."""
        return int(math.ceil(self.max_subjects1 - 1e-9) + math.ceil(self.max_subjects2 - 1e-9))


def _sample_size_fields(design: GroupSequentialDesign, n_max: float, r: float, es, es_other,
                        fut_es) -> dict:
    """The fields every group-sequential sample size has.

    The maximum subjects split by the allocation ratio ``r``, per-look stopping probabilities, and
    the bounds on the effect scale (``es``, ``es_other`` for the other tail, ``fut_es``; None where
    there are none) and the p-value scale.
    """
    reject = np.asarray(design.rejection_probabilities)
    futil = np.asarray(design.futility_probabilities)
    return dict(
        inflation_factor=design.inflation_factor, max_subjects=n_max,
        max_subjects1=n_max * r / (1 + r), max_subjects2=n_max / (1 + r),
        reject_per_look=as_tuple(reject), futility_per_look=as_tuple(futil),
        early_stop=float(reject[:-1].sum() + futil.sum()),
        critical_values_effect_scale=as_tuple(es),
        critical_values_effect_scale_other=as_tuple(es_other) if es_other is not None else None,
        futility_bounds_effect_scale=as_tuple(fut_es) if fut_es is not None else None,
        critical_values_p_scale=design.stage_levels,
    )


@dataclass(frozen=True)
class SequentialSampleSizeSurvival(_SubjectsCeiling, Result):
    """Group-sequential sample size for a time-to-event end point (rpact getSampleSizeSurvival).

    Sequences run over the looks; ``events_per_look`` is cumulative. Event counts and subject
    numbers are unrounded (see ``events_per_look_ceiling`` and ``max_subjects_ceiling``).
    Effect-scale bounds are hazard ratios (arm 1 over arm 2). ``follow_up`` is the follow-up
    after the end of accrual; ``dropout_rate1`` and ``dropout_rate2`` are the probabilities of
    dropping out by ``dropout_time`` in each arm (rpact's ``dropoutRate1``/``dropoutRate2``).
    """

    design: GroupSequentialDesign
    method: str
    hazard_ratio: float
    theta_h0: float
    lambda1: float
    lambda2: float
    allocation_ratio: float
    direction_upper: bool
    accrual_time: float
    follow_up: float
    dropout_rate1: float
    dropout_rate2: float
    dropout_time: float
    events_fixed: float
    inflation_factor: float
    max_events: float
    events_per_look: tuple[float, ...]
    max_subjects: float
    max_subjects1: float
    max_subjects2: float
    accrual_intensity: float
    analysis_times: tuple[float, ...]
    subjects_per_look: tuple[float, ...]
    reject_per_look: tuple[float, ...]
    futility_per_look: tuple[float, ...]
    early_stop: float
    expected_events_h1: float
    expected_events_h01: float
    expected_events_h0: float
    expected_subjects_h1: float
    study_duration_h1: float
    max_study_duration: float
    critical_values_effect_scale: tuple[float, ...]
    critical_values_effect_scale_other: tuple[float, ...] | None
    futility_bounds_effect_scale: tuple[float, ...] | None
    critical_values_p_scale: tuple[float, ...]

    _title = "Group-sequential sample size (time to event)"

    @property
    def events_per_look_ceiling(self) -> tuple[int, ...]:
        """Events per look rounded up (cumulative)."""
        return tuple(int(math.ceil(e - 1e-9)) for e in self.events_per_look)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns: ``look, information_rate, events, analysis_time, subjects, critical_value,
        hazard_ratio_bound, p_value_bound, futility_bound, futility_hazard_ratio_bound,
        reject_probability, futility_probability``.
        """
        d = self.design
        k = d.kmax
        fut = to_last_look(d.futility_bounds, k)
        fut_es = to_last_look(self.futility_bounds_effect_scale, k)
        return pd.DataFrame({
            "look": np.arange(1, k + 1), "information_rate": d.information_rates,
            "events": self.events_per_look, "analysis_time": self.analysis_times,
            "subjects": self.subjects_per_look, "critical_value": d.critical_values,
            "hazard_ratio_bound": self.critical_values_effect_scale,
            "p_value_bound": self.critical_values_p_scale, "futility_bound": fut,
            "futility_hazard_ratio_bound": fut_es, "reject_probability": self.reject_per_look,
            "futility_probability": to_last_look(self.futility_per_look, k),
        })


def _expected_under_h1(design: GroupSequentialDesign, values) -> float:
    """rpact's expected value under H1: per-look values weighted by the stopping probabilities.

    The stopping probabilities are rejection + futility; the last look takes the rest.
    """
    stop = np.asarray(design.rejection_probabilities, dtype=float).copy()
    stop[:-1] += np.asarray(design.futility_probabilities)
    stop[-1] = 1.0 - stop[:-1].sum()
    return float(np.dot(stop, values))


def sample_size_survival_sequential(design: GroupSequentialDesign, *, p1=None, p2=None,
                                    event_time: float = 12.0, lambda1=None, lambda2=None,
                                    median1=None, median2=None, hazard_ratio=None,
                                    accrual_time: float = DEFAULT_ACCRUAL_TIME, follow_up=None,
                                    n_total=None, dropout_rate1: float = 0.0,
                                    dropout_rate2: float = 0.0,
                                    dropout_time: float = DEFAULT_DROPOUT_TIME,
                                    allocation_ratio: float = 1.0, theta_h0: float = 1.0,
                                    method: str = "schoenfeld") -> SequentialSampleSizeSurvival:
    """Events, subjects and look times of a group-sequential time-to-event trial.

    Parameters
    ----------
    design : GroupSequentialDesign
        Its ``alternative`` must be the side of the effect ("less" for a hazard ratio below
        ``theta_h0``, "greater" above it) or "two-sided".
    p1, p2 : float in (0, 1), optional
        Probability of an event by ``event_time`` in arm 1 (experimental) and arm 2 (control);
        exponential event times. Alternatives: ``lambda1``/``lambda2`` (hazards),
        ``median1``/``median2``, or ``hazard_ratio`` with the control arm's hazard.
    event_time : float > 0, default 12
        Time at which ``p1``/``p2`` are given.
    accrual_time : float > 0, default 12 (:data:`DEFAULT_ACCRUAL_TIME`, as rpact)
        Uniform accrual over ``[0, accrual_time]``.
    follow_up : float >= 0, optional
        Follow-up after the end of accrual, as rpact's ``followUpTime`` (the final analysis is
        at ``accrual_time + follow_up``); the number of subjects is solved. Give this or
        ``n_total`` (the follow-up is then solved).
    n_total : float > 0, optional
        Total number of subjects (rpact's ``maxNumberOfSubjects``).
    dropout_rate1, dropout_rate2 : float in [0, 1), default 0
        Probability of dropping out by ``dropout_time`` in arm 1 and arm 2 (exponential; rpact's
        ``dropoutRate1``/``dropoutRate2``). Not the hazard ``dropout_rate`` of the trial designs.
    dropout_time : float > 0, default 12 (:data:`DEFAULT_DROPOUT_TIME`, as rpact)
    allocation_ratio : float > 0, default 1
        ``n1 / n2``.
    theta_h0 : float > 0, default 1
        Hazard ratio under H0 (not 1 for non-inferiority; Schoenfeld only), rpact's
        ``thetaH0``.
    method : {"schoenfeld", "freedman"}, default "schoenfeld"
        Fixed-design event count; the group-sequential maximum is it times the inflation factor.

    Returns
    -------
    SequentialSampleSizeSurvival

    Notes
    -----
    rpact ``getSampleSizeSurvival`` with a group-sequential design: ``max_events = events_fixed *
    inflation_factor``, looks at ``max_events * information_rates`` events, each at the calendar
    time when the expected number of events reaches it; expected events are the design's ASN
    ratios times ``events_fixed``; expected subjects and study duration under H1 weight the looks
    by the stopping probabilities. Hazard-ratio bounds are ``theta_h0 * exp(-+ c_k (1 + r) /
    sqrt(r D_k))``. Checked against rpact 3.3.4 (``tests/reference/group_sequential.json``).

    Examples
    --------
    >>> from workbench.design import group_sequential_design
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    >>> s = sample_size_survival_sequential(d, p1=0.27, p2=0.47, event_time=48,
    ...                                     accrual_time=24, follow_up=48)
    >>> round(s.max_events, 2), s.events_per_look_ceiling, s.max_subjects_ceiling
    (64.56, (22, 44, 65), 150)
    >>> [round(x, 2) for x in s.analysis_times]
    [28.25, 47.6, 72.0]
    """
    design = check_design(design)
    method = check_choice("method", method, ("schoenfeld", "freedman"))
    event_time = check_positive("event_time", event_time)
    accrual_time = check_positive("accrual_time", accrual_time)
    dropout_time = check_positive("dropout_time", dropout_time)
    r = check_positive("allocation_ratio", allocation_ratio)
    theta_h0 = check_positive("theta_h0", theta_h0)
    d1 = check_probability("dropout_rate1", dropout_rate1, closed=True)
    d2 = check_probability("dropout_rate2", dropout_rate2, closed=True)
    if d1 >= 1 or d2 >= 1:
        raise InvalidParameterError("`dropout_rate1` and `dropout_rate2` must be below 1.")
    lam2 = _hazard("lambda2", lambda2, "p2", p2, "median2", median2, event_time)
    lam1 = _hazard("lambda1", lambda1, "p1", p1, "median1", median1, event_time)
    if hazard_ratio is not None:
        hr_given = check_positive("hazard_ratio", hazard_ratio)
        if lam1 is not None and lam2 is not None:
            raise InvalidParameterError("give `hazard_ratio` or both arms' hazards, not all three.")
        if lam2 is None and lam1 is None:
            raise InvalidParameterError("`hazard_ratio` needs the control arm's hazard "
                                        "(`lambda2`, `p2` or `median2`).")
        if lam1 is None:
            lam1 = hr_given * lam2
        else:
            lam2 = lam1 / hr_given
    if lam1 is None or lam2 is None:
        raise InvalidParameterError(
            "give the event rates of both arms: `p1` and `p2` (with `event_time`), `lambda1` and "
            "`lambda2`, `median1` and `median2`, or `hazard_ratio` with the control arm's rate."
        )
    hr = lam1 / lam2
    if abs(math.log(hr) - math.log(theta_h0)) < 1e-12:
        raise InvalidParameterError(
            f"the hazard ratio ({hr:g}) equals `theta_h0` ({theta_h0:g}): no effect to detect."
        )
    if method == "freedman" and theta_h0 != 1.0:
        raise InvalidParameterError("`method`='freedman' needs `theta_h0` = 1.")
    if (follow_up is None) == (n_total is None):
        raise InvalidParameterError("give exactly one of `follow_up` and `n_total`.")
    direction_upper = hr > theta_h0
    _direction_check(design, direction_upper,
                     f"the hazard ratio {hr:g} (against `theta_h0` {theta_h0:g})")
    phi = (-math.log1p(-d1) / dropout_time, -math.log1p(-d2) / dropout_time)
    hazards = (lam1, lam2)
    # the fixed design in the direction of the effect (events depend on |log(HR / theta_h0)|)
    fixed = dict(alpha=design.alpha, power=1 - design.beta, allocation_ratio=r,
                 alternative="two-sided" if design.sided == 2
                 else ("greater" if direction_upper else "less"))
    if method == "schoenfeld":  # depends on the hazard ratio through log(HR / theta_h0) only
        events_fixed = events_schoenfeld(hr / theta_h0, **fixed)
    else:
        events_fixed = events_freedman(hr, **fixed)
    max_events = events_fixed * design.inflation_factor
    t = np.asarray(design.information_rates)
    events = max_events * t
    if follow_up is not None:
        follow_up = check_positive("follow_up", follow_up, allow_zero=True)
        total = accrual_time + follow_up
        n_max = max_events / _event_probability(total, accrual_time, hazards, phi, r)
    else:
        n_max = check_positive("n_total", n_total)
        if n_max <= max_events:
            raise InvalidParameterError(
                f"`n_total` ({n_max:g}) must exceed the maximum number of events "
                f"({max_events:.2f})."
            )
        total = _time_for_events(max_events / n_max, accrual_time, hazards, phi, r,
                                 2.0 * accrual_time)
        follow_up = total - accrual_time
        if follow_up < 0:
            raise InvalidParameterError(
                f"the {max_events:.1f} events are expected before the end of accrual with "
                f"{n_max:g} subjects; give fewer subjects or a shorter `accrual_time`."
            )
    times = np.array([_time_for_events(e / n_max, accrual_time, hazards, phi, r, total)
                      for e in events[:-1]] + [total])
    subjects = np.minimum(n_max, n_max * times / accrual_time)
    side = "greater" if direction_upper else "less"
    other = "less" if direction_upper else "greater"
    crit = np.asarray(design.critical_values)
    hr_scale = dict(allocation_ratio=r, theta_h0=theta_h0)
    es = hazard_ratio_bounds(crit, events, alternative=side, **hr_scale)
    es_other = (hazard_ratio_bounds(crit, events, alternative=other, **hr_scale)
                if design.sided == 2 else None)
    fut_es = None
    if design.futility_bounds:
        fut_es = hazard_ratio_bounds(design.futility_bounds, events[:-1], alternative=side,
                                     **hr_scale)
    return SequentialSampleSizeSurvival(
        design=design, method=method, hazard_ratio=hr, theta_h0=theta_h0, lambda1=lam1,
        lambda2=lam2, allocation_ratio=r, direction_upper=bool(direction_upper),
        accrual_time=accrual_time, follow_up=float(follow_up), dropout_rate1=d1,
        dropout_rate2=d2, dropout_time=dropout_time, events_fixed=events_fixed,
        max_events=max_events, events_per_look=as_tuple(events),
        accrual_intensity=n_max / accrual_time, analysis_times=as_tuple(times),
        subjects_per_look=as_tuple(subjects),
        expected_events_h1=design.asn_h1 * events_fixed,
        expected_events_h01=design.asn_h01 * events_fixed,
        expected_events_h0=design.asn_h0 * events_fixed,
        expected_subjects_h1=_expected_under_h1(design, subjects),
        study_duration_h1=_expected_under_h1(design, times), max_study_duration=float(total),
        **_sample_size_fields(design, n_max, r, es, es_other, fut_es),
    )


# ============================================================================================
# sample size: two proportions (normal approximation, Farrington-Manning under H0)
# ============================================================================================
@dataclass(frozen=True)
class SequentialSampleSizeRates(_SubjectsCeiling, Result):
    """Group-sequential sample size for two proportions (rpact getSampleSizeRates).

    Subject numbers are cumulative over the looks and unrounded (see the ``*_ceiling``
    properties); effect-scale bounds are risk differences ``p1 - p2``. ``margin`` is the risk
    difference ``p1 - p2`` under H0 (see :func:`sample_size_rates_sequential`).
    """

    design: GroupSequentialDesign
    p1: float
    p2: float
    margin: float
    allocation_ratio: float
    direction_upper: bool
    n_fixed: float
    n_fixed1: float
    n_fixed2: float
    inflation_factor: float
    max_subjects: float
    max_subjects1: float
    max_subjects2: float
    subjects_per_look: tuple[float, ...]
    subjects_per_look1: tuple[float, ...]
    subjects_per_look2: tuple[float, ...]
    reject_per_look: tuple[float, ...]
    futility_per_look: tuple[float, ...]
    early_stop: float
    expected_subjects_h1: float
    expected_subjects_h01: float
    expected_subjects_h0: float
    critical_values_effect_scale: tuple[float, ...]
    critical_values_effect_scale_other: tuple[float, ...] | None
    futility_bounds_effect_scale: tuple[float, ...] | None
    critical_values_p_scale: tuple[float, ...]

    _title = "Group-sequential sample size (two proportions)"

    @property
    def subjects_per_look1_ceiling(self) -> tuple[int, ...]:
        """Arm-1 subjects per look rounded up."""
        return tuple(int(math.ceil(n - 1e-9)) for n in self.subjects_per_look1)

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns: ``look, information_rate, subjects, subjects1, subjects2, critical_value,
        risk_difference_bound, p_value_bound, futility_bound, futility_risk_difference_bound,
        reject_probability, futility_probability``.
        """
        d = self.design
        k = d.kmax
        fut = to_last_look(d.futility_bounds, k)
        fut_es = to_last_look(self.futility_bounds_effect_scale, k)
        return pd.DataFrame({
            "look": np.arange(1, k + 1), "information_rate": d.information_rates,
            "subjects": self.subjects_per_look, "subjects1": self.subjects_per_look1,
            "subjects2": self.subjects_per_look2, "critical_value": d.critical_values,
            "risk_difference_bound": self.critical_values_effect_scale,
            "p_value_bound": self.critical_values_p_scale, "futility_bound": fut,
            "futility_risk_difference_bound": fut_es, "reject_probability": self.reject_per_look,
            "futility_probability": to_last_look(self.futility_per_look, k),
        })


def _rate_bound(z: float, p2: float, margin: float, r: float, n1: float, n2: float) -> float:
    """Risk difference p1 - p2 at which the Farrington-Manning z statistic equals ``z``.

    The control rate is held at ``p2``.
    """
    def stat(x):  # n1 = r n2: the standard error under H0 is sd0 / sqrt(n2)
        sd0 = rates_standard_deviations(x, p2, r, margin)[0]
        return (x - p2 - margin) / (sd0 / math.sqrt(n2)) - z

    eps = 1e-12
    try:
        return brentq(stat, eps, 1 - eps) - p2
    except ValueError:
        return math.nan


def sample_size_rates_sequential(design: GroupSequentialDesign, *, p1: float, p2: float,
                                 allocation_ratio: float = 1.0,
                                 margin: float = 0.0) -> SequentialSampleSizeRates:
    """Subjects per look of a group-sequential comparison of two proportions.

    Parameters
    ----------
    design : GroupSequentialDesign
        Its ``alternative`` must be the side of ``p1 - p2 - margin`` ("greater" when positive,
        "less" when negative) or "two-sided".
    p1, p2 : float in (0, 1)
        Response probabilities in arm 1 (experimental) and arm 2 (control) under H1.
    allocation_ratio : float > 0, default 1
        ``n1 / n2``.
    margin : float in (-1, 1), default 0
        Risk difference ``p1 - p2`` under H0 (rpact's ``thetaH0``): a non-inferiority margin is
        negative when higher rates are better (H0: ``p1 - p2 <= margin``, alternative
        "greater") and positive when lower rates are better (H0: ``p1 - p2 >= margin``,
        alternative "less"); a margin on the far side of 0 from H0 tests superiority by a
        margin. The variance under H0 is Farrington-Manning's with a margin, pooled without.

    Returns
    -------
    SequentialSampleSizeRates

    Notes
    -----
    rpact ``getSampleSizeRates`` (``normalApproximation = TRUE``, ``riskRatio = FALSE``): fixed
    design ``n = (z_a sqrt(v0) + z_b sqrt(v1))**2 / (p1 - p2 - margin)**2`` with the
    Farrington-Manning variance under H0, maximum ``n_fixed * inflation_factor``, expected
    numbers the design's ASN ratios times ``n_fixed``; risk-difference bounds solve the
    Farrington-Manning z statistic for ``p1`` with ``p2`` held fixed. Checked against rpact
    3.3.4.

    Examples
    --------
    >>> from workbench.design import group_sequential_design
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    >>> s = sample_size_rates_sequential(d, p1=0.27, p2=0.47)
    >>> round(s.max_subjects, 2), s.subjects_per_look1_ceiling
    (182.89, (31, 61, 92))
    """
    design = check_design(design)
    p1 = check_probability("p1", p1)
    p2 = check_probability("p2", p2)
    r = check_positive("allocation_ratio", allocation_ratio)
    margin = check_real("margin", margin)
    if not -1 < margin < 1:
        raise InvalidParameterError(f"`margin` must be in (-1, 1); got {margin!r}.")
    if abs(p1 - p2 - margin) < 1e-12:
        raise InvalidParameterError(
            f"`p1` - `p2` ({p1 - p2:g}) equals `margin` ({margin:g}): no effect to detect."
        )
    if not 0 < p2 + margin < 1:
        raise InvalidParameterError(
            f"`margin` {margin:g} puts the null boundary p2 + margin = {p2 + margin:g} "
            "outside (0, 1)."
        )
    direction_upper = p1 - p2 > margin
    _direction_check(design, direction_upper,
                     f"`p1` - `p2` = {p1 - p2:g} (against `margin` {margin:g})")
    # rpact's fixed design, also for a superiority margin (p1 - p2 beyond margin on the far
    # side from 0): n2 = (z_a sd0 + z_b sd1)**2 / (p1 - p2 - margin)**2, sd0 the
    # Farrington-Manning (pooled when margin = 0) and sd1 the unrestricted standard deviation
    sd0, sd1 = rates_standard_deviations(p1, p2, r, margin)
    z_a = float(-special.ndtri(design.alpha / design.sided))
    z_b = float(-special.ndtri(design.beta))
    n2f = ((z_a * sd0 + z_b * sd1) / (p1 - p2 - margin)) ** 2
    n1f = r * n2f
    n_fixed = n1f + n2f
    n_max = n_fixed * design.inflation_factor
    t = np.asarray(design.information_rates)
    n_look = n_max * t
    n1_look = n_look * r / (1 + r)
    n2_look = n_look / (1 + r)
    sign = 1.0 if direction_upper else -1.0
    crit = np.asarray(design.critical_values)
    es = [_rate_bound(sign * c, p2, margin, r, a, b) for c, a, b in zip(crit, n1_look, n2_look,
                                                                         strict=True)]
    es_other = ([_rate_bound(-sign * c, p2, margin, r, a, b)
                 for c, a, b in zip(crit, n1_look, n2_look, strict=True)]
                if design.sided == 2 else None)
    fut_es = None
    if design.futility_bounds:
        fut_es = [_rate_bound(sign * f, p2, margin, r, a, b) for f, a, b in
                  zip(design.futility_bounds, n1_look[:-1], n2_look[:-1], strict=True)]
    return SequentialSampleSizeRates(
        design=design, p1=p1, p2=p2, margin=margin, allocation_ratio=r,
        direction_upper=bool(direction_upper), n_fixed=n_fixed, n_fixed1=n1f, n_fixed2=n2f,
        subjects_per_look=as_tuple(n_look), subjects_per_look1=as_tuple(n1_look),
        subjects_per_look2=as_tuple(n2_look),
        expected_subjects_h1=design.asn_h1 * n_fixed,
        expected_subjects_h01=design.asn_h01 * n_fixed,
        expected_subjects_h0=design.asn_h0 * n_fixed,
        **_sample_size_fields(design, n_max, r, es, es_other, fut_es),
    )
