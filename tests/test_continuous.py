"""Continuous (HAM-D) outcomes: design, simulation, analysis, power, data sets, plots, notebook 05.

Reference numbers: tests/reference/continuous_analysis.json (R 4.2.2: ``t.test``, ``lm``,
``confint``, Hedges' g by hand, metafor ``escalc``, and the MMRM by ``nlme::gls(hamd ~ arm *
factor(week) + baseline, correlation = corSymm(form = ~ visit_index | id), weights = varIdent(form =
~ 1 | factor(week)), method = "REML")``; the R code is in tests/reference/r/
continuous_analysis.R and lib_continuous.R). t-tests, ANCOVA and Hedges' g are compared at 1e-6
relative, the MMRM estimate and standard error at 1e-5 relative (the stated requirement is 1e-4).
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from tests.helpers import REFERENCE_DIR as REF_DIR
from tests.helpers import ROOT, approx, reference_cases
from workbench.analysis.continuous import (
    ancova,
    ancova_arrays,
    ancova_locf,
    endpoint_rows,
    hedges_g,
    locf,
    mmrm,
    mmrm_arrays,
    t_test,
    ttest_arrays,
)
from workbench.design import ContinuousArm, ContinuousDesign, load_design
from workbench.exceptions import ConvergenceError, DataValidationError, InvalidParameterError
from workbench.power.continuous import (
    power_ancova,
    power_ttest,
)
from workbench.simulate.continuous import (
    arrays_to_long,
    simulate_continuous,
    simulate_continuous_arrays,
    write_continuous_datasets,
)

REF = reference_cases("continuous_analysis")
CROSS = REF["cont_hamd_week12_n80"]
LONG = REF["cont_hamd_longitudinal_n60_mmrm"]


@pytest.fixture(scope="module")
def cross():
    return pd.read_csv(REF_DIR / CROSS["inputs"]["csv"])


@pytest.fixture(scope="module")
def long():
    return pd.read_csv(REF_DIR / LONG["inputs"]["csv"])


def matrix(ref):
    rows = ref["matrix_rows"]
    return np.array(list(rows.values()) if isinstance(rows, dict) else rows, dtype=float)


# =============================================================================================
# reference values: cross-sectional
# =============================================================================================
def test_reference_data_are_the_files_r_analysed(cross, long):
    assert len(cross) == CROSS["inputs"]["n"] and list(cross.columns) == CROSS["inputs"]["columns"]
    assert len(long) == LONG["inputs"]["n_rows"] and list(long.columns) == LONG["inputs"]["columns"]


@pytest.mark.parametrize(("key", "equal_var", "change"), [
    ("week12_welch", False, False), ("week12_student", True, False),
    ("change_welch", False, True), ("change_student", True, True)])
def test_ttests_match_r(cross, key, equal_var, change):
    ref = CROSS["outputs"][key]
    r = t_test(cross, outcome="week12", group="arm", baseline="baseline" if change else None,
              equal_var=equal_var)
    assert r.reference == "0" and r.comparison == "1"  # first sorted level is the reference
    assert r.statistic == approx(ref["t"])
    assert r.df == approx(ref["df"])
    assert r.p_value == approx(ref["p"])
    assert r.estimate == approx(ref["difference"])
    assert r.se == approx(ref["stderr"])
    assert (r.ci_lower, r.ci_upper) == (approx(ref["ci95_lower"]), approx(ref["ci95_upper"]))
    assert r.mean_comparison == approx(ref["mean_arm1"])
    assert r.mean_reference == approx(ref["mean_arm0"])
    assert r.variable == ("change from baseline" if change else "outcome")


def test_ancova_matches_r_lm(cross):
    ref = CROSS["outputs"]["ancova"]
    r = ancova(cross, outcome="week12", group="arm", baseline="baseline")
    assert r.estimate == approx(ref["arm"]["estimate"])
    assert r.se == approx(ref["arm"]["se"])
    assert r.statistic == approx(ref["arm"]["t"])
    assert r.p_value == approx(ref["arm"]["p"])
    assert (r.ci_lower, r.ci_upper) == (approx(ref["arm"]["ci95_lower"]),
                                        approx(ref["arm"]["ci95_upper"]))
    assert r.baseline_slope == approx(ref["baseline"]["estimate"])
    assert r.baseline_se == approx(ref["baseline"]["se"])
    assert r.df == ref["df_residual"]
    assert r.sigma == approx(ref["sigma"])
    assert r.r_squared == approx(ref["r_squared"])
    adj = ref["adjusted_means_at_mean_baseline"]
    assert r.adjusted_mean_reference == approx(adj["arm0"])
    assert r.adjusted_mean_comparison == approx(adj["arm1"])
    assert r.mean_baseline == approx(adj["mean_baseline"])
    row = r.summary.iloc[1]
    assert row["p_value"] == approx(ref["baseline"]["p"])


def test_ancova_on_change_gives_the_same_difference(cross):
    d = cross.assign(change=cross["week12"] - cross["baseline"])
    r = ancova(d, outcome="change", group="arm", baseline="baseline")
    assert r.estimate == approx(CROSS["outputs"]["ancova"]["ancova_on_change_arm_estimate"])


@pytest.mark.parametrize(("key", "change"), [("hedges_g_week12", False),
                                             ("hedges_g_change", True)])
def test_hedges_g_matches_r(cross, key, change):
    ref = CROSS["outputs"][key]
    base = "baseline" if change else None
    g = hedges_g(cross, outcome="week12", group="arm", baseline=base)
    assert g.estimate == approx(ref["hedges_g"])
    assert g.cohens_d == approx(ref["cohens_d"])
    assert g.correction == approx(ref["J_approx"])
    assert g.sd_pooled == approx(ref["sd_pooled"])
    assert g.se == approx(ref["se_g"])
    assert (g.ci_lower, g.ci_upper) == (approx(ref["ci95_lower"]), approx(ref["ci95_upper"]))
    exact = hedges_g(cross, outcome="week12", group="arm", baseline=base, correction="exact")
    assert exact.estimate == approx(ref["metafor_escalc_SMD"]["yi"])  # metafor escalc("SMD")
    assert exact.correction == approx(ref["J_exact"])


def test_hedges_g_agrees_with_pingouin(cross):
    import pingouin as pg

    x1 = cross.loc[cross["arm"] == 1, "week12"]
    x0 = cross.loc[cross["arm"] == 0, "week12"]
    g = hedges_g(cross, outcome="week12", group="arm")
    assert g.estimate == approx(pg.compute_effsize(x1, x0, eftype="hedges"))


# =============================================================================================
# reference values: MMRM (nlme::gls)
# =============================================================================================
@pytest.fixture(scope="module")
def mmrm_ref(long):
    return mmrm(long, outcome="hamd", group="arm", visit="week", subject="id",
                baseline="baseline")


def test_mmrm_matches_nlme_gls(mmrm_ref):
    ref = LONG["outputs"]["mmrm_gls"]["tight"]
    eff = ref["arm_effect_week12"]
    r = mmrm_ref
    assert r.visit == 12
    assert r.estimate == pytest.approx(eff["estimate"], rel=1e-5)
    assert r.se == pytest.approx(eff["se"], rel=1e-5)
    assert r.df == eff["df_gls"] and r.df_method == "residual"
    assert r.p_value == pytest.approx(eff["p_t_df_gls"], rel=1e-5)
    assert r.ci_lower == pytest.approx(eff["ci95_lower_t"], rel=1e-5)
    assert r.ci_upper == pytest.approx(eff["ci95_upper_t"], rel=1e-5)
    assert (r.n_obs, r.n_subjects, r.n_baseline_rows) == (ref["n_obs"], ref["n_patients"], 60)
    # every fixed effect, its SE and the whole covariance of the estimates
    coefs = ref["coefficients"]
    assert np.allclose(r.coefficients["estimate"], coefs["estimate"], rtol=1e-5, atol=1e-7)
    assert np.allclose(r.coefficients["se"], coefs["se"], rtol=1e-5)
    # covariance between visits and the REML log-likelihood (nlme includes the constant)
    assert np.allclose(r.covariance.to_numpy(), matrix(ref["covariance_unstructured"]), rtol=1e-5)
    assert r.loglik == pytest.approx(ref["loglik_reml_nlme"], abs=1e-6)
    # the independent re-maximisation in the reference reaches the same point
    indep = ref["reml_crosscheck"]["independent_optim"]
    assert r.estimate == pytest.approx(indep["arm_effect_week12_estimate"], rel=1e-5)


def test_mmrm_effects_at_every_visit_match_the_gls_coefficients(mmrm_ref):
    ref = LONG["outputs"]["mmrm_gls"]["tight"]
    terms = dict(zip(ref["coefficients"]["terms"], ref["coefficients"]["estimate"], strict=True))
    V = matrix(ref["vcov_beta"])
    eff = mmrm_ref.effects.set_index("visit")
    assert eff.loc[4, "estimate"] == pytest.approx(terms["arm"], rel=1e-5)
    assert eff.loc[8, "estimate"] == pytest.approx(terms["arm"] + terms["arm:fweek8"], rel=1e-5)
    L = np.array([0, 1, 0, 0, 0, 1, 0.0])
    assert eff.loc[8, "se"] == pytest.approx(math.sqrt(L @ V @ L), rel=1e-5)


def test_mmrm_with_one_post_baseline_visit_is_the_completers_ancova(long):
    ref = LONG["outputs"]["completers_ancova_week12"]
    r = mmrm(long[long["week"].isin([0, 12])], outcome="hamd", group="arm", visit="week",
             subject="id", baseline="baseline")
    assert r.estimate == approx(ref["arm"]["estimate"])
    assert r.se == approx(ref["arm"]["se"])
    end = endpoint_rows(long, visit="week")
    a = ancova(end, outcome="hamd", group="arm", baseline="baseline")
    assert a.estimate == approx(ref["arm"]["estimate"]) and a.df == ref["df_residual"]


def test_mmrm_satterthwaite_df_is_exact_in_a_complete_balanced_case():
    # complete data, a baseline slope per visit: each visit's effect is the ANCOVA at that visit
    # (seemingly unrelated regressions with the same regressors), and Satterthwaite's df is n - 3
    df = simulate_continuous(dataclasses.replace(load_design("t7"), dropout=(0, 0, 0)), rng=4)
    r = mmrm(df, outcome="hamd", group="arm", visit="week", subject="subject",
             baseline="baseline", baseline_by_visit=True, df_method="satterthwaite")
    for row in r.effects.itertuples():
        a = ancova(df[df["week"] == row.visit], outcome="hamd", group="arm", baseline="baseline")
        assert row.estimate == approx(a.estimate, rel=1e-6)
        assert row.se == approx(a.se, rel=1e-5)
        assert row.df == pytest.approx(37, rel=1e-4)


def test_mmrm_does_not_depend_on_row_order_or_labels(long, mmrm_ref):
    shuffled = long.sample(frac=1, random_state=3).reset_index(drop=True)
    shuffled["arm"] = shuffled["arm"].map({0: "control", 1: "pdt"})
    r = mmrm(shuffled, outcome="hamd", group="arm", visit="week", subject="id",
             baseline="baseline")
    assert r.comparison == "pdt" and r.estimate == approx(mmrm_ref.estimate, rel=1e-7)


def test_swapping_the_reference_flips_every_difference(cross, long, mmrm_ref):
    for fn, kw in ((t_test, {}), (ancova, {"baseline": "baseline"}), (hedges_g, {})):
        a = fn(cross, outcome="week12", group="arm", **kw)
        b = fn(cross, outcome="week12", group="arm", reference=1, **kw)
        assert b.estimate == approx(-a.estimate) and b.ci_lower == approx(-a.ci_upper)
    r = mmrm(long, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline",
             reference=1)
    assert r.estimate == approx(-mmrm_ref.estimate, rel=1e-7) and r.se == approx(mmrm_ref.se, 1e-7)


def test_inputs_are_not_modified(cross, long):
    c0, l0 = cross.copy(), long.copy()
    t_test(cross, outcome="week12", group="arm", baseline="baseline")
    ancova(cross, outcome="week12", group="arm", baseline="baseline")
    mmrm(long, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline")
    locf(long, outcome="hamd", visit="week", subject="id")
    pd.testing.assert_frame_equal(cross, c0)
    pd.testing.assert_frame_equal(long, l0)


def test_missing_outcomes_are_left_out_and_counted(cross, long, mmrm_ref):
    d = cross.copy()
    d.loc[[0, 50], "week12"] = np.nan
    r = t_test(d, outcome="week12", group="arm")
    assert r.n_missing == 2 and r.n_reference + r.n_comparison == 78
    # explicit empty rows for missed visits give the same MMRM as absent rows
    full = pd.MultiIndex.from_product([long["id"].unique(), [0, 4, 8, 12]], names=["id", "week"])
    padded = long.set_index(["id", "week"]).reindex(full).reset_index()
    padded[["arm", "baseline"]] = padded.groupby("id")[["arm", "baseline"]].ffill()
    r = mmrm(padded, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline")
    assert r.n_missing == 240 - 233
    assert r.estimate == approx(mmrm_ref.estimate, rel=1e-9)


# =============================================================================================
# LOCF sensitivity analysis
# =============================================================================================
def test_locf_carries_the_last_value_forward_and_is_labelled(long):
    filled = locf(long, outcome="hamd", visit="week", subject="id")
    assert len(filled) == 60 * 4
    last_seen = long.sort_values("week").groupby("id")["hamd"].last()
    end = filled[filled["week"] == 12].set_index("id")["hamd"]
    assert (end == last_seen.loc[end.index]).all()
    assert int(filled["imputed"].sum()) == 240 - 233
    r = ancova_locf(long, outcome="hamd", group="arm", baseline="baseline", visit="week",
                    subject="id")
    assert "LOCF" in r.method and "sensitivity" in r.method
    assert r.n_imputed == 6 and r.n == 60
    direct = ancova(end.rename("hamd").reset_index().merge(
        long.groupby("id")[["arm", "baseline"]].first().reset_index()),
        outcome="hamd", group="arm", baseline="baseline")
    assert r.estimate == approx(direct.estimate)


# =============================================================================================
# bad input
# =============================================================================================
def test_duplicate_subject_visit_is_an_error(long):
    bad = pd.concat([long, long.iloc[[5]]])
    with pytest.raises(DataValidationError, match=r"subject '2'.*2 rows at week 4"):
        mmrm(bad, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline")


def test_non_numeric_visit_is_an_error(long):
    bad = long.assign(week=long["week"].map(lambda w: f"w{w}"))
    with pytest.raises(DataValidationError, match="'week'.*numeric"):
        mmrm(bad, outcome="hamd", group="arm", visit="week", subject="id")


def test_missing_baseline_is_an_error(cross, long):
    bad = cross.copy()
    bad.loc[3, "baseline"] = np.nan
    with pytest.raises(DataValidationError, match="'baseline' has 1 missing"):
        ancova(bad, outcome="week12", group="arm", baseline="baseline")
    bad = long.copy()
    bad.loc[3, "baseline"] = np.nan
    with pytest.raises(DataValidationError, match="'baseline'"):
        mmrm(bad, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline")


def test_baseline_or_group_changing_within_a_subject_is_an_error(long):
    bad = long.copy()
    bad.loc[2, "baseline"] = 99
    with pytest.raises(DataValidationError, match="'baseline' must be the same"):
        mmrm(bad, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline")


def test_groups_and_options_are_checked(cross):
    three = cross.assign(arm=cross["arm"].astype(str))
    three.loc[:3, "arm"] = "x"
    with pytest.raises(DataValidationError, match="'arm' must have exactly two groups"):
        t_test(three, outcome="week12", group="arm")
    with pytest.raises(InvalidParameterError, match="reference"):
        t_test(cross, outcome="week12", group="arm", reference="placebo")
    with pytest.raises(InvalidParameterError, match="conf_level"):
        ancova(cross, outcome="week12", group="arm", baseline="baseline", conf_level=95)
    with pytest.raises(InvalidParameterError, match="correction"):
        hedges_g(cross, outcome="week12", group="arm", correction="hedges")
    with pytest.raises(DataValidationError, match="'nope' is missing"):
        t_test(cross, outcome="nope", group="arm")
    with pytest.raises(DataValidationError, match="'week12' must be numeric"):
        t_test(cross.assign(week12="x"), outcome="week12", group="arm")


def test_mmrm_not_estimable_or_not_converging_says_why(long):
    no_visit = long[~((long["arm"] == 1) & (long["week"] == 8))]
    with pytest.raises(DataValidationError, match="group '1' has no 'hamd' values at week 8"):
        mmrm(no_visit, outcome="hamd", group="arm", visit="week", subject="id")
    flat = long.copy()
    flat.loc[flat["week"] == 4, "hamd"] = 15  # no variation at week 4: singular covariance
    with pytest.raises(ConvergenceError, match="Fisher scoring.*BFGS"):
        mmrm(flat, outcome="hamd", group="arm", visit="week", subject="id", baseline="baseline")


# =============================================================================================
# vectorised analyses (simulation) agree with the one-data-set functions
# =============================================================================================
def test_array_analyses_match_the_data_frame_functions():
    design = load_design("t8")
    sims = simulate_continuous_arrays(design, 6, rng=8)
    mm = mmrm_arrays(sims.y[..., 1:], sims.observed[..., 1:], sims.arm, baseline=sims.y[..., 0])
    end_obs = sims.observed[..., -1]
    an = ancova_arrays(sims.y[..., -1], end_obs, sims.arm, sims.y[..., 0])
    tt = ttest_arrays(sims.y[..., -1], end_obs, sims.arm)
    st = ttest_arrays(sims.y[..., -1], end_obs, sims.arm, equal_var=True)
    opts = dict(outcome="hamd", group="arm", reference="usual_care")
    for rep in range(sims.n_reps):
        df = arrays_to_long(sims, design.arm_names, rep)
        r = mmrm(df, visit="week", subject="subject", baseline="baseline", **opts)
        assert mm["converged"][rep]
        assert mm["estimate"][rep] == pytest.approx(r.estimate, rel=1e-5, abs=1e-8)
        assert mm["se"][rep] == pytest.approx(r.se, rel=1e-5)
        assert mm["df"][rep] == r.df
        end = df[(df["week"] == 57) & df["hamd"].notna()]
        a = ancova(end, baseline="baseline", **opts)
        assert an["estimate"][rep] == approx(a.estimate) and an["se"][rep] == approx(a.se)
        assert an["p_value"][rep] == approx(a.p_value)
        t = t_test(end, **opts)
        assert tt["statistic"][rep] == approx(t.statistic) and tt["df"][rep] == approx(t.df)
        s = t_test(end, equal_var=True, **opts)
        assert st["p_value"][rep] == approx(s.p_value)


def test_mmrm_arrays_marks_replicates_it_cannot_fit():
    y = np.random.default_rng(1).normal(20, 5, size=(2, 10, 2))
    obs = np.ones_like(y, dtype=bool)
    obs[1, 5:, 1] = False  # replicate 1: arm 1 never seen at the last visit
    out = mmrm_arrays(y, obs, np.repeat([0, 1], 5))
    assert out["converged"].tolist() == [True, False]
    assert np.isfinite(out["estimate"][0]) and np.isnan(out["estimate"][1])


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_ttest_and_ancova_arrays_equal_scipy_and_statsmodels_per_row(alternative):
    """On realistic simulated trials (drop-out: complete cases differ per row) every row of the
    batched t-tests equals scipy's ttest_ind and every row of the batched ANCOVA statsmodels OLS."""
    import statsmodels.api as sm
    from scipy import stats

    sims = simulate_continuous_arrays(
        dataclasses.replace(load_design("t7"), dropout=(0.1, 0.1, 0.1)), 40, rng=4)
    y, obs, base = sims.y[..., -1], sims.observed[..., -1], sims.y[..., 0]
    arm = np.broadcast_to(sims.arm, y.shape).astype(bool)
    welch = ttest_arrays(y, obs, sims.arm, alternative=alternative)
    student = ttest_arrays(y, obs, sims.arm, equal_var=True, alternative=alternative)
    anc = ancova_arrays(y, obs, sims.arm, base, alternative=alternative)
    for r in range(y.shape[0]):
        x1, x0 = y[r, obs[r] & arm[r]], y[r, obs[r] & ~arm[r]]
        for out, equal_var in ((welch, False), (student, True)):
            ref = stats.ttest_ind(x1, x0, equal_var=equal_var, alternative=alternative)
            assert out["statistic"][r] == approx(ref.statistic, rel=1e-10)
            assert out["p_value"][r] == approx(ref.pvalue, rel=1e-9)
            assert out["df"][r] == approx(ref.df, rel=1e-10)
            assert out["estimate"][r] == approx(x1.mean() - x0.mean(), rel=1e-10)
        X = np.column_stack([np.ones(obs[r].sum()), arm[r, obs[r]], base[r, obs[r]]])
        fit = sm.OLS(y[r, obs[r]], X).fit()
        assert anc["estimate"][r] == approx(fit.params[1], rel=1e-9)
        assert anc["se"][r] == approx(fit.bse[1], rel=1e-9)
        assert anc["statistic"][r] == approx(fit.tvalues[1], rel=1e-9)
        assert anc["df"][r] == fit.df_resid
        two_sided = fit.pvalues[1]
        t = fit.tvalues[1]
        expected = {"two-sided": two_sided, "greater": stats.t.sf(t, fit.df_resid),
                    "less": stats.t.cdf(t, fit.df_resid)}[alternative]
        assert anc["p_value"][r] == approx(expected, rel=1e-9)


def test_array_tests_are_nan_where_undefined():
    """The one degenerate-case rule of the batched tests: an undefined statistic is NaN, its
    p-value too, and a NaN p-value is never a rejection."""
    arm = np.repeat([0, 1], 4)
    y = np.array([[5.0] * 8,                               # constant: standard error 0
                  [3.0, 4, 5, 6, 7, 8, 9, 10],             # ordinary
                  [3.0, 4, 5, 6, 7, 8, 9, 10]])            # arm 1 has one observed value
    obs = np.ones_like(y, bool)
    obs[2, 5:] = False
    for equal_var in (False, True):
        out = ttest_arrays(y, obs, arm, equal_var=equal_var)
        assert out["estimate"][0] == 0 and out["se"][0] == 0
        assert np.isnan(out["statistic"][0]) and np.isnan(out["p_value"][0])
        assert np.isfinite(out["statistic"][1]) and np.isfinite(out["p_value"][1])
        assert all(np.isnan(out[k][2]) for k in ("estimate", "se", "df", "statistic", "p_value"))
        assert not (out["p_value"] < 0.05)[[0, 2]].any()
    # ANCOVA: an exact fit (statistic undefined), an ordinary row, a constant baseline (the model
    # is not estimable) and too few observations
    base = np.array([[1.0, 2, 3, 4, 5, 6, 7, 8]] * 4)
    base[2] = 3.0
    noisy = np.array([3.0, 5, 4, 8, 7, 9, 12, 10])
    yy = np.vstack([2 * base[0] + 5 * arm, noisy, noisy, noisy])
    ob = np.ones_like(yy, bool)
    ob[3, [1, 2, 5, 6, 7]] = False
    out = ancova_arrays(yy, ob, arm, base)
    assert out["estimate"][0] == approx(5.0) and out["df"][0] == 5
    assert np.isnan(out["statistic"][0]) and np.isnan(out["p_value"][0])
    assert np.isfinite(out["p_value"][1])
    for r in (2, 3):
        assert all(np.isnan(out[k][r]) for k in ("estimate", "se", "df", "statistic", "p_value"))
    assert not (out["p_value"] < 0.05)[[0, 2, 3]].any()
    with pytest.raises(InvalidParameterError, match="alternative"):
        ttest_arrays(y, obs, arm, alternative="two.sided")
    with pytest.raises(InvalidParameterError, match="equal_var"):
        ttest_arrays(y, obs, arm, equal_var="yes")
    with pytest.raises(InvalidParameterError, match="observed"):
        ancova_arrays(y, obs[:, :4], arm, base[:3])


# =============================================================================================
# design
# =============================================================================================
def test_trial_shapes():
    t7, t8 = load_design("t7"), load_design("t8")
    assert t7.n_total == 40 and t7.weeks[-1] == 12 and t7.n_visits == 4
    assert t8.n_total == 149 and t8.weeks == (0, 5, 57) and t8.dropout_mechanism == "MAR"
    assert t7.endpoint_difference == -4 and t8.endpoint_difference == -3
    assert t7.arm_names == ("usual_care", "pdt")


@pytest.mark.parametrize("design", [load_design("t7"), load_design("t8"),
                                    dataclasses.replace(load_design("t7"),
                                                        covariance="compound_symmetry")])
def test_design_round_trips(design, tmp_path):
    assert ContinuousDesign.from_dict(design.to_dict()) == design
    assert ContinuousDesign.from_yaml(design.to_yaml()) == design
    assert ContinuousDesign.from_json(design.to_json()) == design
    design.to_yaml(tmp_path / "d.yaml")
    design.to_json(tmp_path / "d.json")
    assert ContinuousDesign.from_file(tmp_path / "d.yaml") == design
    assert ContinuousDesign.from_file(tmp_path / "d.json") == design
    json.dumps(design.to_dict())  # plain JSON


def test_covariance_structures():
    cs = dataclasses.replace(load_design("t7"), covariance="compound_symmetry", rho=0.4)
    ar = dataclasses.replace(load_design("t7"), rho=0.5)
    r_cs, r_ar = cs.correlation_matrix(), ar.correlation_matrix()
    assert r_cs[0, 3] == r_cs[1, 2] == pytest.approx(0.4)
    assert r_ar[0, 1] == 0.5 and r_ar[0, 3] == pytest.approx(0.125)
    un = load_design("t8")
    assert un.covariance_matrix()[0, 2] == pytest.approx(0.35 * 5 * 7)
    assert un.baseline_endpoint_correlation == pytest.approx(0.35)


def test_replace_revalidates():
    d = dataclasses.replace(load_design("t7"), dropout=(0.1, 0.1, 0.1))
    assert d.completion_probability == pytest.approx(0.9 ** 3)
    with pytest.raises(InvalidParameterError, match="dropout"):
        dataclasses.replace(d, dropout=(0.1, 0.1))


@pytest.mark.parametrize(("changes", "name"), [
    ({"weeks": (1, 4, 8, 12)}, "weeks"),
    ({"weeks": (0, 8, 4, 12)}, "weeks"),
    ({"sd": (4, 5, 6)}, "sd"),
    ({"sd": (4, 5, 0, 6)}, "sd"),
    ({"rho": None}, "rho"),
    ({"rho": 1.0}, "rho"),
    ({"covariance": "toeplitz"}, "covariance"),
    ({"covariance": "unstructured", "rho": None}, "correlation"),
    ({"covariance": "unstructured", "rho": None,
      "correlation": [[1, 0.9, 0.9, -0.9], [0.9, 1, 0.9, 0.9], [0.9, 0.9, 1, 0.9],
                      [-0.9, 0.9, 0.9, 1]]}, "positive definite"),
    ({"dropout": (0.1, 1.0, 0.1)}, "dropout"),
    ({"dropout_slope": 0.1}, "dropout_slope"),
    ({"dropout_mechanism": "MNAR"}, "dropout_mechanism"),
    ({"remission_threshold": 60}, "remission_threshold"),
    ({"arms": [ContinuousArm("a", 20, (22, 19, 17, 15))]}, "arms"),
    ({"arms": [ContinuousArm("a", 20, (22, 19, 17, 15)), ContinuousArm("b", 20, (22, 19, 17))]},
     "means"),
    ({"arms": [ContinuousArm("a", 20, (22, 19, 17, 55)), ContinuousArm("b", 20, (22, 19, 17, 5))]},
     "scale"),
])
def test_design_errors_name_the_parameter(changes, name):
    with pytest.raises(InvalidParameterError, match=name):
        dataclasses.replace(load_design("t7"), **changes)


def test_arm_and_dict_errors():
    with pytest.raises(InvalidParameterError, match="n"):
        ContinuousArm("a", 1, (22, 15))
    with pytest.raises(InvalidParameterError, match="unknown design field"):
        ContinuousDesign.from_dict({**load_design("t7").to_dict(), "visits": [0, 4]})


# =============================================================================================
# simulation
# =============================================================================================
def test_simulated_data_frame():
    design = load_design("t8")
    df = wb.simulate_trial(design, rng=3)
    assert list(df.columns) == ["subject", "arm", "visit", "week", "baseline", "hamd",
                                "dropped_out", "remission"]
    assert len(df) == 149 * 3
    assert df.equals(simulate_continuous(design, rng=3))
    assert not df.equals(simulate_continuous(design, rng=4))
    sims = wb.simulate_arrays(design, 1, rng=3)
    pd.testing.assert_frame_equal(df, arrays_to_long(sims, design.arm_names))
    # scores are whole points in 0..52, missing exactly where dropped out, monotone
    h = df["hamd"].dropna()
    assert (h == h.round()).all() and h.between(0, 52).all()
    assert (df["hamd"].isna() == df["dropped_out"]).all()
    wide = df.pivot(index="subject", columns="visit", values="dropped_out")
    assert (wide.astype(int).diff(axis=1).fillna(0) >= 0).all().all()
    # remission: score <= 7 at the last visit, <NA> if not seen there
    last = df[df["visit"] == 2].set_index("subject")
    seen = last["hamd"].notna()
    assert (last.loc[seen, "remission"] == (last.loc[seen, "hamd"] <= 7)).all()
    assert last.loc[~seen, "remission"].isna().all()


def test_common_random_numbers_across_arm_sizes():
    small = simulate_continuous_arrays(load_design("t7"), 3, rng=9)
    big_design = dataclasses.replace(load_design("t7"),
                                     arms=[ContinuousArm("usual_care", 30, (22, 19, 17, 15)),
                                           ContinuousArm("pdt", 25, (22, 17, 14, 11))])
    big = simulate_continuous_arrays(big_design, 3, rng=9)
    assert np.array_equal(small.y[:, :20], big.y[:, :20])          # control arm, first 20
    assert np.array_equal(small.y[:, 20:40], big.y[:, 30:50])      # experimental, first 20


def test_simulated_moments_match_the_design():
    # means at least 4 SD from the scale limits (no clipping): rounding adds only variance 1/12
    design = dataclasses.replace(
        load_design("t8"),
        arms=[ContinuousArm("usual_care", 74, (26, 30, 28)),
              ContinuousArm("pdt", 75, (26, 27, 25))],
        dropout=(0, 0), dropout_mechanism="MCAR", dropout_slope=0)
    sims = simulate_continuous_arrays(design, 400, rng=1)   # 59,600 patients
    for a in (0, 1):
        y = sims.y[:, sims.arm == a].reshape(-1, 3)
        se = np.sqrt(np.diag(design.covariance_matrix()) / len(y))
        assert np.all(np.abs(y.mean(axis=0) - design.mean_matrix()[a]) < 4 * se)
        # correlation SE about (1 - r^2) / sqrt(n) < 0.006
        assert np.allclose(np.corrcoef(y.T), design.correlation_matrix(), atol=0.025)
        sd = np.sqrt(np.diag(design.covariance_matrix()) + 1 / 12)
        assert np.allclose(y.std(axis=0), sd, rtol=0.02)


def test_dropout_mcar_and_mar():
    mcar = dataclasses.replace(load_design("t7"), dropout=(0.1, 0.2, 0.3))
    s = simulate_continuous_arrays(mcar, 500, rng=2)
    n = s.observed[..., 0].size
    for j, target in enumerate(np.cumprod([0.9, 0.8, 0.7]), start=1):
        share = s.observed[..., j].mean()
        assert abs(share - target) < 4 * math.sqrt(target * (1 - target) / n)
    mar = dataclasses.replace(load_design("t7"), dropout=(0.2, 0.2, 0.2), dropout_mechanism="MAR",
                              dropout_slope=0.15)
    s = simulate_continuous_arrays(mar, 300, rng=2)
    left = s.observed[..., 0] & ~s.observed[..., 1]
    stayed = s.observed[..., 1]
    # sicker patients (higher baseline) leave more often
    assert s.y[..., 0][left].mean() > s.y[..., 0][stayed].mean() + 1


def test_simulate_checks_its_arguments():
    with pytest.raises(InvalidParameterError, match="n_reps"):
        simulate_continuous_arrays(load_design("t7"), 0)
    with pytest.raises(InvalidParameterError, match="design"):
        simulate_continuous_arrays("t7", 2)


# =============================================================================================
# power
# =============================================================================================
def test_power_ancova_solver_round_trips():
    n = power_ancova(difference=-4, sd=6, rho=0.5, power=0.8)
    back = power_ancova(difference=-4, sd=6, rho=0.5, n1=n.n_exact[0], n2=n.n_exact[1])
    assert back.power == pytest.approx(0.8, abs=1e-9)
    e = power_ancova(rho=0.5, n1=30, n2=30, power=0.9)
    assert power_ancova(e.effect_size, rho=0.5, n1=30, n2=30).power == pytest.approx(0.9, abs=1e-9)
    unequal = power_ancova(0.5, rho=0.3, power=0.8, allocation_ratio=2)
    assert unequal.n_exact[0] == pytest.approx(2 * unequal.n_exact[1])


def test_power_ancova_against_the_normal_formula_and_the_t_test():
    # Borm et al. (2007): n per arm = 2 (z_a + z_b)^2 (1 - rho^2) / d^2, about 1 fewer than exact
    from scipy.stats import norm

    for d, rho in ((0.5, 0.5), (0.3, 0.7), (0.8, 0.2)):
        z = norm.ppf(0.975) + norm.ppf(0.8)
        normal = 2 * z * z * (1 - rho * rho) / d ** 2
        exact = power_ancova(d, rho=rho, power=0.8).n_exact[0]
        assert 0 < exact - normal < 2.5
    # with rho = 0 the ANCOVA loses one df against the t-test: power in between n - 1 and n
    t_n = power_ttest(0.5, n1=40, n2=40).power
    t_less = power_ttest(0.5, n1=39.5, n2=39.5).power
    a = power_ancova(0.5, rho=0, n1=40, n2=40).power
    assert t_less < a < t_n


@pytest.mark.parametrize(("d", "rho", "n1", "n2", "sided"), [
    (0.5, 0.6, 40, 40, 2), (0.5, 0.0, 40, 40, 2), (-0.3, 0.45, 70, 35, 2), (0.4, 0.7, 25, 30, 1)])
def test_power_ancova_is_the_noncentral_t(d, rho, n1, n2, sided):
    """Independently: the adjusted difference over its SE sd sqrt(1 - rho^2) sqrt(1/n1 + 1/n2) is
    noncentral t on n1 + n2 - 3 df (scipy); power counts both tails (one tail when one-sided)."""
    from scipy import stats

    df = n1 + n2 - 3
    ncp = abs(d) / math.sqrt(1 - rho**2) / math.sqrt(1 / n1 + 1 / n2)
    crit = stats.t.ppf(1 - 0.05 / sided, df)
    expected = stats.nct.sf(crit, df, ncp) + (stats.nct.cdf(-crit, df, ncp) if sided == 2 else 0)
    # one-sided in the direction of the effect
    alternative = "two-sided" if sided == 2 else ("greater" if d > 0 else "less")
    got = power_ancova(d, rho=rho, n1=n1, n2=n2, alternative=alternative).power
    assert got == pytest.approx(expected, rel=1e-9)
    # the same through difference and sd
    assert power_ancova(difference=6 * d, sd=6, rho=rho, n1=n1, n2=n2,
                        alternative=alternative).power == pytest.approx(expected, rel=1e-9)


def test_power_ancova_one_sided_against_an_effect_the_other_way():
    """The upper tail of the noncentral t with a negative noncentrality (scipy): small power,
    and no sample size for a target power."""
    from scipy import stats

    df, ncp = 52, -0.4 / math.sqrt(1 - 0.7**2) / math.sqrt(1 / 25 + 1 / 30)
    got = power_ancova(-0.4, rho=0.7, n1=25, n2=30, alternative="greater").power
    assert got == pytest.approx(stats.nct.sf(stats.t.ppf(0.95, df), df, ncp), rel=1e-9)
    assert got < 0.05
    with pytest.raises(InvalidParameterError, match="alternative"):
        power_ancova(-0.4, rho=0.7, power=0.8, alternative="greater")
    e = power_ancova(rho=0.5, n1=30, n2=30, power=0.9, alternative="less")
    assert e.effect_size < 0 and e.sided == 1


def test_power_ancova_errors_name_the_parameter():
    with pytest.raises(InvalidParameterError, match="rho"):
        power_ancova(0.5, rho=1.2, n1=20, n2=20)
    with pytest.raises(InvalidParameterError, match="exactly one"):
        power_ancova(0.5, rho=0.5)
    with pytest.raises(InvalidParameterError, match="alpha"):
        power_ancova(0.5, rho=0.5, n1=20, n2=20, alpha=1.5)
    with pytest.raises(InvalidParameterError, match="dropout"):
        power_ancova(0.5, rho=0.5, power=0.8, dropout=1)


def _check_simulated_ancova_power(n_reps, rng):
    design = dataclasses.replace(
        load_design("t7"),
        arms=[ContinuousArm("usual_care", 50, (26, 22, 20, 18)),
              ContinuousArm("pdt", 50, (26, 21, 18.5, 15.5))],
        dropout=(0, 0, 0))
    sim = wb.compare_tests(design, tests=["ancova", "mmrm"], n_reps=n_reps, rng=rng,
                           progress=False)
    closed = power_ancova(difference=-2.5, sd=6, rho=design.baseline_endpoint_correlation,
                          n1=50, n2=50).power
    row = sim.set_index("test").loc["ancova"]
    assert row["mcse"] == pytest.approx(math.sqrt(row["power"] * (1 - row["power"]) / n_reps))
    # rounding to whole points adds variance 1/12 (power lower by < 0.005): allow 3.5 MC SE
    assert abs(row["power"] - closed) < 3.5 * row["mcse"] + 0.005
    # complete data: the MMRM and the ANCOVA estimate the same difference with similar precision
    mm = sim.set_index("test").loc["mmrm"]
    assert mm["n_failed"] == 0
    assert abs(mm["power"] - closed) < 4 * mm["mcse"] + 0.01
    return design, sim


def test_simulated_ancova_power_agrees_with_the_closed_form():
    design, sim = _check_simulated_ancova_power(1000, 17)   # MC SE about 0.016
    again = wb.compare_tests(ContinuousDesign.from_dict(design.to_dict()), tests=["ancova", "mmrm"],
                             n_reps=1000, rng=17, progress=False)
    pd.testing.assert_frame_equal(sim, again)   # same seed, same numbers


@pytest.mark.slow
def test_simulated_ancova_power_agrees_with_the_closed_form_large():
    _check_simulated_ancova_power(20000, 18)   # MC SE about 0.0035


def _null_design(n):
    return dataclasses.replace(
        load_design("t8"),
        arms=[ContinuousArm("usual_care", n, (26, 16, 14)), ContinuousArm("pdt", n, (26, 16, 14))])


def test_mmrm_type_i_error_under_the_null():
    row = wb.simulate_power(_null_design(100), test="mmrm", n_reps=1000, rng=5, type1=False,
                            progress=False)
    se = math.sqrt(0.05 * 0.95 / 1000)
    assert abs(row.power - 0.05) < 3.5 * se       # MAR drop-out: the MMRM stays valid
    assert abs(row.mean_estimate) < 4 * row.empirical_se / math.sqrt(1000)


@pytest.mark.slow
def test_mmrm_type_i_error_under_the_null_large():
    row = wb.simulate_power(_null_design(100), test="mmrm", n_reps=20000, rng=6, type1=False,
                            progress=False)
    assert abs(row.power - 0.05) < 3.5 * math.sqrt(0.05 * 0.95 / 20000)


@pytest.mark.slow
@pytest.mark.cluster
def test_simulated_power_does_not_depend_on_the_number_of_workers():
    design = load_design("t7")
    a = wb.compare_tests(design, n_reps=1000, rng=3, chunk_size=500, progress=False)
    b = wb.compare_tests(design, n_reps=1000, rng=3, chunk_size=500, workers=2, progress=False)
    pd.testing.assert_frame_equal(a, b)


def test_simulate_power_checks_its_arguments():
    with pytest.raises(InvalidParameterError, match="n_reps"):
        wb.simulate_power(load_design("t7"), n_reps=0)
    with pytest.raises(InvalidParameterError, match="design"):
        wb.simulate_power(object(), n_reps=10)
    with pytest.raises(InvalidParameterError, match="test"):
        wb.simulate_power(load_design("t7"), n_reps=5, rng=1, test="wilcoxon")


# =============================================================================================
# synthetic data sets
# =============================================================================================
def test_synthetic_datasets_regenerate_byte_for_byte(tmp_path):
    paths = write_continuous_datasets(tmp_path)
    assert {p.name for p in paths} == {"t7_hamd_long.csv", "t7_design.yaml", "t8_hamd_long.csv",
                                       "t8_design.yaml"}
    for p in paths:
        committed = ROOT / "synthetic_data" / "continuous" / p.name
        assert p.read_bytes() == committed.read_bytes(), p.name


def test_synthetic_datasets_show_the_published_direction():
    d7 = pd.read_csv(ROOT / "synthetic_data" / "continuous" / "t7_hamd_long.csv")
    d8 = pd.read_csv(ROOT / "synthetic_data" / "continuous" / "t8_hamd_long.csv")
    assert d7["subject"].nunique() == 40 and d8["subject"].nunique() == 149
    assert ContinuousDesign.from_file(
        ROOT / "synthetic_data" / "continuous" / "t8_design.yaml") == load_design("t8")
    opts = dict(outcome="hamd", group="arm", visit="week", subject="subject",
                baseline="baseline", reference="usual_care")
    r7, r8 = mmrm(d7, **opts), mmrm(d8, **opts)
    assert r7.estimate < 0 and r7.p_value < 0.05
    assert (r8.effects["estimate"] < 0).all() and (r8.effects["p_value"] < 0.05).all()


# =============================================================================================
# plots
# =============================================================================================
def test_plots():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from workbench.plotting import plot_mean_trajectory, plot_spaghetti

    design = load_design("t7")
    df = simulate_continuous(design, rng=1)
    ax = plot_spaghetti(df, max_subjects=5)
    assert len(ax.get_lines()) == 2 * 5 + 2
    _, ax2 = plt.subplots()
    assert plot_mean_trajectory(df, design=design, ax=ax2) is ax2
    assert len(ax2.containers) == 2 and len(ax2.get_lines()) >= 4
    with pytest.raises(DataValidationError, match="'score'"):
        plot_spaghetti(df, outcome="score")
    plt.close("all")


# =============================================================================================
# notebook 05
# =============================================================================================
@pytest.mark.notebook
def test_notebook_05_runs_and_records_its_results(tmp_path):
    res = wb.run_notebook(ROOT / "notebooks" / "05_continuous_outcomes.ipynb",
                          tmp_path / "05.ipynb", parameters={"n_reps": 30, "seed": 7})
    assert {"design", "endpoint", "ancova", "mmrm", "mmrm_effects", "locf",
            "power_closed_form", "power_simulated", "conclusion"} <= set(res)
    design = ContinuousDesign.from_dict(dict(res["design"]))
    assert design == load_design("t7")
    # the recorded numbers are those of the same analysis run here on the same seed
    df = simulate_continuous(design, rng=7)
    r = mmrm(df, outcome="hamd", group="arm", visit="week", subject="subject",
             baseline="baseline", reference="usual_care")
    assert res["mmrm"]["estimate"] == pytest.approx(r.estimate, rel=1e-9)
    assert res["mmrm"]["se"] == pytest.approx(r.se, rel=1e-9)
    keep = design.completion_probability
    closed = res["power_closed_form"].set_index("analysis")
    assert closed.loc["ANCOVA", "power"] == pytest.approx(power_ancova(
        difference=-4, sd=6, rho=design.baseline_endpoint_correlation, n1=20 * keep,
        n2=20 * keep).power, rel=1e-9)
    sim = res["power_simulated"].set_index("test")
    assert list(sim.index) == ["mmrm", "ancova", "welch", "ancova-locf"]
    assert (sim["n_reps"] == 30).all()
    assert "LOCF" in res["locf"]["method"]
    assert "MMRM difference" in res["conclusion"]
