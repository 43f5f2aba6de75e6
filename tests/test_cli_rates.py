"""`workbench rates` against the R reference values (tests/reference/rates_analysis.json)."""

from __future__ import annotations

import math
from functools import partial

import pandas as pd
import pytest

from tests import helpers
from tests.helpers import ROOT, reference_cases
from workbench.cli import main

REF = reference_cases("rates_analysis")
DATA = ROOT / "synthetic_data" / "t2_t6_remission"
T4 = REF["T4_remission_pdt_vs_fluoxetine"]
T5 = REF["T5_remission_pdt_vs_cbt_noninferiority"]
T3 = REF["T3_remission_pdt_sertraline_placebo"]
RTOL, PTOL = 1e-6, 1e-8

ARM_KEYS = {"group", "events", "n", "rate", "ci_lower", "ci_upper"}
COMPARISON_KEYS = {"group", "reference", "risk_difference", "rd_ci_lower", "rd_ci_upper",
                   "relative_risk", "rr_ci_lower", "rr_ci_upper", "odds_ratio", "or_ci_lower",
                   "or_ci_upper", "nnt", "p_chisq", "p_chisq_yates", "p_fisher", "p_holm"}


run_json = partial(helpers.run_json, command=["rates"], add_json=True)
run_error = partial(helpers.run_error, command=["rates"])
assert_close = partial(helpers.assert_close, rel=RTOL)


def two_arm_counts(case):
    """R's arm 2 is the comparator: put it first so that it is the default reference."""
    i = case["inputs"]
    return ["--counts", f"{i['x2']}/{i['n2']},{i['x1']}/{i['n1']}", "--labels", "arm2,arm1"]


def test_counts_json_has_the_promised_keys_and_r_values(capsys):
    out = run_json(capsys, *two_arm_counts(T4))
    assert set(out) == {"arms", "comparisons", "overall"}
    assert all(ARM_KEYS <= set(a) for a in out["arms"])
    (c,) = out["comparisons"]
    assert COMPARISON_KEYS <= set(c)
    assert (c["group"], c["reference"]) == ("arm1", "arm2")
    o = T4["outputs"]
    arm1 = out["arms"][1]
    assert (arm1["events"], arm1["n"]) == (14, 25)
    assert_close(arm1["ci_lower"], o["per_arm"]["arm1"]["wilson"]["lower"])
    assert_close(arm1["ci_upper"], o["per_arm"]["arm1"]["wilson"]["upper"])
    assert_close(c["risk_difference"], o["risk_difference"]["rd"])
    assert_close(c["rd_ci_lower"], o["risk_difference"]["newcombe_hybrid_score"]["lower"])
    assert_close(c["rd_ci_upper"], o["risk_difference"]["newcombe_hybrid_score"]["upper"])
    assert_close(c["relative_risk"], o["relative_risk"]["rr"])
    assert_close(c["rr_ci_lower"], o["relative_risk"]["lower"])
    assert_close(c["rr_ci_upper"], o["relative_risk"]["upper"])
    assert_close(c["odds_ratio"], o["odds_ratio"]["or"])
    assert_close(c["or_ci_lower"], o["odds_ratio"]["lower"])
    assert_close(c["or_ci_upper"], o["odds_ratio"]["upper"])
    assert_close(c["nnt"], o["nnt"]["nnt"])
    assert c["nnt_ci_lower"] is None  # the Newcombe interval includes 0 (Altman)
    assert c["p_chisq"] == pytest.approx(o["prop_test_2sample"]["no_correction"]["p"], abs=PTOL)
    assert c["p_chisq_yates"] == pytest.approx(o["prop_test_2sample"]["yates"]["p"], abs=PTOL)
    assert c["p_fisher"] == pytest.approx(o["fisher"]["p"], abs=PTOL)
    assert c["p_holm"] == pytest.approx(o["prop_test_2sample"]["yates"]["p"], abs=PTOL)
    assert_close(out["overall"]["statistic"],
                 o["prop_test_2sample"]["no_correction"]["statistic_X_squared"])
    assert out["overall"]["df"] == 1


@pytest.mark.parametrize("cid", [k for k in REF if "x1" in REF[k]["inputs"]])
def test_method_options_match_r(capsys, cid):
    case = REF[cid]
    o = case["outputs"]
    out = run_json(capsys, *two_arm_counts(case), "--rate-ci", "clopper-pearson", "--rd-ci", "wald",
                   "--or-ci", "fisher")
    c = out["comparisons"][0]
    assert_close(out["arms"][1]["ci_lower"], o["per_arm"]["arm1"]["clopper_pearson"]["lower"])
    assert_close(out["arms"][0]["ci_upper"], o["per_arm"]["arm2"]["clopper_pearson"]["upper"])
    assert_close(c["rd_ci_lower"], o["risk_difference"]["wald"]["lower"])
    assert_close(c["rd_ci_upper"], o["risk_difference"]["wald"]["upper"])
    assert_close(c["odds_ratio"], o["fisher"]["conditional_mle_or"])
    assert_close(c["or_ci_lower"], o["fisher"]["conf_int"][0])
    assert_close(c["or_ci_upper"], o["fisher"]["conf_int"][1])
    ci = o["nnt"]["from_wald"]["nnt_ci"]
    if ci[0] is None:
        assert c["nnt_ci_lower"] is None
    else:
        assert_close(c["nnt_ci_lower"], ci[0])
        assert_close(c["nnt_ci_upper"], ci[1])


def test_noninferiority_matches_r_and_rpact(capsys):
    out = run_json(capsys, *two_arm_counts(T5), "--margin", "-0.10")
    ni = out["noninferiority"]
    ref = T5["outputs"]["non_inferiority"]
    assert ni["margin"] == -0.10
    assert_close(ni["statistic"], ref["farrington_manning"]["z"])
    assert ni["p_value"] == pytest.approx(ref["farrington_manning"]["p_one_sided"], abs=PTOL)
    assert ni["conclusion"] == "non-inferiority not shown"
    out = run_json(capsys, *two_arm_counts(T5), "--margin", "-0.10", "--ni-method",
                   "miettinen-nurminen")
    assert_close(out["noninferiority"]["statistic"], ref["miettinen_nurminen"]["z"])


def test_three_arms_overall_and_holm_match_r(capsys):
    i = T3["inputs"]
    counts = ",".join(f"{x}/{n}" for x, n in zip(i["x"], i["n"], strict=True))
    out = run_json(capsys, "--counts", counts)
    assert_close(out["overall"]["statistic"], T3["outputs"]["chisq_test"]["statistic_X_squared"])
    assert out["overall"]["df"] == 2
    assert out["overall"]["p_value"] == pytest.approx(T3["outputs"]["chisq_test"]["p"], abs=PTOL)
    assert [c["group"] for c in out["comparisons"]] == ["arm2", "arm3"]
    pw = T3["outputs"]["pairwise_prop_test"]
    for flags, key in (((), "holm_yates"), (("--holm-test", "chisq"), "holm_no_correction")):
        out = run_json(capsys, "--counts", counts, "--all-pairs", *flags)
        for c in out["comparisons"]:
            name = f"{c['reference']}_vs_{c['group']}"
            assert c["p_holm"] == pytest.approx(pw[key]["p"][name], abs=PTOL)
            assert c["p_chisq"] == pytest.approx(pw["unadjusted_no_correction"]["p"][name],
                                                 abs=PTOL)
            assert c["p_chisq_yates"] == pytest.approx(pw["unadjusted_yates"]["p"][name], abs=PTOL)


def test_csv_input_reproduces_the_reference(capsys):
    out = run_json(capsys, str(DATA / "t4.csv"), "--outcome", "outcome_nri", "--group", "arm",
                   "--reference", "fluoxetine")
    c = out["comparisons"][0]
    assert (c["group"], c["reference"]) == ("pdt", "fluoxetine")
    assert_close(c["risk_difference"], T4["outputs"]["risk_difference"]["rd"])
    assert_close(c["rd_ci_lower"],
                 T4["outputs"]["risk_difference"]["newcombe_hybrid_score"]["lower"])
    assert c["p_fisher"] == pytest.approx(T4["outputs"]["fisher"]["p"], abs=PTOL)
    t5 = run_json(capsys, str(DATA / "t5.csv"), "--outcome", "outcome_nri", "--group", "arm",
                  "--reference", "cbt", "--margin", "-0.1")
    assert t5["noninferiority"]["p_value"] == pytest.approx(
        T5["outputs"]["non_inferiority"]["farrington_manning"]["p_one_sided"], abs=PTOL)


def test_csv_true_false_and_missing_outcomes(capsys, tmp_path):
    df = pd.read_csv(DATA / "t4.csv")
    df["remitted"] = df["outcome_nri"].map({1: "true", 0: "false"})
    p = tmp_path / "tf.csv"
    df.to_csv(p, index=False)
    a = run_json(capsys, str(p), "--outcome", "remitted", "--group", "arm")
    b = run_json(capsys, str(p), "--outcome", "outcome_nri", "--group", "arm")
    assert a == b
    err = run_error(capsys, str(DATA / "t4.csv"), "--outcome", "outcome", "--group", "arm")
    assert "'outcome'" in err and "missing" in err
    cc = run_json(capsys, str(DATA / "t4.csv"), "--outcome", "outcome", "--group", "arm",
                  "--missing", "complete_case")
    nri = run_json(capsys, str(DATA / "t4.csv"), "--outcome", "outcome", "--group", "arm",
                   "--missing", "nri")
    assert [a["n"] for a in nri["arms"]] == [26, 25]
    assert sum(a["n"] for a in cc["arms"]) == 51 - int(df["dropped_out"].sum())
    assert nri["arms"] == b["arms"]


def test_text_report(capsys):
    assert main(["rates", *two_arm_counts(T5), "--margin", "-0.1"]) == 0
    text = capsys.readouterr().out
    assert "risk difference" in text and "Non-inferiority of arm1 vs arm2" in text
    assert "NNTH" in text


@pytest.mark.parametrize("argv,needle", [
    (["--counts", "30/25,18/26"], "'30/25'"),
    (["--counts=-1/25,18/26"], "'-1/25'"),  # argparse needs "=" before a leading "-"
    (["--counts", "3/0,18/26"], "'3/0'"),
    (["--counts", "3.5/25,18/26"], "'3.5/25'"),
    (["--counts", "14/25"], "two arms"),
    (["--counts", "14/25,18/26", "--margin", "0.1"], "0.1"),
    (["--counts", "14/25,18/26", "--margin", "-0.1", "--lower-is-better"], "-0.1"),
    (["--counts", "14/25,18/26", "--margin", "1.5"], "1.5"),
    (["--counts", "14/25,18/26", "--reference", "placebo"], "'placebo'"),
    (["--counts", "14/25,18/26", "--labels", "a,b,c"], "labels"),
    (["--counts", "14/25,18/26", "--outcome", "y"], "--outcome"),
    ([], "--counts"),
    (["missing.csv", "--outcome", "y", "--group", "g"], "missing.csv"),
])
def test_bad_input_exits_2_naming_the_value(capsys, argv, needle):
    assert needle in run_error(capsys, *argv)


def test_bad_csv_values(capsys, tmp_path):
    p = tmp_path / "bad.csv"
    pd.DataFrame({"arm": ["a", "a", "b", "b"], "y": [0, 1, 2, 0]}).to_csv(p, index=False)
    err = run_error(capsys, str(p), "--outcome", "y", "--group", "arm")
    assert "'y'" in err and "2" in err and "0/1" in err
    pd.DataFrame({"arm": ["a", "a"], "y": [0, 1]}).to_csv(p, index=False)
    assert "at least 2" in run_error(capsys, str(p), "--outcome", "y", "--group", "arm")
    assert "'nope'" in run_error(capsys, str(p), "--outcome", "nope", "--group", "arm")
    assert "--group" in run_error(capsys, str(p), "--outcome", "y")


def test_zero_cells_report_the_correction(capsys):
    out = run_json(capsys, "--counts", "0/20,5/20")
    c = out["comparisons"][0]
    assert "haldane" in c["rr_correction"] and "haldane" in c["or_correction"]
    assert math.isfinite(c["relative_risk"])
    # arm2 (5/20) vs arm1 (0/20) with 1/2 added to every cell: 5.5/15.5 vs 0.5/20.5
    a, b, cc, d = 5.5, 15.5, 0.5, 20.5
    assert_close(c["relative_risk"], (a / (a + b)) / (cc / (cc + d)))
    assert_close(c["odds_ratio"], a * d / (b * cc))
    z = 1.959963984540054
    se_log_rr = math.sqrt(1 / a - 1 / (a + b) + 1 / cc - 1 / (cc + d))
    assert_close(c["rr_ci_lower"], c["relative_risk"] * math.exp(-z * se_log_rr))
    se_log_or = math.sqrt(1 / a + 1 / b + 1 / cc + 1 / d)
    assert_close(c["or_ci_upper"], c["odds_ratio"] * math.exp(z * se_log_or))


# ------------------------------------------------- tables outside the reference file, against
# R's formulas recomputed here with scipy/statsmodels (prop.test, pairwise.prop.test)
def r_prop_test_p(x, n, correct):
    """R's prop.test(x, n, correct) p-value: Yates' 0.5 capped at |p1 - p2| / sum(1/n) (2 arms)."""
    from scipy.stats import chi2

    x, n = [float(v) for v in x], [float(v) for v in n]
    yates = 0.0
    if correct and len(x) == 2:
        yates = min(0.5, abs(x[0] / n[0] - x[1] / n[1]) / (1 / n[0] + 1 / n[1]))
    p = sum(x) / sum(n)
    stat = sum((abs(o - e) - yates) ** 2 / e
               for xi, ni in zip(x, n, strict=True)
               for o, e in ((xi, ni * p), (ni - xi, ni * (1 - p))))
    return float(chi2.sf(stat, len(x) - 1))


def test_three_arm_holm_is_r_pairwise_prop_test_on_any_reference(capsys):
    # pairwise.prop.test(c(12, 20, 30), c(40, 42, 45)): Holm over all three pairs
    from statsmodels.stats.multitest import multipletests

    x, n = [12, 20, 30], [40, 42, 45]
    pairs = [(1, 0), (2, 0), (2, 1)]
    raw = [r_prop_test_p([x[g], x[r]], [n[g], n[r]], True) for g, r in pairs]
    holm = dict(zip([frozenset(p) for p in pairs], multipletests(raw, method="holm")[1],
                    strict=True))
    # a family of two (the comparisons with arm 1 only) would give other values here
    assert multipletests(raw[:2], method="holm")[1] != pytest.approx(
        [holm[frozenset(p)] for p in pairs[:2]], abs=1e-3)
    for ref in (None, "B", "3"):
        argv = ["--counts", "12/40,20/42,30/45"] + (["--labels", "A,B,C"] if ref == "B" else [])
        out = run_json(capsys, *argv, *(["--reference", ref] if ref else []))
        names = ["A", "B", "C"] if ref == "B" else ["arm1", "arm2", "arm3"]
        refi = {None: 0, "B": 1, "3": 2}[ref]
        assert [c["reference"] for c in out["comparisons"]] == [names[refi]] * 2
        for c in out["comparisons"]:
            pair = frozenset((names.index(c["group"]), refi))
            assert c["p_holm"] == pytest.approx(holm[pair], abs=PTOL)
    assert out["overall"]["p_value"] == pytest.approx(r_prop_test_p(x, n, False), abs=PTOL)


@pytest.mark.parametrize("counts", ["14/25,18/26", "20/20,15/20", "0/20,5/20"])
def test_other_tables_match_r_prop_test_and_fisher(capsys, counts):
    from scipy.stats import fisher_exact

    (x1, n1), (x2, n2) = [map(int, a.split("/")) for a in counts.split(",")]
    c = run_json(capsys, "--counts", counts)["comparisons"][0]
    assert c["risk_difference"] == pytest.approx(x2 / n2 - x1 / n1, rel=1e-12)
    assert c["p_chisq"] == pytest.approx(r_prop_test_p([x2, x1], [n2, n1], False), abs=PTOL)
    assert c["p_chisq_yates"] == pytest.approx(r_prop_test_p([x2, x1], [n2, n1], True), abs=PTOL)
    p_fisher = fisher_exact([[x2, n2 - x2], [x1, n1 - x1]]).pvalue
    assert c["p_fisher"] == pytest.approx(p_fisher, abs=PTOL)


def test_numeric_groups_in_numeric_order_and_strict_outcome_values(capsys, tmp_path):
    p = tmp_path / "num.csv"
    pd.DataFrame({"arm": [10] * 4 + [2] * 4 + [1] * 4,
                  "y": [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]}).to_csv(p, index=False)
    out = run_json(capsys, str(p), "--outcome", "y", "--group", "arm")
    assert [a["group"] for a in out["arms"]] == ["1", "2", "10"]
    assert [a["events"] for a in out["arms"]] == [3, 2, 1]
    pd.DataFrame({"arm": ["a", "a", "b", "b"], "y": ["yes", "no", "no", "yes"]}).to_csv(
        p, index=False)
    err = run_error(capsys, str(p), "--outcome", "y", "--group", "arm")
    assert "'y'" in err and "'yes'" in err and "true/false" in err
    pd.DataFrame({"arm": ["a", "a", "b", "b"], "y": ["TRUE", "False", "false", "True"]}).to_csv(
        p, index=False)
    assert [a["events"] for a in run_json(capsys, str(p), "--outcome", "y", "--group", "arm")
            ["arms"]] == [1, 1]


def test_conf_level_and_its_alias(capsys):
    """--conf-level sets the level of every interval; --level is its old name."""
    argv = ["rates", "--counts", "14/25,18/26", "--labels", "pdt,fluoxetine", "--json"]
    new = run_json(capsys, *argv[1:], "--conf-level", "0.9")
    old = run_json(capsys, *argv[1:], "--level", "0.9")
    default = run_json(capsys, *argv[1:])
    assert new == old
    width = [a["ci_upper"] - a["ci_lower"] for a in new["arms"]]
    assert all(w < d["ci_upper"] - d["ci_lower"]
               for w, d in zip(width, default["arms"], strict=True))
    main(["rates", *argv[1:-1], "--conf-level", "0.9"])
    assert "90% CI" in capsys.readouterr().out


def test_option_names_in_errors(capsys):
    assert "`--conf-level`" in run_error(capsys, "--counts", "14/25,18/26", "--level", "95")
    assert "1..2" in run_error(capsys, "--counts", "14/25,18/26", "--reference", "3")
