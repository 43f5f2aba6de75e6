"""Group-sequential designs, sample sizes and monitoring against rpact 3.3.4.

Reference: tests/reference/group_sequential.json (tests/reference/r/gsd.R:
getDesignGroupSequential, getDesignCharacteristics, getSampleSizeSurvival, getSampleSizeRates).
Tolerances: z bounds 1e-7, probabilities 1e-8 (rpact solves to 1e-8), event and subject numbers
1e-8 relative.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import reference_cases
from tests.helpers import run_cli as _cli
from workbench import InvalidParameterError, StatisticalWarning
from workbench.power.sequential import (
    GroupSequentialDesign,
    boundary_crossing,
    group_sequential_design,
    hazard_ratio_bounds,
    monitor_logrank,
    monitor_sequential,
    power_survival_sequential,
    sample_size_rates_sequential,
    sample_size_survival_sequential,
    spending_function,
)

CASES = reference_cases("group_sequential")
DESIGN_IDS = [k for k in CASES if k.startswith("gsd_")]

Z_TOL = 1e-7
P_TOL = 1e-8


def _design_from(inputs) -> GroupSequentialDesign:
    fut = inputs["typeBetaSpending"]
    return group_sequential_design(
        kmax=inputs["kMax"], alpha=inputs["alpha"], beta=inputs["beta"],
        alternative={1: "greater", 2: "two-sided"}[inputs["sided"]],
        information_rates=inputs["informationRates"], type_of_design=inputs["typeOfDesign"],
        delta_wt=inputs["deltaWT"], futility=None if fut == "none" else fut,
        binding=inputs["bindingFutility"],
    )


@pytest.fixture(scope="module")
def designs():
    return {cid: _design_from(CASES[cid]["inputs"]) for cid in DESIGN_IDS}


def _bounds_two_looks(spent, t):
    """Independent one-sided bounds of the first two looks from the cumulative alpha spent:
    c1 = z(1 - a1) and P(Z1 < c1, Z2 < c2) = 1 - a2 with corr(Z1, Z2) = sqrt(t1 / t2) (scipy's
    bivariate normal, solved with brentq)."""
    from scipy import optimize, stats

    c1 = stats.norm.isf(spent[0])
    r = math.sqrt(t[0] / t[1])
    mvn = stats.multivariate_normal([0.0, 0.0], [[1.0, r], [r, 1.0]])
    c2 = optimize.brentq(lambda c: 1 - mvn.cdf([c1, c]) - spent[1], 0.5, 6.0, xtol=1e-12)
    return c1, c2


def _asof3(alternative):
    # the design behind the sample-size and simulation cases (rpact sided = 1; their effects,
    # a hazard ratio below 1 and p1 < p2, are on the side "less")
    i = CASES["ss_survival_k3_asOF_p27_p47_t48_accrual24_followup48_power80"]["inputs"]
    return group_sequential_design(kmax=3, alpha=i["alpha"], beta=i["beta"],
                                   alternative=alternative,
                                   information_rates=i["informationRates"], type_of_design="asOF")


# ------------------------------------------------------------------------------------------
# boundaries and design characteristics: every reference design
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cid", DESIGN_IDS)
def test_boundaries_match_rpact(designs, cid):
    d, out = designs[cid], CASES[cid]["outputs"]
    assert d.critical_values == pytest.approx(out["criticalValues"], abs=Z_TOL)
    assert d.stage_levels == pytest.approx(out["stageLevels"], abs=P_TOL)
    assert d.alpha_spent[:-1] == pytest.approx(out["alphaSpent"][:-1], abs=P_TOL)
    # rpact stores the last alpha spent floored to 8 decimals: ref = floor(x * 1e8) / 1e8 with x
    # its integral, so the unrounded value lies in [ref, ref + 1e-8)
    ref_last = out["alphaSpent"][-1]
    assert ref_last - 1e-9 <= d.alpha_spent[-1] < ref_last + 1e-8 + 1e-9
    assert math.floor(d.alpha_spent[-1] * 1e8 + 1e-6) / 1e8 == pytest.approx(d.alpha, abs=1e-8)
    if "futilityBounds" in out:
        assert d.futility_bounds == pytest.approx(out["futilityBounds"], abs=Z_TOL)
        assert d.beta_spent == pytest.approx(out["betaSpent"], abs=P_TOL)
        assert d.power == pytest.approx(out["power_design"], abs=P_TOL)
    else:
        assert d.futility_bounds is None and d.beta_spent is None


@pytest.mark.parametrize("cid", DESIGN_IDS)
def test_characteristics_match_rpact(designs, cid):
    d, ch = designs[cid], CASES[cid]["outputs"]["characteristics"]
    assert d.n_fixed == pytest.approx(ch["nFixed"], rel=1e-12)
    assert d.shift == pytest.approx(ch["shift"], rel=1e-8)
    assert d.inflation_factor == pytest.approx(ch["inflationFactor"], abs=P_TOL)
    assert d.information == pytest.approx(ch["information"], rel=1e-8)
    assert d.power == pytest.approx(ch["power"], abs=P_TOL)
    assert d.rejection_probabilities == pytest.approx(ch["rejectionProbabilities"], abs=P_TOL)
    assert d.futility_probabilities == pytest.approx(ch["futilityProbabilities"], abs=P_TOL)
    asn = [ch["averageSampleNumber1"], ch["averageSampleNumber01"], ch["averageSampleNumber0"]]
    assert [d.asn_h1, d.asn_h01, d.asn_h0] == pytest.approx(asn, abs=P_TOL)


@pytest.mark.parametrize("cid", DESIGN_IDS)
def test_integration_matches_independent_crosscheck(designs, cid):
    """The integration itself, at rpact's own bounds, against the base-R Simpson cross-check."""
    out = CASES[cid]["outputs"]
    hand = out["hand_crosscheck"]
    d = designs[cid]
    at_rpact = dataclasses.replace(
        d, critical_values=tuple(out["criticalValues"]),
        futility_bounds=tuple(out["futilityBounds"]) if "futilityBounds" in out else None)
    h1 = boundary_crossing(at_rpact, math.sqrt(out["characteristics"]["shift"]))
    power = np.cumsum(h1["p_upper"]).tolist()
    assert power == pytest.approx(hand["power_integrated_at_rpact_shift"], abs=1e-10)
    if not d.binding:  # hand's alpha integral treats futility as binding only for binding designs
        h0 = boundary_crossing(dataclasses.replace(at_rpact, futility_bounds=None), 0.0)
        spent = h0["p_upper"] + (h0["p_lower"] if d.sided == 2 else 0.0)
        assert np.cumsum(spent).tolist() == pytest.approx(hand["alphaSpent_integrated"], abs=1e-10)


def test_design_summary_is_tidy(designs):
    d = designs["gsd_k3_equal_asOF_bsOF_nonbinding_alpha025_1sided_beta20"]
    s = d.summary
    assert list(s.columns) == ["look", "information_rate", "critical_value", "stage_level",
                               "alpha_spent", "futility_bound", "beta_spent",
                               "rejection_probability", "futility_probability",
                               "cumulative_power"]
    assert len(s) == 3 and math.isnan(s["futility_bound"].iloc[-1])
    assert "inflation factor" in str(d)
    assert d.to_dict()["futility_bounds"] == pytest.approx(list(d.futility_bounds))
    json.dumps(d.to_dict())


def test_spending_function_values():
    hand = CASES["gsd_k3_equal_asOF_bsOF_nonbinding_alpha025_1sided_beta20"]["outputs"][
        "hand_crosscheck"]
    t = CASES["gsd_k3_equal_asOF_bsOF_nonbinding_alpha025_1sided_beta20"]["inputs"][
        "informationRates"]
    assert spending_function("asOF", 0.025, t) == pytest.approx(
        hand["alpha_spending_function_values"], abs=1e-15)
    assert spending_function("bsOF", 0.2, t) == pytest.approx(
        hand["beta_spending_function_values"], abs=1e-15)
    two = CASES["gsd_k3_asOF_alpha05_2sided_t50_75_100_beta20"]
    assert spending_function("asOF", 0.05, [0.5, 0.75, 1],
                             alternative="two-sided") == pytest.approx(
        two["outputs"]["hand_crosscheck"]["alpha_spending_function_values"], abs=1e-15)


@pytest.mark.parametrize("kind,kw", [("asHSD", {"gamma": -4}), ("asHSD", {"gamma": 0}),
                                     ("asKD", {"rho": 3}), ("asP", {})])
def test_other_spending_families_spend_their_function(kind, kw):
    t = [0.3, 0.55, 0.8, 1.0]
    d = group_sequential_design(kmax=4, information_rates=t, type_of_design=kind, **kw)
    target = spending_function(kind, 0.025, t, **kw)
    assert d.alpha_spent == pytest.approx(target, abs=1e-11)
    assert d.power[-1] == pytest.approx(0.8, abs=1e-10)


def test_hsd_gamma_minus4_close_to_of_and_gamma1_close_to_pocock():
    of = group_sequential_design(kmax=3, type_of_design="asOF")
    hsd = group_sequential_design(kmax=3, type_of_design="asHSD", gamma=-4)
    assert hsd.critical_values[-1] == pytest.approx(of.critical_values[-1], abs=0.03)
    # the first two bounds independently, from HSD's alpha(t) = alpha (1 - e^{-g t}) / (1 - e^{-g})
    t = [1 / 3, 2 / 3]
    spent = [0.025 * (1 - math.exp(4 * x)) / (1 - math.exp(4)) for x in t]
    assert hsd.critical_values[:2] == pytest.approx(_bounds_two_looks(spent, t), abs=1e-6)
    # gamma = 1 spends much like Pocock's alpha(t) = alpha log(1 + (e - 1) t)
    hsd1 = group_sequential_design(kmax=3, type_of_design="asHSD", gamma=1)
    pocock = group_sequential_design(kmax=3, type_of_design="asP")
    assert hsd1.critical_values == pytest.approx(pocock.critical_values, abs=0.03)
    spent = [0.025 * (1 - math.exp(-x)) / (1 - math.exp(-1)) for x in t]
    assert hsd1.critical_values[:2] == pytest.approx(_bounds_two_looks(spent, t), abs=1e-6)


def test_wang_tsiatis_family_contains_of_and_pocock(designs):
    of = designs["gsd_k3_equal_OF_alpha025_1sided_beta20"]
    p = designs["gsd_k3_equal_P_alpha025_1sided_beta20"]
    t = of.information_rates
    wt0 = group_sequential_design(kmax=3, information_rates=t, type_of_design="WT", delta_wt=0)
    wt5 = group_sequential_design(kmax=3, information_rates=t, type_of_design="WT", delta_wt=0.5)
    assert wt0.critical_values == pytest.approx(of.critical_values, abs=1e-12)
    assert wt5.critical_values == pytest.approx(p.critical_values, abs=1e-12)


def test_binding_futility_lowers_later_critical_values(designs):
    nb = designs["gsd_k3_equal_asOF_bsOF_nonbinding_alpha025_1sided_beta20"]
    b = designs["gsd_k3_equal_asOF_bsOF_binding_alpha025_1sided_beta20"]
    assert b.critical_values[0] == pytest.approx(nb.critical_values[0], abs=1e-12)
    assert b.critical_values[2] < nb.critical_values[2]
    # binding: alpha spent with the futility bounds absorbing is the spending function
    assert b.alpha_spent == pytest.approx(spending_function("asOF", 0.025, b.information_rates),
                                          abs=1e-11)


def test_fixed_futility_bounds_binding_and_not():
    nb = group_sequential_design(kmax=3, futility=[0.0, 0.5])
    b = group_sequential_design(kmax=3, futility=[0.0, 0.5], binding=True)
    plain = group_sequential_design(kmax=3)
    assert nb.critical_values == pytest.approx(plain.critical_values, abs=1e-12)
    assert b.critical_values[-1] < nb.critical_values[-1]
    assert b.alpha_spent[-1] == pytest.approx(0.025, abs=1e-11)
    # non-binding futility lowers the real type I error when obeyed
    assert boundary_crossing(nb, 0.0)["p_upper"].sum() < 0.025
    assert nb.futility_probabilities[0] > 0 and nb.inflation_factor > plain.inflation_factor


def test_kmax_one_is_the_fixed_design():
    d = group_sequential_design(kmax=1, alpha=0.025, beta=0.1)
    assert d.critical_values == pytest.approx([1.959963984540054])
    assert d.inflation_factor == 1.0 and d.asn_h1 == 1.0 and d.power == (0.9,)


def test_boundary_crossing_h0_spends_alpha_and_reference_comparator():
    d = _asof3("greater")
    h0 = boundary_crossing(d, 0.0)
    assert h0["p_upper"].sum() == pytest.approx(0.025, abs=1e-10)
    # rpact reference: the design's critical values applied at the 22nd, 44th and 65th event
    sim = CASES["sim_survival_k3_asOF_p27_p47_E22_44_65_N150_10000iter_seed12345"]
    comp = sim["outputs"]["analytic_comparators"]["schoenfeld_power_at_planned_events"]
    hr = sim["outputs"]["hazardRatio"]
    res = boundary_crossing(d, abs(math.log(hr)) * math.sqrt(65 / 4),
                            information_rates=[22 / 65, 44 / 65, 1])
    assert res["p_upper"].tolist() == pytest.approx(comp["rejectPerStage"], abs=P_TOL)


# ------------------------------------------------------------------------------------------
# sample sizes
# ------------------------------------------------------------------------------------------
SURV = "ss_survival_k3_asOF_p27_p47_t48_accrual24_followup48_power80"
RATES = "ss_rates_k3_asOF_p27_p47_alpha025_1sided_power80"


def test_sample_size_survival_matches_rpact():
    c = CASES[SURV]
    i, o = c["inputs"], c["outputs"]
    s = sample_size_survival_sequential(
        _asof3("less"), p1=i["pi1"], p2=i["pi2"], event_time=i["eventTime"],
        accrual_time=i["accrualTime"], follow_up=i["followUpTime"],
        dropout_rate1=i["dropoutRate1"], dropout_rate2=i["dropoutRate2"],
        dropout_time=i["dropoutTime"], allocation_ratio=i["allocationRatioPlanned"])
    rel = dict(rel=1e-8)
    assert s.hazard_ratio == pytest.approx(o["hazardRatio"], rel=1e-12)
    assert s.direction_upper is o["directionUpper"]
    assert s.events_fixed == pytest.approx(o["eventsFixed"], rel=1e-12)
    assert s.inflation_factor == pytest.approx(o["inflationFactor"], abs=P_TOL)
    for mine, ref in [("max_events", "maxNumberOfEvents"), ("events_per_look", "eventsPerStage"),
                      ("max_subjects", "maxNumberOfSubjects"),
                      ("max_subjects1", "maxNumberOfSubjects1"),
                      ("max_subjects2", "maxNumberOfSubjects2"),
                      ("accrual_intensity", "accrualIntensity"), ("analysis_times", "analysisTime"),
                      ("subjects_per_look", "numberOfSubjects"),
                      ("expected_events_h1", "expectedEventsH1"),
                      ("expected_events_h01", "expectedEventsH01"),
                      ("expected_events_h0", "expectedEventsH0"),
                      ("expected_subjects_h1", "expectedNumberOfSubjectsH1"),
                      ("study_duration_h1", "studyDurationH1"),
                      ("max_study_duration", "maxStudyDuration"),
                      ("critical_values_effect_scale", "criticalValuesEffectScale")]:
        assert getattr(s, mine) == pytest.approx(o[ref], **rel), mine
    assert s.reject_per_look == pytest.approx(o["rejectPerStage"], abs=P_TOL)
    assert s.early_stop == pytest.approx(o["earlyStop"], abs=P_TOL)
    assert s.critical_values_p_scale == pytest.approx(o["criticalValuesPValueScale"], abs=P_TOL)
    assert list(s.events_per_look_ceiling) == o["derived_ceilings"]["eventsPerStage"]
    assert s.max_subjects_ceiling == o["derived_ceilings"]["maxNumberOfSubjects"]
    assert list(s.summary.columns)[:5] == ["look", "information_rate", "events", "analysis_time",
                                           "subjects"]


def test_sample_size_survival_solves_follow_up_from_subjects():
    d = _asof3("less")
    a = sample_size_survival_sequential(d, p1=0.27, p2=0.47, event_time=48, accrual_time=24,
                                        follow_up=48, dropout_rate1=0.1, dropout_rate2=0.1)
    b = sample_size_survival_sequential(d, p1=0.27, p2=0.47, event_time=48, accrual_time=24,
                                        n_total=a.max_subjects, dropout_rate1=0.1,
                                        dropout_rate2=0.1)
    assert b.follow_up == pytest.approx(48, rel=1e-9)
    assert b.analysis_times == pytest.approx(a.analysis_times, rel=1e-9)
    # drop-out needs more subjects for the same events
    plain = sample_size_survival_sequential(d, p1=0.27, p2=0.47, event_time=48,
                                            accrual_time=24, follow_up=48)
    assert a.max_subjects > plain.max_subjects and a.max_events == plain.max_events


def test_sample_size_survival_hazard_inputs_agree():
    d = _asof3("less")
    lam2 = -math.log(0.53) / 48
    a = sample_size_survival_sequential(d, p1=0.27, p2=0.47, event_time=48, accrual_time=24,
                                        follow_up=48)
    b = sample_size_survival_sequential(d, hazard_ratio=a.hazard_ratio, lambda2=lam2,
                                        accrual_time=24, follow_up=48)
    c = sample_size_survival_sequential(d, median1=math.log(2) / a.lambda1,
                                        median2=math.log(2) / lam2, accrual_time=24,
                                        follow_up=48)
    assert b.max_subjects == pytest.approx(a.max_subjects, rel=1e-12)
    assert c.max_subjects == pytest.approx(a.max_subjects, rel=1e-12)
    # and all three are rpact's getSampleSizeSurvival for this scenario
    o = CASES[SURV]["outputs"]
    for s in (a, b, c):
        assert s.max_subjects == pytest.approx(o["maxNumberOfSubjects"], rel=1e-8)
        assert s.max_events == pytest.approx(o["maxNumberOfEvents"], rel=1e-8)


def test_sample_size_rates_matches_rpact():
    o = CASES[RATES]["outputs"]
    s = sample_size_rates_sequential(_asof3("less"), p1=0.27, p2=0.47)
    assert s.direction_upper is o["directionUpper"]
    assert s.n_fixed == pytest.approx(o["nFixed"], rel=1e-12)
    for mine, ref in [("max_subjects", "maxNumberOfSubjects"),
                      ("max_subjects1", "maxNumberOfSubjects1"),
                      ("subjects_per_look", "numberOfSubjects"),
                      ("subjects_per_look1", "numberOfSubjects1"),
                      ("subjects_per_look2", "numberOfSubjects2"),
                      ("expected_subjects_h1", "expectedNumberOfSubjectsH1"),
                      ("expected_subjects_h01", "expectedNumberOfSubjectsH01"),
                      ("expected_subjects_h0", "expectedNumberOfSubjectsH0")]:
        assert getattr(s, mine) == pytest.approx(o[ref], rel=1e-8), mine
    assert s.reject_per_look == pytest.approx(o["rejectPerStage"], abs=P_TOL)
    assert s.critical_values_effect_scale == pytest.approx(o["criticalValuesEffectScale"],
                                                           abs=P_TOL)
    assert list(s.subjects_per_look1_ceiling) == o["derived_ceilings"]["numberOfSubjects1_per_look"]
    assert s.max_subjects_ceiling == o["derived_ceilings"]["maxNumberOfSubjects"]


@pytest.mark.parametrize("theta_h0,ratio,ref", [
    (1.0, 1, (218.43651, 64.634742, [7.0974672, 11.495939, 18], 14.423875,
              [64.275598, 60.483, 47.072216], [129.1955, 209.26106, 218.43651], 207.20268,
              [4.9325954, 2.3170793, 1.6774418])),
    (1.0, 3, (250.03082, 86.179656, [7.0363139, 11.430238, 18], 14.391854,
              [85.700797, 80.644, 62.762955], [146.60794, 238.15931, 250.03082], 236.50497,
              [4.9325954, 2.3170793, 1.6774418])),
    (1.2, 3, (411.1105, 141.69998, [7.0363139, 11.430238, 18], 14.391854,
              [140.91262, 132.59803, 103.19732], [241.05854, 391.59089, 411.1105], 388.87078,
              [4.1656631, 2.3109184, 1.7962847])),
])
def test_sample_size_survival_matches_rpact_test_suite(theta_h0, ratio, ref):
    """rpact's own tests (tests/testthat/test-f_design_sample_size_calculator.R):
    getSampleSizeSurvival(WT(0.3) design at t = 0.2, 0.5, 1, beta 0.1, pi1 = 0.4, pi2 = 0.2,
    rpact's defaults eventTime 12, accrualTime 12, followUpTime 6): looks before the end of
    accrual, unequal allocation, theta_h0 = 1.2. Values printed to 8 significant digits."""
    d = group_sequential_design(information_rates=[0.2, 0.5, 1], beta=0.1, type_of_design="WT",
                                delta_wt=0.3)
    s = sample_size_survival_sequential(d, p1=0.4, p2=0.2, event_time=12, accrual_time=12,
                                        follow_up=6, allocation_ratio=ratio,
                                        theta_h0=theta_h0)
    got = (s.max_subjects, s.max_events, list(s.analysis_times), s.study_duration_h1,
           [s.expected_events_h0, s.expected_events_h01, s.expected_events_h1],
           list(s.subjects_per_look), s.expected_subjects_h1,
           list(s.critical_values_effect_scale))
    for mine, want in zip(got, ref, strict=True):
        np.testing.assert_allclose(mine, want, rtol=1e-7)


@pytest.mark.parametrize("p1,p2,margin,ratio,ref", [
    (0.5, 0.3, 0.0, 1, (261.60183, 260.14823, 244.79812, 190.51949,
                        [0.39662162, 0.20482715, 0.12354802])),
    (0.5, 0.3, 0.0, 3, (349.41307, 347.47155, 326.9689, 254.47069,
                        [0.38949339, 0.20784714, 0.12553463])),
    (0.5, 0.1, 0.2, 1, (201.70565, 200.58487, 188.74931, 146.89828,
                        [0.6326463, 0.40827798, 0.32212934])),
    (0.5, 0.1, 0.2, 0.4, (267.48868, 266.00237, 250.30683, 194.80676,
                          [0.59822838, 0.40051537, 0.32119139])),
])
def test_sample_size_rates_matches_rpact_test_suite(p1, p2, margin, ratio, ref):
    """rpact's own tests (tests/testthat/test-f_design_sample_size_calculator.R): WT(0.3) design
    at t = 0.2, 0.5, 1, beta 0.1; unequal allocation and a superiority margin (rpact's
    thetaH0 = 0.2 with p1 - p2 = 0.4). Values printed to 8 significant digits."""
    d = group_sequential_design(information_rates=[0.2, 0.5, 1], beta=0.1, type_of_design="WT",
                                delta_wt=0.3)
    s = sample_size_rates_sequential(d, p1=p1, p2=p2, margin=margin, allocation_ratio=ratio)
    got = (s.max_subjects, s.expected_subjects_h0, s.expected_subjects_h01,
           s.expected_subjects_h1, list(s.critical_values_effect_scale))
    for mine, want in zip(got, ref, strict=True):
        np.testing.assert_allclose(mine, want, rtol=1e-7)
    assert s.direction_upper


# ------------------------------------------------------------------------------------------
# monitoring
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cid", ["gsd_k3_equal_asOF_alpha025_1sided_beta20",
                                 "gsd_k3_equal_WT_delta025_alpha025_1sided_beta20",
                                 "gsd_k3_equal_asOF_bsOF_nonbinding_alpha025_1sided_beta20",
                                 "gsd_k3_equal_asOF_bsOF_binding_alpha025_1sided_beta20",
                                 "gsd_k3_asOF_alpha05_2sided_t50_75_100_beta20"])
def test_monitoring_at_planned_information_reproduces_design(designs, cid):
    d = designs[cid]
    m = monitor_sequential(d, z=[0.3, 1.5, 0.7], information_rates=d.information_rates)
    assert m.critical_values == pytest.approx(CASES[cid]["outputs"]["criticalValues"], abs=Z_TOL)
    if d.futility_bounds:
        assert m.futility_bounds[:2] == pytest.approx(d.futility_bounds, abs=1e-9)
    assert m.decisions[-1] == "do not reject H0" and m.final


def test_monitoring_spends_alpha_at_information_reached():
    d = _asof3("greater")
    t = [0.41, 0.58]
    m = monitor_sequential(d, z=[1.0, 1.5], information_rates=t)
    assert m.alpha_spent == pytest.approx(spending_function("asOF", 0.025, t), abs=1e-11)
    spent = [2 * (1 - stats_norm_cdf(Z_OF / math.sqrt(x))) for x in t]
    assert m.alpha_spent == pytest.approx(spent, abs=1e-11)  # asOF written out
    assert m.critical_values == pytest.approx(_bounds_two_looks(spent, t), abs=1e-6)
    assert m.decisions == ("continue", "continue") and not m.final and not m.stopped
    # the final analysis (early, at 90% information) spends all that is left
    f = monitor_sequential(d, z=[1.0, 1.5, 2.1], information_rates=[0.41, 0.58, 0.9])
    assert f.final and f.alpha_spent[-1] == pytest.approx(0.025, abs=1e-11)
    assert f.decisions[-1] == "reject H0" and f.stop_look == 3
    # first look at 1/3 is the design's first bound
    g = monitor_sequential(d, z=[3.8], information_rates=[d.information_rates[0]])
    assert g.critical_values[0] == pytest.approx(d.critical_values[0], abs=1e-12)
    assert g.decisions == ("reject H0",) and g.rejected


def test_monitoring_repeated_confidence_intervals():
    d = _asof3("greater")
    est, se = [0.2, 0.35], [0.25, 0.17]
    m = monitor_sequential(d, z=np.divide(est, se), information_rates=[0.35, 0.7],
                           estimates=est, standard_errors=se)
    c = np.asarray(m.critical_values)
    spent = [2 * (1 - stats_norm_cdf(Z_OF / math.sqrt(x))) for x in (0.35, 0.7)]
    assert c == pytest.approx(_bounds_two_looks(spent, [0.35, 0.7]), abs=1e-6)
    assert m.rci_lower == pytest.approx(np.subtract(est, c * se), abs=1e-14)
    assert m.rci_upper == pytest.approx(np.add(est, c * se), abs=1e-14)
    # reject H0 at a look  <=>  the repeated CI excludes 0 (z = estimate / se)
    for k in range(2):
        assert (m.decisions[k] == "reject H0") == (m.rci_lower[k] > 0)


def test_monitor_logrank_hazard_ratio_intervals():
    d = _asof3("less")
    m = monitor_logrank(d, z=[-1.2, -2.9], events=[22, 41], max_events=65)
    assert m.information_rates == pytest.approx([22 / 65, 41 / 65])
    se = 2 / np.sqrt([22, 41])
    assert m.estimates == pytest.approx(np.exp(np.array([-1.2, -2.9]) * se), rel=1e-12)
    assert m.rci_upper == pytest.approx(
        np.exp(np.array([-1.2, -2.9]) * se + np.asarray(m.critical_values) * se), rel=1e-12)
    assert m.decisions == ("continue", "reject H0")
    assert m.z == pytest.approx([1.2, 2.9])  # oriented: large favours the alternative


def test_monitoring_non_binding_futility_crossing_allows_continuing():
    d = group_sequential_design(kmax=3, futility="bsOF")
    m = monitor_sequential(d, z=[-0.5, 2.6], information_rates=[0.34, 0.66])
    assert m.decisions[0] == "futility bound crossed (non-binding)"
    assert m.decisions[1] == "reject H0"


# ------------------------------------------------------------------------------------------
# two-sided beta spending (stop for futility when |Z_k| < u_k) against rpact 3.3's own test
# suite: tests/testthat/test-f_design_group_sequential_beta_spending.R, cases (1), (2), (5), (7)
# (getDesignGroupSequential + getDesignCharacteristics, values printed to 8 significant digits,
# hence rel=1e-7; NaN is rpact's NA: no futility stop at that look)
# ------------------------------------------------------------------------------------------
NA = math.nan
RPACT_TWO_SIDED_BS = [
    (dict(information_rates=[0.3, 0.4, 0.8, 1], alpha=0.05, type_of_design="asKD", rho=2.5,
          beta=0.1, futility="bsKD", futility_rho=1.5, binding=False),
     dict(critical_values=[3.0276355, 2.8984727, 2.2289649, 2.0639032],
          futility_bounds=[NA, 0.13460523, 1.5007674],
          alpha_spent=[0.0024647515, 0.0050596443, 0.028621671, 0.05],
          beta_spent=[0, 0.010609935, 0.065960997, 0.1],
          stage_levels=[0.0012323758, 0.0018749246, 0.01290812, 0.019513449],
          n_fixed=10.507423, shift=11.628636, power=[0.1230532, 0.24472551, 0.79581823, 0.9],
          rejection_probabilities=[0.1230532, 0.12167232, 0.55109272, 0.10418177],
          futility_probabilities=[0, 0.010609873, 0.055350639], asn_h1=0.78930804,
          asn_h01=0.89600313, asn_h0=0.85810726)),
    (dict(information_rates=[0.4, 0.65, 0.8, 1], alpha=0.05, type_of_design="asKD", rho=2.5,
          beta=0.1, futility="bsKD", futility_rho=1.5, binding=True),
     dict(critical_values=[2.8032117, 2.4453423, 2.2956849, 1.9878913],
          futility_bounds=[0.3085062, 0.97461473, 1.3896954],
          alpha_spent=[0.0050596443, 0.017031519, 0.02862167, 0.05],
          beta_spent=[0.025298221, 0.052404675, 0.071554176, 0.1],
          shift=11.657317, power=[0.25984263, 0.62910091, 0.78682068, 0.9],
          rejection_probabilities=[0.25984263, 0.36925828, 0.15771977, 0.11317932],
          futility_probabilities=[0.025298122, 0.027106314, 0.019149403], asn_h1=0.72647427,
          asn_h01=0.80995959, asn_h0=0.72430062)),
    (dict(information_rates=[0.35, 0.4, 0.8, 1], alpha=0.025, type_of_design="asOF", beta=0.07,
          futility="bsKD", futility_rho=1, binding=True),
     dict(critical_values=[4.0629719, 3.8052638, 2.5524087, 2.1888976],
          futility_bounds=[0.40613204, 0.2966315, 1.7350381],
          alpha_spent=[4.8451862e-05, 0.00015681312, 0.010459859, 0.025],
          beta_spent=[0.0245, 0.028, 0.056, 0.07], shift=15.406346,
          power=[0.040854392, 0.095590669, 0.82438046, 0.93],
          futility_probabilities=[0.0245, 0.0034999999, 0.028], asn_h1=0.85989912,
          asn_h01=0.85050502, asn_h0=0.71709153)),
    (dict(information_rates=[0.15, 0.4, 0.8, 1], alpha=0.025, type_of_design="asOF", beta=0.01,
          futility="bsKD", futility_rho=1, binding=False),
     dict(critical_values=[6.3431527, 3.7800251, 2.5620799, 2.2927506],
          futility_bounds=[NA, 0.33832477, 1.7778049],
          beta_spent=[0, 0.0029411765, 0.0076470589, 0.0099999999], shift=23.351275,
          rejection_probabilities=[3.8817388e-06, 0.2345903, 0.72529442, 0.030111395],
          futility_probabilities=[0, 0.0029411765, 0.0047058824], asn_h1=0.79628246,
          asn_h01=0.91655265, asn_h0=0.79046909)),
]


@pytest.mark.parametrize("kw,ref", RPACT_TWO_SIDED_BS)
def test_two_sided_beta_spending_matches_rpact(kw, ref):
    d = group_sequential_design(alternative="two-sided", **kw)
    for name, want in ref.items():
        got = getattr(d, name)
        if name == "alpha_spent":  # rpact floors the last value to 8 decimals
            got, want = got[:-1], want[:-1]
        np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                                   rtol=1e-7, atol=1e-9, err_msg=name)


def test_two_sided_beta_spending_crossing_agrees_with_brute_force_simulation():
    """The |Z| < u futility regions of a two-sided binding design: 400,000 Brownian paths."""
    d = group_sequential_design(alternative="two-sided", **RPACT_TWO_SIDED_BS[1][0])
    res = boundary_crossing(d, d.drift)
    t = np.asarray(d.information_rates)
    rng = np.random.default_rng(7)
    n = 400_000
    steps = np.diff(np.r_[0.0, t])
    z = np.cumsum(rng.standard_normal((n, t.size)) * np.sqrt(steps) + d.drift * steps,
                  axis=1) / np.sqrt(t)
    crit, fut = np.asarray(d.critical_values), np.append(d.futility_bounds, 0.0)
    alive = np.ones(n, bool)
    for k in range(t.size):
        up, lo = alive & (z[:, k] >= crit[k]), alive & (z[:, k] <= -crit[k])
        fu = alive & (np.abs(z[:, k]) < fut[k]) if k < t.size - 1 else np.zeros(n, bool)
        pairs = [(up.mean(), res["p_upper"][k]), (lo.mean(), res["p_lower"][k])]
        if k < t.size - 1:
            pairs.append((fu.mean(), res["p_futility"][k]))
        for sim_p, p in pairs:
            assert abs(sim_p - p) <= 4.5 * math.sqrt(max(p * (1 - p), 1e-12) / n) + 1e-6
        alive &= ~(up | lo | fu)
    assert res["p_upper"].sum() == pytest.approx(d.power[-1], abs=1e-9)


def test_two_sided_beta_spending_monitoring_and_cli(capsys):
    kw, ref = RPACT_TWO_SIDED_BS[0]
    d = group_sequential_design(alternative="two-sided", **kw)
    # at the planned information the monitored bounds are the design's
    m = monitor_sequential(d, z=[1.0, 0.05], information_rates=kw["information_rates"][:2])
    assert m.critical_values == pytest.approx(ref["critical_values"][:2], rel=1e-7)
    assert math.isnan(m.futility_bounds[0])
    assert m.futility_bounds[1] == pytest.approx(ref["futility_bounds"][1], rel=1e-6)
    assert m.decisions == ("continue", "futility bound crossed (non-binding)")
    m = monitor_sequential(d, z=[1.0, -3.1], information_rates=kw["information_rates"][:2])
    assert m.decisions == ("continue", "reject H0")
    code, out, _ = _cli(capsys, "design", "sequential", "--sided", "2", "--alpha", "0.05",
                        "--beta", "0.1", "--info", "0.3,0.4,0.8,1", "--design", "asKD", "--rho",
                        "2.5", "--futility", "bsKD", "--futility-rho", "1.5", "--json")
    assert code == 0
    res = json.loads(out)
    assert res["futility_bounds"][0] is None
    assert res["futility_bounds"][1:] == pytest.approx(ref["futility_bounds"][1:], rel=1e-7)
    assert res["beta_spent"] == pytest.approx(ref["beta_spent"], rel=1e-7, abs=1e-9)


# ------------------------------------------------------------------------------------------
# errors name the parameter
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    (dict(information_rates=[0.5, 0.4, 1]), "information_rates"),
    (dict(information_rates=[0.3, 0.6, 0.9]), "information_rates"),
    (dict(kmax=4, information_rates=[0.3, 0.6, 1]), "kmax"),
    (dict(alpha=1.5), "alpha"),
    (dict(alpha=0), "alpha"),
    (dict(beta=1.0), "beta"),
    (dict(alternative="both"), "alternative"),
    (dict(alternative=2), "alternative"),
    (dict(kmax=0), "kmax"),
    (dict(type_of_design="XYZ"), "type_of_design"),
    (dict(type_of_design="WT"), "delta_wt"),
    (dict(type_of_design="WT", delta_wt=2), "delta_wt"),
    (dict(type_of_design="asHSD", gamma=7), "gamma"),
    (dict(type_of_design="asHSD"), "gamma"),
    (dict(type_of_design="asKD", rho=0.1), "rho"),
    (dict(futility="bsXX"), "futility"),
    (dict(futility="bsHSD"), "futility_gamma"),
    (dict(futility="bsOF", type_of_design="OF"), "futility"),
    (dict(futility=[0.5, 1.0], alternative="two-sided", alpha=0.05), "futility"),
    (dict(futility=[0.1]), "futility"),
    (dict(futility=[3.9, 0.0]), "futility"),
    (dict(binding="yes", futility="bsOF"), "binding"),
])
def test_design_errors_name_the_parameter(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        group_sequential_design(**kwargs)


def test_monitoring_errors_name_the_parameter():
    d = _asof3("greater")
    with pytest.raises(InvalidParameterError, match="information_rates"):
        monitor_sequential(d, z=[1, 2], information_rates=[0.5, 0.4])
    with pytest.raises(InvalidParameterError, match="information_rates"):
        monitor_sequential(d, z=[1, 2], information_rates=[0.5])
    with pytest.raises(InvalidParameterError, match="events"):
        monitor_logrank(d, z=[-1, -2], events=[30, 25], max_events=65)
    with pytest.raises(InvalidParameterError, match="z"):
        monitor_sequential(d, z=[4.0, 1.0], information_rates=[0.4, 0.7])
    with pytest.raises(InvalidParameterError, match="z"):
        monitor_sequential(d, z=[1, 1, 1, 1], information_rates=[0.2, 0.4, 0.6, 1.0])
    with pytest.raises(InvalidParameterError, match="final"):
        monitor_sequential(d, z=[1, 1, 1], information_rates=[0.2, 0.4, 0.6], final=False)
    with pytest.raises(InvalidParameterError, match="standard_errors"):
        monitor_sequential(d, z=[1], information_rates=[0.3], estimates=[0.1])
    with pytest.raises(InvalidParameterError, match="design"):
        monitor_sequential("asOF", z=[1], information_rates=[0.3])


def test_sample_size_errors_name_the_parameter():
    d = _asof3("less")
    with pytest.raises(InvalidParameterError, match="p1"):
        sample_size_survival_sequential(d, p1=1.2, p2=0.47, follow_up=12)
    with pytest.raises(InvalidParameterError, match="follow_up"):
        sample_size_survival_sequential(d, p1=0.27, p2=0.47)
    with pytest.raises(InvalidParameterError, match="n_total"):
        sample_size_survival_sequential(d, p1=0.27, p2=0.47, event_time=48, accrual_time=24,
                                        n_total=40)
    with pytest.raises(InvalidParameterError, match="p1"):
        sample_size_rates_sequential(d, p1=0.3, p2=0.3)
    with pytest.raises(InvalidParameterError, match="design"):
        sample_size_rates_sequential({"kmax": 3}, p1=0.3, p2=0.4)


# ------------------------------------------------------------------------------------------
# command line
# ------------------------------------------------------------------------------------------
def stats_norm_cdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


Z_OF = 2.241402727604945  # qnorm(1 - 0.025 / 2)


CLI_KEYS = {"critical_values", "stage_levels", "alpha_spent", "futility_bounds", "beta_spent",
            "inflation_factor", "power", "rejection_probabilities", "asn"}


def test_cli_json_matches_rpact(capsys):
    cid = "gsd_k3_asOF_unequal_t25_60_100_alpha025_1sided_beta20"
    code, out, _ = _cli(capsys, "design", "sequential", "--kmax", "3", "--alpha", "0.025",
                        "--sided", "1", "--beta", "0.2", "--info", "0.25,0.6,1", "--design",
                        "asOF", "--json")
    assert code == 0
    res = json.loads(out)
    assert CLI_KEYS <= set(res)
    o = CASES[cid]["outputs"]
    ch = o["characteristics"]
    assert res["critical_values"] == pytest.approx(o["criticalValues"], abs=Z_TOL)
    assert res["stage_levels"] == pytest.approx(o["stageLevels"], abs=P_TOL)
    assert res["alpha_spent"][:2] == pytest.approx(o["alphaSpent"][:2], abs=P_TOL)
    assert res["futility_bounds"] is None and res["beta_spent"] is None
    assert res["inflation_factor"] == pytest.approx(ch["inflationFactor"], abs=P_TOL)
    assert res["power"] == pytest.approx(ch["power"], abs=P_TOL)
    assert res["rejection_probabilities"] == pytest.approx(ch["rejectionProbabilities"],
                                                           abs=P_TOL)
    assert [res["asn"][k] for k in ("h1", "h01", "h0")] == pytest.approx(
        [ch["averageSampleNumber1"], ch["averageSampleNumber01"], ch["averageSampleNumber0"]],
        abs=P_TOL)


def test_cli_json_beta_spending_binding(capsys):
    cid = "gsd_k3_equal_asOF_bsOF_binding_alpha025_1sided_beta20"
    code, out, _ = _cli(capsys, "design", "sequential", "--kmax", "3", "--design", "asOF",
                        "--futility", "bsOF", "--binding", "--json")
    assert code == 0
    res = json.loads(out)
    o = CASES[cid]["outputs"]
    assert res["critical_values"] == pytest.approx(o["criticalValues"], abs=Z_TOL)
    assert res["futility_bounds"] == pytest.approx(o["futilityBounds"], abs=Z_TOL)
    assert res["beta_spent"] == pytest.approx(o["betaSpent"], abs=P_TOL)
    assert res["settings"]["binding"] is True


def test_cli_classical_designs_and_text_output(capsys):
    code, out, _ = _cli(capsys, "design", "sequential", "--design", "WT", "--delta-wt", "0.25",
                        "--json")
    ref = CASES["gsd_k3_equal_WT_delta025_alpha025_1sided_beta20"]["outputs"]
    assert code == 0
    assert json.loads(out)["critical_values"] == pytest.approx(ref["criticalValues"], abs=Z_TOL)
    code, out, _ = _cli(capsys, "design", "sequential", "--design", "P", "--sided", "2",
                        "--alpha", "0.05")
    assert code == 0 and "Critical value" in out and "inflation factor" in out


@pytest.mark.parametrize("argv,option", [
    (["--info", "0.5,0.4,1"], "--info"),
    (["--info", "0.3,0.6,0.9"], "--info"),
    (["--kmax", "4", "--info", "0.3,0.6,1"], "--kmax"),
    (["--alpha", "1.5"], "--alpha"),
    (["--beta", "0"], "--beta"),
    (["--design", "asHSD", "--gamma", "9"], "--gamma"),
    (["--design", "asKD", "--rho", "0.1"], "--rho"),
    (["--design", "WT"], "--delta-wt"),
    (["--design", "XX"], "--design"),
    (["--futility", "bsXY"], "--futility"),
    (["--info", "a,b"], "--info"),
])
def test_cli_bad_input_exits_2_naming_the_option(capsys, argv, option):
    code, out, err = _cli(capsys, "design", "sequential", *argv)
    assert code == 2 and out == ""
    assert option in err and err.count("\n") == 1


def test_power_survival_sequential_matches_getpowersurvival():
    sim = CASES["sim_survival_k3_asOF_p27_p47_E22_44_65_N150_10000iter_seed12345"]
    ref = sim["outputs"]["analytic_comparators"]["getPowerSurvival_65_events"]
    p = power_survival_sequential(_asof3("less"), max_events=65,
                                  hazard_ratio=sim["outputs"]["hazardRatio"])
    assert p.power == pytest.approx(ref["overallReject"], abs=P_TOL)
    assert p.reject_per_look == pytest.approx(ref["rejectPerStage"], abs=P_TOL)
    assert p.expected_information == pytest.approx(ref["expectedNumberOfEvents"], rel=1e-8)
    # the wrong direction has (almost) no power, and says so
    with pytest.warns(StatisticalWarning, match="other side"):
        q = power_survival_sequential(_asof3("less"), max_events=65, hazard_ratio=2.0)
    assert q.power < 1e-4


# ------------------------------------------------------------------------------------------
# notebook 06
# ------------------------------------------------------------------------------------------
@pytest.mark.notebook
def test_notebook_06_with_small_parameters(tmp_path):
    import workbench as wb
    from workbench.power.sequential import data_at_events

    nb = Path(__file__).resolve().parents[1] / "notebooks" / "06_group_sequential.ipynb"
    params = {"kmax": 2, "information_rates": [0.5, 1.0], "futility": "", "p_combination": 0.3,
              "p_pharmacotherapy": 0.6, "horizon": 12.0, "accrual_time": 6.0, "follow_up": 12.0,
              "n_sim": 500, "seed": 5}
    rec = wb.run_notebook(nb, tmp_path / "nb06.ipynb", parameters=params)
    d = group_sequential_design(kmax=2, information_rates=[0.5, 1.0], alternative="less")
    assert rec["critical_values"] == pytest.approx(d.critical_values, abs=1e-12)
    assert rec["futility_bounds"] is None
    s = sample_size_survival_sequential(d, p1=0.3, p2=0.6, event_time=12, accrual_time=6,
                                        follow_up=12)
    assert rec["events_per_look"] == list(s.events_per_look_ceiling)
    assert rec["n_per_arm"] == math.ceil(s.max_subjects1 - 1e-9)
    # the monitored trial: same simulated data, cut at the planned events
    trial = wb.SurvivalDesign.from_probabilities(
        {"combination": 0.3, "pharmacotherapy": 0.6}, at=12,
        sizes={"combination": rec["n_per_arm"], "pharmacotherapy": rec["n_per_arm"]},
        accrual_time=6, follow_up=12, follow_up_type="calendar")
    df = wb.simulate_trial(trial, rng=5)
    looks = data_at_events(df, rec["events_per_look"])
    first = wb.logrank_test(looks[0][1], time="time", event="event", group="arm")
    m = monitor_logrank(d, results=[first], experimental="combination",
                        max_events=rec["events_per_look"][-1])
    table = rec["monitoring"]
    assert table["calendar_time"].iloc[0] == pytest.approx(looks[0][0], rel=1e-12)
    assert table["z"].iloc[0] == pytest.approx(m.z[0], rel=1e-10)
    assert table["critical_value"].iloc[0] == pytest.approx(m.critical_values[0], rel=1e-10)
    assert rec["decisions"][0] == m.decisions[0]
    from workbench.power.sequential import simulate_survival_sequential

    sim = simulate_survival_sequential(d, trial, events=rec["events_per_look"], n_reps=500,
                                       type1=True, rng=5)
    assert rec["simulated_power"] == sim.power
    assert rec["simulated_type1_error"] == sim.type1_error
    assert "recurrences" in rec["conclusion"]


# ------------------------------------------------------------------------------------------
# simulation of the event-driven trial against rpact getSimulationSurvival
# ------------------------------------------------------------------------------------------
SIM10 = CASES["sim_survival_k3_asOF_p27_p47_E22_44_65_N150_10000iter_seed12345"]
SIM100 = CASES["sim_survival_k3_asOF_p27_p47_E22_44_65_N150_100000iter_seed12345"]


def _sim_trial():
    import workbench as wb

    i = SIM100["inputs"]
    # rpact follows every patient until the last look (it has no follow-up limit): a calendar
    # end of the study far beyond any event
    return wb.SurvivalDesign.from_probabilities(
        {"combination": i["pi1"], "pharmacotherapy": i["pi2"]}, at=i["eventTime"],
        n_total=i["maxNumberOfSubjects"], accrual_time=i["accrualTime"],
        follow_up=1000, follow_up_type="calendar")


def _within_mc(mine: float, mine_se: float, ref: float, n_mine: int, n_ref: int, z: float):
    """|mine - ref| within z combined Monte Carlo standard errors (the reference's SE taken as
    the simulation's scaled to its replicate count)."""
    se = mine_se * math.sqrt(1 + n_mine / n_ref)
    assert abs(mine - ref) <= z * se, (mine, ref, se)


def _scalar(x):
    return x[0] if isinstance(x, list) else x


def _check_against(sim, ref, n_ref, z, times=True):
    from workbench.power.sequential import SequentialSimulation

    assert isinstance(sim, SequentialSimulation)
    n = sim.n_reps
    _within_mc(sim.power, sim.power_mcse, _scalar(ref["overallReject"]), n, n_ref, z)
    for k in range(3):
        _within_mc(sim.reject_per_look[k], sim.reject_per_look_mcse[k], ref["rejectPerStage"][k],
                   n, n_ref, z)
    _within_mc(sim.expected_events, sim.expected_events_mcse,
               _scalar(ref["expectedNumberOfEvents"]), n, n_ref, z)
    _within_mc(sim.study_duration, sim.study_duration_mcse, _scalar(ref["studyDuration"]), n,
               n_ref, z)
    assert sim.expected_subjects == pytest.approx(_scalar(ref["expectedNumberOfSubjects"]),
                                                  abs=0.05)
    if times:  # look times: MC SE of each mean about 1.7 sd / sqrt(reached); sd <= 8 months
        for k in range(3):
            se = 8.0 / math.sqrt(sim.reached[k]) * math.sqrt(1 + n / n_ref)
            assert abs(sim.analysis_times[k] - ref["analysisTime"][k]) <= z * se
    assert list(sim.events) == SIM100["inputs"]["plannedEvents"]
    assert sim.events_not_achieved == (0.0, 0.0, 0.0)


def test_simulation_matches_rpact_within_monte_carlo_error_small():
    """2,000 replicates with rpact's recruitment grid vs the 100,000-iteration reference (4 SE)."""
    from workbench.power.sequential import simulate_survival_sequential

    sim = simulate_survival_sequential(_asof3("less"), _sim_trial(), events=[22, 44, 65],
                                       n_reps=2000, entry="grid", rng=20240611)
    _check_against(sim, SIM100["outputs"], 100_000, z=4.0)
    assert sim.reached[0] == 2000 and sim.reached[1] <= 2000


def test_simulation_is_reproducible_whatever_the_chunks():
    from workbench.power.sequential import simulate_survival_sequential

    kw = dict(events=[22, 44, 65], n_reps=1200, rng=3)
    a = simulate_survival_sequential(_asof3("less"), _sim_trial(), chunk_size=500, **kw)
    b = simulate_survival_sequential(_asof3("less"), _sim_trial(), chunk_size=10_000, **kw)
    assert a.to_dict() == b.to_dict()
    c = simulate_survival_sequential(_asof3("less"), _sim_trial(), events=[22, 44, 65], n_reps=1200,
                                     rng=4)
    assert c.power != a.power


def test_simulation_errors_name_the_parameter():
    from workbench.power.sequential import simulate_survival_sequential

    d, trial = _asof3("less"), _sim_trial()
    with pytest.raises(InvalidParameterError, match="events"):
        simulate_survival_sequential(d, trial, events=[22, 44])
    with pytest.raises(InvalidParameterError, match="events"):
        simulate_survival_sequential(d, trial, events=[22, 20, 65])
    with pytest.raises(InvalidParameterError, match="events"):
        simulate_survival_sequential(d, trial, events=[22, 44, 151])
    with pytest.raises(InvalidParameterError, match="entry"):
        simulate_survival_sequential(d, trial, events=[22, 44, 65], entry="random")
    with pytest.raises(InvalidParameterError, match="trial"):
        simulate_survival_sequential(d, {"n": 150}, events=[22, 44, 65])
    with pytest.raises(InvalidParameterError, match="n_reps"):
        simulate_survival_sequential(d, trial, events=[22, 44, 65], n_reps=0)


@pytest.mark.slow
def test_simulation_matches_rpact_10000_replicates():
    """10,000 replicates (rpact's recruitment grid) vs both rpact runs, 3.5 combined SE; with
    uniform entry times the power agrees too, and the type I error is the design's alpha."""
    from workbench.power.sequential import simulate_survival_sequential

    sim = simulate_survival_sequential(_asof3("less"), _sim_trial(), events=[22, 44, 65],
                                       n_reps=10_000, entry="grid", type1=True, rng=777)
    _check_against(sim, SIM100["outputs"], 100_000, z=3.5)
    _check_against(sim, SIM10["outputs"], 10_000, z=3.5)
    # type I error of the procedure at the realised information rates (asymptotic value)
    alpha = boundary_crossing(_asof3("greater"), 0.0, information_rates=[22 / 65, 44 / 65, 1])
    _within_mc(sim.type1_error, sim.type1_mcse, float(alpha["p_upper"].sum()), 10_000, 10**9, 3.5)
    # uniform random entry (the workbench's trials) changes the early looks a little (fewer
    # rejections at look 1: about 0.0105 against 0.0129 with 100,000 replicates) but not the power
    uni = simulate_survival_sequential(_asof3("less"), _sim_trial(), events=[22, 44, 65],
                                       n_reps=10_000, rng=778)
    _within_mc(uni.power, uni.power_mcse, SIM100["outputs"]["overallReject"], 10_000, 100_000,
               3.5)


# ------------------------------------------------------------------------------------------
# event-driven looks on patient-level data
# ------------------------------------------------------------------------------------------
def _t1_trial_data(seed=9):
    import workbench as wb

    trial = wb.SurvivalDesign.from_probabilities(
        {"combination": 0.27, "pharmacotherapy": 0.47}, at=48, n_total=150, accrual_time=24,
        follow_up=48, follow_up_type="calendar")
    return wb.simulate_trial(trial, rng=seed)


def test_data_at_events_cuts_at_the_calendar_time_of_the_kth_event():
    from workbench.power.sequential import data_at_events

    df = _t1_trial_data()
    before = df.copy()
    looks = data_at_events(df, [22, 44])
    pd_testing = pytest.importorskip("pandas.testing")
    pd_testing.assert_frame_equal(df, before)  # input not modified
    exits = np.sort((df["entry_time"] + df["time"])[df["event"] == 1].to_numpy())
    for (cut, part), d in zip(looks, [22, 44], strict=True):
        assert cut == exits[d - 1]
        assert int(part["event"].sum()) == d
        assert (part["entry_time"] <= cut).all()
        assert (part["entry_time"] + part["time"] <= cut + 1e-9).all()
        # patients followed past the cut are censored at it
        later = (df["entry_time"] + df["time"] > cut) & (df["entry_time"] <= cut)
        assert (part.loc[later[later].index, "event"] == 0).all()


def test_monitor_logrank_from_logrank_results():
    import workbench as wb
    from workbench.power.sequential import data_at_events

    df = _t1_trial_data()
    d = _asof3("less")
    looks = data_at_events(df, [22, 44])
    res = [wb.logrank_test(part, time="time", event="event", group="arm") for _, part in looks]
    m = monitor_logrank(d, results=res, experimental="combination", max_events=65)
    zs = []
    for r in res:
        j = list(r.groups).index("combination")
        zs.append((r.observed[j] - r.expected[j]) / math.sqrt(r.variance[j, j]))
    ref = monitor_logrank(d, z=zs, events=[22, 44], max_events=65)
    assert m.z == pytest.approx(ref.z, rel=1e-12)
    assert m.rci_upper == pytest.approx(ref.rci_upper, rel=1e-12)
    assert m.events == (22.0, 44.0)
    with pytest.raises(InvalidParameterError, match="experimental"):
        monitor_logrank(d, results=res, experimental="placebo", max_events=65)


def test_cli_power_survival_and_rates_with_kmax_match_rpact(capsys):
    o = CASES[SURV]["outputs"]
    code, out, _ = _cli(capsys, "power", "survival", "--p1", "0.27", "--p2", "0.47", "--at", "48",
                        "--accrual", "24", "--follow-up", "48", "--power", "0.8", "--sided", "1",
                        "--alpha", "0.025", "--kmax", "3", "--design", "asOF", "--json")
    assert code == 0
    res = json.loads(out)
    assert res["events_exact"] == pytest.approx(o["maxNumberOfEvents"], rel=1e-8)
    assert res["events_per_look"] == pytest.approx(o["eventsPerStage"], rel=1e-8)
    assert res["analysis_times"] == pytest.approx(o["analysisTime"], rel=1e-8)
    assert res["n_exact"] == pytest.approx([o["maxNumberOfSubjects1"],
                                            o["maxNumberOfSubjects2"]], rel=1e-8)
    assert res["n_total"] == o["derived_ceilings"]["maxNumberOfSubjects"]
    assert res["events_per_look_ceiling"] == o["derived_ceilings"]["eventsPerStage"]
    assert res["hazard_ratio_bounds"] == pytest.approx(o["criticalValuesEffectScale"], rel=1e-8)
    assert res["expected_events"]["h1"] == pytest.approx(o["expectedEventsH1"], rel=1e-8)
    r = CASES[RATES]["outputs"]
    code, out, _ = _cli(capsys, "power", "rates", "--p1", "0.27", "--p2", "0.47", "--power", "0.8",
                        "--sided", "1", "--alpha", "0.025", "--kmax", "3", "--json")
    assert code == 0
    res = json.loads(out)
    assert res["n_per_look"] == pytest.approx(r["numberOfSubjects"], rel=1e-8)
    assert res["n_total"] == r["derived_ceilings"]["maxNumberOfSubjects"]
    assert res["expected_n"]["h1"] == pytest.approx(r["expectedNumberOfSubjectsH1"], rel=1e-8)
    comp = SIM10["outputs"]["analytic_comparators"]["getPowerSurvival_65_events"]
    code, out, _ = _cli(capsys, "power", "survival", "--hr", str(SIM10["outputs"]["hazardRatio"]),
                        "--events", "65", "--sided", "1", "--alpha", "0.025", "--kmax", "3",
                        "--json")
    assert code == 0
    assert json.loads(out)["power"] == pytest.approx(comp["overallReject"], abs=P_TOL)


def test_cli_power_kmax_per_stage_keys_match_rpact(capsys):
    """events_per_stage (cumulative), n_per_stage, analysis_times, critical_values_effect."""
    o = CASES[SURV]["outputs"]
    code, out, _ = _cli(capsys, "power", "survival", "--p1", "0.27", "--p2", "0.47", "--at", "48",
                        "--accrual", "24", "--follow-up", "48", "--power", "0.8", "--sided", "1",
                        "--alpha", "0.025", "--kmax", "3", "--json")
    assert code == 0
    res = json.loads(out)
    assert res["events_per_stage"] == pytest.approx(o["eventsPerStage"], rel=1e-8)
    assert res["n_per_stage"] == pytest.approx(o["numberOfSubjects"], rel=1e-8)
    assert res["analysis_times"] == pytest.approx(o["analysisTime"], rel=1e-8)
    assert res["critical_values_effect"] == pytest.approx(o["criticalValuesEffectScale"],
                                                          rel=1e-8)
    r = CASES[RATES]["outputs"]
    code, out, _ = _cli(capsys, "power", "rates", "--p1", "0.27", "--p2", "0.47", "--power", "0.8",
                        "--sided", "1", "--alpha", "0.025", "--kmax", "3", "--json")
    res = json.loads(out)
    assert code == 0 and res["events_per_stage"] is None and res["analysis_times"] is None
    assert res["n_per_stage"] == pytest.approx(r["numberOfSubjects"], rel=1e-8)
    assert res["critical_values_effect"] == pytest.approx(r["criticalValuesEffectScale"],
                                                          abs=1e-7)
    # power at 65 events: events per look and rpact's hazard-ratio bounds exp(-c_k 2 / sqrt(D_k))
    code, out, _ = _cli(capsys, "power", "survival", "--hr", "0.5", "--events", "65", "--sided",
                        "1", "--alpha", "0.025", "--kmax", "3", "--json")
    res = json.loads(out)
    events = [65 / 3, 130 / 3, 65.0]
    assert res["events_per_stage"] == pytest.approx(events, rel=1e-12)
    assert res["critical_values_effect"] == pytest.approx(
        [math.exp(-c * 2 / math.sqrt(e))
         for c, e in zip(o["criticalValuesDesign"], events, strict=True)],
        abs=1e-7)


def test_cli_power_kmax_takes_the_spending_parameters(capsys):
    """--design asHSD --gamma -4 with looks at 0.4, 1: the first bound spends the HSD alpha(0.4),
    and P(Z1 < c1, Z2 < c2) = 1 - alpha (bivariate normal, corr sqrt(0.4); scipy)."""
    from scipy import stats

    code, out, _ = _cli(capsys, "power", "rates", "--p1", "0.27", "--p2", "0.47", "--power", "0.8",
                        "--sided", "1", "--alpha", "0.025", "--kmax", "2", "--info", "0.4,1",
                        "--design", "asHSD", "--gamma", "-4", "--json")
    assert code == 0
    c = json.loads(out)["critical_values"]
    a1 = 0.025 * (1 - math.exp(4 * 0.4)) / (1 - math.exp(4))
    assert c[0] == pytest.approx(stats.norm.isf(a1), abs=1e-9)
    r = math.sqrt(0.4)
    both = stats.multivariate_normal([0, 0], [[1, r], [r, 1]]).cdf(c)
    assert 1 - both == pytest.approx(0.025, abs=1e-7)
    for extra, option in ((["--design", "asKD", "--rho", "20"], "--rho"),
                          (["--design", "WT"], "--delta-wt"),
                          (["--design", "asHSD", "--gamma", "7"], "--gamma")):
        code, out, err = _cli(capsys, "power", "rates", "--p1", "0.3", "--p2", "0.5", "--power",
                              "0.8", "--kmax", "3", *extra)
        assert code == 2 and out == "" and option in err


@pytest.mark.parametrize("argv,option", [
    (["rates", "--p1", "0.3", "--p2", "0.5", "--power", "0.8", "--kmax", "3", "--info",
      "0.5,0.4,1"], "--info"),
    (["rates", "--p1", "0.3", "--p2", "0.5", "--power", "0.8", "--kmax", "2", "--design", "XX"],
     "--design"),
    (["rates", "--p1", "0.3", "--p2", "0.5", "--n", "100", "--kmax", "3"], "--power"),
    (["survival", "--p1", "0.3", "--p2", "0.5", "--at", "12", "--power", "0.8", "--kmax", "3"],
     "--follow-up"),
    (["survival", "--hr", "0.6", "--events", "-5", "--kmax", "3"], "--events"),
])
def test_cli_power_kmax_errors_name_the_option(capsys, argv, option):
    code, out, err = _cli(capsys, "power", *argv)
    assert code == 2 and out == "" and option in err


# ------------------------------------------------------------------------------------------
# the integration against brute-force simulation of the canonical joint distribution
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,drift", [
    (dict(kmax=5, information_rates=[0.15, 0.3, 0.55, 0.8, 1.0], type_of_design="asP",
          alternative="two-sided", alpha=0.05), 2.5),
    (dict(kmax=4, information_rates=[0.2, 0.5, 0.7, 1.0], futility="bsP", binding=True), 2.9),
    (dict(kmax=3, type_of_design="asKD", rho=2, futility=[-0.5, 0.8]), 0.0),
])
def test_crossing_probabilities_agree_with_brute_force_simulation(kw, drift):
    """Z_k = S(t_k) / sqrt(t_k) with S Brownian motion with drift: 400,000 paths, 4.5 MC SE."""
    d = group_sequential_design(**kw)
    res = boundary_crossing(d, drift)
    t = np.asarray(d.information_rates)
    rng = np.random.default_rng(12)
    n = 400_000
    inc = rng.standard_normal((n, t.size)) * np.sqrt(np.diff(np.r_[0.0, t])) + drift * np.diff(
        np.r_[0.0, t])
    z = np.cumsum(inc, axis=1) / np.sqrt(t)
    crit = np.asarray(d.critical_values)
    lower = res["lower_bound"].to_numpy()
    alive = np.ones(n, bool)
    for k in range(t.size):
        up = alive & (z[:, k] >= crit[k])
        lo = alive & ~up & (z[:, k] <= lower[k])
        for sim_p, p in ((up.mean(), res["p_upper"][k]), (lo.mean(), res["p_lower"][k])):
            se = math.sqrt(max(p * (1 - p), 1e-12) / n)
            assert abs(sim_p - p) <= 4.5 * se + 1e-6, (k, sim_p, p)
        alive &= ~(up | lo)


def test_linear_spending_is_the_same_in_both_families():
    kd = group_sequential_design(kmax=4, type_of_design="asKD", rho=1)
    hsd = group_sequential_design(kmax=4, type_of_design="asHSD", gamma=0)
    assert kd.critical_values == pytest.approx(hsd.critical_values, abs=1e-12)


def test_cli_monitor(capsys):
    code, out, _ = _cli(capsys, "design", "monitor", "--kmax", "3", "--z", "1.1,2.8",
                        "--reached", "0.35,0.62", "--json")
    assert code == 0
    res = json.loads(out)
    lib = monitor_sequential(_asof3("greater"), z=[1.1, 2.8], information_rates=[0.35, 0.62])
    assert res["critical_values"] == pytest.approx(lib.critical_values, abs=1e-9)
    assert res["decisions"] == ["continue", "reject H0"] and res["stop_look"] == 2
    # the bounds independently: O'Brien-Fleming-type spending at the information reached,
    # alpha(t) = 2 (1 - Phi(z_{1 - alpha/2} / sqrt(t))) with alpha = 0.025 (one-sided)
    t = [0.35, 0.62]
    spent = [2 * (1 - stats_norm_cdf(Z_OF / math.sqrt(x))) for x in t]
    c = _bounds_two_looks(spent, t)
    assert res["critical_values"] == pytest.approx(c, abs=1e-6)
    code, out, _ = _cli(capsys, "design", "monitor", "--z=-1.2,-2.9", "--events", "22,41",
                        "--max-events", "65", "--json")
    res = json.loads(out)
    lib = monitor_logrank(_asof3("less"), z=[-1.2, -2.9], events=[22, 41], max_events=65)
    assert code == 0 and res["rci_upper"] == pytest.approx(lib.rci_upper, rel=1e-9)
    # repeated CI upper bound on the hazard ratio: exp(z se + c se), se = 2 / sqrt(events)
    t = [22 / 65, 41 / 65]
    c = _bounds_two_looks([2 * (1 - stats_norm_cdf(Z_OF / math.sqrt(x))) for x in t], t)
    se = [2 / math.sqrt(22), 2 / math.sqrt(41)]
    expected = [math.exp(z * e + ck * e) for z, e, ck in zip([-1.2, -2.9], se, c, strict=True)]
    assert res["rci_upper"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("argv,option", [
    (["--z", "1,2", "--reached", "0.5,0.4"], "--reached"),
    (["--z", "1,2", "--events", "30,25", "--max-events", "65"], "--events"),
    (["--z", "1,2", "--events", "30,35"], "--max-events"),
    (["--z", "1,2,3", "--reached", "0.3,0.6"], "--reached"),
    (["--z", "4,1", "--reached", "0.3,0.6"], "--z"),
])
def test_cli_monitor_errors_name_the_option(capsys, argv, option):
    code, out, err = _cli(capsys, "design", "monitor", *argv)
    assert code == 2 and out == "" and option in err


def test_cli_options_that_do_not_apply_give_one_warning_line(capsys):
    code, out, err = _cli(capsys, "design", "sequential", "--binding", "--json")
    assert code == 0 and json.loads(out)["futility_bounds"] is None
    assert err.strip().splitlines() == ["workbench design: warning: `--binding` is ignored "
                                        "without futility bounds."]
    code, out, err = _cli(capsys, "power", "rates", "--p1", "0.3", "--p2", "0.5", "--power",
                          "0.8", "--kmax", "3", "--rho", "3", "--json")
    assert code == 0 and "`--rho`" in err and err.count("\n") == 1


def test_simulated_futility_stops_come_with_their_monte_carlo_error():
    from workbench.power.sequential import simulate_survival_sequential

    d = group_sequential_design(kmax=3, futility="bsOF", alternative="less")
    sim = simulate_survival_sequential(d, _sim_trial(), events=[22, 44, 65], n_reps=400, rng=2)
    p = np.asarray(sim.futility_per_look)
    assert p.sum() > 0
    tab = sim.summary
    np.testing.assert_allclose(tab["futility_mcse"][:2], np.sqrt(p * (1 - p) / 400))
    assert math.isnan(tab["futility_mcse"][2])
    assert sim.early_stop_mcse == pytest.approx(
        math.sqrt(sim.early_stop * (1 - sim.early_stop) / 400))


# ------------------------------------------------------------------------------------------
# the side of the test: alternative ("greater", "less", "two-sided"; rpact's sided kept as a
# read-only property), and the library defaults the command line uses
# ------------------------------------------------------------------------------------------
def test_alternative_less_is_the_mirrored_one_sided_design():
    g = group_sequential_design(kmax=3, futility="bsOF")
    less = group_sequential_design(kmax=3, futility="bsOF", alternative="less")
    two = group_sequential_design(kmax=3, alpha=0.05, alternative="two-sided")
    assert (g.alternative, g.sided, less.sided, two.sided) == ("greater", 1, 1, 2)
    assert less.critical_values == g.critical_values
    assert less.futility_bounds == g.futility_bounds and less.power == g.power
    assert less.to_dict()["alternative"] == "less" and less.to_dict()["sided"] == 1
    assert "alternative: less" in str(less)
    t = [1 / 3, 2 / 3, 1]
    assert spending_function("asOF", 0.025, t, alternative="less") == pytest.approx(
        spending_function("asOF", 0.025, t), abs=0)
    with pytest.raises(InvalidParameterError, match="alternative"):
        spending_function("asOF", 0.025, t, alternative=1)
    # monitoring flips the sign of z for "less" and reports the oriented statistic
    mg = monitor_sequential(g, z=[-0.5, 2.6], information_rates=[0.34, 0.66])
    ml = monitor_sequential(less, z=[0.5, -2.6], information_rates=[0.34, 0.66])
    assert ml.decisions == mg.decisions == ("futility bound crossed (non-binding)", "reject H0")
    assert ml.z == mg.z == pytest.approx((-0.5, 2.6))
    assert ml.critical_values == pytest.approx(mg.critical_values, abs=1e-14)
    # two-sided monitoring rejects on either side
    m2 = monitor_sequential(two, z=[-4.0], information_rates=[0.34])
    assert m2.decisions == ("reject H0",)


def test_monitor_logrank_takes_the_side_from_the_design():
    less = monitor_logrank(_asof3("less"), z=[-1.2, -2.9], events=[22, 41], max_events=65)
    greater = monitor_logrank(_asof3("greater"), z=[1.2, 2.9], events=[22, 41], max_events=65)
    assert less.decisions == greater.decisions == ("continue", "reject H0")
    assert less.z == greater.z
    # the estimates are the hazard ratios of the data, whatever the side
    assert less.estimates == pytest.approx(1 / np.asarray(greater.estimates), rel=1e-12)
    wrong = monitor_logrank(_asof3("greater"), z=[-1.2, -2.9], events=[22, 41], max_events=65)
    assert wrong.decisions == ("continue", "continue")


def test_sample_size_needs_the_design_on_the_side_of_the_effect():
    with pytest.raises(InvalidParameterError, match="alternative"):
        sample_size_survival_sequential(_asof3("greater"), p1=0.27, p2=0.47, event_time=48,
                                        accrual_time=24, follow_up=48)
    with pytest.raises(InvalidParameterError, match="alternative"):
        sample_size_rates_sequential(_asof3("greater"), p1=0.27, p2=0.47)
    # non-inferiority with higher rates better: H0 p1 - p2 <= margin < 0, alternative "greater"
    ni = sample_size_rates_sequential(_asof3("greater"), p1=0.5, p2=0.5, margin=-0.1)
    assert ni.direction_upper and ni.margin == -0.1 and (ni.p1, ni.p2) == (0.5, 0.5)
    with pytest.raises(InvalidParameterError, match="alternative"):
        sample_size_rates_sequential(_asof3("less"), p1=0.5, p2=0.5, margin=-0.1)
    # a two-sided design takes the direction of the effect, as rpact's directionUpper
    two = group_sequential_design(kmax=3, alpha=0.05, alternative="two-sided")
    a = sample_size_rates_sequential(two, p1=0.27, p2=0.47)
    b = sample_size_rates_sequential(two, p1=0.47, p2=0.27)
    assert a.max_subjects == pytest.approx(b.max_subjects, rel=1e-12)
    assert not a.direction_upper and b.direction_upper


def test_power_side_and_hazard_ratio_bounds_against_rpact():
    o = CASES[SURV]["outputs"]
    s = sample_size_survival_sequential(_asof3("less"), p1=0.27, p2=0.47, event_time=48,
                                        accrual_time=24, follow_up=48)
    p = power_survival_sequential(_asof3("less"), max_events=s.max_events,
                                  hazard_ratio=s.hazard_ratio)
    # at the planned events, power 0.8 and rpact's hazard-ratio bounds (criticalValuesEffectScale)
    assert p.power == pytest.approx(0.8, abs=1e-8)
    assert p.critical_values_effect_scale == pytest.approx(o["criticalValuesEffectScale"],
                                                           rel=1e-8)
    assert list(p.summary["hazard_ratio_bound"]) == list(p.critical_values_effect_scale)
    assert hazard_ratio_bounds(_asof3("less").critical_values, s.events_per_look,
                               alternative="less") == pytest.approx(
        o["criticalValuesEffectScale"], rel=1e-8)
    up = hazard_ratio_bounds([2.0, 1.5], [30, 60], alternative="greater", allocation_ratio=2,
                             theta_h0=1.2)
    assert up == pytest.approx([1.2 * math.exp(c * 3 / math.sqrt(2 * e))
                                for c, e in ((2.0, 30), (1.5, 60))], rel=1e-14)
    with pytest.raises(InvalidParameterError, match="alternative"):
        hazard_ratio_bounds([2.0], [30], alternative="two-sided")
    with pytest.raises(InvalidParameterError, match="events"):
        hazard_ratio_bounds([2.0, 1.0], [30], alternative="less")
    # "greater" at the reciprocal hazard ratio is the same test; two-sided designs take the
    # direction of the effect
    q = power_survival_sequential(_asof3("greater"), max_events=65,
                                  hazard_ratio=1 / s.hazard_ratio)
    r = power_survival_sequential(_asof3("less"), max_events=65, hazard_ratio=s.hazard_ratio)
    assert q.power == pytest.approx(r.power, rel=1e-12)
    two = group_sequential_design(kmax=3, alpha=0.05, alternative="two-sided")
    t1 = power_survival_sequential(two, max_events=65, hazard_ratio=0.5)
    t2 = power_survival_sequential(two, max_events=65, hazard_ratio=2.0)
    assert t1.power == pytest.approx(t2.power, rel=1e-12) and t1.power > 0.5
    assert t1.critical_values_effect_scale == pytest.approx(
        1 / np.asarray(t2.critical_values_effect_scale), rel=1e-12)


def test_default_accrual_and_dropout_times_are_rpacts(capsys):
    from workbench.power.sequential import DEFAULT_ACCRUAL_TIME, DEFAULT_DROPOUT_TIME

    assert DEFAULT_ACCRUAL_TIME == 12.0 and DEFAULT_DROPOUT_TIME == 12.0  # rpact's defaults
    s = sample_size_survival_sequential(_asof3("less"), p1=0.27, p2=0.47, event_time=48,
                                        follow_up=48, dropout_rate1=0.1, dropout_rate2=0.1)
    assert s.accrual_time == DEFAULT_ACCRUAL_TIME and s.dropout_time == DEFAULT_DROPOUT_TIME
    # the command line fills in the same defaults for --accrual and --dropout-at
    code, out, _ = _cli(capsys, "power", "survival", "--p1", "0.27", "--p2", "0.47", "--at", "48",
                        "--follow-up", "48", "--dropout", "0.1", "--power", "0.8",
                        "--alternative", "less", "--alpha", "0.025", "--kmax", "3", "--json")
    assert code == 0
    assert json.loads(out)["n_exact"] == pytest.approx([s.max_subjects1, s.max_subjects2],
                                                       rel=1e-9)


def test_cli_alternative_and_its_sided_alias(capsys):
    base = ["power", "survival", "--p1", "0.27", "--p2", "0.47", "--at", "48", "--accrual", "24",
            "--follow-up", "48", "--power", "0.8", "--alpha", "0.025", "--kmax", "3", "--json"]
    _, out, _ = _cli(capsys, *base, "--alternative", "less")
    new = json.loads(out)
    _, out, _ = _cli(capsys, *base, "--sided", "1")
    old = json.loads(out)
    assert new == old and (new["alternative"], new["sided"]) == ("less", 1)
    _, out, _ = _cli(capsys, *base, "--alternative", "two-sided")
    _, out2, _ = _cli(capsys, *base)  # --sided 2 is the default of `power survival`
    assert json.loads(out) == json.loads(out2) and json.loads(out)["sided"] == 2
    code, out, err = _cli(capsys, *base, "--alternative", "greater")
    assert code == 2 and out == "" and "--alternative" in err
    rates = ["power", "rates", "--p1", "0.27", "--p2", "0.47", "--power", "0.8", "--alpha",
             "0.025", "--kmax", "3", "--json"]
    _, out, _ = _cli(capsys, *rates, "--alternative", "less")
    _, out2, _ = _cli(capsys, *rates, "--sided", "1")
    assert json.loads(out) == json.loads(out2)
    # without --kmax, --alternative is the fixed design's own
    code, out, _ = _cli(capsys, "power", "rates", "--p1", "0.27", "--p2", "0.47", "--power",
                        "0.8", "--alternative", "less", "--json")
    assert code == 0 and json.loads(out)["alternative"] == "less"
    code, out, err = _cli(capsys, *rates, "--sided", "3")
    assert code == 2 and "--sided" in err
    # power at given events: --sided 1 is the direction of the hazard ratio
    ev = ["power", "survival", "--hr", "2", "--events", "65", "--alpha", "0.025", "--kmax", "3",
          "--json"]
    _, out, _ = _cli(capsys, *ev, "--sided", "1")
    _, out2, _ = _cli(capsys, *ev, "--alternative", "greater")
    assert json.loads(out) == json.loads(out2) and json.loads(out)["power"] > 0.5


def test_cli_design_alternative_and_its_sided_alias(capsys):
    _, out, _ = _cli(capsys, "design", "sequential", "--alternative", "two-sided", "--alpha",
                     "0.05", "--json")
    _, out2, _ = _cli(capsys, "design", "sequential", "--sided", "2", "--alpha", "0.05", "--json")
    res = json.loads(out)
    assert res == json.loads(out2)
    assert (res["settings"]["alternative"], res["settings"]["sided"]) == ("two-sided", 2)
    _, out, _ = _cli(capsys, "design", "sequential", "--json")
    assert json.loads(out)["settings"]["alternative"] == "greater"
    # log-rank monitoring: --sided 1 (and the default) is a hazard ratio below 1
    argv = ["design", "monitor", "--z=-1.2,-2.9", "--events", "22,41", "--max-events", "65",
            "--json"]
    outs = []
    for extra in ([], ["--sided", "1"], ["--alternative", "less"]):
        code, out, _ = _cli(capsys, *argv, *extra)
        assert code == 0
        outs.append(json.loads(out))
    assert outs[0] == outs[1] == outs[2] and outs[0]["decisions"] == ["continue", "reject H0"]
    code, out, _ = _cli(capsys, "design", "monitor", "--z=-1.1,-2.8", "--reached", "0.35,0.62",
                        "--alternative", "less", "--json")
    assert code == 0 and json.loads(out)["decisions"] == ["continue", "reject H0"]
    code, out, err = _cli(capsys, "design", "sequential", "--sided", "3")
    assert code == 2 and out == "" and "--sided" in err


def test_simulation_takes_the_side_from_the_design():
    from workbench.power.sequential import simulate_survival_sequential

    two = group_sequential_design(kmax=3, alpha=0.05, alternative="two-sided")
    with pytest.raises(InvalidParameterError, match="alternative"):
        simulate_survival_sequential(two, _sim_trial(), events=[22, 44, 65], n_reps=10)
    with pytest.warns(StatisticalWarning, match="other direction"):
        sim = simulate_survival_sequential(_asof3("greater"), _sim_trial(), events=[22, 44, 65],
                                           n_reps=200, rng=3)
    assert sim.power < 0.05


def test_data_at_events_takes_data_first():
    from workbench import DataValidationError
    from workbench.power.sequential import data_at_events

    df = _t1_trial_data()
    assert len(data_at_events(data=df, events=[22])) == 1
    with pytest.raises(DataValidationError, match="data"):
        data_at_events(df.iloc[:0], [1])
