"""Survival analysis against R survival 3.5-3 (tests/reference/logrank_cox.json).

The R calls behind every number are in tests/reference/r/logrank_cox.R (copied into each
case's ``inputs``): ``survdiff(Surv(time, event) ~ arm, rho = 0 / 1)``, the same with
``+ strata(stratum)``, ``coxph(..., ties = "efron" / "breslow" / "exact")`` with default control,
``survfit(..., conf.type = "log" / "log-log")`` with ``summary(fit, times = c(6, 12, 24, 36, 48),
extend = TRUE)``, ``summary(fit)$table`` (medians) and ``summary(fit, rmean = 48)$table``.
All numbers are compared at 1e-6 relative.
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

from tests import helpers
from tests.helpers import REFERENCE_DIR as REF_DIR
from tests.helpers import reference_cases
from workbench import (
    DataValidationError,
    InvalidParameterError,
    StatisticalWarning,
    analyze_survival,
    cox_ph,
    cumulative_incidence,
    kaplan_meier,
    logrank_test,
    median_survival,
    rmst,
)

CASES = reference_cases("logrank_cox")
IDS = list(CASES)
REL = 1e-6
KW = {"time": "time", "event": "event"}
KM_TIMES = [6, 12, 24, 36, 48]


def load(case_id: str) -> pd.DataFrame:
    return pd.read_csv(REF_DIR / CASES[case_id]["inputs"]["csv"])


# close(got, expected) asserts elementwise: both missing, both equal infinities, or within REL
# (abs 1e-12 near 0)
close = partial(helpers.assert_close, rel=REL)


def level(name: str) -> str:
    return name.split("=")[-1]  # "arm=0" -> "0", "all" -> "all"


# ---------------------------------------------------------------------------------------------
# log-rank
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", IDS)
@pytest.mark.parametrize("key, rho", [("logrank", 0), ("peto_peto_rho1", 1)])
def test_logrank_matches_survdiff(case_id, key, rho):
    ref = CASES[case_id]["outputs"][key]
    res = logrank_test(load(case_id), **KW, group="arm", rho=rho)
    close(res.statistic, ref["chisq"])
    close(res.p_value, ref["p"])
    assert res.df == ref["df"]
    assert res.groups == tuple(level(g) for g in ref["groups"])
    close(res.observed, ref["observed"])
    close(res.expected, ref["expected"])
    close(res.variance.ravel(), np.ravel(ref["var"]["matrix_rows"]))
    assert res.n == {level(k): v for k, v in ref["n"].items()}


def test_logrank_stratified_matches_survdiff():
    ref = CASES["ds3_stratified_n40_ties"]["outputs"]["logrank_stratified"]
    res = logrank_test(load("ds3_stratified_n40_ties"), **KW, group="arm", strata="stratum")
    close(res.statistic, ref["chisq"])
    close(res.p_value, ref["p"])
    assert res.df == ref["df"]
    close(res.observed, ref["observed"])
    close(res.expected, ref["expected"])
    close(res.variance.ravel(), np.ravel(ref["var"]["matrix_rows"]))
    close(res.observed_by_stratum.ravel(),
          np.ravel(list(ref["observed_by_stratum"]["matrix_rows"].values())))
    close(res.expected_by_stratum.ravel(),
          np.ravel(list(ref["expected_by_stratum"]["matrix_rows"].values())))
    assert "stratified" in res.method


def test_logrank_agrees_with_lifelines():
    from lifelines.statistics import logrank_test as ll_logrank

    df = load("ds1_maintenance_n92_ties")
    a, b = df[df.arm == 0], df[df.arm == 1]
    ll = ll_logrank(a.time, b.time, a.event, b.event)
    res = logrank_test(df, **KW, group="arm")
    assert res.statistic == pytest.approx(ll.test_statistic, rel=1e-10)


# ---------------------------------------------------------------------------------------------
# Cox
# ---------------------------------------------------------------------------------------------
COX_CASES = [(cid, ties) for cid in IDS for ties in CASES[cid]["outputs"]["cox"]]


def check_cox(res, ref):
    close(res.coef, ref["coef"])
    close(res.se, ref["se"])
    close(res.hazard_ratio, ref["hazard_ratio"])
    close(res.coefficients["ci_lower"], ref["ci95_lower"])
    close(res.coefficients["ci_upper"], ref["ci95_upper"])
    close(res.coefficients["z"], ref["z"])
    close(res.coefficients["p_value"], ref["wald_p_coef"])
    for mine, theirs in ((res.wald_test, "wald_test"), (res.score_test, "score_test"),
                         (res.lr_test, "lr_test")):
        close(mine["statistic"], ref[theirs]["stat"])
        close(mine["p_value"], ref[theirs]["p"])
        assert mine["df"] == ref[theirs]["df"]
    close(res.loglik_null, ref["loglik_null"])
    close(res.loglik, ref["loglik_fit"])
    assert res.iterations == ref["iterations"]
    assert res.n == ref["n"] and res.n_events == ref["nevent"]


@pytest.mark.parametrize("case_id, ties", COX_CASES)
def test_cox_matches_coxph(case_id, ties):
    ref = CASES[case_id]["outputs"]["cox"][ties]
    df = load(case_id)
    if ref["warnings"]:
        with pytest.warns(StatisticalWarning, match="may be infinite"):
            res = cox_ph(df, **KW, group="arm", ties=ties)
        assert res.warnings and res.converged
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            res = cox_ph(df, **KW, group="arm", ties=ties)
        assert res.warnings == ()
    check_cox(res, ref)
    assert res.reference == "0" and res.levels == ("1",)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_stratified_matches_coxph(ties):
    ref = CASES["ds3_stratified_n40_ties"]["outputs"]["cox_stratified"][ties]
    res = cox_ph(load("ds3_stratified_n40_ties"), **KW, group="arm", strata="stratum", ties=ties)
    check_cox(res, ref)
    assert res.strata == ("1", "2")


def test_cox_zero_event_arm_does_not_crash_and_stops_where_r_does():
    """ds4: R returns coef -21.827, se 13445.89 after 20 iterations with a warning."""
    with pytest.warns(StatisticalWarning, match="coefficient may be infinite"):
        res = cox_ph(load("ds4_zero_events_arm1_n30"), **KW, group="arm")
    assert res.coef[0] == pytest.approx(-21.8270387294215, rel=1e-6)
    assert res.se[0] == pytest.approx(13445.8915030834, rel=1e-6)
    assert res.iterations == 20
    ref = CASES["ds4_zero_events_arm1_n30"]["outputs"]["cox"]["efron"]  # the numbers above
    assert (res.coef[0], res.se[0]) == pytest.approx((ref["coef"], ref["se"]), rel=1e-6)
    assert res.iterations == ref["iterations"] and "may be infinite" in ref["warnings"]
    assert res.coefficients["ci_lower"][0] == 0 and np.isinf(res.coefficients["ci_upper"][0])


def test_cox_score_test_equals_logrank_with_three_groups():
    """Without tied times the Cox score test is the k-group log-rank statistic (df = k - 1)."""
    df = load("ds2_continuous_n300_hr07")
    df["arm3"] = np.where(df.arm == 0, "ctl", np.where(df.id % 2 == 0, "a", "b"))
    lr = logrank_test(df, **KW, group="arm3")
    for ties in ("breslow", "efron"):
        fit = cox_ph(df, **KW, group="arm3", ties=ties)
        assert fit.levels == ("b", "ctl") and fit.reference == "a"
        assert fit.score_test["statistic"] == pytest.approx(lr.statistic, rel=1e-9)
        assert fit.score_test["df"] == lr.df == 2


def test_cox_agrees_with_lifelines_efron():
    """lifelines stops its Newton iteration earlier than R (about 1e-5 relative on ds1)."""
    from lifelines import CoxPHFitter

    df = load("ds1_maintenance_n92_ties")
    cph = CoxPHFitter().fit(df[["time", "event", "arm"]], "time", "event")
    res = cox_ph(df, **KW, group="arm")
    assert res.coef[0] == pytest.approx(cph.params_["arm"], rel=1e-4)
    assert res.se[0] == pytest.approx(cph.standard_errors_["arm"], rel=1e-4)


def test_cox_reference_level_and_swapping_arms_flip_the_sign():
    df = load("ds1_maintenance_n92_ties")
    base = cox_ph(df, **KW, group="arm")
    flipped = cox_ph(df, **KW, group="arm", reference=1)
    swapped = cox_ph(df.assign(arm=1 - df.arm), **KW, group="arm")
    for other in (flipped, swapped):
        assert other.coef[0] == pytest.approx(-base.coef[0], rel=1e-10)
        assert other.se[0] == pytest.approx(base.se[0], rel=1e-8)
        assert other.hazard_ratio[0] == pytest.approx(1 / base.hazard_ratio[0], rel=1e-10)
        assert other.lr_test["statistic"] == pytest.approx(base.lr_test["statistic"], rel=1e-10)
    assert flipped.reference == "1" and flipped.levels == ("0",)


def test_swapping_arms_keeps_tests_and_swaps_curves():
    df = load("ds3_stratified_n40_ties")
    sw = df.assign(arm=1 - df.arm)
    a = logrank_test(df, **KW, group="arm", strata="stratum")
    b = logrank_test(sw, **KW, group="arm", strata="stratum")
    assert b.statistic == pytest.approx(a.statistic, rel=1e-12)
    np.testing.assert_allclose(b.observed, a.observed[::-1])
    k1 = kaplan_meier(df, **KW, group="arm", times=KM_TIMES).table.set_index(["group", "time"])
    k2 = kaplan_meier(sw, **KW, group="arm", times=KM_TIMES).table.set_index(["group", "time"])
    np.testing.assert_allclose(k1.loc["0"].to_numpy(float), k2.loc["1"].to_numpy(float))


# ---------------------------------------------------------------------------------------------
# Kaplan-Meier, medians, RMST
# ---------------------------------------------------------------------------------------------
KM_CASES = [(cid, kind, ct) for cid in IDS for kind in ("km", "km_pooled")
            for ct in ("log", "log-log")]


@pytest.mark.parametrize("case_id, kind, conf_type", KM_CASES)
def test_km_at_times_matches_summary_survfit(case_id, kind, conf_type):
    ref = CASES[case_id]["outputs"][kind]["by_conf_type"][conf_type]["at_times"]
    group = "arm" if kind == "km" else None
    km = kaplan_meier(load(case_id), **KW, group=group, times=KM_TIMES, conf_type=conf_type)
    assert km.groups == tuple(level(g) for g in ref)
    for name, r in ref.items():
        t = km.table[km.table.group == level(name)]
        close(t.time, r["time"])
        close(t.n_risk, r["n_risk"])
        close(t.n_event, r["n_event_since_previous_time"])
        close(t.survival, r["surv"])
        close(t.se, r["std_err_surv"])
        close(t.ci_lower, r["lower95"])
        close(t.ci_upper, r["upper95"])


@pytest.mark.parametrize("case_id", IDS)
@pytest.mark.parametrize("kind", ["km", "km_pooled"])
def test_km_full_curve_matches_survfit(case_id, kind):
    ref = CASES[case_id]["outputs"][kind]["full_curve"]
    km = kaplan_meier(load(case_id), **KW, group="arm" if kind == "km" else None)
    for name, r in ref.items():
        c = km.curve[km.curve.group == level(name)]
        assert c.time.iloc[0] == 0 and c.survival.iloc[0] == 1  # the starting row
        c = c.iloc[1:]
        close(c.time, r["time"])
        close(c.n_risk, r["n_risk"])
        close(c.n_event, r["n_event"])
        close(c.n_censor, r["n_censor"])
        close(c.survival, r["surv"])
        close(c.se_log, r["std_err_cumhaz"])


@pytest.mark.parametrize("case_id, kind, conf_type", KM_CASES)
def test_median_matches_survfit_table(case_id, kind, conf_type):
    ref = CASES[case_id]["outputs"][kind]["by_conf_type"][conf_type]["median"]
    med = median_survival(load(case_id), **KW, group="arm" if kind == "km" else None,
                          conf_type=conf_type)
    for name, r in ref.items():
        row = med.table[med.table.group == level(name)]
        close(row["median"], [r["median"]])
        close(row["ci_lower"], [r["lower95"]])
        close(row["ci_upper"], [r["upper95"]])
        assert med.median(level(name)) == (None if r["median"] is None else r["median"])


@pytest.mark.parametrize("case_id", IDS)
@pytest.mark.parametrize("kind", ["km", "km_pooled"])
def test_rmst_matches_survfit_rmean(case_id, kind):
    ref = CASES[case_id]["outputs"][kind]["rmst_tau48"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)  # ds3: follow-up ends at 24 < 48
        res = rmst(load(case_id), **KW, group="arm" if kind == "km" else None, tau=48)
    for name, r in ref.items():
        row = res.table[res.table.group == level(name)]
        close(row["rmst"], [r["rmean"]])
        close(row["se"], [r["se_rmean"]])


def test_rmst_difference_and_flat_extension_warning():
    ref = CASES["ds3_stratified_n40_ties"]["outputs"]["km"]["rmst_tau48"]
    with pytest.warns(StatisticalWarning, match="extends"):
        res = rmst(load("ds3_stratified_n40_ties"), **KW, group="arm", tau=48)
    d = res.differences.iloc[0]
    r0, r1 = ref["arm=0"], ref["arm=1"]
    se = math.hypot(r0["se_rmean"], r1["se_rmean"])
    assert d["difference"] == pytest.approx(r1["rmean"] - r0["rmean"], rel=REL)
    assert d["se"] == pytest.approx(se, rel=REL)
    z = stats.norm.ppf(0.975)
    assert d["ci_lower"] == pytest.approx(r1["rmean"] - r0["rmean"] - z * se, rel=REL)
    assert d["p_value"] == pytest.approx(2 * stats.norm.sf(abs(d["difference"]) / se), rel=REL)


def test_plain_interval_is_s_plus_minus_z_se_clipped():
    ref = CASES["ds4_zero_events_arm1_n30"]["outputs"]["km"]["by_conf_type"]["log"]["at_times"]
    km = kaplan_meier(load("ds4_zero_events_arm1_n30"), **KW, group="arm", times=KM_TIMES,
                      conf_type="plain")
    z = stats.norm.ppf(0.975)
    for name, r in ref.items():
        t = km.table[km.table.group == level(name)]
        s, se = np.array(r["surv"]), np.array(r["std_err_surv"])
        close(t.ci_lower, np.maximum(s - z * se, 0))
        close(t.ci_upper, np.minimum(s + z * se, 1))


@pytest.mark.parametrize("conf_type", ["log", "log-log"])
def test_cumulative_incidence_is_one_minus_km(conf_type):
    ref = CASES["ds1_maintenance_n92_ties"]["outputs"]["km"]["by_conf_type"][conf_type]
    res = cumulative_incidence(load("ds1_maintenance_n92_ties"), **KW, group="arm", at=48,
                               conf_type=conf_type)
    for name, r in ref["at_times"].items():
        row = res.table[res.table.group == level(name)]
        close(row.cumulative_incidence, [1 - r["surv"][-1]])
        close(row.ci_lower, [1 - r["upper95"][-1]])
        close(row.ci_upper, [1 - r["lower95"][-1]])


def test_km_agrees_with_lifelines():
    from lifelines import KaplanMeierFitter

    df = load("ds2_continuous_n300_hr07")
    sub = df[df.arm == 0]
    kmf = KaplanMeierFitter().fit(sub.time, sub.event)
    km = kaplan_meier(df, **KW, group="arm", times=KM_TIMES)
    np.testing.assert_allclose(km.table[km.table.group == "0"].survival,
                               kmf.survival_function_at_times(KM_TIMES).to_numpy(), rtol=1e-12)


def test_analyze_survival_collects_everything_and_does_not_mutate_input():
    df = load("ds1_maintenance_n92_ties")
    before = df.copy()
    res = analyze_survival(df, **KW, group="arm", times=KM_TIMES, tau=48)
    pd.testing.assert_frame_equal(df, before)
    out = res.to_json()
    ref = CASES["ds1_maintenance_n92_ties"]["outputs"]
    close(out["logrank"]["statistic"], ref["logrank"]["chisq"])
    close(out["cox"][0]["hazard_ratio"], ref["cox"]["efron"]["hazard_ratio"])
    close([r["survival"] for r in out["km"]],
          sum((v["surv"] for v in ref["km"]["by_conf_type"]["log-log"]["at_times"].values()), []))
    assert out["median"][1]["median"] is None  # not reached -> null
    assert set(res.summary.columns) >= {"estimate", "ci_lower", "ci_upper", "p_value"}
    assert "Survival analysis" in str(res) and "<table" in res._repr_html_()


def test_defaults_for_times_and_tau():
    df = load("ds3_stratified_n40_ties")  # follow-up ends at 24 in both arms
    res = analyze_survival(df, **KW, group="arm", strata="stratum")
    assert res.times == (6.0, 12.0, 24.0)
    assert res.tau == 24.0
    assert res.logrank.strata == ("1", "2") and res.cox.strata == ("1", "2")


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def small():
    return pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 0, 1, 1, 0, 1],
                         "arm": ["a", "a", "a", "b", "b", "b"], "s": [1, 2, 1, 2, 1, 2]})


@pytest.mark.parametrize("func", [kaplan_meier, median_survival, logrank_test, cox_ph,
                                  analyze_survival])
@pytest.mark.parametrize("column", ["time", "event", "arm"])
def test_missing_column_is_named(func, column, small):
    kw = {"time": "time", "event": "event", "group": "arm"}
    kw[{"arm": "group"}.get(column, column)] = "nope_" + column
    with pytest.raises(DataValidationError, match="nope_" + column):
        func(small, **kw)


@pytest.mark.parametrize("column, value, pattern", [
    ("time", -1.0, "'time'.*>= 0"),
    ("time", "soon", "'time'.*numeric"),
    ("time", np.nan, "'time'.*missing"),
    ("event", 2, "'event'.*0/1"),
    ("event", np.nan, "'event'.*missing"),
    ("arm", None, "'arm'.*missing"),
])
def test_bad_values_are_named(column, value, pattern, small):
    df = small.astype({column: object})
    df.loc[2, column] = value
    for func in (logrank_test, cox_ph, analyze_survival):
        with pytest.raises(DataValidationError, match=pattern):
            func(df, **KW, group="arm")


def test_true_false_events_are_accepted(small):
    as_bool = small.assign(event=small.event.map({1: "TRUE", 0: "false"}))
    assert logrank_test(as_bool, **KW, group="arm").statistic == pytest.approx(
        logrank_test(small, **KW, group="arm").statistic)
    # and the number is lifelines' log-rank statistic of the 0/1 data
    from lifelines.statistics import logrank_test as ll_logrank

    a, b = small[small.arm == "a"], small[small.arm == "b"]
    ref = ll_logrank(a.time, b.time, a.event, b.event).test_statistic
    assert logrank_test(as_bool, **KW, group="arm").statistic == pytest.approx(ref, rel=1e-10)


def test_single_group_empty_data_and_no_events(small):
    with pytest.raises(DataValidationError, match="'arm'.*at least 2 groups"):
        logrank_test(small.assign(arm="a"), **KW, group="arm")
    with pytest.raises(DataValidationError, match="'arm'.*at least 2 groups"):
        cox_ph(small.assign(arm="a"), **KW, group="arm")
    with pytest.raises(DataValidationError, match="empty"):
        kaplan_meier(small.iloc[:0], **KW, group="arm")
    with pytest.raises(DataValidationError, match="'event'.*no events"):
        cox_ph(small.assign(event=0), **KW, group="arm")
    with pytest.raises(DataValidationError, match="'s'.*missing"):
        logrank_test(small.assign(s=[1, None, 1, 2, 1, 2]), **KW, group="arm", strata="s")


def test_bad_parameters_are_named(small):
    with pytest.raises(InvalidParameterError, match="conf_type"):
        kaplan_meier(small, **KW, conf_type="arcsin")
    with pytest.raises(InvalidParameterError, match="conf_level"):
        median_survival(small, **KW, conf_level=95)
    with pytest.raises(InvalidParameterError, match="times"):
        kaplan_meier(small, **KW, times=[12, 6])
    with pytest.raises(InvalidParameterError, match="times"):
        kaplan_meier(small, **KW, times=[-1])
    with pytest.raises(InvalidParameterError, match="ties"):
        cox_ph(small, **KW, group="arm", ties="discrete")
    with pytest.raises(InvalidParameterError, match="reference"):
        cox_ph(small, **KW, group="arm", reference="c")
    with pytest.raises(InvalidParameterError, match="tau"):
        rmst(small, **KW, group="arm", tau=0)
    with pytest.raises(InvalidParameterError, match="rho"):
        logrank_test(small, **KW, group="arm", rho=-1)
    with pytest.raises(InvalidParameterError, match="at"):
        cumulative_incidence(small, **KW, at=-2)


def test_results_serialise_to_json_and_display():
    df = load("ds4_zero_events_arm1_n30")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        res = analyze_survival(df, **KW, group="arm", times=KM_TIMES, tau=48)
    for part in (res.km, res.median, res.logrank, res.cox, res.rmst, res.cumulative_incidence):
        text = json.dumps(part.to_dict(), allow_nan=False)
        assert isinstance(part.summary, pd.DataFrame) and not part.summary.empty
        assert part._title in str(part) and "<table" in part._repr_html_()
        assert "NaN" not in text
    json.dumps(res.to_json(), allow_nan=False)
    assert res.cox.tests["test"].tolist() == ["wald", "score", "likelihood_ratio"]
    assert res.logrank.table["observed"].tolist() == [10, 0]
    assert res.logrank.table["observed"].tolist() == CASES["ds4_zero_events_arm1_n30"][
        "outputs"]["logrank"]["observed"]
