"""Power of a group-sequential time-to-event trial with a given number of events.

As rpact getPowerSurvival with ``maxNumberOfEvents``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..._validation import check_positive
from ...design._boundaries import as_tuple, crossing, crossing_two, lower_bounds
from ...design.sequential import GroupSequentialDesign, check_design
from ...exceptions import StatisticalWarning
from ...results import Result
from .sample_size import hazard_ratio_bounds

__all__ = ["SequentialPower", "power_survival_sequential"]


@dataclass(frozen=True)
class SequentialPower(Result):
    """Power and expected size of a group-sequential trial at a given maximum information.

    Attributes
    ----------
    design : GroupSequentialDesign
    drift : float
        ``E[Z]`` at the final look under the assumed effect, on the statistic oriented towards
        the alternative.
    information_per_look : tuple of float
        Cumulative events (or subjects) at each look.
    reject_per_look, lower_per_look : tuple of float
        Per-look probabilities of crossing the efficacy bound, and of stopping below the lower
        bound (futility; two-sided designs: rejection in the other direction, plus stopping for
        futility with ``|Z| < u_k`` when the design has futility bounds).
    power : float
        Probability of rejecting H0 in the direction of the alternative.
    expected_information : float
        Expected events (or subjects) at stopping.
    critical_values_effect_scale : tuple of float
        The efficacy bounds as hazard ratios at the events of each look (rpact's
        ``criticalValuesEffectScale``; see :func:`hazard_ratio_bounds`).
    """

    design: GroupSequentialDesign
    drift: float
    hazard_ratio: float
    information_per_look: tuple[float, ...]
    reject_per_look: tuple[float, ...]
    lower_per_look: tuple[float, ...]
    power: float
    early_stop: float
    expected_information: float
    critical_values_effect_scale: tuple[float, ...]

    _title = "Group-sequential power"

    def _display_kinds(self) -> dict[str, str] | None:
        # events given as an expected (unrounded) number are shown as given, not rounded up
        whole = all(float(e).is_integer() for e in self.information_per_look)
        return None if whole else {"events": "number"}

    @property
    def summary(self) -> pd.DataFrame:
        """One row per look.

        Columns ``look, information_rate, events, critical_value, hazard_ratio_bound,
        reject_probability, lower_probability, cumulative_power``.
        """
        d = self.design
        return pd.DataFrame({
            "look": np.arange(1, d.kmax + 1), "information_rate": d.information_rates,
            "events": self.information_per_look, "critical_value": d.critical_values,
            "hazard_ratio_bound": self.critical_values_effect_scale,
            "reject_probability": self.reject_per_look, "lower_probability": self.lower_per_look,
            "cumulative_power": np.cumsum(self.reject_per_look),
        })


def power_survival_sequential(design: GroupSequentialDesign, *, max_events: float,
                              hazard_ratio: float, allocation_ratio: float = 1.0,
                              theta_h0: float = 1.0) -> SequentialPower:
    """Power of a group-sequential log-rank test with looks at ``max_events * information_rates``.

    Parameters
    ----------
    design : GroupSequentialDesign
        Its ``alternative`` is the side of the test on the hazard ratio: "less" (below
        ``theta_h0``, the usual), "greater", or "two-sided" (power in the direction of
        ``hazard_ratio``, rpact's ``twoSidedPower = FALSE``).
    max_events : float > 0
        Events at the final analysis: the maximum information of the design, which may be the
        unrounded number of a sample size (as rpact's ``maxNumberOfEvents``) to reproduce it; the
        command line takes whole events only.
    hazard_ratio : float > 0
        Assumed hazard ratio (arm 1 over arm 2).
    allocation_ratio : float > 0, default 1
    theta_h0 : float > 0, default 1
        Hazard ratio under H0 (rpact's ``thetaH0``).

    Returns
    -------
    SequentialPower

    Warns
    -----
    StatisticalWarning
        When ``hazard_ratio`` lies on the other side of ``theta_h0`` than a one-sided design's
        alternative (the power is then that of a test in the other direction: close to 0).

    Notes
    -----
    Schoenfeld's approximation: the log-rank statistic at ``D`` events is normal with mean
    ``log(HR / theta_h0) sqrt(r D) / (1 + r)``, its sign flipped for the alternative "less".
    Matches rpact ``getPowerSurvival`` with ``maxNumberOfEvents``
    (``tests/reference/group_sequential.json``).

    Examples
    --------
    >>> from workbench.design import group_sequential_design
    >>> d = group_sequential_design(kmax=3, type_of_design="asOF", alternative="less")
    >>> p = power_survival_sequential(d, max_events=65, hazard_ratio=0.4957)
    >>> round(p.power, 4), round(p.expected_information, 2)
    (0.8026, 55.48)
    """
    design = check_design(design)
    max_events = check_positive("max_events", max_events)
    hr = check_positive("hazard_ratio", hazard_ratio)
    r = check_positive("allocation_ratio", allocation_ratio)
    theta_h0 = check_positive("theta_h0", theta_h0)
    side = design.alternative
    if side == "two-sided":
        side = "less" if hr < theta_h0 else "greater"
    elif hr != theta_h0 and (hr < theta_h0) != (side == "less"):
        warnings.warn(
            f"the hazard ratio {hr:g} lies on the other side of `theta_h0` {theta_h0:g} than the "
            f"design's alternative {side!r}: this is the power of a one-sided test in the other "
            "direction.", StatisticalWarning, stacklevel=2)
    sign = 1.0 if side == "greater" else -1.0
    drift = sign * math.log(hr / theta_h0) * math.sqrt(r * max_events) / (1 + r)
    t = np.asarray(design.information_rates)
    crit = np.asarray(design.critical_values)
    if design.sided == 2 and design.futility_bounds is not None:
        up, lo, fu = crossing_two(crit, np.asarray(design.futility_bounds), t, drift)
        lo = lo + np.append(fu, 0.0)
    else:
        up, lo = crossing(crit, lower_bounds(crit, design.futility_bounds, design.sided), t,
                          drift)
    stop = (up + lo)[:-1]
    events = max_events * t
    expected = max_events * (1.0 - float(np.sum(stop * (1.0 - t[:-1]))))
    return SequentialPower(
        design=design, drift=drift, hazard_ratio=hr, information_per_look=as_tuple(events),
        reject_per_look=as_tuple(up), lower_per_look=as_tuple(lo), power=float(up.sum()),
        early_stop=float(stop.sum()), expected_information=expected,
        critical_values_effect_scale=as_tuple(hazard_ratio_bounds(
            crit, events, alternative=side, allocation_ratio=r, theta_h0=theta_h0)),
    )
