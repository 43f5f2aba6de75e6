"""Designs with a changing hazard ratio and simulated power of the NPH tests.

Checks: the piecewise-hazard-ratio distribution against the equivalent piecewise exponential
(an independent implementation), its draws against its distribution function (Kolmogorov-Smirnov),
the type I error of every planned test under the null design at the nominal level within Monte
Carlo error (allowance 3.5 binomial standard errors), and the planned tests' statistics against
the data-frame analysis functions on one simulated replicate.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import workbench as wb
from workbench.design import (
    Exponential,
    PiecewiseExponential,
    PiecewiseHazardRatio,
    SurvivalDesign,
    Weibull,
    nph_design,
)
from workbench.exceptions import InvalidParameterError

TESTS = ["logrank", "fh:0:0", "fh:0:1", "fh:1:0", "mb:12", "maxcombo", "rmst:24",
         "milestone:18"]


def _design(n_total=300, hazard_ratios=(1, 0.6)):
    return nph_design(control_median=12, hazard_ratios=hazard_ratios, change_times=(4,),
                      n_total=n_total, accrual_time=12, study_duration=30, dropout_rate=0.001)


def test_piecewise_hazard_ratio_equals_the_piecewise_exponential():
    d = PiecewiseHazardRatio(Exponential(0.1), change_times=(4, 10), hazard_ratios=(1.5, 0.6, 1))
    ref = PiecewiseExponential(starts=(0, 4, 10), hazards=(0.15, 0.06, 0.1))
    t = np.linspace(0, 40, 81)
    np.testing.assert_allclose(d.cumulative_hazard(t), ref.cumulative_hazard(t), rtol=1e-13,
                               atol=1e-15)
    h = np.linspace(0, 5, 51)
    np.testing.assert_allclose(d.inverse_cumulative_hazard(h), ref.inverse_cumulative_hazard(h),
                               rtol=1e-12)
    assert d.hazard_ratio_to(Exponential(0.1)) is None
    same = PiecewiseHazardRatio(Exponential(0.1), (4,), (0.7, 0.7))
    assert same.hazard_ratio_to(Exponential(0.1)) == pytest.approx(0.7)


def test_draws_follow_the_distribution():
    d = PiecewiseHazardRatio(Weibull.from_median(10, shape=1.4), (3, 9), (1.0, 0.5, 0.8))
    draws = d.sample(np.random.default_rng(7).standard_exponential(20000))
    assert stats.kstest(draws, d.cdf).pvalue > 0.001


def test_round_trip_and_bad_input():
    design = _design()
    assert SurvivalDesign.from_yaml(design.to_yaml()) == design
    with pytest.raises(InvalidParameterError, match="change_times"):
        PiecewiseHazardRatio(Exponential(0.1), (6, 4), (1, 0.8, 0.6))
    with pytest.raises(InvalidParameterError, match="hazard_ratios"):
        PiecewiseHazardRatio(Exponential(0.1), (4,), (1, 0.8, 0.6))
    with pytest.raises(InvalidParameterError, match="hazard_ratios"):
        PiecewiseHazardRatio(Exponential(0.1), (4,), (1, -0.6))
    with pytest.raises(InvalidParameterError, match="study_duration"):
        nph_design(control_median=12, hazard_ratios=(1, 0.6), change_times=(4,), n_total=100,
                   accrual_time=12, study_duration=10)
    for bad in ("fh:-1:0", "fh:0", "mb:0", "rmst:x", "milestone:-3", "wilcoxon"):
        with pytest.raises(InvalidParameterError, match="test"):
            wb.simulate_power(design, test=bad, n_reps=10)


@pytest.mark.parametrize("test", TESTS)
def test_type1_error_at_nominal_level(test):
    """Rejection rate under the null design within 3.5 Monte Carlo standard errors of alpha."""
    n_reps, alpha = 4000, 0.05
    res = wb.simulate_power(_design(), test=test, n_reps=n_reps, alpha=alpha, rng=11)
    allowance = 3.5 * math.sqrt(alpha * (1 - alpha) / n_reps)
    assert abs(res.type1_error - alpha) <= allowance, (test, res.type1_error)
    one = wb.simulate_power(_design(), test=test, n_reps=n_reps, alpha=0.025,
                            alternative="less", rng=12)
    allowance = 3.5 * math.sqrt(0.025 * 0.975 / n_reps)
    assert abs(one.type1_error - 0.025) <= allowance, (test, one.type1_error)
    assert one.power > 0.5  # the delayed effect is detected in the direction of benefit


@pytest.mark.slow
@pytest.mark.parametrize("test", ["fh:0:1", "mb:12", "maxcombo", "rmst:24", "milestone:18"])
def test_type1_error_large(test):
    n_reps, alpha = 40000, 0.025
    res = wb.simulate_power(_design().null_design(), test=test, n_reps=n_reps, alpha=alpha,
                            alternative="less", type1=False, rng=5)
    assert abs(res.power - alpha) <= 3.5 * math.sqrt(alpha * (1 - alpha) / n_reps), res.power


def test_planned_statistics_match_the_analysis_functions():
    """One simulated replicate through the planned tests and through the data-frame functions."""
    design = _design()
    sims = design.simulate_block(1, 3)
    df = pd.DataFrame({"time": sims.time[0], "event": sims.event[0].astype(int),
                       "arm": np.where(sims.arm == 0, "a_experimental", "b_control")})
    cols = {"time": "time", "event": "event", "group": "arm"}
    opts = {"alternative": "two-sided"}
    tests = design.planned_tests
    fh = wb.fleming_harrington_test(df, **cols, rho=0, gamma=1)
    assert tests["fh:0:1"](design, sims, opts)["z"][0] == pytest.approx(fh.z, rel=1e-10)
    mb = wb.magirr_burman_test(df, **cols, t_star=12)
    assert tests["mb:12"](design, sims, opts)["z"][0] == pytest.approx(mb.z, rel=1e-10)
    mc = wb.maxcombo_test(df, **cols)
    z = tests["maxcombo"](design, sims, opts)["z"][0]
    assert 2 * stats.norm.sf(abs(z)) == pytest.approx(mc.p_value_two_sided, rel=1e-8)
    z = tests["maxcombo"](design, sims, {"alternative": "greater"})["z"][0]
    assert stats.norm.sf(z) == pytest.approx(mc.p_value_one_sided, rel=1e-8)
    rm = wb.rmst_difference_test(df, **cols, tau=24)  # b_control - a_experimental
    assert tests["rmst:24"](design, sims, opts)["z"][0] == pytest.approx(rm.z, rel=1e-10)
    ms = wb.milestone_test(df, **cols, milestone=18)
    assert tests["milestone:18"](design, sims, opts)["z"][0] == pytest.approx(ms.z, rel=1e-10)


# --------------------------------------------------------------------------------------------
# group-sequential simulation with the NPH tests
# --------------------------------------------------------------------------------------------
def _gsd():
    return wb.group_sequential_design(kmax=2, type_of_design="asOF", alternative="less",
                                      alpha=0.025, information_rates=[0.6, 1])


def test_sequential_fh00_is_the_logrank():
    trial = _design(300)
    a = wb.simulate_survival_sequential(_gsd(), trial, events=[100, 170], n_reps=1000, rng=2)
    b = wb.simulate_survival_sequential(_gsd(), trial, events=[100, 170], n_reps=1000, rng=2,
                                        test="fh:0:0")
    assert a.reject_per_look == b.reject_per_look and a.expected_events == b.expected_events
    assert b.test == "fh:0:0"


@pytest.mark.parametrize("test", ["logrank", "fh:0:1", "mb:12", "maxcombo", "milestone:18"])
def test_sequential_type1_error_calendar_looks(test):
    """Looks at calendar months 18 and 30; rejection rate under the null within 3.5 MC errors.

    The bounds are the log-rank design's nominal levels: for the weighted tests this holds to
    Monte Carlo accuracy here (their correlation between looks is close to the log-rank's).
    """
    n_reps = 3000
    res = wb.simulate_survival_sequential(_gsd(), _design(300), analysis_times=[18, 30],
                                          test=test, n_reps=n_reps, type1=True, rng=8)
    assert res.calendar and len(res.events) == 2 and res.events[0] < res.events[1]
    allowance = 3.5 * math.sqrt(0.025 * 0.975 / n_reps)
    assert abs(res.type1_error - 0.025) <= allowance, res.type1_error
    assert res.power > 0.5


def test_sequential_bad_input():
    with pytest.raises(InvalidParameterError, match="exactly one"):
        wb.simulate_survival_sequential(_gsd(), _design(), n_reps=10)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        wb.simulate_survival_sequential(_gsd(), _design(), events=[50, 100],
                                        analysis_times=[12, 24], n_reps=10)
    with pytest.raises(InvalidParameterError, match="analysis_times"):
        wb.simulate_survival_sequential(_gsd(), _design(), analysis_times=[24, 12], n_reps=10)
    with pytest.raises(InvalidParameterError, match="test"):
        wb.simulate_survival_sequential(_gsd(), _design(), events=[50, 100], test="fh:x",
                                        n_reps=10)


def test_no_log_rank_closed_form_for_other_tests():
    """Schoenfeld's power is not shown beside a weighted or RMST test's simulated power."""
    d = SurvivalDesign.from_probabilities({"a": 0.27, "b": 0.47}, at=48, n_total=148,
                                          accrual_time=24, follow_up=48,
                                          follow_up_type="calendar")
    assert wb.simulate_power(d, n_reps=50, rng=1).closed_form_power is not None
    for test in ("fh:0:1", "maxcombo", "rmst:48"):
        assert wb.simulate_power(d, test=test, n_reps=50, rng=1).closed_form_power is None
