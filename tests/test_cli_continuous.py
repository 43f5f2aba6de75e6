"""``workbench continuous``: JSON output against the R reference values, text output, bad input.

Reference numbers: tests/reference/continuous_analysis.json (R ``t.test``, ``lm``/``confint``,
Hedges' g by hand, ``nlme::gls`` for the MMRM; R code in tests/reference/r/
continuous_analysis.R and lib_continuous.R). t-test, ANCOVA and Hedges' g at 1e-6 relative; MMRM
estimate and SE at 1e-5 relative, its CI and p-value (t on the gls residual df) at 1e-5.
"""

from __future__ import annotations

import math
import re
from functools import partial

import numpy as np
import pandas as pd
import pytest

from tests import helpers
from tests.helpers import REFERENCE_DIR as REF_DIR
from tests.helpers import ROOT, approx, reference_cases
from tests.helpers import run_cli as run

REF = reference_cases("continuous_analysis")
CROSS = REF["cont_hamd_week12_n80"]
LONG = REF["cont_hamd_longitudinal_n60_mmrm"]
CROSS_CSV = str(REF_DIR / CROSS["inputs"]["csv"])
LONG_CSV = str(REF_DIR / LONG["inputs"]["csv"])
LONG_ARGS = ["--outcome", "hamd", "--group", "arm", "--baseline", "baseline", "--visit", "week",
             "--subject", "id"]
KEYS = {
    "ttest": {"statistic", "df", "p_value", "ci_lower", "ci_upper"},
    "ancova": {"estimate", "se", "statistic", "p_value", "ci_lower", "ci_upper"},
    "hedges_g": {"estimate", "ci_lower", "ci_upper"},
    "mmrm": {"visit", "estimate", "se", "df", "p_value", "ci_lower", "ci_upper"},
}


run_json = partial(helpers.run_json, with_err=True)  # (JSON output, stderr)


@pytest.mark.parametrize("equal_var", [False, True])
def test_cross_sectional_json_matches_r(capsys, equal_var):
    argv = ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm", "--baseline",
            "baseline", "--json"] + (["--equal-var"] if equal_var else [])
    out, err = run_json(capsys, argv)
    assert set(out) == {"ttest", "ancova", "hedges_g"}            # no mmrm without --visit
    for k in out:
        assert set(out[k]) == KEYS[k]
    ref = CROSS["outputs"]
    t = ref["week12_student" if equal_var else "week12_welch"]
    assert out["ttest"]["statistic"] == approx(t["t"])
    assert out["ttest"]["df"] == approx(t["df"])
    assert out["ttest"]["p_value"] == approx(t["p"])
    assert out["ttest"]["ci_lower"] == approx(t["ci95_lower"])
    assert out["ttest"]["ci_upper"] == approx(t["ci95_upper"])
    a = ref["ancova"]["arm"]
    for key, rkey in (("estimate", "estimate"), ("se", "se"), ("statistic", "t"), ("p_value", "p"),
                      ("ci_lower", "ci95_lower"), ("ci_upper", "ci95_upper")):
        assert out["ancova"][key] == approx(a[rkey]), key
    g = ref["hedges_g_week12"]
    assert out["hedges_g"]["estimate"] == approx(g["hedges_g"])
    assert out["hedges_g"]["ci_lower"] == approx(g["ci95_lower"])
    assert out["hedges_g"]["ci_upper"] == approx(g["ci95_upper"])
    assert err == ""


def test_longitudinal_json_matches_r(capsys):
    out, err = run_json(capsys, ["continuous", LONG_CSV, *LONG_ARGS, "--json"])
    assert set(out) == set(KEYS)
    for k in out:
        assert set(out[k]) == KEYS[k]
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]
    m = out["mmrm"]
    assert m["visit"] == 12
    assert m["estimate"] == approx(eff["estimate"], 1e-5)
    assert m["se"] == approx(eff["se"], 1e-5)
    assert m["df"] == eff["df_gls"]
    assert m["p_value"] == approx(eff["p_t_df_gls"], 1e-5)
    assert m["ci_lower"] == approx(eff["ci95_lower_t"], 1e-5)
    assert m["ci_upper"] == approx(eff["ci95_upper_t"], 1e-5)
    # with --visit the end-point analyses are on the last visit (the completers at week 12)
    comp = LONG["outputs"]["completers_ancova_week12"]["arm"]
    assert out["ancova"]["estimate"] == approx(comp["estimate"])
    assert out["ancova"]["p_value"] == approx(comp["p"])
    assert out["ancova"]["ci_upper"] == approx(comp["ci95_upper"])
    # the six patients without a week-12 value are counted, not silently dropped
    assert "6 subject(s) have no 'hamd' at the last week (12)" in err


def test_difference_is_group_minus_first_sorted_level(capsys, tmp_path):
    d = pd.read_csv(LONG_CSV)
    path = tmp_path / "labels.csv"
    d.assign(arm=d["arm"].map({0: "b_tau", 1: "a_pdt"})).to_csv(path, index=False)
    out, _ = run_json(capsys, ["continuous", str(path), *LONG_ARGS, "--json"])
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]
    # reference is "a_pdt" (= arm 1), so the difference is arm 0 - arm 1
    assert out["mmrm"]["estimate"] == approx(-eff["estimate"], 1e-5)
    assert out["mmrm"]["ci_lower"] == approx(-eff["ci95_upper_t"], 1e-5)


def test_without_baseline_ancova_is_null(capsys):
    out, _ = run_json(capsys, ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm",
                               "--json"])
    assert out["ancova"] is None and out["ttest"]["df"] == approx(
        CROSS["outputs"]["week12_welch"]["df"])


def test_satterthwaite_option(capsys):
    out, _ = run_json(capsys, ["continuous", LONG_CSV, *LONG_ARGS, "--mmrm-df", "satterthwaite",
                               "--json"])
    assert 40 < out["mmrm"]["df"] < 166
    assert out["mmrm"]["estimate"] == approx(
        LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]["estimate"], 1e-5)


def test_text_report(capsys):
    code, out, _ = run(capsys, ["continuous", LONG_CSV, *LONG_ARGS])
    assert code == 0
    assert "Welch t-test at week 12" in out and "ANCOVA on baseline" in out
    assert "MMRM" in out and "week 12: difference -0.5762" in out
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]["estimate"]
    assert f"week 12: difference {eff:.4f}" in out  # R's estimate to the digits printed


def test_synthetic_t8_data_with_missing_visits(capsys):
    path = str(ROOT / "synthetic_data" / "continuous" / "t8_hamd_long.csv")
    out, err = run_json(capsys, ["continuous", path, "--outcome", "hamd", "--group", "arm",
                                 "--baseline", "baseline", "--visit", "week", "--subject",
                                 "subject", "--reference", "usual_care", "--json"])
    assert out["mmrm"]["visit"] == 57 and out["mmrm"]["estimate"] < 0
    assert "33 subject(s) have no 'hamd'" in err and "40 row(s) with a missing 'hamd'" in err


# ------------------------------------------------------------------------------ bad input ----
@pytest.fixture()
def bad_csv(tmp_path):
    d = pd.read_csv(LONG_CSV)

    def make(kind):
        e = d.copy()
        if kind == "duplicate":
            e = pd.concat([e, e.iloc[[5]]])
        elif kind == "visit":
            e["week"] = e["week"].map(lambda w: f"w{w}")
        elif kind == "baseline":
            e.loc[3, "baseline"] = np.nan
        elif kind == "scale":
            e.loc[7, "hamd"] = 60
        elif kind == "flat":
            e.loc[e["week"] == 4, "hamd"] = 15
        elif kind == "groups":
            e["arm"] = e["arm"].astype(str)
            e.loc[:3, "arm"] = "x"
        path = tmp_path / f"{kind}.csv"
        e.to_csv(path, index=False)
        return str(path)

    return make


@pytest.mark.parametrize(("kind", "message"), [
    ("duplicate", r"subject '2' \(column 'id'\) has 2 rows at week 4"),
    ("visit", r"column 'week' \(the visit\) must be numeric"),
    ("baseline", r"column 'baseline' has 1 missing value"),
    ("scale", r"column 'hamd' must lie in the scale \[0, 52\].*found 60"),
    ("flat", r"MMRM did not converge: tried Fisher scoring.*BFGS"),
    ("groups", r"column 'arm' must have exactly two groups"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, bad_csv, kind, message):
    code, out, err = run(capsys, ["continuous", bad_csv(kind), *LONG_ARGS, "--json"])
    assert code == 2 and out == ""
    assert err.startswith("workbench continuous: error: ") and err.count("\n") == 1
    assert re.search(message, err), err


def test_bad_options(capsys):
    code, _, err = run(capsys, ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm",
                                "--scale", "52,0"])
    assert code == 2 and "--scale" in err
    code, _, err = run(capsys, ["continuous", CROSS_CSV, "--outcome", "hamd", "--group", "arm"])
    assert code == 2 and "'hamd' is missing" in err
    code, _, err = run(capsys, ["continuous", "nope.csv", "--outcome", "y", "--group", "arm"])
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, ["continuous", LONG_CSV, "--outcome", "hamd", "--group", "arm",
                                "--subject", "id"])
    assert code == 2 and "more than one row" in err


def test_missing_outcomes_are_counted(capsys, tmp_path):
    d = pd.read_csv(CROSS_CSV)
    d.loc[[0, 1, 60], "week12"] = np.nan
    path = tmp_path / "miss.csv"
    d.to_csv(path, index=False)
    out, err = run_json(capsys, ["continuous", str(path), "--outcome", "week12", "--group", "arm",
                                 "--json"])
    assert "3 row(s) with a missing 'week12' left out" in err
    assert np.isfinite(out["ttest"]["statistic"])
    # Welch's t on the 77 remaining rows (scipy)
    from scipy import stats

    kept = d.dropna(subset=["week12"])
    ref = stats.ttest_ind(kept.loc[kept["arm"] == 1, "week12"],
                          kept.loc[kept["arm"] == 0, "week12"], equal_var=False)
    assert out["ttest"]["statistic"] == approx(ref.statistic)
    assert out["ttest"]["p_value"] == approx(ref.pvalue)
    assert out["ttest"]["df"] == approx(ref.df)


# ------------------------------------------------------------- other data than the reference ----
def _gls_by_hand(d, *, outcome, group, visit, subject, baseline, reference):
    """Independent MMRM as nlme::gls (corSymm + varIdent by visit, REML) on the rows after the
    first visit (as R's ``d[d$week > 0, ]``) or on all rows without a baseline: the REML
    log-likelihood written out and maximised over a log-Cholesky covariance by scipy's BFGS from
    a diagonal start. Returns the last visit's group effect, its SE and the residual df."""
    from scipy import optimize

    d = d[d[outcome].notna()]
    if baseline is not None:
        d = d[d[visit] > d[visit].min()]
    visits = np.sort(d[visit].unique())
    t = len(visits)
    arm = (d[group].astype(str) != str(reference)).to_numpy(float)
    vis = d[visit].to_numpy()
    cols = [np.ones(len(d)), arm] + [(vis == v).astype(float) for v in visits[1:]]
    cols += [d[baseline].to_numpy(float)] if baseline is not None else []
    cols += [arm * (vis == v) for v in visits[1:]]
    X, y = np.column_stack(cols), d[outcome].to_numpy(float)
    n, p = X.shape
    vi = np.searchsorted(visits, vis)
    blocks = [np.flatnonzero(d[subject].to_numpy() == s) for s in pd.unique(d[subject])]

    def fit(S):
        A, b, logdet, inv = np.zeros((p, p)), np.zeros(p), 0.0, []
        for ix in blocks:
            Vi = np.linalg.inv(S[np.ix_(vi[ix], vi[ix])])
            logdet -= np.linalg.slogdet(Vi)[1]
            A += X[ix].T @ Vi @ X[ix]
            b += X[ix].T @ Vi @ y[ix]
            inv.append(Vi)
        beta = np.linalg.solve(A, b)
        quad = sum((y[ix] - X[ix] @ beta) @ Vi @ (y[ix] - X[ix] @ beta)
                   for ix, Vi in zip(blocks, inv, strict=True))
        return -0.5 * (logdet + np.linalg.slogdet(A)[1] + quad), beta, np.linalg.inv(A)

    low = np.tril_indices(t)
    on_diag = low[0] == low[1]

    def cov(th):
        L = np.zeros((t, t))
        L[low] = np.where(on_diag, np.exp(th), th)
        return L @ L.T

    th = optimize.minimize(lambda th: -fit(cov(th))[0], np.where(on_diag, np.log(y.std()), 0),
                           method="BFGS", options={"gtol": 1e-7}).x
    _, beta, A_inv = fit(cov(th))
    L = np.zeros(p)
    L[1] = 1.0
    if t > 1:
        L[-1] = 1.0
    return L @ beta, math.sqrt(L @ A_inv @ L), n - p


def _unbalanced_t8(tmp_path):
    """T8 with 25 post-admission visits deleted at random (intermittent, not monotone) and one
    usual-care patient removed, arms coded 0/1."""
    d = pd.read_csv(ROOT / "synthetic_data" / "continuous" / "t8_hamd_long.csv")
    rng = np.random.default_rng(5)
    d = d.drop(rng.choice(d.index[(d["week"] > 0) & d["hamd"].notna()], 25, replace=False))
    d = d[d["subject"] != 5].assign(arm=d["arm"].map({"usual_care": 0, "pdt": 1}))
    path = tmp_path / "t8_unbalanced.csv"
    d.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize(("data", "baseline"), [
    ("t7", "baseline"), ("t7", None), ("t8_unbalanced", "baseline"),
])
def test_mmrm_on_other_data_matches_gls_by_hand(capsys, tmp_path, data, baseline):
    if data == "t7":
        path = str(ROOT / "synthetic_data" / "continuous" / "t7_hamd_long.csv")
        reference = "pdt"                                    # first in sorted order
    else:
        path, reference = _unbalanced_t8(tmp_path), 0
    args = ["--outcome", "hamd", "--group", "arm", "--visit", "week", "--subject", "subject"]
    args += ["--baseline", baseline] if baseline else []
    out, _ = run_json(capsys, ["continuous", path, *args, "--json"])
    est, se, dfr = _gls_by_hand(pd.read_csv(path), outcome="hamd", group="arm", visit="week",
                                subject="subject", baseline=baseline, reference=reference)
    assert out["mmrm"]["estimate"] == pytest.approx(est, rel=1e-5)
    assert out["mmrm"]["se"] == pytest.approx(se, rel=1e-5)
    assert out["mmrm"]["df"] == dfr


def test_numeric_group_labels_sort_as_numbers(capsys, tmp_path):
    # R's factor() orders numeric groups numerically: with groups 2 and 10 the reference is 2
    d = pd.read_csv(LONG_CSV)
    path = tmp_path / "numeric.csv"
    d.assign(arm=d["arm"].map({0: 2, 1: 10})).to_csv(path, index=False)
    out, _ = run_json(capsys, ["continuous", str(path), *LONG_ARGS, "--json"])
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]
    assert out["mmrm"]["estimate"] == approx(eff["estimate"], 1e-5)            # 10 - 2
    assert out["ttest"]["statistic"] == approx(
        pd.read_csv(LONG_CSV).pipe(lambda e: _welch_t(e[e["week"] == 12])))


def _welch_t(e):
    from scipy import stats

    return stats.ttest_ind(e.loc[e["arm"] == 1, "hamd"], e.loc[e["arm"] == 0, "hamd"],
                           equal_var=False).statistic


def test_baseline_visit_with_one_outcome_differing_from_the_baseline(capsys, tmp_path):
    # R's model is on the rows after week 0 whatever the week-0 scores: the same numbers, and the
    # mismatch and the baseline rows are counted on stderr
    d = pd.read_csv(LONG_CSV)
    d.loc[0, "hamd"] += 1
    path = tmp_path / "mismatch.csv"
    d.to_csv(path, index=False)
    out, err = run_json(capsys, ["continuous", str(path), *LONG_ARGS, "--json"])
    eff = LONG["outputs"]["mmrm_gls"]["tight"]["arm_effect_week12"]
    assert out["mmrm"]["estimate"] == approx(eff["estimate"], 1e-5)
    assert out["mmrm"]["se"] == approx(eff["se"], 1e-5)
    assert "60 row(s) at the first week are the baseline" in err
    assert "1 subject(s) have a 'hamd' at the first week that differs from 'baseline'" in err


@pytest.mark.parametrize(("column", "value", "message"), [
    ("baseline", np.nan, r"column 'baseline' has 1 missing value"),
    ("arm", np.nan, r"column 'arm' has 1 missing value"),
    ("hamd", "abc", r"column 'hamd' must be numeric"),
])
def test_visit_without_subject_checks_the_rows_before_the_last_visit(capsys, tmp_path, column,
                                                                      value, message):
    d = pd.read_csv(LONG_CSV).astype({column: object})
    d.loc[1, column] = value                                   # a week-4 row
    path = tmp_path / "bad.csv"
    d.to_csv(path, index=False)
    code, out, err = run(capsys, ["continuous", str(path), "--outcome", "hamd", "--group", "arm",
                                  "--baseline", "baseline", "--visit", "week", "--json"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert re.search(message, err), err


def test_outcome_constant_in_both_groups_is_an_error(capsys, tmp_path):
    # R: t.test stops with "data are essentially constant"
    path = tmp_path / "constant.csv"
    pd.DataFrame({"arm": ["a", "a", "b", "b"], "y": [10, 10, 12, 12]}).to_csv(path, index=False)
    code, out, err = run(capsys, ["continuous", str(path), "--outcome", "y", "--group", "arm"])
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "'y' is constant within both groups" in err


@pytest.mark.parametrize(("option", "value"), [("--conf-level", "95"), ("--reference", "3")])
def test_option_errors_name_the_option(capsys, option, value):
    code, out, err = run(capsys, ["continuous", CROSS_CSV, "--outcome", "week12", "--group", "arm",
                                  option, value])
    assert code == 2 and out == "" and f"`{option}` must" in err
