"""Sample size and power under non-proportional hazards for fixed (single-analysis) designs.

Two closed forms, as gsDesign2 (Merck's R package) implements them, on a two-arm
:class:`~workbench.design.SurvivalDesign` with uniform accrual, exponential drop-out and an
experimental arm whose hazard ratio to control changes over time
(:class:`~workbench.design.PiecewiseHazardRatio`):

* **average hazard ratio** (``test="ahr"``): over the periods in which the hazard ratio (and a
  piecewise exponential control's hazard) is constant, the expected events ``d_ck``, ``d_ek`` by
  the analysis give ``AHR = exp(sum_k d_k log HR_k / sum_k d_k)``, the information under the
  alternative ``I1 = sum_k 1 / (1/d_ck + 1/d_ek)`` and under the null ``I0 = sum_k d_k q_c q_e``
  (``q`` the allocation proportions; gsDesign2's ``ahr()``/``pw_info()``), with
  ``theta = -log(AHR)``;
* **weighted log-rank** (``test="logrank"``, ``"fh:RHO:GAMMA"``, ``"mb:T_STAR"``): Yung and Liu
  (2019, Biometrics 76:939) asymptotics per patient: the mean
  ``delta = int w(t) p0 pi0 p1 pi1 / (p0 pi0 + p1 pi1) (h1(t) - h0(t)) dt`` and the variances
  ``sigma2 = int w^2 p0 pi0 p1 pi1 / (p0 pi0 + p1 pi1)^2 (p0 f0 + p1 f1) G a dt`` under the
  alternative and under the null (both arms with the allocation-weighted hazard), where ``pi`` is
  the probability of being at risk (event-free, not lost, under follow-up), ``f`` the event
  density, ``G`` the drop-out survival and ``a`` the probability of being followed that long;
  ``w = S^rho (1 - S)^gamma`` or ``1 / max(S(t), S(t*))`` with the pooled population survival
  ``S = p0 S0 + p1 S1``; ``theta = -delta / sigma2_1``.

With information per patient ``i1`` (alternative) and ``i0`` (null), the total size for power
``1 - beta`` at one-sided level ``alpha`` is ``N = (z_alpha / sqrt(i0) + z_beta / sqrt(i1))^2 /
theta^2`` (gsDesign2's default scale: null information at the bound, alternative information for
the drift); the power at ``N`` is ``Phi(theta sqrt(N i1) - z_alpha sqrt(i1 / i0))``; expected events
are ``N`` times the probability of an observed event by the analysis.

gsDesign2 computes the weighted log-rank integrals with R's ``integrate`` (QUADPACK's QAGS, 21-point
Gauss-Kronrod) at its tolerances: 1e-5 for the mean, ``eps^0.25`` (about 1.2e-4) for the
variances. Those tolerances shift the published sample size by about 2e-5 relative, so this module
evaluates the same integrals the same way (scipy's QUADPACK QAGS, same tolerances and interval),
which reproduces the published values to about 1e-7 (``tests/reference/nph_published.json``);
``exact=True`` integrates to 1e-12 instead. The average hazard ratio's expected events are exact
integrals (gsDesign2's closed forms).

MaxCombo, RMST and milestone tests have no closed form here: their power comes from simulation
(:func:`~workbench.power.simulation.simulate_power`, with the Monte Carlo standard error) and their
sample size from :func:`~workbench.power.simulation.simulated_sample_size`; ``method`` says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate
from scipy.special import ndtr, ndtri

from .._validation import check_alternative, check_int, check_probability
from ..design.nph import parse_nph_test
from ..design.survival import (
    PiecewiseExponential,
    PiecewiseHazardRatio,
    SurvivalDesign,
)
from ..exceptions import InvalidParameterError
from ..results import Result
from .simulation import simulate_power, simulated_sample_size

__all__ = ["NPHPower", "power_nph", "average_hazard_ratio", "weighted_logrank_information",
           "NPH_CLOSED_FORMS"]

#: tests with a closed form here (the others are simulated)
NPH_CLOSED_FORMS = ("ahr", "logrank", "fh:RHO:GAMMA", "mb:T_STAR")

_R_TOL = float(np.finfo(float).eps ** 0.25)  # R integrate's default rel.tol (and abs.tol)


@dataclass(frozen=True)
class NPHPower(Result):
    """Sample size or power of a fixed design under non-proportional hazards.

    Attributes
    ----------
    test, method : str
        The planned test and how the numbers were obtained.
    alpha : float
        One-sided level used (half the two-sided level).
    alternative : str
    power : float
        Power at ``n_total`` (the rounded size), or the simulated power.
    target_power : float or None
        The power asked for (None when ``n_total`` was given).
    n_total_exact, events_exact : float
        Unrounded total size (the solution for the target power, or the size given) and the
        expected events at it.
    n_total, events : int
        Rounded up as a design would use them (``n_total`` to whole patients that split by the
        allocation ratio, events to a whole number).
    ahr : float or None
        Average hazard ratio (``ahr``; for the weighted log-rank gsDesign2's weighted version).
    theta, info_per_patient, info0_per_patient : float or None
        Effect and information per patient (alternative, null) of the closed forms.
    mcse : float or None
        Monte Carlo standard error of a simulated power.
    n_reps : int or None
    study_duration : float
    """

    test: str
    method: str
    alpha: float
    alternative: str
    power: float
    target_power: float | None
    n_total_exact: float
    events_exact: float
    n_total: int
    events: int
    ahr: float | None
    theta: float | None
    info_per_patient: float | None
    info0_per_patient: float | None
    mcse: float | None
    n_reps: int | None
    study_duration: float
    _title = "Power under non-proportional hazards"

    @property
    def summary(self) -> pd.DataFrame:
        """One row: ``test, method, n_total_exact, n_total, events_exact, events, power, ...``."""
        return self._one_row("test", "method", "n_total_exact", "n_total", "events_exact",
                             "events", "power", "mcse", "ahr", "alpha", "alternative")


# ============================================================================================
# the design as functions of time since entry
# ============================================================================================
class _Model:
    """Per-patient survival, density, hazard, drop-out and follow-up of a two-arm design."""

    def __init__(self, design: SurvivalDesign):
        if len(design.arms) != 2:
            raise InvalidParameterError(
                f"`design` must have two arms for these calculations; got {len(design.arms)}.")
        self.design = design
        self.exp = design.arms[design.experimental_index]
        self.ctrl = design.arms[design.control_index]
        n = self.exp.n + self.ctrl.n
        self.p1, self.p0 = self.exp.n / n, self.ctrl.n / n
        self.tmax = float(design.max_follow_up)
        self.eta = design.dropout_rate
        self.accrual = design.accrual_time

    @staticmethod
    def surv(arm, t):
        return arm.survival(t)

    @staticmethod
    def dens(arm, t):
        d = arm.event_time
        return (1 - arm.cure_fraction) * d.hazard_at(t) * d.survival(t)

    def haz(self, arm, t):
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.dens(arm, t) / self.surv(arm, t)

    def followed(self, t):
        """Probability that a patient's potential follow-up reaches ``t``."""
        t = np.asarray(t, dtype=float)
        if self.design.follow_up_type == "fixed" or self.accrual == 0:
            return (t <= self.tmax).astype(float)
        return np.clip((self.tmax - t) / self.accrual, 0.0, 1.0)

    def at_risk(self, arm, t):
        return self.surv(arm, t) * np.exp(-self.eta * t) * self.followed(t)

    def event_density(self, arm, t):
        return self.dens(arm, t) * np.exp(-self.eta * t) * self.followed(t)

    def breakpoints(self) -> list[float]:
        """Where an integrand has a kink: the periods' limits and the end of accrual's shadow."""
        pts = set(self.periods())
        if self.design.follow_up_type == "calendar" and 0 < self.accrual < self.tmax:
            pts.add(self.tmax - self.accrual)
        return sorted(pts)

    def periods(self) -> list[float]:
        """Limits of the periods of constant hazard ratio (and piecewise-exponential hazard)."""
        pts = {0.0, self.tmax}
        for arm in (self.exp, self.ctrl):
            d = arm.event_time
            if isinstance(d, PiecewiseHazardRatio):
                pts.update(d.change_times)
                d = d.control
            if isinstance(d, PiecewiseExponential):
                pts.update(d.starts)
        return sorted(p for p in pts if 0 <= p <= self.tmax)

    def exact(self, f, lo: float = 0.0, hi: float | None = None) -> float:
        hi = self.tmax if hi is None else hi
        pts = [p for p in self.breakpoints() if lo <= p <= hi] + [lo, hi]
        pts = sorted(set(pts))
        return float(sum(integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
                         for a, b in zip(pts, pts[1:], strict=False) if b > a))

    def event_probability(self, arm) -> float:
        return self.exact(lambda t: self.event_density(arm, t))

    def events_per_patient(self) -> float:
        return (self.p1 * self.event_probability(self.exp)
                + self.p0 * self.event_probability(self.ctrl))


def average_hazard_ratio(design: SurvivalDesign) -> dict[str, float]:
    """Average hazard ratio and information per patient at the design's analysis.

    Returns
    -------
    dict
        ``ahr``, ``events`` (expected events per patient), ``info`` and ``info0`` (per patient),
        ``periods`` (number of periods of constant hazard ratio).

    Notes
    -----
    gsDesign2's ``ahr()`` (``pw_info()``): periods of constant hazard ratio (and of a piecewise
    exponential control's constant hazard), each with its expected events per arm.
    """
    m = _Model(design)
    pts = m.periods()
    d_c, d_e, log_hr = [], [], []
    for lo, hi in zip(pts, pts[1:], strict=False):
        mid = 0.5 * (lo + hi)
        hr = float(m.haz(m.exp, mid) / m.haz(m.ctrl, mid))
        ratio_lo = float(m.haz(m.exp, lo + 1e-9 * (hi - lo)) / m.haz(m.ctrl, lo + 1e-9 * (hi - lo)))
        if not math.isclose(hr, ratio_lo, rel_tol=1e-6) or m.exp.cure_fraction or \
                m.ctrl.cure_fraction:
            raise InvalidParameterError(
                "the average hazard ratio method needs a hazard ratio that is constant between "
                "change times (an experimental arm that is a PiecewiseHazardRatio of the control "
                "distribution, exponential or piecewise exponential, without a cured fraction).")
        d_c.append(m.p0 * m.exact(lambda t: m.event_density(m.ctrl, t), lo, hi))
        d_e.append(m.p1 * m.exact(lambda t: m.event_density(m.exp, t), lo, hi))
        log_hr.append(math.log(hr))
    dc, de, lh = np.array(d_c), np.array(d_e), np.array(log_hr)
    d = dc + de
    keep = d > 0
    with np.errstate(divide="ignore"):
        info = float(np.sum(1.0 / (1.0 / dc[keep] + 1.0 / de[keep])))
    return {"ahr": float(np.exp(np.sum(lh * d) / np.sum(d))), "events": float(d.sum()),
            "info": info, "info0": float(np.sum(d * m.p0 * m.p1)), "periods": int(keep.sum())}


def _weight(kind: tuple, m: _Model):
    def pooled(t):
        return m.p0 * m.surv(m.ctrl, t) + m.p1 * m.surv(m.exp, t)

    if kind[0] == "fh":
        rho, gamma = kind[1], kind[2]
        return lambda t: pooled(t) ** rho * (1 - pooled(t)) ** gamma
    s_star = float(pooled(kind[1]))
    return lambda t: 1.0 / np.maximum(pooled(t), s_star)


def weighted_logrank_information(design: SurvivalDesign, weight=("fh", 0, 0), *,
                                 exact: bool = False) -> dict[str, float]:
    """Yung-Liu asymptotics of a weighted log-rank test, per patient, at the design's analysis.

    Parameters
    ----------
    design : SurvivalDesign (two arms)
    weight : tuple, default ``("fh", 0, 0)``
        ``("fh", rho, gamma)`` or ``("mb", t_star)``.
    exact : bool, default False
        Integrate to 1e-12; by default as gsDesign2 does (see the module docstring).

    Returns
    -------
    dict
        ``delta``, ``sigma2`` (alternative), ``sigma2_null``, ``theta = -delta / sigma2``,
        ``ahr`` (gsDesign2's weighted average hazard ratio) and ``events`` per patient.
    """
    m = _Model(design)
    w = _weight(weight, m)
    p0, p1 = m.p0, m.p1

    def mean_integrand(t, q0=p0, q1=p1):
        a0, a1 = q0 * m.at_risk(m.ctrl, t), q1 * m.at_risk(m.exp, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            term = np.nan_to_num(a0 * a1 / (a0 + a1))
        return w(t) * term * (m.haz(m.exp, t) - m.haz(m.ctrl, t))

    def var_integrand(t, q0=p0, q1=p1):
        a0, a1 = q0 * m.at_risk(m.ctrl, t), q1 * m.at_risk(m.exp, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            term = np.nan_to_num(a0 * a1 / (a0 + a1) ** 2)
        dens = q0 * m.event_density(m.ctrl, t) + q1 * m.event_density(m.exp, t)
        return w(t) ** 2 * term * dens

    def null_integrand(t):
        # both arms with the allocation-weighted hazard (gsDesign2's null arm):
        # h = p0 h0 + p1 h1, S = exp(-(p0 H0 + p1 H1)) = S0^p0 S1^p1
        h = p0 * m.haz(m.ctrl, t) + p1 * m.haz(m.exp, t)
        s = m.surv(m.ctrl, t) ** p0 * m.surv(m.exp, t) ** p1
        return w(t) ** 2 * p0 * p1 * h * s * np.exp(-m.eta * t) * m.followed(t)

    def gs_dem(t):
        a0, a1 = 0.5 * m.at_risk(m.ctrl, t), 0.5 * m.at_risk(m.exp, t)
        with np.errstate(invalid="ignore", divide="ignore"):
            term = np.nan_to_num(a0 * a1 / (a0 + a1) ** 2)
        dens = 0.5 * m.event_density(m.ctrl, t) + 0.5 * m.event_density(m.exp, t)
        return w(t) * term * dens

    if exact:
        def q(f, tol):
            return m.exact(f)
    else:
        def q(f, tol):
            return float(integrate.quad(f, 0.0, m.tmax, epsabs=tol, epsrel=tol, limit=100)[0])

    delta = q(mean_integrand, 1e-5)
    sigma2 = q(var_integrand, _R_TOL)
    sigma2_null = q(null_integrand, _R_TOL)
    num = q(lambda t: mean_integrand(t, 0.5, 0.5), 1e-5)
    dem = q(gs_dem, _R_TOL)
    return {"delta": delta, "sigma2": sigma2, "sigma2_null": sigma2_null,
            "theta": -delta / sigma2, "ahr": math.exp(num / dem),
            "events": m.events_per_patient()}


# ============================================================================================
# the public calculation
# ============================================================================================
def _round_total(n: float, design: SurvivalDesign) -> int:
    """Whole patients, rounded up so that the allocation splits into whole arms when it can."""
    exp = design.arms[design.experimental_index].n
    ctrl = design.arms[design.control_index].n
    g = math.gcd(exp, ctrl)
    unit = (exp + ctrl) // g if (exp + ctrl) // g <= 10 else 1
    return int(math.ceil(n / unit - 1e-9) * unit)


def power_nph(design: SurvivalDesign, *, test: str = "ahr", alpha: float = 0.025,
              power: float | None = None, n_total: float | None = None,
              alternative: str | None = None, n_reps: int = 10000, rng=None,
              exact: bool = False, **kwargs: Any) -> NPHPower:
    """Sample size (given ``power``) or power (given ``n_total``) under non-proportional hazards.

    Parameters
    ----------
    design : SurvivalDesign
        Two arms, uniform accrual, the analysis at the end of follow-up
        (:func:`~workbench.design.nph_design` builds one from a control median and hazard ratios).
    test : str, default "ahr"
        ``"ahr"`` (average hazard ratio), ``"logrank"``, ``"fh:RHO:GAMMA"``, ``"mb:T_STAR"``
        (closed forms), ``"maxcombo"``, ``"rmst:TAU"``, ``"milestone:TIME"`` (simulation).
    alpha : float in (0, 1), default 0.025
        Level: one-sided for a one-sided ``alternative``, split over both tails for
        ``"two-sided"``.
    power : float in (0, 1), optional
        Target power: solve the size. Exactly one of ``power`` and ``n_total``.
    n_total : float > 0, optional
        Total size: compute the power.
    alternative : {"two-sided", "less", "greater"}, optional
        Default: one-sided in the direction of the design's effect (``design.effect_direction``),
        as gsDesign2. The other one-sided direction is an error.
    n_reps : int, default 10000
        Replicates for the simulated tests.
    rng : seed for the simulated tests.
    exact : bool, default False
        Weighted log-rank integrals to 1e-12 instead of gsDesign2's tolerances.
    **kwargs
        Passed to :func:`~workbench.power.simulation.simulated_sample_size` (``n_max``,
        ``workers``...).

    Returns
    -------
    NPHPower

    Notes
    -----
    Checked against gsDesign2's published fixed designs (``tests/reference/nph_published.json``:
    ``fixed_design_ahr`` and ``fixed_design_fh`` with rho = gamma = 0) to 2e-5 relative, and
    against simulated power at those sizes within Monte Carlo error (``tests/test_nph_power.py``).

    Examples
    --------
    >>> from workbench.design import nph_design
    >>> d = nph_design(control_median=12, hazard_ratios=(1, 0.6), change_times=(4,), n_total=400,
    ...                accrual_time=18, study_duration=36, dropout_rate=0.001)
    >>> res = power_nph(d, test="ahr", alpha=0.025, power=0.9)
    >>> round(res.n_total_exact, 3), round(res.events_exact, 3), round(res.ahr, 6)
    (463.078, 324.708, 0.697102)
    """
    alpha = check_probability("alpha", alpha)
    if (power is None) == (n_total is None):
        raise InvalidParameterError("give exactly one of `power` and `n_total`.")
    if power is not None:
        power = check_probability("power", power)
    if n_total is not None:
        if not (isinstance(n_total, int | float) and n_total >= 4 and math.isfinite(n_total)):
            raise InvalidParameterError(f"`n_total` must be a number >= 4; got {n_total!r}.")
    direction = design.effect_direction
    alternative = direction if alternative is None else check_alternative(alternative)
    if alternative not in ("two-sided", direction):
        raise InvalidParameterError(
            f"`alternative` must be 'two-sided' or {direction!r} (the direction of the design's "
            f"effect); got {alternative!r}.")
    one_sided = alpha / 2 if alternative == "two-sided" else alpha
    name = test.strip().lower() if isinstance(test, str) else test
    duration = float(design.max_follow_up)
    if name == "ahr" or name == "logrank" or (isinstance(name, str) and name.split(":")[0] in
                                               ("fh", "mb")):
        if name == "ahr":
            a = average_hazard_ratio(design)
            theta, i1, i0, events, ahr = -math.log(a["ahr"]), a["info"], a["info0"], \
                a["events"], a["ahr"]
            method = "average hazard ratio (Schoenfeld-type information; gsDesign2 ahr)"
        else:
            weight = ("fh", 0.0, 0.0)
            if name != "logrank":
                fn = parse_nph_test(name)
                if fn is None or not hasattr(fn, "keywords"):
                    raise InvalidParameterError(f"`test` {test!r} is not a weighted log-rank test.")
                weight = fn.keywords["weight"]
            wl = weighted_logrank_information(design, weight, exact=exact)
            theta, i1, i0, events, ahr = wl["theta"], wl["sigma2"], wl["sigma2_null"], \
                wl["events"], wl["ahr"]
            label = ("log-rank, FH(0, 0)" if weight == ("fh", 0.0, 0.0) else
                     f"FH({weight[1]:g}, {weight[2]:g})" if weight[0] == "fh" else
                     f"Magirr-Burman (t* = {weight[1]:g})")
            method = f"weighted log-rank test ({label}), Yung-Liu asymptotics (gsDesign2 wlr)"
        theta = abs(theta)
        za = float(ndtri(1 - one_sided))
        if power is not None:
            zb = float(ndtri(power))
            n_exact = (za / math.sqrt(i0) + zb / math.sqrt(i1)) ** 2 / theta**2
        else:
            n_exact = float(n_total)  # type: ignore[arg-type]
        n_round = _round_total(n_exact, design) if power is not None else int(math.ceil(n_exact))
        at = n_round if power is not None else n_exact  # achieved power of the rounded design
        pw = float(ndtr(theta * math.sqrt(at * i1) - za * math.sqrt(i1 / i0)))
        return NPHPower(test=test, method=method, alpha=one_sided, alternative=alternative,
                        power=pw, target_power=power, n_total_exact=n_exact,
                        events_exact=n_exact * events, n_total=n_round,
                        events=int(math.ceil(n_exact * events - 1e-9)), ahr=ahr, theta=theta,
                        info_per_patient=i1, info0_per_patient=i0, mcse=None, n_reps=None,
                        study_duration=duration)
    # simulated tests
    if name not in design.planned_tests:
        raise InvalidParameterError(
            f"`test` must be one of 'ahr', 'logrank', 'fh:RHO:GAMMA', 'mb:T_STAR', 'maxcombo', "
            f"'rmst:TAU', 'milestone:TIME'; got {test!r}.")
    n_reps = check_int("n_reps", n_reps, minimum=100)
    events_pp = _Model(design).events_per_patient()
    if n_total is not None:
        n = int(math.ceil(float(n_total)))
        res = simulate_power(design.with_total(n), test=name, n_reps=n_reps, alpha=alpha,
                             alternative=alternative, type1=False, rng=rng)
        pw, mcse, n_exact = res.power, res.mcse, float(n_total)
        method = f"simulation ({n_reps} replicates; Monte Carlo SE {mcse:.4f})"
    else:
        assert power is not None
        search = simulated_sample_size(design, power=power, n_reps=n_reps, test=name,
                                       alpha=alpha, alternative=alternative, rng=rng, **kwargs)
        n, pw, mcse, n_exact = search.n_total, search.power, search.mcse, float(search.n_total)
        method = (f"simulation: smallest N with simulated power >= {power:g} ({n_reps} "
                  f"replicates per N, common random numbers; Monte Carlo SE {mcse:.4f})")
    return NPHPower(test=test, method=method, alpha=one_sided, alternative=alternative, power=pw,
                    target_power=power, n_total_exact=n_exact, events_exact=n_exact * events_pp,
                    n_total=n, events=int(math.ceil(n * events_pp - 1e-9)), ahr=None,
                    theta=None, info_per_patient=None, info0_per_patient=None, mcse=mcse,
                    n_reps=n_reps, study_duration=duration)
