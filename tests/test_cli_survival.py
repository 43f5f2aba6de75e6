"""``workbench survival``: JSON output against the R reference values, text output, bad input.

Reference numbers: tests/reference/logrank_cox.json (R survival 3.5-3; the R calls are in each
case's ``inputs`` and in tests/reference/r/logrank_cox.R). Compared at 1e-6 relative.
"""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pytest

from tests import helpers
from tests.helpers import REFERENCE_DIR as REF_DIR
from tests.helpers import reference_cases, run_json
from workbench.cli import main

REF = reference_cases("logrank_cox")
IDS = list(REF)
REL = 1e-6
BASE = ["--time", "time", "--event", "event", "--group", "arm", "--times", "6,12,24,36,48",
        "--tau", "48", "--json"]


def csv(case_id: str) -> str:
    return str(REF_DIR / REF[case_id]["inputs"]["csv"])


# close(got, expected) asserts: both NA, equal infinities, or within REL (abs 1e-12 near 0)
close = partial(helpers.assert_close, rel=REL)


@pytest.mark.parametrize("case_id", IDS)
@pytest.mark.parametrize("ci", ["log-log", "log"])
def test_json_matches_r(capsys, case_id, ci):
    ref = REF[case_id]["outputs"]
    out = run_json(capsys, ["survival", csv(case_id), *BASE, "--ci", ci])
    assert set(out) >= {"logrank", "cox", "km", "median", "rmst"}

    close(out["logrank"]["statistic"], ref["logrank"]["chisq"])
    close(out["logrank"]["p_value"], ref["logrank"]["p"])
    assert out["logrank"]["df"] == ref["logrank"]["df"]

    (cox,) = out["cox"]
    rc = ref["cox"]["efron"]
    assert (cox["level"], cox["reference"]) == ("1", "0")
    for key, rkey in [("hazard_ratio", "hazard_ratio"), ("coef", "coef"), ("se", "se"),
                      ("ci_lower", "ci95_lower"), ("ci_upper", "ci95_upper"),
                      ("p_value", "wald_p_coef")]:
        close(cox[key], rc[rkey])

    at = ref["km"]["by_conf_type"][ci]["at_times"]
    expected_km = [(name.split("=")[-1], i, r) for name, r in at.items()
                   for i in range(len(r["time"]))]
    assert len(out["km"]) == len(expected_km)
    for row, (group, i, r) in zip(out["km"], expected_km, strict=True):
        assert row["group"] == group
        for key, rkey in [("time", "time"), ("n_risk", "n_risk"), ("survival", "surv"),
                          ("se", "std_err_surv"), ("ci_lower", "lower95"),
                          ("ci_upper", "upper95")]:
            close(row[key], r[rkey][i])

    med = {m["group"]: m for m in out["median"]}
    for name, r in ref["km"]["by_conf_type"][ci]["median"].items():
        m = med[name.split("=")[-1]]
        close(m["median"], r["median"])
        close(m["ci_lower"], r["lower95"])
        close(m["ci_upper"], r["upper95"])

    rm = {m["group"]: m for m in out["rmst"]}
    for name, r in ref["km"]["rmst_tau48"].items():
        row = rm[name.split("=")[-1]]
        assert row["tau"] == 48
        close(row["rmst"], r["rmean"])
        close(row["se"], r["se_rmean"])


def test_json_breslow_and_reference(capsys):
    ref = REF["ds1_maintenance_n92_ties"]["outputs"]["cox"]["breslow"]
    out = run_json(capsys, ["survival", csv("ds1_maintenance_n92_ties"), *BASE,
                            "--ties", "breslow", "--reference", "1"])
    (cox,) = out["cox"]
    assert (cox["level"], cox["reference"]) == ("0", "1")
    close(cox["coef"], -ref["coef"])
    close(cox["hazard_ratio"], 1 / ref["hazard_ratio"])
    close(cox["se"], ref["se"])
    close(cox["p_value"], ref["wald_p_coef"])


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_json_stratified(capsys, ties):
    ref = REF["ds3_stratified_n40_ties"]["outputs"]
    out = run_json(capsys, ["survival", csv("ds3_stratified_n40_ties"), *BASE, "--strata",
                            "stratum", "--ties", ties])
    close(out["logrank"]["statistic"], ref["logrank_stratified"]["chisq"])
    close(out["logrank"]["p_value"], ref["logrank_stratified"]["p"])
    close(out["cox"][0]["coef"], ref["cox_stratified"][ties]["coef"])
    close(out["cox"][0]["se"], ref["cox_stratified"][ties]["se"])
    close(out["cox"][0]["p_value"], ref["cox_stratified"][ties]["wald_p_coef"])
    assert len(out["warnings"]) == 2  # both arms' follow-up ends at 24 < tau = 48


def test_zero_event_arm_warns_on_stderr_and_keeps_json_clean(capsys):
    code = main(["survival", csv("ds4_zero_events_arm1_n30"), *BASE])
    out = capsys.readouterr()
    assert code == 0
    data = json.loads(out.out)
    assert data["cox"][0]["ci_upper"] == "Inf" and data["cox"][0]["ci_lower"] == 0
    assert "may be infinite" in out.err and "may be infinite" in data["warnings"][0]


def test_conf_level_reaches_every_interval(capsys):
    """--conf-level is the level of the Kaplan-Meier, median, Cox and RMST intervals."""
    import pandas as pd

    from workbench.analysis.survival import analyze_survival

    path = csv("ds1_maintenance_n92_ties")
    out = run_json(capsys, ["survival", path, *BASE, "--conf-level", "0.9"])
    lib = analyze_survival(pd.read_csv(path), time="time", event="event", group="arm",
                           times=[6, 12, 24, 36, 48], tau=48, conf_level=0.9).to_json()
    assert out["settings"]["conf_level"] == 0.9
    for key in ("km", "median", "cox", "rmst", "rmst_difference"):
        assert out[key] == lib[key], key
    default = run_json(capsys, ["survival", path, *BASE])
    assert out["cox"][0]["ci_lower"] > default["cox"][0]["ci_lower"]
    main(["survival", path, "--time", "time", "--event", "event", "--group", "arm",
          "--conf-level", "0.9"])
    assert "(90% CI" in capsys.readouterr().out


def test_defaults_and_text_report(capsys):
    out = run_json(capsys, ["survival", csv("ds3_stratified_n40_ties"), "--time", "time",
                            "--event", "event", "--group", "arm", "--json"])
    assert out["settings"]["times"] == [6, 12, 24]  # clipped to the last follow-up (24)
    assert out["settings"]["tau"] == 24  # largest time at which both arms are observed
    assert [r["time"] for r in out["km"]] == [6, 12, 24] * 2
    code = main(["survival", csv("ds1_maintenance_n92_ties"), "--time", "time", "--event",
                 "event", "--group", "arm", "--ci", "plain"])
    text = capsys.readouterr().out
    assert code == 0
    assert "Log-rank test" in text and "1 vs 0: HR 0.4075" in text and "not reached" in text
    hr = REF["ds1_maintenance_n92_ties"]["outputs"]["cox"]["efron"]["hazard_ratio"]
    assert f"1 vs 0: HR {hr:.4f}" in text  # R's coxph hazard ratio to the digits printed


# ---------------------------------------------------------------------------------------------
# bad input: one line on stderr naming the column, exit code 2, nothing on stdout
# ---------------------------------------------------------------------------------------------
GOOD = "time,event,arm\n3,1,a\n5,0,a\n7,1,a\n2,1,b\n9,0,b\n11,1,b\n"


@pytest.mark.parametrize("content, args, pattern", [
    (GOOD, ["--time", "months"], "'months'"),
    (GOOD.replace("5,0,a", "-5,0,a"), [], "'time'.*>= 0"),
    (GOOD.replace("5,0,a", "5,2,a"), [], "'event'.*0/1"),
    (GOOD.replace(",b\n", ",a\n"), [], "'arm'.*at least 2 groups"),
    ("", [], "empty"),
    ("time,event,arm\n", [], "no rows"),
    (GOOD.replace("5,0,a", "5,,a"), [], "'event'.*missing"),
    (GOOD.replace("5,0,a", ",0,a"), [], "'time'.*missing"),
    (GOOD.replace("5,0,a", "5,0,"), [], "'arm'.*missing"),
    (GOOD.replace("5,0,a", "soon,0,a"), [], "'time'.*numeric"),
    (GOOD, ["--reference", "c"], "reference"),
    (GOOD, ["--times", "6,x"], "times"),
    (GOOD, ["--tau", "-1"], "tau"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, args, pattern):
    path = tmp_path / "data.csv"
    path.write_text(content)
    argv = ["survival", str(path), "--time", "time", "--event", "event", "--group", "arm",
            "--json"]
    if args[:1] == ["--time"]:
        argv[3] = args[1]
        args = []
    code = main(argv + args)
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench survival: error:")
    import re

    assert re.search(pattern, lines[0]), lines[0]


def test_missing_file_and_bad_choice(tmp_path, capsys):
    assert main(["survival", str(tmp_path / "none.csv"), "--time", "t", "--event", "e",
                 "--group", "g"]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["survival", str(tmp_path / "none.csv"), "--time", "t", "--event", "e", "--group",
              "g", "--ties", "average"])
    assert exc.value.code == 2


# ---------------------------------------------------------------------------------------------
# a data set that is not in the reference files: three groups with string labels, events as
# true/false, two strata. Checked against independent implementations: statsmodels (survdiff,
# PHReg with Efron and Breslow ties, SurvfuncRight's Greenwood SE), lifelines (KM log-log
# interval) and Greenwood's formula for the plain interval.
# ---------------------------------------------------------------------------------------------
def _three_group_csv(path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    n = 90
    grp = rng.choice(["placebo", "drug A", "combo"], size=n)
    site = rng.choice(["north", "south"], size=n)
    lam = np.select([grp == "placebo", grp == "drug A"], [0.05, 0.035], 0.025)
    lam = lam * np.where(site == "south", 1.5, 1.0)
    t, c = rng.exponential(1 / lam), rng.uniform(0, 60, n)
    time = np.ceil(np.minimum(np.minimum(t, c), 36))  # whole months: tied event times
    event = t <= np.minimum(c, 36)
    df = pd.DataFrame({"months": time, "recur": np.where(event, "true", "false"),
                       "treatment": grp, "site": site})
    df.to_csv(path, index=False)
    return df.assign(e=event.astype(int))


THREE = ["--time", "months", "--event", "recur", "--group", "treatment", "--json"]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("strata", [None, "site"])
def test_three_groups_logrank_and_cox_match_statsmodels(tmp_path, capsys, ties, strata):
    from statsmodels.duration.hazard_regression import PHReg
    from statsmodels.duration.survfunc import survdiff

    path = tmp_path / "three.csv"
    df = _three_group_csv(path)
    argv = ["survival", str(path), *THREE, "--ties", ties]
    if strata:
        argv += ["--strata", strata]
    out = run_json(capsys, argv)

    s = None if strata is None else df[strata].to_numpy()
    chi, p = survdiff(df["months"].to_numpy(), df["e"].to_numpy(), df["treatment"].to_numpy(),
                      strata=s)
    close(out["logrank"]["statistic"], chi)
    close(out["logrank"]["p_value"], p)
    assert out["logrank"]["df"] == 2

    # reference level: first in sorted order of the labels
    assert [(r["level"], r["reference"]) for r in out["cox"]] == [("drug A", "combo"),
                                                                  ("placebo", "combo")]
    x = np.column_stack([(df["treatment"] == lv).to_numpy(float) for lv in ("drug A", "placebo")])
    fit = PHReg(df["months"].to_numpy(), x, status=df["e"].to_numpy(), ties=ties,
                strata=s).fit()
    z = 1.959963984540054
    for i, row in enumerate(out["cox"]):
        close(row["coef"], fit.params[i])
        close(row["se"], fit.bse[i])
        close(row["hazard_ratio"], np.exp(fit.params[i]))
        close(row["ci_lower"], np.exp(fit.params[i] - z * fit.bse[i]))
        close(row["ci_upper"], np.exp(fit.params[i] + z * fit.bse[i]))
        close(row["p_value"], fit.pvalues[i])


@pytest.mark.parametrize("ci", ["log-log", "log", "plain"])
def test_three_groups_km_matches_independent_estimates(tmp_path, capsys, ci):
    from lifelines import KaplanMeierFitter
    from statsmodels.duration.survfunc import SurvfuncRight

    path = tmp_path / "three.csv"
    df = _three_group_csv(path)
    out = run_json(capsys, ["survival", str(path), *THREE, "--ci", ci, "--times", "3,10,30"])
    z = 1.959963984540054
    assert {r["group"] for r in out["km"]} == {"combo", "drug A", "placebo"}
    for row in out["km"]:
        sub = df[df["treatment"] == row["group"]]
        sf = SurvfuncRight(sub["months"].to_numpy(), sub["e"].to_numpy())
        k = np.searchsorted(sf.surv_times, row["time"], side="right") - 1
        s, se = sf.surv_prob[k], sf.surv_prob_se[k]
        close(row["survival"], s)
        close(row["se"], se)  # Greenwood SE of S(t)
        assert row["n_risk"] == int((sub["months"] >= row["time"]).sum())
        if ci == "plain":
            lo, hi = max(s - z * se, 0.0), min(s + z * se, 1.0)
        elif ci == "log":
            lo, hi = s * np.exp(-z * se / s), min(s * np.exp(z * se / s), 1.0)
        else:
            kmf = KaplanMeierFitter().fit(sub["months"], sub["e"])
            band = kmf.confidence_interval_
            lo, hi = band[band.index <= row["time"]].iloc[-1].to_numpy()
        close(row["ci_lower"], lo)
        close(row["ci_upper"], hi)


def test_group_labels_are_the_csv_strings(tmp_path, capsys):
    path = tmp_path / "labels.csv"
    path.write_text("time,event,arm\n3,1,01\n5,0,01\n8,1,01\n7,1,02\n2,1,02\n4,0,02\n"
                    "9,0,1.50\n11,1,1.50\n6,1,1.50\n")
    out = run_json(capsys, ["survival", str(path), "--time", "time", "--event", "event",
                            "--group", "arm", "--json"])
    # labels as written in the CSV, in R's factor order (numbers sort as numbers: 1, 1.5, 2)
    assert [r["group"] for r in out["median"]] == ["01", "1.50", "02"]
    assert [(r["level"], r["reference"]) for r in out["cox"]] == [("1.50", "01"), ("02", "01")]


def test_numeric_group_labels_sort_as_numbers(tmp_path, capsys):
    # R: factor(c(2, 10)) has levels "2", "10": the reference is 2, as in the other verbs
    path = tmp_path / "labels.csv"
    path.write_text("time,event,arm\n3,1,10\n5,0,10\n8,1,10\n7,1,2\n2,1,2\n4,0,2\n")
    out = run_json(capsys, ["survival", str(path), "--time", "time", "--event", "event",
                            "--group", "arm", "--json"])
    assert [(r["level"], r["reference"]) for r in out["cox"]] == [("10", "2")]


@pytest.mark.parametrize("content, args, expected", [
    (GOOD.replace("5,0,a", "-5,0,a"), [], "column 'time' must be >= 0; found -5.0"),
    (GOOD.replace("5,0,a", "5,2,a"), [], "column 'event' must be 0/1 or true/false; found 2 "),
    (GOOD, ["--times", "12,6"], "`--times` must be strictly increasing; got [12.0, 6.0]"),
    (GOOD, ["--reference", "c"], "`--reference` must be one of the groups"),
    (GOOD, ["--conf-level", "95"], "`--conf-level` must be in (0, 1); got 95"),
])
def test_bad_input_messages_name_the_column_or_option(tmp_path, capsys, content, args, expected):
    path = tmp_path / "data.csv"
    path.write_text(content)
    code = main(["survival", str(path), "--time", "time", "--event", "event", "--group", "arm",
                 *args])
    assert code == 2
    assert expected in capsys.readouterr().err


AML = """time,status,x
9,1,Maintained\n13,1,Maintained\n13,0,Maintained\n18,1,Maintained\n23,1,Maintained
28,0,Maintained\n31,1,Maintained\n34,1,Maintained\n45,0,Maintained\n48,1,Maintained
161,0,Maintained\n5,1,Nonmaintained\n5,1,Nonmaintained\n8,1,Nonmaintained\n8,1,Nonmaintained
12,1,Nonmaintained\n16,0,Nonmaintained\n23,1,Nonmaintained\n27,1,Nonmaintained
30,1,Nonmaintained\n33,1,Nonmaintained\n43,1,Nonmaintained\n45,1,Nonmaintained
"""


def test_aml_matches_r_printed_output(tmp_path, capsys):
    """R survival's ``aml`` data with the numbers R prints (to the digits printed):
    survdiff(Surv(time, status) ~ x, aml): Chisq = 3.4, p = 0.07 (3.396, 0.0653);
    coxph(...): coef 0.9155, se 0.5119, exp(coef) 2.498, p 0.0737, CI 0.9159 to 6.813,
    likelihood ratio test 3.38 (p 0.0658), score test 3.42 (p 0.0645);
    print(survfit(...), rmean = "common"): rmean 52.6 (se 19.83) and 22.7 (4.18), medians 31
    (18, NA) and 23 (8, NA) with conf.type = "log"."""
    path = tmp_path / "aml.csv"
    path.write_text(AML)
    out = run_json(capsys, ["survival", str(path), "--time", "time", "--event", "status",
                            "--group", "x", "--ci", "log", "--json"])
    assert out["logrank"]["statistic"] == pytest.approx(3.396, abs=5e-4)
    assert out["logrank"]["p_value"] == pytest.approx(0.0653, abs=5e-5)
    (cox,) = out["cox"]
    assert (cox["level"], cox["reference"]) == ("Nonmaintained", "Maintained")
    for key, value, digits in [("coef", 0.9155, 4), ("se", 0.5119, 4), ("hazard_ratio", 2.498, 3),
                               ("p_value", 0.0737, 4), ("ci_lower", 0.9159, 4),
                               ("ci_upper", 6.813, 3)]:
        assert round(cox[key], digits) == value, key
    tests = out["cox_tests"]
    assert round(tests["likelihood_ratio"]["statistic"], 2) == 3.38
    assert round(tests["score"]["statistic"], 2) == 3.42
    med = {m["group"]: (m["median"], m["ci_lower"], m["ci_upper"]) for m in out["median"]}
    assert med == {"Maintained": (31, 18, None), "Nonmaintained": (23, 8, None)}
    rm = {r["group"]: (round(r["rmst"], 1), round(r["se"], 2)) for r in out["rmst"]}
    assert rm == {"Maintained": (52.6, 19.83), "Nonmaintained": (22.7, 4.18)}
