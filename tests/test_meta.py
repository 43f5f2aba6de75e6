"""Meta-analysis against metafor 3.8 (tests/reference/meta_analysis.json, R script
tests/reference/r/meta_analysis.R): rma (DL, REML, PM, FE, Hartung-Knapp),
predict, confint (Q-profile), regtest, trimfill, escalc and rma.mh."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.helpers import REFERENCE_DIR as REF_DIR
from tests.helpers import close, reference, reference_cases
from workbench import DataValidationError, InvalidParameterError
from workbench.analysis.meta import (
    METAFOR_CONTROL,
    EffectSizes,
    MetaAnalysisResult,
    effect_sizes,
    egger_test,
    leave_one_out,
    mantel_haenszel,
    meta_analysis,
    or_effect_sizes,
    rd_effect_sizes,
    rr_effect_sizes,
    smd_effect_sizes,
    subgroup_analysis,
    trim_and_fill,
)

CASES = reference_cases("meta_analysis")
SMD_CASES = ["meta_smd_k5", "meta_smd_k12"]
BIN_CASES = ["meta_binary_k5", "meta_binary_k5_zero_cell"]
RTOL = 1e-6
# metafor's confint() finds the Q-profile bounds with uniroot(tol = .Machine$double.eps^0.25);
# reproduce that tolerance to compare its bounds digit for digit.
CI_TOL = {"ci_tol": METAFOR_CONTROL["ci_tol"]}

MODEL_FIELDS = [("estimate", "estimate"), ("se", "se"), ("ci_lower", "ci.lb"),
                ("ci_upper", "ci.ub"), ("statistic", "zval"), ("p_value", "pval"),
                ("tau2", "tau2"), ("se_tau2", "se.tau2"), ("i2", "I2"), ("h2", "H2"),
                ("q", "QE"), ("q_p", "QEp"), ("pi_lower", "pi.lb"), ("pi_upper", "pi.ub")]


def assert_fields(result, ref, fields, rtol=RTOL):
    bad = [(a, getattr(result, a), ref[b]) for a, b in fields
           if not close(getattr(result, a), ref[b], rtol)]
    assert not bad, bad


def _fit_for(case, name, *, control=None):
    ref = CASES[case]["outputs"]["models"][name]
    inp = CASES[case]["inputs"]
    return meta_analysis(yi=inp["yi"], vi=inp["vi"], method=ref["method"],
                         knha=ref["test"] == "knha", control=control), ref


# ----------------------------------------------------------------------------------------------
# rma: converged estimators against DL, FE and the *_tight entries
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("name", ["DL", "FE", "DL_knha", "REML_tight", "PM_tight"])
def test_rma_matches_metafor(case, name):
    res, ref = _fit_for(case, name, control=CI_TOL)
    assert res.k == ref["k"]
    assert_fields(res, ref, MODEL_FIELDS)
    np.testing.assert_allclose(res.weights, ref["weights_percent"], rtol=RTOL)
    assert res.df == ref["df_for_t"] or (math.isnan(res.df) and ref["df_for_t"] is None)
    if "fit_stats" in ref:
        assert close(res.loglik, ref["fit_stats"]["ll"])


@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("name", ["DL", "REML_tight", "PM_tight", "DL_knha"])
def test_qprofile_interval_matches_metafor(case, name):
    res, ref = _fit_for(case, name, control=CI_TOL)
    q = ref["confint_heterogeneity_Qprofile"]
    pairs = [("tau2_ci_lower", q["tau2"]["ci.lb"]), ("tau2_ci_upper", q["tau2"]["ci.ub"]),
             ("tau_ci_lower", q["tau"]["ci.lb"]), ("tau_ci_upper", q["tau"]["ci.ub"]),
             ("i2_ci_lower", q["I2_percent"]["ci.lb"]), ("i2_ci_upper", q["I2_percent"]["ci.ub"]),
             ("h2_ci_lower", q["H2"]["ci.lb"]), ("h2_ci_upper", q["H2"]["ci.ub"])]
    bad = [(a, getattr(res, a), b) for a, b in pairs if not close(getattr(res, a), b)]
    assert not bad, bad


@pytest.mark.parametrize("case", SMD_CASES)
def test_qprofile_default_is_the_exact_root(case):
    """By default the bounds are converged roots of Q(tau2) = chi2 quantile; metafor's are within
    its uniroot tolerance (1.2e-4) of them."""
    from scipy import stats

    inp = CASES[case]["inputs"]
    res = meta_analysis(yi=inp["yi"], vi=inp["vi"], method="DL")
    y, v = np.array(inp["yi"]), np.array(inp["vi"])

    def q(t2):
        w = 1 / (v + t2)
        return np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2)

    assert q(res.tau2_ci_upper) == pytest.approx(stats.chi2.ppf(0.025, len(y) - 1), rel=1e-10)
    ref = CASES[case]["outputs"]["models"]["DL"]["confint_heterogeneity_Qprofile"]["tau2"]
    assert res.tau2_ci_upper == pytest.approx(ref["ci.ub"], abs=1.2e-4)


@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("name", ["REML", "PM", "REML_knha"])
def test_metafor_default_stopping_rules_reproduced(case, name):
    """With METAFOR_CONTROL the non-converged defaults of metafor come out digit for digit."""
    res, ref = _fit_for(case, name, control=METAFOR_CONTROL)
    assert_fields(res, ref, MODEL_FIELDS)


@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("method", ["REML", "PM"])
def test_converged_estimators_differ_from_defaults_only_in_late_digits(case, method):
    res, _ = _fit_for(case, method)
    tight = CASES[case]["outputs"]["models"][f"{method}_tight"]
    default = CASES[case]["outputs"]["models"][method]
    assert res.tau2 == pytest.approx(tight["tau2"], rel=1e-9)
    assert res.tau2 == pytest.approx(default["tau2"], rel=5e-3)


@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("method", ["DL", "REML", "PM"])
def test_prediction_interval_t_k_minus_2(case, method):
    name = method if method == "DL" else f"{method}_tight"
    res, _ = _fit_for(case, name)
    hand = CASES[case]["outputs"]["prediction_interval_hand_t_k_minus_2"][method]
    if method != "DL":  # the hand interval was computed from the default (non-tight) fit
        res = meta_analysis(yi=res.yi, vi=res.vi, method=method, control=METAFOR_CONTROL)
    assert close(res.pi_lower_t, hand["pi.lb"]) and close(res.pi_upper_t, hand["pi.ub"])


def test_statsmodels_combine_effects_agrees_for_dl_and_pm():
    """Cross-check with a second library: statsmodels' DL ('chi2') and PM ('iterated')."""
    from statsmodels.stats.meta_analysis import combine_effects

    inp = CASES["meta_smd_k12"]["inputs"]
    for method, sm_method in (("DL", "chi2"), ("PM", "iterated")):
        res = meta_analysis(yi=inp["yi"], vi=inp["vi"], method=method)
        sm = combine_effects(np.array(inp["yi"]), np.array(inp["vi"]), method_re=sm_method)
        assert res.estimate == pytest.approx(sm.mean_effect_re, rel=1e-5)
        assert res.tau2 == pytest.approx(sm.tau2, rel=1e-4)
        assert res.q == pytest.approx(sm.q, rel=1e-10)


# ----------------------------------------------------------------------------------------------
# Egger, trim and fill
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("method", ["FE", "DL", "REML"])
def test_egger_rma_matches_regtest(case, method):
    inp = CASES[case]["inputs"]
    # the reference regtest ran on metafor's default REML fit, whose control it inherits
    ctrl = METAFOR_CONTROL if method == "REML" else None
    res = meta_analysis(yi=inp["yi"], vi=inp["vi"], method=method, control=ctrl)
    eg = egger_test(res)
    ref = CASES[case]["outputs"]["egger"][f"rma_{method}"]
    assert_fields(eg, ref, [("statistic", "zval"), ("p_value", "pval"),
                            ("limit_estimate", "limit_estimate"),
                            ("limit_ci_lower", "limit_ci.lb"), ("limit_ci_upper", "limit_ci.ub")])


@pytest.mark.parametrize("case", SMD_CASES)
def test_egger_lm_matches_regtest_and_classical_egger(case):
    inp = CASES[case]["inputs"]
    eg = egger_test(meta_analysis(yi=inp["yi"], vi=inp["vi"]), model="lm")
    ref = CASES[case]["outputs"]["egger"]["lm"]
    assert_fields(eg, ref, [("statistic", "tval"), ("p_value", "pval"), ("df", "df"),
                            ("limit_estimate", "limit_estimate"),
                            ("limit_ci_lower", "limit_ci.lb"), ("limit_ci_upper", "limit_ci.ub")])
    classic = CASES[case]["outputs"]["egger"]["classical_egger_lm_hand"]
    # yi = b0 + b1 sei (weights 1/vi) is yi/sei = b1 + b0 (1/sei): the roles swap
    assert close(eg.slope, classic["intercept"])
    assert close(eg.limit_estimate, classic["slope"])
    assert close(eg.statistic, classic["tval"])


TF_FIELDS = [("estimate", "estimate"), ("se", "se"), ("ci_lower", "ci.lb"), ("ci_upper", "ci.ub"),
             ("statistic", "zval"), ("p_value", "pval"), ("tau2", "tau2"), ("q", "QE"),
             ("q_p", "QEp")]


@pytest.mark.parametrize("case", SMD_CASES)
@pytest.mark.parametrize("name", ["FE_L0", "REML_L0", "DL_L0", "REML_R0"])
def test_trimfill_matches_metafor(case, name):
    ref = CASES[case]["outputs"]["trimfill"][name]
    inp = CASES[case]["inputs"]
    method = ref["base_model"]
    ctrl = METAFOR_CONTROL if method == "REML" else None  # trimfill(fits$REML) used defaults
    res = meta_analysis(yi=inp["yi"], vi=inp["vi"], method=method, control=ctrl)
    tf = trim_and_fill(res, estimator=ref["estimator"])
    assert (tf.side, tf.k0, tf.result.k) == (ref["side"], ref["k0"], ref["k_filled"])
    assert close(tf.se_k0, ref["se.k0"])
    assert close(tf.p_k0, ref["p.k0"])
    assert_fields(tf.result, ref, TF_FIELDS)
    np.testing.assert_allclose(tf.filled_yi, ref["filled_yi"], rtol=RTOL)
    np.testing.assert_allclose(tf.filled_vi, ref["filled_vi"], rtol=RTOL)
    assert tf.filled.sum() == tf.k0


def test_trimfill_converged_reml_close_to_metafor_default():
    ref = CASES["meta_smd_k12"]["outputs"]["trimfill"]["REML_L0"]
    inp = CASES["meta_smd_k12"]["inputs"]
    tf = trim_and_fill(meta_analysis(yi=inp["yi"], vi=inp["vi"]))
    assert tf.k0 == ref["k0"]
    assert tf.estimate == pytest.approx(ref["estimate"], rel=1e-4)


def test_trimfill_mirror_image_flips_side():
    inp = CASES["meta_smd_k12"]["inputs"]
    tf = trim_and_fill(meta_analysis(yi=inp["yi"], vi=inp["vi"], method="FE"))
    tf_neg = trim_and_fill(meta_analysis(yi=-np.array(inp["yi"]), vi=inp["vi"], method="FE"))
    assert (tf.side, tf_neg.side) == ("left", "right")
    assert tf_neg.k0 == tf.k0
    assert tf_neg.estimate == pytest.approx(-tf.estimate, rel=1e-12)


# ----------------------------------------------------------------------------------------------
# effect sizes, Mantel-Haenszel, DL on binary data
# ----------------------------------------------------------------------------------------------

def _binary_df(case):
    i = CASES[case]["inputs"]
    return pd.DataFrame({"study": i["studies"], "a": i["ai"], "n1": i["n1i"], "c": i["ci"],
                         "n2": i["n2i"]})


@pytest.mark.parametrize("case", BIN_CASES)
@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_escalc_binary(case, measure):
    df = _binary_df(case)
    es = effect_sizes(df, measure=measure, study="study", events1="a", n1="n1", events2="c",
                      n2="n2")
    ref = CASES[case]["outputs"][measure]["escalc"]
    np.testing.assert_allclose(es.yi, ref["yi"], rtol=RTOL)
    np.testing.assert_allclose(es.vi, ref["vi"], rtol=RTOL)
    func = {"RR": rr_effect_sizes, "OR": or_effect_sizes, "RD": rd_effect_sizes}[measure]
    yi, vi = func(df["a"], df["n1"], df["c"], df["n2"])
    np.testing.assert_allclose(yi, ref["yi"], rtol=RTOL)


@pytest.mark.parametrize("case", BIN_CASES)
@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_mantel_haenszel_matches_rma_mh(case, measure):
    res = mantel_haenszel(_binary_df(case), measure=measure, study="study", events1="a", n1="n1",
                          events2="c", n2="n2")
    ref = CASES[case]["outputs"][measure]["mantel_haenszel"]
    assert_fields(res, ref, [("estimate", "estimate"), ("se", "se"), ("statistic", "zval"),
                             ("p_value", "pval"), ("ci_lower", "ci.lb"), ("ci_upper", "ci.ub"),
                             ("q", "QE"), ("q_p", "QEp"), ("i2", "I2"), ("h2", "H2")])
    assert res.k == ref["k"] and res.tau2 == 0 and res.method == "MH"
    if measure == "OR":
        cmh = ref["cmh_test"]
        assert close(res.mh_statistic, cmh["MH"]) and close(res.mh_p_value, cmh["MHp"])
        assert close(res.tarone_statistic, cmh["tarone_TA"])
        assert close(res.tarone_p_value, cmh["TAp"])
    if "exp" in ref:
        assert math.exp(res.estimate) == pytest.approx(ref["exp"]["estimate"], rel=RTOL)


@pytest.mark.parametrize("case", BIN_CASES)
@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_dl_on_binary_effect_sizes(case, measure):
    es = effect_sizes(_binary_df(case), measure=measure, study="study", events1="a", n1="n1",
                      events2="c", n2="n2")
    res = meta_analysis(es, method="DL", control=CI_TOL)
    ref = CASES[case]["outputs"][measure]["random_effects_DL"]
    assert_fields(res, ref, MODEL_FIELDS)
    np.testing.assert_allclose(res.weights, ref["weights_percent"], rtol=RTOL)
    assert res.measure == measure and res.study[0] == CASES[case]["inputs"]["studies"][0]
    # the same through method="MH" on the effect sizes
    mh = meta_analysis(es, method="MH")
    assert close(mh.estimate, CASES[case]["outputs"][measure]["mantel_haenszel"]["estimate"])


def test_tau2_zero_is_a_normal_result():
    es = effect_sizes(_binary_df("meta_binary_k5_zero_cell"), measure="OR", events1="a", n1="n1",
                      events2="c", n2="n2")
    for method in ("DL", "REML", "PM"):
        res = meta_analysis(es, method=method)
        assert res.tau2 == 0 and res.i2 == 0 and res.h2 == 1
        assert res.pi_lower == pytest.approx(res.ci_lower)


def test_smd_matches_escalc_on_hamd_data():
    """escalc('SMD') on the week-12 HAM-D data (continuous_analysis.json), arm 1 vs arm 0."""
    ref_all = reference("continuous_analysis")
    out = next(c["outputs"] for c in ref_all["cases"] if "hedges_g_week12" in c["outputs"])
    df = pd.read_csv(REF_DIR / "data" / "cont_hamd_week12_n80.csv")
    df["change"] = df["week12"] - df["baseline"]
    for col, key in (("week12", "hedges_g_week12"), ("change", "hedges_g_change")):
        g = df.groupby("arm")[col]
        table = pd.DataFrame({"m1": [g.mean()[1]], "s1": [g.std()[1]], "n1": [g.size()[1]],
                              "m0": [g.mean()[0]], "s0": [g.std()[0]], "n0": [g.size()[0]]})
        es = effect_sizes(table, measure="SMD", m1="m1", sd1="s1", n1="n1", m2="m0", sd2="s0",
                          n2="n0")
        ref = out[key]["metafor_escalc_SMD"]
        assert close(es.yi[0], ref["yi"]) and close(es.vi[0], ref["vi"])
        yi, vi = smd_effect_sizes(g.mean()[0], g.std()[0], g.size()[0],
                                  g.mean()[1], g.std()[1], g.size()[1])
        assert close(yi[0], -ref["yi"])  # swapping the groups flips the sign


# ----------------------------------------------------------------------------------------------
# input forms, properties, leave-one-out, subgroups
# ----------------------------------------------------------------------------------------------

def _k12_df():
    inp = CASES["meta_smd_k12"]["inputs"]
    return pd.DataFrame({"trial": [f"T{i + 1}" for i in range(12)], "g": inp["yi"],
                         "v": inp["vi"], "grp": ["a"] * 6 + ["b"] * 6})


def test_dataframe_input_same_as_arrays_and_not_mutated():
    df = _k12_df()
    before = df.copy()
    r1 = meta_analysis(df, yi="g", vi="v", study="trial", method="PM")
    r2 = meta_analysis(yi=df["g"].to_numpy(), vi=df["v"].to_numpy(), method="PM")
    assert r1.estimate == r2.estimate and r1.study[0] == "T1"
    pd.testing.assert_frame_equal(df, before)
    assert list(r1.summary["term"]) == ["pooled", "tau2", "tau", "i2", "h2", "q", "prediction",
                                        "prediction_t"]
    assert r1.studies["weight"].sum() == pytest.approx(100)
    assert "PM" in repr(r1) and "I2=" in repr(r1)
    json.dumps(r1.to_dict(), allow_nan=False)


def test_swapping_sign_flips_estimate():
    inp = CASES["meta_smd_k12"]["inputs"]
    a = meta_analysis(yi=inp["yi"], vi=inp["vi"])
    b = meta_analysis(yi=-np.array(inp["yi"]), vi=inp["vi"])
    assert b.estimate == pytest.approx(-a.estimate, rel=1e-12)
    assert b.tau2 == pytest.approx(a.tau2, rel=1e-10)
    assert b.pi_lower == pytest.approx(-a.pi_upper, rel=1e-10)


def test_leave_one_out_matches_refits():
    df = _k12_df()
    res = meta_analysis(df, yi="g", vi="v", study="trial", method="DL")
    loo = leave_one_out(res).summary
    assert list(loo["study"]) == list(df["trial"])
    refit = meta_analysis(df.iloc[1:], yi="g", vi="v", method="DL")
    assert loo.loc[0, "estimate"] == pytest.approx(refit.estimate, rel=1e-12)
    assert loo.loc[0, "tau2"] == pytest.approx(refit.tau2, rel=1e-12)
    # every row against statsmodels' DerSimonian-Laird on the other eleven studies. statsmodels
    # leaves a negative moment estimate of tau2 as it is (without study 10 here: Q = 5.47 on 10
    # df); DL, as metafor, truncates it at 0, which is the fixed-effect fit
    from statsmodels.stats.meta_analysis import combine_effects

    truncated = 0
    for i in range(len(df)):
        rest = df.drop(index=i)
        sm = combine_effects(rest["g"].to_numpy(), rest["v"].to_numpy(), method_re="chi2")
        tau2 = max(sm.tau2, 0.0)
        estimate = sm.mean_effect_re if sm.tau2 > 0 else sm.mean_effect_fe
        truncated += sm.tau2 < 0
        assert loo.loc[i, "estimate"] == pytest.approx(estimate, rel=1e-10)
        assert loo.loc[i, "tau2"] == pytest.approx(tau2, rel=1e-10, abs=1e-14)
    assert truncated == 1
    mh = mantel_haenszel(_binary_df("meta_binary_k5"), events1="a", n1="n1", events2="c",
                         n2="n2", measure="RR")
    assert len(leave_one_out(mh).summary) == 5


def test_subgroups_fixed_effect_q_decomposition():
    df = _k12_df()
    sg = subgroup_analysis(df, yi="g", vi="v", group="grp", method="FE")
    total = sg.overall.q
    within = sum(r.q for r in sg.results)
    assert total == pytest.approx(within + sg.q_between, rel=1e-10)
    assert sg.df_between == 1 and 0 < sg.p_between < 1
    # by hand: inverse-variance means of each subgroup and overall, Q between them on 1 df
    w = 1 / df["v"]
    means = (w * df["g"]).groupby(df["grp"]).sum() / w.groupby(df["grp"]).sum()
    overall = (w * df["g"]).sum() / w.sum()
    q_between = float((w.groupby(df["grp"]).sum() * (means - overall) ** 2).sum())
    assert [r.estimate for r in sg.results] == pytest.approx(list(means), rel=1e-12)
    assert sg.q_between == pytest.approx(q_between, rel=1e-10)
    assert sg.p_between == pytest.approx(stats.chi2.sf(q_between, 1), rel=1e-10)
    s = sg.summary
    assert list(s["subgroup"]) == ["a", "b", "overall", "between"]


def test_subgroups_random_effects_and_single_study_group():
    df = _k12_df()
    df.loc[11, "grp"] = "c"
    sg = subgroup_analysis(df, yi="g", vi="v", group="grp", method="REML")
    assert sg.groups == ("a", "b", "c") and sg.results[2].k == 1
    assert sg.results[2].estimate == df.loc[11, "g"]
    sub_a = meta_analysis(df[df.grp == "a"], yi="g", vi="v", method="REML")
    assert sg.results[0].estimate == pytest.approx(sub_a.estimate, rel=1e-12)
    assert sg.df_between == 2
    # subgroup a by hand: REML tau2 maximises the restricted log-likelihood (scipy)
    from scipy import optimize

    y, v = df.loc[df.grp == "a", "g"].to_numpy(), df.loc[df.grp == "a", "v"].to_numpy()

    def mean_at(t2):
        return np.sum(y / (v + t2)) / np.sum(1 / (v + t2))

    def neg_restricted_loglik(t2):
        w = 1 / (v + t2)
        resid = np.sum(w * (y - mean_at(t2)) ** 2)
        return 0.5 * (np.sum(np.log(v + t2)) + math.log(w.sum()) + resid)

    t2 = optimize.minimize_scalar(neg_restricted_loglik, bounds=(0, 10), method="bounded",
                                  options={"xatol": 1e-12}).x
    t2 = 0.0 if neg_restricted_loglik(0.0) <= neg_restricted_loglik(t2) else t2
    assert sg.results[0].tau2 == pytest.approx(t2, rel=1e-5, abs=1e-9)
    assert sg.results[0].estimate == pytest.approx(mean_at(t2), rel=1e-7)


def test_knha_with_identical_effects_warns():
    from workbench import StatisticalWarning

    with pytest.warns(StatisticalWarning, match="Hartung-Knapp"):
        res = meta_analysis(yi=[0.3, 0.3, 0.3], vi=[0.1, 0.2, 0.3], method="DL", knha=True)
    assert res.se == 0 and res.estimate == pytest.approx(0.3)


def test_knha_widens_with_t_on_k_minus_1():
    inp = CASES["meta_smd_k5"]["inputs"]
    res = meta_analysis(yi=inp["yi"], vi=inp["vi"], method="DL", knha=True)
    assert res.df == 4 and res.test == "knha"
    assert res.summary.loc[0, "method"] == "DL+knha"
    # the interval is estimate -/+ t(0.975, k - 1) x SE, wider than the z interval of the same fit
    half = stats.t.ppf(0.975, 4) * res.se
    assert (res.ci_lower, res.ci_upper) == pytest.approx((res.estimate - half,
                                                          res.estimate + half), rel=1e-10)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(res.estimate / res.se), 4), rel=1e-10)
    z = meta_analysis(yi=inp["yi"], vi=inp["vi"], method="DL")
    assert res.ci_upper - res.ci_lower > z.ci_upper - z.ci_lower


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------

def test_nonpositive_variance_names_study_and_column():
    df = _k12_df()
    df.loc[3, "v"] = 0.0
    with pytest.raises(DataValidationError, match=r"study 'T4'.*column 'v'"):
        meta_analysis(df, yi="g", vi="v", study="trial")
    df.loc[3, "v"] = -0.2
    with pytest.raises(DataValidationError, match=r"study 'T4'.*'v' must be > 0; got -0\.2\."):
        meta_analysis(df, yi="g", vi="v", study="trial")


def test_non_numeric_and_missing_values():
    df = _k12_df().astype({"g": object})
    df.loc[2, "g"] = "n/a"
    with pytest.raises(DataValidationError, match=r"study 'T3'.*column 'g' must be numeric"):
        meta_analysis(df, yi="g", vi="v", study="trial")
    df.loc[2, "g"] = None
    with pytest.raises(DataValidationError, match=r"study 'T3'.*column 'g' is missing"):
        meta_analysis(df, yi="g", vi="v", study="trial")
    with pytest.raises(DataValidationError, match="column 'effect'"):
        meta_analysis(_k12_df(), yi="effect", vi="v")


def test_too_few_studies():
    with pytest.raises(DataValidationError, match="at least 2 studies"):
        meta_analysis(yi=[0.3], vi=[0.1])
    two = meta_analysis(yi=[0.3, 0.5], vi=[0.1, 0.2])
    assert math.isnan(two.pi_lower_t)
    with pytest.raises(DataValidationError, match="Egger.*at least 3"):
        egger_test(two)
    with pytest.raises(DataValidationError, match="trim-and-fill.*at least 3"):
        trim_and_fill(two)


def test_events_above_totals_and_negative_events():
    df = _binary_df("meta_binary_k5")
    df.loc[1, "a"] = 80
    with pytest.raises(DataValidationError, match=r"study 'S2'.*column 'a' \(80\) exceeds column"):
        effect_sizes(df, measure="OR", study="study", events1="a", n1="n1", events2="c", n2="n2")
    df.loc[1, "a"] = -1
    with pytest.raises(DataValidationError, match=r"study 'S2'.*column 'a' must be >= 0"):
        mantel_haenszel(df, study="study", events1="a", n1="n1", events2="c", n2="n2")


def test_smd_bad_sd_and_size():
    df = pd.DataFrame({"m1": [1.0, 2.0], "s1": [1.0, 0.0], "n1": [10, 10], "m2": [0.0, 0.0],
                       "s2": [1.0, 1.0], "n2": [10, 1]})
    with pytest.raises(DataValidationError, match=r"study '2'.*column 's1' must be > 0"):
        effect_sizes(df, measure="SMD", m1="m1", sd1="s1", n1="n1", m2="m2", sd2="s2", n2="n2")
    df.loc[1, "s1"] = 1.0
    with pytest.raises(DataValidationError, match=r"study '2'.*column 'n2' must be >= 2"):
        effect_sizes(df, measure="SMD", m1="m1", sd1="s1", n1="n1", m2="m2", sd2="s2", n2="n2")


def test_parameter_errors_name_the_parameter():
    inp = CASES["meta_smd_k5"]["inputs"]
    with pytest.raises(InvalidParameterError, match="method"):
        meta_analysis(yi=inp["yi"], vi=inp["vi"], method="HS")
    with pytest.raises(InvalidParameterError, match="conf_level"):
        meta_analysis(yi=inp["yi"], vi=inp["vi"], conf_level=95)
    with pytest.raises(InvalidParameterError, match="control"):
        meta_analysis(yi=inp["yi"], vi=inp["vi"], control={"iterations": 3})
    with pytest.raises(InvalidParameterError, match="MH"):
        meta_analysis(yi=inp["yi"], vi=inp["vi"], method="MH")
    res = meta_analysis(yi=inp["yi"], vi=inp["vi"])
    with pytest.raises(InvalidParameterError, match="estimator"):
        trim_and_fill(res, estimator="Q9")
    with pytest.raises(InvalidParameterError, match="model"):
        egger_test(res, model="glm")
    with pytest.raises(InvalidParameterError, match="result"):
        egger_test(res.summary)


def test_mh_not_estimable_names_column():
    df = _binary_df("meta_binary_k5")
    df["a"] = 0
    with pytest.raises(DataValidationError, match="column 'a' has no events"):
        mantel_haenszel(df, measure="RR", events1="a", n1="n1", events2="c", n2="n2")


def test_result_types():
    es = effect_sizes(_binary_df("meta_binary_k5"), measure="RR", events1="a", n1="n1",
                      events2="c", n2="n2")
    assert isinstance(es, EffectSizes) and "RR" in repr(es)
    assert list(es.summary.columns)[:3] == ["study", "yi", "vi"]
    res = meta_analysis(es)
    assert isinstance(res, MetaAnalysisResult) and "log scale" in repr(res)
    tf = trim_and_fill(res)
    assert list(tf.summary["analysis"]) == ["observed", "filled"]
    assert "k0=" in repr(tf) and "egger" in egger_test(res).summary.loc[0, "test"]


# ----------------------------------------------------------------------------------------------
# Mantel-Haenszel: tables with no events (or only events) in both groups, as metafor's rma.mh
# (escalc with drop00=TRUE behind Q, I2, H2 and regtest; the tables still count in k)
# ----------------------------------------------------------------------------------------------

# F: no events in either group; G: only events in both groups.
DZ = pd.DataFrame({"study": list("ABCDEFG"), "a": [0, 3, 5, 2, 7, 0, 10],
                   "n1": [20, 25, 30, 18, 40, 15, 10], "c": [2, 1, 0, 4, 3, 0, 12],
                   "n2": [21, 24, 30, 20, 41, 16, 12]})


def _hand_escalc(df, measure):
    """escalc by hand: 1/2 added to the four cells of a table with a zero cell."""
    a, c = df["a"].to_numpy(float), df["c"].to_numpy(float)
    b, d = df["n1"].to_numpy(float) - a, df["n2"].to_numpy(float) - c
    add = np.where((a == 0) | (b == 0) | (c == 0) | (d == 0), 0.5, 0.0)
    a, b, c, d = a + add, b + add, c + add, d + add
    p1, p2 = a / (a + b), c / (c + d)
    if measure == "RR":
        return np.log(p1 / p2), 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    if measure == "OR":
        return np.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d
    return p1 - p2, p1 * (1 - p1) / (a + b) + p2 * (1 - p2) / (c + d)


@pytest.mark.parametrize("measure", ["RR", "OR", "RD"])
def test_mh_heterogeneity_leaves_out_tables_without_an_effect(measure):
    res = mantel_haenszel(DZ, study="study", measure=measure, events1="a", n1="n1",
                          events2="c", n2="n2")
    y, v = _hand_escalc(DZ.iloc[:5], measure)
    q = float(np.sum((y - res.estimate) ** 2 / v))
    assert res.k == 7 and res.q_df == 4
    assert res.q == pytest.approx(q, rel=1e-12)
    assert res.q_p == pytest.approx(stats.chi2.sf(q, 4), rel=1e-10)
    assert res.i2 == pytest.approx(max(0.0, 100 * (q - 4) / q), rel=1e-12)
    assert res.h2 == pytest.approx(q / 4, rel=1e-12)
    # Egger (fixed-effect meta-regression on the standard error, z test) by hand on tables A-E
    X = np.column_stack([np.ones(5), np.sqrt(v)])
    xtwx = (X.T / v) @ X
    beta = np.linalg.solve(xtwx, (X.T / v) @ y)
    z = beta[1] / math.sqrt(np.linalg.inv(xtwx)[1, 1])
    eg = egger_test(res)
    assert eg.k == 5 and eg.statistic == pytest.approx(z, rel=1e-10)


def test_mh_odds_ratio_unchanged_by_tables_without_an_effect():
    full = mantel_haenszel(DZ, measure="OR", events1="a", n1="n1", events2="c", n2="n2")
    part = mantel_haenszel(DZ.iloc[:5], measure="OR", events1="a", n1="n1", events2="c", n2="n2")
    for name in ("estimate", "se", "q", "q_p", "i2", "h2"):
        assert getattr(full, name) == pytest.approx(getattr(part, name), rel=1e-12), name


@pytest.mark.parametrize("measure", ["RR", "OR"])
def test_mh_trim_and_fill_without_imputed_studies_is_the_fixed_effect_fit(measure):
    res = mantel_haenszel(DZ, measure=measure, events1="a", n1="n1", events2="c", n2="n2")
    tf = trim_and_fill(res)
    y, v = _hand_escalc(DZ.iloc[:5], measure)
    # k0 = 0 and side 'right' as computed independently from metafor's trimfill algorithm
    assert tf.k0 == 0 and tf.side == "right"
    assert tf.estimate == pytest.approx(np.sum(y / v) / np.sum(1 / v), rel=1e-12)
    assert tf.result.method == "FE" and tf.filled.size == tf.result.k == 5


def test_equal_variances_no_regression_on_the_standard_error():
    res = meta_analysis(yi=[0.1, 0.5, 0.3, 0.9], vi=[0.04] * 4)
    with pytest.raises(DataValidationError, match="Egger.*variances are equal"):
        egger_test(res)
    with pytest.raises(DataValidationError, match="trim-and-fill.*variances are equal"):
        trim_and_fill(res)
    # with the side given there is nothing to regress: L0 by hand. Estimate 0.45 (equal weights);
    # for side "left" the effects are mirrored, deviations 0.35, -0.05, 0.15, -0.45 with ranks of
    # |deviation| 3, 1, 2, 4: T = 3 + 2 = 5, L0 = (4 T - n (n + 1)) / (2 n - 1) = 0 -> k0 = 0
    assert trim_and_fill(res, side="left").k0 == 0


# ----------------------------------------------------------------------------------------------
# notebook 04
# ----------------------------------------------------------------------------------------------

NOTEBOOK = Path(__file__).parents[1] / "notebooks" / "04_meta_analysis.ipynb"
DATA_DIR = Path(__file__).parents[1] / "synthetic_data" / "meta"


def _dataset_effects(name, measure):
    df = pd.read_csv(DATA_DIR / f"{name}.csv")
    if measure == "SMD":
        return effect_sizes(df, measure="SMD", study="study", m1="mean_pdt", sd1="sd_pdt",
                            n1="n_pdt", m2="mean_ctrl", sd2="sd_ctrl", n2="n_ctrl")
    return effect_sizes(df, measure=measure, study="study", events1="dropout_pdt", n1="n_pdt",
                        events2="dropout_ctrl", n2="n_ctrl")


@pytest.mark.notebook
def test_notebook_04_records_the_library_results(tmp_path):
    import workbench as wb

    rec = wb.run_notebook(NOTEBOOK, tmp_path / "out.ipynb",
                          parameters={"dataset": "M1", "measure": "SMD", "method": "REML",
                                      "knha": True, "n_reps": 200, "seed": 7})
    res = meta_analysis(_dataset_effects("M1", "SMD"), method="REML", knha=True)
    assert rec["k"] == 5 and rec["patients"] == 435
    meta = rec["meta"]
    for key in ("estimate", "se", "ci_lower", "ci_upper", "p_value", "tau2", "i2", "h2", "q",
                "pi_lower", "pi_upper", "pi_lower_t", "pi_upper_t", "tau2_ci_upper"):
        assert meta[key] == pytest.approx(getattr(res, key), rel=1e-12), key
    assert meta["test"] == "knha"
    eg = egger_test(res)
    assert rec["egger"]["p_value"] == pytest.approx(eg.p_value, rel=1e-12)
    tf = trim_and_fill(res)
    assert rec["trimfill"]["k0"] == tf.k0 and rec["trimfill"]["side"] == tf.side
    sim = rec["simulation"]
    assert sim["n_reps"] == 200 and sim["true_effect"] == pytest.approx(res.estimate)
    # selective publication inflates the pooled estimate (beyond 4 Monte Carlo SE)
    assert sim["bias_published"] > 4 * sim["mc_se_published"]
    assert "subgroups" in rec and rec["subgroups"]["df"] == 2
    assert "M1, 5 trials" in rec["conclusion"] and "favouring PDT" in rec["conclusion"]


@pytest.mark.notebook
def test_notebook_04_mantel_haenszel_on_dropout(tmp_path):
    import workbench as wb

    rec = wb.run_notebook(NOTEBOOK, tmp_path / "out.ipynb",
                          parameters={"dataset": "M3", "measure": "RR", "method": "MH",
                                      "n_reps": 100})
    res = meta_analysis(_dataset_effects("M3", "RR"), method="MH")
    assert rec["meta"]["method"] == "MH" and rec["meta"]["k"] == 53
    assert rec["meta"]["estimate"] == pytest.approx(res.estimate, rel=1e-12)
    assert rec["meta"]["pi_lower"] is None
    assert "subgroups" not in rec
    assert "drop-out" in rec["conclusion"]


def test_mh_without_events_is_a_clear_error():
    none = pd.DataFrame({"e1": [0, 0, 0], "t1": [30, 25, 40], "e2": [0, 0, 0], "t2": [30, 26, 41]})
    cols = {"events1": "e1", "n1": "t1", "events2": "e2", "n2": "t2"}
    # the Sato-Greenland-Robins variance is 0 here (every term has a factor of a or c)
    with pytest.raises(DataValidationError, match="risk difference has no sampling variance.*'e1'"):
        mantel_haenszel(none, measure="RD", **cols)
    with pytest.raises(DataValidationError, match="odds ratio is not estimable.*column 'e1'"):
        mantel_haenszel(none, measure="OR", **cols)
