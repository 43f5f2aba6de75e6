"""Rates analysis against R 4.2.2 (tests/reference/rates_analysis.json, made by
tests/reference/r/rates_analysis.R with the functions of tests/reference/r/lib_rates.R).

R's arm 1 is the experimental arm and differences are arm 1 minus arm 2, so the workbench is
called with ``reference="arm2"`` (group minus reference). Tolerances: 1e-6 relative for estimates
and intervals, 1e-8 absolute for p-values.
"""

from __future__ import annotations

import json
import math
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import workbench.analysis.rates as R
from tests import helpers
from tests.helpers import reference_cases
from workbench.analysis.rates import significance as S
from workbench.exceptions import (
    ConvergenceError,
    DataValidationError,
    InvalidParameterError,
    StatisticalWarning,
)

CASES = reference_cases("rates_analysis")
TWO_ARM = [cid for cid, c in CASES.items() if "x1" in c["inputs"]]
K_ARM = [cid for cid, c in CASES.items() if "x" in c["inputs"]]
RTOL = 1e-6
PTOL = 1e-8


# close(a, b, rtol=RTOL): relative agreement (math.isclose, absolute rtol * 1e-3 near zero); None
# in the reference is R's NA = NaN here
close = partial(helpers.close, rel=RTOL, abs=lambda rtol: rtol * 1e-3, symmetric=True)


def counts(cid):
    i = CASES[cid]["inputs"]
    return dict(events=[i["x1"], i["x2"]], totals=[i["n1"], i["n2"]], labels=["arm1", "arm2"],
                reference="arm2")


def out(cid):
    return CASES[cid]["outputs"]


# ---------------------------------------------------------------------------- per-arm rates
@pytest.mark.parametrize("cid", list(CASES))
@pytest.mark.parametrize("method,key", [("wilson", "wilson"),
                                        ("clopper-pearson", "clopper_pearson"),
                                        ("wilson-cc", "wilson_cc")])
def test_arm_rate_intervals_match_r(cid, method, key):
    i = CASES[cid]["inputs"]
    x = i.get("x", [i.get("x1"), i.get("x2")])
    n = i.get("n", [i.get("n1"), i.get("n2")])
    r = R.arm_rates(events=x, totals=n, method=method)
    for j, arm in enumerate(out(cid)["per_arm"].values()):
        assert close(r.rate[j], arm["p"])
        assert close(r.ci_lower[j], arm[key]["lower"]), (j, r.ci_lower[j], arm[key]["lower"])
        assert close(r.ci_upper[j], arm[key]["upper"])


# ---------------------------------------------------------------------------- two-arm effects
@pytest.mark.parametrize("cid", TWO_ARM)
def test_risk_difference_newcombe_and_wald_match_r(cid):
    o = out(cid)["risk_difference"]
    nc = R.risk_difference(**counts(cid))
    assert nc.method == "newcombe" and nc.group == "arm1" and nc.reference == "arm2"
    assert close(nc.estimate, o["rd"])
    assert close(nc.ci_lower, o["newcombe_hybrid_score"]["lower"])
    assert close(nc.ci_upper, o["newcombe_hybrid_score"]["upper"])
    w = R.risk_difference(**counts(cid), method="wald")
    assert close(w.se, o["se_wald"])
    assert close(w.ci_lower, o["wald"]["lower"]) and close(w.ci_upper, o["wald"]["upper"])


@pytest.mark.parametrize("cid", TWO_ARM)
def test_risk_difference_wald_cc_matches_prop_test(cid):
    o = out(cid)["prop_test_2sample"]
    r = R.risk_difference(**counts(cid), method="wald-cc")
    assert close(r.ci_lower, o["yates"]["conf_int_rd"][0])
    assert close(r.ci_upper, o["yates"]["conf_int_rd"][1])
    r = R.risk_difference(**counts(cid), method="wald")
    assert close(r.ci_lower, o["no_correction"]["conf_int_rd"][0])


@pytest.mark.parametrize("cid", TWO_ARM)
def test_relative_risk_matches_r(cid):
    o = out(cid)["relative_risk"]
    r = R.relative_risk(**counts(cid))
    assert r.correction == "none"
    assert close(r.estimate, o["rr"]) and close(r.se, o["se_log_rr"])
    assert close(r.ci_lower, o["lower"]) and close(r.ci_upper, o["upper"])
    # metafor::escalc cross-check of log RR and its variance
    e = out(cid)["metafor_escalc_crosscheck"]["RR"]
    assert close(math.log(r.estimate), e["yi"]) and close(r.se**2, e["vi"])


@pytest.mark.parametrize("cid", TWO_ARM)
def test_odds_ratio_woolf_matches_r(cid):
    o = out(cid)["odds_ratio"]
    r = R.odds_ratio(**counts(cid))
    assert close(r.estimate, o["or"]) and close(r.se, o["se_log_or"])
    assert close(r.ci_lower, o["lower"]) and close(r.ci_upper, o["upper"])
    e = out(cid)["metafor_escalc_crosscheck"]["OR"]
    assert close(r.se**2, e["vi"])


@pytest.mark.parametrize("cid", TWO_ARM)
def test_odds_ratio_fisher_matches_fisher_test(cid):
    o = out(cid)["fisher"]
    r = R.odds_ratio(**counts(cid), method="fisher")
    assert close(r.estimate, o["conditional_mle_or"])
    assert close(r.ci_lower, o["conf_int"][0]) and close(r.ci_upper, o["conf_int"][1])
    # R's uniroot tolerance (1.2e-4) leaves the MLE within ~1e-4 of scipy's exact root
    from scipy.stats.contingency import odds_ratio as sp_or

    i = CASES[cid]["inputs"]
    exact = sp_or([[i["x1"], i["n1"] - i["x1"]], [i["x2"], i["n2"] - i["x2"]]], kind="conditional")
    assert r.estimate == pytest.approx(exact.statistic, rel=1e-4)
    assert r.ci_lower == pytest.approx(exact.confidence_interval().low, rel=1e-3)


@pytest.mark.parametrize("cid", TWO_ARM)
def test_two_arm_tests_match_r(cid):
    o = out(cid)
    c = counts(cid)
    for correction, key in ((False, "no_correction"), (True, "yates")):
        t = R.chi_square_test(events=c["events"], totals=c["totals"], correction=correction)
        ref = o["prop_test_2sample"][key]
        assert close(t.statistic, ref["statistic_X_squared"])
        assert t.df == ref["df"]
        assert t.p_value == pytest.approx(ref["p"], abs=PTOL)
        assert t.correction == ("yates" if correction else "none")
    f = R.fisher_exact_test(**c)
    assert f.p_value == pytest.approx(o["fisher"]["p"], abs=PTOL)
    assert close(f.odds_ratio, o["fisher"]["conditional_mle_or"])


@pytest.mark.parametrize("cid", TWO_ARM)
@pytest.mark.parametrize("rd_method,key", [("newcombe", "from_newcombe"), ("wald", "from_wald")])
def test_nnt_matches_r(cid, rd_method, key):
    o = out(cid)["nnt"]
    r = R.number_needed_to_treat(**counts(cid), rd_method=rd_method)
    assert close(r.nnt, o["nnt"]) and close(r.nnt_abs, o["nnt_abs"])
    ref = o[key]
    assert r.ci_excludes_zero == ref["ci_excludes_zero"]
    assert close(r.ci_lower, ref["nnt_ci"][0]) and close(r.ci_upper, ref["nnt_ci"][1])
    if not ref["ci_excludes_zero"]:
        # Altman: NNTB 1/rd_upper ... infinity ... NNTH 1/|rd_lower| (remission: higher is better)
        assert close(r.nntb_limit, ref["one_over_rd_upper"])
        assert close(r.nnth_limit, abs(ref["one_over_rd_lower"]))
        assert "to inf to" in r.text


def test_nnt_kind_follows_the_outcome_direction():
    c = counts("T2_still_depressed_combination_vs_clomipramine")
    bad = R.number_needed_to_treat(**c, higher_is_better=False)  # still depressed: lower is better
    good = R.number_needed_to_treat(**c, higher_is_better=True)
    assert bad.kind == "NNTB" and good.kind == "NNTH"
    assert bad.nnt == good.nnt < 0
    assert bad.text.startswith("NNTB 5.3 (95% CI NNTB 2.8 to NNTB 75.1)")
    # the same text from R's numbers (|NNT| and its Newcombe-based interval, one decimal)
    o = out("T2_still_depressed_combination_vs_clomipramine")["nnt"]
    lo, hi = o["from_newcombe"]["nnt_abs_ci"]
    assert bad.text.startswith(f"NNTB {o['nnt_abs']:.1f} (95% CI NNTB {lo:.1f} to NNTB {hi:.1f})")
    # T4, interval includes 0: reported as NNTH ... to inf to NNTB ...
    t4 = R.number_needed_to_treat(**counts("T4_remission_pdt_vs_fluoxetine"))
    assert t4.kind == "NNTH" and math.isnan(t4.ci_lower)
    assert t4.text == "NNTH 7.6 (95% CI NNTH 2.7 to inf to NNTB 7.9)"
    o = out("T4_remission_pdt_vs_fluoxetine")["nnt"]
    nc = o["from_newcombe"]
    assert t4.text == (f"NNTH {o['nnt_abs']:.1f} (95% CI NNTH {-nc['one_over_rd_lower']:.1f} "
                       f"to inf to NNTB {nc['one_over_rd_upper']:.1f})")


def test_nnt_with_no_difference_is_infinite():
    r = R.number_needed_to_treat(events=[5, 5], totals=[20, 20])
    assert math.isinf(r.nnt) and r.kind == "none" and not r.ci_excludes_zero


# ---------------------------------------------------------------------------- non-inferiority
NI = "T5_remission_pdt_vs_cbt_noninferiority"


@pytest.mark.parametrize("method,key", [("farrington-manning", "farrington_manning"),
                                        ("miettinen-nurminen", "miettinen_nurminen")])
def test_noninferiority_matches_r_and_rpact(method, key):
    o = out(NI)["non_inferiority"]
    r = R.noninferiority_test(**counts(NI), margin=o["margin_thetaH0"], method=method)
    assert close(r.statistic, o[key]["z"])
    assert r.p_value == pytest.approx(o[key]["p_one_sided"], abs=PTOL)
    ci = o["score_ci_95"][key]
    assert close(r.ci_lower, ci["lower"]) and close(r.ci_upper, ci["upper"])
    if method == "farrington-manning":
        assert close(r.p_group_restricted, o["restricted_mle"]["p1_tilde"])
        assert close(r.p_reference_restricted, o["restricted_mle"]["p2_tilde"])
        assert r.conclusion == "non-inferiority not shown"
        assert (r.p_value < 0.025) == o[key]["reject_at_0.025"]
        rp = o["rpact_crosscheck"]
        assert close(r.statistic, rp["overallTestStatistics"])
        assert r.p_value == pytest.approx(rp["overallPValues"], abs=PTOL)


def test_score_interval_via_risk_difference():
    ci = out(NI)["non_inferiority"]["score_ci_95"]["farrington_manning"]
    r = R.risk_difference(**counts(NI), method="farrington-manning")
    assert close(r.ci_lower, ci["lower"]) and close(r.ci_upper, ci["upper"])


def test_noninferiority_for_a_bad_outcome_mirrors_the_good_one():
    # Swapping outcome labels (events <-> non-events) turns RD into -RD and the margin's sign.
    good = R.noninferiority_test(events=[27, 27], totals=[117, 116], margin=-0.10)
    bad = R.noninferiority_test(events=[90, 89], totals=[117, 116], margin=0.10,
                                higher_is_better=False)
    assert bad.statistic == pytest.approx(-good.statistic, rel=1e-10)
    assert bad.p_value == pytest.approx(good.p_value, abs=1e-12)


@pytest.mark.parametrize("margin,hib", [(0.10, True), (-0.10, False), (0.0, True), (1.5, True)])
def test_margin_of_wrong_sign_is_rejected(margin, hib):
    with pytest.raises(InvalidParameterError, match="margin"):
        R.noninferiority_test(events=[27, 27], totals=[117, 116], margin=margin,
                              higher_is_better=hib)


def test_equivalence_is_two_one_sided_fm_tests():
    c = counts(NI)
    eq = R.equivalence_test(**c, margin=0.10, alpha=0.025)
    lo = R.noninferiority_test(**c, margin=-0.10)
    # the upper test is the non-inferiority test of the reverse comparison
    hi = R.noninferiority_test(events=c["events"][::-1], totals=c["totals"][::-1], margin=-0.10,
                               labels=["arm2", "arm1"], reference="arm1")
    assert eq.p_lower == pytest.approx(lo.p_value, abs=1e-12)
    assert eq.p_upper == pytest.approx(hi.p_value, abs=1e-12)
    assert eq.p_value == max(eq.p_lower, eq.p_upper)
    assert eq.conclusion == "equivalence not shown"
    assert R.equivalence_test(**c, margin=0.10, alpha=0.05).conclusion == "equivalent"
    # the 90% score interval lies inside the margins exactly when equivalence is shown
    wide = R.equivalence_test(**c, margin=(-0.2, 0.2))
    assert wide.conclusion == "equivalent" and -0.2 < wide.ci_lower and wide.ci_upper < 0.2


# ---------------------------------------------------------------------------- k arms (T3)
T3 = "T3_remission_pdt_sertraline_placebo"


def t3_counts():
    i = CASES[T3]["inputs"]
    return dict(events=i["x"], totals=i["n"])


def test_k_arm_chi_square_and_fisher_match_r():
    o = out(T3)
    t = R.chi_square_test(**t3_counts())
    assert close(t.statistic, o["chisq_test"]["statistic_X_squared"])
    assert t.df == 2 and t.p_value == pytest.approx(o["chisq_test"]["p"], abs=PTOL)
    exp = np.array(t.expected)
    ref = o["chisq_test"]["expected"]["matrix_rows"]
    np.testing.assert_allclose(exp[:, 0], ref["yes"], rtol=RTOL)
    np.testing.assert_allclose(exp[:, 1], ref["no"], rtol=RTOL)
    # Yates is never applied to a 2 x 3 table, as in R
    assert R.chi_square_test(**t3_counts(), correction=True).correction == "none"
    f = R.fisher_exact_test(**t3_counts())
    assert f.p_value == pytest.approx(o["fisher_exact_2xk"]["p"], abs=PTOL)
    assert math.isnan(f.odds_ratio)


@pytest.mark.parametrize("key,test,adjust", [
    ("holm_yates", "chisq-yates", "holm"), ("holm_no_correction", "chisq", "holm"),
    ("unadjusted_yates", "chisq-yates", "none"), ("unadjusted_no_correction", "chisq", "none"),
])
def test_pairwise_matches_pairwise_prop_test(key, test, adjust):
    ref = out(T3)["pairwise_prop_test"][key]["p"]
    r = R.pairwise_rate_tests(**t3_counts(), test=test, adjust=adjust).summary
    for _, row in r.iterrows():
        name = f"{row['reference']}_vs_{row['group']}"
        assert row["p_adjusted"] == pytest.approx(ref[name], abs=PTOL), name


def test_holm_adjustment_against_hand_computation():
    # R p.adjust("holm") = cummax((m - i + 1) * p_(i)) capped at 1
    unadj = out(T3)["pairwise_prop_test"]["unadjusted_no_correction"]["p"]
    p = np.array(list(unadj.values()))
    order = np.argsort(p)
    expected = np.empty(3)
    expected[order] = np.minimum(1, np.maximum.accumulate((3 - np.arange(3)) * p[order]))
    got = S.adjust_p_values(p, "holm")
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_fisher_2xk_enumeration_equals_2x2_fisher():
    # the 2 x k enumeration on a 2 x 2 table reproduces scipy's Fisher p-value
    for x, n in [([3, 10], [37, 37]), ([0, 4], [10, 12]), ([14, 18], [25, 26])]:
        p = S._fisher_2xk_p(np.array(x), np.array(n))
        ref = stats.fisher_exact([[x[0], n[0] - x[0]], [x[1], n[1] - x[1]]]).pvalue
        assert p == pytest.approx(ref, abs=1e-12)


# ---------------------------------------------------------------------------- compare_rates
def test_compare_rates_two_arms_collects_the_reference_values():
    cid = "T4_remission_pdt_vs_fluoxetine"
    o = out(cid)
    r = R.compare_rates(**counts(cid))
    row = r.comparisons.iloc[0]
    assert (row["group"], row["reference"]) == ("arm1", "arm2")
    assert close(row["risk_difference"], o["risk_difference"]["rd"])
    assert close(row["rd_ci_lower"], o["risk_difference"]["newcombe_hybrid_score"]["lower"])
    assert close(row["relative_risk"], o["relative_risk"]["rr"])
    assert close(row["or_ci_upper"], o["odds_ratio"]["upper"])
    assert close(row["nnt"], o["nnt"]["nnt"])
    assert row["p_chisq"] == pytest.approx(o["prop_test_2sample"]["no_correction"]["p"], abs=PTOL)
    assert row["p_chisq_yates"] == pytest.approx(o["prop_test_2sample"]["yates"]["p"], abs=PTOL)
    assert row["p_fisher"] == pytest.approx(o["fisher"]["p"], abs=PTOL)
    assert row["p_holm"] == row["p_chisq_yates"]  # one comparison: nothing to adjust
    assert r.overall.p_value == pytest.approx(row["p_chisq"], abs=1e-14)
    j = r.to_json_dict()
    assert set(j) == {"arms", "comparisons", "overall"}
    json.dumps(j, allow_nan=False)


def test_compare_rates_all_pairs_matches_r_holm():
    r = R.compare_rates(**t3_counts(), all_pairs=True, holm_test="chisq")
    ref_unadj = out(T3)["pairwise_prop_test"]["unadjusted_no_correction"]["p"]
    for _, row in r.comparisons.iterrows():
        assert row["p_chisq"] == pytest.approx(ref_unadj[f"{row['reference']}_vs_{row['group']}"],
                                               abs=PTOL)
    assert list(r.comparisons["p_holm"]) == pytest.approx([1.0, 1.0, 1.0], abs=PTOL)
    ref_holm = out(T3)["pairwise_prop_test"]["holm_no_correction"]["p"]
    for _, row in r.comparisons.iterrows():
        assert row["p_holm"] == pytest.approx(ref_holm[f"{row['reference']}_vs_{row['group']}"],
                                              abs=PTOL)


def test_compare_rates_noninferiority_object():
    o = out(NI)["non_inferiority"]
    r = R.compare_rates(**counts(NI), margin=-0.10)
    ni = r.to_json_dict()["noninferiority"]
    assert {"margin", "statistic", "p_value", "conclusion"} <= set(ni)
    assert close(ni["statistic"], o["farrington_manning"]["z"])
    assert ni["p_value"] == pytest.approx(o["farrington_manning"]["p_one_sided"], abs=PTOL)


def test_swapping_arms_flips_the_sign():
    a = R.compare_rates(events=[14, 18], totals=[25, 26], labels=["pdt", "flx"])
    b = R.compare_rates(events=[14, 18], totals=[25, 26], labels=["pdt", "flx"], reference="flx")
    ra, rb = a.comparisons.iloc[0], b.comparisons.iloc[0]
    assert ra["risk_difference"] == pytest.approx(-rb["risk_difference"], rel=1e-14)
    assert ra["rd_ci_lower"] == pytest.approx(-rb["rd_ci_upper"], rel=1e-12)
    assert ra["relative_risk"] == pytest.approx(1 / rb["relative_risk"], rel=1e-14)
    assert ra["odds_ratio"] == pytest.approx(1 / rb["odds_ratio"], rel=1e-14)
    assert ra["p_fisher"] == pytest.approx(rb["p_fisher"], abs=1e-14)


# ---------------------------------------------------------------------------- DataFrame input
def patient_rows(x, n, labels, outcome="remitted", group="arm"):
    rows = []
    for lab, xi, ni in zip(labels, x, n, strict=True):
        rows += [{group: lab, outcome: 1}] * xi + [{group: lab, outcome: 0}] * (ni - xi)
    return pd.DataFrame(rows)


def test_dataframe_and_counts_agree_and_data_is_not_mutated():
    df = patient_rows([14, 18], [25, 26], ["pdt", "fluoxetine"])
    df["remitted"] = df["remitted"].map({1: "True", 0: "false"})
    before = df.copy()
    a = R.compare_rates(df, outcome="remitted", group="arm", reference="fluoxetine")
    b = R.compare_rates(events=[18, 14], totals=[26, 25], labels=["fluoxetine", "pdt"])
    pd.testing.assert_frame_equal(a.comparisons, b.comparisons)
    pd.testing.assert_frame_equal(df, before)
    # these are T4's counts: R's numbers for pdt (arm 1) vs fluoxetine (arm 2)
    o, row = out("T4_remission_pdt_vs_fluoxetine"), a.comparisons.iloc[0]
    assert close(row["risk_difference"], o["risk_difference"]["rd"])
    assert close(row["rd_ci_upper"], o["risk_difference"]["newcombe_hybrid_score"]["upper"])
    assert close(row["odds_ratio"], o["odds_ratio"]["or"])
    assert row["p_fisher"] == pytest.approx(o["fisher"]["p"], abs=PTOL)


def test_missing_outcomes_nri_and_complete_case():
    df = patient_rows([14, 18], [25, 26], ["pdt", "fluoxetine"]).astype({"remitted": float})
    df.loc[[0, 30], "remitted"] = np.nan  # one remitter in each arm goes missing
    with pytest.raises(DataValidationError, match="remitted"):
        R.arm_rates(df, outcome="remitted")
    nri = R.arm_rates(df, outcome="remitted", missing="nri")
    cc = R.arm_rates(df, outcome="remitted", missing="complete_case")
    assert nri.events == (17, 13) and nri.totals == (26, 25)
    assert cc.events == (17, 13) and cc.totals == (25, 24)
    bad = R.arm_rates(df, outcome="remitted", missing="nri", higher_is_better=False)
    assert bad.events == (18, 14)  # a missing bad outcome is imputed as the bad outcome
    s = R.rates_sensitivity(df, outcome="remitted", reference="fluoxetine")
    assert list(s.summary["missing"]) == ["nri", "complete_case"]
    assert s.n_missing == (1, 1)


def test_logistic_regression_without_covariates_is_woolf():
    cid = "T6_response_pdt_vs_cognitive_therapy"
    i = CASES[cid]["inputs"]
    df = patient_rows([i["x1"], i["x2"]], [i["n1"], i["n2"]], ["arm1", "arm2"], outcome="outcome")
    r = R.logistic_regression(df, reference="arm2")
    ge = r.group_effects.iloc[0]
    o = out(cid)["odds_ratio"]
    assert close(ge["odds_ratio"], o["or"]) and close(ge["se"], o["se_log_or"])
    assert close(ge["ci_lower"], o["lower"]) and close(ge["ci_upper"], o["upper"])


def test_logistic_regression_adjusts_for_a_confounder():
    rng = np.random.default_rng(3)
    n = 400
    sev = rng.normal(size=n)
    arm = np.where(rng.random(n) < 1 / (1 + np.exp(-sev)), "b", "a")  # imbalanced severity
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.0 * (arm == "b") - 1.5 * sev)))).astype(int)
    df = pd.DataFrame({"arm": arm, "outcome": y, "severity": sev,
                       "site": rng.choice(["x", "y"], n)})
    crude = R.logistic_regression(df).group_effects.iloc[0]
    adj = R.logistic_regression(df, covariates=["severity", "site"])
    g = adj.group_effects.iloc[0]
    assert crude["odds_ratio"] < 0.6  # confounded
    assert g["ci_lower"] < 1 < g["ci_upper"]  # adjusted: no group effect
    assert "site[y]" in list(adj.table["term"])
    # the same model fitted by statsmodels (maximum likelihood, Wald intervals)
    import statsmodels.api as sm

    def sm_fit(columns):
        X = sm.add_constant(pd.get_dummies(df[columns], drop_first=True, dtype=float))
        return sm.Logit(df["outcome"], X).fit(disp=0)

    fit = sm_fit(["arm", "severity", "site"])
    lo, hi = fit.conf_int().loc["arm_b"]
    names = {"const": "const", "arm_b": "arm[b]", "severity": "severity", "site_y": "site[y]"}
    table = adj.table.set_index("term").loc[[names[k] for k in fit.params.index]]
    np.testing.assert_allclose(table["estimate"], fit.params.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(table["se"], fit.bse.to_numpy(), rtol=1e-6)
    assert g["odds_ratio"] == pytest.approx(math.exp(fit.params["arm_b"]), rel=1e-6)
    assert (g["ci_lower"], g["ci_upper"]) == pytest.approx((math.exp(lo), math.exp(hi)), rel=1e-6)
    assert g["p_value"] == pytest.approx(fit.pvalues["arm_b"], rel=1e-6)
    assert crude["odds_ratio"] == pytest.approx(math.exp(sm_fit(["arm"]).params["arm_b"]),
                                                rel=1e-6)
    c = R.compare_rates(df, covariates=["severity"])
    assert c.comparisons.iloc[0]["adjusted_or"] == pytest.approx(
        R.logistic_regression(df, covariates=["severity"]).group_effects.iloc[0]["odds_ratio"])
    assert c.comparisons.iloc[0]["adjusted_or"] == pytest.approx(
        math.exp(sm_fit(["arm", "severity"]).params["arm_b"]), rel=1e-6)


def test_logistic_regression_separation_is_a_clear_error():
    df = patient_rows([0, 10], [10, 10], ["a", "b"], outcome="outcome")
    with pytest.raises(ConvergenceError, match="separation"):
        R.logistic_regression(df)


# ---------------------------------------------------------------------------- zero cells
def test_zero_cell_uses_haldane_correction_and_says_so():
    z = dict(events=[0, 5], totals=[20, 20], reference="arm2")
    r = R.relative_risk(**z)
    assert "haldane" in r.correction
    a, b, c, d = 0.5, 20.5, 5.5, 15.5
    assert r.estimate == pytest.approx((a / (a + b)) / (c / (c + d)), rel=1e-14)
    o = R.odds_ratio(**z)
    assert o.estimate == pytest.approx(a * d / (b * c), rel=1e-14) and "haldane" in o.correction
    raw = R.odds_ratio(**z, zero_correction="none")
    assert raw.estimate == 0 and math.isnan(raw.ci_lower) and raw.correction == "none"
    f = R.odds_ratio(**z, method="fisher")
    assert f.estimate == 0 and f.ci_lower == 0 and f.ci_upper > 0
    # rates, Newcombe and the tests need no correction
    assert R.arm_rates(events=[0, 5], totals=[20, 20]).ci_lower[0] == 0
    assert np.isfinite(R.risk_difference(**z).ci_lower)
    c = R.compare_rates(**z)
    assert "haldane" in c.comparisons.iloc[0]["rr_correction"]


def test_all_outcomes_equal_gives_nan_chi_square_with_warning():
    with pytest.warns(StatisticalWarning, match="same outcome"):
        t = R.chi_square_test(events=[0, 0], totals=[10, 12])
    assert math.isnan(t.p_value)
    assert R.fisher_exact_test(events=[0, 0], totals=[10, 12]).p_value == 1.0


# ---------------------------------------------------------------------------- vectorised
def test_two_proportion_pvalues_agree_with_scalar_tests():
    rng = np.random.default_rng(0)
    x1, x2 = rng.integers(1, 30, 50), rng.integers(1, 30, 50)
    for test, f in (("chisq", "chisq"), ("chisq-yates", "chisq-yates")):
        p = R.two_proportion_pvalues(x1, 37, x2, 40, test=test)
        ref = [S.pair_p_value(int(a), 37, int(b), 40, f) for a, b in zip(x1, x2, strict=True)]
        np.testing.assert_allclose(p, ref, rtol=1e-10)
        # and against scipy's chi-square test of each 2 x 2 table (Yates as R's prop.test: scipy
        # caps the correction at |O - E| as R does)
        sp = [stats.chi2_contingency([[a, 37 - a], [b, 40 - b]], correction=f == "chisq-yates")[1]
              for a, b in zip(x1, x2, strict=True)]
        np.testing.assert_allclose(p, sp, rtol=1e-10)
    p = R.two_proportion_pvalues(x1, 117, x2, 116, test="farrington-manning", margin=-0.1)
    ref = [R.noninferiority_test(events=[int(a), int(b)], totals=[117, 116], margin=-0.1,
                                 reference="arm2").p_value for a, b in zip(x1, x2, strict=True)]
    np.testing.assert_allclose(p, ref, rtol=1e-9)


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,match", [
    (dict(events=[30, 5], totals=[25, 26]), r"events\[0\]"),
    (dict(events=[-1, 5], totals=[25, 26]), r"events\[0\]"),
    (dict(events=[1, 5], totals=[0, 26]), r"totals\[0\]"),
    (dict(events=[1, 5], totals=[25]), "events"),
    (dict(events=[1.5, 5], totals=[25, 26]), r"events\[0\]"),
    (dict(events=[1], totals=[25]), "at least 2"),
    (dict(events=[1, 2], totals=[5, 5], labels=["a"]), "labels"),
    (dict(events=[1, 2], totals=[5, 5], reference="zzz"), "reference"),
    (dict(events=[1, 2], totals=[5, 5], method="exact"), "method"),
    (dict(events=[1, 2], totals=[5, 5], conf_level=1.5), "conf_level"),
    (dict(), "events"),
])
def test_bad_counts_name_the_parameter(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        R.risk_difference(**kwargs)


def test_bad_dataframes_name_the_column():
    df = pd.DataFrame({"arm": ["a", "b", "a"], "y": [0, 1, 2]})
    with pytest.raises(DataValidationError, match="'y'.*0/1"):
        R.compare_rates(df, outcome="y")
    with pytest.raises(DataValidationError, match="'nope'"):
        R.compare_rates(df, outcome="nope")
    with pytest.raises(DataValidationError, match="at least 2"):
        R.compare_rates(pd.DataFrame({"arm": ["a", "a"], "outcome": [0, 1]}))
    with pytest.raises(InvalidParameterError, match="compare_rates"):
        R.risk_difference(events=[1, 2, 3], totals=[5, 5, 5])


def test_results_render():
    r = R.compare_rates(events=[27, 27], totals=[117, 116], margin=-0.1)
    assert "non-inferiority" in str(r)
    assert "<table" in r._repr_html_()
    assert set(R.arm_rates(events=[1, 2], totals=[5, 5]).summary.columns) >= {"rate", "ci_lower"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        json.dumps(R.risk_difference(events=[1, 2], totals=[5, 5]).to_dict())


def test_wilson_limits_are_exactly_0_and_1_at_the_ends():
    """With no events (or all), Wilson's interval ends at exactly 0 (or 1), as its formula does;
    the library routine returns 6.9e-18 for the lower limit of 0 of 20."""
    from workbench import arm_rates

    s = arm_rates(events=[0, 20], totals=[20, 20], labels=["none", "all"]).summary
    assert s["ci_lower"].iloc[0] == 0.0 and s["ci_upper"].iloc[1] == 1.0
    # R: prop.test(0, 20, correct = FALSE)$conf.int[2] = z^2 / (20 + z^2)
    assert s["ci_upper"].iloc[0] == pytest.approx(0.16113, abs=1e-5)
