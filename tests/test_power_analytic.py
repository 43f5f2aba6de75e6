"""Closed-form power and sample size against R rpact 3.3.4 and pwr 1.3 (tests/reference).

Every case of sample_size_rates.json and sample_size_survival.json is checked: unrounded values to
1e-6 relative, rounded-up sizes exactly. The R calls behind each number are in
tests/reference/r/sample_size_rates.R and sample_size_survival.R (copied in each case's
``inputs``).
"""

from __future__ import annotations

import math
from functools import partial

import pytest

from tests import helpers
from tests.helpers import ref_case as _ref
from tests.helpers import reference_params as _cases
from workbench.exceptions import InvalidParameterError
from workbench.power.analytic import (
    event_probability,
    events_freedman,
    events_schoenfeld,
    farrington_manning_rmle,
    hazard_ratio_from_probabilities,
    power_rates,
    power_survival,
    power_ttest,
)

RTOL = 1e-6

# close(x, y, rtol=RTOL): pytest.approx at rtol (abs 1e-12); R's NA matches only None
close = partial(helpers.close, rel=RTOL, na_is_nan=False)


def alternative(sided, effect):
    """The reference's ``sided`` as ``alternative``: two-sided, or one-sided in the direction of
    the effect (experimental minus control; the log hazard ratio)."""
    if sided == 2:
        return "two-sided"
    return "less" if effect < 0 else "greater"


# --------------------------------------------------------------------------------------------
# rates
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", _cases("sample_size_rates.json", "rpact_ss_rates_p"))
def test_rpact_sample_size_rates(case):
    i, o = case["inputs"], case["outputs"]
    res = power_rates(i["pi1"], i["pi2"], power=i["power"], alpha=i["alpha"],
                      alternative=alternative(i["sided"], i["pi1"] - i["pi2"]),
                      allocation_ratio=i["allocationRatioPlanned_n1_over_n2"])
    assert close(res.n_exact[0], o["n1"])
    assert close(res.n_exact[1], o["n2"])
    assert close(sum(res.n_exact), o["n_total"])
    assert res.n_per_arm == [o["ceiling_per_arm"]["n1"], o["ceiling_per_arm"]["n2"]]
    assert res.n_total == o["ceiling_total"]
    # the power at the exact size reproduces the target (far tail negligible)
    back = power_rates(i["pi1"], i["pi2"], n1=res.n_exact[0], n2=res.n_exact[1])
    assert back.power == pytest.approx(i["power"], abs=1e-5)
    assert back.power >= i["power"]


@pytest.mark.parametrize("case", _cases("sample_size_rates.json", "rpact_power_rates"))
def test_rpact_power_rates(case):
    i, o = case["inputs"], case["outputs"]
    res = power_rates(i["pi1"], i["pi2"], n1=i["n1"], n2=i["n2"], alpha=i["alpha"],
                      alternative=alternative(i["sided"], i["pi1"] - i["pi2"]))
    assert close(res.power, o["power"])
    assert close(res.power, o["hand_formula"]["power_rpact_form"])
    assert res.n_per_arm == [i["n1"], i["n2"]]


@pytest.mark.parametrize("case", _cases("sample_size_rates.json", "pwr_2p_ss"))
def test_pwr_2p_sample_size(case):
    i, o = case["inputs"], case["outputs"]
    res = power_rates(i["pi1"], i["pi2"], power=i["power"], alpha=i["alpha"], method="arcsine")
    assert close(res.effect_size, o["h"])
    assert close(res.n_exact[0], o["n_per_group"])
    assert res.n_per_arm == [o["ceiling_per_group"]] * 2
    assert res.n_total == o["ceiling_total"]


@pytest.mark.parametrize("case", _cases("sample_size_rates.json", "pwr_2p2n_ss"))
def test_pwr_2p2n_sample_size_unequal(case):
    i, o = case["inputs"], case["outputs"]
    # R: uniroot on pwr.2p2n.test(h, n1, n2 = 2 n1); sizes rounded in whole 1:2 blocks
    res = power_rates(i["pi1"], i["pi2"], power=i["power"], alpha=i["alpha"], method="arcsine",
                      allocation_ratio=0.5, rounding="allocation")
    assert close(res.n_exact[0], o["n1"])
    assert close(res.n_exact[1], o["n2"])
    assert res.n_per_arm == [o["ceiling_n1"], o["ceiling_n2"]]


@pytest.mark.parametrize("case", _cases("sample_size_rates.json", "pwr_2p2n_power"))
def test_pwr_2p2n_power(case):
    i, o = case["inputs"], case["outputs"]
    res = power_rates(i["pi1"], i["pi2"], n1=i["n1"], n2=i["n2"], alpha=i["alpha"],
                      method="arcsine")
    assert close(res.effect_size, o["h"])
    assert close(res.power, o["power"])


@pytest.mark.parametrize("case", _cases("sample_size_rates.json", "rpact_ss_rates_noninferiority"))
def test_rpact_noninferiority_farrington_manning(case):
    i, o = case["inputs"], case["outputs"]
    hf = o["hand_formula_farrington_manning"]
    p1t, p2t = farrington_manning_rmle(i["pi1"], i["pi2"], i["thetaH0"], 1.0)
    assert close(p1t, hf["p1_tilde"]) and close(p2t, hf["p2_tilde"])
    # the side follows the margin: negative (higher rates better), so H1: p1 - p2 > margin
    res = power_rates(i["pi1"], i["pi2"], power=i["power"], alpha=i["alpha"],
                      alternative="greater", margin=i["thetaH0"])
    assert close(res.n_exact[0], o["n1"])
    assert close(res.n_exact[1], o["n2"])
    assert res.n_per_arm == [o["ceiling_per_arm"]["n1"], o["ceiling_per_arm"]["n2"]]
    # solving for power at the exact size returns the target
    back = power_rates(i["pi1"], i["pi2"], n1=res.n_exact[0], n2=res.n_exact[1], alpha=i["alpha"],
                       alternative="greater", margin=i["thetaH0"])
    assert back.power == pytest.approx(i["power"], rel=1e-10)


def test_rates_solvers_round_trip_effect_and_power():
    res = power_rates(None, 0.47, n1=41, n2=51, power=0.8)
    assert res.p1 < 0.47
    assert power_rates(res.p1, 0.47, n1=41, n2=51).power == pytest.approx(0.8, rel=1e-10)
    # two-sided, p1 above p2: the same test on the complementary outcome
    up = 1 - power_rates(None, 1 - 0.47, n1=41, n2=51, power=0.8).p1
    assert up > 0.47
    assert power_rates(up, 0.47, n1=41, n2=51).power == pytest.approx(0.8, rel=1e-10)
    greater = power_rates(None, 0.47, n1=41, n2=51, power=0.8, alternative="greater")
    assert 0.47 < greater.p1 < up  # one-sided: all of alpha in the upper tail
    assert power_rates(greater.p1, 0.47, n1=41, n2=51, alternative="greater").power == (
        pytest.approx(0.8, rel=1e-10))
    h = power_rates(None, 0.47, n1=90, n2=90, power=0.8, method="arcsine")
    assert power_rates(h.p1, 0.47, n1=90, n2=90, method="arcsine").power == pytest.approx(0.8)


def test_rates_arms_swapped_give_the_same_size():
    a = power_rates(0.27, 0.47, power=0.8, allocation_ratio=0.5)
    b = power_rates(0.47, 0.27, power=0.8, allocation_ratio=2.0)
    assert a.n_exact == pytest.approx(b.n_exact[::-1], rel=1e-12)


def test_given_total_is_split_without_changing_it():
    r = power_rates(0.27, 0.47, n_total=100, allocation_ratio=0.5)
    assert r.n_exact == pytest.approx([100 / 3, 200 / 3])
    assert r.n_per_arm == [33, 67] and r.n_total == 100


def test_rates_two_sided_power_option_and_dropout():
    from scipy import optimize, stats

    one = power_rates(0.57, 0.68, power=0.8)
    both = power_rates(0.57, 0.68, power=0.8, two_sided_power=True)
    assert both.n_exact[0] < one.n_exact[0]
    back = power_rates(0.57, 0.68, n1=both.n_exact[0], n2=both.n_exact[1])
    assert back.power == pytest.approx(0.8, rel=1e-9)

    # the both-tails power written out (rpact's form, hand_formula$power_rpact_form in the
    # reference file: pooled SE under H0, unpooled under H1) and solved for n per arm here
    def rpact_power(n, p1=0.57, p2=0.68):
        z = stats.norm.ppf(0.975)
        s0 = math.sqrt((p1 + p2) / 2 * (1 - (p1 + p2) / 2) * 2 / n)
        s1 = math.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n)
        drift = abs(p1 - p2) / s1 + z * (1 - s0 / s1)
        return stats.norm.cdf(drift - z) + stats.norm.cdf(-drift - z)

    ref = _ref("sample_size_rates.json", "rpact_power_rates_p57_p68_n25_26")["outputs"]
    assert power_rates(0.57, 0.68, n1=25, n2=26).power == pytest.approx(
        ref["hand_formula"]["power_rpact_form"], rel=1e-9)
    n = optimize.brentq(lambda n: rpact_power(n) - 0.8, 10, 1000, xtol=1e-12)
    assert both.n_exact == pytest.approx([n, n], rel=1e-8)
    # the default solves the one-tail equation: rpact getSampleSizeRates
    o = _ref("sample_size_rates.json", "rpact_ss_rates_p57_p68_pow80_alloc1")["outputs"]
    assert one.n_exact == pytest.approx([o["n1"], o["n2"]], rel=1e-6)
    d = power_rates(0.27, 0.47, power=0.8, dropout=0.2)
    assert d.n_per_arm == [math.ceil(90.2907158080716 / 0.8)] * 2
    o = _ref("sample_size_rates.json", "rpact_ss_rates_p27_p47_pow80_alloc1")["outputs"]
    assert d.n_per_arm == [math.ceil(o["n1"] / 0.8), math.ceil(o["n2"] / 0.8)]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(p1=0.27, p2=0.47, power=1.2), "power"),
        (dict(p1=0.27, p2=0.47, power=0.8, alpha=0), "alpha"),
        (dict(p1=0.3, p2=0.3, power=0.8), "p1"),
        (dict(p1=0.27, p2=0.47, margin=-0.1, alternative="greater", alpha=0.025, power=0.8),
         "margin"),
        (dict(p1=0.23, p2=0.23, margin=-0.1, power=0.8), "alternative"),
        (dict(p1=0.23, p2=0.23, margin=-0.1, alternative="less", power=0.8), "alternative"),
        (dict(p1=0.27, p2=0.47, alternative="greater", power=0.8), "alternative"),
        (dict(p1=0.27, p2=0.47, alternative=1, power=0.8), "alternative"),
        (dict(p1=0.27, p2=0.47), "None"),
        (dict(p1=0.27, p2=0.47, power=0.8, n1=10, n2=10), "None"),
        (dict(p1=0.27, p2=0.47, power=0.8, method="exact"), "method"),
        (dict(p1=0.27, p2=0.47, power=0.8, allocation_ratio=0), "allocation_ratio"),
    ],
)
def test_rates_bad_input(kwargs, name):
    with pytest.raises(InvalidParameterError, match=name):
        power_rates(**kwargs)


def test_rates_unreachable_power_says_so():
    with pytest.raises(InvalidParameterError, match="cannot be reached"):
        power_rates(None, 0.47, n1=3, n2=3, power=0.99, alternative="greater")


# --------------------------------------------------------------------------------------------
# survival
# --------------------------------------------------------------------------------------------
_METHOD = {"Schoenfeld": "schoenfeld", "Freedman": "freedman", "HsiehFreedman": "hsieh-freedman"}


@pytest.mark.parametrize("case", _cases("sample_size_survival.json", "rpact_ss_surv"))
def test_rpact_sample_size_survival(case):
    i, o = case["inputs"], case["outputs"]
    res = power_survival(
        p1=i["pi1"], p2=i["pi2"], at=i["eventTime"], accrual_time=i["accrualTime"],
        follow_up=i["followUpTime"], dropout_probability=i["dropoutRate1"],
        dropout_time=i["dropoutTime"], power=i["power"], alpha=i["alpha"],
        alternative=alternative(i["sided"], i["pi1"] - i["pi2"]),
        allocation_ratio=i["allocationRatioPlanned"], method=_METHOD[i["typeOfComputation"]],
    )
    assert close(res.hazard_ratio, o["hazard_ratio"])
    assert close(res.lambda1, o["lambda1"]) and close(res.lambda2, o["lambda2"])
    assert close(res.events_exact, o["events_required"])
    assert close(res.n_total_exact, o["n_total"])
    assert close(res.n_exact[0], o["n1"]) and close(res.n_exact[1], o["n2"])
    assert close(res.n_total_exact / i["accrualTime"], o["accrual_intensity"])
    assert close(res.analysis_time, o["analysis_time"])
    hf = o["hand_formula"]
    assert close(res.p_event[0], hf["p_event_arm1"]) and close(res.p_event[1], hf["p_event_arm2"])
    c = o["derived_ceilings"]
    assert res.events == c["events"]
    assert res.n_per_arm == [c["n1"], c["n2"]]
    assert res.n_total == c["n_total"]


@pytest.mark.parametrize("case", _cases("sample_size_survival.json", "rpact_power_surv"))
def test_rpact_power_survival_from_events(case):
    i, o = case["inputs"], case["outputs"]
    res = power_survival(
        p1=i["pi1"], p2=i["pi2"], at=i["eventTime"], events=i["maxNumberOfEvents"],
        allocation_ratio=i["allocationRatioPlanned"], alpha=i["alpha"],
        alternative=alternative(i["sided"], i["pi1"] - i["pi2"]),
        method=_METHOD[i["typeOfComputation"]],
    )
    assert close(res.power, o["power"])
    assert close(res.hazard_ratio, o["hazard_ratio"])


@pytest.mark.parametrize(
    "case", _cases("sample_size_survival.json", "rpact_power_surv_n92_41v51_expected_events")
)
def test_rpact_power_survival_from_patients(case):
    """Power of the 41 vs 51 trial from its patients: events = N x P(event by month 72)."""
    i, o = case["inputs"], case["outputs"]
    res = power_survival(
        p1=i["pi1"], p2=i["pi2"], at=i["eventTime"], n1=i["n1"], n2=i["n2"],
        accrual_time=i["accrualTime"], follow_up=i["followUpTime"], alpha=i["alpha"],
        alternative=alternative(i["sided"], i["pi1"] - i["pi2"]),
        method=_METHOD[i["typeOfComputation"]],
    )
    ep = o["event_probabilities_month72"]
    assert close(res.p_event[0], ep["arm1"]) and close(res.p_event[1], ep["arm2"])
    assert close(res.p_event_overall, ep["overall"])
    assert close(res.events_exact, o["events"])
    assert close(res.power, o["power"])
    assert res.n_per_arm == [41, 51]


@pytest.mark.parametrize("case", _cases("sample_size_survival.json", "events_formula"))
def test_events_formulas(case):
    i, o = case["inputs"], case["outputs"]
    hr, pw = i["hazard_ratio"], i["power"]
    assert close(events_schoenfeld(hr, power=pw), o["events_schoenfeld"])
    assert close(events_freedman(hr, power=pw), o["events_freedman"])
    assert close(events_schoenfeld(hr, power=pw), o["rpact_eventsFixed_schoenfeld"])
    for method, key in (("schoenfeld", "schoenfeld"), ("freedman", "freedman")):
        res = power_survival(hr, power=pw, method=method)
        assert close(res.events_exact, o[f"events_{key}"])
        assert res.events == o[f"ceiling_{key}"]
        assert res.n_total is None  # no control hazard: events only


def test_hazard_ratio_and_event_probability_helpers():
    # rpact getSampleSizeSurvival for 27% vs 47% by month 48, 10% drop-out by month 12
    o = _ref("sample_size_survival.json", "rpact_ss_surv_p27_p47_pow80_dropout10_schoenfeld")[
        "outputs"]
    hr = hazard_ratio_from_probabilities(0.27, 0.47, 48)
    assert hr == pytest.approx(0.495702496845866, rel=1e-12)
    assert hr == pytest.approx(o["hazard_ratio"], rel=1e-12)
    lam = -math.log(1 - 0.27) / 48
    g = -math.log(0.9) / 12
    p_event = event_probability(lam, accrual_time=24, follow_up=48, dropout_rate=g)
    assert p_event == pytest.approx(0.256206891850912, rel=1e-12)
    assert p_event == pytest.approx(o["hand_formula"]["p_event_arm1"], rel=1e-12)
    # and in closed form: uniform entry over 24 months, followed 48 to 72 months, competing
    # exponential drop-out, h = lam + g: P = lam / h * (1 - (e^{-48 h} - e^{-72 h}) / (24 h))
    h = lam + g
    closed = lam / h * (1 - (math.exp(-48 * h) - math.exp(-72 * h)) / (24 * h))
    assert p_event == pytest.approx(closed, rel=1e-12)
    # fixed follow-up of 48 months per patient: exactly the probability by 48 months
    fixed = event_probability(lam, accrual_time=24, follow_up=48, follow_up_type="fixed")
    assert fixed == pytest.approx(0.27)


def test_survival_solvers_round_trip():
    base = dict(p2=0.47, at=48, accrual_time=24, follow_up=48)
    res = power_survival(None, n_total=148, power=0.8, **base)
    assert res.hazard_ratio < 1
    back = power_survival(res.hazard_ratio, n_total=148, **base)
    assert back.power == pytest.approx(0.8, rel=1e-10)
    e = power_survival(None, events=64, power=0.8)
    # Schoenfeld, 1:1: |log HR| = 2 (z_a + z_b) / sqrt(D) up to the far tail's mass
    z = 1.959963984540054 + 0.8416212335729143
    assert math.log(e.hazard_ratio) == pytest.approx(-2 * z / 8, rel=1e-4)
    assert power_survival(e.hazard_ratio, events=64).power == pytest.approx(0.8, rel=1e-10)
    # two-sided power option: solve events from both tails
    d = power_survival(0.7, power=0.8, two_sided_power=True)
    assert power_survival(0.7, events=d.events_exact).power == pytest.approx(0.8, rel=1e-9)


def test_survival_fixed_follow_up_and_allocation():
    fixed = power_survival(p1=0.27, p2=0.47, at=48, accrual_time=24, follow_up=48,
                           follow_up_type="fixed", power=0.8)
    # every patient followed 48 months: P(event) is (0.27 + 0.47) / 2
    assert fixed.p_event_overall == pytest.approx(0.37)
    assert fixed.n_total_exact == pytest.approx(fixed.events_exact / 0.37)
    a = power_survival(0.6, power=0.9, allocation_ratio=2)
    assert a.events_exact == pytest.approx(events_schoenfeld(0.6, power=0.9, allocation_ratio=2))
    assert a.events_exact > power_survival(0.6, power=0.9).events_exact


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(hazard_ratio=1.0, power=0.8), "hazard_ratio"),
        (dict(p1=0.3, p2=0.3, at=48, power=0.8), "p1"),
        (dict(hazard_ratio=0.5, power=0.0), "power"),
        (dict(hazard_ratio=0.5, power=0.8, alpha=1.5), "alpha"),
        (dict(p1=0.27, p2=0.47, at=48, power=0.8, follow_up=0), "follow_up"),
        (dict(p1=0.27, p2=0.47, at=48, power=0.8, follow_up=48, accrual_time=-1), "accrual_time"),
        (dict(p1=0.27, p2=0.47, power=0.8), "at"),
        (dict(hazard_ratio=0.5, n_total=100, power=None), "p2"),
        (dict(hazard_ratio=0.5, power=0.8, alternative="two.sided"), "alternative"),
        (dict(hazard_ratio=0.5, power=0.8, alternative="greater"), "alternative"),
        (dict(p1=0.47, p2=0.27, at=48, power=0.8, alternative="less"), "alternative"),
        (dict(hazard_ratio=0.5, power=0.8, method="lakatos"), "method"),
    ],
)
def test_survival_bad_input(kwargs, name):
    with pytest.raises(InvalidParameterError, match=name):
        power_survival(**kwargs)


# --------------------------------------------------------------------------------------------
# the side of the test: alternative
# --------------------------------------------------------------------------------------------
GS = helpers.reference_cases("group_sequential.json")


def test_one_sided_in_the_direction_of_the_effect_is_rpacts_sided_1():
    # rpact getSampleSizeRates / getSampleSizeSurvival with a one-sided 2.5% design: nFixed and
    # eventsFixed (H1: pi1 < pi2, hazard ratio below 1, so "less")
    rates = GS["ss_rates_k3_asOF_p27_p47_alpha025_1sided_power80"]
    i = rates["inputs"]
    res = power_rates(i["pi1"], i["pi2"], power=i["power"], alpha=i["alpha"], alternative="less")
    assert close(sum(res.n_exact), rates["outputs"]["nFixed"])
    assert res.alternative == "less" and res.sided == 1
    surv = GS["ss_survival_k3_asOF_p27_p47_t48_accrual24_followup48_power80"]
    i = surv["inputs"]
    res = power_survival(p1=i["pi1"], p2=i["pi2"], at=i["eventTime"], power=i["power"],
                         alpha=i["alpha"], alternative="less", accrual_time=i["accrualTime"],
                         follow_up=i["followUpTime"])
    assert close(res.events_exact, surv["outputs"]["eventsFixed"])
    assert close(events_schoenfeld(res.hazard_ratio, power=0.8, alpha=0.025, alternative="less"),
                 surv["outputs"]["eventsFixed"])
    # arms swapped: the effect and the alternative change sign, the numbers do not
    a = power_rates(0.27, 0.47, n1=41, n2=51, alpha=0.025, alternative="less")
    b = power_rates(0.47, 0.27, n1=51, n2=41, alpha=0.025, alternative="greater")
    assert a.power == pytest.approx(b.power, rel=1e-12)
    t_less = power_ttest(-0.5, n1=30, n2=30, alternative="less")
    assert t_less.power == pytest.approx(power_ttest(0.5, n1=30, n2=30,
                                                     alternative="greater").power, rel=1e-12)
    assert power_ttest(0.5, power=0.8, alternative="greater").n_exact == pytest.approx(
        power_ttest(-0.5, power=0.8, alternative="less").n_exact, rel=1e-12)


def test_one_sided_power_against_an_effect_the_other_way():
    from scipy import stats

    z = stats.norm.ppf(0.975)
    # normal approximation: P(Z > z) with Z = (p1_hat - p2_hat) / s0 and p1 - p2 = -0.2
    p1, p2, n1, n2 = 0.27, 0.47, 41, 51
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    s0 = math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
    s1 = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    wrong = power_rates(p1, p2, n1=n1, n2=n2, alpha=0.025, alternative="greater").power
    assert wrong == pytest.approx(stats.norm.cdf((p1 - p2 - z * s0) / s1), rel=1e-12)
    assert wrong < 1e-4
    # arcsine, as R pwr: pwr.2p2n.test(h, n1, n2, alternative = "greater") with h < 0 is
    # pnorm(h sqrt(n1 n2 / (n1 + n2)) - qnorm(1 - alpha)); the two one-sided powers at alpha / 2
    # add up to the two-sided power at alpha
    h = 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))
    drift = h * math.sqrt(n1 * n2 / (n1 + n2))
    kw = dict(n1=n1, n2=n2, method="arcsine")
    up = power_rates(p1, p2, alpha=0.025, alternative="greater", **kw).power
    down = power_rates(p1, p2, alpha=0.025, alternative="less", **kw).power
    assert up == pytest.approx(stats.norm.cdf(drift - z), rel=1e-12)
    assert down == pytest.approx(stats.norm.cdf(-drift - z), rel=1e-12)
    assert up + down == pytest.approx(power_rates(p1, p2, **kw).power, rel=1e-12)
    # log-rank (Schoenfeld): the same identity, E(Z) = log(HR) sqrt(D) / 2
    up = power_survival(0.5, events=66, alpha=0.025, alternative="greater").power
    down = power_survival(0.5, events=66, alpha=0.025, alternative="less").power
    assert up == pytest.approx(stats.norm.cdf(math.log(0.5) * math.sqrt(66) / 2 - z), rel=1e-12)
    assert up + down == pytest.approx(power_survival(0.5, events=66).power, rel=1e-12)
    # t-test: the noncentral t's upper tail with a negative noncentrality
    df, nc = 58, -0.5 * math.sqrt(15)
    t_wrong = power_ttest(-0.5, n1=30, n2=30, alternative="greater").power
    assert t_wrong == pytest.approx(stats.nct.sf(stats.t.ppf(0.95, df), df, nc), rel=1e-9)


@pytest.mark.parametrize(
    "call",
    [
        lambda: power_rates(0.27, 0.47, power=0.8, alternative="greater"),
        lambda: power_rates(0.27, 0.47, power=0.8, alternative="greater", method="arcsine"),
        lambda: power_survival(0.5, power=0.8, alternative="greater"),
        lambda: power_survival(p1=0.47, p2=0.27, at=48, power=0.8, alternative="less"),
        lambda: events_schoenfeld(1.5, alternative="less"),
        lambda: events_freedman(0.5, alternative="greater"),
        lambda: power_ttest(0.5, power=0.8, alternative="less"),
    ],
)
def test_no_sample_size_for_an_effect_the_other_way(call):
    with pytest.raises(InvalidParameterError, match="alternative.*assumed effect lies the other"):
        call()


def test_solving_for_the_effect_follows_the_alternative():
    less = power_survival(None, events=64, power=0.8, alpha=0.025, alternative="less")
    greater = power_survival(None, events=64, power=0.8, alpha=0.025, alternative="greater")
    assert less.hazard_ratio < 1 < greater.hazard_ratio
    assert math.log(less.hazard_ratio) == pytest.approx(-math.log(greater.hazard_ratio))
    assert power_survival(None, events=64, power=0.8).hazard_ratio < 1  # two-sided: below 1
    t = power_ttest(None, n1=64, n2=64, power=0.8, alternative="less")
    assert t.effect_size < 0
    assert power_ttest(t.effect_size, n1=64, n2=64, alternative="less").power == pytest.approx(
        0.8, rel=1e-8)


def test_noninferiority_side_follows_the_margin():
    o = _ref("sample_size_rates.json", "rpact_ss_rates_noninferiority_p23_p23_margin10_pow80")[
        "outputs"]
    res = power_rates(0.23, 0.23, margin=-0.1, alternative="greater", alpha=0.025, power=0.8)
    assert close(res.n_exact[0], o["n1"])
    # lower rates better: the mirror image, margin +0.1 and alternative "less"
    mirror = power_rates(0.77, 0.77, margin=0.1, alternative="less", alpha=0.025, power=0.8)
    assert mirror.n_exact == pytest.approx(res.n_exact, rel=1e-10)
    with pytest.raises(InvalidParameterError, match="alternative.*'greater'"):
        power_rates(0.23, 0.23, margin=-0.1, alternative="two-sided", power=0.8)


def test_survival_accrual_time_defaults_to_rpacts_12_months():
    kw = dict(p1=0.27, p2=0.47, at=48, follow_up=48, power=0.8)
    default = power_survival(**kw)
    assert default.accrual_time == 12 and default.analysis_time == 60
    assert default.n_total_exact == power_survival(accrual_time=12, **kw).n_total_exact
    # no accrual period: everyone followed 48 months, as fixed follow-up
    at_once = power_survival(accrual_time=0, **kw)
    fixed = power_survival(follow_up_type="fixed", **kw)
    assert at_once.p_event_overall == pytest.approx(fixed.p_event_overall, rel=1e-12)
    assert at_once.p_event_overall == pytest.approx((0.27 + 0.47) / 2, rel=1e-12)
    assert default.p_event_overall > at_once.p_event_overall  # 48 to 60 months of follow-up
    assert default.events_exact == at_once.events_exact  # events do not depend on accrual


# --------------------------------------------------------------------------------------------
# t-test
# --------------------------------------------------------------------------------------------
def test_ttest_published_values():
    # R: pwr.t.test(d = 0.5, power = 0.8) -> n = 63.76561 per group; power.t.test(n = 20,
    # delta = 1, sd = 1) -> power = 0.8689528
    res = power_ttest(0.5, power=0.8)
    assert res.n_exact[0] == pytest.approx(63.76561, rel=1e-6)
    assert res.n_per_arm == [64, 64]
    res20 = power_ttest(difference=1.0, sd=1.0, n1=20, n2=20)
    assert res20.power == pytest.approx(0.8689528, rel=1e-6)
    d = power_ttest(None, n1=64, n2=64, power=0.8)
    assert power_ttest(d.effect_size, n1=64, n2=64).power == pytest.approx(0.8, rel=1e-8)


def test_ttest_bad_input():
    with pytest.raises(InvalidParameterError, match="effect_size"):
        power_ttest(0.0, power=0.8)
    with pytest.raises(InvalidParameterError, match="power"):
        power_ttest(0.5, power=1.0)


def test_grant_paragraph_reads_the_side_from_alternative():
    from workbench.power.report import grant_paragraph

    for make in (lambda **kw: power_rates(0.27, 0.47, power=0.8, **kw),
                 lambda **kw: power_survival(0.5, power=0.8, **kw),
                 lambda **kw: power_ttest(-0.5, power=0.8, **kw)):
        two = grant_paragraph(make(), references=False)
        one = grant_paragraph(make(alpha=0.025, alternative="less"), references=False)
        assert "a two-sided" in two and "one-sided" not in two
        assert "a one-sided" in one and "two-sided" not in one


def test_ttest_detectable_effect_with_few_patients():
    # the solver passes effect sizes where statsmodels' two-sided power is NaN (the noncentral
    # t's far tail); there the normal limit stands in
    d = power_ttest(None, n1=40, n2=40, power=0.8)
    assert power_ttest(d.effect_size, n1=40, n2=40).power == pytest.approx(0.8, rel=1e-8)
    from statsmodels.stats.power import TTestIndPower

    assert d.effect_size == pytest.approx(
        TTestIndPower().solve_power(nobs1=40, ratio=1.0, alpha=0.05, power=0.8), rel=1e-6)
