"""``workbench power rates|survival|simulate`` against the rpact/pwr reference values."""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests import helpers
from tests.helpers import reference_cases
from workbench.analysis.rates import two_proportion_pvalues
from workbench.cli import main

RATES = reference_cases("sample_size_rates")
SURV = reference_cases("sample_size_survival")
KEYS = {"n_per_arm", "n_total", "n_exact", "events", "events_exact", "power", "hazard_ratio",
        "mcse", "alpha", "sided"}
T1 = "--p1 0.27 --p2 0.47 --at 48"            # the maintenance scenario
T1_TRIAL = T1 + " --accrual 24 --follow-up 48"


# `workbench power` on one command line: run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8")
run_json = partial(helpers.run_json, command=["power"], split=True, add_json=True, keys=KEYS)


def exact_rejection(n1, p1, n2, p2, *, alpha=0.05, margin=None):
    """Exact rejection rate of the simulated test for fixed arm sizes (drop-outs imputed as
    failures: each arm's count is binomial with its imputed rate), both binomials enumerated.
    Without a margin the two-sided pooled z-test (Pearson's chi-square, written out here), with
    one the one-sided Farrington-Manning test (p-values checked against R in
    tests/test_rates_analysis.py)."""
    x1, x2 = np.arange(n1 + 1)[:, None], np.arange(n2 + 1)[None, :]
    weight = stats.binom.pmf(x1, n1, p1) * stats.binom.pmf(x2, n2, p2)
    if margin is None:
        pbar = (x1 + x2) / (n1 + n2)
        with np.errstate(invalid="ignore"):  # 0/0: everyone alike, no rejection
            z = (x1 / n1 - x2 / n2) / np.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
        reject = np.abs(z) >= stats.norm.ppf(1 - alpha / 2)
    else:
        reject = two_proportion_pvalues(x1, n1, x2, n2, test="farrington-manning",
                                        margin=margin) <= alpha
    return float((weight * reject).sum())


def schoenfeld_power_from_rpact(case_id, n_total):
    """Both-tails Schoenfeld power of ``n_total`` patients (1:1) from rpact's sample size for the
    same scenario: expected events are proportional to the patients."""
    o = SURV[case_id]["outputs"]
    drift = math.sqrt(n_total * o["events_required"] / o["n_total"] / 4) * abs(
        math.log(o["hazard_ratio"]))
    z = stats.norm.ppf(0.975)
    return stats.norm.cdf(drift - z) + stats.norm.cdf(-drift - z)


run_error = partial(helpers.run_error, command=["power"], split=True, stdout_empty=False)


def test_rates_sample_size_matches_rpact(capsys):
    o = RATES["rpact_ss_rates_p27_p47_pow80_alloc1to2"]["outputs"]
    d = run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8 --ratio 0.5")
    assert d["n_exact"] == pytest.approx([o["n1"], o["n2"]], rel=1e-6)
    assert d["n_per_arm"] == [o["ceiling_per_arm"]["n1"], o["ceiling_per_arm"]["n2"]]
    assert d["n_total"] == o["ceiling_total"]
    assert d["events"] is None and d["mcse"] is None and d["sided"] == 2


def test_rates_power_and_arcsine_match_references(capsys):
    d = run_json(capsys, "rates --p1 0.27 --p2 0.47 --n1 41 --n2 51")
    ref = RATES["rpact_power_rates_p27_p47_n41_51"]["outputs"]["power"]
    assert d["power"] == pytest.approx(ref, rel=1e-6)
    assert d["n_per_arm"] == [41, 51]
    d = run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8 --method arcsine")
    ref = RATES["pwr_2p_ss_p27_p47_pow80"]["outputs"]["n_per_group"]
    assert d["n_exact"][0] == pytest.approx(ref, rel=1e-6)
    assert d["n_per_arm"] == [90, 90]


def test_rates_noninferiority(capsys):
    o = RATES["rpact_ss_rates_noninferiority_p23_p23_margin10_pow80"]["outputs"]
    d = run_json(capsys, "rates --p1 0.23 --p2 0.23 --margin -0.1 --sided 1 --alpha 0.025 "
                         "--power 0.8")
    assert d["n_exact"][0] == pytest.approx(o["n1"], rel=1e-6)
    assert d["n_per_arm"] == [280, 280]


@pytest.mark.parametrize(("power", "dropout"), [(80, 0), (80, 10), (90, 10)])
def test_survival_sample_size_matches_rpact(capsys, power, dropout):
    o = SURV[f"rpact_ss_surv_p27_p47_pow{power}_dropout{dropout:02d}_schoenfeld"]["outputs"]
    d = run_json(capsys, f"survival {T1_TRIAL} --dropout {dropout / 100} --dropout-at 12 "
                         f"--power {power / 100}")
    assert d["events_exact"] == pytest.approx(o["events_required"], rel=1e-6)
    assert d["n_exact"] == pytest.approx([o["n1"], o["n2"]], rel=1e-6)
    assert d["hazard_ratio"] == pytest.approx(o["hazard_ratio"], rel=1e-9)
    c = o["derived_ceilings"]
    assert d["events"] == c["events"]
    assert d["n_per_arm"] == [c["n1"], c["n2"]] and d["n_total"] == c["n_total"]


def test_survival_power_from_patients_and_from_events(capsys):
    o = SURV["rpact_power_surv_n92_41v51_expected_events_at_month72_schoenfeld"]["outputs"]
    d = run_json(capsys, f"survival {T1_TRIAL} --n1 41 --n2 51")
    assert d["power"] == pytest.approx(o["power"], rel=1e-6)
    assert d["events_exact"] == pytest.approx(o["events"], rel=1e-6)
    o = SURV["rpact_power_surv_n92_41v51_events_fixed_48_month_followup_freedman"]["outputs"]
    d = run_json(capsys, f"survival {T1} --events 35.04 --ratio {41 / 51} --method freedman")
    assert d["power"] == pytest.approx(o["power"], rel=1e-6)
    e = SURV["events_formula_hr07_pow90"]["outputs"]
    d = run_json(capsys, "survival --hr 0.7 --power 0.9")
    assert d["events_exact"] == pytest.approx(e["events_schoenfeld"], rel=1e-6)
    assert d["events"] == e["ceiling_schoenfeld"] and d["n_total"] is None


def test_text_output_has_the_paragraph(capsys):
    assert main(["power", "survival", *T1_TRIAL.split(), "--power", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "events 64" in out and "Schoenfeld 1983" in out and "148 patients (74 per arm)" in out


@pytest.mark.parametrize(
    ("command", "option"),
    [
        ("rates --p1 0.27 --p2 0.47 --power 1.5", "--power"),
        ("rates --p1 0.27 --p2 0.47 --power 0.8 --alpha 0", "--alpha"),
        ("rates --p1 0.3 --p2 0.3 --power 0.8", "--p1"),
        ("rates --p1 0.27 --p2 0.47 --margin -0.1 --sided 1 --power 0.8", "--margin"),
        ("rates --p1 0.27 --p2 0.47", "--power"),
        ("survival --hr 1 --power 0.8", "--hazard-ratio"),
        ("survival --hazard-ratio 0.5 --power 0.8 --alternative greater", "--alternative"),
        ("rates --p1 0.27 --p2 0.47 --power 0.8 --sided 1 --alternative greater", "--sided"),
        ("rates --p1 0.27 --p2 0.47 --power 0.8 --sided 3", "--sided"),
        ("rates --p1 0.23 --p2 0.23 --margin -0.1 --power 0.8", "--alternative"),
        (f"survival {T1} --follow-up 48 --dropout 0.1 --dropout-rate 0.01 --power 0.8",
         "--dropout-rate"),
        ("survival --hr 0.5 --power 0.8 --alpha 1.2", "--alpha"),
        (f"survival {T1} --accrual -2 --follow-up 48 --power 0.8", "--accrual"),
        (f"survival {T1} --accrual 24 --follow-up 0 --power 0.8", "--follow-up"),
        ("survival --hr 0.5 --power 0.8 --n 100", "--power"),
        ("survival --hr 0.5 --n 100", "--p2"),
        ("simulate t1 --reps 0", "--reps"),
        ("simulate no/such/design.yaml --reps 10", "DESIGN"),
    ],
)
def test_bad_input_names_the_option(capsys, command, option):
    assert option in run_error(capsys, command)


def test_alternative_and_its_alias_sided(capsys):
    """--sided 1 is the one-sided test in the direction of the effect: --alternative less for
    p1 < p2 (a hazard ratio below 1), greater for a negative non-inferiority margin."""
    two = run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8")
    assert (two["alternative"], two["sided"]) == ("two-sided", 2)
    one = run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8 --alpha 0.025 --sided 1")
    less = run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8 --alpha 0.025 "
                            "--alternative less")
    assert one == less and (one["alternative"], one["sided"]) == ("less", 1)
    # one-sided at 2.5% solves the same one-tail equation as two-sided at 5% (rpact)
    assert one["n_exact"] == pytest.approx(two["n_exact"], rel=1e-12)
    ni = run_json(capsys, "rates --p1 0.23 --p2 0.23 --margin -0.1 --alternative greater "
                          "--alpha 0.025 --power 0.8")
    assert ni["alternative"] == "greater" and ni["n_per_arm"] == [280, 280]
    s1 = run_json(capsys, f"survival {T1_TRIAL} --power 0.8 --alpha 0.025 --sided 1")
    s2 = run_json(capsys, f"survival {T1_TRIAL} --power 0.8 --alpha 0.025 --alternative less")
    assert s1 == s2 and s1["alternative"] == "less"
    hr = run_json(capsys, "survival --hr 1.5 --events 100 --sided 1")
    assert hr["alternative"] == "greater"
    # the power to reject in the wrong direction: P(Z > z_0.975) with E(Z) = log(0.5) sqrt(66) / 2
    wrong = run_json(capsys, "survival --hazard-ratio 0.5 --events 66 --alternative greater "
                             "--alpha 0.025")
    z = stats.norm.ppf(0.975)
    assert wrong["power"] == pytest.approx(stats.norm.cdf(math.log(0.5) * math.sqrt(66) / 2 - z),
                                           rel=1e-12)


def test_alternative_with_a_group_sequential_design(capsys):
    # --alternative less is --sided 1 for a hazard ratio below 1; the JSON names it
    kmax = "--power 0.8 --alpha 0.025 --kmax 3"
    a = run_json(capsys, f"survival {T1_TRIAL} {kmax} --sided 1")
    b = run_json(capsys, f"survival {T1_TRIAL} {kmax} --alternative less")
    assert a == b and b["alternative"] == "less"
    assert "--alternative" in run_error(capsys, f"survival {T1_TRIAL} {kmax} --alternative "
                                                "greater")


def test_renamed_options_keep_their_old_spelling(capsys):
    new = run_json(capsys, "survival --p1 0.27 --p2 0.47 --at 48 --accrual-time 24 --follow-up 48 "
                           "--allocation-ratio 0.5 --power 0.8")
    old = run_json(capsys, "survival --p1 0.27 --p2 0.47 --at 48 --accrual 24 --follow-up 48 "
                           "--ratio 0.5 --power 0.8")
    assert new == old and new["accrual_time"] == 24 and new["allocation_ratio"] == 0.5
    assert run_json(capsys, "survival --hazard-ratio 0.5 --events 66") == run_json(
        capsys, "survival --hr 0.5 --events 66")
    assert run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8 --allocation-ratio 2") == (
        run_json(capsys, "rates --p1 0.27 --p2 0.47 --power 0.8 --ratio 2"))
    # without --accrual-time: rpact's 12 months
    d = run_json(capsys, f"{'survival'} {T1} --follow-up 48 --power 0.8")
    assert d["accrual_time"] == 12 and d["analysis_time"] == 60
    # loss to follow-up as a hazard: the same as 10% by month 12
    rate = -math.log(0.9) / 12
    by_rate = run_json(capsys, f"survival {T1_TRIAL} --dropout-rate {rate!r} --power 0.8")
    by_prob = run_json(capsys, f"survival {T1_TRIAL} --dropout 0.1 --dropout-at 12 --power 0.8")
    assert by_rate["n_exact"] == pytest.approx(by_prob["n_exact"], rel=1e-12)
    assert by_rate["n_per_arm"] == by_prob["n_per_arm"]


def test_help_names_the_aliases(capsys):
    for verb, aliases in (("rates", ("--ratio", "--sided")),
                          ("survival", ("--hr", "--ratio", "--accrual", "--sided"))):
        with pytest.raises(SystemExit):
            main(["power", verb, "--help"])
        out = capsys.readouterr().out
        for alias in aliases:
            assert f"alias: {alias}" in out or "alias of --alternative" in out


def test_unreachable_power_says_so(capsys):
    err = run_error(capsys, "rates --p1 0.22 --p2 0.2201 --power 0.8")
    assert "cannot be reached" in err


def test_simulate_design_file(capsys, tmp_path):
    from workbench.design import SurvivalDesign

    d = SurvivalDesign.from_probabilities({"combination": 0.27, "pharmacotherapy": 0.47}, at=48,
                                          n_total=148, accrual_time=24, follow_up=48,
                                          follow_up_type="calendar")
    path = tmp_path / "design.yaml"
    path.write_text(d.to_yaml())
    a = run_json(capsys, f"simulate {path} --reps 1000 --seed 5")
    b = run_json(capsys, f"simulate {path} --reps 1000 --seed 5 --chunk-size 500")
    assert a["power"] == b["power"] and a["type1_error"] == b["type1_error"]
    assert a["n_per_arm"] == [74, 74] and a["hazard_ratio"] == pytest.approx(0.4957, abs=1e-4)
    case = "rpact_ss_surv_p27_p47_pow80_dropout00_schoenfeld"
    assert a["hazard_ratio"] == pytest.approx(SURV[case]["outputs"]["hazard_ratio"], rel=1e-9)
    assert a["closed_form_power"] == pytest.approx(schoenfeld_power_from_rpact(case, 148),
                                                   rel=1e-9)
    assert abs(a["power"] - a["closed_form_power"]) <= 3 * a["mcse"]
    assert a["mcse"] == pytest.approx((a["power"] * (1 - a["power"]) / 1000) ** 0.5)


def test_simulate_binary_design_file(capsys, tmp_path):
    from workbench.design import load_design

    path = tmp_path / "t4.yaml"
    path.write_text(load_design("t4").to_yaml())
    d = run_json(capsys, f"simulate {path} --reps 1000 --seed 2 --no-type1")
    assert d["design_type"] == "BinaryDesign" and d["type1_error"] is None
    assert abs(d["power"] - d["closed_form_power"]) <= 3 * d["mcse"]
    # T4: 25 vs 26 patients, 57% vs 68%: rpact getPowerRates, and the test's exact power
    ref = RATES["rpact_power_rates_p57_p68_n25_26"]["outputs"]["power"]
    assert d["closed_form_power"] == pytest.approx(ref, rel=1e-6)
    assert abs(d["power"] - exact_rejection(25, 0.57, 26, 0.68)) <= 3 * d["mcse"]


def test_simulate_noninferiority_design_file_is_one_sided_by_default(capsys):
    # T5 (synthetic_data): PDT vs CBT, margin -10 points, 10% drop-out counted as non-remission
    path = Path(__file__).parents[1] / "synthetic_data" / "t2_t6_remission" / "t5_design.yaml"
    d = run_json(capsys, f"simulate {path} --reps 3000 --seed 6")
    assert (d["sided"], d["alpha"]) == (1, 0.025)
    # imputed rates 0.23 in both arms, 117 and 116 patients: power of the Farrington-Manning
    # test (rpact getPowerRates, thetaH0 = -0.1, one-sided 2.5%), its restricted maximum
    # likelihood estimates found here numerically
    import math

    from scipy import optimize, stats

    p, m, n1, n2 = 0.23, -0.1, 117, 116

    def loglik(b):  # expected log-likelihood at p1 = b + m, p2 = b
        a = b + m
        return -(n1 * (p * math.log(a) + (1 - p) * math.log(1 - a))
                 + n2 * (p * math.log(b) + (1 - p) * math.log(1 - b)))

    q2 = optimize.minimize_scalar(loglik, bounds=(-m + 1e-9, 1 - 1e-9), method="bounded",
                                  options={"xatol": 1e-12}).x
    q1 = q2 + m
    s0 = (q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2) ** 0.5
    s1 = (p * (1 - p) / n1 + p * (1 - p) / n2) ** 0.5
    closed = stats.norm.cdf((-m - stats.norm.ppf(0.975) * s0) / s1)
    assert d["closed_form_power"] == pytest.approx(closed, abs=1e-7)
    assert abs(d["power"] - closed) <= 3 * d["mcse"]
    assert abs(d["type1_error"] - 0.025) <= 3 * d["type1_mcse"] + 0.003
    # exactly (binomial counts at the imputed rates): the 0.003 is the test's own distance from
    # 2.5% at this size, not Monte Carlo error
    size = exact_rejection(n1, p + m, n2, p, alpha=0.025, margin=m)
    assert abs(size - 0.025) <= 0.003
    assert abs(d["type1_error"] - size) <= 3 * d["type1_mcse"], (d["type1_error"], size)
    assert abs(d["power"] - exact_rejection(n1, p, n2, p, alpha=0.025, margin=m)) <= 3 * d["mcse"]
    err = run_error(capsys, f"simulate {path} --reps 100 --sided 2")
    assert "--sided" in err


@pytest.mark.parametrize("power", ["80", "90"])
def test_rates_arcsine_allocation_blocks_match_pwr(capsys, power):
    # R: uniroot on pwr.2p2n.test(h, n1, n2 = 2 n1), sizes rounded up in whole 1:2 blocks
    o = RATES[f"pwr_2p2n_ss_p27_p47_pow{power}_alloc1to2"]["outputs"]
    d = run_json(capsys, f"rates --p1 0.27 --p2 0.47 --power 0.{power} --ratio 0.5 "
                         "--method arcsine --rounding allocation")
    assert d["n_exact"] == pytest.approx([o["n1"], o["n2"]], rel=1e-6)
    assert d["n_per_arm"] == [o["ceiling_n1"], o["ceiling_n2"]]
    per_arm = run_json(capsys, f"rates --p1 0.27 --p2 0.47 --power 0.{power} --ratio 0.5 "
                               "--method arcsine")
    assert per_arm["n_per_arm"] == [o["ceiling_n1"], -int(-o["n2"] // 1)]


def test_rates_paragraph_counts_the_patients_of_n_per_arm(capsys):
    # 92 patients split 2:1 are 61 + 31 (not 62 + 31 rounded up separately)
    argv = ["power", "rates", "--p1", "0.27", "--p2", "0.47", "--n", "92", "--ratio", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "n per arm 61 + 31 = 92" in out and "With 92 evaluable patients (61 " in out
    assert main(["power", "rates", "--p1", "0.27", "--p2", "0.47", "--power", "0.8",
                 "--ratio", "0.7", "--rounding", "allocation"]) == 0
    out = capsys.readouterr().out
    assert "84 + 120 = 204" in out and "requires 204 evaluable patients (84 " in out


def test_simulate_three_arm_design_file_with_arms(capsys):
    # T3 (synthetic_data): PDT, sertraline and placebo; compare PDT with placebo. Imputed rates
    # 0.22 (51 patients) and 0.20 (53): rpact getPowerRates' two-sided power, computed here
    from scipy import stats

    path = Path(__file__).parents[1] / "synthetic_data" / "t2_t6_remission" / "t3_design.yaml"
    err = run_error(capsys, f"simulate {path} --reps 100")
    assert "compares two" in err and "--arms" in err
    d = run_json(capsys, f"simulate {path} --reps 4000 --seed 2 --arms pdt,placebo")
    assert d["arm_names"] == ["pdt", "placebo"] and d["n_per_arm"] == [51, 53]
    p1, p2, n1, n2 = 0.22, 0.20, 51, 53
    pbar = (n1 * p1 + n2 * p2) / (n1 + n2)
    s0 = (pbar * (1 - pbar) * (1 / n1 + 1 / n2)) ** 0.5
    s1 = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) ** 0.5
    z = stats.norm.ppf(0.975)
    drift = abs(p1 - p2) / s1 + z * (1 - s0 / s1)
    closed = stats.norm.cdf(drift - z) + stats.norm.cdf(-drift - z)
    assert d["closed_form_power"] == pytest.approx(closed, rel=1e-9)
    assert abs(d["power"] - closed) <= 3 * d["mcse"] + 0.01  # discrete test, small n
    assert abs(d["type1_error"] - 0.05) <= 3 * d["type1_mcse"] + 0.01
    # the 0.01 above is the test's discreteness; against its exact rejection rates (binomial
    # counts at the imputed rates) only Monte Carlo error remains
    assert abs(d["power"] - exact_rejection(n1, p1, n2, p2)) <= 3 * d["mcse"]
    assert abs(d["type1_error"] - exact_rejection(n1, p2, n2, p2)) <= 3 * d["type1_mcse"]
    err = run_error(capsys, f"simulate {path} --reps 100 --arms pdt,nothing")
    assert "--arms" in err


def test_paragraph_names_the_outcome_and_the_source(capsys):
    argv = ["power", "survival", *T1_TRIAL.split(), "--power", "0.8", "--outcome", "recurrence",
            "--source", "trial T1, 4-year recurrence"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    # rpact getSampleSizeSurvival: 63.75 events -> 64, 146.48 patients -> 74 per arm
    assert "requires 64 recurrences" in out and "(trial T1, 4-year recurrence)" in out
    assert "148 patients (74 per arm)" in out


def test_survival_defaults_are_rpacts_dropout_time(capsys):
    # rpact's dropoutTime defaults to 12: `--dropout 0.1` alone is the reference dropout case
    o = SURV["rpact_ss_surv_p27_p47_pow80_dropout10_schoenfeld"]["outputs"]
    d = run_json(capsys, f"survival {T1_TRIAL} --dropout 0.1 --power 0.8")
    assert d["n_exact"] == pytest.approx([o["n1"], o["n2"]], rel=1e-6)
